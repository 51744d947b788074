/* svc_rankings: GetRanking, GetHistory and GetPublishedInputs of
 * vigil.v1.Rankings, and the helpers every Rankings handler shares (see
 * svc_rankings.h). */
#include "svc_rankings.h"
#include "cache.h"
#include "log.h"
#include "pbjson.h"
#include "rpc.h"
#include "sql.h"
#include "sqlcall.h"
#include "svc.h"

#include "vigil/v1/catalog.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --- */

bool rk_central(const struct call *c)
{
    return call_identity(c)->role == ROLE_CENTRAL;
}

bool rk_key(char *buf, size_t cap, const struct call *c, const char *kind, ...)
{
    va_list ap;
    int n = snprintf(buf, cap, "%c|%s", rk_central(c) ? 'c' : 'p', kind);
    size_t at = (size_t)n;
    bool ok = n > 0 && at < cap;

    va_start(ap, kind);
    for (const char *f; ok && (f = va_arg(ap, const char *)) != NULL;) {
        size_t len = strlen(f);
        if (strchr(f, '|') != NULL || at + 1 + len >= cap) {
            ok = false;
            break;
        }
        buf[at++] = '|';
        memcpy(buf + at, f, len);
        at += len;
    }
    va_end(ap);
    if (ok)
        buf[at] = '\0';
    return ok;
}

bool rk_cached(struct call *c, const char *key)
{
    size_t len;
    const void *bytes = cache_get(call_cache(c), key, &len);
    if (bytes == NULL)
        return false;
    call_reply_bytes(c, bytes, len);
    return true;
}

void rk_query(struct call *c, const char *sql, json_t *req, bool with_generation, call_query_cb cb)
{
    json_t *own = req ? json_incref(req) : pbjson_encode(call_request(c));
    char *req_text = own ? json_dumps(own, JSON_COMPACT) : NULL;
    char *ctx_text = sqlcall_ctx(c);
    char gen[24];

    json_decref(own);
    snprintf(gen, sizeof(gen), "%llu", (unsigned long long)cache_generation(call_cache(c)));
    if (req_text == NULL || ctx_text == NULL) {
        log_error("msg=\"cannot encode request as JSON\" method=%s", call_method(c)->path);
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the request");
    } else {
        const char *params[] = {ctx_text, req_text, gen};
        call_query(c, sql, with_generation ? 3 : 2, params, cb);
    }
    free(req_text);
    free(ctx_text);
}

bool rk_ok(struct call *c, enum pool_result result, const PGresult *res, const char *msg)
{
    if (result == POOL_OK && PQntuples(res) == 1)
        return true;
    sqlcall_fail(c, result, res, msg);
    return false;
}

json_t *rk_json(struct call *c, const PGresult *res, int col)
{
    json_error_t je;
    json_t *j = PQgetisnull(res, 0, col) ? NULL : json_loads(PQgetvalue(res, 0, col), 0, &je);
    if (json_is_object(j))
        return j;
    log_error("msg=\"SQL answer is not a JSON object\" method=%s column=%d", call_method(c)->path,
              col);
    json_decref(j);
    call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
    return NULL;
}

uint64_t rk_generation(const PGresult *res, int col)
{
    return strtoull(PQgetvalue(res, 0, col), NULL, 10);
}

ProtobufCMessage *rk_decode(struct call *c, const json_t *j, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = NULL;
    char err[300];
    if (pbjson_decode(j, d, &m, err, sizeof(err)))
        return m;
    log_error("msg=\"SQL answer does not match its message\" method=%s type=%s error=%s",
              call_method(c)->path, d->name, log_quote(err));
    call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
    return NULL;
}

void rk_reply(struct call *c, const ProtobufCMessage *m, const char *key, const char *cycle,
              uint64_t generation)
{
    if (key == NULL) {
        call_reply(c, m);
        return;
    }
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(len ? len : 1);
    protobuf_c_message_pack(m, buf);
    cache_put(call_cache(c), key, cycle, buf, len, generation);
    log_debug("msg=\"cache fill\" key=%s bytes=%zu", log_quote(key), len);
    call_reply_bytes(c, buf, len);
    free(buf);
}

bool rk_view(struct call *c, Vigil__V1__View view, int32_t version, bool *live)
{
    switch (view) {
    case VIGIL__V1__VIEW__VIEW_UNSPECIFIED:
    case VIGIL__V1__VIEW__VIEW_PUBLISHED:
        *live = false;
        return true;
    case VIGIL__V1__VIEW__VIEW_LIVE:
        *live = true;
        if (version == 0)
            return true;
        call_fail(c, GRPC_INVALID_ARGUMENT,
                  "version: goes with the published view only (the live view has none)");
        return false;
    default:
        call_fail(c, GRPC_INVALID_ARGUMENT, "view: unknown value %d (published or live)",
                  (int)view);
        return false;
    }
}

