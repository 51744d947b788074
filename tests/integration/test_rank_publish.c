/* Publication and the published reads, end to end through the API, on the
 * crafted dataset of h_rank.h, whose every figure was computed by hand
 * (beside its input there): ranks with ties, bands, area and overall scores
 * with their exact values, coverage at and below the minimum, the states not
 * ranked with all their reasons, the area and region filters, ties by code
 * points; aggregates with their N and the two conditional facts of
 * indicators.md; frozen after publication, superseded on republication;
 * refusals and retries of Publish. Cards: test_rank_card.c; movement and
 * histories: test_rank_movement.c. */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C1 H_CYCLE /* 2009-2012 */
#define C2 H_RANK_C2

static struct h_rank_env e;

static void setup(void)
{
    static const char *const args[] = {H_PUBLIC_LISTENER, NULL};
    h_rank_start(&e, args);
}

static void teardown(void)
{
    h_rank_stop(&e);
}

TestSuite(publish, .init = setup, .fini = teardown, .timeout = 90);

/* ---- the ranking ------------------------------------------------------- */

static const struct view_case {
    const char *area, *region;
    const char *expected;
} views[] = {
    {NULL, NULL, H_RANK_RANKING_C1},
    /* Ranked on the area: rank holds the area's rank, order by it (ties by name). */
    {"CA", NULL,
     "=1 " H_RANK_L_DE " | mv none\n"
     "=1 " H_RANK_L_PL " | mv none\n"
     "3 " H_RANK_L_BE " | mv none\n"
     "=4 " H_RANK_L_FR " | mv none\n"
     "=4 " H_RANK_L_ES " | mv none\n" H_RANK_U_CZ H_RANK_U_HU H_RANK_U_IT H_RANK_U_SE},
    /* The global rank stays; region_rank is the rank among the region's. */
    {NULL, "155",
     "1 " H_RANK_L_DE " | mv none | region 1\n"
     "2 " H_RANK_L_BE " | mv none | region 2\n"
     "=3 " H_RANK_L_FR " | mv none | region 3\n"},
    {NULL, "039", "=3 " H_RANK_L_ES " | mv none | region 1\n" H_RANK_U_IT},
    {NULL, "151", "5 " H_RANK_L_PL " | mv none | region 1\n" H_RANK_U_CZ H_RANK_U_HU},
    /* A region and every region below it. */
    {NULL, "150",
     "1 " H_RANK_L_DE " | mv none | region 1\n"
     "2 " H_RANK_L_BE " | mv none | region 2\n"
     "=3 " H_RANK_L_FR " | mv none | region =3\n"
     "=3 " H_RANK_L_ES " | mv none | region =3\n"
     "5 " H_RANK_L_PL " | mv none | region 5\n" H_RANK_U_CZ H_RANK_U_HU H_RANK_U_IT H_RANK_U_SE},
    {"CA", "151", "=1 " H_RANK_L_PL " | mv none | region 1\n" H_RANK_U_CZ H_RANK_U_HU},
    {NULL, "154", H_RANK_U_SE},
};

static const struct {
    const char *code, *name, *region;
} names[] = {
    {"DE", "Germany", "155"}, {"BE", "Belgium", "155"}, {"FR", "France", "155"},
    {"ES", "Spain", "039"},   {"PL", "Poland", "151"},  {"SE", "Sweden", "154"},
    {"HU", "Hungary", "151"}, {"CZ", "Czechia", "151"}, {"IT", "Italy", "039"},
};

static void expect_names(const Vigil__V1__Ranking *r)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const Vigil__V1__RankedState *s = h_rank_find(r, names[i].code);
        const Vigil__V1__UnrankedState *u = h_rank_find_unranked(r, names[i].code);
        if (s == NULL && u == NULL)
            continue;
        const char *name = s ? s->state_name : u->state_name;
        const char *region = s ? s->region : u->region;
        cr_assert_str_eq(name, names[i].name, "%s: name", names[i].code);
        cr_assert_str_eq(region, names[i].region, "%s: region", names[i].code);
    }
}

static void expect_metadata(const Vigil__V1__Ranking *r, const char *digest, const char *area,
                            const char *region)
{
    static const char *const bands[][2] = {{"notable efforts", "75"},
                                           {"some progress", "50"},
                                           {"limited measures", "25"},
                                           {"slow progress", "0"}};
    cr_assert_str_eq(r->cycle, C1);
    cr_assert_str_eq(r->methodology, H_METHODOLOGY);
    cr_assert_eq(r->view, H_PUBLISHED, "view %d", r->view);
    cr_assert_eq(r->version, 1);
    cr_assert_str_eq(r->digest, digest);
    cr_assert(r->published_at[0] != '\0', "published_at empty");
    cr_assert_str_eq(r->embargo_until, "");
    cr_assert_str_eq(r->area, area ? area : "");
    cr_assert_str_eq(r->region, region ? region : "");
    cr_assert(!r->superseded);
    cr_assert_eq(r->n_bands, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(r->bands[i]->name, bands[i][0]);
        cr_assert_str_eq(r->bands[i]->min_score, bands[i][1]);
    }
}

