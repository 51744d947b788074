/* The assessment CSV through the real vigil CLI against a real vigild: the
 * round trip (`vigil template`, filled in here, `vigil submit`, `vigil show
 * --format csv` gives back exactly what was written, non-ASCII text, commas,
 * quotes and line breaks included), idempotency of `vigil submit` (the same
 * file again, an unreachable server, an interrupted run resent with the very
 * same request ids from FILE.pending, an answer lost), the per-row error
 * report (FILE:LINE: field: reason, good states stored, bad ones not), and
 * the review flow (queue, approve, return, audit).
 *
 * Both sides of every comparison are read with the small RFC 4180 reader
 * below, so that quoting style does not matter, only the cells. */
#include "harness.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes of vigil (client/cli/cmd.h): they are the contract. */
enum { OK = 0, USAGE = 2, CONNECT = 3, RPC = 4 };

#define CYCLE   "2009-2012"
#define NIND    16
#define NOWHERE "127.0.0.1:1" /* nothing listens on port 1 */

/* The indicators of ecpat-2012 in the methodology's order. */
static const char *const indicators[NIND] = {"PR.1", "PR.2", "PR.3", "PR.4", "PR.5", "PR.6",
                                             "PR.7", "PR.8", "PV.1", "PV.2", "PV.3", "PV.4",
                                             "CA.1", "CA.2", "CA.3", "CA.4"};
#define CA1 12
#define CA2 13

static const char *const submit_header[] = {"state", "cycle",         "indicator",
                                            "level", "justification", "evidence"};
#define NSUBMIT 6

static struct h_db db;
static struct h_daemon d;
static char dir[PATH_MAX]; /* this test's files */

static void setup(void)
{
    h_db_create(&db);
    h_offices_register(&db);
    h_daemon_start(&d, &db, NULL);
    h_workdir(dir, "csv");
}

static void teardown(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
}

TestSuite(csv, .init = setup, .fini = teardown, .timeout = 60);

/* ---- text helpers ---- */

/* s with control characters and quotes escaped, for failure messages;
 * malloc'd (leaks in failure paths only). */
static char *esc(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * n + 3), *p = out;

    cr_assert_not_null(out);
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            p += sprintf(p, "\\n");
        else if (c == '\r')
            p += sprintf(p, "\\r");
        else if (c == '\t')
            p += sprintf(p, "\\t");
        else if (c == '"')
            p += sprintf(p, "\\\"");
        else if (c < 0x20)
            p += sprintf(p, "\\x%02x", c);
        else
            *p++ = (char)c;
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

/* ---- a small RFC 4180 reader, independent of the CLI's libcsv ---- */

struct rec {
    int line; /* where the record starts (1-based) */
    size_t n;
    char **cell;
};

struct csv {
    size_t n;
    struct rec *rec;
};

struct buf {
    char *p;
    size_t n, cap;
};

static void buf_put(struct buf *b, char c)
{
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

static void rec_add_cell(struct rec *r, struct buf *b)
{
    r->cell = realloc(r->cell, (r->n + 1) * sizeof(*r->cell));
    cr_assert_not_null(r->cell);
    r->cell[r->n++] = b->p != NULL ? b->p : strdup("");
    *b = (struct buf){0};
}

static struct rec *csv_new_rec(struct csv *c, int line)
{
    c->rec = realloc(c->rec, (c->n + 1) * sizeof(*c->rec));
    cr_assert_not_null(c->rec);
    c->rec[c->n] = (struct rec){.line = line};
    return &c->rec[c->n++];
}

/* Parses text strictly (a quote only opens or closes a cell, "" inside a
 * quoted cell, records end with LF or CRLF, an optional final line break);
 * an initial UTF-8 byte order mark is skipped. Fails the test on bad input. */
static void csv_parse(const char *text, struct csv *c, const char *what)
{
    const char *p = text;
    int line = 1;

    *c = (struct csv){0};
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (*p != '\0') {
        struct rec *r = csv_new_rec(c, line);
        for (;;) { /* one cell */
            struct buf b = {0};
            if (*p == '"') {
                for (p++;; p++) {
                    cr_assert(*p != '\0', "%s: line %d: unterminated quoted cell", what, r->line);
                    if (*p == '"' && p[1] == '"') {
                        buf_put(&b, '"');
                        p++;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        line += *p == '\n';
                        buf_put(&b, *p);
                    }
                }
            } else {
                for (; *p != '\0' && *p != ',' && *p != '\n' && *p != '\r'; p++) {
                    cr_assert(*p != '"', "%s: line %d: quote inside an unquoted cell", what, line);
                    buf_put(&b, *p);
                }
            }
            rec_add_cell(r, &b);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == '\r') {
                cr_assert(p[1] == '\n', "%s: line %d: CR not followed by LF", what, line);
                p++;
            }
            cr_assert(*p == '\n' || *p == '\0', "%s: line %d: text after a closing quote", what,
                      line);
            if (*p == '\n') {
                p++;
                line++;
            }
            break;
        }
    }
}

static void csv_free(struct csv *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t k = 0; k < c->rec[i].n; k++)
            free(c->rec[i].cell[k]);
        free(c->rec[i].cell);
    }
    free(c->rec);
    *c = (struct csv){0};
}

/* Fails the test unless record r has exactly the n cells of want. */
static void expect_cells(const struct rec *r, const char *const *want, size_t n, const char *what)
{
    cr_assert_eq(r->n, n, "%s (line %d): %zu cells, expected %zu", what, r->line, r->n, n);
    for (size_t k = 0; k < n; k++)
        cr_assert_str_eq(r->cell[k], want[k], "%s (line %d), cell %zu: got %s, expected %s", what,
                         r->line, k + 1, esc(r->cell[k]), esc(want[k]));
}

