#!/usr/bin/env bash
# live_remote.sh: `parley live` with its assistant on a team server: Debian's real
# llama-server on 127.0.0.1 (stories260K, chatml; tests/remote_lib.sh). A replayed meeting
# (--input) gets a question answered, a suggestion and the summary at stop from the server,
# each labelled with its name in the --json events ("remote": {"server","model"}) and
# stored as remote:NAME/MODEL with the meta label; speech recognition stays local. The
# models directory has no LLM and none is named: a local model is never loaded. With the
# server stopped, the default server's failure is an error line labelled [remote: team],
# nothing is stored from it and nothing runs locally. An unknown server name is an error
# before anything starts.
. "$(dirname "$0")/../cli_lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
P=$PARLEY_BIN
remote_need
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || t_skip_all "needs espeak-ng and sox"
db="$XDG_DATA_HOME/parley/parley.db"
trap 'llama_server_stop' EXIT
espeak-ng -w "$T_DIR/a.wav" "Hello everyone, this is the weekly meeting about the budget." 2>/dev/null
sox -n -r 22050 -c 1 "$T_DIR/sil.wav" trim 0 1.5
# in.wav (two utterances) is replayed as fast as possible; long.wav (eight, about 36 s) in
# real time, long enough that a loaded machine's transcription backlog cannot reach its
# end before the question is answered (the test stops it as soon as it is).
sox "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/in.wav"
parts=("$T_DIR/sil.wav"); for _ in $(seq 8); do parts+=("$T_DIR/a.wav" "$T_DIR/sil.wav"); done
sox "${parts[@]}" "$T_DIR/long.wav"
PORT=$(free_port)
echo secret >"$T_DIR/token"
"$P" remote add team "http://127.0.0.1:$PORT" --token-file "$T_DIR/token" >/dev/null || { echo "remote add failed" >&2; exit 1; }
llama_server_start "$PORT" secret

t_begin "an unknown server name: an error before the meeting starts, nothing stored"
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --remote nosuch
expect_rc 1 && expect_err "nosuch" && { [ ! -f "$db" ] || [ "$(n_sessions)" = 0 ]; } && t_ok

t_begin "question, suggestion and summary on the team server, labelled in the events and the store"
mkfifo "$T_DIR/typed"
exec 3<>"$T_DIR/typed"
"$P" live --input "$T_DIR/long.wav" --speed 1 --no-system --asr-model tiny --remote team --ctx 4096 --suggest \
    --suggest-interval 1 --on-battery ignore --summary --json <"$T_DIR/typed" >"$T_DIR/ev" 2>"$T_DIR/ev.err" &
pid=$!
for _ in $(seq 300); do grep -q '"segment.final"' "$T_DIR/ev" && break; sleep 0.2; done
echo "? who owns the budget" >&3
for _ in $(seq 300); do grep -q '"answer"' "$T_DIR/ev" && grep -q '"suggestion"' "$T_DIR/ev" && break; sleep 0.2; done
kill -TERM $pid
wait $pid
RC=$?
exec 3>&-
expect_rc 143 && python3 - "$T_DIR/ev" "$db" <<'PY' && t_ok || t_fail "$(tail -3 "$T_DIR/ev.err")"
import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev if e["event"] not in ("backlog", "level")]
def labelled(e):
    r = e.get("remote")
    return isinstance(r, dict) and r.get("server") == "team" and isinstance(r.get("model"), str)
ans = [e for e in ev if e["event"] == "answer"]
sug = [e for e in ev if e["event"] == "suggestion"]
tok = [e for e in ev if e["event"] == "token"]
assert ans and sug and tok, kinds
assert ans[0]["detail"] == "who owns the budget" and ans[0]["text"], ans[0]
assert all(labelled(e) for e in ans + sug + tok), [e for e in ans + sug + tok if not labelled(e)][:2]
# Speech recognition stays local: segments carry no server label.
segs = [e for e in ev if e["event"] == "segment.final"]
assert segs and not any("remote" in e for e in segs), segs[:1]
made = [e for e in ev if e["event"] == "progress" and e.get("text") == "summary"]
assert made and labelled(made[0]), ("no labelled summary at stop", [e for e in ev if e["event"] == "error"])
c = sqlite3.connect(sys.argv[2])
arts = list(c.execute("SELECT kind, format, model, meta FROM artifacts WHERE session_id=1"))
assert {("summary", "json"), ("summary", "markdown"), ("suggestions", "json")} <= {(k, f) for k, f, _, _ in arts}, arts
for k, f, model, meta in arts:
    assert model.startswith("remote:team/"), (k, model)
    assert json.loads(meta)["remote"]["server"] == "team", (k, meta)
chat = list(c.execute("SELECT role, model FROM chat_messages WHERE session_id=1 ORDER BY id"))
assert [r for r, _ in chat] == ["user", "assistant"], chat
assert chat[1][1].startswith("remote:team/"), chat
PY
grep -q "shown once" "$T_DIR/ev.err" && t_fail "the notice about this computer's CPU was shown for a team server"

t_begin "the default server on the terminal: the summary after [remote: team]"
"$P" remote default team >/dev/null
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --ctx 4096 --summary
expect_rc 0 && expect_err "Assistant: team server 'team' (questions, the summary)" &&
    grep -A1 "^\[remote: team\] *$" "$T_DIR/out" | tail -1 | grep -q . && ! grep -q "error" "$T_DIR/err" && t_ok ||
    t_fail "$(out | tail -5; err | tail -3)"

t_begin "the default server, stopped: a labelled error, nothing from it stored, nothing run locally"
llama_server_stop
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --ctx 4096 --summary
expect_rc 0 && expect_err "Assistant: team server 'team'" && expect_err "\[remote: team\] error: the summary failed on remote:team/" &&
    expect_err "cannot be reached" && expect_err "Nothing was run locally" && python3 - "$db" <<'PY' && t_ok || t_fail "$(err | tail -5)"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
sid = max(r for r, in c.execute("SELECT id FROM sessions"))
assert c.execute("SELECT count(*) FROM segments WHERE session_id=?", (sid,)).fetchone()[0] > 0, "no transcript"
assert c.execute("SELECT count(*) FROM artifacts WHERE session_id=?", (sid,)).fetchone()[0] == 0, "something stored"
PY

t_begin "--local with a default server: the assistant needs a local model (none is used from the server)"
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --local --summary
expect_rc 2 && expect_err "need --model" && ! grep -q "'team'\|remote: team" "$T_DIR/err" && t_ok

t_done