Test(publish, ranking_ties_bands_figures_and_filters)
{
    char digest[65];
    struct h_rpc r = {0};
    h_rank_publish_c1(&e, digest);

    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        const struct view_case *v = &views[i];
        char what[96];
        snprintf(what, sizeof(what), "published ranking, area \"%s\", region \"%s\"",
                 v->area ? v->area : "", v->region ? v->region : "");
        /* The default view is the published one, the same for every reader. */
        static const char *const readers[] = {"central", "regional", "partner", "anonymous"};
        for (size_t k = 0; k < 4; k++) {
            const Vigil__V1__Ranking *rk =
                h_rank_ranking_ok(&r, h_rank_client(&e, readers[k]), C1,
                                  VIGIL__V1__VIEW__VIEW_UNSPECIFIED, v->area, v->region, 0);
            char who[160];
            snprintf(who, sizeof(who), "%s as %s", what, readers[k]);
            h_rank_expect_text(rk, v->expected, who);
            expect_metadata(rk, digest, v->area, v->region);
            expect_names(rk);
            h_rank_ranking_figures_consistent(rk);
        }
        /* Nothing changed since: the central office's live view agrees. */
        const Vigil__V1__Ranking *live =
            h_rank_ranking_ok(&r, e.a.central, C1, H_LIVE, v->area, v->region, 0);
        char who[160];
        snprintf(who, sizeof(who), "%s, live view", what);
        h_rank_expect_text(live, v->expected, who);
        cr_assert_eq(live->view, H_LIVE, "%s: view", who);
        cr_assert_eq(live->version, 0, "%s: version", who);
        cr_assert_str_eq(live->digest, "", "%s: digest", who);
        cr_assert_str_eq(live->region, v->region ? v->region : "", "%s: region", who);
    }

    /* Exact values next to the rounded ones. */
    const Vigil__V1__Ranking *rk =
        h_rank_ranking_ok(&r, e.a.partner, C1, H_PUBLISHED, NULL, NULL, 0);
    static const struct {
        const char *state;
        int area; /* -1 overall, -2 coverage, else the area's index */
        const char *text;
        int64_t num, den;
    } exact[] = {
        {"DE", -1, "100.00", 100, 1},  {"BE", -1, "97.22", 875, 9},  {"FR", -1, "65.28", 1175, 18},
        {"ES", -1, "65.28", 1175, 18}, {"PL", -1, "43.06", 775, 18}, {"BE", 2, "91.67", 275, 3},
        {"FR", 2, "45.83", 275, 6},    {"PL", 0, "12.50", 25, 2},    {"PL", 1, "16.67", 50, 3},
        {"BE", -2, "75.00", 75, 1},    {"PL", -2, "93.75", 375, 4},  {"SE", -2, "62.50", 125, 2},
        {"HU", -2, "26.67", 80, 3},    {"CZ", -2, "73.33", 220, 3},
    };
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        const Vigil__V1__RankedState *s = h_rank_find(rk, exact[i].state);
        const Vigil__V1__Figure *f;
        if (s == NULL) {
            const Vigil__V1__UnrankedState *u = h_rank_find_unranked(rk, exact[i].state);
            cr_assert_not_null(u, "%s not listed", exact[i].state);
            f = u->coverage;
        } else if (exact[i].area == -1) {
            f = s->overall;
        } else if (exact[i].area == -2) {
            f = s->coverage;
        } else {
            cr_assert_eq(s->n_areas, 3, "%s: %zu areas", s->state, s->n_areas);
            f = s->areas[exact[i].area]->score;
        }
        char what[64];
        snprintf(what, sizeof(what), "%s figure %d", exact[i].state, exact[i].area);
        h_rank_figure_expect(f, exact[i].text, exact[i].num, exact[i].den, what);
    }
    cr_assert_null(h_rank_find_unranked(rk, "IT")->coverage, "IT: coverage without approval");

    /* Band positions, 0 = best. */
    static const struct {
        const char *state;
        int position;
    } positions[] = {{"DE", 0}, {"BE", 0}, {"FR", 1}, {"ES", 1}, {"PL", 2}};
    for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++)
        cr_assert_eq(h_rank_find(rk, positions[i].state)->band_position, positions[i].position,
                     "%s: band position", positions[i].state);
    h_rpc_clear(&r);
}

