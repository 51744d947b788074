/* sql: every SQL statement the daemon sends, in one place so that a query is
 * found with one grep. Parameters are $n placeholders, always; the comment on
 * each says what the parameters and result columns are. Results are text. */
#ifndef VIGIL_SQL_H
#define VIGIL_SQL_H

/* Transaction control, for the blocking tools (migrate.c, office_admin.c). */
extern const char SQL_BEGIN[];
extern const char SQL_COMMIT[];
extern const char SQL_ROLLBACK[];

/* $1 = certificate SHA-256 (lower-case hex).
 * -> id, name, role (regional|central|partner), region (text or NULL), active;
 *    no row when the fingerprint is unknown or the office is disabled. */
extern const char SQL_OFFICE_BY_FINGERPRINT[];

/* No parameters: subscribes the notify connection to cache invalidations. */
extern const char SQL_LISTEN_CACHE[];

/* No parameters. -> one row, one column: the number of migrations recorded. */
extern const char SQL_MIGRATIONS_APPLIED[];

/* Migration bookkeeping (owner connection, see migrate.c). The advisory lock
 * key is a fixed constant ("VIGILMIG"); session-level, so it survives the
 * per-migration transactions and is released by UNLOCK or disconnection. */
extern const char SQL_MIGRATE_TRY_LOCK[]; /* no params -> one row, 't' when now held */
extern const char SQL_MIGRATE_LOCK[];     /* no params; blocks until the lock is held */
extern const char SQL_MIGRATE_UNLOCK[];   /* no params */
extern const char SQL_MIGRATE_TABLE[];    /* no params; creates vigil_migration if missing */
extern const char SQL_MIGRATE_RECORDED[]; /* no params -> version, name; by version */
extern const char SQL_MIGRATE_RECORD[];   /* $1 = version, $2 = file name */

/* Office administration for `vigild office` (owner connection). Each change
 * writes its row of the audit log in the same statement. */
extern const char SQL_OFFICE_INSERT[];      /* $1 name, $2 role, $3 region or NULL -> id;
                                               SQLSTATE 23505: name taken, 23503: unknown
                                               region */
extern const char SQL_OFFICE_CERT_INSERT[]; /* $1 office name, $2 sha256 hex, $3 subject
                                               -> office id; no row: no such office */
extern const char SQL_OFFICE_SET_ACTIVE[];  /* $1 name, $2 'true'|'false' -> id; no row: no
                                               such office */
extern const char SQL_OFFICE_LIST[];        /* -> name, role, region (or NULL), active
                                               (t|f), fingerprints (space separated,
                                               oldest first, "" if none); by name */

/* Rankings. $1 = the caller (ctx JSON, sqlcall_ctx), $2 = the request (JSON)
 * as for every vigil_api function (migrations/0006_publication.sql). Reads
 * of published data also take $3 = the cache generation taken before the
 * query (cache_generation), echoed back as their last column so that the
 * continuation knows which generation its answer belongs to. Each first
 * column is the function's JSON answer. */
extern const char SQL_RANKINGS_INPUTS[];    /* -> rankings_inputs */
extern const char SQL_RANKINGS_PUBLISH[];   /* -> rankings_publish */
extern const char SQL_RANKINGS_PUBLISHED[]; /* -> rankings_published, generation */
/* -> rankings_published, rankings_published_inputs of the same version, generation */
extern const char SQL_RANKINGS_PUBLISHED_WITH_INPUTS[];
/* -> rankings_published, rankings_published_inputs and rankings_card of the
 *    same version (the request is GetCardRequest JSON), generation */
extern const char SQL_RANKINGS_CARD_PUBLISHED[];
/* -> rankings_inputs, rankings_card (view live) */
extern const char SQL_RANKINGS_CARD_LIVE[];
extern const char SQL_RANKINGS_HISTORY[];          /* -> rankings_history, generation */
extern const char SQL_RANKINGS_PUBLISHED_INPUTS[]; /* -> rankings_published_inputs, generation */
/* $1 = ctx only. -> one row: milliseconds until the next embargo time still
 *    ahead (by the database's clock, rounded up), NULL when none. */
extern const char SQL_RANKINGS_NEXT_EMBARGO[];

/* Exchange (migrations/0008_exchange.sql). ctx and request JSON as above. */
extern const char SQL_EXCHANGE_LISTEN[]; /* no params: the feed's wake-up channel */
/* $1 ctx, $2 ChangesRequest, $3 seq to continue after (NULL: the request's
 * cursor), $4 page size -> seq, change (Change JSON), its cursor; in commit
 * order */
extern const char SQL_EXCHANGE_CHANGES[];
extern const char SQL_EXPORT_SNAPSHOT[]; /* no params: opens the export's snapshot */
/* $1 ctx, $2 ExportRequest -> publication_id, header (ExportHeader JSON),
 * methodology, ranking, aggregates (JSON) */
extern const char SQL_EXPORT_BEGIN[];
/* $1 ctx, $2 publication_id, $3 state to continue after ("" = first),
 * $4 page size -> state, record (ExportRecord JSON), by state */
extern const char SQL_EXPORT_ASSESSMENTS[];
extern const char SQL_EXCHANGE_IMPORT[]; /* $1 ctx, $2 ImportRequest -> {revision, status,
                                            dry_run} */
/* $1 ctx -> {released: n}: writes the release events of embargoes passed */
extern const char SQL_EXCHANGE_RELEASE[];

#endif
