/* Unit tests of client/cli/importrep, what `vigil import` says about its
 * records, as tables of cases: the ref sent with each record (where it
 * starts in its file), the report line of a refused record beside the
 * server's message, pointing at the row of the entry the message names
 * (CSV line, JSON path; entries are in the methodology's order, whatever
 * the file's), the summary line, and the progress line. */
#include "importrep.h"
#include "pbjson.h"
#include "progress.h"
#include "sheet.h"
#include "submission.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* PR.1, PR.2, CA.1; all on yes-partial-no. */
static const char methodology_json[] =
    "{\"code\": \"test-1\", \"name\": \"Test\", \"min_coverage\": \"1\","
    " \"areas\": [{\"code\": \"PR\", \"name\": \"Protection\", \"weight\": 1},"
    "             {\"code\": \"CA\", \"name\": \"Care\", \"weight\": 1}],"
    " \"scales\": [{\"code\": \"ypn\", \"levels\": ["
    "    {\"code\": \"yes\", \"label\": \"yes\", \"has_value\": true, \"value\": 2},"
    "    {\"code\": \"no\", \"label\": \"no\", \"has_value\": true, \"value\": 0},"
    "    {\"code\": \"no_data\", \"label\": \"no data\"}]}],"
    " \"indicators\": ["
    "  {\"code\": \"PR.1\", \"area\": \"PR\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"PR.2\", \"area\": \"PR\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"CA.1\", \"area\": \"CA\", \"scale\": \"ypn\", \"weight\": 1}],"
    " \"bands\": [{\"name\": \"all\", \"min_score\": \"0\"}]}";

static Vigil__V1__Methodology *meth;

static void load_methodology(void)
{
    json_error_t je;
    json_t *j = json_loads(methodology_json, 0, &je);
    ProtobufCMessage *m = NULL;
    char err[256];

    cr_assert_not_null(j, "fixture: %s", je.text);
    cr_assert(pbjson_decode(j, &vigil__v1__methodology__descriptor, &m, err, sizeof(err)), "%s",
              err);
    json_decref(j);
    meth = (Vigil__V1__Methodology *)m;
}

static void free_methodology(void)
{
    protobuf_c_message_free_unpacked(&meth->base, NULL);
}

TestSuite(importrep, .init = load_methodology, .fini = free_methodology);

/* Two states; TH's PR.1 justification spans two lines, its rows are not in
 * the methodology's order, and a blank line sits between the states. */
static const char csv_file[] = "state,cycle,indicator,level,justification\n" /* 1 */
                               "TH,2009-2012,PR.1,yes,\"two\n"               /* 2 */
                               "lines\"\n"                                   /* 3 */
                               "TH,2009-2012,CA.1,no,\n"                     /* 4 */
                               "TH,2009-2012,PR.2,no data,\n"                /* 5 */
                               "\n"                                          /* 6 */
                               "FR,2009-2012,PR.1,yes,\n"                    /* 7 */
                               "FR,2009-2012,PR.2,yes,\n"                    /* 8 */
                               "FR,2009-2012,CA.1,yes,\n";                   /* 9 */

static const char json_file[] = "{\"assessments\": ["
                                " {\"state\": \"FR\", \"cycle\": \"2009-2012\", \"entries\": ["
                                "   {\"indicator\": \"PR.1\", \"level\": \"yes\"},"
                                "   {\"indicator\": \"PR.2\", \"level\": \"yes\"},"
                                "   {\"indicator\": \"CA.1\", \"level\": \"yes\"}]},"
                                " {\"state\": \"TH\", \"cycle\": \"2009-2012\", \"entries\": ["
                                "   {\"indicator\": \"CA.1\", \"level\": \"no\"},"
                                "   {\"indicator\": \"PR.2\", \"level\": \"no data\"},"
                                "   {\"indicator\": \"PR.1\", \"level\": \"yes\"}]}]}";

struct refusal_case {
    const char *name;
    bool json;           /* the file: json_file, else csv_file */
    size_t group;        /* 0 = the first state of the file */
    int code;            /* gRPC status of the result */
    const char *message; /* the server's */
    const char *ref;     /* what importrep_ref gives */
    const char *line;    /* the report */
};

