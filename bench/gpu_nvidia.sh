#!/usr/bin/env bash
# bench/gpu_nvidia.sh: the GPU checks end to end on a machine with an NVIDIA GPU, for the
# occasions one is available (the project never needs one: on other machines the same
# checks run on Mesa's lavapipe through tests/test_vulkan.c and bench/gpu_fit.sh).
#
#   scripts/dev.sh build && bench/gpu_nvidia.sh [OUT_DIR]
#
# What it does, each step logged to OUT_DIR (default build/gpu-nvidia):
#   1. nvidia-smi: the card, its driver and the memory other programs hold;
#   2. parley hw --json: the card as ggml's Vulkan (and CUDA, if built) backend sees it,
#      its free memory, and the known-bad-driver verdict (e.g. 595.xx on RTX 40: refused
#      with the fix instead of a crash at model load);
#   3. test_vulkan on the real card (LLM with every layer and with a split, whisper), with
#      GGML_VK_VISIBLE_DEVICES left as the machine has it (no software device);
#   4. bench/gpu_fit.sh on the card: Parley's predicted VRAM / layers against what llama.cpp
#      allocates and what its --fit chooses, for the full card and two smaller budgets;
#   5. llama-bench tg/pp with all layers and with half the layers on the card: the speed
#      penalty per layer left on the CPU, next to the fit scorer's tokens/s.
# Needs: the build (build/), llama.cpp-tools and whisper.cpp's tools on PATH (or the build root).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/gpu-nvidia}
mkdir -p "$out"
run() { # run NAME CMD...: one logged step, never stopping the others
    local name=$1; shift
    echo "== $name: $*" | tee -a "$out/summary.txt"
    if "$@" >"$out/$name.log" 2>&1; then echo "   ok" | tee -a "$out/summary.txt"
    else echo "   FAILED (rc $?; see $out/$name.log)" | tee -a "$out/summary.txt"; fi
}
command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script is for machines with an NVIDIA GPU" >&2; exit 77; }
: >"$out/summary.txt"
run nvidia_smi nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,memory.free --format=csv
run hw "$top/build/parley" hw --json --remeasure
python3 - "$out/hw.log" <<'PY' | tee -a "$out/summary.txt"
import json, sys
d = json.load(open(sys.argv[1]))
for g in d.get("gpus", []):
    print("   %s %s: %.1f GB free of %.1f GB%s" % (g["name"], g["description"], g["memory_free_bytes"] / 1e9,
          g["memory_total_bytes"] / 1e9, ("  KNOWN BAD: " + g["known_bad_reason"]) if g.get("known_bad") else ""))
PY
run test_vulkan env PARLEY_SHARED="$top/../shared" PARLEY_TOOLS="$top/build" PARLEY_TEST_TMP="$out" \
    GGML_VK_VISIBLE_DEVICES="${GGML_VK_VISIBLE_DEVICES:-}" "$top/build/tests/test_vulkan"
free=$(nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits | head -1)
run gpu_fit env GGML_VK_VISIBLE_DEVICES="${GGML_VK_VISIBLE_DEVICES:-0}" USABLE="full $((free / 4)) $((free / 16))" \
    bash "$top/bench/gpu_fit.sh"
model="$top/build/bench/qwen3.5-2b.gguf"
[ -f "$model" ] || "$top/build/gguf_standin" --model qwen3.5-2b -o "$model" >/dev/null
run bench_all llama-bench -m "$model" -ngl 99 -p 512 -n 64 -r 3
run bench_half llama-bench -m "$model" -ngl 12 -p 512 -n 64 -r 3
run bench_cpu llama-bench -m "$model" -ngl 0 -p 512 -n 64 -r 3
run fit_pred "$top/build/fit_gpu" "$model" --usable-mib "$free" --gpu-gbs "$(python3 -c "import json; d=json.load(open('$out/hw.log')); g=d['gpus'][0]; print(g['bandwidth_gbs'] or 100)")"
echo "Logs in $out; write the table into docs/benchmarks/gpu-fit.md (a section for this card)."
