/* call: one gRPC call on one HTTP/2 stream: request validation, deadline,
 * dispatch through the method table, and the response (see call.h). */
#include "call.h"
#include "auth.h"
#include "conn.h"
#include "log.h"
#include "pbcheck.h"
#include "rpc.h"
#include "server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum call_state {
    CALL_HEADERS,    /* receiving the header block */
    CALL_RECEIVING,  /* receiving the request message */
    CALL_DISPATCHED, /* identity lookup or handler at work */
    CALL_ANSWERED,   /* response submitted; waiting for the stream to close */
};

struct call {
    struct conn *conn; /* owner; the call never outlives it */
    int32_t stream_id;
    enum call_state state;
    const struct rpc_method *method; /* NULL until the path is known and served */
    char path[128];                  /* :path, cut for logs */
    bool is_post;                    /* :method was POST */
    bool grpc_content;               /* content-type is application/grpc[+proto] */
    bool has_path;
    bool headers_too_large;        /* header list above max_header_list_size */
    bool request_ended;            /* END_STREAM received */
    size_t header_bytes;           /* as counted by RFC 7541 (name + value + 32) */
    int64_t timeout_us;            /* grpc-timeout, 0 = none */
    struct event *deadline;        /* fires DEADLINE_EXCEEDED; NULL without timeout */
    struct grpcwire_reader reader; /* the request message */
    ProtobufCMessage *request;     /* decoded request, owned */
    struct call_identity identity; /* resolved before the handler runs */
    struct pool_query *query;      /* statement in flight, cancelled if the call ends */
    call_query_cb query_cb;        /* its continuation */
    uint8_t *out;                  /* framed response messages not yet taken by nghttp2 */
    size_t out_len, out_off, out_cap;
    bool headers_sent;      /* response HEADERS submitted (data provider attached) */
    bool data_deferred;     /* read_body said DEFERRED: resume on new data */
    bool trailers_due;      /* status decided: trailers follow the queued data */
    struct evbuffer *in;    /* request stream: bytes received, not yet delivered */
    size_t in_unconsumed;   /* of those, not yet returned to the HTTP/2 window */
    ProtobufCMessage *msg;  /* request stream: the message last delivered, owned */
    call_message_cb msg_cb; /* request stream: a message was asked for */
    call_event_cb drain_cb; /* wakes the producer when the queue has room */
    struct event *kick;     /* delivers msg_cb / drain_cb from the loop */
    void *hstate;           /* the handler's state, freed by hstate_free at the end */
    void (*hstate_free)(void *);
    bool long_lived;          /* ended with UNAVAILABLE when the server drains */
    bool shutdown_due;        /* the server drains: end it from the loop */
    int status;               /* grpc-status sent, -1 before */
    char *status_msg;         /* grpc-message sent (plain text), owned */
    uint64_t start_us;        /* for the access line */
    struct call *prev, *next; /* conn's list of live calls */
};

/* Static header strings are passed without copies. */
#define NV_STATIC(n, v)                                                                            \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,                              \
            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE                           \
    }

static void deadline_fired(evutil_socket_t fd, short what, void *arg);
static void kick_fired(evutil_socket_t fd, short what, void *arg);
static void kick(struct call *c);
static void end_work(struct call *c);

struct call *call_new(struct conn *conn, int32_t stream_id)
{
    struct call *c = xcalloc(1, sizeof(*c));
    c->conn = conn;
    c->stream_id = stream_id;
    c->status = -1;
    c->start_us = conn_now_us();
    grpcwire_reader_init(&c->reader, (size_t)server_config(conn->srv)->max_message_size);
    c->next = conn->calls;
    if (conn->calls)
        conn->calls->prev = c;
    conn->calls = c;
    conn->open_calls++;
    conn->last_active_us = c->start_us;
    return c;
}

