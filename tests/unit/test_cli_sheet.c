/* Unit tests of client/cli/sheet: the CSV and JSON readers and the evidence
 * cell, as tables of cases: the file text beside what it must read as (groups,
 * rows with their lines, issues) or the reason it is refused whole. */
#include "sheet.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a sheet read as, one line per group, row and issue:
 *   "= TH 2009-2012 @2"                   a group and the line of its first row
 *   "  2 PR.1 [yes] {text} <c|u|d><...>"  a row: line, indicator, level,
 *                                         justification, evidence items
 *   "! 3 level: message"                  an issue: line, field, message */
static char *describe(const struct sheet *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct sheet_group *gr = &s->groups[g];
        fprintf(f, "= %s %s @%d%s%s\n", gr->state, gr->cycle, gr->line, gr->draft ? " draft" : "",
                gr->bad ? " bad" : "");
        for (size_t r = 0; r < gr->nrows; r++) {
            const struct sheet_row *row = &gr->rows[r];
            fprintf(f, "  %d %s [%s] {%s} ", row->line, row->indicator, row->level,
                    row->justification);
            for (size_t e = 0; e < row->nevidence; e++)
                fprintf(f, "<%s|%s|%s>", row->evidence[e].citation, row->evidence[e].url,
                        row->evidence[e].date);
            fprintf(f, "\n");
        }
    }
    for (size_t i = 0; i < s->nissues; i++) {
        const struct sheet_issue *is = &s->issues[i];
        fprintf(f, "! %d %s%s%s: %s\n", is->line, is->path ? is->path : "",
                is->path && is->field ? "." : "", is->field ? is->field : "", is->message);
    }
    fclose(f);
    return buf;
}

struct read_case {
    const char *name;
    const char *text;   /* the file */
    const char *fatal;  /* expected substring of the whole-file error; NULL = read */
    const char *expect; /* describe() of the result when read */
};

#define H "state,cycle,indicator,level,justification,evidence\n"