/* The index of the column called name in the header record h. */
static size_t column(const struct csv *c, const char *name)
{
    cr_assert(c->n > 0, "no header row");
    for (size_t k = 0; k < c->rec[0].n; k++) {
        if (strcmp(c->rec[0].cell[k], name) == 0)
            return k;
    }
    cr_assert_fail("no column %s in the header", name);
    return 0;
}

/* ---- a CSV writer that knows the line where each record starts ---- */

struct out {
    FILE *f;
    char *text;
    size_t len;
    int line; /* of the next record */
};

static void out_open(struct out *o, bool bom)
{
    *o = (struct out){.line = 1};
    o->f = open_memstream(&o->text, &o->len);
    cr_assert_not_null(o->f);
    if (bom)
        fputs("\xEF\xBB\xBF", o->f);
}

/* Writes one record (quoting where RFC 4180 needs it, and always when
 * force_quote) ended by eol; returns the line where it starts. */
static int out_record(struct out *o, const char *const *cells, size_t n, bool force_quote,
                      const char *eol)
{
    int start = o->line;

    for (size_t k = 0; k < n; k++) {
        const char *s = cells[k];
        bool quote = force_quote || strpbrk(s, ",\"\r\n") != NULL;
        if (k > 0)
            fputc(',', o->f);
        if (quote)
            fputc('"', o->f);
        for (; *s; s++) {
            if (*s == '"' && quote)
                fputc('"', o->f);
            fputc(*s, o->f);
            o->line += *s == '\n';
        }
        if (quote)
            fputc('"', o->f);
    }
    fputs(eol, o->f);
    o->line++;
    return start;
}

/* Writes the collected text to path. */
static void out_save(struct out *o, const char *path)
{
    cr_assert_eq(fclose(o->f), 0);
    h_write_file(path, o->text, o->len);
    free(o->text);
    *o = (struct out){0};
}

/* ---- running the CLI (h_client.h) ---- */

#define CLI(who, ...) H_CLI(&d, who, __VA_ARGS__)

/* The CSV of `vigil submit --format csv`: file,state,cycle,result,revision,
 * status,detail; fails unless state has result and (when revision > 0)
 * that revision and status. */
static void expect_result(const struct csv *c, const char *state, const char *result, int revision,
                          const char *status, const char *what)
{
    size_t cs = column(c, "state"), cr = column(c, "result"), cv = column(c, "revision"),
           ct = column(c, "status");
    char rev[16];

    snprintf(rev, sizeof(rev), "%d", revision);
    for (size_t i = 1; i < c->n; i++) {
        const struct rec *r = &c->rec[i];
        if (strcmp(r->cell[cs], state) != 0)
            continue;
        cr_assert_str_eq(r->cell[cr], result, "%s: %s: result %s, expected %s (detail: %s)", what,
                         state, r->cell[cr], result, r->cell[r->n - 1]);
        if (revision > 0) {
            cr_assert_str_eq(r->cell[cv], rev, "%s: %s: revision %s, expected %s", what, state,
                             r->cell[cv], rev);
            cr_assert_str_eq(r->cell[ct], status, "%s: %s: status %s, expected %s", what, state,
                             r->cell[ct], status);
        }
        return;
    }
    cr_assert_fail("%s: no result row for %s", what, state);
}

/* Runs `vigil submit FILE --format csv` as the regional office, asserts the
 * exit code and parses the result rows into *c. */
static struct h_cli_run submit(const char *file, int rc, struct csv *c, const char *what)
{
    struct h_cli_run r = CLI("regional", "submit", file, "--format", "csv");
    h_cli_expect_rc(&r, rc, what);
    csv_parse(r.out, c, what);
    expect_cells(
        &c->rec[0],
        (const char *const[]){"file", "state", "cycle", "result", "revision", "status", "detail"},
        7, what);
    return r;
}

/* ---- the database ---- */

static int query_int(const char *sql, const char *state)
{
    const char *params[] = {state, CYCLE};
    char *v = h_db_query_value_params(&db, sql, 2, params);
    int n = atoi(v);
    free(v);
    return n;
}

/* Rows of table revision for state in CYCLE. */
static int revisions_of(const char *state)
{
    return query_int("SELECT count(*)::text FROM revision r "
                     "JOIN assessment a ON a.id = r.assessment_id "
                     "JOIN cycle c ON c.id = a.cycle_id WHERE a.state = $1 AND c.code = $2",
                     state);
}

/* Audit rows of action assessment.submit for state in CYCLE. */
static int submits_of(const char *state)
{
    return query_int("SELECT count(*)::text FROM audit WHERE action = 'assessment.submit' "
                     "AND object LIKE $1 || '/' || $2 || '#%'",
                     state);
}

/* Their request ids, comma-separated, oldest first; malloc'd. */
static char *submit_ids(const char *state)
{
    const char *params[] = {state, CYCLE};
    return h_db_query_value_params(&db,
                                   "SELECT coalesce(string_agg(request_id, ',' ORDER BY id), '') "
                                   "FROM audit WHERE action = 'assessment.submit' "
                                   "AND object LIKE $1 || '/' || $2 || '#%'",
                                   2, params);
}

/* A query's single value as an int. */
static int sql_int(const char *sql)
{
    char *v = h_db_query_value(&db, sql);
    int n = atoi(v);
    free(v);
    return n;
}

/* Whether path + suffix exists. */
static bool exists(const char *path, const char *suffix)
{
    char *p = h_strdupf("%s%s", path, suffix);
    bool yes = access(p, F_OK) == 0;
    free(p);
    return yes;
}

/* ---- files of complete, simple assessments ---- */

/* Writes path: the submit header, then for each state every indicator with
 * level "no" (CA.2, which then does not apply, with an empty level) and a
 * justification naming it. */
