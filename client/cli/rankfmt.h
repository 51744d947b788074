/* rankfmt: how rankings read, for people (aligned tables) and for scripts
 * (CSV with stable columns): ranks ("=5"), movement ("▲3"), the reasons a
 * state is not ranked, and the rows of `vigil ranking`. Pure: builds text and
 * struct output rows from the Rankings messages; prints nothing. Every
 * pointer returned or stored in a row is borrowed from the messages given. */
#ifndef VIGIL_CLI_RANKFMT_H
#define VIGIL_CLI_RANKFMT_H

#include "output.h"

#include "vigil/v1/catalog.pb-c.h"
#include "vigil/v1/rankings.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/* "5", "=5" when tied; "" for rank 0 (not ranked). */
void rankfmt_rank(int rank, bool tied, char *buf, size_t cap);

/* For people: "" (no movement to show, m NULL included), "▲3" (climbed 3),
 * "▼1", "=" (same rank), "new", "n/c" (not comparable); a change of band is
 * added in brackets: "▲3 (band ▲1)". */
void rankfmt_movement(const Vigil__V1__Movement *m, char *buf, size_t cap);

/* For scripts: "" (none), "delta", "new" or "not_comparable". */
const char *rankfmt_movement_kind(const Vigil__V1__Movement *m);

/* The figure's text ("66.67"), "" when f is NULL. */
const char *rankfmt_figure(const Vigil__V1__Figure *f);

/* A decimal fraction as a percentage without trailing zeros: "0.75" ->
 * "75", "0.755" -> "75.5", "1" and "" -> "100". buf gets "?" for text that
 * is not a plain decimal. */
void rankfmt_percent(const char *decimal, char *buf, size_t cap);

/* Every reason u is not ranked, in order, separated by "; ": "not approved",
 * "no rated indicator in Care" (the area's name from m, its code when m is
 * NULL), "coverage 62.50% below 75%" ("below the minimum" without m). */
void rankfmt_reasons(const Vigil__V1__UnrankedState *u, const Vigil__V1__Methodology *m, char *buf,
                     size_t cap);

/* One line on what r is: "Ranking of 2009-2012 (ecpat-2012), version 1,
 * published 2026-03-29T07:00:00Z, digest 3fa2c1d09b7e" with the filters,
 * embargo and supersession; "(live)" for the live view. */
void rankfmt_title(const Vigil__V1__Ranking *r, char *buf, size_t cap);

/* The columns of `vigil ranking` (names borrowed from r and m): the
 * table's, for the ranked states: rank, state, name, band, overall, one per
 * area (code), movement, and "in region" with a region filter; or the CSV's,
 * for every state: rank, tied, state, state_name, region, band, overall,
 * overall_num, overall_den, one per area, coverage, movement, rank_delta,
 * band_delta, region_rank, region_tied, reasons. The areas are m's, in
 * order (the first ranked state's when m is NULL). Returns a malloc'd array
 * (free it after the output that borrows it), NULL when out of memory. */
struct output_column *rankfmt_columns(const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                                      bool csv, size_t *ncols);

/* Adds the rows matching rankfmt_columns(r, m, csv): the ranked states in
 * rank order, and for CSV the states not ranked after them. Returns false
 * when out of memory. */
bool rankfmt_rows(struct output *out, const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                  bool csv) __attribute__((warn_unused_result));

/* The table of the states not ranked: state, name, reasons. */
extern const struct output_column rankfmt_unranked_columns[3];

bool rankfmt_unranked_rows(struct output *out, const Vigil__V1__Ranking *r,
                           const Vigil__V1__Methodology *m) __attribute__((warn_unused_result));

#endif
