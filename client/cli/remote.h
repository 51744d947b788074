/* remote: the CLI's side of talking to the server. Turns the resolved options
 * into a connected vigil_client, and failures into one actionable message on
 * stderr (what failed, which setting to change and where it came from) and
 * the exit code of cmd.h. The library never prints; this module does. */
#ifndef VIGIL_CLI_REMOTE_H
#define VIGIL_CLI_REMOTE_H

#include "opts.h"
#include "vigil.h"

/* Connects with o's settings. Checks first that a client certificate is set
 * (unless --no-cert) and that the files can be read. Returns the client
 * (free it with vigil_client_free), or NULL after printing the error, with
 * the exit code in *exit_code. */
struct vigil_client *remote_connect(const struct opts *o, int *exit_code);

/* The exit code for a library status; rpc_code matters for VIGIL_E_RPC
 * (DEADLINE_EXCEEDED from the server gives CLI_EXIT_DEADLINE). */
int remote_exit_code(enum vigil_status st, int rpc_code);

/* Prints the failure of a call on c ("error: PERMISSION_DENIED: message" for
 * a server status) with a hint where one helps, and returns its exit code. */
int remote_report(const struct opts *o, const struct vigil_client *c, enum vigil_status st);

/* A connection that is made again when it fails. remote_call() resends the
 * very same request after a transport failure (the connection dropped, the
 * deadline passed, or UNAVAILABLE), connecting again first, up to
 * REMOTE_ATTEMPTS times in all with a growing pause, so that a bad link costs
 * a pause, not a lost write. Only for requests that are safe to resend: reads,
 * and writes that carry a request_id (the server answers a resent one with
 * the original result). */
#define REMOTE_ATTEMPTS 4

struct remote {
    const struct opts *o;   /* borrowed until remote_close() */
    struct vigil_client *c; /* NULL while disconnected */
    enum vigil_status st;   /* status of the last call */
    int rpc_code;           /* its gRPC status code; -1 when none was received */
    char msg[1024];         /* its message ("" after success) */
};

/* Connects as remote_connect() does (printing the failure). Returns false
 * with the exit code in *exit_code. */
bool remote_open(struct remote *r, const struct opts *o, int *exit_code)
    __attribute__((warn_unused_result));

/* One call with resending, see above; resp and its ownership as vigil_call().
 * The outcome stays in r->st, r->rpc_code and r->msg. Prints nothing. */
enum vigil_status remote_call(struct remote *r, const char *path, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/* True when the last failure leaves it unknown whether the server acted on
 * the request (the answer was lost, or the server gave up on it): a write
 * must then be resent with the same request_id, never with a new one. */
bool remote_outcome_unknown(const struct remote *r);

/* remote_call() for commands: returns CLI_EXIT_OK with *resp set, or prints
 * the failure (remote_fail()) and returns its exit code. */
int remote_run(struct remote *r, const char *path, const ProtobufCMessage *req,
               const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/* Prints the last failure like remote_report() and returns its exit code. */
int remote_fail(const struct remote *r);

/* The exit code of the last call, printing nothing. */
int remote_exit(const struct remote *r);

/* For calls remote_call() cannot make (streaming calls), the same
 * discipline by hand: remote_connected() connects when r is not connected
 * (printing nothing; false with the failure in r); remote_note() records the
 * outcome of a call made on r->c; remote_retry() says whether that failure
 * deserves attempt number attempt + 1 (remote_call()'s rule and limit) and,
 * when it does, drops the connection and pauses first. */
bool remote_connected(struct remote *r) __attribute__((warn_unused_result));
void remote_note(struct remote *r, enum vigil_status st);
bool remote_retry(struct remote *r, int attempt) __attribute__((warn_unused_result));

/* Closes the connection. */
void remote_close(struct remote *r);

#endif
