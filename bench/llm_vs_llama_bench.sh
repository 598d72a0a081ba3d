#!/usr/bin/env bash
# bench/llm_vs_llama_bench.sh: Parley's LLM engine (tools/llm_bench, through the public
# API) against llama.cpp's own llama-bench, side by side on the same stand-in models and
# threads; then prefix reuse and cancel latency. Writes docs/benchmarks/llm.md.
#
#   scripts/dev.sh bench bench/llm_vs_llama_bench.sh
#
# Knobs (environment): THREADS (2), PP (512), TG (32), REPS (2), PREFIX (7000 tokens of
# "transcript"), SUFFIX (100), GEN (30), CANCEL (2048-token prompt), MODELS
# ("qwen3.5-2b gemma-4-e2b"), PARLEY_STANDIN_DIR (where stand-ins are made and kept;
# default build/standins, never in git).
# Runs are interleaved (llama-bench pp, ours pp, llama-bench tg, ours tg) so that load
# from other work on the machine hits both sides alike.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build
# Each knob may also be given as PARLEY_LLM_BENCH_<NAME>, which scripts/root.sh passes
# into the build root (plain names are not passed).
knob() { local v="PARLEY_LLM_BENCH_$1"; printf '%s' "${!v:-${!1:-$2}}"; }
THREADS=$(knob THREADS 2)
PP=$(knob PP 512)
TG=$(knob TG 32)   # 128 like llama-bench takes too long on 2 busy cores
REPS=$(knob REPS 2)
PREFIX=$(knob PREFIX 7000)
SUFFIX=$(knob SUFFIX 100)
GEN=$(knob GEN 30)
CANCEL=$(knob CANCEL 2048)
MODELS=$(knob MODELS "qwen3.5-2b gemma-4-e2b")
standins=${PARLEY_STANDIN_DIR:-$top/build/standins}
out=$top/docs/benchmarks/llm.md
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
mkdir -p "$standins" "$(dirname "$out")"

for t in gguf_standin llm_bench; do
    [ -x "$build/$t" ] || { echo "bench: $build/$t missing: run scripts/dev.sh build" >&2; exit 1; }
done

get() { sed -n "s/^$1 //p" "$2" | tail -1; }
# llama-bench CSV: the avg_ts column of its only result row.
lb_ts() {
    python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(rows[-1]["avg_ts"])' "$1"
}
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b else 'n/a')" "$1" "$2"; }

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$SECONDS
rows=""
details=""
for m in $MODELS; do
    f=$standins/$m.gguf
    if [ ! -f "$f" ]; then
        echo "== making stand-in $m" >&2
        "$build/gguf_standin" --model "$m" -o "$f" >&2
    fi
    # REPS rounds, each: llama-bench pp, Parley pp, llama-bench tg, Parley tg (one
    # repetition each, so that the machine's other load falls on both sides alike); the
    # best round of each side is compared (the least disturbed), all values are listed.
    : >"$log/lb_pp.all"; : >"$log/lb_tg.all"; : >"$log/our_pp.all"; : >"$log/our_tg.all"
    for r in $(seq "$REPS"); do
        echo "== $m: round $r/$REPS: pp$PP, tg$TG" >&2
        llama-bench -m "$f" -t "$THREADS" -p "$PP" -n 0 -r 1 -o csv >"$log/lb.csv" 2>"$log/lb.err" ||
            { cat "$log/lb.err" >&2; exit 1; }
        lb_ts "$log/lb.csv" >>"$log/lb_pp.all"
        "$build/llm_bench" --model "$f" --threads "$THREADS" --pp "$PP" --reps 1 >"$log/our_pp.txt" 2>"$log/our.err" ||
            { cat "$log/our.err" >&2; exit 1; }
        get pp_tps "$log/our_pp.txt" >>"$log/our_pp.all"
        llama-bench -m "$f" -t "$THREADS" -p 0 -n "$TG" -r 1 -o csv >"$log/lb.csv" 2>"$log/lb.err" ||
            { cat "$log/lb.err" >&2; exit 1; }
        lb_ts "$log/lb.csv" >>"$log/lb_tg.all"
        "$build/llm_bench" --model "$f" --threads "$THREADS" --tg "$TG" --reps 1 >"$log/our_tg.txt" 2>"$log/our.err" ||
            { cat "$log/our.err" >&2; exit 1; }
        get tg_tps "$log/our_tg.txt" >>"$log/our_tg.all"
    done
    best() { sort -g "$1" | tail -1; }
    all() { python3 -c 'import sys; print(" / ".join(f"{float(l):.2f}" for l in open(sys.argv[1]) if l.strip()))' "$1"; }
    lb_pp=$(best "$log/lb_pp.all"); lb_tg=$(best "$log/lb_tg.all")
    our_pp=$(best "$log/our_pp.all"); our_tg=$(best "$log/our_tg.all")
    rows+="| $m | $(get arch "$log/our_pp.txt") | $(get n_layer "$log/our_pp.txt") | pp$PP | $(printf %.2f "$lb_pp") | $(printf %.2f "$our_pp") | $(ratio "$our_pp" "$lb_pp") | $(all "$log/lb_pp.all") | $(all "$log/our_pp.all") |
