#!/usr/bin/env bash
# sessions.sh: the sessions subcommands and search, on sessions imported without any
# model: listing and paging, unknown subcommands and stray arguments, confirmations,
# titles that carry terminal escapes or newlines, hostile search queries, edits that
# search then finds, ids never reused, invalid UTF-8 already in a database, and reading
# a database on a read-only file system.
. "$(dirname "$0")/../cli_lib.sh"
P=$PARLEY_BIN
IMPORT="$PARLEY_TOOLS/session_import"
[ -x "$IMPORT" ] || t_skip_all "needs $IMPORT (built with the project)"

esc=$(printf '\033')
python3 - "$T_DIR" <<'PY'
import json, sys
d = sys.argv[1]
json.dump({"title": "Standup \u001b]0;pwned\u0007 \u001b[2J\nsecond line", "language": "en",
           "segments": [{"start": 0, "end": 2.5, "text": "The giraffe budget is approved.", "speaker": "Me"},
                        {"start": 3, "end": 6, "text": "Bob reviews the \u001b[31mred\u001b[0m numbers.", "speaker": "Them"}]},
          open(d + "/a.json", "w"))
json.dump({"title": "Retro", "language": "de",
           "segments": [{"start": 0, "end": 3, "text": "Die Übergabe lief gut."}]}, open(d + "/b.json", "w"))
PY
A=$("$IMPORT" "$T_DIR/a.json") && B=$("$IMPORT" "$T_DIR/b.json") || t_skip_all "session_import failed"

t_begin "list: one row per session, no raw escapes from titles"
run "$P" sessions list
expect_rc 0 && [ "$(wc -l <"$T_DIR/out")" -eq 3 ] && ! grep -q "$esc" "$T_DIR/out" && grep -q "second line" "$T_DIR/out" &&
    t_ok || t_fail "$(cat -A "$T_DIR/out")"

t_begin "show prints summary-free details and the transcript without escapes"
run "$P" sessions show "$A"
expect_rc 0 && grep -q "giraffe" "$T_DIR/out" && ! grep -q "$esc" "$T_DIR/out" && grep -q "status:   finished" "$T_DIR/out" &&
    t_ok || t_fail "$(cat -A "$T_DIR/out" | head -20)"

t_begin "export to a terminal replaces escapes; into a pipe it stays byte for byte"
run "$P" sessions export "$A" --format txt
if expect_rc 0 && grep -q "$esc\[31m" "$T_DIR/out"; then
    if command -v script >/dev/null; then
        script -qec "$P sessions export $A --format txt" /dev/null >"$T_DIR/tty" 2>&1
        grep -q "giraffe" "$T_DIR/tty" && ! grep -q "$esc" "$T_DIR/tty" && t_ok || t_fail "tty: $(cat -A "$T_DIR/tty")"
    else echo "SKIP (no script(1) for a terminal)" >&2; t_ok; fi
else t_fail "pipe export lost its bytes: $(cat -A "$T_DIR/out")"; fi

t_begin "an unknown subcommand says so; stray arguments are refused"
run "$P" sessions frobnicate 1
expect_rc 2 && expect_err "unknown subcommand 'frobnicate'" &&
    run "$P" sessions show "$A" extra && expect_rc 2 && expect_err "unexpected 'extra'" &&
    run "$P" sessions list 3 && expect_rc 2 &&
    run "$P" sessions rm "$A" --format md && expect_rc 2 && expect_err "does not take --format" &&
    run "$P" sessions show && expect_rc 2 && expect_err "needs a session id" && t_ok

t_begin "rename and rm confirm what they did"
run "$P" sessions rename "$B" "Retro 2"
expect_rc 0 && grep -q "Renamed session $B to \"Retro 2\"" "$T_DIR/out" && t_ok || t_fail "$(out) $(err)"

t_begin "search finds a word of a transcript, with the time and line to jump to"
run "$P" search giraffe --json
expect_rc 0 && python3 - "$T_DIR/out" "$A" <<'PY' && t_ok || t_fail "$(out)"
import json, sys
d = json.load(open(sys.argv[1]))
h = [x for x in d["hits"] if x["where"] == "segment"]
assert len(h) == 1 and h[0]["session_id"] == int(sys.argv[2]), d
assert h[0]["segment_index"] == 0 and h[0]["t0_ms"] == 0 and "[giraffe]" in h[0]["snippet"], h
PY

t_begin "search folds accents and takes any query without a syntax error"
run "$P" search ubergabe
ok=1
expect_rc 0 && grep -q "Retro 2" "$T_DIR/out" || ok=0
for q in '"giraffe' 'giraffe AND' 'NEAR(giraffe' 'giraffe)' 'col:giraffe' '-giraffe' '^x'; do
    run "$P" search -- "$q"
    [ "$RC" = 0 ] || { ok=0; echo "query <$q>: rc $RC $(err)" >&2; }
done
run "$P" search '*'
[ "$RC" = 2 ] && grep -q "no words" "$T_DIR/err" || ok=0
[ $ok = 1 ] && t_ok || t_fail "see above"

t_begin "an edited line is what search and show find"
run "$P" sessions edit "$A" 0 --text "The okapi budget is approved." --speaker Them
expect_rc 0 && grep -q "Updated line 0 of session $A" "$T_DIR/out" &&
    run "$P" search okapi --json && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["hits"])==1' "$T_DIR/out" &&
    run "$P" search giraffe --json && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["hits"]==[]' "$T_DIR/out" &&
    run "$P" sessions edit "$A" 9 --text x && expect_rc 1 && expect_err "no segment 9" && t_ok || t_fail "$(out) $(err)"

