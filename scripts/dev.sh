#!/usr/bin/env bash
# scripts/dev.sh: build, test and benchmark Parley, on this host when it has the
# packages (llama.cpp >= 0.7, whisper.cpp >= 1.9.5, ...), else inside the Debian
# unstable build root that scripts/root.sh makes and caches.
#
#   scripts/dev.sh build     configure (once) and build into build/
#   scripts/dev.sh test      build, then run every test (ctest)
#   scripts/dev.sh asan      the same tests under AddressSanitizer + UBSan (build-asan/)
#   scripts/dev.sh bench     run the benchmarks in bench/ (slow; not part of test)
#   scripts/dev.sh shell     a shell where the build runs (inside the root if needed)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

have_native() {
    command -v pkg-config >/dev/null && command -v cmake >/dev/null &&
        pkg-config --exists 'llama >= 0.7' 'whisper >= 1.9.5' ggml sqlite3 libavformat libswresample yyjson libcurl 2>/dev/null
}

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

case "${1:-build}" in
    build) build build; [ -t 2 ] && echo "built build/parley" >&2 || true ;;
    test)
        build build
        cd build && ctest --output-on-failure -j "$jobs" ${PARLEY_TEST_ARGS:-} ;;
    asan)
        build build-asan -DPARLEY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
        cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" -LE slow ${PARLEY_TEST_ARGS:-} ;;
    bench)
        build build
        shift
        for b in "${@:-bench/*.sh}"; do
            for f in $b; do echo "== $f"; bash "$f"; done
        done ;;
    shell) exec bash ;;
    *) echo "usage: $0 build|test|asan|bench|shell" >&2; exit 2 ;;
esac
