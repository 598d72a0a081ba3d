# offline.sh: issue 3's promise that Parley works with no network at all: inside a
# network namespace that has only loopback (unshare -n), a recording is transcribed, the
# session summarised and asked about, and every result is checked. The tiny whisper
# stand-in, the Silero VAD and stories260K (with an explicit chatml template) stand in
# for real models.
. "$(dirname "$0")/../cli_lib.sh"
need_vad
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M (see shared/models/MODELS.md)"
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"
command -v unshare >/dev/null || t_skip_all "needs unshare (util-linux)"
unshare -n true 2>/dev/null || t_skip_all "unshare -n is not permitted here (needs root or user namespaces)"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
P=$PARLEY_BIN

# Everything below runs in one namespace with only loopback.
cat >"$T_DIR/inside.sh" <<'SH'
set -u
P=$1 WAV=$2 D=$3
# Proof of isolation: only lo exists, and a connection to a public address cannot even start.
ip -o link show | awk -F': ' '{print $2}' >"$D/links"
python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(2)
try:
    s.connect(("192.0.2.1", 80)); print("connected")
except OSError as e:
    print("refused", e.errno)
' >"$D/connect"
"$P" transcribe "$WAV" --model tiny --threads 2 --no-fallback --format json --title "Offline" >"$D/transcript.json" 2>"$D/transcribe.err"
echo "transcribe $?" >"$D/rcs"
"$P" summarize 1 --model stories260K --template chatml --threads 1 --ctx 2048 --item-chars 16 --max-items 2 --json >"$D/summary.json" 2>"$D/summary.err"
echo "summarize $?" >>"$D/rcs"
"$P" ask 1 "What is the rule about?" --model stories260K --template chatml --threads 1 --ctx 2048 --max-tokens 24 --json >"$D/ask.json" 2>"$D/ask.err"
echo "ask $?" >>"$D/rcs"
"$P" sessions export 1 --format json >"$D/export.json" 2>"$D/export.err"
echo "export $?" >>"$D/rcs"
SH

t_begin "transcribe, summarize and ask inside a namespace with only loopback"
unshare -n bash "$T_DIR/inside.sh" "$P" "$WAV" "$T_DIR"
python3 - "$T_DIR" <<'PY' && t_ok || t_fail "$(cat "$T_DIR"/rcs "$T_DIR"/*.err 2>/dev/null | head -c 1500)"
import json, sys, os
d = sys.argv[1]
links = open(f"{d}/links").read().split()
assert links == ["lo"], f"interfaces in the namespace: {links}"
assert open(f"{d}/connect").read().startswith("refused"), open(f"{d}/connect").read()
rcs = dict(l.split() for l in open(f"{d}/rcs"))
assert rcs == {"transcribe": "0", "summarize": "0", "ask": "0", "export": "0"}, rcs
t = json.load(open(f"{d}/transcript.json"))
assert len(t["segments"]) >= 3 and all(s["text"].strip() for s in t["segments"]), t
s = json.load(open(f"{d}/summary.json"))
c = s["content"]
assert c["title"] and c["overview"] and all(isinstance(c[k], list) for k in ("key_points", "decisions", "action_items", "open_questions")), c
assert s["artifact_id"] > 0 and s["stats"]["output_tokens"] > 0, s
a = json.load(open(f"{d}/ask.json"))
assert a["question"] == "What is the rule about?" and a["answer"] and a["stats"]["output_tokens"] > 0, a
e = json.load(open(f"{d}/export.json"))
assert e["summary"]["content"]["title"] == c["title"], e["summary"]
assert [m["role"] for m in e["chat"]] == ["user", "assistant"] and e["chat"][1]["content"] == a["answer"], e["chat"]
print(f"offline: {len(t['segments'])} segments, summary '{c['title']}', answer {len(a['answer'])} chars", file=sys.stderr)
PY
t_done
