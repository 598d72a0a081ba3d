/* fit.c: the fit scorer. A pure function of (model, hardware, params): memory per
 * architecture, placement on the best device, decode speed from bandwidth. Every formula
 * and constant is explained in docs/fit.md; keep the two in step. */
#include <parley/fit.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GB 1e9
/* What the process needs besides the model's buffers: libraries and ggml's CPU kernels,
 * the tokenizer's vocabulary, the host-side logits and embeddings, the sampler. */
#define HOST_OVERHEAD ((uint64_t)300 << 20)

struct parley_fit_params parley_fit_default_params(void)
{
    struct parley_fit_params p;
    memset(&p, 0, sizeof p);
    p.n_ctx = 32768;
    p.n_ubatch = 512;
    p.kv_bytes = 2;
    p.n_seq = 2;
    p.swa_full = false;
    p.reserve_min_gb = 3.0;
    p.reserve_frac = 0.20;
    p.hard_reserve_gb = 1.5;
    p.vram_reserve_gb = 0.5;
    p.unified_gpu_frac = 0.75;
    p.great_tps = 10;
    p.gpu_efficiency = 0.6;
    p.cpu_efficiency = 0.55;
    p.matvec_efficiency = 0.85;
    p.live_realtime_x = 1.5;
    return p;
}

/* Zeros in a caller's params mean "the default" (fit.h). */
static struct parley_fit_params resolve(const struct parley_fit_params *in)
{
    struct parley_fit_params d = parley_fit_default_params();
    if (!in)
        return d;
    struct parley_fit_params p = *in;
#define DEF(f) if (!(p.f > 0)) p.f = d.f
    DEF(n_ctx); DEF(n_ubatch); DEF(kv_bytes); DEF(n_seq); DEF(reserve_min_gb); DEF(reserve_frac); DEF(hard_reserve_gb);
    DEF(vram_reserve_gb); DEF(unified_gpu_frac); DEF(great_tps); DEF(gpu_efficiency); DEF(cpu_efficiency); DEF(matvec_efficiency);
    DEF(live_realtime_x);
#undef DEF
    return p;
}

