/* rankview: Rankings messages from a crafted canonical document (ranks,
 * ties, figures, movement, bands, reasons), the read filters, aggregates
 * with conditional shares, and cards. */
#include "rankview.h"

#include "pbjson.h"

#include <criterion/criterion.h>
#include <string.h>

/* Two areas, four indicators listed out of area order (the card follows the
 * areas), CA.2 applying only where CA.1 is yes or partial. Expected:
 *   AA Alpha   PR 100, CA 75  -> 87.5, =1     (region 011)
 *   BB Beta    PR 100, CA 75  -> 87.5, =1     (region 155)
 *   FF Zeta    PR 25,  CA 100 -> 62.5, 3      (region 155)
 *   CC Gamma   PR 25,  CA 0   -> 12.5, 4      (region 011)
 *   DD Delta   CA unrated, coverage 1/3: not ranked (area, coverage)
 *   EE Epsilon no approved revision: not ranked (not approved) */
static const char doc_text[] =
    "{\"format\":\"vigil-ranking-inputs/1\",\"cycle\":\"C2\",\"predecessor\":"
    "{\"cycle\":\"C1\",\"digest\":\"00\",\"version\":1},"
    "\"methodology\":{\"code\":\"m\",\"name\":\"M\",\"description\":\"\",\"min_coverage\":\"0.75\","
    "\"areas\":[{\"code\":\"PR\",\"name\":\"Protection\",\"weight\":1},"
    "{\"code\":\"CA\",\"name\":\"Care\",\"weight\":1}],"
    "\"scales\":[{\"code\":\"ypn\",\"levels\":["
    "{\"code\":\"yes\",\"label\":\"yes\",\"has_value\":true,\"value\":2},"
    "{\"code\":\"partial\",\"label\":\"partial\",\"has_value\":true,\"value\":1},"
    "{\"code\":\"no\",\"label\":\"no\",\"has_value\":true,\"value\":0},"
    "{\"code\":\"no_data\",\"label\":\"no data\",\"has_value\":false,\"value\":0},"
    "{\"code\":\"not_assessed\",\"label\":\"not assessed\",\"has_value\":false,\"value\":0}]}],"
    "\"indicators\":["
    "{\"code\":\"PR.1\",\"area\":\"PR\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"Q1?\","
    "\"call_to_action\":\"Do PR.1\",\"source\":\"\",\"applies_when\":null},"
    "{\"code\":\"CA.1\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"Services?\","
    "\"call_to_action\":\"Provide services\",\"source\":\"\",\"applies_when\":null},"
    "{\"code\":\"PR.2\",\"area\":\"PR\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"Q2?\","
    "\"call_to_action\":\"Do PR.2\",\"source\":\"\",\"applies_when\":null},"
    "{\"code\":\"CA.2\",\"area\":\"CA\",\"scale\":\"ypn\",\"weight\":1,\"question\":\"Adequate?\","
    "\"call_to_action\":\"Improve them\",\"source\":\"\","
    "\"applies_when\":{\"indicator\":\"CA.1\",\"levels\":[\"yes\",\"partial\"]}}],"
    "\"bands\":[{\"name\":\"good\",\"min_score\":\"50\"},{\"name\":\"poor\",\"min_score\":\"0\"}]},"
    "\"states\":["
    "{\"code\":\"AA\",\"name\":\"Alpha\",\"region\":\"011\",\"revision\":1,\"levels\":"
    "{\"PR.1\":\"yes\",\"PR.2\":\"yes\",\"CA.1\":\"yes\",\"CA.2\":\"partial\"}},"
    "{\"code\":\"BB\",\"name\":\"Beta\",\"region\":\"155\",\"revision\":2,\"levels\":"
    "{\"PR.1\":\"yes\",\"PR.2\":\"yes\",\"CA.1\":\"yes\",\"CA.2\":\"partial\"}},"
    "{\"code\":\"CC\",\"name\":\"Gamma\",\"region\":\"011\",\"revision\":1,\"levels\":"
    "{\"PR.1\":\"partial\",\"PR.2\":\"no\",\"CA.1\":\"no\"}},"
    "{\"code\":\"DD\",\"name\":\"Delta\",\"region\":\"011\",\"revision\":1,\"levels\":"
    "{\"PR.1\":\"yes\",\"PR.2\":\"no_data\",\"CA.1\":\"no_data\"}},"
    "{\"code\":\"EE\",\"name\":\"Epsilon\",\"region\":\"155\",\"revision\":0,\"levels\":{}},"
    "{\"code\":\"FF\",\"name\":\"Zeta\",\"region\":\"155\",\"revision\":3,\"levels\":"
    "{\"PR.1\":\"partial\",\"PR.2\":\"no\",\"CA.1\":\"yes\",\"CA.2\":\"yes\"}}]}";

