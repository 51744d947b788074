/* rankcheck: published results against a recomputation (see rankcheck.h). */
#include "rankcheck.h"
#include "pbjson.h"
#include "rankfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rankcheck_init(struct rankcheck *c)
{
    memset(c, 0, sizeof(*c));
}

void rankcheck_clear(struct rankcheck *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    memset(c, 0, sizeof(*c));
}

void rankcheck_add(struct rankcheck *c, const char *fmt, ...)
{
    char **grown = realloc(c->lines, (c->n + 1) * sizeof(*grown));
    char *line = NULL;
    va_list ap;

    if (grown != NULL) {
        c->lines = grown;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
            line = NULL;
        va_end(ap);
    }
    if (line == NULL) {
        c->nomem = true;
        return;
    }
    c->lines[c->n++] = line;
}

/* ---- figures ---- */

/* Compares a published figure with the exact value q (shown as h
 * hundredths); want false means it must be unset. */
static void figure(struct rankcheck *c, const char *who, const char *what,
                   const Vigil__V1__Figure *pub, bool want, struct rank_q q, int64_t h)
{
    char text[32];

    rank_format(h, text, sizeof(text));
    if (pub == NULL || !want) {
        if ((pub != NULL) != want)
            rankcheck_add(c, "%s: %s published %s, recomputed %s", who, what,
                          pub ? rankfmt_figure(pub) : "none", want ? text : "none");
        return;
    }
    if (strcmp(pub->text, text) != 0) {
        rankcheck_add(c, "%s: %s published %s, recomputed %s", who, what, pub->text, text);
        return;
    }
    if (pub->den <= 0 || (__int128)pub->num * q.den != (__int128)q.num * pub->den)
        rankcheck_add(c, "%s: %s published %s (%lld/%lld), recomputed %s (%lld/%lld)", who, what,
                      pub->text, (long long)pub->num, (long long)pub->den, text, (long long)q.num,
                      (long long)q.den);
}

/* count/n as a percentage. */
static struct rank_q percent(int64_t count, int64_t n)
{
    return (struct rank_q){count * 100, n > 0 ? n : 1};
}

static void number(struct rankcheck *c, const char *who, const char *what, long long pub,
                   long long re)
{
    if (pub != re)
        rankcheck_add(c, "%s: %s published %lld, recomputed %lld", who, what, pub, re);
}

static void text(struct rankcheck *c, const char *who, const char *what, const char *pub,
                 const char *re)
{
    if (strcmp(pub, re != NULL ? re : "") != 0)
        rankcheck_add(c, "%s: %s published \"%s\", recomputed \"%s\"", who, what, pub,
                      re != NULL ? re : "");
}

/* ---- ranking ---- */

static int state_index(const struct canon_inputs *in, const char *code)
{
    for (size_t i = 0; i < in->n_states; i++) {
        if (strcmp(in->states[i].code, code) == 0)
            return (int)i;
    }
    return -1;
}

static const Vigil__V1__RankedState *find_ranked(const Vigil__V1__Ranking *r, const char *code)
{
    for (size_t i = 0; r != NULL && i < r->n_ranked; i++) {
        if (strcmp(r->ranked[i]->state, code) == 0)
            return r->ranked[i];
    }
    return NULL;
}

static const Vigil__V1__UnrankedState *find_unranked(const Vigil__V1__Ranking *r, const char *code)
{
    for (size_t i = 0; i < r->n_not_ranked; i++) {
        if (strcmp(r->not_ranked[i]->state, code) == 0)
            return r->not_ranked[i];
    }
    return NULL;
}

static const Vigil__V1__AreaResult *find_area(const Vigil__V1__RankedState *s, const char *code)
{
    for (size_t a = 0; a < s->n_areas; a++) {
        if (strcmp(s->areas[a]->area, code) == 0)
            return s->areas[a];
    }
    return NULL;
}

