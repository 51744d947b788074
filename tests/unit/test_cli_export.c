/* Unit tests of client/cli/exportfmt and snapshot, the files of `vigil
 * export`, on synthetic records (written here as the JSON of ExportRecord):
 * the CSV rows (quoting, UTF-8, line breaks, spaces, a state without a
 * revision) and JSON lines of each record beside the exact text they must
 * give; then whole snapshots in a temporary directory: the files and
 * snapshot.json of a complete export, and that an export cut short, with
 * wrong counts or records out of place leaves the directory as it was. */
#include "exportfmt.h"
#include "pbjson.h"
#include "snapshot.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOM "\xEF\xBB\xBF"

static Vigil__V1__ExportRecord *record(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    ProtobufCMessage *m = NULL;
    char err[256];

    cr_assert_not_null(j, "fixture: %s: %s", je.text, json);
    cr_assert(pbjson_decode(j, &vigil__v1__export_record__descriptor, &m, err, sizeof(err)),
              "fixture: %s", err);
    json_decref(j);
    return (Vigil__V1__ExportRecord *)m;
}

/* Runs write on memory streams and returns what went to each. */
struct texts {
    char *a, *b;
    size_t alen, blen;
};

static void texts_free(struct texts *t)
{
    free(t->a);
    free(t->b);
}

/* ---- the rows and lines of one ASSESSMENT record ---- */

#define REVISION(entries)                                                                          \
    "\"revision\": {\"number\": 3, \"office\": \"regional\", \"created_at\": "                     \
    "\"2026-03-29T07:00:00Z\", \"base_revision\": 2, \"entries\": [" entries "]}"

struct assessment_case {
    const char *name;
    const char *record;      /* ExportRecord JSON */
    const char *assessments; /* rows written to assessments.csv */
    const char *evidence;    /* rows written to evidence.csv */
    size_t nevidence;
    const char *jsonl; /* the line of assessments.jsonl */
};

