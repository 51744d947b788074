/* Transport: gRPC over HTTP/2 over mutual TLS against a real vigild and a
 * real PostgreSQL: identity, refusals, framing limits, deadlines, and an
 * independent gRPC stack (Python grpcio). */
#include "harness.h"

#include "grpc/health/v1/health.pb-c.h"
#include "vigil/v1/offices.pb-c.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH "/grpc.health.v1.Health/Check"
#define WHOAMI "/vigil.v1.Offices/WhoAmI"

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

static void setup(void)
{
    static const char *const extra[] = {H_PUBLIC_LISTENER, NULL};
    start(extra);
}

/* Calls Health/Check; returns the status or -1 with the call's result in *st. */
static int health(struct vigil_client *c, enum vigil_status *st)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    *st = vigil_call(c, HEALTH, &req.base, &grpc__health__v1__health_check_response__descriptor,
                     &resp, 5000);
    if (*st != VIGIL_OK)
        return -1;
    int status = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
    protobuf_c_message_free_unpacked(resp, NULL);
    return status;
}

static enum vigil_status whoami(struct vigil_client *c, Vigil__V1__WhoAmIResponse **out,
                                int timeout_ms)
{
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    enum vigil_status st = vigil_call(c, WHOAMI, &req.base,
                                      &vigil__v1__who_am_iresponse__descriptor, &resp, timeout_ms);
    *out = (Vigil__V1__WhoAmIResponse *)resp;
    return st;
}

TestSuite(transport, .init = setup, .fini = stop, .timeout = 60);

Test(transport, health_serving_via_libvigil)
{
    struct vigil_client *c = h_client(&d, "central", false);
    enum vigil_status st;
    cr_assert_eq(health(c, &st), GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
                 "%s: %s", vigil_strerror(st), vigil_errmsg(c));
    vigil_client_free(c);
    /* The access line names the method, the status and the office. */
    cr_assert(h_daemon_log_wait(&d, "method=/grpc.health.v1.Health/Check status=OK", 3000), "%s",
              h_daemon_log_tail(&d));
    cr_assert(h_daemon_log_wait(&d, "office=central role=central", 3000));
}

Test(transport, whoami_names_the_office_of_the_certificate)
{
    static const struct {
        const char *who;
        Vigil__V1__Role role;
        const char *region;
    } cases[] = {
        {"central", VIGIL__V1__ROLE__ROLE_CENTRAL, ""},
        {"regional", VIGIL__V1__ROLE__ROLE_REGIONAL, "150"},
        {"partner", VIGIL__V1__ROLE__ROLE_PARTNER, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vigil_client *c = h_client(&d, cases[i].who, false);
        Vigil__V1__WhoAmIResponse *r;
        cr_assert_eq(whoami(c, &r, 5000), VIGIL_OK, "%s", vigil_errmsg(c));
        cr_assert_not_null(r->office);
        cr_assert_str_eq(r->office->name, cases[i].who);
        cr_assert_eq(r->role, cases[i].role);
        cr_assert_str_eq(r->office->region, cases[i].region);
        cr_assert_eq(strlen(r->certificate_sha256), 64);
        char *fp = h_db_query_value_params(
            &db,
            "SELECT c.sha256 FROM office_cert c JOIN office o ON o.id = c.office_id "
            "WHERE o.name = $1",
            1, (const char *const[]){cases[i].who});
        cr_assert_str_eq(r->certificate_sha256, fp);
        free(fp);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        vigil_client_free(c);
    }
}

Test(transport, interop_with_python_grpcio)
{
    char ca[4096], cert[4096], key[4096], *out = NULL, *err = NULL;
    h_path(ca, sizeof(ca), h_certs_dir(), "ca.crt");
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    char *script = h_strdupf("%s/tests/interop/health_check.py", h_source_dir());
    char *proto = h_strdupf("%s/proto", h_source_dir());
    const char *argv[] = {h_python(), script,  "--address", d.address,     "--ca", ca,  "--cert",
                          cert,       "--key", key,         "--proto-dir", proto,  NULL};
    int rc = h_run(argv, NULL, &out, &err);
    cr_assert_eq(rc, 0, "exit %d\nstdout: %s\nstderr: %s", rc, out, err);
    cr_assert(strstr(out, "status=SERVING"), "%s", out);
    cr_assert(strstr(out, "office=central role=central"), "%s", out);
    free(out);
    free(err);
    free(script);
    free(proto);
}

/* A client without a certificate, with one from another CA, or with one the
 * database does not know, is refused. */
Test(transport, refused_identities)
{
    static const char *const refused_at_tls[] = {NULL, "wrongca"};
    for (size_t i = 0; i < 2; i++) {
        struct vigil_client *c = NULL;
        char err[512] = "";
        enum vigil_status st = h_client_try(&d, refused_at_tls[i], false, &c, err, sizeof(err));
        if (st == VIGIL_OK) {
            /* TLS 1.3: the server's refusal arrives after the client's Finished. */
            Vigil__V1__WhoAmIResponse *r = NULL;
            st = whoami(c, &r, 5000);
            cr_assert_null(r);
            vigil_client_free(c);
        }
        cr_assert(st == VIGIL_E_TLS || st == VIGIL_E_CONNECT, "%s: %s",
                  refused_at_tls[i] ? refused_at_tls[i] : "no certificate", vigil_strerror(st));
    }

    struct vigil_client *c = h_client(&d, "unregistered", false);
    Vigil__V1__WhoAmIResponse *r;
    enum vigil_status st;
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 16 /* UNAUTHENTICATED */, "%s", vigil_errmsg(c));
    cr_assert(strstr(vigil_errmsg(c), "not registered"), "%s", vigil_errmsg(c));
    cr_assert_eq(health(c, &st), -1);
    cr_assert_eq(vigil_rpc_code(c), 16, "health must refuse it too: %s", vigil_errmsg(c));
    vigil_client_free(c);
}