static json_t *doc;
static struct canon_inputs in;
static struct rank_set rs;
static struct rankview rv;

static void setup(void)
{
    json_error_t e;
    char err[200];
    doc = json_loads(doc_text, 0, &e);
    cr_assert_not_null(doc, "%s", e.text);
    cr_assert(canon_read(doc, &in, err, sizeof(err)), "%s", err);
    cr_assert_eq(rank_compute(&in.m, in.states, in.n_states, &rs), RANK_OK);
    rankview_init(&rv);
}

static void teardown(void)
{
    rankview_clear(&rv);
    rank_set_free(&rs);
    canon_clear(&in);
    json_decref(doc);
}

TestSuite(rankview, .init = setup, .fini = teardown);

static void assert_figure(const Vigil__V1__Figure *f, const char *text, int64_t num, int64_t den)
{
    cr_assert_not_null(f);
    cr_assert_str_eq(f->text, text);
    cr_assert_eq(f->num, num, "%s: num %lld", text, (long long)f->num);
    cr_assert_eq(f->den, den, "%s: den %lld", text, (long long)f->den);
}

/* Each ranked state as "code rank tied band_position". */
static const struct {
    const char *code;
    int rank;
    bool tied;
    int band;
    const char *overall;
} ranked_cases[] = {
    {"AA", 1, true, 0, "87.50"},
    {"BB", 1, true, 0, "87.50"},
    {"FF", 3, false, 0, "62.50"},
    {"CC", 4, false, 1, "12.50"},
};

Test(rankview, ranks_ties_figures_and_bands)
{
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, NULL, VIGIL__V1__VIEW__VIEW_LIVE);
    cr_assert_not_null(r);
    cr_assert_str_eq(r->cycle, "C2");
    cr_assert_str_eq(r->methodology, "m");
    cr_assert_eq(r->view, VIGIL__V1__VIEW__VIEW_LIVE);
    cr_assert_eq(r->n_ranked, 4);
    for (size_t i = 0; i < 4; i++) {
        const Vigil__V1__RankedState *s = r->ranked[i];
        cr_assert_str_eq(s->state, ranked_cases[i].code);
        cr_assert_eq(s->rank, ranked_cases[i].rank, "%s", s->state);
        cr_assert_eq(s->tied, ranked_cases[i].tied, "%s", s->state);
        cr_assert_eq(s->band_position, ranked_cases[i].band, "%s", s->state);
        cr_assert_str_eq(s->band, ranked_cases[i].band ? "poor" : "good");
        cr_assert_str_eq(s->overall->text, ranked_cases[i].overall);
        cr_assert_eq(s->movement->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NONE);
        cr_assert_eq(s->n_areas, 2);
        cr_assert_str_eq(s->areas[0]->area, "PR");
        cr_assert_str_eq(s->areas[1]->area, "CA");
    }
    assert_figure(r->ranked[0]->overall, "87.50", 175, 2);
    assert_figure(r->ranked[0]->coverage, "100.00", 100, 1);
    assert_figure(r->ranked[0]->areas[1]->score, "75.00", 75, 1);
    /* Area ranks: CA has Zeta first, then Alpha and Beta tied. */
    cr_assert_eq(r->ranked[2]->areas[1]->rank, 1);
    cr_assert_eq(r->ranked[0]->areas[1]->rank, 2);
    cr_assert(r->ranked[0]->areas[1]->tied);
    cr_assert_eq(r->ranked[3]->areas[1]->rank, 4);
    assert_figure(r->ranked[3]->areas[1]->score, "0.00", 0, 1);
    /* CC: CA.2 does not apply, so 3 of 3 applicable are rated. */
    assert_figure(r->ranked[3]->coverage, "100.00", 100, 1);
    cr_assert_eq(r->n_bands, 2);
    cr_assert_str_eq(r->bands[0]->name, "good");
    cr_assert_str_eq(r->bands[0]->min_score, "50");
    cr_assert_str_eq(r->bands[1]->min_score, "0");
}

