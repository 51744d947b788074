/* Unit tests of client/cli/submission and methodology: a sheet group checked
 * against a methodology (labels to codes, applicability, missing, extra and
 * duplicated indicators) as a table of cases, the order of entries, the
 * content hash, the request, the comparison with a stored revision, and the
 * way back from a server error's field path to the file line. */
#include "methodology.h"
#include "pbjson.h"
#include "sheet.h"
#include "submission.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Two areas; CA.2 applies when CA.1 is yes or partial, CA.3 when CA.2 is
 * adequate or better (a chain). */
static const char methodology_json[] =
    "{\"code\": \"test-1\", \"name\": \"Test\", \"min_coverage\": \"0.75\","
    " \"areas\": [{\"code\": \"PR\", \"name\": \"Protection\", \"weight\": 1},"
    "             {\"code\": \"CA\", \"name\": \"Care\", \"weight\": 1}],"
    " \"scales\": ["
    "  {\"code\": \"ypn\", \"levels\": ["
    "    {\"code\": \"yes\", \"label\": \"yes\", \"has_value\": true, \"value\": 2},"
    "    {\"code\": \"partial\", \"label\": \"partial\", \"has_value\": true, \"value\": 1},"
    "    {\"code\": \"no\", \"label\": \"no\", \"has_value\": true, \"value\": 0},"
    "    {\"code\": \"no_data\", \"label\": \"no data\"},"
    "    {\"code\": \"not_assessed\", \"label\": \"not assessed\"}]},"
    "  {\"code\": \"adequacy\", \"levels\": ["
    "    {\"code\": \"none\", \"label\": \"none\", \"has_value\": true, \"value\": 0},"
    "    {\"code\": \"woefully_inadequate\", \"label\": \"woefully inadequate\", \"has_value\": "
    "true, \"value\": 1},"
    "    {\"code\": \"adequate\", \"label\": \"adequate\", \"has_value\": true, \"value\": 2},"
    "    {\"code\": \"comprehensive\", \"label\": \"comprehensive and specialised\", "
    "\"has_value\": true, \"value\": 3},"
    "    {\"code\": \"no_data\", \"label\": \"no data\"}]}],"
    " \"indicators\": ["
    "  {\"code\": \"PR.1\", \"area\": \"PR\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"PR.2\", \"area\": \"PR\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"CA.1\", \"area\": \"CA\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"CA.2\", \"area\": \"CA\", \"scale\": \"adequacy\", \"weight\": 1,"
    "   \"applies_when\": {\"indicator\": \"CA.1\", \"levels\": [\"yes\", \"partial\"]}},"
    "  {\"code\": \"CA.3\", \"area\": \"CA\", \"scale\": \"ypn\", \"weight\": 1,"
    "   \"applies_when\": {\"indicator\": \"CA.2\", \"levels\": [\"adequate\", "
    "\"comprehensive\"]}}],"
    " \"bands\": [{\"name\": \"good\", \"min_score\": \"50\"}, {\"name\": \"bad\", \"min_score\": "
    "\"0\"}]}";

static Vigil__V1__Methodology *meth;

#define MAX_KEPT 4
static struct sheet kept[MAX_KEPT]; /* sheets of the submissions a test keeps */
static size_t nkept;

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
    for (size_t i = 0; i < nkept; i++)
        sheet_clear(&kept[i]);
}

TestSuite(submission, .init = load_methodology, .fini = free_methodology);

#define H "state,cycle,indicator,level,justification,evidence\n"

/* Reads text as CSV and builds its first group; returns the issues (or the
 * entries "PR.1=yes@2 ..." with their lines) as text. With keep, the
 * submission is kept there and its sheet in *keep_sheet (rows are borrowed
 * from it): clear both. */
static char *build_keep(const char *text, bool draft, struct submission *keep,
                        struct sheet *keep_sheet)
{
    struct sheet s;
    struct submission sub;
    char err[256], *out = calloc(1, 4096);