| $m | | | tg$TG | $(printf %.2f "$lb_tg") | $(printf %.2f "$our_tg") | $(ratio "$our_tg" "$lb_tg") | $(all "$log/lb_tg.all") | $(all "$log/our_tg.all") |
"
    echo "   llama-bench pp $lb_pp tg $lb_tg | parley pp $our_pp tg $our_tg" >&2
done

# Prefix reuse and cancel: on the first model (Qwen 3.5 2B: hybrid, so the prefix is
# reused by forking the sequence, not by trimming).
m=${MODELS%% *}
f=$standins/$m.gguf
echo "== $m: prefix $PREFIX + suggestion $SUFFIX/$GEN" >&2
"$build/llm_bench" --model "$f" --threads "$THREADS" --prefix "$PREFIX" --suffix "$SUFFIX" --gen "$GEN" \
    >"$log/prefix.txt" 2>"$log/prefix.err" || { cat "$log/prefix.err" >&2; exit 1; }
echo "== $m: cancel during a $CANCEL-token prompt" >&2
"$build/llm_bench" --model "$f" --threads "$THREADS" --cancel "$CANCEL" --cancel-after-ms 1500 \
    >"$log/cancel.txt" 2>"$log/cancel.err" || { cat "$log/cancel.err" >&2; exit 1; }
p=$log/prefix.txt
c=$log/cancel.txt
elapsed=$((SECONDS - t_start))

{
    echo "# LLM engine benchmark"
    echo
    echo "Produced by \`scripts/dev.sh bench bench/llm_vs_llama_bench.sh\`"
    echo "(THREADS=$THREADS PP=$PP TG=$TG REPS=$REPS PREFIX=$PREFIX SUFFIX=$SUFFIX GEN=$GEN CANCEL=$CANCEL),"
    echo "started $started, took $elapsed s."
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
    echo "$(free -g | awk '/Mem:/{print $2}') GiB RAM, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "llama.cpp $(get llama_version "$p"), CPU backend only, $THREADS threads on both sides."
    echo
    echo "Models are stand-ins made by \`build/gguf_standin --model ID\`: the real architecture,"
    echo "tensor shapes and Q4_K_M-like types, random weights and a synthetic vocabulary of the"
    echo "real size. They run at the speed of the real model; their text is meaningless."
    echo
    echo "## Prompt processing and generation: Parley vs llama-bench"
    echo
    echo "Parley's side is \`build/llm_bench\` (public API: prefix_set for pp; generate with"
    echo "greedy sampling and ignore_eog for tg, counting $TG decodes, so sampling over the full"
    echo "vocabulary is in Parley's time and not in llama-bench's). Rounds alternate the two"
    echo "sides; the best round of each is compared, because other work on this machine slows"
    echo "single runs by up to 3x. Ratio = Parley / llama-bench (1.00 = equal; target ≥ 0.95)."
    echo
    echo "| model | arch | layers | test | llama-bench t/s (best) | Parley t/s (best) | ratio | llama-bench, each round | Parley, each round |"
    echo "|---|---|---|---|---:|---:|---:|---|---|"
    printf '%s' "$rows"
    echo
    echo "## Prefix reuse ($m)"
    echo
    echo "A transcript of $(get prefix_tokens "$p") tokens is evaluated once and kept as the cached"
    echo "prefix (this is also the cost of processing the transcript from scratch). A suggestion"
    echo "then sends the transcript plus about $SUFFIX tokens of instruction and generates $GEN tokens."
    echo
    echo "| | tokens | ms |"
    echo "|---|---:|---:|"
    echo "| transcript from scratch | $(get prefix_tokens "$p") | $(get prefix_ms "$p") |"
    echo "| suggestion: prompt reused from cache | $(get suggest_reused "$p") | 0 |"
    echo "| suggestion: prompt evaluated | $(get suggest_evaluated "$p") | $(get suggest_prompt_ms "$p") |"
    echo "| suggestion: generated | $(get suggest_generated "$p") | $(get suggest_gen_ms "$p") |"
    echo "| suggestion total | | $(get suggest_ms "$p") |"
    echo
    echo "Suggestion cost / transcript from scratch: **$(get suggest_vs_scratch "$p")** (target < 0.10)."
    echo
    echo "## Cancel latency ($m)"
    echo
    echo "A $CANCEL-token prompt is started and cancelled 1.5 s, 1.8 s and 2.2 s into it (inside a"
    echo "512-token batch: llama.cpp's abort callback reads the flag between graph nodes)."
    echo "Time from setting the flag to parley_llm_job_wait() returning PARLEY_ERR_CANCELLED:"
    echo "mean $(get cancel_ms_mean "$c") ms, worst $(get cancel_ms_max "$c") ms (target < 200 ms)."
    echo "The engine generated again right after each cancel. Cancelled at tokens:"
    echo "$(grep '^cancel_at_tokens' "$c" | cut -d' ' -f2 | paste -sd' ')."
} >"$out"
echo "wrote $out" >&2
cat "$out"
