/* rankagg: what `vigil aggregates` reads and prints: the --conditional
 * argument, the rows of the counts and shares with their N, and the sentence
 * that the two facts of the first methodology (indicators.md: states without
 * services to support victims; among those with services, the share woefully
 * inadequate) read as. Pure: no I/O; pointers stored in rows are borrowed
 * from the messages given. */
#ifndef VIGIL_CLI_RANKAGG_H
#define VIGIL_CLI_RANKAGG_H

#include "output.h"

#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/rankings.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* Parses a --conditional argument, "TARGET=LEVELS|GIVEN=LEVELS" (LEVELS
 * separated by commas; white space around names is ignored), asking for the
 * share of the states at LEVELS of TARGET among those at LEVELS of GIVEN:
 * "CA.2=woefully inadequate|CA.1=yes,partial". With m, indicators are found
 * in any case and levels by label or code, and must be valued levels; without
 * m, the names are taken as codes. Returns a new query holding codes (free it
 * with protobuf_c_message_free_unpacked(&q->base, NULL)), or NULL with the
 * reason in err (also when out of memory). */
Vigil__V1__ConditionalQuery *rankagg_parse(const char *text, const Vigil__V1__Methodology *m,
                                           char *err, size_t cap);

/* The conditional of the second fact, CA.2 = woefully_inadequate among
 * CA.1 = yes or partial (a new query, as rankagg_parse()); NULL when out of
 * memory. */
Vigil__V1__ConditionalQuery *rankagg_facts_query(void);

/* Whether the methodology carries the two facts: an indicator CA.1 with the
 * levels yes, partial and no, and CA.2 with the level woefully_inadequate. */
bool rankagg_has_facts(const Vigil__V1__Methodology *m);

/* The same judged from an answer's indicators (when the methodology cannot
 * be read). */
bool rankagg_answer_has_facts(const Vigil__V1__GetAggregatesResponse *r);

/* Whether a and b ask the same: the same indicators and the same sets of
 * levels, in any order. */
bool rankagg_same_query(const Vigil__V1__ConditionalQuery *a, const Vigil__V1__ConditionalQuery *b);

/* The two facts as one sentence, from CA.1's counts and the facts'
 * conditional in r: "13.00% of states with data have no services (CA.1 = no;
 * N = 38); of those that do, 76.47% are woefully inadequate (CA.2; N = 34)".
 * Returns false (buf "") when r holds either not. */
bool rankagg_sentence(const Vigil__V1__GetAggregatesResponse *r, char *buf, size_t cap);

/* CSV, one row per figure: indicator, levels, given, given_levels, count, n,
 * share, counted. A row per valued level of each indicator (levels = its
 * code; share of n), then "no_data", "not_assessed" and "not_applicable"
 * rows (n and share empty), then a row per conditional (levels and
 * given_levels: codes joined by ","). */
extern const struct output_column rankagg_columns[8];

bool rankagg_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r)
    __attribute__((warn_unused_result));

/* Table, a row per indicator: indicator, N, levels ("yes 20 (52.63%),
 * partial 10 (26.32%), no 8 (21.05%)", labels from m when given), no data,
 * not assessed, not applicable, counted. */
extern const struct output_column rankagg_table_columns[7];

bool rankagg_table_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r,
                        const Vigil__V1__Methodology *m) __attribute__((warn_unused_result));

/* Table, a row per conditional: share of (the target), levels (labels),
 * among (the given indicator), given levels, count, N, share. */
extern const struct output_column rankagg_conditional_columns[7];

bool rankagg_conditional_rows(struct output *out, const Vigil__V1__GetAggregatesResponse *r,
                              const Vigil__V1__Methodology *m) __attribute__((warn_unused_result));

#endif
