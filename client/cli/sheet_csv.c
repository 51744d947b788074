/* sheet_csv: the CSV reader of sheet.h, on libcsv. libcsv does the quoting;
 * this file feeds it byte by byte to know the line where each record starts
 * (a quoted cell may span lines), maps the header to columns, and turns each
 * record into a row of its (state, cycle) group. */
#include "sheet_int.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum column {
    COL_STATE,
    COL_CYCLE,
    COL_INDICATOR,
    COL_LEVEL,
    COL_JUSTIFICATION,
    COL_EVIDENCE,
    NCOLS
};

static const struct {
    const char *name;
    bool required;
} columns[NCOLS] = {
    [COL_STATE] = {"state", true},
    [COL_CYCLE] = {"cycle", true},
    [COL_INDICATOR] = {"indicator", true},
    [COL_LEVEL] = {"level", true},
    [COL_JUSTIFICATION] = {"justification", false},
    [COL_EVIDENCE] = {"evidence", false},
};

struct csv_ctx {
    struct sheet *s;
    char **fields; /* the record being read (owned) */
    size_t nfields, cap;
    int line;        /* line of the byte being fed */
    int record_line; /* line where the current record started */
    bool at_start;   /* the next non-blank byte starts a record */
    bool header_done;
    int col[NCOLS]; /* field index of each column; -1 = absent */
    bool failed;    /* a fatal problem, described in err */
    char err[512];
};

/* Spaces are part of a cell (RFC 4180): a justification keeps them. Codes
 * and column names are trimmed here instead. */
static int no_space(unsigned char c)
{
    return 0;
}

/* A copy of s without white space at either end, into buf. */
static const char *trim(const char *s, char *buf, size_t cap)
{
    size_t len;

    while (*s == ' ' || *s == '\t')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    snprintf(buf, cap, "%.*s", (int)(len < cap ? len : cap - 1), s);
    return buf;
}

static void on_field(void *data, size_t len, void *arg)
{
    struct csv_ctx *x = arg;

    if (x->nfields == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        char **grown = realloc(x->fields, cap * sizeof(*grown));
        if (grown == NULL) {
            x->s->nomem = true;
            return;
        }
        x->fields = grown;
        x->cap = cap;
    }
    char *f = sheet_dup(x->s, data != NULL ? data : "", data != NULL ? len : 0);
    if (f != NULL)
        x->fields[x->nfields++] = f;
}

static void header(struct csv_ctx *x)
{
    for (int c = 0; c < NCOLS; c++)
        x->col[c] = -1;
    for (size_t i = 0; i < x->nfields; i++) {
        char name[64];
        trim(x->fields[i], name, sizeof(name));
        for (int c = 0; c < NCOLS; c++) {
            if (strcasecmp(name, columns[c].name) != 0)
                continue;
            if (x->col[c] >= 0) {
                snprintf(x->err, sizeof(x->err), "line %d: column \"%s\" appears twice",
                         x->record_line, columns[c].name);
                x->failed = true;
                return;
            }
            x->col[c] = (int)i;
        }
    }
    for (int c = 0; c < NCOLS; c++) {
        if (columns[c].required && x->col[c] < 0) {
            snprintf(x->err, sizeof(x->err),
                     "line %d: no column \"%s\" in the header (it must name "
                     "state,cycle,indicator,level and may add justification,evidence)",
                     x->record_line, columns[c].name);
            x->failed = true;
            return;
        }
    }
    x->header_done = true;
}

static const char *cell(const struct csv_ctx *x, enum column c)
{
    return x->col[c] >= 0 && (size_t)x->col[c] < x->nfields ? x->fields[x->col[c]] : "";
}

static bool all_empty(const struct csv_ctx *x)
{
    for (size_t i = 0; i < x->nfields; i++) {
        if (strspn(x->fields[i], " \t") != strlen(x->fields[i]))
            return false;
    }
    return true;
}

