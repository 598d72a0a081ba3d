# bad_inputs.sh: the rows of docs/bad-inputs.md that were marked POOR, each with the
# message it gives now: a recording on standard input (transcribe -), --model for an LLM
# task given a directory, a device, a speech model's id, a BERT GGUF, a base model with
# no template; models local --json; a damaged catalog.json with a model found by name;
# transcribe under an address-space limit too small for the model. Nothing is stored by
# any failure.
. "$(dirname "$0")/../cli_lib.sh"
need_vad
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"
command -v ffmpeg >/dev/null || t_skip_all "needs ffmpeg"
P=$PARLEY_BIN
T=(--model tiny --threads 2 --no-fallback)
X=(--template chatml --threads 1 --ctx 2048 --max-tokens 8)
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
ffmpeg -v error -y -i "$WAV" -t 4 "$T_DIR/a.wav"
ffmpeg -v error -y -i "$WAV" -t 4 -c:a aac "$T_DIR/a.m4a"
head -c 20000 "$T_DIR/a.wav" >"$T_DIR/cut.wav"
"$PARLEY_TOOLS/gguf_add_template" "$M" "$T_DIR/bert.gguf" --arch bert >/dev/null || t_skip_all "gguf_add_template"
mkdir "$T_DIR/dir.gguf"
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
count() { [ -f "$XDG_DATA_HOME/parley/parley.db" ] && n_sessions || echo 0; }

t_begin "setup: session 1, from a file"
run "$P" transcribe "$T_DIR/a.wav" "${T[@]}" --title setup
expect_rc 0 && t_ok

t_begin "transcribe -: a WAV piped in is transcribed and stored, titled for standard input"
cat "$T_DIR/a.wav" | "$P" transcribe - "${T[@]}" --format json >"$T_DIR/out" 2>"$T_DIR/err"
RC=$?
if expect_rc 0; then
    "$P" sessions list --json >"$T_DIR/list.json"
    if [ "$(json_get "$T_DIR/list.json" 'len(d)')" = 2 ] &&
        json_get "$T_DIR/list.json" 'd[0]["title"]' | grep -q "^Recording from standard input" &&
        [ "$(json_get "$T_DIR/out" 'round(d["duration"])')" = 4 ]; then t_ok
    else t_fail "list: $(cat "$T_DIR/list.json"); out: $(head -c 300 "$T_DIR/out")"; fi
fi

t_begin "transcribe - < file.m4a: a redirected M4A (index at the end) is read as that file"
run "$P" transcribe - "${T[@]}" --title m4a <"$T_DIR/a.m4a"
expect_rc 0 && [ "$(count)" = 3 ] && t_ok

t_begin "a FIFO: by name it is refused with the way out; given on standard input it is read"
mkfifo "$T_DIR/f.wav"
run timeout 20 "$P" transcribe "$T_DIR/f.wav" "${T[@]}"
if expect_rc 1 && expect_err "give it on standard input (parley transcribe - < .*f.wav)"; then
    cat "$T_DIR/a.wav" >"$T_DIR/f.wav" &
    run timeout 60 "$P" transcribe - "${T[@]}" --title fifo <"$T_DIR/f.wav"
    wait
    expect_rc 0 && [ "$(count)" = 4 ] && t_ok
fi

t_begin "transcribe -: an M4A piped in needs its index first (faststart); else the message says so"
ffmpeg -v error -y -i "$WAV" -t 10 -c:a aac -b:a 160k "$T_DIR/late.m4a"
ffmpeg -v error -y -i "$T_DIR/late.m4a" -c copy -movflags +faststart "$T_DIR/early.m4a"
cat "$T_DIR/late.m4a" | "$P" transcribe - "${T[@]}" >/dev/null 2>"$T_DIR/err"; RC=$?
if expect_rc 1 && expect_err "is an MP4/M4A file whose index (the 'moov' atom) is not at its start"; then
    cat "$T_DIR/early.m4a" | "$P" transcribe - "${T[@]}" --title faststart >/dev/null 2>"$T_DIR/err"; RC=$?
    expect_rc 0 && [ "$(count)" = 5 ] && t_ok
fi

t_begin "transcribe -: Ctrl-C while waiting for input cancels (exit 130), nothing stored"
sleep $((5 * ${PARLEY_TEST_TIME_SCALE:-1})) | "$P" transcribe - "${T[@]}" >/dev/null 2>"$T_DIR/err" &
pid=$!
sleep "${PARLEY_TEST_TIME_SCALE:-1}"
kill -INT "$pid"
wait "$pid"; RC=$?
expect_rc 130 && expect_err "cancelled" && [ "$(count)" = 5 ] && t_ok

t_begin "transcribe -: a GGUF piped in is named as such; nothing stored"
cat "$M" | "$P" transcribe - "${T[@]}" >/dev/null 2>"$T_DIR/err"
RC=$?
expect_rc 1 && expect_err "standard input is a GGUF model file" && [ "$(count)" = 5 ] && t_ok

