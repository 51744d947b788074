/* rank: the ranking rules on crafted data. Each case is a methodology, the
 * states' levels written compactly, and the expected table as text, side by
 * side (the way pgbouncer tests its hba rules).
 *
 * Levels: one character per indicator in methodology order: a digit is a
 * valued level, 'n' no data, 'a' not assessed, '-' not applicable; a
 * leading '!' marks a state without an approved revision.
 * Expected lines: "rank name overall band" for ranked states ("=2" for a
 * tie), then "- name reasons" for the others (reasons: N not approved,
 * A<area> area unrated, C coverage). */
#include "rank.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state_spec {
    const char *code, *name, *levels;
};

struct rank_case {
    const char *title;
    const struct rank_methodology *m;
    struct state_spec states[8];
    const char *expected;
};

/* Two areas of two indicators, yes-partial-no (max 2), equal weights,
 * bands 75/50/25/0, minimum coverage 3/4: the first methodology in small. */
static const struct rank_area two_areas[] = {{"PR", 1}, {"CA", 1}};
static const struct rank_indicator four[] = {
    {"PR.1", 0, 1, 2, "act 1"},
    {"PR.2", 0, 1, 2, "act 2"},
    {"CA.1", 1, 1, 2, "act 3"},
    {"CA.2", 1, 1, 3, "act 4"}, /* adequacy: max 3 */
};
static const struct rank_band bands[] = {
    {"notable", 7500}, {"some", 5000}, {"limited", 2500}, {"slow", 0}};
static const struct rank_methodology basic = {two_areas, 2, four, 4, bands, 4, {3, 4}};

/* One area, weights 3333 and 6667: exact scores 66.665 and 66.67. */
static const struct rank_area one_area[] = {{"X", 1}};
static const struct rank_indicator skewed[] = {{"X.1", 0, 3333, 2, ""}, {"X.2", 0, 6667, 2, ""}};
static const struct rank_methodology rounding = {one_area, 1, skewed, 2, bands, 4, {1, 1}};

/* Area weights 3 and 1: overall leans on PR. */
static const struct rank_area weighted_areas[] = {{"PR", 3}, {"CA", 1}};
static const struct rank_methodology weighted = {weighted_areas, 2, four, 4, bands, 4, {3, 4}};

static const struct rank_case cases[] = {
    {"ties at first, middle and last",
     &basic,
     {{"AA", "Alpha", "2223"},
      {"BB", "Beta", "2223"},
      {"CC", "Gamma", "1112"},
      {"DD", "Delta", "1111"},
      {"EE", "Epsilon", "1111"},
      {"FF", "Zeta", "0000"},
      {"GG", "Eta", "0000"}},
     "=1 Alpha 100.00 notable\n=1 Beta 100.00 notable\n3 Gamma 54.17 some\n"
     "=4 Delta 45.83 limited\n=4 Epsilon 45.83 limited\n=6 Eta 0.00 slow\n"
     "=6 Zeta 0.00 slow\n"},
    {"a tie decided only by rounding: 66.665 and 66.67",
     &rounding,
     {{"BB", "Beta", "21"}, {"AA", "Alpha", "02"}, {"CC", "Gamma", "12"}},
     "1 Gamma 83.34 notable\n=2 Alpha 66.67 some\n=2 Beta 66.67 some\n"},
    {"all states equal",
     &basic,
     {{"CC", "Côte d'Ivoire", "1111"}, {"AA", "Albania", "1111"}, {"ZZ", "Zambia", "1111"}},
     "=1 Albania 45.83 limited\n=1 Côte d'Ivoire 45.83 limited\n=1 Zambia 45.83 limited\n"},
    {"one state", &basic, {{"TH", "Thailand", "2103"}}, "1 Thailand 62.50 some\n"},
    {"none ranked",
     &basic,
     {{"AA", "Alpha", "!2222"}, {"BB", "Beta", "nn22"}, {"CC", "Gamma", "22nn"}},
     "- Alpha N\n- Beta APR C\n- Gamma ACA C\n"},
    {"coverage just below and at the minimum (3 of 4 rated is 3/4)",
     &basic,
     {{"AT", "At", "2n22"}, {"BE", "Below", "2nn2"}},
     "1 At 91.67 notable\n- Below C\n"},
    {"no data is not a no",
     &basic,
     {{"ND", "NoData", "2n22"}, {"NO", "No", "2022"}, {"NA", "NotAssessed", "2a22"}},
     "=1 NoData 91.67 notable\n=1 NotAssessed 91.67 notable\n3 No 66.67 some\n"},
    {"an indicator that does not apply counts nowhere",
     &basic,
     {{"AA", "Alpha", "221-"}, {"BB", "Beta", "2210"}},
     "1 Alpha 75.00 notable\n2 Beta 62.50 some\n"},
    {"area weights other than equal",
     &weighted,
     {{"PP", "ProtectFirst", "2200"}, {"CC", "CareFirst", "0023"}},
     "1 ProtectFirst 75.00 notable\n2 CareFirst 25.00 limited\n"},
};

