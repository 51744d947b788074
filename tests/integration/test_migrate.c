/* Migrations and roles: `vigild --migrate-only` on an empty database, alone
 * and racing another, its refusal of a schema it does not know, what the
 * service role may not do, and the `vigild office` bootstrap commands. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The advisory lock vigild migrates under (SQL_MIGRATE_LOCK, server/sql.c). */
#define MIGRATE_LOCK_KEY "6217579140699998535"

#define MAX_ARGS 12
typedef const char *args_t[MAX_ARGS];

static struct h_db db;

static void drop_db(void)
{
    h_db_drop(&db);
}

/* ---- helpers ---- */

/* The migration files of the source tree, sorted, joined by ','; *count
 * gets their number. malloc'd. */
static char *migration_files(int *count)
{
    char *dir = h_strdupf("%s/migrations", h_source_dir());
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    char *joined = strdup("");

    cr_assert_geq(n, 0, "cannot list %s", dir);
    *count = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(list[i]->d_name);
        if (len > 4 && strcmp(list[i]->d_name + len - 4, ".sql") == 0) {
            char *j = h_strdupf("%s%s%s", joined, *count ? "," : "", list[i]->d_name);
            free(joined);
            joined = j;
            ++*count;
        }
        free(list[i]);
    }
    free(list);
    free(dir);
    cr_assert_gt(*count, 0, "no migrations found");
    return joined;
}

/* Replaces the first "dbname='from'" of conninfo ci with "dbname='to'". */
static void retarget(char *ci, size_t cap, const char *from, const char *to)
{
    char *old = h_strdupf("dbname='%s'", from);
    char *at = strstr(ci, old);
    cr_assert_not_null(at, "no %s in %s", old, ci);
    char *n = h_strdupf("%.*sdbname='%s'%s", (int)(at - ci), ci, to, at + strlen(old));
    cr_assert_lt(strlen(n), cap);
    strcpy(ci, n);
    free(n);
    free(old);
}

static void drop_fresh(const char *super_ci, const char *name, long n)
{
    char sql[200], err[512];
    (void)n;
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    h_db_try_exec(super_ci, sql, err, sizeof(err));
}

/* An empty database (from template0: no schema at all) owned by vigil_owner,
 * described like base (of the same cluster). Dropped at exit. */
static void fresh_create(struct h_db *fresh, const struct h_db *base)
{
    static int counter;
    char name[64];
    snprintf(name, sizeof(name), "m_%d_%d", (int)getpid(), ++counter);
    char *sql = h_strdupf("CREATE DATABASE \"%s\" TEMPLATE template0 OWNER vigil_owner", name);
    h_db_exec(base, sql);
    free(sql);
    *fresh = *base;
    snprintf(fresh->name, sizeof(fresh->name), "%s", name);
    retarget(fresh->app, sizeof(fresh->app), base->name, name);
    retarget(fresh->owner, sizeof(fresh->owner), base->name, name);
    retarget(fresh->super, sizeof(fresh->super), base->name, name);
    fresh->borrowed = true; /* not for h_db_drop: fresh_drop */
    /* Dropped from the maintenance database: base may be gone by then. */
    char maint[sizeof(base->super)];
    snprintf(maint, sizeof(maint), "%s", base->super);
    retarget(maint, sizeof(maint), base->name, "postgres");
    fresh->cleanup = h_cleanup_add(drop_fresh, maint, name, 0);
}

static void fresh_drop(struct h_db *fresh, const struct h_db *base)
{
    char maint[sizeof(base->super)];
    snprintf(maint, sizeof(maint), "%s", base->super);
    retarget(maint, sizeof(maint), base->name, "postgres");
    h_cleanup_remove(fresh->cleanup);
    drop_fresh(maint, fresh->name, 0);
}

/* vigild [--migrate-only] --db=APP --db_owner=OWNER [ARGS] as an argv; the
 * strings are in *owned (free with free_argv). */
struct argv {
    const char *v[MAX_ARGS + 8];
    char *owned[2];
};

static void vigild_argv(struct argv *a, const struct h_db *on, bool migrate_only,
                        const char *const *extra)
{
    size_t n = 0;
    a->owned[0] = h_strdupf("--db=%s", on->app);
    a->owned[1] = h_strdupf("--db_owner=%s", on->owner);
    a->v[n++] = h_vigild_path();
    if (migrate_only)
        a->v[n++] = "--migrate-only";
    a->v[n++] = a->owned[0];
    a->v[n++] = a->owned[1];
    for (size_t i = 0; extra != NULL && i < MAX_ARGS && extra[i] != NULL; i++)
        a->v[n++] = extra[i];
    a->v[n] = NULL;
}

