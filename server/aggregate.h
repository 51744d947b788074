/* aggregate: the cycle's aggregates of design.md: per indicator, how many
 * states at each level, with no data, not assessed or not applicable, and
 * each level's share of N (the states with a valued level); and conditional
 * shares between two indicators, each with its own N. Pure, exact, shared by
 * the daemon and the client like rank.h, over the same inputs: only states
 * with an approved revision are counted (ranked or not). */
#ifndef VIGIL_AGGREGATE_H
#define VIGIL_AGGREGATE_H

#include "rank.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agg_indicator {
    int64_t *level; /* n_levels counts, by level index of the indicator's scale */
    int n_levels;
    int64_t no_data;
    int64_t not_assessed;
    int64_t not_applicable;
    int64_t n_valued; /* N of the shares: states with a valued level */
    int64_t counted;  /* states counted (with an approved revision) */
};

struct agg_set {
    struct agg_indicator *indicators; /* methodology order */
    size_t n;
};

/* n_levels[i]: how many levels indicator i's scale has (entries carry the
 * level index). Returns false on bad input (a level index out of range) or
 * out of memory. The caller frees out with agg_set_free. */
bool agg_compute(const struct rank_methodology *m, const int *n_levels,
                 const struct rank_state *states, size_t n, struct agg_set *out);

void agg_set_free(struct agg_set *s);

/* Among the counted states whose indicator `given` is at one of the levels
 * given_levels (mask over its level indices) and whose indicator `target`
 * has a valued level: *n_out of them, *count_out at one of target_levels. */
void agg_conditional(const struct rank_methodology *m, const struct rank_state *states, size_t n,
                     size_t target, const bool *target_levels, size_t given,
                     const bool *given_levels, int64_t *count_out, int64_t *n_out);

#endif
