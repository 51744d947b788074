/* Catalog: the reference data (the region tree, states with their ISO names),
 * the methodology of cycle 2009-2012 as indicators.md defines it, loading a
 * methodology (validated as a whole, errors naming the path, nothing stored
 * on error), creating and closing cycles. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct h_assess_env e;

static void setup(void)
{
    h_assess_start(&e);
}

static void teardown(void)
{
    h_assess_stop(&e);
}

TestSuite(catalog, .init = setup, .fini = teardown, .timeout = 60);

static const Vigil__V1__Region *region(const Vigil__V1__ListRegionsResponse *l, const char *code)
{
    for (size_t i = 0; i < l->n_regions; i++) {
        if (strcmp(l->regions[i]->code, code) == 0)
            return l->regions[i];
    }
    return NULL;
}

Test(catalog, regions_form_a_tree_rooted_at_world)
{
    Vigil__V1__ListRegionsRequest req = VIGIL__V1__LIST_REGIONS_REQUEST__INIT;
    struct h_rpc r = {0};
    h_rpc_call(&r, e.regional, H_LIST_REGIONS, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "ListRegions");
    const Vigil__V1__ListRegionsResponse *l = (const Vigil__V1__ListRegionsResponse *)r.resp;
    cr_assert_gt(l->n_regions, 20);
    cr_assert_str_eq(l->regions[0]->code, "001");
    cr_assert_str_eq(l->regions[0]->parent, "");
    /* Parents before children; one root. */
    for (size_t i = 1; i < l->n_regions; i++) {
        const Vigil__V1__Region *g = l->regions[i];
        cr_assert_neq(g->parent[0], '\0', "%s is a second root", g->code);
        bool parent_before = false;
        for (size_t j = 0; j < i; j++)
            parent_before |= strcmp(l->regions[j]->code, g->parent) == 0;
        cr_assert(parent_before, "region %s comes before its parent %s", g->code, g->parent);
    }
    const Vigil__V1__Region *europe = region(l, "150"), *sea = region(l, "035");
    cr_assert_not_null(europe);
    cr_assert_str_eq(europe->parent, "001");
    cr_assert_str_eq(europe->name, "Europe");
    cr_assert_not_null(sea);
    cr_assert_str_eq(sea->parent, "142");
    h_rpc_clear(&r);
}

/* "FR,DE,..." of ListStates for region, and the answer kept in r. */
static const Vigil__V1__ListStatesResponse *states(struct h_rpc *r, const char *region_code)
{
    Vigil__V1__ListStatesRequest req = VIGIL__V1__LIST_STATES_REQUEST__INIT;
    req.region = (char *)region_code;
    h_rpc_call(r, e.regional, H_LIST_STATES, &req.base);
    h_rpc_expect(r, H_OK, NULL, "ListStates");
    return (const Vigil__V1__ListStatesResponse *)r->resp;
}

static const Vigil__V1__State *state(const Vigil__V1__ListStatesResponse *l, const char *code)
{
    for (size_t i = 0; i < l->n_states; i++) {
        if (strcmp(l->states[i]->code, code) == 0)
            return l->states[i];
    }
    return NULL;
}

Test(catalog, states_by_region_with_iso_names)
{
    struct h_rpc r = {0};
    const Vigil__V1__ListStatesResponse *l = states(&r, "");
    cr_assert_gt(l->n_states, 240, "ISO 3166-1 has 249 codes, %zu listed", l->n_states);
    static const struct {
        const char *code, *name;
    } names[] = {
        {"HK", "Hong Kong"}, {"CI", "C\xc3\xb4te d'Ivoire"}, {"TH", "Thailand"},
        {"FR", "France"},    {"PR", "Puerto Rico"}, /* territories included */
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const Vigil__V1__State *s = state(l, names[i].code);
        cr_assert_not_null(s, "%s missing", names[i].code);
        cr_assert_str_eq(s->name, names[i].name);
        cr_assert_neq(s->region[0], '\0', "%s has no region", names[i].code);
    }
    /* By name in code points, then code. */
    for (size_t i = 1; i < l->n_states; i++) {
        int c = strcmp(l->states[i - 1]->name, l->states[i]->name);
        cr_assert(c < 0 || (c == 0 && strcmp(l->states[i - 1]->code, l->states[i]->code) < 0),
                  "%s before %s", l->states[i - 1]->name, l->states[i]->name);
    }

    l = states(&r, "150");
    cr_assert_not_null(state(l, "FR"));
    cr_assert_not_null(state(l, "DE"));
    cr_assert_not_null(state(l, "GB"));
    cr_assert_null(state(l, "TH"));
    cr_assert_null(state(l, "US"));
    l = states(&r, "142");
    cr_assert_not_null(state(l, "TH"));
    cr_assert_not_null(state(l, "HK"));
    cr_assert_null(state(l, "FR"));
    h_rpc_clear(&r);
}

