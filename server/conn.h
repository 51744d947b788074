/* conn: one client connection: TLS through a bufferevent_openssl, then an
 * HTTP/2 session (h2.c) carrying gRPC calls (call.c). Owns the connection's
 * state machine, its timeouts and its deferred free: a connection closed
 * inside a callback is only marked, and freed by the server's reaper once
 * no frame on the stack can still use it. */
#ifndef VIGIL_CONN_H
#define VIGIL_CONN_H

#include "tls.h"

#include <event2/bufferevent.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>

struct call;
struct server;

enum conn_state {
    CONN_HANDSHAKE, /* TLS handshake and HTTP/2 preface not yet complete */
    CONN_ACTIVE,    /* serving calls */
    CONN_DRAINING,  /* GOAWAY sent: finishing the calls in flight */
    CONN_CLOSED,    /* waiting for the reaper */
};

struct conn {
    struct server *srv;       /* owner; outlives the connection */
    struct bufferevent *bev;  /* TLS bufferevent; frees its SSL and socket */
    nghttp2_session *h2;      /* NULL until the handshake completes */
    enum conn_state state;    /* changed only by conn_set_state() */
    bool is_public;           /* accepted on the public listener */
    bool want_flush;          /* output was held back by back-pressure */
    bool in_feed;             /* inside nghttp2_session_mem_recv: no sending now */
    struct call *calls;       /* live calls (call.c keeps the list) */
    struct tls_identity id;   /* the verified client certificate, if any */
    char peer[64];            /* "ip:port" for logs */
    uint64_t id_num;          /* connection number, for logs */
    uint64_t accepted_us;     /* monotonic time of accept */
    uint64_t last_active_us;  /* last call start or end; idle timeout base */
    int open_calls;           /* streams with a live struct call */
    struct conn *prev, *next; /* server's list (live or closed) */
};

/* Takes ownership of fd and ssl, starts the TLS handshake and the handshake
 * timer. Returns NULL (fd and ssl freed, reason logged) on failure. */
struct conn *conn_new(struct server *srv, int fd, SSL *ssl, const struct sockaddr *addr,
                      bool is_public);

/* The one place a connection's state changes; logs transitions at debug. */
void conn_set_state(struct conn *c, enum conn_state state);

/* Marks the connection closed (reason logged) and hands it to the reaper.
 * Safe from any callback; idempotent. */
void conn_close(struct conn *c, const char *reason);

/* Frees a closed connection: ends its calls, frees its session and socket.
 * Called only by the server's reaper. */
void conn_free(struct conn *c);

/* Sends what nghttp2 has queued, within the output back-pressure bound, and
 * closes the connection when the session is finished. */
void conn_flush(struct conn *c);

/* Starts a graceful close: GOAWAY with the last stream processed; calls in
 * flight finish, then the connection closes. */
void conn_drain(struct conn *c);

/* Applies timeouts at time now_us (monotonic); called by the janitor. */
void conn_check_timeouts(struct conn *c, uint64_t now_us);

/* Monotonic clock in microseconds. */
uint64_t conn_now_us(void);

#endif