static bool header_is(const uint8_t *name, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

static bool content_type_ok(const uint8_t *v, size_t len)
{
    static const char base[] = "application/grpc";
    size_t blen = sizeof(base) - 1;
    if (len < blen || memcmp(v, base, blen) != 0)
        return false;
    if (len == blen || v[blen] == ';')
        return true;
    return len >= blen + 6 && memcmp(v + blen, "+proto", 6) == 0 &&
           (len == blen + 6 || v[blen + 6] == ';');
}

void call_on_header(struct call *c, const uint8_t *name, size_t namelen, const uint8_t *value,
                    size_t valuelen)
{
    c->header_bytes += namelen + valuelen + 32;
    if (c->header_bytes > (size_t)server_config(c->conn->srv)->max_header_list_size) {
        c->headers_too_large = true;
        return;
    }
    if (header_is(name, namelen, ":method")) {
        c->is_post = valuelen == 4 && memcmp(value, "POST", 4) == 0;
    } else if (header_is(name, namelen, ":path")) {
        size_t n = valuelen < sizeof(c->path) - 1 ? valuelen : sizeof(c->path) - 1;
        memcpy(c->path, value, n);
        c->path[n] = '\0';
        c->has_path = true;
        c->method = rpc_find((const char *)value, valuelen);
    } else if (header_is(name, namelen, "content-type")) {
        c->grpc_content = content_type_ok(value, valuelen);
    } else if (header_is(name, namelen, "grpc-timeout")) {
        if (!grpcwire_timeout_parse((const char *)value, valuelen, &c->timeout_us))
            c->timeout_us = -1; /* malformed: answered when the headers end */
    }
}

/* Answers with HTTP-level refusal for requests that are not gRPC at all. */
static void answer_http(struct call *c, const char *status, const char *why)
{
    nghttp2_nv nva[] = {
        {(uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NO_COPY_NAME},
        NV_STATIC("content-type", "text/plain"),
    };
    c->state = CALL_ANSWERED;
    c->status = GRPC_UNIMPLEMENTED;
    c->status_msg = xstrdup(why);
    if (nghttp2_submit_response(c->conn->h2, c->stream_id, nva, 2, NULL) != 0)
        conn_close(c->conn, "cannot submit response");
    conn_flush(c->conn);
}

void call_on_headers_done(struct call *c)
{
    const struct config *cfg = server_config(c->conn->srv);

    c->state = CALL_RECEIVING;
    if (!c->is_post) {
        answer_http(c, "405", "not a POST request");
    } else if (!c->grpc_content) {
        answer_http(c, "415", "content-type is not application/grpc");
    } else if (c->headers_too_large) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "request headers exceed max_header_list_size (%d)",
                  cfg->max_header_list_size);
    } else if (c->timeout_us < 0) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "grpc-timeout: malformed value");
    } else if (c->method == NULL) {
        call_fail(c, GRPC_UNIMPLEMENTED, "unknown method %s", c->has_path ? c->path : "(no path)");
        return;
    } else if (c->timeout_us > 0) {
        struct timeval tv = {c->timeout_us / 1000000, c->timeout_us % 1000000};
        c->deadline = evtimer_new(server_base(c->conn->srv), deadline_fired, c);
        if (c->deadline == NULL || evtimer_add(c->deadline, &tv) != 0) {
            log_error("msg=\"cannot arm deadline timer\" method=%s", c->path);
            call_fail(c, GRPC_INTERNAL, "cannot arm deadline");
            return;
        }
    }
    if (c->state == CALL_RECEIVING && c->method->stream_request) {
        /* Request streams are served as their messages come: identify the
         * caller now; the handler pulls messages with call_next_message. */
        c->in = evbuffer_new();
        if (c->in == NULL) {
            call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory for the request stream");
            return;
        }
        c->state = CALL_DISPATCHED;
        auth_resolve(c, c->conn);
    }
}

static void fail_read(struct call *c, enum grpcwire_read r)
{
    const struct config *cfg = server_config(c->conn->srv);
    switch (r) {
    case GRPCWIRE_COMPRESSED:
        call_fail(c, GRPC_UNIMPLEMENTED,
                  "compressed messages are not supported; send identity encoding");
        break;
    case GRPCWIRE_TOO_LARGE:
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "request message exceeds max_message_size (%d bytes)",
                  cfg->max_message_size);
        break;
    case GRPCWIRE_BAD_FLAG:
        call_fail(c, GRPC_INTERNAL, "malformed gRPC message prefix");
        break;
    default:
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory for the request");
        break;
    }
}

