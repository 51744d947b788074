/* Embargo and who sees what: a publication with an embargo time is the
 * central office's alone until then (regional offices, partners and
 * anonymous callers on the public listener get the same NOT_FOUND as for a
 * cycle never published: an embargo must not leak), and it is released when
 * the time passes without anyone acting, also after reads that filled the
 * caches. An embargoed republication leaves the others on the version they
 * could see. The live view is the central office's only. */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C1 H_CYCLE /* 2009-2012 */
#define C2 "2013-2016"

/* How far ahead the embargo is set, and how long after it the released
 * version must be served. */
#define EMBARGO_AHEAD_MS  3000
#define RELEASE_MARGIN_MS 500

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

TestSuite(embargo, .init = setup, .fini = teardown, .timeout = 60);

static const struct h_rank_state dataset[] = {
    {"DE", "22222222 2222 2322"},
    {"FR", "22220000 2222 1120"},
    {"IT", "!22222222 2222 2222"},
};
#define N_DATASET (sizeof(dataset) / sizeof(dataset[0]))

static const char *const others[] = {"regional", "partner", "anonymous"};
#define N_OTHERS (sizeof(others) / sizeof(others[0]))

/* An embargo EMBARGO_AHEAD_MS or a little more ahead, as sent (in) and as
 * the contract shows it (shown: UTC, whole seconds, a fraction rounded up);
 * *at_ms gets its wall clock time. style 0: whole seconds in UTC; 1: with a
 * fraction of a second; 2: with a +02:00 offset. */
static void embargo_ahead(int style, char in[48], char shown[32], long long *at_ms)
{
    long long s = (h_rank_wall_ms() + EMBARGO_AHEAD_MS) / 1000 + 1;
    char t[32];
    switch (style) {
    case 1: /* s - 1 and a quarter: shown and released at s */
        h_rank_rfc3339((s - 1) * 1000, t);
        t[strlen(t) - 1] = '\0';
        snprintf(in, 48, "%s.250Z", t);
        break;
    case 2: /* the same instant two hours ahead of UTC */
        h_rank_rfc3339((s + 7200) * 1000, t);
        t[strlen(t) - 1] = '\0';
        snprintf(in, 48, "%s+02:00", t);
        break;
    default:
        h_rank_rfc3339(s * 1000, in);
    }
    h_rank_rfc3339(s * 1000, shown);
    *at_ms = s * 1000;
}

static void sleep_until(long long wall_ms)
{
    long long left = wall_ms - h_rank_wall_ms();
    if (left > 0)
        h_sleep_ms((int)left);
}

/* s with every `from` replaced by `to`, malloc'd. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    char *buf = NULL;
    size_t len = 0, lf = strlen(from);
    FILE *f = open_memstream(&buf, &len);
    for (const char *p = s; *p;) {
        if (strncmp(p, from, lf) == 0) {
            fputs(to, f);
            p += lf;
        } else {
            fputc(*p++, f);
        }
    }
    fclose(f);
    return buf;
}

/* Every published read of C1 as who fails with the NOT_FOUND a never
 * published cycle (C2) gets, letter for letter but the code; the history
 * lists nothing. */
static void expect_hidden(const char *who)
{
    struct vigil_client *c = h_rank_client(&e, who);
    struct h_rpc r = {0}, never = {0};
    char what[96];

    for (int call = 0; call < 4; call++) {
        static const char *const names[] = {"GetRanking", "GetAggregates", "GetCard",
                                            "GetPublishedInputs"};
        const char *cycles[] = {C1, C2};
        struct h_rpc *out[] = {&r, &never};
        for (int k = 0; k < 2; k++) {
            switch (call) {
            case 0:
                h_rank_ranking(out[k], c, cycles[k], H_PUBLISHED, NULL, NULL, 0);
                break;
            case 1:
                h_rank_aggregates(out[k], c, cycles[k], H_PUBLISHED, NULL, 0, NULL);
                break;
            case 2:
                h_rank_card(out[k], c, cycles[k], "DE", H_PUBLISHED, 0);
                break;
            default:
                h_rank_inputs(out[k], c, cycles[k], 0);
            }
        }
        snprintf(what, sizeof(what), "%s of an embargoed cycle as %s", names[call], who);
        h_rpc_expect(&r, H_NOT_FOUND, "cycle", what);
        h_rpc_expect(&never, H_NOT_FOUND, "cycle", "the same of a cycle never published");
        char *same = replace_all(never.msg, C2, C1);
        cr_assert_str_eq(r.msg, same, "%s: the message tells an embargo from no publication", what);
        free(same);
    }
    h_rank_history(&r, c, "DE");
    snprintf(what, sizeof(what), "GetHistory under embargo as %s", who);
    h_rpc_expect(&r, H_OK, NULL, what);
    cr_assert_eq(((Vigil__V1__GetHistoryResponse *)r.resp)->n_items, 0, "%s: items", what);
    h_rpc_clear(&r);
    h_rpc_clear(&never);
}

