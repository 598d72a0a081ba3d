#!/usr/bin/env bash
# make_seeds.sh: (re)creates the small seed corpora in tests/fuzz/corpus/ (run inside the
# build root: scripts/root.sh run tests/fuzz/make_seeds.sh). Seeds are kept small (< 8 KB
# each); the fuzzers grow their own corpora in build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")"
c=corpus
rm -rf "$c" && mkdir -p "$c"/{gguf,whisper_check,catalog_json,registry,settings,audio,export,http}

python3 - "$c" <<'PY'
import struct, sys, json
c = sys.argv[1]

def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

def kv_str(k, v): return gstr(k) + struct.pack("<I", 8) + gstr(v)
def kv_u32(k, v): return gstr(k) + struct.pack("<I", 4) + struct.pack("<I", v)

def gguf(kvs, tensors, cut=None):
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    infos, off = b"", 0
    for name, ne in tensors:
        infos += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<I", 0) + struct.pack("<Q", off)  # F32
        size = 4
        for n in ne: size *= n
        off += (size + 31) // 32 * 32
    body = head + infos
    body += b"\0" * ((32 - len(body) % 32) % 32)
    body += b"\x01" * off
    return body[:cut] if cut else body

chatml = ("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{'<|im_start|>assistant\\n'}}{% endif %}")
base = [kv_str("general.architecture", "llama"), kv_u32("llama.block_count", 1),
        kv_u32("llama.embedding_length", 8), kv_u32("llama.context_length", 64),
        kv_u32("llama.attention.head_count", 2), kv_str("general.name", "seed")]
tens = [("token_embd.weight", [8, 4]), ("output.weight", [8, 4])]
open(f"{c}/gguf/chat.gguf", "wb").write(gguf(base + [kv_str("tokenizer.chat_template", chatml)], tens))
open(f"{c}/gguf/base.gguf", "wb").write(gguf(base, tens))
open(f"{c}/gguf/odd-template.gguf", "wb").write(gguf(base + [kv_str("tokenizer.chat_template", "<|{{ m }}|>")], tens))
open(f"{c}/gguf/truncated.gguf", "wb").write(gguf(base + [kv_str("tokenizer.chat_template", chatml)], tens, cut=-40))
open(f"{c}/gguf/bert.gguf", "wb").write(gguf([kv_str("general.architecture", "bert"), kv_u32("bert.block_count", 1)], tens))

# A minimal whisper.cpp file that passes the walk: 1 encoder and 1 decoder layer,
# 7 + 15 + 4 + 24 = 50 one-element F32 tensors.
def whisper(n_tensors=50, cut=None):
    hp = [4, 1, 8, 1, 1, 1, 8, 1, 1, 1, 1]  # n_vocab, audio ctx/state/head/layer, text ..., n_mels, ftype
    b = b"lmgg" + struct.pack("<11i", *hp) + struct.pack("<ii", 1, 1) + struct.pack("<f", 0.5)
    b += struct.pack("<i", 4) + b"".join(struct.pack("<I", 1) + bytes([97 + i]) for i in range(4))
    for i in range(n_tensors):
        name = f"t{i}".encode()
        b += struct.pack("<iii", 1, len(name), 0) + struct.pack("<i", 1) + name + struct.pack("<f", 1.0)
    b += b"\0" * max(0, 1100 - len(b)) if len(b) < 1024 else b""
    return b[:cut] if cut else b
w = whisper()
if len(w) < 1024:  # pad with more vocabulary is not possible after tensors; make the vocab larger instead
    pass
open(f"{c}/whisper_check/min.bin", "wb").write(whisper())
open(f"{c}/whisper_check/cut.bin", "wb").write(whisper(cut=-3))
open(f"{c}/whisper_check/few-tensors.bin", "wb").write(whisper(n_tensors=10))

cat = {"format": 1, "version": "seed", "models": [
    {"id": "tiny", "label": "Tiny", "kind": "llm", "arch": "llama", "file": "tiny.gguf", "repo": "org/repo",
     "size_bytes": 1000, "size_exact": True, "sha256": "0" * 64, "params_total": 1e6, "params_per_token": 1e6,
     "shape": {"n_layer": 2, "n_embd": 8, "n_head_kv": 1, "head_dim": 8}},
    {"id": "w", "label": "W", "kind": "speech", "file": "ggml-w.bin", "size_bytes": 2000, "archived": True}]}
json.dump(cat, open(f"{c}/catalog_json/small.json", "w"))
open(f"{c}/catalog_json/broken.json", "w").write('{"format":1, "models": [')
json.dump({"format": 1, "models": [{"id": "own-x", "label": "X", "path": "/nonexistent/x.gguf"}]},
          open(f"{c}/registry/one.json", "w"))
