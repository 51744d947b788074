/* Country cards of the published view, on the crafted dataset of h_rank.h:
 * the state's line of the ranking (ranked or not, with its reasons), each
 * indicator's level, label, question, justification, evidence and score
 * (exactly when rated) in the methodology's order, and the calls to action
 * of its rated indicators below their scale's top level; the same for every
 * reader; an assessment unlocked for correction shows its approved
 * revision. */
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

TestSuite(card, .init = setup, .fini = teardown, .timeout = 90);

/* ---- country cards ----------------------------------------------------- */

static const struct card_case {
    const char *state;
    const char *line;  /* its line of the ranking */
    bool entries;      /* has a counted revision */
    const char *calls; /* indicators whose call to action is listed, in order */
} cards[] = {
    /* Rated below the top: PR.5-8 no, CA.1 partial, CA.2 woefully inadequate, CA.4 no. */
    {"FR", "=3 " H_RANK_L_FR " | mv none", true, "PR.5 PR.6 PR.7 PR.8 CA.1 CA.2 CA.4"},
    /* No data is not rated: no call for PR.1-4; adequate is below comprehensive. */
    {"BE", "2 " H_RANK_L_BE " | mv none", true, "CA.2"},
    {"DE", "1 " H_RANK_L_DE " | mv none", true, ""},
    /* CA.2 does not apply: no level, no call. */
    {"CZ", H_RANK_U_CZ, true, "CA.1"},
    {"HU", H_RANK_U_HU, true, ""},
    {"IT", H_RANK_U_IT, false, ""},
};

/* indicator -> (question, call to action) of ecpat-2012. */
struct meth_texts {
    struct h_rpc r;
    const Vigil__V1__Methodology *m;
};

static void meth_load(struct meth_texts *t)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;
    memset(t, 0, sizeof(*t));
    req.methodology = (char *)H_METHODOLOGY;
    h_rpc_call(&t->r, e.a.central, H_GET_METHODOLOGY, &req.base);
    h_rpc_expect(&t->r, H_OK, NULL, "GetMethodology");
    t->m = ((Vigil__V1__GetMethodologyResponse *)t->r.resp)->methodology;
    cr_assert_eq(t->m->n_indicators, H_N_INDICATORS);
}

static const Vigil__V1__Indicator *meth_indicator(const struct meth_texts *t, const char *code)
{
    for (size_t i = 0; i < t->m->n_indicators; i++) {
        if (strcmp(t->m->indicators[i]->code, code) == 0)
            return t->m->indicators[i];
    }
    cr_assert_fail("no indicator %s", code);
    return NULL;
}

/* The card's line as the ranking shows it (without the newline). */
static char *card_line(const Vigil__V1__GetCardResponse *card)
{
    cr_assert((card->ranked != NULL) != (card->not_ranked != NULL),
              "a card has exactly one of ranked and not_ranked");
    if (card->ranked)
        return h_rank_ranked_line(card->ranked, false);
    return h_rank_unranked_line(card->not_ranked);
}

/* Entries: methodology order, levels as submitted, texts as submitted, a
 * score exactly when rated (value / maximum x 100). */
static void expect_entries(const Vigil__V1__GetCardResponse *card, const char *levels,
                           const struct meth_texts *t, const char *what)
{
    cr_assert_eq(card->n_entries, H_N_INDICATORS, "%s: %zu entries", what, card->n_entries);
    char *want = h_rank_levels_text(levels);
    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    for (size_t i = 0; i < card->n_entries; i++)
        fprintf(f, "%s%s=%s", i ? " " : "", card->entries[i]->indicator, card->entries[i]->level);
    fclose(f);
    cr_assert_str_eq(got, want, "%s: levels\n got %s\nwant %s", what, got, want);
    free(got);
    free(want);

    const char *p = levels[0] == '!' ? levels + 1 : levels;
    size_t i = 0;
    for (; *p; p++) {
        if (*p == ' ')
            continue;
        const Vigil__V1__CardEntry *ce = card->entries[i];
        const Vigil__V1__Indicator *ind = meth_indicator(t, ce->indicator);
        char w[200];
        snprintf(w, sizeof(w), "%s %s", what, ce->indicator);
        cr_assert_str_eq(ce->area, ind->area, "%s: area", w);
        cr_assert_str_eq(ce->question, ind->question, "%s: question", w);
        bool rated = *p >= '0' && *p <= '3';
        if (!rated) {
            cr_assert_null(ce->score, "%s: a score but not rated", w);
        } else {
            int max = i == H_IDX_CA2 ? 3 : 2;
            char text[16];
            int64_t h = ((int64_t)(*p - '0') * 10000 * 2 + max) / (2 * max);
            snprintf(text, sizeof(text), "%lld.%02lld", (long long)(h / 100), (long long)(h % 100));
            h_rank_figure_expect(ce->score, text, (*p - '0') * 100, max, w);
        }
        if (*p == '-') {
            cr_assert_str_eq(ce->justification, "", "%s: justification of no entry", w);
        } else {
            char *j = h_strdupf("Synthetic test justification for %s.", ce->indicator);
            char *cit = h_strdupf("Synthetic test report on %s, section 2", ce->indicator);
            char *url = h_strdupf("https://example.org/vigil-test/%s", ce->indicator);
            cr_assert_str_eq(ce->justification, j, "%s: justification", w);
            cr_assert_eq(ce->n_evidence, 1, "%s: evidence", w);
            cr_assert_str_eq(ce->evidence[0]->citation, cit, "%s: citation", w);
            cr_assert_str_eq(ce->evidence[0]->url, url, "%s: url", w);
            cr_assert_str_eq(ce->evidence[0]->date, "2011-06-30", "%s: date", w);
            free(j);
            free(cit);
            free(url);
        }
        i++;
    }
}

