/* h_db: per-test databases, SQL helpers and office registration (see h_db.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_db.h"
#include "h_env.h"
#include "h_run.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends key='value' to a conninfo, quoted as libpq wants. */
static void ci_add(char *buf, size_t cap, const char *key, const char *value)
{
    size_t o = strlen(buf);
    int n = snprintf(buf + o, cap - o, "%s%s='", o ? " " : "", key);
    cr_assert(n > 0 && (size_t)n < cap - o, "conninfo too long");
    o += (size_t)n;
    for (const char *v = value; *v; v++) {
        cr_assert(o + 3 < cap, "conninfo too long");
        if (*v == '\'' || *v == '\\')
            buf[o++] = '\\';
        buf[o++] = *v;
    }
    cr_assert(o + 2 < cap, "conninfo too long");
    buf[o++] = '\'';
    buf[o] = '\0';
}

static void conninfo(char *buf, size_t cap, const struct h_pg *pg, bool tcp, const char *db,
                     const char *user, const char *password)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", pg->port);
    buf[0] = '\0';
    ci_add(buf, cap, "host", tcp ? "127.0.0.1" : pg->host);
    ci_add(buf, cap, "port", port);
    ci_add(buf, cap, "dbname", db);
    ci_add(buf, cap, "user", user);
    if (password)
        ci_add(buf, cap, "password", password);
}

static void fill(struct h_db *db, const struct h_pg *pg)
{
    db->pg = pg;
    conninfo(db->app, sizeof(db->app), pg, false, db->name, "vigil_app", NULL);
    conninfo(db->owner, sizeof(db->owner), pg, false, db->name, "vigil_owner", NULL);
    conninfo(db->super, sizeof(db->super), pg, false, db->name, "postgres", NULL);
    conninfo(db->app_tcp, sizeof(db->app_tcp), pg, true, db->name, "vigil_app", pg->app_password);
    conninfo(db->owner_tcp, sizeof(db->owner_tcp), pg, true, db->name, "vigil_owner",
             pg->owner_password);
}

bool h_db_try_exec(const char *ci, const char *sql, char *err, size_t errcap)
{
    PGconn *c = PQconnectdb(ci);
    bool ok = false;

    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errcap, "%s", PQerrorMessage(c));
    } else {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        snprintf(err, errcap, "%s", ok ? "" : PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}

/* Superuser connection to db's cluster, database dbname. */
static PGconn *connect_super(const struct h_pg *pg, const char *dbname)
{
    char ci[1024];
    PGconn *c;

    conninfo(ci, sizeof(ci), pg, false, dbname, "postgres", NULL);
    c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        static char msg[1024];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        PQfinish(c);
        cr_assert_fail("connect to %s as postgres (socket %s, port %d): %s", dbname, pg->host,
                       pg->port, msg);
    }
    return c;
}

static void drop_at_exit(const char *super_ci, const char *name, long n)
{
    char sql[200], err[512];
    (void)n;
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    h_db_try_exec(super_ci, sql, err, sizeof(err));
}

void h_db_create_in(struct h_db *db, const struct h_pg *pg)
{
    static int counter;
    char sql[300];
    const char *borrow = getenv("VIGIL_TEST_DB");

    memset(db, 0, sizeof(*db));
    db->cleanup = -1;
    if (borrow && *borrow && !pg->is_private) {
        snprintf(db->name, sizeof(db->name), "%s", borrow);
        db->borrowed = true;
        fill(db, pg);
        return;
    }
    snprintf(db->name, sizeof(db->name), "t_%d_%d", (int)getpid(), ++counter);
    fill(db, pg);
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\" TEMPLATE \"%s\" OWNER vigil_owner", db->name,
             pg->template_db);
    PGconn *c = connect_super(pg, "postgres");
    for (int attempt = 1;; attempt++) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            break;
        }
        /* "source database is being accessed by other users": someone (a
         * psql left open on the template?) holds it for a moment. */
        if (attempt < 20 && strstr(PQresultErrorMessage(r), "being accessed")) {
            PQclear(r);
            h_sleep_ms(250);
            continue;
        }
        static char msg[1024];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        cr_assert_fail("%s: %s", sql, msg);
    }
    PQfinish(c);
    char super_pg[1024];
    conninfo(super_pg, sizeof(super_pg), pg, false, "postgres", "postgres", NULL);
    db->cleanup = h_cleanup_add(drop_at_exit, super_pg, db->name, 0);
}

