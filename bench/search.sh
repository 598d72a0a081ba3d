#!/usr/bin/env bash
# bench/search.sh: search speed on 1,000 synthetic meetings (~10 million transcript
# words): parley_store_search (FTS5, ranked, first page) against a naive LIKE scan,
# alternated query by query on the same database. Results go in docs/benchmarks/search.md.
#
#   bench/search.sh [SESSIONS] [WORDS_PER_SESSION] [QUERIES]     (defaults 1000 10000 400)
#
# The database is made once by build/search_gen and kept in build/bench-search/.
# PARLEY_BENCH_BIN=DIR runs copies of search_gen/search_bench from DIR (so that a
# rebuild during the run cannot swap them).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sessions=${1:-1000} words=${2:-10000} queries=${3:-400}
dir="$top/build/bench-search"
db="$dir/search-$sessions-$words.db"
mkdir -p "$dir"
if [ ! -f "$db" ]; then
    echo "== generating $sessions meetings x $words words into $db" >&2
    start=$(date +%s)
    "${PARLEY_BENCH_BIN:-$top/build}/search_gen" --db "$db.tmp" --sessions "$sessions" --words "$words"
    mv "$db.tmp" "$db"; rm -f "$db.tmp-wal" "$db.tmp-shm"
    echo "generated in $(( $(date +%s) - start )) s" >&2
fi
echo "database: $(du -h "$db" | cut -f1)  ($db)"
nproc_=$(nproc); load=$(cut -d' ' -f1 /proc/loadavg)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $nproc_ cores, load $load"
"${PARLEY_BENCH_BIN:-$top/build}/search_bench" --db "$db" --queries "$queries"
