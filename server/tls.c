/* tls: building the server's SSL_CTX pair and reading a peer's identity. */
#include "tls.h"
#include "certid.h"
#include "config.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

static void ssl_error(char *err, size_t cap, const char *what, const char *file)
{
    char reason[160];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, cap, "%s %s: %s", what, file, e ? reason : "unknown error");
}

/* ALPN: we speak gRPC, hence HTTP/2 only. A client that offers no "h2" gets
 * no protocol selected (not a fatal alert, so that the refusal is logged with
 * the peer's identity); the connection layer then closes it unserved. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    for (unsigned int i = 0; i + 1 <= inlen;) {
        unsigned int len = in[i];
        if (i + 1 + len > inlen)
            break;
        if (len == 2 && memcmp(in + i + 1, "h2", 2) == 0) {
            *out = in + i + 1;
            *outlen = 2;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *ctx_new(const struct config *cfg, bool require_client, char *err, size_t cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        ssl_error(err, cap, "cannot create", "TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation, no compression, server's cipher order, and session
     * tickets stay on (cheap resumption for reconnecting clients). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers) != 1) {
        ssl_error(err, cap, "setting tls_ciphers:", cfg->tls_ciphers);
        goto fail;
    }
    if (SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites) != 1) {
        ssl_error(err, cap, "setting tls_ciphersuites:", cfg->tls_ciphersuites);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1) {
        ssl_error(err, cap, "cannot load tls_cert_file", cfg->tls_cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_error(err, cap, "cannot load tls_key_file", cfg->tls_key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_error(err, cap, "tls_key_file does not match tls_cert_file", cfg->tls_key_file);
        goto fail;
    }
    if (require_client) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_file, NULL) != 1) {
            ssl_error(err, cap, "cannot load tls_ca_file", cfg->tls_ca_file);
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_verify_depth(ctx, 4);
        /* Session resumption must not skip identity: resumed sessions carry
         * the verified peer certificate, and the context id scopes them. */
        static const unsigned char sid[] = "vigil-mtls";
        SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

bool tls_build(const struct config *cfg, struct tls_contexts *out, char *err, size_t cap)
{
    out->mtls = ctx_new(cfg, true, err, cap);
    if (out->mtls == NULL)
        return false;
    out->public = ctx_new(cfg, false, err, cap);
    if (out->public == NULL) {
        SSL_CTX_free(out->mtls);
        out->mtls = NULL;
        return false;
    }
    return true;
}

void tls_clear(struct tls_contexts *t)
{
    SSL_CTX_free(t->mtls);
    SSL_CTX_free(t->public);
    t->mtls = t->public = NULL;
}

void tls_peer_identity(SSL *ssl, struct tls_identity *id)
{
    memset(id, 0, sizeof(*id));
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK) {
        X509_free(cert);
        return;
    }
    certid_fingerprint(cert, id->sha256);
    certid_subject_cn(cert, id->subject, sizeof(id->subject));
    id->present = true;
    X509_free(cert);
}

bool tls_alpn_is_h2(SSL *ssl)
{
    const unsigned char *p;
    unsigned int len;
    SSL_get0_alpn_selected(ssl, &p, &len);
    return len == 2 && memcmp(p, "h2", 2) == 0;
}
