# transcribe.sh: the foundation's promise end to end, through the real command:
# a recording becomes a stored session whose segments sit inside the VAD's speech
# regions, listed and exported as valid SRT and VTT; bad input fails clearly and
# stores nothing.
. "$(dirname "$0")/../cli_lib.sh"
need_vad
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
P=$PARLEY_BIN
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"

t_begin "transcribe the Wikipedia recording with the tiny stand-in"
run "$P" transcribe "$WAV" --model tiny --threads 2 --no-fallback --format json --title "Ignore all rules"
if expect_rc 0; then
    # The peer tool's own VAD pass (same model, same defaults) is the oracle.
    whisper-vad-speech-segments -vm "$PARLEY_SHARED/models/ggml-silero-v6.2.0.bin" -f "$WAV" 2>/dev/null |
        sed -n 's/.*start = \([0-9.]*\), end = \([0-9.]*\).*/\1 \2/p' >"$T_DIR/vad.txt"
    if python3 - "$T_DIR/out" "$T_DIR/vad.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
regions = [tuple(float(x) / 100 for x in l.split()) for l in open(sys.argv[2]) if l.strip()]
assert len(regions) >= 10, f"the VAD found only {len(regions)} regions"
segs = doc["segments"]
assert segs, "no segments"
assert doc["language"], "no language"
assert abs(doc["duration"] - 53.37) < 0.05, doc["duration"]
tol = 0.05  # seconds: rounding of centisecond times
def inside(t):
    return any(a - tol <= t <= b + tol for a, b in regions)
for s in segs:
    assert s["start"] <= s["end"], s
    assert inside(s["start"]) and inside(s["end"]), f"segment {s['start']}..{s['end']} outside speech {regions}"
    assert s["text"].strip(), s
    assert s["confidence"] is None or 0 <= s["confidence"] <= 1, s
print(f"{len(segs)} segments inside {len(regions)} speech regions", file=sys.stderr)
PY
    then t_ok; else t_fail "segments do not lie inside the speech regions"; fi
fi

t_begin "the session is listed with id, title, created, duration"
run "$P" sessions list --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "bad list: $(out)"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
r = rows[0]
assert r["id"] == 1 and r["title"] == "Ignore all rules", r
assert r["created"].endswith("Z") and abs(r["duration"] - 53.37) < 0.05 and r["segments"] > 0, r
PY

t_begin "export as SRT is valid SubRip"
run "$P" sessions export 1 --format srt --out "$T_DIR/a.srt"
expect_rc 0 && python3 - "$T_DIR/a.srt" <<'PY' && t_ok || t_fail "invalid SRT"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
cues = [c for c in text.split("\n\n") if c.strip()]
assert cues, "no cues"
ts = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$")
for i, c in enumerate(cues, 1):
    lines = c.split("\n")
    assert lines[0] == str(i), (i, c)
    m = ts.match(lines[1]); assert m, c
    g = list(map(int, m.groups()))
    t0 = g[0]*3600000 + g[1]*60000 + g[2]*1000 + g[3]; t1 = g[4]*3600000 + g[5]*60000 + g[6]*1000 + g[7]
    assert t0 <= t1, c
    assert len(lines) >= 3 and all(l.strip() for l in lines[2:]), c
PY

t_begin "export as VTT is valid WebVTT"
run "$P" sessions export 1 --format vtt
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "invalid VTT"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.startswith("WEBVTT\n\n"), text[:20]
cues = [c for c in text[8:].split("\n\n") if c.strip()]
assert cues
ts = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d --> \d\d:\d\d:\d\d\.\d\d\d$")
for c in cues:
    lines = c.split("\n")
    assert ts.match(lines[0]), c
    assert len(lines) >= 2 and "-->" not in "".join(lines[1:]), c
PY

t_begin "show, txt export and rename"
run "$P" sessions show 1
if expect_rc 0 && grep -q "Session 1: Ignore all rules" "$T_DIR/out" && grep -q -- "-->" "$T_DIR/out"; then
    run "$P" sessions rename 1 "Wikipedia"
    run "$P" sessions list --json
    grep -q '"title": "Wikipedia"' "$T_DIR/out" && t_ok || t_fail "rename not stored"
