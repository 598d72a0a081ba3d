#!/usr/bin/env bash
# bench/transcribe_vs_whisper_cli.sh: `parley transcribe` against whisper.cpp's own
# whisper-cli on the same recording, model, threads and VAD settings, run alternately
# in one session so that both see the same machine. Reports wall time and peak RSS,
# and the ratio parley / whisper-cli (target <= 1.05).
#
#   scripts/dev.sh bench bench/transcribe_vs_whisper_cli.sh
#   (env: PARLEY_BENCH_SIZES="tiny base", PARLEY_BENCH_RUNS=3, PARLEY_BENCH_THREADS=2, PARLEY_BENCH_WAV=...)
#
# Settings matched on both sides: language auto-detected (Parley's default; whisper-cli's
# is "en", so it gets -l auto), greedy decoding with best-of 5 (whisper-cli: -bs 1),
# no temperature fallback (-nf; with random stand-in weights every window would
# otherwise be re-decoded at rising temperatures, which measures luck, not code),
# non-speech tokens suppressed (-sns), flash attention on (both defaults), Silero VAD
# with whisper.cpp's default VAD parameters.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
wav=${PARLEY_BENCH_WAV:-/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav}
vad="$shared/models/ggml-silero-v6.2.0.bin"
threads=${PARLEY_BENCH_THREADS:-2}
runs=${PARLEY_BENCH_RUNS:-3}
sizes=${PARLEY_BENCH_SIZES:-tiny base}
out="$top/docs/benchmarks/transcribe.md"
work="$top/build/bench"
mkdir -p "$work"
for s in $sizes; do
    [ -f "$work/ggml-$s.bin" ] || "$top/build/whisper_standin" --size "$s" --out "$work/ggml-$s.bin" >/dev/null
done
python3 - "$top" "$wav" "$vad" "$threads" "$runs" "$out" "$work" $sizes <<'PY'
import os, statistics, subprocess, sys, time
top, wav, vad, threads, runs, out, work = sys.argv[1:8]
sizes = sys.argv[8:]
threads, runs = int(threads), int(runs)
env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"), PARLEY_NO_PROGRESS="1")

def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    return dt, p

def peak_rss(cmd):
    # RUSAGE_CHILDREN's maxrss is the largest of all children so far, so each tool is
    # measured from a fresh python child that runs it once.
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code] + cmd, env=env, stdout=subprocess.PIPE, check=True)
    return int(p.stdout) / 1024.0  # MiB

rows = []
for size in sizes:
    model = os.path.join(work, f"ggml-{size}.bin")
    ours = [os.path.join(top, "build", "parley"), "transcribe", wav, "--model", model, "--threads", str(threads),
            "--vad-model", vad, "--no-fallback", "--format", "txt"]
    peer = ["whisper-cli", "-m", model, "-f", wav, "-t", str(threads), "-l", "auto", "-bs", "1", "-bo", "5", "-nf", "-sns",
            "--vad", "-vm", vad, "-np"]
    run(ours); run(peer)  # warm the page cache for both
    t_ours, t_peer = [], []
    for _ in range(runs):
        t_ours.append(run(ours)[0])
        t_peer.append(run(peer)[0])
    rss_ours, rss_peer = peak_rss(ours), peak_rss(peer)
    mo, mp = statistics.median(t_ours), statistics.median(t_peer)
    rows.append((size, mo, mp, mo / mp, rss_ours, rss_peer, rss_ours / rss_peer, t_ours, t_peer))
    print(f"{size}: parley {mo:.2f}s  whisper-cli {mp:.2f}s  ratio {mo/mp:.3f}  "
          f"rss {rss_ours:.0f} vs {rss_peer:.0f} MiB", file=sys.stderr)

with open(out, "w") as f:
    f.write("# parley transcribe vs whisper-cli\n\n")
    f.write("Produced by `scripts/dev.sh bench bench/transcribe_vs_whisper_cli.sh` "
            f"(RUNS={runs}, THREADS={threads}) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} CPUs. Recording: `{os.path.basename(wav)}` (53.4 s). Models: whisper stand-ins "
            "with the real shapes and random weights (tools/whisper_standin). Same settings on both sides: "
            "language auto-detected, greedy best-of 5, no temperature fallback, non-speech tokens suppressed, Silero VAD "
            "(defaults), flash attention. Whole-command wall time (load, decode, VAD, transcribe; "
            "parley also stores the session), median of the runs, run alternately.\n\n")
    f.write("| model | parley median (s) | whisper-cli median (s) | ratio of medians | ratio of bests | parley peak RSS (MiB) | whisper-cli peak RSS (MiB) | RSS ratio |\n")
    f.write("|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        best = min(r[7]) / min(r[8])
        f.write(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.3f} | {best:.3f} | {r[4]:.0f} | {r[5]:.0f} | {r[6]:.3f} |\n")
    f.write("\nOn a shared machine other work only adds time, so the ratio of the best runs is the "
            "steadier figure; the medians are shown too.\n")
    f.write("\nAll runs (s): " + "; ".join(f"{r[0]}: parley {', '.join(f'{x:.2f}' for x in r[7])} / "
                                          f"whisper-cli {', '.join(f'{x:.2f}' for x in r[8])}" for r in rows) + "\n")
print(f"wrote {out}", file=sys.stderr)
PY
