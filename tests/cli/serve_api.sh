# serve_api.sh: the JSON API of `parley serve` end to end, with the tiny stories260K model
# (chatml template) for the tasks and a loopback HTTP server standing in for the model host:
# list/filter/page, search, show, rename, segment edits that persist (seen by the CLI too),
# every export format, chat streamed token by token over SSE and cleared, summary and
# notes generated again, artifacts listed/shown/deleted, settings validated and saved,
# local features enforced, the model picker with fit labels, a pull with progress to done,
# a model without a template failing with the reason and what to do.
. "$(dirname "$0")/../cli_lib.sh"
export PYTHONDONTWRITEBYTECODE=1
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M (see shared/models/MODELS.md)"
command -v python3 >/dev/null || t_skip_all "needs python3"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
python3 - >"$T_DIR/a.json" <<'PY'
import json
lines = [("me", "Welcome everyone, today we decide the budget for the new office."),
         ("them", "I think we should spend ten thousand on furniture."),
         ("me", "Agreed. Bob will send the quote by Friday."),
         ("them", "The landlord wants an answer by the end of the month.")]
print(json.dumps({"title": "Budget sync", "language": "en", "segments": [
    {"start": i * 5.0, "end": i * 5.0 + 4.5, "speaker": sp, "text": t} for i, (sp, t) in enumerate(lines)]}))
PY
python3 - >"$T_DIR/b.json" <<'PY'
import json
print(json.dumps({"title": "Hiring plan", "language": "de", "segments": [
    {"start": 0, "end": 3, "text": "We hire two engineers in spring."},
    {"start": 3, "end": 6, "text": "The interviews start in March."}]}))
PY
A=$("$PARLEY_TOOLS/session_import" "$T_DIR/a.json") && B=$("$PARLEY_TOOLS/session_import" "$T_DIR/b.json") ||
    t_skip_all "session_import failed"
# The loopback model host for the pull.
www="$T_DIR/www/test/tiny/resolve/main"
mkdir -p "$www" "$XDG_CONFIG_HOME/parley"
"$PARLEY_TOOLS/gguf_add_template" "$M" "$www/tiny-chat.gguf" >/dev/null
size=$(stat -c %s "$www/tiny-chat.gguf")
python3 - "$T_DIR/www" "$T_DIR/port" >/dev/null 2>&1 <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
www_pid=$!
trap 'kill $www_pid 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$T_DIR/port" ] && break; sleep 0.1; done
export PARLEY_MODEL_BASE_URL="http://127.0.0.1:$(cat "$T_DIR/port")"
cat >"$XDG_CONFIG_HOME/parley/catalog.json" <<JSON
{"format":1,"version":"test","models":[
 {"id":"tiny-chat","label":"Tiny Chat","kind":"llm","arch":"llama","repo":"test/tiny","file":"tiny-chat.gguf",
  "size_bytes":$size,"size_exact":true,"params_total":260000,
  "shape":{"n_layer":5,"n_embd":64,"n_head":8,"n_head_kv":4,"head_dim":8,"n_vocab":512}}]}
JSON