t_begin "transcribe -: an empty pipe is 'empty', a cut WAV 'truncated', nothing piped in (a device) refused"
printf '' | "$P" transcribe - "${T[@]}" >/dev/null 2>"$T_DIR/err"; RC=$?
if expect_rc 1 && expect_err "standard input is empty (0 bytes)"; then
    cat "$T_DIR/cut.wav" | "$P" transcribe - "${T[@]}" >/dev/null 2>"$T_DIR/err"; RC=$?
    if expect_rc 1 && expect_err "standard input is truncated: its header says 4.0 s"; then
        run "$P" transcribe - "${T[@]}" </dev/null
        expect_rc 1 && expect_err "standard input is a device, not a recording" && [ "$(count)" = 5 ] && t_ok
    fi
fi

t_begin "a WAV claiming 822 MHz (fuzz_audio's timeout): refused at once, not seconds of resampling"
python3 -c 'import struct,sys; d=bytes(3200); sys.stdout.buffer.write(b"RIFF"+struct.pack("<I",36+len(d))+b"WAVEfmt "+struct.pack("<IHHIIHH",16,1,1,822083648,1644167296,2,16)+b"data"+struct.pack("<I",len(d))+d)' >"$T_DIR/rate.wav"
t0=$(date +%s%N)
run timeout 60 "$P" transcribe "$T_DIR/rate.wav" "${T[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc 1 && expect_err "claims 822083648 samples per second" && [ "$(count)" = 5 ] &&
    { [ "$ms" -lt $((5000 * ${PARLEY_TEST_TIME_SCALE:-1})) ] && t_ok || t_fail "took $ms ms"; }

t_begin "summarize --model a directory / a device: said so (was 'no such file')"
run "$P" summarize 1 --model "$T_DIR/dir.gguf" "${X[@]}"
if expect_rc 1 && expect_err "dir.gguf is a directory, not a model file"; then
    run "$P" summarize 1 --model /dev/zero "${X[@]}"
    expect_rc 1 && expect_err "/dev/zero is not a regular file" && t_ok
fi

t_begin "summarize --model a speech model's id: 'a speech model, not an LLM' (was 'no LLM')"
run "$P" summarize 1 --model whisper-tiny "${X[@]}"
expect_rc 1 && expect_err "whisper-tiny (Whisper Tiny) is a speech model, not an LLM" && t_ok

t_begin "transcribe --model an LLM's id: 'a language model, not a speech model'"
llm_id=$("$P" models --no-measure --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["models"][0]["id"])')
run "$P" transcribe "$T_DIR/a.wav" --model "$llm_id" --threads 2
expect_rc 1 && expect_err "is a language model (LLM), not a speech model" && [ "$(count)" = 5 ] && t_ok

t_begin "summarize --model a BERT GGUF: 'does not generate text', as models add says"
run "$P" summarize 1 --model "$T_DIR/bert.gguf" "${X[@]}"
if expect_rc 1 && expect_err "architecture 'bert' does not generate text"; then
    run "$P" models add "$T_DIR/bert.gguf"
    expect_rc 1 && expect_err "does not generate text" && t_ok
fi

t_begin "summarize with a base model and no --template: the template error comes first"
run "$P" summarize 1 --model stories260K --threads 1 --ctx 8192 --max-tokens 8
first=$(grep -v '^$' "$T_DIR/err" | head -1)
expect_rc 1 && case $first in *"no chat template"*) t_ok ;; *) t_fail "first line: $first" ;; esac

t_begin "models local --json: the features in JSON (was refused)"
run "$P" models local --json
if expect_rc 0 && [ "$(json_get "$T_DIR/out" 'sorted(d["local_features"]) == sorted(k for k in ("transcribe","summary","chat","suggest") if d[k])')" = True ]; then
    run "$P" models local chat=off --json
    expect_rc 0 && [ "$(json_get "$T_DIR/out" 'd["chat"] is False and "chat" not in d["local_features"]')" = True ] && t_ok
fi
"$P" models local chat=on >/dev/null

t_begin "damaged catalog.json: transcribe --model tiny still works, warning with the file; models still reports it"
mkdir -p "$XDG_CONFIG_HOME/parley"
echo '{"format":1, "models": [' >"$XDG_CONFIG_HOME/parley/catalog.json"
run "$P" transcribe "$T_DIR/a.wav" "${T[@]}" --title damaged
if expect_rc 0 && expect_err "warning: .*catalog.json: not valid JSON" && [ "$(count)" = 6 ]; then
    run "$P" models --no-measure
    expect_rc 1 && expect_err "catalog.json: not valid JSON" && t_ok
fi
rm -f "$XDG_CONFIG_HOME/parley/catalog.json"

t_begin "transcribe under prlimit --as=300M: 'not enough memory' before loading, not an abort in ggml"
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "(sanitizer build: its shadow memory cannot live under an address-space limit; not tried)" >&2
    t_ok
elif ! command -v prlimit >/dev/null; then
    echo "(no prlimit; not tried)" >&2
    t_ok
else
    run prlimit --as=$((300 * 1024 * 1024)) "$P" transcribe "$T_DIR/a.wav" "${T[@]}" --title oom
    expect_rc 1 && expect_err "not enough memory: the speech model .* needs at least [0-9]* MB of address space, but the limit (ulimit -v / prlimit --as) is 300 MB" &&
        [ "$(count)" = 6 ] && t_ok
fi
t_done
