/* snapshot: the directory `vigil export --out DIR` fills with one
 * published version of a cycle, record by record (exportfmt.h says what the
 * files hold). Files are written in a staging directory inside DIR
 * (DIR/.export-partial-XXXXXX) as the records arrive, and moved into DIR
 * only once the END record has arrived and every count it announces
 * matches what was received. snapshot.json, which says which snapshot DIR
 * holds and lists its files, is removed from DIR first and moved in last:
 * a DIR with a snapshot.json holds a complete snapshot, and an export cut
 * short never leaves one that looks complete (at worst a stale
 * .export-partial-* directory, when the process is killed).
 *
 * Files: snapshot.json, plus for csv methodology.json, assessments.csv,
 * evidence.csv, ranking.csv and aggregates.csv (UTF-8 with a byte order
 * mark, which spreadsheets need to read UTF-8), for jsonl methodology.jsonl,
 * assessments.jsonl, ranking.jsonl and aggregates.jsonl. Files of the other
 * format left in DIR by an earlier export are removed when the new snapshot
 * is moved in; other files of DIR are left alone. */
#ifndef VIGIL_CLI_SNAPSHOT_H
#define VIGIL_CLI_SNAPSHOT_H

#include "vigil/v1/exchange.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum snapshot_format { SNAPSHOT_CSV, SNAPSHOT_JSONL };

enum snapshot_file {
    SNAPSHOT_METHODOLOGY,
    SNAPSHOT_ASSESSMENTS,
    SNAPSHOT_EVIDENCE, /* csv only */
    SNAPSHOT_RANKING,
    SNAPSHOT_AGGREGATES,
    SNAPSHOT_NFILES,
};

struct snapshot {
    char *dir;                       /* DIR (owned) */
    char *stage;                     /* the staging directory (owned); NULL = none */
    enum snapshot_format format;     /* of the files */
    FILE *files[SNAPSHOT_NFILES];    /* open in stage; NULL = not in this format */
    Vigil__V1__ExportRecord *header; /* the HEADER record (owned); NULL until it came */
    Vigil__V1__ExportRecord *method; /* the METHODOLOGY record (owned), for ranking.csv */
    size_t assessments;              /* ASSESSMENT records written */
    size_t evidence;                 /* evidence items in them */
    bool ranking, aggregates;        /* those records were written */
};

/* "csv" or "jsonl" into *f; false for anything else. */
bool snapshot_format_parse(const char *name, enum snapshot_format *f);

/* The name of a file in format f; NULL when f has no such file. */
const char *snapshot_file_name(enum snapshot_format f, enum snapshot_file k);

/* Creates DIR when it does not exist (its parent must), the staging
 * directory in it, and the files with their CSV header rows. Returns false
 * with the reason in err (s is then cleared: nothing is left behind). */
bool snapshot_begin(struct snapshot *s, const char *dir, enum snapshot_format f, char *err,
                    size_t cap) __attribute__((warn_unused_result));

/* Writes one record (taken: freed here, or kept), any kind but END. Returns
 * false with the reason in err when the record is out of place (nothing
 * before HEADER, HEADER, METHODOLOGY, RANKING and AGGREGATES once each),
 * malformed, of an unknown kind, or cannot be written. */
bool snapshot_add(struct snapshot *s, Vigil__V1__ExportRecord *r, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* The END record's header: checks that every record came (HEADER,
 * METHODOLOGY, RANKING, AGGREGATES) and that it names the same cycle and
 * version as HEADER and the counts received, then moves the snapshot into
 * DIR (see above) and removes the staging directory. Returns false with the
 * reason in err when anything does not match or cannot be written; then
 * nothing was moved into DIR unless err says so (a failure part way through
 * moving leaves DIR without snapshot.json). */
bool snapshot_finish(struct snapshot *s, const Vigil__V1__ExportHeader *end, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Removes the staging directory and what it holds (an export given up), and
 * frees everything. Safe after snapshot_finish() and on a cleared s. */
void snapshot_clear(struct snapshot *s);

#endif
