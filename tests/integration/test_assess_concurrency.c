/* Concurrency: two clients (threads, each with its own connection) submit on
 * the same base revision at the same moment: exactly one wins, the other is
 * ABORTED naming the current revision; round after round, and also on the
 * very first revision of an assessment. */
#include "harness.h"
#include "h_assess.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 30

static struct h_assess_env e;

static void setup(void)
{
    h_assess_start(&e);
}

static void teardown(void)
{
    h_assess_stop(&e);
}

TestSuite(concurrency, .init = setup, .fini = teardown, .timeout = 120);

/* One contender of a round. Threads never assert: the main thread does. */
struct contender {
    struct vigil_client *client;
    pthread_barrier_t *start;
    Vigil__V1__SubmitRequest *req;
    struct h_rpc r;
    int revision;
};

static void *contend(void *arg)
{
    struct contender *c = arg;
    pthread_barrier_wait(c->start);
    c->revision = 0;
    h_submit(&c->r, c->client, c->req, &c->revision);
    return NULL;
}

/* Runs one round on state from base; returns the winner's revision after
 * asserting that exactly one won and the other was ABORTED naming it. */
static int race(struct contender cs[2], const char *state, int base, int round)
{
    pthread_barrier_t start;
    pthread_t t[2];

    pthread_barrier_init(&start, NULL, 2);
    for (int i = 0; i < 2; i++) {
        cs[i].start = &start;
        cs[i].req = h_submit_new(state, H_CYCLE, base);
        /* Different content: a contender's own retry is not what is tested. */
        char *j = h_strdupf("Round %d, contender %d.", round, i);
        h_str_set(&cs[i].req->entries[0]->justification, j);
        free(j);
        cr_assert_eq(pthread_create(&t[i], NULL, contend, &cs[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);

    int winners = (cs[0].r.code == H_OK) + (cs[1].r.code == H_OK);
    cr_assert_eq(winners, 1, "%s round %d on revision %d: %d winners (%s: %s / %s: %s)", state,
                 round, base, winners,
                 cs[0].r.code >= 0 ? vigil_code_name(cs[0].r.code) : "no status", cs[0].r.msg,
                 cs[1].r.code >= 0 ? vigil_code_name(cs[1].r.code) : "no status", cs[1].r.msg);
    struct contender *win = cs[0].r.code == H_OK ? &cs[0] : &cs[1];
    struct contender *lose = win == &cs[0] ? &cs[1] : &cs[0];
    cr_assert_eq(win->revision, base + 1, "%s round %d", state, round);
    char what[96], current[16];
    snprintf(what, sizeof(what), "%s round %d: the loser", state, round);
    h_rpc_expect(&lose->r, H_ABORTED, "base_revision", what);
    snprintf(current, sizeof(current), "%d", win->revision);
    cr_assert(strstr(lose->r.msg, current) != NULL,
              "%s: the message must name the current revision %s: %s", what, current, lose->r.msg);
    for (int i = 0; i < 2; i++) {
        h_rpc_clear(&cs[i].r);
        h_submit_free(cs[i].req);
        cs[i].req = NULL;
    }
    return win->revision;
}

Test(concurrency, same_base_revision_one_wins_every_round)
{
    struct contender cs[2] = {{.client = h_client(&e.d, "regional", false)},
                              {.client = h_client(&e.d, "regional", false)}};
    int initial = h_submit_ok(e.regional, "FR", false);
    int latest = initial;

    for (int round = 1; round <= ROUNDS; round++)
        latest = race(cs, "FR", latest, round);
    cr_assert_eq(latest, initial + ROUNDS);
    cr_assert_eq(h_revision_count(&e, "FR"), initial + ROUNDS);
    cr_assert_eq(h_db_revision_count(&e.db, "FR"), initial + ROUNDS);
    /* The stored chain: each revision based on the one before. */
    Vigil__V1__ListRevisionsRequest lr = VIGIL__V1__LIST_REVISIONS_REQUEST__INIT;
    struct h_rpc r = {0};
    lr.state = "FR";
    lr.cycle = H_CYCLE;
    h_rpc_call(&r, e.central, H_LIST_REVISIONS, &lr.base);
    h_rpc_expect(&r, H_OK, NULL, "ListRevisions");
    const Vigil__V1__ListRevisionsResponse *l = (const Vigil__V1__ListRevisionsResponse *)r.resp;
    for (size_t i = 0; i < l->n_revisions; i++) {
        cr_assert_eq(l->revisions[i]->number, (int)i + 1);
        cr_assert_eq(l->revisions[i]->base_revision, (int)i);
    }
    h_rpc_clear(&r);
    vigil_client_free(cs[0].client);
    vigil_client_free(cs[1].client);
}

/* The first revision of an assessment (no assessment row yet): the race to
 * create it has one winner too. */
Test(concurrency, first_revision_one_wins)
{
    static const char *const states[] = {"FR", "DE", "IT", "ES", "PT", "NL", "BE", "AT"};
    struct contender cs[2] = {{.client = h_client(&e.d, "regional", false)},
                              {.client = h_client(&e.d, "regional", false)}};

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        cr_assert_eq(race(cs, states[i], 0, 0), 1);
        cr_assert_eq(h_revision_count(&e, states[i]), 1);
    }
    vigil_client_free(cs[0].client);
    vigil_client_free(cs[1].client);
}

/* The same request sent twice at once (a client retrying while its first
 * attempt is still in flight): one revision, both get the same answer. */
Test(concurrency, same_request_at_once_one_revision)
{
    struct contender cs[2] = {{.client = h_client(&e.d, "regional", false)},
                              {.client = h_client(&e.d, "regional", false)}};

    for (int round = 0; round < 10; round++) {
        pthread_barrier_t start;
        pthread_t t[2];
        Vigil__V1__SubmitRequest *req = h_submit_new("FR", H_CYCLE, round);

        pthread_barrier_init(&start, NULL, 2);
        for (int i = 0; i < 2; i++) {
            cs[i].start = &start;
            cs[i].req = req;
            cr_assert_eq(pthread_create(&t[i], NULL, contend, &cs[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start);
        for (int i = 0; i < 2; i++) {
            char what[64];
            snprintf(what, sizeof(what), "round %d, contender %d", round, i);
            h_rpc_expect(&cs[i].r, H_OK, NULL, what);
            cr_assert_eq(cs[i].revision, round + 1, "%s", what);
            h_rpc_clear(&cs[i].r);
        }
        cr_assert_eq(h_db_revision_count(&e.db, "FR"), round + 1);
        h_submit_free(req);
    }
    vigil_client_free(cs[0].client);
    vigil_client_free(cs[1].client);
}
