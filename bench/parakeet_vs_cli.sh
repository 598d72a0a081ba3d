#!/usr/bin/env bash
# bench/parakeet_vs_cli.sh: Parley's Parakeet engine (`parley transcribe` on a Parakeet
# file) against whisper.cpp's own parakeet-cli on the same stand-in model, recording and
# threads, run alternately in one session so that both see the same machine; then
# x real time of Parley on this machine for Parakeet and the whisper small and
# large-v3-turbo stand-ins. Writes docs/benchmarks/parakeet.md.
#
#   scripts/dev.sh bench bench/parakeet_vs_cli.sh
#   (env: PARLEY_BENCH_RUNS=3 rounds, PARLEY_BENCH_THREADS=2, PARLEY_BENCH_SECONDS=20 (the first N s
#    of the recording; 0 = all of it), PARLEY_BENCH_WAV=..., PARLEY_BENCH_SPEED=1 (0 skips the table),
#    PARLEY_BENCH_COMPARE=1 (0 skips the comparison with parakeet-cli))
#
# Settings matched in the comparison: no VAD on either side (parakeet-cli has none: the whole
# recording is one pass, which is what Parley's engine does with --no-vad), greedy TDT
# decoding (libparakeet's only mode), same thread count, CPU backend. Both commands decode
# the WAV and load the model; parley also stores the session. The text of both is compared
# with whitespace removed (Parley cuts the text into timed segments; parakeet-cli prints one
# line). The speed table runs `parley transcribe` with the Silero VAD (Parley's default).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
src_wav=${PARLEY_BENCH_WAV:-/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav}
vad="$shared/models/ggml-silero-v6.2.0.bin"
threads=${PARLEY_BENCH_THREADS:-2}
runs=${PARLEY_BENCH_RUNS:-3}
seconds=${PARLEY_BENCH_SECONDS:-20}
speed=${PARLEY_BENCH_SPEED:-1}
compare=${PARLEY_BENCH_COMPARE:-1}
out="$top/docs/benchmarks/parakeet.md"
work="$top/build/bench"
mkdir -p "$work"
wav="$work/parakeet-bench.wav"
if [ "$seconds" -gt 0 ]; then
    sox "$src_wav" -r 16000 -c 1 -b 16 "$wav" trim 0 "$seconds"
else
    sox "$src_wav" -r 16000 -c 1 -b 16 "$wav"
fi
pk="$work/ggml-parakeet-tdt-0.6b-v3-standin.bin"
[ "$(stat -c %s "$pk" 2>/dev/null || echo 0)" = 1255897319 ] ||
    "$top/build/parakeet_standin" --size v3 --out "$pk" >/dev/null
if [ "$speed" = 1 ]; then
    for s in small large-v3-turbo; do
        [ -f "$work/ggml-$s.bin" ] || "$top/build/whisper_standin" --size "$s" --out "$work/ggml-$s.bin" >/dev/null
    done
fi
python3 - "$top" "$wav" "$vad" "$threads" "$runs" "$out" "$work" "$pk" "$speed" "$src_wav" "$compare" <<'PY'
import os, re, statistics, subprocess, sys, time
top, wav, vad, threads, runs, out, work, pk, speed, src_wav, compare = sys.argv[1:12]
threads, runs = int(threads), int(runs)
env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"), PARLEY_NO_PROGRESS="1")
parley = os.path.join(top, "build", "parley")
dur = int(subprocess.run(["soxi", "-s", wav], stdout=subprocess.PIPE, check=True).stdout) / 16000.0

def load():
    return os.getloadavg()[0]

def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
    return dt, p.stdout.decode()

def text_of_parley(txt):
    return "".join(re.sub(r"^\[[^\]]*\]\s*", "", l) for l in txt.splitlines()).replace(" ", "")

