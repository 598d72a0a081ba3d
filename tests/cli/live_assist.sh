#!/usr/bin/env bash
# live_assist.sh: the assistant during a meeting (replayed, no sound server needed), with
# the tiny stories260K model: automatic suggestions (stored), one asked for with "!", a
# question typed as "?..."
# answered with streamed tokens and stored as a chat turn, the summary at stop from the
# warm cache (stored); on battery with --on-battery pause: a warning and no suggestion.
. "$(dirname "$0")/../cli_lib.sh"
P=$PARLEY_BIN
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
need_vad
standin_whisper tiny || t_skip_all "cannot make the whisper stand-in"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || t_skip_all "needs espeak-ng and sox"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
db="$XDG_DATA_HOME/parley/parley.db"
espeak-ng -w "$T_DIR/a.wav" "Hello everyone, this is the weekly meeting about the budget." 2>/dev/null
sox -n -r 22050 -c 1 "$T_DIR/sil.wav" trim 0 1.5
sox "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/a.wav" "$T_DIR/sil.wav" "$T_DIR/in.wav"
LLM=(--model stories260K --template chatml --ctx 2048 --threads 1)

t_begin "suggestions, a question and the summary during a replayed meeting, all stored"
parts=("$T_DIR/sil.wav"); for _ in $(seq 8); do parts+=("$T_DIR/a.wav" "$T_DIR/sil.wav"); done
sox "${parts[@]}" "$T_DIR/long.wav"
mkfifo "$T_DIR/typed"
exec 3<>"$T_DIR/typed"
"$P" live --input "$T_DIR/long.wav" --speed 1 --no-system --asr-model tiny "${LLM[@]}" --suggest \
    --suggest-interval 1 --on-battery ignore --summary --json <"$T_DIR/typed" >"$T_DIR/ev" 2>"$T_DIR/ev.err" &
pid=$!
for _ in $(seq 600); do grep -q '"segment.final"' "$T_DIR/ev" && break; sleep 0.2; done
echo "? who owns the budget" >&3
for _ in $(seq 600); do grep -q '"answer"' "$T_DIR/ev" && grep -q '"suggestion"' "$T_DIR/ev" && break; sleep 0.2; done
kill -TERM $pid
wait $pid
RC=$?
exec 3>&-
expect_rc 143 && python3 - "$T_DIR/ev" "$db" <<'PY' && t_ok || t_fail "$(tail -3 "$T_DIR/ev.err")"
import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
assert "suggestion" in kinds, [k for k in kinds if k not in ("backlog", "level")]
assert "answer" in kinds and "token" in kinds, [k for k in kinds if k not in ("backlog", "level")]
ans = [e for e in ev if e["event"] == "answer"][0]
assert ans["detail"] == "who owns the budget" and ans["text"], ans
# The summary runs at stop. stories260K writes stories, not summaries: its JSON may not
# close within max_tokens, which is then reported (and the session keeps everything).
made = [e for e in ev if e["event"] == "progress" and e.get("text") == "summary"]
failed = [e for e in ev if e["event"] == "error" and "the summary failed: malformed data" in e.get("text", "")]
assert made or failed, "no summary at stop"
c = sqlite3.connect(sys.argv[2])
arts = {(k, f) for k, f in c.execute("SELECT kind, format FROM artifacts WHERE session_id=1")}
assert ("suggestions", "json") in arts, arts
assert not made or (("summary", "json") in arts and ("summary", "markdown") in arts), arts
chat = [r for r, in c.execute("SELECT role FROM chat_messages WHERE session_id=1 ORDER BY id")]
assert chat == ["user", "assistant"], chat
PY

