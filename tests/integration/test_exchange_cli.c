/* The partner exchange through the real vigil CLI against a real vigild:
 * `vigil import` of a file with good and bad records stores exactly the
 * good ones and reports each bad one with its line, code and field (and the
 * line of the entry the server names); importing it again replays the same
 * request ids and stores nothing new; --dry-run stores nothing; a partner
 * without a scope is refused record by record. `vigil export` writes a
 * published cycle as CSV and as JSON lines with the counts of the
 * publication and prints the snapshot's cursor, from which `vigil changes`
 * continues with nothing; the feed ends at that cursor. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit codes of vigil (client/cli/cmd.h): they are the contract. */
enum { OK = 0, USAGE = 2, RPC = 4 };

#define CYCLE "2009-2012"
#define NIND  16

/* The indicators of ecpat-2012 in the methodology's order. */
static const char *const indicators[NIND] = {"PR.1", "PR.2", "PR.3", "PR.4", "PR.5", "PR.6",
                                             "PR.7", "PR.8", "PV.1", "PV.2", "PV.3", "PV.4",
                                             "CA.1", "CA.2", "CA.3", "CA.4"};
#define PV2 9 /* entries[9] */

static struct h_db db;
static struct h_daemon d;
static char dir[PATH_MAX]; /* this test's files */

static void setup(void)
{
    h_db_create(&db);
    h_offices_register(&db); /* the regional office's scope: Europe (150) */
    h_daemon_start(&d, &db, NULL);
    h_workdir(dir, "exchange");
}

static void teardown(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
}

TestSuite(exchange, .init = setup, .fini = teardown, .timeout = 120);

/* ---- running the CLI (h_client.h) ---- */

#define CLI(who, ...) H_CLI(&d, who, __VA_ARGS__)

/* ---- the database ---- */

static int sql_int(const char *sql)
{
    char *v = h_db_query_value(&db, sql);
    int n = atoi(v);
    free(v);
    return n;
}

/* Everything a write leaves: revisions, assessments, stored requests, audit. */
static char *db_fingerprint(void)
{
    return h_db_query_value(&db, "SELECT (SELECT count(*) FROM revision) || '/' ||"
                                 " (SELECT count(*) FROM assessment) || '/' ||"
                                 " (SELECT count(*) FROM request) || '/' ||"
                                 " (SELECT count(*) FROM audit)");
}

/* ---- assessment files ---- */

/* How a state of a file goes wrong, if it does. */
enum flaw {
    FINE,
    LONG_TEXT, /* PV.2's justification is 4001 characters: refused by the server */
};

struct state {
    const char *code;
    enum flaw flaw;
    int line;     /* filled in: where its first row starts */
    int bad_line; /* filled in: the line of the flawed row */
};

/* Writes path in vigil submit's CSV: every indicator "yes" (CA.2
 * "adequate", which then applies), PR.1 with a two-line justification and
 * one evidence item; notes where each state starts. */
static void write_file(const char *path, struct state *st, size_t n)
{
    char *text = NULL, *long_text = malloc(4002);
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int line = 2;

    cr_assert(f != NULL && long_text != NULL);
    memset(long_text, 'x', 4001);
    long_text[4001] = '\0';
    fputs("state,cycle,indicator,level,justification,evidence\n", f);
    for (size_t s = 0; s < n; s++) {
        st[s].line = line;
        for (int i = 0; i < NIND; i++) {
            const char *level = i == 13 ? "adequate" : "yes";
            if (i == 0) {
                fprintf(f,
                        "%s,%s,%s,%s,\"Synthetic: penal code, s.312\n(second line)\","
                        "Synthetic source | https://example.org/%s | 2010-01-01\n",
                        st[s].code, CYCLE, indicators[i], level, st[s].code);
                line += 2;
                continue;
            }
            if (i == PV2 && st[s].flaw == LONG_TEXT)
                st[s].bad_line = line;
            fprintf(f, "%s,%s,%s,%s,%s,\n", st[s].code, CYCLE, indicators[i], level,
                    i == PV2 && st[s].flaw == LONG_TEXT ? long_text : "Synthetic");
            line++;
        }
    }
    cr_assert_eq(fclose(f), 0);
    h_write_file(path, text, len);
    free(text);
    free(long_text);
}

