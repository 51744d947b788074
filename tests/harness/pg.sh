#!/usr/bin/env bash
# pg.sh: the PostgreSQL cluster and certificates of one test run (the CTest
# fixture "pg"), and the private clusters of tests that stop PostgreSQL.
# The cluster itself is handled by deploy/pgcluster.sh.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: tests/harness/pg.sh COMMAND TMPDIR [ARGS]

  start TMPDIR VIGILD_PATH [--certs DIR]
        Makes certificates in TMPDIR/certs (deploy/mkcerts.sh; --certs DIR
        uses an existing set instead), starts a throwaway PostgreSQL cluster in
        a new /tmp/vigil-pg.XXXXXX directory (socket: trust; TCP on 127.0.0.1,
        a free port: scram-sha-256), creates the roles vigil_owner, vigil_service
        and vigil_app and the database vigil_template, migrates it with
        `VIGILD_PATH --migrate-only` (skipped when VIGILD_PATH is "-"), and
        writes TMPDIR/pg.env. Whatever a crashed earlier run left in TMPDIR
        (clusters, daemons, TMPDIR/work) is stopped and removed first.
  stop TMPDIR
        Stops the cluster and removes its /tmp directory; also stops the
        private clusters and daemons that tests left under TMPDIR/work.
  cluster-stop TMPDIR | cluster-start TMPDIR
        Stops / starts the server of TMPDIR's cluster, keeping its data and
        port (for outage tests).
  status TMPDIR       whether TMPDIR's cluster runs
  psql TMPDIR [ARGS]  psql as the superuser
  debug TMPDIR VIGILD_PATH [DB]
        For running vigild under a debugger: creates DB (default "debug") from
        vigil_template, registers the offices central, regional and partner,
        and prints the vigild command line and the environment that makes the
        integration tests use that daemon instead of starting their own.

pg.env (shell-sourceable, KEY='value'): PGHOST PGPORT PGUSER PGDATABASE
VIGIL_TEST_PGROOT VIGIL_TEST_PGDATA VIGIL_TEST_PGBIN VIGIL_TEST_CERTS
VIGIL_TEST_TEMPLATE VIGIL_TEST_TCP_HOST VIGIL_TEST_OWNER_PASSWORD
VIGIL_TEST_APP_PASSWORD VIGIL_TEST_CLUSTER_USER VIGIL_TEST_VIGILD
USAGE
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PGCLUSTER="$SRC/deploy/pgcluster.sh"
MKCERTS="$SRC/deploy/mkcerts.sh"
TEMPLATE=vigil_template

say() {
    echo "pg.sh: $*"
}
die() {
    echo "pg.sh: $*" >&2
    exit 1
}

# q VALUE: VALUE single-quoted for sh (the harness's reader undoes exactly this).
q() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

# env_get FILE KEY: a value from a pg.env, without sourcing it into this shell.
env_get() {
    (
        # shellcheck source=/dev/null
        . "$1"
        eval "printf '%s' \"\${$2:-}\""
    )
}

# Destroys the cluster recorded in DIR/pg.env (only directories we create).
drop_cluster() { # DIR
    local dir=$1 root
    [[ -f "$dir/pg.env" ]] || return 0
    root=$(env_get "$dir/pg.env" VIGIL_TEST_PGROOT)
    if [[ "$root" == /tmp/vigil-pg.* && -d "$root" ]]; then
        "$PGCLUSTER" destroy "$root" >/dev/null
        say "removed cluster $root"
    fi
    rm -f "$dir/pg.env"
}

# Ends what tests left under TMPDIR/work: daemons (by the pid files the
# harness writes, checked against their command line) and private clusters.
sweep() { # TMPDIR
    local tmp=$1 f pid d
    [[ -d "$tmp/work" ]] || return 0
    for f in "$tmp"/work/*/vigild.pid; do
        [[ -f "$f" ]] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        d=$(dirname "$f")
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            grep -qa -- "$d" "/proc/$pid/cmdline" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            say "killed leftover vigild $pid ($d)"
        fi
    done
    for f in "$tmp"/work/*/pg.env; do
        [[ -f "$f" ]] || continue
        drop_cluster "$(dirname "$f")"
    done
}

