#!/usr/bin/env bash
# scripts/dev.sh: build, test and benchmark Parley, on this host when it has the
# packages (llama.cpp >= 0.7, whisper.cpp >= 1.9.5, ...), else inside the Debian
# unstable build root that scripts/root.sh makes and caches.
#
#   scripts/dev.sh build     configure (once) and build into build/
#   scripts/dev.sh test      build, then run every test (ctest); when the whole suite runs
#                            (no PARLEY_TEST_ARGS), also the same suite under ASan + UBSan
#                            + LeakSanitizer (build-asan/) and every fuzz target for
#                            FUZZ_TEST_SECONDS (default 20) each (build-fuzz/). With
#                            PARLEY_TEST_ARGS only the plain subset runs, unless
#                            PARLEY_SANITIZE_TESTS=1.
#   scripts/dev.sh asan      the tests under AddressSanitizer + UBSan + LSan (build-asan/)
#   scripts/dev.sh fuzz      every libFuzzer target for FUZZ_SECONDS (default 600) each
#                            (clang, build-fuzz/; FUZZ_TARGETS="gguf audio" picks some)
#   scripts/dev.sh bench     run the benchmarks in bench/ (slow; not part of test)
#   scripts/dev.sh shell     a shell where the build runs (inside the root if needed)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

have_native() {
    command -v pkg-config >/dev/null && command -v cmake >/dev/null &&
        pkg-config --exists 'llama >= 0.7' 'whisper >= 1.9.5' ggml sqlite3 libavformat libswresample yyjson libcurl 2>/dev/null
}

# The browser tests drive Debian's chromium with playwright-core from npm, installed into
# build/node (never committed). The build root's npm may not trust the certificates this
# host's network needs, so when the host has npm it installs it from here (playwright-core
# is plain JavaScript: the root's node runs it). Without it those tests skip, saying why.
node_setup() {
    export PARLEY_NODE_DIR="${PARLEY_NODE_DIR:-$top/build/node}"
    [ -f "$PARLEY_NODE_DIR/node_modules/playwright-core/package.json" ] && return 0
    command -v npm >/dev/null || return 0
    mkdir -p "$top/build"
    "$top/tests/browser/setup.sh" >"$top/build/node-setup.log" 2>&1 ||
        echo "parley: could not install playwright-core (build/node-setup.log); the browser tests will skip" >&2
}
if [ "${1:-}" = test ]; then node_setup; fi

if ! have_native; then
    [ -z "${PARLEY_IN_ROOT:-}" ] || { echo "parley: the build root lacks packages; delete it and re-run" >&2; exit 1; }
    exec "$top/scripts/root.sh" run "$top/scripts/dev.sh" "$@"
fi

jobs=${JOBS:-$(nproc)}
configure() { # dir, extra cmake args...
    local dir=$1; shift
    local werror=OFF
    [ -n "${CI:-}" ] && werror=ON
    mkdir -p "$dir"
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$top" -B "$dir" -DPARLEY_WERROR=$werror "$@" >"$dir/parley-configure.log" 2>&1 ||
            { cat "$dir/parley-configure.log" >&2; exit 1; }
    fi
}

build() { # dir, extra cmake args...
    local dir=$1
    configure "$@"
    cmake --build "$dir" -j "$jobs" >"$dir/parley-build.log" 2>&1 || { cat "$dir/parley-build.log" >&2; exit 1; }
}

# Sanitizer settings for every run: UB and leaks fail the test; known findings in code
# another owner is fixing are listed, with their issue, in tests/sanitizer.supp.
san_env() {
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$top/tests/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}

asan_suite() {
    # Warnings are held to -Werror by the plain build; at -O0 GCC's truncation analysis
    # differs, and this build's job is the runtime checks.
    build build-asan -DPARLEY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DPARLEY_WERROR=OFF
    san_env
    export PARLEY_TEST_TIME_SCALE=3 # latency bounds in the tests, as the ctest time limits
    (cd build-asan && ctest --output-on-failure -j "$jobs" -LE "slow|timing" ${PARLEY_TEST_ARGS:-})
}