Test(catalog, unknown_region_is_invalid)
{
    Vigil__V1__ListStatesRequest req = VIGIL__V1__LIST_STATES_REQUEST__INIT;
    struct h_rpc r = {0};
    req.region = "999";
    h_rpc_call(&r, e.regional, H_LIST_STATES, &req.base);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "region", "ListStates region 999");
}

static Vigil__V1__Methodology *get_methodology(struct h_rpc *r, const char *cycle, const char *code)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    req.cycle = (char *)cycle;
    req.methodology = (char *)code;
    h_rpc_call(r, e.regional, H_GET_METHODOLOGY, &req.base);
    h_rpc_expect(r, H_OK, NULL, "GetMethodology");
    Vigil__V1__Methodology *m = ((Vigil__V1__GetMethodologyResponse *)r->resp)->methodology;
    cr_assert_not_null(m);
    return m;
}

static const Vigil__V1__Scale *scale(const Vigil__V1__Methodology *m, const char *code)
{
    for (size_t i = 0; i < m->n_scales; i++) {
        if (strcmp(m->scales[i]->code, code) == 0)
            return m->scales[i];
    }
    return NULL;
}

/* "code=value" or "code=-" per level, comma-separated. */
static char *levels(const Vigil__V1__Scale *s)
{
    char *out = h_strdupf("%s", "");
    for (size_t i = 0; i < s->n_levels; i++) {
        const Vigil__V1__Level *l = s->levels[i];
        char *t = l->has_value ? h_strdupf("%s%s%s=%d", out, i ? "," : "", l->code, l->value)
                               : h_strdupf("%s%s%s=-", out, i ? "," : "", l->code);
        free(out);
        out = t;
    }
    return out;
}

/* Areas and indicators of indicators.md, CA.2's applicability rule. */
static void expect_ecpat_indicators(const Vigil__V1__Methodology *m)
{
    cr_assert_eq(m->n_areas, 3);
    cr_assert_str_eq(m->areas[0]->code, "PR");
    cr_assert_str_eq(m->areas[1]->code, "PV");
    cr_assert_str_eq(m->areas[2]->code, "CA");
    cr_assert_eq(m->n_indicators, H_N_INDICATORS);
    for (size_t i = 0; i < H_N_INDICATORS; i++) {
        const Vigil__V1__Indicator *in = m->indicators[i];
        cr_assert_str_eq(in->code, h_indicators[i]);
        cr_assert_eq(in->weight, 1, "%s", in->code);
        cr_assert_str_eq(in->scale, i == H_IDX_CA2 ? "adequacy" : "yes-partial-no");
        cr_assert_eq(strncmp(in->area, in->code, 2), 0, "%s in area %s", in->code, in->area);
        cr_assert_neq(in->question[0], '\0');
        cr_assert_neq(in->call_to_action[0], '\0');
        cr_assert_neq(in->source[0], '\0');
        if (i != H_IDX_CA2)
            cr_assert_null(in->applies_when, "%s has an applicability rule", in->code);
    }
    const Vigil__V1__Applicability *aw = m->indicators[H_IDX_CA2]->applies_when;
    cr_assert_not_null(aw);
    cr_assert_str_eq(aw->indicator, "CA.1");
    cr_assert_eq(aw->n_levels, 2);
    bool yes = false, partial = false;
    for (size_t i = 0; i < aw->n_levels; i++) {
        yes |= strcmp(aw->levels[i], "yes") == 0;
        partial |= strcmp(aw->levels[i], "partial") == 0;
    }
    cr_assert(yes && partial, "CA.2 applies when CA.1 is yes or partial");
}