Test(rankview, not_ranked_with_every_reason_in_order)
{
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, NULL, VIGIL__V1__VIEW__VIEW_LIVE);
    cr_assert_eq(r->n_not_ranked, 2);
    const Vigil__V1__UnrankedState *dd = r->not_ranked[0], *ee = r->not_ranked[1];
    cr_assert_str_eq(dd->state, "DD");
    cr_assert_str_eq(dd->state_name, "Delta");
    cr_assert_eq(dd->n_reasons, 2);
    cr_assert_eq(dd->reasons[0]->reason,
                 VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_AREA_UNRATED);
    cr_assert_str_eq(dd->reasons[0]->area, "CA");
    cr_assert_eq(dd->reasons[1]->reason, VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_COVERAGE);
    cr_assert_str_eq(dd->reasons[1]->area, "");
    assert_figure(dd->coverage, "33.33", 100, 3);
    cr_assert_str_eq(ee->state, "EE");
    cr_assert_eq(ee->n_reasons, 1);
    cr_assert_eq(ee->reasons[0]->reason,
                 VIGIL__V1__NOT_RANKED_REASON__NOT_RANKED_REASON_NOT_APPROVED);
    cr_assert_null(ee->coverage);
}

/* A predecessor ranking: AA was 2nd, BB 1st in the lower band, FF 3rd in
 * the lower band, CC not ranked. */
static Vigil__V1__Ranking *predecessor(const char *methodology)
{
    static Vigil__V1__RankedState s[3];
    static Vigil__V1__RankedState *ptrs[3];
    static Vigil__V1__Ranking r;
    const char *codes[] = {"BB", "AA", "FF"};
    int ranks[] = {1, 2, 3}, bands[] = {1, 0, 1};
    vigil__v1__ranking__init(&r);
    r.methodology = (char *)methodology;
    for (int i = 0; i < 3; i++) {
        vigil__v1__ranked_state__init(&s[i]);
        s[i].state = (char *)codes[i];
        s[i].rank = ranks[i];
        s[i].band_position = bands[i];
        ptrs[i] = &s[i];
    }
    r.n_ranked = 3;
    r.ranked = ptrs;
    return &r;
}

Test(rankview, movement_against_the_predecessor)
{
    struct rankview_pred pred = {predecessor("m"), NULL};
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, &pred, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    const Vigil__V1__Movement *aa = r->ranked[0]->movement, *bb = r->ranked[1]->movement;
    const Vigil__V1__Movement *ff = r->ranked[2]->movement, *cc = r->ranked[3]->movement;
    cr_assert_eq(aa->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA);
    cr_assert_eq(aa->rank_delta, 1); /* 2 -> 1: climbed one */
    cr_assert_eq(aa->band_delta, 0);
    cr_assert_eq(bb->rank_delta, 0);
    cr_assert_eq(bb->band_delta, 1); /* poor -> good */
    cr_assert_eq(ff->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA);
    cr_assert_eq(ff->rank_delta, 0);
    cr_assert_eq(ff->band_delta, 1);
    cr_assert_eq(cc->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW);
}

