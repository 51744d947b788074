/* client_tls: libvigil's TLS connection. Builds a strict client context (TLS 1.2+,
 * server certificate verified against the CA, host name or IP checked, SNI,
 * ALPN "h2" required, optional client certificate) and offers blocking reads
 * and writes bounded by deadlines over a non-blocking socket.
 *
 * Writes go through send(MSG_NOSIGNAL) (a small BIO of our own), so a peer
 * that closes the connection never raises SIGPIPE in the caller's process. */
#ifndef VIGIL_CLIENT_TLS_H
#define VIGIL_CLIENT_TLS_H

#include "vigil.h"

#include <openssl/ssl.h>
#include <stdint.h>

struct client_tls {
    SSL_CTX *ctx;       /* owned; one per connection, so there is no shared state */
    SSL *ssl;           /* owned; frees its BIO */
    BIO_METHOD *method; /* owned; the send/recv BIO type, freed after ssl */
    int fd;             /* owned socket; -1 when none */
    bool fatal;         /* a fatal TLS or socket error happened: no close_notify */
    bool eof;           /* the server closed the connection (cleanly or not) */
};

/* Makes t empty (no socket) so that client_tls_clear() is always safe. */
void client_tls_init(struct client_tls *t);

/* Takes ownership of the connected socket fd (even on failure; client_tls_clear()
 * closes it) and performs the handshake before the deadline. peer_name is the
 * name or IP literal the server certificate must match; a name is also sent
 * as SNI. The file names of opts are read now and not kept.
 * Errors: VIGIL_E_TLS (files, verification, handshake, ALPN, or the server
 * closing the connection during the handshake, which is how servers refuse
 * a client certificate under TLS 1.2), VIGIL_E_CONNECT (socket failure, or
 * the deadline passed), VIGIL_E_NOMEM; message in err. */
enum vigil_status client_tls_connect(struct client_tls *t, int fd, const struct vigil_options *opts,
                                     const char *peer_name, int64_t deadline, char *err,
                                     size_t cap);

/* Reads at least one byte (at most cap) before the deadline; *got receives
 * the count. Errors: VIGIL_E_DEADLINE (nothing read yet, the connection is
 * intact), VIGIL_E_CONNECT (closed or socket error), VIGIL_E_TLS (an alert
 * or a broken record, e.g. the server refused the client certificate). */
enum vigil_status client_tls_read(struct client_tls *t, void *buf, size_t cap, size_t *got,
                                  int64_t deadline, char *err, size_t ecap);

/* Writes len bytes before the deadline; *done receives how many were taken,
 * also on failure. After VIGIL_E_DEADLINE the caller must call client_tls_write again
 * with the remaining bytes (same content) before writing anything else: TLS
 * requires the interrupted record to be finished. Errors as client_tls_read(). */
enum vigil_status client_tls_write(struct client_tls *t, const void *buf, size_t len, size_t *done,
                                   int64_t deadline, char *err, size_t ecap);

/* Sends close_notify if the connection is healthy (without waiting for the
 * peer's), frees everything and closes the socket. Leaves t as client_tls_init(). */
void client_tls_clear(struct client_tls *t);

#endif
