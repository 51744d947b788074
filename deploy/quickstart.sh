#!/usr/bin/env bash
# quickstart.sh: the README's first command: installs, builds, and brings up a
# development Vigil (private PostgreSQL cluster, certificates, offices,
# vigild in the background), then shows the client calling it.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/quickstart.sh [up] [--no-install]   bring Vigil up (the default)
       deploy/quickstart.sh stop                  stop vigild and the cluster
       deploy/quickstart.sh status                what runs, where
       deploy/quickstart.sh destroy               stop and delete .vigil/ (all data)

`up` installs missing packages (deploy/install-deps.sh), builds into
build/release, then, under .vigil/ in the repository:
  pg/            a private PostgreSQL cluster (a /tmp directory instead when the
                 repository is not reachable by the postgres user; see pg.root)
  certs/         a development CA with server and office certificates
  vigild.conf    the daemon's configuration
  central.conf, regional.conf   client configurations (VIGIL_CONFIG=...)
  vigild.log, vigild.pid
It creates the database "vigil", migrates it, registers the offices central,
regional (region 150) and partner with their certificates, starts vigild on
127.0.0.1:7443 (VIGIL_QUICKSTART_PORT to change) and calls it with
`vigil health` and `vigil whoami` as the central and the regional office.
Then the assessment workflow, on synthetic data (deploy/synthetic-data.py,
seed 2012: 42 states, cycles 2005-2008 and 2009-2012, every text marked
SYNTHETIC): as the central office it creates the cycle 2005-2008 (methodology
ecpat-2012) and widens the regional office's scope to the world (region 001)
so that it may submit every state; as the regional office it submits
.vigil/synthetic.csv with `vigil submit`; as the central office it approves
every submitted assessment and shows the review queue of 2009-2012, empty.
Then the rankings. Movement compares a cycle with its predecessor, and
2009-2012 (the founding cycle, loaded by a migration) has none: a cycle's
predecessor is fixed at creation. So that the ranking shows movement, the
same synthetic assessments also go into a pair of cycles of their own,
synthetic-2005-2008 and synthetic-2009-2012 (its predecessor), which are
submitted, approved, closed and published in that order; 2005-2008 and
2009-2012 stay as they are, for you to try the workflow (and vigil publish)
on. It ends by printing the ranking of synthetic-2009-2012 (bands,
movement, states not ranked), the sentence of the aggregates on services
for victims (CA.1, CA.2) with its N, and `vigil verify` recomputing it;
then, as the partner, `vigil export` of that cycle and the feed after it.
Running it again reuses all of that and starts only what is not running; the
workflow is idempotent: unchanged assessments are skipped, nothing doubles,
and a published cycle is not published again (that would make version 2).
VIGIL_BUILD_DIR builds and runs there instead of build/release.
PostgreSQL refuses to run as root: as root, the cluster runs as user postgres.
USAGE
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$REPO/.vigil"
BUILD=${VIGIL_BUILD_DIR:-$REPO/build/release}
PORT=${VIGIL_QUICKSTART_PORT:-7443}
PGCLUSTER="$REPO/deploy/pgcluster.sh"
VIGILD="$BUILD/vigild"
VIGIL="$BUILD/client/vigil"
DB=vigil

say() {
    echo "quickstart: $*"
}
die() {
    echo "quickstart: $*" >&2
    exit 1
}

cluster_user() {
    if [[ $EUID -eq 0 ]]; then echo "${VIGIL_PG_USER:-postgres}"; else id -un; fi
}

# Where the cluster lives: .vigil/pg, unless the cluster user cannot reach it
# (a repository under /root, say); then a fixed directory under /tmp. The
# choice is kept in .vigil/pg.root.
pg_root() {
    if [[ -f "$STATE/pg.root" ]]; then
        cat "$STATE/pg.root"
        return
    fi
    local root="$STATE/pg" user
    user=$(cluster_user)
    if [[ $EUID -eq 0 ]] && ! runuser -u "$user" -- test -x "$STATE" 2>/dev/null; then
        root="/tmp/vigil-quickstart-$(id -u)-$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)"
        say "user $user cannot reach $STATE; the cluster goes to $root" >&2
    fi
    echo "$root" >"$STATE/pg.root"
    echo "$root"
}