static void write_simple(const char *path, const char *const *states, size_t nstates)
{
    struct out o;

    out_open(&o, false);
    out_record(&o, submit_header, NSUBMIT, false, "\n");
    for (size_t s = 0; s < nstates; s++) {
        for (size_t i = 0; i < NIND; i++) {
            char just[64];
            snprintf(just, sizeof(just), "%s %s, simple", states[s], indicators[i]);
            const char *row[] = {states[s], CYCLE, indicators[i], i == CA2 ? "" : "no", just, ""};
            out_record(&o, row, NSUBMIT, false, "\n");
        }
    }
    out_save(&o, path);
}

/* ---- the round trip ---- */

/* What the test writes into the template: the level of each state's
 * indicators, by label. "" = empty level (does not apply), NULL = the row
 * is removed. CA.2 applies only when CA.1 is yes or partial. */
static const struct {
    const char *state;
    const char *level[NIND];
} fills[] = {
    {"CI",
     {"no data", "no", "no", "partial", "yes", "yes", "yes", "partial", "no", "no", "yes",
      "partial", "partial", "comprehensive and specialised", "no data", "no"}},
    {"FR",
     {"yes", "partial", "no", "no data", "not assessed", "yes", "partial", "no", "yes", "yes",
      "partial", "no data", "yes", "woefully inadequate", "no", "not assessed"}},
    {"DE",
     {"partial", "partial", "yes", "yes", "no", "no", "no data", "yes", "not assessed", "yes",
      "yes", "yes", "no", "", "yes", "partial"}},
    {"IT",
     {"yes", "yes", "yes", "yes", "yes", "partial", "partial", "partial", "no", "no", "no", "no",
      "no data", NULL, "not assessed", "yes"}},
};
#define NFILLS (sizeof(fills) / sizeof(fills[0]))

/* Justifications, given to the rows in turn: non-ASCII (French, Thai,
 * Arabic, a 4-byte character), commas, quotes at either end, line breaks
 * (LF and CRLF) inside the cell, spaces kept at both ends, empty. */
static const char *const justifications[] = {
    "Code pénal, art. 225-4-1 : la « traite des êtres humains » est réprimée ; élèves et "
    "garçons protégés.",
    "การคุ้มครองเด็ก: กฎหมายใหม่, ปี 2551",
    "حماية الأطفال، قانون 2010, \"مادة 5\"",
    "He said \"no\", then \"yes, partly\".",
    "first line\nsecond line, with a comma\nthird line",
    "",
    "  spaces at both ends are part of the cell  ",
    "\"quoted at the start\" and a quote at the end \"",
    "Côte d'Ivoire : loi n° 2010-272 du 30 septembre 2010\r\nCRLF inside the cell",
    "tab\there; emoji \xF0\x9F\xA7\x92; ümlaut, ß",
};
#define NJUST (sizeof(justifications) / sizeof(justifications[0]))

/* Evidence cells, in the canonical form `vigil show` prints: items
 * separated by line breaks, each "citation | url | date", "citation",
 * "citation | url" or "citation | | date". */
static const char *const evidence[] = {
    "",
    "Code pénal, art. 225-4-1 | https://www.legifrance.gouv.fr/codes/article_lc/"
    "LEGIARTI000029370597?a=1&b=2 | 2010-07-01",
    "Rapport \"ECPAT France\", 2011",
    "Circulaire du 5 mai | | 2011-05-01",
    "Code pénal, art. 225-4-1 | https://example.org/fr/cp | 2010-07-01\n"
    "Rapport \"ECPAT\", sans lien\n"
    "Circulaire du 5 mai | | 2011-05-01",
    "UNICEF, country report | https://www.unicef.org/report?x=1,2",
    "تقرير حماية الأطفال | https://example.org/ar | 2010-12-31\nรายงานการคุ้มครองเด็ก",
};
#define NEVID (sizeof(evidence) / sizeof(evidence[0]))

/* The rows written for one state: cells of the submit columns, in order. */
struct expected {
    const char *state;
    size_t n;
    const char *row[NIND][NSUBMIT];
};

/* Gives the regional office Côte d'Ivoire (outside Europe) as well, writes
 * the template for the four states of fills, checks it, fills it in as an
 * office would (keeping its header and allowed_levels column, CRLF line
 * ends and a byte order mark as spreadsheets write them, an all-empty row
 * at the end) into path, and records what each state's show must give. */