/* clang-format off */
static const struct assessment_case assessment_cases[] = {
    {"plain entries and evidence",
     "{\"kind\": \"assessment\", \"state\": \"TH\", \"state_name\": \"Thailand\", " REVISION(
         "{\"indicator\": \"PR.1\", \"level\": \"yes\", \"justification\": \"Penal Code s.312\","
         " \"evidence\": [{\"citation\": \"Penal Code\", \"url\": \"https://example.org/pc\","
         " \"date\": \"2008-05-01\"}, {\"citation\": \"Ministry report\", \"date\": \"2011-03-01\"}]},"
         "{\"indicator\": \"PV.3\", \"level\": \"no_data\"}") "}",
     "TH,Thailand,3,PR.1,yes,Penal Code s.312,2\n"
     "TH,Thailand,3,PV.3,no_data,,0\n",
     "TH,PR.1,1,Penal Code,https://example.org/pc,2008-05-01\n"
     "TH,PR.1,2,Ministry report,,2011-03-01\n",
     2,
     "{\"state\":\"TH\",\"state_name\":\"Thailand\",\"revision\":{\"number\":3,\"draft\":false,"
     "\"office\":\"regional\",\"created_at\":\"2026-03-29T07:00:00Z\",\"base_revision\":2,"
     "\"entries\":[{\"indicator\":\"PR.1\",\"level\":\"yes\",\"justification\":\"Penal Code s.312\","
     "\"evidence\":[{\"citation\":\"Penal Code\",\"url\":\"https://example.org/pc\","
     "\"date\":\"2008-05-01\"},{\"citation\":\"Ministry report\",\"url\":\"\",\"date\":"
     "\"2011-03-01\"}]},{\"indicator\":\"PV.3\",\"level\":\"no_data\",\"justification\":\"\","
     "\"evidence\":[]}]}}\n"},
    {"commas, quotes, line breaks and edge spaces are quoted (RFC 4180)",
     "{\"kind\": \"assessment\", \"state\": \"CI\", \"state_name\": \"Côte d'Ivoire\", " REVISION(
         "{\"indicator\": \"CA.2\", \"level\": \"woefully_inadequate\","
         " \"justification\": \"\\\"Minimal\\\" staffing, 3 shelters\\nsecond line\\r\\nthird\","
         " \"evidence\": [{\"citation\": \" leading space\", \"url\": \"https://example.org/a,b\"}]}") "}",
     "CI,Côte d'Ivoire,3,CA.2,woefully_inadequate,\"\"\"Minimal\"\" staffing, 3 shelters\n"
     "second line\r\nthird\",1\n",
     "CI,CA.2,1,\" leading space\",\"https://example.org/a,b\",\n",
     1,
     "{\"state\":\"CI\",\"state_name\":\"Côte d'Ivoire\",\"revision\":{\"number\":3,\"draft\":false,"
     "\"office\":\"regional\",\"created_at\":\"2026-03-29T07:00:00Z\",\"base_revision\":2,"
     "\"entries\":[{\"indicator\":\"CA.2\",\"level\":\"woefully_inadequate\",\"justification\":"
     "\"\\\"Minimal\\\" staffing, 3 shelters\\nsecond line\\r\\nthird\",\"evidence\":[{\"citation\":"
     "\" leading space\",\"url\":\"https://example.org/a,b\",\"date\":\"\"}]}]}}\n"},
    {"UTF-8 text is written as it is",
     "{\"kind\": \"assessment\", \"state\": \"EG\", \"state_name\": \"Egypt\", " REVISION(
         "{\"indicator\": \"PR.1\", \"level\": \"partial\","
         " \"justification\": \"قانون مكافحة الاتجار بالبشر — กฎหมายอาญา ๓๑๒\"}") "}",
     "EG,Egypt,3,PR.1,partial,قانون مكافحة الاتجار بالبشر — กฎหมายอาญา ๓๑๒,0\n",
     "",
     0,
     "{\"state\":\"EG\",\"state_name\":\"Egypt\",\"revision\":{\"number\":3,\"draft\":false,"
     "\"office\":\"regional\",\"created_at\":\"2026-03-29T07:00:00Z\",\"base_revision\":2,"
     "\"entries\":[{\"indicator\":\"PR.1\",\"level\":\"partial\",\"justification\":"
     "\"قانون مكافحة الاتجار بالبشر — กฎหมายอาญา ๓๑๒\",\"evidence\":[]}]}}\n"},
    {"a state the publication counts no revision of still has its row",
     "{\"kind\": \"assessment\", \"state\": \"IT\", \"state_name\": \"Italy\"}",
     "IT,Italy,,,,,\n",
     "",
     0,
     "{\"state\":\"IT\",\"state_name\":\"Italy\",\"revision\":null}\n"},
};
/* clang-format on */

