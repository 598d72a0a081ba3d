#!/usr/bin/env bash
# scripts/bad-inputs.sh: tries every bad input in docs/bad-inputs.md against the built
# `parley` (isolated XDG dirs, the tiny whisper stand-in, stories260K) and prints the
# table rows with each command's exit code and exact first line of stderr. Run inside the
# build root: scripts/root.sh run scripts/bad-inputs.sh > /tmp/rows.md
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
P=$top/build/parley
B=$top/build
S=$top/../shared/models
W=$(mktemp -d "$top/build/testtmp/bad-inputs.XXXXXX")
export XDG_DATA_HOME=$W/data XDG_CONFIG_HOME=$W/config XDG_CACHE_HOME=$W/cache PARLEY_MODELS_DIR=$W/models PARLEY_NO_PROGRESS=1
unset PARLEY_DATA_DIR PARLEY_CONFIG_DIR PARLEY_MODEL_PATH PARLEY_MODEL_BASE_URL
mkdir -p "$PARLEY_MODELS_DIR" "$XDG_CONFIG_HOME/parley"
"$B/whisper_standin" --size tiny --out "$W/models/ggml-tiny.bin" >/dev/null
ln -sf "$S/ggml-silero-v6.2.0.bin" "$W/models/"
ln -sf "$S/stories260K.gguf" "$W/models/"
"$B/gguf_add_template" "$S/stories260K.gguf" "$W/chat.gguf"
"$B/gguf_add_template" "$S/stories260K.gguf" "$W/bert.gguf" --arch bert
head -c 600000 "$W/chat.gguf" >"$W/trunc.gguf"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
ffmpeg -v error -y -i "$WAV" -t 6 "$W/a.wav"
"$P" transcribe "$W/a.wav" --model tiny --threads 2 --no-fallback --title setup >/dev/null 2>&1
: >"$W/empty.wav"; mkfifo "$W/fifo.wav"; mkdir "$W/dir.wav" "$W/dir.gguf"
printf 'Minutes of the meeting\n%.0s' $(seq 200) >"$W/notes.mp3"
head -c 65536 /dev/urandom >"$W/noise.m4a"
cp "$W/chat.gguf" "$W/model.mp3"
ffmpeg -v error -y -f lavfi -i 'sine=duration=10' -ar 16000 "$W/long.wav"; head -c 120000 "$W/long.wav" >"$W/cut.wav"
ffmpeg -v error -y -f lavfi -i 'sine=duration=5' -c:a aac "$W/full.m4a"; head -c $(( $(stat -c %s "$W/full.m4a") / 2 )) "$W/full.m4a" >"$W/cut.m4a"
ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=2 -c:v mpeg4 "$W/video.mp4"
cp "$W/a.wav" "$W/victim.wav"
: >"$W/zero.bin"
L1000=$(printf 'a%.0s' $(seq 1000)); P5000="$W/$(printf 'v%.0s' $(seq 5000))"
T=(--model tiny --threads 2 --no-fallback)
X=(--template chatml --threads 1 --ctx 2048 --max-tokens 16)

