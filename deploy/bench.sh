#!/usr/bin/env bash
# bench.sh: measures vigild serving GetRanking of a published 42-state cycle
# next to the peers of ../shared/bench (grpc++ and nginx), in the same run,
# with the shared harness (../shared/bench/run-peers.sh).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/bench.sh [--quick]

Brings Vigil up with deploy/quickstart.sh (private PostgreSQL, synthetic data
for 42 states, published cycles), then runs ../shared/bench/run-peers.sh with
vigild as one more peer: a second vigild on the same database, serving the
public listener (h2load cannot present a client certificate) with the
harness's throwaway certificates, called on /vigil.v1.Rankings/GetRanking for
the published cycle synthetic-2009-2012 (a response served from the cache of encoded
published reads). The harness prints a markdown summary with each peer's
requests/s, latency, server CPU per request and memory, and "vs first" ratios;
everything it measured stays in build/bench/<UTC stamp>/ (OUT to change).

  --quick   the harness's short run (about 2 minutes instead of 6.5)

Run as root (the harness uses nginx and runuser). Installs the benchmark
packages (deploy/install-deps.sh --bench). Environment: anything the harness
reads (DURATION, LOAD_LEVELS, STAGES, ... see ../shared/bench/README.md);
VIGIL_BENCH_DIR, the harness folder (default ../shared/bench beside the repo).
Access logging is off in the measured daemon: the harness keeps each server's
stderr, and 100k lines/s would fill the disk.
USAGE
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${VIGIL_BENCH_DIR:-$REPO/../shared/bench}
STATE="$REPO/.vigil"
VIGILD="${VIGIL_BUILD_DIR:-$REPO/build/release}/vigild"

quick=false
for arg in "$@"; do
    case "$arg" in
    --quick) quick=true ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "bench.sh: unknown argument '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done

[[ -x "$BENCH/run-peers.sh" ]] || {
    echo "bench.sh: no harness at $BENCH (set VIGIL_BENCH_DIR)" >&2
    exit 1
}
"$REPO/deploy/install-deps.sh" --bench
"$REPO/deploy/quickstart.sh" --no-install

WORK=$(mktemp -d /tmp/vigil-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The request: GetRankingRequest{cycle: "synthetic-2009-2012"} in gRPC framing.
/usr/bin/python3 - "$WORK/body.bin" <<'PY'
import struct, sys
cycle = b"synthetic-2009-2012"
msg = b"\x0a" + bytes([len(cycle)]) + cycle
open(sys.argv[1], "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
PY

# The harness starts the peer itself (and stops it with TERM): a wrapper that
# execs vigild on the quickstart's database with the harness's certificates.
cat >"$WORK/vigild-peer.sh" <<EOF
#!/bin/sh
exec "$VIGILD" -c "$STATE/vigild.conf" --migrate=false --log_access=false \\
    --listen=127.0.0.1:0 --public_listen="127.0.0.1:\$1" \\
    --tls_cert_file="\$2" --tls_key_file="\$3" --tls_ca_file="\$4"
EOF
chmod +x "$WORK/vigild-peer.sh"

# The harness writes its build and results beside itself; ../shared is not
# ours to write, so it runs from a copy, with results kept under build/bench.
cp -r "$BENCH" "$WORK/harness"
chmod -R u+w "$WORK/harness"
export OUT=${OUT:-$REPO/build/bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

if $quick; then
    export DURATION=${DURATION:-3} WARMUP=${WARMUP:-1} LOAD_REPEATS=${LOAD_REPEATS:-1}
    export HS_REPEATS=${HS_REPEATS:-2} IDLE_CONNS=${IDLE_CONNS:-200} PG_SECONDS=${PG_SECONDS:-3}
fi
OURS_NAME=vigild \
    OURS_CMD="$WORK/vigild-peer.sh @PORT@ @CERT@ @KEY@ @CA@" \
    OURS_PATH=/vigil.v1.Rankings/GetRanking \
    OURS_BODY="$WORK/body.bin" \
    "$WORK/harness/run-peers.sh"
echo "bench.sh: results in $OUT (summary.md)"
