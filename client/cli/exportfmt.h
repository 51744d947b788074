/* exportfmt: what the files of `vigil export` hold, record by record of
 * Exchange/Export: the CSV rows (RFC 4180 as output.h writes it, UTF-8) and
 * the JSON lines (pbjson's mapping, one compact object per line) of each
 * record kind, and the snapshot.json that describes a finished export. Pure:
 * writes to the FILEs it is given, one record at a time, so an export runs
 * in constant memory; where the files live is snapshot.h's business.
 *
 * CSV files (a header row, then):
 *   assessments.csv  a row per state and indicator of the revision the
 *                    publication counts: state, state_name, revision,
 *                    indicator, level (the level's code), justification,
 *                    evidence_count; a state whose publication counts no
 *                    revision has one row with state and state_name only
 *   evidence.csv     a row per evidence item: state, indicator, n (1, 2 ...
 *                    within the entry), citation, url, date
 *   ranking.csv      the columns of `vigil ranking --format csv`
 *   aggregates.csv   the columns of `vigil aggregates --format csv`
 * JSON lines: assessments.jsonl {"state", "state_name", "revision": the
 * Revision or null}; methodology.jsonl, ranking.jsonl, aggregates.jsonl one
 * line each: the Methodology, Ranking and GetAggregatesResponse messages. */
#ifndef VIGIL_CLI_EXPORTFMT_H
#define VIGIL_CLI_EXPORTFMT_H

#include "vigil/v1/exchange.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EXPORTFMT_ASSESSMENT_NCOLS 7
#define EXPORTFMT_EVIDENCE_NCOLS   6

extern const char *const exportfmt_assessment_columns[EXPORTFMT_ASSESSMENT_NCOLS];
extern const char *const exportfmt_evidence_columns[EXPORTFMT_EVIDENCE_NCOLS];

/* Writes the CSV rows of one ASSESSMENT record r to assessments and
 * evidence; *nevidence gets its evidence items. Returns false when the
 * record is malformed (no state; err says why). Write errors are left to
 * the caller's ferror(). */
bool exportfmt_assessment_csv(FILE *assessments, FILE *evidence, const Vigil__V1__ExportRecord *r,
                              size_t *nevidence, char *err, size_t cap);

/* Writes the JSON line of one ASSESSMENT record; *nevidence as above.
 * Returns false on a malformed record or out of memory (err says which). */
bool exportfmt_assessment_jsonl(FILE *f, const Vigil__V1__ExportRecord *r, size_t *nevidence,
                                char *err, size_t cap);

/* Writes m (any message) as one JSON line. False when out of memory. */
bool exportfmt_message_jsonl(FILE *f, const ProtobufCMessage *m, char *err, size_t cap);

/* Writes ranking.csv whole (header and rows); m (may be NULL) gives the
 * areas' order. False when out of memory or writing fails. */
bool exportfmt_ranking_csv(FILE *f, const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                           char *err, size_t cap);

/* Writes aggregates.csv whole. False as above. */
bool exportfmt_aggregates_csv(FILE *f, const Vigil__V1__GetAggregatesResponse *a, char *err,
                              size_t cap);

/* The number of evidence items of a record's revision. */
size_t exportfmt_evidence_count(const Vigil__V1__ExportRecord *r);

/* snapshot.json: the END header h as JSON (cycle, version, published_at,
 * digest, cursor, assessments, evidence), then "format" ("csv" or "jsonl")
 * and "files" (the n names, in order). NULL when out of memory. */
json_t *exportfmt_snapshot_json(const Vigil__V1__ExportHeader *h, const char *format,
                                const char *const files[], size_t n);

#endif