/* The two scales with their values, the valueless levels, the labels. */
static void expect_ecpat_scales(const Vigil__V1__Methodology *m)
{
    const Vigil__V1__Scale *ypn = scale(m, "yes-partial-no"), *adequacy = scale(m, "adequacy");
    cr_assert_not_null(ypn);
    cr_assert_not_null(adequacy);
    char *s = levels(ypn);
    cr_assert_str_eq(s, "yes=2,partial=1,no=0,no_data=-,not_assessed=-");
    free(s);
    s = levels(adequacy);
    /* Display order is the methodology's; compare as sets of code=value. */
    static const char *const want[] = {"none=0",     "woefully_inadequate=1",
                                       "adequate=2", "comprehensive=3",
                                       "no_data=-",  "not_assessed=-"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(s, want[i]) != NULL, "adequacy lacks %s: %s", want[i], s);
    cr_assert_eq(adequacy->n_levels, 6, "%s", s);
    free(s);
    /* Labels are what files use. */
    cr_assert_str_eq(ypn->levels[3]->label, "no data");
    cr_assert_str_eq(ypn->levels[4]->label, "not assessed");
}

static void expect_ecpat_bands(const Vigil__V1__Methodology *m)
{
    static const char *const bands[][2] = {{"notable efforts", "75"},
                                           {"some progress", "50"},
                                           {"limited measures", "25"},
                                           {"slow progress", "0"}};
    cr_assert_eq(m->n_bands, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(m->bands[i]->name, bands[i][0]);
        cr_assert_str_eq(m->bands[i]->min_score, bands[i][1]);
    }
    cr_assert_str_eq(m->min_coverage, "0.75");
}

Test(catalog, methodology_of_2009_2012_is_ecpat_2012)
{
    struct h_rpc r = {0}, r2 = {0};
    const Vigil__V1__Methodology *m = get_methodology(&r, H_CYCLE, "");
    cr_assert_str_eq(m->code, H_METHODOLOGY);
    expect_ecpat_indicators(m);
    expect_ecpat_scales(m);
    expect_ecpat_bands(m);
    /* By code, the same. */
    const Vigil__V1__Methodology *by_code = get_methodology(&r2, "", H_METHODOLOGY);
    cr_assert_eq(by_code->n_indicators, H_N_INDICATORS);
    h_rpc_clear(&r2);
    h_rpc_clear(&r);
}

/* --- LoadMethodology: a valid one loads; each error names its path and
 * stores nothing. --- */
typedef void change_fn(Vigil__V1__Methodology *m);

static void rename_only(Vigil__V1__Methodology *m)
{
    (void)m;
}
static void area_weight_zero(Vigil__V1__Methodology *m)
{
    m->areas[0]->weight = 0;
}
static void area_weight_negative(Vigil__V1__Methodology *m)
{
    m->areas[1]->weight = -2;
}
static void indicator_weight_zero(Vigil__V1__Methodology *m)
{
    m->indicators[3]->weight = 0;
}
static void unknown_scale(Vigil__V1__Methodology *m)
{
    h_str_set(&m->indicators[2]->scale, "five-stars");
}
static void unknown_area(Vigil__V1__Methodology *m)
{
    h_str_set(&m->indicators[4]->area, "XX");
}
static void applies_when_unknown_indicator(Vigil__V1__Methodology *m)
{
    h_str_set(&m->indicators[H_IDX_CA2]->applies_when->indicator, "CA.9");
}
static void applies_when_unknown_level(Vigil__V1__Methodology *m)
{
    h_str_set(&m->indicators[H_IDX_CA2]->applies_when->levels[0], "sometimes");
}
static void bands_not_decreasing(Vigil__V1__Methodology *m)
{
    char *t = m->bands[1]->min_score;
    m->bands[1]->min_score = m->bands[2]->min_score;
    m->bands[2]->min_score = t;
}
static void last_band_not_zero(Vigil__V1__Methodology *m)
{
    h_str_set(&m->bands[3]->min_score, "10");
}
static void duplicate_indicator(Vigil__V1__Methodology *m)
{
    h_str_set(&m->indicators[1]->code, "PR.1");
}
static void coverage_above_one(Vigil__V1__Methodology *m)
{
    h_str_set(&m->min_coverage, "1.5");
}
static void level_value_above_none(Vigil__V1__Methodology *m)
{
    /* A scale whose levels are all worth 0. */
    Vigil__V1__Scale *s = m->scales[0];
    for (size_t i = 0; i < s->n_levels; i++)
        s->levels[i]->value = 0;
}

