# tasks.sh: summarize, notes, ask (one question and the interactive chat), suggest through
# the real command with the tiny stories260K model and an explicit chatml template:
# JSON that parses, artifacts stored and exported, map-reduce announced, a model without
# a template refused with a clear message, Ctrl-C storing nothing.
. "$(dirname "$0")/../cli_lib.sh"
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M (see shared/models/MODELS.md)"
P=$PARLEY_BIN
IMPORT=$PARLEY_TOOLS/session_import
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
LLM=(--model stories260K --template chatml --threads 1)

# A transcript of n segments as session_import JSON.
make_transcript() { # n title
    python3 - "$1" "$2" <<'PY'
import json, sys
n, title = int(sys.argv[1]), sys.argv[2]
lines = [("Ann", "Welcome everyone, today we decide the budget for the new office."),
         ("Bob", "I think we should spend ten thousand on furniture."),
         ("Ann", "Agreed. Bob will send the quote by Friday."),
         ("Cy", "What about the internet contract? We still do not know."),
         ("Bob", "The landlord wants an answer by the end of the month."),
         (None, "Then we meet again next Tuesday to sign it.")]
segs = []
for i in range(n):
    sp, text = lines[i % len(lines)]
    s = {"start": i * 5.0, "end": i * 5.0 + 4.5, "text": f"{text} (item {i})"}
    if sp: s["speaker"] = sp
    segs.append(s)
print(json.dumps({"title": title, "language": "en", "segments": segs}))
PY
}
make_transcript 4 "Budget sync" >"$T_DIR/short.json"
make_transcript 120 "Long planning day" >"$T_DIR/long.json"
S=$("$IMPORT" "$T_DIR/short.json") && L=$("$IMPORT" "$T_DIR/long.json") || t_skip_all "session_import failed"

t_begin "summarize --json: every field, both artifacts stored"
run "$P" summarize "$S" "${LLM[@]}" --ctx 2048 --item-chars 16 --max-items 2 --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "bad summary: $(out | head -c 800)"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["content"]
assert isinstance(c["title"], str) and c["title"] and isinstance(c["overview"], str), c
for k in ("key_points", "decisions", "open_questions", "action_items"):
    assert isinstance(c[k], list) and len(c[k]) <= 2, (k, c)
for a in c["action_items"]:
    assert set(a) == {"owner", "task", "due"}, a
assert d["artifact_id"] > 0 and d["markdown_artifact_id"] > d["artifact_id"], d
assert "### Key points" in d["markdown"] and c["title"] in d["markdown"], d["markdown"]
assert d["model"] == "stories260K.gguf" and d["stats"]["output_tokens"] > 0, d
assert d["meta"]["map_reduce"] is False and d["chunks"] == 1, d
PY

t_begin "summarize streams the JSON, then prints the Markdown"
run "$P" summarize "$S" "${LLM[@]}" --ctx 2048 --item-chars 16 --max-items 2
expect_rc 0 && head -n 1 "$T_DIR/out" | python3 -c 'import json,sys; json.loads(sys.stdin.readline())' &&
    grep -q '^### Action items' "$T_DIR/out" && expect_err "prompt tokens evaluated" && t_ok ||
    t_fail "$(out | head -c 600)"

t_begin "notes are printed and stored"
run "$P" notes "$S" "${LLM[@]}" --ctx 2048 --max-tokens 40
expect_rc 0 && [ -s "$T_DIR/out" ] && t_ok || t_fail "no notes"

t_begin "ask: the answer and the question are stored, the second turn sees the first"
run "$P" ask "$S" "Who sends the quote?" "${LLM[@]}" --ctx 2048 --max-tokens 20 --json
expect_rc 0 && cp "$T_DIR/out" "$T_DIR/a1.json" &&
    run "$P" ask "$S" "By when?" "${LLM[@]}" --ctx 2048 --max-tokens 20 --json && expect_rc 0 &&
    python3 - "$T_DIR/a1.json" "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600)"
import json, sys
a1, a2 = (json.load(open(f)) for f in sys.argv[1:3])
assert a1["question"] == "Who sends the quote?" and isinstance(a1["answer"], str), a1
# The second prompt carries the first exchange, so it is longer.
assert a2["stats"]["prompt_tokens"] > a1["stats"]["prompt_tokens"], (a1["stats"], a2["stats"])
PY