    sheet_init(&s, "t.csv");
    cr_assert(sheet_parse_csv(&s, text, strlen(text), err, sizeof(err)), "%s", err);
    cr_assert(s.ngroups >= 1);
    if (submission_build(&sub, &s, 0, meth, draft)) {
        json_t *entries = json_object_get(sub.content, "entries");
        for (size_t i = 0; i < sub.nentries; i++) {
            json_t *e = json_array_get(entries, i);
            snprintf(out + strlen(out), 4096 - strlen(out), "%s%s=%s@%d", i ? " " : "",
                     json_string_value(json_object_get(e, "indicator")),
                     json_string_value(json_object_get(e, "level")), sub.rows[i]->line);
        }
        if (keep != NULL) {
            *keep = sub;
            *keep_sheet = s;
            return out;
        }
        submission_clear(&sub);
    } else {
        for (size_t i = 0; i < s.nissues; i++)
            snprintf(out + strlen(out), 4096 - strlen(out), "%s%d %s: %s", i ? "\n" : "",
                     s.issues[i].line, s.issues[i].field ? s.issues[i].field : "-",
                     s.issues[i].message);
    }
    sheet_clear(&s);
    return out;
}

/* clang-format off */
static const struct {
    const char *name, *rows, *expect;
} cases[] = {
    {"complete, CA.1 no: CA.2 and CA.3 do not apply",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no data,,\nTH,C,CA.1,no,,\n",
     "PR.1=yes@2 PR.2=no_data@3 CA.1=no@4"},
    {"labels in any case, codes accepted, spaces ignored",
     "TH,C,PR.1,YES,,\nTH,C,PR.2,\" No Data \",,\nTH,C,CA.1,not_assessed,,\n",
     "PR.1=yes@2 PR.2=no_data@3 CA.1=not_assessed@4"},
    {"rows in any order come out in the methodology's order; indicator case ignored",
     "TH,C,ca.1,partial,,\nTH,C,CA.2,Woefully Inadequate,,\nTH,C,PR.2,no,,\nTH,C,PR.1,yes,,\n",
     "PR.1=yes@5 PR.2=no@4 CA.1=partial@2 CA.2=woefully_inadequate@3"},
    {"non-applicable rows with an empty level are dropped",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,yes,,\nTH,C,CA.1,no,,\nTH,C,CA.2,,,\nTH,C,CA.3,,\"why, not\",\n",
     "PR.1=yes@2 PR.2=yes@3 CA.1=no@4"},
    {"a chain of rules: CA.3 applies when CA.2 is adequate",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,yes,,\nTH,C,CA.1,yes,,\nTH,C,CA.2,adequate,,\nTH,C,CA.3,partial,,\n",
     "PR.1=yes@2 PR.2=yes@3 CA.1=yes@4 CA.2=adequate@5 CA.3=partial@6"},
    {"unknown label",
     "TH,C,PR.1,yess,,\nTH,C,PR.2,no,,\nTH,C,CA.1,no,,\n",
     "2 level: \"yess\" is not a level of PR.1 (scale ypn: yes; partial; no; no data; not assessed)"},
    {"label of the other scale",
     "TH,C,PR.1,adequate,,\nTH,C,PR.2,no,,\nTH,C,CA.1,no,,\n",
     "2 level: \"adequate\" is not a level of PR.1 (scale ypn: yes; partial; no; no data; not assessed)"},
    {"unknown indicator",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no,,\nTH,C,CA.1,no,,\nTH,C,PR.9,no,,\n",
     "5 indicator: unknown indicator \"PR.9\" in methodology test-1 (vigil methodology --cycle C lists them)"},
    {"indicator twice",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no,,\nTH,C,CA.1,no,,\nTH,C,PR.1,no,,\n",
     "5 indicator: PR.1 is given twice (also line 2)"},
    {"an applicable indicator without a row",
     "TH,C,PR.1,yes,,\nTH,C,CA.1,no,,\n",
     "2 -: TH C: no row for PR.2, which applies: every indicator that applies needs a level "
     "(vigil template lists them)"},
    {"an applicable indicator with an empty level",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,,,\nTH,C,CA.1,no,,\n",
     "3 level: empty, but PR.2 applies: give one of yes; partial; no; no data; not assessed"},
    {"CA.2 empty although CA.1 is yes",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no,,\nTH,C,CA.1,yes,,\nTH,C,CA.2,,,\n",
     "5 level: empty, but CA.2 applies here (as CA.1 is yes or partial): give one of none; "
     "woefully inadequate; adequate; comprehensive and specialised; no data"},
    {"CA.2 given although CA.1 is no",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no,,\nTH,C,CA.1,no,,\nTH,C,CA.2,adequate,,\n",
     "5 level: CA.2 does not apply here (only when CA.1 is yes or partial): leave the level empty "
     "or remove the row"},
    {"CA.1 wrong: nothing more said about CA.2 and CA.3",
     "TH,C,PR.1,yes,,\nTH,C,PR.2,no,,\nTH,C,CA.1,maybe,,\nTH,C,CA.2,adequate,,\n",
     "4 level: \"maybe\" is not a level of CA.1 (scale ypn: yes; partial; no; no data; not assessed)"},
    {"several issues at once",
     "TH,C,PR.1,,,\nTH,C,CA.1,partial,,\n",
     "2 level: empty, but PR.1 applies: give one of yes; partial; no; no data; not assessed\n"
     "2 -: TH C: no row for PR.2, CA.2, which apply: every indicator that applies needs a level "
     "(vigil template lists them)"},
};
/* clang-format on */