Test(rankview, another_methodology_is_not_comparable)
{
    struct rankview_pred pred = {predecessor("m-old"), NULL};
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, &pred, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    cr_assert_eq(r->ranked[0]->movement->kind,
                 VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NOT_COMPARABLE);
    cr_assert_eq(r->ranked[0]->movement->rank_delta, 0);
    cr_assert_eq(r->ranked[3]->movement->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_NEW);
    /* The SQL's predecessor_methodology wins over the ranking's field. */
    pred.methodology = "m";
    r = rankview_ranking(&rv, &in, &rs, &pred, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    cr_assert_eq(r->ranked[0]->movement->kind, VIGIL__V1__MOVEMENT_KIND__MOVEMENT_KIND_DELTA);
}

/* What is stored is the JSON form; a read decodes it and filters it. */
static Vigil__V1__Ranking *stored_and_read(void)
{
    char err[200];
    ProtobufCMessage *m = NULL;
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, NULL, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    json_t *j = pbjson_encode(&r->base);
    cr_assert_not_null(j);
    cr_assert(pbjson_decode(j, &vigil__v1__ranking__descriptor, &m, err, sizeof(err)), "%s", err);
    json_decref(j);
    size_t a = protobuf_c_message_get_packed_size(&r->base),
           b = protobuf_c_message_get_packed_size(m);
    cr_assert_eq(a, b);
    uint8_t *pa = malloc(a), *pb = malloc(b);
    protobuf_c_message_pack(&r->base, pa);
    protobuf_c_message_pack(m, pb);
    cr_assert(memcmp(pa, pb, a) == 0, "the JSON round trip changes the message");
    free(pa);
    free(pb);
    return (Vigil__V1__Ranking *)m;
}

static const char *const region_155[] = {"BB", "EE", "FF", "GB"};
static const char *const region_011[] = {"AA", "CC", "DD"};

Test(rankview, region_filter_keeps_global_ranks_and_adds_regional_ones)
{
    Vigil__V1__Ranking *src = stored_and_read(), *r;
    char err[200];
    struct rankview_filter f = {"", "155", region_155, 4};
    cr_assert_eq(rankview_filter(&rv, src, &f, &r, err, sizeof(err)), RANKVIEW_OK);
    cr_assert_str_eq(r->region, "155");
    cr_assert_eq(r->n_ranked, 2);
    cr_assert_str_eq(r->ranked[0]->state, "BB");
    cr_assert_eq(r->ranked[0]->rank, 1);
    cr_assert(r->ranked[0]->tied);
    cr_assert_eq(r->ranked[0]->region_rank, 1);
    cr_assert_not(r->ranked[0]->region_tied);
    cr_assert_str_eq(r->ranked[1]->state, "FF");
    cr_assert_eq(r->ranked[1]->rank, 3);
    cr_assert_eq(r->ranked[1]->region_rank, 2);
    cr_assert_eq(r->n_not_ranked, 1);
    cr_assert_str_eq(r->not_ranked[0]->state, "EE");
    /* The source is untouched. */
    cr_assert_eq(src->n_ranked, 4);
    cr_assert_eq(src->ranked[1]->region_rank, 0);
    struct rankview_filter g = {NULL, "011", region_011, 3};
    cr_assert_eq(rankview_filter(&rv, src, &g, &r, err, sizeof(err)), RANKVIEW_OK);
    cr_assert_eq(r->n_ranked, 2);
    cr_assert_str_eq(r->ranked[0]->state, "AA");
    cr_assert_eq(r->ranked[0]->region_rank, 1);
    cr_assert_str_eq(r->ranked[1]->state, "CC");
    cr_assert_eq(r->ranked[1]->rank, 4);
    cr_assert_eq(r->ranked[1]->region_rank, 2);
    protobuf_c_message_free_unpacked(&src->base, NULL);
}

Test(rankview, area_filter_ranks_on_the_area)
{
    Vigil__V1__Ranking *src = stored_and_read(), *r;
    char err[200];
    struct rankview_filter f = {"CA", "", NULL, 0};
    cr_assert_eq(rankview_filter(&rv, src, &f, &r, err, sizeof(err)), RANKVIEW_OK);
    cr_assert_str_eq(r->area, "CA");
    const char *order[] = {"FF", "AA", "BB", "CC"};
    int ranks[] = {1, 2, 2, 4};
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(r->ranked[i]->state, order[i]);
        cr_assert_eq(r->ranked[i]->rank, ranks[i], "%s", order[i]);
        cr_assert_eq(r->ranked[i]->tied, ranks[i] == 2);
    }
    /* Area and region together: the regional rank follows the area's. */
    struct rankview_filter g = {"CA", "155", region_155, 4};
    cr_assert_eq(rankview_filter(&rv, src, &g, &r, err, sizeof(err)), RANKVIEW_OK);
    cr_assert_eq(r->n_ranked, 2);
    cr_assert_str_eq(r->ranked[0]->state, "FF");
    cr_assert_eq(r->ranked[0]->region_rank, 1);
    cr_assert_str_eq(r->ranked[1]->state, "BB");
    cr_assert_eq(r->ranked[1]->rank, 2);
    cr_assert_eq(r->ranked[1]->region_rank, 2);
    struct rankview_filter bad = {"XX", "", NULL, 0};
    cr_assert_eq(rankview_filter(&rv, src, &bad, &r, err, sizeof(err)), RANKVIEW_E_INPUT);
    cr_assert(strncmp(err, "area: unknown area \"XX\"", 23) == 0, "%s", err);
    protobuf_c_message_free_unpacked(&src->base, NULL);
}

