/* Signals: SIGHUP reloads certificates (and keeps the old ones when the new
 * ones do not load) without dropping connections; SIGTERM shuts down
 * gracefully, answering the calls in flight. */
#include "harness.h"

#include "vigil/v1/offices.pb-c.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static struct h_db db;
static struct h_daemon d;

static void start(const char *const *extra)
{
    h_db_create(&db);
    h_offices_register(&db);
    h_daemon_start(&d, &db, extra);
}

static void stop(void)
{
    h_daemon_stop(&d);
    h_db_drop(&db);
}

static enum vigil_status whoami(struct vigil_client *c, int timeout_ms)
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum vigil_status st = vigil_call(c, "/vigil.v1.Offices/WhoAmI", &req.base,
                                      &vigil__v1__who_am_iresponse__descriptor, &resp, timeout_ms);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return st;
}

/* The leaf certificate the daemon presents now, as openssl s_client prints it. */
static char *served_certificate(void)
{
    char ca[4096], cert[4096], key[4096], *out = NULL, *err = NULL;
    h_path(ca, sizeof(ca), h_certs_dir(), "ca.crt");
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    const char *argv[] = {"openssl", "s_client", "-connect", d.address, "-CAfile", ca,  "-cert",
                          cert,      "-key",     key,        "-alpn",   "h2",      NULL};
    int rc = h_run_timeout(argv, NULL, &out, &err, 10000);
    cr_assert_eq(rc, 0, "s_client: %s", err);
    free(err);
    return out;
}

/* The base64 body of a PEM file, as one string without line breaks, to find
 * it in s_client's output whatever the line wrapping. */
static char *pem_body(const char *name)
{
    char path[4096];
    h_path(path, sizeof(path), h_certs_dir(), name);
    char *pem = h_read_file(path, NULL);
    cr_assert_not_null(pem);
    char *start = strstr(pem, "-----\n") + 6, *end = strstr(start, "-----END");
    char *flat = calloc(1, (size_t)(end - start) + 1);
    size_t n = 0;
    for (char *p = start; p < end; p++) {
        if (*p != '\n')
            flat[n++] = *p;
    }
    free(pem);
    return flat;
}

static bool served_is(const char *name)
{
    char *out = served_certificate(), *body = pem_body(name), *flat = calloc(1, strlen(out) + 1);
    size_t n = 0;
    for (char *p = out; *p; p++) {
        if (*p != '\n')
            flat[n++] = *p;
    }
    bool same = strstr(flat, body) != NULL;
    free(out);
    free(body);
    free(flat);
    return same;
}

Test(signals, sighup_reloads_certificates_and_keeps_connections, .fini = stop, .timeout = 60)
{
    start(NULL);
    struct vigil_client *old = h_client(&d, "central", false);
    cr_assert_eq(whoami(old, 5000), VIGIL_OK);
    cr_assert(served_is("server.crt"));

    h_daemon_replace_cert(&d, "server2");
    h_daemon_signal(&d, SIGHUP);
    cr_assert(h_daemon_log_wait(&d, "configuration reloaded", 5000), "%s", h_daemon_log_tail(&d));
    /* The open connection is not dropped; new ones get the new certificate. */
    cr_assert_eq(whoami(old, 5000), VIGIL_OK, "%s", vigil_errmsg(old));
    cr_assert(served_is("server2.crt"), "new connections must see server2.crt");
    struct vigil_client *fresh = h_client(&d, "regional", false);
    cr_assert_eq(whoami(fresh, 5000), VIGIL_OK);
    vigil_client_free(fresh);
    vigil_client_free(old);
}