t_begin "list filters and pages"
run "$P" sessions list --query okapi --json
expect_rc 0 && python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["id"] for x in r]==[int(sys.argv[2])] and r[0]["status"]=="finished", r' "$T_DIR/out" "$A" &&
    run "$P" sessions list --limit 1 --json && python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==1' "$T_DIR/out" &&
    run "$P" sessions list --status live && expect_rc 0 && grep -q "No sessions match" "$T_DIR/out" &&
    run "$P" sessions list --status nope && expect_rc 2 && t_ok || t_fail "$(out) $(err)"

t_begin "artifacts, artifact-rm and chat-clear"
run "$P" sessions artifacts "$A" --json
expect_rc 0 && [ "$(tr -d ' \n' <"$T_DIR/out")" = "[]" ] &&
    run "$P" sessions artifact-rm 999 && expect_rc 1 && expect_err "no artifact 999" &&
    run "$P" sessions chat-clear "$A" && expect_rc 0 && grep -q "Deleted 0 chat messages" "$T_DIR/out" && t_ok || t_fail "$(out) $(err)"

t_begin "export --out naming the session's own recording is refused, the recording kept"
printf 'RIFF pretend recording' >"$T_DIR/rec.wav"
ln -sf "$T_DIR/rec.wav" "$T_DIR/rec-link.wav"
python3 - "$XDG_DATA_HOME/parley/parley.db" "$A" "$T_DIR/rec.wav" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE sessions SET source_path = ? WHERE id = ?", (sys.argv[3], int(sys.argv[2])))
c.commit()
PY
run "$P" sessions export "$A" --format txt --out "$T_DIR/rec-link.wav"
expect_rc 1 && expect_err "own recording" && [ "$(cat "$T_DIR/rec.wav")" = "RIFF pretend recording" ] &&
    run "$P" sessions export "$A" --format txt --out "$T_DIR/a-export.txt" && expect_rc 0 && grep -q "budget is approved" "$T_DIR/a-export.txt" &&
    t_ok || t_fail "rc $RC: $(err); the recording now: $(head -c 80 "$T_DIR/rec.wav")"

t_begin "export --out onto an existing file needs --force; with it the file is replaced"
printf 'keep me\n' >"$T_DIR/exists.txt"
run "$P" sessions export "$A" --format txt --out "$T_DIR/exists.txt"
if expect_rc 1 && expect_err "exists; pass --force" && [ "$(cat "$T_DIR/exists.txt")" = "keep me" ] &&
    run "$P" sessions export "$A" --format txt --force && expect_rc 2 && expect_err "--force goes with --out" &&
    run "$P" sessions export "$A" --format txt --out "$T_DIR/exists.txt" --force && expect_rc 0 &&
    grep -q "budget is approved" "$T_DIR/exists.txt"; then t_ok; else
    t_fail "rc $RC: $(err); the file now: $(head -c 80 "$T_DIR/exists.txt")"; fi

t_begin "ids are not reused after deleting the newest session"
run "$P" sessions rm "$B"
expect_rc 0 && grep -q "Deleted session $B (\"Retro 2\")" "$T_DIR/out" &&
    C=$("$IMPORT" "$T_DIR/b.json") && [ "$C" -gt "$B" ] && t_ok || t_fail "rm: $(out) $(err); new id ${C:-?} after $B"

t_begin "invalid UTF-8 already in the database does not break JSON listings"
python3 - "$XDG_DATA_HOME/parley/parley.db" "$A" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE sessions SET title = CAST(X'4361666580' AS TEXT), source_path = CAST(X'2F72E9756E696F6E2E776176' AS TEXT) WHERE id = ?", (int(sys.argv[2]),))
c.commit()
PY
run "$P" sessions list --json
expect_rc 0 && python3 -c 'import json,sys; r=json.load(open(sys.argv[1], encoding="utf-8")); assert any(x["title"]=="Cafe\ufffd" for x in r), r' "$T_DIR/out" &&
    run "$P" sessions export "$A" --format json && expect_rc 0 &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1], encoding="utf-8"))' "$T_DIR/out" && t_ok || t_fail "$(out) $(err)"

t_begin "a read-only file system: reading works, writing says why"
run unshare -m --propagation unchanged sh -c '
  mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 99
  "$2" sessions list >"$3/ro-list" 2>&1 || exit 11
  "$2" search okapi >"$3/ro-search" 2>&1 || exit 12
  "$2" sessions show "$4" >"$3/ro-show" 2>&1 || exit 13
  "$2" sessions rename "$4" x; echo "rename=$?" >&2' sh "$XDG_DATA_HOME/parley" "$P" "$T_DIR" "$A"
if [ "$RC" = 99 ]; then echo "SKIP (cannot make a read-only mount here): $(err)" >&2; t_ok
else expect_rc 0 && expect_err "rename=1" && expect_err "not writable\|read-only\|Read-only" &&
    grep -q okapi "$T_DIR/ro-search" && t_ok || t_fail "rc $RC: $(err) $(cat "$T_DIR"/ro-* 2>/dev/null)"; fi

t_done