/* Wrong filters and versions name the field. */
Test(publish, read_errors_name_the_field)
{
    struct h_rpc r = {0};
    static const struct {
        const char *area, *region;
        int version, code;
        const char *field;
    } cases[] = {
        {"XX", NULL, 0, H_INVALID_ARGUMENT, "area"},
        {NULL, "999", 0, H_INVALID_ARGUMENT, "region"},
        {NULL, NULL, 2, H_NOT_FOUND, "version"},
        {NULL, NULL, -1, H_INVALID_ARGUMENT, "version"},
    };
    h_rank_publish_c1(&e, NULL);
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)"";
    h_rank_call(&r, e.a.regional, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "cycle", "GetRanking without a cycle");
    req.cycle = (char *)C1;
    req.view = (Vigil__V1__View)7;
    h_rank_call(&r, e.a.central, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "view", "GetRanking of view 7");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[96];
        snprintf(what, sizeof(what), "GetRanking area %s region %s version %d",
                 cases[i].area ? cases[i].area : "-", cases[i].region ? cases[i].region : "-",
                 cases[i].version);
        h_rank_ranking(&r, e.a.regional, C1, H_PUBLISHED, cases[i].area, cases[i].region,
                       cases[i].version);
        h_rpc_expect(&r, cases[i].code, cases[i].field, what);
    }
    /* A cycle that is not published: the same NOT_FOUND for everyone but central. */
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, C1);
    h_rank_ranking(&r, e.a.regional, C2, H_PUBLISHED, NULL, NULL, 0);
    h_rpc_expect(&r, H_NOT_FOUND, "cycle", "GetRanking of an unpublished cycle as regional");
    h_rank_ranking(&r, e.a.central, C2, H_PUBLISHED, NULL, NULL, 0);
    h_rpc_expect(&r, H_NOT_FOUND, "cycle", "GetRanking of an unpublished cycle as central");
    h_rpc_clear(&r);
}

/* ---- aggregates -------------------------------------------------------- */

static const char *const agg_codes[] = {"PR.1", "PV.3", "CA.1", "CA.2"};

/* 8 states counted (IT has no approved revision). N: the states with a
 * valued level. CA.2 does not apply to HU (CA.1 no data) and CZ (CA.1 no). */
#define AGG_C1                                                                                     \
    "PR.1: yes 3 75.00, partial 1 25.00, no 0 0.00"                                                \
    " | no_data 2, not_assessed 2, not_applicable 0 | N 4 of 8\n"                                  \
    "PV.3: yes 6 100.00, partial 0 0.00, no 0 0.00"                                                \
    " | no_data 2, not_assessed 0, not_applicable 0 | N 6 of 8\n"                                  \
    "CA.1: yes 4 57.14, partial 2 28.57, no 1 14.29"                                               \
    " | no_data 1, not_assessed 0, not_applicable 0 | N 7 of 8\n"                                  \
    "CA.2: none 0 0.00, woefully_inadequate 2 40.00, adequate 1 20.00, comprehensive 2 40.00"      \
    " | no_data 1, not_assessed 0, not_applicable 2 | N 5 of 8\n"

/* Western Europe: DE, BE, FR. */
#define AGG_C1_155                                                                                 \
    "PR.1: yes 2 100.00, partial 0 0.00, no 0 0.00"                                                \
    " | no_data 1, not_assessed 0, not_applicable 0 | N 2 of 3\n"                                  \
    "PV.3: yes 3 100.00, partial 0 0.00, no 0 0.00"                                                \
    " | no_data 0, not_assessed 0, not_applicable 0 | N 3 of 3\n"                                  \
    "CA.1: yes 2 66.67, partial 1 33.33, no 0 0.00"                                                \
    " | no_data 0, not_assessed 0, not_applicable 0 | N 3 of 3\n"                                  \
    "CA.2: none 0 0.00, woefully_inadequate 1 33.33, adequate 1 33.33, comprehensive 1 33.33"      \
    " | no_data 0, not_assessed 0, not_applicable 0 | N 3 of 3\n"

/* The two facts of indicators.md first: CA.1 = no among the states with a
 * valued CA.1 (1 of 7); CA.2 woefully inadequate among the states with CA.1
 * yes or partial (DE BE FR ES PL SE) that have a valued CA.2 (SE has no data):
 * 2 of 5. */
