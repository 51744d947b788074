#!/usr/bin/env bash
# pgcluster.sh: private PostgreSQL clusters for development and tests, run as
# an unprivileged user (postgres via runuser when called as root), with no
# system service. Used by deploy/quickstart.sh and tests/harness/pg.sh.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/pgcluster.sh COMMAND ROOT [OPTIONS]

A private PostgreSQL cluster lives in ROOT:
  ROOT/data          the data directory (initdb -U postgres, local socket: trust)
  ROOT/sock          its Unix socket directory (mode 0700; a /tmp directory
                     when ROOT is too long for a socket path)
  ROOT/postgres.log  the server log
  ROOT/cluster.env   shell-sourceable facts: PGHOST PGPORT PGUSER PGDATA PGBIN
                     CLUSTER_USER TCP VIGIL_OWNER_PASSWORD VIGIL_APP_PASSWORD
When run as root the cluster runs as user postgres (or $VIGIL_PG_USER), so ROOT
must be reachable by that user (a directory under /tmp always is).

Commands:
  init ROOT [--tcp] [--port N] [--fast] [--max-connections N]
        initdb (unless ROOT/data exists) and start. --tcp also listens on
        127.0.0.1 (scram-sha-256 passwords); the port is N or a free one.
        --fast turns off fsync, synchronous_commit and full_page_writes
        (throwaway test clusters only).
  start ROOT          start (no-op when running); same port as before
  stop ROOT           fast shutdown (no-op when stopped)
  status ROOT         exit 0 when running, 3 when not
  destroy ROOT        stop and remove ROOT (and its socket directory)
  create-db ROOT DB   create the roles vigil_owner (LOGIN, owns DB),
                      vigil_service (NOLOGIN group) and vigil_app (LOGIN,
                      member of vigil_service), and database DB; idempotent
  psql ROOT [ARGS...] psql as the superuser over the socket
  env ROOT            print cluster.env

Environment: VIGIL_PGBIN (server binaries; default the newest
/usr/lib/postgresql/*/bin), VIGIL_PG_USER (cluster user when root).
USAGE
}

die() {
    echo "pgcluster: $*" >&2
    exit 1
}
say() {
    echo "pgcluster: $*"
}

find_pgbin() {
    if [[ -n "${VIGIL_PGBIN:-}" ]]; then
        echo "$VIGIL_PGBIN"
        return
    fi
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" ]] && best=$d
    done
    if [[ -z "$best" ]] && command -v initdb >/dev/null; then
        best=$(dirname "$(command -v initdb)")
    fi
    [[ -n "$best" ]] || die "PostgreSQL server binaries not found (run deploy/install-deps.sh)"
    echo "$best"
}

cluster_user() {
    if [[ $EUID -eq 0 ]]; then
        echo "${VIGIL_PG_USER:-postgres}"
    else
        id -un
    fi
}

# as_cluster CMD...: runs CMD as the cluster user, from / so that a working
# directory the user cannot enter does not matter.
as_cluster() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$CUSER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# A port nobody listens on, below Linux's ephemeral range (which daemons on
# port 0 draw from).
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free TCP port found"
}

sockdir_for() { # ROOT
    local s="$1/sock"
    # sun_path holds 107 bytes; leave room for "/.s.PGSQL.NNNNN.lock".
    if [[ ${#s} -gt 80 ]]; then
        s="/tmp/vigil-sock-$(printf '%s' "$1" | cksum | cut -d' ' -f1)"
    fi
    echo "$s"
}

load_env() { # ROOT
    [[ -f "$1/cluster.env" ]] || die "$1 holds no cluster (no cluster.env; run init)"
    # shellcheck source=/dev/null
    . "$1/cluster.env"
    CUSER=$CLUSTER_USER
}

is_running() {
    as_cluster "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

ensure_sockdir() {
    if [[ ! -d "$PGHOST" ]]; then
        mkdir -p "$PGHOST"
    fi
    if [[ $EUID -eq 0 ]]; then
        chown "$CUSER:" "$PGHOST"
    fi
    chmod 700 "$PGHOST"
}

# Starts the server; returns 1 when it could not bind its port.
try_start() {
    ensure_sockdir
    if as_cluster "$PGBIN/pg_ctl" -D "$PGDATA" -l "$ROOT/postgres.log" -w -t 60 start \
        >/dev/null; then
        return 0
    fi
    if tail -n 20 "$ROOT/postgres.log" 2>/dev/null | grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets'; then
        return 1
    fi
    tail -n 20 "$ROOT/postgres.log" >&2 || true
    die "PostgreSQL in $ROOT did not start (log above: $ROOT/postgres.log)"
}

write_env() {
    local tmp="$ROOT/cluster.env.tmp"
    (
        umask 077
        {
            printf 'PGBIN=%q\n' "$PGBIN"
            printf 'PGDATA=%q\n' "$PGDATA"
            printf 'PGHOST=%q\n' "$PGHOST"
            printf 'PGPORT=%q\n' "$PGPORT"
            printf 'PGUSER=postgres\n'
            printf 'CLUSTER_USER=%q\n' "$CUSER"
            printf 'TCP=%q\n' "$TCP"
            printf 'VIGIL_OWNER_PASSWORD=%q\n' "$VIGIL_OWNER_PASSWORD"
            printf 'VIGIL_APP_PASSWORD=%q\n' "$VIGIL_APP_PASSWORD"
        } >"$tmp"
    )
    mv -f "$tmp" "$ROOT/cluster.env"
}

set_port() { # PORT: rewrites the port line of our settings
    PGPORT=$1
    as_cluster sed -i "s/^port = .*/port = $PGPORT/" "$PGDATA/postgresql.conf"
    write_env
}

