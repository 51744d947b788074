/* svc_publish: Publish of vigil.v1.Rankings (central office only). Two
 * statements with the computation between them:
 *   1. rankings_inputs: the cycle's inputs document, its token, and the
 *      predecessor's current ranking;
 *   2. here: the methodology normalised, the canonical bytes and their
 *      digest (canon.h), ranks, movement and aggregates (rank.c,
 *      aggregate.c) as the Ranking and GetAggregatesResponse messages
 *      (rankview.c), in their JSON form;
 *   3. rankings_publish stores them as the cycle's next version, or refuses
 *      (ABORTED) when the inputs changed since step 1; at commit its NOTIFY
 *      tells every daemon to drop the cycle's cached reads.
 * This daemon drops its own before it answers, so that it never serves the
 * old version once it has acknowledged the new one. */
#include "aggregate.h"
#include "cache.h"
#include "log.h"
#include "pbjson.h"
#include "sql.h"
#include "svc.h"
#include "svc_rankings.h"

#include <stdlib.h>

static void publish_done(struct call *c, enum pool_result result, const PGresult *res,
                         const char *msg)
{
    const Vigil__V1__PublishRequest *rq = (const void *)call_request(c);
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    ProtobufCMessage *m = rk_decode(c, ans, &vigil__v1__publish_response__descriptor);
    if (m) {
        const Vigil__V1__PublishResponse *p = (const Vigil__V1__PublishResponse *)m;
        cache_invalidate(call_cache(c), rq->cycle);
        log_info("msg=published cycle=%s version=%d digest=%s", log_quote(rq->cycle),
                 (int)p->version, p->digest);
        call_reply(c, m);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(ans);
}

/* The aggregates of every state of the inputs, as JSON. */
static json_t *aggregates_json(struct call *c, struct rk_live *lv)
{
    const struct canon_inputs *in = &lv->inputs.in;
    struct agg_set agg;
    if (!agg_compute(&in->m, in->n_levels, in->states, in->n_states, &agg)) {
        log_error("msg=\"aggregates failed\" cycle=%s", log_quote(in->cycle));
        call_fail(c, GRPC_INTERNAL, "internal error: the inputs cannot be aggregated");
        return NULL;
    }
    Vigil__V1__GetAggregatesResponse *resp = rankview_aggregates(&lv->rv, in, &agg);
    agg_set_free(&agg);
    if (resp == NULL)
        rk_fail_view(c, RANKVIEW_E_NOMEM, "");
    return pbjson_encode(&resp->base);
}

/* Step 2 and the start of step 3 (see the file's header). */
static void publish_store(struct call *c, const json_t *ans, struct rk_live *lv)
{
    size_t len;
    char digest[65];
    char *canonical = canon_bytes(lv->inputs.doc, &len);
    json_t *aggregates = NULL, *ranking = NULL, *req = NULL;

    if (canonical == NULL) {
        rk_fail_view(c, RANKVIEW_E_NOMEM, "");
        return;
    }
    canon_digest(canonical, len, digest);
    lv->ranking->digest = digest;
    if ((aggregates = aggregates_json(c, lv)) == NULL)
        goto out;
    ranking = pbjson_encode(&lv->ranking->base);
    req = pbjson_encode(call_request(c));
    if (ranking == NULL || req == NULL ||
        json_object_set(req, "token", json_object_get(ans, "token")) != 0 ||
        json_object_set_new(req, "digest", json_string(digest)) != 0 ||
        json_object_set_new(req, "canonical", json_stringn(canonical, len)) != 0 ||
        json_object_set(req, "ranking", ranking) != 0 ||
        json_object_set(req, "aggregates", aggregates) != 0) {
        log_error("msg=\"cannot encode a publication as JSON\" cycle=%s",
                  log_quote(lv->inputs.in.cycle));
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the publication");
        goto out;
    }
    rk_query(c, SQL_RANKINGS_PUBLISH, req, false, publish_done);
out:
    json_decref(req);
    json_decref(ranking);
    json_decref(aggregates);
    free(canonical);
}

static void publish_inputs_done(struct call *c, enum pool_result result, const PGresult *res,
                                const char *msg)
{
    struct rk_live lv;
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    if (rk_live_compute(c, ans, VIGIL__V1__VIEW__VIEW_PUBLISHED, &lv)) {
        publish_store(c, ans, &lv);
        rk_live_clear(&lv);
    }
    json_decref(ans);
}

void svc_rankings_publish(struct call *c)
{
    const Vigil__V1__PublishRequest *rq = (const void *)call_request(c);

    /* rankings_publish checks the role too; asking first spares the
     * computation and names the rule rather than the live view's. */
    if (!rk_central(c)) {
        call_fail(c, GRPC_PERMISSION_DENIED,
                  "role: only the central office may call Rankings/Publish");
        return;
    }
    json_t *req = json_pack("{s:s}", "cycle", rq->cycle);
    if (req == NULL) {
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
        return;
    }
    rk_query(c, SQL_RANKINGS_INPUTS, req, false, publish_inputs_done);
    json_decref(req);
}
