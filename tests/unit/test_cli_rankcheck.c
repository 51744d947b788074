/* Unit tests of client/cli/rankcheck, the comparison of `vigil verify`: a
 * crafted inputs document, the ranking and aggregates a correct server
 * publishes for it (written out by hand from the rules), and one alteration
 * per case beside the line it must produce. */
#include "canon.h"
#include "pbjson.h"
#include "rankcheck.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two areas; CA.2 applies when CA.1 is yes or partial. CI 87.50 (PR 100, CA
 * 75) is first; FR and NL tie at 25.00 (PR 50, CA 0); TH has no approved
 * revision; VN has no rated CA indicator and coverage 1/2 < 0.75. */
static const char inputs_json[] =
    "{\"format\":\"vigil-ranking-inputs/1\",\"cycle\":\"2009-2012\","
    "\"predecessor\":{\"cycle\":\"2005-2008\",\"digest\":\"ab\",\"version\":1},"
    "\"methodology\":{\"code\":\"m\",\"name\":\"M\",\"description\":\"\",\"min_coverage\":\"0.75\","
    "\"areas\":[{\"code\":\"PR\",\"name\":\"Protection\",\"weight\":1},"
    "{\"code\":\"CA\",\"name\":\"Care\",\"weight\":1}],"
    "\"scales\":[{\"code\":\"ypn\",\"levels\":["
    "{\"code\":\"yes\",\"label\":\"yes\",\"has_value\":true,\"value\":2},"
    "{\"code\":\"partial\",\"label\":\"partial\",\"has_value\":true,\"value\":1},"
    "{\"code\":\"no\",\"label\":\"no\",\"has_value\":true,\"value\":0},"
    "{\"code\":\"no_data\",\"label\":\"no data\",\"has_value\":false,\"value\":0}]}],"
    "\"indicators\":["
    "{\"code\":\"PR.1\",\"area\":\"PR\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"\","
    "\"call_to_action\":\"\",\"source\":\"\",\"applies_when\":null},"
    "{\"code\":\"CA.1\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"\","
    "\"call_to_action\":\"\",\"source\":\"\",\"applies_when\":null},"
    "{\"code\":\"CA.2\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"\","
    "\"call_to_action\":\"\",\"source\":\"\","
    "\"applies_when\":{\"indicator\":\"CA.1\",\"levels\":[\"yes\",\"partial\"]}}],"
    "\"bands\":[{\"name\":\"good\",\"min_score\":\"50\"},{\"name\":\"poor\",\"min_score\":\"0\"}]},"
    "\"states\":["
    "{\"code\":\"CI\",\"name\":\"C\\u00f4te d'Ivoire\",\"region\":\"011\",\"revision\":2,"
    "\"levels\":{\"PR.1\":\"yes\",\"CA.1\":\"yes\",\"CA.2\":\"partial\"}},"
    "{\"code\":\"FR\",\"name\":\"France\",\"region\":\"155\",\"revision\":1,"
    "\"levels\":{\"PR.1\":\"partial\",\"CA.1\":\"no\"}},"
    "{\"code\":\"NL\",\"name\":\"Netherlands\",\"region\":\"155\",\"revision\":1,"
    "\"levels\":{\"PR.1\":\"partial\",\"CA.1\":\"no\"}},"
    "{\"code\":\"TH\",\"name\":\"Thailand\",\"region\":\"035\",\"revision\":0,\"levels\":{}},"
    "{\"code\":\"VN\",\"name\":\"Viet Nam\",\"region\":\"035\",\"revision\":1,"
    "\"levels\":{\"PR.1\":\"yes\",\"CA.1\":\"no_data\"}}]}";

#define FIG(t, n, d) "{\"text\":\"" t "\",\"num\":" #n ",\"den\":" #d "}"
#define AREA(a, fig, rank, tied)                                                                   \
    "{\"area\":\"" a "\",\"score\":" fig ",\"rank\":" #rank ",\"tied\":" #tied "}"

