/* sqlcall: the pieces every caller of a vigil_api SQL function shares (the
 * gateway svc_sql.c and the handlers that run such functions themselves,
 * svc_rankings*.c): the caller as the functions' ctx JSON, and the mapping
 * of their refusals (SQLSTATE VGnnn) to gRPC statuses. */
#ifndef VIGIL_SQLCALL_H
#define VIGIL_SQLCALL_H

#include "pool.h"

struct call;

/* The caller as the ctx argument of the vigil_api functions: office_id,
 * office, role, region, certificate_sha256, peer and method. Returns a
 * malloc'd compact JSON text the caller frees, or NULL when out of memory. */
char *sqlcall_ctx(struct call *c);

/* Fails the call for a statement that did not answer: a refusal raised with
 * SQLSTATE VGnnn becomes status nnn with the function's message; anything
 * else goes to call_fail_db (UNAVAILABLE, or INTERNAL logged). */
void sqlcall_fail(struct call *c, enum pool_result result, const PGresult *res, const char *msg);

#endif
