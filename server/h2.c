/* h2: nghttp2 server session glue: frames in, call events out (see h2.h). */
#include "h2.h"
#include "call.h"
#include "config.h"
#include "conn.h"
#include "log.h"

#include <nghttp2/nghttp2.h>

/* Large enough that a 4 MiB request does not wait on window updates every
 * 64 KiB, small enough that a client cannot park much memory per stream. */
#define STREAM_WINDOW     (1 << 20)
#define CONNECTION_WINDOW (4 << 20)

static struct call *stream_call(nghttp2_session *s, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(s, stream_id);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    struct conn *c = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    /* A client may send its first request in the same packet as its preface,
     * before the connection counts as active: only draining refuses. */
    if (c->state == CONN_DRAINING || c->state == CONN_CLOSED) {
        /* Draining: nghttp2 refuses streams above the GOAWAY id by itself;
         * this covers the window before the GOAWAY is on the wire. */
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    struct call *call = call_new(c, frame->hd.stream_id);
    nghttp2_session_set_stream_user_data(s, frame->hd.stream_id, call);
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    struct call *call = stream_call(s, frame->hd.stream_id);
    /* Trailers from a client are meaningless for gRPC requests: ignored. */
    if (call != NULL && frame->hd.type == NGHTTP2_HEADERS &&
        frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        call_on_header(call, name, namelen, value, valuelen);
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    struct call *call;

    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    call = stream_call(s, frame->hd.stream_id);
    if (call == NULL)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        call_on_headers_done(call);
    /* call_on_headers_done may have answered and closed nothing yet: the
     * stream stays open until nghttp2 reports its close, so call is valid. */
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        call_on_request_end(call);
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *user_data)
{
    struct call *call = stream_call(s, stream_id);
    /* Window updates are ours (no automatic ones): what a call does not
     * keep for later goes back to the window at once. */
    size_t done = call != NULL ? call_on_data(call, data, len) : len;
    if (done > 0 && nghttp2_session_consume(s, stream_id, done) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return 0;
}

/* After we end our side of a stream whose request is still coming (an early
 * error such as RESOURCE_EXHAUSTED), tell the client to stop sending. */
static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *user_data)
{
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct call *call = stream_call(s, frame->hd.stream_id);
    if (call != NULL && !call_request_ended(call))
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    struct call *call = stream_call(s, stream_id);
    if (call != NULL) {
        nghttp2_session_set_stream_user_data(s, stream_id, NULL);
        call_on_close(call, error_code);
    }
    return 0;
}

bool h2_start(struct conn *c, const struct config *cfg)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
    int rv;

    if (nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0) {
        log_error("msg=\"cannot allocate HTTP/2 session\" conn=%llu",
                  (unsigned long long)c->id_num);
        return false;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    /* Headers beyond our advertised limit are refused by nghttp2 itself. */
    nghttp2_option_set_max_send_header_block_length(opt, 65536);
    /* Request streams hold their window until the handler takes messages
     * (call_on_data), so a fast client cannot make us buffer without bound. */
    nghttp2_option_set_no_auto_window_update(opt, 1);
    rv = nghttp2_session_server_new2(&c->h2, cbs, c, opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_option_del(opt);
    if (rv != 0) {
        log_error("msg=\"cannot create HTTP/2 session\" conn=%llu error=%s",
                  (unsigned long long)c->id_num, log_quote(nghttp2_strerror(rv)));
        return false;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)cfg->max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)cfg->max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    rv = nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
    if (rv == 0)
        rv = nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, CONNECTION_WINDOW);
    if (rv != 0) {
        log_error("msg=\"cannot send HTTP/2 settings\" conn=%llu error=%s",
                  (unsigned long long)c->id_num, log_quote(nghttp2_strerror(rv)));
        return false;
    }
    return true;
}

bool h2_feed(struct conn *c, const uint8_t *data, size_t len)
{
    ssize_t n = nghttp2_session_mem_recv(c->h2, data, len);
    if (n < 0) {
        log_info("msg=\"HTTP/2 protocol error\" conn=%llu peer=%s error=%s",
                 (unsigned long long)c->id_num, c->peer, log_quote(nghttp2_strerror((int)n)));
        return false;
    }
    return true;
}

void h2_free(struct conn *c)
{
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
}
