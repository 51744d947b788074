/* client_h2: the nghttp2 client session driven by blocking, deadline-bounded TLS
 * reads and writes; callbacks only record what arrived (see client_h2.h).
 * Received DATA is acknowledged by hand (no automatic WINDOW_UPDATE): at once
 * for unary calls and for streams no longer followed, as the application
 * reads for streaming calls (client_msgq). */
#include "client_h2.h"
#include "client_sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUF          16384
#define OUT_CHUNK         16384 /* serialise at least this much before writing */
#define CANCEL_GRACE_MS   500   /* time to get RST_STREAM out after a deadline */
#define STREAM_WINDOW     (1 << 20)
#define CONNECTION_WINDOW (16 << 20)

void client_h2_response_init(struct client_h2_response *r)
{
    memset(r, 0, sizeof(*r));
    grpcwire_reader_init(&r->reader, CLIENT_H2_MAX_MESSAGE);
}

void client_h2_response_clear(struct client_h2_response *r)
{
    free(r->grpc_status);
    free(r->grpc_message);
    grpcwire_reader_clear(&r->reader);
    client_h2_response_init(r);
}

/* ---- nghttp2 callbacks: record, never block ---- */

static struct client_h2_response *stream_resp(struct client_h2 *h, int32_t stream_id)
{
    return stream_id == h->stream_id ? h->resp : NULL;
}

static bool name_is(const uint8_t *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

/* Keeps the last value of a header; trailers override the first HEADERS. */
static bool keep_value(char **slot, const uint8_t *value, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL)
        return false;
    memcpy(copy, value, len);
    copy[len] = '\0';
    free(*slot);
    *slot = copy;
    return true;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    struct client_h2_response *r = stream_resp(user_data, frame->hd.stream_id);
    bool ok = true;

    if (r == NULL)
        return 0;
    if (name_is(name, namelen, ":status")) {
        /* nghttp2 has checked that :status is three digits. */
        r->http_status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    } else if (name_is(name, namelen, "grpc-status")) {
        ok = keep_value(&r->grpc_status, value, valuelen);
    } else if (name_is(name, namelen, "grpc-message")) {
        ok = keep_value(&r->grpc_message, value, valuelen);
    }
    if (!ok) {
        r->nomem = true;
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets this stream only */
    }
    return 0;
}

/* Too large, compressed or malformed: no use downloading the rest. If the
 * reset cannot be queued, the stream simply runs to its end. */
static void reject(nghttp2_session *s, int32_t stream_id)
{
    (void)nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
}

/* The single message of a unary call; returns how many bytes were read. */
static size_t unary_data(nghttp2_session *s, struct client_h2_response *r, int32_t stream_id,
                         const uint8_t *data, size_t len)
{
    size_t used = 0;

    if (r->read != GRPCWIRE_NEED_MORE) {
        r->extra_data = r->extra_data || r->read == GRPCWIRE_MESSAGE;
        return len;
    }
    r->read = grpcwire_reader_feed(&r->reader, data, len, &used);
    if (r->read == GRPCWIRE_MESSAGE && used < len)
        r->extra_data = true;
    if (r->read != GRPCWIRE_NEED_MORE && r->read != GRPCWIRE_MESSAGE)
        reject(s, stream_id);
    return len;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *user_data)
{
    struct client_h2 *h = user_data;
    struct client_h2_response *r = stream_resp(h, stream_id);
    size_t consume = len; /* what nobody will read is acknowledged at once */

    if (r != NULL && h->queue != NULL) {
        enum grpcwire_read rd = client_msgq_feed(h->queue, data, len, &consume);
        if (rd != GRPCWIRE_NEED_MORE && r->read == GRPCWIRE_NEED_MORE) {
            r->read = rd;
            reject(s, stream_id);
        }
    } else if (r != NULL) {
        consume = unary_data(s, r, stream_id, data, len);
    }
    if (consume > 0 && nghttp2_session_consume(s, stream_id, consume) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE; /* out of memory: the session cannot go on */
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    struct client_h2_response *r = stream_resp(user_data, stream_id);

    if (r != NULL) {
        r->ended = r->closed = true;
        r->close_code = error_code;
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    struct client_h2 *h = user_data;

    if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK))
        h->settings_seen = true;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        h->goaway = true;
        h->goaway_code = frame->goaway.error_code;
    }
    /* A server may end its side before we end ours (a streaming call): the
     * stream only closes once we end or reset it. */
    struct client_h2_response *r = stream_resp(h, frame->hd.stream_id);
    if (r != NULL && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA))
        r->ended = true;
    return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    struct client_h2 *h = user_data;

    /* We only send GOAWAY with an error when nghttp2 rejects the peer. */
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR)
        h->local_error = true;
    return 0;
}

