/* sqlcall: ctx JSON and VGnnn refusals of the vigil_api functions (see
 * sqlcall.h). */
#include "sqlcall.h"
#include "call.h"
#include "log.h"
#include "pbjson.h"
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

bool sqlcall_refusal(enum pool_result result, const PGresult *res, int *code, const char **msg)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (result != POOL_SQL_ERROR || state == NULL || strncmp(state, "VG", 2) != 0)
        return false;
    *code = atoi(state + 2);
    if (*code <= 0 || *code > GRPC_UNAUTHENTICATED)
        return false;
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    *msg = primary ? primary : "refused";
    return true;
}

void sqlcall_fail(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    int code;
    const char *text;
    if (sqlcall_refusal(result, res, &code, &text))
        call_fail(c, (enum grpc_code)code, "%s", text);
    else
        call_fail_db(c, result, msg);
}

char *sqlcall_json(const ProtobufCMessage *m)
{
    json_t *j = pbjson_encode(m);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

bool sqlcall_send_json(struct call *c, const char *text, const ProtobufCMessageDescriptor *d)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ProtobufCMessage *m = NULL;
    char err[300];
    bool ok;

    if (j == NULL || !pbjson_decode(j, d, &m, err, sizeof(err))) {
        log_error("msg=\"SQL answer does not match the message type\" method=%s type=%s error=%s",
                  call_method(c)->path, d->name, log_quote(j ? err : je.text));
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
        ok = false;
    } else {
        ok = call_send(c, m);
    }
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    json_decref(j);
    return ok;
}
