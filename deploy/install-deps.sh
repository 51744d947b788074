#!/usr/bin/env bash
# install-deps.sh: installs every Debian 12 package Vigil needs to build, test
# and run. Idempotent: when everything is present it only checks and exits.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/install-deps.sh [--check] [--bench] [--help]

Installs with apt-get every Debian package needed to build Vigil, run its tests
and run it locally (compiler, CMake, libevent, OpenSSL, nghttp2, protobuf-c,
libpq and the PostgreSQL 15 server, Criterion, Python grpcio and its stub
generator for the interop test and the partner client, ...). Only missing
packages are installed; when all are present it returns at once without
touching the network.

Runs as root, or through sudo when not root. Never prompts.

  --check   only report missing packages (exit 1 if any), install nothing
  --bench   also the benchmark peers and tools (nginx, grpc++) for deploy/bench.sh
  --help    this text
USAGE
}

# The one list. Keep it sorted by purpose; README and CI rely on it.
PACKAGES=(
    # toolchain
    build-essential cmake pkg-config clang-format
    # libraries of vigild and libvigil
    libevent-dev libssl-dev openssl libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler
    libpq-dev libinih-dev libjansson-dev libcsv-dev uuid-dev
    # PostgreSQL 15 server and client (private clusters for tests and quickstart)
    postgresql-15 postgresql-client-15
    # tests
    libcriterion-dev python3 python3-grpcio python3-protobuf protobuf-compiler nghttp2-client
    # the partner client deploy/examples/partner_sync.py: Python gRPC stubs
    # (grpc_python_plugin), and the sqlite3 shell its README section reads the copy with
    protobuf-compiler-grpc sqlite3
    # process tools the scripts use (pgrep/ps, runuser)
    procps util-linux
    # reference data read by migrations/reference/generate.py (ISO 3166-1, UN M49)
    iso-codes unicode-cldr-core
)

# Only for deploy/bench.sh (--bench): the peers of ../shared/bench (nginx,
# grpc++) and its tools. Not needed to build, run or test Vigil.
BENCH_PACKAGES=(
    nginx libgrpc++-dev libprotobuf-dev curl time
)

check_only=false
for arg in "$@"; do
    case "$arg" in
    --check) check_only=true ;;
    --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown argument '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if $check_only; then
    exit 1
fi

SUDO=()
if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "install-deps: not root and no password-less sudo; run as root:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
echo "install-deps: apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
echo "install-deps: apt-get install ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" \
    --no-install-recommends "${missing[@]}"

# Debian's postgresql package may create and start a system cluster "main".
# Vigil's scripts never use it (they run private clusters), so it is left alone.
echo "install-deps: done"
