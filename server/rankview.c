/* rankview: Rankings messages from scoring results, and read filters (see
 * rankview.h). Everything is allocated in the rankview's arena. */
#include "rankview.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the arena --- */

#define BLOCK_BYTES 16384
#define ALIGN       alignof(max_align_t)

struct rankview_block {
    struct rankview_block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

void rankview_init(struct rankview *rv)
{
    rv->head = NULL;
}

void rankview_clear(struct rankview *rv)
{
    struct rankview_block *b = rv->head, *next;
    for (; b; b = next) {
        next = b->next;
        free(b);
    }
    rv->head = NULL;
}

/* Zeroed memory for size bytes, or NULL. */
static void *rv_alloc(struct rankview *rv, size_t size)
{
    size = (size + ALIGN - 1) / ALIGN * ALIGN;
    if (size == 0)
        size = ALIGN;
    struct rankview_block *b = rv->head;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > BLOCK_BYTES ? size : BLOCK_BYTES;
        b = calloc(1, sizeof(*b) + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->next = rv->head;
        rv->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void *rv_copy(struct rankview *rv, const void *src, size_t size)
{
    void *p = rv_alloc(rv, size);
    if (p)
        memcpy(p, src, size);
    return p;
}

/* A new message of type T initialised from its INIT macro. */
#define RV_NEW(rv, T, INIT) ((T *)rv_copy((rv), &(T)INIT, sizeof(T)))

/* An array of n pointers (n may be 0). */
#define RV_PTRS(rv, T, n) ((T **)rv_alloc((rv), (n) * sizeof(T *)))

/* Borrowed strings travel in protobuf-c's char * fields; never written. */
#define BORROW(s) ((char *)(s))

static int err_set(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int err_set(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return RANKVIEW_E_INPUT;
}

/* --- figures --- */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a < 0 ? -a : a;
}

/* The figure num/den (den > 0), reduced, with its rounded text. */
static Vigil__V1__Figure *figure(struct rankview *rv, int64_t num, int64_t den)
{
    Vigil__V1__Figure *f = RV_NEW(rv, Vigil__V1__Figure, VIGIL__V1__FIGURE__INIT);
    char *text = rv_alloc(rv, 24);
    if (f == NULL || text == NULL)
        return NULL;
    int64_t g = gcd64(num, den);
    if (g > 1) {
        num /= g;
        den /= g;
    }
    rank_format(rank_round((struct rank_q){num, den}), text, 24);
    f->text = text;
    f->num = num;
    f->den = den;
    return f;
}

/* count / total as a percentage (total > 0). */
static Vigil__V1__Figure *percent(struct rankview *rv, int64_t count, int64_t total)
{
    return figure(rv, count * 100, total);
}

/* Hundredths as a decimal without trailing zeros: 7500 -> "75", 6250 -> "62.5". */
static char *decimal_trim(struct rankview *rv, int64_t h)
{
    char *s = rv_alloc(rv, 24);
    if (s == NULL)
        return NULL;
    if (h % 100 == 0)
        snprintf(s, 24, "%lld", (long long)(h / 100));
    else if (h % 10 == 0)
        snprintf(s, 24, "%lld.%lld", (long long)(h / 100), (long long)(h % 100 / 10));
    else
        snprintf(s, 24, "%lld.%02lld", (long long)(h / 100), (long long)(h % 100));
    return s;
}

/* --- the ranking --- */

static Vigil__V1__Movement *movement(struct rankview *rv, const struct canon_inputs *in,
                                     const struct rankview_pred *pred, const char *state,
                                     int rank_now, int band_now)
{
    Vigil__V1__Movement *m = RV_NEW(rv, Vigil__V1__Movement, VIGIL__V1__MOVEMENT__INIT);
    const Vigil__V1__Ranking *then = pred ? pred->ranking : NULL;
    int prev_rank = 0, prev_band = -1;
    bool same = false;

    if (m == NULL)
        return NULL;
    if (then) {
        const char *mc = pred->methodology ? pred->methodology : then->methodology;
        same = strcmp(mc, in->methodology_code) == 0;
        for (size_t i = 0; i < then->n_ranked; i++) {
            if (strcmp(then->ranked[i]->state, state) == 0) {
                prev_rank = then->ranked[i]->rank;
                prev_band = then->ranked[i]->band_position;
                break;
            }
        }
    }
    struct rank_move mv =
        rank_movement(then != NULL, same, prev_rank, prev_band, rank_now, band_now);
    switch (mv.kind) {
    case RANK_MOVE_NONE:
        m->kind = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NONE;
        break;
    case RANK_MOVE_NEW:
        m->kind = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW;
        break;
    case RANK_MOVE_NOT_COMPARABLE:
        m->kind = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE;
        break;
    case RANK_MOVE_DELTA:
        m->kind = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA;
        m->rank_delta = mv.rank_delta;
        m->band_delta = mv.band_delta;
        break;
    }
    return m;
}

static bool area_results(struct rankview *rv, const struct canon_inputs *in,
                         const struct rank_result *r, Vigil__V1__RankedState *s)
{
    s->n_areas = in->m.n_areas;
    s->areas = RV_PTRS(rv, Vigil__V1__AreaResult, in->m.n_areas);
    if (s->areas == NULL)
        return false;
    for (size_t a = 0; a < in->m.n_areas; a++) {
        Vigil__V1__AreaResult *ar = RV_NEW(rv, Vigil__V1__AreaResult, VIGIL__V1__AREA_RESULT__INIT);
        if (ar == NULL)
            return false;
        ar->area = BORROW(in->areas[a].code);
        if (r->area_rated[a] && (ar->score = figure(rv, r->area[a].num, r->area[a].den)) == NULL)
            return false;
        ar->rank = r->area_rank[a];
        ar->tied = r->area_tied[a];
        s->areas[a] = ar;
    }
    return true;
}

static Vigil__V1__RankedState *ranked_state(struct rankview *rv, const struct canon_inputs *in,
                                            const struct rank_result *r,
                                            const struct rankview_pred *pred)
{
    const struct rank_state *st = &in->states[r->state];
    Vigil__V1__RankedState *s = RV_NEW(rv, Vigil__V1__RankedState, VIGIL__V1__RANKED_STATE__INIT);
    if (s == NULL)
        return NULL;
    s->rank = r->rank;
    s->tied = r->tied;
    s->state = BORROW(st->code);
    s->state_name = BORROW(st->name);
    s->region = BORROW(st->region);
    s->band = BORROW(in->bands[r->band].name);
    s->band_position = r->band;
    s->overall = figure(rv, r->overall.num, r->overall.den);
    s->coverage = percent(rv, r->coverage.num, r->coverage.den);
    s->movement = movement(rv, in, pred, st->code, r->rank, r->band);
    if (!s->overall || !s->coverage || !s->movement || !area_results(rv, in, r, s))
        return NULL;
    return s;
}

static Vigil__V1__NotRankedReason reason_kind(enum rank_reason_kind k)
{
    switch (k) {
    case RANK_REASON_NOT_APPROVED:
        return VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_NOT_APPROVED;
    case RANK_REASON_AREA_UNRATED:
        return VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_AREA_UNRATED;
    case RANK_REASON_COVERAGE:
        return VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_COVERAGE;
    }
    return VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_UNSPECIFIED;
}

static Vigil__V1__UnrankedState *unranked_state(struct rankview *rv, const struct canon_inputs *in,
                                                const struct rank_result *r)
{
    const struct rank_state *st = &in->states[r->state];
    Vigil__V1__UnrankedState *s =
        RV_NEW(rv, Vigil__V1__UnrankedState, VIGIL__V1__UNRANKED_STATE__INIT);
    if (s == NULL || (s->reasons = RV_PTRS(rv, Vigil__V1__Reason, r->n_reasons)) == NULL)
        return NULL;
    s->state = BORROW(st->code);
    s->state_name = BORROW(st->name);
    s->region = BORROW(st->region);
    s->n_reasons = r->n_reasons;
    for (size_t k = 0; k < r->n_reasons; k++) {
        Vigil__V1__Reason *why = RV_NEW(rv, Vigil__V1__Reason, VIGIL__V1__REASON__INIT);
        if (why == NULL)
            return NULL;
        why->reason = reason_kind(r->reasons[k].kind);
        if (r->reasons[k].kind == RANK_REASON_AREA_UNRATED)
            why->area = BORROW(in->areas[r->reasons[k].area].code);
        s->reasons[k] = why;
    }
    if (st->approved && (s->coverage = percent(rv, r->coverage.num, r->coverage.den)) == NULL)
        return NULL;
    return s;
}

static bool bands(struct rankview *rv, const struct canon_inputs *in, Vigil__V1__Ranking *r)
{
    r->n_bands = in->m.n_bands;
    r->bands = RV_PTRS(rv, Vigil__V1__Band, in->m.n_bands);
    if (r->bands == NULL)
        return false;
    for (size_t b = 0; b < in->m.n_bands; b++) {
        Vigil__V1__Band *band = RV_NEW(rv, Vigil__V1__Band, VIGIL__V1__BAND__INIT);
        if (band == NULL ||
            (band->min_score = decimal_trim(rv, in->bands[b].min_hundredths)) == NULL)
            return false;
        band->name = BORROW(in->bands[b].name);
        r->bands[b] = band;
    }
    return true;
}

Vigil__V1__Ranking *rankview_ranking(struct rankview *rv, const struct canon_inputs *in,
                                     const struct rank_set *rs, const struct rankview_pred *pred,
                                     Vigil__V1__View view)
{
    Vigil__V1__Ranking *r = RV_NEW(rv, Vigil__V1__Ranking, VIGIL__V1__RANKING__INIT);
    size_t n_ranked = 0;

    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < rs->n; i++)
        n_ranked += rs->results[i].ranked;
    r->cycle = BORROW(in->cycle);
    r->methodology = BORROW(in->methodology_code);
    r->view = view;
    r->ranked = RV_PTRS(rv, Vigil__V1__RankedState, n_ranked);
    r->not_ranked = RV_PTRS(rv, Vigil__V1__UnrankedState, rs->n - n_ranked);
    if (r->ranked == NULL || r->not_ranked == NULL || !bands(rv, in, r))
        return NULL;
    for (size_t i = 0; i < rs->n; i++) {
        const struct rank_result *res = &rs->results[i];
        if (res->ranked) {
            if ((r->ranked[r->n_ranked++] = ranked_state(rv, in, res, pred)) == NULL)
                return NULL;
        } else if ((r->not_ranked[r->n_not_ranked++] = unranked_state(rv, in, res)) == NULL) {
            return NULL;
        }
    }
    return r;
}

/* --- filters --- */

static bool in_codes(const char *const *codes, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(codes[mid], code);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static const Vigil__V1__AreaResult *area_of(const Vigil__V1__RankedState *s, const char *area)
{
    for (size_t a = 0; a < s->n_areas; a++) {
        if (strcmp(s->areas[a]->area, area) == 0)
            return s->areas[a];
    }
    return NULL;
}

/* Rank order, ties by state name (code points), then code. */
static int by_rank(const void *pa, const void *pb)
{
    const Vigil__V1__RankedState *a = *(Vigil__V1__RankedState *const *)pa;
    const Vigil__V1__RankedState *b = *(Vigil__V1__RankedState *const *)pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = strcmp(a->state_name, b->state_name);
    return c ? c : strcmp(a->state, b->state);
}

/* Competition ranks among the kept states, from their ranks (see rankview.h). */
static void region_ranks(Vigil__V1__RankedState **s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int better = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            better += s[j]->rank < s[i]->rank;
            equal += s[j]->rank == s[i]->rank;
        }
        s[i]->region_rank = better + 1;
        s[i]->region_tied = equal > 1;
    }
}

/* The ranked states kept by f, shallow-copied, with the area's rank. */
static enum rankview_status filter_ranked(struct rankview *rv, const Vigil__V1__Ranking *src,
                                          const struct rankview_filter *f, bool by_area,
                                          bool by_region, Vigil__V1__Ranking *r)
{
    r->n_ranked = 0;
    r->ranked = RV_PTRS(rv, Vigil__V1__RankedState, src->n_ranked);
    if (r->ranked == NULL)
        return RANKVIEW_E_NOMEM;
    for (size_t i = 0; i < src->n_ranked; i++) {
        const Vigil__V1__RankedState *s = src->ranked[i];
        if (by_region && !in_codes(f->region_states, f->n_region_states, s->state))
            continue;
        Vigil__V1__RankedState *k = rv_copy(rv, s, sizeof(*s));
        if (k == NULL)
            return RANKVIEW_E_NOMEM;
        const Vigil__V1__AreaResult *ar = by_area ? area_of(s, f->area) : NULL;
        if (ar) {
            k->rank = ar->rank;
            k->tied = ar->tied;
        }
        k->region_rank = 0;
        k->region_tied = false;
        r->ranked[r->n_ranked++] = k;
    }
    if (by_area)
        qsort(r->ranked, r->n_ranked, sizeof(*r->ranked), by_rank);
    if (by_region)
        region_ranks(r->ranked, r->n_ranked);
    return RANKVIEW_OK;
}

enum rankview_status rankview_filter(struct rankview *rv, const Vigil__V1__Ranking *src,
                                     const struct rankview_filter *f, Vigil__V1__Ranking **out,
                                     char *err, size_t cap)
{
    bool by_area = f->area && f->area[0], by_region = f->region && f->region[0];
    Vigil__V1__Ranking *r = rv_copy(rv, src, sizeof(*src));

    *out = NULL;
    if (r == NULL)
        return RANKVIEW_E_NOMEM;
    if (by_area && src->n_ranked > 0 && area_of(src->ranked[0], f->area) == NULL)
        return err_set(err, cap, "area: unknown area \"%s\" (not an area of methodology %s)",
                       f->area, src->methodology);
    r->area = by_area ? BORROW(f->area) : BORROW("");
    r->region = by_region ? BORROW(f->region) : BORROW("");
    enum rankview_status st = filter_ranked(rv, src, f, by_area, by_region, r);
    if (st != RANKVIEW_OK)
        return st;
    r->n_not_ranked = 0;
    r->not_ranked = RV_PTRS(rv, Vigil__V1__UnrankedState, src->n_not_ranked);
    if (r->not_ranked == NULL)
        return RANKVIEW_E_NOMEM;
    for (size_t i = 0; i < src->n_not_ranked; i++) {
        if (!by_region || in_codes(f->region_states, f->n_region_states, src->not_ranked[i]->state))
            r->not_ranked[r->n_not_ranked++] = src->not_ranked[i];
    }
    *out = r;
    return RANKVIEW_OK;
}

bool rankview_find(const Vigil__V1__Ranking *r, const char *state, Vigil__V1__RankedState **ranked,
                   Vigil__V1__UnrankedState **not_ranked)
{
    *ranked = NULL;
    *not_ranked = NULL;
    for (size_t i = 0; i < r->n_ranked; i++) {
        if (strcmp(r->ranked[i]->state, state) == 0) {
            *ranked = r->ranked[i];
            return true;
        }
    }
    for (size_t i = 0; i < r->n_not_ranked; i++) {
        if (strcmp(r->not_ranked[i]->state, state) == 0) {
            *not_ranked = r->not_ranked[i];
            return true;
        }
    }
    return false;
}

int rankview_state_index(const struct canon_inputs *in, const char *code)
{
    for (size_t s = 0; s < in->n_states; s++) {
        if (strcmp(in->states[s].code, code) == 0)
            return (int)s;
    }
    return -1;
}

size_t rankview_subset(const struct canon_inputs *in, const char *const *codes, size_t n_codes,
                       struct rank_state *out)
{
    size_t n = 0;
    for (size_t s = 0; s < in->n_states; s++) {
        if (in_codes(codes, n_codes, in->states[s].code))
            out[n++] = in->states[s];
    }
    return n;
}

/* --- aggregates --- */

static Vigil__V1__IndicatorAggregate *indicator_aggregate(struct rankview *rv,
                                                          const struct canon_inputs *in, size_t i,
                                                          const struct agg_indicator *a)
{
    Vigil__V1__IndicatorAggregate *ia =
        RV_NEW(rv, Vigil__V1__IndicatorAggregate, VIGIL__V1__INDICATOR_AGGREGATE__INIT);
    if (ia == NULL || (ia->levels = RV_PTRS(rv, Vigil__V1__LevelCount, in->n_levels[i])) == NULL)
        return NULL;
    ia->indicator = BORROW(in->indicators[i].code);
    for (int l = 0; l < in->n_levels[i]; l++) {
        const struct canon_level *lv = &in->levels[i][l];
        if (!lv->has_value)
            continue;
        Vigil__V1__LevelCount *lc = RV_NEW(rv, Vigil__V1__LevelCount, VIGIL__V1__LEVEL_COUNT__INIT);
        if (lc == NULL)
            return NULL;
        lc->level = BORROW(lv->code);
        lc->count = l < a->n_levels ? a->level[l] : 0;
        if (a->n_valued > 0 && (lc->share = percent(rv, lc->count, a->n_valued)) == NULL)
            return NULL;
        ia->levels[ia->n_levels++] = lc;
    }
    ia->no_data = a->no_data;
    ia->not_assessed = a->not_assessed;
    ia->not_applicable = a->not_applicable;
    ia->n = a->n_valued;
    ia->counted = a->counted;
    return ia;
}

Vigil__V1__GetAggregatesResponse *
rankview_aggregates(struct rankview *rv, const struct canon_inputs *in, const struct agg_set *agg)
{
    Vigil__V1__GetAggregatesResponse *r =
        RV_NEW(rv, Vigil__V1__GetAggregatesResponse, VIGIL__V1__GET_AGGREGATES_RESPONSE__INIT);
    if (r == NULL || (r->indicators = RV_PTRS(rv, Vigil__V1__IndicatorAggregate, agg->n)) == NULL)
        return NULL;
    r->cycle = BORROW(in->cycle);
    for (size_t i = 0; i < agg->n && i < in->m.n_indicators; i++) {
        if ((r->indicators[i] = indicator_aggregate(rv, in, i, &agg->indicators[i])) == NULL)
            return NULL;
        r->n_indicators++;
    }
    return r;
}

/* One side of a query: the indicator and the mask of its levels. */
static enum rankview_status query_side(struct rankview *rv, const struct canon_inputs *in, size_t q,
                                       const char *what, const char *code, char *const *levels,
                                       size_t n_levels, int *indicator, bool **mask, char *err,
                                       size_t cap)
{
    *indicator = canon_indicator(in, code);
    if (*indicator < 0)
        return err_set(err, cap, "conditionals[%zu].%s: unknown indicator \"%s\"", q, what, code);
    if (n_levels == 0)
        return err_set(err, cap, "conditionals[%zu].%s_levels: at least one level required", q,
                       what);
    *mask = rv_alloc(rv, (size_t)in->n_levels[*indicator] * sizeof(bool));
    if (*mask == NULL)
        return RANKVIEW_E_NOMEM;
    for (size_t j = 0; j < n_levels; j++) {
        int l = canon_level(in, *indicator, levels[j]);
        if (l < 0)
            return err_set(err, cap,
                           "conditionals[%zu].%s_levels[%zu]: \"%s\" is not a level of %s", q, what,
                           j, levels[j], code);
        if (!in->levels[*indicator][l].has_value)
            return err_set(err, cap,
                           "conditionals[%zu].%s_levels[%zu]: \"%s\" has no value (conditional "
                           "shares count valued levels only)",
                           q, what, j, levels[j]);
        (*mask)[l] = true;
    }
    return RANKVIEW_OK;
}

enum rankview_status rankview_conditionals(struct rankview *rv, const struct canon_inputs *in,
                                           const struct rank_state *states, size_t n,
                                           Vigil__V1__ConditionalQuery *const *queries, size_t nq,
                                           Vigil__V1__GetAggregatesResponse *resp, char *err,
                                           size_t cap)
{
    if (nq > RANKVIEW_MAX_CONDITIONALS)
        return err_set(err, cap, "conditionals: at most %d queries", RANKVIEW_MAX_CONDITIONALS);
    resp->n_conditionals = 0;
    resp->conditionals = RV_PTRS(rv, Vigil__V1__ConditionalShare, nq);
    if (resp->conditionals == NULL)
        return RANKVIEW_E_NOMEM;
    for (size_t q = 0; q < nq; q++) {
        const Vigil__V1__ConditionalQuery *cq = queries[q];
        int target, given;
        bool *tmask, *gmask;
        enum rankview_status st;
        if ((st = query_side(rv, in, q, "target", cq->target, cq->target_levels,
                             cq->n_target_levels, &target, &tmask, err, cap)) != RANKVIEW_OK ||
            (st = query_side(rv, in, q, "given", cq->given, cq->given_levels, cq->n_given_levels,
                             &given, &gmask, err, cap)) != RANKVIEW_OK)
            return st;
        Vigil__V1__ConditionalShare *cs =
            RV_NEW(rv, Vigil__V1__ConditionalShare, VIGIL__V1__CONDITIONAL_SHARE__INIT);
        if (cs == NULL)
            return RANKVIEW_E_NOMEM;
        cs->query = (Vigil__V1__ConditionalQuery *)cq;
        agg_conditional(&in->m, states, n, (size_t)target, tmask, (size_t)given, gmask, &cs->count,
                        &cs->n);
        if (cs->n > 0 && (cs->share = percent(rv, cs->count, cs->n)) == NULL)
            return RANKVIEW_E_NOMEM;
        resp->conditionals[resp->n_conditionals++] = cs;
    }
    return RANKVIEW_OK;
}

/* --- cards --- */

static const Vigil__V1__Entry *text_of(Vigil__V1__Entry *const *texts, size_t n, const char *code)
{
    for (size_t t = 0; t < n; t++) {
        if (strcmp(texts[t]->indicator, code) == 0)
            return texts[t];
    }
    return NULL;
}

static Vigil__V1__CardEntry *card_entry(struct rankview *rv, const struct canon_inputs *in,
                                        size_t i, const struct rank_entry *e,
                                        const Vigil__V1__Entry *text)
{
    Vigil__V1__CardEntry *ce = RV_NEW(rv, Vigil__V1__CardEntry, VIGIL__V1__CARD_ENTRY__INIT);
    if (ce == NULL)
        return NULL;
    ce->indicator = BORROW(in->indicators[i].code);
    ce->area = BORROW(in->areas[in->indicators[i].area].code);
    if (in->indicator_questions[i])
        ce->question = BORROW(in->indicator_questions[i]);
    if (e->kind != RANK_NOT_APPLICABLE && e->level >= 0) {
        const struct canon_level *lv = &in->levels[i][e->level];
        ce->level = BORROW(lv->code);
        if (lv->label)
            ce->level_label = BORROW(lv->label);
    }
    if (text) {
        ce->justification = text->justification;
        ce->n_evidence = text->n_evidence;
        ce->evidence = text->evidence;
    }
    if (e->kind == RANK_VALUED &&
        (ce->score = figure(rv, (int64_t)e->value * 100, in->indicators[i].scale_max)) == NULL)
        return NULL;
    return ce;
}

/* The entries and calls to action of state s, in the methodology's order. */
static bool card_entries(struct rankview *rv, const struct canon_inputs *in, size_t s,
                         Vigil__V1__Entry *const *texts, size_t n_texts,
                         Vigil__V1__GetCardResponse *c)
{
    const struct rank_entry *row = in->states[s].entries;
    size_t n = in->m.n_indicators;
    c->entries = RV_PTRS(rv, Vigil__V1__CardEntry, n);
    c->calls_to_action = RV_PTRS(rv, char, n);
    if (c->entries == NULL || c->calls_to_action == NULL)
        return false;
    for (size_t a = 0; a < in->m.n_areas; a++) {
        for (size_t i = 0; i < n; i++) {
            const struct rank_indicator *ind = &in->indicators[i];
            if (ind->area != (int)a)
                continue;
            const Vigil__V1__Entry *text = text_of(texts, n_texts, ind->code);
            if ((c->entries[c->n_entries++] = card_entry(rv, in, i, &row[i], text)) == NULL)
                return false;
            if (row[i].kind == RANK_VALUED && row[i].value < ind->scale_max &&
                ind->call_to_action && ind->call_to_action[0])
                c->calls_to_action[c->n_calls_to_action++] = BORROW(ind->call_to_action);
        }
    }
    return true;
}

Vigil__V1__GetCardResponse *rankview_card(struct rankview *rv, const struct canon_inputs *in,
                                          const Vigil__V1__Ranking *ranking, int state,
                                          Vigil__V1__Entry *const *texts, size_t n_texts)
{
    Vigil__V1__GetCardResponse *c =
        RV_NEW(rv, Vigil__V1__GetCardResponse, VIGIL__V1__GET_CARD_RESPONSE__INIT);
    if (c == NULL || state < 0 || (size_t)state >= in->n_states)
        return NULL;
    c->cycle = BORROW(in->cycle);
    c->version = ranking->version;
    rankview_find(ranking, in->states[state].code, &c->ranked, &c->not_ranked);
    if (in->states[state].approved && !card_entries(rv, in, (size_t)state, texts, n_texts, c))
        return NULL;
    return c;
}
