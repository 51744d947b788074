/* svc_sql: the gateway for methods whose logic lives in SQL functions of
 * schema vigil_api (migrations/): the request is turned into JSON by
 * reflection (pbjson), one statement runs the function with the caller and
 * the request, and its JSON answer becomes the response message. A function
 * refuses with SQLSTATE VGnnn (nnn = the gRPC status) and a message naming
 * the field, which the caller receives as is. One statement is one
 * transaction: a call changes everything it should or nothing. */
#include "call.h"
#include "log.h"
#include "pbjson.h"
#include "rpc.h"
#include "sqlcall.h"
#include "svc.h"

#include <stdlib.h>

static void answer(struct call *c, const PGresult *res)
{
    const struct rpc_method *m = call_method(c);
    const char *text = PQgetisnull(res, 0, 0) ? "{}" : PQgetvalue(res, 0, 0);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ProtobufCMessage *resp = NULL;
    char err[300];

    if (j == NULL || !pbjson_decode(j, m->response, &resp, err, sizeof(err))) {
        /* The SQL function and the proto disagree: a defect, not bad input. */
        log_error("msg=\"SQL answer does not match the response type\" method=%s error=%s", m->path,
                  log_quote(j ? err : je.text));
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
    } else {
        call_reply(c, resp);
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    json_decref(j);
}

static void sql_done(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    if (result == POOL_OK && PQntuples(res) == 1) {
        answer(c, res);
        return;
    }
    sqlcall_fail(c, result, res, msg);
}

void svc_sql_call(struct call *c)
{
    json_t *req = pbjson_encode(call_request(c));
    char *req_text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    char *ctx_text = sqlcall_ctx(c);

    json_decref(req);
    if (req_text == NULL || ctx_text == NULL) {
        log_error("msg=\"cannot encode request as JSON\" method=%s", call_method(c)->path);
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
    } else {
        const char *params[] = {ctx_text, req_text};
        call_query(c, call_method(c)->sql, 2, params, sql_done);
    }
    free(req_text);
    free(ctx_text);
}
