/* rankcheck: the heart of `vigil verify`: recomputes a published ranking and
 * its aggregates from the published inputs with the scoring module itself
 * (rank.h, aggregate.h, read by canon.h), and compares them with what the
 * server published, field by field. The published metadata (version,
 * published_at, digest, embargo_until, superseded, view) is the caller's to
 * check. Every difference becomes one line for people, e.g.
 * "TH: overall published 66.67, recomputed 66.66". Pure: no I/O. */
#ifndef VIGIL_CLI_RANKCHECK_H
#define VIGIL_CLI_RANKCHECK_H

#include "canon.h"

#include "vigil/v1/rankings.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

struct rankcheck {
    char **lines; /* the differences, in the order found (owned) */
    size_t n;
    bool nomem; /* a line was lost for want of memory */
};

void rankcheck_init(struct rankcheck *c);
void rankcheck_clear(struct rankcheck *c);

/* Adds a line. */
void rankcheck_add(struct rankcheck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compares published, a ranking read without filters, with the
 * recomputation s = rank_compute() of in: the order of the states; per
 * ranked state its rank and tie, name, region, overall and area figures
 * (text and exact value), area ranks, band, coverage and movement; per state
 * not ranked its reasons and coverage; the bands. pred is the predecessor's
 * published ranking the inputs name (its ranks and bands give the movement),
 * NULL when they name none. Returns the number of differences added. */
size_t rankcheck_ranking(struct rankcheck *c, const struct canon_inputs *in,
                         const struct rank_set *s, const Vigil__V1__Ranking *pred,
                         const Vigil__V1__Ranking *published);

/* Compares published aggregates (without a region) with a = agg_compute()
 * of in, and each published conditional with agg_conditional() of its
 * query. Returns the number of differences added. */
size_t rankcheck_aggregates(struct rankcheck *c, const struct canon_inputs *in,
                            const struct agg_set *a,
                            const Vigil__V1__GetAggregatesResponse *published);

/* Both: recomputes from in and compares. Returns false (with a line saying
 * why) when the recomputation itself fails, which is a difference too. */
bool rankcheck_run(struct rankcheck *c, const struct canon_inputs *in,
                   const Vigil__V1__Ranking *pred, const Vigil__V1__Ranking *ranking,
                   const Vigil__V1__GetAggregatesResponse *aggregates);

#endif