struct load_case {
    const char *name;
    change_fn *change;
    int code;
    const char *field;
};

static const struct load_case load_cases[] = {
    {"a valid methodology", rename_only, H_OK, NULL},
    {"area weight 0", area_weight_zero, H_INVALID_ARGUMENT, "methodology.areas[0].weight"},
    {"area weight -2", area_weight_negative, H_INVALID_ARGUMENT, "methodology.areas[1].weight"},
    {"indicator weight 0", indicator_weight_zero, H_INVALID_ARGUMENT,
     "methodology.indicators[3].weight"},
    {"unknown scale", unknown_scale, H_INVALID_ARGUMENT, "methodology.indicators[2].scale"},
    {"unknown area", unknown_area, H_INVALID_ARGUMENT, "methodology.indicators[4].area"},
    {"applies_when on an unknown indicator", applies_when_unknown_indicator, H_INVALID_ARGUMENT,
     "methodology.indicators[13].applies_when"},
    {"applies_when on an unknown level", applies_when_unknown_level, H_INVALID_ARGUMENT,
     "methodology.indicators[13].applies_when"},
    {"bands not decreasing", bands_not_decreasing, H_INVALID_ARGUMENT, "methodology.bands"},
    {"last band not 0", last_band_not_zero, H_INVALID_ARGUMENT, "methodology.bands[3]"},
    {"duplicated indicator code", duplicate_indicator, H_INVALID_ARGUMENT,
     "methodology.indicators[1].code"},
    {"min_coverage above 1", coverage_above_one, H_INVALID_ARGUMENT, "methodology.min_coverage"},
    {"a scale without a value above 0", level_value_above_none, H_INVALID_ARGUMENT,
     "methodology.scales[0]"},
};

ParameterizedTestParameters(catalog, load_methodology)
{
    return h_param_indices(sizeof(load_cases) / sizeof(load_cases[0]));
}

ParameterizedTest(size_t *i, catalog, load_methodology)
{
    const struct load_case *lc = &load_cases[*i];
    struct h_rpc g = {0}, r = {0};
    Vigil__V1__Methodology *m = get_methodology(&g, H_CYCLE, "");
    h_str_set(&m->code, "test-2013");
    lc->change(m);
    Vigil__V1__LoadMethodologyRequest req = VIGIL__V1__LOAD_METHODOLOGY_REQUEST__INIT;
    char *id = h_request_id();
    req.request_id = id;
    req.methodology = m;
    char *before = h_db_row_counts(&e.db);
    h_rpc_call(&r, e.central, H_LOAD_METHODOLOGY, &req.base);
    h_rpc_expect(&r, lc->code, lc->field, lc->name);
    if (lc->code != H_OK) {
        h_db_expect_unchanged(&e.db, before, lc->name);
    } else {
        cr_assert_str_eq(((Vigil__V1__LoadMethodologyResponse *)r.resp)->code, "test-2013");
        struct h_rpc g2 = {0};
        const Vigil__V1__Methodology *back = get_methodology(&g2, "", "test-2013");
        cr_assert_eq(back->n_indicators, m->n_indicators);
        cr_assert_eq(back->n_bands, m->n_bands);
        cr_assert_str_eq(back->min_coverage, m->min_coverage);
        h_rpc_clear(&g2);
    }
    free(before);
    free(id);
    h_rpc_clear(&r);
    h_rpc_clear(&g);
}

