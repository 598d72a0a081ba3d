# bench/meeting_lib.sh (sourced): make_meeting WORK MINUTES SHARED STANDINS writes
# WORK/meeting.wav, a meeting of about MINUTES minutes of espeak-ng turns (about ten
# seconds each, 1.5 s apart, five phrases cycled), and links the tiny whisper stand-in and
# the Silero VAD into WORK/models; the Qwen 3.5 2B stand-in is made in STANDINS if missing.
make_meeting() {
    local work=$1 minutes=$2 shared=$3 standins=$4 top
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    mkdir -p "$work/models" "$standins"
    [ -f "$standins/ggml-tiny.bin" ] || "$top/build/whisper_standin" --size tiny --out "$standins/ggml-tiny.bin" >/dev/null
    [ -f "$standins/qwen3.5-2b.gguf" ] || "$top/build/gguf_standin" --model qwen3.5-2b -o "$standins/qwen3.5-2b.gguf" >&2
    ln -sf "$standins/ggml-tiny.bin" "$work/models/ggml-tiny.bin"
    ln -sf "$shared/models/ggml-silero-v6.2.0.bin" "$work/models/"
    local phrases=("We should decide the budget today, because the finance team needs the numbers before the end of the month."
        "Who owns the marketing plan for next quarter, and when can we see a first draft of it?"
        "The release is late by about one week, mostly because testing found three bugs in the installer."
        "Let us move on to the next item on the agenda, which is the hiring plan for the support team."
        "I will send the notes after the call, and we can review the open questions on Thursday morning.")
    sox -n -r 16000 -c 1 "$work/gap.wav" trim 0 1.5
    local i
    for i in "${!phrases[@]}"; do
        espeak-ng -w "$work/p$i.raw.wav" "${phrases[$i]}" 2>/dev/null
        sox "$work/p$i.raw.wav" -r 16000 "$work/p$i.wav" && rm "$work/p$i.raw.wav"
    done
    local parts=() total=0 f
    i=0
    while [ "$total" -lt $((minutes * 60)) ]; do
        f="$work/p$((i % ${#phrases[@]})).wav"
        parts+=("$f" "$work/gap.wav")
        total=$(python3 -c "print(int($total + $(soxi -D "$f") + 1.5))")
        i=$((i + 1))
    done
    sox "${parts[@]}" "$work/meeting.wav"
}