Test(exportfmt, assessment_rows_and_lines)
{
    char err[256];

    for (size_t i = 0; i < sizeof(assessment_cases) / sizeof(assessment_cases[0]); i++) {
        const struct assessment_case *c = &assessment_cases[i];
        Vigil__V1__ExportRecord *r = record(c->record);
        struct texts t = {0};
        FILE *fa = open_memstream(&t.a, &t.alen), *fe = open_memstream(&t.b, &t.blen);
        size_t n = 99;
        cr_assert(exportfmt_assessment_csv(fa, fe, r, &n, err, sizeof(err)), "%s: %s", c->name,
                  err);
        fclose(fa);
        fclose(fe);
        cr_expect_str_eq(t.a, c->assessments, "%s: assessments.csv", c->name);
        cr_expect_str_eq(t.b, c->evidence, "%s: evidence.csv", c->name);
        cr_expect_eq(n, c->nevidence, "%s: evidence count", c->name);
        texts_free(&t);

        t = (struct texts){0};
        fa = open_memstream(&t.a, &t.alen);
        n = 99;
        cr_assert(exportfmt_assessment_jsonl(fa, r, &n, err, sizeof(err)), "%s: %s", c->name, err);
        fclose(fa);
        cr_expect_str_eq(t.a, c->jsonl, "%s: assessments.jsonl", c->name);
        cr_expect_eq(n, c->nevidence, "%s: evidence count (jsonl)", c->name);
        texts_free(&t);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
}

Test(exportfmt, a_record_without_state_is_refused)
{
    Vigil__V1__ExportRecord *r = record("{\"kind\": \"assessment\", \"state_name\": \"Nowhere\"}");
    char *buf = NULL, err[256] = "";
    size_t len, n;
    FILE *f = open_memstream(&buf, &len);

    cr_expect(!exportfmt_assessment_csv(f, f, r, &n, err, sizeof(err)));
    cr_expect(strstr(err, "no state") != NULL, "%s", err);
    cr_expect(!exportfmt_assessment_jsonl(f, r, &n, err, sizeof(err)));
    fclose(f);
    cr_expect_str_eq(buf, "", "nothing written");
    free(buf);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- whole snapshots ---- */

#define HEADER_JSON                                                                                \
    "{\"kind\": \"header\", \"header\": {\"cycle\": \"2009-2012\", \"version\": 2,"                \
    " \"published_at\": \"2026-03-29T07:00:00Z\", \"digest\": \"3fa2c1d09b7e\","                   \
    " \"cursor\": \"c000000000000002a\", \"assessments\": 2, \"evidence\": 3}}"

static const char *const end_header_json =
    "{\"cycle\": \"2009-2012\", \"version\": 2, \"published_at\": \"2026-03-29T07:00:00Z\","
    " \"digest\": \"3fa2c1d09b7e\", \"cursor\": \"c000000000000002a\", \"assessments\": 2,"
    " \"evidence\": 3}";

/* The records of a complete export, END aside. */
#define REC_METHODOLOGY                                                                            \
    "{\"kind\": \"methodology\", \"methodology\": {\"code\": \"test-1\", \"name\": \"Test\","      \
    " \"areas\": [{\"code\": \"PR\", \"name\": \"Protection\", \"weight\": 1}]}}"
#define REC_FR                                                                                     \
    "{\"kind\": \"assessment\", \"state\": \"FR\", \"state_name\": \"France\", " REVISION(         \
        "{\"indicator\": \"PR.1\", \"level\": \"yes\", \"evidence\": [{\"citation\": \"a\"},"      \
        " {\"citation\": \"b\"}]}, {\"indicator\": \"PR.2\", \"level\": \"no\", \"evidence\":"     \
        " [{\"citation\": \"c\"}]}") "}"
#define REC_IT "{\"kind\": \"assessment\", \"state\": \"IT\", \"state_name\": \"Italy\"}"
#define REC_RANKING                                                                                \
    "{\"kind\": \"ranking\", \"ranking\": {\"cycle\": \"2009-2012\", \"version\": 2,"              \
    " \"ranked\": [{\"rank\": 1, \"state\": \"FR\", \"state_name\": \"France\", \"band\": "        \
    "\"good\","                                                                                    \
    " \"overall\": {\"text\": \"50.00\", \"num\": 50, \"den\": 1},"                                \
    " \"areas\": [{\"area\": \"PR\", \"score\": {\"text\": \"50.00\", \"num\": 50, \"den\": 1},"   \
    " \"rank\": 1}]}],"                                                                            \
    " \"not_ranked\": [{\"state\": \"IT\", \"state_name\": \"Italy\", \"reasons\": [{\"reason\":"  \
    " \"not_approved\"}]}]}}"
#define REC_AGGREGATES                                                                             \
    "{\"kind\": \"aggregates\", \"aggregates\": {\"cycle\": \"2009-2012\", \"version\": 2,"        \
    " \"indicators\": [{\"indicator\": \"PR.1\", \"levels\": [{\"level\": \"yes\", \"count\": 1,"  \
    " \"share\": {\"text\": \"100.00\", \"num\": 100, \"den\": 1}}], \"n\": 1, \"counted\": 1}]}}"

static const char *const records[] = {REC_METHODOLOGY, REC_FR, REC_IT, REC_RANKING, REC_AGGREGATES};
#define NRECORDS (sizeof(records) / sizeof(records[0]))

static char dir[128];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vigil-export-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[sizeof(dir) + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)system(cmd);
}

TestSuite(snapshot, .init = make_dir, .fini = remove_dir);

static char *file_text(const char *name)
{
    char p[256];
    FILE *f;
    char *buf = NULL;
    size_t len = 0;

    snprintf(p, sizeof(p), "%s/out/%s", dir, name);
    if ((f = fopen(p, "r")) == NULL)
        return NULL;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(m);
    fclose(f);
    return buf;
}

static bool exists(const char *name)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/out/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* No staging directory is left in DIR/out. */
static void expect_no_stage(void)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "ls -A '%s/out' | grep -q export-partial", dir);
    cr_expect_neq(system(cmd), 0, "a staging directory was left behind");
}