static const char *const queries[] = {
    "CA.1=no|CA.1=yes,partial,no",
    "CA.2=woefully_inadequate|CA.1=yes,partial",
    "CA.2=woefully_inadequate|CA.1=partial",
    "CA.2=woefully_inadequate|CA.1=no", /* CA.2 never applies: N 0, no share */
    "PR.1=yes|CA.1=yes",                /* DE yes, PL partial; BE no data, SE not assessed */
};
#define COND_C1                                                                                    \
    "CA.1=no|CA.1=yes,partial,no: 1 of 7 = 14.29\n"                                                \
    "CA.2=woefully_inadequate|CA.1=yes,partial: 2 of 5 = 40.00\n"                                  \
    "CA.2=woefully_inadequate|CA.1=partial: 2 of 2 = 100.00\n"                                     \
    "CA.2=woefully_inadequate|CA.1=no: 0 of 0 = -\n"                                               \
    "PR.1=yes|CA.1=yes: 1 of 2 = 50.00\n"
#define COND_C1_155                                                                                \
    "CA.1=no|CA.1=yes,partial,no: 0 of 3 = 0.00\n"                                                 \
    "CA.2=woefully_inadequate|CA.1=yes,partial: 1 of 3 = 33.33\n"                                  \
    "CA.2=woefully_inadequate|CA.1=partial: 1 of 1 = 100.00\n"                                     \
    "CA.2=woefully_inadequate|CA.1=no: 0 of 0 = -\n"                                               \
    "PR.1=yes|CA.1=yes: 1 of 1 = 100.00\n"

static void expect_aggregates(struct vigil_client *c, Vigil__V1__View view, const char *region,
                              int version, const char *want, const char *want_cond,
                              const char *what)
{
    struct h_rpc r = {0};
    struct h_rank_queries qs;
    h_rank_queries_parse(&qs, queries, sizeof(queries) / sizeof(queries[0]));
    h_rank_aggregates(&r, c, C1, view, region, version, &qs);
    h_rpc_expect(&r, H_OK, NULL, what);
    const Vigil__V1__GetAggregatesResponse *a = (const Vigil__V1__GetAggregatesResponse *)r.resp;
    cr_assert_str_eq(a->cycle, C1, "%s: cycle", what);
    cr_assert_eq(a->n_indicators, H_N_INDICATORS, "%s: %zu indicators", what, a->n_indicators);
    for (size_t i = 0; i < H_N_INDICATORS; i++)
        cr_assert_str_eq(a->indicators[i]->indicator, h_indicators[i], "%s: methodology order",
                         what);
    char *got = h_rank_aggregates_text(a, agg_codes, 4);
    cr_assert_str_eq(got, want, "%s:\n--- got\n%s--- want\n%s", what, got, want);
    free(got);
    got = h_rank_conditionals_text(a);
    cr_assert_str_eq(got, want_cond, "%s, conditionals:\n--- got\n%s--- want\n%s", what, got,
                     want_cond);
    free(got);
    h_rank_aggregates_figures_consistent(a);
    h_rank_queries_clear(&qs);
    h_rpc_clear(&r);
}