size_t call_on_data(struct call *c, const uint8_t *data, size_t len)
{
    size_t used;
    if (c->state == CALL_ANSWERED || (c->state != CALL_RECEIVING && c->in == NULL))
        return len; /* answered early: the rest of the request is dropped */
    if (c->in != NULL) {
        /* A request stream: kept until the handler asks for it, and only
         * then given back to the window, so a client sending faster than
         * the handler works is held back by HTTP/2 flow control. */
        if (evbuffer_add(c->in, data, len) != 0) {
            call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory for the request stream");
            return len;
        }
        c->in_unconsumed += len;
        if (c->msg_cb != NULL)
            kick(c);
        return 0;
    }
    enum grpcwire_read r = grpcwire_reader_feed(&c->reader, data, len, &used);
    if (r == GRPCWIRE_MESSAGE && used < len)
        call_fail(c, GRPC_INVALID_ARGUMENT, "a unary call carries exactly one request message");
    else if (r != GRPCWIRE_MESSAGE && r != GRPCWIRE_NEED_MORE)
        fail_read(c, r);
    return len;
}

bool call_any_served(const struct call *list)
{
    for (const struct call *c = list; c != NULL; c = c->next) {
        if (c->state == CALL_DISPATCHED || c->state == CALL_ANSWERED)
            return true;
    }
    return false;
}

bool call_request_ended(const struct call *c)
{
    return c->request_ended;
}

void call_on_request_end(struct call *c)
{
    size_t len;

    c->request_ended = true;
    if (c->in != NULL) {
        if (c->msg_cb != NULL)
            kick(c);
        return;
    }
    if (c->state != CALL_RECEIVING)
        return;
    const uint8_t *msg = grpcwire_reader_message(&c->reader, &len);
    if (msg == NULL) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request has no message");
        return;
    }
    c->request = protobuf_c_message_unpack(c->method->request, NULL, len, msg);
    if (c->request == NULL) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request is not a valid %s message",
                  c->method->request->name);
        return;
    }
    char why[300];
    if (!pbcheck_strings(c->method->request, msg, len, why, sizeof(why))) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "%s", why);
        return;
    }
    c->state = CALL_DISPATCHED;
    auth_resolve(c, c->conn);
}

const struct rpc_method *call_method(const struct call *c)
{
    return c->method;
}

struct call_identity *call_identity_mut(struct call *c)
{
    return &c->identity;
}

void call_dispatch(struct call *c)
{
    c->method->handler(c);
}

static void end_work(struct call *c)
{
    c->msg_cb = NULL;
    c->drain_cb = NULL;
    if (c->hstate_free != NULL) {
        void (*fn)(void *) = c->hstate_free;
        void *state = c->hstate;
        c->hstate_free = NULL;
        c->hstate = NULL;
        fn(state);
    }
    if (c->query != NULL) {
        pool_cancel(c->query);
        c->query = NULL;
    }
    if (c->deadline != NULL) {
        event_free(c->deadline);
        c->deadline = NULL;
    }
}

static void deadline_fired(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;
    call_fail(c, GRPC_DEADLINE_EXCEEDED, "deadline of %lld ms exceeded",
              (long long)(c->timeout_us / 1000));
}

static const char *role_name(enum call_role r)
{
    static const char *const names[] = {"none", "regional", "central", "partner", "anonymous"};
    return names[r];
}