void h_db_create(struct h_db *db)
{
    h_db_create_in(db, h_pg_shared());
}

void h_db_drop(struct h_db *db)
{
    char super_pg[1024];

    if (db->pg == NULL || db->borrowed || db->name[0] == '\0')
        return;
    h_cleanup_remove(db->cleanup);
    db->cleanup = -1;
    if (!db->pg->is_private || db->pg->running) {
        conninfo(super_pg, sizeof(super_pg), db->pg, false, "postgres", "postgres", NULL);
        drop_at_exit(super_pg, db->name, 0);
    }
    db->name[0] = '\0';
}

void h_db_exec(const struct h_db *db, const char *sql)
{
    char err[1024];
    if (!h_db_try_exec(db->super, sql, err, sizeof(err))) {
        static char msg[1024];
        snprintf(msg, sizeof(msg), "%s", err);
        cr_assert_fail("SQL failed in %s: %s\n%s", db->name, sql, msg);
    }
}

char *h_db_query_value_params(const struct h_db *db, const char *sql, int nparams,
                              const char *const *params)
{
    PGconn *c = connect_super(db->pg, db->name);
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    static char msg[1024];
    char *value = NULL;

    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        cr_assert_fail("query failed in %s: %s\n%s", db->name, sql, msg);
    }
    if (PQntuples(r) != 1 || PQnfields(r) != 1) {
        snprintf(msg, sizeof(msg), "%d rows, %d columns", PQntuples(r), PQnfields(r));
        PQclear(r);
        PQfinish(c);
        cr_assert_fail("query in %s must return one value: %s\ngot %s", db->name, sql, msg);
    }
    if (!PQgetisnull(r, 0, 0))
        value = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return value;
}

char *h_db_query_value(const struct h_db *db, const char *sql)
{
    return h_db_query_value_params(db, sql, 0, NULL);
}

/* Runs `vigild --db=... --db_owner=... office ARGS...`; fails the test with
 * its output when it does not exit 0. */
static void office_cmd(const struct h_db *db, const char *const *args)
{
    char *db_arg = h_strdupf("--db=%s", db->app);
    char *owner_arg = h_strdupf("--db_owner=%s", db->owner);
    char *cert_arg = h_strdupf("--tls_cert_file=%s/server.crt", h_certs_dir());
    char *key_arg = h_strdupf("--tls_key_file=%s/server.key", h_certs_dir());
    char *ca_arg = h_strdupf("--tls_ca_file=%s/ca.crt", h_certs_dir());
    const char *argv[16] = {h_vigild_path(), db_arg, owner_arg, cert_arg,
                            key_arg,         ca_arg, "office"};
    size_t n = 7;
    char *out = NULL, *err = NULL;
    static char msg[4096];
    int rc;

    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    rc = h_run(argv, NULL, &out, &err);
    snprintf(msg, sizeof(msg), "%s%s", out ? out : "", err ? err : "");
    free(out);
    free(err);
    free(db_arg);
    free(owner_arg);
    free(cert_arg);
    free(key_arg);
    free(ca_arg);
    cr_assert(rc == 0, "vigild office %s %s failed (exit %d):\n%s", args[0], args[1] ? args[1] : "",
              rc, msg);
}

void h_office_add(const struct h_db *db, const char *name, const char *role, const char *region,
                  const char *cert)
{
    const char *params[] = {name};
    char *have =
        h_db_query_value_params(db, "SELECT count(*)::text FROM office WHERE name = $1", 1, params);
    bool exists = have && strcmp(have, "0") != 0;

    free(have);
    if (!exists) {
        const char *args[] = {"add",  name, "--role", role, region ? "--region" : NULL,
                              region, NULL};
        office_cmd(db, args);
    }
    if (cert == NULL)
        return;
    have = h_db_query_value_params(db,
                                   "SELECT count(*)::text FROM office_cert c JOIN office o "
                                   "ON o.id = c.office_id WHERE o.name = $1",
                                   1, params);
    exists = have && strcmp(have, "0") != 0;
    free(have);
    if (!exists) {
        char *path = h_strdupf("%s/%s.crt", h_certs_dir(), cert);
        const char *args[] = {"add-cert", name, path, NULL};
        office_cmd(db, args);
        free(path);
    }
}

void h_offices_register(const struct h_db *db)
{
    h_office_add(db, "central", "central", NULL, "central");
    h_office_add(db, "regional", "regional", "150", "regional");
    h_office_add(db, "partner", "partner", NULL, "partner");
}