vigild_pid() { # prints the pid of our running vigild, or fails
    local pid
    [[ -f "$STATE/vigild.pid" ]] || return 1
    pid=$(cat "$STATE/vigild.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        grep -qa -- "$STATE/vigild.conf" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

build() {
    if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
        say "configuring $BUILD"
        cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DVIGIL_TESTS=OFF >/dev/null
    fi
    say "building (this takes a minute the first time)"
    cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" >"$STATE/build.log" 2>&1 || {
        tail -n 40 "$STATE/build.log" >&2
        die "build failed (full log: $STATE/build.log)"
    }
    [[ -x "$VIGILD" && -x "$VIGIL" ]] || die "build produced no $VIGILD or $VIGIL"
}

write_conf() { # PGHOST PGPORT
    local conf="$STATE/vigild.conf"
    if [[ -f "$conf" ]]; then
        say "keeping $conf"
        return
    fi
    cat >"$conf" <<EOF
; vigild development configuration, written by deploy/quickstart.sh.
; Every key is documented in deploy/vigild.conf.example (or: vigild --help-config).
[vigild]
listen = 127.0.0.1:$PORT
; a listener without client certificates (anonymous, published results only):
; public_listen = 127.0.0.1:$((PORT + 1))
tls_cert_file = $STATE/certs/server.crt
tls_key_file = $STATE/certs/server.key
tls_ca_file = $STATE/certs/ca.crt
db = host=$1 port=$2 dbname=$DB user=vigil_app
db_owner = host=$1 port=$2 dbname=$DB user=vigil_owner
log_level = info
log_access = true
EOF
    say "wrote $conf"
}

write_client_conf() { # OFFICE
    local conf="$STATE/$1.conf"
    cat >"$conf" <<EOF
; vigil client configuration for the $1 office (development); use with
; VIGIL_CONFIG=$conf or vigil --config $conf
[vigil]
address = 127.0.0.1:$PORT
ca = $STATE/certs/ca.crt
cert = $STATE/certs/$1.crt
key = $STATE/certs/$1.key
EOF
}

fingerprint() { # CERT: lower-case hex SHA-256 of the DER, as the office_cert table keeps it
    openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

register_offices() { # ROOT
    local root=$1 name role region fp
    for o in central:central: regional:regional:150 partner:partner:; do
        IFS=: read -r name role region <<<"$o"
        if [[ -z "$("$PGCLUSTER" psql "$root" -d "$DB" -At -c "SELECT 1 FROM office WHERE name = '$name'")" ]]; then
            "$VIGILD" -c "$STATE/vigild.conf" office add "$name" --role "$role" \
                ${region:+--region "$region"} >/dev/null
            say "registered office $name ($role${region:+, region $region})"
        fi
        fp=$(fingerprint "$STATE/certs/$name.crt")
        if [[ -z "$("$PGCLUSTER" psql "$root" -d "$DB" -At -c "SELECT 1 FROM office_cert WHERE sha256 = '$fp'")" ]]; then
            "$VIGILD" -c "$STATE/vigild.conf" office add-cert "$name" "$STATE/certs/$name.crt" >/dev/null
            say "registered certificate certs/$name.crt for $name"
        fi
    done
}

start_vigild() {
    local pid ready="$STATE/vigild.ready"
    if pid=$(vigild_pid); then
        # A rebuild replaces the binary: a daemon still running the old one
        # may not know the schema just migrated, so it is restarted.
        if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(readlink -f "$VIGILD")" ]]; then
            say "vigild already running (pid $pid; 'deploy/quickstart.sh stop' to stop it)"
            return
        fi
        say "vigild (pid $pid) runs an older build: restarting it"
        kill -TERM "$pid"
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$ready"
    say "starting vigild (log: $STATE/vigild.log)"
    setsid "$VIGILD" -c "$STATE/vigild.conf" --ready-file "$ready" \
        >>"$STATE/vigild.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$STATE/vigild.pid"
    for ((i = 0; i < 200; i++)); do
        [[ -s "$ready" ]] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$STATE/vigild.log" >&2
            die "vigild exited at start (log above)"
        fi
        sleep 0.1
    done
    [[ -s "$ready" ]] || {
        tail -n 30 "$STATE/vigild.log" >&2
        die "vigild not ready after 20 s (log above)"
    }
    say "vigild running (pid $pid): $(tr '\n' ' ' <"$ready")"
}

demo() {
    local who
    for who in central regional; do
        echo
        echo "\$ VIGIL_CONFIG=.vigil/$who.conf vigil health && vigil whoami"
        VIGIL_CONFIG="$STATE/$who.conf" "$VIGIL" health ||
            die "vigil health failed as $who (see $STATE/vigild.log)"
        VIGIL_CONFIG="$STATE/$who.conf" "$VIGIL" whoami ||
            die "vigil whoami failed as $who (see $STATE/vigild.log)"
    done
}

approve_submitted() { # CYCLE: approves, as central, what waits for review
    local states
    states=$(VIGIL_CONFIG=$STATE/central.conf "$VIGIL" queue --cycle "$1" --status submitted \
        --format csv | tail -n +2 | cut -d, -f1 | tr '\n' ' ')
    [[ -n "${states// /}" ]] || return 0
    echo "\$ vigil approve STATE... --cycle $1    # as central: $(wc -w <<<"$states") assessments"
    # shellcheck disable=SC2086  # one argument per state
    VIGIL_CONFIG=$STATE/central.conf "$VIGIL" approve $states --cycle "$1" >/dev/null ||
        die "vigil approve failed for $1"
}

# The assessment workflow on synthetic data; every step is idempotent.
assessments() {
    local central="$STATE/central.conf" regional="$STATE/regional.conf" csv="$STATE/synthetic.csv"
    local cycle
    echo
    if ! VIGIL_CONFIG=$central "$VIGIL" cycles --format csv | grep -q '^2005-2008,'; then
        echo "\$ vigil cycle create 2005-2008 --methodology ecpat-2012    # as central"
        VIGIL_CONFIG=$central "$VIGIL" cycle create 2005-2008 --methodology ecpat-2012 >/dev/null ||
            die "cannot create the cycle 2005-2008"
    fi
    if ! VIGIL_CONFIG=$central "$VIGIL" office list --format csv | grep -q '^[0-9]*,regional,regional,001,'; then
        echo "\$ vigil office scope regional --region 001    # as central: the whole world"
        VIGIL_CONFIG=$central "$VIGIL" office scope regional --region 001 >/dev/null ||
            die "cannot widen the regional office's scope"
    fi
    /usr/bin/python3 "$REPO/deploy/synthetic-data.py" --seed 2012 --out "$csv.new"
    if cmp -s "$csv.new" "$csv"; then rm -f "$csv.new"; else mv "$csv.new" "$csv"; fi
    echo "\$ vigil submit .vigil/synthetic.csv    # as regional (synthetic data, seed 2012)"
    VIGIL_CONFIG=$regional "$VIGIL" submit "$csv" >/dev/null ||
        die "vigil submit failed (run it again: requests already sent are resent, not doubled)"
    for cycle in 2005-2008 2009-2012; do
        approve_submitted "$cycle"
    done
    echo "\$ vigil queue --cycle 2009-2012 --status submitted    # as central: nothing waits"
    VIGIL_CONFIG=$central "$VIGIL" queue --cycle 2009-2012 --status submitted ||
        die "vigil queue failed"
}

# The rankings demonstration (see the usage): the pair of cycles, the
# earlier first, so that the later one's inputs name its publication.
PAIR=(synthetic-2005-2008 synthetic-2009-2012)

cycle_status() { # CYCLE: open, closed or published; "" when there is no such cycle
    VIGIL_CONFIG=$STATE/central.conf "$VIGIL" cycles --format csv |
        awk -F, -v c="$1" '$1 == c { print $4 }'
}

pair_csv() { # FROM TO OUT: the synthetic rows of cycle FROM, as rows of cycle TO
    /usr/bin/python3 - "$STATE/synthetic.csv" "$1" "$2" "$3.new" <<'PY'
import csv, sys
src, old, new, out = sys.argv[1:]
with open(src, newline="", encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as o:
    rows, w = csv.reader(f), csv.writer(o, lineterminator="\n")
    head = next(rows)
    w.writerow(head)
    at = head.index("cycle")
    for row in rows:
        if row[at] == old:
            row[at] = new
            w.writerow(row)
PY
    if cmp -s "$3.new" "$3"; then rm -f "$3.new"; else mv "$3.new" "$3"; fi
}

# Creates, fills, closes and publishes each cycle of the pair, each step only
# when not done yet: a published cycle is left alone.
rankings_publish() {
    local central="$STATE/central.conf" prev="" cycle status
    echo
    for cycle in "${PAIR[@]}"; do
        status=$(cycle_status "$cycle")
        if [[ -z "$status" ]]; then
            echo "\$ vigil cycle create $cycle --methodology ecpat-2012${prev:+ --predecessor $prev}    # as central"
            VIGIL_CONFIG=$central "$VIGIL" cycle create "$cycle" --methodology ecpat-2012 \
                ${prev:+--predecessor "$prev"} >/dev/null || die "cannot create the cycle $cycle"
            status=open
        fi
        if [[ "$status" == open ]]; then
            pair_csv "${cycle#synthetic-}" "$cycle" "$STATE/$cycle.csv"
            echo "\$ vigil submit .vigil/$cycle.csv    # as regional (the synthetic rows of ${cycle#synthetic-})"
            VIGIL_CONFIG=$STATE/regional.conf "$VIGIL" submit "$STATE/$cycle.csv" >/dev/null ||
                die "vigil submit failed for $cycle (run it again: nothing is doubled)"
            approve_submitted "$cycle"
            echo "\$ vigil cycle close $cycle    # as central"
            VIGIL_CONFIG=$central "$VIGIL" cycle close "$cycle" >/dev/null ||
                die "cannot close the cycle $cycle"
            status=closed
        fi
        if [[ "$status" == closed ]]; then
            echo "\$ vigil publish --cycle $cycle    # as central"
            VIGIL_CONFIG=$central "$VIGIL" publish --cycle "$cycle" >/dev/null ||
                die "vigil publish failed for $cycle (see vigil ranking --cycle $cycle before trying again)"
        fi
        prev=$cycle
    done
}

# The finale: the published ranking with movement, the two facts of the
# aggregates with their N, and a recomputation by the client.
rankings_show() {
    local central="$STATE/central.conf" cycle=${PAIR[1]} sentence
    echo
    echo "Rankings on SYNTHETIC data (generated; not an assessment of any state):"
    echo "\$ vigil ranking --cycle $cycle"
    VIGIL_CONFIG=$central "$VIGIL" ranking --cycle "$cycle" || die "vigil ranking failed"
    echo
    echo "\$ vigil aggregates --cycle $cycle | tail -n 1"
    sentence=$(VIGIL_CONFIG=$central "$VIGIL" aggregates --cycle "$cycle" | tail -n 1) ||
        die "vigil aggregates failed"
    echo "$sentence (synthetic data)"
    echo
    echo "\$ vigil verify --cycle $cycle"
    VIGIL_CONFIG=$central "$VIGIL" verify --cycle "$cycle" ||
        die "vigil verify found the published ranking altered (exit $?)"
    exchange_show "$cycle"
}

# What a partner gets: the published cycle as spreadsheet files, and the
# feed position to follow from (README, "Partners: the gRPC exchange").
exchange_show() {
    local partner="$STATE/partner.conf" out="$STATE/export-$1" cursor
    echo
    echo "\$ vigil export --cycle $1 --format csv --out $out    # as a partner"
    cursor=$(VIGIL_CONFIG=$partner "$VIGIL" export --cycle "$1" --format csv --out "$out" |
        sed -n 's/^cursor: //p') || die "vigil export failed"
    ls "$out"
    echo "\$ vigil changes --after $cursor    # what changed since: nothing yet"
    VIGIL_CONFIG=$partner "$VIGIL" changes --after "$cursor" || die "vigil changes failed"
    echo "(the feed continues from $cursor; deploy/examples/partner_sync.py keeps a copy in sync)"
}

instructions() {
    cat <<EOF

Vigil is up: vigild on 127.0.0.1:$PORT, PostgreSQL in $1.
Use the client as the central office:
  export VIGIL_CONFIG=$STATE/central.conf     # or regional.conf
  $VIGIL whoami
or with variables instead of a config file:
  export VIGIL_ADDRESS=127.0.0.1:$PORT VIGIL_CA=$STATE/certs/ca.crt \\
         VIGIL_CERT=$STATE/certs/central.crt VIGIL_KEY=$STATE/certs/central.key
  $VIGIL health
Assessments (synthetic data, marked SYNTHETIC):
  $VIGIL queue --cycle 2009-2012
  $VIGIL show TH --cycle 2009-2012
  $VIGIL template --cycle 2009-2012 --state TH --out th.csv    # as regional: fill, then
  $VIGIL submit th.csv
Rankings (synthetic data; see vigil COMMAND --help):
  $VIGIL ranking --cycle ${PAIR[1]} [--region 142] [--format csv]
  $VIGIL aggregates --cycle ${PAIR[1]} --conditional 'CA.3=yes|CA.1=no'
  $VIGIL card TH --cycle ${PAIR[1]}
  $VIGIL history TH
  $VIGIL verify --cycle ${PAIR[1]}
Logs: $STATE/vigild.log    Database: $PGCLUSTER psql $1 -d $DB
Stop everything: deploy/quickstart.sh stop    (run this script again to restart)
EOF
}

cmd_up() {
    local install=true
    for a in "$@"; do
        case "$a" in
        --no-install) install=false ;;
        *) die "unknown argument '$a' (see --help)" ;;
        esac
    done
    if $install; then
        "$REPO/deploy/install-deps.sh"
    fi
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    build

    local root pghost pgport
    root=$(pg_root)
    if [[ "$root" == /tmp/* && -e "$root" ]] &&
        [[ -L "$root" || "$(stat -c %U "$root")" != "$(cluster_user)" ]]; then
        die "$root exists but is not a directory of user $(cluster_user); remove it first"
    fi
    "$PGCLUSTER" init "$root"
    "$PGCLUSTER" create-db "$root" "$DB"
    # shellcheck source=/dev/null disable=SC2153  # PGHOST, PGPORT come from cluster.env
    pghost=$(. "$root/cluster.env" && echo "$PGHOST")
    # shellcheck source=/dev/null disable=SC2153
    pgport=$(. "$root/cluster.env" && echo "$PGPORT")

    "$REPO/deploy/mkcerts.sh" "$STATE/certs"
    write_conf "$pghost" "$pgport"
    write_client_conf central
    write_client_conf regional
    write_client_conf partner

    say "applying migrations"
    "$VIGILD" -c "$STATE/vigild.conf" --migrate-only >>"$STATE/vigild.log" 2>&1 || {
        tail -n 20 "$STATE/vigild.log" >&2
        die "migrations failed (log above)"
    }
    register_offices "$root"
    start_vigild
    demo
    assessments
    rankings_publish
    instructions "$root"
    rankings_show
}

cmd_stop() {
    local pid root
    if pid=$(vigild_pid); then
        kill -TERM "$pid"
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid"
            say "vigild $pid did not stop in 15 s; killed"
        else
            say "stopped vigild ($pid)"
        fi
    fi
    rm -f "$STATE/vigild.pid" "$STATE/vigild.ready"
    if [[ -f "$STATE/pg.root" ]]; then
        root=$(cat "$STATE/pg.root")
        [[ -f "$root/cluster.env" ]] && "$PGCLUSTER" stop "$root"
    fi
    say "stopped"
}

cmd_status() {
    local pid root
    if pid=$(vigild_pid); then
        echo "vigild: running, pid $pid ($(tr '\n' ' ' <"$STATE/vigild.ready" 2>/dev/null))"
    else
        echo "vigild: not running"
    fi
    if [[ -f "$STATE/pg.root" ]]; then
        root=$(cat "$STATE/pg.root")
        printf 'postgresql: '
        "$PGCLUSTER" status "$root" || true
    else
        echo "postgresql: not created"
    fi
}

cmd_destroy() {
    cmd_stop
    if [[ -f "$STATE/pg.root" ]]; then
        "$PGCLUSTER" destroy "$(cat "$STATE/pg.root")"
    fi
    rm -rf "$STATE"
    say "removed $STATE"
}

cmd=${1:-up}
[[ $# -gt 0 ]] && shift
case "$cmd" in
-h | --help | help) usage ;;
up) cmd_up "$@" ;;
--no-install) cmd_up "$cmd" "$@" ;;
stop) cmd_stop ;;
status) cmd_status ;;
destroy) cmd_destroy ;;
*)
    echo "quickstart: unknown command '$cmd' (see --help)" >&2
    exit 2
    ;;
esac