/* Every published read of C1 as who shows version `version` (the current
 * one when asked for 0) with the given embargo; the ranking's text is
 * returned (malloc'd). */
static char *expect_visible(const char *who, int version, const char *embargo)
{
    struct vigil_client *c = h_rank_client(&e, who);
    struct h_rpc r = {0};
    char what[96];

    snprintf(what, sizeof(what), "published reads as %s", who);
    const Vigil__V1__Ranking *rk = h_rank_ranking_ok(&r, c, C1, H_PUBLISHED, NULL, NULL, 0);
    cr_assert_eq(rk->version, version, "%s: version %d, want %d", what, rk->version, version);
    cr_assert_str_eq(rk->embargo_until, embargo, "%s: embargo_until", what);
    cr_assert(!rk->superseded, "%s: the current version is superseded", what);
    char *text = h_rank_ranking_text(rk);

    h_rank_aggregates(&r, c, C1, H_PUBLISHED, NULL, 0, NULL);
    h_rpc_expect(&r, H_OK, NULL, what);
    cr_assert_eq(((Vigil__V1__GetAggregatesResponse *)r.resp)->version, version, "%s", what);
    h_rank_card(&r, c, C1, "DE", H_PUBLISHED, 0);
    h_rpc_expect(&r, H_OK, NULL, what);
    cr_assert_eq(((Vigil__V1__GetCardResponse *)r.resp)->version, version, "%s", what);
    h_rank_inputs(&r, c, C1, 0);
    h_rpc_expect(&r, H_OK, NULL, what);
    cr_assert_eq(((Vigil__V1__GetPublishedInputsResponse *)r.resp)->version, version, "%s", what);
    h_rank_history(&r, c, "DE");
    h_rpc_expect(&r, H_OK, NULL, what);
    const Vigil__V1__GetHistoryResponse *h = (const Vigil__V1__GetHistoryResponse *)r.resp;
    cr_assert_eq(h->n_items, 1, "%s: history items", what);
    cr_assert_eq(h->items[0]->version, version, "%s: history version", what);
    h_rpc_clear(&r);
    return text;
}

/* How ListCycles shows cycle to who: "absent", or "STATUS EMBARGO" (the
 * embargo time as shown, "-" for none). malloc'd. */
static char *listed(const char *who, const char *cycle)
{
    struct h_rpc r = {0};
    Vigil__V1__ListCyclesRequest req = VIGIL__V1__LIST_CYCLES_REQUEST__INIT;
    h_rank_call(&r, h_rank_client(&e, who), H_LIST_CYCLES, &req.base);
    h_rpc_expect(&r, H_OK, NULL, "ListCycles");
    const Vigil__V1__ListCyclesResponse *l = (const Vigil__V1__ListCyclesResponse *)r.resp;
    char *out = h_strdupf("absent");
    for (size_t i = 0; i < l->n_cycles; i++) {
        if (strcmp(l->cycles[i]->code, cycle) != 0)
            continue;
        free(out);
        out = h_strdupf("%s %s",
                        l->cycles[i]->status == VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_PUBLISHED
                            ? "published"
                            : "not-published",
                        l->cycles[i]->embargo_until[0] ? l->cycles[i]->embargo_until : "-");
    }
    h_rpc_clear(&r);
    return out;
}

static void expect_listed(const char *who, const char *cycle, const char *want)
{
    char *got = listed(who, cycle);
    cr_assert_str_eq(got, want, "ListCycles as %s: %s", who, cycle);
    free(got);
}