static void prepare_filled(const char *path, struct expected exp[NFILLS])
{
    char tpl[PATH_MAX];
    struct csv t;
    struct out o;
    struct h_cli_run r;

    r = CLI("central", "office", "scope", "regional", "--region", "150", "--state", "CI",
            "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil office scope regional --region 150 --state CI");
    h_cli_run_free(&r);

    h_path(tpl, sizeof(tpl), dir, "template.csv");
    r = CLI("regional", "template", "--cycle", CYCLE, "--state", "FR", "--state", "DE", "--state",
            "CI", "--state", "IT", "--out", tpl);
    h_cli_expect_rc(&r, OK, "vigil template");
    h_cli_run_free(&r);
    r = CLI("regional", "template", "--cycle", CYCLE, "--state", "FR", "--out", tpl);
    h_cli_expect_rc(&r, USAGE, "vigil template over an existing file");
    h_cli_expect_err(&r, "cannot create", "vigil template over an existing file");
    h_cli_run_free(&r);

    char *text = h_read_file(tpl, NULL);
    cr_assert_not_null(text, "cannot read %s", tpl);
    csv_parse(text, &t, "template");
    free(text);
    expect_cells(&t.rec[0],
                 (const char *const[]){"state", "cycle", "indicator", "level", "justification",
                                       "evidence", "allowed_levels"},
                 7, "template header");
    cr_assert_eq(t.n, 1 + NFILLS * NIND, "template: %zu rows, expected %zu", t.n - 1,
                 NFILLS * NIND);

    out_open(&o, true);
    out_record(&o, (const char *const *)t.rec[0].cell, t.rec[0].n, false, "\r\n");
    memset(exp, 0, NFILLS * sizeof(*exp));
    for (size_t k = 0; k < NFILLS * NIND; k++) {
        const struct rec *tr = &t.rec[1 + k];
        size_t s = k / NIND, i = k % NIND;
        /* States by name: Côte d'Ivoire, France, Germany, Italy. */
        cr_assert_eq(tr->n, 7, "template line %d: %zu cells", tr->line, tr->n);
        cr_assert_str_eq(tr->cell[0], fills[s].state, "template line %d: state %s, expected %s",
                         tr->line, tr->cell[0], fills[s].state);
        cr_assert_str_eq(tr->cell[1], CYCLE);
        cr_assert_str_eq(tr->cell[2], indicators[i], "template line %d", tr->line);
        for (size_t c = 3; c < 6; c++)
            cr_assert_str_empty(tr->cell[c], "template line %d: cell %zu is filled", tr->line,
                                c + 1);
        cr_assert(strstr(tr->cell[6], i == CA2 ? "woefully inadequate" : "not assessed"),
                  "template line %d: allowed_levels %s", tr->line, esc(tr->cell[6]));
        if (i == CA2)
            cr_assert(strstr(tr->cell[6], "CA.1"), "template line %d: no rule in %s", tr->line,
                      tr->cell[6]);

        const char *level = fills[s].level[i];
        if (level == NULL)
            continue; /* the row is removed */
        const char *just = level[0] ? justifications[k % NJUST] : "";
        const char *ev = level[0] ? evidence[(3 * k) % NEVID] : "";
        const char *row[] = {tr->cell[0], tr->cell[1], tr->cell[2], level, just, ev, tr->cell[6]};
        out_record(&o, row, 7, k % 3 == 0, "\r\n");
        if (level[0] != '\0') { /* static strings only: t is freed below */
            struct expected *e = &exp[s];
            const char *want[NSUBMIT] = {fills[s].state, CYCLE, indicators[i], level, just, ev};
            e->state = fills[s].state;
            memcpy(e->row[e->n++], want, sizeof(want));
        }
    }
    out_record(&o, (const char *const[]){"", "", "", "", "", "", ""}, 7, false, "\r\n");
    out_save(&o, path);
    csv_free(&t);
}

/* `vigil show STATE --format csv` must give exactly e's rows; returns the
 * output (malloc'd) for reuse. */
static char *expect_show(const struct expected *e)
{
    char what[64];
    struct csv c;

    snprintf(what, sizeof(what), "vigil show %s --format csv", e->state);
    struct h_cli_run r = CLI("regional", "show", e->state, "--cycle", CYCLE, "--format", "csv");
    h_cli_expect_rc(&r, OK, what);
    cr_assert_str_empty(r.err, "%s: stderr: %s", what, r.err);
    csv_parse(r.out, &c, what);
    expect_cells(&c.rec[0], submit_header, NSUBMIT, what);
    cr_assert_eq(c.n - 1, e->n, "%s: %zu rows, expected %zu:\n%s", what, c.n - 1, e->n, r.out);
    for (size_t i = 0; i < e->n; i++)
        expect_cells(&c.rec[1 + i], e->row[i], NSUBMIT, what);
    csv_free(&c);
    free(r.err);
    return r.out;
}

/* The template filled in and submitted; show gives back exactly what was
 * written, in the same rows. */
Test(csv, round_trip_through_template_submit_and_show)
{
    struct expected exp[NFILLS];
    char path[PATH_MAX];
    struct csv res;

    h_path(path, sizeof(path), dir, "filled.csv");
    prepare_filled(path, exp);

    struct h_cli_run r = submit(path, OK, &res, "vigil submit filled.csv");
    cr_assert_eq(res.n, 1 + NFILLS, "one result row per state:\n%s", r.out);
    for (size_t s = 0; s < NFILLS; s++) {
        expect_result(&res, fills[s].state, "submitted", 1, "submitted", "vigil submit");
        cr_assert_eq(revisions_of(fills[s].state), 1);
    }
    h_cli_expect_err(&r, "4 submitted\n", "vigil submit");
    cr_assert_not(exists(path, ".pending"), "FILE.pending left behind");
    csv_free(&res);
    h_cli_run_free(&r);

    for (size_t s = 0; s < NFILLS; s++)
        free(expect_show(&exp[s]));

    /* The stored entries, straight from the database: the CA.2 of DE (empty
     * level) and IT (no row) are absent, the others are there. */
    cr_assert_eq(query_int("SELECT count(*)::text FROM revision_entry e "
                           "JOIN revision r ON r.id = e.revision_id "
                           "JOIN assessment a ON a.id = r.assessment_id "
                           "JOIN cycle c ON c.id = a.cycle_id "
                           "WHERE a.state = $1 AND c.code = $2",
                           "DE"),
                 NIND - 1);
    cr_assert_eq(query_int("SELECT count(*)::text FROM revision_entry e "
                           "JOIN revision r ON r.id = e.revision_id "
                           "JOIN assessment a ON a.id = r.assessment_id "
                           "JOIN cycle c ON c.id = a.cycle_id "
                           "WHERE a.state = $1 AND c.code = $2",
                           "FR"),
                 NIND);

    /* The review queue names Côte d'Ivoire in full. */
    r = CLI("central", "queue", "--cycle", CYCLE, "--status", "submitted", "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil queue");
    cr_assert(strstr(r.out, "\nCI,Côte d'Ivoire," CYCLE ",submitted,1,0,"),
              "vigil queue: no row for CI:\n%s", r.out);
    h_cli_run_free(&r);
}

/* The same file again stores nothing; so does the output of show submitted
 * as a file (it is in the very format submit reads). */
