/* migrate: applies the numbered SQL files of migrations/ (compiled into the
 * binary by the build, see migrations.h) in order, each once, each in its own
 * transaction, under a PostgreSQL advisory lock so that daemons starting
 * together never apply one twice. Runs at start-up, before the loop serves,
 * over a blocking libpq connection as the schema owner. */
#ifndef VIGIL_MIGRATE_H
#define VIGIL_MIGRATE_H

#include <stdbool.h>

/* Applies every pending migration. Logs each one applied. Returns false (and
 * logs why: connection, SQL error naming the file) when anything failed; a
 * failed migration is rolled back and the ones before it stay applied. */
bool migrate_run(const char *owner_conninfo) __attribute__((warn_unused_result));

/* The number of migrations compiled in; the health check compares it with
 * the count recorded in the database. */
int migrate_count(void);

#endif
