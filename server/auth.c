/* auth: certificate fingerprint -> office, and the method access rules. */
#include "auth.h"
#include "call.h"
#include "conn.h"
#include "rpc.h"
#include "sql.h"

#include <stdlib.h>
#include <string.h>

static enum call_role role_parse(const char *s)
{
    if (strcmp(s, "regional") == 0)
        return ROLE_REGIONAL;
    if (strcmp(s, "central") == 0)
        return ROLE_CENTRAL;
    if (strcmp(s, "partner") == 0)
        return ROLE_PARTNER;
    return ROLE_NONE;
}

static void copy_field(char *dst, size_t cap, const PGresult *res, int col)
{
    const char *v = PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col);
    snprintf(dst, cap, "%s", v);
}

static void office_found(struct call *c, enum pool_result result, const PGresult *res,
                         const char *msg)
{
    struct call_identity *id = call_identity_mut(c);

    if (result != POOL_OK) {
        /* The health check must still answer (NOT_SERVING) when the
         * database is down; every other method fails. */
        if (result == POOL_UNAVAILABLE && call_method(c)->access == RPC_OFFICE_OR_DB_DOWN) {
            id->db_down = true;
            call_dispatch(c);
            return;
        }
        call_fail_db(c, result, msg);
        return;
    }
    if (PQntuples(res) != 1) {
        call_fail(c, GRPC_UNAUTHENTICATED,
                  "client certificate sha256=%s is not registered to an active office", id->sha256);
        return;
    }
    id->office_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    copy_field(id->office, sizeof(id->office), res, 1);
    id->role = role_parse(PQgetvalue(res, 0, 2));
    copy_field(id->region, sizeof(id->region), res, 3);
    call_dispatch(c);
}

void auth_resolve(struct call *c, const struct conn *conn)
{
    struct call_identity *id = call_identity_mut(c);
    const struct rpc_method *m = call_method(c);

    if (conn->is_public) {
        id->role = ROLE_ANONYMOUS;
        if (m->access != RPC_PUBLIC) {
            call_fail(c, GRPC_UNAUTHENTICATED,
                      "%s needs a client certificate; the public listener serves published "
                      "results only",
                      m->path);
            return;
        }
        call_dispatch(c);
        return;
    }
    if (!conn->id.present) {
        /* Cannot happen on the mTLS listener (the handshake requires a
         * certificate); kept as a guard should the TLS rules change. */
        call_fail(c, GRPC_UNAUTHENTICATED, "no client certificate");
        return;
    }
    memcpy(id->sha256, conn->id.sha256, sizeof(id->sha256));
    memcpy(id->subject, conn->id.subject, sizeof(id->subject));
    const char *params[] = {id->sha256};
    call_query(c, SQL_OFFICE_BY_FINGERPRINT, 1, params, office_found);
}