open(f"{c}/registry/empty.json", "w").write('{"models": []}')
json.dump({"comment": "per-device settings: never synced", "llm_model": "qwen3.5-2b", "speech_model": "whisper-base",
           "local_features": ["transcribe", "summary"]}, open(f"{c}/settings/device.json", "w"))
open(f"{c}/settings/bad.json", "w").write('{"local_features": 3}')

open(f"{c}/export/basic.txt", "w").write(
    "Weekly sync\n/rec/meeting.wav\n0 1500 Ann|Hello -> everyone <b>&</b>\n1500 4000 |second line\n"
    "360000000 360000500 Bob > Carl|late\n")
open(f"{c}/export/latin1.txt", "wb").write(b"r\xe9union\n/rec/r\xe9union.wav\n0 10 \xff|caf\xe9\n10 20 |cut \xe2\x82\n")

# HTTP requests (fuzz_http.c): address?query, Host, Origin, Sec-Fetch-Site, Authorization,
# Content-Length, then the body.
tok = "0123456789abcdef0123456789abcdef"
def req(name, url, body="", host="127.0.0.1:8080", origin="", site="", auth="Bearer " + tok, cl=None):
    cl = str(len(body.encode())) if cl is None else cl
    open(f"{c}/http/{name}", "w").write("\n".join([url, host, origin, site, auth, cl, body]))
req("health", "/api/health")
req("list", "/api/sessions?limit=20&offset=40&q=budget&status=done")
req("search", "/api/search?q=roadmap&limit=999999999999999999999&offset=-1")
req("rename", "/api/sessions/3", json.dumps({"title": "Weekly sync"}))
req("segment", "/api/sessions/3/segments/12", json.dumps({"text": "  fixed words \n", "speaker": None}))
req("task", "/api/sessions/3/summary", json.dumps({"max_tokens": 256, "item_chars": 80, "max_items": 5}))
req("chat", "/api/sessions/3/chat", json.dumps({"question": "What was decided?", "max_tokens": 70000}))
req("live", "/api/live", json.dumps({"title": "Standup", "mic_source": "default", "no_system": True, "speed": 1.5}))
req("note", "/api/live/notes", json.dumps({"text": "ask about the budget"}))
req("model", "/api/models", json.dumps({"path": "/home/me/model.gguf"}))
req("settings", "/api/settings", json.dumps({"auto_suggestions": False, "battery": "saver",
                                              "local_features": ["transcribe", "summary", "bogus"]}))
req("deep", "/api/jobs/7/events/a/b/c/d", "", host="localhost:8080", origin="http://localhost:8080", site="same-origin")
req("rebind", "/api/sessions", "", host="evil.example:8080", origin="http://evil.example", site="cross-site", auth="bearer x")
req("broken", "/api/settings", '{"battery": ', cl="99999999999999999999")
PY

# Audio: 0.2 s of tone in several containers (FFmpeg's lavfi source), small on purpose.
a="$c/audio"
src=(-f lavfi -i "sine=frequency=440:duration=0.2:sample_rate=8000")
ffmpeg -v error -y "${src[@]}" -ac 1 "$a/tone.wav"
ffmpeg -v error -y "${src[@]}" -ac 1 -c:a flac "$a/tone.flac"
ffmpeg -v error -y "${src[@]}" -ac 1 -c:a libmp3lame -b:a 8k "$a/tone.mp3" 2>/dev/null || true
ffmpeg -v error -y "${src[@]}" -ac 1 -c:a libopus -b:a 6k "$a/tone.ogg" 2>/dev/null || true
ffmpeg -v error -y "${src[@]}" -ac 1 -c:a aac -b:a 8k "$a/tone.m4a" 2>/dev/null || true
head -c 1000 "$a/tone.wav" > "$a/cut.wav"
printf 'GGUF\003\000\000\000' > "$a/model.mp3"
# fuzz_audio's finding: a WAV header claiming 822 MHz (resampling from it took seconds per KB)
python3 -c 'import struct,sys; d=bytes(3200); sys.stdout.buffer.write(b"RIFF"+struct.pack("<I",36+len(d))+b"WAVEfmt "+struct.pack("<IHHIIHH",16,1,1,822083648,1644167296,2,16)+b"data"+struct.pack("<I",len(d))+d)' > "$a/huge-rate.wav"
# The head of the real Silero VAD model (the whisper check also tells VAD files apart).
silero=../../../shared/models/ggml-silero-v6.2.0.bin
[ -f "$silero" ] && head -c 4096 "$silero" > "$c/whisper_check/silero-head.bin"
ls -la "$c"/* | awk '{s+=$5} END {print s " bytes of seeds"}'