static void areas(struct rankcheck *c, const struct canon_inputs *in, const struct rank_result *r,
                  const Vigil__V1__RankedState *p)
{
    char who[64], rank[16], prank[16];

    if (p->n_areas != in->m.n_areas)
        rankcheck_add(c, "%s: %zu areas published, %zu recomputed", p->state, p->n_areas,
                      in->m.n_areas);
    for (size_t a = 0; a < in->m.n_areas; a++) {
        const Vigil__V1__AreaResult *pa = find_area(p, in->areas[a].code);
        snprintf(who, sizeof(who), "%s %s", p->state, in->areas[a].code);
        if (pa == NULL) {
            rankcheck_add(c, "%s: area published none, recomputed %s", who,
                          r->area_rated[a] ? "a score" : "unrated");
            continue;
        }
        if (a < p->n_areas && strcmp(p->areas[a]->area, in->areas[a].code) != 0)
            rankcheck_add(c, "%s: areas out of the methodology's order (%s at position %zu)", who,
                          p->areas[a]->area, a + 1);
        figure(c, who, "score", pa->score, r->area_rated[a], r->area[a], r->area_h[a]);
        rankfmt_rank(pa->rank, pa->tied, prank, sizeof(prank));
        rankfmt_rank(r->area_rank[a], r->area_tied[a], rank, sizeof(rank));
        if (strcmp(prank, rank) != 0)
            rankcheck_add(c, "%s: rank published %s, recomputed %s", who, prank[0] ? prank : "none",
                          rank[0] ? rank : "none");
    }
}

/* The movement the rules give r against pred. */
static struct rank_move movement(const struct canon_inputs *in, const struct rank_result *r,
                                 const Vigil__V1__Ranking *pred)
{
    const Vigil__V1__RankedState *then = find_ranked(pred, in->states[r->state].code);

    return rank_movement(
        pred != NULL, pred != NULL && strcmp(pred->methodology, in->methodology_code) == 0,
        then != NULL ? then->rank : 0, then != NULL ? then->band_position : -1, r->rank, r->band);
}

static void move(struct rankcheck *c, const struct canon_inputs *in, const struct rank_result *r,
                 const Vigil__V1__Ranking *pred, const Vigil__V1__RankedState *p)
{
    static const int kinds[] = {
        [RANK_MOVE_NONE] = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NONE,
        [RANK_MOVE_NEW] = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW,
        [RANK_MOVE_NOT_COMPARABLE] = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE,
        [RANK_MOVE_DELTA] = VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA,
    };
    struct rank_move m = movement(in, r, pred);
    Vigil__V1__Movement want = VIGIL__V1__MOVEMENT__INIT, none = VIGIL__V1__MOVEMENT__INIT;
    const Vigil__V1__Movement *got = p->movement != NULL ? p->movement : &none;
    char a[64], b[64];

    want.kind = kinds[m.kind];
    want.rank_delta = m.kind == RANK_MOVE_DELTA ? m.rank_delta : 0;
    want.band_delta = m.kind == RANK_MOVE_DELTA ? m.band_delta : 0;
    bool delta = want.kind == VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA;
    if (got->kind == want.kind &&
        (!delta || (got->rank_delta == want.rank_delta && got->band_delta == want.band_delta)))
        return;
    rankfmt_movement(got, a, sizeof(a));
    rankfmt_movement(&want, b, sizeof(b));
    rankcheck_add(c, "%s: movement published \"%s\", recomputed \"%s\"", p->state, a, b);
}

static void ranked_state(struct rankcheck *c, const struct canon_inputs *in,
                         const struct rank_result *r, const Vigil__V1__Ranking *pred,
                         const Vigil__V1__RankedState *p)
{
    const struct rank_state *st = &in->states[r->state];
    char rank[16], prank[16];

    rankfmt_rank(p->rank, p->tied, prank, sizeof(prank));
    rankfmt_rank(r->rank, r->tied, rank, sizeof(rank));
    if (strcmp(prank, rank) != 0)
        rankcheck_add(c, "%s: rank published %s, recomputed %s", p->state, prank, rank);
    text(c, p->state, "name", p->state_name, st->name);
    text(c, p->state, "region", p->region, st->region);
    figure(c, p->state, "overall", p->overall, true, r->overall, r->overall_h);
    areas(c, in, r, p);
    text(c, p->state, "band", p->band, in->bands[r->band].name);
    number(c, p->state, "band position", p->band_position, r->band);
    figure(c, p->state, "coverage", p->coverage, true, percent(r->coverage.num, r->coverage.den),
           rank_percent_h(r->coverage.num, r->coverage.den));
    move(c, in, r, pred, p);
    if (p->region_rank != 0 || p->region_tied)
        rankcheck_add(c, "%s: a region rank (%d) without a region filter", p->state,
                      p->region_rank);
}