static const Vigil__V1__IndicatorAggregate *indicator(const Vigil__V1__GetAggregatesResponse *r,
                                                      const char *code)
{
    for (size_t i = 0; i < r->n_indicators; i++) {
        if (strcmp(r->indicators[i]->indicator, code) == 0)
            return r->indicators[i];
    }
    cr_assert_fail("no aggregate of %s", code);
    return NULL;
}

Test(rankview, aggregates_with_their_n)
{
    struct agg_set agg;
    cr_assert(agg_compute(&in.m, in.n_levels, in.states, in.n_states, &agg));
    Vigil__V1__GetAggregatesResponse *r = rankview_aggregates(&rv, &in, &agg);
    agg_set_free(&agg);
    cr_assert_str_eq(r->cycle, "C2");
    cr_assert_eq(r->n_indicators, 4);
    const Vigil__V1__IndicatorAggregate *pr1 = indicator(r, "PR.1"), *ca1 = indicator(r, "CA.1");
    const Vigil__V1__IndicatorAggregate *ca2 = indicator(r, "CA.2");
    cr_assert_eq(pr1->n_levels, 3); /* valued levels only */
    cr_assert_str_eq(pr1->levels[0]->level, "yes");
    cr_assert_eq(pr1->levels[0]->count, 3);
    assert_figure(pr1->levels[0]->share, "60.00", 60, 1);
    cr_assert_eq(pr1->levels[2]->count, 0);
    assert_figure(pr1->levels[2]->share, "0.00", 0, 1);
    cr_assert_eq(pr1->n, 5);
    cr_assert_eq(pr1->counted, 5); /* EE has no approved revision */
    cr_assert_eq(ca1->no_data, 1);
    cr_assert_eq(ca1->n, 4);
    assert_figure(ca1->levels[2]->share, "25.00", 25, 1);
    cr_assert_eq(ca2->not_applicable, 2);
    cr_assert_eq(ca2->n, 3);
    assert_figure(ca2->levels[1]->share, "66.67", 200, 3);
}

static Vigil__V1__ConditionalQuery *query(char **target_levels, size_t nt, const char *given,
                                          char **given_levels, size_t ng)
{
    static Vigil__V1__ConditionalQuery q;
    vigil__v1__conditional_query__init(&q);
    q.target = "CA.2";
    q.target_levels = target_levels;
    q.n_target_levels = nt;
    q.given = (char *)given;
    q.given_levels = given_levels;
    q.n_given_levels = ng;
    return &q;
}

Test(rankview, conditional_shares_and_their_errors)
{
    Vigil__V1__GetAggregatesResponse resp = VIGIL__V1__GET_AGGREGATES_RESPONSE__INIT;
    char *partial[] = {"partial"}, *services[] = {"yes", "partial"};
    char *bad_level[] = {"partial", "adequate"}, *no_data[] = {"no_data"};
    Vigil__V1__ConditionalQuery *q = query(partial, 1, "CA.1", services, 2);
    char err[300];

    cr_assert_eq(
        rankview_conditionals(&rv, &in, in.states, in.n_states, &q, 1, &resp, err, sizeof(err)),
        RANKVIEW_OK);
    cr_assert_eq(resp.n_conditionals, 1);
    cr_assert_eq(resp.conditionals[0]->count, 2);
    cr_assert_eq(resp.conditionals[0]->n, 3);
    assert_figure(resp.conditionals[0]->share, "66.67", 200, 3);

    q = query(bad_level, 2, "CA.1", services, 2);
    cr_assert_eq(
        rankview_conditionals(&rv, &in, in.states, in.n_states, &q, 1, &resp, err, sizeof(err)),
        RANKVIEW_E_INPUT);
    cr_assert(strncmp(err, "conditionals[0].target_levels[1]: ", 34) == 0, "%s", err);
    q = query(partial, 1, "CA.9", services, 2);
    rankview_conditionals(&rv, &in, in.states, in.n_states, &q, 1, &resp, err, sizeof(err));
    cr_assert_str_eq(err, "conditionals[0].given: unknown indicator \"CA.9\"");
    q = query(partial, 1, "CA.1", no_data, 1);
    rankview_conditionals(&rv, &in, in.states, in.n_states, &q, 1, &resp, err, sizeof(err));
    cr_assert(strncmp(err, "conditionals[0].given_levels[0]: \"no_data\" has no value", 55) == 0,
              "%s", err);
    q = query(partial, 1, "CA.1", NULL, 0);
    rankview_conditionals(&rv, &in, in.states, in.n_states, &q, 1, &resp, err, sizeof(err));
    cr_assert_str_eq(err, "conditionals[0].given_levels: at least one level required");
}

