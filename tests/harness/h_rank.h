/* h_rank: what the rankings tests (issue 4) stand on: calls of the Rankings
 * service and of the catalog and review calls for any cycle, keeping the
 * status and message as h_assess does; crafted datasets written compactly
 * (one character per indicator of "ecpat-2012"), submitted by the regional
 * office and approved by the central office through the API; and readings of
 * rankings, aggregates and cards as text, so that a test puts the expected
 * table beside its input. */
#ifndef H_RANK_H
#define H_RANK_H

#include "h_assess.h"

#include "vigil/v1/rankings.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H_GET_RANKING          "/vigil.v1.Rankings/GetRanking"
#define H_GET_AGGREGATES       "/vigil.v1.Rankings/GetAggregates"
#define H_GET_CARD             "/vigil.v1.Rankings/GetCard"
#define H_GET_HISTORY          "/vigil.v1.Rankings/GetHistory"
#define H_PUBLISH              "/vigil.v1.Rankings/Publish"
#define H_GET_PUBLISHED_INPUTS "/vigil.v1.Rankings/GetPublishedInputs"

#define H_UNAUTHENTICATED 16

#define H_PUBLISHED VIGIL__V1__VIEW__VIEW_PUBLISHED
#define H_LIVE      VIGIL__V1__VIEW__VIEW_LIVE

/* h_rpc_call, also for the Rankings methods above. Never asserts. */
int h_rank_call(struct h_rpc *r, struct vigil_client *c, const char *method,
                const ProtobufCMessage *req);

/* h_assess_start with extra daemon arguments (e.g. H_PUBLIC_LISTENER), and an
 * anonymous client on the public listener when it is on (else NULL). The
 * anonymous client is freed by h_rank_stop. */
struct h_rank_env {
    struct h_assess_env a;
    struct vigil_client *anonymous;
};
void h_rank_start(struct h_rank_env *e, const char *const *extra_args);
void h_rank_stop(struct h_rank_env *e);

/* The client of who: "central", "regional", "partner" or "anonymous". */
struct vigil_client *h_rank_client(const struct h_rank_env *e, const char *who);

/* One state of a crafted dataset. levels: one character per indicator of
 * ecpat-2012 in the methodology's order (PR.1-8, PV.1-4, CA.1-4; spaces
 * are ignored): on yes-partial-no '2' yes, '1' partial, '0' no; on the
 * adequacy scale of CA.2 '0' none, '1' woefully_inadequate, '2' adequate, '3'
 * comprehensive; 'n' no_data, 'a' not_assessed, '-' no entry (does not
 * apply). A leading '!' leaves the revision submitted, not approved. */
struct h_rank_state {
    const char *code;
    const char *levels;
};

/* The level code a character stands for at indicator index i ("" for '-'). */
const char *h_rank_level(size_t i, char ch);

/* The 16 level codes of levels joined as "PR.1=yes PR.2=no ..." ('-' gives
 * "CA.2="), malloc'd: what a card of that revision lists. */
char *h_rank_levels_text(const char *levels);

/* Submits levels for state in cycle as the regional office on the latest
 * revision (h_submit_new's texts) and asserts OK; returns the revision. */
int h_rank_submit(const struct h_rank_env *e, const char *cycle, const char *state,
                  const char *levels);

/* Review as central for any cycle; asserts OK. */
void h_rank_review(const struct h_rank_env *e, const char *cycle, const char *state,
                   Vigil__V1__ReviewAction action, const char *comment, int revision);

/* Submits every state (and approves those without '!'). */
void h_rank_load(const struct h_rank_env *e, const char *cycle, const struct h_rank_state *states,
                 size_t n);

/* A correction after approval: unlock with a comment, submit levels,
 * approve. */
void h_rank_correct(const struct h_rank_env *e, const char *cycle, const char *state,
                    const char *levels);

/* CreateCycle as central (predecessor "" = none); asserts OK. */
void h_rank_create_cycle(const struct h_rank_env *e, const char *code, const char *methodology,
                         const char *predecessor);

/* Loads a copy of cycle's methodology under the code new_code; asserts OK. */
void h_rank_copy_methodology(const struct h_rank_env *e, const char *cycle, const char *new_code);

/* Publish as c (embargo NULL or "" = none). Returns the code; r keeps the
 * answer (Vigil__V1__PublishResponse). */
int h_rank_publish(struct h_rpc *r, struct vigil_client *c, const char *cycle, const char *embargo);

/* Closes cycle and publishes it as central; asserts OK. Returns the version;
 * digest (65 bytes, may be NULL) gets its digest. */
int h_rank_close_publish(const struct h_rank_env *e, const char *cycle, char *digest);

/* Publishes (republishes) as central; asserts OK; as above. */
int h_rank_publish_ok(const struct h_rank_env *e, const char *cycle, const char *embargo,
                      char *digest);

/* GetRanking (area, region: NULL = none; version 0 = current). */
int h_rank_ranking(struct h_rpc *r, struct vigil_client *c, const char *cycle, Vigil__V1__View view,
                   const char *area, const char *region, int version);