Test(publish, aggregates_with_their_n_and_conditional_shares)
{
    struct h_rpc r = {0};
    h_rank_publish_c1(&e, NULL);

    static const char *const readers[] = {"central", "regional", "partner", "anonymous"};
    for (size_t k = 0; k < 4; k++) {
        expect_aggregates(h_rank_client(&e, readers[k]), VIGIL__V1__VIEW__VIEW_UNSPECIFIED, NULL, 0,
                          AGG_C1, COND_C1, readers[k]);
        expect_aggregates(h_rank_client(&e, readers[k]), H_PUBLISHED, "155", 1, AGG_C1_155,
                          COND_C1_155, readers[k]);
    }

    /* Exact shares. */
    h_rank_aggregates(&r, e.a.partner, C1, H_PUBLISHED, NULL, 0, NULL);
    h_rpc_expect(&r, H_OK, NULL, "GetAggregates");
    const Vigil__V1__GetAggregatesResponse *a = (const Vigil__V1__GetAggregatesResponse *)r.resp;
    cr_assert_eq(a->version, 1);
    cr_assert_eq(a->n_conditionals, 0);
    const Vigil__V1__IndicatorAggregate *ca1 = a->indicators[H_IDX_CA1];
    h_rank_figure_expect(ca1->levels[0]->share, "57.14", 400, 7, "CA.1 yes");
    h_rank_figure_expect(ca1->levels[1]->share, "28.57", 200, 7, "CA.1 partial");
    h_rank_figure_expect(ca1->levels[2]->share, "14.29", 100, 7, "CA.1 no");
    for (size_t i = 0; i < H_N_INDICATORS; i++)
        cr_assert_eq(a->indicators[i]->counted, 8, "%s counted", h_indicators[i]);

    /* Other queries on the same published version get their own answers
     * (not those of an earlier request that a cache may hold). */
    static const struct {
        const char *query, *region, *expected;
    } again[] = {
        {"CA.2=woefully_inadequate|CA.1=partial", NULL,
         "CA.2=woefully_inadequate|CA.1=partial: 2 of 2 = 100.00\n"},
        {"CA.2=woefully_inadequate|CA.1=partial", "155",
         "CA.2=woefully_inadequate|CA.1=partial: 1 of 1 = 100.00\n"},
        {"CA.1=yes|PV.3=yes", NULL, "CA.1=yes|PV.3=yes: 2 of 5 = 40.00\n"},
        {"CA.1=yes|PV.3=yes", "151", "CA.1=yes|PV.3=yes: 0 of 1 = 0.00\n"},
    };
    for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++) {
        struct h_rank_queries qs;
        h_rank_queries_parse(&qs, &again[i].query, 1);
        for (int k = 0; k < 2; k++) {
            h_rank_aggregates(&r, e.a.regional, C1, H_PUBLISHED, again[i].region, 0, &qs);
            h_rpc_expect(&r, H_OK, NULL, again[i].query);
            char *got = h_rank_conditionals_text((const Vigil__V1__GetAggregatesResponse *)r.resp);
            cr_assert_str_eq(got, again[i].expected, "%s in region %s", again[i].query,
                             again[i].region ? again[i].region : "-");
            free(got);
        }
        h_rank_queries_clear(&qs);
    }
    h_rank_aggregates(&r, e.a.regional, C1, H_PUBLISHED, "999", 0, NULL);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "region", "aggregates of an unknown region");

    /* Queries that are not valid name the field. */
    static const struct {
        const char *query, *field;
    } bad[] = {
        {"CA.2=no_data|CA.1=yes", "conditionals[0].target_levels[0]"},
        {"XX.9=yes|CA.1=yes", "conditionals[0].target"},
        {"CA.2=woefully_inadequate|CA.1=maybe", "conditionals[0].given_levels[0]"},
        {"CA.2=woefully_inadequate|ZZ=yes", "conditionals[0].given"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct h_rank_queries qs;
        h_rank_queries_parse(&qs, &bad[i].query, 1);
        h_rank_aggregates(&r, e.a.regional, C1, H_PUBLISHED, NULL, 0, &qs);
        h_rpc_expect(&r, H_INVALID_ARGUMENT, bad[i].field, bad[i].query);
        h_rank_queries_clear(&qs);
    }
    h_rpc_clear(&r);
}

/* ---- frozen, superseded ------------------------------------------------- */

#define RANKING_C1_CORRECTED                                                                       \
    "=1 " H_RANK_L_FR_TOP " | mv none\n"                                                           \
    "=1 " H_RANK_L_DE " | mv none\n"                                                               \
    "3 BE 97.22 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 91.67 4 | cov 75.00 | mv none\n"  \
    "4 ES 65.28 some progress | PR 50.00 4, PV 100.00 =1, CA 45.83 5 | cov 100.00 | mv none\n"     \
    "5 " H_RANK_L_PL " | mv none\n" H_RANK_U_CZ H_RANK_U_HU H_RANK_U_IT H_RANK_U_SE
#define AGG_C1_CORRECTED                                                                           \
    "PR.1: yes 3 75.00, partial 1 25.00, no 0 0.00"                                                \
    " | no_data 2, not_assessed 2, not_applicable 0 | N 4 of 8\n"                                  \
    "PV.3: yes 6 100.00, partial 0 0.00, no 0 0.00"                                                \
    " | no_data 2, not_assessed 0, not_applicable 0 | N 6 of 8\n"                                  \
    "CA.1: yes 5 71.43, partial 1 14.29, no 1 14.29"                                               \
    " | no_data 1, not_assessed 0, not_applicable 0 | N 7 of 8\n"                                  \
    "CA.2: none 0 0.00, woefully_inadequate 1 20.00, adequate 1 20.00, comprehensive 3 60.00"      \
    " | no_data 1, not_assessed 0, not_applicable 2 | N 5 of 8\n"

static void expect_ranking(struct vigil_client *c, Vigil__V1__View view, int version,
                           const char *want, int want_version, const char *digest, bool superseded,
                           const char *what)
{
    struct h_rpc r = {0};
    const Vigil__V1__Ranking *rk = h_rank_ranking_ok(&r, c, C1, view, NULL, NULL, version);
    h_rank_expect_text(rk, want, what);
    cr_assert_eq(rk->version, want_version, "%s: version %d", what, rk->version);
    cr_assert_str_eq(rk->digest, digest, "%s: digest", what);
    cr_assert_eq(rk->superseded, superseded, "%s: superseded", what);
    h_rpc_clear(&r);
}

