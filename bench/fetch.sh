#!/usr/bin/env bash
# bench/fetch.sh: download throughput of parley_fetch_file (tools/fetch_file) against wget
# from the same loopback server in the same run, both ending with the file hashed
# (fetch_file verifies SHA-256 itself; wget is followed by sha256sum).
# The server is python3's http.server on 127.0.0.1 (ephemeral port), serving a random file.
# Writes docs/benchmarks/fetch.md. Size: $FETCH_BENCH_MIB (default 512) MiB.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mib=${FETCH_BENCH_MIB:-512}
tool="$top/build/fetch_file"
[ -x "$tool" ] || { echo "build first: $tool missing" >&2; exit 1; }
command -v wget >/dev/null || { echo "SKIP: needs wget (the peer tool)" >&2; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-fetch-bench.XXXXXX")
srvpid=
cleanup() { [ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/www" "$work/out"
head -c $((mib * 1048576)) /dev/urandom > "$work/www/blob.bin"
sha=$(sha256sum "$work/www/blob.bin" | cut -c1-64)
size=$(stat -c %s "$work/www/blob.bin")
(cd "$work/www" && exec python3 -u -m http.server 0 --bind 127.0.0.1 > "$work/srv.log" 2>&1) &
srvpid=$!
port=
for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/srv.log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start" >&2; cat "$work/srv.log" >&2; exit 1; }
url="http://127.0.0.1:$port/blob.bin"

now() { date +%s.%N; }
runs=3
ours=() theirs=()
for i in $(seq $runs); do
    rm -f "$work/out/"*
    t0=$(now); "$tool" --quiet --sha256 "$sha" --size "$size" "$url" "$work/out/a.bin" >/dev/null; t1=$(now)
    ours+=("$(python3 -c "print(round($t1 - $t0, 3))")")
    rm -f "$work/out/"*
    t0=$(now); wget -q -O "$work/out/b.bin" "$url"; sync "$work/out/b.bin"
    got=$(sha256sum "$work/out/b.bin" | cut -c1-64); t1=$(now)
    [ "$got" = "$sha" ] || { echo "wget got a different file" >&2; exit 1; }
    theirs+=("$(python3 -c "print(round($t1 - $t0, 3))")")
done
best() { printf '%s\n' "$@" | sort -g | head -1; }
o=$(best "${ours[@]}"); w=$(best "${theirs[@]}")
report=$(python3 - "$mib" "$o" "$w" "${ours[*]}" "${theirs[*]}" <<'PY'
import sys
mib, o, w = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"| tool | best of 3 (s) | MiB/s | all runs (s) |")
print(f"|---|---|---|---|")
print(f"| parley fetch_file (download + fsync + SHA-256 verify + rename) | {o:.2f} | {mib/o:.0f} | {sys.argv[4]} |")
print(f"| wget + sync + sha256sum | {w:.2f} | {mib/w:.0f} | {sys.argv[5]} |")
print(f"\nratio parley / wget (time): {o/w:.2f}")
PY
)
mkdir -p "$top/docs/benchmarks"
{
    echo "# Download throughput (loopback)"
    echo
    echo "Command: \`scripts/dev.sh bench bench/fetch.sh\` (FETCH_BENCH_MIB=$mib), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores."
    echo "Server: python3 http.server on 127.0.0.1 serving a $mib MiB random file; both tools"
    echo "end with the file hashed with SHA-256. Measures the downloader's own overhead, not a"
    echo "real network (Hugging Face is not reachable from here)."
    echo
    echo "$report"
} > "$top/docs/benchmarks/fetch.md"
cat "$top/docs/benchmarks/fetch.md"