Test(csv, resubmitting_stores_nothing)
{
    struct expected exp[NFILLS];
    char path[PATH_MAX], again[PATH_MAX];
    struct csv res;
    struct h_cli_run r;

    h_path(path, sizeof(path), dir, "filled.csv");
    prepare_filled(path, exp);
    r = submit(path, OK, &res, "first vigil submit");
    csv_free(&res);
    h_cli_run_free(&r);
    char *before = h_db_query_value(&db, "SELECT count(*)::text FROM revision");
    char *audit_before = h_db_query_value(&db, "SELECT count(*)::text FROM audit");

    r = submit(path, OK, &res, "the same file again");
    for (size_t s = 0; s < NFILLS; s++)
        expect_result(&res, fills[s].state, "unchanged", 1, "submitted", "the same file again");
    h_cli_expect_err(&r, "0 submitted, 4 unchanged\n", "the same file again");
    csv_free(&res);
    h_cli_run_free(&r);

    /* show's CSV of every state, one after the other, as one file. */
    struct out o;
    out_open(&o, false);
    out_record(&o, submit_header, NSUBMIT, false, "\n");
    for (size_t s = 0; s < NFILLS; s++) {
        struct csv c;
        char *text = expect_show(&exp[s]);
        csv_parse(text, &c, "show");
        for (size_t i = 1; i < c.n; i++)
            out_record(&o, (const char *const *)c.rec[i].cell, c.rec[i].n, false, "\n");
        csv_free(&c);
        free(text);
    }
    h_path(again, sizeof(again), dir, "shown.csv");
    out_save(&o, again);
    r = submit(again, OK, &res, "vigil submit of show's output");
    for (size_t s = 0; s < NFILLS; s++)
        expect_result(&res, fills[s].state, "unchanged", 1, "submitted", "show's output");
    csv_free(&res);
    h_cli_run_free(&r);

    char *after = h_db_query_value(&db, "SELECT count(*)::text FROM revision");
    char *audit_after = h_db_query_value(&db, "SELECT count(*)::text FROM audit");
    cr_assert_str_eq(after, before, "revisions: %s, before %s", after, before);
    cr_assert_str_eq(audit_after, audit_before, "audit rows: %s, before %s", audit_after,
                     audit_before);
    for (size_t s = 0; s < NFILLS; s++) {
        struct csv c;
        r = CLI("regional", "revisions", fills[s].state, "--cycle", CYCLE, "--format", "csv");
        h_cli_expect_rc(&r, OK, "vigil revisions");
        csv_parse(r.out, &c, "vigil revisions");
        cr_assert_eq(c.n, 2, "vigil revisions %s: one revision expected:\n%s", fills[s].state,
                     r.out);
        cr_assert_str_eq(c.rec[1].cell[column(&c, "revision")], "1");
        cr_assert_str_eq(c.rec[1].cell[column(&c, "office")], "regional");
        csv_free(&c);
        h_cli_run_free(&r);
        cr_assert_eq(submits_of(fills[s].state), 1);
    }
    free(before);
    free(after);
    free(audit_before);
    free(audit_after);
}

/* A server that cannot be reached: nothing is sent, so nothing is pending
 * (the pending file is written only right before a Submit), nothing stored;
 * the same command later sends it. */
Test(csv, unreachable_server_sends_nothing_and_keeps_nothing_pending)
{
    static const char *const states[] = {"ES", "PT"};
    char path[PATH_MAX];
    struct csv res;

    h_path(path, sizeof(path), dir, "down.csv");
    write_simple(path, states, 2);
    struct h_cli_run r = CLI("regional", "submit", path, "--address", NOWHERE);
    h_cli_expect_rc(&r, CONNECT, "vigil submit to nowhere");
    h_cli_expect_err(&r, "error: ", "vigil submit to nowhere");
    cr_assert_not(exists(path, ".pending"), "a pending file although nothing was sent");
    h_cli_run_free(&r);
    cr_assert_eq(sql_int("SELECT count(*) FROM assessment"), 0);

    r = submit(path, OK, &res, "vigil submit when the server is back");
    expect_result(&res, "ES", "submitted", 1, "submitted", "again");
    expect_result(&res, "PT", "submitted", 1, "submitted", "again");
    cr_assert_eq(revisions_of("ES"), 1);
    cr_assert_eq(revisions_of("PT"), 1);
    csv_free(&res);
    h_cli_run_free(&r);
}

/* The value of "key": "..." in the pending file's JSON (written by jansson
 * with a space after the colon); malloc'd, NULL when absent. */
static char *json_value(const char *text, const char *key)
{
    char *pat = h_strdupf("\"%s\": \"", key);
    const char *at = strstr(text, pat);
    char *v = NULL;

    if (at != NULL) {
        at += strlen(pat);
        v = strndup(at, strcspn(at, "\""));
    }
    free(pat);
    return v;
}

/* Makes every insert of a revision fail as if the link broke at the server
 * (INTERNAL: the outcome is unknown to the client, which keeps the request
 * pending), or stops that. The failed transaction stores nothing. */
static void break_inserts(bool on)
{
    if (on)
        h_db_exec(&db, "CREATE FUNCTION public.t_cut() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$BEGIN RAISE EXCEPTION 'test: cut'; END$$; "
                       "CREATE TRIGGER t_cut BEFORE INSERT ON revision "
                       "FOR EACH ROW EXECUTE FUNCTION public.t_cut()");
    else
        h_db_exec(&db, "DROP TRIGGER t_cut ON revision; DROP FUNCTION public.t_cut()");
}

/* A run cut short keeps its request in FILE.pending; run again (after a
 * daemon restart on the same address) it sends the very same request id and
 * base, and every state gets exactly one revision. If the request had been
 * stored and only its answer lost, the resend gets the original answer. The
 * pending file keys its entries by the --address as given: after a restart
 * on another address the entry is not used, and the state is found
 * unchanged instead (still one revision). */