cmd_init() {
    local tcp=no port="" fast=no maxconn=100
    while [[ $# -gt 0 ]]; do
        case "$1" in
        --tcp) tcp=yes ;;
        --port)
            port=${2:?--port needs a value}
            shift
            ;;
        --fast) fast=yes ;;
        --max-connections)
            maxconn=${2:?--max-connections needs a value}
            shift
            ;;
        *) die "init: unknown option '$1'" ;;
        esac
        shift
    done

    if [[ -f "$ROOT/cluster.env" && -f "$ROOT/data/PG_VERSION" ]]; then
        load_env "$ROOT"
        if is_running; then
            say "cluster in $ROOT already running (port $PGPORT)"
        else
            say "starting existing cluster in $ROOT (port $PGPORT)"
            try_start || die "port $PGPORT is taken; stop whatever uses it, or destroy $ROOT"
        fi
        return
    fi

    PGBIN=$(find_pgbin)
    CUSER=$(cluster_user)
    id "$CUSER" >/dev/null 2>&1 ||
        die "user '$CUSER' does not exist (PostgreSQL refuses root; set VIGIL_PG_USER)"
    mkdir -p "$ROOT"
    ROOT=$(cd "$ROOT" && pwd -P)
    if [[ $EUID -eq 0 ]]; then
        chown "$CUSER:" "$ROOT"
    fi
    chmod 700 "$ROOT"
    as_cluster test -w "$ROOT" -a -x "$ROOT" ||
        die "user $CUSER cannot reach $ROOT (a parent directory is closed to it); use a directory under /tmp"
    PGDATA="$ROOT/data"
    PGHOST=$(sockdir_for "$ROOT")
    TCP=$tcp
    VIGIL_OWNER_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    VIGIL_APP_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    PGPORT=${port:-5432}
    if [[ $tcp == yes && -z "$port" ]]; then
        PGPORT=$(free_port)
    fi
    rm -rf "$PGDATA"
    say "initdb $PGDATA (as $CUSER)"
    as_cluster "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$ROOT/initdb.log" 2>&1 || {
        cat "$ROOT/initdb.log" >&2
        die "initdb failed"
    }
    local listen="''"
    [[ $tcp == yes ]] && listen="'127.0.0.1'"
    {
        echo ""
        echo "# --- added by deploy/pgcluster.sh ---"
        echo "listen_addresses = $listen"
        echo "port = $PGPORT"
        echo "unix_socket_directories = '$PGHOST'"
        echo "unix_socket_permissions = 0700"
        echo "password_encryption = 'scram-sha-256'"
        echo "max_connections = $maxconn"
        echo "shared_buffers = 32MB"
        echo "timezone = 'UTC'"
        echo "log_timezone = 'UTC'"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if [[ $fast == yes ]]; then
            echo "# throwaway test cluster: durability off for speed"
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | as_cluster tee -a "$PGDATA/postgresql.conf" >/dev/null
    {
        echo "# written by deploy/pgcluster.sh: socket (mode 0700) trusted, TCP by password"
        echo "local all all trust"
        echo "host all all 127.0.0.1/32 scram-sha-256"
        echo "host all all ::1/128 scram-sha-256"
    } | as_cluster tee "$PGDATA/pg_hba.conf" >/dev/null
    write_env

    local tries=0
    until try_start; do
        tries=$((tries + 1))
        [[ $tcp == yes && -z "$port" && $tries -lt 5 ]] || die "port $PGPORT is taken"
        set_port "$(free_port)"
    done
    say "cluster running in $ROOT (port $PGPORT, socket $PGHOST)"
}