static void access_line(struct call *c, uint32_t error_code)
{
    const struct config *cfg = server_config(c->conn->srv);
    if (!cfg->log_access || !log_enabled(LOGL_INFO))
        return;
    uint64_t us = conn_now_us() - c->start_us;
    int status = c->status >= 0 ? c->status : GRPC_CANCELLED;
    log_write(LOGL_INFO,
              "msg=rpc method=%s status=%s duration_ms=%llu.%03llu office=%s role=%s peer=%s "
              "conn=%llu%s",
              c->has_path ? log_quote(c->path) : "-", grpcwire_code_name(status),
              (unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
              c->identity.office[0] ? log_quote(c->identity.office) : "-",
              role_name(c->identity.role), c->conn->peer, (unsigned long long)c->conn->id_num,
              error_code ? " reset=1" : "");
}

void call_on_close(struct call *c, uint32_t error_code)
{
    struct conn *conn = c->conn;

    end_work(c);
    access_line(c, error_code);
    if (c->prev)
        c->prev->next = c->next;
    else
        conn->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    conn->open_calls--;
    conn->last_active_us = conn_now_us();
    grpcwire_reader_clear(&c->reader);
    if (c->request)
        protobuf_c_message_free_unpacked(c->request, NULL);
    if (c->msg)
        protobuf_c_message_free_unpacked(c->msg, NULL);
    if (c->in != NULL) {
        /* Bytes never delivered still count against the connection window. */
        if (c->in_unconsumed > 0 && conn->state != CONN_CLOSED && conn->h2 != NULL)
            nghttp2_session_consume_connection(conn->h2, c->in_unconsumed);
        evbuffer_free(c->in);
    }
    if (c->kick)
        event_free(c->kick);
    free(c->out);
    free(c->status_msg);
    free(c);
}

const ProtobufCMessage *call_request(const struct call *c)
{
    return c->request;
}

const char *call_peer(const struct call *c)
{
    return c->conn->peer;
}

const struct call_identity *call_identity(const struct call *c)
{
    return &c->identity;
}

static int submit_trailers(struct call *c)
{
    char status[12], msg[1024];
    snprintf(status, sizeof(status), "%d", c->status);
    size_t mlen =
        grpcwire_message_encode(c->status_msg ? c->status_msg : "",
                                c->status_msg ? strlen(c->status_msg) : 0, msg, sizeof(msg));
    nghttp2_nv nva[] = {
        {(uint8_t *)"grpc-status", (uint8_t *)status, 11, strlen(status),
         NGHTTP2_NV_FLAG_NO_COPY_NAME},
        {(uint8_t *)"grpc-message", (uint8_t *)msg, 12, mlen, NGHTTP2_NV_FLAG_NO_COPY_NAME},
    };
    return nghttp2_submit_trailer(c->conn->h2, c->stream_id, nva, mlen ? 2 : 1);
}

static size_t out_pending(const struct call *c)
{
    return c->out_len - c->out_off;
}

/* Wakes the handler from the loop, never from inside nghttp2 or the
 * handler's own stack (it may be in the middle of producing). */
static void kick(struct call *c)
{
    if (c->kick == NULL) {
        c->kick = event_new(server_base(c->conn->srv), -1, 0, kick_fired, c);
        if (c->kick == NULL) {
            conn_close(c->conn, "out of memory for a call event");
            return;
        }
    }
    event_active(c->kick, EV_TIMEOUT, 1);
}

/* nghttp2 pulls the queued messages as flow control allows. With nothing
 * queued the stream is parked (DEFERRED) until more comes or the status is
 * decided; the trailers follow the last byte. */
static ssize_t read_body(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *user_data)
{
    struct call *c = src->ptr;
    size_t n = out_pending(c);
    if (n == 0 && !c->trailers_due) {
        c->data_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (n > len)
        n = len;
    if (n > 0) /* none when a stream ends without messages (c->out may be NULL) */
        memcpy(buf, c->out + c->out_off, n);
    c->out_off += n;
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->drain_cb != NULL && out_pending(c) < CALL_SEND_LOW_WATER)
        kick(c);
    if (out_pending(c) == 0 && c->trailers_due) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (submit_trailers(c) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

/* Sends HEADERS with a data provider on first use; afterwards wakes a
 * parked stream. Then lets the connection write. */
static void push_out(struct call *c)
{
    static const nghttp2_nv nva[] = {
        NV_STATIC(":status", "200"),
        NV_STATIC("content-type", "application/grpc"),
    };
    if (!c->headers_sent) {
        nghttp2_data_provider prd = {.source.ptr = c, .read_callback = read_body};
        c->headers_sent = true;
        if (nghttp2_submit_response(c->conn->h2, c->stream_id, nva, 2, &prd) != 0)
            conn_close(c->conn, "cannot submit response");
    } else if (c->data_deferred) {
        c->data_deferred = false;
        if (nghttp2_session_resume_data(c->conn->h2, c->stream_id) != 0)
            conn_close(c->conn, "cannot resume response data");
    }
    conn_flush(c->conn);
}

/* Appends one framed message of len bytes to the queue and returns where
 * its body goes, or NULL (call failed) when it is over max_message_size. */
static uint8_t *out_reserve(struct call *c, size_t len)
{
    if (len > (size_t)server_config(c->conn->srv)->max_message_size) {
        call_fail(c, GRPC_RESOURCE_EXHAUSTED, "response exceeds max_message_size");
        return NULL;
    }
    size_t need = GRPCWIRE_PREFIX_LEN + len;
    if (c->out_off > 0 && c->out_len + need > c->out_cap) {
        memmove(c->out, c->out + c->out_off, out_pending(c));
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + need)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (p == NULL) {
            call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory for the response");
            return NULL;
        }
        c->out = p;
        c->out_cap = cap;
    }
    uint8_t *at = c->out + c->out_len;
    grpcwire_prefix_encode(at, (uint32_t)len);
    c->out_len += need;
    return at + GRPCWIRE_PREFIX_LEN;
}

static bool send_packed(struct call *c, const ProtobufCMessage *msg, const void *bytes, size_t len)
{
    if (c->state == CALL_ANSWERED)
        return false;
    uint8_t *body = out_reserve(c, len);
    if (body == NULL)
        return false;
    if (msg != NULL)
        protobuf_c_message_pack(msg, body);
    else
        memcpy(body, bytes, len);
    return true;
}

/* Decides the status OK and lets the queued messages and trailers go. */
static void finish_ok(struct call *c)
{
    end_work(c);
    c->state = CALL_ANSWERED;
    c->status = GRPC_OK;
    c->trailers_due = true;
    push_out(c);
}

void call_reply(struct call *c, const ProtobufCMessage *resp)
{
    if (send_packed(c, resp, NULL, protobuf_c_message_get_packed_size(resp)))
        finish_ok(c);
}

void call_reply_bytes(struct call *c, const void *msg, size_t len)
{
    if (send_packed(c, NULL, msg, len))
        finish_ok(c);
}

bool call_send(struct call *c, const ProtobufCMessage *msg)
{
    if (!send_packed(c, msg, NULL, protobuf_c_message_get_packed_size(msg)))
        return false;
    push_out(c);
    return c->state != CALL_ANSWERED;
}

size_t call_send_pending(const struct call *c)
{
    return out_pending(c);
}

void call_on_drain(struct call *c, call_event_cb cb)
{
    c->drain_cb = cb;
    if (out_pending(c) < CALL_SEND_LOW_WATER)
        kick(c);
}

void call_finish(struct call *c)
{
    if (c->state != CALL_ANSWERED)
        finish_ok(c);
}

struct dbconn *call_stream_db(struct call *c, const char *app_name)
{
    return server_stream_db(c->conn->srv, app_name);
}

struct cache *call_cache(const struct call *c)
{
    return server_cache(c->conn->srv);
}

void call_fail(struct call *c, enum grpc_code code, const char *fmt, ...)
{
    char text[512], status[12], msg[1024];
    va_list ap;

    if (c->state == CALL_ANSWERED)
        return;
    end_work(c);
    c->state = CALL_ANSWERED;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    c->status = code;
    c->status_msg = xstrdup(text);
    if (c->headers_sent) {
        /* A stream under way: the messages already queued go first. */
        c->trailers_due = true;
        push_out(c);
        return;
    }
    snprintf(status, sizeof(status), "%d", (int)code);
    size_t mlen = grpcwire_message_encode(text, strlen(text), msg, sizeof(msg));
    nghttp2_nv nva[] = {
        NV_STATIC(":status", "200"),
        NV_STATIC("content-type", "application/grpc"),
        {(uint8_t *)"grpc-status", (uint8_t *)status, 11, strlen(status),
         NGHTTP2_NV_FLAG_NO_COPY_NAME},
        {(uint8_t *)"grpc-message", (uint8_t *)msg, 12, mlen, NGHTTP2_NV_FLAG_NO_COPY_NAME},
        NV_STATIC("grpc-accept-encoding", "identity"),
    };
    /* Trailers-only response: one HEADERS frame ending the stream. */
    size_t n = code == GRPC_UNIMPLEMENTED ? 5 : 4;
    c->headers_sent = true;
    if (nghttp2_submit_response(c->conn->h2, c->stream_id, nva, n, NULL) != 0)
        conn_close(c->conn, "cannot submit response");
    conn_flush(c->conn);
}

/* The next request message of a stream, when it is complete in c->in:
 * decoded into c->msg and its bytes given back to the window. Returns false
 * when none is complete yet; fails the call on a malformed one. */
static bool take_message(struct call *c)
{
    uint8_t prefix[GRPCWIRE_PREFIX_LEN];
    size_t have = evbuffer_get_length(c->in);
    if (have < sizeof(prefix))
        return false;
    evbuffer_copyout(c->in, prefix, sizeof(prefix));
    if (prefix[0] != 0) {
        fail_read(c, prefix[0] == 1 ? GRPCWIRE_COMPRESSED : GRPCWIRE_BAD_FLAG);
        return false;
    }
    size_t len = (size_t)prefix[1] << 24 | (size_t)prefix[2] << 16 | (size_t)prefix[3] << 8 |
                 (size_t)prefix[4];
    if (len > (size_t)server_config(c->conn->srv)->max_message_size) {
        fail_read(c, GRPCWIRE_TOO_LARGE);
        return false;
    }
    if (have < sizeof(prefix) + len)
        return false;
    evbuffer_drain(c->in, sizeof(prefix));
    const uint8_t *body = len ? evbuffer_pullup(c->in, (ev_ssize_t)len) : (const uint8_t *)"";
    if (c->msg)
        protobuf_c_message_free_unpacked(c->msg, NULL);
    c->msg = protobuf_c_message_unpack(c->method->request, NULL, len, body);
    char why[300];
    bool ok = c->msg != NULL && pbcheck_strings(c->method->request, body, len, why, sizeof(why));
    evbuffer_drain(c->in, len);
    size_t used = sizeof(prefix) + len;
    c->in_unconsumed -= used;
    if (nghttp2_session_consume(c->conn->h2, c->stream_id, used) != 0)
        conn_close(c->conn, "cannot update the flow-control window");
    conn_flush(c->conn);
    if (c->msg == NULL) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "request is not a valid %s message",
                  c->method->request->name);
        return false;
    }
    if (!ok) {
        call_fail(c, GRPC_INVALID_ARGUMENT, "%s", why);
        return false;
    }
    return true;
}