/* "not_approved, area_unrated CA, coverage" */
static void reasons_text(const Vigil__V1__UnrankedState *u, char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; u != NULL && i < u->n_reasons && used < cap; i++) {
        char name[48] = "?";
        const Vigil__V1__Reason *r = u->reasons[i];
        pbjson_enum_name(&vigil__v1__not_ranked_reason__descriptor, r->reason, name, sizeof(name));
        int w = snprintf(buf + used, cap - used, "%s%s%s%s", i > 0 ? ", " : "", name,
                         r->area[0] ? " " : "", r->area);
        used += w > 0 ? (size_t)w : 0;
    }
}

static void unranked_state(struct rankcheck *c, const struct canon_inputs *in,
                           const struct rank_result *r, const Vigil__V1__UnrankedState *p)
{
    static const int kinds[] = {
        [RANK_REASON_NOT_APPROVED] = VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_NOT_APPROVED,
        [RANK_REASON_AREA_UNRATED] = VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_AREA_UNRATED,
        [RANK_REASON_COVERAGE] = VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_COVERAGE,
    };
    const struct rank_state *st = &in->states[r->state];
    bool same = p->n_reasons == r->n_reasons;
    char a[256], b[256];

    text(c, p->state, "name", p->state_name, st->name);
    text(c, p->state, "region", p->region, st->region);
    for (size_t i = 0; same && i < r->n_reasons; i++) {
        const struct rank_reason *k = &r->reasons[i];
        const char *area = k->kind == RANK_REASON_AREA_UNRATED ? in->areas[k->area].code : "";
        same =
            (int)p->reasons[i]->reason == kinds[k->kind] && strcmp(p->reasons[i]->area, area) == 0;
    }
    if (!same) {
        /* The recomputed reasons in the published form, to show both alike. */
        Vigil__V1__Reason rs[8], *rp[8];
        Vigil__V1__UnrankedState u = VIGIL__V1__UNRANKED_STATE__INIT;
        for (size_t i = 0; i < r->n_reasons && i < 8; i++) {
            vigil__v1__reason__init(&rs[i]);
            rs[i].reason = kinds[r->reasons[i].kind];
            rs[i].area = (char *)(r->reasons[i].kind == RANK_REASON_AREA_UNRATED
                                      ? in->areas[r->reasons[i].area].code
                                      : "");
            rp[i] = &rs[i];
        }
        u.n_reasons = r->n_reasons < 8 ? r->n_reasons : 8;
        u.reasons = rp;
        reasons_text(p, a, sizeof(a));
        reasons_text(&u, b, sizeof(b));
        rankcheck_add(c, "%s: reasons published [%s], recomputed [%s]", p->state, a, b);
    }
    figure(c, p->state, "coverage", p->coverage, st->approved,
           percent(r->coverage.num, r->coverage.den),
           rank_percent_h(r->coverage.num, r->coverage.den));
}

static void bands(struct rankcheck *c, const struct canon_inputs *in, const Vigil__V1__Ranking *p)
{
    int64_t h;

    if (p->n_bands != in->m.n_bands) {
        rankcheck_add(c, "bands: %zu published, %zu in the methodology", p->n_bands, in->m.n_bands);
        return;
    }
    for (size_t b = 0; b < p->n_bands; b++) {
        char min[32];
        rank_format(in->bands[b].min_hundredths, min, sizeof(min));
        if (strcmp(p->bands[b]->name, in->bands[b].name) != 0 ||
            !rank_parse_hundredths(p->bands[b]->min_score, &h) || h != in->bands[b].min_hundredths)
            rankcheck_add(c, "band %zu: published \"%s\" from %s, the methodology's \"%s\" from %s",
                          b + 1, p->bands[b]->name, p->bands[b]->min_score, in->bands[b].name, min);
    }
}

/* The order of the published list against the recomputed one. */
static void order(struct rankcheck *c, const char *what, const char *const *pub, size_t npub,
                  const char *const *re, size_t nre)
{
    for (size_t i = 0; i < npub && i < nre; i++) {
        if (strcmp(pub[i], re[i]) != 0) {
            rankcheck_add(c, "%s: position %zu published %s, recomputed %s", what, i + 1, pub[i],
                          re[i]);
            return;
        }
    }
}

