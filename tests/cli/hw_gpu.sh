#!/usr/bin/env bash
# hw_gpu.sh: `parley hw` shows what the GPU probe knows beyond memory. On a real Vulkan
# device made visible with PARLEY_VK_DEVICES (lavapipe on a machine without a GPU): the
# device is listed as a software (CPU-type) device with its driver and known_bad fields,
# in --json and in text. Without the variable, ggml hides lavapipe. (A known-bad driver's
# rendering, which needs an NVIDIA card, is tests/test_hw_render.c.)
. "$(dirname "$0")/../cli_lib.sh"
P=$PARLEY_BIN
unset GGML_VK_VISIBLE_DEVICES

PARLEY_VK_DEVICES=0 "$P" hw --json --no-measure >"$T_DIR/hw.json" 2>"$T_DIR/err" || { cat "$T_DIR/err" >&2; exit 1; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(g["backend"]=="Vulkan" for g in d["gpus"]) else 1)' \
    "$T_DIR/hw.json" || t_skip_all "ggml has no Vulkan device here (libggml0-backend-vulkan, mesa-vulkan-drivers)"

t_begin "--json: software, driver, known_bad, known_bad_reason for every GPU"
python3 - "$T_DIR/hw.json" <<'PY' && t_ok || t_fail "$(head -c 800 "$T_DIR/hw.json")"
import json, sys
d = json.load(open(sys.argv[1]))
for g in d["gpus"]:
    assert isinstance(g["software"], bool) and isinstance(g["known_bad"], bool), g
    assert g["driver"] is None or isinstance(g["driver"], str), g
    assert (g["known_bad_reason"] is None) == (not g["known_bad"]), g
vk = [g for g in d["gpus"] if g["backend"] == "Vulkan"][0]
if "llvmpipe" in vk["description"] or "lavapipe" in vk["description"]:
    assert vk["software"] and vk["type"] == "integrated" and not vk["known_bad"], vk
assert d["ram_total_bytes"] > 0 and "cpu" in d, d
PY

t_begin "text: the software device says it runs on the CPU; the driver is shown"
run env PARLEY_VK_DEVICES=0 "$P" hw --no-measure
expect_rc 0 && grep -q "driver " "$T_DIR/out" && {
    if grep -q "llvmpipe" "$T_DIR/out"; then grep -q "software device: it runs on the CPU" "$T_DIR/out"; fi
} && ! grep -q "KNOWN-BAD" "$T_DIR/out" && t_ok || t_fail "$(out)"

t_begin "without PARLEY_VK_DEVICES, ggml hides the CPU-type device"
run "$P" hw --json --no-measure
expect_rc 0 && python3 - "$T_DIR/out" <<'PY' && t_ok || t_fail "$(out | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
assert not any(g["software"] for g in d["gpus"]), d["gpus"]
PY

t_done