static char *build(const char *text, bool draft, struct submission *keep)
{
    cr_assert(keep == NULL || nkept < MAX_KEPT);
    return build_keep(text, draft, keep, keep != NULL ? &kept[nkept++] : NULL);
}

Test(submission, rules)
{
    char text[2048];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), H "%s", cases[i].rows);
        char *got = build(text, false, NULL);
        cr_expect_str_eq(got, cases[i].expect, "%s:\ngot:      %s\nexpected: %s", cases[i].name,
                         got, cases[i].expect);
        free(got);
    }
}

Test(submission, methodology_lookups)
{
    const Vigil__V1__Indicator *ca2 = methodology_indicator(meth, "ca.2");
    char buf[256];

    cr_assert_not_null(ca2);
    cr_expect_str_eq(ca2->code, "CA.2");
    cr_expect_eq(methodology_index(meth, ca2), 3);
    cr_expect_null(methodology_indicator(meth, "CA.9"));
    const Vigil__V1__Scale *ad = methodology_scale(meth, "adequacy");
    cr_expect_str_eq(methodology_level(ad, "COMPREHENSIVE AND SPECIALISED")->code, "comprehensive");
    cr_expect_str_eq(methodology_level(ad, "no_data")->code, "no_data");
    cr_expect_null(methodology_level(ad, ""));
    cr_expect_null(methodology_level(ad, "not assessed"));
    cr_expect_str_eq(methodology_label(meth, ca2, "woefully_inadequate"), "woefully inadequate");
    cr_expect_str_eq(methodology_label(meth, ca2, "zzz"), "zzz");
    methodology_levels_text(ad, true, buf, sizeof(buf));
    cr_expect_str_eq(buf, "none=0; woefully inadequate=1; adequate=2; comprehensive and "
                          "specialised=3; no data");
    methodology_rule_text(meth, methodology_indicator(meth, "CA.3"), buf, sizeof(buf));
    cr_expect_str_eq(buf, "CA.2 is adequate or comprehensive and specialised");
    methodology_rule_text(meth, methodology_indicator(meth, "PR.1"), buf, sizeof(buf));
    cr_expect_str_eq(buf, "");
}

static const char complete[] =
    H "TH,C,PR.1,yes,\"Côte d'Ivoire, \"\"quoted\"\"\nline 2\",\"Penal Code | https://e.org | "
      "2008-05-01\nReport\"\nTH,C,PR.2,no,,\nTH,C,CA.1,partial,,\nTH,C,CA.2,adequate,,\n"
      "TH,C,CA.3,no data,,\n";

Test(submission, request_and_hash)
{
    struct submission a, b;
    char *x = build(complete, false, &a), *y = build(complete, true, &b);

    cr_expect_str_eq(x, "PR.1=yes@2 PR.2=no@5 CA.1=partial@6 CA.2=adequate@7 CA.3=no_data@8");
    cr_expect_str_neq(a.sha256, b.sha256, "the draft flag is content");
    Vigil__V1__SubmitRequest *req = submission_request(&a, "id-1", 7);
    cr_assert_not_null(req);
    cr_expect_str_eq(req->request_id, "id-1");
    cr_expect_eq(req->base_revision, 7);
    cr_expect_str_eq(req->state, "TH");
    cr_expect_str_eq(req->cycle, "C");
    cr_expect(!req->draft);
    cr_assert_eq(req->n_entries, 5);
    cr_expect_str_eq(req->entries[0]->justification, "Côte d'Ivoire, \"quoted\"\nline 2");
    cr_assert_eq(req->entries[0]->n_evidence, 2);
    cr_expect_str_eq(req->entries[0]->evidence[0]->url, "https://e.org");
    cr_expect_str_eq(req->entries[0]->evidence[1]->citation, "Report");
    cr_expect_str_eq(req->entries[4]->level, "no_data");
    protobuf_c_message_free_unpacked(&req->base, NULL);
    free(x);
    free(y);
    submission_clear(&a);
    submission_clear(&b);
}

