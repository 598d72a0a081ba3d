#!/usr/bin/env bash
# serve_remote.sh: the web app's task jobs on a team server: Debian's real llama-server on
# 127.0.0.1 (stories260K, chatml; tests/remote_lib.sh) set as the user's default. `parley
# serve` runs without any local LLM: a summary and a chat answer come from the server,
# labelled with its name in the job's result ("remote": {"server","model"}, model
# remote:NAME/MODEL), in the job status and in what is stored; {"local": true} runs here
# (and fails: no local model) with no label; an unknown server name is a 400 and a server
# on a host the gate was not opened for a 403, both before anything runs; a stopped
# server's failure is an error event naming it, with nothing stored and nothing run here.
. "$(dirname "$0")/../cli_lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
export PYTHONDONTWRITEBYTECODE=1
remote_need
trap 'llama_server_stop' EXIT
python3 - >"$T_DIR/a.json" <<'PY'
import json
lines = [("me", "Welcome everyone, today we decide the budget for the new office."),
         ("them", "I think we should spend ten thousand on furniture."),
         ("me", "Agreed. Bob will send the quote by Friday.")]
print(json.dumps({"title": "Budget sync", "language": "en", "segments": [
    {"start": i * 5.0, "end": i * 5.0 + 4.5, "speaker": sp, "text": t} for i, (sp, t) in enumerate(lines)]}))
PY
A=$("$PARLEY_TOOLS/session_import" "$T_DIR/a.json") || t_skip_all "session_import failed"
PORT=$(free_port)
echo secret >"$T_DIR/token"
"$PARLEY_BIN" remote add team "http://127.0.0.1:$PORT" --token-file "$T_DIR/token" >/dev/null &&
    "$PARLEY_BIN" remote add far "http://192.0.2.1:9" >/dev/null &&
    "$PARLEY_BIN" remote default team >/dev/null || { echo "remote add failed" >&2; exit 1; }
llama_server_start "$PORT" secret

t_begin "task jobs on the default team server, labelled in results, status and store"
A=$A T_DIR=$T_DIR SERVER_PID=$SERVER_PID PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py.err" && t_ok || t_fail "$(tail -c 2500 "$T_DIR/py.err")"
import os, signal, subprocess, sys, time
from serve_lib import Server
A = int(os.environ["A"])
def say(*a): print("ok:", *a, file=sys.stderr)
def labelled(d):
    return d.get("remote", {}) and d["remote"]["server"] == "team" and d["model"].startswith("remote:team/")
s = Server("--ctx", "4096")
try:
    h = s.json("GET", "/api/health")
    assert h["team_server"] == "team", h
    # The default server: a summary, streamed, labelled, stored with the label.
    j = s.json("POST", "/api/sessions/%d/summary" % A, {"item_chars": 16, "max_items": 2}, want=202)
    ev = s.events(j["job"])
    assert ev[-1][0] == "done", ev[-3:]
    done = ev[-1][1]
    assert labelled(done) and isinstance(done["content"], dict), done
    assert done["meta"]["remote"]["server"] == "team", done["meta"]
    assert any(e == "token" for e, _ in ev), "nothing streamed"
    st = s.json("GET", "/api/jobs/%d" % j["job"])
    assert st["remote"] == "team", st
    d = s.json("GET", "/api/sessions/%d" % A)
    assert d["summary"]["model"].startswith("remote:team/") and d["summary"]["meta"]["remote"]["server"] == "team", d["summary"]
    say("summary")
    # A named server for a chat question: the answer and the stored turn carry the name.
    j = s.json("POST", "/api/sessions/%d/chat" % A, {"question": "Who sends the quote?", "remote": "team",
                                                     "max_tokens": 24}, want=202)
    ev = s.events(j["job"])
    assert ev[-1][0] == "done" and labelled(ev[-1][1]) and isinstance(ev[-1][1]["answer"], str), ev[-1]
    chat = s.json("GET", "/api/sessions/%d" % A)["chat"]
    assert [m["role"] for m in chat] == ["user", "assistant"] and chat[1]["model"].startswith("remote:team/"), chat
    say("chat")
    n_arts = len(s.json("GET", "/api/sessions/%d/artifacts" % A)["artifacts"])
    # An unknown name, a server the gate is not open for, both remote and local: refused up front.
    e = s.json("POST", "/api/sessions/%d/suggestions" % A, {"remote": "nosuch"}, want=400)
    assert "no team server named 'nosuch'" in e["detail"], e
    e = s.json("POST", "/api/sessions/%d/summary" % A, {"remote": "far"}, want=403)
    assert "not open" in e["detail"] and "Nothing was sent" in e["detail"], e
    s.json("POST", "/api/sessions/%d/notes" % A, {"remote": "team", "local": True}, want=400)
    s.json("POST", "/api/sessions/%d/notes" % A, {"remote": 7}, want=400)
    say("refused names")
    # "local": this device, never the server: here there is no local model, so it fails, unlabelled.
    j = s.json("POST", "/api/sessions/%d/notes" % A, {"local": True}, want=202)
    ev = s.events(j["job"])
    assert ev[-1][0] == "error" and "remote" not in ev[-1][1], ev[-1]
    assert s.json("GET", "/api/jobs/%d" % j["job"])["remote"] is None
    say("local")
    # The server stopped: an error naming it; nothing stored, nothing run here.
    os.kill(int(os.environ["SERVER_PID"]), signal.SIGTERM)
    time.sleep(1.0)
    j = s.json("POST", "/api/sessions/%d/suggestions" % A, want=202)
    ev = s.events(j["job"])
    err = ev[-1][1]
    assert ev[-1][0] == "error" and err["remote"]["server"] == "team", ev[-1]
    assert "server 'team'" in err["detail"] and "Nothing was run locally" in err["detail"], err
    assert "nothing was run on this computer" in err["hint"], err
    assert len(s.json("GET", "/api/sessions/%d/artifacts" % A)["artifacts"]) == n_arts
    say("stopped server")
    # The pages label it too (when Chromium and playwright-core are here).
    node_dir = os.environ.get("PARLEY_NODE_DIR") or os.path.join(os.environ["PARLEY_TOOLS"], "node")
    if os.path.exists("/usr/bin/chromium") and os.path.exists(node_dir + "/node_modules/playwright-core/package.json"):
        t = os.environ["T_DIR"]
        env = dict(os.environ, PARLEY_URL=s.url, MEETING=str(A), PROFILE=t + "/profile", SHOTS=t,
                   NODE_PATH=node_dir + "/node_modules", HOME=t)
        r = subprocess.run(["timeout", "120", "node", os.environ["PARLEY_SRC"] + "/tests/browser/remote.mjs"], env=env,
                           stderr=subprocess.PIPE, text=True)
        print(r.stderr, file=sys.stderr)
        assert r.returncode == 0, "the pages: node exit %d" % r.returncode
        say("the pages label it")
    else:
        print("note: the pages were not checked (needs /usr/bin/chromium and playwright-core in %s)" % node_dir,
              file=sys.stderr)
finally:
    s.stop()
PY

t_done