conninfo() { # ROLE DB
    printf 'host=%s port=%s dbname=%s user=%s' "$PGHOST" "$PGPORT" "$2" "$1"
}

write_pg_env() { # TMPDIR CERTS ROOT VIGILD
    local tmp=$1 certs=$2 root=$3 vigild=$4
    (
        # shellcheck source=/dev/null
        . "$root/cluster.env"
        {
            echo "# written by tests/harness/pg.sh start; sourceable by sh"
            echo "PGHOST=$(q "$PGHOST")"
            echo "PGPORT=$(q "$PGPORT")"
            echo "PGUSER='postgres'"
            echo "PGDATABASE='postgres'"
            echo "VIGIL_TEST_PGROOT=$(q "$root")"
            echo "VIGIL_TEST_PGDATA=$(q "$PGDATA")"
            echo "VIGIL_TEST_PGBIN=$(q "$PGBIN")"
            echo "VIGIL_TEST_CERTS=$(q "$certs")"
            echo "VIGIL_TEST_TEMPLATE=$(q "$TEMPLATE")"
            echo "VIGIL_TEST_TCP_HOST='127.0.0.1'"
            echo "VIGIL_TEST_OWNER_PASSWORD=$(q "$VIGIL_OWNER_PASSWORD")"
            echo "VIGIL_TEST_APP_PASSWORD=$(q "$VIGIL_APP_PASSWORD")"
            echo "VIGIL_TEST_CLUSTER_USER=$(q "$CLUSTER_USER")"
            echo "VIGIL_TEST_VIGILD=$(q "$vigild")"
        } >"$tmp/pg.env.tmp"
    )
    mv -f "$tmp/pg.env.tmp" "$tmp/pg.env"
}

cmd_start() {
    local tmp=$1 vigild=${2:-}
    shift 2 || die "start needs TMPDIR and VIGILD_PATH (see --help)"
    local certs=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
        --certs)
            certs=${2:?--certs needs a directory}
            shift
            ;;
        *) die "start: unknown option '$1'" ;;
        esac
        shift
    done
    [[ "$vigild" == "-" || -x "$vigild" ]] || die "vigild '$vigild' is not executable"

    mkdir -p "$tmp"
    tmp=$(cd "$tmp" && pwd)
    sweep "$tmp"
    drop_cluster "$tmp"
    rm -rf "$tmp/work" "$tmp/migrate.log"
    mkdir -p "$tmp/work"

    if [[ -z "$certs" ]]; then
        certs="$tmp/certs"
        "$MKCERTS" --force "$certs" >/dev/null
        say "certificates in $certs"
    fi
    [[ -f "$certs/ca.crt" ]] || die "no certificates in $certs"
    certs=$(cd "$certs" && pwd)

    local root
    root=$(mktemp -d /tmp/vigil-pg.XXXXXX)
    # Recorded before anything can fail, so that stop (or the next start) finds it.
    echo "VIGIL_TEST_PGROOT=$(q "$root")" >"$tmp/pg.env"
    "$PGCLUSTER" init "$root" --tcp --fast --max-connections 300 >/dev/null
    "$PGCLUSTER" create-db "$root" "$TEMPLATE" >/dev/null
    write_pg_env "$tmp" "$certs" "$root" "$vigild"
    # shellcheck source=/dev/null
    . "$root/cluster.env"

    if [[ "$vigild" != "-" ]]; then
        say "migrating $TEMPLATE with $vigild --migrate-only"
        if ! "$vigild" --migrate-only \
            --db="$(conninfo vigil_app "$TEMPLATE")" \
            --db_owner="$(conninfo vigil_owner "$TEMPLATE")" \
            --tls_cert_file="$certs/server.crt" --tls_key_file="$certs/server.key" \
            --tls_ca_file="$certs/ca.crt" >"$tmp/migrate.log" 2>&1 </dev/null; then
            tail -n 30 "$tmp/migrate.log" >&2
            die "migration failed (log above: $tmp/migrate.log)"
        fi
    fi
    "$PGCLUSTER" psql "$root" -c "ALTER DATABASE $TEMPLATE WITH IS_TEMPLATE true"
    say "cluster ready: port $PGPORT, socket $PGHOST ($tmp/pg.env)"
}