static void free_argv(struct argv *a)
{
    free(a->owned[0]);
    free(a->owned[1]);
}

/* A vigild running in the background, its output in log. */
struct proc {
    pid_t pid;
    char log[PATH_MAX];
};

static void spawn(struct proc *p, const char *const argv[], const char *dir, const char *name)
{
    h_path(p->log, sizeof(p->log), dir, name);
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "open %s", p->log);
    p->pid = fork();
    cr_assert_geq(p->pid, 0, "fork");
    if (p->pid == 0) {
        h_child_setup();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fd);
}

/* Waits for p's exit: its status (128 + signal), or -1 after timeout_ms
 * (then it is killed). */
static int reap(struct proc *p, int timeout_ms)
{
    long long end = h_now_ms() + timeout_ms;
    int status;
    for (;;) {
        pid_t w = waitpid(p->pid, &status, WNOHANG);
        if (w == p->pid)
            break;
        if (h_now_ms() > end) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            return -1;
        }
        h_sleep_ms(10);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *s = haystack; (s = strstr(s, needle)) != NULL; s += strlen(needle))
        n++;
    return n;
}

static char *value(const struct h_db *on, const char *sql)
{
    char *v = h_db_query_value(on, sql);
    cr_assert_not_null(v, "NULL from %s", sql);
    return v;
}

/* ---- migrations ---- */

TestSuite(migrate, .fini = drop_db, .timeout = 60);

/* Two daemons migrating one empty database at once: both wait for the lock
 * (held here until both say so), then one applies everything and the other
 * finds nothing left to do. Run again, nothing is applied. */
