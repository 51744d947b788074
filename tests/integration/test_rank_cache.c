/* Cache coherence with two daemons on one database. Published reads are
 * served from each daemon's cache, invalidated through LISTEN/NOTIFY: the
 * daemon that acknowledged a republication never serves the old version
 * afterwards; the other stops within a bounded delay, measured here (the
 * goal is 100 ms; the test asserts 1 s to stay robust on a loaded CI
 * machine and logs what it measured). A daemon whose listening connection
 * drops empties its cache: shown with a change made behind the caches' back
 * (as superuser, triggers off, no NOTIFY), which a daemon still caching
 * would not see. */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C1 H_CYCLE /* 2009-2012 */

#define BOUND_MS        1000 /* asserted: the other daemon stops serving the old version */
#define GOAL_MS         100  /* the goal, reported */
#define REPUBLICATIONS  5    /* samples of the delay */
#define READS_AFTER_ACK 20   /* reads through the acknowledging daemon right after */

static const struct h_rank_state dataset[] = {
    {"DE", "22222222 2222 2322"},
    {"FR", "22220000 2222 1120"},
    {"PL", "11000000 00n1 2322"},
};

/* Daemon A (on the Unix socket) with the usual clients in e; daemon B on the
 * same database over TCP (so that its connections are told apart by
 * client_addr), with its own clients. */
static struct h_rank_env e;
static struct h_daemon b;
static struct vigil_client *b_central, *b_regional;

static void setup(void)
{
    h_rank_start(&e, NULL);
    char *db = h_strdupf("--db=%s", e.a.db.app_tcp);
    const char *const args[] = {db, NULL};
    h_daemon_start(&b, &e.a.db, args);
    free(db);
    b_central = h_client(&b, "central", false);
    b_regional = h_client(&b, "regional", false);
}

static void teardown(void)
{
    vigil_client_free(b_central);
    vigil_client_free(b_regional);
    h_daemon_stop(&b);
    h_rank_stop(&e);
}

TestSuite(cache, .init = setup, .fini = teardown, .timeout = 90);

/* The current published version c reads (asserting OK). */
static int read_version(struct vigil_client *c, const char *what)
{
    struct h_rpc r = {0};
    h_rank_ranking(&r, c, C1, H_PUBLISHED, NULL, NULL, 0);
    h_rpc_expect(&r, H_OK, NULL, what);
    int v = ((const Vigil__V1__Ranking *)r.resp)->version;
    h_rpc_clear(&r);
    return v;
}

static int aggregates_version(struct vigil_client *c, const char *what)
{
    struct h_rpc r = {0};
    h_rank_aggregates(&r, c, C1, H_PUBLISHED, NULL, 0, NULL);
    h_rpc_expect(&r, H_OK, NULL, what);
    int v = ((const Vigil__V1__GetAggregatesResponse *)r.resp)->version;
    h_rpc_clear(&r);
    return v;
}

static int card_version(struct vigil_client *c, const char *what)
{
    struct h_rpc r = {0};
    h_rank_card(&r, c, C1, "FR", H_PUBLISHED, 0);
    h_rpc_expect(&r, H_OK, NULL, what);
    int v = ((const Vigil__V1__GetCardResponse *)r.resp)->version;
    h_rpc_clear(&r);
    return v;
}

/* Reads every cached kind through c twice (the second may be a hit) and
 * asserts version v. */
static void fill(struct vigil_client *c, int v, const char *what)
{
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(read_version(c, what), v, "%s: ranking", what);
        cr_assert_eq(aggregates_version(c, what), v, "%s: aggregates", what);
        cr_assert_eq(card_version(c, what), v, "%s: card", what);
    }
}

static int cmp_ll(const void *p, const void *q)
{
    long long x = *(const long long *)p, y = *(const long long *)q;
    return (x > y) - (x < y);
}

/* Reads the published version through B from a thread of its own, from
 * before the republication until it sees the new one, so that the delay is
 * measured while the main thread checks A. Never asserts: the main thread
 * checks what it recorded. */
struct poller {
    struct vigil_client *c; /* B's client, the thread's alone while it runs */
    int old, now;           /* the versions it may read */
    long long seen_ms;      /* h_now_ms() at the first read of `now`; -1 */
    int other;              /* a version other than old and now that it read; 0 */
    int reads;              /* reads made */
    char err[512];          /* a failed read */
};

static void *poll_b(void *arg)
{
    struct poller *p = arg;
    long long start = h_now_ms();

    while (h_now_ms() - start < 3 * BOUND_MS + 5000) {
        struct h_rpc r = {0};
        if (h_rank_ranking(&r, p->c, C1, H_PUBLISHED, NULL, NULL, 0) != H_OK) {
            snprintf(p->err, sizeof(p->err), "code %d: %.400s", r.code, r.msg);
            h_rpc_clear(&r);
            return NULL;
        }
        int v = ((const Vigil__V1__Ranking *)r.resp)->version;
        h_rpc_clear(&r);
        p->reads++;
        if (v == p->now) {
            p->seen_ms = h_now_ms();
            return NULL;
        }
        if (v != p->old) {
            p->other = v;
            return NULL;
        }
    }
    return NULL;
}

