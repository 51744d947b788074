/* conn: a client connection's TLS bufferevent, state machine, timeouts and
 * output back-pressure (see conn.h). */
#include "conn.h"
#include "call.h"
#include "config.h"
#include "h2.h"
#include "log.h"
#include "server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Stop producing frames while this much output waits for the socket: a
 * client that does not read cannot make us buffer without bound. */
#define OUTPUT_HIGH_WATER (64 * 1024)

static const char *const state_names[] = {"handshake", "active", "draining", "closed"};

uint64_t conn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void conn_set_state(struct conn *c, enum conn_state state)
{
    if (c->state == state)
        return;
    log_debug("msg=\"connection state\" conn=%llu from=%s to=%s", (unsigned long long)c->id_num,
              state_names[c->state], state_names[state]);
    c->state = state;
}

static void format_peer(char *out, size_t cap, const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%d", host, port);
    } else {
        snprintf(out, cap, "unix");
    }
}

void conn_close(struct conn *c, const char *reason)
{
    if (c->state == CONN_CLOSED)
        return;
    log_debug("msg=\"connection closed\" conn=%llu peer=%s reason=%s calls=%d",
              (unsigned long long)c->id_num, c->peer, log_quote(reason), c->open_calls);
    conn_set_state(c, CONN_CLOSED);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    server_conn_closed(c->srv, c);
}

void conn_free(struct conn *c)
{
    /* nghttp2_session_del does not report stream closes: end calls first so
     * their pending database work is cancelled and access lines written. */
    while (c->calls != NULL)
        call_on_close(c->calls, NGHTTP2_CANCEL);
    if (c->h2 != NULL)
        h2_free(c);
    bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE: frees the SSL and the socket */
    free(c);
}

/* Whether the connection has nothing left to do: nghttp2 is done with the
 * session, or a draining connection has answered its last call; and all
 * output has left. */
static bool finished(struct conn *c)
{
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) != 0 ||
        nghttp2_session_want_write(c->h2))
        return false;
    if (!nghttp2_session_want_read(c->h2))
        return true;
    return c->state == CONN_DRAINING && c->open_calls == 0;
}

void conn_flush(struct conn *c)
{
    struct evbuffer *out;

    if (c->state == CONN_CLOSED || c->h2 == NULL)
        return;
    if (c->in_feed) {
        c->want_flush = true; /* the read callback flushes once nghttp2 returns */
        return;
    }
    out = bufferevent_get_output(c->bev);
    c->want_flush = false;
    while (evbuffer_get_length(out) < OUTPUT_HIGH_WATER) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->h2, &data);
        if (n < 0) {
            conn_close(c, nghttp2_strerror((int)n));
            return;
        }
        if (n == 0)
            break;
        if (bufferevent_write(c->bev, data, (size_t)n) != 0) {
            conn_close(c, "cannot buffer output");
            return;
        }
    }
    if (evbuffer_get_length(out) >= OUTPUT_HIGH_WATER)
        c->want_flush = true; /* resumed by the write callback */
    if (finished(c))
        conn_close(c, c->state == CONN_DRAINING ? "drained" : "session ended");
}

static void readcb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    bool ok = true;

    while (ok && evbuffer_get_length(in) > 0 && c->state != CONN_CLOSED) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        c->in_feed = true;
        ok = h2_feed(c, v.iov_base, v.iov_len);
        c->in_feed = false;
        evbuffer_drain(in, v.iov_len);
    }
    if (!ok) {
        conn_flush(c); /* queue nghttp2's GOAWAY before closing */
        conn_close(c, "protocol error");
        return;
    }
    if (c->state == CONN_HANDSHAKE)
        conn_set_state(c, CONN_ACTIVE); /* the client preface was accepted */
    conn_flush(c);
}

static void writecb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    conn_flush(c);
}