Test(transport, disabled_office_is_refused)
{
    struct vigil_client *c = h_client(&d, "partner", false);
    Vigil__V1__WhoAmIResponse *r;
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_OK);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    char *owner = h_strdupf("--db_owner=%s", db.owner);
    const char *argv[] = {h_vigild_path(), owner, "office", "disable", "partner", NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(h_run(argv, NULL, &out, &err), 0, "%s %s", out, err);
    /* Authorization is decided on every call: the open connection is refused too. */
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 16, "%s", vigil_errmsg(c));
    vigil_client_free(c);
    free(owner);
    free(out);
    free(err);
}

Test(transport, public_listener_is_anonymous_and_refuses_office_calls)
{
    struct vigil_client *c = h_client(&d, NULL, true);
    Vigil__V1__WhoAmIResponse *r;
    enum vigil_status st;
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 16, "%s", vigil_errmsg(c));
    cr_assert(strstr(vigil_errmsg(c), "public listener"), "%s", vigil_errmsg(c));
    cr_assert_eq(health(c, &st), -1);
    cr_assert_eq(vigil_rpc_code(c), 16);
    vigil_client_free(c);
}

Test(transport, unknown_method_is_unimplemented)
{
    struct vigil_client *c = h_client(&d, "central", false);
    Vigil__V1__WhoAmIRequest req = VIGIL__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    cr_assert_eq(vigil_call(c, "/vigil.v1.Offices/Nope", &req.base,
                            &vigil__v1__who_am_iresponse__descriptor, &resp, 5000),
                 VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 12 /* UNIMPLEMENTED */);
    cr_assert(strstr(vigil_errmsg(c), "/vigil.v1.Offices/Nope"), "%s", vigil_errmsg(c));
    /* The connection goes on serving. */
    Vigil__V1__WhoAmIResponse *r;
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_OK, "%s", vigil_errmsg(c));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    vigil_client_free(c);
}

