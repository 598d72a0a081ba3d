#!/usr/bin/env bash
# bench/live_summary.sh: issue 7's "summary after stop": a 30-minute meeting replayed with
# `parley live --input --speed N --summary` (the assistant keeps the transcript in the
# LLM's cache as segments arrive), time from the `stopped` event (the backlog transcribed,
# the session stored) to the summary event; against `parley summarize` of the same stored
# session in a new process (cold: model load, the whole transcript evaluated, the summary),
# same model (the Qwen 3.5 2B stand-in), context and threads. Target: live <= 15 % of cold.
#
#   scripts/dev.sh bench bench/live_summary.sh
#   (env: PARLEY_BENCH_MINUTES=30, PARLEY_BENCH_THREADS=2, PARLEY_BENCH_CTX=16384,
#    PARLEY_BENCH_SPEED=4: the replay speed; 4x is about the fastest these 2 cores keep up
#    with (whisper and the cache's prefill both behind by less than a turn); 0 = input as
#    fast as it can be read, which leaves the prefill minutes behind at stop)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
minutes=${PARLEY_BENCH_MINUTES:-30}
threads=${PARLEY_BENCH_THREADS:-2}
ctx=${PARLEY_BENCH_CTX:-16384}
speed=${PARLEY_BENCH_SPEED:-4}
work="$top/build/bench/live_summary"
standins="${PARLEY_STANDIN_DIR:-$top/build/standins}"
out="$top/docs/benchmarks/live.md"
rm -rf "$work" && mkdir -p "$work/models" "$standins"
. "$top/bench/meeting_lib.sh"
make_meeting "$work" "$minutes" "$shared" "$standins"
python3 - "$top" "$work" "$standins/qwen3.5-2b.gguf" "$threads" "$ctx" "$out" "$speed" <<'PY'
import json, os, subprocess, sys, time
top, work, llm, threads, ctx, out, speed = sys.argv[1:8]
env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"), XDG_CONFIG_HOME=os.path.join(work, "config"),
           XDG_CACHE_HOME=os.path.join(work, "cache"),  # cold means cold: no transcript state of an earlier run
           PARLEY_MODELS_DIR=os.path.join(work, "models"), PARLEY_NO_PROGRESS="1")
parley = os.path.join(top, "build/parley")
dur = float(subprocess.run(["soxi", "-D", os.path.join(work, "meeting.wav")], capture_output=True, text=True).stdout)
load = [os.getloadavg()[0]]
cmd = [parley, "live", "--input", os.path.join(work, "meeting.wav"), "--speed", speed, "--no-system", "--asr-model", "tiny",
       "--model", llm, "--ctx", ctx, "--threads", threads, "--summary", "--json", "--no-recover"]
t0 = time.time()
p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
stopped = summary = None
segs = 0
for line in p.stdout:
    e = json.loads(line)
    if e["event"] == "segment.final":
        segs += 1
    elif e["event"] == "stopped":  # posted_ms: parley live drains these only when stop returns
        stopped = e["posted_ms"] / 1000.0
    elif e["event"] == "progress" and e.get("text") == "summary":
        summary = e["posted_ms"] / 1000.0
    elif e["event"] == "error":
        print("error:", e.get("text"), file=sys.stderr)
p.wait()
t_end = time.time()
if p.returncode or not stopped or not summary:
    sys.exit("live run failed: rc %s, stopped %s, summary %s" % (p.returncode, stopped, summary))
live_s = summary - stopped
load.append(os.getloadavg()[0])
import sqlite3
def summary_stats(newest_first):
    # the stored summary's own figures (artifacts table): prompt tokens read, tokens written
    db = sqlite3.connect(os.path.join(work, "data", "parley", "parley.db"))
    r = db.execute("SELECT prompt_tokens, output_tokens FROM artifacts WHERE kind = 'summary' AND format = 'json' "
                   "ORDER BY id " + ("DESC" if newest_first else "ASC") + " LIMIT 1").fetchone()
    db.close()
    return r if r else (None, None)
live_prompt, live_out = summary_stats(False)
sid = "1"
t1 = time.time()
c = subprocess.run([parley, "summarize", sid, "--model", llm, "--ctx", ctx, "--threads", threads, "--json"], env=env,
                   capture_output=True, text=True)
cold_s = time.time() - t1
if c.returncode:
    sys.exit("summarize failed: " + c.stderr[-1500:])
meta = json.loads(c.stdout)  # transcript_tokens is a top-level key (json.h task result)
cold_prompt, cold_out = summary_stats(True)
load.append(os.getloadavg()[0])
ratio = live_s / cold_s
row = "| %s | %s | %.0f | %d | %s | %.1f | %.1f | **%.1f %%** | %s / %s | %s / %s | %.0f | %.1f |" % (
    time.strftime("%Y-%m-%d %H:%M"), speed, dur / 60, segs, meta.get("transcript_tokens", "?"), live_s, cold_s,
    ratio * 100, live_prompt, cold_prompt, live_out, cold_out, t_end - t0, sum(load) / len(load))
print("meeting %.1f min, %d segments, %s transcript tokens; stop to summary %.1f s (live, warm) vs %.1f s "
      "(parley summarize, cold): %.1f %%; whole live run %.0f s; load %.1f" % (dur / 60, segs,
      meta.get("transcript_tokens", "?"), live_s, cold_s, ratio * 100, t_end - t0, sum(load) / len(load)))
print("prompt tokens read at stop / cold: %s / %s; summary tokens written live / cold: %s / %s" % (
    live_prompt, cold_prompt, live_out, cold_out))
print("row for %s (| when | speed | meeting min | segments | transcript tokens | live s | cold s | ratio | "
      "prompt tokens read live / cold | summary tokens live / cold | whole live run s | load |):" % out)
print(row)
PY