Test(csv, interrupted_run_resends_the_same_requests)
{
    static const char *const states[] = {"ES", "PT"};
    char path[PATH_MAX], pending[PATH_MAX + 16], listen[128], address[80];
    struct csv res;
    struct h_cli_run r;

    h_path(path, sizeof(path), dir, "cut.csv");
    snprintf(pending, sizeof(pending), "%s.pending", path);
    write_simple(path, states, 2);

    break_inserts(true);
    r = submit(path, RPC, &res, "vigil submit, cut");
    h_cli_expect_err(&r, "INTERNAL", "vigil submit, cut");
    h_cli_expect_err(&r, "0 submitted, 2 not sent\n", "vigil submit, cut");
    expect_result(&res, "ES", "not sent", 0, NULL, "vigil submit, cut");
    expect_result(&res, "PT", "not sent", 0, NULL, "vigil submit, cut");
    csv_free(&res);
    h_cli_run_free(&r);

    char *saved = h_read_file(pending, NULL);
    cr_assert_not_null(saved, "no %s after an interrupted run", pending);
    char *server = json_value(saved, "server"), *state = json_value(saved, "state");
    char *id = json_value(saved, "request_id");
    cr_assert(server && state && id, "pending file:\n%s", saved);
    cr_assert_str_eq(server, d.address, "pending file:\n%s", saved);
    cr_assert_str_eq(state, "ES", "only the request sent is pending:\n%s", saved);
    cr_assert(strstr(saved, "\"base_revision\": 0"), "pending file:\n%s", saved);
    cr_assert_null(strstr(saved, "\"PT\""), "PT was never sent:\n%s", saved);
    cr_assert_eq(revisions_of("ES") + revisions_of("PT"), 0);
    cr_assert_eq(submits_of("ES"), 0);

    /* A new daemon on the same database and the same address. */
    snprintf(address, sizeof(address), "%s", d.address);
    snprintf(listen, sizeof(listen), "--listen=%s", d.address);
    h_daemon_stop(&d);
    break_inserts(false);
    h_daemon_start(&d, &db, (const char *const[]){listen, NULL});
    cr_assert_str_eq(d.address, address);

    r = submit(path, OK, &res, "vigil submit, again");
    expect_result(&res, "ES", "submitted", 1, "submitted", "again");
    expect_result(&res, "PT", "submitted", 1, "submitted", "again");
    cr_assert_neq(access(pending, F_OK), 0, "%s left behind", pending);
    csv_free(&res);
    h_cli_run_free(&r);
    char *ids = submit_ids("ES");
    cr_assert_str_eq(ids, id, "ES was stored under request id(s) %s, not the pending %s", ids, id);
    free(ids);
    cr_assert_eq(submits_of("PT"), 1);
    cr_assert_eq(revisions_of("ES"), 1);
    cr_assert_eq(revisions_of("PT"), 1);

    /* The same, had the first run's request been stored and its answer
     * lost: the resend is answered with the stored result. */
    h_write_file(pending, saved, strlen(saved));
    r = submit(path, OK, &res, "vigil submit, answer lost");
    expect_result(&res, "ES", "submitted", 1, "submitted", "answer lost");
    expect_result(&res, "PT", "unchanged", 1, "submitted", "answer lost");
    cr_assert_neq(access(pending, F_OK), 0, "%s left behind", pending);
    csv_free(&res);
    h_cli_run_free(&r);
    ids = submit_ids("ES");
    cr_assert_str_eq(ids, id);
    free(ids);
    cr_assert_eq(revisions_of("ES"), 1);

    /* A daemon on another address: the entry (keyed by the old address) is
     * not used; ES is found unchanged. Still one revision each. */
    h_write_file(pending, saved, strlen(saved));
    h_daemon_stop(&d);
    h_daemon_start(&d, &db, NULL);
    r = submit(path, OK, &res, "vigil submit, new address");
    expect_result(&res, "ES", "unchanged", 1, "submitted", "new address");
    expect_result(&res, "PT", "unchanged", 1, "submitted", "new address");
    csv_free(&res);
    h_cli_run_free(&r);
    cr_assert_eq(revisions_of("ES"), 1);
    cr_assert_eq(revisions_of("PT"), 1);
    cr_assert_eq(submits_of("ES"), 1);
    cr_assert_eq(submits_of("PT"), 1);

    free(server);
    free(state);
    free(id);
    free(saved);
}

/* The same server reached under another spelling of its address
 * (localhost:PORT after 127.0.0.1:PORT) after an interrupted run: the
 * pending entry of the first spelling must not turn into a false refusal
 * later, since the content is stored already: unchanged, exit 0. */
Test(csv, pending_entry_of_another_address_spelling)
{
    static const char *const states[] = {"ES"};
    char path[PATH_MAX], alias[80];
    struct csv res;
    struct h_cli_run r;

    h_path(path, sizeof(path), dir, "alias.csv");
    write_simple(path, states, 1);
    snprintf(alias, sizeof(alias), "localhost:%d", d.port);

    break_inserts(true);
    r = submit(path, RPC, &res, "vigil submit, cut");
    csv_free(&res);
    h_cli_run_free(&r);
    break_inserts(false);

    r = CLI("regional", "submit", path, "--address", alias);
    h_cli_expect_rc(&r, OK, "vigil submit --address localhost:PORT");
    h_cli_run_free(&r);
    cr_assert_eq(revisions_of("ES"), 1);

    r = submit(path, OK, &res, "vigil submit --address 127.0.0.1:PORT");
    expect_result(&res, "ES", "unchanged", 1, "submitted", "127.0.0.1 again");
    csv_free(&res);
    h_cli_run_free(&r);
}

/* ---- the row error report ---- */