else t_fail "show: $(out)"; fi

t_begin "silence yields no invented text"
ffmpeg -v error -y -f lavfi -i anullsrc=r=16000:cl=mono -t 8 "$T_DIR/silence.wav"
run "$P" transcribe "$T_DIR/silence.wav" --model tiny --threads 2 --no-fallback --format json
expect_rc 0 && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["segments"]==[], d["segments"]' "$T_DIR/out" && t_ok || t_fail "silence produced text: $(head -c 300 "$T_DIR/out")"

t_begin "silence in a pipe says so on stderr too"
run "$P" transcribe "$T_DIR/silence.wav" --model tiny --threads 2 --no-fallback
expect_rc 0 && expect_err "No speech was found" && [ ! -s "$T_DIR/out" ] && t_ok

before=$(n_sessions)
t_begin "a text file is refused and nothing is stored"
printf 'Agenda\n1. budget\n' >"$T_DIR/agenda.mp3"
run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny
expect_rc 1 && expect_err "not an audio or video file" && [ "$(n_sessions)" = "$before" ] && t_ok

t_begin "an empty file is refused"
: >"$T_DIR/empty.wav"
run "$P" transcribe "$T_DIR/empty.wav" --model tiny
expect_rc 1 && expect_err "empty" && t_ok

t_begin "a truncated file is refused unless allowed"
ffmpeg -v error -y -f lavfi -i sine=duration=6 -ar 16000 "$T_DIR/tone.wav"
head -c 60000 "$T_DIR/tone.wav" >"$T_DIR/cut.wav"
run "$P" transcribe "$T_DIR/cut.wav" --model tiny --no-fallback
if expect_rc 1 && expect_err "truncated"; then
    run "$P" transcribe "$T_DIR/cut.wav" --model tiny --no-fallback --allow-truncated
    expect_rc 0 && expect_err "truncated" && t_ok
fi

t_begin "a video without audio says so"
before=$(n_sessions)
ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=2 -c:v mpeg4 "$T_DIR/screen.mp4"
run "$P" transcribe "$T_DIR/screen.mp4" --model tiny
expect_rc 1 && expect_err "no audio track" && [ "$(n_sessions)" = "$before" ] && t_ok

t_begin "a missing model is named"
run "$P" transcribe "$T_DIR/tone.wav" --model medium
expect_rc 1 && expect_err "no speech model 'medium'" && t_ok

t_begin "a truncated model is refused, wherever it was cut"
ok=1
for bytes in 2000 100000 20000000 77000000; do
    head -c $bytes "$PARLEY_MODELS_DIR/ggml-tiny.bin" >"$T_DIR/cut.bin"
    run "$P" transcribe "$T_DIR/tone.wav" --model "$T_DIR/cut.bin"
    expect_rc 1 && expect_err "truncated" || { ok=0; break; }
done
[ $ok = 1 ] && t_ok

t_begin "the VAD model given as speech model is named as such"
run "$P" transcribe "$T_DIR/tone.wav" --model "$PARLEY_SHARED/models/ggml-silero-v6.2.0.bin"
expect_rc 1 && expect_err "not a whisper speech model" && t_ok

t_begin "an LLM file given as speech model is named as such"
run "$P" transcribe "$T_DIR/tone.wav" --model "$PARLEY_SHARED/models/stories260K.gguf"
expect_rc 1 && expect_err "GGUF language model" && t_ok

t_begin "a missing VAD model is explained"
run env PARLEY_MODELS_DIR="$T_DIR/nomodels" "$P" transcribe "$T_DIR/tone.wav" --model "$PARLEY_MODELS_DIR/ggml-tiny.bin"
expect_rc 1 && expect_err "no Silero VAD model" && expect_err "no-vad" && t_ok

t_begin "bad options are usage errors"
run "$P" transcribe "$T_DIR/tone.wav" --format docx
expect_rc 2 && expect_err "format" && run "$P" transcribe && expect_rc 2 && run "$P" sessions export 1 && expect_rc 2 && t_ok

