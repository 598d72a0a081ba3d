#!/usr/bin/env bash
# scripts/regressions.sh: proves that each regression test can fail. For every
# tests/regressions/NAME.patch (a minimal revert of one defect's fix, against today's
# source) it applies the patch to a scratch copy of the tree, builds, runs the test
# case(s) the patch names and expects each to FAIL. The real checkout is never touched.
#
#   scripts/regressions.sh                 every patch
#   scripts/regressions.sh NAME...         only these (NAME = file name without .patch)
#   REGR_BASELINE=1 scripts/regressions.sh also runs each named case on the unpatched
#                                          copy first and expects it to pass
#   scripts/regressions.sh --prepare       only copy and build (no patch)
#   make regressions                       the same as the first form
#
# Scratch: build/regress-src (the copy) and build/regress-build (its build dir, kept
# between patches and runs so each rebuild is incremental). The table goes to stdout
# and to build/regress-report.md; each run's log to build/regress-logs/NAME.log.
#
# A patch starts with header lines that git apply ignores:
#   Defect: what went wrong
#   Fix: commit and the source lines the patch takes out
#   Test: TARGET CASE      (a ctest target: test_x or cli_x, and the case's name as the
#                           test prints it after "-- "; several Test: lines are allowed;
#                           "build TARGET": that target must fail to compile; "analyze FILE":
#                           gcc -fanalyzer must warn on FILE)
# A case "fails" when its target exits non-zero and either prints "FAIL CASE" or stops
# (crash, abort, sanitizer) while CASE is the case running.
# Exit status: 0 when every case failed without its fix; 1 when any passed, a patch no
# longer applies, or a build failed.
set -euo pipefail
# The whole script is one function, read before it runs: editing this file while it runs
# (it takes a while) cannot change what the running copy does.
main() {
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

have_native() {
    command -v pkg-config >/dev/null && command -v cmake >/dev/null &&
        pkg-config --exists 'llama >= 0.7' 'whisper >= 1.9.5' ggml sqlite3 libavformat libswresample yyjson libcurl 2>/dev/null
}
# Copying and patching run here (git, on the host); building and testing run where
# scripts/dev.sh builds: on this host when it has the packages, else in the build root.
if have_native; then inroot() { "$@"; }; else inroot() { "$top/scripts/root.sh" run "$@"; }; fi

src=$top/build/regress-src
bld=$top/build/regress-build
shared=$(cd "$top/.." && pwd)/shared
logs=$top/build/regress-logs
report=$top/build/regress-report.md
jobs=${JOBS:-$(nproc)}
mkdir -p "$src" "$bld" "$logs"

if [ "${1:-}" = --prepare ]; then # copy and build everything once, no patch
    sync_copy_first=1
    patches=()
elif [ $# -gt 0 ]; then
    patches=()
    for n in "$@"; do patches+=("tests/regressions/${n%.patch}.patch"); done
else
    patches=(tests/regressions/*.patch)
fi

# The copy = tracked and untracked-but-not-ignored files of the checkout. Only files
# whose bytes differ are rewritten (and get a new mtime), so the build stays incremental
# and a file a patch changed is rebuilt after it is restored.
sync_copy() {
    local f
    while IFS= read -r -d '' f; do
        if [ ! -e "$top/$f" ]; then rm -f "$src/$f"; continue; fi
        if ! cmp -s "$top/$f" "$src/$f"; then
            mkdir -p "$(dirname "$src/$f")"
            cp -P "$top/$f" "$src/$f.regr-tmp" && mv -f "$src/$f.regr-tmp" "$src/$f"
        fi
    done < <(cd "$top" && git ls-files -co --exclude-standard -z)
}
# git apply outside any repository (build/ is inside the checkout's work tree).
gapply() { GIT_CEILING_DIRECTORIES=$top/build git -C "$src" apply "$@"; }

build() { # targets...
    # The copy's ../shared is build/shared, which does not exist: point the tests at the
    # checkout's own ../shared (the models).
    if ! grep -qxF "PARLEY_SHARED_DIR:PATH=$shared" "$bld/CMakeCache.txt" 2>/dev/null; then
        inroot cmake -S "$src" -B "$bld" -DPARLEY_WERROR=OFF -DPARLEY_SHARED_DIR="$shared" \
            >"$bld/configure.log" 2>&1 || return 1
    fi
    local t args=()
    for t in "$@"; do args+=(--target "$t"); done
    inroot cmake --build "$bld" -j "$jobs" "${args[@]}"
}

# run_case TARGET CASE LOG: 0 when the case failed (what we want), 1 when it passed,
# 2 when the case never ran, 3 when it was skipped (a model or tool missing).
run_case() {
    local target=$1 case=$2 log=$3 rc=0
    (cd "$bld" && inroot ctest -R "^${target}\$" --output-on-failure -V --timeout 900) >"$log" 2>&1 || rc=$?
    # ctest -V prefixes each line with "N: "; the case's lines are those from "-- CASE"
    # to the next "-- " line (or the end).
    local body
    body=$(sed -E 's/^[0-9]+: //' "$log" | awk -v c="-- $case" '
        $0 == c { on = 1; print; next }
        on && /^-- / { exit }
        on { print }') || true
    [ -n "$body" ] || return 2
    if grep -qF -- "FAIL $case" <<<"$body"; then return 0; fi
    if grep -qxF -- "ok   $case" <<<"$body"; then return 1; fi
    if grep -q '^SKIP' <<<"$body"; then return 3; fi
    # No verdict: the test stopped inside the case (crash, abort, sanitizer, time limit).
    [ $rc -ne 0 ] && return 0
    return 3
}

if [ -n "${sync_copy_first:-}" ]; then
    sync_copy
    build all
    exit
fi

fail=0
rows=()
row() { rows+=("| $1 | $2 | $3 |"); printf '%-34s %-24s %s\n' "$1" "$2" "$3"; }
echo "regressions: $(git -C "$top" rev-parse --short HEAD) $(date -u '+%Y-%m-%d %H:%M UTC')"
for p in "${patches[@]}"; do
    name=$(basename "$p" .patch)
    log=$logs/$name.log
    : >"$log"
    [ -f "$p" ] || { row "$name" "-" "no such patch"; fail=1; continue; }
    mapfile -t tests < <(sed -n 's/^Test: *//p' "$p")
    [ ${#tests[@]} -gt 0 ] || { row "$name" "-" "patch names no Test:"; fail=1; continue; }
    btargets=()
    for t in "${tests[@]}"; do
        case $t in
            build\ *|analyze\ *) ;;         # "build TARGET" must not build; "analyze FILE" see below
            cli_*) btargets=(all) ;;        # the binary and the test tools
            *) [ "${btargets[0]:-}" = all ] || btargets+=("${t%% *}") ;;
        esac
    done
    sync_copy
    if [ "${REGR_BASELINE:-0}" = 1 ]; then
        if ! build all >>"$log" 2>&1; then
            row "$name" "-" "unpatched copy does not build"; fail=1; continue
        fi
        for t in "${tests[@]}"; do
            case ${t%% *} in build | analyze) continue ;; esac
            c=0; run_case "${t%% *}" "${t#* }" "$log.base" || c=$?
            [ $c = 1 ] || { row "$name" "$t" "baseline: the case does not pass with its fix"; fail=1; }
        done
    fi
    if ! gapply --check "$top/$p" >>"$log" 2>&1; then
        row "$name" "${tests[0]}" "patch no longer applies"; fail=1; continue
    fi
    gapply "$top/$p"
    if [ ${#btargets[@]} -gt 0 ] && ! build "${btargets[@]}" >>"$log" 2>&1; then
        row "$name" "${tests[0]}" "build failed with the patch (see $log)"; fail=1
        sync_copy; continue
    fi
    for t in "${tests[@]}"; do
        if [ "${t%% *}" = analyze ]; then
            # A defect on a path no test can reach (an allocation failure): GCC's static
            # analyzer, as the code review found it, must warn on the file without its fix.
            inroot bash -c 'cd "$1" && gcc -std=c17 -O1 -fanalyzer -Iinclude -Isrc -Isrc/cli \
                $(pkg-config --cflags yyjson sqlite3 2>/dev/null) -c "$2" -o /dev/null' \
                bash "$src" "${t#* }" >"$log.an" 2>&1 || true
            cat "$log.an" >>"$log"
            if grep -q -- '-Wanalyzer' "$log.an"; then
                row "$name" "$t" "yes (analyzer warning)"
            else
                row "$name" "$t" "NO: no analyzer warning without its fix"; fail=1
            fi
            continue
        fi
        if [ "${t%% *}" = build ]; then
            if build "${t#* }" >>"$log" 2>&1; then
                row "$name" "$t" "NO: builds without its fix"; fail=1
            else
                row "$name" "$t" "yes (does not build)"
            fi
            continue
        fi
        c=0; run_case "${t%% *}" "${t#* }" "$log.test" || c=$?
        cat "$log.test" >>"$log"; rm -f "$log.test"
        case $c in
            0) row "$name" "$t" "yes" ;;
            1) row "$name" "$t" "NO: passes without its fix"; fail=1 ;;
            3) row "$name" "$t" "NO: skipped (see $log)"; fail=1 ;;
            *) row "$name" "$t" "NO: the case did not run (see $log)"; fail=1 ;;
        esac
    done
    sync_copy # restore before the next patch
done
{
    echo "| patch | test | fails without the fix |"
    echo "|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$report"
echo "table: $report"
exit $fail
}
main "$@"; exit $? # one line: bash reads no further while it runs