cmd_stop() {
    local tmp=$1
    [[ -d "$tmp" ]] || return 0
    sweep "$tmp"
    drop_cluster "$tmp"
    say "stopped"
}

root_of() { # TMPDIR
    [[ -f "$1/pg.env" ]] || die "$1/pg.env not found (run pg.sh start)"
    env_get "$1/pg.env" VIGIL_TEST_PGROOT
}

cmd_debug() {
    local tmp=$1 vigild=${2:?debug needs VIGILD_PATH} db=${3:-debug} root certs
    root=$(root_of "$tmp")
    certs=$(env_get "$tmp/pg.env" VIGIL_TEST_CERTS)
    # shellcheck source=/dev/null
    . "$root/cluster.env"
    if [[ -z "$("$PGCLUSTER" psql "$root" -At -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
        "$PGCLUSTER" psql "$root" -c "CREATE DATABASE $db TEMPLATE $TEMPLATE OWNER vigil_owner"
    fi
    local common=(--db="$(conninfo vigil_app "$db")" --db_owner="$(conninfo vigil_owner "$db")")
    local o role region
    for o in central:central: regional:regional:150 partner:partner:; do
        IFS=: read -r name role region <<<"$o"
        if [[ -z "$("$PGCLUSTER" psql "$root" -d "$db" -At -c "SELECT 1 FROM office WHERE name = '$name'")" ]]; then
            "$vigild" "${common[@]}" office add "$name" --role "$role" ${region:+--region "$region"}
            "$vigild" "${common[@]}" office add-cert "$name" "$certs/$name.crt"
        fi
    done
    cat <<EOF
Run the daemon (e.g. under gdb --args):
  $vigild --listen=127.0.0.1:7443 --public_listen=127.0.0.1:7444 \\
    --tls_cert_file=$certs/server.crt --tls_key_file=$certs/server.key \\
    --tls_ca_file=$certs/ca.crt --log_level=debug \\
    '${common[0]}' '${common[1]}'
Then run a test against it:
  VIGIL_TEST_TMP=$tmp VIGIL_TEST_ADDR=127.0.0.1:7443 VIGIL_TEST_PUBLIC_ADDR=127.0.0.1:7444 \\
    VIGIL_TEST_DB=$db build/.../tests/it_test_NAME --filter 'suite/test'
EOF
}

cmd=${1:-}
case "$cmd" in
-h | --help | help)
    usage
    exit 0
    ;;
"")
    usage >&2
    exit 2
    ;;
esac
[[ $# -ge 2 ]] || {
    echo "pg.sh: $cmd needs TMPDIR (see --help)" >&2
    exit 2
}
shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$1" ;;
cluster-stop) "$PGCLUSTER" stop "$(root_of "$1")" ;;
cluster-start) "$PGCLUSTER" start "$(root_of "$1")" ;;
status) "$PGCLUSTER" status "$(root_of "$1")" ;;
psql)
    tmp=$1
    shift
    "$PGCLUSTER" psql "$(root_of "$tmp")" "$@"
    ;;
debug) cmd_debug "$@" ;;
*)
    echo "pg.sh: unknown command '$cmd' (see --help)" >&2
    exit 2
    ;;
esac
