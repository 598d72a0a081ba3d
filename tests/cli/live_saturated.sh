#!/usr/bin/env bash
# live_saturated.sh: with the CPU saturated (transcription slower than real time) the
# journal still holds every second of the meeting (the recording's length equals the wall
# time +- 1 s), the backlog is reported as it grows, and after stop it is caught up from
# the journal: speech from the last seconds is in the transcript too.
. "$(dirname "$0")/../cli_lib.sh"
. "$(dirname "$0")/../pulse_lib.sh"
P=$PARLEY_BIN
CHECK="python3 $(dirname "$0")/../live_check.py"
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || t_skip_all "needs espeak-ng and sox"
pulse_start
now_ms() { date +%s%3N; }
db="$XDG_DATA_HOME/parley/parley.db"
espeak-ng -w "$T_DIR/a.wav" "We need to decide the budget today. Who owns the marketing plan? Let us move on." 2>/dev/null
espeak-ng -w "$T_DIR/b.wav" "The release is late by a week. Testing found three bugs. We will fix them first." 2>/dev/null

hogs=()
stop_hogs() { for h in "${hogs[@]}"; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done; hogs=(); }
trap 'stop_hogs; pulse_stop' EXIT

t_begin "saturated CPU: every second journaled, the backlog reported, then caught up"
for _ in 1 2 3 4; do (while :; do :; done) & hogs+=($!); done
"$P" live --mic mic.monitor --system meeting.monitor --asr-model tiny --threads 1 --json --duration 20 \
    </dev/null >"$T_DIR/ev" 2>"$T_DIR/ev.err" &
pid=$!
for _ in $(seq 300); do grep -q '"started"' "$T_DIR/ev" 2>/dev/null && break; sleep 0.1; done
start=$($CHECK events "$T_DIR/ev" 2>/dev/null)
( for _ in 1 2 3; do paplay -d mic "$T_DIR/a.wav"; done ) & p1=$!
( sleep 1; for _ in 1 2 3; do paplay -d meeting "$T_DIR/b.wav"; done ) & p2=$!
# Speech in the meeting's last seconds must make it into the transcript after stop.
sleep 14
last_at=$(( $(now_ms) - start ))
paplay -d mic "$T_DIR/a.wav" &
p3=$!
# Wait for the recording to end (--duration 20), then let the catch-up run on a free CPU.
while kill -0 $pid 2>/dev/null && [ $(( $(now_ms) - start )) -lt 20500 ]; do sleep 0.2; done
stop_hogs                      # recording is over: let the catch-up run
wait $pid
RC=$?
kill $p1 $p2 $p3 2>/dev/null; wait $p1 $p2 $p3 2>/dev/null
$CHECK session "$db" 1 >"$T_DIR/s.json"
rec=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audio_path"] or "")' "$T_DIR/s.json")
rec_s=$( [ -f "$rec" ] && soxi -D "$rec" || echo 0)
python3 - "$T_DIR/ev" "$T_DIR/s.json" "$rec_s" "$last_at" <<'PY' >&2
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
b = [e["backlog_ms"] for e in evs if e["event"] == "backlog"]
print("max backlog %.1f s over %d reports; recording %s s; %d segments" % (max(b or [0]) / 1000, len(b), sys.argv[3],
      len(json.load(open(sys.argv[2]))["segments"])))
PY
[ "$RC" = 0 ] || t_fail "parley live exited $RC: $(tail -3 "$T_DIR/ev.err")"
python3 - "$T_DIR/ev" "$T_DIR/s.json" "$rec_s" "$last_at" <<'PY' && t_ok || t_fail "see above; $(cut -c1-300 "$T_DIR/s.json")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
s = json.load(open(sys.argv[2])); rec_s = float(sys.argv[3]); last_at = int(sys.argv[4])
stopped = [e for e in evs if e["event"] == "stopped"]
assert stopped, "no stopped event"
i_stop = evs.index(stopped[0])
during = [e["backlog_ms"] for e in evs[:i_stop] if e["event"] == "backlog"]
assert max(during or [0]) >= 3000, "backlog never reported behind: %s" % during[-10:]
final = [e for e in evs if e["event"] == "backlog"][-1]
assert final["backlog_ms"] == 0, final
assert s["status"] == "finished"
assert 19 <= rec_s <= 21, "recording %.2f s for 20 s of meeting" % rec_s
assert 19 <= s["duration_s"] <= 21, s["duration_s"]
late = [g for g in s["segments"] if g["t1"] > last_at]
assert late, "nothing transcribed after %d ms: the backlog was not caught up" % last_at
PY

t_done
