/* sqlcall: ctx JSON and VGnnn refusals of the vigil_api functions (see
 * sqlcall.h). */
#include "sqlcall.h"
#include "call.h"
#include "rpc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"none", "regional", "central", "partner", "anonymous"};

char *sqlcall_ctx(struct call *c)
{
    const struct call_identity *id = call_identity(c);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "office_id",
                          (json_int_t)id->office_id, "office", id->office, "role",
                          role_names[id->role], "region", id->region, "certificate_sha256",
                          id->sha256, "peer", call_peer(c), "method", call_method(c)->path);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

void sqlcall_fail(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (result == POOL_SQL_ERROR && state && strncmp(state, "VG", 2) == 0) {
        int code = atoi(state + 2);
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (code > 0 && code <= GRPC_UNAUTHENTICATED) {
            call_fail(c, (enum grpc_code)code, "%s", primary ? primary : "refused");
            return;
        }
    }
    call_fail_db(c, result, msg);
}
