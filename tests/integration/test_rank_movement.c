/* Movement across cycles and histories, on the crafted datasets of
 * h_rank.h: rank and band deltas against the predecessor's published
 * ranking, "new" for a state not ranked then, a state that left not listed,
 * "not comparable" under another methodology, no movement at all when the
 * predecessor has no published ranking; histories oldest first for every
 * reader, also after a history was read before the next publication. */
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

TestSuite(movement, .init = setup, .fini = teardown, .timeout = 90);

static const struct history_case {
    const char *state, *name;
    const char *expected; /* "CYCLE vN: line" per item, oldest first */
} histories[] = {
    {"FR", "France",
     C1 " v1: =3 " H_RANK_L_FR " | mv none\n" C2 " v1: 1 " H_RANK_L_FR_TOP " | mv +2/+1\n"},
    {"SE", "Sweden", C1 " v1: " H_RANK_U_SE C2 " v1: =2 " H_RANK_L2_SE " | mv new\n"},
    {"ES", "Spain", C1 " v1: =3 " H_RANK_L_ES " | mv none\n"},
    {"NL", "Netherlands", ""},
};

static char *history_text(const Vigil__V1__GetHistoryResponse *h)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < h->n_items; i++) {
        const Vigil__V1__HistoryItem *it = h->items[i];
        char *line = it->ranked       ? h_rank_ranked_line(it->ranked, false)
                     : it->not_ranked ? h_rank_unranked_line(it->not_ranked)
                                      : h_strdupf("(neither ranked nor not ranked)");
        fprintf(f, "%s v%d: %s\n", it->cycle, it->version, line);
        free(line);
    }
    fclose(f);
    return buf;
}

Test(movement, movement_and_history)
{
    struct h_rpc r = {0};
    static const char *const readers[] = {"central", "regional", "partner", "anonymous"};
    h_rank_publish_c1(&e, NULL);
    /* Histories read (and perhaps cached) before the next cycle is published. */
    for (size_t k = 0; k < 4; k++) {
        h_rank_history(&r, h_rank_client(&e, readers[k]), "FR");
        h_rpc_expect(&r, H_OK, NULL, "history of FR after one publication");
        cr_assert_eq(((Vigil__V1__GetHistoryResponse *)r.resp)->n_items, 1, "%s", readers[k]);
    }
    h_rank_publish_c2(&e);

    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)C2;
    h_rank_call(&r, e.a.regional, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "GetRanking " C2);
    h_rank_expect_text((const Vigil__V1__Ranking *)r.resp, H_RANK_RANKING_C2, "ranking of " C2);

    for (size_t i = 0; i < sizeof(histories) / sizeof(histories[0]); i++) {
        for (size_t k = 0; k < 4; k++) {
            char what[64];
            snprintf(what, sizeof(what), "history of %s as %s", histories[i].state, readers[k]);
            h_rank_history(&r, h_rank_client(&e, readers[k]), histories[i].state);
            h_rpc_expect(&r, H_OK, NULL, what);
            const Vigil__V1__GetHistoryResponse *h = (const Vigil__V1__GetHistoryResponse *)r.resp;
            cr_assert_str_eq(h->state, histories[i].state, "%s: state", what);
            cr_assert_str_eq(h->state_name, histories[i].name, "%s: name", what);
            char *got = history_text(h);
            cr_assert_str_eq(got, histories[i].expected, "%s:\n--- got\n%s--- want\n%s", what, got,
                             histories[i].expected);
            free(got);
        }
    }
    h_rank_history(&r, e.a.partner, "XX");
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "state", "history of an unknown state");
    h_rpc_clear(&r);
}

/* A predecessor without a published ranking: no movement at all. */
Test(movement, no_movement_without_a_published_predecessor)
{
    struct h_rpc r = {0};
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, C1);
    static const struct h_rank_state two[] = {{"DE", "22222222 2222 2322"},
                                              {"FR", "22220000 2222 1120"}};
    h_rank_load(&e, C2, two, 2);
    h_rank_close_publish(&e, C2, NULL);
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)C2;
    h_rank_call(&r, e.a.partner, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "GetRanking " C2);
    h_rank_expect_text(
        (const Vigil__V1__Ranking *)r.resp,
        "1 DE 100.00 notable efforts | PR 100.00 1, PV 100.00 =1, CA 100.00 1 | cov 100.00"
        " | mv none\n"
        "2 FR 65.28 some progress | PR 50.00 2, PV 100.00 =1, CA 45.83 2 | cov 100.00"
        " | mv none\n",
        "ranking after an unpublished predecessor");
    h_rpc_clear(&r);
}

/* Another methodology (a copy under a new code): ranked in both -> not
 * comparable; not ranked before -> new. */
Test(movement, another_methodology_is_not_comparable)
{
    struct h_rpc r = {0};
    h_rank_publish_c1(&e, NULL);
    h_rank_copy_methodology(&e, C1, "ecpat-2012-copy");
    h_rank_create_cycle(&e, C2, "ecpat-2012-copy", C1);
    static const struct h_rank_state three[] = {
        {"DE", "22222222 2222 2322"}, /* ranked 1 before */
        {"SE", "22222222 2222 2222"}, /* not ranked before */
        {"PL", "11000000 00n1 2322"}, /* ranked 5 before */
    };
    h_rank_load(&e, C2, three, 3);
    h_rank_close_publish(&e, C2, NULL);
    Vigil__V1__GetRankingRequest req = VIGIL__V1__GET_RANKING_REQUEST__INIT;
    req.cycle = (char *)C2;
    h_rank_call(&r, e.a.partner, H_GET_RANKING, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "GetRanking " C2);
    const Vigil__V1__Ranking *rk = (const Vigil__V1__Ranking *)r.resp;
    cr_assert_str_eq(rk->methodology, "ecpat-2012-copy");
    h_rank_expect_text(
        rk,
        "1 " H_RANK_L_DE " | mv n/c\n"
        "2 SE 97.22 notable efforts | PR 100.00 =1, PV 100.00 =1, CA 91.67 3 | cov 100.00"
        " | mv new\n"
        "3 PL 43.06 limited measures | PR 12.50 3, PV 16.67 3, CA 100.00 =1 | cov 93.75"
        " | mv n/c\n",
        "ranking under another methodology");
    h_rpc_clear(&r);
}
