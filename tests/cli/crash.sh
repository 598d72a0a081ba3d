# crash.sh: kill -9 at points during transcription, a summary, a database write and a
# download; afterwards the database passes PRAGMA integrity_check, nothing is half-stored
# (every session holds all its segments, every artifact is whole JSON), later runs work,
# and the download resumes from its .part (a Range request) and verifies.
. "$(dirname "$0")/../cli_lib.sh"
need_vad
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
P=$PARLEY_BIN
DB="$XDG_DATA_HOME/parley/parley.db"
LLM=(--model stories260K --template chatml --threads 1 --ctx 2048)

# db_check WANT_SEGMENTS: integrity ok; every session whole (WANT_SEGMENTS segments,
# idx 0..n-1; 0 = any count but contiguous); every artifact's JSON content parses.
db_check() {
    python3 - "$DB" "$1" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); want = int(sys.argv[2])
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
assert ok == "ok", f"integrity_check: {ok}"
fk = db.execute("PRAGMA foreign_key_check").fetchall()
assert not fk, f"foreign keys: {fk}"
for sid, title in db.execute("SELECT id, title FROM sessions"):
    idx = [r[0] for r in db.execute("SELECT idx FROM segments WHERE session_id=? ORDER BY idx", (sid,))]
    assert idx == list(range(len(idx))), f"session {sid}: segment indices {idx[:10]}..."
    if want and title.startswith("crash"):
        assert len(idx) == want, f"session {sid} '{title}' holds {len(idx)} of {want} segments"
for aid, fmt, content in db.execute("SELECT id, format, content FROM artifacts"):
    if fmt == "json":
        json.loads(content)
print(db.execute("SELECT count(*) FROM sessions").fetchone()[0])
PY
}

# kill9_after SECONDS CMD...: starts CMD, kills it with SIGKILL after SECONDS (if alive).
kill9_after() {
    local s=$1; shift
    "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$s"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

t_begin "a complete transcription, for reference"
run "$P" transcribe "$WAV" --model tiny --threads 2 --no-fallback --format json --title reference
if expect_rc 0; then
    NSEG=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["segments"]))' "$T_DIR/out")
    [ "$NSEG" -gt 0 ] && t_ok || t_fail "no segments"
fi
NSEG=${NSEG:-0}

t_begin "kill -9 during transcription at 5 points: nothing half-stored"
for s in 0.3 1 2.5 5 9; do
    kill9_after "$s" "$P" transcribe "$WAV" --model tiny --threads 2 --no-fallback --title "crash $s"
done
if n=$(db_check "$NSEG" 2>&1); then t_ok; else t_fail "$n"; fi

t_begin "kill -9 during a summary at 4 points: no half artifact"
for s in 0.2 0.6 1.2 2.5; do
    kill9_after "$s" "$P" summarize 1 "${LLM[@]}" --item-chars 16 --max-items 2
done
if n=$(db_check "$NSEG" 2>&1); then
    run "$P" summarize 1 "${LLM[@]}" --item-chars 16 --max-items 2 --json
    expect_rc 0 && t_ok
else t_fail "$n"; fi

t_begin "kill -9 during database writes (a 20000-segment import, renames, deletes)"
python3 - "$T_DIR/big.json" <<'PY'
import json, sys
segs = [{"start": i * 0.5, "end": i * 0.5 + 0.4, "text": f"segment number {i} " + "words " * 20} for i in range(20000)]
json.dump({"title": "crash import", "language": "en", "duration": 10000, "segments": segs}, open(sys.argv[1], "w"))
PY
for s in 0.05 0.15 0.3 0.6; do
    kill9_after "$s" "$PARLEY_TOOLS/session_import" "$T_DIR/big.json" --db "$DB"
done
for i in 1 2 3 4 5 6; do
    kill9_after 0.0$i "$P" sessions rename 1 "renamed $i"
