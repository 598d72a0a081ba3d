# egress.sh: no egress, proven. Every command runs under `strace -f -e trace=connect` and
# the test fails on any connect() to an address that is not loopback (AF_UNIX and
# 127.0.0.0/8 / ::1 are fine). It also proves it can fail: the tracer must have seen each
# process exit, and a control program that does connect to an outside address must be
# caught by the same check. Commands: transcribe, sessions, summarize, notes, ask, suggest,
# models (list, pull from a loopback host), hw, live (replaying a recording) and serve
# (answering a request), the last two when `parley help` lists them.
. "$(dirname "$0")/../cli_lib.sh"
command -v strace >/dev/null || t_skip_all "needs strace"
strace -f -q --seccomp-bpf -e trace=connect -o /dev/null true 2>/dev/null || t_skip_all "strace cannot trace here (ptrace not permitted)"
need_vad
M="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$M" ] || t_skip_all "needs $M (see shared/models/MODELS.md)"
standin_whisper tiny || t_skip_all "could not generate the tiny whisper stand-in"
WAV=/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav
[ -f "$WAV" ] || t_skip_all "needs $WAV (Debian package whisper.cpp-tools)"
ln -sf "$M" "$PARLEY_MODELS_DIR/stories260K.gguf"
P=$PARLEY_BIN
# In the sanitizer build, LeakSanitizer cannot run under a tracer (it stops the world with
# ptrace itself); the same commands are leak-checked untraced by the other CLI tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
LLM=(--model stories260K --template chatml --threads 1 --ctx 2048)
n=0

# check_trace FILE: prints offending connect() lines; exit 0 when there are none.
check_trace() {
    python3 - "$1" <<'PY'
import re, sys, ipaddress
bad = []
for line in open(sys.argv[1], errors="replace"):
    if "connect(" not in line or "resumed>" in line and "sa_family" not in line:
        continue
    m = re.search(r'sa_family=(AF_\w+)', line)
    if not m:
        continue
    fam = m.group(1)
    if fam in ("AF_UNIX", "AF_LOCAL", "AF_NETLINK", "AF_UNSPEC"):
        continue
    a = re.search(r'inet_addr\("([^"]+)"\)', line) or re.search(r'inet_pton\(AF_INET6, "([^"]+)"', line)
    if not a:
        bad.append(line.strip()); continue
    ip = ipaddress.ip_address(a.group(1))
    if ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_loopback):
        continue
    bad.append(line.strip())
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
}

# traced NAME CMD...: runs CMD under the tracer; fails the test on a non-loopback connect
# or when the trace does not show the process ending (the tracer did not see it).
traced() {
    local name=$1; shift
    n=$((n + 1))
    local tr="$T_DIR/trace-$n-$name"
    strace -f -q --seccomp-bpf -e trace=connect -e signal=none -o "$tr" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
    RC=$?
    grep -q '+++ exited with' "$tr" || { t_fail "$name: the tracer did not see the process exit"; return 1; }
    local off
    off=$(check_trace "$tr") || { t_fail "$name: connect() to a non-loopback address: $off"; return 1; }
    return 0
}

t_begin "the check catches a connect() to an outside address (control)"
strace -f -q --seccomp-bpf -e trace=connect -e signal=none -o "$T_DIR/trace-control" python3 -c '
import socket
s = socket.socket(); s.setblocking(False)
try: s.connect(("192.0.2.1", 80))
except OSError: pass'
if ! grep -q '+++ exited with' "$T_DIR/trace-control"; then
    t_fail "the tracer did not see the control process exit: $(head -c 400 "$T_DIR/trace-control")"
elif off=$(check_trace "$T_DIR/trace-control"); then
    t_fail "a connect() to 192.0.2.1 was not caught: $(head -c 600 "$T_DIR/trace-control")"
else
    case $off in *192.0.2.1*) t_ok ;; *) t_fail "caught the wrong line: $off" ;; esac