t_begin "interactive chat keeps the transcript cached between turns"
if command -v script >/dev/null; then
    printf 'Who is Bob?\nWhat about Cy?\n\n' >"$T_DIR/chat-in"
    script -qec "'$P' ask $S --model stories260K --template chatml --threads 1 --ctx 2048 --max-tokens 16" /dev/null \
        <"$T_DIR/chat-in" >"$T_DIR/chat-out" 2>&1
    RC=$?
    # The transcript's evaluated state was kept on disk by the earlier commands on this
    # session, so even turn 1 (a new process) reuses it; turn 2 reuses the same prefix.
    python3 - "$T_DIR/chat-out" <<'PY' && [ "$RC" = 0 ] && t_ok || t_fail "rc $RC: $(head -c 1500 "$T_DIR/chat-out")"
import re, sys
t = open(sys.argv[1], errors="replace").read()
turns = [(int(a), int(b)) for a, b in re.findall(r"(\d+) prompt tokens evaluated, (\d+) reused", t)]
assert len(turns) == 2, t
assert turns[0][1] > 100 and turns[1][1] == turns[0][1], turns
assert "Reading the transcript" in t, t  # progress on a terminal
PY
else
    echo "no 'script' command: interactive chat not tested" >&2; t_ok
fi

t_begin "suggest: 1 to 3 strings, stored"
run "$P" suggest "$S" "${LLM[@]}" --ctx 2048 --item-chars 24 --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["content"]
assert isinstance(c, list) and 1 <= len(c) <= 3 and all(isinstance(s, str) and 0 < len(s) <= 24 for s in c), c
assert d["artifact_id"] > 0
PY

t_begin "sessions export md and json carry the summary, notes and chat"
run "$P" sessions export "$S" --format md
expect_rc 0 && grep -q '^## Summary' "$T_DIR/out" && grep -q '^## Notes' "$T_DIR/out" &&
    grep -q '^### Key points' "$T_DIR/out" && grep -q '^## Transcript' "$T_DIR/out" &&
    run "$P" sessions export "$S" --format json && expect_rc 0 &&
    python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 800)"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s and isinstance(s["content"], dict) and "action_items" in s["content"], s
assert d["notes"] and d["notes"]["content"], d["notes"]
chat = d["chat"]
assert len(chat) >= 6 and chat[0]["role"] == "user" and chat[0]["content"] == "Who sends the quote?", chat
PY

t_begin "a transcript longer than the context is summarised in parts, and says so"
run "$P" summarize "$L" "${LLM[@]}" --ctx 1536 --item-chars 8 --max-items 1 --json
expect_rc 0 && expect_err "worked through in" && expect_err "nothing left out" &&
    python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 800)"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["meta"]
assert m["map_reduce"] is True and m["chunks"] > 1 and m["truncated"] is False, m
assert m["chunk_segments"][0][0] == 0 and m["chunk_segments"][-1][1] == 120, m
assert all(a[1] == b[0] for a, b in zip(m["chunk_segments"], m["chunk_segments"][1:])), m
assert "Summarised in" in d["markdown"], d["markdown"]
PY

t_begin "a model without a chat template: clear error, non-zero exit, nothing stored"
run "$P" summarize "$L" --model stories260K --threads 1 --ctx 1024
expect_rc 1 && expect_err "no usable chat template" && expect_err "\-\-template" &&
    run "$P" ask "$L" "Why?" --model stories260K --threads 1 --ctx 4096 && expect_rc 1 &&
    run "$P" sessions export "$L" --format json && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "stored something"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chat"] == [], d["chat"]
PY

t_begin "failures print nothing on stdout; the hints name Parley's own options"
run "$P" summarize "$L" --model stories260K --threads 1 --ctx 1024
expect_rc 1 && [ ! -s "$T_DIR/out" ] && ! grep -q 'chat_template = ' "$T_DIR/err" && expect_err "\-\-template chatml" &&
    run "$P" ask "$S" "$(printf 'why %.0s' $(seq 600))" "${LLM[@]}" --ctx 512 --max-tokens 8 &&
    expect_rc 1 && expect_err "context" && [ ! -s "$T_DIR/out" ] &&
    t_ok || t_fail "stdout: $(out | od -c | head -3); stderr: $(err)"

t_begin "a context below llama.cpp's minimum is raised, and said so"
run "$P" suggest "$S" "${LLM[@]}" --ctx 100
expect_err "not the 100 asked for" && t_ok || t_fail "$(err)"

