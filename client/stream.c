/* stream: streaming gRPC calls on a vigil_client (see vigil.h, "Streaming
 * calls"): request messages framed and handed to the HTTP/2 stream one at a
 * time, response messages queued in a client_msgq and acknowledged to the
 * server as they are read, deadlines, and the final status. */
#include "client.h"
#include "client_msgq.h"
#include "client_sock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Unacknowledged bytes behind the next message at which the queue counts as
 * full. The server is held back by the stream window (1 MiB) only once more
 * than half of it is unacknowledged (nghttp2 acknowledges consumed bytes in
 * halves of the window), so at this level it may be waiting for us. */
#define QUEUE_FULL (512u * 1024)

struct vigil_stream {
    struct vigil_client *c;         /* borrowed; NULL once the client was freed */
    struct client_h2_response resp; /* headers, trailers, how the stream ended */
    struct client_msgq queue;       /* received messages not yet handed out */
    uint8_t *buf;                   /* the framed request message being sent (owned) */
    size_t buf_cap;
    int64_t deadline;         /* of the whole call; CLIENT_SOCK_NO_DEADLINE = none */
    int timeout_ms;           /* the call's timeout, for messages */
    int wait_ms;              /* bound of each operation; 0 = none */
    bool sent_end;            /* vigil_stream_close_send() was called */
    bool detached;            /* the client's stream slot was released (call over) */
    enum vigil_status failed; /* sticky failure; VIGIL_OK = none */
};

/* ---- conditions the pump waits for ---- */

static bool queue_full(const struct vigil_stream *s)
{
    return client_msgq_backlog(&s->queue) >= QUEUE_FULL;
}

/* Sending can stop: the body left, the server waits for us, or it ended. */
static bool sent_or_stuck(const struct client_h2 *h, const void *arg)
{
    const struct vigil_stream *s = arg;

    return client_h2_body_taken(h) || queue_full(s) || s->resp.ended;
}

/* Receiving can stop: a message is there, or the server ended. */
static bool received(const struct client_h2 *h, const void *arg)
{
    const struct vigil_stream *s = arg;

    return client_msgq_count(&s->queue) > 0 || s->resp.ended;
}

static bool headers_out(const struct client_h2 *h, const void *arg)
{
    return true;
}

/* ---- failures ---- */

/* Marks s failed for good; a call still in progress is cancelled. */
static enum vigil_status give_up(struct vigil_stream *s, enum vigil_status st)
{
    s->failed = st;
    if (s->c != NULL && !s->c->h2.failed)
        client_h2_close(&s->c->h2);
    return st;
}

/* Runs the pump for one operation within the call's deadline and the
 * operation's bound, turning a timeout into the call's cancellation. */
static enum vigil_status pump(struct vigil_stream *s,
                              bool (*done)(const struct client_h2 *h, const void *arg))
{
    struct vigil_client *c = s->c;
    int64_t op = client_sock_deadline(s->wait_ms);
    bool op_first = op < s->deadline;
    enum vigil_status st =
        client_h2_pump(&c->h2, done, s, op_first ? op : s->deadline, c->errmsg, sizeof(c->errmsg));

    if (st == VIGIL_OK)
        return VIGIL_OK;
    if (st == VIGIL_E_DEADLINE && op_first)
        client_fail(c, st, "the server sent nothing for %d ms; the call was cancelled", s->wait_ms);
    else if (st == VIGIL_E_DEADLINE)
        client_fail(c, st, "the call did not end within %d ms; it was cancelled", s->timeout_ms);
    return give_up(s, st);
}

/* The common start of every operation: VIGIL_OK to go on. */
static enum vigil_status usable(struct vigil_stream *s)
{
    if (s == NULL)
        return VIGIL_E_USAGE;
    if (s->c == NULL)
        return VIGIL_E_USAGE; /* the client is gone: nowhere to put a message */
    if (s->failed != VIGIL_OK)
        return s->failed;
    s->c->rpc_code = -1;
    s->c->errmsg[0] = '\0';
    return VIGIL_OK;
}

/* The server ended its side: the call's outcome. */
static enum vigil_status outcome(struct vigil_stream *s)
{
    enum vigil_status st = client_call_status(s->c, &s->resp, true);

    if (st == VIGIL_OK)
        return VIGIL_END;
    return give_up(s, st);
}

/* ---- the calls ---- */

struct vigil_stream *vigil_stream_open(struct vigil_client *c, const char *path, int timeout_ms,
                                       enum vigil_status *err)
{
    struct vigil_stream *s = NULL;
    enum vigil_status st = c == NULL ? VIGIL_E_USAGE : client_call_begin(c, path, timeout_ms);
    char timeout[16];
    nghttp2_nv nva[CLIENT_CALL_NV];

    if (st == VIGIL_OK && (s = calloc(1, sizeof(*s))) == NULL)
        st = client_fail(c, VIGIL_E_NOMEM, "out of memory opening a stream");
    if (st == VIGIL_OK) {
        *s = (struct vigil_stream){
            .c = c, .deadline = client_sock_deadline(timeout_ms), .timeout_ms = timeout_ms};
        client_h2_response_init(&s->resp);
        client_msgq_init(&s->queue, CLIENT_H2_MAX_MESSAGE);
        size_t n = client_call_headers(c, path, timeout_ms, nva, timeout);
        st = client_h2_open(&c->h2, nva, n, &s->resp, &s->queue, c->errmsg, sizeof(c->errmsg));
        if (st == VIGIL_OK) {
            c->stream = s;
            st = pump(s, headers_out);
        } else {
            s->detached = true; /* never held the client's slot */
        }
    }
    if (err != NULL)
        *err = st;
    if (st == VIGIL_OK)
        return s;
    vigil_stream_free(s);
    return NULL;
}