size_t rankcheck_ranking(struct rankcheck *c, const struct canon_inputs *in,
                         const struct rank_set *s, const Vigil__V1__Ranking *pred,
                         const Vigil__V1__Ranking *p)
{
    size_t before = c->n, nre = 0, nun = 0;
    const char **re = calloc(s->n + 1, sizeof(*re)), **un = calloc(s->n + 1, sizeof(*un));
    const char **pr = calloc(p->n_ranked + 1, sizeof(*pr));
    const char **pu = calloc(p->n_not_ranked + 1, sizeof(*pu));

    text(c, "ranking", "cycle", p->cycle, in->cycle);
    text(c, "ranking", "methodology", p->methodology, in->methodology_code);
    if (p->area[0] != '\0' || p->region[0] != '\0')
        rankcheck_add(c, "ranking: filtered (area \"%s\", region \"%s\"), not the whole ranking",
                      p->area, p->region);
    bands(c, in, p);
    for (size_t i = 0; i < s->n; i++) {
        const struct rank_result *r = &s->results[i];
        const char *code = in->states[r->state].code;
        const Vigil__V1__RankedState *pr_state = find_ranked(p, code);
        const Vigil__V1__UnrankedState *pu_state = find_unranked(p, code);
        if (re != NULL && un != NULL)
            (r->ranked ? re : un)[r->ranked ? nre++ : nun++] = code;
        if (r->ranked && pr_state != NULL)
            ranked_state(c, in, r, pred, pr_state);
        else if (!r->ranked && pu_state != NULL)
            unranked_state(c, in, r, pu_state);
        else
            rankcheck_add(c, "%s: published %s, recomputed %s", code,
                          pr_state   ? "ranked"
                          : pu_state ? "not ranked"
                                     : "missing",
                          r->ranked ? "ranked" : "not ranked");
    }
    for (size_t i = 0; pr != NULL && i < p->n_ranked; i++) {
        pr[i] = p->ranked[i]->state;
        if (state_index(in, pr[i]) < 0)
            rankcheck_add(c, "%s: published ranked, not among the inputs' states", pr[i]);
    }
    for (size_t i = 0; pu != NULL && i < p->n_not_ranked; i++) {
        pu[i] = p->not_ranked[i]->state;
        if (state_index(in, pu[i]) < 0)
            rankcheck_add(c, "%s: published not ranked, not among the inputs' states", pu[i]);
    }
    if (re == NULL || un == NULL || pr == NULL || pu == NULL) {
        c->nomem = true;
    } else {
        order(c, "ranked", pr, p->n_ranked, re, nre);
        order(c, "not ranked", pu, p->n_not_ranked, un, nun);
    }
    free(re);
    free(un);
    free(pr);
    free(pu);
    return c->n - before;
}

/* ---- aggregates ---- */

static const Vigil__V1__IndicatorAggregate *
find_aggregate(const Vigil__V1__GetAggregatesResponse *p, const char *code)
{
    for (size_t i = 0; i < p->n_indicators; i++) {
        if (strcmp(p->indicators[i]->indicator, code) == 0)
            return p->indicators[i];
    }
    return NULL;
}

/* A share of n: unset, or 0, when n is 0 (the contract leaves it open). */
static void share(struct rankcheck *c, const char *who, const Vigil__V1__Figure *pub, int64_t count,
                  int64_t n)
{
    if (n == 0 && (pub == NULL || (pub->num == 0 && strcmp(pub->text, "0.00") == 0)))
        return;
    figure(c, who, "share", pub, n > 0, percent(count, n), rank_percent_h(count, n));
}

static void indicator(struct rankcheck *c, const struct canon_inputs *in, size_t i,
                      const struct agg_indicator *a, const Vigil__V1__IndicatorAggregate *p)
{
    const char *code = in->indicators[i].code;
    char who[96];
    size_t k = 0;

    for (int l = 0; l < in->n_levels[i]; l++) {
        const struct canon_level *lv = &in->levels[i][l];
        if (!lv->has_value)
            continue;
        snprintf(who, sizeof(who), "%s %s", code, lv->code);
        if (k >= p->n_levels || strcmp(p->levels[k]->level, lv->code) != 0) {
            rankcheck_add(c, "%s: level published %s at position %zu", who,
                          k < p->n_levels ? p->levels[k]->level : "none", k + 1);
            k++;
            continue;
        }
        number(c, who, "count", p->levels[k]->count, a->level[l]);
        share(c, who, p->levels[k]->share, a->level[l], a->n_valued);
        k++;
    }
    if (p->n_levels != k)
        rankcheck_add(c, "%s: %zu levels published, %zu valued levels in its scale", code,
                      p->n_levels, k);
    number(c, code, "no data", p->no_data, a->no_data);
    number(c, code, "not assessed", p->not_assessed, a->not_assessed);
    number(c, code, "not applicable", p->not_applicable, a->not_applicable);
    number(c, code, "N", p->n, a->n_valued);
    number(c, code, "counted", p->counted, a->counted);
}

