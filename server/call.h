/* call: one gRPC call, i.e. one HTTP/2 stream: its request headers and
 * message(s) as they arrive, its deadline, the caller's identity, the
 * dispatch to a handler of the method table, and its response (messages +
 * status trailers, or a status alone), unary or streamed under HTTP/2 flow
 * control. Service handlers see only this header. */
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

/* Request bytes (DATA payload). Returns how many of them to give back to
 * the HTTP/2 flow-control window now; the rest (a request stream's bytes
 * not yet asked for by the handler) is given back as messages are taken. */
size_t call_on_data(struct call *c, const uint8_t *data, size_t len);

/* The client finished sending (END_STREAM): dispatch. */
void call_on_request_end(struct call *c);

/* The stream is closed (answered, reset by the client, or the connection is
 * going away): cancels the handler's pending work, writes the access line
 * and frees c. error_code is the HTTP/2 error (0 for a normal close). */
void call_on_close(struct call *c, uint32_t error_code);

/* The connection drains (SIGTERM): long-lived calls of the list (followed
 * feeds) end with UNAVAILABLE, from the loop, after what they queued. */
void call_server_draining(struct call *list);

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

/* --- streaming (server streams, request streams) ---
 *
 * A server-streaming handler sends messages with call_send and ends with
 * call_finish (OK) or call_fail (after the messages already queued). It
 * must not queue without bound: above CALL_SEND_HIGH_WATER bytes pending it
 * stops producing and registers call_on_drain, which wakes it (from the
 * loop) once the client has taken enough, so a slow reader holds the
 * producer back through HTTP/2 flow control. */
#define CALL_SEND_HIGH_WATER (256 * 1024)
#define CALL_SEND_LOW_WATER  (64 * 1024)

typedef void (*call_event_cb)(struct call *c);

/* Queues one response message (serialised before return). Returns false
 * when the call is over (answered, cancelled, too large): stop producing. */
bool call_send(struct call *c, const ProtobufCMessage *msg);

/* Bytes queued and not yet taken by the HTTP/2 layer. */
size_t call_send_pending(const struct call *c);

/* Calls cb once, from the loop, when fewer than CALL_SEND_LOW_WATER bytes
 * are pending (at once if that is already so). Replaces an earlier cb. */
void call_on_drain(struct call *c, call_event_cb cb);

/* Ends a stream with status OK once the queued messages are sent. */
void call_finish(struct call *c);

/* Request streams (methods with stream_request in the method table): the
 * handler runs as soon as the caller is identified, with call_request()
 * NULL, and pulls messages one at a time. cb is called once, from the loop,
 * with the next message (owned by the call, valid until the next
 * call_next_message or the end of the call) or NULL when the client has
 * finished sending. Bytes are given back to the client's flow-control
 * window only as messages are taken, which bounds what a fast client can
 * make the daemon hold. */
typedef void (*call_message_cb)(struct call *c, const ProtobufCMessage *msg);
void call_next_message(struct call *c, call_message_cb cb);

/* The handler's state of a long call: free_state(state) runs exactly once
 * when the call ends for any reason (answered, failed, cancelled by the
 * client, deadline, connection lost), possibly inside call_fail or
 * call_finish: after those the handler must not touch its state. */
void call_set_state(struct call *c, void *state, void (*free_state)(void *state));
void *call_state(const struct call *c);

/* Marks a call that may run for ever (a followed feed): on shutdown it is
 * ended with UNAVAILABLE instead of being waited for. */
void call_set_long_lived(struct call *c);

/* A database connection of the call's own, outside the pool (dbconn.h),
 * for exports and followed feeds; NULL when exchange_max_streams are open
 * (answer RESOURCE_EXHAUSTED). The caller frees it, at the latest from its
 * call_set_state free function. */
struct dbconn *call_stream_db(struct call *c, const char *app_name);

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
