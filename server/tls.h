/* tls: the daemon's OpenSSL contexts. Strict by default: TLS 1.2 minimum,
 * forward-secret AEAD ciphers, ALPN must select "h2", and on the main
 * listener a client certificate chaining to the configured CA is required.
 * Contexts are immutable once built: a reload builds new ones and swaps. */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

/* The contexts of one configuration generation. */
struct tls_contexts {
    SSL_CTX *mtls;   /* main listener: client certificate required */
    SSL_CTX *public; /* public listener: no client certificate asked */
};

/* Builds both contexts from cfg (certificate, key, CA, ciphers). Returns
 * false with a message naming the file or setting in err; nothing is
 * allocated then. On success the caller owns out's contexts (tls_clear). */
bool tls_build(const struct config *cfg, struct tls_contexts *out, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Frees the contexts (SSL objects already created keep their own reference). */
void tls_clear(struct tls_contexts *t);

/* Identity of a verified peer certificate. */
struct tls_identity {
    bool present;      /* a client certificate was presented and verified */
    char sha256[65];   /* lower-case hex SHA-256 of the certificate's DER */
    char subject[128]; /* subject CN, informative only */
};

/* Fills id from the peer certificate of an established connection. */
void tls_peer_identity(SSL *ssl, struct tls_identity *id);

/* Whether ALPN selected "h2" on this connection. */
bool tls_alpn_is_h2(SSL *ssl);

#endif
