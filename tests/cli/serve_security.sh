# serve_security.sh: `parley serve` refuses what it must: no token -> 401, a foreign Host
# (DNS rebinding) or Origin (cross-site) -> 403, an oversized body -> 413 and oversized
# headers -> 431; it listens on loopback only (read from /proc/net/tcp*), keeps the
# token out of its logs, makes a new token per launch, serves the pages with a CSP that
# allows only 'self', and stalled clients do not stop it answering.
. "$(dirname "$0")/../cli_lib.sh"
command -v python3 >/dev/null || t_skip_all "needs python3"
export PYTHONDONTWRITEBYTECODE=1
t_begin "security checks against a real server"
PYTHONPATH="$(dirname "$0")" python3 - <<'PY' 2>"$T_DIR/py.err" && t_ok || t_fail "$(tail -c 1500 "$T_DIR/py.err")"
import json, os, signal, socket, sys, time
from serve_lib import Server

s = Server()
s2 = Server()
try:
    assert s.token != s2.token, "the same token twice"
finally:
    s2.stop()
p = s.port
def check(st, want, what):
    assert st == want, "%s: %d, want %d" % (what, st, want)
    print("ok:", what, file=sys.stderr)

# The token.
st, h, raw = s.request("GET", "/api/sessions", auth=False)
check(st, 401, "no token")
e = json.loads(raw)
assert e["status"] == 401 and e["error"] and "token" in e["detail"], e
assert h.get("WWW-Authenticate") == "Bearer"
check(s.request("GET", "/api/sessions", auth="0" * 64)[0], 401, "wrong token")
check(s.request("GET", "/api/sessions", auth=s.token[:-1])[0], 401, "token prefix")
check(s.request("GET", "/api/sessions")[0], 200, "right token")

# DNS rebinding: a Host that is not this loopback address and port, even with the token.
for host in ("evil.example:%d" % p, "127.0.0.1:%d" % (p + 1), "127.0.0.1", "", "attacker.127.0.0.1.nip.io:%d" % p):
    st, h, raw = s.request("GET", "/api/sessions", host=host)
    check(st, 403, "Host %r" % host)
    assert json.loads(raw)["status"] == 403
check(s.request("GET", "/", host="evil.example:%d" % p, auth=False)[0], 403, "page with a foreign Host")
check(s.request("GET", "/api/health", host="localhost:%d" % p)[0], 200, "Host localhost:PORT")
check(s.request("GET", "/api/health", host="[::1]:%d" % p)[0], 200, "Host [::1]:PORT")

# Cross-site: a foreign Origin on any request, reads and writes alike.
for origin in ("http://evil.example", "null", "http://127.0.0.1:%d" % (p + 1), "https://127.0.0.1:%d" % p):
    check(s.request("GET", "/api/sessions", headers={"Origin": origin})[0], 403, "Origin %r" % origin)
    check(s.request("POST", "/api/sessions/1/chat", {"question": "x"}, headers={"Origin": origin})[0], 403,
          "POST with Origin %r" % origin)
check(s.request("GET", "/api/sessions", headers={"Sec-Fetch-Site": "cross-site"})[0], 403, "Sec-Fetch-Site")
check(s.request("GET", "/api/sessions", headers={"Origin": "http://127.0.0.1:%d" % p})[0], 200, "own Origin")

# Limits.
check(s.request("PUT", "/api/settings", b"{" + b" " * (2 << 20) + b"}")[0], 413, "2 MiB body")
check(s.request("PUT", "/api/settings", b"x" * ((1 << 20) + 1))[0], 413, "body one byte over 1 MiB")
# Chunked, with no Content-Length: refused once past the limit.
c = socket.create_connection(("127.0.0.1", p))
c.sendall(("PUT /api/settings HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % (p, s.token)).encode())
chunk = b"x" * 65536
try:
    for _ in range(20):
        c.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    c.sendall(b"0\r\n\r\n")
except (BrokenPipeError, ConnectionResetError):
    pass
c.settimeout(10)
resp = c.recv(200).decode(errors="replace")
c.close()
assert resp.startswith("HTTP/1.1 413"), resp
print("ok: chunked body over the limit", file=sys.stderr)
check(s.request("GET", "/api/sessions", headers={"X-Big": "a" * 40000})[0], 431, "40 kB header")

# Stalled clients (half-sent requests) do not keep others out.
stalled = []
for _ in range(16):
    k = socket.create_connection(("127.0.0.1", p))
    k.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % p)
    stalled.append(k)
t0 = time.time()
check(s.request("GET", "/api/sessions", timeout=5)[0], 200, "answer beside 16 stalled clients")
assert time.time() - t0 < 2, "slow answer beside stalled clients"
for k in stalled:
    k.close()

# Pages: CSP 'self' only (blob: for the recording), no framing, no sniffing.
st, h, raw = s.request("GET", "/", auth=False)
check(st, 200, "page")
csp = h["Content-Security-Policy"]
assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp, csp
assert h["X-Content-Type-Options"] == "nosniff"
assert b"<script" in raw and b"src=\"/app.js\"" in raw and b"http://" not in raw and b"https://" not in raw

# Loopback only: every listening socket on this port is 127.0.0.1 or ::1.
def listeners(port):
    found = []
    for f, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            cols = ln.split()
            addr, prt = cols[1].split(":")
            if cols[3] == "0A" and int(prt, 16) == port:
                found.append(addr)
    return found
socks = listeners(p)
assert socks, "no listening socket found"
for a in socks:
    assert a in ("0100007F", "00000000000000000000000001000000"), "listening on %s" % a
print("ok: listening only on", socks, file=sys.stderr)

# Ctrl-C stops with 130; the token never reached the logs.
rc = s.stop()
assert rc == 130, rc
err = s.proc.stderr.read()
assert s.token not in err, "token in the log"
s3 = Server()
s3.proc.send_signal(signal.SIGTERM)
assert s3.proc.wait(20) == 143
PY
t_begin "a taken port is a clear error"
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$T_DIR/port" &
holder=$!
for _ in $(seq 50); do [ -s "$T_DIR/port" ] && break; sleep 0.1; done
run "$PARLEY_BIN" serve --no-measure --port "$(cat "$T_DIR/port")"
kill $holder 2>/dev/null
expect_rc 1 && expect_err "cannot listen" && [ ! -s "$T_DIR/out" ] && t_ok || t_fail "$(err)"
t_begin "bad options"
run "$PARLEY_BIN" serve --port 70000
[ "$RC" = 2 ] && expect_err "port" && t_ok || t_fail "$(err)"
t_done