/* A mask over indicator i's levels from codes; false on an unknown one. */
static bool level_mask(const struct canon_inputs *in, int i, char **codes, size_t n, bool *mask)
{
    for (size_t k = 0; k < n; k++) {
        int l = canon_level(in, i, codes[k]);
        if (l < 0)
            return false;
        mask[l] = true;
    }
    return true;
}

static void conditional(struct rankcheck *c, const struct canon_inputs *in,
                        const Vigil__V1__ConditionalShare *p)
{
    const Vigil__V1__ConditionalQuery *q = p->query;
    int t = q != NULL ? canon_indicator(in, q->target) : -1;
    int g = q != NULL ? canon_indicator(in, q->given) : -1;
    char who[160];
    int64_t count, n;

    if (t < 0 || g < 0) {
        rankcheck_add(c, "conditional %s|%s: unknown indicator", q ? q->target : "?",
                      q ? q->given : "?");
        return;
    }
    snprintf(who, sizeof(who), "conditional %s|%s", q->target, q->given);
    bool *tm = calloc((size_t)in->n_levels[t] + 1, sizeof(bool));
    bool *gm = calloc((size_t)in->n_levels[g] + 1, sizeof(bool));
    if (tm == NULL || gm == NULL) {
        c->nomem = true;
    } else if (!level_mask(in, t, q->target_levels, q->n_target_levels, tm) ||
               !level_mask(in, g, q->given_levels, q->n_given_levels, gm)) {
        rankcheck_add(c, "%s: unknown level", who);
    } else {
        agg_conditional(&in->m, in->states, in->n_states, (size_t)t, tm, (size_t)g, gm, &count, &n);
        number(c, who, "count", p->count, count);
        number(c, who, "N", p->n, n);
        share(c, who, p->share, count, n);
    }
    free(tm);
    free(gm);
}

size_t rankcheck_aggregates(struct rankcheck *c, const struct canon_inputs *in,
                            const struct agg_set *a, const Vigil__V1__GetAggregatesResponse *p)
{
    size_t before = c->n;

    text(c, "aggregates", "cycle", p->cycle, in->cycle);
    if (p->n_indicators != a->n)
        rankcheck_add(c, "aggregates: %zu indicators published, %zu in the methodology",
                      p->n_indicators, a->n);
    for (size_t i = 0; i < a->n; i++) {
        const Vigil__V1__IndicatorAggregate *pi = find_aggregate(p, in->indicators[i].code);
        if (pi == NULL)
            rankcheck_add(c, "%s: no aggregate published", in->indicators[i].code);
        else
            indicator(c, in, i, &a->indicators[i], pi);
        if (pi != NULL && (i >= p->n_indicators || p->indicators[i] != pi))
            rankcheck_add(c, "%s: aggregate out of the methodology's order",
                          in->indicators[i].code);
    }
    for (size_t i = 0; i < p->n_conditionals; i++)
        conditional(c, in, p->conditionals[i]);
    return c->n - before;
}

bool rankcheck_run(struct rankcheck *c, const struct canon_inputs *in,
                   const Vigil__V1__Ranking *pred, const Vigil__V1__Ranking *ranking,
                   const Vigil__V1__GetAggregatesResponse *aggregates)
{
    static const char *const why[] = {"", "inconsistent inputs", "a figure too large to hold",
                                      "out of memory"};
    struct rank_set s;
    struct agg_set a = {0};
    enum rank_status rs = rank_compute(&in->m, in->states, in->n_states, &s);

    if (rs != RANK_OK) {
        rankcheck_add(c, "cannot recompute the ranking: %s", why[rs]);
        return false;
    }
    if (ranking != NULL)
        rankcheck_ranking(c, in, &s, pred, ranking);
    rank_set_free(&s);
    if (aggregates == NULL)
        return true;
    if (!agg_compute(&in->m, in->n_levels, in->states, in->n_states, &a)) {
        rankcheck_add(c, "cannot recompute the aggregates: a level out of its scale");
        return false;
    }
    rankcheck_aggregates(c, in, &a, aggregates);
    agg_set_free(&a);
    return true;
}
