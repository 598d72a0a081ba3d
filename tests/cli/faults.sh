# faults.sh: faults from outside, each with a clear error and nothing lost: a full disk (a
# small tmpfs), a database locked by another writer, a model file deleted or truncated
# while in use, too little memory at load (prlimit), SIGTERM/SIGINT (exit 143/130,
# nothing stored), bad inputs to transcribe (a device, a FIFO, a model renamed .mp3, an
# MP4 without its index), a damaged device.json, and per-command help.
. "$(dirname "$0")/../cli_lib.sh"
need_vad
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
P=$PARLEY_BIN
# 8 s of the recording keeps each transcription short
ffmpeg -v error -y -i "$WAV" -t 8 "$T_DIR/short.wav" || t_skip_all "needs ffmpeg"
LONG=$WAV
WAV=$T_DIR/short.wav
DB="$XDG_DATA_HOME/parley/parley.db"
LLM=(--template chatml --threads 1 --ctx 2048)
T=(--model tiny --threads 2 --no-fallback)
n_db() { python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); assert d.execute("PRAGMA integrity_check").fetchone()[0]=="ok"; print(d.execute("select count(*) from sessions").fetchone()[0])' "$DB"; }

t_begin "a first session (the data that must survive every fault below)"
run "$P" transcribe "$WAV" "${T[@]}" --title keep
expect_rc 0 && [ "$(n_db)" = 1 ] && t_ok