static Vigil__V1__ExportHeader *end_header(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    ProtobufCMessage *m = NULL;
    char err[256];

    cr_assert_not_null(j);
    cr_assert(pbjson_decode(j, &vigil__v1__export_header__descriptor, &m, err, sizeof(err)), "%s",
              err);
    json_decref(j);
    return (Vigil__V1__ExportHeader *)m;
}

/* Begins an export into DIR/out and adds the header and the first n records. */
static void export_some(struct snapshot *s, enum snapshot_format f, size_t n)
{
    char out[256], err[600];

    snprintf(out, sizeof(out), "%s/out", dir);
    cr_assert(snapshot_begin(s, out, f, err, sizeof(err)), "%s", err);
    cr_assert(snapshot_add(s, record(HEADER_JSON), err, sizeof(err)), "%s", err);
    for (size_t i = 0; i < n; i++)
        cr_assert(snapshot_add(s, record(records[i]), err, sizeof(err)), "record %zu: %s", i, err);
}

static void export_all(enum snapshot_format f)
{
    struct snapshot s;
    char err[600];
    Vigil__V1__ExportHeader *end = end_header(end_header_json);

    export_some(&s, f, NRECORDS);
    cr_assert(snapshot_finish(&s, end, err, sizeof(err)), "%s", err);
    snapshot_clear(&s);
    protobuf_c_message_free_unpacked(&end->base, NULL);
}

Test(snapshot, complete_csv_export)
{
    export_all(SNAPSHOT_CSV);
    expect_no_stage();
    char *t = file_text("assessments.csv");
    cr_assert_not_null(t);
    cr_expect_str_eq(t, BOM "state,state_name,revision,indicator,level,justification,"
                            "evidence_count\n"
                            "FR,France,3,PR.1,yes,,2\n"
                            "FR,France,3,PR.2,no,,1\n"
                            "IT,Italy,,,,,\n");
    free(t);
    t = file_text("evidence.csv");
    cr_expect_str_eq(t, BOM "state,indicator,n,citation,url,date\n"
                            "FR,PR.1,1,a,,\nFR,PR.1,2,b,,\nFR,PR.2,1,c,,\n");
    free(t);
    t = file_text("ranking.csv");
    cr_assert_not_null(t);
    const char *head = BOM "rank,tied,state,state_name,region,band,overall,";
    cr_expect(strncmp(t, head, strlen(head)) == 0, "ranking.csv: %s", t);
    cr_expect(strstr(t, "\n1,false,FR,France,,good,50.00,50,1,50.00,") != NULL, "%s", t);
    cr_expect(strstr(t, "\n,,IT,Italy,") != NULL, "the state not ranked: %s", t);
    free(t);
    t = file_text("aggregates.csv");
    cr_expect(t != NULL && strstr(t, "\nPR.1,yes,,,1,1,100.00,1\n") != NULL, "%s", t);
    free(t);
    t = file_text("methodology.json");
    cr_expect(t != NULL && strstr(t, "\"code\": \"test-1\"") != NULL, "%s", t);
    free(t);
    t = file_text("snapshot.json");
    cr_assert_not_null(t);
    json_error_t je;
    json_t *j = json_loads(t, 0, &je);
    cr_assert_not_null(j, "snapshot.json: %s", je.text);
    json_t *want = json_loads(
        "{\"cycle\": \"2009-2012\", \"version\": 2, \"published_at\": \"2026-03-29T07:00:00Z\","
        " \"digest\": \"3fa2c1d09b7e\", \"cursor\": \"c000000000000002a\", \"assessments\": 2,"
        " \"evidence\": 3, \"format\": \"csv\", \"files\": [\"methodology.json\","
        " \"assessments.csv\", \"evidence.csv\", \"ranking.csv\", \"aggregates.csv\"]}",
        0, &je);
    cr_expect(json_equal(j, want), "snapshot.json:\n%s", t);
    json_decref(j);
    json_decref(want);
    free(t);
}

