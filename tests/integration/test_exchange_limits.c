/* Exports and followed feeds use database connections of their own, outside
 * the request pool, at most exchange_max_streams at once (issue 5): beyond
 * the limit they are refused with RESOURCE_EXHAUSTED, naming the setting;
 * a feed without follow and every unary call go on meanwhile (the pool is
 * not theirs to hold); the slot comes back when the stream ends. A followed
 * feed never ends by itself, so a SIGTERM ends it with UNAVAILABLE at once
 * instead of waiting for shutdown_timeout_ms. Streams through libvigil. */
#include "harness.h"
#include "h_rank.h"

#include "vigil/v1/exchange.pb-c.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define CHANGES "/vigil.v1.Exchange/Changes"
#define EXPORT  "/vigil.v1.Exchange/Export"

static const struct h_rank_state dataset[] = {
    {"DE", "22222222 2222 2322"},
    {"FR", "22220000 2222 1120"},
};

static struct h_rank_env e;

static void setup(void)
{
    static const char *const args[] = {"--exchange_max_streams=1", "--db_pool_size=1",
                                       "--shutdown_timeout_ms=20000", NULL};
    h_rank_start(&e, args);
    h_rank_load(&e, H_CYCLE, dataset, 2);
    h_rank_close_publish(&e, H_CYCLE, NULL);
}

static void teardown(void)
{
    h_rank_stop(&e);
}

TestSuite(exchange_limits, .init = setup, .fini = teardown, .timeout = 120);

/* Opens Changes (follow as given) on c and returns the stream. */
static struct vigil_stream *changes(struct vigil_client *c, bool follow)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(c, CHANGES, 20000, &st);
    cr_assert_not_null(s, "open: %s", vigil_strerror(st));
    Vigil__V1__ChangesRequest req = VIGIL__V1__CHANGES_REQUEST__INIT;
    req.follow = follow;
    cr_assert_eq(vigil_stream_send(s, &req.base), VIGIL_OK, "%s", vigil_errmsg(c));
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK, "%s", vigil_errmsg(c));
    return s;
}

/* Reads until CAUGHT_UP (follow) or the end; returns the changes read. */
static int read_until(struct vigil_client *c, struct vigil_stream *s, bool follow)
{
    int n = 0;
    for (;;) {
        ProtobufCMessage *m = NULL;
        enum vigil_status st = vigil_stream_recv(s, &vigil__v1__change__descriptor, &m);
        if (!follow && st == VIGIL_END)
            return n;
        cr_assert_eq(st, VIGIL_OK, "recv: %s %s", vigil_strerror(st), vigil_errmsg(c));
        bool caught_up =
            ((Vigil__V1__Change *)m)->kind == VIGIL__V1__CHANGE_KIND__CHANGE_KIND_CAUGHT_UP;
        protobuf_c_message_free_unpacked(m, NULL);
        if (caught_up) {
            cr_assert(follow, "CAUGHT_UP only with follow");
            return n;
        }
        n++;
    }
}

/* The code a refused stream ends with. */
static int refused_code(struct vigil_client *c, struct vigil_stream *s,
                        const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = NULL;
    enum vigil_status st = vigil_stream_recv(s, d, &m);
    cr_assert_eq(st, VIGIL_E_RPC, "expected a refusal, got %s", vigil_strerror(st));
    return vigil_rpc_code(c);
}