/* Methodologies are immutable: loading another under a used code is refused
 * and the old one stays. */
Test(catalog, a_loaded_methodology_is_not_rewritten)
{
    struct h_rpc g = {0}, r = {0};
    Vigil__V1__Methodology *m = get_methodology(&g, H_CYCLE, "");
    m->areas[0]->weight = 5;
    Vigil__V1__LoadMethodologyRequest req = VIGIL__V1__LOAD_METHODOLOGY_REQUEST__INIT;
    char *id = h_request_id();
    req.request_id = id;
    req.methodology = m;
    char *before = h_db_row_counts(&e.db);
    h_rpc_call(&r, e.central, H_LOAD_METHODOLOGY, &req.base);
    cr_assert(r.code == H_ALREADY_EXISTS || r.code == H_FAILED_PRECONDITION ||
                  r.code == H_INVALID_ARGUMENT,
              "reloading ecpat-2012 with other weights: %d %s", r.code, r.msg);
    h_db_expect_unchanged(&e.db, before, "reloading ecpat-2012");
    struct h_rpc g2 = {0};
    cr_assert_eq(get_methodology(&g2, H_CYCLE, "")->areas[0]->weight, 1);
    h_rpc_clear(&g2);
    h_rpc_clear(&g);
    h_rpc_clear(&r);
    free(id);
    free(before);
}

static const Vigil__V1__Cycle *find_cycle(struct h_rpc *r, struct vigil_client *c, const char *code)
{
    Vigil__V1__ListCyclesRequest req = VIGIL__V1__LIST_CYCLES_REQUEST__INIT;
    h_rpc_call(r, c, H_LIST_CYCLES, &req.base);
    h_rpc_expect(r, H_OK, NULL, "ListCycles");
    const Vigil__V1__ListCyclesResponse *l = (const Vigil__V1__ListCyclesResponse *)r->resp;
    for (size_t i = 0; i < l->n_cycles; i++) {
        if (strcmp(l->cycles[i]->code, code) == 0)
            return l->cycles[i];
    }
    return NULL;
}

