/* h_pg: the PostgreSQL clusters of the tests. The shared one of the run is
 * started by the CTest fixture (`pg.sh start`) and described by TMPDIR/pg.env;
 * a test that must stop and restart PostgreSQL (the outage test) makes a
 * private one with h_pg_private_start, so other tests are not disturbed. */
#ifndef H_PG_H
#define H_PG_H

#include <limits.h>
#include <stdbool.h>

struct h_pg {
    char dir[PATH_MAX];      /* the harness's directory holding its pg.env */
    char root[PATH_MAX];     /* the cluster's /tmp/vigil-pg.XXXXXX directory */
    char host[PATH_MAX];     /* Unix socket directory (PGHOST) */
    int port;                /* PGPORT; also its TCP port on 127.0.0.1 */
    char template_db[64];    /* migrated template, "vigil_template" */
    char owner_password[64]; /* vigil_owner's password (TCP, scram-sha-256) */
    char app_password[64];   /* vigil_app's password */
    bool is_private;         /* made by h_pg_private_start; may be stopped */
    bool running;            /* private only: server up */
    int cleanup;             /* h_cleanup handle, -1 when none */
};

/* The run's shared cluster, read from pg.env once; borrowed, static. Fails
 * the test when pg.env is missing. Never stop it. */
const struct h_pg *h_pg_shared(void);

/* A new private cluster with the roles and a migrated vigil_template, as
 * `pg.sh start` makes it (certificates shared with the run): a couple of
 * seconds. Destroyed by h_pg_private_destroy, or at exit. Fails the test on
 * error, with pg.sh's output. */
void h_pg_private_start(struct h_pg *pg);

/* Stops the private cluster's server (fast shutdown: sessions are ended) and
 * starts it again on the same port and socket. Fail the test on error. */
void h_pg_server_stop(struct h_pg *pg);
void h_pg_server_start(struct h_pg *pg);

/* Stops it and removes its files. A no-op on a zeroed or destroyed struct. */
void h_pg_private_destroy(struct h_pg *pg);

#endif
