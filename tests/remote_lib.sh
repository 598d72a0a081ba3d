# remote_lib.sh: a real team server for the tests in tests/cli/ (sourced after
# cli_lib.sh; not a test): Debian's llama-server on 127.0.0.1 with the tiny stories260K
# model from ../shared/models, the chatml template and an API key.
#
#   remote_need                  skip the whole test unless the model and llama-server exist
#   free_port                    prints a free TCP port on 127.0.0.1
#   llama_server_start PORT KEY  starts it in the background (SERVER_PID), waits until
#                                /health answers (fails the test run when it does not)
#   llama_server_stop            stops it (also on exit)

REMOTE_MODEL="$PARLEY_SHARED/models/stories260K.gguf"
SERVER_PID=

remote_need() {
    [ -f "$REMOTE_MODEL" ] || t_skip_all "needs $REMOTE_MODEL"
    command -v llama-server >/dev/null || t_skip_all "needs llama-server (llama.cpp-tools)"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

llama_server_health() {
    python3 -c 'import sys,urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/health" % sys.argv[1], timeout=2)' "$1" 2>/dev/null
}

llama_server_start() {
    local port=$1 key=$2
    llama-server -m "$REMOTE_MODEL" --host 127.0.0.1 --port "$port" --api-key "$key" --chat-template chatml -c 4096 \
        -np 1 -t 1 --no-webui >"$T_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 600); do llama_server_health "$port" && return 0; sleep 0.1; done
    tail -5 "$T_DIR/server.log" >&2
    echo "llama-server did not start on 127.0.0.1:$port" >&2
    exit 1
}

llama_server_stop() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