static void expect_aggregates_text(struct vigil_client *c, Vigil__V1__View view, int version,
                                   const char *want, int want_version, const char *what)
{
    struct h_rpc r = {0};
    h_rank_aggregates(&r, c, C1, view, NULL, version, NULL);
    h_rpc_expect(&r, H_OK, NULL, what);
    const Vigil__V1__GetAggregatesResponse *a = (const Vigil__V1__GetAggregatesResponse *)r.resp;
    char *got = h_rank_aggregates_text(a, agg_codes, 4);
    cr_assert_str_eq(got, want, "%s:\n--- got\n%s--- want\n%s", what, got, want);
    cr_assert_eq(a->version, want_version, "%s: version %d", what, a->version);
    free(got);
    h_rpc_clear(&r);
}

static void expect_card_levels(struct vigil_client *c, Vigil__V1__View view, int version,
                               const char *levels, const char *what)
{
    struct h_rpc r = {0};
    h_rank_card(&r, c, C1, "FR", view, version);
    h_rpc_expect(&r, H_OK, NULL, what);
    const Vigil__V1__GetCardResponse *card = (const Vigil__V1__GetCardResponse *)r.resp;
    char *want = h_rank_levels_text(levels);
    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    for (size_t i = 0; i < card->n_entries; i++)
        fprintf(f, "%s%s=%s", i ? " " : "", card->entries[i]->indicator, card->entries[i]->level);
    fclose(f);
    cr_assert_str_eq(got, want, "%s:\n got %s\nwant %s", what, got, want);
    free(got);
    free(want);
    h_rpc_clear(&r);
}

/* The digest is the SHA-256 of the published canonical bytes. */
static void expect_inputs(int version, int want_version, const char *digest)
{
    struct h_rpc r = {0};
    h_rank_inputs(&r, e.a.partner, C1, version);
    h_rpc_expect(&r, H_OK, NULL, "GetPublishedInputs");
    const Vigil__V1__GetPublishedInputsResponse *in =
        (const Vigil__V1__GetPublishedInputsResponse *)r.resp;
    cr_assert_eq(in->version, want_version);
    cr_assert_str_eq(in->digest, digest);
    char *canonical = h_strdupf("%.*s", (int)in->canonical.len, (const char *)in->canonical.data);
    const char *params[] = {canonical};
    char *sha = h_db_query_value_params(
        &e.a.db, "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", 1, params);
    cr_assert_str_eq(sha, digest, "SHA-256 of the canonical inputs");
    free(sha);
    free(canonical);
    h_rpc_clear(&r);
}

Test(publish, frozen_after_publication_then_superseded)
{
    char d1[65], d2[65];
    h_rank_publish_c1(&e, d1);
    expect_inputs(0, 1, d1);

    /* A correction approved after publication... */
    h_rank_correct(&e, C1, "FR", H_RANK_FR_TOP);

    /* ...changes nothing published, for anyone... */
    static const char *const readers[] = {"central", "regional", "anonymous"};
    for (size_t k = 0; k < 3; k++) {
        struct vigil_client *c = h_rank_client(&e, readers[k]);
        expect_ranking(c, H_PUBLISHED, 0, H_RANK_RANKING_C1, 1, d1, false, readers[k]);
        expect_aggregates_text(c, H_PUBLISHED, 0, AGG_C1, 1, readers[k]);
        expect_card_levels(c, H_PUBLISHED, 0, h_rank_levels_of(h_rank_c1, H_RANK_C1_N, "FR"),
                           readers[k]);
    }
    expect_inputs(0, 1, d1);

    /* ...and shows in the central office's live view. */
    expect_ranking(e.a.central, H_LIVE, 0, RANKING_C1_CORRECTED, 0, "", false, "live");
    expect_aggregates_text(e.a.central, H_LIVE, 0, AGG_C1_CORRECTED, 0, "live aggregates");
    expect_card_levels(e.a.central, H_LIVE, 0, H_RANK_FR_TOP, "live card");

    /* Republished: version 2 is the default, version 1 stays readable. */
    cr_assert_eq(h_rank_publish_ok(&e, C1, NULL, d2), 2);
    cr_assert_str_neq(d2, d1, "a new ranking has a new digest");
    for (size_t k = 0; k < 3; k++) {
        struct vigil_client *c = h_rank_client(&e, readers[k]);
        expect_ranking(c, H_PUBLISHED, 0, RANKING_C1_CORRECTED, 2, d2, false, readers[k]);
        expect_ranking(c, H_PUBLISHED, 2, RANKING_C1_CORRECTED, 2, d2, false, readers[k]);
        expect_ranking(c, H_PUBLISHED, 1, H_RANK_RANKING_C1, 1, d1, true, readers[k]);
        expect_aggregates_text(c, H_PUBLISHED, 0, AGG_C1_CORRECTED, 2, readers[k]);
        expect_aggregates_text(c, H_PUBLISHED, 1, AGG_C1, 1, readers[k]);
        expect_card_levels(c, H_PUBLISHED, 0, H_RANK_FR_TOP, readers[k]);
        expect_card_levels(c, H_PUBLISHED, 1, h_rank_levels_of(h_rank_c1, H_RANK_C1_N, "FR"),
                           readers[k]);
    }
    expect_inputs(0, 2, d2);
    expect_inputs(1, 1, d1);

    /* The history shows the current version. */
    struct h_rpc r = {0};
    h_rank_history(&r, e.a.partner, "FR");
    h_rpc_expect(&r, H_OK, NULL, "GetHistory");
    const Vigil__V1__GetHistoryResponse *h = (const Vigil__V1__GetHistoryResponse *)r.resp;
    cr_assert_eq(h->n_items, 1);
    cr_assert_eq(h->items[0]->version, 2);
    cr_assert_not_null(h->items[0]->ranked);
    cr_assert_eq(h->items[0]->ranked->rank, 1);
    h_rpc_clear(&r);
}

