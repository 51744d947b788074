/* sql: every SQL statement the daemon sends, in one place so that a query is
 * found with one grep. Parameters are $n placeholders, always; the comment on
 * each says what the parameters and result columns are. */
#ifndef VIGIL_SQL_H
#define VIGIL_SQL_H

/* $1 = certificate SHA-256 (lower-case hex).
 * -> id, name, role (regional|central|partner), region (text or NULL), active;
 *    no row when the fingerprint is unknown or the office is disabled. */
extern const char SQL_OFFICE_BY_FINGERPRINT[];

/* No parameters. -> one row, one column: the number of migrations recorded. */
extern const char SQL_MIGRATIONS_APPLIED[];

/* Migration bookkeeping (owner connection). */
extern const char SQL_MIGRATE_LOCK[];      /* no params; takes the advisory lock */
extern const char SQL_MIGRATE_UNLOCK[];    /* no params */
extern const char SQL_MIGRATE_TABLE[];     /* no params; creates the record table if missing */
extern const char SQL_MIGRATE_IS_APPLIED[]; /* $1 = version -> a row if applied */
extern const char SQL_MIGRATE_RECORD[];    /* $1 = version, $2 = name */

/* Office administration for `vigild office` (owner connection). */
extern const char SQL_OFFICE_INSERT[];     /* $1 name, $2 role, $3 region or NULL -> id */
extern const char SQL_OFFICE_CERT_INSERT[]; /* $1 office name, $2 sha256 hex, $3 subject -> office id */
extern const char SQL_OFFICE_DISABLE[];    /* $1 name -> updated row count */
extern const char SQL_OFFICE_LIST[];       /* -> name, role, region, active, fingerprints */

#endif
