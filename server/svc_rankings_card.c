/* svc_rankings_card: GetCard of vigil.v1.Rankings. One statement brings the
 * three parts of a card: the state's entry in the ranking (the stored one
 * for the published view, computed now for the live view), the inputs
 * (methodology: questions, labels, calls to action; the counted levels),
 * and the justification and evidence of the counted revision
 * (rankings_card). Published cards are cached (see svc_rankings.h). */
#include "log.h"
#include "sql.h"
#include "svc.h"
#include "svc_rankings.h"

#include <stdio.h>

static bool card_key(const struct call *c, char *key)
{
    const Vigil__V1__GetCardRequest *rq = (const void *)call_request(c);
    char v[16];
    snprintf(v, sizeof(v), "%d", (int)rq->version);
    return rk_key(key, RK_KEY_MAX, c, "card", rq->cycle, v, rq->state, NULL);
}

/* texts: rankings_card's answer, {"entries": [Entry...]}. */
static void card_answer(struct call *c, const struct canon_inputs *in,
                        const Vigil__V1__Ranking *ranking, const json_t *texts, bool published,
                        uint64_t generation)
{
    const Vigil__V1__GetCardRequest *rq = (const void *)call_request(c);
    int s = rankview_state_index(in, rq->state);
    char key[RK_KEY_MAX];

    if (s < 0) {
        call_fail(c, GRPC_NOT_FOUND, "state: %s is not in the ranking of %s", rq->state, in->cycle);
        return;
    }
    ProtobufCMessage *rev = rk_decode(c, texts, &vigil__v1__revision__descriptor);
    if (rev == NULL)
        return;
    const Vigil__V1__Revision *r = (const Vigil__V1__Revision *)rev;
    struct rankview rv;
    rankview_init(&rv);
    Vigil__V1__GetCardResponse *resp = rankview_card(&rv, in, ranking, s, r->entries, r->n_entries);
    if (resp == NULL)
        rk_fail_view(c, RANKVIEW_E_NOMEM, "");
    else
        rk_reply(c, &resp->base, published && card_key(c, key) ? key : NULL, in->cycle, generation);
    rankview_clear(&rv);
    protobuf_c_message_free_unpacked(rev, NULL);
}

static void card_published_done(struct call *c, enum pool_result result, const PGresult *res,
                                const char *msg)
{
    json_t *pub, *inputs = NULL, *texts = NULL;
    ProtobufCMessage *stored = NULL;
    struct rk_inputs in;

    if (!rk_ok(c, result, res, msg) || (pub = rk_json(c, res, 0)) == NULL)
        return;
    if ((inputs = rk_json(c, res, 1)) != NULL && (texts = rk_json(c, res, 2)) != NULL &&
        (stored = rk_decode(c, json_object_get(pub, "ranking"), &vigil__v1__ranking__descriptor)) &&
        rk_inputs_published(c, inputs, &in)) {
        Vigil__V1__Ranking env = *(Vigil__V1__Ranking *)stored;
        rk_envelope(&env, pub);
        card_answer(c, &in.in, &env, texts, true, rk_generation(res, 3));
        rk_inputs_clear(&in);
    }
    if (stored)
        protobuf_c_message_free_unpacked(stored, NULL);
    json_decref(texts);
    json_decref(inputs);
    json_decref(pub);
}

static void card_live_done(struct call *c, enum pool_result result, const PGresult *res,
                           const char *msg)
{
    json_t *ans, *texts;
    struct rk_live lv;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    if ((texts = rk_json(c, res, 1)) != NULL &&
        rk_live_compute(c, ans, VIGIL__V1__VIEW__VIEW_LIVE, &lv)) {
        card_answer(c, &lv.inputs.in, lv.ranking, texts, false, 0);
        rk_live_clear(&lv);
    }
    json_decref(texts);
    json_decref(ans);
}

void svc_rankings_get_card(struct call *c)
{
    const Vigil__V1__GetCardRequest *rq = (const void *)call_request(c);
    char key[RK_KEY_MAX];
    bool live;

    if (!rk_view(c, rq->view, rq->version, &live))
        return;
    if (live)
        rk_query(c, SQL_RANKINGS_CARD_LIVE, NULL, false, card_live_done);
    else if (!card_key(c, key) || !rk_cached(c, key))
        rk_query(c, SQL_RANKINGS_CARD_PUBLISHED, NULL, true, card_published_done);
}