fi

t_begin "transcribe, sessions: no connect() off the machine"
traced transcribe "$P" transcribe "$WAV" --model tiny --threads 2 --no-fallback --title Egress && expect_rc 0 &&
    traced sessions-list "$P" sessions list --json && expect_rc 0 &&
    traced sessions-export "$P" sessions export 1 --format json && expect_rc 0 && t_ok

t_begin "summarize, notes, ask, suggest: no connect() off the machine"
traced summarize "$P" summarize 1 "${LLM[@]}" --item-chars 16 --max-items 2 --json && expect_rc 0 &&
    traced notes "$P" notes 1 "${LLM[@]}" --max-tokens 24 --json && expect_rc 0 &&
    traced ask "$P" ask 1 "What is the rule?" "${LLM[@]}" --max-tokens 16 --json && expect_rc 0 &&
    traced suggest "$P" suggest 1 "${LLM[@]}" --item-chars 16 --json && expect_rc 0 && t_ok

t_begin "models, hw: no connect() off the machine"
traced models "$P" models --json --no-measure && expect_rc 0 &&
    traced hw "$P" hw --json --no-measure && expect_rc 0 && t_ok

t_begin "models pull reaches only the (loopback) model host"
# Port 9 on loopback is closed: the pull fails, but its one connect() goes to 127.0.0.1.
PARLEY_MODEL_BASE_URL=http://127.0.0.1:9 traced pull "$P" models pull qwen3.5-2b
if [ "$T_VERDICT" = 0 ]; then
    if [ "$RC" -ne 0 ] && grep -q 'AF_INET.*127\.0\.0\.1' "$T_DIR/trace-$n-pull"; then t_ok
    else t_fail "pull: exit $RC, trace: $(head -c 400 "$T_DIR/trace-$n-pull")"; fi
fi

t_begin "the default model host is refused nowhere but reached only by pull"
# Without a base URL, a pull would go to huggingface.co: not run here (no network in CI).
# Instead: every other command above made no inet connect() at all.
if ! cat "$T_DIR"/trace-*-{transcribe,sessions-list,summarize,notes,ask,suggest,models,hw} 2>/dev/null | grep -q 'sa_family=AF_INET'; then t_ok
else t_fail "an inet socket was connected by a command that needs none: $(cat "$T_DIR"/trace-* | grep AF_INET | head -3)"; fi

if "$P" help 2>/dev/null | grep -q "^  live "; then
    t_begin "live (replaying a recording as the microphone): no connect() off the machine"
    ffmpeg -v error -y -i "$WAV" -t 6 "$T_DIR/live.wav"
    traced live "$P" live --input "$T_DIR/live.wav" --speed 0 --no-system --asr-model tiny --title "Egress live" &&
        t_ok
fi
if "$P" help 2>/dev/null | grep -q "^  serve "; then
    t_begin "serve (answering a request on loopback): no connect() off the machine"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    strace -f -q --seccomp-bpf -e trace=connect -e signal=none -o "$T_DIR/trace-serve" \
        "$P" serve --port "$port" --no-measure >"$T_DIR/serve.out" 2>"$T_DIR/serve.err" &
    tracer=$!
    got=
    for _ in $(seq 300); do
        got=$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=2).status)' "$port" 2>/dev/null) && break
        sleep 0.2
    done
    child=$(cat /proc/"$tracer"/task/*/children 2>/dev/null | awk '{print $1}')
    kill -INT "${child:-$tracer}"
    wait "$tracer"
    if [ "$got" != 200 ]; then t_fail "serve did not answer (got '$got'): $(head -c 300 "$T_DIR/serve.err")"
    elif ! grep -q '+++ exited with' "$T_DIR/trace-serve"; then t_fail "the tracer did not see serve exit"
    elif off=$(check_trace "$T_DIR/trace-serve"); then t_ok
    else t_fail "serve: connect() to a non-loopback address: $off"; fi
fi
t_done