const char **rk_region_states(const json_t *answer, size_t *n)
{
    const json_t *a = json_object_get(answer, "region_states");
    size_t k = json_array_size(a);
    const char **codes = NULL;

    *n = 0;
    if (k == 0)
        return NULL;
    codes = xcalloc(k, sizeof(*codes));
    for (size_t i = 0; i < k; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            codes[(*n)++] = s;
    }
    return codes;
}

const char *rk_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void rk_fail_view(struct call *c, enum rankview_status st, const char *err)
{
    if (st == RANKVIEW_E_NOMEM) {
        log_error("msg=\"out of memory building a Rankings message\"");
        log_flush();
        abort();
    }
    call_fail(c, GRPC_INVALID_ARGUMENT, "%s", err);
}

void rk_envelope(Vigil__V1__Ranking *r, const json_t *p)
{
    r->view = VIGIL__V1__VIEW__VIEW_PUBLISHED;
    r->version = (int32_t)json_integer_value(json_object_get(p, "version"));
    r->published_at = (char *)rk_str(p, "published_at");
    r->embargo_until = (char *)rk_str(p, "embargo_until");
    r->digest = (char *)rk_str(p, "digest");
    r->superseded = json_is_true(json_object_get(p, "superseded"));
}

/* --- inputs --- */

static bool inputs_read(struct call *c, json_t *doc, struct rk_inputs *out)
{
    char err[300];
    out->doc = doc;
    if (canon_read(doc, &out->in, err, sizeof(err)))
        return true;
    log_error("msg=\"ranking inputs do not read\" method=%s error=%s", call_method(c)->path,
              log_quote(err));
    call_fail(c, GRPC_INTERNAL, "internal error: malformed ranking inputs");
    json_decref(doc);
    out->doc = NULL;
    return false;
}

bool rk_inputs_live(struct call *c, json_t *answer, struct rk_inputs *out)
{
    json_t *doc = json_object_get(answer, "document");
    ProtobufCMessage *m = NULL;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(doc)) {
        log_error("msg=\"rankings_inputs answered without a document\"");
        call_fail(c, GRPC_INTERNAL, "internal error: malformed answer");
        return false;
    }
    m = rk_decode(c, json_object_get(doc, "methodology"), &vigil__v1__methodology__descriptor);
    if (m == NULL)
        return false;
    json_t *normal = pbjson_encode(m);
    protobuf_c_message_free_unpacked(m, NULL);
    if (normal == NULL) {
        log_error("msg=\"cannot encode a methodology as JSON\"");
        call_fail(c, GRPC_INTERNAL, "internal error: cannot encode the methodology");
        return false;
    }
    json_object_set_new(doc, "methodology", normal);
    return inputs_read(c, json_incref(doc), out);
}

bool rk_inputs_published(struct call *c, const json_t *answer, struct rk_inputs *out)
{
    json_error_t je;
    json_t *doc = json_loads(rk_str(answer, "canonical"), 0, &je);

    memset(out, 0, sizeof(*out));
    if (json_is_object(doc))
        return inputs_read(c, doc, out);
    log_error("msg=\"published inputs are not a JSON document\" error=%s", log_quote(je.text));
    json_decref(doc);
    call_fail(c, GRPC_INTERNAL, "internal error: malformed published inputs");
    return false;
}

void rk_inputs_clear(struct rk_inputs *in)
{
    if (in->doc)
        canon_clear(&in->in);
    json_decref(in->doc);
    in->doc = NULL;
}

