#!/usr/bin/env bash
# bench/live_latency.sh: latency of `parley live` from the end of an utterance to its
# segment.final event (the event's latency_ms: the time the event is posted less the
# utterance's end on the meeting's timeline), p50 and p95 over >= 20 utterances,
# replayed in real time with --input (so that capture, journal, VAD and transcription
# run exactly as with a microphone). Peer, in the same run: whisper-cli on one of the
# utterances alone (what transcription itself costs), alternated with the live runs.
# Target (issue 7): p50 <= 2 s, p95 <= 4 s with a tiny-size stand-in.
#
#   scripts/dev.sh bench bench/live_latency.sh
#   (env: PARLEY_BENCH_RUNS=1 live runs, PARLEY_BENCH_THREADS=2, PARLEY_BENCH_UTTERANCES=24)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
threads=${PARLEY_BENCH_THREADS:-2}
runs=${PARLEY_BENCH_RUNS:-1}
n_utt=${PARLEY_BENCH_UTTERANCES:-24}
work="$top/build/bench/live"
out="$top/docs/benchmarks/live.md"
rm -rf "$work" && mkdir -p "$work/models"
[ -f "$top/build/bench/ggml-tiny.bin" ] || { mkdir -p "$top/build/bench"; "$top/build/whisper_standin" --size tiny --out "$top/build/bench/ggml-tiny.bin" >/dev/null; }
ln -sf "$top/build/bench/ggml-tiny.bin" "$work/models/ggml-tiny.bin"
ln -sf "$shared/models/ggml-silero-v6.2.0.bin" "$work/models/"
phrases=("We should decide the budget today." "Who owns the marketing plan for next quarter?"
    "The release is late by about one week." "Testing found three bugs in the installer."
    "Let us move on to the next item." "I will send the notes after the call."
    "Can you share the numbers from last month?" "The customer asked for a demo on Friday.")
parts=()
sox -n -r 16000 -c 1 "$work/gap.wav" trim 0 2.5
for i in $(seq 0 $((n_utt - 1))); do
    espeak-ng -w "$work/p$i.raw.wav" "${phrases[$((i % ${#phrases[@]}))]}" 2>/dev/null
    sox "$work/p$i.raw.wav" -r 16000 "$work/p$i.wav"
    parts+=("$work/p$i.wav" "$work/gap.wav")
done
sox "$work/gap.wav" "${parts[@]}" "$work/meeting.wav"
python3 - "$top" "$work" "$threads" "$runs" "$out" "$n_utt" <<'PY'
import json, os, statistics, subprocess, sys, time
top, work, threads, runs, out, n_utt = sys.argv[1:7]
threads, runs = int(threads), int(runs)
env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"), PARLEY_MODELS_DIR=os.path.join(work, "models"),
           PARLEY_NO_PROGRESS="1")
live_cmd = [os.path.join(top, "build/parley"), "live", "--input", os.path.join(work, "meeting.wav"), "--speed", "1",
            "--no-system", "--asr-model", "tiny", "--threads", str(threads), "--json", "--no-recover"]
peer_cmd = ["whisper-cli", "-m", os.path.join(work, "models/ggml-tiny.bin"), "-f", os.path.join(work, "p1.wav"),
            "-t", str(threads), "-nf", "-np", "-l", "auto"]
lat, peer, n_seg, load, full = [], [], [], [], []
for r in range(runs):
    load.append(os.getloadavg()[0])
    t0 = time.perf_counter(); subprocess.run(peer_cmd, env=env, capture_output=True, check=True)
    peer.append(time.perf_counter() - t0)
    # The default (encoder window cut to each utterance), then --full-window (whisper's
    # 30 s window for every utterance), alternated within the run.
    for variant, sink in (([], lat), (["--full-window"], full)):
        p = subprocess.run(live_cmd + variant, env=env, capture_output=True, text=True, check=True)
        ev = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        seg = [e["latency_ms"] / 1000 for e in ev if e["event"] == "segment.final"]
        sink += seg
        if not variant:
            n_seg.append(len(seg))
    t0 = time.perf_counter(); subprocess.run(peer_cmd, env=env, capture_output=True, check=True)
    peer.append(time.perf_counter() - t0)
lat.sort(); full.sort()
q = lambda f: lat[min(len(lat) - 1, int(round(f * (len(lat) - 1))))]
p50, p95 = q(0.5), q(0.95)
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
qf = lambda f: full[min(len(full) - 1, int(round(f * (len(full) - 1))))] if full else float("nan")
row = ("| %s | %d | %d | %.2f | %.2f | %.2f | %.2f / %.2f | %.2f | %.1f |" % (time.strftime("%Y-%m-%d %H:%M"), int(n_utt), len(lat), p50, p95,
       lat[-1], qf(0.5), qf(0.95), statistics.median(peer), statistics.mean(load)))
print("segments per run %s; latency p50 %.2f s p95 %.2f s max %.2f s; --full-window p50 %.2f s p95 %.2f s; "
      "whisper-cli on one utterance %.2f s (median); load %.1f"
      % (n_seg, p50, p95, lat[-1], qf(0.5), qf(0.95), statistics.median(peer), statistics.mean(load)))
print("row for %s:" % out)
print(row)
PY