void vigil_stream_set_wait(struct vigil_stream *s, int wait_ms)
{
    if (s != NULL)
        s->wait_ms = wait_ms > 0 ? wait_ms : 0;
}

/* Frames msg into s->buf. */
static enum vigil_status pack(struct vigil_stream *s, const ProtobufCMessage *msg, size_t *len)
{
    size_t packed = protobuf_c_message_get_packed_size(msg);

    if (packed > UINT32_MAX - GRPCWIRE_PREFIX_LEN)
        return client_fail(s->c, VIGIL_E_USAGE, "request message too large (%zu bytes)", packed);
    *len = GRPCWIRE_PREFIX_LEN + packed;
    if (*len > s->buf_cap) {
        uint8_t *grown = realloc(s->buf, *len);
        if (grown == NULL)
            return client_fail(s->c, VIGIL_E_NOMEM, "out of memory packing a request message");
        s->buf = grown;
        s->buf_cap = *len;
    }
    grpcwire_prefix_encode(s->buf, (uint32_t)packed);
    protobuf_c_message_pack(msg, s->buf + GRPCWIRE_PREFIX_LEN);
    return VIGIL_OK;
}

enum vigil_status vigil_stream_send(struct vigil_stream *s, const ProtobufCMessage *msg)
{
    enum vigil_status st = usable(s);
    struct client_h2 *h;
    size_t len;

    if (st != VIGIL_OK)
        return st;
    h = &s->c->h2;
    if (msg == NULL || s->sent_end)
        return client_fail(s->c, VIGIL_E_USAGE,
                           msg == NULL ? "no message to send" : "send after close_send");
    /* The previous message first: it owns s->buf until it has left. */
    if (!client_h2_body_taken(h) && (st = pump(s, sent_or_stuck)) != VIGIL_OK)
        return st;
    if (s->resp.ended)
        return outcome(s);
    if (!client_h2_body_taken(h))
        return VIGIL_AGAIN;
    if ((st = pack(s, msg, &len)) != VIGIL_OK)
        return st;
    if ((st = client_h2_body(h, s->buf, len, false, s->c->errmsg, sizeof(s->c->errmsg))) !=
        VIGIL_OK)
        return give_up(s, st);
    if ((st = pump(s, sent_or_stuck)) != VIGIL_OK)
        return st;
    return s->resp.ended ? outcome(s) : VIGIL_OK;
}

enum vigil_status vigil_stream_close_send(struct vigil_stream *s)
{
    enum vigil_status st = usable(s);

    if (st != VIGIL_OK || s->sent_end)
        return st;
    s->sent_end = true;
    if (s->resp.ended)
        return VIGIL_OK;
    st = client_h2_body_end(&s->c->h2, s->c->errmsg, sizeof(s->c->errmsg));
    if (st != VIGIL_OK)
        return give_up(s, st);
    return pump(s, sent_or_stuck);
}

/* Hands out the oldest queued message. */
static enum vigil_status take(struct vigil_stream *s, const ProtobufCMessageDescriptor *type,
                              ProtobufCMessage **out)
{
    struct vigil_client *c = s->c;
    uint8_t *data;
    size_t len, consume;

    if (!client_msgq_pop(&s->queue, &data, &len, &consume))
        return client_fail(c, VIGIL_E_PROTOCOL, "no message queued");
    *out = protobuf_c_message_unpack(type, NULL, len, data);
    free(data);
    enum vigil_status st = client_h2_consume(&c->h2, consume, c->errmsg, sizeof(c->errmsg));
    if (st != VIGIL_OK) {
        protobuf_c_message_free_unpacked(*out, NULL);
        *out = NULL;
        return give_up(s, st);
    }
    if (*out == NULL)
        return give_up(s, client_fail(c, VIGIL_E_PROTOCOL,
                                      "cannot decode a %s message from the "
                                      "server",
                                      type->name));
    return VIGIL_OK;
}

enum vigil_status vigil_stream_recv(struct vigil_stream *s, const ProtobufCMessageDescriptor *type,
                                    ProtobufCMessage **out)
{
    enum vigil_status st;

    if (out != NULL)
        *out = NULL;
    if ((st = usable(s)) != VIGIL_OK)
        return st;
    if (type == NULL || out == NULL)
        return client_fail(s->c, VIGIL_E_USAGE, "message type and result are required");
    if (client_msgq_count(&s->queue) == 0 && !s->resp.ended && (st = pump(s, received)) != VIGIL_OK)
        return st;
    if (client_msgq_count(&s->queue) > 0)
        return take(s, type, out);
    return outcome(s);
}

size_t vigil_stream_ready(const struct vigil_stream *s)
{
    return s != NULL ? client_msgq_count(&s->queue) : 0;
}

void client_stream_detach(struct vigil_stream *s)
{
    s->c = NULL;
}

void vigil_stream_free(struct vigil_stream *s)
{
    if (s == NULL)
        return;
    if (s->c != NULL && !s->detached) {
        client_h2_close(&s->c->h2); /* resets the stream unless it closed */
        s->c->stream = NULL;
    }
    client_h2_response_clear(&s->resp);
    client_msgq_clear(&s->queue);
    free(s->buf);
    free(s);
}
