#!/usr/bin/env bash
# run.sh: the README's second command: installs what is missing, builds with
# sanitizers and warnings as errors, checks formatting, and runs every test
# (unit and integration, against a real PostgreSQL and a real vigild).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: tests/run.sh [--no-install] [--help] [-- CTEST_ARGS...]

  1. deploy/install-deps.sh (quick when everything is installed)
  2. cmake -DVIGIL_SANITIZE=ON -DVIGIL_WERROR=ON into $VIGIL_BUILD_DIR
     (default build/test) and build with one job per core
  3. clang-format --dry-run --Werror on every C source and header
  4. builds vigild once more without sanitizers into $VIGIL_BUILD_DIR/plain
     for the export memory test (VIGILD_PLAIN_PATH)
  5. ctest --output-on-failure (the fixture starts and stops a private
     PostgreSQL; integration tests start their own vigild on port 0)
  6. fails when a sanitizer reported anything, even in a passing test

Ends with "run.sh: PASS" (exit 0) or "run.sh: FAIL: ..." (exit 1); leaves no
process running. Arguments after -- go to ctest (e.g. -- -R integration).

Environment: VIGIL_BUILD_DIR, ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS
(sensible defaults when unset), VIGIL_TEST_JOBS (ctest -j, default 2).
USAGE
}

install=true
ctest_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --no-install) install=false ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        ctest_args=("$@")
        break
        ;;
    *)
        echo "run.sh: unknown argument '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${VIGIL_BUILD_DIR:-build/test}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
TEST_TMP="$BUILD/tests/tmp"
JOBS=$(nproc 2>/dev/null || echo 2)
START=$(date +%s)
failures=()

step() {
    echo
    echo "==> run.sh: $* ($(($(date +%s) - START)) s)"
}

# Whatever happens (failure, Ctrl-C, a killed ctest), stop the test cluster and
# whatever the tests left running.
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    if [[ -f "$TEST_TMP/pg.env" || -d "$TEST_TMP/work" ]]; then
        "$SRC/tests/harness/pg.sh" stop "$TEST_TMP" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'echo "run.sh: FAIL: interrupted"; exit 130' INT TERM

finish() {
    local took=$(($(date +%s) - START))
    echo
    if [[ ${#failures[@]} -eq 0 ]]; then
        echo "run.sh: PASS (${took} s)"
        exit 0
    fi
    echo "run.sh: FAIL: ${failures[*]} (${took} s)"
    exit 1
}

# Sanitizers: stop at the first error, with a stack; leaks are checked at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-print_suppressions=0}
# No stray colour codes or a pager in logs.
export CLICOLOR=0 PAGER=cat

if $install; then
    step "installing dependencies"
    "$SRC/deploy/install-deps.sh"
fi

step "checking formatting (clang-format --dry-run --Werror)"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t sources < <(git -C "$SRC" ls-files -co --exclude-standard -- '*.c' '*.h' |
        grep -v '^build' || true)
else
    mapfile -t sources < <(find server client proto tests -name '*.[ch]' 2>/dev/null | sort)
fi
existing=()
for f in "${sources[@]}"; do
    [[ -f "$f" ]] && existing+=("$f")
done
if [[ ${#existing[@]} -gt 0 ]] && ! clang-format --dry-run --Werror "${existing[@]}"; then
    echo "run.sh: formatting differs; fix with: clang-format -i <files above>"
    failures+=("formatting")
else
    echo "run.sh: ${#existing[@]} files formatted"
fi

step "configuring $BUILD (sanitizers, warnings as errors)"
if ! cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON \
    -DVIGIL_WERROR=ON -DVIGIL_TESTS=ON >"$BUILD/configure.log" 2>&1; then
    cat "$BUILD/configure.log"
    failures+=("configure")
    finish
fi

step "building with $JOBS jobs"
if ! cmake --build "$BUILD" -j "$JOBS"; then
    failures+=("build")
    finish
fi

# The export memory test measures a daemon built without sanitizers
# (AddressSanitizer's quarantine grows memory by design): build one beside.
step "building vigild without sanitizers for the memory test ($BUILD/plain)"
if ! cmake -S "$SRC" -B "$BUILD/plain" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=OFF \
    -DVIGIL_WERROR=ON -DVIGIL_TESTS=OFF >"$BUILD/plain-configure.log" 2>&1 ||
    ! cmake --build "$BUILD/plain" -j "$JOBS" --target vigild; then
    cat "$BUILD/plain-configure.log"
    failures+=("build without sanitizers")
    finish
fi
export VIGILD_PLAIN_PATH="$BUILD/plain/vigild"

step "running tests (ctest)"
rm -f "$BUILD/Testing/Temporary/LastTest.log"
if ! ctest --test-dir "$BUILD" --output-on-failure -j "${VIGIL_TEST_JOBS:-2}" \
    --timeout 600 "${ctest_args[@]}"; then
    failures+=("tests")
fi

# Criterion ignores what LeakSanitizer says when a test's process exits, and
# ctest shows only failing tests' output: read the full log.
log="$BUILD/Testing/Temporary/LastTest.log"
if [[ -f "$log" ]] && grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
    echo
    echo "run.sh: sanitizer reports in passing tests (full output: $log):"
    grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:|^SUMMARY: ' "$log" | head -n 40
    failures+=("sanitizer reports")
fi

# The fixture stops the cluster; make sure, and say so if it did not.
if [[ -f "$TEST_TMP/pg.env" ]]; then
    echo "run.sh: the test cluster was still up; stopping it"
    "$SRC/tests/harness/pg.sh" stop "$TEST_TMP" || true
fi
finish