Test(embargo, hidden_until_the_time_then_released_without_anyone_acting)
{
    char sent[48], embargo[32];
    long long at_ms;

    h_rank_load(&e, C1, dataset, N_DATASET);
    h_cycle_set_status(&e.a, C1, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    h_rank_create_cycle(&e, C2, H_METHODOLOGY, C1);
    /* A fraction of a second is rounded up to the next whole second. */
    embargo_ahead(1, sent, embargo, &at_ms);
    cr_assert_eq(h_rank_publish_ok(&e, C1, sent, NULL), 1);

    /* The central office sees it at once (and fills its cache). */
    char *central = expect_visible("central", 1, embargo);
    for (size_t k = 0; k < N_OTHERS; k++)
        expect_hidden(others[k]);
    /* Read twice: a second read may be served from a cache. */
    for (size_t k = 0; k < N_OTHERS; k++)
        expect_hidden(others[k]);
    /* ListCycles does not tell either (anonymous callers may not list). */
    char *shown = h_strdupf("published %s", embargo);
    expect_listed("central", C1, shown);
    expect_listed("regional", C1, "absent");
    expect_listed("partner", C1, "absent");
    cr_assert(h_rank_wall_ms() < at_ms, "the checks under embargo ran past the embargo time "
                                        "(a very slow machine?)");

    sleep_until(at_ms + RELEASE_MARGIN_MS);
    expect_listed("regional", C1, shown);
    expect_listed("partner", C1, shown);
    free(shown);
    for (size_t k = 0; k < N_OTHERS; k++) {
        char *text = expect_visible(others[k], 1, embargo);
        cr_assert_str_eq(text, central, "%s sees another ranking than central", others[k]);
        free(text);
    }
    free(central);
}

/* FR corrected, then republished under embargo: the others keep version 1
 * as their current one until the time, then move to version 2. */
Test(embargo, an_embargoed_republication_keeps_the_released_version_for_others)
{
    struct h_rpc r = {0};
    char sent[48], embargo[32];
    long long at_ms;

    h_rank_load(&e, C1, dataset, N_DATASET);
    h_rank_close_publish(&e, C1, NULL);
    for (size_t k = 0; k < N_OTHERS; k++) {
        free(expect_visible(others[k], 1, ""));
        const Vigil__V1__Ranking *v1 =
            h_rank_ranking_ok(&r, h_rank_client(&e, others[k]), C1, H_PUBLISHED, NULL, NULL, 1);
        cr_assert(!v1->superseded, "%s: version 1 is current", others[k]);
    }

    h_rank_correct(&e, C1, "FR", "22222222 2222 2322");
    /* Given with an offset, shown in UTC. */
    embargo_ahead(2, sent, embargo, &at_ms);
    cr_assert_eq(h_rank_publish_ok(&e, C1, sent, NULL), 2);

    free(expect_visible("central", 2, embargo));
    const Vigil__V1__Ranking *rk =
        h_rank_ranking_ok(&r, e.a.central, C1, H_PUBLISHED, NULL, NULL, 1);
    cr_assert(rk->superseded, "central: version 1 is superseded by the embargoed version 2");
    for (size_t k = 0; k < N_OTHERS; k++) {
        free(expect_visible(others[k], 1, ""));
        rk = h_rank_ranking_ok(&r, h_rank_client(&e, others[k]), C1, H_PUBLISHED, NULL, NULL, 1);
        cr_assert(!rk->superseded, "%s: version 1 is superseded by one it may not see", others[k]);
        h_rank_ranking(&r, h_rank_client(&e, others[k]), C1, H_PUBLISHED, NULL, NULL, 2);
        h_rpc_expect(&r, H_NOT_FOUND, "version", "version 2 under embargo");
        cr_assert(strstr(r.msg, "embargo") == NULL, "the message names the embargo: %s", r.msg);
    }
    expect_listed("regional", C1, "published -"); /* the coming embargo does not show */
    expect_listed("partner", C1, "published -");
    cr_assert(h_rank_wall_ms() < at_ms, "the checks under embargo ran past the embargo time");

    sleep_until(at_ms + RELEASE_MARGIN_MS);
    for (size_t k = 0; k < N_OTHERS; k++) {
        free(expect_visible(others[k], 2, embargo));
        rk = h_rank_ranking_ok(&r, h_rank_client(&e, others[k]), C1, H_PUBLISHED, NULL, NULL, 1);
        cr_assert(rk->superseded, "%s: version 1 is superseded once 2 is released", others[k]);
        const Vigil__V1__RankedState *fr = h_rank_find(rk, "FR");
        cr_assert_not_null(fr);
        cr_assert_str_eq(fr->overall->text, "65.28", "%s: version 1 as published", others[k]);
    }
    h_rpc_clear(&r);
}

/* The live view (and publication) is the central office's. */
Test(embargo, live_view_is_central_only)
{
    struct h_rpc r = {0};
    h_rank_load(&e, C1, dataset, N_DATASET);
    h_rank_close_publish(&e, C1, NULL);

    h_rank_ranking_ok(&r, e.a.central, C1, H_LIVE, NULL, NULL, 0);
    h_rank_aggregates(&r, e.a.central, C1, H_LIVE, NULL, 0, NULL);
    h_rpc_expect(&r, H_OK, NULL, "live aggregates as central");
    h_rank_card(&r, e.a.central, C1, "FR", H_LIVE, 0);
    h_rpc_expect(&r, H_OK, NULL, "live card as central");
    /* The live view has no versions. */
    h_rank_ranking(&r, e.a.central, C1, H_LIVE, NULL, NULL, 1);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "version", "live ranking with a version");
    h_rank_card(&r, e.a.central, C1, "FR", H_LIVE, 1);
    h_rpc_expect(&r, H_INVALID_ARGUMENT, "version", "live card with a version");

    for (size_t k = 0; k < N_OTHERS; k++) {
        struct vigil_client *c = h_rank_client(&e, others[k]);
        char what[96];
        snprintf(what, sizeof(what), "live ranking as %s", others[k]);
        h_rank_ranking(&r, c, C1, H_LIVE, NULL, NULL, 0);
        h_rpc_expect(&r, H_PERMISSION_DENIED, "view", what);
        snprintf(what, sizeof(what), "live aggregates as %s", others[k]);
        h_rank_aggregates(&r, c, C1, H_LIVE, NULL, 0, NULL);
        h_rpc_expect(&r, H_PERMISSION_DENIED, "view", what);
        snprintf(what, sizeof(what), "live card as %s", others[k]);
        h_rank_card(&r, c, C1, "FR", H_LIVE, 0);
        h_rpc_expect(&r, H_PERMISSION_DENIED, "view", what);
        /* Of an unpublished cycle too. */
        snprintf(what, sizeof(what), "live ranking of an open cycle as %s", others[k]);
        h_rank_create_cycle(&e, k == 0 ? "c-0" : k == 1 ? "c-1" : "c-2", H_METHODOLOGY, "");
        h_rank_ranking(&r, c, k == 0 ? "c-0" : k == 1 ? "c-1" : "c-2", H_LIVE, NULL, NULL, 0);
        h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, what);
    }
    /* Publication: offices other than central are refused; the public
     * listener serves no writes at all. */
    h_rank_publish(&r, e.a.regional, C1, NULL);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "Publish as regional");
    h_rank_publish(&r, e.a.partner, C1, NULL);
    h_rpc_expect(&r, H_PERMISSION_DENIED, NULL, "Publish as partner");
    h_rank_publish(&r, e.anonymous, C1, NULL);
    h_rpc_expect(&r, H_UNAUTHENTICATED, NULL, "Publish as anonymous");
    h_rpc_clear(&r);
}