/* One expected line of the report. */
struct issue {
    int line;
    const char *field;
    const char *reason; /* a part of it */
};

/* Good and bad states in one file, every cell spread over several lines:
 * each mistake is reported as FILE:LINE: field: reason at the line where
 * its record starts, the bad states are not stored, the good one is. */
Test(csv, row_errors_name_file_line_and_field)
{
    /* state, the indicator to spoil (or "" for none), how */
    static const struct {
        const char *state;
        const char *indicator;
        const char *level, *evidence; /* NULL = as the others */
        const char *field, *reason;
    } cases[] = {
        {"NL", "", NULL, NULL, NULL, NULL},
        {"BE", "PR.3", "maybe", NULL, "level", "\"maybe\" is not a level of PR.3"},
        {"AT", "PV.2", "", NULL, "level", "empty, but PV.2 applies"},
        {"PL", "XX.9", "yes", NULL, "indicator", "unknown indicator \"XX.9\""},
        {"SE", "PR.1", NULL, "Bad date | | 2011-02-30", "evidence",
         "item 1: date \"2011-02-30\" is not a date"},
        {"DK", "CA.2", "adequate", NULL, "level", "CA.2 does not apply here"},
        {"TH", "", NULL, NULL, "state", "PERMISSION_DENIED"}, /* outside the scope */
    };
    enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
    struct issue want[NCASES];
    size_t nwant = 0;
    char path[PATH_MAX];
    struct out o;

    h_path(path, sizeof(path), dir, "errors.csv");
    out_open(&o, false);
    out_record(&o, submit_header, NSUBMIT, false, "\n");
    for (size_t c = 0; c < NCASES; c++) {
        int first = 0;
        bool extra = strcmp(cases[c].indicator, "XX.9") == 0;
        for (size_t i = 0; i <= NIND; i++) {
            const char *ind = i < NIND ? indicators[i] : extra ? cases[c].indicator : NULL;
            if (ind == NULL)
                break;
            bool spoilt = strcmp(ind, cases[c].indicator) == 0;
            /* CA.1 no: CA.2 does not apply, its level stays empty. */
            const char *level = i == CA2 ? "" : i == CA1 ? "no" : "yes";
            const char *ev = "Loi, art. 1 | https://example.org/a | 2010-01-01\nRapport";
            if (spoilt && cases[c].level != NULL)
                level = cases[c].level;
            if (spoilt && cases[c].evidence != NULL)
                ev = cases[c].evidence;
            const char *row[] = {cases[c].state,
                                 CYCLE,
                                 ind,
                                 level,
                                 "a justification\nover \"three\" lines,\nwith commas",
                                 ev};
            int line = out_record(&o, row, NSUBMIT, false, "\n");
            if (first == 0)
                first = line;
            if (spoilt && cases[c].field != NULL)
                want[nwant++] = (struct issue){line, cases[c].field, cases[c].reason};
        }
        if (strcmp(cases[c].state, "TH") == 0)
            want[nwant++] = (struct issue){first, cases[c].field, cases[c].reason};
    }
    out_save(&o, path);

    struct csv res;
    struct h_cli_run r = submit(path, USAGE, &res, "vigil submit errors.csv");
    expect_result(&res, "NL", "submitted", 1, "submitted", "errors.csv");
    for (size_t c = 1; c < NCASES; c++)
        expect_result(&res, cases[c].state, c + 1 == NCASES ? "refused" : "invalid", 0, NULL,
                      "errors.csv");
    h_cli_expect_err(&r, "1 submitted, 5 invalid, 1 refused\n", "errors.csv");

    /* Exactly the expected lines, in line order, each "FILE:LINE: field: ...". */
    size_t seen = 0;
    char *prefix = h_strdupf("%s:", path);
    for (const char *l = r.err; *l != '\0';) {
        size_t len = strcspn(l, "\n");
        if (strncmp(l, prefix, strlen(prefix)) == 0) {
            cr_assert(seen < nwant, "unexpected report line: %.*s\nstderr:\n%s", (int)len, l,
                      r.err);
            char *head = h_strdupf("%s:%d: %s: ", path, want[seen].line, want[seen].field);
            char *line = strndup(l, len);
            cr_assert(strncmp(line, head, strlen(head)) == 0 &&
                          strstr(line + strlen(head), want[seen].reason) != NULL,
                      "report line %zu: %s\nexpected %s...%s\nstderr:\n%s", seen + 1, line, head,
                      want[seen].reason, r.err);
            free(head);
            free(line);
            seen++;
        }
        l += len + (l[len] == '\n');
    }
    cr_assert_eq(seen, nwant, "%zu report lines, expected %zu:\n%s", seen, nwant, r.err);
    free(prefix);
    csv_free(&res);
    h_cli_run_free(&r);

    cr_assert_eq(revisions_of("NL"), 1);
    cr_assert_eq(sql_int("SELECT count(*) FROM assessment"), 1, "only NL has an assessment");
    cr_assert_eq(sql_int("SELECT count(*) FROM revision"), 1);
}

/* ---- the review flow ---- */

/* The rows of `vigil queue --status STATUS --format csv` as central: their
 * states, comma-separated ("" for none); malloc'd. */
static char *queue_states(const char *who, const char *status)
{
    struct h_cli_run r = CLI(who, "queue", "--cycle", CYCLE, "--status", status, "--format", "csv");
    struct csv c;
    char *list = strdup("");

    h_cli_expect_rc(&r, OK, "vigil queue");
    csv_parse(r.out, &c, "vigil queue");
    expect_cells(&c.rec[0],
                 (const char *const[]){"state", "state_name", "cycle", "status", "latest_revision",
                                       "approved_revision", "updated_at", "review_comment"},
                 8, "vigil queue header");
    for (size_t i = 1; i < c.n; i++) {
        cr_assert_str_eq(c.rec[i].cell[3], status, "vigil queue --status %s:\n%s", status, r.out);
        char *grown = h_strdupf("%s%s%s", list, *list ? "," : "", c.rec[i].cell[0]);
        free(list);
        list = grown;
    }
    csv_free(&c);
    h_cli_run_free(&r);
    return list;
}