/* State and cycle place the row in its group; without them it has none. */
static int row_group(struct csv_ctx *x)
{
    char state[8], st[80], cy[80];
    int line = x->record_line;

    trim(cell(x, COL_STATE), st, sizeof(st));
    trim(cell(x, COL_CYCLE), cy, sizeof(cy));
    for (enum column c = COL_STATE; c <= COL_CYCLE; c++) {
        const char *v = c == COL_STATE ? st : cy;
        if (v[0] == '\0' || !sheet_utf8_valid(v, strlen(v)) || strlen(v) > 64) {
            sheet_issue(x->s, -1, line, NULL, columns[c].name,
                        v[0] == '\0' ? "empty" : "not a valid code");
            return -1;
        }
    }
    if (strlen(st) >= sizeof(state)) {
        sheet_issue(x->s, -1, line, NULL, "state", "\"%s\" is not an ISO 3166-1 alpha-2 code", st);
        return -1;
    }
    for (size_t i = 0; i <= strlen(st); i++)
        state[i] = st[i] >= 'a' && st[i] <= 'z' ? (char)(st[i] - 'a' + 'A') : st[i];
    return sheet_group_for(x->s, state, cy, line, NULL);
}

static void record(struct csv_ctx *x)
{
    int g = row_group(x);
    struct sheet_row *r;
    char why[512];

    if (g < 0)
        return;
    for (enum column c = COL_INDICATOR; c < NCOLS; c++) {
        const char *v = cell(x, c);
        if (!sheet_utf8_valid(v, strlen(v))) {
            sheet_issue(x->s, g, x->record_line, NULL, columns[c].name,
                        "not valid UTF-8 (save the file as UTF-8)");
            return;
        }
    }
    if ((r = sheet_row_add(x->s, g)) == NULL)
        return;
    char indicator[80];
    r->line = x->record_line;
    r->indicator = sheet_strdup(x->s, trim(cell(x, COL_INDICATOR), indicator, sizeof(indicator)));
    r->level = sheet_strdup(x->s, cell(x, COL_LEVEL));
    r->justification = sheet_strdup(x->s, cell(x, COL_JUSTIFICATION));
    if (indicator[0] == '\0')
        sheet_issue(x->s, g, r->line, NULL, "indicator", "empty");
    if (!sheet_evidence_parse(cell(x, COL_EVIDENCE), &r->evidence, &r->nevidence, why, sizeof(why)))
        sheet_issue(x->s, g, r->line, NULL, "evidence", "%s", why);
}

static void on_record(int term, void *arg)
{
    struct csv_ctx *x = arg;

    if (!x->failed && !x->s->nomem) {
        if (!x->header_done)
            header(x);
        else if (!all_empty(x))
            record(x);
    }
    for (size_t i = 0; i < x->nfields; i++)
        free(x->fields[i]);
    x->nfields = 0;
    x->at_start = true;
}

static bool feed(struct csv_ctx *x, struct csv_parser *p, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !x->failed && !x->s->nomem; i++) {
        char b = data[i];
        if (x->at_start && b != '\n' && b != '\r' && b != ' ' && b != '\t') {
            x->record_line = x->line;
            x->at_start = false;
        }
        if (csv_parse(p, &data[i], 1, on_field, on_record, x) != 1) {
            snprintf(x->err, sizeof(x->err),
                     "line %d: malformed CSV: a quote may only open or close a cell, with no "
                     "space outside it; a quote inside a quoted cell is doubled (\"\")",
                     x->line);
            return false;
        }
        if (b == '\n')
            x->line++;
    }
    return true;
}

bool sheet_parse_csv(struct sheet *s, const char *data, size_t len, char *err, size_t cap)
{
    struct csv_ctx x = {.s = s, .line = 1, .at_start = true};
    struct csv_parser p;
    bool ok;

    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    csv_set_space_func(&p, no_space);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    ok = feed(&x, &p, data, len);
    if (ok && !x.failed && csv_fini(&p, on_field, on_record, &x) != 0) {
        snprintf(x.err, sizeof(x.err), "line %d: malformed CSV: a quoted cell is never closed",
                 x.record_line);
        ok = false;
    }
    for (size_t i = 0; i < x.nfields; i++)
        free(x.fields[i]);
    free(x.fields);
    csv_free(&p);
    if (ok && !x.failed && !s->nomem && !x.header_done)
        snprintf(x.err, sizeof(x.err), "empty file: no header row");
    if (s->nomem)
        snprintf(x.err, sizeof(x.err), "out of memory");
    if (!ok || x.failed || s->nomem || !x.header_done) {
        snprintf(err, cap, "%s", x.err);
        return false;
    }
    return true;
}
