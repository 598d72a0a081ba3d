# serve_browser.sh: the pages end to end in headless Chromium (tests/browser/e2e.mjs)
# against a real `parley serve` with a temporary XDG tree: search, a meeting with summary
# and notes, an edit that persists, a streamed chat answer, the model picker pulling from
# a (slowed) loopback server, settings. Screenshots of each step land in
# build/browser-shots/. Needs Debian's chromium, node and playwright-core installed by
# tests/browser/setup.sh into build/node (never committed); without them it skips loudly.
. "$(dirname "$0")/../cli_lib.sh"
export PYTHONDONTWRITEBYTECODE=1
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M (see shared/models/MODELS.md)"
[ -x /usr/bin/chromium ] || t_skip_all "needs /usr/bin/chromium (Debian package chromium)"
command -v node >/dev/null || t_skip_all "needs node (Debian package nodejs)"
NODE_DIR="${PARLEY_NODE_DIR:-$PARLEY_TOOLS/node}"
[ -f "$NODE_DIR/node_modules/playwright-core/package.json" ] ||
    t_skip_all "needs playwright-core in $NODE_DIR (run tests/browser/setup.sh where npm can reach its registry)"
P=$PARLEY_BIN
SHOTS="$PARLEY_TOOLS/browser-shots"
rm -rf "$SHOTS" && mkdir -p "$SHOTS"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
LLM=(--model stories260K --template chatml --threads 1 --ctx 2048)

python3 - "$T_DIR" <<'PY'
import json, math, struct, sys, wave
d = sys.argv[1]
lines = [("me", "Welcome everyone, today we decide the budget for the new office."),
         ("them", "I think we should spend ten thousand on furniture."),
         ("me", "Agreed. Bob will send the quote by Friday."),
         ("them", "The landlord wants an answer by the end of the month.")]
json.dump({"title": "Budget sync", "language": "en", "segments": [
    {"start": i * 5.0, "end": i * 5.0 + 4.5, "speaker": sp, "text": t} for i, (sp, t) in enumerate(lines)]},
    open(d + "/a.json", "w"))
json.dump({"title": "Hiring plan", "language": "en", "segments": [
    {"start": 0, "end": 3, "text": "We hire two engineers in spring."}]}, open(d + "/b.json", "w"))
with wave.open(d + "/budget.wav", "wb") as w:   # 20 s of a quiet tone: the "recording"
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(800 * math.sin(i * 0.2))) for i in range(8000 * 20)))
PY
A=$("$PARLEY_TOOLS/session_import" "$T_DIR/a.json") && "$PARLEY_TOOLS/session_import" "$T_DIR/b.json" >/dev/null ||
    t_skip_all "session_import failed"
# session_import keeps no recording path: give the meeting its recording directly.
python3 - "$XDG_DATA_HOME/parley/parley.db" "$A" "$T_DIR/budget.wav" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE sessions SET source_path=? WHERE id=?", (sys.argv[3], int(sys.argv[2]))); c.commit()
PY
"$P" summarize "$A" "${LLM[@]}" --item-chars 40 --max-items 2 >/dev/null 2>&1 || t_skip_all "could not make the summary"
"$P" suggest "$A" "${LLM[@]}" --max-tokens 60 >/dev/null 2>&1 || t_skip_all "could not make the suggestions"

# A model host on loopback that sends slowly, so the page shows bytes, rate and time left.
www="$T_DIR/www/test/tiny/resolve/main"
mkdir -p "$www" "$XDG_CONFIG_HOME/parley"
"$PARLEY_TOOLS/gguf_add_template" "$M" "$www/tiny-chat.gguf" >/dev/null
size=$(stat -c %s "$www/tiny-chat.gguf")
python3 - "$T_DIR/www" "$T_DIR/port" >/dev/null 2>&1 <<'PY' &
import functools, http.server, os, sys, time
class Slow(http.server.SimpleHTTPRequestHandler):
    def copyfile(self, src, dst):
        while True:
            b = src.read(32768)
            if not b:
                break
            dst.write(b); dst.flush(); time.sleep(0.12)
h = functools.partial(Slow, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
www_pid=$!
for _ in $(seq 50); do [ -s "$T_DIR/port" ] && break; sleep 0.1; done
export PARLEY_MODEL_BASE_URL="http://127.0.0.1:$(cat "$T_DIR/port")"
cat >"$XDG_CONFIG_HOME/parley/catalog.json" <<JSON
{"format":1,"version":"test","models":[
 {"id":"tiny-chat","label":"Tiny Chat","kind":"llm","arch":"llama","repo":"test/tiny","file":"tiny-chat.gguf",
  "size_bytes":$size,"size_exact":true,"params_total":260000,
  "shape":{"n_layer":5,"n_embd":64,"n_head":8,"n_head_kv":4,"head_dim":8,"n_vocab":512}}]}
JSON

"$P" serve --no-measure "${LLM[@]}" >"$T_DIR/serve.out" 2>"$T_DIR/serve.err" &
srv=$!
trap 'kill $www_pid 2>/dev/null; kill -INT $srv 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$T_DIR/serve.out" ] && break; sleep 0.1; done
URL=$(head -n 1 "$T_DIR/serve.out")
# The notes through the API (a job; its event stream ends when they are stored).
URL="$URL" A="$A" python3 - <<'PY' || t_skip_all "could not make the notes"
import http.client, json, os, re
m = re.match(r"http://127.0.0.1:(\d+)/#token=(\w+)", os.environ["URL"])
port, tok = int(m.group(1)), m.group(2)
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
c.request("POST", "/api/sessions/%s/notes" % os.environ["A"], json.dumps({"max_tokens": 60}), h)
job = json.loads(c.getresponse().read())["job"]
c.request("GET", "/api/jobs/%d/events" % job, headers=h)
body = c.getresponse().read().decode()
assert "event: done" in body, body[-500:]
PY

t_begin "the pages in headless Chromium"
PARLEY_URL="$URL" SHOTS="$SHOTS" MEETING="$A" PROFILE="$T_DIR/profile" PULL_SIZE="$size" \
    NODE_PATH="$NODE_DIR/node_modules" HOME="$T_DIR" \
    timeout 300 node "$PARLEY_SRC/tests/browser/e2e.mjs" 2>"$T_DIR/node.err"
RC=$?
cat "$T_DIR/node.err" >&2
[ "$RC" = 0 ] && [ "$(ls "$SHOTS"/*.png | wc -l)" -ge 9 ] && t_ok || t_fail "node exit $RC"
kill -INT $srv; wait $srv
SRC=$?
t_begin "the server stopped cleanly and logged no token"
TOKEN=${URL#*token=}
[ "$SRC" = 130 ] && ! grep -q "$TOKEN" "$T_DIR/serve.err" && t_ok || t_fail "exit $SRC: $(cat "$T_DIR/serve.err")"
t_done
