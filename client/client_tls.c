/* client_tls: the strict client TLS context, the handshake, and deadline-bounded
 * reads and writes over our own send/recv BIO (see client_tls.h). */
#include "client_tls.h"
#include "client_sock.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const unsigned char alpn_h2[] = {2, 'h', '2'};

/* ---- the socket BIO: send(MSG_NOSIGNAL) so that no SIGPIPE is raised ---- */

static int bio_write(BIO *b, const char *buf, int len)
{
    struct client_tls *t = BIO_get_data(b);
    ssize_t n;

    BIO_clear_retry_flags(b);
    do {
        n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        BIO_set_retry_write(b);
    return -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
    struct client_tls *t = BIO_get_data(b);
    ssize_t n;

    BIO_clear_retry_flags(b);
    do {
        n = recv(t->fd, buf, (size_t)len, 0);
    } while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        BIO_set_retry_read(b);
    return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    /* Writes are unbuffered, so a flush has nothing to do; the other controls
     * (kTLS, datagram, pending) do not apply to this BIO. */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method_new(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "vigil socket");

    if (m == NULL)
        return NULL;
    if (BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_read(m, bio_read) != 1 ||
        BIO_meth_set_ctrl(m, bio_ctrl) != 1 || BIO_meth_set_create(m, bio_create) != 1) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

/* ---- context ---- */

/* The most specific reason OpenSSL queued, then an empty queue, so that the
 * caller's thread is not left with our errors. */
static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    ERR_clear_error();
    return r != NULL ? r : "unknown error";
}

/* OpenSSL's default would prompt on the terminal for an encrypted key; a
 * library must not, so an encrypted key simply fails to load. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

/* Opening the file ourselves first gives "No such file or directory" instead
 * of OpenSSL's generic "system lib". */
static bool readable(const char *what, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        snprintf(err, cap, "cannot read %s %s: %s", what, path, strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

static enum vigil_status ctx_load_files(SSL_CTX *ctx, const struct vigil_options *o, char *err,
                                        size_t cap)
{
    if (o->ca_file != NULL) {
        if (!readable("CA file", o->ca_file, err, cap))
            return VIGIL_E_TLS;
        if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
            snprintf(err, cap, "cannot load CA file %s: %s", o->ca_file, ssl_reason());
            return VIGIL_E_TLS;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, cap, "cannot load the system CA store: %s", ssl_reason());
        return VIGIL_E_TLS;
    }
    if (o->cert_file == NULL)
        return VIGIL_OK;
    const char *key = o->key_file != NULL ? o->key_file : o->cert_file;
    if (!readable("client certificate", o->cert_file, err, cap) ||
        !readable("private key", key, err, cap))
        return VIGIL_E_TLS;
    if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
        snprintf(err, cap, "cannot load client certificate %s: %s", o->cert_file, ssl_reason());
        return VIGIL_E_TLS;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, cap, "private key %s does not match certificate %s", key, o->cert_file);
        else
            snprintf(err, cap, "cannot load private key %s (PEM, not encrypted): %s", key,
                     ssl_reason());
        ERR_clear_error();
        return VIGIL_E_TLS;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, cap, "private key %s does not match certificate %s", key, o->cert_file);
        ERR_clear_error();
        return VIGIL_E_TLS;
    }
    return VIGIL_OK;
}

static enum vigil_status ctx_new(struct client_tls *t, const struct vigil_options *o, char *err,
                                 size_t cap)
{
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (t->ctx == NULL) {
        snprintf(err, cap, "cannot create TLS context: %s", ssl_reason());
        return VIGIL_E_NOMEM;
    }
    SSL_CTX_set_default_passwd_cb(t->ctx, no_password);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    /* Partial writes let client_tls_write report progress; a moving buffer lets the
     * caller's pending-output buffer grow between retries. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_alpn_protos(t->ctx, alpn_h2, sizeof(alpn_h2)) != 0) {
        snprintf(err, cap, "cannot configure TLS context: %s", ssl_reason());
        return VIGIL_E_TLS;
    }
    return ctx_load_files(t->ctx, o, err, cap);
}

/* ---- connection ---- */

static enum vigil_status ssl_new(struct client_tls *t, const char *peer_name, char *err, size_t cap)
{
    BIO *bio;

    t->method = bio_method_new();
    t->ssl = SSL_new(t->ctx);
    if (t->method == NULL || t->ssl == NULL || (bio = BIO_new(t->method)) == NULL) {
        snprintf(err, cap, "cannot create TLS connection: %s", ssl_reason());
        return VIGIL_E_NOMEM;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (client_sock_is_ip_literal(peer_name)) {
        /* RFC 6066: no SNI for addresses; the certificate needs an IP SAN. */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), peer_name) != 1) {
            snprintf(err, cap, "cannot set expected server address %s", peer_name);
            ERR_clear_error();
            return VIGIL_E_TLS;
        }
    } else if (SSL_set_tlsext_host_name(t->ssl, peer_name) != 1 ||
               SSL_set1_host(t->ssl, peer_name) != 1) {
        snprintf(err, cap, "cannot set expected server name %s: %s", peer_name, ssl_reason());
        return VIGIL_E_TLS;
    }
    return VIGIL_OK;
}

/* Turns a failed SSL_* call into a status and message. Verification failures
 * are named precisely because they are what users most often need to fix. */