t_begin "the API end to end"
A=$A B=$B PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py.err" && t_ok || t_fail "$(tail -c 2500 "$T_DIR/py.err")"
import json, os, subprocess, sys, time
from serve_lib import Server
A, B = int(os.environ["A"]), int(os.environ["B"])
def say(*a): print("ok:", *a, file=sys.stderr)
s = Server("--model", "stories260K", "--template", "chatml", "--ctx", "2048", "--threads", "1")
try:
    h = s.json("GET", "/api/health")
    assert h["local"] is True and h["mode"] == "local", h
    # Sessions: list, page, filter.
    d = s.json("GET", "/api/sessions")
    assert d["total"] == 2 and [x["id"] for x in d["sessions"]] == [B, A], d
    assert d["sessions"][1]["title"] == "Budget sync" and d["sessions"][1]["segments"] == 4
    d = s.json("GET", "/api/sessions?limit=1&offset=1")
    assert d["total"] == 2 and [x["id"] for x in d["sessions"]] == [A], d
    d = s.json("GET", "/api/sessions?q=FURNITURE")
    assert d["total"] == 1 and d["sessions"][0]["id"] == A, d
    d = s.json("GET", "/api/sessions?status=finished&limit=5")
    assert d["total"] == 2 and d["sessions"][0]["status"] == "finished", d
    s.json("GET", "/api/sessions?status=bogus", want=400)
    say("list, paging, filter")
    # Search: ranked hits with the segment and its time.
    d = s.json("GET", "/api/search?q=interviews%20march")
    assert len(d["hits"]) == 1 and d["hits"][0]["session"] == B and d["hits"][0]["segment"] == 1, d
    assert d["hits"][0]["t0_ms"] == 3000 and d["hits"][0]["where"] == "segment", d
    assert "\x02interviews\x03" in d["hits"][0]["snippet"].lower() and d["more"] is False, d
    assert s.json("GET", "/api/search?q=zebra")["hits"] == []
    assert s.json("GET", "/api/search?q=budget%20OR%20%22")["hits"] is not None   # no syntax errors
    d = s.json("GET", "/api/search?q=the&limit=1")
    assert len(d["hits"]) == 1 and d["more"] is True, d
    s.json("GET", "/api/search", want=400)
    say("search")
    # Show, edit a line, rename.
    d = s.json("GET", "/api/sessions/%d" % A)
    assert len(d["segments"]) == 4 and d["segments"][1]["speaker"] == "them" and d["summary"] is None, d
    e = s.json("PATCH", "/api/sessions/%d/segments/1" % A, {"text": "  I think we should spend twelve thousand on chairs. "})
    assert e["text"] == "I think we should spend twelve thousand on chairs." and e["index"] == 1, e
    e = s.json("PATCH", "/api/sessions/%d/segments/2" % A, {"speaker": "Ann"})
    assert e["speaker"] == "Ann" and e["text"].startswith("Agreed"), e
    s.json("PATCH", "/api/sessions/%d/segments/1" % A, {"text": "   "}, want=400)
    s.json("PATCH", "/api/sessions/%d/segments/9" % A, {"text": "x"}, want=404)
    s.json("PATCH", "/api/sessions/%d/segments/1" % A, b"{not json", want=400)
    d = s.json("GET", "/api/sessions/%d" % A)
    assert d["segments"][1]["text"] == "I think we should spend twelve thousand on chairs.", d["segments"][1]
    out = subprocess.run([os.environ["PARLEY_BIN"], "sessions", "export", str(A), "--format", "txt"],
                         capture_output=True, text=True).stdout
    assert "twelve thousand on chairs" in out and "ten thousand" not in out, out
    assert s.json("GET", "/api/search?q=chairs")["hits"][0]["session"] == A
    d = s.json("PATCH", "/api/sessions/%d" % A, {"title": "Budget sync (final)"})
    assert d["title"] == "Budget sync (final)"
    s.json("PATCH", "/api/sessions/%d" % A, {"title": ""}, want=400)
    s.json("GET", "/api/sessions/999", want=404)
    say("show, edit, rename")
    # Exports.
    for fmt, needle, ctype in (("txt", b"twelve thousand", "text/plain"), ("srt", b"-->", "application/x-subrip"),
                               ("vtt", b"WEBVTT", "text/vtt"), ("json", b'"segments"', "application/json"),
                               ("md", b"# Budget sync (final)", "text/markdown")):
        st, hd, raw = s.request("GET", "/api/sessions/%d/export?format=%s" % (A, fmt))
        assert st == 200 and needle in raw and hd["Content-Type"].startswith(ctype), (fmt, st, raw[:200])
        assert "attachment" in hd["Content-Disposition"]
    s.json("GET", "/api/sessions/%d/export?format=doc" % A, want=400)
    say("exports")
    # Chat: streamed over SSE, the tokens add up to the stored answer; then cleared.
    j = s.json("POST", "/api/sessions/%d/chat" % A, {"question": "Who sends the quote?"}, want=202)
    assert j["events"] == "/api/jobs/%d/events" % j["job"]
    ev = s.events(j["job"])
    toks = [d["text"] for e, d in ev if e == "token"]
    done = [d for e, d in ev if e == "done"]
    assert len(toks) >= 2 and len(done) == 1 and ev[-1][0] == "done", ev[:5]
    assert "".join(toks).strip() == done[0]["answer"].strip(), (toks, done)
    assert done[0]["question"] == "Who sends the quote?" and done[0]["stats"]["output_tokens"] > 0
    st = s.json("GET", "/api/jobs/%d" % j["job"])
    assert st["state"] == "done" and st["last"]["answer"] == done[0]["answer"], st
    assert s.events(j["job"]) == ev   # a late reader gets the whole stream again
    d = s.json("GET", "/api/sessions/%d" % A)
    assert [m["role"] for m in d["chat"]] == ["user", "assistant"], d["chat"]
    s.json("POST", "/api/sessions/%d/chat" % A, {"question": ""}, want=400)
    c = s.json("DELETE", "/api/sessions/%d/chat" % A)
    assert c["removed"] == 2 and s.json("GET", "/api/sessions/%d" % A)["chat"] == []
    s.json("GET", "/api/jobs/4242", want=404)
    say("chat streamed and cleared")
    # Summary and notes, generated again from the edited transcript; the I/O loop keeps answering.
    s.json("POST", "/api/sessions/%d/summary" % A, {"max_items": 0}, want=400)
    j = s.json("POST", "/api/sessions/%d/summary" % A, {"item_chars": 16, "max_items": 2}, want=202)
    t0 = time.time()
    s.json("GET", "/api/sessions")
    assert time.time() - t0 < 1.0, "the list waited for the model"
    ev = s.events(j["job"])
    assert ev[-1][0] == "done" and isinstance(ev[-1][1]["content"], dict), ev[-1]
    j = s.json("POST", "/api/sessions/%d/notes" % A, {"max_tokens": 60}, want=202)
    assert s.events(j["job"])[-1][0] == "done"
    d = s.json("GET", "/api/sessions/%d" % A)
    assert d["summary"]["format"] == "json" and "overview" in d["summary"]["content"], d["summary"]
    assert d["notes"] and d["notes"]["kind"] == "notes", d["notes"]
    arts = s.json("GET", "/api/sessions/%d/artifacts" % A)["artifacts"]
    assert sorted(a["kind"] for a in arts) == ["notes", "summary", "summary"], arts
    one = s.json("GET", "/api/artifacts/%d" % arts[-1]["id"])
    assert one["kind"] == "notes" and one["content"], one
    s.json("DELETE", "/api/artifacts/%d" % arts[-1]["id"])
    s.json("GET", "/api/artifacts/%d" % arts[-1]["id"], want=404)
    assert s.json("GET", "/api/sessions/%d" % A)["notes"] is None
    say("summary, notes, artifacts")
    # Settings: validated, saved atomically, local features enforced.
    d = s.json("GET", "/api/settings")
    assert d["serve_model"] == "stories260K", d  # serve --model overrides the chosen model
    assert d["auto_suggestions"] is True and d["battery"] == "saver" and d["local_features"] == ["transcribe", "summary", "chat", "suggest"], d
    s.json("PUT", "/api/settings", {"battery": "turbo"}, want=400)
    s.json("PUT", "/api/settings", {"local_features": ["teleport"]}, want=400)
    d = s.json("PUT", "/api/settings", {"auto_suggestions": False, "vocabulary": ["Parley", "Ann Lee"],
                                        "output_language": "de", "local_features": ["transcribe", "summary"]})
    assert d["vocabulary"] == ["Parley", "Ann Lee"] and d["output_language"] == "de" and d["local_features"] == ["transcribe", "summary"], d
    f = json.load(open(os.path.join(os.environ["XDG_CONFIG_HOME"], "parley", "settings.json")))
    assert f["auto_suggestions"] is False and f["vocabulary"] == ["Parley", "Ann Lee"], f
    j = s.json("POST", "/api/sessions/%d/chat" % A, {"question": "Why?"}, want=202)
    ev = s.events(j["job"])
    assert ev[-1][0] == "error" and "switched off" in ev[-1][1]["detail"] and "nothing was sent" in ev[-1][1]["detail"], ev
    s.json("PUT", "/api/settings", {"local_features": ["transcribe", "summary", "chat", "suggest"]})
    say("settings")
    # Models: the picker with fit labels; a pull from the loopback host with progress, to done.
    d = s.json("GET", "/api/models")
    m = [x for x in d["models"] if x["id"] == "tiny-chat"][0]
    assert m["state"] == "not downloaded" and m["fit"]["label"].split(" + ")[0] in ("Great fit", "Tight fit", "Won't fit"), m
    assert d["hardware"]["ram_total_bytes"] > 0 and d["catalog"]["version"] == "test"
    j = s.json("POST", "/api/models/tiny-chat/pull", want=202)
    ev = s.events(j["job"])
    prog = [d for e, d in ev if e == "progress"]
    assert prog and prog[-1]["done"] == prog[-1]["total"] == int(os.environ.get("SIZE", prog[-1]["total"])), prog[-3:]
    assert ev[-1][0] == "done" and ev[-1][1]["verified_by"] == "size", ev[-1]
    m = [x for x in s.json("GET", "/api/models")["models"] if x["id"] == "tiny-chat"][0]
    assert m["state"] == "ready", m
    s.json("POST", "/api/models/no-such/pull", want=404)
    d = s.json("POST", "/api/models/tiny-chat/use")
    assert d["settings"]["llm_model"] == "tiny-chat"
    s.json("POST", "/api/models", {"path": "/nonexistent.gguf"}, want=404)
    r = s.json("DELETE", "/api/models/tiny-chat")
    assert r["deleted_file"] is True
    assert s.json("GET", "/api/hw")["cpu"]["threads"] >= 1
    say("models")
    # Delete a session.
    s.json("DELETE", "/api/sessions/%d" % B)
    s.json("GET", "/api/sessions/%d" % B, want=404)
    s.json("DELETE", "/api/sessions/%d" % B, want=404)
    say("delete")
finally:
    rc = s.stop()
assert rc == 130, rc
# A model without a chat template: the error and what to do, nothing retried elsewhere.
s = Server("--model", "stories260K", "--ctx", "2048", "--threads", "1")
try:
    j = s.json("POST", "/api/sessions/%d/chat" % A, {"question": "Who?"}, want=202)
    ev = s.events(j["job"])
    assert [e for e, _ in ev] == ["error"], ev
    e = ev[0][1]
    assert e["error"] and "template" in e["detail"] and "--template" in e["hint"] and e["status"] == 422, e
    assert s.json("GET", "/api/sessions/%d" % A)["chat"] == []
finally:
    s.stop()
say("no template: the reason and what to do")
PY
t_done