static const char *const reason_code[] = {"N", "A", "C"};

static void render(const struct rank_methodology *m, const struct rank_state *st,
                   const struct rank_set *s, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        const struct rank_result *r = &s->results[i];
        const char *name = st[r->state].name;
        if (r->ranked) {
            char score[24];
            rank_format(r->overall_h, score, sizeof(score));
            o += (size_t)snprintf(out + o, cap - o, "%s%d %s %s %s\n", r->tied ? "=" : "", r->rank,
                                  name, score, m->bands[r->band].name);
            continue;
        }
        o += (size_t)snprintf(out + o, cap - o, "- %s", name);
        for (size_t k = 0; k < r->n_reasons; k++)
            o += (size_t)snprintf(out + o, cap - o, " %s%s", reason_code[r->reasons[k].kind],
                                  r->reasons[k].kind == RANK_REASON_AREA_UNRATED
                                      ? m->areas[r->reasons[k].area].code
                                      : "");
        o += (size_t)snprintf(out + o, cap - o, "\n");
    }
}

/* Builds the states of a case; entries point into ent (8 × 8). */
static size_t build(const struct rank_case *c, struct rank_state *st, struct rank_entry ent[8][8])
{
    size_t n = 0;
    for (; n < 8 && c->states[n].code; n++) {
        const char *lv = c->states[n].levels;
        st[n] =
            (struct rank_state){c->states[n].code, c->states[n].name, "001", lv[0] != '!', ent[n]};
        if (lv[0] == '!')
            lv++;
        for (size_t i = 0; i < c->m->n_indicators; i++) {
            char ch = lv[i];
            ent[n][i] = (struct rank_entry){ch == '-'   ? RANK_NOT_APPLICABLE
                                            : ch == 'n' ? RANK_NO_DATA
                                            : ch == 'a' ? RANK_NOT_ASSESSED
                                                        : RANK_VALUED,
                                            ch >= '0' && ch <= '9' ? ch - '0' : 0, -1};
        }
    }
    return n;
}

Test(rank, rules_on_crafted_data)
{
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct rank_state st[8];
        struct rank_entry ent[8][8];
        struct rank_set s;
        char got[2048];
        size_t n = build(&cases[k], st, ent);
        cr_assert_eq(rank_compute(cases[k].m, st, n, &s), RANK_OK, "%s", cases[k].title);
        render(cases[k].m, st, &s, got, sizeof(got));
        cr_expect_str_eq(got, cases[k].expected, "%s:\n--- got\n%s--- expected\n%s", cases[k].title,
                         got, cases[k].expected);
        rank_set_free(&s);
    }
}

Test(rank, area_ranks_and_exact_values)
{
    static const struct rank_case c = {
        "", &basic, {{"AA", "Alpha", "2210"}, {"BB", "Beta", "1023"}, {"CC", "Gamma", "2123"}}, ""};
    struct rank_state st[8];
    struct rank_entry ent[8][8];
    struct rank_set s;
    size_t n = build(&c, st, ent);
    cr_assert_eq(rank_compute(&basic, st, n, &s), RANK_OK);
    /* Gamma: PR (100+50)/2 = 75, CA (100+100)/2 = 100, overall 87.5 */
    cr_assert_str_eq(st[s.results[0].state].name, "Gamma");
    cr_assert_eq(s.results[0].overall.num, 175);
    cr_assert_eq(s.results[0].overall.den, 2);
    cr_assert_eq(s.results[0].area_rank[1], 1);
    /* Alpha: PR 100, CA (50 + 0)/2 = 25 -> overall 62.5; Beta: PR 25, CA 100 -> 62.5 */
    cr_assert_eq(s.results[1].rank, 2);
    cr_assert(s.results[1].tied);
    cr_assert_eq(s.results[1].area_rank[0] + s.results[2].area_rank[0], 1 + 3);
    /* Coverage is exact: 4 of 4 */
    cr_assert_eq(s.results[0].coverage.num, 4);
    cr_assert_eq(s.results[0].coverage.den, 4);
    rank_set_free(&s);
}