FUZZ_ALL="gguf whisper_check catalog_json registry settings audio export http"
fuzz_build() {
    configure build-fuzz -DPARLEY_FUZZ=ON -DPARLEY_WERROR=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
    local targets=() t
    for t in ${FUZZ_TARGETS:-$FUZZ_ALL}; do targets+=(--target "fuzz_$t"); done
    cmake --build build-fuzz -j "$jobs" "${targets[@]}" >build-fuzz/parley-build.log 2>&1 ||
        { cat build-fuzz/parley-build.log >&2; exit 1; }
}

# fuzz_run SECONDS: each target in turn on its seed corpus (tests/fuzz/corpus/<t>, read
# only) plus what it found before (build-fuzz/corpus/<t>); a crash, leak, UB or timeout
# fails the run and leaves the reproducer in build-fuzz/findings/<t>/.
fuzz_run() {
    local secs=$1 t rc failed=0
    san_env
    export UBSAN_OPTIONS="$UBSAN_OPTIONS:halt_on_error=1"
    export PARLEY_FUZZ_TMP="$top/build-fuzz/tmp"
    mkdir -p "$PARLEY_FUZZ_TMP"
    for t in ${FUZZ_TARGETS:-$FUZZ_ALL}; do
        mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t" "tests/fuzz/corpus/$t"
        set +e
        nice -n "${FUZZ_NICE:-10}" "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=25 -rss_limit_mb=3072 \
            -max_len=1048576 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t/" \
            "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" </dev/null >"build-fuzz/fuzz-$t.log" 2>&1
        rc=$?
        set -e
        local execs cov ft
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/fuzz-$t.log" | tail -1)
        cov=$(grep -o 'cov: [0-9]*' "build-fuzz/fuzz-$t.log" | tail -1)
        ft=$(grep -o 'ft: [0-9]*' "build-fuzz/fuzz-$t.log" | tail -1)
        if [ "$rc" -ne 0 ]; then
            failed=1
            echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} runs; see build-fuzz/fuzz-$t.log and build-fuzz/findings/$t/" >&2
            grep -m5 -E 'ERROR|runtime error|SUMMARY' "build-fuzz/fuzz-$t.log" >&2 || true
        else
            echo "fuzz_$t: ok, ${secs}s, ${execs:-?} runs, ${cov:-cov: ?}, ${ft:-ft: ?}" >&2
        fi
    done
    return $failed
}

case "${1:-build}" in
    build) build build; [ -t 2 ] && echo "built build/parley" >&2 || true ;;
    test)
        build build
        t0=$(date +%s)
        (cd build && ctest --output-on-failure -j "$jobs" ${PARLEY_TEST_ARGS:-})
        t1=$(date +%s)
        echo "plain suite: $((t1 - t0)) s" >&2
        if [ -z "${PARLEY_TEST_ARGS:-}" ] || [ "${PARLEY_SANITIZE_TESTS:-0}" = 1 ]; then
            asan_suite
            t2=$(date +%s)
            echo "sanitizer suite (ASan + UBSan + LSan, with its build): $((t2 - t1)) s" >&2
            if [ -z "${PARLEY_TEST_ARGS:-}" ]; then
                fuzz_build
                fuzz_run "${FUZZ_TEST_SECONDS:-20}"
                echo "fuzz smoke (build + ${FUZZ_TEST_SECONDS:-20} s per target): $(($(date +%s) - t2)) s" >&2
            fi
        fi ;;
    asan) asan_suite ;;
    fuzz)
        fuzz_build
        fuzz_run "${FUZZ_SECONDS:-600}" ;;
    bench)
        build build
        shift
        for b in "${@:-bench/*.sh}"; do
            for f in $b; do echo "== $f"; bash "$f"; done
        done ;;
    shell) exec bash ;;
    *) echo "usage: $0 build|test|asan|fuzz|bench|shell" >&2; exit 2 ;;
esac
