/* client: the struct behind the opaque struct vigil_client of vigil.h, shared
 * by client.c (connection set-up and teardown, status text), call.c (unary
 * calls, and the request headers and status reading every call uses) and
 * stream.c (streaming calls). Not installed; libvigil's users see only vigil.h. */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include "client_h2.h"
#include "client_tls.h"
#include "vigil.h"

#include <stdbool.h>

struct vigil_client {
    struct client_tls tls;       /* the TLS connection; h2 borrows it */
    struct client_h2 h2;         /* the HTTP/2 session on top of tls */
    char *authority;             /* :authority of every call, "name:port" (owned) */
    int rpc_code;                /* grpc-status of the last call; -1 when none was received */
    char errmsg[1024];           /* message of the last failure; "" after success */
    struct vigil_stream *stream; /* the open stream (owned by its caller); NULL = none */
};

/* ---- call.c, for stream.c ---- */

/* Headers of a request: the fixed ones and grpc-timeout. */
#define CLIENT_CALL_NV 8

/* Formats the failure into c->errmsg and returns st. */
enum vigil_status client_fail(struct vigil_client *c, enum vigil_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resets c's last status and checks path and timeout_ms; VIGIL_E_USAGE (with
 * a message) when they are wrong or a stream is open on c. */
enum vigil_status client_call_begin(struct vigil_client *c, const char *path, int timeout_ms);

/* Fills nva with the request headers of a call of path (grpc-timeout only
 * when timeout_ms > 0; its text goes to timeout, which nva borrows, as it
 * borrows path and c->authority). Returns how many were filled. */
size_t client_call_headers(const struct vigil_client *c, const char *path, int timeout_ms,
                           nghttp2_nv nva[CLIENT_CALL_NV], char timeout[16]);

/* The status of a response whose stream closed (unary) or whose server side
 * ended (stream): VIGIL_OK for grpc-status 0 (unary: with exactly one
 * message in r's reader), else the failure, with c->rpc_code and c->errmsg
 * set as vigil_call() documents. */
enum vigil_status client_call_status(struct vigil_client *c, const struct client_h2_response *r,
                                     bool stream);

/* The failure of a message that could not be read (compressed, too large,
 * bad flag, out of memory). */
enum vigil_status client_read_failure(struct vigil_client *c, enum grpcwire_read rd);

/* ---- stream.c, for client.c ---- */

/* The client of s is being freed: s stops using it. */
void client_stream_detach(struct vigil_stream *s);

#endif
