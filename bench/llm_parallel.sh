#!/usr/bin/env bash
# bench/llm_parallel.sh: would writing the summary's fields as parallel sequences (one
# batch a step) write faster on this machine? llama.cpp's own llama-server, CPU only, with
# 6 slots sharing one cache: 48 tokens each for 1, 3 and 6 requests at once, on the Qwen
# 3.5 2B stand-in; per-request generation speed as the server reports it, and wall time.
# Only 127.0.0.1 is used.
#
#   scripts/dev.sh bench bench/llm_parallel.sh        (env: PARLEY_BENCH_THREADS=2)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
standins="${PARLEY_STANDIN_DIR:-$top/build/standins}"
mkdir -p "$standins" "$top/build/bench"
[ -f "$standins/qwen3.5-2b.gguf" ] || "$top/build/gguf_standin" --model qwen3.5-2b -o "$standins/qwen3.5-2b.gguf" >&2
python3 - "$standins/qwen3.5-2b.gguf" "${PARLEY_BENCH_THREADS:-2}" "$top/build/bench/llm_parallel.log" <<'PY'
import json, socket, subprocess, sys, threading, time, urllib.request
model, threads, log = sys.argv[1:4]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen(["llama-server", "-m", model, "-dev", "none", "-ngl", "0", "-t", threads, "-c", "16384",
                        "--parallel", "6", "--kv-unified", "--host", "127.0.0.1", "--port", str(port)],
                       stdout=open(log, "w"), stderr=subprocess.STDOUT)
base = "http://127.0.0.1:%d" % port
try:
    for _ in range(300):
        try:
            if b"ok" in urllib.request.urlopen(base + "/health", timeout=2).read():
                break
        except Exception:
            pass
        time.sleep(0.5)
    def req(tag, out):
        d = json.dumps({"prompt": "Meeting transcript. " * 10 + "Notes " + tag + ":", "n_predict": 48,
                        "ignore_eos": True, "cache_prompt": True}).encode()
        r = json.load(urllib.request.urlopen(urllib.request.Request(base + "/completion", d,
                                                                    {"Content-Type": "application/json"})))
        out.append(r["timings"]["predicted_per_second"])
    req("warm", [])
    for k in (1, 3, 6):
        out = []
        ts = [threading.Thread(target=req, args=(str(i), out)) for i in range(k)]
        t0 = time.time()
        [t.start() for t in ts]
        [t.join() for t in ts]
        wall = time.time() - t0
        print("%d at once: wall %.2f s; t/s per request %s; all together %.1f t/s" % (
            k, wall, [round(x, 1) for x in out], 48 * k / wall))
finally:
    srv.kill()
PY
