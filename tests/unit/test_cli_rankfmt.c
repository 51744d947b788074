/* Unit tests of client/cli/rankfmt: ranks with ties, movement, reasons and
 * percentages as tables of cases (input beside expected output), the CSV
 * columns and rows of a crafted ranking, and the alignment of the terminal
 * table with multi-byte names and arrows. */
#include "output.h"
#include "pbjson.h"
#include "rankfmt.h"

#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ProtobufCMessage *decode(const char *text, const ProtobufCMessageDescriptor *d)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ProtobufCMessage *m = NULL;
    char err[256];

    cr_assert_not_null(j, "%s: %s", je.text, text);
    cr_assert(pbjson_decode(j, d, &m, err, sizeof(err)), "%s", err);
    json_decref(j);
    return m;
}

static const char methodology_json[] =
    "{\"code\": \"m\", \"min_coverage\": \"0.75\","
    " \"areas\": [{\"code\": \"PR\", \"name\": \"Protection\", \"weight\": 1},"
    "             {\"code\": \"CA\", \"name\": \"Care\", \"weight\": 1}]}";

Test(rankfmt, ranks_show_ties_with_an_equals_sign)
{
    static const struct {
        int rank;
        bool tied;
        const char *want;
    } cases[] = {
        {1, false, "1"}, {5, true, "=5"}, {42, false, "42"}, {0, false, ""}, {0, true, ""}};
    char buf[16];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rankfmt_rank(cases[i].rank, cases[i].tied, buf, sizeof(buf));
        cr_expect_str_eq(buf, cases[i].want, "rank %d tied %d", cases[i].rank, cases[i].tied);
    }
}

Test(rankfmt, movement_for_people_and_for_scripts)
{
    static const struct {
        const char *json; /* NULL = no movement message */
        const char *text, *kind;
    } cases[] = {
        {NULL, "", ""},
        {"{\"kind\": \"none\"}", "", ""},
        {"{\"kind\": \"delta\", \"rank_delta\": 3}",
         "\xe2\x96\xb2"
         "3",
         "delta"},
        {"{\"kind\": \"delta\", \"rank_delta\": -1}",
         "\xe2\x96\xbc"
         "1",
         "delta"},
        {"{\"kind\": \"delta\"}", "=", "delta"},
        {"{\"kind\": \"delta\", \"rank_delta\": 2, \"band_delta\": 1}",
         "\xe2\x96\xb2"
         "2 (band \xe2\x96\xb2"
         "1)",
         "delta"},
        {"{\"kind\": \"delta\", \"rank_delta\": 0, \"band_delta\": -2}",
         "= (band \xe2\x96\xbc"
         "2)",
         "delta"},
        {"{\"kind\": \"new\"}", "new", "new"},
        {"{\"kind\": \"not_comparable\"}", "n/c", "not_comparable"},
    };
    char buf[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ProtobufCMessage *m =
            cases[i].json ? decode(cases[i].json, &vigil__v1__movement__descriptor) : NULL;
        rankfmt_movement((Vigil__V1__Movement *)m, buf, sizeof(buf));
        cr_expect_str_eq(buf, cases[i].text, "case %zu", i);
        cr_expect_str_eq(rankfmt_movement_kind((Vigil__V1__Movement *)m), cases[i].kind, "case %zu",
                         i);
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
    }
}

Test(rankfmt, minimum_coverage_as_a_percentage)
{
    static const char *const cases[][2] = {
        {"0.75", "75"}, {"1", "100"},       {"", "100"},   {"0.755", "75.5"},
        {"0.7", "70"},  {"0.0625", "6.25"}, {"0.05", "5"}, {"1.0", "100"},
        {"abc", "?"},   {"1.", "?"},        {".5", "?"},
    };
    char buf[32];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rankfmt_percent(cases[i][0], buf, sizeof(buf));
        cr_expect_str_eq(buf, cases[i][1], "\"%s\"", cases[i][0]);
    }
}

