#!/usr/bin/env python3
"""live_check.py: checks for the live tests (not a test itself).

  events FILE                       -> prints the started event's wall_ms
  session DB ID                     -> JSON: status, duration_s, audio_path, segments, notes
  xcorr REC.wav CHANNEL PHRASE.wav EXPECT_MS
        cross-correlates the phrase with one channel of the recording (both brought to
        1 kHz by sox, refined at 8 kHz) within +-1.5 s of EXPECT_MS; prints "peak lag_ms"
"""
import json, sqlite3, subprocess, sys, array, math, operator


def started(path):
    for line in open(path):
        ev = json.loads(line)
        if ev.get("event") == "started":
            return int(ev["wall_ms"])
    raise SystemExit("no started event")


def session(db, sid):
    c = sqlite3.connect(db)
    st, dur, audio = c.execute("SELECT status, duration_s, audio_path FROM sessions WHERE id=?", (sid,)).fetchone()
    segs = [dict(t0=a, t1=b, speaker=s, text=t) for a, b, s, t in
            c.execute("SELECT t0_ms, t1_ms, speaker, text FROM segments WHERE session_id=? ORDER BY idx", (sid,))]
    notes = [dict(t=a, text=b) for a, b in c.execute("SELECT t_ms, text FROM user_notes WHERE session_id=?", (sid,))]
    return dict(status=st, duration_s=dur, audio_path=audio, segments=segs, notes=notes)


def pcm(path, channel=None, rate=1000):
    args = ["sox", path, "-t", "raw", "-r", str(rate), "-e", "signed", "-b", "16", "-c", "1", "-"]
    if channel is not None:
        args += ["remix", str(channel)]
    raw = subprocess.run(args, check=True, capture_output=True).stdout
    a = array.array("h")
    a.frombytes(raw[: len(raw) // 2 * 2])
    return [x / 32768.0 for x in a]


def best_lag(r, p, lags):
    pe = math.sqrt(sum(x * x for x in p)) or 1e-9
    best, best_lag = 0.0, None
    for lag in lags:
        if lag < 0:
            continue
        seg = r[lag: lag + len(p)]
        if len(seg) < len(p):
            break
        se = math.sqrt(sum(x * x for x in seg))
        if se < 1e-6:
            continue
        c = sum(map(operator.mul, seg, p)) / (se * pe)
        if c > best:
            best, best_lag = c, lag
    return best, best_lag


def xcorr(rec, channel, phrase, expect_ms):
    # Found at 1 kHz, then refined at 8 kHz within 2 ms: at 1 kHz alone a place half a
    # millisecond off (which depends on where the chunks fell) costs up to 0.4 of the
    # correlation, so the figure is taken at 8 kHz.
    e = int(expect_ms)
    c, lag = best_lag(pcm(rec, int(channel)), pcm(phrase), range(e - 1500, e + 1500))
    if lag is None:
        print("0.000 None")
        return
    k = 8
    c, fine = best_lag(pcm(rec, int(channel), 1000 * k), pcm(phrase, None, 1000 * k),
                       range(lag * k - 2 * k, lag * k + 2 * k + 1))
    print("%.3f %s" % (c, round(fine / k) if fine is not None else None))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "events":
        print(started(sys.argv[2]))
    elif cmd == "session":
        print(json.dumps(session(sys.argv[2], int(sys.argv[3]))))
    elif cmd == "xcorr":
        xcorr(*sys.argv[2:6])