static const char ranking_json[] =
    "{\"cycle\":\"2009-2012\",\"methodology\":\"m\",\"view\":\"published\",\"version\":1,"
    "\"published_at\":\"2026-01-01T00:00:00Z\",\"digest\":\"d\","
    "\"bands\":[{\"name\":\"good\",\"min_score\":\"50\"},{\"name\":\"poor\",\"min_score\":\"0\"}],"
    "\"ranked\":["
    "{\"rank\":1,\"tied\":false,\"state\":\"CI\",\"state_name\":\"C\\u00f4te d'Ivoire\","
    "\"region\":\"011\",\"overall\":" FIG(
        "87.50", 175,
        2) ","
           "\"areas\":[" AREA("PR", FIG("100.00", 100, 1), 1, false) "," AREA(
               "CA", FIG("75.00", 75, 1), 1,
               false) "],"
                      "\"band\":\"good\",\"band_position\":0,\"coverage\":" FIG(
                          "100.00", 100,
                          1) ","
                             "\"movement\":{\"kind\":\"delta\",\"rank_delta\":1,\"band_delta\":1}},"
                             "{\"rank\":2,\"tied\":true,\"state\":\"FR\",\"state_name\":\"France\","
                             "\"region\":\"155\","
                             "\"overall\":" FIG(
                                 "25.00", 25,
                                 1) ","
                                    "\"areas\":[" AREA("PR", FIG("50.00", 50, 1), 2, true) "," AREA(
                                        "CA", FIG("0.00", 0, 1), 2,
                                        true) "],"
                                              "\"band\":\"poor\",\"band_position\":1,"
                                              "\"coverage\":" FIG(
                                                  "100.00", 200,
                                                  2) ","
                                                     "\"movement\":{\"kind\":\"delta\",\"rank_"
                                                     "delta\":-1,\"band_delta\":-1}},"
                                                     "{\"rank\":2,\"tied\":true,\"state\":\"NL\","
                                                     "\"state_name\":\"Netherlands\",\"region\":"
                                                     "\"155\","
                                                     "\"overall\":" FIG(
                                                         "25.00", 25,
                                                         1) ","
                                                            "\"areas\":[" AREA(
                                                                "PR", FIG("50.00", 50, 1), 2,
                                                                true) "," AREA("CA",
                                                                               FIG("0.00", 0, 1), 2,
                                                                               true) "],"
                                                                                     "\"band\":"
                                                                                     "\"poor\","
                                                                                     "\"band_"
                                                                                     "position\":1,"
                                                                                     "\"coverage\""
                                                                                     ":" FIG(
                                                                                         "100.00",
                                                                                         100,
                                                                                         1) ","
                                                                                            "\"move"
                                                                                            "ment\""
                                                                                            ":{"
                                                                                            "\"kind"
                                                                                            "\":"
                                                                                            "\"new"
                                                                                            "\"}}],"
                                                                                            "\"not_"
                                                                                            "ranked"
                                                                                            "\":["
                                                                                            "{\"sta"
                                                                                            "te\":"
                                                                                            "\"TH\""
                                                                                            ",\"sta"
                                                                                            "te_"
                                                                                            "name\""
                                                                                            ":\"Tha"
                                                                                            "iland"
                                                                                            "\","
                                                                                            "\"regi"
                                                                                            "on\":"
                                                                                            "\"035"
                                                                                            "\","
                                                                                            "\"reas"
                                                                                            "ons\":"
                                                                                            "[{"
                                                                                            "\"reas"
                                                                                            "on\":"
                                                                                            "\"not_"
                                                                                            "approv"
                                                                                            "ed\"}]"
                                                                                            "},"
                                                                                            "{\"sta"
                                                                                            "te\":"
                                                                                            "\"VN\""
                                                                                            ",\"sta"
                                                                                            "te_"
                                                                                            "name\""
                                                                                            ":\"Vie"
                                                                                            "t "
                                                                                            "Nam\","
                                                                                            "\"regi"
                                                                                            "on\":"
                                                                                            "\"035"
                                                                                            "\","
                                                                                            "\"reas"
                                                                                            "ons\":"
                                                                                            "[{"
                                                                                            "\"reas"
                                                                                            "on\":"
                                                                                            "\"area"
                                                                                            "_unrat"
                                                                                            "ed\","
                                                                                            "\"area"
                                                                                            "\":"
                                                                                            "\"CA\""
                                                                                            "},{"
                                                                                            "\"reas"
                                                                                            "on\":"
                                                                                            "\"cove"
                                                                                            "rage\""
                                                                                            "}],"
                                                                                            "\"cove"
                                                                                            "rage\""
                                                                                            ":" FIG(
                                                                                                "50"
                                                                                                ".0"
                                                                                                "0",
                                                                                                50,
                                                                                                1) "}]}";