static enum vigil_status ssl_failure(struct client_tls *t, int rc, const char *during, char *err,
                                     size_t cap)
{
    int e = SSL_get_error(t->ssl, rc);
    long v = SSL_get_verify_result(t->ssl);
    int saved = errno;

    t->fatal = true;
    if (e == SSL_ERROR_ZERO_RETURN) {
        t->eof = true;
        snprintf(err, cap, "server closed the connection");
        return VIGIL_E_CONNECT;
    }
    if (e == SSL_ERROR_SYSCALL) {
        ERR_clear_error();
        t->eof = saved == 0 || saved == ECONNRESET;
        snprintf(err, cap, "connection lost %s: %s", during,
                 saved != 0 ? strerror(saved) : "closed by the server");
        return VIGIL_E_CONNECT;
    }
    if (v != X509_V_OK) {
        ERR_clear_error();
        snprintf(err, cap, "server certificate verification failed: %s",
                 X509_verify_cert_error_string(v));
        return VIGIL_E_TLS;
    }
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_SSL &&
        ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        t->eof = true;
        snprintf(err, cap, "connection closed by the server %s", during);
        return VIGIL_E_CONNECT;
    }
    snprintf(err, cap, "TLS error %s: %s", during, ssl_reason());
    return VIGIL_E_TLS;
}

/* Waits for what OpenSSL asked for. Returns VIGIL_OK to retry. */
static enum vigil_status ssl_wait(struct client_tls *t, int rc, int64_t deadline, bool *retry)
{
    int e = SSL_get_error(t->ssl, rc);

    *retry = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    if (!*retry)
        return VIGIL_OK;
    return client_sock_wait(t->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
}

static enum vigil_status handshake(struct client_tls *t, int64_t deadline, char *err, size_t cap)
{
    for (;;) {
        bool retry;
        errno = 0;
        ERR_clear_error();
        int rc = SSL_connect(t->ssl);
        if (rc == 1)
            return VIGIL_OK;
        enum vigil_status st = ssl_wait(t, rc, deadline, &retry);
        if (!retry) {
            enum vigil_status failed = ssl_failure(t, rc, "during the TLS handshake", err, cap);
            if (t->eof) {
                snprintf(err, cap,
                         "server closed the connection during the TLS handshake (does it "
                         "require a client certificate, or refuse ours?)");
                failed = VIGIL_E_TLS;
            }
            return failed;
        }
        if (st == VIGIL_E_DEADLINE) {
            snprintf(err, cap, "TLS handshake timed out");
            return VIGIL_E_CONNECT;
        }
        if (st != VIGIL_OK) {
            snprintf(err, cap, "poll failed during the TLS handshake: %s", strerror(errno));
            return VIGIL_E_CONNECT;
        }
    }
}

void client_tls_init(struct client_tls *t)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
}

enum vigil_status client_tls_connect(struct client_tls *t, int fd, const struct vigil_options *opts,
                                     const char *peer_name, int64_t deadline, char *err, size_t cap)
{
    const unsigned char *proto = NULL;
    unsigned int proto_len = 0;
    enum vigil_status st;

    t->fd = fd;
    if ((st = ctx_new(t, opts, err, cap)) != VIGIL_OK ||
        (st = ssl_new(t, peer_name, err, cap)) != VIGIL_OK ||
        (st = handshake(t, deadline, err, cap)) != VIGIL_OK)
        return st;
    SSL_get0_alpn_selected(t->ssl, &proto, &proto_len);
    if (proto_len != 2 || memcmp(proto, "h2", 2) != 0) {
        snprintf(err, cap, "server did not negotiate ALPN \"h2\" (is it a gRPC server?)");
        return VIGIL_E_TLS;
    }
    return VIGIL_OK;
}

enum vigil_status client_tls_read(struct client_tls *t, void *buf, size_t cap, size_t *got,
                                  int64_t deadline, char *err, size_t ecap)
{
    int want = cap > INT_MAX ? INT_MAX : (int)cap;

    *got = 0;
    for (;;) {
        bool retry;
        errno = 0;
        ERR_clear_error();
        int n = SSL_read(t->ssl, buf, want);
        if (n > 0) {
            *got = (size_t)n;
            return VIGIL_OK;
        }
        enum vigil_status st = ssl_wait(t, n, deadline, &retry);
        if (!retry)
            return ssl_failure(t, n, "while reading", err, ecap);
        if (st != VIGIL_OK) {
            snprintf(err, ecap,
                     st == VIGIL_E_DEADLINE ? "timed out waiting for the server"
                                            : "poll failed while reading");
            return st;
        }
    }
}

enum vigil_status client_tls_write(struct client_tls *t, const void *buf, size_t len, size_t *done,
                                   int64_t deadline, char *err, size_t ecap)
{
    const char *p = buf;

    *done = 0;
    while (*done < len) {
        bool retry;
        size_t left = len - *done;
        errno = 0;
        ERR_clear_error();
        int n = SSL_write(t->ssl, p + *done, left > INT_MAX ? INT_MAX : (int)left);
        if (n > 0) {
            *done += (size_t)n;
            continue;
        }
        enum vigil_status st = ssl_wait(t, n, deadline, &retry);
        if (!retry)
            return ssl_failure(t, n, "while writing", err, ecap);
        if (st != VIGIL_OK) {
            snprintf(err, ecap,
                     st == VIGIL_E_DEADLINE ? "timed out sending to the server"
                                            : "poll failed while writing");
            return st;
        }
    }
    return VIGIL_OK;
}

void client_tls_clear(struct client_tls *t)
{
    if (t->ssl != NULL && !t->fatal && SSL_is_init_finished(t->ssl)) {
        /* One attempt, no wait: the socket is closed right after anyway. */
        (void)SSL_shutdown(t->ssl);
    }
    ERR_clear_error();
    SSL_free(t->ssl);
    BIO_meth_free(t->method);
    SSL_CTX_free(t->ctx);
    if (t->fd >= 0)
        close(t->fd);
    client_tls_init(t);
}