done
if n=$(db_check 0 2>&1); then
    python3 - "$DB" <<'PY' && t_ok || t_fail "an import was half-stored"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for sid, n in db.execute("SELECT s.id, count(g.id) FROM sessions s LEFT JOIN segments g ON g.session_id=s.id WHERE s.title='crash import' GROUP BY s.id"):
    assert n == 20000, f"session {sid}: {n} of 20000 segments"
PY
else t_fail "$n"; fi
"$P" sessions list >/dev/null 2>&1 || t_fail "sessions list after the kills"

t_begin "kill -9 during a download, then the pull resumes from the .part and verifies"
www="$T_DIR/www/test/slow/resolve/main"
mkdir -p "$www"
"$PARLEY_TOOLS/gguf_add_template" "$M" "$www/blob.gguf" || t_fail "gguf_add_template"
size=$(stat -c %s "$www/blob.gguf")
sha=$(sha256sum "$www/blob.gguf" | cut -d' ' -f1)
cat >"$T_DIR/server.py" <<'PY'
import http.server, os, sys, time
root, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        p = os.path.join(root, self.path.lstrip("/"))
        data = open(p, "rb").read()
        start = 0
        r = self.headers.get("Range")
        if r and r.startswith("bytes="):
            start = int(r[6:].split("-")[0])
        open(log, "a").write(f"{self.path} {start}\n")
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data)-1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        slow = not os.path.exists(os.path.join(root, "fast"))
        for i in range(start, len(data), 65536):
            self.wfile.write(data[i:i + 65536])
            if slow: time.sleep(0.1)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T_DIR/server.py" "$T_DIR/www" "$T_DIR/port" "$T_DIR/requests" &
server=$!
for _ in $(seq 50); do [ -s "$T_DIR/port" ] && break; sleep 0.1; done
mkdir -p "$XDG_CONFIG_HOME/parley"
cat >"$XDG_CONFIG_HOME/parley/catalog.json" <<JSON
{"format":1,"version":"test","models":[
 {"id":"slow-blob","label":"Slow Blob","kind":"llm","arch":"llama","repo":"test/slow","file":"blob.gguf",
  "size_bytes":$size,"size_exact":true,"sha256":"$sha","params_total":260000,
  "shape":{"n_layer":5,"n_embd":64,"n_head":8,"n_head_kv":4,"head_dim":8,"n_vocab":512}}]}
JSON
export PARLEY_MODEL_BASE_URL="http://127.0.0.1:$(cat "$T_DIR/port")"
part="$PARLEY_MODELS_DIR/blob.gguf.part"
# kill -9 once the .part holds some data (not at a fixed time: start-up speed varies)
"$P" models pull slow-blob >/dev/null 2>"$T_DIR/pull.err" &
pull=$!
for _ in $(seq 300); do
    [ -f "$part" ] && [ "$(stat -c %s "$part")" -gt 200000 ] && break
    kill -0 "$pull" 2>/dev/null || break
    sleep 0.05
done
kill -9 "$pull" 2>/dev/null; wait "$pull" 2>/dev/null
if [ -f "$part" ] && [ "$(stat -c %s "$part")" -gt 0 ] && [ ! -e "$PARLEY_MODELS_DIR/blob.gguf" ]; then
    kept=$(stat -c %s "$part")
    touch "$T_DIR/www/fast"
    run "$P" models pull slow-blob
    if expect_rc 0; then
        if cmp -s "$www/blob.gguf" "$PARLEY_MODELS_DIR/blob.gguf" && [ ! -e "$part" ] &&
            tail -1 "$T_DIR/requests" | awk -v k="$kept" '{exit !($2 > 0 && $2 <= k)}'; then t_ok
        else t_fail "no resume: kept $kept bytes, requests: $(cat "$T_DIR/requests")"; fi
    fi
else
    t_fail "no .part after kill -9 ($(ls -la "$PARLEY_MODELS_DIR" | tr '\n' ' ')): $(cat "$T_DIR/pull.err")"
fi
kill "$server" 2>/dev/null
unset PARLEY_MODEL_BASE_URL
rm -f "$XDG_CONFIG_HOME/parley/catalog.json"
t_done
