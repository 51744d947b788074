/* svc_exchange_import: vigil.v1.Exchange/Import, a stream of Submit
 * requests answered one result each.
 *
 * Each record is one statement of the request pool, hence one transaction:
 * it is stored whole or not at all, with Submit's rules and idempotency
 * (vigil_api.exchange_import calls vigil_api.assessments_submit). A refused
 * record gets its status in its result and the stream goes on; only a
 * failure of the database itself ends the call (the client resends from the
 * first record without a result: request ids make that safe). Records are
 * taken one at a time, and the next only once the client reads the results
 * (call_on_drain), so neither side can make the daemon buffer. */
#include "call.h"
#include "log.h"
#include "pbjson.h"
#include "sql.h"
#include "sqlcall.h"
#include "svc.h"

#include "vigil/v1/exchange.pb-c.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct import {
    char *ctx;
    char *ref; /* of the record in flight, echoed in its result */
    bool dry_run;
    int64_t index; /* of the record in flight */
};

static void on_record(struct call *c, const ProtobufCMessage *msg);

static void import_free(void *arg)
{
    struct import *im = arg;
    free(im->ctx);
    free(im->ref);
    free(im);
}

static void ask_next(struct call *c)
{
    call_next_message(c, on_record);
}

static void stored(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    struct import *im = call_state(c);
    Vigil__V1__ImportResult *out = NULL;
    Vigil__V1__ImportResult refused = VIGIL__V1__IMPORT_RESULT__INIT;
    int code;
    const char *why;
    char err[300];

    if (result == POOL_OK && PQntuples(res) == 1) {
        json_error_t je;
        json_t *j = json_loads(PQgetvalue(res, 0, 0), 0, &je);
        if (j == NULL || !pbjson_decode(j, &vigil__v1__import_result__descriptor,
                                        (ProtobufCMessage **)&out, err, sizeof(err))) {
            log_error("msg=\"SQL answer does not match ImportResult\" error=%s",
                      log_quote(j ? err : je.text));
            json_decref(j);
            call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
            return;
        }
        json_decref(j);
    } else if (sqlcall_refusal(result, res, &code, &why)) {
        refused.code = code;
        refused.message = (char *)why;
        refused.dry_run = im->dry_run;
    } else {
        sqlcall_fail(c, result, res, msg);
        return;
    }
    Vigil__V1__ImportResult *r = out ? out : &refused;
    r->index = im->index;
    char *ref = r->ref;
    r->ref = im->ref ? im->ref : (char *)"";
    bool more = call_send(c, &r->base);
    r->ref = ref;
    if (out)
        protobuf_c_message_free_unpacked(&out->base, NULL);
    if (!more)
        return;
    im->index++;
    call_on_drain(c, ask_next); /* the next record once the client reads results */
}

static void on_record(struct call *c, const ProtobufCMessage *msg)
{
    struct import *im = call_state(c);
    if (msg == NULL) {
        call_finish(c);
        return;
    }
    const Vigil__V1__ImportRequest *r = (const Vigil__V1__ImportRequest *)msg;
    free(im->ref);
    im->ref = xstrdup(r->ref);
    im->dry_run = r->dry_run;
    char *req = sqlcall_json(msg);
    if (req == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
        return;
    }
    const char *params[] = {im->ctx, req};
    call_query(c, SQL_EXCHANGE_IMPORT, 2, params, stored);
    free(req);
}

void svc_exchange_import(struct call *c)
{
    struct import *im = xcalloc(1, sizeof(*im));
    im->ctx = sqlcall_ctx(c);
    call_set_state(c, im, import_free);
    if (im->ctx == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the caller");
        return;
    }
    ask_next(c);
}