/* ---- publication refusals ---------------------------------------------- */

Test(publish, refusals_and_retry)
{
    struct h_rpc r = {0};
    h_rank_load(&e, C1, h_rank_c1, H_RANK_C1_N);
    char *before = h_db_row_counts(&e.a.db);

    h_rank_publish(&r, e.a.central, C1, NULL);
    h_rpc_expect(&r, H_FAILED_PRECONDITION, "cycle", "Publish of an open cycle");
    h_db_expect_unchanged(&e.a.db, before, "Publish of an open cycle");
    /* The live view of an open cycle is computed all the same. */
    h_rpc_clear(&r);
    h_rank_ranking_ok(&r, e.a.central, C1, H_LIVE, NULL, NULL, 0);

    h_cycle_set_status(&e.a, C1, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    free(before);
    before = h_db_row_counts(&e.a.db);
    static const struct {
        const char *who, *cycle, *embargo;
        int code;
        const char *field;
    } refused[] = {
        {"regional", C1, NULL, H_PERMISSION_DENIED, NULL},
        {"partner", C1, NULL, H_PERMISSION_DENIED, NULL},
        {"central", "1999-2002", NULL, H_INVALID_ARGUMENT, "cycle"},
        {"central", C1, "tomorrow", H_INVALID_ARGUMENT, "embargo_until"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char what[96];
        snprintf(what, sizeof(what), "Publish %s as %s, embargo %s", refused[i].cycle,
                 refused[i].who, refused[i].embargo ? refused[i].embargo : "-");
        h_rank_publish(&r, h_rank_client(&e, refused[i].who), refused[i].cycle, refused[i].embargo);
        h_rpc_expect(&r, refused[i].code, refused[i].field, what);
        h_db_expect_unchanged(&e.a.db, before, what);
    }
    free(before);

    /* A retried request is answered with the original result. */
    Vigil__V1__PublishRequest req = VIGIL__V1__PUBLISH_REQUEST__INIT;
    char *id = h_request_id();
    req.request_id = id;
    req.cycle = (char *)C1;
    req.embargo_until = (char *)"";
    h_rank_call(&r, e.a.central, H_PUBLISH, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "Publish");
    Vigil__V1__PublishResponse *first = (Vigil__V1__PublishResponse *)r.resp;
    r.resp = NULL;
    h_rank_call(&r, e.a.central, H_PUBLISH, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "Publish retried");
    const Vigil__V1__PublishResponse *again = (const Vigil__V1__PublishResponse *)r.resp;
    cr_assert_eq(again->version, first->version);
    cr_assert_str_eq(again->digest, first->digest);
    cr_assert_str_eq(again->published_at, first->published_at);
    /* Also after the inputs changed: a retry publishes nothing new. */
    h_rank_correct(&e, C1, "FR", H_RANK_FR_TOP);
    h_rank_call(&r, e.a.central, H_PUBLISH, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "Publish retried after a correction");
    again = (const Vigil__V1__PublishResponse *)r.resp;
    cr_assert_eq(again->version, first->version);
    cr_assert_str_eq(again->digest, first->digest);
    char *n = h_db_query_value(&e.a.db, "SELECT count(*)::text FROM publication");
    cr_assert_str_eq(n, "1", "one version stored for a retried Publish");
    free(n);
    /* The same id with other content is refused. */
    req.embargo_until = (char *)"2030-01-01T00:00:00Z";
    h_rank_call(&r, e.a.central, H_PUBLISH, &req.base);
    h_rpc_expect(&r, H_ALREADY_EXISTS, NULL, "Publish with a used id and another embargo");
    protobuf_c_message_free_unpacked(&first->base, NULL);
    free(id);
    h_rpc_clear(&r);
}

/* ---- more rules -------------------------------------------------------- */

/* Ties are ordered by name compared by Unicode code points: "Åland Islands"
 * (U+00C5) after "Sweden", whatever a locale would say. */
Test(publish, ties_are_ordered_by_code_points)
{
    struct h_rpc r = {0};
    static const struct h_rank_state tied[] = {
        {"AX", "22222222 2222 2322"},
        {"SE", "22222222 2222 2322"},
        {"AD", "22222222 2222 2322"},
    };
    h_rank_load(&e, C1, tied, 3);
    h_rank_close_publish(&e, C1, NULL);
#define ALL_TOP "100.00 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 100.00 =1 | cov 100.00"
    const Vigil__V1__Ranking *rk =
        h_rank_ranking_ok(&r, e.anonymous, C1, H_PUBLISHED, NULL, NULL, 0);
    h_rank_expect_text(rk,
                       "=1 AD " ALL_TOP " | mv none\n"
                       "=1 SE " ALL_TOP " | mv none\n"
                       "=1 AX " ALL_TOP " | mv none\n",
                       "ties by code points");
    cr_assert_str_eq(rk->ranked[2]->state_name, "Åland Islands");
    rk = h_rank_ranking_ok(&r, e.anonymous, C1, H_PUBLISHED, NULL, "154", 0);
    h_rank_expect_text(rk,
                       "=1 SE " ALL_TOP " | mv none | region =1\n"
                       "=1 AX " ALL_TOP " | mv none | region =1\n",
                       "ties by code points in a region");
#undef ALL_TOP
    h_rpc_clear(&r);
}

/* A cycle without assessments publishes an empty ranking, and aggregates
 * whose N are 0 carry no share. */
Test(publish, a_cycle_without_assessments)
{
    struct h_rpc r = {0};
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, "");
    h_rank_close_publish(&e, C2, NULL);
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)C2;
    h_rank_call(&r, e.a.partner, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "GetRanking of an empty cycle");
    const Vigil__V1__Ranking *rk = (const Vigil__V1__Ranking *)r.resp;
    cr_assert_eq(rk->n_ranked + rk->n_not_ranked, 0);
    cr_assert_eq(rk->n_bands, 4);

    struct h_rank_queries qs;
    h_rank_queries_parse(&qs, queries, sizeof(queries) / sizeof(queries[0]));
    Vigil__V1__GetAggregatesRequest areq = VIGIL__V1__GET_AGGREGATES_REQUEST__INIT;
    areq.cycle = (char *)C2;
    areq.conditionals = qs.q;
    areq.n_conditionals = qs.n;
    h_rank_call(&r, e.a.partner, H_GET_AGGREGATES, &areq.base);
    h_rpc_expect(&r, H_OK, NULL, "GetAggregates of an empty cycle");
    const Vigil__V1__GetAggregatesResponse *a = (const Vigil__V1__GetAggregatesResponse *)r.resp;
    char *got = h_rank_aggregates_text(a, agg_codes, 4);
    cr_assert_str_eq(got,
                     "PR.1: yes 0 -, partial 0 -, no 0 - | no_data 0, not_assessed 0, "
                     "not_applicable 0 | N 0 of 0\n"
                     "PV.3: yes 0 -, partial 0 -, no 0 - | no_data 0, not_assessed 0, "
                     "not_applicable 0 | N 0 of 0\n"
                     "CA.1: yes 0 -, partial 0 -, no 0 - | no_data 0, not_assessed 0, "
                     "not_applicable 0 | N 0 of 0\n"
                     "CA.2: none 0 -, woefully_inadequate 0 -, adequate 0 -, comprehensive 0 - | "
                     "no_data 0, not_assessed 0, not_applicable 0 | N 0 of 0\n",
                     "aggregates of an empty cycle:\n%s", got);
    free(got);
    got = h_rank_conditionals_text(a);
    cr_assert_str_eq(got,
                     "CA.1=no|CA.1=yes,partial,no: 0 of 0 = -\n"
                     "CA.2=woefully_inadequate|CA.1=yes,partial: 0 of 0 = -\n"
                     "CA.2=woefully_inadequate|CA.1=partial: 0 of 0 = -\n"
                     "CA.2=woefully_inadequate|CA.1=no: 0 of 0 = -\n"
                     "PR.1=yes|CA.1=yes: 0 of 0 = -\n",
                     "conditionals of an empty cycle:\n%s", got);
    free(got);
    h_rank_queries_clear(&qs);
    h_rpc_clear(&r);
}