Test(cache, republish_through_one_read_through_both)
{
    long long delay_ms[REPUBLICATIONS];

    h_rank_load(&e, C1, dataset, sizeof(dataset) / sizeof(dataset[0]));
    h_rank_close_publish(&e, C1, NULL);

    for (int i = 0; i < REPUBLICATIONS; i++) {
        int old = i + 1, now = i + 2;
        fill(e.a.central, old, "A as central before republishing");
        fill(e.a.regional, old, "A as regional before republishing");
        fill(b_central, old, "B as central before republishing");
        fill(b_regional, old, "B as regional before republishing");
        /* A correction makes every second republication differ. */
        if (i % 2 == 0)
            h_rank_correct(&e, C1, "FR", i % 4 == 0 ? "22222222 2222 2322" : "22220000 2222 1120");

        struct poller p = {.c = b_regional, .old = old, .now = now, .seen_ms = -1};
        pthread_t thread;
        cr_assert_eq(pthread_create(&thread, NULL, poll_b, &p), 0);
        h_sleep_ms(20); /* it is reading the old version */
        cr_assert_eq(h_rank_publish_ok(&e, C1, NULL, NULL), now);
        long long acked = h_now_ms();

        /* The acknowledging daemon never serves the old version again. */
        for (int k = 0; k < READS_AFTER_ACK; k++) {
            cr_assert_eq(read_version(e.a.regional, "A after its ack"), now,
                         "A served version %d after acknowledging version %d (read %d)", old, now,
                         k);
            cr_assert_eq(read_version(e.a.central, "A after its ack"), now);
        }
        cr_assert_eq(aggregates_version(e.a.regional, "A"), now, "A: aggregates after its ack");
        cr_assert_eq(card_version(e.a.regional, "A"), now, "A: card after its ack");

        /* The other stops within the bound. */
        pthread_join(thread, NULL);
        cr_assert_str_eq(p.err, "", "B: a read failed: %s", p.err);
        cr_assert_eq(p.other, 0, "B served version %d between %d and %d", p.other, old, now);
        cr_assert(p.seen_ms >= 0, "B still served version %d %d ms after A acknowledged %d", old,
                  3 * BOUND_MS, now);
        delay_ms[i] = p.seen_ms > acked ? p.seen_ms - acked : 0;
        cr_log_info("republication %d: B served version %d %lld ms after A's acknowledgement "
                    "(%d reads through B)",
                    i + 1, now, delay_ms[i], p.reads);
        cr_assert_lt(delay_ms[i], BOUND_MS, "B served the old version for %lld ms", delay_ms[i]);
        /* Once B has seen it, every kind and every reader get it. */
        cr_assert_eq(read_version(b_central, "B as central"), now);
        cr_assert_eq(aggregates_version(b_regional, "B"), now, "B: aggregates");
        cr_assert_eq(card_version(b_regional, "B"), now, "B: card");
    }
    qsort(delay_ms, REPUBLICATIONS, sizeof(delay_ms[0]), cmp_ll);
    cr_log_info("cache invalidation delay on the other daemon over %d republications: median "
                "%lld ms, max %lld ms (goal < %d ms, asserted < %d ms)",
                REPUBLICATIONS, delay_ms[REPUBLICATIONS / 2], delay_ms[REPUBLICATIONS - 1], GOAL_MS,
                BOUND_MS);
    /* Also on stderr, where ctest --output-on-failure and the logs keep it. */
    fprintf(stderr,
            "test_rank_cache: invalidation delay on the other daemon: median %lld ms, max %lld ms "
            "(goal %d ms)\n",
            delay_ms[REPUBLICATIONS / 2], delay_ms[REPUBLICATIONS - 1], GOAL_MS);
}

/* The name of DE in the published ranking read through c. */
static char *first_name(struct vigil_client *c, const char *what)
{
    struct h_rpc r = {0};
    const Vigil__V1__Ranking *rk = h_rank_ranking_ok(&r, c, C1, H_PUBLISHED, NULL, NULL, 0);
    const Vigil__V1__RankedState *de = h_rank_find(rk, "DE");
    cr_assert_not_null(de, "%s: DE not ranked", what);
    char *name = h_strdupf("%s", de->state_name);
    h_rpc_clear(&r);
    return name;
}

