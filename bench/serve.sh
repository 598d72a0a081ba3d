#!/usr/bin/env bash
# bench/serve.sh: a bounded load run of `parley serve` on loopback with wrk: p50/p99
# latency and requests/s of the session list (first page, and filtered by a word), and
# search (a common and a rare word), each against the same server's static page asset
# (/app.js: no database, the HTTP stack's floor) run beside it in the same round, rounds
# alternated. Results go in docs/benchmarks/serve.md.
#
#   bench/serve.sh [SECONDS_PER_RUN] [ROUNDS] [CONNECTIONS]     (defaults 5 3 4)
#
# The database is build/bench-search/search-1000-10000.db (1,000 synthetic meetings,
# ~10 M words, made by bench/search.sh / build/search_gen) when present, else a smaller
# one (200 x 2,000 words) made here. Only 127.0.0.1 is used.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-5} rounds=${2:-3} conns=${3:-4}
command -v wrk >/dev/null || { echo "bench/serve.sh needs wrk (Debian package wrk)" >&2; exit 77; }
work="$top/build/bench-serve"
rm -rf "$work/xdg" && mkdir -p "$work/xdg/data/parley" "$work/xdg/config" "$work/xdg/cache"
db="$top/build/bench-search/search-1000-10000.db"
if [ ! -f "$db" ]; then
    db="$work/search-200-2000.db"
    [ -f "$db" ] || "$top/build/search_gen" --db "$db" --sessions 200 --words 2000 >&2
fi
ln -sf "$db" "$work/xdg/data/parley/parley.db"
export XDG_DATA_HOME="$work/xdg/data" XDG_CONFIG_HOME="$work/xdg/config" XDG_CACHE_HOME="$work/xdg/cache"
unset PARLEY_DATA_DIR PARLEY_CONFIG_DIR
common=$("$top/build/search_gen" --word 20)
rare=$("$top/build/search_gen" --word 5000)

"$top/build/parley" serve --no-measure >"$work/serve.out" 2>"$work/serve.err" &
srv=$!
trap 'kill -INT $srv 2>/dev/null; wait $srv 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$work/serve.out" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/serve.out")
port=$(echo "$url" | sed 's#http://127.0.0.1:\([0-9]*\)/.*#\1#')
token=${url#*token=}
base="http://127.0.0.1:$port"

echo "database: $(du -hL "$db" | cut -f1) ($(basename "$db"))"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at start (shared with other work)"
echo "wrk -t1 -c$conns -d${secs}s --latency, $rounds rounds, targets alternated within each round"
echo "queries: common word '$common' (rank 20), rare word '$rare' (rank 5000)"

declare -A names=(
    [static]="/app.js"
    [list]="/api/sessions?limit=20"
    [list_q]="/api/sessions?limit=20&q=$rare"
    [search_common]="/api/search?q=$common"
    [search_rare]="/api/search?q=$rare")
order=(static list list_q search_common search_rare)
# ms from wrk's "50%  1.23ms" (us, ms, s)
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v * 0.001; else if (v ~ /ms$/) print v + 0; else print v * 1000 }'; }
for r in $(seq "$rounds"); do
    for k in "${order[@]}"; do
        out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" "$base${names[$k]}")
        p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
        p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
        rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
        non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
        echo "$r $k $p50 $p99 $rps ${non2xx:-0}" >>"$work/raw.$$"
    done
done
echo
paths=$(for k in "${order[@]}"; do echo "$k ${names[$k]}"; done)
python3 - "$work/raw.$$" "$paths" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
paths = dict(l.split(" ", 1) for l in sys.argv[2].splitlines())
static = {r[0]: float(r[2]) for r in rows if r[1] == "static"}
print("| target | path | p50 ms (median of rounds) | p99 ms (mean) | req/s (mean) | p50 / static p50 |")
print("|---|---|---:|---:|---:|---:|")
for k in paths:
    rs = [r for r in rows if r[1] == k]
    p50 = statistics.median(float(r[2]) for r in rs)
    p99 = statistics.mean(float(r[3]) for r in rs)
    rps = statistics.mean(float(r[4]) for r in rs)
    ratio = statistics.median(float(r[2]) / static[r[0]] for r in rs)
    bad = sum(int(r[5]) for r in rs)
    print("| %s | `%s` | %.2f | %.2f | %.0f | %.1f |%s" % (k, paths[k], p50, p99, rps, ratio, " %d non-2xx!" % bad if bad else ""))
PY
rm -f "$work/raw.$$"
