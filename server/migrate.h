/* migrate: applies the numbered SQL files of migrations/ (compiled into the
 * binary by the build, see migrations.h) in order, each once, each in its own
 * transaction, under a PostgreSQL advisory lock so that daemons starting
 * together never apply one twice. Runs at start-up, before the loop serves
 * (and for `vigild --migrate-only`), over a blocking libpq connection as the
 * schema owner. The record table vigil_migration (version, name, applied_at)
 * is created here, before migration 1, which grants it to the service role.
 * A migration file must not end its transaction (no COMMIT / ROLLBACK). */
#ifndef VIGIL_MIGRATE_H
#define VIGIL_MIGRATE_H

#include <stdbool.h>

/* Applies every pending migration. Logs each one applied
 * (msg="migration applied" version=N name=FILE) and one summary line.
 * Returns false, after logging why, when:
 *  - the connection, the lock or the record table fails (PostgreSQL's message);
 *  - the database records a version newer than the binary knows, or a version
 *    under another file name (a binary from another branch): nothing is applied;
 *  - a migration fails: it is rolled back, the log names the file, SQLSTATE,
 *    PostgreSQL's message and, when given, the line and column in the file;
 *    the migrations before it stay applied.
 * owner_conninfo is borrowed for the call. Blocks; never call it on the loop. */
bool migrate_run(const char *owner_conninfo) __attribute__((warn_unused_result));

/* The number of migrations compiled in; the health check compares it with
 * the count recorded in the database. */
int migrate_count(void);

#endif