/* The row of vigil import --format csv for a record: "REF,STATE,CYCLE,RESULT"
 * (a detail with a comma or a quote is quoted). */
static char *row_of(const char *file, const struct state *st, const char *result)
{
    return h_strdupf("%s:%d,%s,%s,%s", file, st->line, st->code, CYCLE, result);
}

static void expect_row(const struct h_cli_run *r, const char *file, const struct state *st,
                       const char *result, const char *what)
{
    char *row = row_of(file, st, result);
    h_cli_expect_out(r, row, what);
    free(row);
}

/* ---- import ---- */

Test(exchange, import_stores_the_good_records_and_reports_the_bad_ones)
{
    struct state st[] = {{"DE", FINE, 0, 0},
                         {"FR", LONG_TEXT, 0, 0},
                         {"XX", FINE, 0, 0},
                         {"TH", FINE, 0, 0},
                         {"SE", FINE, 0, 0}};
    char *file = h_strdupf("%s/mixed.csv", dir);
    write_file(file, st, 5);

    struct h_cli_run r = CLI("regional", "import", file, "--format", "csv");
    h_cli_expect_rc(&r, RPC, "import");
    expect_row(&r, file, &st[0], "stored,1,submitted", "DE");
    expect_row(&r, file, &st[4], "stored,1,submitted", "SE");
    expect_row(&r, file, &st[1], "refused,,,\"INVALID_ARGUMENT: entries[9].justification", "FR");
    expect_row(&r, file, &st[2], "refused,,,", "XX");
    expect_row(&r, file, &st[3], "refused,,,\"PERMISSION_DENIED: state", "TH");
    /* Each bad record: where it starts, the code, the server's message with
     * its field, and the row of the entry named. */
    char *fr = h_strdupf("%s:%d: FR %s: INVALID_ARGUMENT: entries[9].justification: ", file,
                         st[1].line, CYCLE);
    char *at = h_strdupf("(at %s:%d: justification)", file, st[1].bad_line);
    char *xx = h_strdupf("%s:%d: XX %s: INVALID_ARGUMENT: state: ", file, st[2].line, CYCLE);
    char *th = h_strdupf("%s:%d: TH %s: PERMISSION_DENIED: state: ", file, st[3].line, CYCLE);
    h_cli_expect_err(&r, fr, "FR reported");
    h_cli_expect_err(&r, at, "FR's entry located");
    h_cli_expect_err(&r, xx, "XX reported");
    h_cli_expect_err(&r, th, "TH reported");
    h_cli_expect_err(&r, "2 stored, 3 refused", "summary");
    cr_expect_eq(h_db_revision_count(&db, "DE"), 1);
    cr_expect_eq(h_db_revision_count(&db, "SE"), 1);
    cr_expect_eq(h_db_revision_count(&db, "FR"), 0, "nothing of a refused record is stored");
    cr_expect_eq(sql_int("SELECT count(*) FROM revision"), 2, "exactly the good records");
    char *pending = h_strdupf("%s.pending", file);
    char *kept = h_read_file(pending, NULL);
    cr_assert_not_null(kept, "no %s", pending);
    cr_expect(strstr(kept, "\"DE\"") && strstr(kept, "\"SE\""), "stored ids kept:\n%s", kept);
    cr_expect(!strstr(kept, "\"FR\"") && !strstr(kept, "\"TH\""), "refused ids dropped:\n%s", kept);
    h_cli_run_free(&r);

    /* The same file again: the same requests, answered as the first time. */
    char *before = db_fingerprint();
    r = CLI("regional", "import", file, "--format", "csv");
    h_cli_expect_rc(&r, RPC, "import again");
    expect_row(&r, file, &st[0], "stored,1,submitted,replayed", "DE again");
    expect_row(&r, file, &st[4], "stored,1,submitted,replayed", "SE again");
    h_cli_expect_err(&r, "2 stored, 3 refused; 2 replayed", "summary again");
    char *after = db_fingerprint();
    cr_expect_str_eq(after, before,
                     "a re-import stores nothing (revisions/assessments/"
                     "requests/audit)");
    char *kept2 = h_read_file(pending, NULL);
    cr_expect_str_eq(kept2, kept, "the same request ids");
    h_cli_run_free(&r);
    free(kept2);
    free(before);
    free(after);
    free(kept);
    free(pending);
    free(fr);
    free(at);
    free(xx);
    free(th);
    free(file);
}

