#!/usr/bin/env bash
# bench/gpu_fit.sh: the fit scorer's GPU predictions against what llama.cpp allocates on a
# real Vulkan device and against llama.cpp's own fitting (--fit), same model, context and
# usable memory. On a machine without a GPU the device is Mesa's lavapipe, made visible
# with GGML_VK_VISIBLE_DEVICES=0 (docs/fit.md). Prints, per usable budget, Parley's
# prediction (tools/fit_gpu) and llama.cpp's breakdown and choice (llama-completion -lv 4);
# the table in docs/benchmarks/gpu-fit.md is written from this output by hand.
#
#   scripts/dev.sh bench bench/gpu_fit.sh     (env: MODEL=..., CTX=4096, USABLE="full 1200 700")
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export GGML_VK_VISIBLE_DEVICES=${GGML_VK_VISIBLE_DEVICES:-0}
model=${MODEL:-$top/build/bench/qwen3.5-2b.gguf}
ctx=${CTX:-4096}
usable=${USABLE:-full 1200 700}
[ -f "$model" ] || "$top/build/gguf_standin" --model qwen3.5-2b -o "$model" >/dev/null
free_mib() { llama-cli --list-devices 2>&1 | sed -n 's/.*MiB, \([0-9]*\) MiB free.*/\1/p' | head -1; }
for u in $usable; do
    f=$(free_mib)
    if [ "$u" = full ]; then target=1024; pu=$((f - 1024)); else target=$((f - u)); pu=$u; fi
    echo "== usable $u MiB (device free $f MiB, --fit-target $target)"
    "$top/build/fit_gpu" "$model" --usable-mib "$pu" --ctx "$ctx"
    timeout 600 llama-completion -m "$model" -c "$ctx" -np 1 -n 1 -p hi -no-cnv --no-warmup --fit on \
        --fit-target "$target" -t 2 -lv 4 2>&1 |
        grep -E "memory breakdown|  - (Vulkan0|Host)|projected to use|set ngl|offloaded|n_gpu_layers|fitting params|successfully|failed" | cut -c1-220 || true
done
