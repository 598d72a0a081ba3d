#!/usr/bin/env bash
# tests/cli/models.sh: `parley models` and `parley hw` driven as a user would: the
# listing and its JSON, adding an own GGUF (kept by reference), a moved file shown as
# missing, rm/use, archived entries vanishing once deleted, per-device local features.
set -euo pipefail
: "${PARLEY_BIN:?}" "${PARLEY_TOOLS:?}" "${PARLEY_SHARED:?}"
tmp="${PARLEY_TEST_TMP:-/tmp}/models-cli.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export PARLEY_DATA_DIR="$tmp/data" PARLEY_CONFIG_DIR="$tmp/config" PARLEY_MODELS_DIR="$tmp/models" XDG_CACHE_HOME="$tmp/cache"
mkdir -p "$PARLEY_MODELS_DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# --- listing ---------------------------------------------------------------------------
"$PARLEY_BIN" models --json --no-measure > "$tmp/list.json"
json 'ids=[m["id"] for m in d["models"]]
assert len(ids)==9, ids
assert "qwen3.5-27b" not in ids, "archived entry listed without its file"
assert d["context_tokens"]==32768
for m in d["models"]:
    assert m["fit"]["label"].split(" + ")[0] in ("Great fit","Tight fit","Won'"'"'t fit"), m["fit"]["label"]
    assert m["fit"]["memory"]["total"] > m["size_bytes"] > 0
    assert "Q4" not in m["label"] and "Q8" not in m["label"]
rams=[m["fit"]["ram_bytes"] for m in d["models"]]
assert rams==sorted(rams), "not sorted by RAM needed"
assert len(d["speech_models"])==8
for m in d["speech_models"]:
    f=m["fit"]
    assert "realtime_x" in f and "keeps_up_live" in f, f
    if f["realtime_x"] is not None and f["realtime_x"] < 1:
        assert f["level"]!="great" and f["slow"] and not f["keeps_up_live"], (m["id"], f)
ids=[m["id"] for m in d["speech_models"]]
assert "whisper-small-lite" in ids and "whisper-large-v3-turbo-lite" in ids, ids
if not d["hardware"]["gpus"]:
    assert all(not m["fit"]["slow"] for m in d["models"]), "CPU only: no row is + Slow"
assert d["hardware"]["ram_total_bytes"] > 0
rec=d["recommended"]
if rec is not None:
    r=[m for m in d["models"] if m["id"]==rec][0]
    assert r["fit"]["level"]=="great" and r["recommended"]
' < "$tmp/list.json" || fail "models --json"
"$PARLEY_BIN" models --no-measure > "$tmp/list.txt"
grep -q "^Language models (context 32768 tokens" "$tmp/list.txt" || fail "text header"
grep -q "Qwen 3.5 9B HQ" "$tmp/list.txt" || fail "HQ label"
! grep -q "Q8_0\|Q4_K_M" "$tmp/list.txt" || fail "quant name shown"
"$PARLEY_BIN" hw --json --no-measure | json 'assert d["ram_total_bytes"]>0 and d["cpu"]["threads"]>=1 and isinstance(d["gpus"],list)' || fail "hw --json"
"$PARLEY_BIN" hw --no-measure | grep -q "^RAM bandwidth  unknown" || fail "hw: bandwidth not measured must say unknown"

# --- own models ------------------------------------------------------------------------
stories="$PARLEY_SHARED/models/stories260K.gguf"
[ -f "$stories" ] || { echo "SKIP: needs $stories"; exit 77; }
mine="$tmp/my model.gguf"
"$PARLEY_TOOLS/gguf_add_template" "$stories" "$mine"
if "$PARLEY_BIN" models add "$stories" 2> "$tmp/err"; then fail "a base model without chat template was accepted"; fi
grep -q "chat_template" "$tmp/err" || fail "no-template reason: $(cat "$tmp/err")"
if "$PARLEY_BIN" models add "$tmp/nope.gguf" 2> "$tmp/err"; then fail "missing file accepted"; fi
grep -q "not found" "$tmp/err" || fail "missing-file reason: $(cat "$tmp/err")"
id=$("$PARLEY_BIN" models add --json "$mine" | json 'assert d["state"]=="ready" and d["source"]=="own"; print(d["id"])')
[ "$id" = "own-my-model" ] || fail "own id '$id'"
[ ! -e "$PARLEY_MODELS_DIR/my model.gguf" ] || fail "own model was copied"
"$PARLEY_BIN" models --json --no-measure | json "m=[m for m in d['models'] if m['id']=='$id'][0]; assert m['state']=='ready' and m['n_layer']==5" || fail "own model listed after restart"
"$PARLEY_BIN" models use "$id" > /dev/null
"$PARLEY_BIN" models --json --no-measure | json "assert d['settings']['llm_model']=='$id'" || fail "use not persisted"
mv "$mine" "$tmp/elsewhere.gguf"
"$PARLEY_BIN" models --json --no-measure | json "m=[m for m in d['models'] if m['id']=='$id'][0]; assert m['state']=='missing' and 'no longer at' in m['state_reason'], m" || fail "moved file not shown as missing"
"$PARLEY_BIN" models --no-measure | grep -q "no longer at" || fail "text listing lacks the missing reason"
if "$PARLEY_BIN" models use "$id" 2> /dev/null; then fail "a missing model was selectable"; fi
"$PARLEY_BIN" models rm "$id" | grep -q "unregistered" || fail "rm own"
[ -f "$tmp/elsewhere.gguf" ] || fail "rm deleted the user's own file"
"$PARLEY_BIN" models --json --no-measure | json "assert '$id' not in [m['id'] for m in d['models']]" || fail "own model still listed"

# --- archived entries --------------------------------------------------------------------
truncate -s 16740812704 "$PARLEY_MODELS_DIR/Qwen3.5-27B-Q4_K_M.gguf"   # sparse: no disk used
"$PARLEY_BIN" models --json --no-measure | json "m=[m for m in d['models'] if m['id']=='qwen3.5-27b'][0]; assert m['archived'] and m['state']=='ready' and not m['recommended']" || fail "archived on disk not listed"
"$PARLEY_BIN" models use qwen3.5-27b > /dev/null || fail "archived on disk not selectable"
"$PARLEY_BIN" models rm qwen3.5-27b | grep -q "deleted" || fail "rm archived"
[ ! -e "$PARLEY_MODELS_DIR/Qwen3.5-27B-Q4_K_M.gguf" ] || fail "file not deleted"
"$PARLEY_BIN" models --json --no-measure | json "assert 'qwen3.5-27b' not in [m['id'] for m in d['models']]; assert d['settings']['llm_model']==''" || fail "archived entry did not vanish"
if "$PARLEY_BIN" models use qwen3.5-27b 2> /dev/null; then fail "deleted archived entry selectable"; fi
if "$PARLEY_BIN" models rm qwen3.5-4b 2> "$tmp/err"; then fail "rm of a model not on disk succeeded"; fi
grep -q "not downloaded" "$tmp/err" || fail "rm reason: $(cat "$tmp/err")"

# --- per-device features ---------------------------------------------------------------------
"$PARLEY_BIN" models local chat=off suggest=off > /dev/null
"$PARLEY_BIN" models local | grep -q "^chat *off" || fail "local chat=off"
"$PARLEY_BIN" models --json --no-measure | json "assert d['settings']['local_features']==['transcribe','summary']" || fail "local features json"
set +e; "$PARLEY_BIN" models local bogus=on 2> /dev/null; rc=$?; set -e
[ "$rc" = 2 ] || fail "unknown feature: exit $rc, want 2"
[ -f "$PARLEY_CONFIG_DIR/device.json" ] || fail "settings not in the config dir"
# --- pull: a loopback server stands in for Hugging Face ($PARLEY_MODEL_BASE_URL) ------------
www="$tmp/www/test/tiny/resolve/main"
mkdir -p "$www"
"$PARLEY_TOOLS/gguf_add_template" "$stories" "$www/tiny-chat.gguf"
cp "$www/tiny-chat.gguf" "$www/wrong-size.gguf"
cp "$www/tiny-chat.gguf" "$www/unverifiable.gguf"
size=$(stat -c %s "$www/tiny-chat.gguf")
python3 - "$tmp/www" "$tmp/port" > /dev/null 2>&1 <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || fail "test server did not start"
export PARLEY_MODEL_BASE_URL="http://127.0.0.1:$(cat "$tmp/port")"
shape='"shape":{"n_layer":5,"n_embd":64,"n_head":8,"n_head_kv":4,"head_dim":8,"n_vocab":512}'
cat > "$PARLEY_CONFIG_DIR/catalog.json" <<JSON
{"format":1,"version":"test","models":[
 {"id":"tiny-chat","label":"Tiny Chat","kind":"llm","arch":"llama","repo":"test/tiny","file":"tiny-chat.gguf",
  "size_bytes":$size,"size_exact":true,"params_total":260000,$shape},
 {"id":"wrong-size","label":"Wrong Size","kind":"llm","arch":"llama","repo":"test/tiny","file":"wrong-size.gguf",
  "size_bytes":$((size + 1)),"size_exact":true,"params_total":260000,$shape},
 {"id":"unverifiable","label":"Unverifiable","kind":"llm","arch":"llama","repo":"test/tiny","file":"unverifiable.gguf",
  "size_bytes":$size,"size_exact":false,"params_total":260000,$shape}]}
JSON
"$PARLEY_BIN" models pull tiny-chat | grep -q "verified by size" || fail "pull"
cmp -s "$www/tiny-chat.gguf" "$PARLEY_MODELS_DIR/tiny-chat.gguf" || fail "pulled file differs"
"$PARLEY_BIN" models --json --no-measure | json "m=[m for m in d['models'] if m['id']=='tiny-chat'][0]; assert m['state']=='ready'; assert d['catalog']['version']=='test'" || fail "pulled model not ready"
"$PARLEY_BIN" models pull tiny-chat | grep -q "already downloaded" || fail "second pull"
if "$PARLEY_BIN" models pull wrong-size 2> "$tmp/err"; then fail "a file of the wrong size was accepted"; fi
grep -qi "size\|checksum" "$tmp/err" || fail "wrong-size reason: $(cat "$tmp/err")"
[ ! -e "$PARLEY_MODELS_DIR/wrong-size.gguf" ] || fail "unverified file kept under its final name"
if "$PARLEY_BIN" models pull unverifiable 2> "$tmp/err"; then fail "unverifiable download allowed"; fi
grep -q "neither a SHA-256 nor an exact size" "$tmp/err" || fail "unverifiable reason: $(cat "$tmp/err")"
[ ! -e "$PARLEY_MODELS_DIR/unverifiable.gguf" ] || fail "unverifiable file downloaded"
if "$PARLEY_BIN" models pull no-such-model 2> /dev/null; then fail "pull of an unknown id"; fi
echo "ok: models cli"
