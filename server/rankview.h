/* rankview: the messages of the Rankings service (proto/vigil/v1/
 * rankings.proto) built from the scoring module's results (rank.h,
 * aggregate.h, canon.h), and the filters of a read. Pure (no I/O, no
 * logging, never aborts); shared by the daemon and the client, so that
 * `vigil verify` rebuilds the very messages the daemon published.
 *
 * Memory: every message is allocated in a struct rankview (an arena) and
 * freed with it at once by rankview_clear. Strings are borrowed: from the
 * canonical document behind a canon_inputs, or from a source message, which
 * must outlive the messages built from them. Never hand these messages to
 * protobuf_c_message_free_unpacked. Functions return NULL or
 * RANKVIEW_E_NOMEM when out of memory.
 *
 * Readings of the rules fixed here (README, "Rankings — the rules"):
 * - A Figure's text is its value rounded half away from zero to 2 decimals
 *   (rank_round, rank_format), num/den the exact value, reduced. Coverage is
 *   the percentage rated × 100 / applicable; a share the percentage
 *   count × 100 / N, unset when N is 0.
 * - Every ranked state carries a Movement; its kind is NONE when there is no
 *   predecessor ranking. States not ranked carry none.
 * - Bands are the methodology's, best first, min_score written as a decimal
 *   without trailing zeros ("75", "62.5", "0"), as the catalog writes it.
 * - The area filter ranks on the area: the ranked states are ordered by
 *   their rank in that area (ties by state name in code points, then code)
 *   and rank/tied hold the area's rank (the overall rank stays readable in
 *   overall and in the unfiltered ranking).
 * - The region filter keeps the states of the region and of the regions
 *   below it (ranked and not ranked), keeps rank/tied as they are (global)
 *   and sets region_rank/region_tied: the competition rank among the
 *   region's ranked states on the same score as rank. Since equal rounded
 *   scores are exactly equal ranks, it is computed from rank alone:
 *   region_rank = 1 + the region's states with a smaller rank. */
#ifndef VIGIL_RANKVIEW_H
#define VIGIL_RANKVIEW_H

#include "aggregate.h"
#include "canon.h"
#include "rank.h"

#include "vigil/v1/rankings.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* The most conditional shares one request may ask for. */
#define RANKVIEW_MAX_CONDITIONALS 100

struct rankview_block;

/* An arena holding built messages. Embedded: rankview_init/rankview_clear. */
struct rankview {
    struct rankview_block *head; /* newest block first */
};

void rankview_init(struct rankview *rv);
void rankview_clear(struct rankview *rv); /* frees every message built in rv */

enum rankview_status {
    RANKVIEW_OK = 0,
    RANKVIEW_E_INPUT, /* a request field is wrong: err names it */
    RANKVIEW_E_NOMEM,
};

/* The predecessor movement is measured against. */
struct rankview_pred {
    const Vigil__V1__Ranking *ranking; /* its current published ranking; NULL: none
                                          (no movement is shown) */
    const char *methodology;           /* its methodology code; NULL: ranking->methodology */
};

/* The ranking of a cycle: cycle, methodology, view, ranked states in rank
 * order then the states not ranked (rs's order), bands. version,
 * published_at, embargo_until, digest, area, region and superseded are left
 * empty for the caller. pred may be NULL (no predecessor). */
Vigil__V1__Ranking *rankview_ranking(struct rankview *rv, const struct canon_inputs *in,
                                     const struct rank_set *rs, const struct rankview_pred *pred,
                                     Vigil__V1__View view);

/* A read's filters (see the header). area and region: "" or NULL = none;
 * region_states: with a region, the codes of its states, sorted by strcmp. */
struct rankview_filter {
    const char *area;
    const char *region;
    const char *const *region_states;
    size_t n_region_states;
};

/* A copy of src with the filters applied, in *out: src's sub-messages are
 * shared or shallow-copied, so src must outlive *out and is not changed.
 * RANKVIEW_E_INPUT (err: "area: ...") for an area that is not one of the
 * ranking's (checked on its ranked states: with none, any area passes). */
enum rankview_status rankview_filter(struct rankview *rv, const Vigil__V1__Ranking *src,
                                     const struct rankview_filter *f, Vigil__V1__Ranking **out,
                                     char *err, size_t cap);

/* The entry of a state in a ranking: *ranked or *not_ranked is set (the
 * other NULL); false when the ranking does not list it. */
bool rankview_find(const Vigil__V1__Ranking *r, const char *state, Vigil__V1__RankedState **ranked,
                   Vigil__V1__UnrankedState **not_ranked);

/* The index of a state of in by code, or -1. */
int rankview_state_index(const struct canon_inputs *in, const char *code);

/* The states of in whose code is in codes (sorted by strcmp) into out, which
 * has room for in->n_states; returns how many. */
size_t rankview_subset(const struct canon_inputs *in, const char *const *codes, size_t n_codes,
                       struct rank_state *out);

/* The aggregates of agg (computed over in's methodology): per indicator in
 * methodology order, the scale's valued levels with count and share, the
 * valueless and not-applicable counts, N and the states counted. cycle is
 * in's; version 0 and no conditionals (see rankview_conditionals). */
Vigil__V1__GetAggregatesResponse *
rankview_aggregates(struct rankview *rv, const struct canon_inputs *in, const struct agg_set *agg);

/* Validates the conditional queries against in's methodology and computes
 * each share over states (n of them, e.g. a region's subset) into
 * resp->conditionals, in request order; the queries are borrowed. Every
 * query needs a known target and given indicator and at least one level of
 * each, each a valued level of that indicator's scale; RANKVIEW_E_INPUT
 * otherwise, err naming the field ("conditionals[1].target_levels[0]: ..."),
 * also beyond RANKVIEW_MAX_CONDITIONALS queries. */
enum rankview_status rankview_conditionals(struct rankview *rv, const struct canon_inputs *in,
                                           const struct rank_state *states, size_t n,
                                           Vigil__V1__ConditionalQuery *const *queries, size_t nq,
                                           Vigil__V1__GetAggregatesResponse *resp, char *err,
                                           size_t cap);

/* The card of in's state number `state`: its entry in ranking (ranked or
 * not_ranked, shared with ranking), and when it has a counted revision one
 * CardEntry per indicator in the methodology's order of areas, then of
 * indicators (level "" when the indicator does not apply; score when
 * rated), with the justification and evidence of texts (the revision's
 * entries, matched by indicator), and the calls to action of its rated
 * indicators below their scale's top level, in the same order (empty ones
 * skipped). A state without a counted revision has no entries. cycle is
 * in's, version ranking's. NULL also when state is not an index of in. */
Vigil__V1__GetCardResponse *rankview_card(struct rankview *rv, const struct canon_inputs *in,
                                          const Vigil__V1__Ranking *ranking, int state,
                                          Vigil__V1__Entry *const *texts, size_t n_texts);

#endif
