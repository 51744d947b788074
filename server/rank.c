/* rank: exact scoring, coverage, competition ranks, bands and movement (see
 * rank.h). Fractions are kept reduced in int64 with 128-bit intermediates;
 * anything that would not fit is reported as RANK_E_OVERFLOW rather than
 * rounded, since a published figure must be exact. */
#include "rank.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef __int128 i128;

static i128 gcd128(i128 a, i128 b)
{
    if (a < 0)
        a = -a;
    while (b != 0) {
        i128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Reduces num/den into *out; false when the result does not fit in int64. */
static bool q_make(i128 num, i128 den, struct rank_q *out)
{
    i128 g = gcd128(num, den);
    if (g > 1) {
        num /= g;
        den /= g;
    }
    if (num > INT64_MAX || num < INT64_MIN || den > INT64_MAX || den <= 0)
        return false;
    out->num = (int64_t)num;
    out->den = (int64_t)den;
    return true;
}

static bool q_add(struct rank_q a, struct rank_q b, struct rank_q *out)
{
    return q_make((i128)a.num * b.den + (i128)b.num * a.den, (i128)a.den * b.den, out);
}

static bool q_scale(struct rank_q a, int64_t mul, int64_t div, struct rank_q *out)
{
    return q_make((i128)a.num * mul, (i128)a.den * div, out);
}

int64_t rank_round(struct rank_q q)
{
    /* round(q * 100), half away from zero; scores are never negative. */
    i128 n = (i128)q.num * 100;
    i128 r = (2 * n + q.den) / (2 * (i128)q.den);
    return (int64_t)r;
}

int64_t rank_percent_h(int64_t num, int64_t den)
{
    if (den == 0)
        return 0;
    struct rank_q q = {num * 100, den};
    return rank_round(q);
}

void rank_format(int64_t h, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%lld.%02lld", h < 0 ? "-" : "", (long long)(llabs(h) / 100),
             (long long)(llabs(h) % 100));
}

/* Parses "int[.frac]" with at most max_dec decimals into value * 10^scale. */
static bool parse_decimal(const char *s, int scale, int64_t *out)
{
    int64_t v = 0;
    int dec = -1;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s == '.' && dec < 0) {
            dec = 0;
            continue;
        }
        if (!isdigit((unsigned char)*s) || v > INT64_MAX / 100)
            return false;
        if (dec >= 0 && ++dec > scale)
            return false;
        v = v * 10 + (*s - '0');
    }
    if (dec == 0)
        return false; /* "75." */
    for (int d = dec < 0 ? 0 : dec; d < scale; d++)
        v *= 10;
    *out = v;
    return true;
}

bool rank_parse_hundredths(const char *s, int64_t *out)
{
    return parse_decimal(s, 2, out) && *out <= 10000;
}

bool rank_parse_fraction(const char *s, struct rank_q *out)
{
    int64_t v;
    if (*s == '\0') {
        out->num = out->den = 1;
        return true;
    }
    /* Up to 6 decimals is plenty for a coverage threshold. */
    if (!parse_decimal(s, 6, &v) || v <= 0 || v > 1000000)
        return false;
    return q_make(v, 1000000, out);
}

struct rank_move rank_movement(bool has_pred, bool same_methodology, int prev_rank, int prev_band,
                               int rank_now, int band_now)
{
    struct rank_move m = {RANK_MOVE_NONE, 0, 0};
    if (!has_pred)
        return m;
    if (prev_rank <= 0) {
        m.kind = RANK_MOVE_NEW;
    } else if (!same_methodology) {
        m.kind = RANK_MOVE_NOT_COMPARABLE;
    } else {
        m.kind = RANK_MOVE_DELTA;
        m.rank_delta = prev_rank - rank_now;
        m.band_delta = prev_band - band_now;
    }
    return m;
}

static bool methodology_valid(const struct rank_methodology *m)
{
    if (m->n_areas == 0 || m->n_bands == 0 || m->min_coverage.den <= 0 ||
        m->min_coverage.num <= 0 || m->min_coverage.num > m->min_coverage.den)
        return false;
    for (size_t a = 0; a < m->n_areas; a++) {
        if (m->areas[a].weight <= 0)
            return false;
    }
    for (size_t i = 0; i < m->n_indicators; i++) {
        const struct rank_indicator *ind = &m->indicators[i];
        if (ind->weight <= 0 || ind->scale_max <= 0 || ind->area < 0 ||
            (size_t)ind->area >= m->n_areas)
            return false;
    }
    for (size_t b = 0; b < m->n_bands; b++) {
        if (b > 0 && m->bands[b].min_hundredths >= m->bands[b - 1].min_hundredths)
            return false;
    }
    return m->bands[m->n_bands - 1].min_hundredths == 0;
}