cmd_start() {
    load_env "$ROOT"
    if is_running; then
        say "already running (port $PGPORT)"
        return
    fi
    try_start || die "port $PGPORT is taken; the cluster keeps its port"
    say "started (port $PGPORT)"
}

cmd_stop() {
    [[ -f "$ROOT/cluster.env" ]] || return 0
    load_env "$ROOT"
    [[ -f "$PGDATA/postmaster.pid" ]] || return 0
    if as_cluster "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
        say "stopped $ROOT"
        return 0
    fi
    # Not stopped in time, or a stale pid file: end the postmaster we started.
    local pid
    pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        grep -qa -- "$PGDATA" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$pid" 2>/dev/null || true
        say "killed postmaster $pid of $ROOT"
    fi
    rm -f "$PGDATA/postmaster.pid"
}

cmd_destroy() {
    [[ -e "$ROOT" ]] || return 0
    local sock=""
    if [[ -f "$ROOT/cluster.env" ]]; then
        cmd_stop
        sock=$PGHOST
    fi
    rm -rf "$ROOT"
    if [[ -n "$sock" && "$sock" != "$ROOT"/* ]]; then
        rm -rf "$sock"
    fi
    say "removed $ROOT"
}

psql_super() { # DB [ARGS...]
    local db=$1
    shift
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U postgres -d "$db" "$@"
}

cmd_create_db() {
    local db=${1:?create-db needs a database name}
    [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name '$db' must be a plain lower-case identifier"
    load_env "$ROOT"
    psql_super postgres -v owner_pw="$VIGIL_OWNER_PASSWORD" -v app_pw="$VIGIL_APP_PASSWORD" <<'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
    -- As migration 0001 does, so that vigil_app can join it before migrating.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_service') THEN
        CREATE ROLE vigil_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_owner') THEN
        CREATE ROLE vigil_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_app') THEN
        CREATE ROLE vigil_app LOGIN;
    END IF;
END
$$;
GRANT vigil_service TO vigil_app;
ALTER ROLE vigil_owner PASSWORD :'owner_pw';
ALTER ROLE vigil_app PASSWORD :'app_pw';
SQL
    if [[ -z "$(psql_super postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
        psql_super postgres -c "CREATE DATABASE $db OWNER vigil_owner"
        say "created database $db (owner vigil_owner)"
    else
        say "database $db exists"
    fi
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
    echo "pgcluster: $cmd needs ROOT (see --help)" >&2
    exit 2
}
ROOT=$2
shift 2
case "$cmd" in
init) cmd_init "$@" ;;
start) cmd_start ;;
stop) cmd_stop ;;
status)
    load_env "$ROOT"
    if is_running; then
        echo "running: port $PGPORT, socket $PGHOST, data $PGDATA"
    else
        echo "stopped: data $PGDATA"
        exit 3
    fi
    ;;
destroy) cmd_destroy ;;
create-db) cmd_create_db "$@" ;;
psql)
    load_env "$ROOT"
    psql_super postgres "$@"
    ;;
env) cat "$ROOT/cluster.env" ;;
*)
    echo "pgcluster: unknown command '$cmd' (see --help)" >&2
    exit 2
    ;;
esac