t_begin "per-command help: parley help CMD and CMD --help for every command"
bad=
for c in $("$P" help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
    "$P" help "$c" >"$T_DIR/h1" 2>&1 || bad="$bad help-$c"
    grep -q "usage" "$T_DIR/h1" || bad="$bad usage-$c"
    [ "$c" = help ] && continue
    "$P" "$c" --help >"$T_DIR/h2" 2>&1 || bad="$bad $c--help"
    cmp -s "$T_DIR/h1" "$T_DIR/h2" || bad="$bad same-$c"
done
"$P" sessions list --help | grep -q "sessions export" || bad="$bad sessions-list--help"
"$P" models pull --help | grep -q "models pull" || bad="$bad models-pull--help"
set +e; "$P" help nosuch 2>/dev/null; rc=$?; set -e 2>/dev/null; set +e
[ "$rc" = 2 ] || bad="$bad help-unknown-rc-$rc"
[ -z "$bad" ] && t_ok || t_fail "$bad"

t_begin "SIGTERM exits 143, SIGINT 130; nothing stored"
# handler_ready PID: the process has installed its SIGINT handler (SigCgt bit 1); before
# that a background job of a script ignores SIGINT and a SIGTERM kills it by default,
# which would prove nothing about Parley's own handling.
handler_ready() { local m; m=$(sed -n 's/^SigCgt:\t*//p' "/proc/$1/status" 2>/dev/null) && [ -n "$m" ] && (( (16#$m >> 1) & 1 )); }
for sig in TERM INT; do
    "$P" transcribe "$LONG" "${T[@]}" --title "sig$sig" >/dev/null 2>"$T_DIR/sig.err" &
    pid=$!
    for _ in $(seq 600); do handler_ready "$pid" && break; sleep 0.05; done
    sleep 0.5
    kill -s "$sig" "$pid"
    wait "$pid"
    eval "rc_$sig=$?"
done
if [ "$rc_TERM" = 143 ] && [ "$rc_INT" = 130 ] && [ "$(n_db)" = 1 ]; then t_ok
else t_fail "SIGTERM exit $rc_TERM (want 143), SIGINT exit $rc_INT (want 130), sessions $(n_db)"; fi

t_begin "bad recordings are named for what they are"
bad=
run "$P" transcribe /dev/zero "${T[@]}"; [ "$RC" = 1 ] && grep -q "not a regular file" "$T_DIR/err" || bad="$bad /dev/zero:$(err)"
mkfifo "$T_DIR/f.wav"
run timeout 20 "$P" transcribe "$T_DIR/f.wav" "${T[@]}"; [ "$RC" = 1 ] && grep -q "pipe" "$T_DIR/err" || bad="$bad fifo($RC):$(err)"
cp "$M" "$T_DIR/model.mp3"
run "$P" transcribe "$T_DIR/model.mp3" "${T[@]}"; [ "$RC" = 1 ] && grep -q "GGUF model file, not an audio or video file" "$T_DIR/err" || bad="$bad gguf.mp3:$(err)"
ffmpeg -v error -y -f lavfi -i 'sine=duration=5' -c:a aac "$T_DIR/full.m4a" &&
    head -c $(( $(stat -c %s "$T_DIR/full.m4a") / 2 )) "$T_DIR/full.m4a" >"$T_DIR/cut.m4a"
run "$P" transcribe "$T_DIR/cut.m4a" "${T[@]}"; [ "$RC" = 1 ] && grep -q "moov" "$T_DIR/err" || bad="$bad m4a:$(err)"
[ -z "$bad" ] && [ "$(n_db)" = 1 ] && t_ok || t_fail "$bad"

t_begin "a damaged device.json: a warning naming it, and 'models local' repairs it"
mkdir -p "$XDG_CONFIG_HOME/parley"
echo '{ not json' >"$XDG_CONFIG_HOME/parley/device.json"
run "$P" models --json --no-measure
if expect_rc 0 && expect_err "device.json is damaged"; then
    run "$P" models local chat=off
    if expect_rc 0; then
        run "$P" models --json --no-measure
        if ! grep -q damaged "$T_DIR/err" && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["settings"]["local_features"]==["transcribe","summary","suggest"], d["settings"]' "$T_DIR/out"; then t_ok
        else t_fail "not repaired: $(err) $(head -c 300 "$T_DIR/out")"; fi
    fi
fi
rm -f "$XDG_CONFIG_HOME/parley/device.json"

t_begin "database locked by another writer: a clear error, nothing lost"
db_lock "$DB" locked
run "$P" sessions list --json
list_rc=$RC
run "$P" transcribe "$WAV" "${T[@]}" --title locked
db_unlock locked
if [ "$list_rc" = 0 ] && [ "$RC" = 1 ] && grep -qi "locked\|busy" "$T_DIR/err" && [ "$(n_db)" = 1 ]; then t_ok
else t_fail "list exit $list_rc; transcribe exit $RC: $(err); sessions $(n_db)"; fi

t_begin "disk full (a 2 MB tmpfs): clear errors, the database and an existing --out file intact"
# a private mount namespace for the tmpfs (inside the build root's chroot, whose / is not a
# mount point, the propagation must be left unchanged; the root's namespace is private)
ns=(unshare -m --propagation private)
"${ns[@]}" true 2>/dev/null || ns=(unshare -m --propagation unchanged)
if ! "${ns[@]}" true 2>/dev/null; then
    echo "SKIP (this case): needs unshare -m" >&2; T_VERDICT=1
else
cat >"$T_DIR/full.sh" <<'SH'
set -u
P=$1 WAV=$2 D=$3; shift 3
mnt=$D/tmpfs
mkdir -p "$mnt" && mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "mount failed" >"$D/full.rcs"; exit 0; }
export XDG_DATA_HOME=$mnt/data
"$P" transcribe "$WAV" "$@" --title before >/dev/null 2>"$D/full0.err"; echo "first $?" >"$D/full.rcs"
echo "precious" >"$mnt/out.txt"
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
"$P" transcribe "$WAV" "$@" --title full >/dev/null 2>"$D/full1.err"; echo "store $?" >>"$D/full.rcs"
"$P" sessions export 1 --format txt --out "$mnt/out.txt" --force 2>"$D/full2.err"; echo "out $?" >>"$D/full.rcs"
cat "$mnt/out.txt" >"$D/full.out"
"$P" sessions list --json >"$D/full.list" 2>"$D/full3.err"; echo "list $?" >>"$D/full.rcs"
rm -f "$mnt/filler" # room for the checker's own -shm file
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); print(d.execute("PRAGMA integrity_check").fetchone()[0], d.execute("select count(*) from sessions").fetchone()[0])' "$mnt/data/parley/parley.db" >"$D/full.db" 2>&1
umount "$mnt"
SH
"${ns[@]}" bash "$T_DIR/full.sh" "$P" "$WAV" "$T_DIR" "${T[@]}"
rcs=$(tr '\n' ' ' <"$T_DIR/full.rcs")
if [ "$rcs" = "first 0 store 1 out 1 list 0 " ] && grep -qi "disk full\|no space" "$T_DIR/full1.err" &&
    grep -qi "disk full" "$T_DIR/full2.err" && [ "$(cat "$T_DIR/full.out")" = precious ] &&
    [ "$(cat "$T_DIR/full.db")" = "ok 1" ]; then t_ok
else t_fail "exits: $rcs; store: $(head -c 300 "$T_DIR/full1.err"); out: $(head -c 300 "$T_DIR/full2.err"); out file: $(head -c 50 "$T_DIR/full.out"); db: $(cat "$T_DIR/full.db"); list: $(head -c 200 "$T_DIR/full3.err")"; fi
fi

t_begin "an LLM file deleted while in use: the run ends cleanly (no crash), nothing half-stored"
cp "$M" "$T_DIR/gone.gguf"
"$P" summarize 1 --model "$T_DIR/gone.gguf" "${LLM[@]}" --item-chars 16 --max-items 2 >/dev/null 2>"$T_DIR/gone.err" &
pid=$!
# delete it once it is mapped (in use), not at a fixed time
for _ in $(seq 1200); do grep -q gone.gguf "/proc/$pid/maps" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
rm -f "$T_DIR/gone.gguf"; wait "$pid"; rc=$?
[ "$rc" -lt 128 ] && [ "$(n_db)" = 1 ] && t_ok || t_fail "exit $rc: $(head -c 400 "$T_DIR/gone.err")"

t_begin "a speech model truncated while in use: no crash, nothing half-stored"
cp "$(readlink -f "$PARLEY_MODELS_DIR/ggml-tiny.bin")" "$T_DIR/ggml-cut.bin"
"$P" transcribe "$WAV" --model "$T_DIR/ggml-cut.bin" --threads 2 --no-fallback --title cut >/dev/null 2>"$T_DIR/cut.err" &
pid=$!
# truncate it while it is open (being read), not at a fixed time
for _ in $(seq 1200); do ls -l "/proc/$pid/fd" 2>/dev/null | grep -q ggml-cut.bin && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
truncate -s 100000 "$T_DIR/ggml-cut.bin"; wait "$pid"; rc=$?
n=$(n_db)
[ "$rc" -lt 128 ] && { [ "$n" = 1 ] || [ "$n" = 2 ]; } && t_ok || t_fail "exit $rc: $(head -c 400 "$T_DIR/cut.err")"
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("PRAGMA foreign_keys=ON"); d.execute("delete from sessions where title=?", ("cut",)); d.commit()' "$DB"

t_begin "too little memory at load (prlimit): a clear error, not a crash"
run prlimit --as=$((600 * 1024 * 1024)) "$P" summarize 1 --model stories260K --template chatml --threads 1 --ctx 1048576 --item-chars 16
llm_rc=$RC; cp "$T_DIR/err" "$T_DIR/oom-llm.err"
run prlimit --as=$((300 * 1024 * 1024)) "$P" transcribe "$WAV" "${T[@]}" --title oom
# transcribe checks the speech model against the address-space limit before loading
# (it used to abort inside ggml with 134): a clear "not enough memory" and exit 1.
# (A sanitizer build cannot keep its shadow memory under the limit: any clean failure then.)
if [ -n "${ASAN_OPTIONS:-}" ]; then tr_ok() { [ "$RC" -lt 128 ] && [ "$RC" != 0 ]; }
else tr_ok() { [ "$RC" = 1 ] && grep -q "not enough memory" "$T_DIR/err"; }; fi
if [ "$llm_rc" = 1 ] && grep -qi "memory\|context" "$T_DIR/oom-llm.err" && tr_ok &&
    [ "$(n_db)" = 1 ]; then t_ok
else t_fail "summarize exit $llm_rc: $(head -c 300 "$T_DIR/oom-llm.err"); transcribe exit $RC: $(head -c 300 "$T_DIR/err")"; fi
t_done
