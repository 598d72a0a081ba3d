# serve_live.sh: a live meeting through the API: started from a recording replayed as the
# microphone (the whisper stand-in and the Silero VAD), its events streamed over SSE
# (started, levels, stopped), a typed note stored at its time, stop, the session stored
# finished; a second start while one runs is refused; notes without a meeting too.
. "$(dirname "$0")/../cli_lib.sh"
export PYTHONDONTWRITEBYTECODE=1
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
command -v espeak-ng >/dev/null || t_skip_all "needs espeak-ng"
espeak-ng -w "$T_DIR/talk.wav" "Hello everyone, this is the weekly budget meeting. We decide the office furniture today and the landlord wants an answer." 2>/dev/null
t_begin "a live meeting over the API"
WAV="$T_DIR/talk.wav" PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py.err" && t_ok || t_fail "$(tail -c 2500 "$T_DIR/py.err")"
import json, os, sys, threading, time
from serve_lib import Server
def say(*a): print("ok:", *a, file=sys.stderr)
s = Server("--threads", "1")
try:
    assert s.json("GET", "/api/health")["live"] is True
    assert s.json("GET", "/api/live")["id"] is None
    s.json("POST", "/api/live/notes", {"text": "x"}, want=409)
    s.json("POST", "/api/live/stop", want=409)
    s.json("POST", "/api/live", {"speed": -1}, want=400)
    j = s.json("POST", "/api/live", {"title": "API meeting", "input": os.environ["WAV"], "speed": 1,
                                     "no_system": True, "asr_model": "tiny", "summary": True}, want=202)
    events = []
    t = threading.Thread(target=lambda: events.extend(s.events(j["job"], timeout=120)))
    t.start()
    ok = False
    for _ in range(100):
        st = s.json("GET", "/api/live")
        if st["state"] == "running" and st.get("session"):
            ok = True
            break
        time.sleep(0.1)
    assert ok, st
    s.json("POST", "/api/live", {"input": os.environ["WAV"], "no_system": True}, want=409)
    time.sleep(1.0)
    s.json("POST", "/api/live/notes", {"text": "ask about the budget"})
    # No model: the meeting has no assistant to ask (the page then uses the session's chat).
    e = s.json("POST", "/api/live/ask", {"question": "what is the budget?"}, want=409)
    assert "no assistant" in e["detail"], e
    s.json("POST", "/api/live/ask", {"question": ""}, want=400)
    s.json("POST", "/api/live/suggest", want=409)
    time.sleep(0.5)
    s.json("POST", "/api/live/stop")
    t.join(120)
    kinds = [e for e, _ in events]
    assert [k for k in kinds if k not in ("backlog", "warning")][0] == "started" and kinds[-1] == "done" and "stopped" in kinds and "note" in kinds, kinds
    # No LLM here: automatic suggestions (on by default) are off, and the page is told why.
    warn = [d["text"] for e, d in events if e == "warning"]
    assert any("automatic suggestions are off for this meeting" in w for w in warn), warn
    # The summary at stop was asked for: no model, so none, and the page is told why
    # (the meeting itself goes on and is stored).
    assert any("no summary at stop for this meeting" in w for w in warn), warn
    assert not any(e == "progress" for e in kinds), kinds
    assert "level" in kinds, kinds
    sid = events[-1][1]["session"]
    assert [d for e, d in events if e == "started"][0]["session_id"] == sid, events[:3]
    d = s.json("GET", "/api/sessions/%d" % sid)
    assert d["title"] == "API meeting" and d["status"] == "finished", (d["title"], d["status"])
    assert [n["text"] for n in d["typed_notes"]] == ["ask about the budget"] and d["typed_notes"][0]["t_ms"] > 0, d["typed_notes"]
    assert s.json("GET", "/api/live")["id"] is None
    say("live meeting: events", sorted(set(kinds)))
finally:
    rc = s.stop()
assert rc == 130, rc
PY
t_begin "automatic suggestions during a meeting on the server, and the setting that turns them off"
M="$PARLEY_SHARED/models/stories260K.gguf"
if [ ! -f "$M" ]; then
    echo "SKIP $T_CUR: needs $M" >&2
    T_VERDICT=1