/* The predecessor: FR first, CI second, NL not ranked. */
static const char pred_json[] =
    "{\"cycle\":\"2005-2008\",\"methodology\":\"m\",\"version\":1,\"digest\":\"ab\",\"ranked\":["
    "{\"rank\":1,\"state\":\"FR\",\"band\":\"good\",\"band_position\":0},"
    "{\"rank\":2,\"state\":\"CI\",\"band\":\"poor\",\"band_position\":1}],"
    "\"not_ranked\":[{\"state\":\"NL\"}]}";

/* Counted: CI, FR, NL, VN (TH has no approved revision). */
#define LEVEL(l, c, fig) "{\"level\":\"" l "\",\"count\":" #c ",\"share\":" fig "}"
static const char aggregates_json[] =
    "{\"cycle\":\"2009-2012\",\"version\":1,\"indicators\":["
    "{\"indicator\":\"PR.1\",\"levels\":[" LEVEL("yes", 2, FIG("50.00", 50, 1)) "," LEVEL(
        "partial", 2,
        FIG("50.00", 50,
            1)) "," LEVEL("no", 0,
                          FIG("0.00", 0,
                              1)) "],"
                                  "\"no_data\":0,\"not_assessed\":0,\"not_applicable\":0,\"n\":4,"
                                  "\"counted\":4},"
                                  "{\"indicator\":\"CA.1\",\"levels\":[" LEVEL("yes", 1, FIG("33.33", 100, 3)) "," LEVEL(
                                      "partial", 0,
                                      FIG("0.00", 0,
                                          1)) "," LEVEL("no", 2,
                                                        FIG("66.67", 200,
                                                            3)) "],"
                                                                "\"no_data\":1,\"not_assessed\":0,"
                                                                "\"not_applicable\":0,\"n\":3,"
                                                                "\"counted\":4},"
                                                                "{\"indicator\":\"CA.2\","
                                                                "\"levels\":[" LEVEL("yes", 0, FIG("0.00", 0, 1)) "," LEVEL(
                                                                    "partial", 1,
                                                                    FIG("100.00", 100,
                                                                        1)) "," LEVEL("no", 0,
                                                                                      FIG("0.00", 0,
                                                                                          1)) "],"
                                                                                              "\"no"
                                                                                              "_dat"
                                                                                              "a\":"
                                                                                              "0,"
                                                                                              "\"no"
                                                                                              "t_"
                                                                                              "asse"
                                                                                              "ssed"
                                                                                              "\":"
                                                                                              "0,"
                                                                                              "\"no"
                                                                                              "t_"
                                                                                              "appl"
                                                                                              "icab"
                                                                                              "le\""
                                                                                              ":3,"
                                                                                              "\"n"
                                                                                              "\":"
                                                                                              "1,"
                                                                                              "\"co"
                                                                                              "unte"
                                                                                              "d\":"
                                                                                              "4}],"
                                                                                              "\"co"
                                                                                              "ndit"
                                                                                              "iona"
                                                                                              "ls\""
                                                                                              ":[{"
                                                                                              "\"qu"
                                                                                              "ery"
                                                                                              "\":{"
                                                                                              "\"ta"
                                                                                              "rget"
                                                                                              "\":"
                                                                                              "\"CA"
                                                                                              ".2\""
                                                                                              ",\"t"
                                                                                              "arge"
                                                                                              "t_"
                                                                                              "leve"
                                                                                              "ls\""
                                                                                              ":["
                                                                                              "\"pa"
                                                                                              "rtia"
                                                                                              "l\"]"
                                                                                              ","
                                                                                              "\"gi"
                                                                                              "ven"
                                                                                              "\":"
                                                                                              "\"CA"
                                                                                              ".1\""
                                                                                              ",\"g"
                                                                                              "iven"
                                                                                              "_lev"
                                                                                              "els"
                                                                                              "\":["
                                                                                              "\"ye"
                                                                                              "s\","
                                                                                              "\"pa"
                                                                                              "rtia"
                                                                                              "l\"]"
                                                                                              "},"
                                                                                              "\"co"
                                                                                              "unt"
                                                                                              "\":"
                                                                                              "1,"
                                                                                              "\"n"
                                                                                              "\":"
                                                                                              "1,"
                                                                                              "\"sh"
                                                                                              "are"
                                                                                              "\""
                                                                                              ":" FIG(
                                                                                                  "100.00",
                                                                                                  100,
                                                                                                  1) "}]}";

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

