/* Unit tests of client/cli/rankagg: the --conditional argument (labels and
 * codes, errors) as a table of cases, the facts' query and its detection,
 * the sentence built from the figures, and the CSV rows with their N. */
#include "output.h"
#include "pbjson.h"
#include "rankagg.h"

#include <criterion/criterion.h>
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

/* CA.1 yes/partial/no; CA.2 on the adequacy scale. */
static const char methodology_json[] =
    "{\"code\": \"ecpat-test\", \"min_coverage\": \"0.75\","
    " \"areas\": [{\"code\": \"CA\", \"name\": \"Care\", \"weight\": 1}],"
    " \"scales\": ["
    "  {\"code\": \"ypn\", \"levels\": ["
    "    {\"code\": \"yes\", \"label\": \"yes\", \"has_value\": true, \"value\": 2},"
    "    {\"code\": \"partial\", \"label\": \"partial\", \"has_value\": true, \"value\": 1},"
    "    {\"code\": \"no\", \"label\": \"no\", \"has_value\": true, \"value\": 0},"
    "    {\"code\": \"no_data\", \"label\": \"no data\"}]},"
    "  {\"code\": \"adequacy\", \"levels\": ["
    "    {\"code\": \"none\", \"label\": \"none\", \"has_value\": true, \"value\": 0},"
    "    {\"code\": \"woefully_inadequate\", \"label\": \"woefully inadequate\", \"has_value\": "
    "true, \"value\": 1},"
    "    {\"code\": \"adequate\", \"label\": \"adequate\", \"has_value\": true, \"value\": 2},"
    "    {\"code\": \"no_data\", \"label\": \"no data\"}]}],"
    " \"indicators\": ["
    "  {\"code\": \"CA.1\", \"area\": \"CA\", \"scale\": \"ypn\", \"weight\": 1},"
    "  {\"code\": \"CA.2\", \"area\": \"CA\", \"scale\": \"adequacy\", \"weight\": 1,"
    "   \"applies_when\": {\"indicator\": \"CA.1\", \"levels\": [\"yes\", \"partial\"]}}],"
    " \"bands\": [{\"name\": \"good\", \"min_score\": \"50\"}, {\"name\": \"bad\", \"min_score\": "
    "\"0\"}]}";

static Vigil__V1__Methodology *methodology(void)
{
    return (Vigil__V1__Methodology *)decode(methodology_json, &vigil__v1__methodology__descriptor);
}

