/* sheet: the assessment files of `vigil submit`, CSV and JSON, read into
 * groups of rows (one group per state and cycle: one revision to submit),
 * with where every row came from, and the problems found on the way as a
 * list of issues (file, line or JSON path, field, reason). Also the syntax
 * of the CSV evidence cell, both ways. Pure: no network.
 *
 * CSV (RFC 4180, read with libcsv; UTF-8, an initial byte order mark is
 * skipped; CRLF or LF): a header row naming the columns, in any order and
 * any case: state, cycle, indicator, level (required), justification,
 * evidence (optional); other columns (allowed_levels of `vigil template`)
 * are ignored. Then one row per state, cycle and indicator. Rows whose cells
 * are all empty are skipped. The evidence cell holds items separated by line
 * breaks, each "citation | url | date", url and date optional
 * ("citation", "citation | https://...", "citation | | 2011-05-01",
 * "citation | 2011-05-01"); a citation cannot contain "|" in CSV.
 *
 * JSON (jansson; keys strict):
 *   {"assessments": [{"state": "TH", "cycle": "2009-2012", "draft": false,
 *     "entries": [{"indicator": "PR.1", "level": "yes",
 *                  "justification": "...",
 *                  "evidence": [{"citation": "...", "url": "https://...",
 *                                "date": "2011-05-01"}]}]}]}
 * "draft", "justification", "evidence", "url" and "date" are optional.
 *
 * Both: the state code is taken in upper case; evidence dates are ISO 8601
 * calendar dates (YYYY-MM-DD), URLs start with http:// or https://, and every
 * text must be UTF-8. A file is read as JSON when its first non-blank byte
 * is "{", else as CSV. */
#ifndef VIGIL_CLI_SHEET_H
#define VIGIL_CLI_SHEET_H

#include "vigil/v1/assessments.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sheet_evidence {
    char *citation, *url, *date; /* owned; "" when absent */
};

struct sheet_row {
    int line;                        /* CSV: line where the record starts; JSON: 0 */
    char *path;                      /* JSON: "assessments[0].entries[3]"; CSV: NULL */
    char *indicator, *level;         /* owned, as written ("" when empty) */
    char *justification;             /* owned, "" when empty */
    struct sheet_evidence *evidence; /* owned */
    size_t nevidence;
};

/* One state in one cycle: one revision to submit. */
struct sheet_group {
    char *state, *cycle; /* owned */
    bool draft;          /* JSON "draft" */
    int line;            /* CSV: line of its first row; JSON: 0 */
    char *path;          /* JSON: "assessments[2]"; CSV: NULL */
    struct sheet_row *rows;
    size_t nrows;
    bool bad; /* an issue was found in it: it must not be sent */
};

struct sheet_issue {
    int group;     /* index in groups; -1 = a row no group could hold */
    int line;      /* CSV line; 0 for JSON */
    char *path;    /* JSON path of the row or assessment; NULL for CSV */
    char *field;   /* column or key ("level", "evidence"); NULL = the row itself */
    char *message; /* the reason */
};

struct sheet {
    char *file; /* as given on the command line (owned) */
    struct sheet_group *groups;
    size_t ngroups;
    struct sheet_issue *issues; /* in the order found */
    size_t nissues;
    bool nomem; /* an allocation failed: the sheet is incomplete */
};

void sheet_init(struct sheet *s, const char *file);
void sheet_clear(struct sheet *s);

/* Reads s->file, as JSON or CSV (see above). Returns false, with the reason
 * in err, when the file cannot be used at all: unreadable, not CSV or JSON,
 * no header or a required column missing, broken quoting, out of memory.
 * Problems of single rows become issues (and mark their group bad). */
bool sheet_read(struct sheet *s, char *err, size_t cap) __attribute__((warn_unused_result));

/* The same from a buffer (len bytes; need not end with a NUL). */
bool sheet_parse_csv(struct sheet *s, const char *data, size_t len, char *err, size_t cap)
    __attribute__((warn_unused_result));
bool sheet_parse_json(struct sheet *s, const char *data, size_t len, char *err, size_t cap)
    __attribute__((warn_unused_result));

/* Records an issue; group -1 for none (else that group becomes bad). path
 * and field may be NULL. */
void sheet_issue(struct sheet *s, int group, int line, const char *path, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* "FILE:LINE: FIELD" (CSV) or "FILE: PATH.FIELD" (JSON), for messages. */
void sheet_where(const struct sheet *s, int line, const char *path, const char *field, char *buf,
                 size_t cap);

/* Prints the issues on f, "WHERE: MESSAGE" per line, sorted by line (CSV),
 * else in the order found. */
void sheet_print_issues(const struct sheet *s, FILE *f);

/* Parses an evidence cell (see above) into *out (owned; free with
 * sheet_evidence_free). Returns false with the reason in err (naming the
 * item by number) on a bad item or out of memory. */
bool sheet_evidence_parse(const char *cell, struct sheet_evidence **out, size_t *n, char *err,
                          size_t cap) __attribute__((warn_unused_result));

/* Checks one item: citation present, url http(s), date YYYY-MM-DD. */
bool sheet_evidence_check(const struct sheet_evidence *ev, char *err, size_t cap);

/* The cell text of n evidence items (malloc'd; NULL when out of memory):
 * "citation | url | date" per item, empty trailing parts left out, items
 * separated by "\n". Parsing it gives the items back, as long as no
 * citation holds "|" or a line break. */
char *sheet_evidence_format(Vigil__V1__Evidence *const *ev, size_t n);

void sheet_evidence_free(struct sheet_evidence *ev, size_t n);

/* Whether len bytes of s are valid UTF-8 (no overlongs, no surrogates). */
bool sheet_utf8_valid(const char *s, size_t len);

#endif
