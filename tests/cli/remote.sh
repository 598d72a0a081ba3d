#!/usr/bin/env bash
# remote.sh: `parley remote` against Debian's real llama-server on 127.0.0.1 (the tiny
# stories260K model, chatml template, an API key): adding, listing and removing servers,
# a streamed chat, structured output by JSON schema and by grammar, every answer labelled
# with the server's name; and the failures, each a clear error and never a local retry:
# a wrong token, a stopped server, a server that accepts and then says nothing.
. "$(dirname "$0")/../cli_lib.sh"
P=$PARLEY_BIN
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
command -v llama-server >/dev/null || t_skip_all "needs llama-server (llama.cpp-tools)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
SERVER_PID=
SLOW_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    [ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT

t_begin "no servers: an empty list, and no connection at all"
run "$P" remote list --json && expect_rc 0 &&
    out | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d=={"remotes":[],"default":None}, d' &&
    run "$P" remote list && expect_rc 0 && grep -q "connects nowhere" "$T_DIR/out" && {
    if command -v strace >/dev/null; then
        strace -f -qq -e trace=connect -o "$T_DIR/strace" "$P" remote list >/dev/null 2>&1
        strace -f -qq -e trace=connect -o "$T_DIR/strace2" "$P" remote chat nosuch hi >/dev/null 2>&1
        if grep -q "AF_INET" "$T_DIR/strace" "$T_DIR/strace2"; then t_fail "a connection was made: $(grep AF_INET "$T_DIR"/strace*)"; else t_ok; fi
    else t_ok; fi
}

t_begin "bad input is refused with a reason and changes nothing"
echo secret >"$T_DIR/token"
echo wrong >"$T_DIR/bad-token"
run "$P" remote add team ftp://127.0.0.1/ && expect_rc 1 && expect_err "only http" &&
    run "$P" remote add team "http://user:pw@127.0.0.1:$PORT" && expect_rc 1 && expect_err "token goes in" &&
    run "$P" remote add "bad name" "http://127.0.0.1:$PORT" && expect_rc 1 && expect_err "not a usable server name" &&
    run "$P" remote add team "http://127.0.0.1:$PORT" --token-file "$T_DIR/nope" && expect_rc 1 && expect_err "no such file" &&
    run "$P" remote list --json && out | python3 -c 'import json,sys; assert json.load(sys.stdin)["remotes"]==[]' && t_ok

t_begin "add, default, list"
run "$P" remote add team "http://127.0.0.1:$PORT" --token-file "$T_DIR/token" && expect_rc 0 &&
    run "$P" remote add team "http://127.0.0.1:$PORT" && expect_rc 1 && expect_err "exists already" &&
    run "$P" remote add wrongkey "http://127.0.0.1:$PORT/v1" --token-file "$T_DIR/bad-token" && expect_rc 0 &&
    run "$P" remote default team && expect_rc 0 &&
    run "$P" remote list --json && out | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["default"]=="team", d
assert [r["name"] for r in d["remotes"]]==["team","wrongkey"], d
assert d["remotes"][0]["token_file"].endswith("/token") and d["remotes"][0]["default"]
assert "secret" not in json.dumps(d)' && ! grep -q secret "$XDG_CONFIG_HOME/parley/remotes.json" && t_ok

llama-server -m "$M" --host 127.0.0.1 --port "$PORT" --api-key secret --chat-template chatml -c 1024 -np 1 -t 1 \
    --no-webui >"$T_DIR/server.log" 2>&1 &
SERVER_PID=$!
health() { python3 -c 'import sys,urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=2)' "$PORT" 2>/dev/null; }
for _ in $(seq 600); do health && break; sleep 0.1; done
health || { tail -5 "$T_DIR/server.log" >&2; t_fail "llama-server did not start on 127.0.0.1:$PORT"; t_done; exit 1; }

t_begin "a streamed chat, labelled with the server's name"
run "$P" remote chat team "Tell me a story." --max-tokens 24 && expect_rc 0 && expect_err "\[remote: team\]" &&
    expect_err "made by team server 'team'" && [ "$(wc -c <"$T_DIR/out")" -gt 10 ] &&
    run "$P" remote chat team "Tell me a story." --max-tokens 24 --json && expect_rc 0 && out | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["remote"]["server"]=="team", d
assert len(d["text"])>10 and d["n_generated"]>0 and d["finish"] in ("length","stop"), d' && t_ok

t_begin "summary-like JSON through the server's JSON-schema support"
cat >"$T_DIR/schema.json" <<'EOF'
{"type":"object","properties":{"overview":{"type":"string","maxLength":60},
 "decisions":{"type":"array","items":{"type":"string","maxLength":30},"maxItems":2},
 "action_items":{"type":"array","items":{"type":"object","properties":{"owner":{"type":"string","maxLength":12},
 "task":{"type":"string","maxLength":30}},"required":["owner","task"],"additionalProperties":false},"maxItems":2}},
 "required":["overview","decisions","action_items"],"additionalProperties":false}
EOF
run "$P" remote chat team "Summarise the meeting." --schema "$T_DIR/schema.json" --max-tokens 400 --json &&
    expect_rc 0 && out | python3 -c '
import json,sys
d=json.load(sys.stdin)
assert d["remote"]["server"]=="team"
s=json.loads(d["text"])
assert set(s)=={"overview","decisions","action_items"}, s
assert isinstance(s["overview"],str) and isinstance(s["decisions"],list) and len(s["decisions"])<=2, s
for a in s["action_items"]: assert set(a)=={"owner","task"}, a' && t_ok

t_begin "structured output through a grammar"
printf 'root ::= "yes" | "no"\n' >"$T_DIR/yn.gbnf"
run "$P" remote chat team "Is it done?" --grammar "$T_DIR/yn.gbnf" --max-tokens 8 --json && expect_rc 0 &&
    out | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["text"] in ("yes","no"), d' && t_ok

t_begin "a wrong token: refused, clearly, nothing run locally"
run "$P" remote chat wrongkey "Hello" --max-tokens 8 && expect_rc 1 && expect_err "refused the token" &&
    expect_err "wrongkey" && [ ! -s "$T_DIR/out" ] && t_ok

t_begin "a server that accepts and then says nothing: given up after the idle timeout"
SLOW_PORT=$(free_port)
python3 -c '
import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
conns=[]
while True:
    c,_=s.accept(); conns.append(c)' "$SLOW_PORT" &
SLOW_PID=$!
sleep 0.3
"$P" remote add slow "http://127.0.0.1:$SLOW_PORT" >/dev/null
t0=$(date +%s)
run "$P" remote chat slow "Hello" --timeout 1 && expect_rc 1 && expect_err "sent nothing for 1 s" &&
    expect_err "Nothing was run locally" && [ $(($(date +%s) - t0)) -le 8 ] && t_ok

t_begin "a stopped server: cannot be reached, nothing run locally"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
run "$P" remote chat team "Hello" --max-tokens 8 && expect_rc 1 && expect_err "server 'team'" &&
    expect_err "cannot be reached" && expect_err "Nothing was run locally" && t_ok

t_begin "rm forgets a server and its default mark"
run "$P" remote rm team && expect_rc 0 && run "$P" remote rm team && expect_rc 1 && expect_err "no server named" &&
    run "$P" remote list --json && out | python3 -c '
import json,sys; d=json.load(sys.stdin); assert d["default"] is None and [r["name"] for r in d["remotes"]]==["wrongkey","slow"], d' && t_ok

t_done
