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
#    fast as it can be read, which leaves the prefill minutes behind at stop),
#    PARLEY_BENCH_ITEM_CHARS=60, PARLEY_BENCH_MAX_ITEMS=4: the summary's shape, the same on
#    both sides; the random-weight stand-in fills every string and list of the grammar it is
#    given, so the default shape (200, 8) has it write 900 to over 1,024 tokens of noise,
#    where a real 2B model writes 200 to 400; 60 and 4 hold the stand-in to about that,
#    PARLEY_BENCH_DRAFT_EVERY=1500: summary drafts during the meeting, 0 = none; with
#    drafts, speed 2 is what these 2 cores keep up with: docs/benchmarks/live.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
minutes=${PARLEY_BENCH_MINUTES:-30}
threads=${PARLEY_BENCH_THREADS:-2}
ctx=${PARLEY_BENCH_CTX:-16384}
speed=${PARLEY_BENCH_SPEED:-4}
item_chars=${PARLEY_BENCH_ITEM_CHARS:-60}
max_items=${PARLEY_BENCH_MAX_ITEMS:-4}
draft_every=${PARLEY_BENCH_DRAFT_EVERY:-1500}
work="$top/build/bench/live_summary"
standins="${PARLEY_STANDIN_DIR:-$top/build/standins}"
out="$top/docs/benchmarks/live.md"
rm -rf "$work" && mkdir -p "$work/models" "$standins"
. "$top/bench/meeting_lib.sh"
make_meeting "$work" "$minutes" "$shared" "$standins"
python3 - "$top" "$work" "$standins/qwen3.5-2b.gguf" "$threads" "$ctx" "$out" "$speed" "$item_chars" "$max_items" "$draft_every" <<'PY'
import json, os, subprocess, sys, time
top, work, llm, threads, ctx, out, speed, item_chars, max_items, draft_every = sys.argv[1:11]
shape = ["--item-chars", item_chars, "--max-items", max_items]
env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"), XDG_CONFIG_HOME=os.path.join(work, "config"),
           XDG_CACHE_HOME=os.path.join(work, "cache"),  # cold means cold: no transcript state of an earlier run
           PARLEY_MODELS_DIR=os.path.join(work, "models"), PARLEY_NO_PROGRESS="1")
parley = os.path.join(top, "build/parley")
dur = float(subprocess.run(["soxi", "-D", os.path.join(work, "meeting.wav")], capture_output=True, text=True).stdout)
load = [os.getloadavg()[0]]
cmd = [parley, "live", "--input", os.path.join(work, "meeting.wav"), "--speed", speed, "--no-system", "--asr-model", "tiny",
       "--model", llm, "--ctx", ctx, "--threads", threads, "--summary", "--json", "--no-recover",
       "--draft-every", draft_every] + shape
t0 = time.time()
p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
stopped = summary = None
segs = 0
drafts = []
for line in p.stdout:
    e = json.loads(line)
    if e["event"] == "segment.final":
        segs += 1
    elif e["event"] == "stopped":  # posted_ms: parley live drains these only when stop returns
        stopped = e["posted_ms"] / 1000.0
    elif e["event"] == "progress" and e.get("text") == "summary draft":
        drafts.append((round(e["posted_ms"] / 1000.0 - t0, 1), e["detail"]))
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
    # the stored summary's own figures (artifacts table): prompt tokens read (not reused from
    # the cache), tokens written
    db = sqlite3.connect(os.path.join(work, "data", "parley", "parley.db"))
    r = db.execute("SELECT prompt_tokens - reused_tokens, output_tokens, meta FROM artifacts WHERE kind = 'summary' AND format = 'json' "
                   "ORDER BY id " + ("DESC" if newest_first else "ASC") + " LIMIT 1").fetchone()
    db.close()
    return r if r else (None, None, None)
live_prompt, live_out, live_meta = summary_stats(False)
draft = json.loads(live_meta).get("draft") if live_meta else None
sid = "1"
t1 = time.time()
c = subprocess.run([parley, "summarize", sid, "--model", llm, "--ctx", ctx, "--threads", threads, "--json"] + shape, env=env,
                   capture_output=True, text=True)
cold_s = time.time() - t1
if c.returncode:
    sys.exit("summarize failed: " + c.stderr[-1500:])
meta = json.loads(c.stdout)  # transcript_tokens is a top-level key (json.h task result)
cold_prompt, cold_out, _ = summary_stats(True)
load.append(os.getloadavg()[0])
ratio = live_s / cold_s
def draft_used(d):
    if not d or not d.get("used"):
        return "no" + (" (%s)" % d["why_not"] if d and d.get("why_not") else "")
    where = "in the drafts' context, from %d ms" % d["until_ms"] if d.get("rolling") else "%d segments" % d["segments"]
    return "yes, %s, new share %.2f" % (where, d["new_share"])
dnote = ("%d drafts, the last to %s; used: %s" % (len(drafts), drafts[-1][1], draft_used(draft))) if drafts else "no drafts"
row = "| %s | %s | %s, %s | %.0f | %d | %s | %s | %.1f | %.1f | **%.1f %%** | %s / %s | %s / %s | %.0f | %.1f |" % (
    time.strftime("%Y-%m-%d %H:%M"), speed, item_chars, max_items, dur / 60, segs, meta.get("transcript_tokens", "?"),
    dnote, live_s, cold_s, ratio * 100, live_prompt, cold_prompt, live_out, cold_out, t_end - t0, sum(load) / len(load))
print("drafts (s into the run, reaching):", drafts)
print("the stored summary's draft meta:", draft)
print("meeting %.1f min, %d segments, %s transcript tokens; stop to summary %.1f s (live, warm) vs %.1f s "
      "(parley summarize, cold): %.1f %%; whole live run %.0f s; load %.1f" % (dur / 60, segs,
      meta.get("transcript_tokens", "?"), live_s, cold_s, ratio * 100, t_end - t0, sum(load) / len(load)))
print("prompt tokens read at stop / cold: %s / %s; summary tokens written live / cold: %s / %s" % (
    live_prompt, cold_prompt, live_out, cold_out))
print("row for %s (| when | speed | item chars, max items | meeting min | segments | transcript tokens | drafts | "
      "live s | cold s | ratio | "
      "prompt tokens read live / cold | summary tokens live / cold | whole live run s | load |):" % out)
print(row)
PY
