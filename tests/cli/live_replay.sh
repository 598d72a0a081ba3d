#!/usr/bin/env bash
# live_replay.sh: `parley live --input FILE` (no sound server needed): a recording replayed
# as the microphone, as fast as possible, becomes a finished session of "Me" segments at
# the phrases' times, with its recording; bad input and bad options get clear errors and
# leave nothing behind.
. "$(dirname "$0")/../cli_lib.sh"
P=$PARLEY_BIN
CHECK="python3 $(dirname "$0")/../live_check.py"
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || t_skip_all "needs espeak-ng and sox"
db="$XDG_DATA_HOME/parley/parley.db"
espeak-ng -w "$T_DIR/a.wav" "Hello everyone, this is the weekly meeting about the budget." 2>/dev/null
sox -n -r 22050 -c 1 "$T_DIR/sil.wav" trim 0 2
sox "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/in.wav"
a_ms=$(soxi -D "$T_DIR/a.wav" | awk '{printf "%d", $1*1000}')

t_begin "a replayed recording becomes a finished session with Me segments where the phrases are"
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --title Replay --json
expect_rc 0 && $CHECK session "$db" 1 >"$T_DIR/s.json" &&
    python3 - "$T_DIR/s.json" "$a_ms" "$T_DIR/out" <<'PY' && t_ok || t_fail "$(cat "$T_DIR/s.json")"
import json, sys
s = json.load(open(sys.argv[1])); a = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[3])]
assert [e["event"] for e in ev][0] == "started" and ev[-1]["event"] == "stopped", [e["event"] for e in ev]
assert s["status"] == "finished" and s["audio_path"]
segs = s["segments"]
assert all(g["speaker"] == "Me" for g in segs), segs
for start in (2000, 4000 + a):
    assert any(min(g["t1"], start + a) > max(g["t0"], start) for g in segs), "nothing over %d" % start
assert len([e for e in ev if e["event"] == "segment.final"]) == len(segs)
PY

t_begin "--repass: the recording is transcribed again with another model, which replaces the live segments"
ln "$(readlink -f "$PARLEY_MODELS_DIR/ggml-tiny.bin")" "$T_DIR/second-pass.bin" 2>/dev/null || cp "$PARLEY_MODELS_DIR/ggml-tiny.bin" "$T_DIR/second-pass.bin"
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --title Repass --json \
    --repass "$T_DIR/second-pass.bin"
expect_rc 0 && $CHECK session "$db" 2 >"$T_DIR/s2.json" &&
    python3 - "$T_DIR/s2.json" "$a_ms" "$T_DIR/out" "$db" <<'PY' && t_ok || t_fail "$(cat "$T_DIR/s2.json") $(tail -3 "$T_DIR/out")"
import json, sqlite3, sys
s = json.load(open(sys.argv[1])); a = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[3])]
done = [e for e in ev if e["event"] == "repass.done"]
assert done and done[0]["session_id"] == 2 and done[0]["model"] == "second-pass.bin", ev[-3:]
assert any(e["event"] == "progress" and e.get("text") == "repass" for e in ev), "no progress"
model = sqlite3.connect(sys.argv[4]).execute("SELECT model FROM sessions WHERE id = 2").fetchone()[0]
assert model == "second-pass.bin", model
segs = s["segments"]
assert segs and all(g["speaker"] == "Me" for g in segs), segs
for start in (2000, 4000 + a):
    assert any(min(g["t1"], start + a) > max(g["t0"], start) for g in segs), "nothing over %d" % start
PY

t_begin "--repass: a model that is not there is an error before the meeting; without the recording, a usage error"
run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny --repass no-such-model
expect_rc 1 && expect_err "no-such-model" && [ "$(n_sessions)" = 2 ] || t_fail "rc $RC: $(err)"
run "$P" live --input "$T_DIR/in.wav" --no-system --asr-model tiny --repass tiny --no-keep-audio
expect_rc 2 && expect_err "no-keep-audio" && [ "$(n_sessions)" = 2 ] && t_ok

t_begin "a file that is not audio: a clear error, no session"
echo "not audio" >"$T_DIR/bad.wav"
run "$P" live --input "$T_DIR/bad.wav" --no-system --asr-model tiny
expect_rc 1 && expect_err "bad.wav" && [ "$(n_sessions)" = 2 ] && t_ok

t_begin "contradicting or bad options are usage errors"
run "$P" live --system x --no-system
expect_rc 2 || true
r1=$RC
run "$P" live --speed 2
r2=$RC
run "$P" live --duration -1
[ "$r1" = 2 ] && [ "$r2" = 2 ] && [ "$RC" = 2 ] && t_ok || t_fail "exits $r1 $r2 $RC"

t_done
