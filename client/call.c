/* call: one unary gRPC call on a vigil_client: the request headers and framed
 * body, and the reading of the answer (HTTP status, grpc-status and
 * grpc-message, the single response message) into a vigil_status. The
 * headers and the reading of the status serve streaming calls too (stream.c). */
#include "client.h"
#include "client_sock.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_AGENT "libvigil/" VIGIL_VERSION

#define NV(n, v, vlen)                                                                             \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vlen), NGHTTP2_NV_FLAG_NO_COPY_NAME        \
    }

enum vigil_status client_fail(struct vigil_client *c, enum vigil_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    return st;
}

/* gRPC's mapping of a RST_STREAM without grpc-status to a status code
 * (PROTOCOL-HTTP2.md, "Errors"). */
static int reset_code(uint32_t h2_code)
{
    switch (h2_code) {
    case NGHTTP2_REFUSED_STREAM:
        return GRPC_UNAVAILABLE;
    case NGHTTP2_CANCEL:
        return GRPC_CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM:
        return GRPC_RESOURCE_EXHAUSTED;
    case NGHTTP2_INADEQUATE_SECURITY:
        return GRPC_PERMISSION_DENIED;
    default:
        return GRPC_INTERNAL;
    }
}

enum vigil_status client_read_failure(struct vigil_client *c, enum grpcwire_read rd)
{
    switch (rd) {
    case GRPCWIRE_COMPRESSED:
        return client_fail(c, VIGIL_E_PROTOCOL,
                           "server sent a compressed message, which we never ask for");
    case GRPCWIRE_TOO_LARGE:
        return client_fail(c, VIGIL_E_PROTOCOL, "response message larger than the %u MiB limit",
                           CLIENT_H2_MAX_MESSAGE >> 20);
    case GRPCWIRE_BAD_FLAG:
        return client_fail(c, VIGIL_E_PROTOCOL, "response message has an invalid flag byte");
    case GRPCWIRE_NOMEM:
        return client_fail(c, VIGIL_E_NOMEM, "out of memory receiving the response");
    default:
        return client_fail(c, VIGIL_E_PROTOCOL, "unexpected message reader state %d", (int)rd);
    }
}

/* An answer without grpc-status: a reset stream, or something not gRPC. */
static enum vigil_status no_status(struct vigil_client *c, const struct client_h2_response *r)
{
    if (r->close_code == NGHTTP2_REFUSED_STREAM && c->h2.goaway) {
        c->rpc_code = GRPC_UNAVAILABLE;
        return client_fail(c, VIGIL_E_RPC,
                           "server is shutting down (GOAWAY) and did not take the call; "
                           "connect again");
    }
    if (r->close_code != NGHTTP2_NO_ERROR) {
        c->rpc_code = reset_code(r->close_code);
        return client_fail(c, VIGIL_E_RPC, "stream reset by the server (HTTP/2 %s)",
                           nghttp2_http2_strerror(r->close_code));
    }
    if (r->http_status == 0)
        return client_fail(c, VIGIL_E_PROTOCOL, "stream ended without response headers");
    if (r->http_status != 200)
        return client_fail(
            c, VIGIL_E_PROTOCOL,
            "server answered HTTP status %d without grpc-status (not a gRPC endpoint, "
            "or a proxy in the way?)",
            r->http_status);
    return client_fail(c, VIGIL_E_PROTOCOL, "response ended without grpc-status");
}

static bool parse_code(const char *s, int *code)
{
    long v = 0;

    if (*s == '\0' || strlen(s) > 4)
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    *code = (int)v;
    return true;
}

enum vigil_status client_call_status(struct vigil_client *c, const struct client_h2_response *r,
                                     bool stream)
{
    int code;

    if (r->nomem)
        return client_fail(c, VIGIL_E_NOMEM, "out of memory reading the response headers");
    if (r->read != GRPCWIRE_NEED_MORE && r->read != GRPCWIRE_MESSAGE)
        return client_read_failure(c, r->read);
    if (r->grpc_status == NULL)
        return no_status(c, r);
    if (!parse_code(r->grpc_status, &code))
        return client_fail(c, VIGIL_E_PROTOCOL, "invalid grpc-status \"%.40s\"", r->grpc_status);
    c->rpc_code = code;
    if (code != GRPC_OK) {
        const char *m = r->grpc_message != NULL ? r->grpc_message : "";
        grpcwire_message_decode(m, strlen(m), c->errmsg, sizeof(c->errmsg));
        return VIGIL_E_RPC;
    }
    if (stream)
        return VIGIL_OK;
    if (r->read != GRPCWIRE_MESSAGE)
        return client_fail(c, VIGIL_E_PROTOCOL, "OK response carried no message");
    if (r->extra_data)
        return client_fail(c, VIGIL_E_PROTOCOL, "response carried more than one message");
    return VIGIL_OK;
}

