/* sql: the text of every statement the daemon sends (see sql.h for the
 * parameters and columns of each). */
#include "sql.h"

const char SQL_BEGIN[] = "BEGIN";
const char SQL_COMMIT[] = "COMMIT";
const char SQL_ROLLBACK[] = "ROLLBACK";

const char SQL_OFFICE_BY_FINGERPRINT[] = "SELECT o.id, o.name, o.role::text, o.region, o.active"
                                         " FROM office_cert c JOIN office o ON o.id = c.office_id"
                                         " WHERE c.sha256 = $1 AND o.active";

const char SQL_MIGRATIONS_APPLIED[] = "SELECT count(*) FROM vigil_migration";

/* 6217579140699998535 = the bytes "VIGILMIG" read as a big-endian integer. */
const char SQL_MIGRATE_TRY_LOCK[] = "SELECT pg_try_advisory_lock(6217579140699998535)";
const char SQL_MIGRATE_LOCK[] = "SELECT pg_advisory_lock(6217579140699998535)";
const char SQL_MIGRATE_UNLOCK[] = "SELECT pg_advisory_unlock(6217579140699998535)";

/* Checked before creating so that a role without CREATE on the schema (the
 * service role, when db_owner is not set) passes once the table exists;
 * CREATE TABLE IF NOT EXISTS would check the privilege first. */
const char SQL_MIGRATE_TABLE[] = "DO $$ BEGIN"
                                 " IF to_regclass('vigil_migration') IS NULL THEN"
                                 "  CREATE TABLE vigil_migration ("
                                 "   version int PRIMARY KEY,"
                                 "   name text NOT NULL,"
                                 "   applied_at timestamptz NOT NULL DEFAULT now());"
                                 " END IF;"
                                 " END $$";

const char SQL_MIGRATE_RECORDED[] = "SELECT version, name FROM vigil_migration ORDER BY version";

const char SQL_MIGRATE_RECORD[] = "INSERT INTO vigil_migration (version, name) VALUES ($1, $2)";

/* The bootstrap commands write their audit row in the same statement as the
 * change (office_id NULL: the operator, not an office; detail.by says which
 * command; peer: where the operator connected from, "local" on a socket). */
#define SQL_BOOTSTRAP_PEER                                                                         \
    "coalesce(host(inet_client_addr()) || ':' || inet_client_port(), 'local')"

const char SQL_OFFICE_INSERT[] =
    "WITH o AS (INSERT INTO office (name, role, region) VALUES ($1, $2::office_role, $3)"
    "  RETURNING id, name, role, region),"
    " a AS (INSERT INTO audit (peer, action, object, detail)"
    "  SELECT " SQL_BOOTSTRAP_PEER ", 'office.add', name,"
    "   jsonb_build_object('by', 'vigild office add', 'id', id, 'role', role,"
    "    'region', coalesce(region, ''), 'states', '[]'::jsonb) FROM o)"
    " SELECT id FROM o";

const char SQL_OFFICE_CERT_INSERT[] =
    "WITH c AS (INSERT INTO office_cert (sha256, office_id, subject)"
    "  SELECT $2, id, $3 FROM office WHERE name = $1 RETURNING office_id, sha256, subject),"
    " a AS (INSERT INTO audit (peer, action, object, detail)"
    "  SELECT " SQL_BOOTSTRAP_PEER ", 'office.add_certificate', $1,"
    "   jsonb_build_object('by', 'vigild office add-cert', 'sha256', sha256, 'subject', subject)"
    "  FROM c)"
    " SELECT office_id FROM c";

const char SQL_OFFICE_SET_ACTIVE[] =
    "WITH u AS (UPDATE office o SET active = $2::boolean"
    "  FROM (SELECT id, active FROM office WHERE name = $1 FOR UPDATE) was"
    "  WHERE o.id = was.id RETURNING o.id, o.name, was.active AS was_active, o.active),"
    " a AS (INSERT INTO audit (peer, action, object, detail)"
    "  SELECT " SQL_BOOTSTRAP_PEER ", 'office.active', name,"
    "   jsonb_build_object('by', 'vigild office ' || CASE WHEN active THEN 'enable'"
    "    ELSE 'disable' END, 'from', was_active, 'to', active) FROM u)"
    " SELECT id FROM u";