/* clang-format off */
static const struct read_case csv_cases[] = {
    {"one row", H "TH,2009-2012,PR.1,yes,fine,\n", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [yes] {fine} \n"},
    {"CRLF, BOM, no final newline, lower-case state",
     "\xEF\xBB\xBF" "state,cycle,indicator,level\r\nth,2009-2012,PR.1,no\r\nTH,2009-2012,PR.2,no data", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [no] {} \n  3 PR.2 [no data] {} \n"},
    {"columns in any order and case, extra columns ignored",
     "Level,INDICATOR,allowed_levels,State,Cycle\nyes,PR.1,\"yes; no\",TH,2009-2012\n", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [yes] {} \n"},
    {"embedded commas, quotes and newlines keep the record's first line",
     H "TH,2009-2012,PR.1,yes,\"a, b \"\"quoted\"\"\nsecond line\",\n"
       "TH,2009-2012,PR.2,no,\"x\n\ny\",\n", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [yes] {a, b \"quoted\"\nsecond line} \n  4 PR.2 [no] {x\n\ny} \n"},
    {"UTF-8 text: French, Thai, Arabic",
     H "CI,2009-2012,PR.1,yes,Côte d'Ivoire: loi n° 2010-272,\n"
       "TH,2009-2012,PR.1,partial,กฎหมายอาญา มาตรา ๓๑๒,\n"
       "EG,2009-2012,PR.1,no,قانون مكافحة الاتجار بالبشر,\n", NULL,
     "= CI 2009-2012 @2\n  2 PR.1 [yes] {Côte d'Ivoire: loi n° 2010-272} \n"
     "= TH 2009-2012 @3\n  3 PR.1 [partial] {กฎหมายอาญา มาตรา ๓๑๒} \n"
     "= EG 2009-2012 @4\n  4 PR.1 [no] {قانون مكافحة الاتجار بالبشر} \n"},
    {"blank and empty rows skipped, lines still counted",
     H "\n,,,,,\nTH,2009-2012,PR.1,yes,,\n   \n\nTH,2009-2012,PR.2,yes,,\n", NULL,
     "= TH 2009-2012 @4\n  4 PR.1 [yes] {} \n  7 PR.2 [yes] {} \n"},
    {"spaces are data (RFC 4180); codes and column names are trimmed",
     " state , cycle ,indicator,level,justification\n"
     " th , 2009-2012 , PR.1 , yes ,\"  quoted  \"\nTH,2009-2012,PR.2,no,  unquoted\t \n", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [ yes ] {  quoted  } \n  3 PR.2 [no] {  unquoted\t } \n"},
    {"groups by state and cycle, in order of appearance",
     H "TH,2009-2012,PR.1,yes,,\nVN,2009-2012,PR.1,no,,\nTH,2005-2008,PR.1,no,,\nTH,2009-2012,PR.2,no,,\n",
     NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [yes] {} \n  5 PR.2 [no] {} \n= VN 2009-2012 @3\n  3 PR.1 [no] {} \n"
     "= TH 2005-2008 @4\n  4 PR.1 [no] {} \n"},
    {"evidence cell: items on lines, optional parts",
     H "TH,2009-2012,PR.1,yes,,\"Penal Code | https://example.org/pc | 2008-05-01\n"
       "Report, 2011\n\nGazette | | 2010-01-31\nPress | 2009-12-01\"\n", NULL,
     "= TH 2009-2012 @2\n  2 PR.1 [yes] {} <Penal Code|https://example.org/pc|2008-05-01>"
     "<Report, 2011||><Gazette||2010-01-31><Press||2009-12-01>\n"},
    {"row errors: empty state, bad evidence, bad UTF-8, empty indicator",
     H ",2009-2012,PR.1,yes,,\nTH,2009-2012,PR.1,yes,,Report | ftp://x\n"
       "TH,2009-2012,PR.2,yes,\xff\xfe,\nTH,2009-2012,,yes,,\n", NULL,
     "= TH 2009-2012 @3 bad\n  3 PR.1 [yes] {} \n  5  [yes] {} \n"
     "! 2 state: empty\n"
     "! 3 evidence: item 1: URL \"ftp://x\" does not start with http:// or https://\n"
     "! 4 justification: not valid UTF-8 (save the file as UTF-8)\n"
     "! 5 indicator: empty\n"},
    {"bad evidence date", H "TH,2009-2012,PR.1,yes,,\"A | | 2011-02-29\nB | x | y | z\"\n", NULL,
     "= TH 2009-2012 @2 bad\n  2 PR.1 [yes] {} \n! 2 evidence: item 1: date \"2011-02-29\" is not a date YYYY-MM-DD\n"},
    {"missing column", "state,cycle,indicator\nTH,2009-2012,PR.1\n", "no column \"level\"", NULL},
    {"column twice", "state,cycle,indicator,level,level\n", "column \"level\" appears twice", NULL},
    {"empty file", "", "no header row", NULL},
    {"unclosed quote", H "TH,2009-2012,PR.1,yes,\"never closed\n", "line 2: malformed CSV", NULL},
    {"stray quote", H "TH,2009-2012,PR.1,yes,\"ab\"c,\n", "line 2: malformed CSV", NULL},
    {"space before a quote", H "TH,2009-2012,PR.1,yes, \"a, b\",\n", "line 2: malformed CSV: a quote",
     NULL},
    {"space after a quote", H "\nTH,2009-2012,PR.1,yes,\"a, b\" ,\n", "line 3: malformed CSV", NULL},
};
/* clang-format on */

static void check_case(const struct read_case *c, bool json)
{
    struct sheet s;
    char err[512] = "";

    sheet_init(&s, json ? "t.json" : "t.csv");
    bool ok = json ? sheet_parse_json(&s, c->text, strlen(c->text), err, sizeof(err))
                   : sheet_parse_csv(&s, c->text, strlen(c->text), err, sizeof(err));
    if (c->fatal != NULL) {
        cr_expect(!ok, "%s: read, expected \"%s\"", c->name, c->fatal);
        cr_expect(strstr(err, c->fatal) != NULL, "%s: error \"%s\", expected \"%s\"", c->name, err,
                  c->fatal);
    } else {
        cr_assert(ok, "%s: %s", c->name, err);
        char *d = describe(&s);
        cr_expect_str_eq(d, c->expect, "%s: got\n%s\nexpected\n%s", c->name, d, c->expect);
        free(d);
    }
    sheet_clear(&s);
}

Test(sheet, csv)
{
    for (size_t i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++)
        check_case(&csv_cases[i], false);
}

/* clang-format off */
static const struct read_case json_cases[] = {
    {"full",
     "{\"assessments\": [{\"state\": \"th\", \"cycle\": \"2009-2012\", \"draft\": true, \"entries\": ["
     "{\"indicator\": \"PR.1\", \"level\": \"yes\", \"justification\": \"a\\nb\", \"evidence\": "
     "[{\"citation\": \"C | x\", \"url\": \"https://e.org\", \"date\": \"2011-05-01\"}]},"
     "{\"indicator\": \"CA.2\", \"level\": null}]}]}", NULL,
     "= TH 2009-2012 @0 draft\n  0 PR.1 [yes] {a\nb} <C | x|https://e.org|2011-05-01>\n  0 CA.2 [] {} \n"},
    {"path errors",
     "{\"assessments\": [{\"state\": \"TH\", \"cycle\": \"2009-2012\", \"entries\": ["
     "{\"indicator\": 1, \"level\": \"yes\"}, {\"indicator\": \"PR.2\", \"lvl\": \"no\"},"
     "{\"indicator\": \"PR.3\", \"evidence\": [{\"url\": \"https://e.org\"}, "
     "{\"citation\": \"c\", \"date\": \"May 2011\"}]}]},"
     "{\"state\": \"TH\", \"cycle\": \"2009-2012\", \"entries\": []}, 7,"
     "{\"state\": \"Thailand\", \"cycle\": \"2009-2012\", \"entries\": []}]}", NULL,
     "= TH 2009-2012 @0 bad\n  0 PR.3 [] {} <c||May 2011>\n"
     "! 0 assessments[0].entries[0].indicator: expected a string\n"
     "! 0 assessments[0].entries[1].lvl: unknown key (allowed: see vigil submit --help)\n"
     "! 0 assessments[0].entries[2].evidence[0].citation: missing\n"
     "! 0 assessments[0].entries[2].evidence[1]: date \"May 2011\" is not a date YYYY-MM-DD\n"
     "! 0 assessments[1]: TH 2009-2012 is given twice (also at assessments[0])\n"
     "! 0 assessments[2]: expected an object\n"
     "! 0 assessments[3].state: not an ISO 3166-1 alpha-2 code\n"},
    {"not JSON", "{\"assessments\": [", "line 1, column", NULL},
    {"wrong shape", "{\"assessment\": []}", "one key, \"assessments\"", NULL},
};
/* clang-format on */

Test(sheet, json)
{
    for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++)
        check_case(&json_cases[i], true);
}

/* Evidence cells: the cell, then the items it reads as, or an error. */
static const struct {
    const char *cell, *expect, *error;
} evidence_cases[] = {
    {"", "", NULL},
    {"  \n \r\n", "", NULL},
    {"Only a citation", "<Only a citation||>", NULL},
    {" A | https://a.org ", "<A|https://a.org|>", NULL},
    {"A | http://a.org | 2012-02-29\r\nB | | 1999-12-31",
     "<A|http://a.org|2012-02-29><B||1999-12-31>", NULL},
    {"A | 2011-05-01", "<A||2011-05-01>", NULL},
    {"| https://a.org", NULL, "item 1: no citation"},
    {"A\nB | www.x.org", NULL, "item 2: URL \"www.x.org\""},
    {"A | | 2011-13-01", NULL, "item 1: date \"2011-13-01\""},
    {"A | | 11-05-01", NULL, "is not a date"},
    {"A | b | c | d", NULL, "more than three parts"},
};

Test(sheet, evidence_cells)
{
    for (size_t i = 0; i < sizeof(evidence_cases) / sizeof(evidence_cases[0]); i++) {
        struct sheet_evidence *ev;
        size_t n;
        char err[256] = "", got[1024] = "";
        bool ok = sheet_evidence_parse(evidence_cases[i].cell, &ev, &n, err, sizeof(err));
        if (evidence_cases[i].error != NULL) {
            cr_expect(!ok && strstr(err, evidence_cases[i].error) != NULL,
                      "cell \"%s\": \"%s\", expected error \"%s\"", evidence_cases[i].cell, err,
                      evidence_cases[i].error);
            continue;
        }
        cr_assert(ok, "cell \"%s\": %s", evidence_cases[i].cell, err);
        for (size_t k = 0; k < n; k++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "<%s|%s|%s>", ev[k].citation,
                     ev[k].url, ev[k].date);
        cr_expect_str_eq(got, evidence_cases[i].expect, "cell \"%s\"", evidence_cases[i].cell);
        sheet_evidence_free(ev, n);
    }
}

/* Formatting then parsing gives the items back. */
Test(sheet, evidence_round_trip)
{
    Vigil__V1__Evidence a = VIGIL__V1__EVIDENCE__INIT, b = VIGIL__V1__EVIDENCE__INIT,
                        c = VIGIL__V1__EVIDENCE__INIT, d = VIGIL__V1__EVIDENCE__INIT;
    a.citation = "Loi n° 2010-272, art. 3";
    a.url = "https://example.org/a?x=1,2";
    a.date = "2010-09-30";
    b.citation = "กฎหมาย";
    c.citation = "Only date";
    c.date = "2011-01-02";
    d.citation = "Only URL";
    d.url = "http://example.org";
    Vigil__V1__Evidence *items[] = {&a, &b, &c, &d};
    char *cell = sheet_evidence_format(items, 4);
    cr_assert_str_eq(cell, "Loi n° 2010-272, art. 3 | https://example.org/a?x=1,2 | 2010-09-30\n"
                           "กฎหมาย\nOnly date | | 2011-01-02\nOnly URL | http://example.org");
    struct sheet_evidence *ev;
    size_t n;
    char err[256];
    cr_assert(sheet_evidence_parse(cell, &ev, &n, err, sizeof(err)), "%s", err);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(ev[i].citation, items[i]->citation);
        cr_expect_str_eq(ev[i].url, items[i]->url);
        cr_expect_str_eq(ev[i].date, items[i]->date);
    }
    sheet_evidence_free(ev, n);
    free(cell);
}

Test(sheet, issues_print_sorted_with_where)
{
    struct sheet s;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    sheet_init(&s, "a.csv");
    sheet_issue(&s, -1, 9, NULL, "level", "nine");
    sheet_issue(&s, -1, 3, NULL, NULL, "three");
    sheet_issue(&s, -1, 0, "assessments[1].entries[2]", "level", "json");
    sheet_print_issues(&s, f);
    fclose(f);
    cr_expect_str_eq(buf, "a.csv: assessments[1].entries[2].level: json\na.csv:3: three\n"
                          "a.csv:9: level: nine\n");
    free(buf);
    sheet_clear(&s);
}

Test(sheet, utf8)
{
    cr_expect(sheet_utf8_valid("Côte d'Ivoire ไทย عربي 𝄞", strlen("Côte d'Ivoire ไทย عربي 𝄞")));
    cr_expect(!sheet_utf8_valid("\xC0\xAF", 2));         /* overlong */
    cr_expect(!sheet_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    cr_expect(!sheet_utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
    cr_expect(!sheet_utf8_valid("abc\xE2\x82", 5));      /* cut short */
}