/* text with its first "from" replaced by "to" (malloc'd). */
static char *replaced(const char *text, const char *from, const char *to)
{
    char *out = NULL;

    if (from == NULL)
        return strdup(text);
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "\"%s\" not found", from);
    cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
    return out;
}

struct fixture {
    json_t *doc;
    struct canon_inputs in;
    Vigil__V1__Ranking *ranking, *pred;
    Vigil__V1__GetAggregatesResponse *aggregates;
    struct rankcheck c;
};

/* Reads the inputs and the published messages, each with one alteration
 * (from -> to in the ranking, the aggregates or the predecessor). */
static void setup_with(struct fixture *f, const char *const alter[3][2])
{
    json_error_t je;
    char err[256];

    memset(f, 0, sizeof(*f));
    f->doc = json_loads(inputs_json, 0, &je);
    cr_assert_not_null(f->doc, "%s", je.text);
    cr_assert(canon_read(f->doc, &f->in, err, sizeof(err)), "%s", err);
    char *r = replaced(ranking_json, alter[0][0], alter[0][1]);
    char *a = replaced(aggregates_json, alter[1][0], alter[1][1]);
    char *p = replaced(pred_json, alter[2][0], alter[2][1]);
    f->ranking = (Vigil__V1__Ranking *)decode(r, &vigil__v1__ranking__descriptor);
    f->aggregates = (Vigil__V1__GetAggregatesResponse *)decode(
        a, &vigil__v1__get_aggregates_response__descriptor);
    f->pred = (Vigil__V1__Ranking *)decode(p, &vigil__v1__ranking__descriptor);
    free(r);
    free(a);
    free(p);
    rankcheck_init(&f->c);
}

static void teardown_fixture(struct fixture *f)
{
    rankcheck_clear(&f->c);
    protobuf_c_message_free_unpacked(&f->ranking->base, NULL);
    protobuf_c_message_free_unpacked(&f->aggregates->base, NULL);
    protobuf_c_message_free_unpacked(&f->pred->base, NULL);
    canon_clear(&f->in);
    json_decref(f->doc);
}

static void expect_lines(const struct rankcheck *c, const char *const *want, const char *name)
{
    size_t n = 0;

    while (want[n] != NULL)
        n++;
    for (size_t i = 0; i < c->n; i++)
        cr_log_info("%s: %s", name, c->lines[i]);
    cr_expect_eq(c->n, n, "%s: %zu differences, want %zu", name, c->n, n);
    for (size_t i = 0; i < n && i < c->n; i++)
        cr_expect_str_eq(c->lines[i], want[i], "%s", name);
    cr_expect_not(c->nomem);
}

