/* call: one gRPC call, i.e. one HTTP/2 stream: its request headers and
 * message as they arrive, its deadline, the caller's identity, the dispatch
 * to a handler of the method table, and its one response (message + status
 * trailers, or a status alone). Service handlers see only this header. */
#ifndef VIGIL_CALL_H
#define VIGIL_CALL_H

#include "grpcwire.h"
#include "pool.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

struct call;
struct conn;

/* The caller, resolved before the handler runs. */
enum call_role { ROLE_NONE = 0, ROLE_REGIONAL, ROLE_CENTRAL, ROLE_PARTNER, ROLE_ANONYMOUS };

struct call_identity {
    enum call_role role; /* ROLE_ANONYMOUS on the public listener */
    int64_t office_id;   /* 0 when anonymous */
    char office[201];    /* office name */
    char region[33];     /* office region code, "" if none */
    char sha256[65];     /* client certificate fingerprint, "" if none */
    char subject[128];   /* client certificate subject CN, informative */
    bool db_down;        /* identity could not be checked: database unavailable
                            (only handlers flagged RPC_OFFICE_OR_DB_DOWN see this) */
};

/* --- for the HTTP/2 layer (h2.c) --- */

/* Creates the call for a new stream; the connection keeps it until closed. */
struct call *call_new(struct conn *conn, int32_t stream_id);

/* One request header. Returns false when the header list is over the limit
 * (the call then answers RESOURCE_EXHAUSTED when the headers end). */
void call_on_header(struct call *c, const uint8_t *name, size_t namelen, const uint8_t *value,
                    size_t valuelen);

/* The header block is complete: validates method, path, content type and
 * timeout; may answer at once (unknown method, bad content type). */
void call_on_headers_done(struct call *c);

/* Request bytes (DATA payload). */
void call_on_data(struct call *c, const uint8_t *data, size_t len);

/* The client finished sending (END_STREAM): dispatch. */
void call_on_request_end(struct call *c);

/* The stream is closed (answered, reset by the client, or the connection is
 * going away): cancels the handler's pending work, writes the access line
 * and frees c. error_code is the HTTP/2 error (0 for a normal close). */
void call_on_close(struct call *c, uint32_t error_code);

/* Whether any call of a connection's list is being served (dispatched or
 * answered), as opposed to still receiving its request: the idle rule. */
bool call_any_served(const struct call *list);

/* Whether the request has been fully received (END_STREAM seen). */
bool call_request_ended(const struct call *c);

/* For auth.c: the method being called, the identity to fill, and the
 * dispatch to the handler once the caller is identified. */
const struct rpc_method *call_method(const struct call *c);
struct call_identity *call_identity_mut(struct call *c);
void call_dispatch(struct call *c);

/* --- for service handlers --- */

/* The decoded request; owned by the call, valid until the call ends. */
const ProtobufCMessage *call_request(const struct call *c);

/* The peer address ("ip:port") of the call's connection; borrowed. */
const char *call_peer(const struct call *c);

/* The caller; valid until the call ends. */
const struct call_identity *call_identity(const struct call *c);

/* Answers OK with a message. resp is serialised before return (the caller
 * keeps ownership). A call is answered once; later answers are ignored.
 * After this the handler must not touch c again. */
void call_reply(struct call *c, const ProtobufCMessage *resp);

/* Answers OK with a message already serialised (len bytes, without the
 * 5-byte gRPC prefix), e.g. from the cache; copied before return. */
void call_reply_bytes(struct call *c, const void *msg, size_t len);

/* The daemon's cache of published reads (cache.h); borrowed. */
struct cache *call_cache(const struct call *c);

/* Answers with a non-OK status and a message naming the field or reason.
 * Same rules as call_reply. */
void call_fail(struct call *c, enum grpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs one statement on the pool for this call. If the call ends first
 * (deadline, client cancel, connection loss), the statement is abandoned and
 * cb is never called. One statement at a time per call. */
typedef void (*call_query_cb)(struct call *c, enum pool_result result, const PGresult *res,
                              const char *msg);
void call_query(struct call *c, const char *sql, int nparams, const char *const *params,
                call_query_cb cb);

/* Maps a pool failure to the call's status: UNAVAILABLE for a database that
 * is down, INTERNAL (message logged, not sent) for an SQL error. */
void call_fail_db(struct call *c, enum pool_result result, const char *msg);

#endif
