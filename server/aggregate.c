/* aggregate: counts and shares per indicator, and conditional shares (see
 * aggregate.h). */
#include "aggregate.h"

#include <stdlib.h>

static bool count_entry(struct agg_indicator *a, const struct rank_entry *e)
{
    switch (e->kind) {
    case RANK_NOT_APPLICABLE:
        a->not_applicable++;
        return true;
    case RANK_NO_DATA:
        a->no_data++;
        return true;
    case RANK_NOT_ASSESSED:
        a->not_assessed++;
        return true;
    case RANK_VALUED:
        if (e->level < 0 || e->level >= a->n_levels)
            return false;
        a->level[e->level]++;
        a->n_valued++;
        return true;
    }
    return false;
}

bool agg_compute(const struct rank_methodology *m, const int *n_levels,
                 const struct rank_state *states, size_t n, struct agg_set *out)
{
    out->n = m->n_indicators;
    out->indicators = calloc(m->n_indicators + 1, sizeof(*out->indicators));
    if (out->indicators == NULL)
        return false;
    for (size_t i = 0; i < m->n_indicators; i++) {
        out->indicators[i].n_levels = n_levels[i];
        out->indicators[i].level = calloc((size_t)n_levels[i] + 1, sizeof(int64_t));
        if (out->indicators[i].level == NULL) {
            agg_set_free(out);
            return false;
        }
    }
    for (size_t s = 0; s < n; s++) {
        if (!states[s].approved)
            continue;
        for (size_t i = 0; i < m->n_indicators; i++) {
            out->indicators[i].counted++;
            if (!count_entry(&out->indicators[i], &states[s].entries[i])) {
                agg_set_free(out);
                return false;
            }
        }
    }
    return true;
}

void agg_set_free(struct agg_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->indicators[i].level);
    free(s->indicators);
    s->indicators = NULL;
    s->n = 0;
}

static bool at(const struct rank_entry *e, const bool *levels)
{
    return e->kind == RANK_VALUED && e->level >= 0 && levels[e->level];
}

void agg_conditional(const struct rank_methodology *m, const struct rank_state *states, size_t n,
                     size_t target, const bool *target_levels, size_t given,
                     const bool *given_levels, int64_t *count_out, int64_t *n_out)
{
    *count_out = *n_out = 0;
    if (target >= m->n_indicators || given >= m->n_indicators)
        return;
    for (size_t s = 0; s < n; s++) {
        if (!states[s].approved)
            continue;
        const struct rank_entry *t = &states[s].entries[target], *g = &states[s].entries[given];
        if (!at(g, given_levels) || t->kind != RANK_VALUED)
            continue;
        (*n_out)++;
        if (at(t, target_levels))
            (*count_out)++;
    }
}