row() { # description ; command...
    local what=$1; shift
    local out rc
    out=$(cd "$W" && timeout 120 "$@" 2>&1 >/dev/null </dev/null | grep -v '^$' | head -1)
    rc=${PIPESTATUS[0]}
    rc=$(cd "$W" && timeout 120 "$@" >/dev/null 2>&1 </dev/null; echo $?)
    local shown=${*//$W/\~}
    shown=${shown//$P/parley}
    shown=${shown//$L1000/a×1000}
    shown=${shown//$P5000/v×5000}
    out=${out//$W/\~}
    out=${out//$L1000/a×1000}
    out=${out//$P5000/\~\/v×5000}
    printf '| %s | `%s` | %s | %s |\n' "$what" "$shown" "$rc" "${out//|/\\|}"
}

echo "| input | command | exit | message (first line of stderr) |"
echo "|---|---|---|---|"
row "no arguments" "$P"
row "unknown command" "$P" bogus
row "help for an unknown command" "$P" help bogus
row "missing file" "$P" transcribe "$W/nope.wav" "${T[@]}"
row "empty file" "$P" transcribe "$W/empty.wav" "${T[@]}"
row "a directory" "$P" transcribe "$W/dir.wav" "${T[@]}"
row "/dev/zero" "$P" transcribe /dev/zero "${T[@]}"
row "a FIFO" "$P" transcribe "$W/fifo.wav" "${T[@]}"
row "stdin as -" "$P" transcribe - "${T[@]}"
row "text named .mp3" "$P" transcribe "$W/notes.mp3" "${T[@]}"
row "random bytes named .m4a" "$P" transcribe "$W/noise.m4a" "${T[@]}"
row "a GGUF renamed .mp3" "$P" transcribe "$W/model.mp3" "${T[@]}"
row "truncated WAV" "$P" transcribe "$W/cut.wav" "${T[@]}"
row "truncated M4A (index lost)" "$P" transcribe "$W/cut.m4a" "${T[@]}"
row "truncated M4A with --allow-truncated" "$P" transcribe "$W/cut.m4a" "${T[@]}" --allow-truncated
row "video without audio" "$P" transcribe "$W/video.mp4" "${T[@]}"
row "unknown language" "$P" transcribe "$W/a.wav" "${T[@]}" --language xx
row "1000-character language" "$P" transcribe "$W/a.wav" "${T[@]}" --language "$L1000"
row "--threads 0" "$P" transcribe "$W/a.wav" --threads 0
row "--threads abc" "$P" transcribe "$W/a.wav" --threads abc
row "--format bogus" "$P" transcribe "$W/a.wav" "${T[@]}" --format bogus
row "--out a directory" "$P" transcribe "$W/a.wav" "${T[@]}" --out "$W/dir.wav"
row "--out the input itself" "$P" transcribe "$W/victim.wav" "${T[@]}" --out "$W/victim.wav"
row "--title empty" "$P" transcribe "$W/a.wav" "${T[@]}" --title ""
row "--model missing path" "$P" transcribe "$W/a.wav" --model "$W/nope.bin"
row "--model a GGUF" "$P" transcribe "$W/a.wav" --model "$W/chat.gguf"
row "--model a 0-byte file" "$P" transcribe "$W/a.wav" --model "$W/zero.bin"
row "--vad-model a whisper model" "$P" transcribe "$W/a.wav" "${T[@]}" --vad-model "$W/models/ggml-tiny.bin"
row "--vad-model 5000-char path" "$P" transcribe "$W/a.wav" "${T[@]}" --vad-model "$P5000"
row "unknown option" "$P" transcribe "$W/a.wav" --bogus
row "two files" "$P" transcribe "$W/a.wav" "$W/a.wav"
row "sessions: unknown subcommand" "$P" sessions bogus
row "sessions show: unknown id" "$P" sessions show 999
row "sessions show: not a number" "$P" sessions show abc
row "sessions show: extra argument" "$P" sessions show 1 2
row "sessions rm --json" "$P" sessions rm 999 --json
row "sessions export: no format" "$P" sessions export 1
row "sessions export: bad format" "$P" sessions export 1 --format bogus
row "sessions rename: empty title" "$P" sessions rename 1 ""
row "summarize: no session" "$P" summarize
row "summarize: session abc" "$P" summarize abc
row "summarize: unknown session" "$P" summarize 999 --model "$W/chat.gguf" "${X[@]}"
row "summarize: --model missing" "$P" summarize 1 --model "$W/nope.gguf" "${X[@]}"
row "summarize: --model a directory" "$P" summarize 1 --model "$W/dir.gguf" "${X[@]}"
row "summarize: --model /dev/zero" "$P" summarize 1 --model /dev/zero "${X[@]}"
row "summarize: --model a speech model" "$P" summarize 1 --model whisper-tiny "${X[@]}"
row "summarize: --model bert" "$P" summarize 1 --model "$W/bert.gguf" "${X[@]}"
row "summarize: --model truncated GGUF" "$P" summarize 1 --model "$W/trunc.gguf" "${X[@]}"
row "summarize: base model, no template" "$P" summarize 1 --model stories260K --threads 1
row "summarize: --ctx 10" "$P" summarize 1 --model stories260K --template chatml --ctx 10
row "summarize: --max-tokens 0" "$P" summarize 1 --model stories260K --template chatml --max-tokens 0
row "ask: empty question" "$P" ask 1 "" --model stories260K --template chatml
row "ask: no question, not a terminal" "$P" ask 1 --model stories260K --template chatml
row "models: unknown subcommand" "$P" models bogus
row "models add: missing file" "$P" models add "$W/nope.gguf"
row "models add: base model" "$P" models add "$S/stories260K.gguf"
row "models add: truncated GGUF" "$P" models add "$W/trunc.gguf"
row "models add: template llama.cpp cannot use" "$P" models add "$W/chat.gguf"
row "models use: unknown id" "$P" models use nope
row "models rm: unknown id" "$P" models rm nope
row "models pull: unknown id" "$P" models pull nope
row "models local: unknown feature" "$P" models local bogus=on
row "models local: bad value" "$P" models local chat=maybe
row "models local --json" "$P" models local --json
row "models --ctx 10" "$P" models --ctx 10 --no-measure
echo '{ not json' >"$XDG_CONFIG_HOME/parley/device.json"
row "damaged device.json (transcribe)" "$P" transcribe "$W/a.wav" "${T[@]}"
row "damaged device.json (models use)" "$P" models use whisper-tiny
rm -f "$XDG_CONFIG_HOME/parley/device.json"
echo '{"format":1, "models": [' >"$XDG_CONFIG_HOME/parley/catalog.json"
row "damaged catalog.json (transcribe --model tiny)" "$P" transcribe "$W/a.wav" "${T[@]}"
row "damaged catalog.json (models)" "$P" models --no-measure
rm -f "$XDG_CONFIG_HOME/parley/catalog.json"
mkdir -p "$XDG_DATA_HOME/parley"; cp "$XDG_DATA_HOME/parley/models.json" "$W/models.json.bak" 2>/dev/null
echo '{"models":[{"id":"own-x","path":"relative.gguf"}]}' >"$XDG_DATA_HOME/parley/models.json"
row "damaged models.json (models)" "$P" models --no-measure
rm -f "$XDG_DATA_HOME/parley/models.json"
row "hw: unknown option" "$P" hw --bogus
cp "$XDG_DATA_HOME/parley/parley.db" "$W/db.bak"
echo "not a database at all, just text" >"$XDG_DATA_HOME/parley/parley.db"; rm -f "$XDG_DATA_HOME/parley/parley.db-wal" "$XDG_DATA_HOME/parley/parley.db-shm"
row "a database file that is not SQLite" "$P" sessions list
cp "$W/db.bak" "$XDG_DATA_HOME/parley/parley.db"
rm -rf "$W"
