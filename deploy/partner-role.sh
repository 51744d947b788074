#!/usr/bin/env bash
# partner-role.sh: creates or updates a partner's PostgreSQL login role for
# the SQL door (README, "Partners: the SQL door"; migration
# 0007_partner_views.sql). The password comes from the environment, never
# from the command line, and reaches psql as a variable that psql quotes.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/partner-role.sh --db CONNINFO NAME

Creates the PostgreSQL login role NAME for a partner, or sets its password
when it exists already: LOGIN, INHERIT, no other attribute, member of the
group role vigil_partner_read and of nothing else. The group (created when
missing) holds USAGE on the schema partner of the Vigil database and SELECT
on its views, nothing else; its privileges on that database are (re)applied.
Run it again to change a password: it is idempotent.

  --db CONNINFO  libpq conninfo or URI of the Vigil database, as a superuser
                 (or as the schema owner if it has CREATEROLE)
  NAME           the role: a lower-case letter or _, then lower-case letters,
                 digits and _ (at most 63 characters). An existing role that is
                 not a partner role (not a member of vigil_partner_read) is
                 refused, as is one with other attributes or memberships.
  -h, --help     this text

Environment:
  VIGIL_PARTNER_PASSWORD  the password, at least 12 characters (required). The
                 server stores a SCRAM-SHA-256 verifier (password_encryption
                 is set to scram-sha-256 for the session); pg_hba.conf must ask
                 for scram-sha-256 on the partner's connections, which
                 postgres_fdw needs for a non-superuser. Run as a superuser, the
                 script turns statement logging off for its session, so the
                 ALTER ROLE carrying the password is not written to the log.
  PSQL           the psql to run (default: psql in PATH), version 15 or later
  PG*            the usual libpq variables fill what CONNINFO leaves out

Roles are cluster-wide: a partner role may read the partner views of every
Vigil database of the cluster whose privileges this script has applied.

Exit status: 0 done, 1 refused or failed (PostgreSQL's message on stderr),
2 usage error.
USAGE
}

say() {
    echo "partner-role.sh: $*"
}
usage_error() {
    echo "partner-role.sh: $*" >&2
    echo "Try 'deploy/partner-role.sh --help'." >&2
    exit 2
}

db=""
name=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    -h | --help)
        usage
        exit 0
        ;;
    --db)
        [[ $# -ge 2 ]] || usage_error "option --db needs a value"
        db=$2
        shift
        ;;
    --db=*)
        db=${1#--db=}
        ;;
    --)
        shift
        break
        ;;
    -*)
        usage_error "unknown option $1"
        ;;
    *)
        [[ -z "$name" ]] || usage_error "unexpected argument \"$1\""
        name=$1
        ;;
    esac
    shift
done
if [[ $# -gt 0 ]]; then
    [[ -z "$name" && $# -eq 1 ]] || usage_error "unexpected argument \"${*: -1}\""
    name=$1
fi

[[ -n "$db" ]] || usage_error "--db CONNINFO is required"
[[ -n "$name" ]] || usage_error "NAME is required"
[[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    usage_error "NAME must be a lower-case letter or _, then lower-case letters, digits" \
        "and _ (at most 63 characters), not \"$name\""
[[ "$name" != pg_* ]] || usage_error "NAME must not start with pg_ (reserved by PostgreSQL)"
[[ -n "${VIGIL_PARTNER_PASSWORD+set}" ]] ||
    usage_error "VIGIL_PARTNER_PASSWORD is not set (the password is taken from there," \
        "never from the command line)"
[[ ${#VIGIL_PARTNER_PASSWORD} -ge 12 ]] ||
    usage_error "VIGIL_PARTNER_PASSWORD must have at least 12 characters"

psql=${PSQL:-psql}
command -v "$psql" >/dev/null 2>&1 || {
    echo "partner-role.sh: psql not found (install postgresql-client, or set PSQL)" >&2
    exit 1
}

# psql reads the password with \getenv (psql 15) and quotes it itself
# (:'partner_password'); the name goes as a variable too (:'partner_role',
# :"partner_role"). The SQL is a fixed text: nothing is pasted into it.
# ON_ERROR_STOP and one transaction: a refusal or an error changes nothing.
# What psql says on stderr (errors, warnings) goes to ours, without psql's
# location and without the context line of our own refusals; what it prints
# on stdout is the outcome: "created" or "updated".
export VIGIL_PARTNER_PASSWORD
status=0
out=$("$psql" -X -q -At -v ON_ERROR_STOP=1 -v partner_role="$name" -d "$db" -f - \
    2> >(sed -e 's/^psql:<stdin>:[0-9]*: //' \
        -e '/^CONTEXT:  PL\/pgSQL function inline_code_block/d' \
        -e 's/^/partner-role.sh: /' >&2) <<'SQL'
\getenv partner_password VIGIL_PARTNER_PASSWORD
SET client_min_messages = warning;
BEGIN;
-- Keep the statement carrying the password out of the server log (only a
-- superuser may change these settings).
SELECT set_config('log_statement', 'none', true),
       set_config('log_min_error_statement', 'panic', true),
       set_config('log_min_duration_statement', '-1', true)
  FROM pg_roles WHERE rolname = current_user AND rolsuper \g /dev/null
SET LOCAL password_encryption = 'scram-sha-256';
SELECT set_config('vigil.partner_role', :'partner_role', true) \g /dev/null
DO $$
DECLARE
    v_name text := current_setting('vigil.partner_role');
    r      pg_roles;
    other  text;
BEGIN
    IF to_regprocedure('vigil_private.partner_grant()') IS NULL THEN
        RAISE EXCEPTION 'database %: no partner views (it is not a Vigil database migrated '
                        'with 0007_partner_views)', current_database();
    END IF;
    IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'role %: creating a partner role needs a superuser (or CREATEROLE)',
                        current_user;
    END IF;
    SELECT * INTO r FROM pg_roles WHERE rolname = v_name;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                    WHERE m.member = r.oid AND g.rolname = 'vigil_partner_read') THEN
        RAISE EXCEPTION 'role "%" exists and is not a partner role (not a member of '
                        'vigil_partner_read): choose another name', v_name;
    END IF;
    IF r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls THEN
        RAISE EXCEPTION 'role "%" has attributes a partner role must not have (superuser, '
                        'createdb, createrole, replication or bypassrls): remove them first',
                        v_name;
    END IF;
    SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname) INTO other
      FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
     WHERE m.member = r.oid AND g.rolname <> 'vigil_partner_read';
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" is also a member of %: a partner role is a member of '
                        'vigil_partner_read only', v_name, other;
    END IF;
END
$$;
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'partner_role') AS partner_new \gset
-- The group, as the migration would have made it (roles are cluster-wide: a
-- run on another database may be creating it at the same moment).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_partner_read') THEN
        CREATE ROLE vigil_partner_read NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
SELECT format('CREATE ROLE %I LOGIN', :'partner_role') WHERE :'partner_new'::boolean \gexec
ALTER ROLE :"partner_role" WITH LOGIN INHERIT PASSWORD :'partner_password';
GRANT vigil_partner_read TO :"partner_role";
SELECT vigil_private.partner_grant() \g /dev/null
COMMIT;
\if :partner_new
\echo created
\else
\echo updated
\endif
SQL
) || status=$?
[[ $status -eq 0 ]] || exit 1
case "${out##*$'\n'}" in
created) say "created login role $name (member of vigil_partner_read)" ;;
updated) say "updated login role $name: new password (member of vigil_partner_read)" ;;
*)
    echo "partner-role.sh: unexpected output from psql: $out" >&2
    exit 1
    ;;
esac