static uint64_t pad(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

static uint32_t ctx_used(const parley_model_info *m, const struct parley_fit_params *p)
{
    uint32_t n = p->n_ctx;
    if (m->shape.n_ctx_train && m->shape.n_ctx_train < n)
        n = m->shape.n_ctx_train;
    return n;
}

static parley_fit_memory memory_llm(const parley_model_info *m, const struct parley_fit_params *p)
{
    const parley_model_shape *s = &m->shape;
    parley_fit_memory mem = {0};
    mem.weights = m->size_bytes;
    uint64_t ctx = pad(ctx_used(m, p), 256); /* llama.cpp pads the KV cache to 256 cells */
    uint64_t kvb = p->kv_bytes;
    uint32_t L = s->n_layer;

    if (s->full_attn_interval) {
        /* Hybrid (Qwen 3.5/3.6): only every full_attn_interval-th layer has a KV cache;
         * the linear-attention layers keep a fixed F32 state: a conv window of (k-1)
         * columns over q,k,v channels, and one dk x dv matrix per value head. */
        uint32_t n_attn = L / s->full_attn_interval;
        uint32_t n_rec = L - n_attn;
        mem.kv = (uint64_t)n_attn * ctx * 2 * s->n_head_kv * s->head_dim * kvb;
        uint64_t dk = s->ssm_head_dim, nk = s->ssm_k_heads, nv = s->ssm_v_heads;
        uint64_t conv = (s->ssm_conv_kernel ? s->ssm_conv_kernel - 1 : 0) * (2 * nk * dk + nv * dk);
        uint64_t ssm = dk * nv * dk;
        mem.state = (uint64_t)n_rec * 4 * (conv + ssm) * p->n_seq; /* one state per sequence */
    } else if (s->swa_window && s->swa_period) {
        /* Sliding window (Gemma 4): layers that reuse another layer's KV own none; global
         * layers hold the whole context, sliding ones a window per sequence + one ubatch
         * of cells (padded to 256), whatever the context; unless swa_full, when they
         * hold the whole context like the global ones. */
        uint32_t own = L > s->n_layer_kv_shared ? L - s->n_layer_kv_shared : 0;
        uint32_t n_global = 0, n_sliding = 0;
        for (uint32_t i = 0; i < own; i++) {
            if ((i + 1) % s->swa_period == 0 || i == L - 1)
                n_global++;
            else
                n_sliding++;
        }
        uint32_t kvg = s->n_head_kv_global ? s->n_head_kv_global : s->n_head_kv;
        uint32_t hdg = s->head_dim_global ? s->head_dim_global : s->head_dim;
        mem.kv = (uint64_t)n_global * ctx * 2 * kvg * hdg * kvb;
        uint64_t cells = p->swa_full ? ctx : (uint64_t)s->swa_window * p->n_seq + p->n_ubatch;
        if (cells > ctx)
            cells = ctx;
        cells = pad(cells, 256);
        mem.state = (uint64_t)n_sliding * cells * 2 * s->n_head_kv * s->head_dim * kvb;
    } else {
        mem.kv = (uint64_t)L * ctx * 2 * s->n_head_kv * s->head_dim * kvb;
    }
    /* Compute buffers for one n_ubatch graph with flash attention (llama.cpp's "auto"
     * turns it on for CPU, CUDA, Metal and Vulkan): the F32 logits of a full ubatch
     * dominate (n_vocab x n_ubatch), then the F16 attention mask over the context, then
     * what ggml's allocator cannot overlap: one FFN intermediate (all routed experts),
     * two residual-stream tensors, and Gemma's per-layer inputs for every layer.
     * Fitted to llama.cpp 0.7's reports on four stand-ins (docs/benchmarks/fit.md). */
    uint64_t ub = p->n_ubatch;
    uint64_t ff = s->n_ff * (uint64_t)(s->n_expert_used ? s->n_expert_used : 1);
    mem.compute = 4 * ub * ((uint64_t)s->n_vocab + ff + 2 * (uint64_t)s->n_embd +
                            (uint64_t)s->n_layer * s->n_embd_per_layer) +
                  2 * ctx * ub;
    mem.total = mem.weights + mem.kv + mem.state + mem.compute;
    return mem;
}

static parley_fit_memory memory_speech(const parley_model_info *m)
{
    const parley_model_shape *s = &m->shape;
    parley_fit_memory mem = {0};
    mem.weights = m->size_bytes;
    /* whisper.cpp 1.9.5 (whisper_init_state): F16 self-attention KV over the text context
     * and cross-attention KV over the encoder positions, per decoder layer, both padded to
     * 256; plus one encoder layer's K/V of padding for flash attention. */
    uint64_t actx = pad(s->n_audio_ctx ? s->n_audio_ctx : 1500, 256);
    uint64_t tctx = pad(s->n_text_ctx ? s->n_text_ctx : 448, 256);
    mem.kv = (uint64_t)s->n_text_layer * (tctx + actx) * s->n_text_state * 2 * 2 + actx * s->n_audio_state * 2 * 2;
    /* Its four compute buffers (conv, encode, cross, decode): the decoder's F32 logits over
     * the whole text context dominate (4 x n_vocab x 448 = 93 MB); the encoder parts grow
     * with its width. Fitted to whisper.cpp's reports on stand-ins of tiny, base and small
     * (docs/fit.md); within 1 % there. */
    mem.compute = 4 * (uint64_t)s->n_vocab * (s->n_text_ctx ? s->n_text_ctx : 448) + 72000ull * s->n_audio_state +
                  3600ull * s->n_text_state + 7500000ull;
    mem.total = mem.weights + mem.kv + mem.compute;
    return mem;
}

parley_fit_memory parley_fit_memory_needed(const parley_model_info *m, const struct parley_fit_params *params)
{
    parley_fit_memory zero = {0};
    if (!m)
        return zero;
    struct parley_fit_params p = resolve(params);
    return m->kind == PARLEY_MODEL_SPEECH ? memory_speech(m) : memory_llm(m, &p);
}

/* Bytes read from memory per generated token: the weights scaled by the share of
 * parameters a token touches (MoE: active experts; lookup tables: one row). */
static double bytes_per_token(const parley_model_info *m)
{
    if (m->params_total > 0 && m->params_per_token > 0 && m->params_per_token < m->params_total)
        return (double)m->size_bytes * m->params_per_token / m->params_total;
    return (double)m->size_bytes;
}

/* Quality stand-in for choosing among Great fits: stars first, then effective size
 * (MoE counted as the geometric mean of total and active parameters, a common rule of
 * thumb), then the HQ variant. */
static double quality(const parley_model_info *m)
{
    double eff = m->params_per_token > 0 ? m->params_per_token : m->params_total;
    if (m->shape.n_expert && m->params_per_token > 0)
        eff = sqrt(m->params_total * m->params_per_token);
    return m->stars * 1000.0 + eff / 1e9 + (m->hq ? 0.5 : 0);
}

/* Speech speed. whisper.cpp's time per second of audio is, to first order, passes over the
 * encoder's weights (30-s windows: matrix-matrix work, cheaper per byte than a mat-vec) and
 * over the decoder's weights plus its token embedding (the output head, read for every
 * sampled token), plus a part that does not grow with the model (mel, VAD, loading, the
 * sampler). All three are counted as bytes through the CPU's mat-vec kernel, so the
 * measured mat-vec rate (hw.h) scales them to the machine:
 *
 *     bytes per audio second = PASSES x (ENC_WEIGHT x encoder bytes + decoder bytes) + FIXED
 *
 * Encoder and decoder bytes are F16 counts from the shape (12 d^2 per encoder layer, 16 d^2
 * per decoder layer, n_vocab x d for the head); a quantised file scales the decoder part
 * by its size against F16 (its mat-vecs read fewer bytes; the encoder's matrix products
 * gain little). ENC_WEIGHT is the encoder/decoder cost per byte seen in whisper-cli's own
 * timings of the tiny and small stand-ins (docs/standins.md); PASSES and FIXED fit the
 * whole-command times of the tiny and base stand-ins on this 2-core machine when quiet
 * (docs/benchmarks/transcribe.md), at its quiet mat-vec rate of 12 GB/s. The check against
 * fresh runs is in docs/benchmarks/fit-speech.md. */
#define SPEECH_PASSES 10.2
#define SPEECH_ENC_WEIGHT 0.55
#define SPEECH_FIXED_BYTES 0.54e9

static void speech_bytes(const parley_model_info *m, double *enc, double *dec)
{
    const parley_model_shape *s = &m->shape;
    double da = s->n_audio_state, dt = s->n_text_state;
    *enc = 2.0 * 12 * s->n_audio_layer * da * da;
    *dec = 2.0 * (16 * s->n_text_layer * dt * dt + (double)s->n_vocab * dt);
}

double parley_fit_speech_realtime(const parley_model_info *m, double matvec_gbs, double gpu_gbs)
{
    if (!m || m->kind != PARLEY_MODEL_SPEECH || m->size_bytes == 0)
        return 0;
    double rate = gpu_gbs > 0 ? gpu_gbs : matvec_gbs;
    if (!(rate > 0))
        return 0;
    double enc, dec;
    speech_bytes(m, &enc, &dec);
    if (!(enc + dec > 0))
        return 0;
    /* an F16 file is ~3-7 % larger than the two counts (norms, biases, positions) */
    double q = (double)m->size_bytes / ((enc + dec) * 1.04);
    if (q > 1)
        q = 1;
    double bytes = SPEECH_PASSES * (SPEECH_ENC_WEIGHT * enc + q * dec) + SPEECH_FIXED_BYTES;
    return rate * GB / bytes;
}

static void set_label(parley_fit *f)
{
    snprintf(f->label, sizeof f->label, "%s%s", parley_fit_level_name(f->level),
             f->level != PARLEY_FIT_WONT && f->slow ? " + Slow" : "");
}

/* Picks the GPU with the most usable memory; -1 when none. */
static int best_gpu(const parley_hw *hw, const struct parley_fit_params *p, double *budget)
{
    int best = -1;
    double best_b = 0;
    for (int i = 0; i < hw->n_gpus && i < PARLEY_HW_MAX_GPUS; i++) {
        const parley_gpu *g = &hw->gpus[i];
        if (g->known_bad)
            continue; /* a driver in the known-bad table: nothing goes there */
        double b;
        if (g->type == PARLEY_GPU_DISCRETE) {
            /* What other programs hold is not ours: the budget is the free memory less
             * the reserve the display and driver need to grow into (the total only when
             * the free figure is unknown). */
            b = (double)(g->mem_free ? g->mem_free : g->mem_total) - p->vram_reserve_gb * GB;
        } else {
            /* Shared pool: the GPU may use a share of RAM (macOS caps its working set). */
            b = (double)hw->ram_total * p->unified_gpu_frac;
            if (g->type == PARLEY_GPU_INTEGRATED && g->mem_total && (double)g->mem_total < b)
                b = (double)g->mem_total;
        }
        if (b > best_b) {
            best_b = b;
            best = i;
        }
    }
    *budget = best_b;
    return best;
}

parley_fit parley_fit_model(const parley_model_info *m, const parley_hw *hw, const struct parley_fit_params *params)
{
    parley_fit f;
    memset(&f, 0, sizeof f);
    f.gpu_index = -1;
    struct parley_fit_params p = resolve(params);
    if (!m || !hw) {
        f.level = PARLEY_FIT_WONT;
        snprintf(f.reason, sizeof f.reason, "no model or no hardware description");
        set_label(&f);
        return f;
    }
    f.n_layer = m->kind == PARLEY_MODEL_SPEECH ? m->shape.n_audio_layer + m->shape.n_text_layer : m->shape.n_layer;
    f.mem = parley_fit_memory_needed(m, &p);
    if (!hw->cpu_device && hw->n_gpus == 0) {
        f.level = PARLEY_FIT_WONT;
        snprintf(f.reason, sizeof f.reason, "no usable compute device (ggml found no CPU or GPU backend)");
        set_label(&f);
        return f;
    }
    if (m->size_bytes == 0) {
        f.level = PARLEY_FIT_WONT;
        snprintf(f.reason, sizeof f.reason, "the model's size is unknown, so its fit cannot be computed");
        set_label(&f);
        return f;
    }

    const double total = (double)f.mem.total;
    const double ram = (double)hw->ram_total;
    const double great_ram = ram - fmax(p.reserve_min_gb * GB, p.reserve_frac * ram);
    const double tight_ram = ram - p.hard_reserve_gb * GB;
    const double bpt = bytes_per_token(m);
    /* The CPU streams weights at the lower of its DRAM bandwidth and its arithmetic rate
     * (the mat-vec probe): few-core machines are compute-bound well below DRAM speed. */
    double eff_cpu_bw = hw->ram_bandwidth_gbs * GB * p.cpu_efficiency;
    const double eff_matvec = hw->cpu_matvec_gbs * GB * p.matvec_efficiency;
    if (eff_matvec > 0 && (eff_cpu_bw == 0 || eff_matvec < eff_cpu_bw))
        eff_cpu_bw = eff_matvec;
    double budget = 0;
    int gi = best_gpu(hw, &p, &budget);
    const parley_gpu *g = gi >= 0 ? &hw->gpus[gi] : NULL;
    const double eff_gpu_bw = g ? g->bandwidth_gbs * GB * p.gpu_efficiency : 0;
    double secs_per_token = 0; /* 0 = unknown */
    double ram_need = 0, vram_need = 0;
    /* llama.cpp keeps the token-embedding matrix (a row lookup per token) in host memory
     * whatever the offload: on a discrete GPU it is RAM, not VRAM (measured on lavapipe,
     * docs/benchmarks/gpu-fit.md). Its bytes: n_vocab x n_embd at the file's average
     * bytes per parameter. */
    double embd = 0;
    if (m->kind == PARLEY_MODEL_LLM && m->params_total > 0 && m->shape.n_vocab && m->shape.n_embd)
        embd = fmin((double)m->shape.n_vocab * m->shape.n_embd * ((double)m->size_bytes / m->params_total),
                    0.5 * (double)f.mem.weights);
    const double on_dev = total - embd; /* what a discrete GPU holds with every layer */

    if (g && (g->type == PARLEY_GPU_DISCRETE ? on_dev : total) <= budget) {
        f.placement = PARLEY_PLACE_GPU;
        f.gpu_index = gi;
        f.n_gpu_layers = f.n_layer;
        /* Unified and integrated GPUs draw on the same RAM. */
        vram_need = g->type == PARLEY_GPU_DISCRETE ? on_dev : total;
        ram_need = g->type == PARLEY_GPU_DISCRETE ? embd + (double)HOST_OVERHEAD : total + (double)HOST_OVERHEAD;
        if (eff_gpu_bw > 0)
            secs_per_token = bpt / eff_gpu_bw;
    } else if (g && g->type == PARLEY_GPU_DISCRETE && m->kind == PARLEY_MODEL_LLM && f.n_layer > 0 &&
               budget > (double)f.mem.compute) {
        /* Split: whole layers (weights, KV and state alike) go to the GPU while they fit
         * beside its compute buffer; the rest, and the output head's logits, stay on the
         * CPU, which also needs a compute buffer of its own. */
        double per_layer = ((double)(f.mem.weights + f.mem.kv + f.mem.state) - embd) / f.n_layer;
        double fit_layers = floor((budget - (double)f.mem.compute) / per_layer);
        uint32_t ngl = fit_layers > 0 ? (uint32_t)fmin(fit_layers, f.n_layer - 1) : 0;
        if (ngl > 0) {
            f.placement = PARLEY_PLACE_SPLIT;
            f.gpu_index = gi;
            f.n_gpu_layers = ngl;
            vram_need = (double)f.mem.compute + per_layer * ngl;
            ram_need = per_layer * (f.n_layer - ngl) + embd + (double)f.mem.compute + (double)HOST_OVERHEAD;
            double share_gpu = (double)ngl / f.n_layer;
            if (eff_gpu_bw > 0 && eff_cpu_bw > 0)
                secs_per_token = bpt * share_gpu / eff_gpu_bw + bpt * (1 - share_gpu) / eff_cpu_bw;
        }
    } else if (g && g->type != PARLEY_GPU_DISCRETE && m->kind == PARLEY_MODEL_LLM &&
               total + (double)HOST_OVERHEAD <= tight_ram) {
        /* Unified memory beyond the GPU's share: llama.cpp keeps the overflow layers on
         * the CPU side of the same memory. Same RAM, lower speed. */
        double share_gpu = budget / total;
        f.placement = PARLEY_PLACE_SPLIT;
        f.gpu_index = gi;
        f.n_gpu_layers = (uint32_t)floor(share_gpu * f.n_layer);
        ram_need = vram_need = total + (double)HOST_OVERHEAD;
        vram_need = budget;
        if (eff_gpu_bw > 0 && eff_cpu_bw > 0)
            secs_per_token = bpt * share_gpu / eff_gpu_bw + bpt * (1 - share_gpu) / eff_cpu_bw;
    }
    if (f.placement == PARLEY_PLACE_NONE) {
        if (hw->cpu_device) {
            f.placement = PARLEY_PLACE_CPU;
            f.n_gpu_layers = 0;
            ram_need = total + (double)HOST_OVERHEAD;
            vram_need = 0;
            if (eff_cpu_bw > 0)
                secs_per_token = bpt / eff_cpu_bw;
        } else {
            f.level = PARLEY_FIT_WONT;
            snprintf(f.reason, sizeof f.reason, "needs %.1f GB but the GPU has %.1f GB usable and there is no CPU "
                     "backend", total / GB, budget / GB);
            set_label(&f);
            return f;
        }
    }
    f.ram_bytes = (uint64_t)ram_need;
    f.vram_bytes = (uint64_t)vram_need;
    /* "+ Slow" only where it tells something: layers left off a GPU that could have held
     * them (a machine without a GPU says "CPU only" once, in the picker's title). */
    f.slow = g != NULL && f.placement != PARLEY_PLACE_GPU;
    if (m->kind == PARLEY_MODEL_LLM && secs_per_token > 0)
        f.tokens_per_s = 1.0 / secs_per_token;
    if (m->kind == PARLEY_MODEL_SPEECH) {
        /* whisper.cpp runs a model wholly on one device: the GPU's rate when it is there
         * (a software device is the CPU), else the CPU's mat-vec rate. */
        double gpu_rate = f.placement == PARLEY_PLACE_GPU && g && !g->software && g->bandwidth_gbs > 0
                              ? g->bandwidth_gbs * p.gpu_efficiency / p.matvec_efficiency
                              : 0;
        f.realtime_x = parley_fit_speech_realtime(m, hw->cpu_matvec_gbs, gpu_rate);
        f.keeps_up_live = f.realtime_x >= p.live_realtime_x;
        if (f.realtime_x > 0 && f.realtime_x < 1)
            f.slow = true;
    }

    const bool short_ctx = m->kind == PARLEY_MODEL_LLM && ctx_used(m, &p) < p.n_ctx;
    if (ram_need > tight_ram) {
        f.level = PARLEY_FIT_WONT;
        snprintf(f.reason, sizeof f.reason, "needs %.1f GB of RAM; this machine has %.1f GB and the system keeps "
                 "%.1f GB", ram_need / GB, ram / GB, p.hard_reserve_gb);
    } else if (ram_need > great_ram) {
        f.level = PARLEY_FIT_TIGHT;
        snprintf(f.reason, sizeof f.reason, "leaves only %.1f GB of %.1f GB RAM for everything else",
                 (ram - ram_need) / GB, ram / GB);
    } else if (f.tokens_per_s > 0 && f.tokens_per_s < p.great_tps) {
        f.level = PARLEY_FIT_TIGHT;
        snprintf(f.reason, sizeof f.reason, "about %.1f tokens/s, below the %.0f tokens/s a comfortable read needs",
                 f.tokens_per_s, p.great_tps);
    } else if (m->kind == PARLEY_MODEL_SPEECH && f.realtime_x > 0 && f.realtime_x < 1) {
        f.level = PARLEY_FIT_TIGHT;
        snprintf(f.reason, sizeof f.reason, "about %.1fx real time here: slower than speech, so it cannot keep up "
                 "with a live meeting (an hour of audio takes %.1f h)", f.realtime_x, 1 / f.realtime_x);
    } else if (m->kind == PARLEY_MODEL_SPEECH && f.realtime_x > 0 && !f.keeps_up_live) {
        f.level = PARLEY_FIT_TIGHT;
        snprintf(f.reason, sizeof f.reason, "about %.1fx real time here: too close to real time to keep up with a "
                 "live meeting (needs %.1fx)", f.realtime_x, p.live_realtime_x);
    } else if (short_ctx) {
        f.level = PARLEY_FIT_TIGHT;
        snprintf(f.reason, sizeof f.reason, "trained for %u tokens, less than the %u a long meeting needs",
                 m->shape.n_ctx_train, p.n_ctx);
    } else {
        f.level = PARLEY_FIT_GREAT;
        if (m->kind == PARLEY_MODEL_LLM && f.tokens_per_s == 0)
            snprintf(f.reason, sizeof f.reason, "fits with room to spare (speed unknown: bandwidth not known)");
        else if (m->kind == PARLEY_MODEL_SPEECH && f.realtime_x > 0)
            snprintf(f.reason, sizeof f.reason, "fits; about %.0fx real time here, keeps up with a live meeting",
                     f.realtime_x);
        else
            snprintf(f.reason, sizeof f.reason, "fits with room to spare");
    }
    if (f.level == PARLEY_FIT_GREAT) {
        f.score = quality(m);
        /* Speech: among the models that keep up live, the best quality; when the speed is
         * unknown, models past "small" (244 M parameters) are not recommended on a CPU
         * (they run slower than real time on laptop CPUs). */
        if (m->kind == PARLEY_MODEL_SPEECH && f.realtime_x == 0 && f.placement != PARLEY_PLACE_GPU &&
            m->params_total > 250e6)
            f.score = -1;
    }
    set_label(&f);
    return f;
}

const char *parley_fit_level_name(parley_fit_level l)
{
    switch (l) {
    case PARLEY_FIT_WONT: return "Won't fit";
    case PARLEY_FIT_TIGHT: return "Tight fit";
    case PARLEY_FIT_GREAT: return "Great fit";
    }
    return "unknown";
}

const char *parley_placement_name(parley_placement p)
{
    switch (p) {
    case PARLEY_PLACE_NONE: return "none";
    case PARLEY_PLACE_GPU: return "gpu";
    case PARLEY_PLACE_SPLIT: return "split";
    case PARLEY_PLACE_CPU: return "cpu";
    }
    return "unknown";
}

/* qsort has no user pointer: sort (index, model, fit) triples instead. */
struct rank_item {
    size_t idx;
    const parley_model_info *m;
    const parley_fit *f;
};

static int rank_cmp(const void *a, const void *b)
{
    const struct rank_item *x = a, *y = b;
    uint64_t rx = x->f->ram_bytes ? x->f->ram_bytes : x->f->mem.total;
    uint64_t ry = y->f->ram_bytes ? y->f->ram_bytes : y->f->mem.total;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (x->m->stars != y->m->stars)
        return x->m->stars > y->m->stars ? -1 : 1;
    return strcmp(x->m->id, y->m->id);
}

int parley_fit_rank(const parley_model_info *const *models, const parley_fit *fits, size_t n, size_t *order)
{
    if (!models || !fits || !order || n == 0)
        return -1;
    struct rank_item *items = malloc(n * sizeof *items);
    if (!items) { /* keep the given order rather than fail a display */
        for (size_t i = 0; i < n; i++)
            order[i] = i;
    } else {
        for (size_t i = 0; i < n; i++)
            items[i] = (struct rank_item){i, models[i], &fits[i]};
        qsort(items, n, sizeof *items, rank_cmp);
        for (size_t i = 0; i < n; i++)
            order[i] = items[i].idx;
        free(items);
    }
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (fits[i].level != PARLEY_FIT_GREAT || fits[i].score <= 0 || models[i]->archived)
            continue;
        if (models[i]->state == PARLEY_STATE_MISSING || models[i]->state == PARLEY_STATE_DAMAGED)
            continue;
        if (best < 0 || fits[i].score > fits[best].score)
            best = (int)i;
    }
    return best;
}

bool parley_fit_blocking_reason(const parley_hw *hw, const parley_fit *fits, size_t n, char *out, size_t out_size)
{
    if (out && out_size)
        out[0] = '\0';
    if (!hw || (!hw->cpu_device && hw->n_gpus == 0)) {
        if (out)
            snprintf(out, out_size, "No usable compute device: ggml found neither a CPU nor a GPU backend, so no "
                     "model can run here. Check the ggml backend installation (PARLEY_GGML_BACKEND_DIR).");
        return true;
    }
    double smallest = 0;
    for (size_t i = 0; i < n; i++) {
        if (fits[i].level != PARLEY_FIT_WONT)
            return false;
        double need = (double)(fits[i].ram_bytes ? fits[i].ram_bytes : fits[i].mem.total);
        if (need > 0 && (smallest == 0 || need < smallest))
            smallest = need;
    }
    if (out)
        snprintf(out, out_size, "No model fits this machine: it has %.1f GB of RAM and the smallest model needs "
                 "%.1f GB (with the context a long meeting needs).", (double)hw->ram_total / GB, smallest / GB);
    return true;
}