static void kick_fired(evutil_socket_t fd, short what, void *arg)
{
    struct call *c = arg;

    if (c->state == CALL_ANSWERED)
        return;
    if (c->shutdown_due) {
        call_fail(c, GRPC_UNAVAILABLE,
                  "server shutting down; reconnect and resume from your last cursor");
        return;
    }
    if (c->msg_cb != NULL) {
        call_message_cb cb = c->msg_cb;
        if (take_message(c)) {
            c->msg_cb = NULL;
            cb(c, c->msg);
            return; /* the handler asks again; a drain wakes it anyway */
        }
        if (c->state == CALL_ANSWERED)
            return;
        if (c->request_ended) {
            if (evbuffer_get_length(c->in) != 0) {
                call_fail(c, GRPC_INTERNAL, "request stream ends inside a message");
                return;
            }
            c->msg_cb = NULL;
            cb(c, NULL);
            return;
        }
    }
    if (c->drain_cb != NULL && out_pending(c) < CALL_SEND_LOW_WATER) {
        call_event_cb cb = c->drain_cb;
        c->drain_cb = NULL;
        cb(c);
    }
}

void call_next_message(struct call *c, call_message_cb cb)
{
    if (c->state == CALL_ANSWERED || c->in == NULL)
        return;
    c->msg_cb = cb;
    kick(c);
}