Test(snapshot, complete_jsonl_export_replaces_the_csv_files_only)
{
    char p[256];

    export_all(SNAPSHOT_CSV);
    snprintf(p, sizeof(p), "%s/out/notes.txt", dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("mine\n", f);
    fclose(f);
    export_all(SNAPSHOT_JSONL);
    expect_no_stage();
    cr_expect(!exists("assessments.csv") && !exists("evidence.csv") && !exists("ranking.csv") &&
                  !exists("methodology.json"),
              "the csv files of the earlier export are gone");
    cr_expect(exists("notes.txt"), "other files are left alone");
    char *t = file_text("assessments.jsonl");
    cr_assert_not_null(t);
    cr_expect(strncmp(t, "{\"state\":\"FR\",", 14) == 0, "%s", t);
    cr_expect(strstr(t, "\n{\"state\":\"IT\",\"state_name\":\"Italy\",\"revision\":null}\n") !=
                  NULL,
              "%s", t);
    free(t);
    const char *singles[] = {"methodology.jsonl", "ranking.jsonl", "aggregates.jsonl"};
    for (size_t i = 0; i < 3; i++) {
        t = file_text(singles[i]);
        cr_assert_not_null(t, "%s", singles[i]);
        cr_expect(t[0] == '{' && strchr(t, '\n') == t + strlen(t) - 1, "%s: one line", singles[i]);
        free(t);
    }
    t = file_text("snapshot.json");
    cr_expect(t != NULL && strstr(t, "\"format\": \"jsonl\"") != NULL, "%s", t);
    free(t);
}

/* What a finished export left must survive one that fails. */
static void expect_first_export_intact(void)
{
    char *t = file_text("snapshot.json");

    cr_expect(t != NULL && strstr(t, "\"format\": \"csv\"") != NULL, "snapshot.json: %s", t);
    free(t);
    t = file_text("assessments.csv");
    cr_expect(t != NULL && strstr(t, "IT,Italy") != NULL, "assessments.csv: %s", t);
    free(t);
    expect_no_stage();
}

Test(snapshot, cut_short_changes_nothing)
{
    struct snapshot s;

    export_all(SNAPSHOT_CSV);
    export_some(&s, SNAPSHOT_JSONL, 2); /* the link drops here */
    snapshot_clear(&s);
    expect_first_export_intact();
    cr_expect(!exists("assessments.jsonl"));
}

Test(snapshot, wrong_counts_change_nothing)
{
    static const char *const ends[] = {
        /* one assessment short */
        "{\"cycle\": \"2009-2012\", \"version\": 2, \"assessments\": 3, \"evidence\": 3}",
        /* an evidence item short */
        "{\"cycle\": \"2009-2012\", \"version\": 2, \"assessments\": 2, \"evidence\": 4}",
        /* another version */
        "{\"cycle\": \"2009-2012\", \"version\": 1, \"assessments\": 2, \"evidence\": 3}",
    };
    char err[600];

    export_all(SNAPSHOT_CSV);
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        struct snapshot s;
        Vigil__V1__ExportHeader *end = end_header(ends[i]);
        export_some(&s, SNAPSHOT_JSONL, NRECORDS);
        err[0] = '\0';
        cr_expect(!snapshot_finish(&s, end, err, sizeof(err)), "case %zu finished", i);
        cr_expect(err[0] != '\0', "case %zu: no reason given", i);
        snapshot_clear(&s);
        protobuf_c_message_free_unpacked(&end->base, NULL);
        expect_first_export_intact();
    }
}

