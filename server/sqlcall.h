/* sqlcall: the pieces every caller of a vigil_api SQL function shares (the
 * gateway svc_sql.c and the handlers that run such functions themselves,
 * svc_rankings*.c): the caller as the functions' ctx JSON, and the mapping
 * of their refusals (SQLSTATE VGnnn) to gRPC statuses. */
#ifndef VIGIL_SQLCALL_H
#define VIGIL_SQLCALL_H

#include "pool.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

struct call;

/* The caller as the ctx argument of the vigil_api functions: office_id,
 * office, role, region, certificate_sha256, peer and method. Returns a
 * malloc'd compact JSON text the caller frees, or NULL when out of memory. */
char *sqlcall_ctx(struct call *c);

/* Fails the call for a statement that did not answer: a refusal raised with
 * SQLSTATE VGnnn becomes status nnn with the function's message; anything
 * else goes to call_fail_db (UNAVAILABLE, or INTERNAL logged). */
void sqlcall_fail(struct call *c, enum pool_result result, const PGresult *res, const char *msg);

/* A message as the req argument of the vigil_api functions: malloc'd
 * compact JSON the caller frees, or NULL when out of memory. */
char *sqlcall_json(const ProtobufCMessage *m);

/* Decodes a function's JSON answer (text) into a message of type d and
 * queues it on the stream (call_send). A mismatch between the SQL and the
 * proto is a defect: logged, and the call fails INTERNAL. Returns false
 * when the call is over (stop producing). */
bool sqlcall_send_json(struct call *c, const char *text, const ProtobufCMessageDescriptor *d);

/* Whether a failed statement is a refusal (SQLSTATE VGnnn): sets *code and
 * *msg (borrowed from res) and returns true. */
bool sqlcall_refusal(enum pool_result result, const PGresult *res, int *code, const char **msg);

#endif