Test(rankcheck, a_faithful_publication_has_no_difference)
{
    struct fixture f;
    static const char *const none[3][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
    static const char *const want[] = {NULL};

    setup_with(&f, none);
    cr_assert(rankcheck_run(&f.c, &f.in, f.pred, f.ranking, f.aggregates));
    expect_lines(&f.c, want, "faithful");
    teardown_fixture(&f);
}

/* One alteration each: where (0 ranking, 1 aggregates, 2 predecessor),
 * from, to, and the lines it must give. */
struct alteration {
    const char *name;
    int where;
    const char *from, *to;
    const char *want[3];
};

static const struct alteration alterations[] = {
    {"overall text",
     0,
     FIG("87.50", 175, 2),
     FIG("87.51", 175, 2),
     {"CI: overall published 87.51, recomputed 87.50"}},
    {"overall exact value only",
     0,
     FIG("87.50", 175, 2),
     FIG("87.50", 176, 2),
     {"CI: overall published 87.50 (176/2), recomputed 87.50 (175/2)"}},
    {"area score",
     0,
     FIG("75.00", 75, 1),
     FIG("74.99", 75, 1),
     {"CI CA: score published 74.99, recomputed 75.00"}},
    {"rank and tie",
     0,
     "{\"rank\":2,\"tied\":true,\"state\":\"NL\"",
     "{\"rank\":3,\"tied\":false,\"state\":\"NL\"",
     {"NL: rank published 3, recomputed =2"}},
    {"area rank",
     0,
     AREA("PR", FIG("100.00", 100, 1), 1, false),
     AREA("PR", FIG("100.00", 100, 1), 1, true),
     {"CI PR: rank published =1, recomputed 1"}},
    {"band",
     0,
     "\"band\":\"good\"",
     "\"band\":\"poor\"",
     {"CI: band published \"poor\", recomputed \"good\""}},
    {"movement",
     0,
     "\"rank_delta\":1,",
     "\"rank_delta\":2,",
     {"CI: movement published \"\xe2\x96\xb2"
      "2 (band \xe2\x96\xb2"
      "1)\", recomputed "
      "\"\xe2\x96\xb2"
      "1 (band \xe2\x96\xb2"
      "1)\""}},
    {"name",
     0,
     "\"Netherlands\"",
     "\"Holland\"",
     {"NL: name published \"Holland\", recomputed \"Netherlands\""}},
    {"region",
     0,
     "\"region\":\"011\"",
     "\"region\":\"002\"",
     {"CI: region published \"002\", recomputed \"011\""}},
    {"coverage",
     0,
     "\"coverage\":" FIG("50.00", 50, 1),
     "\"coverage\":" FIG("75.00", 75, 1),
     {"VN: coverage published 75.00, recomputed 50.00"}},
    {"a reason left out",
     0,
     "{\"reason\":\"area_unrated\",\"area\":\"CA\"},{\"reason\":\"coverage\"}",
     "{\"reason\":\"area_unrated\",\"area\":\"CA\"}",
     {"VN: reasons published [area_unrated CA], recomputed [area_unrated CA, coverage]"}},
    {"coverage of a state without approval",
     0,
     "[{\"reason\":\"not_approved\"}]",
     "[{\"reason\":\"not_approved\"}],\"coverage\":" FIG("0.00", 0, 1),
     {"TH: coverage published 0.00, recomputed none"}},
    {"a band threshold",
     0,
     "\"min_score\":\"50\"",
     "\"min_score\":\"60\"",
     {"band 1: published \"good\" from 60, the methodology's \"good\" from 50.00"}},
    {"a ranked state dropped",
     0,
     "\"state\":\"NL\"",
     "\"state\":\"NZ\"",
     {"NL: published missing, recomputed ranked",
      "NZ: published ranked, not among the inputs' states",
      "ranked: position 3 published NZ, recomputed NL"}},
    {"a count",
     1,
     LEVEL("no", 2, FIG("66.67", 200, 3)),
     LEVEL("no", 3, FIG("66.67", 200, 3)),
     {"CA.1 no: count published 3, recomputed 2"}},
    {"an N", 1, "\"n\":3,", "\"n\":4,", {"CA.1: N published 4, recomputed 3"}},
    {"not applicable",
     1,
     "\"not_applicable\":3",
     "\"not_applicable\":2",
     {"CA.2: not applicable published 2, recomputed 3"}},
    {"a share",
     1,
     LEVEL("yes", 1, FIG("33.33", 100, 3)),
     LEVEL("yes", 1, FIG("33.34", 100, 3)),
     {"CA.1 yes: share published 33.34, recomputed 33.33"}},
    {"a conditional count",
     1,
     "\"count\":1,\"n\":1,",
     "\"count\":0,\"n\":1,",
     {"conditional CA.2|CA.1: count published 0, recomputed 1"}},
    {"the predecessor's ranks",
     2,
     "{\"rank\":2,\"state\":\"CI\"",
     "{\"rank\":3,\"state\":\"CI\"",
     {"CI: movement published \"\xe2\x96\xb2"
      "1 (band \xe2\x96\xb2"
      "1)\", recomputed "
      "\"\xe2\x96\xb2"
      "2 (band \xe2\x96\xb2"
      "1)\""}},
    {"another methodology then",
     2,
     "\"methodology\":\"m\"",
     "\"methodology\":\"m0\"",
     {"CI: movement published \"\xe2\x96\xb2"
      "1 (band \xe2\x96\xb2"
      "1)\", recomputed \"n/c\"",
      "FR: movement published \"\xe2\x96\xbc"
      "1 (band \xe2\x96\xbc"
      "1)\", recomputed \"n/c\""}},
};

Test(rankcheck, each_alteration_is_reported)
{
    for (size_t k = 0; k < sizeof(alterations) / sizeof(alterations[0]); k++) {
        const struct alteration *a = &alterations[k];
        const char *alter[3][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
        struct fixture f;
        alter[a->where][0] = a->from;
        alter[a->where][1] = a->to;
        setup_with(&f, alter);
        cr_assert(rankcheck_run(&f.c, &f.in, f.pred, f.ranking, f.aggregates), "%s", a->name);
        const char *want[4] = {a->want[0], a->want[1], a->want[2], NULL};
        expect_lines(&f.c, want, a->name);
        teardown_fixture(&f);
    }
}

Test(rankcheck, without_a_predecessor_no_movement_is_shown)
{
    static const char *const none[3][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
    static const char *const want[] = {"CI: movement published \"\xe2\x96\xb2"
                                       "1 (band \xe2\x96\xb2"
                                       "1)\", recomputed \"\"",
                                       "FR: movement published \"\xe2\x96\xbc"
                                       "1 (band \xe2\x96\xbc"
                                       "1)\", recomputed \"\"",
                                       "NL: movement published \"new\", recomputed \"\"", NULL};
    struct fixture f;

    setup_with(&f, none);
    cr_assert(rankcheck_run(&f.c, &f.in, NULL, f.ranking, NULL));
    expect_lines(&f.c, want, "no predecessor");
    teardown_fixture(&f);
}

Test(rankcheck, inputs_that_cannot_be_scored_are_a_difference)
{
    static const char *const none[3][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
    struct fixture f;

    setup_with(&f, none);
    f.in.m.n_bands = 0; /* no band: the scoring module refuses */
    cr_assert_not(rankcheck_run(&f.c, &f.in, f.pred, f.ranking, f.aggregates));
    cr_assert_eq(f.c.n, 1);
    cr_expect_str_eq(f.c.lines[0], "cannot recompute the ranking: inconsistent inputs");
    teardown_fixture(&f);
}