static int on_error(nghttp2_session *s, int lib_error_code, const char *msg, size_t len,
                    void *user_data)
{
    struct client_h2 *h = user_data;

    snprintf(h->proto_err, sizeof(h->proto_err), "%.*s", (int)len, msg);
    return 0;
}

static ssize_t body_read(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct client_h2 *h = user_data;

    /* A stream abandoned (at its deadline) must not read a body that is gone. */
    if (stream_id != h->stream_id)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = h->body_len - h->body_off;
    if (n > length)
        n = length;
    if (n > 0)
        memcpy(buf, h->body + h->body_off, n);
    h->body_off += n;
    if (h->body_off == h->body_len && h->body_eof) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
        /* A streaming call between messages: client_h2_body() resumes it. */
        h->body_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* ---- pumping bytes ---- */

static enum vigil_status lib_failure(int rv, const char *what, char *err, size_t cap)
{
    snprintf(err, cap, "%s: %s", what, nghttp2_strerror(rv));
    return rv == NGHTTP2_ERR_NOMEM ? VIGIL_E_NOMEM : VIGIL_E_PROTOCOL;
}

static bool out_append(struct client_h2 *h, const uint8_t *p, size_t n)
{
    if (h->out_len + n > h->out_cap) {
        size_t cap = h->out_cap != 0 ? h->out_cap : OUT_CHUNK * 2;
        while (cap < h->out_len + n)
            cap *= 2;
        uint8_t *grown = realloc(h->out, cap);
        if (grown == NULL)
            return false;
        h->out = grown;
        h->out_cap = cap;
    }
    memcpy(h->out + h->out_len, p, n);
    h->out_len += n;
    return true;
}

/* Serialises pending frames into h->out, which must be fully written. */
static enum vigil_status out_fill(struct client_h2 *h, char *err, size_t cap)
{
    h->out_len = h->out_off = 0;
    while (h->out_len < OUT_CHUNK) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(h->session, &data);
        if (n < 0)
            return lib_failure((int)n, "cannot serialise HTTP/2 frames", err, cap);
        if (n == 0)
            break;
        if (!out_append(h, data, (size_t)n)) {
            snprintf(err, cap, "out of memory buffering HTTP/2 frames");
            return VIGIL_E_NOMEM;
        }
    }
    return VIGIL_OK;
}

/* Writes everything nghttp2 wants to send. Unfinished bytes stay in h->out
 * (a deadline), to be finished first by the next flush. */
static enum vigil_status flush(struct client_h2 *h, int64_t deadline, char *err, size_t cap)
{
    for (;;) {
        if (h->out_off == h->out_len) {
            enum vigil_status st = out_fill(h, err, cap);
            if (st != VIGIL_OK || h->out_len == 0)
                return st;
        }
        size_t done = 0;
        enum vigil_status st = client_tls_write(h->tls, h->out + h->out_off,
                                                h->out_len - h->out_off, &done, deadline, err, cap);
        h->out_off += done;
        if (st != VIGIL_OK)
            return st;
    }
}

static enum vigil_status read_some(struct client_h2 *h, int64_t deadline, char *err, size_t cap)
{
    uint8_t buf[READ_BUF];
    size_t got = 0;
    enum vigil_status st = client_tls_read(h->tls, buf, sizeof(buf), &got, deadline, err, cap);

    if (st != VIGIL_OK)
        return st;
    ssize_t rv = nghttp2_session_mem_recv(h->session, buf, got);
    if (rv < 0)
        return lib_failure((int)rv, "HTTP/2 session failed", err, cap);
    return VIGIL_OK;
}

/* Why nghttp2 wants no more input: we rejected the peer, or it said GOAWAY. */
static enum vigil_status session_over(struct client_h2 *h, char *err, size_t cap)
{
    if (h->local_error) {
        snprintf(err, cap, "server broke HTTP/2: %s",
                 h->proto_err[0] != '\0' ? h->proto_err : "protocol error");
        return VIGIL_E_PROTOCOL;
    }
    snprintf(err, cap, "server closed the connection (GOAWAY %s); connect again",
             nghttp2_http2_strerror(h->goaway_code));
    return VIGIL_E_CONNECT;
}

