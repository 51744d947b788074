/* certid: SHA-256 fingerprint and subject CN of a certificate (see certid.h). */
#include "certid.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <string.h>

void certid_fingerprint(const X509 *cert, char hex[CERTID_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    hex[0] = '\0';
    if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len * 2 != CERTID_HEX_LEN)
        return;
    for (unsigned int i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
    hex[CERTID_HEX_LEN] = '\0';
}

/* Copies UTF-8 text, cutting before a partial character and masking
 * controls, since the CN ends up in logs and in a table. */
static void copy_utf8(char *out, size_t cap, const unsigned char *in, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    if (n < len) {
        while (n > 0 && (in[n] & 0xc0) == 0x80)
            n--;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0xc2 && i + 1 < n && in[i + 1] >= 0x80 && in[i + 1] <= 0x9f) {
            out[o++] = '?'; /* C1 control (U+0080..U+009F), e.g. a terminal escape */
            i++;
        } else {
            out[o++] = (in[i] < 0x20 || in[i] == 0x7f) ? '?' : (char)in[i];
        }
    }
    out[o] = '\0';
}

void certid_subject_cn(const X509 *cert, char *out, size_t cap)
{
    if (cap == 0)
        return;
    out[0] = '\0';
    const X509_NAME *name = X509_get_subject_name(cert);
    int idx = name != NULL ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    if (idx < 0)
        return;
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char *utf8 = NULL;
    int len = data != NULL ? ASN1_STRING_to_UTF8(&utf8, data) : -1;
    if (len < 0)
        return;
    copy_utf8(out, cap, utf8, (size_t)len);
    OPENSSL_free(utf8);
}