Test(exchange, dry_run_stores_nothing)
{
    struct state st[] = {{"PL", FINE, 0, 0}, {"NL", LONG_TEXT, 0, 0}};
    char *file = h_strdupf("%s/dry.csv", dir);
    char *pending = h_strdupf("%s.pending", file);
    write_file(file, st, 2);

    char *before = db_fingerprint();
    struct h_cli_run r = CLI("regional", "import", file, "--dry-run", "--format", "csv");
    h_cli_expect_rc(&r, RPC, "dry run");
    expect_row(&r, file, &st[0], "valid,1,submitted", "PL");
    expect_row(&r, file, &st[1], "refused,,,\"INVALID_ARGUMENT: entries[9].justification", "NL");
    h_cli_expect_err(&r, "1 valid, 1 refused (dry run: nothing stored)", "summary");
    char *after = db_fingerprint();
    cr_expect_str_eq(after, before, "a dry run stores nothing");
    cr_expect(access(pending, F_OK) != 0, "a dry run leaves no pending file");
    h_cli_run_free(&r);
    free(after);

    r = CLI("regional", "import", file, "--format", "csv");
    h_cli_expect_rc(&r, RPC, "import for real");
    expect_row(&r, file, &st[0], "stored,1,submitted", "PL stored");
    cr_expect_eq(h_db_revision_count(&db, "PL"), 1);
    cr_expect_eq(h_db_revision_count(&db, "NL"), 0);
    h_cli_run_free(&r);
    free(before);
    free(pending);
    free(file);
}

Test(exchange, a_partner_without_scope_is_refused_record_by_record)
{
    struct state st[] = {{"DE", FINE, 0, 0}, {"FR", FINE, 0, 0}};
    char *file = h_strdupf("%s/partner.csv", dir);
    write_file(file, st, 2);

    struct h_cli_run r = CLI("partner", "import", file, "--format", "csv");
    h_cli_expect_rc(&r, RPC, "partner import");
    expect_row(&r, file, &st[0], "refused,,,", "DE");
    expect_row(&r, file, &st[1], "refused,,,", "FR");
    h_cli_expect_err(&r, ": DE 2009-2012: PERMISSION_DENIED: ", "DE reported");
    h_cli_expect_err(&r, "new records are sent as first revisions", "List refused: base 0");
    h_cli_expect_err(&r, "0 stored, 2 refused", "summary");
    cr_expect_eq(sql_int("SELECT count(*) FROM revision"), 0);
    h_cli_run_free(&r);
    free(file);
}

Test(exchange, usage)
{
    struct h_cli_run r = CLI("partner", "export", "--cycle", CYCLE);
    h_cli_expect_rc(&r, USAGE, "export without --out");
    h_cli_run_free(&r);
    r = CLI("partner", "export", "--cycle", CYCLE, "--out", dir, "--format", "xlsx");
    h_cli_expect_rc(&r, USAGE, "export --format xlsx");
    h_cli_expect_err(&r, "not csv or jsonl", "format named");
    h_cli_run_free(&r);
    r = CLI("regional", "import");
    h_cli_expect_rc(&r, USAGE, "import without a file");
    h_cli_run_free(&r);
    r = CLI("regional", "changes", "--help");
    h_cli_expect_rc(&r, OK, "changes --help");
    h_cli_expect_out(&r, "--follow", "help lists --follow");
    h_cli_run_free(&r);
}

/* ---- export and the feed ---- */

