/* h_pg: the shared and private PostgreSQL clusters (see h_pg.h). The work
 * itself is done by tests/harness/pg.sh, the one place that knows clusters. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "h_pg.h"
#include "h_env.h"
#include "h_run.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pg_sh_path(char *out, size_t cap)
{
    snprintf(out, cap, "%s/tests/harness/pg.sh", h_source_dir());
}

/* Fills pg from the pg.env in dir. */
static bool load(struct h_pg *pg, const char *dir)
{
    char path[PATH_MAX + 8], port[16];

    snprintf(pg->dir, sizeof(pg->dir), "%s", dir);
    snprintf(path, sizeof(path), "%s/pg.env", dir);
    if (!h_envfile_get(path, "VIGIL_TEST_PGROOT", pg->root, sizeof(pg->root)) ||
        !h_envfile_get(path, "PGHOST", pg->host, sizeof(pg->host)) ||
        !h_envfile_get(path, "PGPORT", port, sizeof(port)) ||
        !h_envfile_get(path, "VIGIL_TEST_TEMPLATE", pg->template_db, sizeof(pg->template_db)) ||
        !h_envfile_get(path, "VIGIL_TEST_OWNER_PASSWORD", pg->owner_password,
                       sizeof(pg->owner_password)) ||
        !h_envfile_get(path, "VIGIL_TEST_APP_PASSWORD", pg->app_password, sizeof(pg->app_password)))
        return false;
    pg->port = atoi(port);
    return pg->port > 0;
}

const struct h_pg *h_pg_shared(void)
{
    static struct h_pg shared;

    if (shared.port == 0) {
        (void)h_env("PGPORT"); /* asserts, with advice, when pg.env is missing */
        cr_assert(load(&shared, h_tmp_dir()), "%s/pg.env is incomplete; run pg.sh start again",
                  h_tmp_dir());
        shared.cleanup = -1;
        shared.running = true;
    }
    return &shared;
}

/* Runs pg.sh with the arguments up to the first NULL; returns its status,
 * with its stdout and stderr in *log (malloc'd). */
static int pg_sh(char **log, const char *cmd, const char *dir, const char *a1, const char *a2,
                 const char *a3)
{
    char script[PATH_MAX];
    const char *argv[] = {script, cmd, dir, a1, a2, a3, NULL};
    char *out = NULL, *err = NULL;
    int rc;

    pg_sh_path(script, sizeof(script));
    rc = h_run(argv, NULL, &out, &err);
    if (asprintf(log, "%s%s", out ? out : "", err ? err : "") < 0)
        *log = NULL;
    free(out);
    free(err);
    return rc;
}

static void destroy_at_exit(const char *dir, const char *unused, long n)
{
    char *log = NULL;
    (void)unused;
    (void)n;
    pg_sh(&log, "stop", dir, NULL, NULL, NULL);
    free(log);
}

void h_pg_private_start(struct h_pg *pg)
{
    char dir[PATH_MAX];
    char *log = NULL;
    int rc;

    memset(pg, 0, sizeof(*pg));
    pg->cleanup = -1;
    if (getenv("VIGIL_TEST_ADDR") && *getenv("VIGIL_TEST_ADDR"))
        cr_skip_test("VIGIL_TEST_ADDR is set: this test needs a daemon on its own cluster");
    h_workdir(dir, "pg");
    /* Registered first: a failure half-way still removes what was made. */
    pg->cleanup = h_cleanup_add(destroy_at_exit, dir, NULL, 0);
    rc = pg_sh(&log, "start", dir, h_vigild_path(), "--certs", h_certs_dir());
    if (rc != 0) {
        static char msg[4096];
        snprintf(msg, sizeof(msg), "%s", log ? log : "");
        free(log);
        cr_assert_fail("pg.sh start %s failed (%d):\n%s", dir, rc, msg);
    }
    free(log);
    cr_assert(load(pg, dir), "%s/pg.env is incomplete", dir);
    pg->is_private = true;
    pg->running = true;
}

static void server_cmd(struct h_pg *pg, const char *cmd)
{
    char *log = NULL;
    int rc;

    cr_assert(pg->is_private, "only a private cluster may be stopped or started");
    rc = pg_sh(&log, cmd, pg->dir, NULL, NULL, NULL);
    if (rc != 0) {
        static char msg[4096];
        snprintf(msg, sizeof(msg), "%s", log ? log : "");
        free(log);
        cr_assert_fail("pg.sh %s %s failed (%d):\n%s", cmd, pg->dir, rc, msg);
    }
    free(log);
}

void h_pg_server_stop(struct h_pg *pg)
{
    server_cmd(pg, "cluster-stop");
    pg->running = false;
}

void h_pg_server_start(struct h_pg *pg)
{
    server_cmd(pg, "cluster-start");
    pg->running = true;
}

void h_pg_private_destroy(struct h_pg *pg)
{
    if (!pg->is_private)
        return;
    h_cleanup_remove(pg->cleanup);
    destroy_at_exit(pg->dir, NULL, 0);
    pg->cleanup = -1;
    pg->is_private = false;
    pg->running = false;
}
