/* Outage: PostgreSQL goes away under a running daemon and comes back. Calls
 * fail fast with UNAVAILABLE and health says NOT_SERVING meanwhile; service
 * resumes on its own, without restarting the daemon. Uses a private cluster
 * so that stopping PostgreSQL does not disturb the other tests. */
#include "harness.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/exchange.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <criterion/criterion.h>

#define SERVING     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define NOT_SERVING GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING

static struct h_pg pg;
static struct h_db db;
static struct h_daemon d;

static void fini(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
    h_pg_private_destroy(&pg);
}

/* Health status, or -1 - the gRPC code when the call itself failed. */
static int health(struct vigil_client *c)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum vigil_status st =
        vigil_call(c, "/grpc.health.v1.Health/Check", &req.base,
                   &grpc__health__v1__health_check_response__descriptor, &resp, 3000);
    if (st != VIGIL_OK)
        return -1 - vigil_rpc_code(c);
    int s = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
    protobuf_c_message_free_unpacked(resp, NULL);
    return s;
}

static enum vigil_status whoami(struct vigil_client *c)
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum vigil_status st = vigil_call(c, "/vigil.v1.Offices/WhoAmI", &req.base,
                                      &vigil__v1__who_am_iresponse__descriptor, &resp, 3000);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return st;
}

Test(outage, postgres_stops_and_comes_back, .fini = fini, .timeout = 90)
{
    static const char *const extra[] = {"--db_reconnect_max_ms=500", NULL};
    h_pg_private_start(&pg);
    h_db_create_in(&db, &pg);
    h_offices_register(&db);
    h_daemon_start(&d, &db, extra);
    struct vigil_client *c = h_client(&d, "central", false);
    cr_assert_eq(health(c), SERVING);

    h_pg_server_stop(&pg);
    long long t0 = h_now_ms();
    /* Within a second or two: health NOT_SERVING, other calls UNAVAILABLE,
     * and no single call hangs. */
    bool not_serving = false, unavailable = false;
    while (!(not_serving && unavailable) && h_now_ms() - t0 < 2000) {
        long long c0 = h_now_ms();
        not_serving = health(c) == NOT_SERVING;
        enum vigil_status st = whoami(c);
        unavailable = st == VIGIL_E_RPC && vigil_rpc_code(c) == 14 /* UNAVAILABLE */;
        cr_assert_lt(h_now_ms() - c0, 1500, "calls must fail fast while PostgreSQL is down");
        if (!(not_serving && unavailable))
            h_sleep_ms(50);
    }
    cr_assert(not_serving, "health still SERVING %lld ms after PostgreSQL stopped",
              h_now_ms() - t0);
    cr_assert(unavailable, "WhoAmI not UNAVAILABLE: %s", vigil_errmsg(c));
    cr_log_info("outage detected after %lld ms", h_now_ms() - t0);

    h_pg_server_start(&pg);
    t0 = h_now_ms();
    bool back = false;
    while (!back && h_now_ms() - t0 < 15000) {
        back = health(c) == SERVING;
        if (!back)
            h_sleep_ms(100);
    }
    cr_assert(back, "not SERVING 15 s after PostgreSQL came back:\n%s", h_daemon_log_tail(&d));
    cr_log_info("recovered %lld ms after PostgreSQL restarted", h_now_ms() - t0);
    cr_assert_eq(whoami(c), VIGIL_OK, "%s", vigil_errmsg(c));
    cr_assert(h_daemon_running(&d), "the daemon must not have restarted");
    vigil_client_free(c);
}

/* A followed change feed holds a PostgreSQL connection of its own: when the
 * server goes away the feed ends with UNAVAILABLE at once (the client
 * resumes from its cursor), and a feed opened after the recovery works. */
static struct vigil_stream *follow(struct vigil_client *c)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(c, "/vigil.v1.Exchange/Changes", 0, &st);
    cr_assert_not_null(s, "%s", vigil_strerror(st));
    Vigil__V1__ChangesRequest req = VIGIL__V1__CHANGES_REQUEST__INIT;
    req.follow = true;
    cr_assert_eq(vigil_stream_send(s, &req.base), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    ProtobufCMessage *m = NULL; /* the feed is empty: CAUGHT_UP comes first */
    cr_assert_eq(vigil_stream_recv(s, &vigil__v1__change__descriptor, &m), VIGIL_OK, "%s",
                 vigil_errmsg(c));
    cr_assert_eq(((Vigil__V1__Change *)m)->kind, VIGIL__V1__CHANGE_KIND__CHANGE_KIND_CAUGHT_UP);
    protobuf_c_message_free_unpacked(m, NULL);
    return s;
}

Test(outage, followed_feed_ends_unavailable, .fini = fini, .timeout = 90)
{
    static const char *const extra[] = {"--db_reconnect_max_ms=500", NULL};
    h_pg_private_start(&pg);
    h_db_create_in(&db, &pg);
    h_offices_register(&db);
    h_daemon_start(&d, &db, extra);
    struct vigil_client *c = h_client(&d, "partner", false);
    struct vigil_stream *s = follow(c);
    vigil_stream_set_wait(s, 10000);

    h_pg_server_stop(&pg);
    long long t0 = h_now_ms();
    ProtobufCMessage *m = NULL;
    enum vigil_status st = vigil_stream_recv(s, &vigil__v1__change__descriptor, &m);
    long long took = h_now_ms() - t0;
    cr_assert_eq(st, VIGIL_E_RPC, "%s", vigil_strerror(st));
    cr_assert_eq(vigil_rpc_code(c), 14, "UNAVAILABLE: %s", vigil_errmsg(c));
    cr_assert_lt(took, 3000, "the feed ended %lld ms after PostgreSQL stopped", took);
    vigil_stream_free(s);

    h_pg_server_start(&pg);
    bool back = false;
    for (long long end = h_now_ms() + 15000; !back && h_now_ms() < end;) {
        back = health(c) == SERVING;
        if (!back)
            h_sleep_ms(100);
    }
    cr_assert(back, "not SERVING after PostgreSQL came back");
    vigil_stream_free(follow(c));
    vigil_client_free(c);
}