static int count_lines(const char *text)
{
    int n = 0;

    for (; text != NULL && *text != '\0'; text++)
        n += *text == '\n';
    return n;
}

static char *snap_file(const char *name)
{
    char *p = h_strdupf("%s/snap/%s", dir, name);
    char *t = h_read_file(p, NULL);
    free(p);
    return t;
}

static bool snap_has(const char *name)
{
    char *p = h_strdupf("%s/snap/%s", dir, name);
    bool yes = access(p, F_OK) == 0;
    free(p);
    return yes;
}

static void expect_no_stage(void)
{
    char *p = h_strdupf("%s/snap", dir);
    DIR *dp = opendir(p);
    struct dirent *e;

    cr_assert_not_null(dp);
    while ((e = readdir(dp)) != NULL)
        cr_expect(strncmp(e->d_name, ".export-partial", 15) != 0, "left behind: %s", e->d_name);
    closedir(dp);
    free(p);
}

/* The cursor of "cursor: C" on stdout, malloc'd. */
static char *printed_cursor(const struct h_cli_run *r)
{
    const char *p = strstr(r->out, "cursor: ");
    cr_assert_not_null(p, "no cursor printed:\n%s", r->out);
    p += 8;
    return h_strdupf("%.*s", (int)strcspn(p, "\n"), p);
}

/* DE, FR and PL imported, approved and published as version 1. */
static void publish_three(void)
{
    struct state st[] = {{"DE", FINE, 0, 0}, {"FR", FINE, 0, 0}, {"PL", FINE, 0, 0}};
    char *file = h_strdupf("%s/three.csv", dir);
    write_file(file, st, 3);

    struct h_cli_run r = CLI("regional", "import", file);
    h_cli_expect_rc(&r, OK, "import");
    h_cli_run_free(&r);
    r = CLI("central", "approve", "DE", "FR", "PL", "--cycle", CYCLE);
    h_cli_expect_rc(&r, OK, "approve");
    h_cli_run_free(&r);
    r = CLI("central", "cycle", "close", CYCLE);
    h_cli_expect_rc(&r, OK, "close");
    h_cli_run_free(&r);
    r = CLI("central", "publish", "--cycle", CYCLE);
    h_cli_expect_rc(&r, OK, "publish");
    h_cli_run_free(&r);
    free(file);
}

