# cli_lib.sh: helpers for the shell tests in tests/cli/ (sourced by them; not a test).
# Environment from CTest: PARLEY_BIN, PARLEY_TOOLS (build dir), PARLEY_SHARED, PARLEY_TEST_TMP, PARLEY_SRC.
set -u
T_NAME=$(basename "$0" .sh)
T_DIR="${PARLEY_TEST_TMP:-/tmp}/cli-$T_NAME.$$"
rm -rf "$T_DIR" && mkdir -p "$T_DIR"
export XDG_DATA_HOME="$T_DIR/data" XDG_CONFIG_HOME="$T_DIR/config" XDG_CACHE_HOME="$T_DIR/cache"
export PARLEY_MODELS_DIR="$T_DIR/models" PARLEY_NO_PROGRESS=1
unset PARLEY_DATA_DIR PARLEY_CONFIG_DIR PARLEY_MODEL_PATH
mkdir -p "$PARLEY_MODELS_DIR"
T_PASS=0 T_FAIL=0 T_CUR= T_VERDICT=1

# Every test must end in t_ok or t_fail; one that reaches the next t_begin (or t_done)
# with neither failed a check that printed nothing, and counts as failed.
t_unjudged() { [ "$T_VERDICT" = 1 ] || t_fail "a check failed"; }
t_begin() { t_unjudged; T_CUR=$1; T_VERDICT=0; echo "-- $1" >&2; }
t_ok() { T_PASS=$((T_PASS + 1)); T_VERDICT=1; echo "ok   $T_CUR" >&2; }
t_fail() { T_FAIL=$((T_FAIL + 1)); T_VERDICT=1; echo "FAIL $T_CUR: $*" >&2; }
t_skip_all() { echo "SKIP: $*" >&2; exit 77; }
t_done() {
    t_unjudged
    echo "$T_PASS passed, $T_FAIL failed" >&2
    [ "$T_FAIL" -eq 0 ]
}

# run CMD...: runs with stdout in $T_DIR/out, stderr in $T_DIR/err, status in $RC.
run() {
    "$@" >"$T_DIR/out" 2>"$T_DIR/err"
    RC=$?
}
out() { cat "$T_DIR/out"; }
err() { cat "$T_DIR/err"; }
expect_rc() { [ "$RC" -eq "$1" ] || { t_fail "exit $RC, want $1; stderr: $(head -c 600 "$T_DIR/err")"; return 1; }; }
expect_err() { grep -q -- "$1" "$T_DIR/err" || { t_fail "stderr lacks '$1': $(head -c 600 "$T_DIR/err")"; return 1; }; }

# A whisper stand-in model of SIZE in the cache shared by all tests (made once).
standin_whisper() {
    local size=$1 cache="${PARLEY_TEST_TMP:-/tmp}/standins"
    mkdir -p "$cache"
    if [ ! -f "$cache/ggml-$size.bin" ]; then
        "$PARLEY_TOOLS/whisper_standin" --size "$size" --out "$cache/ggml-$size.bin" >/dev/null || return 1
    fi
    ln -sf "$cache/ggml-$size.bin" "$PARLEY_MODELS_DIR/ggml-$size.bin"
}

# The Silero VAD model from ../shared/models, or skip the whole test loudly.
need_vad() {
    local f="$PARLEY_SHARED/models/ggml-silero-v6.2.0.bin"
    [ -f "$f" ] || t_skip_all "needs $f (Silero VAD, see shared/models/MODELS.md)"
    ln -sf "$f" "$PARLEY_MODELS_DIR/ggml-silero-v6.2.0.bin"
}

# Another writer holding DB's write lock (BEGIN IMMEDIATE) in the background until
# db_unlock: db_lock DB NAME waits until the lock is taken ($T_DIR/NAME appears; at most
# 10 s) and leaves the holder's pid in DB_LOCKER; it lets go within 30 minutes anyway.
db_lock() {
    rm -f "$T_DIR/$2" "$T_DIR/$2.stop"
    python3 - "$1" "$T_DIR/$2" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("1")
for _ in range(18000):  # until told to stop (at most 30 minutes)
    if os.path.exists(sys.argv[2] + ".stop"):
        break
    time.sleep(0.1)
db.execute("ROLLBACK")
PY
    DB_LOCKER=$!
    for _ in $(seq 100); do [ -f "$T_DIR/$2" ] && break; sleep 0.1; done
}
db_unlock() { touch "$T_DIR/$1.stop"; wait "$DB_LOCKER" 2>/dev/null; }
n_sessions() { "$PARLEY_BIN" sessions list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
