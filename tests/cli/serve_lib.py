# serve_lib.py: helpers for the `parley serve` tests (imported by them; not a test).
# Starts the real server, reads its first stdout line (the page's address with the token)
# and talks to it with http.client, which lets a test send any Host or Origin header.
import http.client
import json
import os
import re
import signal
import subprocess
import time


class Server:
    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen([os.environ["PARLEY_BIN"], "serve", "--no-measure", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        line = self.proc.stdout.readline().strip()
        m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/#token=([0-9a-f]{64})", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("first line is not the address: %r; stderr: %s" % (line, self.proc.stderr.read()))
        self.url, self.port, self.token = line, int(m.group(1)), m.group(2)

    def request(self, method, path, body=None, headers=None, host=None, auth=True, addr="127.0.0.1",
                timeout=30):
        c = http.client.HTTPConnection(addr, self.port, timeout=timeout)
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        c.putheader("Host", host if host is not None else "127.0.0.1:%d" % self.port)
        if auth:
            c.putheader("Authorization", "Bearer " + (auth if isinstance(auth, str) else self.token))
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            c.putheader("Content-Type", "application/json")
            c.putheader("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        if data:
            try:
                c.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
        r = c.getresponse()
        raw = r.read()
        c.close()
        return r.status, dict(r.getheaders()), raw

    def json(self, method, path, body=None, want=200, **kw):
        st, h, raw = self.request(method, path, body, **kw)
        assert st == want, "%s %s: %d, want %d: %s" % (method, path, st, want, raw[:400])
        return json.loads(raw)

    def events(self, job, timeout=120, stamp=False, into=None):
        """Reads a job's event stream to its end: a list of (event, data); stamp: each
        data also gets "_arrived_ms", the wall clock when its line was read; into: a list
        that gets each event as it arrives (for another thread to watch), and is returned."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request("GET", "/api/jobs/%d/events" % job, headers={"Authorization": "Bearer " + self.token})
        r = c.getresponse()
        assert r.status == 200, r.status
        assert r.getheader("Content-Type").startswith("text/event-stream")
        out, ev = (into if into is not None else []), None
        for line in r:
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                ev = line[7:]
            elif line.startswith("data: "):
                d = json.loads(line[6:])
                if stamp and isinstance(d, dict):
                    d["_arrived_ms"] = int(time.time() * 1000)
                out.append((ev, d))
        c.close()
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def wait_for(pred, timeout=10.0, step=0.05):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(step)
    return False