static void expect_card(struct vigil_client *c, const struct card_case *cc,
                        const struct meth_texts *t, const char *who)
{
    struct h_rpc r = {0};
    char what[96];
    snprintf(what, sizeof(what), "card of %s as %s", cc->state, who);
    h_rank_card(&r, c, C1, cc->state, VIGIL__V1__VIEW__VIEW_UNSPECIFIED, 0);
    h_rpc_expect(&r, H_OK, NULL, what);
    const Vigil__V1__GetCardResponse *card = (const Vigil__V1__GetCardResponse *)r.resp;
    cr_assert_str_eq(card->cycle, C1, "%s: cycle", what);
    cr_assert_eq(card->version, 1, "%s: version", what);

    char *line = card_line(card);
    size_t len = strlen(cc->line);
    char *want =
        h_strdupf("%.*s", (int)(len && cc->line[len - 1] == '\n' ? len - 1 : len), cc->line);
    cr_assert_str_eq(line, want, "%s: line", what);
    free(want);
    free(line);

    if (cc->entries)
        expect_entries(card, h_rank_levels_of(h_rank_c1, H_RANK_C1_N, cc->state), t, what);
    else
        cr_assert_eq(card->n_entries, 0, "%s: entries without a counted revision", what);

    /* Calls to action: the listed indicators', in order. */
    char *calls = h_strdupf("%s", cc->calls);
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(calls, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save), n++) {
        cr_assert(n < card->n_calls_to_action, "%s: %zu calls, want more (%s)", what,
                  card->n_calls_to_action, cc->calls);
        cr_assert_str_eq(card->calls_to_action[n], meth_indicator(t, tok)->call_to_action,
                         "%s: call %zu (%s)", what, n, tok);
    }
    cr_assert_eq(card->n_calls_to_action, n, "%s: %zu calls, want %zu (%s)", what,
                 card->n_calls_to_action, n, cc->calls);
    free(calls);
    h_rpc_clear(&r);
}

Test(card, country_cards)
{
    struct meth_texts t;
    struct h_rpc r = {0};
    h_rank_publish_c1(&e, NULL);
    meth_load(&t);
    static const char *const readers[] = {"central", "regional", "partner", "anonymous"};
    for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
        for (size_t k = 0; k < 4; k++)
            expect_card(h_rank_client(&e, readers[k]), &cards[i], &t, readers[k]);
    }
    /* A state without an assessment in the cycle, an unknown state. */
    h_rank_card(&r, e.a.regional, C1, "NL", H_PUBLISHED, 0);
    h_rpc_expect(&r, H_NOT_FOUND, "state", "card of a state not in the cycle");
    h_rank_card(&r, e.a.regional, C1, "XX", H_PUBLISHED, 0);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "state", "card of an unknown state");
    h_rpc_clear(&r);
    h_rpc_clear(&t.r);
}

/* An assessment unlocked for correction keeps counting its approved
 * revision until a newer one is approved: a submitted correction is not
 * published. */
Test(card, an_unlocked_assessment_counts_its_approved_revision)
{
    struct h_rpc r = {0};
    struct meth_texts t;
    h_rank_load(&e, C1, h_rank_c1, H_RANK_C1_N);
    h_rank_review(&e, C1, "FR", VIGIL__V1__REVIEW_ACTION__REVIEW_ACTION_UNLOCK, "PR.5: source?", 1);
    cr_assert_eq(h_rank_submit(&e, C1, "FR", H_RANK_FR_TOP), 2);
    h_rank_close_publish(&e, C1, NULL);
    const Vigil__V1__Ranking *rk =
        h_rank_ranking_ok(&r, e.a.partner, C1, H_PUBLISHED, NULL, NULL, 0);
    h_rank_expect_text(rk, H_RANK_RANKING_C1,
                       "ranking with FR's correction submitted, not approved");
    meth_load(&t);
    expect_card(e.a.partner, &cards[0], &t, "partner");
    h_rpc_clear(&t.r);
    h_rpc_clear(&r);
}