loads = [load()]
t_ours, t_peer, same = [], [], None
if compare == "1":
    ours = [parley, "transcribe", wav, "--model", pk, "--no-vad", "--threads", str(threads), "--format", "txt"]
    peer = ["parakeet-cli", "-m", pk, "-f", wav, "-t", str(threads), "-np"]
    # warm the page cache for both (the model is 1.26 GB) and compare the texts
    _, to = run(ours)
    _, tp = run(peer)
    same = text_of_parley(to) == re.sub(r"\s", "", tp)
    for i in range(runs):
        # alternate which goes first, so neither always follows the other
        pair = [(ours, t_ours), (peer, t_peer)] if i % 2 == 0 else [(peer, t_peer), (ours, t_ours)]
        for cmd, acc in pair:
            acc.append(run(cmd)[0])
            print(f"{cmd[0].split('/')[-1]}: {acc[-1]:.2f} s", file=sys.stderr)
    loads.append(load())
    mo, mp = statistics.median(t_ours), statistics.median(t_peer)
    print(f"parakeet: parley {mo:.2f}s  parakeet-cli {mp:.2f}s  ratio {mo/mp:.3f}  same text: {same}", file=sys.stderr)

speed_rows = []
if speed == "1":
    models = [("Parakeet TDT 0.6B v3", pk), ("Whisper Small", os.path.join(work, "ggml-small.bin")),
              ("Whisper Large v3 Turbo", os.path.join(work, "ggml-large-v3-turbo.bin"))]
    times = {m[0]: [] for m in models}
    for i in range(max(1, runs - 1)):
        order = models if i % 2 == 0 else list(reversed(models))
        for label, path in order:
            cmd = [parley, "transcribe", wav, "--model", path, "--vad-model", vad, "--threads", str(threads),
                   "--no-fallback", "--format", "txt"]
            times[label].append(run(cmd)[0])
            print(f"{label}: {times[label][-1]:.2f} s", file=sys.stderr)
    for label, _ in models:
        b = min(times[label])
        speed_rows.append((label, b, dur / b, statistics.median(times[label]), times[label]))
    loads.append(load())

with open(out, "w") as f:
    f.write("# Parakeet: Parley's engine vs parakeet-cli, and speed on this machine\n\n")
    f.write(f"Produced by `scripts/dev.sh bench bench/parakeet_vs_cli.sh` (RUNS={runs}, THREADS={threads}, "
            f"SECONDS={int(round(dur))}) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} CPUs, CPU backend. Load average {', '.join(f'{l:.1f}' for l in loads)} (start, "
            "after the comparison, after the speed table): about 2 is this benchmark alone on 2 cores, much more "
            "means other work shared them and only the side-by-side ratios mean much.\n\n")
    f.write(f"Recording: the first {dur:.1f} s of `{os.path.basename(src_wav)}`. Models: stand-ins with the real "
            "shapes and random weights (tools/parakeet_standin: Parakeet TDT 0.6B v3, 1,255,897,319 bytes like the "
            "published f16 file; tools/whisper_standin for whisper).\n\n")
    if t_ours:
        f.write("## Parley's Parakeet engine vs parakeet-cli\n\n")
        f.write("Both without VAD (parakeet-cli has none): one pass over the whole recording, greedy TDT, "
                f"{threads} threads. Whole-command wall time (decode the WAV, load the model, transcribe; parley also "
                "stores the session), run alternately, the order swapped every round.\n\n")
        f.write("| | parley (s) | parakeet-cli (s) | ratio |\n|---|---|---|---|\n")
        f.write(f"| median | {mo:.2f} | {mp:.2f} | {mo/mp:.3f} |\n")
        f.write(f"| best | {min(t_ours):.2f} | {min(t_peer):.2f} | {min(t_ours)/min(t_peer):.3f} |\n\n")
        f.write(f"Same text (whitespace removed): **{'yes' if same else 'NO'}**.\n\n")
        f.write("All runs (s): parley " + ", ".join(f"{x:.2f}" for x in t_ours) + " / parakeet-cli " +
                ", ".join(f"{x:.2f}" for x in t_peer) + "\n\n")
    if speed_rows:
        f.write("## x real time on this machine (`parley transcribe`, Silero VAD on)\n\n")
        f.write(f"{dur:.1f} s of audio / whole-command wall time, best of the runs; {threads} threads; run in "
                "alternating order. x real time above 1 keeps up with a live meeting.\n\n")
        f.write("| model | best (s) | x real time | median (s) | runs (s) |\n|---|---|---|---|---|\n")
        for label, b, x, med, all_ in speed_rows:
            f.write(f"| {label} | {b:.2f} | {x:.2f} | {med:.2f} | {', '.join(f'{v:.2f}' for v in all_)} |\n")
        f.write("\n")
print(f"wrote {out}", file=sys.stderr)
PY