t_begin "suggest without room says what takes the context"
run "$P" suggest "$S" "${LLM[@]}" --ctx 300 --max-tokens 200
expect_rc 1 && expect_err "instructions take" && expect_err "answer up to 200" && t_ok || t_fail "$(err)"

t_begin "suggest: a latest segment longer than the room left says what takes the context"
python3 - >"$T_DIR/longlast.json" <<'PY'
import json
said = "We go over every line of the budget again, item by item, because finance asked for it. " * 12
print(json.dumps({"title": "Monologue", "language": "en", "segments": [
    {"start": 0.0, "end": 4.0, "speaker": "Ann", "text": "Short opening."},
    {"start": 5.0, "end": 95.0, "speaker": "Bob", "text": said}]}))
PY
M=$("$IMPORT" "$T_DIR/longlast.json")
run "$P" suggest "$M" "${LLM[@]}" --ctx 700 --max-tokens 40
expect_rc 1 && expect_err "no room for the latest segment" && expect_err "answer up to 40" && expect_err "which leaves" &&
    t_ok || t_fail "$(err)"

t_begin "--lang and --no-history"
run "$P" ask "$S" "Who?" "${LLM[@]}" --ctx 2048 --max-tokens 8 --no-history --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' || t_fail "$(out | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["history_dropped"] == 0 and d["truncated"] is True, d
PY
run "$P" suggest "$S" "${LLM[@]}" --ctx 2048 --item-chars 24 --lang de --json
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["meta"]["language"] == "German", d["meta"]
PY

t_begin "ask --clear empties the chat; a question after --clear has no history"
run "$P" ask "$S" --clear
expect_rc 0 && expect_err "cleared the chat" && run "$P" sessions export "$S" --format json &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["chat"] == [], d["chat"]' "$T_DIR/out" &&
    run "$P" ask "$S" "Who?" "${LLM[@]}" --ctx 2048 --max-tokens 4 --json && expect_rc 0 &&
    run "$P" sessions export "$S" --format json &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["chat"]; assert len(c) == 2 and c[1]["truncated"] is True, c' "$T_DIR/out" &&
    t_ok || t_fail "$(err) $(out | head -c 400)"

t_begin "the evaluated transcript is kept on disk: a new process reuses it; a corrupt file is a miss"
SD="$XDG_CACHE_HOME/parley/state"
run "$P" ask "$S" "Who pays?" "${LLM[@]}" --ctx 2048 --max-tokens 4 --no-history --json
R1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["reused_tokens"])' "$T_DIR/out")
for f in "$SD"/*.state; do printf 'garbage!' | dd of="$f" bs=1 seek=100 conv=notrunc status=none; done
run "$P" ask "$S" "Who pays?" "${LLM[@]}" --ctx 2048 --max-tokens 4 --no-history --json
R2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["reused_tokens"])' "$T_DIR/out")
run "$P" ask "$S" "Who pays?" "${LLM[@]}" --ctx 2048 --max-tokens 4 --no-history --json
R3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["reused_tokens"])' "$T_DIR/out")
[ "$R1" -gt 100 ] && [ "$R2" = 0 ] && [ "$R3" = "$R1" ] && t_ok || t_fail "reused: $R1, after corruption $R2, then $R3"

t_begin "Ctrl-C cancels, prints cancelled, exits 130 and stores nothing"
N0=$("$P" sessions export "$L" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["notes"])')
"$P" notes "$L" "${LLM[@]}" --ctx 1024 --max-tokens 200 >"$T_DIR/out" 2>"$T_DIR/err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
RC=$?
N1=$("$P" sessions export "$L" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["notes"])')
expect_rc 130 && expect_err "cancelled" && [ "$N0" = None ] && [ "$N1" = None ] && t_ok || t_fail "notes: $N1"

t_begin "bad arguments are clear"
run "$P" summarize 999 "${LLM[@]}"
expect_rc 1 && expect_err "999" || true
run "$P" summarize
[ "$RC" = 2 ] && expect_err "which session" && run "$P" ask "$S" "${LLM[@]}" </dev/null && [ "$RC" = 2 ] &&
    expect_err "which question" && run "$P" summarize "$S" --model nosuch && expect_rc 1 &&
    expect_err "nosuch.gguf" && t_ok || t_fail "$(err)"
t_done