bool rk_live_compute(struct call *c, json_t *answer, Vigil__V1__View view, struct rk_live *lv)
{
    const json_t *pj = json_object_get(answer, "predecessor_ranking");

    memset(lv, 0, sizeof(*lv));
    rankview_init(&lv->rv);
    if (!rk_inputs_live(c, answer, &lv->inputs))
        return false;
    const struct canon_inputs *in = &lv->inputs.in;
    if (json_is_object(pj) && (lv->pred = (Vigil__V1__Ranking *)rk_decode(
                                   c, pj, &vigil__v1__ranking__descriptor)) == NULL)
        goto fail;
    if (in->has_predecessor != (lv->pred != NULL)) {
        log_error("msg=\"predecessor ranking and inputs disagree\" cycle=%s", in->cycle);
        call_fail(c, GRPC_INTERNAL, "internal error: predecessor ranking missing");
        goto fail;
    }
    enum rank_status rc = rank_compute(&in->m, in->states, in->n_states, &lv->rs);
    if (rc != RANK_OK) {
        log_error("msg=\"ranking failed\" cycle=%s status=%d", in->cycle, (int)rc);
        call_fail(c, GRPC_INTERNAL, "internal error: the inputs cannot be ranked");
        goto fail;
    }
    const char *pm = json_string_value(json_object_get(answer, "predecessor_methodology"));
    struct rankview_pred pred = {lv->pred, pm};
    lv->ranking = rankview_ranking(&lv->rv, in, &lv->rs, &pred, view);
    if (lv->ranking == NULL)
        rk_fail_view(c, RANKVIEW_E_NOMEM, "");
    return true;
fail:
    rk_live_clear(lv);
    return false;
}

void rk_live_clear(struct rk_live *lv)
{
    rankview_clear(&lv->rv);
    rank_set_free(&lv->rs);
    if (lv->pred)
        protobuf_c_message_free_unpacked(&lv->pred->base, NULL);
    lv->pred = NULL;
    rk_inputs_clear(&lv->inputs);
}

/* --- GetRanking --- */

static bool ranking_key(const struct call *c, char *key)
{
    const Vigil__V1__GetRankingRequest *rq = (const void *)call_request(c);
    char v[16];
    snprintf(v, sizeof(v), "%d", (int)rq->version);
    return rk_key(key, RK_KEY_MAX, c, "ranking", rq->cycle, v, rq->area, rq->region, NULL);
}

/* Applies the request's filters to src and answers. answer: the SQL answer
 * with the region's states (and, published, the envelope). */
static void ranking_answer(struct call *c, const Vigil__V1__Ranking *src, const json_t *answer,
                           bool published, uint64_t generation)
{
    const Vigil__V1__GetRankingRequest *rq = (const void *)call_request(c);
    struct rankview rv;
    size_t n_codes;
    const char **codes = rk_region_states(answer, &n_codes);
    struct rankview_filter f = {rq->area, rq->region, codes, n_codes};
    Vigil__V1__Ranking *out;
    char err[300], key[RK_KEY_MAX];

    rankview_init(&rv);
    enum rankview_status st = rankview_filter(&rv, src, &f, &out, err, sizeof(err));
    if (st != RANKVIEW_OK) {
        rk_fail_view(c, st, err);
    } else if (published) {
        rk_envelope(out, answer);
        rk_reply(c, &out->base, ranking_key(c, key) ? key : NULL, out->cycle, generation);
    } else {
        rk_reply(c, &out->base, NULL, NULL, 0);
    }
    free(codes);
    rankview_clear(&rv);
}

static void ranking_published_done(struct call *c, enum pool_result result, const PGresult *res,
                                   const char *msg)
{
    json_t *ans;
    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    ProtobufCMessage *stored =
        rk_decode(c, json_object_get(ans, "ranking"), &vigil__v1__ranking__descriptor);
    if (stored) {
        ranking_answer(c, (Vigil__V1__Ranking *)stored, ans, true, rk_generation(res, 1));
        protobuf_c_message_free_unpacked(stored, NULL);
    }
    json_decref(ans);
}

static void ranking_live_done(struct call *c, enum pool_result result, const PGresult *res,
                              const char *msg)
{
    const Vigil__V1__GetRankingRequest *rq = (const void *)call_request(c);
    struct rk_live lv;
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    if (rk_live_compute(c, ans, VIGIL__V1__VIEW__VIEW_LIVE, &lv)) {
        if (rq->area[0] && canon_area(&lv.inputs.in, rq->area) < 0)
            call_fail(c, GRPC_INVALID_ARGUMENT,
                      "area: unknown area \"%s\" (not an area of methodology %s)", rq->area,
                      lv.inputs.in.methodology_code);
        else
            ranking_answer(c, lv.ranking, ans, false, 0);
        rk_live_clear(&lv);
    }
    json_decref(ans);
}

/* The hot path: a published ranking from the cache costs a key on the stack
 * and the copy call_reply_bytes makes, no database round trip. */
void svc_rankings_get_ranking(struct call *c)
{
    const Vigil__V1__GetRankingRequest *rq = (const void *)call_request(c);
    char key[RK_KEY_MAX];
    bool live;

    if (!rk_view(c, rq->view, rq->version, &live))
        return;
    if (live)
        rk_query(c, SQL_RANKINGS_INPUTS, NULL, false, ranking_live_done);
    else if (!ranking_key(c, key) || !rk_cached(c, key))
        rk_query(c, SQL_RANKINGS_PUBLISHED, NULL, true, ranking_published_done);
}