else
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
# Pauses between the phrases end the utterances while the meeting runs.
sox -n -r 22050 -c 1 "$T_DIR/gap.wav" trim 0 1.5
sox "$T_DIR/talk.wav" "$T_DIR/gap.wav" "$T_DIR/talk.wav" "$T_DIR/gap.wav" "$T_DIR/talk2.wav"
WAV="$T_DIR/talk2.wav" PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py3.err" && t_ok || t_fail "$(tail -c 2500 "$T_DIR/py3.err")"
import json, os, sys
from serve_lib import Server
s = Server("--threads", "1", "--model", "stories260K", "--template", "chatml", "--ctx", "8192")
try:
    def meeting():
        j = s.json("POST", "/api/live", {"title": "Suggested", "input": os.environ["WAV"], "speed": 1,
                                         "no_system": True, "asr_model": "tiny", "suggest_interval": 1}, want=202)
        return s.events(j["job"], timeout=300)
    ev = meeting()
    kinds = [e for e, _ in ev]
    sugg = [d for e, d in ev if e == "suggestion"]
    assert sugg and sugg[0]["text"], [k for k in kinds if k not in ("level", "backlog")]
    assert not any(e == "warning" for e, _ in ev), [d for e, d in ev if e == "warning"]
    sid = [d for e, d in ev if e == "done"][0]["session"]
    d = s.json("GET", "/api/sessions/%d" % sid)
    assert d.get("suggestions"), sorted(d)
    print("suggestions:", [x["text"][:40] for x in sugg], file=sys.stderr)
    # The summary at stop, from the meeting's warm assistant: its progress while it is
    # written, the summary itself as the last progress event, stored with the session.
    # A question mid-meeting goes to the meeting's assistant: the answer streams on the
    # meeting's own stream and is stored as a chat turn.
    import threading, time
    j = s.json("POST", "/api/live", {"title": "Summed", "input": os.environ["WAV"], "speed": 1, "suggest": False,
                                     "no_system": True, "asr_model": "tiny", "summary": True}, want=202)
    ev = []
    t = threading.Thread(target=lambda: s.events(j["job"], timeout=300, into=ev))
    t.start()
    for _ in range(600):
        if any(e == "segment.final" for e, _ in ev):
            break
        time.sleep(0.05)
    assert any(e == "segment.final" for e, _ in ev), [e for e, _ in ev if e != "level"]
    s.json("POST", "/api/live/ask", {"question": "What is the budget?"})
    s.json("POST", "/api/live/suggest")  # asked for, with automatic suggestions off
    t.join(300)
    kinds = [e for e, _ in ev]
    sugg = [d for e, d in ev if e == "suggestion"]
    assert len(sugg) == 1 and json.loads(sugg[0]["detail"]), (sugg, [d for e, d in ev if e == "error"])
    ans = [d for e, d in ev if e == "answer"]
    assert len(ans) == 1 and ans[0]["detail"] == "What is the budget?" and ans[0]["text"], (ans, [d for e, d in ev if e == "error"])
    toks = [d for e, d in ev if e == "token"]
    assert toks and all(d["job_id"] == ans[0]["job_id"] for d in toks), toks[:3]
    assert "".join(d["text"] for d in toks).strip() == ans[0]["text"].strip(), ("".join(d["text"] for d in toks), ans[0]["text"])
    assert not any(e in ("warning", "error") for e, _ in ev), [d for e, d in ev if e in ("warning", "error")]
    prog = [d for e, d in ev if e == "progress"]
    phases = [d.get("detail") for d in prog if d.get("text") == "summarizing"]
    assert "reading" in phases and "writing" in phases, (phases, [d for e, d in ev if e == "error"])
    done = [d for d in prog if d.get("text") == "summary"]
    assert len(done) == 1 and done[0]["detail"].strip(), prog[-3:]
    order = [e for e in kinds if e in ("stopped", "progress", "done")]
    assert order[0] == "stopped" and order[-1] == "done", order
    sid = [d for e, d in ev if e == "done"][0]["session"]
    d = s.json("GET", "/api/sessions/%d" % sid)
    assert d.get("summary") and d["summary"]["content"].get("title"), d.get("summary")
    assert [m["content"] for m in d.get("chat", []) if m["role"] == "user"] == ["What is the budget?"], d.get("chat")
    assert d.get("suggestions"), sorted(d)
    assert d["status"] == "finished", d["status"]
    print("summary at stop:", len(phases), "progress events; title", d["summary"]["content"]["title"][:30], file=sys.stderr)
    # The setting off: no suggestion, no warning.
    cur = s.json("GET", "/api/settings")
    s.json("PUT", "/api/settings", {"auto_suggestions": False})
    ev = meeting()
    assert not any(e in ("suggestion", "warning") for e, _ in ev), [e for e, _ in ev if e not in ("level", "backlog")]
finally:
    s.stop()
PY
fi

t_begin "stopping: the backlog's segments reach the event stream while stop transcribes them"
# speed 0: the input ends at once, and the backlog is transcribed inside stop. Each SSE
# line is stamped when it arrives: segments must come before "stopped" is even posted
# (before, the server forwarded nothing until stop returned).
sox "$T_DIR/talk.wav" "$T_DIR/talk.wav" "$T_DIR/talk.wav" "$T_DIR/talk.wav" "$T_DIR/talk3.wav" 2>/dev/null ||
    cp "$T_DIR/talk.wav" "$T_DIR/talk3.wav"
WAV="$T_DIR/talk3.wav" PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py2.err" && t_ok || t_fail "$(tail -c 2500 "$T_DIR/py2.err")"
import os, sys, threading
from serve_lib import Server
s = Server("--threads", "1")
try:
    j = s.json("POST", "/api/live", {"title": "Backlog", "input": os.environ["WAV"], "speed": 0,
                                     "no_system": True, "asr_model": "tiny"}, want=202)
    events = s.events(j["job"], timeout=300, stamp=True)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "done" and "stopped" in kinds, kinds
    stopped = [d for e, d in events if e == "stopped"][0]
    segs = [d for e, d in events if e == "segment.final"]
    early = [d for d in segs if d["_arrived_ms"] < stopped["posted_ms"]]
    print("segments", len(segs), "before stopped", len(early), file=sys.stderr)
    assert len(segs) >= 3, len(segs)
    assert len(early) >= 2, [(d["_arrived_ms"], d["posted_ms"]) for d in segs] + [stopped["posted_ms"]]
finally:
    s.stop()
PY

t_done
