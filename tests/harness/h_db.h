/* h_db: a fresh database per test, cloned from the migrated vigil_template
 * (CREATE DATABASE ... TEMPLATE: milliseconds), SQL helpers for checks and
 * set-up, and registration of the test offices through vigild's bootstrap
 * commands (`vigild office add|add-cert`). */
#ifndef H_DB_H
#define H_DB_H

#include "h_pg.h"

#include <stdbool.h>
#include <stddef.h>

struct h_db {
    char name[64];         /* t_<pid>_<n>, or $VIGIL_TEST_DB when borrowed */
    char app[1024];        /* conninfo of the service role vigil_app (socket) */
    char owner[1024];      /* conninfo of the owner vigil_owner (socket) */
    char super[1024];      /* conninfo of the superuser postgres (socket) */
    char app_tcp[1024];    /* vigil_app over TCP 127.0.0.1 with its password */
    char owner_tcp[1024];  /* vigil_owner over TCP with its password */
    const struct h_pg *pg; /* the cluster it lives in (borrowed) */
    bool borrowed;         /* $VIGIL_TEST_DB: an existing database, never dropped */
    int cleanup;           /* h_cleanup handle, -1 when none */
};

/* Creates a database from the template of the shared cluster, owned by
 * vigil_owner, and fills db. Dropped by h_db_drop or at exit. When
 * $VIGIL_TEST_DB is set (with VIGIL_TEST_ADDR, to target a daemon under a
 * debugger) that database is used instead and never dropped. Fails the test
 * on error. */
void h_db_create(struct h_db *db);

/* The same in another cluster (a private one). */
void h_db_create_in(struct h_db *db, const struct h_pg *pg);

/* DROP DATABASE ... WITH (FORCE): connected daemons are cut off. A no-op on a
 * zeroed, borrowed or dropped db. */
void h_db_drop(struct h_db *db);

/* Runs sql (one or more statements) as the superuser; fails the test with
 * PostgreSQL's message on error. */
void h_db_exec(const struct h_db *db, const char *sql);

/* Runs a query as the superuser that must return exactly one row and one
 * column; returns the value as malloc'd text (the caller frees), NULL for SQL
 * NULL. Fails the test otherwise. params (nparams text values, may be NULL)
 * fill $1...$n. */
char *h_db_query_value(const struct h_db *db, const char *sql);
char *h_db_query_value_params(const struct h_db *db, const char *sql, int nparams,
                              const char *const *params);

/* Runs sql with any conninfo (a role's privileges, password authentication);
 * never asserts. Returns true on success; else false with PostgreSQL's
 * message (connection or statement) in err. */
bool h_db_try_exec(const char *conninfo, const char *sql, char *err, size_t errcap);

/* Registers an office with `vigild office add NAME --role ROLE [--region R]`
 * and its certificate certs/CERT.crt with `vigild office add-cert`, as the
 * owner. Either step is skipped when already done (borrowed databases). cert
 * may be NULL (no certificate). Fails the test with vigild's output on error. */
void h_office_add(const struct h_db *db, const char *name, const char *role, const char *region,
                  const char *cert);

/* The three test offices: "central" (central, certs/central.crt), "regional"
 * (regional, region "150", certs/regional.crt), "partner" (partner,
 * certs/partner.crt). certs/unregistered.crt and certs/wrongca.crt are never
 * registered. */
void h_offices_register(const struct h_db *db);

#endif
