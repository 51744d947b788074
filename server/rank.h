/* rank: the ranking rules of design.md ("Rankings — the rules"), as one pure
 * module: no I/O, no database, no protobuf, exact integer arithmetic. Linked
 * by the daemon (which feeds it rows fetched in one query) and by the client
 * (`vigil verify` recomputes a published ranking with this very code).
 *
 * Every figure is an exact fraction (struct rank_q); shown figures are that
 * fraction rounded half away from zero to hundredths (rank_round), each on
 * its own. Ranks are standard competition ranks ("1224") on the rounded
 * overall score; ties are ordered by state name compared by code points
 * (strcmp on UTF-8), then by ISO code. */
#ifndef VIGIL_RANK_H
#define VIGIL_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An exact non-negative fraction, always reduced, den > 0. */
struct rank_q {
    int64_t num;
    int64_t den;
};

/* The methodology as far as scoring needs it. Arrays are borrowed. */
struct rank_area {
    const char *code;
    int64_t weight; /* > 0 */
};

struct rank_indicator {
    const char *code;
    int area;       /* index into areas */
    int64_t weight; /* > 0 */
    int scale_max;  /* largest value of its scale, > 0 */
    const char *call_to_action;
};

struct rank_band {
    const char *name;
    int64_t min_hundredths; /* lower bound of the rounded overall score, in hundredths */
};

struct rank_methodology {
    const struct rank_area *areas;
    size_t n_areas;
    const struct rank_indicator *indicators; /* methodology order */
    size_t n_indicators;
    const struct rank_band *bands; /* best first, strictly decreasing, last at 0 */
    size_t n_bands;
    struct rank_q min_coverage; /* e.g. 3/4; 1/1 when the methodology states none */
};

/* One indicator of one state's counted revision. */
enum rank_entry_kind {
    RANK_NOT_APPLICABLE = 0, /* the indicator does not apply (no entry) */
    RANK_VALUED,             /* a level with a value: rated */
    RANK_NO_DATA,            /* applies, "no data": no value */
    RANK_NOT_ASSESSED,       /* applies, "not assessed": no value */
};

struct rank_entry {
    enum rank_entry_kind kind;
    int value; /* RANK_VALUED: 0..scale_max */
    int level; /* index of the level in its scale (for aggregates), -1 if none */
};

struct rank_state {
    const char *code;                 /* ISO 3166-1 alpha-2 */
    const char *name;                 /* English short name, UTF-8 */
    const char *region;               /* smallest region code */
    bool approved;                    /* has an approved revision; entries are that revision's */
    const struct rank_entry *entries; /* n_indicators, methodology order; NULL if !approved */
};

/* Why a state is not ranked, in the order reasons are listed. */
enum rank_reason_kind { RANK_REASON_NOT_APPROVED, RANK_REASON_AREA_UNRATED, RANK_REASON_COVERAGE };

struct rank_reason {
    enum rank_reason_kind kind;
    int area; /* RANK_REASON_AREA_UNRATED: index of the area */
};

struct rank_result {
    size_t state; /* index into the input states */
    bool ranked;
    struct rank_reason *reasons; /* when !ranked; owned by the result set */
    size_t n_reasons;
    int rated, applicable;  /* indicator counts of the counted revision */
    struct rank_q coverage; /* rated / applicable (0/1 when nothing applies) */
    bool has_overall;       /* every area has a rated indicator */
    struct rank_q overall;
    int64_t overall_h;   /* overall rounded, hundredths */
    struct rank_q *area; /* n_areas; valid where area_rated[a] */
    bool *area_rated;
    int64_t *area_h; /* rounded area scores, hundredths */
    int rank;        /* ranked only: 1-based competition rank */
    bool tied;       /* shares its rank with another state */
    int *area_rank;  /* ranked only: per area */
    bool *area_tied;
    int band; /* ranked only: index into bands */
};

/* The results of one computation: ranked states first in rank order (ties
 * by name, then code), then the states not ranked by name, then code. */
struct rank_set {
    struct rank_result *results;
    size_t n;
};

enum rank_status { RANK_OK = 0, RANK_E_INPUT, RANK_E_OVERFLOW, RANK_E_NOMEM };

/* Computes scores, coverage, ranks, area ranks and bands of every state.
 * Returns RANK_E_INPUT for an inconsistent methodology or entry (a weight
 * not positive, a value above its scale's maximum, bands not decreasing).
 * On RANK_OK the caller frees out with rank_set_free. */
enum rank_status rank_compute(const struct rank_methodology *m, const struct rank_state *states,
                              size_t n, struct rank_set *out);

void rank_set_free(struct rank_set *s);

/* Rank among a subset (a region filter): fills region_rank[i] for each
 * ranked result i with in_region[i] true (same rule, among those only);
 * others get 0. Both arrays have s->n elements. */
void rank_subset(const struct rank_set *s, const bool *in_region, int *region_rank,
                 bool *region_tied);

/* Movement of one state against the predecessor's published ranking. */
enum rank_move_kind {
    RANK_MOVE_NONE = 0,       /* no predecessor, or it has no published ranking: show nothing */
    RANK_MOVE_NEW,            /* ranked now, not ranked then */
    RANK_MOVE_NOT_COMPARABLE, /* ranked in both, but the methodologies differ */
    RANK_MOVE_DELTA,          /* rank and band movement below */
};

struct rank_move {
    enum rank_move_kind kind;
    int rank_delta; /* rank then - rank now: positive = climbed */
    int band_delta; /* band position then - now (0 = best band): positive = climbed */
};

/* prev_rank/prev_band: the state's rank and band position in the
 * predecessor's ranking, or 0 / -1 when it was not ranked then. */
struct rank_move rank_movement(bool has_predecessor_ranking, bool same_methodology, int prev_rank,
                               int prev_band, int rank_now, int band_now);

/* Rounds q half away from zero to hundredths (q * 100, rounded). */
int64_t rank_round(struct rank_q q);

/* Formats hundredths as a decimal string with 2 decimals ("66.67", "100.00",
 * "0.05") into buf (at least 24 bytes). */
void rank_format(int64_t hundredths, char *buf, size_t cap);

/* Parses a decimal string with at most 2 decimals in [0, 100] into
 * hundredths ("75" -> 7500, "62.5" -> 6250). */
bool rank_parse_hundredths(const char *s, int64_t *out);

/* Parses a decimal string in (0, 1] into an exact fraction ("0.75" -> 3/4);
 * "" means 1. */
bool rank_parse_fraction(const char *s, struct rank_q *out);

/* Share num/den as a percentage in hundredths (rounded), 0 when den is 0. */
int64_t rank_percent_h(int64_t num, int64_t den);

#endif