Test(migrate, concurrent_migrators_apply_each_migration_once)
{
    int nfiles;
    char *files = migration_files(&nfiles);
    struct h_db fresh;
    char dir[PATH_MAX];
    h_db_create(&db);
    fresh_create(&fresh, &db);
    h_workdir(dir, "migrate");

    PGconn *hold = PQconnectdb(fresh.super);
    cr_assert_eq(PQstatus(hold), CONNECTION_OK, "%s", PQerrorMessage(hold));
    PGresult *res = PQexec(hold, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(hold));
    PQclear(res);

    struct argv a;
    struct proc p[2];
    vigild_argv(&a, &fresh, true, NULL);
    spawn(&p[0], a.v, dir, "a.log");
    spawn(&p[1], a.v, dir, "b.log");
    /* Both block on the lock (seen from PostgreSQL: their "waiting" log
     * line is an info line, buffered until they exit). */
    bool waiting = false;
    for (long long end = h_now_ms() + 10000; !waiting && h_now_ms() < end;) {
        char *n = value(&fresh, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                                "USING (pid) WHERE l.locktype = 'advisory' AND NOT l.granted "
                                "AND a.application_name = 'vigild-migrate'");
        waiting = strcmp(n, "2") == 0;
        free(n);
        if (!waiting)
            h_sleep_ms(20);
    }
    cr_assert(waiting,
              "two vigild did not wait for the migration lock (has its key changed from "
              "server/sql.c's?):\n%s\n%s",
              h_file_tail(p[0].log, 10), h_file_tail(p[1].log, 10));
    char *table = value(&fresh, "SELECT coalesce(to_regclass('vigil_migration')::text, 'none')");
    cr_assert_str_eq(table, "none", "a migrator went on without the lock");
    free(table);
    PQclear(PQexec(hold, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    PQfinish(hold);

    char *logs = strdup("");
    for (int i = 0; i < 2; i++) {
        int rc = reap(&p[i], 20000);
        cr_assert_eq(rc, 0, "migrator %d: exit %d\n%s", i, rc, h_file_tail(p[i].log, 20));
        char *log = h_read_file(p[i].log, NULL), *all = h_strdupf("%s%s", logs, log);
        free(logs);
        free(log);
        logs = all;
    }
    free_argv(&a);
    cr_assert_eq(count_of(logs, "waiting for another process applying migrations"), 2, "%s", logs);
    cr_assert_eq(count_of(logs, "msg=\"migration applied\""), nfiles, "%s", logs);
    char *all = h_strdupf("applied=%d\n", nfiles);
    cr_assert_eq(count_of(logs, all), 1, "one migrator applies all:\n%s", logs);
    cr_assert_eq(count_of(logs, "applied=0\n"), 1, "the other none:\n%s", logs);
    free(all);

    char *want = h_strdupf("%d %d 1 %d", nfiles, nfiles, nfiles);
    char *got = value(&fresh, "SELECT count(*) || ' ' || count(DISTINCT version) || ' ' || "
                              "min(version) || ' ' || max(version) FROM vigil_migration");
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    char *names =
        value(&fresh, "SELECT string_agg(name, ',' ORDER BY version) FROM vigil_migration");
    cr_assert_str_eq(names, files, "recorded migrations differ from migrations/");
    free(names);

    /* Once more: nothing to do, nothing touched. */
    char *before = value(&fresh, "SELECT max(applied_at)::text FROM vigil_migration");
    char *out = NULL, *err = NULL;
    vigild_argv(&a, &fresh, true, NULL);
    int rc = h_run_timeout(a.v, NULL, &out, &err, 20000);
    free_argv(&a);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_assert(strstr(err, "database schema up to date"), "%s", err);
    cr_assert(strstr(err, "applied=0"), "%s", err);
    cr_assert_null(strstr(err, "migration applied"), "%s", err);
    char *after = value(&fresh, "SELECT max(applied_at)::text FROM vigil_migration");
    cr_assert_str_eq(after, before);
    char *count = value(&fresh, "SELECT count(*) FROM vigil_migration");
    cr_assert_eq(atoi(count), nfiles);
    /* Migration 1 granted the service role what it needs on the new schema. */
    char msg[512];
    cr_assert(h_db_try_exec(fresh.app, "SELECT count(*) FROM office_cert", msg, sizeof(msg)), "%s",
              msg);

    free(count);
    free(after);
    free(before);
    free(out);
    free(err);
    free(logs);
    free(files);
    fresh_drop(&fresh, &db);
}

/* A history the binary does not know stops both --migrate-only and the
 * daemon before anything is applied or served. */
Test(migrate, unknown_history_is_refused)
{
    static const struct {
        const char *sql; /* run as the superuser on a migrated database */
        const char *log; /* expected in vigild's output */
        const char *detail;
    } cases[] = {
        {"INSERT INTO vigil_migration (version, name) VALUES (999, '0999_future.sql')",
         "database schema is newer than this binary; refusing to start", "recorded_version=999"},
        {"UPDATE vigil_migration SET name = '0001_elsewhere.sql' WHERE version = 1",
         "database records another migration under this version; refusing to start",
         "recorded_name=0001_elsewhere.sql"},
    };
    char cert[PATH_MAX + 32], key[PATH_MAX + 32], ca[PATH_MAX + 32];
    snprintf(cert, sizeof(cert), "--tls_cert_file=%s/server.crt", h_certs_dir());
    snprintf(key, sizeof(key), "--tls_key_file=%s/server.key", h_certs_dir());
    snprintf(ca, sizeof(ca), "--tls_ca_file=%s/ca.crt", h_certs_dir());
    const char *const daemon[] = {"--listen=127.0.0.1:0", cert, key, ca, NULL};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h_db_create(&db);
        h_db_exec(&db, cases[i].sql);
        char *before = value(&db, "SELECT string_agg(version || name, ',') FROM vigil_migration");
        for (int migrate_only = 1; migrate_only >= 0; migrate_only--) {
            struct argv a;
            char *out = NULL, *err = NULL;
            vigild_argv(&a, &db, migrate_only, migrate_only ? NULL : daemon);
            /* A daemon that does not refuse would run until the timeout. */
            int rc = h_run_timeout(a.v, NULL, &out, &err, 15000);
            free_argv(&a);
            const char *what = migrate_only ? "vigild --migrate-only" : "vigild";
            cr_assert_eq(rc, 1, "%s: exit %d\n%s%s", what, rc, out, err);
            cr_assert(strstr(err, cases[i].log), "%s:\n%s", what, err);
            cr_assert(strstr(err, cases[i].detail), "%s:\n%s", what, err);
            cr_assert_null(strstr(err, "msg=started"), "%s", err);
            free(out);
            free(err);
        }
        char *after = value(&db, "SELECT string_agg(version || name, ',') FROM vigil_migration");
        cr_assert_str_eq(after, before);
        free(after);
        free(before);
        h_db_drop(&db);
    }
}

Test(migrate, unreachable_database_fails_with_its_reason)
{
    const char *const argv[] = {h_vigild_path(), "--migrate-only",
                                "--db_owner=host=/nonexistent-dir dbname=x user=vigil_owner", NULL};
    char *out = NULL, *err = NULL;
    int rc = h_run_timeout(argv, NULL, &out, &err, 15000);
    cr_assert_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(err, "migration: cannot connect to the database"), "%s", err);
    cr_assert(strstr(err, "/nonexistent-dir"), "the reason names the socket: %s", err);
    free(out);
    free(err);
}

