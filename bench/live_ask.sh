#!/usr/bin/env bash
# bench/live_ask.sh: a question during a live meeting in the web app (`parley serve`):
# answered by the meeting's own assistant from its warm cache (POST /api/live/ask), against
# the same question as a chat job on the stored session after the meeting (POST
# /api/sessions/ID/chat: the server's worker reads the whole transcript first), same
# server, model (the Qwen 3.5 2B stand-in), context and threads. Time to the first token
# of the answer and to the whole answer; the prompt tokens each read.
#
#   scripts/dev.sh bench bench/live_ask.sh
#   (env: PARLEY_BENCH_MINUTES=8, PARLEY_BENCH_THREADS=2, PARLEY_BENCH_CTX=8192,
#    PARLEY_BENCH_SPEED=4, PARLEY_BENCH_AT=0.9: the question is asked when the meeting's
#    transcript reaches this fraction of the recording)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
minutes=${PARLEY_BENCH_MINUTES:-8}
threads=${PARLEY_BENCH_THREADS:-2}
ctx=${PARLEY_BENCH_CTX:-8192}
speed=${PARLEY_BENCH_SPEED:-4}
at=${PARLEY_BENCH_AT:-0.9}
work="$top/build/bench/live_ask"
standins="${PARLEY_STANDIN_DIR:-$top/build/standins}"
rm -rf "$work" && mkdir -p "$work/models" "$standins"
. "$top/bench/meeting_lib.sh"
make_meeting "$work" "$minutes" "$shared" "$standins"
PARLEY_BIN="$top/build/parley" PYTHONPATH="$top/tests/cli" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
    XDG_CACHE_HOME="$work/cache" PARLEY_MODELS_DIR="$work/models" \
    python3 - "$work" "$standins/qwen3.5-2b.gguf" "$threads" "$ctx" "$speed" "$at" <<'PY'
import json, os, sqlite3, subprocess, sys, threading, time
from serve_lib import Server
work, llm, threads, ctx, speed, at = sys.argv[1:7]
meeting = os.path.join(work, "meeting.wav")
dur_ms = float(subprocess.run(["soxi", "-D", meeting], capture_output=True, text=True).stdout) * 1000
Q = "What did they decide about the budget, and who owns the marketing plan?"
s = Server("--model", llm, "--ctx", ctx, "--threads", threads)
try:
    s.json("PUT", "/api/settings", {"auto_suggestions": False})  # nothing else on the model meanwhile
    j = s.json("POST", "/api/live", {"input": meeting, "speed": float(speed), "no_system": True, "asr_model": "tiny",
                                     "summary": True}, want=202)
    ev = []
    t = threading.Thread(target=lambda: s.events(j["job"], timeout=3600, stamp=True, into=ev))
    t.start()
    while not any(e == "segment.final" and d["t1_ms"] >= float(at) * dur_ms for e, d in ev):
        if not t.is_alive():
            sys.exit("the meeting ended before the question: %s" % [d for e, d in ev if e == "error"])
        time.sleep(0.05)
    n_seen = len(ev)
    t_ask = time.time() * 1000
    s.json("POST", "/api/live/ask", {"question": Q})
    while not any(e == "answer" for e, _ in ev[n_seen:]):
        if not t.is_alive():
            sys.exit("no answer: %s" % [d for e, d in ev if e == "error"])
        time.sleep(0.02)
    new = ev[n_seen:]
    first = [d for e, d in new if e == "token"][0]["_arrived_ms"] - t_ask
    whole = [d for e, d in new if e == "answer"][0]["_arrived_ms"] - t_ask
    segs_at_ask = sum(1 for e, _ in ev[:n_seen] if e == "segment.final")
    # The summary at stop is not what this measures: skipped as soon as it starts.
    while not any(e == "progress" for e, _ in ev) and t.is_alive():
        time.sleep(0.05)
    s.json("DELETE", "/api/jobs/%d" % j["job"])
    t.join()
    sid = [d for e, d in ev if e == "done"][0]["session"]
    n_segs = len(s.json("GET", "/api/sessions/%d" % sid)["segments"])
    # The same question as a chat job on the stored session.
    cold_ev = []
    t_ask = time.time() * 1000
    cj = s.json("POST", "/api/sessions/%d/chat" % sid, {"question": Q}, want=202)
    s.events(cj["job"], timeout=3600, stamp=True, into=cold_ev)
    cold_first = [d for e, d in cold_ev if e == "token"][0]["_arrived_ms"] - t_ask
    cold_whole = [d for e, d in cold_ev if e == "done"][0]["_arrived_ms"] - t_ask
    db = sqlite3.connect(os.path.join(work, "data", "parley", "parley.db"))
    metas = [json.loads(m) for m, in db.execute("SELECT meta FROM chat_messages WHERE session_id=? AND role='assistant' "
                                                "AND meta IS NOT NULL ORDER BY id", (sid,))]
    cold_done = [d for e, d in cold_ev if e == "done"][0]
    db.close()
finally:
    s.stop()
load = os.getloadavg()[0]
print("meeting %.1f min replayed at speed %s; asked at %d of %d segments" % (dur_ms / 60000, speed, segs_at_ask, n_segs))
print("warm (meeting's assistant): first token %.2f s, whole answer %.2f s" % (first / 1000, whole / 1000))
print("cold (chat job after the meeting): first token %.2f s, whole answer %.2f s" % (cold_first / 1000, cold_whole / 1000))
print("first token: warm/cold %.1f %%; load %.1f" % (100 * first / cold_first, load))
for m in metas:
    print("stored turn meta:", json.dumps(m)[:400])
print("cold job's done event:", json.dumps({k: v for k, v in cold_done.items() if k not in ("answer", "content")})[:600])
PY