const char SQL_OFFICE_LIST[] =
    "SELECT o.name, o.role::text, o.region, o.active,"
    " coalesce(string_agg(c.sha256, ' ' ORDER BY c.added_at, c.sha256), '')"
    " FROM office o LEFT JOIN office_cert c ON c.office_id = o.id"
    " GROUP BY o.id ORDER BY o.name COLLATE \"C\"";

const char SQL_LISTEN_CACHE[] = "LISTEN vigil_cache";

/* --- Rankings (svc_rankings*.c, svc_publish.c, embargo.c) --- */

const char SQL_RANKINGS_INPUTS[] = "SELECT vigil_api.rankings_inputs($1::jsonb, $2::jsonb)";

const char SQL_RANKINGS_PUBLISH[] = "SELECT vigil_api.rankings_publish($1::jsonb, $2::jsonb)";

const char SQL_RANKINGS_PUBLISHED[] =
    "SELECT vigil_api.rankings_published($1::jsonb, $2::jsonb), $3::text";

/* MATERIALIZED: the publication is read once, and the inputs (and card) of
 * that very version follow, whatever version 0 meant. */
const char SQL_RANKINGS_PUBLISHED_WITH_INPUTS[] =
    "WITH p AS MATERIALIZED (SELECT vigil_api.rankings_published($1::jsonb, $2::jsonb) AS r)"
    " SELECT p.r, vigil_api.rankings_published_inputs($1::jsonb,"
    "  jsonb_build_object('cycle', p.r->'cycle', 'version', p.r->'version')), $3::text FROM p";

const char SQL_RANKINGS_CARD_PUBLISHED[] =
    "WITH p AS MATERIALIZED (SELECT vigil_api.rankings_published($1::jsonb, $2::jsonb) AS r)"
    " SELECT p.r, vigil_api.rankings_published_inputs($1::jsonb,"
    "  jsonb_build_object('cycle', p.r->'cycle', 'version', p.r->'version')),"
    " vigil_api.rankings_card($1::jsonb, $2::jsonb || jsonb_build_object('version', "
    "p.r->'version')),"
    " $3::text FROM p";

const char SQL_RANKINGS_CARD_LIVE[] = "SELECT vigil_api.rankings_inputs($1::jsonb, $2::jsonb),"
                                      " vigil_api.rankings_card($1::jsonb, $2::jsonb)";

const char SQL_RANKINGS_HISTORY[] =
    "SELECT vigil_api.rankings_history($1::jsonb, $2::jsonb), $3::text";

const char SQL_RANKINGS_PUBLISHED_INPUTS[] =
    "SELECT vigil_api.rankings_published_inputs($1::jsonb, $2::jsonb), $3::text";

/* The delay is measured on the database's clock, the one that decides
 * visibility, so that the daemon's clock does not matter; rounded up, so
 * that the release is never acted on early. */
const char SQL_RANKINGS_NEXT_EMBARGO[] =
    "SELECT ceil(extract(epoch FROM nullif(e.r->>'next', '')::timestamptz - clock_timestamp())"
    "  * 1000)::bigint"
    " FROM (SELECT vigil_api.rankings_next_embargo($1::jsonb, '{}'::jsonb) AS r) e";

/* --- Exchange (svc_exchange_*.c, embargo.c) --- */

const char SQL_EXCHANGE_LISTEN[] = "LISTEN vigil_changes";

const char SQL_EXCHANGE_CHANGES[] =
    "SELECT seq, change, change->>'cursor' FROM vigil_api.exchange_changes("
    "$1::jsonb, $2::jsonb, $3::bigint, $4::int)";

/* One snapshot for the whole export: its functions all run inside it. */
const char SQL_EXPORT_SNAPSHOT[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

const char SQL_EXPORT_BEGIN[] = "SELECT publication_id, header, methodology, ranking, aggregates"
                                " FROM vigil_api.exchange_export_begin($1::jsonb, $2::jsonb)";

const char SQL_EXPORT_ASSESSMENTS[] =
    "SELECT state, record FROM vigil_api.exchange_export_assessments("
    "$1::jsonb, $2::bigint, $3::text, $4::int)";

const char SQL_EXCHANGE_IMPORT[] = "SELECT vigil_api.exchange_import($1::jsonb, $2::jsonb)";

const char SQL_EXCHANGE_RELEASE[] = "SELECT vigil_api.exchange_release($1::jsonb, '{}'::jsonb)";
