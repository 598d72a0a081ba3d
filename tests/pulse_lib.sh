# pulse_lib.sh: a private PulseAudio server for the live tests (sourced after cli_lib.sh;
# not a test). Two null sinks, "mic" and "meeting": their monitors are the --mic and
# --system sources, and `paplay -d mic x.wav` speaks into the microphone.
pulse_start() {
    command -v pulseaudio >/dev/null || t_skip_all "needs pulseaudio (the test starts its own server)"
    export XDG_RUNTIME_DIR="$T_DIR/run" PULSE_RUNTIME_PATH="$T_DIR/run/pulse" HOME="${HOME:-$T_DIR}"
    export PULSE_SERVER="unix:$T_DIR/run/pulse/native"
    mkdir -p "$XDG_RUNTIME_DIR/pulse" && chmod 700 "$XDG_RUNTIME_DIR"
    pulseaudio --daemonize=yes --exit-idle-time=-1 -n --use-pid-file=yes --system=no \
        --load="module-native-protocol-unix socket=$T_DIR/run/pulse/native auth-anonymous=1" \
        --load="module-null-sink sink_name=mic" --load="module-null-sink sink_name=meeting" \
        --log-target=file:"$T_DIR/pulse.log" 2>"$T_DIR/pulse.err" ||
        t_skip_all "pulseaudio did not start: $(cat "$T_DIR/pulse.err")"
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pactl info >/dev/null 2>&1 || t_skip_all "pulseaudio does not answer: $(cat "$T_DIR/pulse.log" | tail -5)"
    pactl set-default-sink meeting >/dev/null
    pactl set-default-source mic.monitor >/dev/null
    trap pulse_stop EXIT
}
pulse_stop() {
    pulseaudio --kill >/dev/null 2>&1 || true
}
