#!/usr/bin/env bash
# scripts/demo.sh: Parley's main job from a fresh clone, with nothing downloaded.
#
# It speaks a short two-person meeting with espeak-ng (with pauses, as meetings have),
# transcribes it with `./parley transcribe`, then lists the stored session and exports it
# as SRT. With a real whisper.cpp model in Parley's models directory (or MODEL=path) the
# words are real. Without one it generates a stand-in model with the real shapes of
# whisper "tiny" and random weights: everything runs for real (decoding, VAD, whisper,
# storage, export) but the words it prints are meaningless, and it says so.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
work="$top/build/demo"
mkdir -p "$work"
export XDG_DATA_HOME=${XDG_DATA_HOME:-$work/data}

# Tools that must run where the packages are: here if this host has them, else in the root.
in_env() {
    if command -v espeak-ng >/dev/null && pkg-config --exists 'whisper >= 1.9.5' 2>/dev/null; then "$@"
    else scripts/root.sh run "$@"; fi
}
./parley --version >/dev/null  # builds, creating the build root first when needed

if [ ! -f "$work/meeting.wav" ]; then
    echo "Synthesising a short meeting with espeak-ng..." >&2
    in_env bash -c '
        w=$1; cd "$w"
        espeak-ng -v en-us -s 150 -w a1.wav "Good morning everyone. Let us start with the budget for the next quarter."
        espeak-ng -v en-gb -s 140 -w b1.wav "Thanks. We are about ten percent over on travel, so I suggest we cut conference trips."
        espeak-ng -v en-us -s 150 -w a2.wav "Agreed. Maria will send the revised numbers by Friday."
        sox -n -r 22050 -c 1 gap.wav trim 0 2.5
        sox gap.wav a1.wav gap.wav b1.wav gap.wav a2.wav gap.wav meeting.wav
        rm -f a1.wav b1.wav a2.wav gap.wav' bash "$work"
fi

model=${MODEL:-}
if [ -z "$model" ]; then
    if ./parley transcribe --help >/dev/null && ls "${PARLEY_MODELS_DIR:-${XDG_DATA_HOME}/parley/models}"/ggml-*.bin 2>/dev/null | grep -vq silero; then
        model=""  # parley picks the largest model there
    else
        model="$work/ggml-tiny-standin.bin"
        if [ ! -f "$model" ]; then
            echo "No whisper model found: generating a stand-in with tiny's real shapes and RANDOM weights." >&2
            in_env build/whisper_standin --size tiny --out "$model" >/dev/null
        fi
        echo "NOTE: random-weight stand-in model: the pipeline is real, the words are not." >&2
    fi
fi
vad_args=()
if ! ls "${PARLEY_MODELS_DIR:-${XDG_DATA_HOME}/parley/models}"/ggml-silero-*.bin >/dev/null 2>&1; then
    vad="$top/../shared/models/ggml-silero-v6.2.0.bin"
    [ -f "$vad" ] || { echo "demo: no Silero VAD model: put ggml-silero-v6.2.0.bin in Parley's models directory" >&2; exit 1; }
    vad_args=(--vad-model "$vad")
fi

set -x
./parley transcribe "$work/meeting.wav" ${model:+--model "$model"} "${vad_args[@]}" --title "Budget meeting (demo)"
./parley sessions list
./parley sessions export "$(./parley sessions list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" --format srt