Test(snapshot, a_missing_record_changes_nothing)
{
    struct snapshot s;
    char err[600] = "";
    Vigil__V1__ExportHeader *end = end_header(end_header_json);

    export_all(SNAPSHOT_CSV);
    export_some(&s, SNAPSHOT_JSONL, NRECORDS - 1); /* no AGGREGATES */
    cr_expect(!snapshot_finish(&s, end, err, sizeof(err)));
    cr_expect(strstr(err, "AGGREGATES") != NULL, "%s", err);
    snapshot_clear(&s);
    protobuf_c_message_free_unpacked(&end->base, NULL);
    expect_first_export_intact();
}

struct order_case {
    const char *name;
    bool header;        /* the HEADER comes first */
    const char *first;  /* then this (NULL = nothing) */
    const char *second; /* then this one, which must be refused (NULL = nothing) */
    const char *reason; /* a word of the error */
};

static const struct order_case order_cases[] = {
    {"a record before the header", false, REC_FR, NULL, "before the HEADER"},
    {"a second header", true, HEADER_JSON, NULL, "second HEADER"},
    {"a second ranking", true, REC_RANKING, REC_RANKING, "second RANKING"},
    {"a second methodology", true, REC_METHODOLOGY, REC_METHODOLOGY, "second METHODOLOGY"},
    {"an unknown kind", true, "{\"kind\": \"unspecified\"}", NULL, "unknown kind"},
    {"a ranking record without its ranking", true, "{\"kind\": \"ranking\"}", NULL, "no ranking"},
};

Test(snapshot, records_out_of_place_are_refused)
{
    char out[256], err[600];

    snprintf(out, sizeof(out), "%s/out", dir);
    for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
        const struct order_case *c = &order_cases[i];
        struct snapshot s;
        cr_assert(snapshot_begin(&s, out, SNAPSHOT_CSV, err, sizeof(err)), "%s", err);
        bool ok = true;
        if (c->header)
            ok = snapshot_add(&s, record(HEADER_JSON), err, sizeof(err));
        if (ok && c->first != NULL)
            ok = snapshot_add(&s, record(c->first), err, sizeof(err));
        if (ok && c->second != NULL)
            ok = snapshot_add(&s, record(c->second), err, sizeof(err));
        cr_expect(!ok, "%s: accepted", c->name);
        cr_expect(strstr(err, c->reason) != NULL, "%s: %s", c->name, err);
        snapshot_clear(&s);
    }
    expect_no_stage();
    cr_expect(!exists("snapshot.json"));
}

Test(snapshot, formats)
{
    enum snapshot_format f;

    cr_expect(snapshot_format_parse("csv", &f) && f == SNAPSHOT_CSV);
    cr_expect(snapshot_format_parse("jsonl", &f) && f == SNAPSHOT_JSONL);
    cr_expect(!snapshot_format_parse("json", &f));
    cr_expect(!snapshot_format_parse("CSV", &f));
    cr_expect_null(snapshot_file_name(SNAPSHOT_JSONL, SNAPSHOT_EVIDENCE));
    cr_expect_str_eq(snapshot_file_name(SNAPSHOT_CSV, SNAPSHOT_EVIDENCE), "evidence.csv");
}

Test(snapshot, dir_is_a_file)
{
    struct snapshot s;
    char out[256], err[600] = "";

    snprintf(out, sizeof(out), "%s/file", dir);
    FILE *f = fopen(out, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_expect(!snapshot_begin(&s, out, SNAPSHOT_CSV, err, sizeof(err)));
    cr_expect(strstr(err, "not a directory") != NULL, "%s", err);
    snapshot_clear(&s);
}