static int count_in_log(const struct h_daemon *d, const char *text)
{
    char *log = h_daemon_log(d);
    int n = 0;
    for (const char *p = log; (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    free(log);
    return n;
}

#define LISTENING "listening for cache invalidations"
#define LOST      "cache invalidation channel lost; caching off"

Test(cache, dropping_the_listening_connection_empties_the_cache)
{
    h_rank_load(&e, C1, dataset, sizeof(dataset) / sizeof(dataset[0]));
    h_rank_close_publish(&e, C1, NULL);
    for (int i = 0; i < 2; i++) {
        char *name = first_name(b_regional, "B filling its cache");
        cr_assert_str_eq(name, "Germany");
        free(name);
    }

    /* Behind the caches' back: no NOTIFY. */
    h_rank_db_alter_publication(
        &e.a.db,
        "UPDATE publication SET ranking = jsonb_set(ranking, "
        "array['ranked', (SELECT (i - 1)::text FROM jsonb_array_elements(ranking->'ranked')"
        " WITH ORDINALITY AS x(s, i) WHERE s->>'state' = 'DE'), 'state_name'], "
        "'\"Germany (changed behind the cache)\"')");
    /* Controls: A, which cached nothing, reads the change; B, listening,
     * still serves what it cached (so the next step proves something). */
    char *name = first_name(e.a.regional, "A");
    cr_assert_str_eq(name, "Germany (changed behind the cache)", "A: the direct change");
    free(name);
    name = first_name(b_regional, "B");
    cr_assert_str_eq(name, "Germany",
                     "B does not serve published reads from its cache (the change shows at once)");
    free(name);

    /* B's listening connection (over TCP; A's is on the Unix socket) dropped. */
    int listening = count_in_log(&b, LISTENING);
    cr_assert(listening >= 1, "B never logged \"%s\"", LISTENING);
    char *n = h_db_query_value(
        &e.a.db, "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity "
                 "WHERE application_name = 'vigild-listen' "
                 "AND datname = current_database() AND client_addr IS NOT NULL");
    cr_assert_str_eq(n, "1", "B's listening connection: %s found", n);
    free(n);
    cr_assert(h_daemon_log_wait(&b, LOST, 5000), "B did not log \"%s\":\n%s", LOST,
              h_daemon_log_tail(&b));

    /* Its cache is empty: the change shows through B. */
    name = first_name(b_regional, "B after losing its channel");
    cr_assert_str_eq(name, "Germany (changed behind the cache)",
                     "B served from its cache after losing its invalidation channel");
    free(name);

    /* It listens again by itself and caches coherently again. */
    long long t0 = h_now_ms();
    while (count_in_log(&b, LISTENING) <= listening && h_now_ms() - t0 < 15000)
        h_sleep_ms(50);
    cr_assert_gt(count_in_log(&b, LISTENING), listening, "B did not listen again:\n%s",
                 h_daemon_log_tail(&b));
    fill(b_regional, 1, "B listening again");
    cr_assert_eq(h_rank_publish_ok(&e, C1, NULL, NULL), 2);
    long long acked = h_now_ms();
    while (read_version(b_regional, "B") != 2) {
        cr_assert_lt(h_now_ms() - acked, BOUND_MS, "B listening again missed a republication");
        h_sleep_ms(1);
    }
}

/* An embargo's release drops what every daemon cached for the others: the
 * one that published, one that heard of it, and one started afterwards. */
Test(cache, an_embargo_is_released_on_every_daemon)
{
    h_rank_load(&e, C1, dataset, sizeof(dataset) / sizeof(dataset[0]));
    h_rank_close_publish(&e, C1, NULL);
    fill(e.a.regional, 1, "A as regional");
    fill(b_regional, 1, "B as regional");

    h_rank_correct(&e, C1, "FR", "22222222 2222 2322");
    long long at_ms = (h_rank_wall_ms() + 3000) / 1000 * 1000 + 1000;
    char embargo[32];
    h_rank_rfc3339(at_ms, embargo);
    cr_assert_eq(h_rank_publish_ok(&e, C1, embargo, NULL), 2);

    struct h_daemon c;
    h_daemon_start(&c, &e.a.db, NULL);
    struct vigil_client *c_regional = h_client(&c, "regional", false);
    struct vigil_client *readers[] = {e.a.regional, b_regional, c_regional};
    static const char *const names[] = {"A", "B", "C (started after the publication)"};

    for (int k = 0; k < 3; k++)
        fill(readers[k], 1, names[k]);
    cr_assert_eq(read_version(b_central, "B as central"), 2, "B: central sees the embargoed one");
    cr_assert(h_rank_wall_ms() < at_ms, "the checks under embargo ran past the embargo time");

    long long left = at_ms + 500 - h_rank_wall_ms();
    h_sleep_ms((int)(left > 0 ? left : 0));
    for (int k = 0; k < 3; k++) {
        char what[96];
        snprintf(what, sizeof(what), "%s as regional after the release", names[k]);
        cr_assert_eq(read_version(readers[k], what), 2, "%s", what);
        cr_assert_eq(aggregates_version(readers[k], what), 2, "%s: aggregates", what);
        cr_assert_eq(card_version(readers[k], what), 2, "%s: card", what);
    }
    vigil_client_free(c_regional);
    h_daemon_stop(&c);
}