void call_set_state(struct call *c, void *state, void (*free_state)(void *state))
{
    c->hstate = state;
    c->hstate_free = free_state;
}

void *call_state(const struct call *c)
{
    return c->hstate;
}

void call_set_long_lived(struct call *c)
{
    c->long_lived = true;
}

void call_server_draining(struct call *list)
{
    struct call *next;
    for (struct call *c = list; c != NULL; c = next) {
        next = c->next;
        if (c->long_lived && c->state != CALL_ANSWERED) {
            c->shutdown_due = true;
            kick(c); /* not here: failing may flush and close other calls of the list */
        }
    }
}

static void query_done(void *arg, enum pool_result result, const PGresult *res, const char *msg)
{
    struct call *c = arg;
    c->query = NULL;
    c->query_cb(c, result, res, msg);
}

void call_query(struct call *c, const char *sql, int nparams, const char *const *params,
                call_query_cb cb)
{
    c->query_cb = cb;
    c->query = pool_query(server_pool(c->conn->srv), sql, nparams, params, query_done, c);
}

void call_fail_db(struct call *c, enum pool_result result, const char *msg)
{
    if (result == POOL_UNAVAILABLE) {
        call_fail(c, GRPC_UNAVAILABLE, "database unavailable; retry later");
        return;
    }
    log_error("msg=\"database error\" method=%s error=%s", c->path, log_quote(msg));
    call_fail(c, GRPC_INTERNAL, "internal database error");
}
