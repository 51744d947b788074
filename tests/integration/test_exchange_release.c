/* Embargo releases enter the feed exactly once (issue 5): written by
 * whichever daemon sees the time pass first when two serve one database,
 * and, when no daemon ran at that time, by the next one to start. Counted
 * in change_event, the feed's table, as the owner. */
#include "harness.h"
#include "h_rank.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct h_rank_state dataset[] = {
    {"DE", "22222222 2222 2322"},
    {"FR", "22220000 2222 1120"},
};

static struct h_rank_env e;

static void setup(void)
{
    h_rank_start(&e, NULL);
    h_rank_load(&e, H_CYCLE, dataset, 2);
    h_cycle_set_status(&e.a, H_CYCLE, VIGIL__V1__CYCLE_STATUS__CYCLE_STATUS_CLOSED);
}

static void teardown(void)
{
    h_rank_stop(&e);
}

TestSuite(exchange_release, .init = setup, .fini = teardown, .timeout = 90);

static int releases(void)
{
    char *v = h_db_query_value(&e.a.db,
                               "SELECT count(*) FROM change_event WHERE kind = 'embargo_released'");
    int n = atoi(v);
    free(v);
    return n;
}

/* Publishes H_CYCLE under an embargo `seconds` from now (whole seconds). */
static void publish_embargoed(int seconds)
{
    char embargo[40];
    time_t t = time(NULL) + seconds;
    strftime(embargo, sizeof(embargo), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    h_rank_publish_ok(&e, H_CYCLE, embargo, NULL);
}

/* Waits up to timeout_ms for n releases; returns the count seen last. */
static int wait_releases(int n, int timeout_ms)
{
    int got = releases();
    for (long long end = h_now_ms() + timeout_ms; got < n && h_now_ms() < end; got = releases())
        h_sleep_ms(50);
    return got;
}

Test(exchange_release, once_with_two_daemons)
{
    struct h_daemon b;
    char *db = h_strdupf("--db=%s", e.a.db.app_tcp);
    const char *const args[] = {db, NULL};
    h_daemon_start(&b, &e.a.db, args);
    publish_embargoed(2);
    cr_assert_eq(releases(), 0, "nothing before the embargo time");
    cr_assert_eq(wait_releases(1, 6000), 1, "released once the time passed");
    h_sleep_ms(1500); /* both daemons' timers have fired by now */
    cr_assert_eq(releases(), 1, "written once, not once per daemon");
    h_daemon_stop(&b);
    free(db);
}

Test(exchange_release, by_the_next_daemon_to_start)
{
    publish_embargoed(2);
    h_daemon_stop(&e.a.d);
    h_sleep_ms(3000); /* the embargo passes while no daemon runs */
    cr_assert_eq(releases(), 0, "nobody could write it");
    h_daemon_start(&e.a.d, &e.a.db, NULL);
    cr_assert_eq(wait_releases(1, 5000), 1, "the daemon writes it at start");
    h_sleep_ms(500);
    cr_assert_eq(releases(), 1, "once");
}