Test(catalog, load_create_list_close_cycle)
{
    struct h_rpc g = {0}, r = {0};
    Vigil__V1__Methodology *m = get_methodology(&g, H_CYCLE, "");
    h_str_set(&m->code, "ecpat-2016");
    Vigil__V1__LoadMethodologyRequest lm = VIGIL__V1__LOAD_METHODOLOGY_REQUEST__INIT;
    char *id1 = h_request_id(), *id2 = h_request_id();
    lm.request_id = id1;
    lm.methodology = m;
    h_rpc_call(&r, e.central, H_LOAD_METHODOLOGY, &lm.base);
    h_rpc_expect(&r, H_OK, NULL, "LoadMethodology");

    Vigil__V1__CreateCycleRequest cc = VIGIL__V1__CREATE_CYCLE_REQUEST__INIT;
    cc.request_id = id2;
    cc.code = "2013-2016";
    cc.methodology = "ecpat-2016";
    cc.predecessor = H_CYCLE;
    h_rpc_call(&r, e.central, H_CREATE_CYCLE, &cc.base);
    h_rpc_expect(&r, H_OK, NULL, "CreateCycle");
    const Vigil__V1__Cycle *c = ((Vigil__V1__CreateCycleResponse *)r.resp)->cycle;
    cr_assert_not_null(c);
    cr_assert_str_eq(c->code, "2013-2016");
    cr_assert_str_eq(c->methodology, "ecpat-2016");
    cr_assert_str_eq(c->predecessor, H_CYCLE);
    cr_assert_eq(c->status, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_OPEN);

    c = find_cycle(&r, e.regional, "2013-2016");
    cr_assert_not_null(c, "ListCycles lacks the new cycle");
    cr_assert_str_eq(c->methodology, "ecpat-2016");
    c = find_cycle(&r, e.regional, H_CYCLE);
    cr_assert_not_null(c);
    cr_assert_str_eq(c->methodology, H_METHODOLOGY);
    cr_assert_eq(c->status, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_OPEN);

    /* Its methodology by cycle. */
    struct h_rpc g2 = {0};
    cr_assert_str_eq(get_methodology(&g2, "2013-2016", "")->code, "ecpat-2016");
    h_rpc_clear(&g2);

    /* A regional office can submit in it. */
    Vigil__V1__SubmitRequest *req = h_submit_new("FR", "2013-2016", 0);
    h_submit(&r, e.regional, req, NULL);
    h_rpc_expect(&r, H_OK, NULL, "Submit in the new cycle");
    h_submit_free(req);

    /* Closed: shown to the central office only. */
    h_cycle_set_status(&e, "2013-2016", VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    c = find_cycle(&r, e.central, "2013-2016");
    cr_assert_not_null(c);
    cr_assert_eq(c->status, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    cr_assert_null(find_cycle(&r, e.regional, "2013-2016"),
                   "a closed cycle is listed for a regional office");

    /* The same code twice is refused. */
    char *id3 = h_request_id();
    cc.request_id = id3;
    h_rpc_call(&r, e.central, H_CREATE_CYCLE, &cc.base);
    h_rpc_expect(&r, H_ALREADY_EXISTS, "code", "CreateCycle with a used code");
    h_rpc_clear(&r);
    h_rpc_clear(&g);
    free(id1);
    free(id2);
    free(id3);
}

Test(catalog, create_cycle_refusals_name_the_field)
{
    static const struct {
        const char *code, *methodology, *predecessor, *field;
    } cases[] = {
        {"2013-2016", "no-such-methodology", "", "methodology"},
        {"2013-2016", H_METHODOLOGY, "1999-2002", "predecessor"},
        {"bad code!", H_METHODOLOGY, "", "code"},
        {"", H_METHODOLOGY, "", "code"},
    };
    struct h_rpc r = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Vigil__V1__CreateCycleRequest cc = VIGIL__V1__CREATE_CYCLE_REQUEST__INIT;
        char *id = h_request_id();
        cc.request_id = id;
        cc.code = (char *)cases[i].code;
        cc.methodology = (char *)cases[i].methodology;
        cc.predecessor = (char *)cases[i].predecessor;
        char *before = h_db_row_counts(&e.db);
        h_rpc_call(&r, e.central, H_CREATE_CYCLE, &cc.base);
        h_rpc_expect(&r, H_INVALID_ARGUMENT, cases[i].field, cases[i].field);
        h_db_expect_unchanged(&e.db, before, "a refused CreateCycle");
        free(before);
        free(id);
    }
}

/* Publication belongs to the Rankings service: SetCycleStatus moves a cycle
 * between open and closed only. */
Test(catalog, set_cycle_status_refuses_published_and_unknown)
{
    static const struct {
        const char *cycle;
        Vigil__V1__CycleStatus status;
        const char *field;
    } cases[] = {
        {H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_PUBLISHED, "status"},
        {H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_UNSPECIFIED, "status"},
        {"1999-2002", VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED, "cycle"},
    };
    struct h_rpc r = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Vigil__V1__SetCycleStatusRequest req = VIGIL__V1__SET_CYCLE_STATUS_REQUEST__INIT;
        char *id = h_request_id();
        req.request_id = id;
        req.cycle = (char *)cases[i].cycle;
        req.status = cases[i].status;
        char *before = h_db_row_counts(&e.db);
        h_rpc_call(&r, e.central, H_SET_CYCLE_STATUS, &req.base);
        h_rpc_expect(&r, H_INVALID_ARGUMENT, cases[i].field, cases[i].field);
        h_db_expect_unchanged(&e.db, before, "a refused SetCycleStatus");
        free(before);
        free(id);
    }
    struct h_rpc c = {0};
    const Vigil__V1__Cycle *cy = find_cycle(&c, e.central, H_CYCLE);
    cr_assert_not_null(cy);
    cr_assert_eq(cy->status, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_OPEN);
    h_rpc_clear(&c);
}
