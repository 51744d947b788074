/* certid: how a client certificate names an office. The identity is the
 * SHA-256 of the certificate's DER encoding, in lower-case hex (what
 * `openssl x509 -noout -fingerprint -sha256` prints, without colons); the
 * subject CN is kept beside it for people only. Shared by the TLS layer (peer
 * certificates) and `vigild office add-cert` (PEM files), so that both compute
 * the very same string. Pure: no I/O, no logging. */
#ifndef VIGIL_CERTID_H
#define VIGIL_CERTID_H

#include <openssl/x509.h>
#include <stddef.h>

/* Length of the hex fingerprint, without its terminating NUL. */
#define CERTID_HEX_LEN 64

/* Writes the 64 hex digits and a NUL into hex. cert is borrowed. Should
 * OpenSSL fail (out of memory only), hex is set to "", which matches no
 * office, so the caller fails closed. */
void certid_fingerprint(const X509 *cert, char hex[CERTID_HEX_LEN + 1]);

/* Writes the subject's first commonName as UTF-8 into out (cap bytes, cut to
 * fit on a character boundary, always NUL-terminated when cap > 0); control
 * characters become '?'. "" when the subject has no CN. */
void certid_subject_cn(const X509 *cert, char *out, size_t cap);

#endif
