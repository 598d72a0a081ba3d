#!/usr/bin/env python3
"""live_check.py: checks for the live tests (not a test itself).

  events FILE                       -> prints the started event's wall_ms
  session DB ID                     -> JSON: status, duration_s, audio_path, segments, notes
  xcorr REC.wav CHANNEL PHRASE.wav EXPECT_MS
        cross-correlates the phrase with one channel of the recording (both brought to
        1 kHz by sox) within +-1.5 s of EXPECT_MS; prints "peak lag_ms"
"""
import json, sqlite3, subprocess, sys, array, math


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


def pcm(path, channel=None):
    args = ["sox", path, "-t", "raw", "-r", "1000", "-e", "signed", "-b", "16", "-c", "1", "-"]
    if channel is not None:
        args += ["remix", str(channel)]
    raw = subprocess.run(args, check=True, capture_output=True).stdout
    a = array.array("h")
    a.frombytes(raw[: len(raw) // 2 * 2])
    return [x / 32768.0 for x in a]


def xcorr(rec, channel, phrase, expect_ms):
    r = pcm(rec, int(channel))
    p = pcm(phrase)
    pe = math.sqrt(sum(x * x for x in p)) or 1e-9
    best, best_lag = 0.0, None
    e = int(expect_ms)
    for lag in range(max(0, e - 1500), e + 1500):
        seg = r[lag: lag + len(p)]
        if len(seg) < len(p):
            break
        se = math.sqrt(sum(x * x for x in seg))
        if se < 1e-6:
            continue
        c = sum(a * b for a, b in zip(seg, p)) / (se * pe)
        if c > best:
            best, best_lag = c, lag
    print("%.3f %s" % (best, best_lag))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "events":
        print(started(sys.argv[2]))
    elif cmd == "session":
        print(json.dumps(session(sys.argv[2], int(sys.argv[3]))))
    elif cmd == "xcorr":
        xcorr(*sys.argv[2:6])