/* clang-format off */
static const struct refusal_case refusal_cases[] = {
    {"an entry's field, CSV: the entry's own line", false, 0, 3,
     "entries[1].level: \"no_data\" is not allowed here",
     "import.csv:2",
     "import.csv:2: TH 2009-2012: INVALID_ARGUMENT: entries[1].level: \"no_data\" is not allowed "
     "here (at import.csv:5: level)"},
    {"entries follow the methodology, not the file", false, 0, 3,
     "entries[2].justification: 4001 characters, at most 4000",
     "import.csv:2",
     "import.csv:2: TH 2009-2012: INVALID_ARGUMENT: entries[2].justification: 4001 characters, "
     "at most 4000 (at import.csv:4: justification)"},
    {"a record spanning lines: the line where it starts", false, 0, 3,
     "entries[0].evidence[20]: at most 20 items",
     "import.csv:2",
     "import.csv:2: TH 2009-2012: INVALID_ARGUMENT: entries[0].evidence[20]: at most 20 items "
     "(at import.csv:2: evidence)"},
    {"the second state, after a blank line", false, 1, 7,
     "state: FR is outside the scope of office \"asia\"",
     "import.csv:7",
     "import.csv:7: FR 2009-2012: PERMISSION_DENIED: state: FR is outside the scope of office "
     "\"asia\""},
    {"an entry the request does not have", false, 1, 3, "entries[7].level: unknown",
     "import.csv:7",
     "import.csv:7: FR 2009-2012: INVALID_ARGUMENT: entries[7].level: unknown"},
    {"no field named", false, 1, 10, "base_revision: stale, the current revision is 4",
     "import.csv:7",
     "import.csv:7: FR 2009-2012: ABORTED: base_revision: stale, the current revision is 4"},
    {"JSON: the entry's path", true, 1, 3, "entries[0].level: unknown level",
     "import.json:assessments[1]",
     "import.json:assessments[1]: TH 2009-2012: INVALID_ARGUMENT: entries[0].level: unknown "
     "level (at import.json: assessments[1].entries[2].level)"},
    {"JSON: the first record", true, 0, 9, "cycle: 2009-2012 is closed",
     "import.json:assessments[0]",
     "import.json:assessments[0]: FR 2009-2012: FAILED_PRECONDITION: cycle: 2009-2012 is closed"},
};
/* clang-format on */

Test(importrep, refusals_point_at_the_row)
{
    char err[512], ref[300], line[1800];

    for (size_t i = 0; i < sizeof(refusal_cases) / sizeof(refusal_cases[0]); i++) {
        const struct refusal_case *c = &refusal_cases[i];
        struct sheet s;
        struct submission sub;
        sheet_init(&s, c->json ? "import.json" : "import.csv");
        bool read = c->json ? sheet_parse_json(&s, json_file, strlen(json_file), err, sizeof(err))
                            : sheet_parse_csv(&s, csv_file, strlen(csv_file), err, sizeof(err));
        cr_assert(read, "%s: %s", c->name, err);
        cr_assert_eq(s.ngroups, 2, "%s", c->name);
        cr_assert(submission_build(&sub, &s, c->group, meth, false), "%s: not built (%zu issues)",
                  c->name, s.nissues);
        importrep_ref(&s, &s.groups[c->group], ref, sizeof(ref));
        cr_expect_str_eq(ref, c->ref, "%s: ref", c->name);
        importrep_refusal(&s, &s.groups[c->group], &sub, ref, c->code, c->message, line,
                          sizeof(line));
        cr_expect_str_eq(line, c->line, "%s", c->name);
        importrep_refusal(&s, &s.groups[c->group], NULL, ref, c->code, c->message, line,
                          sizeof(line));
        cr_expect(strstr(line, " (at ") == NULL, "%s: without a submission: %s", c->name, line);
        submission_clear(&sub);
        sheet_clear(&s);
    }
}

struct summary_case {
    struct importrep_counts n;
    bool dry_run;
    const char *line;
};

/* clang-format off */
static const struct summary_case summary_cases[] = {
    {{40, 0, 2, 0, 0}, false, "40 stored, 2 refused"},
    {{40, 0, 2, 0, 0}, true, "40 valid, 2 refused (dry run: nothing stored)"},
    {{0, 0, 0, 3, 0}, false, "0 stored, 0 refused, 3 invalid (not sent)"},
    {{5, 0, 1, 1, 7}, false, "5 stored, 1 refused, 1 invalid (not sent), 7 not sent"},
    {{42, 42, 0, 0, 0}, false,
     "42 stored, 0 refused; 42 replayed with their first request ids, answered with their "
     "first result"},
};
/* clang-format on */

Test(importrep, summary)
{
    char line[400];

    for (size_t i = 0; i < sizeof(summary_cases) / sizeof(summary_cases[0]); i++) {
        importrep_summary(&summary_cases[i].n, summary_cases[i].dry_run, line, sizeof(line));
        cr_expect_str_eq(line, summary_cases[i].line, "case %zu", i);
    }
    importrep_summary(&summary_cases[3].n, false, line, 12);
    cr_expect_str_eq(line, "5 stored, 1", "cut to the buffer");
}

Test(importrep, progress_line)
{
    char line[200];

    progress_format("importing", 0, 40, 10, line, sizeof(line));
    cr_expect_str_eq(line, "importing 0/40 [..........]   0%");
    progress_format("importing", 12, 40, 10, line, sizeof(line));
    cr_expect_str_eq(line, "importing 12/40 [###.......]  30%");
    progress_format("exporting", 40, 40, 10, line, sizeof(line));
    cr_expect_str_eq(line, "exporting 40/40 [##########] 100%");
    progress_format("exporting", 45, 40, 10, line, sizeof(line));
    cr_expect_str_eq(line, "exporting 45/40 [##########] 100%", "more than announced");
    progress_format("exporting", 7, 0, 10, line, sizeof(line));
    cr_expect_str_eq(line, "exporting 7", "total unknown");
}