Test(exchange_limits, own_connections_capped_and_pool_free)
{
    struct vigil_client *a = h_client(&e.a.d, "partner", false);
    struct vigil_client *b = h_client(&e.a.d, "partner", false);

    struct vigil_stream *held = changes(a, true);
    int backlog = read_until(a, held, true);
    cr_assert_eq(backlog, 1 + 2, "published and two revisions");

    /* The one slot is taken: another followed feed and an export refused. */
    struct vigil_stream *s = changes(b, true);
    cr_assert_eq(refused_code(b, s, &vigil__v1__change__descriptor), 8, "RESOURCE_EXHAUSTED");
    cr_assert(strstr(vigil_errmsg(b), "exchange_max_streams"), "%s", vigil_errmsg(b));
    vigil_stream_free(s);
    enum vigil_status st;
    s = vigil_stream_open(b, EXPORT, 20000, &st);
    cr_assert_not_null(s);
    Vigil__V1__ExportRequest ex = VIGIL__V1__EXPORT_REQUEST__INIT;
    ex.cycle = H_CYCLE;
    cr_assert_eq(vigil_stream_send(s, &ex.base), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    cr_assert_eq(refused_code(b, s, &vigil__v1__export_record__descriptor), 8);
    vigil_stream_free(s);

    /* The pool (one connection here) is free: a feed without follow and a
     * unary call are served while the followed feed stays open. */
    s = changes(b, false);
    cr_assert_eq(read_until(b, s, false), 3);
    vigil_stream_free(s);
    struct h_rpc r = {0};
    h_rank_ranking_ok(&r, b, H_CYCLE, H_PUBLISHED, NULL, NULL, 0);
    h_rpc_clear(&r);

    /* The held feed still delivers a new commit (LISTEN), then gives its
     * slot back when it ends. */
    h_rank_publish_ok(&e, H_CYCLE, NULL, NULL);
    ProtobufCMessage *m = NULL;
    cr_assert_eq(vigil_stream_recv(held, &vigil__v1__change__descriptor, &m), VIGIL_OK, "%s",
                 vigil_errmsg(a));
    cr_assert_eq(((Vigil__V1__Change *)m)->kind, VIGIL__V1__CHANGE_KIND__CHANGE_KIND_PUBLISHED);
    cr_assert_eq(((Vigil__V1__Change *)m)->version, 2);
    protobuf_c_message_free_unpacked(m, NULL);
    vigil_stream_free(held);
    bool served = false;
    for (int i = 0; i < 50 && !served; i++) { /* the daemon sees the reset within a moment */
        s = changes(b, true);
        ProtobufCMessage *first = NULL;
        st = vigil_stream_recv(s, &vigil__v1__change__descriptor, &first);
        served = st == VIGIL_OK;
        protobuf_c_message_free_unpacked(first, NULL);
        vigil_stream_free(s);
        if (!served)
            h_sleep_ms(100);
    }
    cr_assert(served, "the slot came back after the held feed ended");
    vigil_client_free(a);
    vigil_client_free(b);
}

Test(exchange_limits, shutdown_ends_followed_feeds)
{
    struct vigil_client *a = h_client(&e.a.d, "partner", false);
    struct vigil_stream *held = changes(a, true);
    read_until(a, held, true);
    long long t0 = h_now_ms();
    h_daemon_signal(&e.a.d, SIGTERM);
    ProtobufCMessage *m = NULL;
    enum vigil_status st = vigil_stream_recv(held, &vigil__v1__change__descriptor, &m);
    cr_assert_eq(st, VIGIL_E_RPC, "%s", vigil_strerror(st));
    cr_assert_eq(vigil_rpc_code(a), 14, "UNAVAILABLE: %s", vigil_errmsg(a));
    cr_assert(strstr(vigil_errmsg(a), "resume"), "%s", vigil_errmsg(a));
    vigil_stream_free(held);
    vigil_client_free(a);
    cr_assert_eq(h_daemon_wait(&e.a.d, 10000), 0, "exit 0");
    long long took = h_now_ms() - t0;
    cr_assert_lt(took, 10000, "not held until shutdown_timeout_ms: %lld ms", took);
}

/* Opens Export of H_CYCLE on c. */
static struct vigil_stream *export(struct vigil_client *c)
{
    enum vigil_status st;
    struct vigil_stream *s = vigil_stream_open(c, EXPORT, 20000, &st);
    cr_assert_not_null(s, "open: %s", vigil_strerror(st));
    Vigil__V1__ExportRequest req = VIGIL__V1__EXPORT_REQUEST__INIT;
    req.cycle = H_CYCLE;
    cr_assert_eq(vigil_stream_send(s, &req.base), VIGIL_OK);
    cr_assert_eq(vigil_stream_close_send(s), VIGIL_OK);
    return s;
}

/* An export cancelled part-way (RST_STREAM) gives its connection back, again
 * and again; a whole one then ends with END. The daemon (sanitizers) must
 * exit cleanly at teardown. */
Test(exchange_limits, cancelled_exports_free_their_slot)
{
    struct vigil_client *c = h_client(&e.a.d, "partner", false);
    for (int round = 0; round < 5; round++) {
        struct vigil_stream *s = NULL;
        enum vigil_status st = VIGIL_E_RPC;
        ProtobufCMessage *m = NULL;
        /* The previous round's reset reaches the daemon a moment later. */
        for (int i = 0; i < 50 && st != VIGIL_OK; i++) {
            vigil_stream_free(s);
            s = export(c);
            st = vigil_stream_recv(s, &vigil__v1__export_record__descriptor, &m);
            if (st != VIGIL_OK)
                h_sleep_ms(100);
        }
        cr_assert_eq(st, VIGIL_OK, "round %d: %s", round, vigil_errmsg(c));
        cr_assert_eq(((Vigil__V1__ExportRecord *)m)->kind,
                     VIGIL__V1__EXPORT_RECORD_KIND__EXPORT_RECORD_KIND_HEADER);
        protobuf_c_message_free_unpacked(m, NULL);
        vigil_stream_free(s); /* cancelled after the header */
    }
    int records = 0;
    enum vigil_status st = VIGIL_E_RPC;
    for (int i = 0; i < 50 && st != VIGIL_END; i++) {
        struct vigil_stream *s = export(c);
        ProtobufCMessage *m = NULL;
        records = 0;
        while ((st = vigil_stream_recv(s, &vigil__v1__export_record__descriptor, &m)) == VIGIL_OK) {
            records++;
            protobuf_c_message_free_unpacked(m, NULL);
        }
        vigil_stream_free(s);
        if (st != VIGIL_END)
            h_sleep_ms(100);
    }
    cr_assert_eq(st, VIGIL_END, "%s", vigil_errmsg(c));
    cr_assert_eq(records, 2 + 2 + 3, "header, methodology, 2 states, ranking, aggregates, end");
    vigil_client_free(c);
}
