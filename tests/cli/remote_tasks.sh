#!/usr/bin/env bash
# remote_tasks.sh: summarize, notes, ask and suggest with --remote NAME against Debian's
# real llama-server on 127.0.0.1 (the tiny stories260K model, chatml, an API key): each
# streams, is labelled [remote: NAME], and is stored as remote:NAME/MODEL with the server
# in its meta; a default server is used until --local; and the failures (a wrong token, a
# server that says nothing past --timeout, a stopped server) each exit non-zero with an
# error naming the server, store nothing and run nothing locally. No --model is given and
# the models directory is empty: the local LLM is never loaded.
. "$(dirname "$0")/../cli_lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
P=$PARLEY_BIN
remote_need
PORT=$(free_port)
SLOW_PID=
cleanup() {
    llama_server_stop
    [ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT

python3 - >"$T_DIR/s.json" <<'PY'
import json
lines = [("Ann", "Welcome everyone, today we decide the budget."), ("Bob", "Ten thousand for furniture."),
         ("Ann", "Agreed. Bob sends the quote by Friday."), ("Cy", "What about the internet contract?")]
print(json.dumps({"title": "Budget sync", "language": "en",
                  "segments": [{"start": i * 5.0, "end": i * 5.0 + 4.5, "speaker": s, "text": t}
                               for i, (s, t) in enumerate(lines)]}))
PY
S=$("$PARLEY_TOOLS/session_import" "$T_DIR/s.json") || t_skip_all "session_import failed"
n_artifacts() { "$P" sessions artifacts "$S" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

echo secret >"$T_DIR/token"
echo wrong >"$T_DIR/bad-token"
"$P" remote add team "http://127.0.0.1:$PORT" --token-file "$T_DIR/token" >/dev/null &&
    "$P" remote add wrongkey "http://127.0.0.1:$PORT" --token-file "$T_DIR/bad-token" >/dev/null ||
    { echo "remote add failed" >&2; exit 1; }

llama_server_start "$PORT" secret
R=(--remote team --ctx 4096)

t_begin "summarize --remote: the grammar's JSON, stored as remote:team/..., labelled in the meta"
run "$P" summarize "$S" "${R[@]}" --item-chars 16 --max-items 2 --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600) $(err | head -c 400)"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["content"]
assert isinstance(c["title"], str) and isinstance(c["action_items"], list), c
assert d["model"].startswith("remote:team/") and d["remote"]["server"] == "team", d
assert d["meta"]["remote"]["server"] == "team" and d["artifact_id"] > 0, d
assert d["stats"]["output_tokens"] > 0, d
PY
run "$P" sessions artifacts "$S" --json
out | python3 -c '
import json,sys
a=json.load(sys.stdin)
assert len(a)==2 and all(x["model"].startswith("remote:team/") for x in a), a' || t_fail "artifacts: $(out)"

t_begin "notes --remote stream to stdout after [remote: team]"
run "$P" notes "$S" "${R[@]}" --max-tokens 30
expect_rc 0 && expect_err "\[remote: team\]" && expect_err "made by team server 'team'" && [ "$(wc -c <"$T_DIR/out")" -gt 5 ] &&
    [ "$(n_artifacts)" = 3 ] && t_ok

t_begin "ask --remote: an answer, stored with the server's label"
run "$P" ask "$S" "Who sends the quote?" "${R[@]}" --max-tokens 16 --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["answer"], str) and d["answer"], d
assert d["model"].startswith("remote:team/") and d["meta"]["remote"]["server"] == "team", d
PY

t_begin "suggest --remote streams; the array is stored"
run "$P" suggest "$S" "${R[@]}" --item-chars 24
expect_rc 0 && expect_err "\[remote: team\]" && head -n 1 "$T_DIR/out" | python3 -c '
import json,sys; a=json.loads(sys.stdin.readline()); assert isinstance(a,list) and 1<=len(a)<=3, a' &&
    [ "$(n_artifacts)" = 4 ] && t_ok

t_begin "a default server is used unless --local; --local never connects"
"$P" remote default team >/dev/null
run "$P" suggest "$S" --ctx 4096 --item-chars 24
expect_rc 0 && expect_err "\[remote: team\]" && [ "$(n_artifacts)" = 5 ] &&
    run "$P" suggest "$S" --local && expect_rc 1 && expect_err "no LLM" && ! grep -q "\[remote:\|server '" "$T_DIR/err" &&
    [ "$(n_artifacts)" = 5 ] && t_ok
"$P" remote default --none >/dev/null

t_begin "a wrong token: refused, named, nothing stored or run locally"
run "$P" summarize "$S" --remote wrongkey --ctx 4096
expect_rc 1 && expect_err "server 'wrongkey' refused the token" && [ ! -s "$T_DIR/out" ] &&
    [ "$(n_artifacts)" = 5 ] && t_ok

t_begin "a server that says nothing past --timeout: given up, nothing stored"
SLOW_PORT=$(free_port)
python3 -c '
import sys, time, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        time.sleep(30)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$SLOW_PORT" &
SLOW_PID=$!
"$P" remote add slow "http://127.0.0.1:$SLOW_PORT" >/dev/null
for _ in $(seq 50); do python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$SLOW_PORT" 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s)
run "$P" notes "$S" --remote slow --timeout 1
expect_rc 1 && expect_err "server 'slow' sent nothing for 1 s" && expect_err "Nothing was run locally" &&
    [ $(($(date +%s) - t0)) -le 10 ] && [ "$(n_artifacts)" = 5 ] && t_ok

t_begin "a stopped server: cannot be reached, nothing stored"
llama_server_stop
run "$P" suggest "$S" "${R[@]}"
expect_rc 1 && expect_err "server 'team'" && expect_err "cannot be reached" && expect_err "Nothing was run locally" &&
    [ "$(n_artifacts)" = 5 ] && t_ok

t_done