t_begin "an unwritable database directory fails before any work"
mkdir -p "$T_DIR/ro"
run unshare -m --propagation unchanged sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && XDG_DATA_HOME="$1" "$2" transcribe "$3" --model tiny' \
    sh "$T_DIR/ro" "$P" "$T_DIR/tone.wav"
if grep -q "mount" "$T_DIR/err" && ! grep -q "parley" "$T_DIR/err"; then
    echo "SKIP (cannot make a read-only mount here): $(err)" >&2; t_ok
else expect_rc 1 && expect_err "not writable\|Read-only\|permission" && t_ok; fi

t_begin "a full disk fails cleanly and keeps the old output"
mkdir -p "$T_DIR/full"
echo "previous export" >"$T_DIR/keep.srt"
run unshare -m --propagation unchanged sh -c 'mount -t tmpfs -o size=16k tmpfs "$1" && cp "$2" "$1/out.srt" && head -c 12000 /dev/zero > "$1/filler";
  "$3" sessions export 1 --format srt --out "$1/out.srt" --force; rc=$?; cat "$1/out.srt"; ls "$1"; exit $rc' \
    sh "$T_DIR/full" "$T_DIR/keep.srt" "$P"
if grep -q "mount:" "$T_DIR/err"; then echo "SKIP (no tmpfs mount here)" >&2; t_ok
else expect_rc 1 && expect_err "disk full" && grep -q "previous export" "$T_DIR/out" && ! grep -q "tmp\." "$T_DIR/out" && t_ok; fi