Test(rankview, conditional_share_over_a_region_and_without_n)
{
    Vigil__V1__GetAggregatesResponse resp = VIGIL__V1__GET_AGGREGATES_RESPONSE__INIT;
    char *partial[] = {"partial"}, *none[] = {"no"};
    struct rank_state sub[6];
    size_t n = rankview_subset(&in, region_011, 3, sub);
    char err[200];
    cr_assert_eq(n, 3);
    Vigil__V1__ConditionalQuery *q = query(partial, 1, "CA.1", none, 1);
    cr_assert_eq(rankview_conditionals(&rv, &in, sub, n, &q, 1, &resp, err, sizeof(err)),
                 RANKVIEW_OK);
    cr_assert_eq(resp.conditionals[0]->n, 0);
    cr_assert_null(resp.conditionals[0]->share);
}

Test(rankview, card_in_methodology_order_with_calls_to_action)
{
    Vigil__V1__Ranking *r = rankview_ranking(&rv, &in, &rs, NULL, VIGIL__V1__VIEW__VIEW_PUBLISHED);
    Vigil__V1__Evidence ev = VIGIL__V1__EVIDENCE__INIT, *evs[] = {&ev};
    Vigil__V1__Entry text = VIGIL__V1__ENTRY__INIT, *texts[] = {&text};
    ev.citation = "Penal Code";
    text.indicator = "PR.2";
    text.justification = "Section 12";
    text.n_evidence = 1;
    text.evidence = evs;
    r->version = 2;

    Vigil__V1__GetCardResponse *c =
        rankview_card(&rv, &in, r, rankview_state_index(&in, "FF"), texts, 1);
    cr_assert_not_null(c);
    cr_assert_eq(c->version, 2);
    cr_assert_not_null(c->ranked);
    cr_assert_str_eq(c->ranked->state, "FF");
    cr_assert_null(c->not_ranked);
    const char *order[] = {"PR.1", "PR.2", "CA.1", "CA.2"};
    cr_assert_eq(c->n_entries, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_str_eq(c->entries[i]->indicator, order[i]);
    cr_assert_str_eq(c->entries[0]->level, "partial");
    cr_assert_str_eq(c->entries[0]->question, "Q1?");
    assert_figure(c->entries[0]->score, "50.00", 50, 1);
    cr_assert_str_eq(c->entries[1]->justification, "Section 12");
    cr_assert_eq(c->entries[1]->n_evidence, 1);
    assert_figure(c->entries[1]->score, "0.00", 0, 1);
    cr_assert_eq(c->n_calls_to_action, 2);
    cr_assert_str_eq(c->calls_to_action[0], "Do PR.1");
    cr_assert_str_eq(c->calls_to_action[1], "Do PR.2");

    c = rankview_card(&rv, &in, r, rankview_state_index(&in, "DD"), NULL, 0);
    cr_assert_not_null(c->not_ranked);
    cr_assert_str_eq(c->entries[1]->level, "no_data");
    cr_assert_str_eq(c->entries[1]->level_label, "no data");
    cr_assert_null(c->entries[1]->score);
    cr_assert_str_eq(c->entries[3]->level, ""); /* CA.2 does not apply */
    cr_assert_eq(c->n_calls_to_action, 0);

    c = rankview_card(&rv, &in, r, rankview_state_index(&in, "EE"), NULL, 0);
    cr_assert_eq(c->n_entries, 0);
    cr_assert_eq(rankview_state_index(&in, "ZZ"), -1);
}