static void log_tls_failure(struct conn *c, short what)
{
    unsigned long e;
    char reason[160] = "connection closed";
    /* libevent also queues bare SSL_get_error() codes (library 0); only
     * OpenSSL's own error codes carry a readable reason. */
    while ((e = bufferevent_get_openssl_error(c->bev)) != 0) {
        if (ERR_GET_LIB(e) != 0)
            ERR_error_string_n(e, reason, sizeof(reason));
    }
    log_info("msg=\"TLS handshake failed\" conn=%llu peer=%s%s reason=%s",
             (unsigned long long)c->id_num, c->peer, c->is_public ? " listener=public" : "",
             log_quote(reason));
}

static void handshake_done(struct conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (!tls_alpn_is_h2(ssl)) {
        log_info("msg=\"refusing connection without ALPN h2\" conn=%llu peer=%s",
                 (unsigned long long)c->id_num, c->peer);
        conn_close(c, "no ALPN h2");
        return;
    }
    tls_peer_identity(ssl, &c->id);
    if (!h2_start(c, server_config(c->srv))) {
        conn_close(c, "cannot start HTTP/2");
        return;
    }
    log_debug("msg=\"TLS established\" conn=%llu peer=%s version=%s cert_sha256=%s subject=%s",
              (unsigned long long)c->id_num, c->peer, SSL_get_version(ssl),
              c->id.present ? c->id.sha256 : "-", c->id.present ? log_quote(c->id.subject) : "-");
    conn_flush(c);
}

static void eventcb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;

    if (what & BEV_EVENT_CONNECTED) {
        handshake_done(c);
        return;
    }
    if (c->h2 == NULL && (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
        log_tls_failure(c, what);
    conn_close(c, (what & BEV_EVENT_EOF) ? "peer closed" : "socket error");
}

struct conn *conn_new(struct server *srv, int fd, SSL *ssl, const struct sockaddr *addr,
                      bool is_public)
{
    static uint64_t next_id;
    struct conn *c = xcalloc(1, sizeof(*c));

    c->srv = srv;
    c->is_public = is_public;
    c->id_num = ++next_id;
    c->accepted_us = c->last_active_us = conn_now_us();
    format_peer(c->peer, sizeof(c->peer), addr);
    c->bev = bufferevent_openssl_socket_new(server_base(srv), fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (c->bev == NULL) {
        log_error("msg=\"cannot create TLS bufferevent\" peer=%s", c->peer);
        SSL_free(ssl);
        close(fd);
        free(c);
        return NULL;
    }
    /* A peer that closes without close_notify is normal for HTTP/2 clients. */
    bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    bufferevent_setcb(c->bev, readcb, writecb, eventcb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    server_conn_add(srv, c);
    return c;
}

void conn_drain(struct conn *c)
{
    if (c->state == CONN_HANDSHAKE || c->h2 == NULL) {
        conn_close(c, "shutting down");
        return;
    }
    if (c->state != CONN_ACTIVE)
        return;
    nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
    conn_set_state(c, CONN_DRAINING);
    call_server_draining(c->calls);
    conn_flush(c);
}

void conn_check_timeouts(struct conn *c, uint64_t now_us)
{
    const struct config *cfg = server_config(c->srv);

    if (c->state == CONN_HANDSHAKE &&
        now_us - c->accepted_us > (uint64_t)cfg->handshake_timeout_ms * 1000u) {
        log_info("msg=\"handshake timeout\" conn=%llu peer=%s", (unsigned long long)c->id_num,
                 c->peer);
        conn_close(c, "handshake timeout");
        return;
    }
    /* Idle means no call is being served: no stream, or only requests still
     * trickling in. A client dribbling a request is dropped like a silent one. */
    if ((c->state == CONN_ACTIVE || c->state == CONN_DRAINING) &&
        now_us - c->last_active_us > (uint64_t)cfg->idle_timeout_ms * 1000u &&
        !call_any_served(c->calls)) {
        log_info("msg=\"idle timeout\" conn=%llu peer=%s calls=%d", (unsigned long long)c->id_num,
                 c->peer, c->open_calls);
        conn_close(c, "idle timeout");
    }
}
