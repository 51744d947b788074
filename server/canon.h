/* canon: the canonical inputs of a published ranking, the bytes its digest is
 * taken over, and their reading into the scoring module's structures. Pure
 * (no I/O); shared by the daemon (publication) and the client (vigil verify).
 *
 * The document, as documented byte for byte in the README:
 *   {"cycle": "<code>",
 *    "format": "vigil-ranking-inputs/1",
 *    "methodology": <the Methodology message in its JSON form (pbjson.h):
 *                    every field, defaults included>,
 *    "predecessor": null | {"cycle": "<code>", "digest": "<hex>", "version": <n>},
 *    "states": [{"code": "<ISO>", "levels": {"<indicator>": "<level code>", ...},
 *                "name": "<English short name>", "region": "<M49 code>",
 *                "revision": <counted revision number, 0 = none approved>}, ...]}
 * states are sorted by code; "levels" holds every indicator of the counted
 * revision (an indicator that does not apply is absent) and is {} when no
 * revision is approved. The bytes are that JSON with object keys sorted by
 * code point, no insignificant whitespace, strings as UTF-8 with only '"',
 * '\\' and control characters escaped (\b \f \n \r \t, else \u00XX), all
 * numbers integers: the JSON Canonicalization Scheme (RFC 8785) for this
 * data. The digest is the lower-case hex SHA-256 of those bytes. */
#ifndef VIGIL_CANON_H
#define VIGIL_CANON_H

#include "aggregate.h"
#include "rank.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Serialises doc canonically. Returns a malloc'd buffer (NUL-terminated,
 * *len bytes without the NUL) or NULL when out of memory. */
char *canon_bytes(const json_t *doc, size_t *len);

/* Lower-case hex SHA-256 of data into hex (65 bytes with the NUL). */
void canon_digest(const void *data, size_t len, char hex[65]);

/* One scale level, as scoring and aggregates need it. */
struct canon_level {
    const char *code;
    const char *label;
    bool has_value;
    int value;
};

/* The inputs read from a document, in the scoring module's terms. Every
 * string points into the json_t it was read from, which must outlive this. */
struct canon_inputs {
    const char *cycle;
    const char *methodology_code;
    struct rank_methodology m; /* arrays below */
    struct rank_area *areas;
    struct rank_indicator *indicators;
    struct rank_band *bands;
    const char **indicator_questions; /* per indicator */
    struct canon_level **levels;      /* per indicator: its scale's levels */
    int *n_levels;                    /* per indicator */
    struct rank_state *states;        /* sorted by code */
    struct rank_entry *entries;       /* n_states * n_indicators */
    int *revisions;                   /* per state: counted revision, 0 = none */
    size_t n_states;
    bool has_predecessor;
    const char *predecessor_cycle;
    const char *predecessor_digest;
    int predecessor_version;
};

/* Reads doc (the document above) into in. Returns false with a message
 * naming the path (e.g. "states[3].levels.PR.9: unknown indicator") when the
 * document is malformed or inconsistent; in is then cleared. */
bool canon_read(const json_t *doc, struct canon_inputs *in, char *err, size_t cap);

void canon_clear(struct canon_inputs *in);

/* Index of an indicator / area / level by code, or -1. */
int canon_indicator(const struct canon_inputs *in, const char *code);
int canon_area(const struct canon_inputs *in, const char *code);
int canon_level(const struct canon_inputs *in, int indicator, const char *code);

#endif
