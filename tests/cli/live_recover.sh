#!/usr/bin/env bash
# live_recover.sh: kill -9 of `parley live` at a random moment loses at most a second:
# `parley sessions recover` (or the next `parley live`) transcribes the journal and stores
# the session complete and marked recovered, its audio reaching to within 1 s of the kill.
# A meeting still recording is never "recovered" under its feet; SIGTERM finishes (143).
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
espeak-ng -w "$T_DIR/me.wav" "Hello everyone, I would like to talk about the budget for next year." 2>/dev/null
me_ms=$(soxi -D "$T_DIR/me.wav" | awk '{printf "%d", $1*1000}')

# start_live EVENTS [args]: starts parley live in the background ($pid), waits for "started" ($start).
start_live() {
    local ev=$1; shift
    "$P" live --mic mic.monitor --system meeting.monitor --asr-model tiny --threads 2 --json "$@" \
        </dev/null >"$ev" 2>"$ev.err" &
    pid=$!
    for _ in $(seq 150); do grep -q '"started"' "$ev" 2>/dev/null && break; sleep 0.1; done
    start=$($CHECK events "$ev" 2>/dev/null) || start=
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

t_begin "kill -9 at a random moment, then parley sessions recover: complete, recovered, within 1 s"
start_live "$T_DIR/ev1" --title "Killed"
if [ -z "$start" ]; then
    t_fail "no started event: $(cat "$T_DIR/ev1.err")"
else
    sleep 0.5
    me_at=$(( $(now_ms) - start ))
    paplay -d mic "$T_DIR/me.wav"
    sleep "$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.5 + r % 300 / 100}')"
    kill -9 $pid
    kill_at=$(( $(now_ms) - start ))
    wait $pid 2>/dev/null
    $CHECK session "$db" 1 >"$T_DIR/before.json"
    run "$P" sessions recover --asr-model tiny
    $CHECK session "$db" 1 >"$T_DIR/s1.json"
    rec=$(field "$T_DIR/s1.json" audio_path 2>/dev/null)
    rec_s=$( [ -f "$rec" ] && soxi -D "$rec" || echo 0)
    echo "killed at $kill_at ms; recording $rec_s s; $(cut -c1-200 "$T_DIR/s1.json")" >&2
    expect_rc 0 && expect_err "Recovered 1 interrupted meeting" &&
        [ "$(field "$T_DIR/before.json" status)" = live ] &&
        python3 - "$T_DIR/s1.json" "$kill_at" "$rec_s" "$me_at" "$me_ms" <<'PY' && t_ok || t_fail "$(cat "$T_DIR/s1.json")"
import json, sys
s = json.load(open(sys.argv[1])); kill_at = int(sys.argv[2]); rec_s = float(sys.argv[3])
me_at, me_len = int(sys.argv[4]), int(sys.argv[5])
assert s["status"] == "recovered", s["status"]
assert kill_at / 1000 - 1 <= s["duration_s"] <= kill_at / 1000 + 0.5, (s["duration_s"], kill_at)
assert kill_at / 1000 - 1 <= rec_s <= kill_at / 1000 + 0.5, ("recording", rec_s, kill_at)
me = [g for g in s["segments"] if g["speaker"] == "Me" and min(g["t1"], me_at + me_len + 500) > max(g["t0"], me_at)]
assert me, "the phrase spoken before the kill is not in the recovered transcript"
PY
fi

t_begin "nothing left to recover says so"
run "$P" sessions recover --asr-model tiny
expect_rc 0 && expect_err "No interrupted meetings" && t_ok

t_begin "a meeting still recording is left alone; the next parley live recovers a killed one; SIGTERM finishes"
start_live "$T_DIR/ev2" --title "Killed again"
sleep 1.5
kill -9 $pid
wait $pid 2>/dev/null
start_live "$T_DIR/ev3" --title "Running"     # recovers session 2 first, then records session 3
if [ -z "$start" ]; then
    t_fail "no started event: $(cat "$T_DIR/ev3.err")"
else
    sleep 1
    run "$P" sessions recover --asr-model tiny  # session 3 is locked: not touched
    rec_rc=$RC
    grep -q "No interrupted meetings" "$T_DIR/err"; nothing=$?
    kill -TERM $pid
    wait $pid
    term_rc=$?
    $CHECK session "$db" 2 >"$T_DIR/s2.json"
    $CHECK session "$db" 3 >"$T_DIR/s3.json"
    [ "$rec_rc" = 0 ] && [ $nothing = 0 ] && [ "$term_rc" = 143 ] &&
        [ "$(field "$T_DIR/s2.json" status)" = recovered ] && [ "$(field "$T_DIR/s3.json" status)" = finished ] &&
        t_ok || t_fail "recover rc $rec_rc (nothing=$nothing), SIGTERM rc $term_rc; s2 $(cut -c1-80 "$T_DIR/s2.json"); s3 $(cut -c1-80 "$T_DIR/s3.json"); $(tail -3 "$T_DIR/ev3.err")"
fi

t_done
