# serve_browser_live.sh: the Live page end to end (tests/browser/live.mjs) on a private
# PulseAudio with two null sinks: a meeting started from the page on the virtual sources,
# speech played into both arriving as Me/Them lines, a typed note, a suggestion from the
# tiny stories260K model, stop, the summary made at stop. Screenshots in build/browser-shots/2*-live-*.png.
. "$(dirname "$0")/../cli_lib.sh"
. "$(dirname "$0")/../pulse_lib.sh"
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
[ -x /usr/bin/chromium ] || t_skip_all "needs /usr/bin/chromium (Debian package chromium)"
command -v node >/dev/null || t_skip_all "needs node (Debian package nodejs)"
NODE_DIR="${PARLEY_NODE_DIR:-$PARLEY_TOOLS/node}"
[ -f "$NODE_DIR/node_modules/playwright-core/package.json" ] ||
    t_skip_all "needs playwright-core in $NODE_DIR (run tests/browser/setup.sh where npm can reach its registry)"
command -v espeak-ng >/dev/null || t_skip_all "needs espeak-ng"
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
pulse_start
espeak-ng -w "$T_DIR/me.wav" "Hello everyone, I would like to talk about the budget for next year." 2>/dev/null
espeak-ng -w "$T_DIR/them.wav" "Thanks, we agree, and the release ships on Friday afternoon." 2>/dev/null
SHOTS="$PARLEY_TOOLS/browser-shots"
mkdir -p "$SHOTS"
"$PARLEY_BIN" serve --no-measure --model stories260K --template chatml --threads 1 --ctx 8192 \
    >"$T_DIR/serve.out" 2>"$T_DIR/serve.err" &
srv=$!
trap 'kill -INT $srv 2>/dev/null; pulse_stop' EXIT
for _ in $(seq 100); do [ -s "$T_DIR/serve.out" ] && break; sleep 0.1; done
t_begin "GET /api/devices lists both null sinks' monitors, with the defaults marked"
url=$(head -n 1 "$T_DIR/serve.out")
python3 - "$url" <<'PY' 2>"$T_DIR/dev.err" && t_ok || t_fail "$(cat "$T_DIR/dev.err")"
import json, sys, urllib.request
url = sys.argv[1]; base, tok = url.split("/#token=")
req = urllib.request.Request(base + "/api/devices", headers={"Authorization": "Bearer " + tok})
d = json.load(urllib.request.urlopen(req, timeout=10))["devices"]
n = {x["name"]: x for x in d}
assert n["mic.monitor"]["default_mic"] and n["mic.monitor"]["kind"] == "monitor", d
assert n["meeting.monitor"]["default_system"], d
PY
t_begin "the Live page on virtual PulseAudio sources"
PARLEY_URL=$(head -n 1 "$T_DIR/serve.out") SHOTS="$SHOTS" PROFILE="$T_DIR/profile" ME_WAV="$T_DIR/me.wav" \
    THEM_WAV="$T_DIR/them.wav" NODE_PATH="$NODE_DIR/node_modules" HOME="$T_DIR" \
    timeout 400 node "$PARLEY_SRC/tests/browser/live.mjs" 2>"$T_DIR/node.err"
RC=$?
cat "$T_DIR/node.err" >&2
[ "$RC" = 0 ] && t_ok || t_fail "node exit $RC; server: $(tail -5 "$T_DIR/serve.err")"
t_done