Test(rankfmt, reasons_name_the_area_and_the_minimum)
{
    static const struct {
        const char *json;
        bool with_methodology;
        const char *want;
    } cases[] = {
        {"{\"state\": \"TH\", \"reasons\": [{\"reason\": \"not_approved\"}]}", true,
         "not approved"},
        {"{\"state\": \"TH\", \"reasons\": [{\"reason\": \"area_unrated\", \"area\": \"CA\"},"
         " {\"reason\": \"coverage\"}], \"coverage\": {\"text\": \"62.50\", \"num\": 125, "
         "\"den\": 2}}",
         true, "no rated indicator in Care; coverage 62.50% below 75%"},
        {"{\"state\": \"TH\", \"reasons\": [{\"reason\": \"area_unrated\", \"area\": \"PR\"},"
         " {\"reason\": \"area_unrated\", \"area\": \"CA\"}, {\"reason\": \"coverage\"}],"
         " \"coverage\": {\"text\": \"0.00\", \"num\": 0, \"den\": 1}}",
         false,
         "no rated indicator in PR; no rated indicator in CA; coverage 0.00% below the "
         "minimum"},
    };
    Vigil__V1__Methodology *m =
        (Vigil__V1__Methodology *)decode(methodology_json, &vigil__v1__methodology__descriptor);
    char buf[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ProtobufCMessage *u = decode(cases[i].json, &vigil__v1__unranked_state__descriptor);
        rankfmt_reasons((Vigil__V1__UnrankedState *)u, cases[i].with_methodology ? m : NULL, buf,
                        sizeof(buf));
        cr_expect_str_eq(buf, cases[i].want, "case %zu", i);
        protobuf_c_message_free_unpacked(u, NULL);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* Three ranked states, two of them tied, one not ranked; a region filter. */
#define FIG(t, n, d) "{\"text\": \"" t "\", \"num\": " #n ", \"den\": " #d "}"
#define AREAS(pr, ca)                                                                              \
    "[{\"area\": \"PR\", \"score\": " pr ", \"rank\": 1}, {\"area\": \"CA\", \"score\": " ca       \
    ", \"rank\": 2}]"
static const char ranking_json[] =
    "{\"cycle\": \"2009-2012\", \"methodology\": \"m\", \"view\": \"published\", \"version\": 2,"
    " \"published_at\": \"2026-03-29T07:00:00Z\", \"digest\": "
    "\"3fa2c1d09b7e0123456789abcdef0123456789abcdef0123456789abcdef0123\","
    " \"region\": \"142\","
    " \"ranked\": ["
    "  {\"rank\": 1, \"state\": \"TH\", \"state_name\": \"Thailand\", \"region\": \"035\","
    "   \"overall\": " FIG("66.67", 200, 3) ", \"areas\": " AREAS(
        FIG("100.00", 100, 1),
        FIG("33.33", 100,
            3)) ","
                "   \"band\": \"some progress\", \"band_position\": 1, \"coverage\": " FIG(
                    "100.00", 100,
                    1) ","
                       "   \"movement\": {\"kind\": \"delta\", \"rank_delta\": 3, \"band_delta\": "
                       "1},"
                       "   \"region_rank\": 1},"
                       "  {\"rank\": 2, \"tied\": true, \"state\": \"CI\", \"state_name\": "
                       "\"C\\u00f4te d'Ivoire\","
                       "   \"region\": \"011\", \"overall\": " FIG(
                           "50.00", 50,
                           1) ", \"areas\": " AREAS(FIG("50.00", 50, 1),
                                                    FIG("50.00", 50,
                                                        1)) ","
                                                            "   \"band\": \"some progress\", "
                                                            "\"band_position\": 1, "
                                                            "\"coverage\": " FIG(
                                                                "93.75", 375,
                                                                4) ","
                                                                   "   \"movement\": {\"kind\": "
                                                                   "\"new\"}, \"region_rank\": 2, "
                                                                   "\"region_tied\": true},"
                                                                   "  {\"rank\": 2, \"tied\": "
                                                                   "true, \"state\": \"TR\", "
                                                                   "\"state_name\": "
                                                                   "\"T\\u00fcrkiye\","
                                                                   "   \"region\": \"145\", "
                                                                   "\"overall\": " FIG("50.00", 50, 1) ", \"areas\": " AREAS(
                                                                       FIG("75.00", 75, 1),
                                                                       FIG("25.00", 25,
                                                                           1)) ","
                                                                               "   \"band\": "
                                                                               "\"some progress\", "
                                                                               "\"band_position\": "
                                                                               "1, "
                                                                               "\"coverage\": " FIG(
                                                                                   "75.00", 75,
                                                                                   1) ","
                                                                                      "   "
                                                                                      "\"movement\""
                                                                                      ": "
                                                                                      "{\"kind\": "
                                                                                      "\"delta\", "
                                                                                      "\"rank_"
                                                                                      "delta\": "
                                                                                      "-1}, "
                                                                                      "\"region_"
                                                                                      "rank\": 2,"
                                                                                      "   "
                                                                                      "\"region_"
                                                                                      "tied\": "
                                                                                      "true}],"
                                                                                      " \"not_"
                                                                                      "ranked\": "
                                                                                      "[{\"state\":"
                                                                                      " \"VN\", "
                                                                                      "\"state_"
                                                                                      "name\": "
                                                                                      "\"Viet "
                                                                                      "Nam\", "
                                                                                      "\"region\": "
                                                                                      "\"035\","
                                                                                      "   "
                                                                                      "\"reasons\":"
                                                                                      " [{"
                                                                                      "\"reason\": "
                                                                                      "\"area_"
                                                                                      "unrated\", "
                                                                                      "\"area\": "
                                                                                      "\"CA\"}, "
                                                                                      "{\"reason\":"
                                                                                      " "
                                                                                      "\"coverage\""
                                                                                      "}],"
                                                                                      "   "
                                                                                      "\"coverage\""
                                                                                      ": " FIG(
                                                                                          "62.50",
                                                                                          125,
                                                                                          2) "}]}";

/* Prints rows of r as format f into a string (free it). */
static char *render(const Vigil__V1__Ranking *r, const Vigil__V1__Methodology *m,
                    enum output_format f, bool csv)
{
    size_t ncols = 0, len = 0;
    struct output_column *cols = rankfmt_columns(r, m, csv, &ncols);
    struct output *out = output_new(f, cols, ncols);
    char *text = NULL, err[128];
    FILE *mem = open_memstream(&text, &len);

    cr_assert_not_null(cols);
    cr_assert(rankfmt_rows(out, r, m, csv));
    cr_assert(output_print_list(out, mem, err, sizeof(err)), "%s", err);
    fclose(mem);
    output_free(out);
    free(cols);
    return text;
}

Test(rankfmt, csv_has_the_documented_columns_and_every_state)
{
    Vigil__V1__Ranking *r =
        (Vigil__V1__Ranking *)decode(ranking_json, &vigil__v1__ranking__descriptor);
    Vigil__V1__Methodology *m =
        (Vigil__V1__Methodology *)decode(methodology_json, &vigil__v1__methodology__descriptor);
    char *csv = render(r, m, OUTPUT_CSV, true);

    cr_assert_str_eq(
        csv,
        "rank,tied,state,state_name,region,band,overall,overall_num,overall_den,PR,CA,coverage,"
        "movement,rank_delta,band_delta,region_rank,region_tied,reasons\n"
        "1,false,TH,Thailand,035,some progress,66.67,200,3,100.00,33.33,100.00,delta,3,1,1,false,\n"
        "2,true,CI,C\xc3\xb4te d'Ivoire,011,some progress,50.00,50,1,50.00,50.00,93.75,new,,,2,"
        "true,\n"
        "2,true,TR,T\xc3\xbcrkiye,145,some progress,50.00,50,1,75.00,25.00,75.00,delta,-1,0,2,"
        "true,\n"
        ",,VN,Viet Nam,035,,,,,,,62.50,,,,,,no rated indicator in Care; coverage 62.50% below "
        "75%\n");
    free(csv);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

Test(rankfmt, csv_without_methodology_takes_the_areas_of_the_first_state)
{
    Vigil__V1__Ranking *r =
        (Vigil__V1__Ranking *)decode(ranking_json, &vigil__v1__ranking__descriptor);
    char *csv = render(r, NULL, OUTPUT_CSV, true);

    cr_assert(strncmp(csv,
                      "rank,tied,state,state_name,region,band,overall,overall_num,"
                      "overall_den,PR,CA,coverage,",
                      strlen("rank,tied,state,state_name,region,band,overall,overall_num,"
                             "overall_den,PR,CA,coverage,")) == 0,
              "%s", csv);
    cr_assert_not_null(strstr(csv, "coverage 62.50% below the minimum\n"), "%s", csv);
    free(csv);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* Display columns of s[0..len) (every code point here is one column wide). */
static size_t columns(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

Test(rankfmt, table_aligns_multibyte_names_and_arrows)
{
    Vigil__V1__Ranking *r =
        (Vigil__V1__Ranking *)decode(ranking_json, &vigil__v1__ranking__descriptor);
    char title[256];

    setlocale(LC_CTYPE, "C.UTF-8");
    char *table = render(r, NULL, OUTPUT_TABLE, false);
    /* The "band" column, then "in region" after the movement arrows. */
    const char *lines[5];
    size_t n = 0;
    for (char *p = table; *p && n < 5; p = strchr(p, '\n') + 1)
        lines[n++] = p;
    cr_assert_eq(n, 4, "%s", table); /* header and the ranked states only */
    cr_assert(strncmp(lines[0], "rank  state  name ", 18) == 0, "%s", table);
    size_t band_at = columns(lines[0], (size_t)(strstr(lines[0], "band") - lines[0]));
    size_t region_at = columns(lines[0], (size_t)(strstr(lines[0], "in region") - lines[0]));
    for (size_t i = 1; i < n; i++) {
        const char *b = strstr(lines[i], "some progress");
        cr_assert_not_null(b);
        cr_expect_eq(columns(lines[i], (size_t)(b - lines[i])), band_at, "line %zu: %s", i, table);
        const char *end = strchr(lines[i], '\n');
        const char *rr = end;
        while (rr > lines[i] && rr[-1] != ' ')
            rr--;
        cr_expect_eq(columns(lines[i], (size_t)(rr - lines[i])), region_at, "line %zu: %s", i,
                     table);
    }
    cr_expect_not_null(strstr(lines[1], "\xe2\x96\xb2"
                                        "3 (band \xe2\x96\xb2"
                                        "1)"));
    cr_expect_not_null(strstr(lines[2], "=2 "));
    cr_expect_not_null(strstr(lines[3], "\xe2\x96\xbc"
                                        "1 "));
    rankfmt_title(r, title, sizeof(title));
    cr_expect_str_eq(title, "Ranking of 2009-2012 (m), version 2, published 2026-03-29T07:00:00Z, "
                            "digest 3fa2c1d09b7e, region 142");
    free(table);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rankfmt, the_live_title_says_so)
{
    Vigil__V1__Ranking *r = (Vigil__V1__Ranking *)decode(
        "{\"cycle\": \"2009-2012\", \"methodology\": \"m\", \"view\": \"live\", \"area\": \"CA\"}",
        &vigil__v1__ranking__descriptor);
    char title[256];

    rankfmt_title(r, title, sizeof(title));
    cr_expect_str_eq(title, "Ranking of 2009-2012 (m) (live), ranked on area CA");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