/* --- GetHistory --- */

static bool history_key(const struct call *c, char *key)
{
    const Vigil__V1__GetHistoryRequest *rq = (const void *)call_request(c);
    return rk_key(key, RK_KEY_MAX, c, "history", rq->state, NULL);
}

static void history_answer(struct call *c, const json_t *ans, uint64_t generation)
{
    const json_t *items = json_object_get(ans, "items");
    size_t n = json_array_size(items);
    ProtobufCMessage **rankings = xcalloc(n + 1, sizeof(*rankings));
    Vigil__V1__HistoryItem *item = xcalloc(n + 1, sizeof(*item));
    Vigil__V1__HistoryItem **ptrs = xcalloc(n + 1, sizeof(*ptrs));
    Vigil__V1__GetHistoryResponse resp = VIGIL__V1__GET_HISTORY_RESPONSE__INIT;
    char key[RK_KEY_MAX];
    bool ok = true;

    resp.state = (char *)rk_str(ans, "state");
    resp.state_name = (char *)rk_str(ans, "state_name");
    resp.items = ptrs;
    for (size_t i = 0; i < n && ok; i++) {
        const json_t *it = json_array_get(items, i);
        rankings[i] = rk_decode(c, json_object_get(it, "ranking"), &vigil__v1__ranking__descriptor);
        if ((ok = rankings[i] != NULL)) {
            vigil__v1__history_item__init(&item[i]);
            item[i].cycle = (char *)rk_str(it, "cycle");
            item[i].version = (int32_t)json_integer_value(json_object_get(it, "version"));
            if (rankview_find((Vigil__V1__Ranking *)rankings[i], resp.state, &item[i].ranked,
                              &item[i].not_ranked))
                ptrs[resp.n_items++] = &item[i];
        }
    }
    if (ok)
        rk_reply(c, &resp.base, history_key(c, key) ? key : NULL, "", generation);
    for (size_t i = 0; i < n; i++) {
        if (rankings[i])
            protobuf_c_message_free_unpacked(rankings[i], NULL);
    }
    free(rankings);
    free(item);
    free(ptrs);
}

static void history_done(struct call *c, enum pool_result result, const PGresult *res,
                         const char *msg)
{
    json_t *ans;
    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    history_answer(c, ans, rk_generation(res, 1));
    json_decref(ans);
}

void svc_rankings_get_history(struct call *c)
{
    char key[RK_KEY_MAX];
    if (!history_key(c, key) || !rk_cached(c, key))
        rk_query(c, SQL_RANKINGS_HISTORY, NULL, true, history_done);
}

/* --- GetPublishedInputs --- */

static bool inputs_key(const struct call *c, char *key)
{
    const Vigil__V1__GetPublishedInputsRequest *rq = (const void *)call_request(c);
    char v[16];
    snprintf(v, sizeof(v), "%d", (int)rq->version);
    return rk_key(key, RK_KEY_MAX, c, "inputs", rq->cycle, v, NULL);
}

/* By hand: the canonical bytes travel as bytes, which pbjson does not map. */
static void inputs_done(struct call *c, enum pool_result result, const PGresult *res,
                        const char *msg)
{
    Vigil__V1__GetPublishedInputsResponse resp = VIGIL__V1__GET_PUBLISHED_INPUTS_RESPONSE__INIT;
    char key[RK_KEY_MAX];
    json_t *ans;

    if (!rk_ok(c, result, res, msg) || (ans = rk_json(c, res, 0)) == NULL)
        return;
    const char *canonical = rk_str(ans, "canonical");
    resp.cycle = (char *)rk_str(ans, "cycle");
    resp.version = (int32_t)json_integer_value(json_object_get(ans, "version"));
    resp.digest = (char *)rk_str(ans, "digest");
    resp.canonical.data = (uint8_t *)canonical;
    resp.canonical.len = strlen(canonical);
    rk_reply(c, &resp.base, inputs_key(c, key) ? key : NULL, resp.cycle, rk_generation(res, 1));
    json_decref(ans);
}

void svc_rankings_get_published_inputs(struct call *c)
{
    char key[RK_KEY_MAX];
    if (!inputs_key(c, key) || !rk_cached(c, key))
        rk_query(c, SQL_RANKINGS_PUBLISHED_INPUTS, NULL, true, inputs_done);
}