/* Whether the audit CSV c has a row of office, action and object. */
static bool audited(const struct csv *c, const char *office, const char *action, const char *object)
{
    size_t co = column(c, "office"), ca = column(c, "action"), cb = column(c, "object"),
           ci = column(c, "request_id");

    for (size_t i = 1; i < c->n; i++) {
        const struct rec *r = &c->rec[i];
        if (strcmp(r->cell[co], office) == 0 && strcmp(r->cell[ca], action) == 0 &&
            strcmp(r->cell[cb], object) == 0 && r->cell[ci][0] != '\0')
            return true;
    }
    return false;
}

/* Submitted states wait in the queue; the central office approves them and
 * the queue is empty; return needs a comment (the CLI asks for one, the
 * server refuses a blank one); the audit log shows submissions and
 * approvals, not the refused return. */
Test(csv, review_flow)
{
    static const char *const states[] = {"FR", "DE"}, *const drafts[] = {"IT"};
    char path[PATH_MAX], draft[PATH_MAX];
    struct csv res;
    struct h_cli_run r;
    char *list;

    h_path(path, sizeof(path), dir, "review.csv");
    h_path(draft, sizeof(draft), dir, "draft.csv");
    write_simple(path, states, 2);
    write_simple(draft, drafts, 1);
    r = submit(path, OK, &res, "vigil submit");
    csv_free(&res);
    h_cli_run_free(&r);
    r = CLI("regional", "submit", draft, "--draft", "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil submit --draft");
    cr_assert(strstr(r.out, ",IT," CYCLE ",submitted,1,draft,"), "vigil submit --draft:\n%s",
              r.out);
    h_cli_run_free(&r);

    /* France and Germany by name; the draft is not waiting for review. */
    cr_assert_str_eq(list = queue_states("central", "submitted"), "FR,DE");
    free(list);
    cr_assert_str_eq(list = queue_states("regional", "submitted"), "FR,DE");
    free(list);
    cr_assert_str_eq(list = queue_states("central", "draft"), "IT");
    free(list);

    r = CLI("regional", "approve", "FR", "--cycle", CYCLE);
    h_cli_expect_rc(&r, RPC, "vigil approve as regional");
    h_cli_expect_err(&r, "PERMISSION_DENIED", "vigil approve as regional");
    h_cli_run_free(&r);

    r = CLI("central", "return", "FR", "--cycle", CYCLE);
    h_cli_expect_rc(&r, USAGE, "vigil return without --comment");
    h_cli_expect_err(&r, "--comment TEXT is required", "vigil return without --comment");
    h_cli_run_free(&r);
    r = CLI("central", "return", "FR", "--cycle", CYCLE, "--comment", "   ");
    h_cli_expect_rc(&r, RPC, "vigil return --comment blank");
    h_cli_expect_err(&r, "FAILED_PRECONDITION", "vigil return --comment blank");
    h_cli_expect_err(&r, "comment", "vigil return --comment blank");
    h_cli_run_free(&r);

    r = CLI("central", "approve", "FR", "DE", "--cycle", CYCLE, "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil approve FR DE");
    csv_parse(r.out, &res, "vigil approve");
    cr_assert_eq(res.n, 3, "vigil approve:\n%s", r.out);
    expect_cells(&res.rec[1],
                 (const char *const[]){"FR", CYCLE, "approve", "1", "done", "approved", "1"}, 7,
                 "vigil approve FR");
    expect_cells(&res.rec[2],
                 (const char *const[]){"DE", CYCLE, "approve", "1", "done", "approved", "1"}, 7,
                 "vigil approve DE");
    csv_free(&res);
    h_cli_run_free(&r);

    cr_assert_str_eq(list = queue_states("central", "submitted"), "");
    free(list);
    cr_assert_str_eq(list = queue_states("central", "approved"), "FR,DE");
    free(list);

    /* Approving again is reported as already done, not refused. */
    r = CLI("central", "approve", "FR", "--cycle", CYCLE, "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil approve FR again");
    cr_assert(strstr(r.out, "FR," CYCLE ",approve,1,already,approved,1"), "%s", r.out);
    h_cli_run_free(&r);

    r = CLI("central", "audit", "--limit", "1000", "--format", "csv");
    h_cli_expect_rc(&r, OK, "vigil audit");
    csv_parse(r.out, &res, "vigil audit");
    cr_assert(audited(&res, "regional", "assessment.submit", "FR/" CYCLE "#1"), "%s", r.out);
    cr_assert(audited(&res, "regional", "assessment.submit", "DE/" CYCLE "#1"), "%s", r.out);
    cr_assert(audited(&res, "regional", "assessment.submit", "IT/" CYCLE "#1"), "%s", r.out);
    cr_assert(audited(&res, "central", "assessment.approve", "FR/" CYCLE "#1"), "%s", r.out);
    cr_assert(audited(&res, "central", "assessment.approve", "DE/" CYCLE "#1"), "%s", r.out);
    cr_assert_null(strstr(r.out, "assessment.return"), "a refused return was audited:\n%s", r.out);
    csv_free(&res);
    h_cli_run_free(&r);
    cr_assert_eq(sql_int("SELECT count(*) FROM audit WHERE action = 'assessment.approve'"), 2);

    r = CLI("regional", "audit", "--format", "csv");
    h_cli_expect_rc(&r, RPC, "vigil audit as regional");
    h_cli_expect_err(&r, "PERMISSION_DENIED", "vigil audit as regional");
    h_cli_run_free(&r);
}