size_t client_call_headers(const struct vigil_client *c, const char *path, int timeout_ms,
                           nghttp2_nv nva[CLIENT_CALL_NV], char timeout[16])
{
    const nghttp2_nv all[CLIENT_CALL_NV] = {
        NV(":method", "POST", 4),
        NV(":scheme", "https", 5),
        NV(":path", path, strlen(path)),
        NV(":authority", c->authority, strlen(c->authority)),
        NV("content-type", "application/grpc", 16),
        NV("te", "trailers", 8),
        NV("user-agent", USER_AGENT, sizeof(USER_AGENT) - 1),
        NV("grpc-timeout", timeout, 0),
    };
    size_t nvlen = CLIENT_CALL_NV;

    memcpy(nva, all, sizeof(all));
    if (timeout_ms > 0) {
        grpcwire_timeout_format((int64_t)timeout_ms * 1000, timeout);
        nva[nvlen - 1].valuelen = strlen(timeout);
    } else {
        nvlen--; /* no deadline: no grpc-timeout */
    }
    return nvlen;
}

/* Sends body as the request of path and waits for the answer in r. */
static enum vigil_status exchange(struct vigil_client *c, const char *path, const void *body,
                                  size_t len, int timeout_ms, struct client_h2_response *r)
{
    char timeout[16];
    nghttp2_nv nva[CLIENT_CALL_NV];
    size_t nvlen = client_call_headers(c, path, timeout_ms, nva, timeout);
    enum vigil_status st =
        client_h2_exchange(&c->h2, nva, nvlen, body, len, r, client_sock_deadline(timeout_ms),
                           c->errmsg, sizeof(c->errmsg));
    if (st == VIGIL_E_DEADLINE)
        return client_fail(c, st, "no answer within %d ms; the call was cancelled", timeout_ms);
    if (st != VIGIL_OK)
        return st;
    return client_call_status(c, r, false);
}

enum vigil_status client_call_begin(struct vigil_client *c, const char *path, int timeout_ms)
{
    c->rpc_code = -1;
    c->errmsg[0] = '\0';
    if (c->stream != NULL)
        return client_fail(c, VIGIL_E_USAGE, "a stream is open on this client: free it first");
    if (path == NULL || path[0] != '/')
        return client_fail(c, VIGIL_E_USAGE, "method path must look like /package.Service/Method");
    if (timeout_ms < 0)
        return client_fail(c, VIGIL_E_USAGE, "negative timeout");
    return VIGIL_OK;
}

enum vigil_status vigil_call(struct vigil_client *c, const char *path, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                             int timeout_ms)
{
    struct client_h2_response r;
    enum vigil_status st;
    const uint8_t *msg;
    size_t msg_len;

    if (c == NULL)
        return VIGIL_E_USAGE;
    if (resp != NULL)
        *resp = NULL;
    if ((st = client_call_begin(c, path, timeout_ms)) != VIGIL_OK)
        return st;
    if (req == NULL || resp_desc == NULL || resp == NULL)
        return client_fail(c, VIGIL_E_USAGE,
                           "request, response descriptor and response are required");
    size_t packed = protobuf_c_message_get_packed_size(req);
    if (packed > UINT32_MAX - GRPCWIRE_PREFIX_LEN)
        return client_fail(c, VIGIL_E_USAGE, "request message too large (%zu bytes)", packed);
    uint8_t *body = malloc(GRPCWIRE_PREFIX_LEN + packed);
    if (body == NULL)
        return client_fail(c, VIGIL_E_NOMEM, "out of memory packing the request");
    grpcwire_prefix_encode(body, (uint32_t)packed);
    protobuf_c_message_pack(req, body + GRPCWIRE_PREFIX_LEN);

    client_h2_response_init(&r);
    st = exchange(c, path, body, GRPCWIRE_PREFIX_LEN + packed, timeout_ms, &r);
    if (st == VIGIL_OK) {
        msg = grpcwire_reader_message(&r.reader, &msg_len);
        *resp = protobuf_c_message_unpack(resp_desc, NULL, msg_len, msg);
        if (*resp == NULL)
            st = client_fail(c, VIGIL_E_PROTOCOL, "cannot decode the %s response", resp_desc->name);
    }
    client_h2_response_clear(&r);
    free(body);
    return st;
}

enum vigil_status vigil_call_raw(struct vigil_client *c, const char *path, const void *body,
                                 size_t len, int timeout_ms)
{
    struct client_h2_response r;
    enum vigil_status st;

    if (c == NULL)
        return VIGIL_E_USAGE;
    if ((st = client_call_begin(c, path, timeout_ms)) != VIGIL_OK)
        return st;
    if (body == NULL && len > 0)
        return client_fail(c, VIGIL_E_USAGE, "NULL body with a non-zero length");
    client_h2_response_init(&r);
    st = exchange(c, path, len > 0 ? body : "", len, timeout_ms, &r);
    client_h2_response_clear(&r);
    return st;
}