/* The hash depends on the content, not on the file format or the row order. */
Test(submission, hash_is_of_the_content)
{
    static const char json[] =
        "{\"assessments\": [{\"state\": \"TH\", \"cycle\": \"C\", \"entries\": ["
        "{\"indicator\": \"CA.3\", \"level\": \"no_data\"},"
        "{\"indicator\": \"PR.2\", \"level\": \"No\"},"
        "{\"indicator\": \"CA.1\", \"level\": \"partial\"},"
        "{\"indicator\": \"CA.2\", \"level\": \"adequate\"},"
        "{\"indicator\": \"PR.1\", \"level\": \"yes\", \"justification\": "
        "\"Côte d'Ivoire, \\\"quoted\\\"\\nline 2\", \"evidence\": [{\"citation\": \"Penal Code\", "
        "\"url\": \"https://e.org\", \"date\": \"2008-05-01\"}, {\"citation\": \"Report\"}]}]}]}";
    struct submission a, j;
    struct sheet s;
    char err[256];
    char *x = build(complete, false, &a);

    sheet_init(&s, "t.json");
    cr_assert(sheet_parse_json(&s, json, strlen(json), err, sizeof(err)), "%s", err);
    cr_assert(submission_build(&j, &s, 0, meth, false));
    cr_expect_str_eq(a.sha256, j.sha256);
    cr_expect_eq(strlen(a.sha256), 64);
    submission_clear(&j);
    sheet_clear(&s);
    char *changed = strdup(complete);
    *strstr(changed, "line 2") = 'L';
    struct submission c;
    char *z = build(changed, false, &c);
    cr_expect_str_neq(a.sha256, c.sha256);
    submission_clear(&a);
    submission_clear(&c);
    free(x);
    free(z);
    free(changed);
}

Test(submission, same_as_stored_revision)
{
    struct submission a;
    char *x = build(complete, false, &a);
    Vigil__V1__SubmitRequest *req = submission_request(&a, "id", 0);
    Vigil__V1__Revision rev = VIGIL__V1__REVISION__INIT;

    rev.number = 3;
    rev.office = "regional";
    rev.entries = req->entries;
    rev.n_entries = req->n_entries;
    cr_expect(submission_same(&a, &rev));
    rev.draft = true;
    cr_expect(!submission_same(&a, &rev));
    rev.draft = false;
    rev.n_entries--;
    cr_expect(!submission_same(&a, &rev));
    rev.n_entries++;
    char *old = req->entries[1]->level;
    req->entries[1]->level = "yes";
    cr_expect(!submission_same(&a, &rev));
    req->entries[1]->level = old;
    protobuf_c_message_free_unpacked(&req->base, NULL);
    submission_clear(&a);
    free(x);
}

/* clang-format off */
static const struct {
    const char *msg;
    int line;          /* 0 = no entry */
    const char *field;
} locate_cases[] = {
    {"entries[0].level: \"x\" is not a level", 2, "level"},
    {"entries[1].justification: longer than 4000 characters", 5, "justification"},
    {"entries[0].evidence[1].url: not an http(s) URL", 2, "evidence"},
    {"entries[4]: CA.3 does not apply", 8, ""},
    {"entries[5].level: out of range", 0, ""},
    {"entries[x].level: nonsense", 0, ""},
    {"base_revision: stale, the current revision is 4", 0, "base_revision"},
    {"state: TH is outside the office's scope", 0, "state"},
    {"the cycle is closed", 0, ""},
};
/* clang-format on */

Test(submission, locate)
{
    struct submission a;
    char *x = build(complete, false, &a), field[64];

    for (size_t i = 0; i < sizeof(locate_cases) / sizeof(locate_cases[0]); i++) {
        const struct sheet_row *r =
            submission_locate(&a, locate_cases[i].msg, field, sizeof(field));
        cr_expect_eq(r != NULL ? r->line : 0, locate_cases[i].line, "%s", locate_cases[i].msg);
        cr_expect_str_eq(field, locate_cases[i].field, "%s", locate_cases[i].msg);
    }
    submission_clear(&a);
    free(x);
}