Test(signals, sighup_with_broken_certificate_keeps_the_old_one, .fini = stop, .timeout = 60)
{
    start(NULL);
    struct vigil_client *old = h_client(&d, "central", false);
    h_write_file(d.cert_file, "not a certificate\n", 18);
    h_daemon_signal(&d, SIGHUP);
    cr_assert(h_daemon_log_wait(&d, "reload failed, keeping the running configuration", 5000), "%s",
              h_daemon_log_tail(&d));
    cr_assert(h_daemon_log_wait(&d, "tls_cert_file", 1000), "the error names the setting");
    cr_assert_eq(whoami(old, 5000), VIGIL_OK);
    struct vigil_client *fresh = h_client(&d, "central", false);
    cr_assert_eq(whoami(fresh, 5000), VIGIL_OK);
    cr_assert(served_is("server.crt"));
    vigil_client_free(fresh);
    vigil_client_free(old);
}

struct slow_call {
    struct vigil_client *client;
    enum vigil_status result;
};

static void *call_thread(void *arg)
{
    struct slow_call *s = arg;
    s->result = whoami(s->client, 20000);
    return NULL;
}

/* Holds the office table locked so that identity lookups wait. */
static PGconn *lock_offices(void)
{
    PGconn *pg = PQconnectdb(db.super);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s", PQerrorMessage(pg));
    PGresult *r = PQexec(pg, "BEGIN; LOCK TABLE office IN ACCESS EXCLUSIVE MODE");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(pg));
    PQclear(r);
    return pg;
}

static void wait_for_waiting_query(void)
{
    for (int i = 0; i < 100; i++) {
        char *n = h_db_query_value(&db, "SELECT count(*) FROM pg_stat_activity WHERE "
                                        "wait_event_type = 'Lock' AND query LIKE '%office_cert%'");
        bool waiting = strcmp(n, "0") != 0;
        free(n);
        if (waiting)
            return;
        h_sleep_ms(50);
    }
    cr_assert_fail("the call never reached the database");
}

Test(signals, sigterm_answers_calls_in_flight_then_exits_0, .fini = stop, .timeout = 60)
{
    start(NULL);
    struct slow_call s = {h_client(&d, "central", false), VIGIL_E_USAGE};
    PGconn *lock = lock_offices();
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, call_thread, &s), 0);
    wait_for_waiting_query();

    h_daemon_signal(&d, SIGTERM);
    cr_assert(h_daemon_log_wait(&d, "shutting down", 5000));
    h_sleep_ms(300);
    cr_assert(h_daemon_running(&d), "the daemon must wait for the call in flight");
    /* No new connection is accepted meanwhile. */
    struct vigil_client *late = NULL;
    char err[256];
    cr_assert_neq(h_client_try(&d, "central", false, &late, err, sizeof(err)), VIGIL_OK);

    PQclear(PQexec(lock, "ROLLBACK"));
    PQfinish(lock);
    pthread_join(t, NULL);
    cr_assert_eq(s.result, VIGIL_OK, "the call in flight must be answered: %s",
                 vigil_errmsg(s.client));
    cr_assert_eq(h_daemon_wait(&d, 10000), 0, "%s", h_daemon_log_tail(&d));
    vigil_client_free(s.client);
}

Test(signals, sigterm_bounds_the_wait_for_stuck_calls, .fini = stop, .timeout = 60)
{
    static const char *const extra[] = {"--shutdown_timeout_ms=500", NULL};
    start(extra);
    struct slow_call s = {h_client(&d, "central", false), VIGIL_OK};
    PGconn *lock = lock_offices();
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, call_thread, &s), 0);
    wait_for_waiting_query();
    long long t0 = h_now_ms();
    h_daemon_signal(&d, SIGTERM);
    cr_assert_eq(h_daemon_wait(&d, 10000), 0, "%s", h_daemon_log_tail(&d));
    long long took = h_now_ms() - t0;
    cr_assert_lt(took, 3000, "shutdown took %lld ms with a 500 ms bound", took);
    cr_assert_geq(took, 400);
    pthread_join(t, NULL);
    cr_assert_neq(s.result, VIGIL_OK, "the stuck call cannot have succeeded");
    PQclear(PQexec(lock, "ROLLBACK"));
    PQfinish(lock);
    vigil_client_free(s.client);
}