/* Sends and receives until done(h, arg) or a failure. */
static enum vigil_status pump(struct client_h2 *h,
                              bool (*done)(const struct client_h2 *h, const void *arg),
                              const void *arg, int64_t deadline, char *err, size_t cap)
{
    for (;;) {
        enum vigil_status st = flush(h, deadline, err, cap);
        if (st != VIGIL_OK)
            return st;
        if (done(h, arg))
            return VIGIL_OK;
        if (!nghttp2_session_want_read(h->session))
            return session_over(h, err, cap);
        if ((st = read_some(h, deadline, err, cap)) != VIGIL_OK)
            return st;
    }
}

static bool settings_done(const struct client_h2 *h, const void *arg)
{
    return h->settings_seen;
}

static bool stream_done(const struct client_h2 *h, const void *arg)
{
    return h->resp->closed;
}

/* ---- session ---- */

void client_h2_init(struct client_h2 *h)
{
    memset(h, 0, sizeof(*h));
    h->stream_id = -1;
}

static int session_new(struct client_h2 *h)
{
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    int rv = nghttp2_option_new(&opt);

    if (rv != 0)
        return rv;
    /* Received data is acknowledged when read: a slow reader of a stream
     * holds the server back instead of making us buffer without bound. */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    if ((rv = nghttp2_session_callbacks_new(&cb)) != 0) {
        nghttp2_option_del(opt);
        return rv;
    }
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_error_callback2(cb, on_error);
    rv = nghttp2_session_client_new2(&h->session, cb, h, opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    return rv;
}

enum vigil_status client_h2_start(struct client_h2 *h, struct client_tls *tls, int64_t deadline,
                                  char *err, size_t cap)
{
    static const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
    };
    int rv;

    h->tls = tls;
    if ((rv = session_new(h)) != 0)
        return lib_failure(rv, "cannot create HTTP/2 session", err, cap);
    rv = nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings,
                                 sizeof(settings) / sizeof(settings[0]));
    if (rv == 0) /* a larger connection window keeps big responses streaming */
        rv = nghttp2_session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0,
                                                   CONNECTION_WINDOW);
    if (rv != 0)
        return lib_failure(rv, "cannot queue HTTP/2 SETTINGS", err, cap);
    enum vigil_status st = pump(h, settings_done, NULL, deadline, err, cap);
    if (st == VIGIL_E_DEADLINE) {
        snprintf(err, cap, "server sent no HTTP/2 SETTINGS in time");
        st = VIGIL_E_CONNECT;
    }
    if (st != VIGIL_OK)
        h->failed = true;
    return st;
}

/* At the deadline, or when a streaming call is given up: reset the stream
 * and give the reset a moment to leave, so that the server stops working on
 * it; the connection stays usable. The stream is forgotten first: what still
 * arrives for it is acknowledged and dropped. */
static void cancel(struct client_h2 *h)
{
    char scratch[160];

    if (!h->resp->closed &&
        nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, h->stream_id, NGHTTP2_CANCEL) != 0)
        h->failed = true;
    h->stream_id = -1;
    h->resp = NULL;
    h->queue = NULL;
    h->body = NULL;
    enum vigil_status st =
        flush(h, client_sock_deadline(CANCEL_GRACE_MS), scratch, sizeof(scratch));
    if (st != VIGIL_OK && st != VIGIL_E_DEADLINE)
        h->failed = true;
}

static enum vigil_status submit(struct client_h2 *h, const nghttp2_nv *nva, size_t nvlen, char *err,
                                size_t cap)
{
    nghttp2_data_provider body = {.read_callback = body_read};
    int32_t id = nghttp2_submit_request(h->session, NULL, nva, nvlen, &body, NULL);

    if (id == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED || id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
        snprintf(err, cap, "server accepts no more calls on this connection; connect again");
        return VIGIL_E_CONNECT;
    }
    if (id < 0)
        return lib_failure(id, "cannot submit request", err, cap);
    h->stream_id = id;
    return VIGIL_OK;
}

/* Forgets the stream in progress. */
static void stream_forget(struct client_h2 *h)
{
    h->stream_id = -1;
    h->resp = NULL;
    h->queue = NULL;
    h->body = NULL;
    h->body_len = h->body_off = 0;
    h->body_eof = h->body_deferred = false;
}

static enum vigil_status usable(const struct client_h2 *h, char *err, size_t cap)
{
    if (h->failed || h->session == NULL) {
        snprintf(err, cap, "connection already failed; connect again");
        return VIGIL_E_CONNECT;
    }
    if (h->goaway) {
        snprintf(err, cap, "server is closing this connection (GOAWAY); connect again");
        return VIGIL_E_CONNECT;
    }
    return VIGIL_OK;
}