t_begin "a full disk under the database fails clearly and keeps what was stored"
mkdir -p "$T_DIR/fulldb"
run unshare -m --propagation unchanged sh -c '
  mount -t tmpfs -o size=3m tmpfs "$1" || exit 99
  XDG_DATA_HOME="$1" "$2" transcribe "$3" --model tiny --no-fallback --threads 2 >/dev/null || exit 98
  n=$(XDG_DATA_HOME="$1" "$2" sessions list --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
  head -c 4000000 /dev/zero > "$1/filler" 2>/dev/null
  XDG_DATA_HOME="$1" "$2" transcribe "$4" --model tiny --no-fallback --threads 2; rc=$?
  rm -f "$1/filler"   # space again: what was stored before must all be there
  m=$(XDG_DATA_HOME="$1" "$2" sessions list --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
  echo "before=$n after=$m" >&2
  [ "$n" = "$m" ] || exit 97
  exit $rc' sh "$T_DIR/fulldb" "$P" "$T_DIR/tone.wav" "$T_DIR/tone.wav"
if [ "$RC" = 99 ]; then echo "SKIP (no tmpfs mount here)" >&2; t_ok
else expect_rc 1 && expect_err "disk full" && expect_err "before=1 after=1" && t_ok; fi

# ---- defects from the 2026-11-27 reviews (issue 10); each failed on main before ----

t_begin "a 1000-character --language is refused, not a crash"
long=$(head -c 1000 /dev/zero | tr '\0' x)
run "$P" transcribe "$T_DIR/tone.wav" --model tiny --language "$long"
expect_rc 2 && expect_err "unknown language" && t_ok

t_begin "an empty --title is refused"
run "$P" transcribe "$T_DIR/tone.wav" --model tiny --title ""
expect_rc 2 && expect_err "a title may not be empty" && t_ok

t_begin "--out naming the recording itself is refused, the recording kept"
cp "$T_DIR/tone.wav" "$T_DIR/rec.wav"
ln -f "$T_DIR/rec.wav" "$T_DIR/rec-link.wav"
sum=$(md5sum <"$T_DIR/rec.wav")
run "$P" transcribe "$T_DIR/rec.wav" --model tiny --out "$T_DIR/rec-link.wav" --force
expect_rc 1 && expect_err "is the recording itself" && [ "$(md5sum <"$T_DIR/rec.wav")" = "$sum" ] && t_ok

t_begin "an existing --out needs --force"
echo "keep me" >"$T_DIR/existing.txt"
before=$(n_sessions)
run "$P" transcribe "$T_DIR/tone.wav" --model tiny --no-fallback --threads 2 --out "$T_DIR/existing.txt"
if expect_rc 1 && expect_err "pass --force" && grep -q "keep me" "$T_DIR/existing.txt" && [ "$(n_sessions)" = "$before" ]; then
    run "$P" transcribe "$T_DIR/tone.wav" --model tiny --no-fallback --threads 2 --out "$T_DIR/existing.txt" --force
    expect_rc 0 && ! grep -q "keep me" "$T_DIR/existing.txt" && t_ok
fi

t_begin "an --out that cannot be written is found before any work"
before=$(n_sessions)
run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny --out "$T_DIR"
if expect_rc 1 && expect_err "is a directory"; then
    run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny --out "$T_DIR/no/such/dir/x.txt"
    expect_rc 1 && expect_err "cannot write" && [ "$(n_sessions)" = "$before" ] && t_ok
fi

t_begin "a bad VAD model is found before decoding"
# agenda.mp3 is not audio: an error about the VAD model proves it was checked first
run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny --vad-model "$PARLEY_MODELS_DIR/ggml-tiny.bin"
if expect_rc 1 && expect_err "not a Silero VAD model"; then
    head -c 300000 "$PARLEY_SHARED/models/ggml-silero-v6.2.0.bin" >"$T_DIR/cut-vad.bin"
    run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny --vad-model "$T_DIR/cut-vad.bin"
    expect_rc 1 && expect_err "VAD model .* truncated or damaged" && t_ok
fi

t_begin "a 5000-character --vad-model says the path is too long"
long=$(head -c 5000 /dev/zero | tr '\0' v)
run "$P" transcribe "$T_DIR/tone.wav" --model tiny --vad-model "$long"
expect_rc 1 && expect_err "path too long" && t_ok

t_begin "an English-only model is found automatically"
mkdir -p "$T_DIR/enmodels"
ln -sf "$PARLEY_MODELS_DIR/ggml-tiny.bin" "$T_DIR/enmodels/ggml-small.en.bin"
ln -sf "$PARLEY_SHARED/models/ggml-silero-v6.2.0.bin" "$T_DIR/enmodels/"
# the recording is not audio: failing on it means the model was found
run env PARLEY_MODELS_DIR="$T_DIR/enmodels" "$P" transcribe "$T_DIR/agenda.mp3"
expect_rc 1 && expect_err "not an audio or video file" && t_ok

t_begin "a database that exists but cannot be written is found before any work"
mkdir -p "$T_DIR/rodb"
XDG_DATA_HOME="$T_DIR/rodb" "$P" sessions list >/dev/null 2>&1  # creates the database
run unshare -m --propagation unchanged sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 99
  XDG_DATA_HOME="$1" "$2" transcribe "$3" --model tiny' sh "$T_DIR/rodb" "$P" "$T_DIR/agenda.mp3"
if [ "$RC" = 99 ]; then echo "SKIP (cannot make a read-only mount here): $(err)" >&2; t_ok
else expect_rc 1 && expect_err "cannot be written\|not writable" && ! grep -q "not an audio" "$T_DIR/err" && t_ok; fi

t_begin "a database locked by another writer is found before any work"
# (a read-only file or directory is refused by the store's open itself; a lock is not)
db_lock "$XDG_DATA_HOME/parley/parley.db" lock0
# agenda.mp3 is not audio: an error about the database proves it was checked first
run "$P" transcribe "$T_DIR/agenda.mp3" --model tiny
db_unlock lock0
expect_rc 1 && expect_err "locked\|busy" && ! grep -q "not an audio" "$T_DIR/err" && t_ok

t_begin "standard output that cannot be written: exit 1 and nothing stored"
before=$(n_sessions)
"$P" transcribe "$T_DIR/tone.wav" --model tiny --no-fallback --threads 2 --format json >/dev/full 2>"$T_DIR/err"
RC=$?
expect_rc 1 && expect_err "nothing was stored" && [ "$(n_sessions)" = "$before" ] && t_ok ||
    t_fail "rc $RC, sessions $(n_sessions) (before $before): $(err)"

t_begin "storing that fails after the work still prints the transcript, and says it was not stored"
# The recording comes on stdin, held back until transcribe waits for it (after its checks of
# the database); meanwhile another writer takes the database's write lock and keeps it.
before=$(n_sessions)
rm -f "$T_DIR/go"
{ while [ ! -f "$T_DIR/go" ]; do sleep 0.05; done; cat "$WAV"; } |
    "$P" transcribe - --model tiny --no-fallback --threads 2 >"$T_DIR/late.out" 2>"$T_DIR/late.err" &
pid=$!
for _ in $(seq 400); do
    grep -q pipe "/proc/$pid/wchan" 2>/dev/null && break
    [ "$(cut -d' ' -f1-2 "/proc/$pid/syscall" 2>/dev/null)" = "0 0x0" ] && break
    sleep 0.05
done
db_lock "$XDG_DATA_HOME/parley/parley.db" locked
touch "$T_DIR/go"
wait "$pid"; RC=$?
db_unlock locked
if [ "$RC" = 1 ] && grep -q "NOT stored" "$T_DIR/late.err" && [ -s "$T_DIR/late.out" ] && [ "$(n_sessions)" = "$before" ]; then t_ok
else t_fail "rc $RC; stdout $(wc -c <"$T_DIR/late.out") bytes; sessions $(n_sessions) (before $before); stderr: $(head -c 600 "$T_DIR/late.err")"; fi

t_begin "SIGTERM cancels with exit 143"
"$P" transcribe "$WAV" --model tiny --no-fallback --threads 2 >/dev/null 2>"$T_DIR/err" &
pid=$!
# wait until parley handles SIGTERM (SigCgt bit 15), else the default action would end it
for _ in $(seq 100); do
    mask=$(sed -n 's/^SigCgt:\s*//p' /proc/$pid/status 2>/dev/null) || break
    [ -n "$mask" ] && [ $(( 0x$mask & 0x4000 )) != 0 ] && break
    sleep 0.1
done
sleep 1
kill -TERM $pid
wait $pid
RC=$?
expect_rc 143 && expect_err "cancelled" && t_ok

t_begin "the progress bar ticks from the start on a terminal"
if command -v script >/dev/null; then
    env -u PARLEY_NO_PROGRESS script -qfec "$P transcribe $WAV --model tiny --no-fallback --threads 2 --out $T_DIR/tty.txt --force" /dev/null >"$T_DIR/tty.log" 2>&1
    # every redraw starts with a carriage return; the elapsed time must change at least every 0.5 s
    python3 - "$T_DIR/tty.log" <<'PY' && t_ok || t_fail "the bar did not tick"
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
el = re.findall(r"Transcribing\s+\d+% \|[# ]*\| (\d+):(\d+) elapsed", raw)
secs = [int(m) * 60 + int(s) for m, s in el]
assert secs, "no transcription progress lines"
# each whole second of the run appears (redrawn at least every 0.5 s)
missing = [t for t in range(0, max(secs)) if t not in secs]
assert not missing, f"seconds without a redraw: {missing[:10]} of {max(secs)}"
print(f"{len(el)} redraws over {max(secs)} s", file=sys.stderr)
PY
else echo "SKIP (no script(1) for a terminal)" >&2; t_ok; fi

t_begin "Ctrl-C cancels within a second and stores nothing"
ffmpeg -v error -y -f lavfi -i "sine=frequency=220:duration=600" -ar 16000 "$T_DIR/long.wav"
before=$(n_sessions)
"$P" transcribe "$T_DIR/long.wav" --model tiny --no-vad --threads 2 --out "$T_DIR/long.txt" 2>"$T_DIR/err" &
pid=$!
sleep 4
t0=$(date +%s.%N)
kill -INT $pid
wait $pid
RC=$?
dt=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$(date +%s.%N)")
echo "cancel took ${dt}s" >&2
if expect_rc 130 && expect_err "cancelled"; then
    if [ -e "$T_DIR/long.txt" ]; then t_fail "the output file was written"
    elif [ "$(n_sessions)" != "$before" ]; then t_fail "a session was stored"
    elif ! python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$dt"; then t_fail "cancel took ${dt}s"
    else t_ok; fi
fi

t_done