/* Allocates the per-area arrays of one result. */
static bool result_alloc(struct rank_result *r, size_t n_areas)
{
    r->area = calloc(n_areas, sizeof(*r->area));
    r->area_rated = calloc(n_areas, sizeof(*r->area_rated));
    r->area_h = calloc(n_areas, sizeof(*r->area_h));
    r->area_rank = calloc(n_areas, sizeof(*r->area_rank));
    r->area_tied = calloc(n_areas, sizeof(*r->area_tied));
    r->reasons = calloc(n_areas + 2, sizeof(*r->reasons));
    return r->area && r->area_rated && r->area_h && r->area_rank && r->area_tied && r->reasons;
}

/* Scores one approved revision: area sums, coverage, overall. */
static enum rank_status score_state(const struct rank_methodology *m, const struct rank_state *st,
                                    struct rank_result *r)
{
    struct rank_q zero = {0, 1};
    int64_t *wsum = calloc(m->n_areas, sizeof(*wsum));
    if (wsum == NULL)
        return RANK_E_NOMEM;
    for (size_t a = 0; a < m->n_areas; a++)
        r->area[a] = zero;
    for (size_t i = 0; i < m->n_indicators; i++) {
        const struct rank_indicator *ind = &m->indicators[i];
        const struct rank_entry *e = &st->entries[i];
        if (e->kind == RANK_NOT_APPLICABLE)
            continue;
        r->applicable++;
        if (e->kind != RANK_VALUED)
            continue;
        if (e->value < 0 || e->value > ind->scale_max) {
            free(wsum);
            return RANK_E_INPUT;
        }
        /* weight × (value / max × 100) */
        struct rank_q s;
        if (!q_make((i128)ind->weight * e->value * 100, ind->scale_max, &s) ||
            !q_add(r->area[ind->area], s, &r->area[ind->area])) {
            free(wsum);
            return RANK_E_OVERFLOW;
        }
        wsum[ind->area] += ind->weight;
        r->area_rated[ind->area] = true;
        r->rated++;
    }
    enum rank_status rc = RANK_OK;
    struct rank_q overall = zero;
    int64_t wtotal = 0;
    r->has_overall = true;
    for (size_t a = 0; a < m->n_areas && rc == RANK_OK; a++) {
        if (!r->area_rated[a]) {
            r->has_overall = false;
            continue;
        }
        struct rank_q weighted;
        if (!q_scale(r->area[a], 1, wsum[a], &r->area[a]) ||
            !q_scale(r->area[a], m->areas[a].weight, 1, &weighted) ||
            !q_add(overall, weighted, &overall))
            rc = RANK_E_OVERFLOW;
        r->area_h[a] = rank_round(r->area[a]);
        wtotal += m->areas[a].weight;
    }
    if (rc == RANK_OK && r->has_overall && !q_scale(overall, 1, wtotal, &r->overall))
        rc = RANK_E_OVERFLOW;
    if (r->has_overall)
        r->overall_h = rank_round(r->overall);
    r->coverage.num = r->rated;
    r->coverage.den = r->applicable ? r->applicable : 1;
    free(wsum);
    return rc;
}

/* Decides ranked / not ranked with every reason, in the rules' order. */
static void judge(const struct rank_methodology *m, const struct rank_state *st,
                  struct rank_result *r)
{
    if (!st->approved) {
        r->reasons[r->n_reasons++] = (struct rank_reason){RANK_REASON_NOT_APPROVED, -1};
        return;
    }
    for (size_t a = 0; a < m->n_areas; a++) {
        if (!r->area_rated[a])
            r->reasons[r->n_reasons++] = (struct rank_reason){RANK_REASON_AREA_UNRATED, (int)a};
    }
    /* rated / applicable >= min, compared exactly */
    if ((i128)r->rated * m->min_coverage.den < (i128)m->min_coverage.num * r->applicable ||
        r->applicable == 0)
        r->reasons[r->n_reasons++] = (struct rank_reason){RANK_REASON_COVERAGE, -1};
    r->ranked = r->n_reasons == 0;
}

/* Ranked first, by rounded overall score; ties and the states not ranked by
 * name (code points: strcmp on UTF-8), then ISO code. */