enum vigil_status client_h2_exchange(struct client_h2 *h, const nghttp2_nv *nva, size_t nvlen,
                                     const void *body, size_t len, struct client_h2_response *resp,
                                     int64_t deadline, char *err, size_t cap)
{
    enum vigil_status st = usable(h, err, cap);

    if (st != VIGIL_OK)
        return st;
    stream_forget(h);
    h->resp = resp;
    h->body = body;
    h->body_len = len;
    h->body_eof = true;
    st = submit(h, nva, nvlen, err, cap);
    if (st == VIGIL_OK) {
        st = pump(h, stream_done, NULL, deadline, err, cap);
        if (st == VIGIL_E_DEADLINE)
            cancel(h);
    }
    if (st != VIGIL_OK && st != VIGIL_E_DEADLINE)
        h->failed = true;
    stream_forget(h);
    return st;
}

/* ---- streaming ---- */

enum vigil_status client_h2_open(struct client_h2 *h, const nghttp2_nv *nva, size_t nvlen,
                                 struct client_h2_response *resp, struct client_msgq *q, char *err,
                                 size_t cap)
{
    enum vigil_status st = usable(h, err, cap);

    if (st != VIGIL_OK)
        return st;
    stream_forget(h);
    h->resp = resp;
    h->queue = q;
    st = submit(h, nva, nvlen, err, cap);
    if (st != VIGIL_OK) {
        h->failed = true;
        stream_forget(h);
    }
    return st;
}

/* nghttp2 stopped asking for the body when it ran dry: ask it to go on. */
static enum vigil_status resume(struct client_h2 *h, char *err, size_t cap)
{
    if (!h->body_deferred)
        return VIGIL_OK;
    h->body_deferred = false;
    int rv = nghttp2_session_resume_data(h->session, h->stream_id);
    /* INVALID_ARGUMENT: the stream is gone (the server ended it); the caller
     * learns that from the response. */
    if (rv != 0 && rv != NGHTTP2_ERR_INVALID_ARGUMENT)
        return lib_failure(rv, "cannot resume the request body", err, cap);
    return VIGIL_OK;
}

enum vigil_status client_h2_body(struct client_h2 *h, const void *body, size_t len, bool eof,
                                 char *err, size_t cap)
{
    h->body = body;
    h->body_len = len;
    h->body_off = 0;
    h->body_eof = eof;
    return resume(h, err, cap);
}

enum vigil_status client_h2_body_end(struct client_h2 *h, char *err, size_t cap)
{
    h->body_eof = true;
    return resume(h, err, cap);
}

bool client_h2_body_taken(const struct client_h2 *h)
{
    return h->body_off == h->body_len;
}

enum vigil_status client_h2_consume(struct client_h2 *h, size_t n, char *err, size_t cap)
{
    int rv = 0;

    if (n > 0 && h->stream_id >= 0)
        rv = nghttp2_session_consume(h->session, h->stream_id, n);
    else if (n > 0)
        rv = nghttp2_session_consume_connection(h->session, n);
    return rv == 0 ? VIGIL_OK : lib_failure(rv, "cannot acknowledge received data", err, cap);
}

enum vigil_status client_h2_pump(struct client_h2 *h,
                                 bool (*done)(const struct client_h2 *h, const void *arg),
                                 const void *arg, int64_t deadline, char *err, size_t cap)
{
    enum vigil_status st = h->failed ? VIGIL_E_CONNECT : VIGIL_OK;

    if (st != VIGIL_OK)
        snprintf(err, cap, "connection already failed; connect again");
    else
        st = pump(h, done, arg, deadline, err, cap);
    if (st != VIGIL_OK && st != VIGIL_E_DEADLINE)
        h->failed = true;
    return st;
}

void client_h2_close(struct client_h2 *h)
{
    if (h->stream_id >= 0 && h->resp != NULL && !h->resp->closed && !h->failed)
        cancel(h);
    stream_forget(h);
}

void client_h2_clear(struct client_h2 *h, int grace_ms)
{
    char scratch[160];

    if (h->session != NULL && !h->failed &&
        nghttp2_session_terminate_session(h->session, NGHTTP2_NO_ERROR) == 0)
        (void)flush(h, client_sock_deadline(grace_ms), scratch, sizeof(scratch));
    nghttp2_session_del(h->session);
    free(h->out);
    client_h2_init(h);
}