Test(transport, compressed_message_is_unimplemented)
{
    struct vigil_client *c = h_client(&d, "central", false);
    const uint8_t body[] = {1, 0, 0, 0, 0};
    cr_assert_eq(vigil_call_raw(c, WHOAMI, body, sizeof(body), 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 12, "%s", vigil_errmsg(c));
    cr_assert(strstr(vigil_errmsg(c), "compressed"), "%s", vigil_errmsg(c));
    vigil_client_free(c);
}

Test(transport, malformed_request_is_invalid_argument)
{
    struct vigil_client *c = h_client(&d, "central", false);
    /* Field 1 of HealthCheckRequest declared as a 100-byte string, 1 byte given. */
    const uint8_t body[] = {0, 0, 0, 0, 3, 0x0a, 100, 'x'};
    cr_assert_eq(vigil_call_raw(c, HEALTH, body, sizeof(body), 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 3 /* INVALID_ARGUMENT */, "%s", vigil_errmsg(c));
    cr_assert_eq(vigil_call_raw(c, HEALTH, "", 0, 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 3, "%s", vigil_errmsg(c));
    vigil_client_free(c);
}

/* Holds an exclusive lock on the office table in an open transaction, so
 * that every identity lookup waits: a slow database on demand. */
static PGconn *lock_offices(void)
{
    PGconn *pg = PQconnectdb(db.super);
    cr_assert_eq(PQstatus(pg), CONNECTION_OK, "%s", PQerrorMessage(pg));
    PGresult *r = PQexec(pg, "BEGIN; LOCK TABLE office IN ACCESS EXCLUSIVE MODE");
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(pg));
    PQclear(r);
    return pg;
}

static void unlock_offices(PGconn *pg)
{
    PQclear(PQexec(pg, "ROLLBACK"));
    PQfinish(pg);
}

Test(transport, short_deadline_is_exceeded_and_the_work_cancelled)
{
    struct vigil_client *c = h_client(&d, "central", false);
    PGconn *lock = lock_offices();
    Vigil__V1__WhoAmIResponse *r = NULL;
    long long t0 = h_now_ms();
    enum vigil_status st = whoami(c, &r, 300);
    long long took = h_now_ms() - t0;
    cr_assert(st == VIGIL_E_DEADLINE || (st == VIGIL_E_RPC && vigil_rpc_code(c) == 4), "%s %s",
              vigil_strerror(st), vigil_errmsg(c));
    cr_assert_lt(took, 2000, "deadline of 300 ms took %lld ms", took);
    /* libvigil gives up at the same deadline it sends, so on a loaded machine
     * its cancel may beat the server's answer. The server's own deadline is
     * checked with nghttp, which sends grpc-timeout and keeps waiting. */
    char cert[4096], key[4096], body[4096], dir[4096], *out = NULL, *err = NULL;
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    h_workdir(dir, "deadline");
    h_path(body, sizeof(body), dir, "body");
    h_write_file(body, "\0\0\0\0\0", 5);
    char *url = h_strdupf("https://%s/vigil.v1.Offices/WhoAmI", d.address);
    const char *argv[] = {"nghttp",
                          "-v",
                          "-n",
                          "--cert",
                          cert,
                          "--key",
                          key,
                          "-H",
                          "content-type: application/grpc",
                          "-H",
                          "grpc-timeout: 300m",
                          "-d",
                          body,
                          url,
                          NULL};
    cr_assert_neq(h_run_timeout(argv, NULL, &out, &err, 10000), -1, "nghttp: %s", err);
    cr_assert(strstr(out, "grpc-status: 4"), "%s", out);
    cr_assert(
        h_daemon_log_wait(&d, "method=/vigil.v1.Offices/WhoAmI status=DEADLINE_EXCEEDED", 3000),
        "%s", h_daemon_log_tail(&d));
    free(url);
    free(out);
    free(err);
    /* The waiting statement is gone from PostgreSQL (its connection was closed). */
    bool gone = false;
    for (int i = 0; i < 50 && !gone; i++) {
        char *n = h_db_query_value(&db, "SELECT count(*) FROM pg_stat_activity WHERE "
                                        "wait_event_type = 'Lock' AND query LIKE '%office_cert%'");
        gone = strcmp(n, "0") == 0;
        free(n);
        if (!gone)
            h_sleep_ms(100);
    }
    cr_assert(gone, "the cancelled statement still waits in PostgreSQL");
    unlock_offices(lock);
    /* The pool recovered: the same client is served again. */
    cr_assert_eq(whoami(c, &r, 5000), VIGIL_OK, "%s", vigil_errmsg(c));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    vigil_client_free(c);
}

Test(transport, alpn_other_than_h2_is_closed_unserved)
{
    char ca[4096], cert[4096], key[4096], *out = NULL, *err = NULL;
    h_path(ca, sizeof(ca), h_certs_dir(), "ca.crt");
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    const char *argv[] = {"openssl", "s_client", "-connect", d.address, "-CAfile",
                          ca,        "-cert",    cert,       "-key",    key,
                          "-alpn",   "http/1.1", "-ign_eof", NULL};
    int rc = h_run_timeout(argv, NULL, &out, &err, 10000);
    cr_assert_neq(rc, -1, "s_client hung: the server must close the connection");
    cr_assert(strstr(out, "No ALPN negotiated"), "%s\n%s", out, err);
    cr_assert(h_daemon_log_wait(&d, "without ALPN h2", 3000), "%s", h_daemon_log_tail(&d));
    free(out);
    free(err);
}

TestSuite(limits, .fini = stop, .timeout = 60);

Test(limits, oversized_message_is_resource_exhausted)
{
    static const char *const extra[] = {"--max_message_size=2048", NULL};
    start(extra);
    struct vigil_client *c = h_client(&d, "central", false);
    size_t len = 5 + 3000;
    uint8_t *body = calloc(1, len);
    body[3] = 3000 >> 8;
    body[4] = 3000 & 0xff;
    cr_assert_eq(vigil_call_raw(c, WHOAMI, body, len, 5000), VIGIL_E_RPC, "%s", vigil_errmsg(c));
    cr_assert_eq(vigil_rpc_code(c), 8 /* RESOURCE_EXHAUSTED */, "%s", vigil_errmsg(c));
    cr_assert(strstr(vigil_errmsg(c), "max_message_size"), "%s", vigil_errmsg(c));
    /* Declared huge, sent small: refused from the prefix alone. */
    const uint8_t huge[] = {0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3};
    cr_assert_eq(vigil_call_raw(c, WHOAMI, huge, sizeof(huge), 5000), VIGIL_E_RPC);
    cr_assert_eq(vigil_rpc_code(c), 8, "%s", vigil_errmsg(c));
    free(body);
    vigil_client_free(c);
}

Test(limits, max_connections_refuses_the_extra_one)
{
    static const char *const extra[] = {"--max_connections=2", NULL};
    start(extra);
    struct vigil_client *a = h_client(&d, "central", false), *b = h_client(&d, "central", false);
    Vigil__V1__WhoAmIResponse *r = NULL;
    struct vigil_client *c = NULL;
    char err[512];
    enum vigil_status st = h_client_try(&d, "central", false, &c, err, sizeof(err));
    if (st == VIGIL_OK) {
        st = whoami(c, &r, 3000);
        vigil_client_free(c);
    }
    cr_assert(st == VIGIL_E_CONNECT || st == VIGIL_E_TLS, "third connection: %s",
              vigil_strerror(st));
    cr_assert(h_daemon_log_wait(&d, "max_connections reached", 3000));
    vigil_client_free(a);
    /* A slot is free again once a connection has gone. */
    bool served = false;
    for (int i = 0; i < 20 && !served; i++) {
        if (h_client_try(&d, "central", false, &c, err, sizeof(err)) == VIGIL_OK) {
            served = whoami(c, &r, 3000) == VIGIL_OK;
            if (served)
                protobuf_c_message_free_unpacked(&r->base, NULL);
            vigil_client_free(c);
        }
        if (!served)
            h_sleep_ms(100);
    }
    cr_assert(served);
    vigil_client_free(b);
}

/* HTTP/2-level checks with nghttp (an independent HTTP/2 client): request
 * shapes libvigil never sends. Returns nghttp's verbose output. */
static char *nghttp(const char *method, const char *content_type, size_t big_header)
{
    char cert[4096], key[4096], body_path[4096], *out = NULL, *err = NULL, dir[4096];
    h_path(cert, sizeof(cert), h_certs_dir(), "central.crt");
    h_path(key, sizeof(key), h_certs_dir(), "central.key");
    h_workdir(dir, "nghttp");
    h_path(body_path, sizeof(body_path), dir, "body");
    h_write_file(body_path, "\0\0\0\0\0", 5);
    char *url = h_strdupf("https://%s/vigil.v1.Offices/WhoAmI", d.address);
    char *m = h_strdupf(":method: %s", method);
    char *ct = h_strdupf("content-type: %s", content_type);
    char *big = calloc(1, big_header + 16);
    strcpy(big, "x-big: ");
    memset(big + 7, 'a', big_header);
    const char *argv[] = {"nghttp",
                          "-v",
                          "-n",
                          "--cert",
                          cert,
                          "--key",
                          key,
                          "-H",
                          m,
                          "-H",
                          ct,
                          "-d",
                          body_path,
                          big_header ? "-H" : url,
                          big_header ? big : NULL,
                          big_header ? url : NULL,
                          NULL};
    int rc = h_run_timeout(argv, NULL, &out, &err, 10000);
    cr_assert_neq(rc, -1, "nghttp: %s", err);
    free(url);
    free(m);
    free(ct);
    free(big);
    free(err);
    return out;
}

Test(transport, http_level_refusals)
{
    char *out = nghttp("PUT", "application/grpc", 0);
    cr_assert(strstr(out, ":status: 405"), "%s", out);
    free(out);
    out = nghttp("POST", "text/plain", 0);
    cr_assert(strstr(out, ":status: 415"), "%s", out);
    free(out);
    out = nghttp("POST", "application/grpc+proto", 0);
    cr_assert(strstr(out, "grpc-status: 0"), "+proto is gRPC too: %s", out);
    free(out);
    /* Above max_header_list_size (16384 by default). */
    out = nghttp("POST", "application/grpc", 20000);
    cr_assert(strstr(out, "grpc-status: 8"), "%s", out);
    cr_assert(strstr(out, "max_header_list_size"), "%s", out);
    free(out);
}