/* The same, asserting OK; the ranking is owned by r. */
const Vigil__V1__Ranking *h_rank_ranking_ok(struct h_rpc *r, struct vigil_client *c,
                                            const char *cycle, Vigil__V1__View view,
                                            const char *area, const char *region, int version);

/* A conditional query written "TARGET=l1,l2|GIVEN=l1,l2", e.g.
 * "CA.2=woefully_inadequate|CA.1=yes,partial". */
struct h_rank_queries {
    Vigil__V1__ConditionalQuery *q[8];
    size_t n;
};
void h_rank_queries_parse(struct h_rank_queries *qs, const char *const *texts, size_t n);
void h_rank_queries_clear(struct h_rank_queries *qs);

/* GetAggregates (region NULL = none; qs may be NULL). */
int h_rank_aggregates(struct h_rpc *r, struct vigil_client *c, const char *cycle,
                      Vigil__V1__View view, const char *region, int version,
                      const struct h_rank_queries *qs);

/* GetCard, GetHistory, GetPublishedInputs. */
int h_rank_card(struct h_rpc *r, struct vigil_client *c, const char *cycle, const char *state,
                Vigil__V1__View view, int version);
int h_rank_history(struct h_rpc *r, struct vigil_client *c, const char *state);
int h_rank_inputs(struct h_rpc *r, struct vigil_client *c, const char *cycle, int version);

/* Readings as text (malloc'd, the caller frees), one line per item, each
 * ending with '\n':
 * ranking: ranked states "=3 FR 65.28 some progress | PR 50.00 =3, PV 100.00
 *   =1, CA 45.83 =4 | cov 100.00 | mv none" (movement: none, new, n/c,
 *   "+2/-1" for rank/band deltas, "unset" when absent), with " | region =1"
 *   when the ranking has a region filter; then states not ranked
 *   "- SE cov 62.50 | area PV, coverage" (reasons: not approved, area X,
 *   coverage; "cov" omitted when unset). */
char *h_rank_ranking_text(const Vigil__V1__Ranking *r);
char *h_rank_ranked_line(const Vigil__V1__RankedState *s, bool with_region);
char *h_rank_unranked_line(const Vigil__V1__UnrankedState *s);

/* aggregates, the listed indicators only (all when codes is NULL):
 * "CA.1: yes 4 57.14, partial 2 28.57, no 1 14.29 | no_data 1, not_assessed 0,
 *  not_applicable 0 | N 7 of 8"; conditionals:
 * "CA.2=woefully_inadequate|CA.1=yes,partial: 2 of 5 = 40.00" ("= -" when the
 * share is unset). */
char *h_rank_aggregates_text(const Vigil__V1__GetAggregatesResponse *a, const char *const *codes,
                             size_t ncodes);
char *h_rank_conditionals_text(const Vigil__V1__GetAggregatesResponse *a);

/* Fails the test unless f is a consistent figure: den > 0, num/den reduced,
 * and text is num/den rounded half away from zero to 2 decimals. */
void h_rank_figure_consistent(const Vigil__V1__Figure *f, const char *what);

/* Fails the test unless f is text with the exact value num/den. */
void h_rank_figure_expect(const Vigil__V1__Figure *f, const char *text, int64_t num, int64_t den,
                          const char *what);

/* Every figure of a ranking / aggregates answer is consistent. */
void h_rank_ranking_figures_consistent(const Vigil__V1__Ranking *r);
void h_rank_aggregates_figures_consistent(const Vigil__V1__GetAggregatesResponse *a);

/* The state's entry, or NULL. */
const Vigil__V1__RankedState *h_rank_find(const Vigil__V1__Ranking *r, const char *state);
const Vigil__V1__UnrankedState *h_rank_find_unranked(const Vigil__V1__Ranking *r,
                                                     const char *state);

/* Runs sql as the superuser with the append-only triggers of publication
 * disabled for that transaction only (re-enabled before it commits). */
void h_rank_db_alter_publication(const struct h_db *db, const char *sql);

/* Wall clock (CLOCK_REALTIME) in milliseconds since the epoch. */
long long h_rank_wall_ms(void);

/* An RFC 3339 UTC time, whole seconds ("2026-03-29T07:00:00Z"), for the wall
 * clock time ms (rounded up to the next whole second); out has 32 bytes. */
void h_rank_rfc3339(long long ms, char out[32]);

/* ---- the crafted dataset of the rankings tests ------------------------- */

