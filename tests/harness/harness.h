/* harness: what the integration tests stand on: a real PostgreSQL (one
 * cluster per run, a database per test cloned from a migrated template), a
 * real vigild per test on port 0 with certificates made at run time, libvigil
 * clients, and child processes (the CLI, the Python interop client).
 *
 * The CTest fixture "pg" runs `tests/harness/pg.sh start TMPDIR VIGILD` before
 * the integration tests and `pg.sh stop TMPDIR` after them; TMPDIR/pg.env
 * describes the cluster and certificates. Everything a test starts is ended
 * at exit, also after a failed assertion; daemons die with a crashed test and
 * `pg.sh stop` sweeps what a killed test left.
 *
 * A typical test:
 *     struct h_db db;
 *     struct h_daemon d;
 *     h_db_create(&db);
 *     h_offices_register(&db);
 *     h_daemon_start(&d, &db, NULL);
 *     struct vigil_client *c = h_client(&d, "central", false);
 *     ... vigil_call(c, ...) ...
 *     vigil_client_free(c);
 *     h_daemon_stop(&d);   // asserts a clean exit
 *     h_db_drop(&db);
 *
 * Running one test by hand:  ctest --test-dir BUILD -R 'fixture|integration/test_x'
 * or after `tests/harness/pg.sh start BUILD/tests/tmp BUILD/vigild`:
 *     BUILD/tests/it_test_x --filter 'suite/name' --verbose
 * Against a daemon under a debugger: see h_daemon.h (VIGIL_TEST_ADDR) and
 * `tests/harness/pg.sh debug`.
 *
 * Modules: h_env (run directory, pg.env, files, cleanup), h_run (child
 * processes), h_pg (clusters), h_db (databases, SQL, offices), h_daemon
 * (vigild), h_client (libvigil). */
#ifndef HARNESS_H
#define HARNESS_H

#include "h_env.h"
#include "h_run.h"
#include "h_pg.h"
#include "h_db.h"
#include "h_daemon.h"
#include "h_client.h"

#endif