/* ---- roles ---- */

/* The daemon's login role reads identities and the migration record, and
 * can change neither nor the schema. */
Test(migrate, service_role_is_read_only)
{
    static const struct {
        const char *sql;
        const char *error; /* NULL: must succeed */
    } cases[] = {
        {"SELECT count(*) FROM office", NULL},
        {"SELECT count(*) FROM office_cert", NULL},
        {"SELECT count(*) FROM vigil_migration", NULL},
        {"INSERT INTO vigil_migration VALUES (999, 'x')", "permission denied"},
        {"UPDATE vigil_migration SET name = 'x'", "permission denied"},
        {"DELETE FROM vigil_migration", "permission denied"},
        {"INSERT INTO office (name, role) VALUES ('x', 'central')", "permission denied"},
        {"UPDATE office SET active = false", "permission denied"},
        {"DELETE FROM office", "permission denied"},
        {"INSERT INTO office_cert (sha256, office_id) SELECT repeat('a', 64), id FROM office",
         "permission denied"},
        {"UPDATE office_cert SET subject = 'x'", "permission denied"},
        {"DELETE FROM office_cert", "permission denied"},
        {"TRUNCATE office_cert", "permission denied"},
        {"CREATE TABLE sneaky (i int)", "permission denied for schema public"},
        {"ALTER TABLE office ADD COLUMN x int", "must be owner"},
        {"DROP TABLE vigil_migration", "must be owner"},
    };
    h_db_create(&db);
    h_offices_register(&db);
    char *before = value(&db, "SELECT (SELECT count(*) FROM office WHERE active) || '/' || "
                              "(SELECT count(*) FROM office_cert) || '/' || "
                              "(SELECT count(*) FROM vigil_migration)");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[1024];
        bool ok = h_db_try_exec(db.app, cases[i].sql, err, sizeof(err));
        if (cases[i].error == NULL) {
            cr_assert(ok, "vigil_app: %s: %s", cases[i].sql, err);
        } else {
            cr_assert(!ok, "vigil_app may run %s", cases[i].sql);
            cr_assert(strstr(err, cases[i].error), "%s: %s", cases[i].sql, err);
        }
    }
    char *after = value(&db, "SELECT (SELECT count(*) FROM office WHERE active) || '/' || "
                             "(SELECT count(*) FROM office_cert) || '/' || "
                             "(SELECT count(*) FROM vigil_migration)");
    cr_assert_str_eq(after, before);
    free(after);
    free(before);
}

/* ---- vigild office ---- */