/* Cycle 2009-2012 (H_CYCLE), every figure computed by hand. ecpat-2012: PR
 * has 8 indicators, PV 4, CA 4, every weight 1; yes 2, partial 1, no 0 (of
 * 2); CA.2 none 0 .. comprehensive 3 (of 3), applies only when CA.1 is yes
 * or partial; bands 75 / 50 / 25 / 0; minimum coverage 3/4.
 *
 *     PR.1-8   PV.1-4 CA.1-4  PR     PV     CA      overall           coverage
 * DE  22222222 2222   2322    100    100    100     100               16/16
 * BE  nnnn2222 2222   2222    100    100    275/3   875/9   = 97.22   12/16 = 75 (at the min.)
 * FR  22220000 2222   1120    50     100    275/6   1175/18 = 65.28   16/16
 * ES  as FR: tied with FR at =3, France before Spain
 * PL  11000000 00n1   2322    25/2   50/3   100     775/18  = 43.06   15/16 = 93.75
 * SE  a2222222 nnnn   2n22    PV unrated, and 10/16 = 62.50 below the minimum
 * HU  aaaaaaaa 2222   n-nn    PR and CA unrated, 4/15 = 26.67 (CA.2 does not apply)
 * CZ  nnnn2222 2222   0-22    every area rated, 11/15 = 73.33: just below the minimum
 * IT  submitted, never approved
 * Regions: DE BE FR 155 (Western Europe), ES IT 039, PL HU CZ 151, SE 154.
 * Its ranking, line by line (h_rank_ranking_text), is H_RANK_RANKING_C1. */
#define H_RANK_C1_N 9
extern const struct h_rank_state h_rank_c1[H_RANK_C1_N];

#define H_RANK_L_DE                                                                                \
    "DE 100.00 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 100.00 =1 | cov 100.00"
#define H_RANK_L_BE "BE 97.22 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 91.67 3 | cov 75.00"
#define H_RANK_L_FR "FR 65.28 some progress | PR 50.00 =3, PV 100.00 =1, CA 45.83 =4 | cov 100.00"
#define H_RANK_L_ES "ES 65.28 some progress | PR 50.00 =3, PV 100.00 =1, CA 45.83 =4 | cov 100.00"
#define H_RANK_L_PL "PL 43.06 limited measures | PR 12.50 5, PV 16.67 5, CA 100.00 =1 | cov 93.75"
#define H_RANK_U_CZ "- CZ cov 73.33 | coverage\n"
#define H_RANK_U_HU "- HU cov 26.67 | area PR, area CA, coverage\n"
#define H_RANK_U_IT "- IT | not approved\n"
#define H_RANK_U_SE "- SE cov 62.50 | area PV, coverage\n"
#define H_RANK_RANKING_C1                                                                          \
    "1 " H_RANK_L_DE " | mv none\n"                                                                \
    "2 " H_RANK_L_BE " | mv none\n"                                                                \
    "=3 " H_RANK_L_FR " | mv none\n"                                                               \
    "=3 " H_RANK_L_ES " | mv none\n"                                                               \
    "5 " H_RANK_L_PL " | mv none\n" H_RANK_U_CZ H_RANK_U_HU H_RANK_U_IT H_RANK_U_SE

/* FR corrected to every top level (100: tied with DE, France first). */
#define H_RANK_FR_TOP "22222222 2222 2322"
#define H_RANK_L_FR_TOP                                                                            \
    "FR 100.00 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 100.00 =1 | cov 100.00"

/* Cycle 2013-2016 (H_RANK_C2) after 2009-2012, same methodology:
 *                               overall   rank then -> now    band then -> now
 * FR  every top level           100       =3 -> 1   (+2)      1 -> 0 (+1)
 * BE  as before                 97.22     2  -> =2  (+0)      0 -> 0
 * SE  every level yes           97.22     not ranked -> =2    new
 * DE  as FR was                 65.28     1  -> 4   (-3)      0 -> 1 (-1)
 * PL  as before                 43.06     5  -> 5   (+0)      2 -> 2
 * HU  as before: not ranked, no movement
 * ES  not assessed: not listed. */
#define H_RANK_C2   "2013-2016"
#define H_RANK_C2_N 6
extern const struct h_rank_state h_rank_c2[H_RANK_C2_N];

#define H_RANK_L2_SE                                                                               \
    "SE 97.22 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 91.67 =3 | cov 100.00"
#define H_RANK_RANKING_C2                                                                          \
    "1 " H_RANK_L_FR_TOP " | mv +2/+1\n"                                                           \
    "=2 BE 97.22 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 91.67 =3 | cov 75.00"            \
    " | mv +0/+0\n"                                                                                \
    "=2 " H_RANK_L2_SE " | mv new\n"                                                               \
    "4 DE 65.28 some progress | PR 50.00 4, PV 100.00 =1, CA 45.83 5 | cov 100.00 | mv -3/-1\n"    \
    "5 " H_RANK_L_PL " | mv +0/+0\n" H_RANK_U_HU

/* The levels of state in states (n of them); fails the test when absent. */
const char *h_rank_levels_of(const struct h_rank_state *states, size_t n, const char *state);

/* Loads h_rank_c1 into H_CYCLE, closes and publishes it (version 1, asserted);
 * digest as for h_rank_publish_ok. */
void h_rank_publish_c1(const struct h_rank_env *e, char *digest);

/* Loads h_rank_c2 into H_RANK_C2, created after H_CYCLE, and publishes it. */
void h_rank_publish_c2(const struct h_rank_env *e);

/* Fails the test unless h_rank_ranking_text(r) is want (what names it). */
void h_rank_expect_text(const Vigil__V1__Ranking *r, const char *want, const char *what);

#endif