Test(exchange, export_csv_and_jsonl_and_the_feed_after_it)
{
    char *out = h_strdupf("%s/snap", dir);

    publish_three();
    struct h_cli_run r = CLI("partner", "export", "--cycle", CYCLE, "--out", out);
    h_cli_expect_rc(&r, OK, "export csv");
    h_cli_expect_out(&r, "hint: the feed continues from this snapshot: vigil changes --after ",
                     "the hint");
    h_cli_expect_err(&r, "3 assessments, 3 evidence items", "summary line");
    char *cursor = printed_cursor(&r);
    cr_expect(cursor[0] == 'c', "cursor %s", cursor);
    h_cli_run_free(&r);
    expect_no_stage();

    char *t = snap_file("snapshot.json");
    cr_assert_not_null(t, "no snapshot.json");
    json_error_t je;
    json_t *j = json_loads(t, 0, &je);
    cr_assert_not_null(j, "snapshot.json: %s", je.text);
    cr_expect_str_eq(json_string_value(json_object_get(j, "cycle")), CYCLE);
    cr_expect_eq(json_integer_value(json_object_get(j, "version")), 1);
    cr_expect_eq(json_integer_value(json_object_get(j, "assessments")), 3);
    cr_expect_eq(json_integer_value(json_object_get(j, "evidence")), 3);
    cr_expect_str_eq(json_string_value(json_object_get(j, "cursor")), cursor);
    cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "csv");
    json_decref(j);
    free(t);
    t = snap_file("assessments.csv");
    /* A header, a row per state and indicator, PR.1's justifications two lines. */
    cr_expect_eq(count_lines(t), 1 + 3 * NIND + 3, "assessments.csv:\n%s", t);
    cr_expect(t != NULL && strncmp(t, "\xEF\xBB\xBFstate,state_name,revision,indicator,", 37) == 0,
              "BOM and header: %.60s", t);
    cr_expect(t != NULL && strstr(t, "\nFR,France,1,PR.1,yes,\"Synthetic: penal code, s.312\n"
                                     "(second line)\",1\n"),
              "FR's PR.1 row:\n%.400s", t);
    free(t);
    t = snap_file("evidence.csv");
    cr_expect_eq(count_lines(t), 1 + 3);
    cr_expect(t != NULL && strstr(t, "\nPL,PR.1,1,Synthetic source,https://example.org/PL,"
                                     "2010-01-01\n"),
              "%s", t);
    free(t);
    t = snap_file("ranking.csv");
    cr_expect(t != NULL && strstr(t, ",DE,Germany,") && strstr(t, ",FR,France,") &&
                  strstr(t, ",PL,Poland,"),
              "ranking.csv:\n%s", t);
    free(t);
    cr_expect(snap_has("aggregates.csv") && snap_has("methodology.json"));

    r = CLI("partner", "export", "--cycle", CYCLE, "--out", out, "--format", "jsonl");
    h_cli_expect_rc(&r, OK, "export jsonl");
    h_cli_run_free(&r);
    expect_no_stage();
    t = snap_file("assessments.jsonl");
    cr_expect_eq(count_lines(t), 3, "one line per state");
    cr_expect(t != NULL && strncmp(t, "{\"state\":\"DE\",\"state_name\":\"Germany\",", 37) == 0,
              "%.80s", t);
    free(t);
    cr_expect(snap_has("ranking.jsonl") && snap_has("aggregates.jsonl") &&
              snap_has("methodology.jsonl"));
    cr_expect(!snap_has("assessments.csv"), "the csv snapshot was replaced");

    /* The feed: a publication and its three revisions, ending at the cursor. */
    r = CLI("partner", "changes", "--format", "csv");
    h_cli_expect_rc(&r, OK, "changes");
    cr_expect_eq(count_lines(r.out), 1 + 4, "header, published, three revisions:\n%s", r.out);
    h_cli_expect_out(&r, ",published,", "the publication");
    h_cli_expect_out(&r, ",revision_published,", "its revisions");
    char *last = h_strdupf("\n%s,revision_published,", cursor);
    h_cli_expect_out(&r, last, "the feed ends at the snapshot's cursor");
    h_cli_run_free(&r);
    /* Nothing after the newest cursor: an empty stream, ended OK. */
    r = CLI("partner", "changes", "--after", cursor);
    h_cli_expect_rc(&r, OK, "changes after the newest cursor");
    cr_expect_eq(count_lines(r.out), 0, "nothing new:\n%s", r.out);
    h_cli_run_free(&r);
    /* What changes after the snapshot is exactly what follows its cursor. */
    r = CLI("central", "publish", "--cycle", CYCLE);
    h_cli_expect_rc(&r, OK, "republish");
    h_cli_run_free(&r);
    r = CLI("partner", "changes", "--after", cursor);
    h_cli_expect_rc(&r, OK, "changes after the snapshot");
    cr_expect_eq(count_lines(r.out), 1, "only the republication:\n%s", r.out);
    cr_expect(strstr(r.out, "  published           " CYCLE "  2  -\n") != NULL, "%s", r.out);
    h_cli_run_free(&r);
    r = CLI("partner", "changes", "--after", "c-bogus");
    h_cli_expect_rc(&r, RPC, "a bad cursor");
    h_cli_expect_err(&r, "INVALID_ARGUMENT: after:", "named");
    h_cli_run_free(&r);

    /* A refused export writes nothing. */
    char *none = h_strdupf("%s/none", dir);
    r = CLI("partner", "export", "--cycle", "2013-2016", "--out", none);
    h_cli_expect_rc(&r, RPC, "export of an unknown cycle");
    cr_expect(access(none, F_OK) != 0, "no directory made for a refused export");
    h_cli_run_free(&r);
    free(none);
    free(last);
    free(cursor);
    free(out);
}