Test(rank, region_subset_keeps_global_ranks)
{
    static const struct rank_case c = {
        "", &basic, {{"AA", "A", "2222"}, {"BB", "B", "1111"}, {"CC", "C", "1111"}}, ""};
    struct rank_state st[8];
    struct rank_entry ent[8][8];
    struct rank_set s;
    size_t n = build(&c, st, ent);
    cr_assert_eq(rank_compute(&basic, st, n, &s), RANK_OK);
    bool in[3] = {false, true, true};
    int rr[3];
    bool tied[3];
    rank_subset(&s, in, rr, tied);
    cr_assert_eq(s.results[1].rank, 2);
    cr_assert_eq(rr[0], 0);
    cr_assert_eq(rr[1], 1);
    cr_assert(tied[1] && tied[2]);
    rank_set_free(&s);
}

struct move_case {
    bool has_pred, same;
    int prev_rank, prev_band, rank_now, band_now;
    enum rank_move_kind kind;
    int rank_delta, band_delta;
};

Test(rank, movement)
{
    static const struct move_case cases_m[] = {
        {false, true, 3, 1, 1, 0, RANK_MOVE_NONE, 0, 0},           /* no predecessor ranking */
        {true, true, 0, -1, 4, 2, RANK_MOVE_NEW, 0, 0},            /* entering */
        {true, false, 3, 1, 1, 0, RANK_MOVE_NOT_COMPARABLE, 0, 0}, /* methodology changed */
        {true, true, 5, 2, 2, 1, RANK_MOVE_DELTA, 3, 1},           /* climbed */
        {true, true, 1, 0, 4, 1, RANK_MOVE_DELTA, -3, -1},         /* fell */
        {true, true, 2, 1, 2, 1, RANK_MOVE_DELTA, 0, 0},           /* unchanged: "=" */
    };
    for (size_t i = 0; i < sizeof(cases_m) / sizeof(cases_m[0]); i++) {
        const struct move_case *c = &cases_m[i];
        struct rank_move mv = rank_movement(c->has_pred, c->same, c->prev_rank, c->prev_band,
                                            c->rank_now, c->band_now);
        cr_assert_eq(mv.kind, c->kind, "case %zu", i);
        cr_assert_eq(mv.rank_delta, c->rank_delta, "case %zu", i);
        cr_assert_eq(mv.band_delta, c->band_delta, "case %zu", i);
    }
}

Test(rank, rounding_and_parsing)
{
    cr_assert_eq(rank_round((struct rank_q){13333, 200}), 6667); /* 66.665 -> 66.67 */
    cr_assert_eq(rank_round((struct rank_q){200, 3}), 6667);     /* 66.666... */
    cr_assert_eq(rank_round((struct rank_q){1, 200}), 1);        /* 0.005 -> 0.01 */
    cr_assert_eq(rank_round((struct rank_q){1, 201}), 0);
    char buf[24];
    rank_format(6667, buf, sizeof(buf));
    cr_assert_str_eq(buf, "66.67");
    rank_format(5, buf, sizeof(buf));
    cr_assert_str_eq(buf, "0.05");
    rank_format(10000, buf, sizeof(buf));
    cr_assert_str_eq(buf, "100.00");
    int64_t h;
    cr_assert(rank_parse_hundredths("62.5", &h) && h == 6250);
    cr_assert(rank_parse_hundredths("75", &h) && h == 7500);
    cr_assert_not(rank_parse_hundredths("75.001", &h));
    cr_assert_not(rank_parse_hundredths("100.01", &h));
    cr_assert_not(rank_parse_hundredths("7a", &h));
    struct rank_q q;
    cr_assert(rank_parse_fraction("0.75", &q) && q.num == 3 && q.den == 4);
    cr_assert(rank_parse_fraction("", &q) && q.num == 1 && q.den == 1);
    cr_assert_not(rank_parse_fraction("0", &q));
    cr_assert_not(rank_parse_fraction("1.5", &q));
    cr_assert_eq(rank_percent_h(13, 100), 1300);
    cr_assert_eq(rank_percent_h(2, 3), 6667);
}

Test(rank, bad_input_is_refused)
{
    static const struct rank_band unordered[] = {{"a", 5000}, {"b", 7500}, {"c", 0}};
    struct rank_methodology m = basic;
    struct rank_set s;
    m.bands = unordered;
    m.n_bands = 3;
    cr_assert_eq(rank_compute(&m, NULL, 0, &s), RANK_E_INPUT);
    struct rank_entry e[4] = {{RANK_VALUED, 3, 0},
                              {RANK_VALUED, 0, 0},
                              {RANK_VALUED, 0, 0},
                              {RANK_VALUED, 0, 0}}; /* 3 > max 2 of PR.1 */
    struct rank_state st = {"AA", "A", "001", true, e};
    cr_assert_eq(rank_compute(&basic, &st, 1, &s), RANK_E_INPUT);
}