/* Runs `vigild --db_owner=OWNER office ARGS`. */
static int office(const char *owner, const char *const *args, char **out, char **err)
{
    char *owner_arg = h_strdupf("--db_owner=%s", owner);
    const char *argv[MAX_ARGS + 4] = {h_vigild_path(), owner_arg, "office"};
    size_t n = 3;
    for (size_t i = 0; i < MAX_ARGS && args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int rc = h_run_timeout(argv, NULL, out, err, 20000);
    free(owner_arg);
    return rc;
}

TestSuite(office, .fini = drop_db, .timeout = 60);

/* Every argument is checked before connecting: these fail with exit 2 and a
 * message naming the argument although the database does not exist. */
Test(office, usage_errors_before_connecting)
{
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    static const struct {
        args_t args;
        int rc;
        const char *out, *err;
    } cases[] = {
        {{"add", "x", "--role", "boss"}, 2, NULL, "role must be one of regional, central, partner"},
        {{"add", "x"}, 2, NULL, "role must be one of regional, central, partner"},
        {{"add", "x", "--role"}, 2, NULL, "option --role needs a value"},
        {{"add", "x", "--colour", "red"}, 2, NULL, "unknown option --colour"},
        {{"add", "r", "--role", "regional"}, 2, NULL, "region is required for a regional office"},
        {{"add", "r", "--role", "regional", "--region", "north east"},
         2,
         NULL,
         "region must be 1 to 32 letters"},
        {{"add", "r", "--role", "regional", "--region", "123456789012345678901234567890123"},
         2,
         NULL,
         "region must be 1 to 32 letters"},
        {{"add", "", "--role", "central"}, 2, NULL, "NAME must be 1 to 200 characters"},
        {{"add", "tab\there", "--role", "central"}, 2, NULL, "no control characters"},
        {{"add", "x", "--role", "central", "--fingerprint", HEX64},
         2,
         NULL,
         "option --fingerprint does not apply to add"},
        {{"add", "x", "y", "--role", "central"}, 2, NULL, "unexpected argument \"y\""},
        {{"add-cert", "x"}, 2, NULL, "give either CERT.pem or --fingerprint HEX"},
        {{"add-cert", "x", "x.pem", "--fingerprint", HEX64},
         2,
         NULL,
         "give either CERT.pem or --fingerprint HEX"},
        {{"add-cert", "x", "--fingerprint", "abc"}, 2, NULL, "fingerprint must be 64 hex digits"},
        {{"add-cert", "x", "--fingerprint", HEX64 "0"},
         2,
         NULL,
         "fingerprint must be 64 hex digits"},
        {{"add-cert", "x", "--fingerprint",
          "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
         2,
         NULL,
         "fingerprint must be 64 hex digits"},
        {{"add-cert", "x", "x.pem", "--subject", "CN"},
         2,
         NULL,
         "subject goes with --fingerprint only"},
        {{"add-cert", "x", "x.pem", "--role", "central"},
         2,
         NULL,
         "option --role does not apply to add-cert"},
        {{"disable"}, 2, NULL, "NAME is required"},
        {{"enable", "a", "b"}, 2, NULL, "unexpected argument \"b\""},
        {{"list", "extra"}, 2, NULL, "unexpected argument \"extra\""},
        {{"nosuch"}, 2, NULL, "unknown command \"nosuch\""},
        {{NULL}, 2, NULL, "Usage: vigild [OPTION]... office COMMAND"},
        /* Help needs no database either. */
        {{"--help"}, 0, "add-cert NAME CERT.pem", NULL},
        {{"add-cert", "--help"}, 0, "--fingerprint HEX", NULL},
        {{"list", "-h"}, 0, "Usage: vigild [OPTION]... office list", NULL},
    };
    const char *nowhere = "host=/nonexistent-dir dbname=nope user=nobody";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL, *err = NULL;
        int rc = office(nowhere, cases[i].args, &out, &err);
        const char *cmd = cases[i].args[0] ? cases[i].args[0] : "(none)";
        cr_assert_eq(rc, cases[i].rc, "office %s (case %zu): exit %d\n%s%s", cmd, i, rc, out, err);
        if (cases[i].out)
            cr_assert(strstr(out, cases[i].out), "case %zu: %s", i, out);
        if (cases[i].err)
            cr_assert(strstr(err, cases[i].err), "case %zu: %s", i, err);
        cr_assert_null(strstr(err, "cannot connect"), "case %zu connected: %s", i, err);
        free(out);
        free(err);
    }
#undef HEX64
}

/* `openssl x509 -fingerprint -sha256` of certs/NAME.crt, as printed
 * ("AB:CD:..."), and lower-case without colons. */
static void openssl_fingerprint(const char *name, char upper[96], char lower[65])
{
    char *path = h_strdupf("%s/%s.crt", h_certs_dir(), name);
    const char *argv[] = {"openssl", "x509", "-noout", "-fingerprint",
                          "-sha256", "-in",  path,     NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(h_run(argv, NULL, &out, &err), 0, "%s", err);
    const char *eq = strchr(out, '=');
    cr_assert_not_null(eq, "%s", out);
    snprintf(upper, 96, "%.*s", (int)strcspn(eq + 1, "\n"), eq + 1);
    size_t n = 0;
    for (const char *s = upper; *s && n < 64; s++) {
        if (*s != ':')
            lower[n++] = (char)(*s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
    }
    lower[n] = '\0';
    cr_assert_eq(strlen(upper), 95, "%s", upper);
    cr_assert_eq(n, 64);
    free(out);
    free(err);
    free(path);
}

/* The row of office name in `office list` output, NULL when absent. */
static const char *list_row(const char *out, const char *name)
{
    size_t len = strlen(name);
    for (const char *line = out; line != NULL && *line != '\0';) {
        if (strncmp(line, name, len) == 0 && line[len] == ' ')
            return line;
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return NULL;
}

/* Characters (not bytes) before the first occurrence of text in line. */
static long char_column(const char *line, const char *text)
{
    const char *at = strstr(line, text);
    long col = 0;
    if (at == NULL)
        return -1;
    for (const char *s = line; s < at; s++)
        col += ((unsigned char)*s & 0xc0) != 0x80;
    return col;
}

/* The commands in sequence against a migrated database, each checked in
 * its output and in the tables. @...@ are filled in at run time. */
Test(office, bootstrap_commands_change_the_database)
{
    static const struct {
        args_t args;
        int rc;
        const char *out, *err;
        const char *sql, *want; /* a check afterwards; NULL = none */
    } steps[] = {
        {{"add", "Côte d'Ivoire", "--role", "partner"},
         0,
         "office \"Côte d'Ivoire\" added (id ",
         NULL,
         "SELECT role || '/' || coalesce(region, '-') || '/' || active FROM office WHERE name = "
         "'Côte d''Ivoire'",
         "partner/-/true"},
        {{"add", "Côte d'Ivoire", "--role", "central"},
         1,
         NULL,
         "already exists",
         "SELECT count(*) || '/' || min(role::text) FROM office",
         "1/partner"},
        {{"add", "north", "--role", "regional", "--region", "150"},
         0,
         "office \"north\" added",
         NULL,
         "SELECT role || '/' || region FROM office WHERE name = 'north'",
         "regional/150"},
        {{"add-cert", "ghost", "@CERTS@/regional.crt"},
         1,
         NULL,
         "no office named \"ghost\"",
         "SELECT count(*) FROM office_cert",
         "0"},
        {{"add-cert", "north", "@CERTS@/regional.crt"},
         0,
         "certificate sha256=@FP_REGIONAL@ CN=",
         NULL,
         "SELECT c.sha256 FROM office_cert c JOIN office o ON o.id = c.office_id "
         "WHERE o.name = 'north'",
         "@FP_REGIONAL@"},
        {{"add-cert", "north", "@CERTS@/regional.crt"},
         1,
         NULL,
         "certificate sha256=@FP_REGIONAL@ is already registered",
         "SELECT count(*) FROM office_cert",
         "1"},
        /* As pasted from `openssl x509 -fingerprint`: stored normalised. */
        {{"add-cert", "Côte d'Ivoire", "--fingerprint", "@FP_PARTNER_UPPER@", "--subject",
          "Abidjan"},
         0,
         "certificate sha256=@FP_PARTNER@ CN=Abidjan registered to office \"Côte d'Ivoire\"",
         NULL,
         "SELECT c.sha256 || ' ' || c.subject FROM office_cert c JOIN office o "
         "ON o.id = c.office_id WHERE o.name = 'Côte d''Ivoire'",
         "@FP_PARTNER@ Abidjan"},
        {{"add-cert", "north", "/nonexistent/x.pem"},
         1,
         NULL,
         "cannot open /nonexistent/x.pem",
         NULL,
         NULL},
        {{"add-cert", "north", "@CERTS@/ca.key"}, 1, NULL, "holds no PEM certificate", NULL, NULL},
        {{"disable", "north"},
         0,
         "office \"north\" disabled",
         NULL,
         "SELECT active::text FROM office WHERE name = 'north'",
         "false"},
        {{"disable", "ghost"}, 1, NULL, "no office named \"ghost\"", NULL, NULL},
        {{"enable", "north"},
         0,
         "office \"north\" enabled",
         NULL,
         "SELECT active::text FROM office WHERE name = 'north'",
         "true"},
        {{"list"}, 0, "NAME", NULL, NULL, NULL},
    };
    char fp_regional_upper[96], fp_regional[65], fp_partner_upper[96], fp_partner[65];
    openssl_fingerprint("regional", fp_regional_upper, fp_regional);
    openssl_fingerprint("partner", fp_partner_upper, fp_partner);
    const struct {
        const char *key, *value;
    } vars[] = {{"@CERTS@", h_certs_dir()},
                {"@FP_REGIONAL@", fp_regional},
                {"@FP_PARTNER@", fp_partner},
                {"@FP_PARTNER_UPPER@", fp_partner_upper}};
    h_db_create(&db);

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        /* Fills the templates of this step. */
        const char *texts[MAX_ARGS + 4] = {steps[i].out, steps[i].err, steps[i].sql, steps[i].want};
        char *filled[MAX_ARGS + 4] = {NULL};
        size_t nargs = 0;
        while (nargs < MAX_ARGS && steps[i].args[nargs])
            nargs++;
        for (size_t a = 0; a < nargs; a++)
            texts[4 + a] = steps[i].args[a];
        for (size_t t = 0; t < 4 + nargs; t++) {
            if (texts[t] == NULL)
                continue;
            filled[t] = strdup(texts[t]);
            for (size_t v = 0; v < sizeof(vars) / sizeof(vars[0]); v++) {
                char *at;
                while ((at = strstr(filled[t], vars[v].key)) != NULL) {
                    char *n = h_strdupf("%.*s%s%s", (int)(at - filled[t]), filled[t], vars[v].value,
                                        at + strlen(vars[v].key));
                    free(filled[t]);
                    filled[t] = n;
                }
            }
        }
        const char *args[MAX_ARGS + 1] = {NULL};
        for (size_t a = 0; a < nargs; a++)
            args[a] = filled[4 + a];
        char *out = NULL, *err = NULL;
        int rc = office(db.owner, args, &out, &err);
        cr_assert_eq(rc, steps[i].rc, "step %zu (office %s): exit %d\n%s%s", i, args[0], rc, out,
                     err);
        if (filled[0])
            cr_assert(strstr(out, filled[0]), "step %zu: stdout lacks %s:\n%s", i, filled[0], out);
        if (filled[1])
            cr_assert(strstr(err, filled[1]), "step %zu: stderr lacks %s:\n%s", i, filled[1], err);
        if (filled[2]) {
            char *got = value(&db, filled[2]);
            cr_assert_str_eq(got, filled[3], "step %zu: %s", i, filled[2]);
            free(got);
        }
        if (i + 1 == sizeof(steps) / sizeof(steps[0])) {
            /* The last step, list: a row per office with its fingerprint,
             * columns aligned in characters despite the accented name. */
            const char *head = out;
            const char *north = list_row(out, "north");
            const char *ci = list_row(out, "Côte d'Ivoire");
            cr_assert(north && ci, "%s", out);
            char *line = strndup(north, strcspn(north, "\n"));
            char name[32], role[32], region[32], active[32], fp[80];
            cr_assert_eq(sscanf(line, "%31s %31s %31s %31s %79s", name, role, region, active, fp),
                         5, "%s", line);
            cr_assert_str_eq(role, "regional");
            cr_assert_str_eq(region, "150");
            cr_assert_str_eq(active, "yes");
            cr_assert_str_eq(fp, fp_regional);
            free(line);
            line = strndup(ci, strcspn(ci, "\n"));
            cr_assert(strstr(line, fp_partner), "%s", line);
            long col = char_column(head, "ROLE");
            cr_assert_eq(char_column(line, "partner"), col, "misaligned:\n%s", out);
            cr_assert_eq(char_column(north, "regional"), col, "misaligned:\n%s", out);
            free(line);
        }
        for (size_t t = 0; t < 4 + nargs; t++)
            free(filled[t]);
        free(out);
        free(err);
    }
}

/* Names are limited in characters (as PostgreSQL's length()), not bytes. */
Test(office, name_limit_counts_characters)
{
    h_db_create(&db);
    char name[2 * 201 + 1] = "";
    for (int i = 0; i < 200; i++)
        strcat(name, "é");
    const char *args[] = {"add", name, "--role", "central", NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(office(db.owner, args, &out, &err), 0, "%s%s", out, err);
    free(out);
    free(err);
    char *len = value(&db, "SELECT length(name) || '/' || octet_length(name) FROM office");
    cr_assert_str_eq(len, "200/400");
    free(len);
    strcat(name, "é");
    cr_assert_eq(office(db.owner, args, &out, &err), 2, "%s%s", out, err);
    cr_assert(strstr(err, "NAME must be 1 to 200 characters"), "%s", err);
    free(out);
    free(err);
}
