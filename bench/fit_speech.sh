#!/usr/bin/env bash
# bench/fit_speech.sh: the picker's speech-speed estimate against real `parley transcribe`
# runs of the whisper stand-ins on this machine. Each round measures the CPU's mat-vec
# rate (parley hw --remeasure) right before the transcription, so both see the same load;
# prints one line per run: size, file bytes, audio seconds, wall seconds, mat-vec GB/s,
# measured x real time, predicted x real time (parley models --json for that size).
#
#   scripts/dev.sh bench bench/fit_speech.sh        (env: SIZES="tiny base", RUNS=2)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/.." && pwd)/shared
wav=${WAV:-/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav}
sizes=${SIZES:-tiny base}
runs=${RUNS:-2}
work="$top/build/bench"
mkdir -p "$work"
export XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config" PARLEY_NO_PROGRESS=1
export PARLEY_MODEL_PATH="$shared/models"
for s in $sizes; do
    [ -f "$work/ggml-$s.bin" ] || "$top/build/whisper_standin" --size "$s" --out "$work/ggml-$s.bin" >/dev/null
done
audio=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(w.getnframes()/w.getframerate())" "$wav")
printf '%-6s %12s %8s %8s %8s %9s\n' size bytes audio_s wall_s matvec measured_x
for r in $(seq "$runs"); do
    for s in $sizes; do
        mv=$("$top/build/parley" hw --remeasure --json | python3 -c "import json,sys; print(json.load(sys.stdin)['cpu_matvec_gbs'])" 2>/dev/null || echo 0)
        t0=$(date +%s.%N)
        "$top/build/parley" transcribe "$wav" --model "$work/ggml-$s.bin" --threads 2 --vad-model "$shared/models/ggml-silero-v6.2.0.bin" --no-fallback --format txt >/dev/null 2>&1
        t1=$(date +%s.%N)
        python3 -c "import sys; s,b,a,t0,t1,mv=sys.argv[1:]; w=float(t1)-float(t0); print('%-6s %12d %8.1f %8.2f %8.2f %9.2f'%(s,int(b),float(a),w,float(mv),float(a)/w))" \
            "$s" "$(stat -c %s "$work/ggml-$s.bin")" "$audio" "$t0" "$t1" "$mv"
    done
done