static int order_cmp(const void *pa, const void *pb, void *arg)
{
    const struct rank_result *a = pa, *b = pb;
    const struct rank_state *states = arg;
    if (a->ranked != b->ranked)
        return a->ranked ? -1 : 1;
    if (a->ranked && a->overall_h != b->overall_h)
        return a->overall_h > b->overall_h ? -1 : 1;
    int c = strcmp(states[a->state].name, states[b->state].name);
    return c ? c : strcmp(states[a->state].code, states[b->state].code);
}

/* Competition ranks of the ranked results on key(r), among those selected. */
static void compete(struct rank_result *rs, size_t n, const bool *selected,
                    int64_t (*key)(const struct rank_result *, size_t), size_t arg, int *rank,
                    bool *tied)
{
    for (size_t i = 0; i < n; i++) {
        if (!rs[i].ranked || (selected && !selected[i]))
            continue;
        int better = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            if (!rs[j].ranked || (selected && !selected[j]))
                continue;
            if (key(&rs[j], arg) > key(&rs[i], arg))
                better++;
            else if (key(&rs[j], arg) == key(&rs[i], arg))
                equal++;
        }
        rank[i] = better + 1;
        tied[i] = equal > 1;
    }
}

static int64_t overall_key(const struct rank_result *r, size_t arg)
{
    return r->overall_h;
}

static int64_t area_key(const struct rank_result *r, size_t a)
{
    return r->area_h[a];
}

static void assign_ranks(const struct rank_methodology *m, struct rank_set *s)
{
    int *rank = calloc(s->n + 1, sizeof(int));
    bool *tied = calloc(s->n + 1, sizeof(bool));
    if (rank == NULL || tied == NULL)
        abort(); /* tiny allocations; rank_compute already allocated far more */
    compete(s->results, s->n, NULL, overall_key, 0, rank, tied);
    for (size_t i = 0; i < s->n; i++) {
        struct rank_result *r = &s->results[i];
        r->rank = rank[i];
        r->tied = tied[i];
        if (!r->ranked)
            continue;
        r->band = (int)m->n_bands - 1;
        for (size_t b = 0; b < m->n_bands; b++) {
            if (r->overall_h >= m->bands[b].min_hundredths) {
                r->band = (int)b;
                break;
            }
        }
    }
    for (size_t a = 0; a < m->n_areas; a++) {
        compete(s->results, s->n, NULL, area_key, a, rank, tied);
        for (size_t i = 0; i < s->n; i++) {
            s->results[i].area_rank[a] = s->results[i].ranked ? rank[i] : 0;
            s->results[i].area_tied[a] = s->results[i].ranked && tied[i];
        }
    }
    free(rank);
    free(tied);
}

enum rank_status rank_compute(const struct rank_methodology *m, const struct rank_state *states,
                              size_t n, struct rank_set *out)
{
    enum rank_status rc = RANK_OK;

    out->n = 0;
    out->results = NULL;
    if (!methodology_valid(m))
        return RANK_E_INPUT;
    out->results = calloc(n + 1, sizeof(*out->results));
    if (out->results == NULL)
        return RANK_E_NOMEM;
    for (size_t i = 0; i < n && rc == RANK_OK; i++) {
        struct rank_result *r = &out->results[i];
        out->n++;
        r->state = i;
        if (!result_alloc(r, m->n_areas))
            rc = RANK_E_NOMEM;
        else if (states[i].approved && states[i].entries == NULL)
            rc = RANK_E_INPUT;
        else if (states[i].approved)
            rc = score_state(m, &states[i], r);
        if (rc == RANK_OK)
            judge(m, &states[i], r);
    }
    if (rc != RANK_OK) {
        rank_set_free(out);
        return rc;
    }
    qsort_r(out->results, out->n, sizeof(*out->results), order_cmp, (void *)states);
    assign_ranks(m, out);
    return RANK_OK;
}

void rank_subset(const struct rank_set *s, const bool *in_region, int *region_rank,
                 bool *region_tied)
{
    for (size_t i = 0; i < s->n; i++) {
        region_rank[i] = 0;
        region_tied[i] = false;
    }
    compete(s->results, s->n, in_region, overall_key, 0, region_rank, region_tied);
}

void rank_set_free(struct rank_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct rank_result *r = &s->results[i];
        free(r->area);
        free(r->area_rated);
        free(r->area_h);
        free(r->area_rank);
        free(r->area_tied);
        free(r->reasons);
    }
    free(s->results);
    s->results = NULL;
    s->n = 0;
}