/* The query as "T=a,b|G=c" (codes), for comparing. */
static void query_text(const Vigil__V1__ConditionalQuery *q, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "%s=", q->target);
    for (size_t i = 0; i < q->n_target_levels; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", q->target_levels[i]);
    used += (size_t)snprintf(buf + used, cap - used, "|%s=", q->given);
    for (size_t i = 0; i < q->n_given_levels; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", q->given_levels[i]);
}

Test(rankagg, conditional_arguments_by_label_or_code)
{
    static const struct {
        const char *arg;
        bool with_methodology;
        const char *want;  /* the query, codes; NULL = refused */
        const char *error; /* expected part of the message when refused */
    } cases[] = {
        {"CA.2=woefully_inadequate|CA.1=yes,partial", true,
         "CA.2=woefully_inadequate|CA.1=yes,partial", NULL},
        {"CA.2=woefully inadequate|CA.1=yes,partial", true,
         "CA.2=woefully_inadequate|CA.1=yes,partial", NULL},
        {" ca.2 = Woefully Inadequate , adequate | ca.1 = YES ", true,
         "CA.2=woefully_inadequate,adequate|CA.1=yes", NULL},
        {"CA.1=no|CA.1=yes,partial,no", true, "CA.1=no|CA.1=yes,partial,no", NULL},
        {"X.9=a b|Y=c", false, "X.9=a b|Y=c", NULL},
        {"CA.2=woefully_inadequate", true, NULL, "expected TARGET=LEVELS|GIVEN=LEVELS"},
        {"CA.2=a|CA.1=b|CA.3=c", true, NULL, "expected TARGET=LEVELS|GIVEN=LEVELS"},
        {"CA.2|CA.1=yes", true, NULL, "expected INDICATOR=LEVELS in \"CA.2\""},
        {"=yes|CA.1=yes", true, NULL, "expected INDICATOR=LEVELS"},
        {"CA.9=yes|CA.1=yes", true, NULL, "unknown indicator \"CA.9\""},
        {"CA.2=maybe|CA.1=yes", true, NULL,
         "CA.2: \"maybe\" is not one of its levels (none; woefully inadequate; adequate; no data)"},
        {"CA.2=no data|CA.1=yes", true, NULL, "CA.2: \"no data\" is not a valued level"},
        {"CA.2=adequate,|CA.1=yes", true, NULL, "CA.2: an empty level"},
    };
    Vigil__V1__Methodology *m = methodology();
    char err[1024], got[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Vigil__V1__ConditionalQuery *q =
            rankagg_parse(cases[i].arg, cases[i].with_methodology ? m : NULL, err, sizeof(err));
        if (cases[i].want == NULL) {
            cr_expect_null(q, "case %zu accepted", i);
            cr_expect_not_null(strstr(err, cases[i].error), "case %zu: %s", i, err);
            cr_expect_not_null(strstr(err, "--conditional \""), "case %zu: %s", i, err);
            continue;
        }
        cr_assert_not_null(q, "case %zu: %s", i, err);
        query_text(q, got, sizeof(got));
        cr_expect_str_eq(got, cases[i].want, "case %zu", i);
        protobuf_c_message_free_unpacked(&q->base, NULL);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

Test(rankagg, the_facts_query_and_when_it_applies)
{
    Vigil__V1__Methodology *m = methodology();
    Vigil__V1__ConditionalQuery *f = rankagg_facts_query(), *g;
    char err[256], got[128];

    query_text(f, got, sizeof(got));
    cr_expect_str_eq(got, "CA.2=woefully_inadequate|CA.1=yes,partial");
    cr_expect(rankagg_has_facts(m));
    cr_expect_not(rankagg_has_facts(NULL));
    g = rankagg_parse("CA.2=woefully inadequate|CA.1=partial,yes", m, err, sizeof(err));
    cr_expect(rankagg_same_query(f, g), "the same sets, in another order");
    protobuf_c_message_free_unpacked(&g->base, NULL);
    g = rankagg_parse("CA.2=woefully inadequate|CA.1=yes", m, err, sizeof(err));
    cr_expect_not(rankagg_same_query(f, g));
    protobuf_c_message_free_unpacked(&g->base, NULL);
    protobuf_c_message_free_unpacked(&f->base, NULL);
    /* A methodology without CA.2 has no facts. */
    m->n_indicators = 1;
    cr_expect_not(rankagg_has_facts(m));
    m->n_indicators = 2;
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

#define FIG(t, n, d) "{\"text\": \"" t "\", \"num\": " #n ", \"den\": " #d "}"
/* 38 states with a valued CA.1 (5 no); 34 with CA.1 yes or partial and a
 * valued CA.2, 26 of them woefully inadequate. */
static const char aggregates_json[] =
    "{\"cycle\": \"2009-2012\", \"version\": 1, \"indicators\": ["
    " {\"indicator\": \"CA.1\", \"levels\": ["
    "   {\"level\": \"yes\", \"count\": 20, \"share\": " FIG(
        "52.63", 1000,
        19) "},"
            "   {\"level\": \"partial\", \"count\": 13, \"share\": " FIG(
                "34.21", 650,
                19) "},"
                    "   {\"level\": \"no\", \"count\": 5, \"share\": " FIG(
                        "13.16", 250,
                        19) "}],"
                            "  \"no_data\": 3, \"not_assessed\": 1, \"not_applicable\": 0, \"n\": "
                            "38, \"counted\": 42},"
                            " {\"indicator\": \"CA.2\", \"levels\": ["
                            "   {\"level\": \"none\", \"count\": 2, \"share\": " FIG(
                                "5.88", 100,
                                17) "},"
                                    "   {\"level\": \"woefully_inadequate\", \"count\": 26, "
                                    "\"share\": " FIG(
                                        "76.47", 1300,
                                        17) "},"
                                            "   {\"level\": \"adequate\", \"count\": 6, "
                                            "\"share\": " FIG(
                                                "17.65", 300,
                                                17) "}],"
                                                    "  \"no_data\": 0, \"not_assessed\": 0, "
                                                    "\"not_applicable\": 8, \"n\": 34, "
                                                    "\"counted\": 42}],"
                                                    " \"conditionals\": [{\"query\": {\"target\": "
                                                    "\"CA.2\", \"target_levels\": "
                                                    "[\"woefully_inadequate\"], \"given\": "
                                                    "\"CA.1\", \"given_levels\": [\"partial\", "
                                                    "\"yes\"]},"
                                                    "  \"count\": 26, \"n\": 34, \"share\": " FIG(
                                                        "76.47", 1300, 17) "}]}";

Test(rankagg, the_sentence_is_read_off_the_figures)
{
    Vigil__V1__GetAggregatesResponse *r = (Vigil__V1__GetAggregatesResponse *)decode(
        aggregates_json, &vigil__v1__get_aggregates_response__descriptor);
    char buf[512];

    cr_assert(rankagg_sentence(r, buf, sizeof(buf)));
    cr_expect_str_eq(buf, "13.16% of states with data have no services (CA.1 = no; N = 38); of "
                          "those that do, 76.47% are woefully inadequate (CA.2; N = 34)");
    cr_expect(rankagg_answer_has_facts(r));
    /* No state with data: the N says so, no share is invented. */
    r->indicators[0]->n = 0;
    r->conditionals[0]->n = 0;
    cr_assert(rankagg_sentence(r, buf, sizeof(buf)));
    cr_expect_str_eq(buf, "no state has data on services (CA.1; N = 0); of those that do, none "
                          "has a rated CA.2 (N = 0)");
    /* Without the facts' conditional there is no sentence. */
    char *yes = r->conditionals[0]->query->given_levels[1];
    r->conditionals[0]->query->given_levels[1] = (char *)"no";
    cr_expect_not(rankagg_sentence(r, buf, sizeof(buf)));
    cr_expect_str_eq(buf, "");
    r->conditionals[0]->query->given_levels[1] = yes;
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static char *print(struct output *out)
{
    char *text = NULL, err[128];
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    cr_assert(output_print_list(out, mem, err, sizeof(err)), "%s", err);
    fclose(mem);
    output_free(out);
    return text;
}

Test(rankagg, csv_rows_carry_their_n)
{
    Vigil__V1__GetAggregatesResponse *r = (Vigil__V1__GetAggregatesResponse *)decode(
        aggregates_json, &vigil__v1__get_aggregates_response__descriptor);
    struct output *out = output_new(OUTPUT_CSV, rankagg_columns, 8);

    cr_assert(rankagg_rows(out, r));
    char *csv = print(out);
    cr_expect_str_eq(csv, "indicator,levels,given,given_levels,count,n,share,counted\n"
                          "CA.1,yes,,,20,38,52.63,42\n"
                          "CA.1,partial,,,13,38,34.21,42\n"
                          "CA.1,no,,,5,38,13.16,42\n"
                          "CA.1,no_data,,,3,,,42\n"
                          "CA.1,not_assessed,,,1,,,42\n"
                          "CA.1,not_applicable,,,0,,,42\n"
                          "CA.2,none,,,2,34,5.88,42\n"
                          "CA.2,woefully_inadequate,,,26,34,76.47,42\n"
                          "CA.2,adequate,,,6,34,17.65,42\n"
                          "CA.2,no_data,,,0,,,42\n"
                          "CA.2,not_assessed,,,0,,,42\n"
                          "CA.2,not_applicable,,,8,,,42\n"
                          "CA.2,woefully_inadequate,CA.1,\"partial,yes\",26,34,76.47,\n");
    free(csv);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

Test(rankagg, table_rows_use_labels)
{
    Vigil__V1__GetAggregatesResponse *r = (Vigil__V1__GetAggregatesResponse *)decode(
        aggregates_json, &vigil__v1__get_aggregates_response__descriptor);
    Vigil__V1__Methodology *m = methodology();
    struct output *out = output_new(OUTPUT_CSV, rankagg_table_columns, 7);

    cr_assert(rankagg_table_rows(out, r, m));
    char *text = print(out);
    cr_expect_not_null(strstr(text, "CA.2,34,\"none 2 (5.88%), woefully inadequate 26 (76.47%), "
                                    "adequate 6 (17.65%)\",0,0,8,42\n"),
                       "%s", text);
    free(text);
    out = output_new(OUTPUT_CSV, rankagg_conditional_columns, 7);
    cr_assert(rankagg_conditional_rows(out, r, m));
    text = print(out);
    cr_expect_str_eq(text, "share of,levels,among,given levels,count,N,share\n"
                           "CA.2,woefully inadequate,CA.1,partial or yes,26,34,76.47%\n");
    free(text);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
