/* svc_rankings_agg: GetAggregates of vigil.v1.Rankings. The published view
 * answers what was published: the stored aggregates, or with a region
 * filter the same computation over the region's states of the published
 * inputs; conditional shares are computed on request from the published
 * inputs (over the region's states with a region). The live view computes
 * everything from rankings_inputs (central office only). Answers without
 * conditional shares are cached (see svc_rankings.h). */
#include "aggregate.h"
#include "log.h"
#include "sql.h"
#include "svc.h"
#include "svc_rankings.h"

#include <stdio.h>
#include <stdlib.h>

static bool agg_key(const struct call *c, char *key)
{
    const Vigil__V1__GetAggregatesRequest *rq = (const void *)call_request(c);
    char v[16];
    if (rq->n_conditionals > 0)
        return false;
    snprintf(v, sizeof(v), "%d", (int)rq->version);
    return rk_key(key, RK_KEY_MAX, c, "aggregates", rq->cycle, v, rq->region, NULL);
}

/* Aggregates computed over states (n of them), or NULL after failing the call. */
static Vigil__V1__GetAggregatesResponse *agg_build(struct call *c, struct rankview *rv,
                                                   const struct canon_inputs *in,
                                                   const struct rank_state *states, size_t n)
{
    struct agg_set agg;
    if (!agg_compute(&in->m, in->n_levels, states, n, &agg)) {
        log_error("msg=\"aggregates failed\" cycle=%s", in->cycle);
        call_fail(c, GRPC_INTERNAL, "internal error: the inputs cannot be aggregated");
        return NULL;
    }
    Vigil__V1__GetAggregatesResponse *resp = rankview_aggregates(rv, in, &agg);
    agg_set_free(&agg);
    if (resp == NULL)
        rk_fail_view(c, RANKVIEW_E_NOMEM, "");
    return resp;
}

/* Answers from inputs: answer holds the region's states; stored (the
 * published aggregates, NULL for the live view) is answered as is when no
 * region filters it. Conditional shares are added; published answers
 * without them are cached. */
static void agg_answer(struct call *c, const struct canon_inputs *in, const json_t *answer,
                       const json_t *stored, int32_t version, bool published, uint64_t gen)
{
    const Vigil__V1__GetAggregatesRequest *rq = (const void *)call_request(c);
    const struct rank_state *states = in->states;
    struct rank_state *subset = NULL;
    size_t n = in->n_states, n_codes;
    const char **codes = rk_region_states(answer, &n_codes);
    ProtobufCMessage *decoded = NULL;
    Vigil__V1__GetAggregatesResponse shallow, *resp = NULL;
    struct rankview rv;
    char err[300], key[RK_KEY_MAX];

    rankview_init(&rv);
    if (rq->region[0]) {
        subset = xcalloc(in->n_states + 1, sizeof(*subset));
        n = rankview_subset(in, codes, n_codes, subset);
        states = subset;
    }
    if (stored && !rq->region[0]) {
        decoded = rk_decode(c, stored, &vigil__v1__get_aggregates_response__descriptor);
        if (decoded) {
            shallow = *(Vigil__V1__GetAggregatesResponse *)decoded; /* conditionals added below */
            resp = &shallow;
        }
    } else {
        resp = agg_build(c, &rv, in, states, n);
    }
    if (resp) {
        resp->version = version;
        enum rankview_status st = rankview_conditionals(&rv, in, states, n, rq->conditionals,
                                                        rq->n_conditionals, resp, err, sizeof(err));
        if (st != RANKVIEW_OK)
            rk_fail_view(c, st, err);
        else
            rk_reply(c, &resp->base, published && agg_key(c, key) ? key : NULL, in->cycle, gen);
    }
    if (decoded)
        protobuf_c_message_free_unpacked(decoded, NULL);
    rankview_clear(&rv);
    free(subset);
    free(codes);
}

/* Published, no region, no conditionals: the stored aggregates as they are. */
static void agg_stored_done(struct call *c, enum pool_result result, const PGresult *res,
                            const char *msg)
{
    char key[RK_KEY_MAX];
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    ProtobufCMessage *m = rk_decode(c, json_object_get(ans, "aggregates"),
                                    &vigil__v1__get_aggregates_response__descriptor);
    if (m) {
        Vigil__V1__GetAggregatesResponse *resp = (Vigil__V1__GetAggregatesResponse *)m;
        resp->version = (int32_t)json_integer_value(json_object_get(ans, "version"));
        rk_reply(c, m, agg_key(c, key) ? key : NULL, rk_str(ans, "cycle"), rk_generation(res, 1));
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(ans);
}

/* Published with a region or conditionals: the published inputs too. */
static void agg_inputs_done(struct call *c, enum pool_result result, const PGresult *res,
                            const char *msg)
{
    json_t *pub, *inputs = NULL;
    struct rk_inputs in;

    if (!rk_ok(c, result, res, msg) || (pub = rk_json(c, res, 0)) == NULL)
        return;
    if ((inputs = rk_json(c, res, 1)) != NULL && rk_inputs_published(c, inputs, &in)) {
        int32_t version = (int32_t)json_integer_value(json_object_get(pub, "version"));
        agg_answer(c, &in.in, pub, json_object_get(pub, "aggregates"), version, true,
                   rk_generation(res, 2));
        rk_inputs_clear(&in);
    }
    json_decref(inputs);
    json_decref(pub);
}

static void agg_live_done(struct call *c, enum pool_result result, const PGresult *res,
                          const char *msg)
{
    struct rk_inputs in;
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    if (rk_inputs_live(c, ans, &in)) {
        agg_answer(c, &in.in, ans, NULL, 0, false, 0);
        rk_inputs_clear(&in);
    }
    json_decref(ans);
}

void svc_rankings_get_aggregates(struct call *c)
{
    const Vigil__V1__GetAggregatesRequest *rq = (const void *)call_request(c);
    char key[RK_KEY_MAX];
    bool live;

    if (!rk_view(c, rq->view, rq->version, &live))
        return;
    if (live)
        rk_query(c, SQL_RANKINGS_INPUTS, NULL, false, agg_live_done);
    else if (agg_key(c, key) && rk_cached(c, key))
        return;
    else if (!rq->region[0] && rq->n_conditionals == 0)
        rk_query(c, SQL_RANKINGS_PUBLISHED, NULL, true, agg_stored_done);
    else
        rk_query(c, SQL_RANKINGS_PUBLISHED_WITH_INPUTS, NULL, true, agg_inputs_done);
}