t_begin "stopping shows the backlog's segments and the summary's progress as they are made"
# --speed 0: the input ends at once and the backlog is transcribed after stop. Each line of
# stdout is stamped with when it arrived: the backlog's last segment and the summary's
# "summarizing" progress (reading, then writing with tokens) must arrive before the summary
# is even posted (stop runs on a thread while the CLI keeps reading the events).
"$P" live --input "$T_DIR/long.wav" --speed 0 --no-system --asr-model tiny "${LLM[@]}" --ctx 8192 --summary --json \
    </dev/null 2>"$T_DIR/st.err" > >(python3 -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%d %s" % (time.time() * 1000, line)); sys.stdout.flush()' >"$T_DIR/st.ev")
RC=$?
for _ in $(seq 50); do grep -q '"stopped"' "$T_DIR/st.ev" && grep -q '"progress".*"summary"\|summary failed' "$T_DIR/st.ev" && break; sleep 0.1; done
expect_rc 0 && python3 - "$T_DIR/st.ev" <<'PY' && t_ok || t_fail "$(grep -v '"level"' "$T_DIR/st.ev" | cut -c1-160 | head -30; tail -3 "$T_DIR/st.err")"
import json, sys
ev = []
for l in open(sys.argv[1]):
    at, js = l.split(" ", 1)
    e = json.loads(js); e["arrived_ms"] = int(at); ev.append(e)
stopped = [e for e in ev if e["event"] == "stopped"][0]
segs = [e for e in ev if e["event"] == "segment.final"]
assert len(segs) >= 3, len(segs)
summ = [e for e in ev if e["event"] == "progress" and e.get("text") == "summarizing"]
phases = [e["detail"] for e in summ]
assert phases and phases[0] == "reading" and "writing" in phases, phases
assert phases == sorted(phases), phases  # all reading, then all writing
tokens = [e["tokens"] for e in summ if e["detail"] == "writing"]
assert tokens[0] >= 1 and tokens == sorted(tokens), tokens
assert all("fraction" not in e for e in summ if e["detail"] == "writing"), summ
assert all(0 <= e["fraction"] <= 1 for e in summ if e["detail"] == "reading"), summ
end = [e for e in ev if (e["event"] == "progress" and e.get("text") == "summary") or
       (e["event"] == "error" and "the summary failed" in e.get("text", ""))]
assert end and stopped["posted_ms"] <= summ[0]["posted_ms"] <= end[0]["posted_ms"], (summ[0], end)
first_writing = [e for e in summ if e["detail"] == "writing"][0]
assert segs[-1]["arrived_ms"] < end[0]["posted_ms"], (segs[-1], end[0]["posted_ms"])
assert first_writing["arrived_ms"] < end[0]["posted_ms"], (first_writing, end[0]["posted_ms"])
PY

t_begin "the notice about suggestions is shown once"
grep -q "shown once" "$T_DIR/ev.err" && [ -f "$XDG_CONFIG_HOME/parley/suggest-notice-shown" ] && t_ok || t_fail "$(head -3 "$T_DIR/ev.err")"

t_begin "on battery with --on-battery pause: a warning, no suggestion; the notice is not repeated"
mkdir -p "$T_DIR/ps/BAT0" "$T_DIR/ps/AC"
echo Battery >"$T_DIR/ps/BAT0/type"; echo Discharging >"$T_DIR/ps/BAT0/status"
echo Mains >"$T_DIR/ps/AC/type"; echo 0 >"$T_DIR/ps/AC/online"
PARLEY_POWER_SUPPLY_DIR="$T_DIR/ps" run "$P" live --input "$T_DIR/in.wav" --speed 0 --no-system --asr-model tiny \
    "${LLM[@]}" --suggest --suggest-interval 1 --on-battery pause --json
expect_rc 0 && grep -q '"warning".*suggestions paused' "$T_DIR/out" && ! grep -q '"suggestion"' "$T_DIR/out" &&
    ! grep -q "shown once" "$T_DIR/err" && t_ok || t_fail "$(grep -v level "$T_DIR/out" | cut -c1-120 | head; tail -3 "$T_DIR/err")"

# typed_then_stop EVENTS LINE PATTERN [OPTION...]: a replayed meeting (parley live with
# these extra options); once its first segment is out, LINE is typed; once PATTERN shows
# in the events (polled every 10 ms, at most 6 s), SIGTERM. Sets RC to parley live's exit.
typed_then_stop() {
    local ev=$1 line=$2 pattern=$3 pid
    shift 3
    rm -f "$ev.typed"; mkfifo "$ev.typed"
    exec 4<>"$ev.typed"
    "$P" live --input "$T_DIR/long.wav" --speed 1 --no-system --asr-model tiny "${LLM[@]}" --json "$@" \
        <"$ev.typed" >"$ev" 2>"$ev.err" &
    pid=$!
    for _ in $(seq 600); do grep -q '"segment.final"' "$ev" && break; sleep 0.2; done
    echo "$line" >&4
    for _ in $(seq 600); do grep -q "$pattern" "$ev" && break; sleep 0.01; done
    kill -TERM $pid
    wait $pid
    RC=$?
    exec 4>&-
}

t_begin "a line '!' asks for a suggestion now, without --suggest: exactly one comes, and is stored"
typed_then_stop "$T_DIR/ev3" "!" '"suggestion"' --title "Asked"
expect_rc 143 && python3 - "$T_DIR/ev3" "$db" <<'PY' && t_ok || t_fail "$(grep -v '"level"' "$T_DIR/ev3" | cut -c1-140 | tail -8; tail -3 "$T_DIR/ev3.err")"
import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sugg = [e for e in ev if e["event"] == "suggestion"]
assert len(sugg) == 1 and json.loads(sugg[0]["detail"]), [e["event"] for e in ev if e["event"] not in ("level", "backlog")]
assert not any(e["event"] == "note" and e.get("text") == "!" for e in ev), "'!' was stored as a note"
sid = [e for e in ev if e["event"] == "started"][0]["session_id"]
c = sqlite3.connect(sys.argv[2])
assert c.execute("SELECT count(*) FROM artifacts WHERE session_id=? AND kind='suggestions'", (sid,)).fetchone()[0] == 1
PY

t_begin "a question asked just before stop is still answered, posted and stored"
# Stop while the answer is being written (its first token out, the answer event not yet).
typed_then_stop "$T_DIR/ev4" "? what was the last thing said" '"token"' --title "Last word" --summary
expect_rc 143 && python3 - "$T_DIR/ev4" "$db" <<'PY' && t_ok || t_fail "$(grep -v '"level"' "$T_DIR/ev4" | cut -c1-140 | tail -8; tail -3 "$T_DIR/ev4.err")"
import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
ans = [e for e in ev if e["event"] == "answer"]
assert len(ans) == 1 and ans[0]["detail"] == "what was the last thing said", [k for k in kinds if k not in ("level", "backlog")]
sid = [e for e in ev if e["event"] == "started"][0]["session_id"]
c = sqlite3.connect(sys.argv[2])
chat = [r for r, in c.execute("SELECT role FROM chat_messages WHERE session_id=? ORDER BY id", (sid,))]
assert chat == ["user", "assistant"], chat
PY

t_begin "summary drafts while the meeting runs; the summary at stop is written from the newest one"
# A draft every 30 new transcript tokens (the tiny model's vocabulary makes a line about
# 40), short items so that the tiny model closes its JSON: "summary draft" events come while
# the meeting runs, and the stored summary says it was written from a draft.
run "$P" live --input "$T_DIR/long.wav" --speed 2 --no-system --asr-model tiny --model stories260K --template chatml \
    --ctx 4096 --threads 1 --title "Drafted" --summary --draft-every 30 --item-chars 12 --max-items 2 --json
expect_rc 0 && python3 - "$T_DIR/out" "$db" <<'PY' && t_ok || t_fail "$(grep -v '"level"' "$T_DIR/out" | cut -c1-160 | tail -8; tail -3 "$T_DIR/err")"
import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
stop = kinds.index("stopped")
drafts = [e for e in ev[:stop] if e["event"] == "progress" and e.get("text") == "summary draft"]
assert drafts and all(len(e["detail"]) == 8 and e["detail"][2] == ":" for e in drafts), [e for e in ev if e["event"] == "progress"]
made = [e for e in ev if e["event"] == "progress" and e.get("text") == "summary"]
assert len(made) == 1 and "Written from a draft of the meeting up to" in made[0]["detail"], made
sid = [e for e in ev if e["event"] == "started"][0]["session_id"]
c = sqlite3.connect(sys.argv[2])
meta, = c.execute("SELECT meta FROM artifacts WHERE session_id=? AND kind='summary' AND format='json'", (sid,)).fetchone()
d = json.loads(meta)["draft"]
segs = c.execute("SELECT count(*) FROM segments WHERE session_id=?", (sid,)).fetchone()[0]
# In the drafts' context (rolling: from the draft and the lines after it: an update, or,
# once the draft's lists have grown past twice max_items, every list written anew), or,
# when the newest draft covers every line, the draft itself.
if d.get("rolling"):
    assert d["until_ms"] > 0, (d, segs)
    assert (d["used"] is True and d["new_items_max"] >= 1) or "lists had grown long" in d.get("why_not", ""), (d, segs)
else:
    assert d["used"] is True and 0 < d["segments"] == segs, (d, segs)
PY

t_begin "--draft-every and --item-chars take numbers"
run "$P" live --no-system --summary --model stories260K --draft-every lots
if expect_rc 2 && expect_err "--draft-every needs a number"; then
    run "$P" live --no-system --summary --model stories260K --item-chars 0
    expect_rc 2 && expect_err "--item-chars needs a number from 1 to 4096" && t_ok
fi

t_begin "--suggest without --model is a usage error"
run "$P" live --suggest --no-system
expect_rc 2 && expect_err "need --model" && t_ok

t_done