/* A successor cannot be published while its predecessor's latest version is
 * under embargo: its movement would reveal the embargoed ranking. Once the
 * embargo is released, it can. */
Test(embargo, successor_waits_for_the_predecessor_embargo)
{
    struct h_rpc r = {0};
    char sent[48], embargo[32];
    long long at_ms;

    h_rank_load(&e, C1, dataset, N_DATASET);
    h_rank_close_publish(&e, C1, NULL);
    h_rank_correct(&e, C1, "FR", "22222222 2222 2322");
    embargo_ahead(2, sent, embargo, &at_ms);
    cr_assert_eq(h_rank_publish_ok(&e, C1, sent, NULL), 2);

    h_rank_create_cycle(&e, C2, "ecpat-2012", C1);
    h_rank_load(&e, C2, dataset, N_DATASET);
    h_cycle_set_status(&e.a, C2, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
    h_rank_publish(&r, e.a.central, C2, NULL);
    h_rpc_expect(&r, H_FAILED_PRECONDITION, "cycle", "predecessor under embargo");
    cr_assert(strstr(r.msg, "embargo"), "%s", r.msg);
    cr_assert(h_rank_wall_ms() < at_ms, "the refusal came after the embargo time");

    sleep_until(at_ms + RELEASE_MARGIN_MS);
    cr_assert_eq(h_rank_publish_ok(&e, C2, NULL, NULL), 1);
    h_rpc_clear(&r);
}
