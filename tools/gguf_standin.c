/* gguf_standin: writes a stand-in GGUF for a catalog model: the exact tensor names,
 * shapes, types and hyper-parameters of the real architecture (as llama.cpp 0.7 loads
 * it), a synthetic tokenizer of the real vocabulary size and a chat template, with
 * random weights. It loads, allocates and runs at the speed and memory of the real model;
 * its output is meaningless. The real files cannot be downloaded on the project's
 * machines, so speed and memory measurements use these.
 *
 *   gguf_standin --list
 *   gguf_standin --model qwen3.5-2b -o FILE [--type q4_k_m|q8_0|f16] [--seed N]
 *
 * Deterministic: the same arguments give the same bytes. Fast: for each tensor a small
 * pool of random rows is quantised once (ggml_quantize_chunk) and rows are drawn from it
 * with a seeded xorshift, then streamed to the file; nothing of the size of the model is
 * held in memory.
 *
 * Shapes follow llama.cpp's loaders (src/models/qwen35.cpp, gemma4.cpp: load_arch_tensors)
 * and /work/shared/docs/CATALOG.md. Type choice imitates Q4_K_M: Q4_K for most matrices,
 * Q6_K for the embeddings and for ffn_down/attn_v on llama-quantize's "more bits" layers,
 * F32 for vectors and for matrices whose rows are not a multiple of 256. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ggml.h>
#include <gguf.h>

/* ---- catalog ------------------------------------------------------------------------ */

enum family { FAM_QWEN35, FAM_QWEN35MOE, FAM_GEMMA4 };

struct spec {
    const char *id;     /* --model name */
    const char *name;   /* general.name */
    enum family fam;
    int n_layer, n_embd, n_ff, n_head, n_head_kv;
    int head_dim;       /* qwen35: all heads; gemma4: global (full attention) layers */
    int vocab, ctx;
    /* qwen35 linear attention */
    int lin_k_heads, lin_v_heads, lin_head_dim, conv_kernel;
    /* qwen35moe */
    int n_expert, n_expert_used, n_ff_exp, n_ff_shexp;
    /* gemma4 */
    int head_dim_swa, window, swa_period, n_kv_shared, n_embd_per_layer, n_ff_wide;
    bool tied;          /* output shares token_embd */
};

static const struct spec specs[] = {
    {"qwen3.5-2b", "Qwen3.5-2B (stand-in)", FAM_QWEN35, 24, 2048, 6144, 8, 2, 256, 248320, 262144,
     16, 16, 128, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, true},
    {"qwen3.5-4b", "Qwen3.5-4B (stand-in)", FAM_QWEN35, 32, 2560, 9216, 16, 4, 256, 248320, 262144,
     16, 32, 128, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, true},
    {"qwen3.5-9b", "Qwen3.5-9B (stand-in)", FAM_QWEN35, 32, 4096, 12288, 16, 4, 256, 248320, 262144,
     16, 32, 128, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false},
    {"qwen3.6-35b-a3b", "Qwen3.6-35B-A3B (stand-in)", FAM_QWEN35MOE, 40, 2048, 0, 16, 2, 256, 248320,
     262144, 16, 32, 128, 4, 256, 8, 512, 512, 0, 0, 0, 0, 0, 0, false},
    {"gemma-4-e2b", "Gemma-4-E2B-it (stand-in)", FAM_GEMMA4, 35, 1536, 6144, 8, 1, 512, 262144, 131072,
     0, 0, 0, 0, 0, 0, 0, 0, 256, 512, 5, 20, 256, 12288, true},
    {"gemma-4-e4b", "Gemma-4-E4B-it (stand-in)", FAM_GEMMA4, 42, 2560, 10240, 8, 2, 512, 262144, 131072,
     0, 0, 0, 0, 0, 0, 0, 0, 256, 512, 6, 18, 256, 10240, true},
};

static const char qwen_template[] =
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- else %}{{- '<think>\\n' }}{%- endif %}"
    "{%- endif %}";

static const char gemma_template[] =
    "{{ bos_token }}{%- for message in messages -%}"
    "{{ '<start_of_turn>' + (message.role == 'assistant' and 'model' or message.role) + '\\n' + "
    "message.content | trim + '<end_of_turn>\\n' }}"
    "{%- endfor -%}{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}";

/* ---- deterministic random ------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t xorshift(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static float frand(void) { return (float)((xorshift() >> 40) * (1.0 / 16777216.0)); } /* [0,1) */
static void reseed(uint64_t seed, const char *name)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    rng_state = h ? h : 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 8; i++)
        xorshift();
}

/* ---- tensor list -------------------------------------------------------------------- */

enum qmode { Q_Q4KM, Q_Q8_0, Q_F16 };

struct tdesc {
    char name[96];
    int n_dims;
    int64_t ne[3];
    enum ggml_type type;
};

static struct tdesc *tensors;
static size_t n_tensors, cap_tensors;
static enum qmode qmode;

static bool more_bits(int il, int n_layer)
{
    /* llama-quantize's use_more_bits(): first and last eighth, and every third between. */
    return il < n_layer / 8 || il >= 7 * n_layer / 8 || (il - n_layer / 8) % 3 == 2;
}

static enum ggml_type pick_type(const char *name, int n_dims, int64_t ne0, int il, int n_layer)
{
    if (n_dims == 1)
        return GGML_TYPE_F32;
    if (qmode == Q_F16)
        return GGML_TYPE_F16;
    if (qmode == Q_Q8_0)
        return ne0 % 32 == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32;
    if (ne0 % 256 != 0)
        return ne0 % 32 == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32;
    if (strstr(name, "ssm_conv1d") || strstr(name, "ssm_alpha") || strstr(name, "ssm_beta") ||
        strstr(name, "ffn_gate_inp"))
        return GGML_TYPE_F32; /* small and precision-critical: kept F32 by llama-quantize too */
    if (!strcmp(name, "token_embd.weight") || !strcmp(name, "output.weight"))
        return GGML_TYPE_Q6_K;
    if (il >= 0 && (strstr(name, "ffn_down") || strstr(name, "attn_v.")) && more_bits(il, n_layer))
        return GGML_TYPE_Q6_K;
    return GGML_TYPE_Q4_K;
}

static int g_n_layer;

static void add_t(int il, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void add_t(int il, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2, const char *fmt, ...)
{
    if (n_tensors == cap_tensors) {
        cap_tensors = cap_tensors ? cap_tensors * 2 : 256;
        tensors = realloc(tensors, cap_tensors * sizeof *tensors);
        if (!tensors) {
            fprintf(stderr, "gguf_standin: out of memory\n");
            exit(1);
        }
    }
    struct tdesc *t = &tensors[n_tensors++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->ne[2] = ne2;
    t->type = pick_type(t->name, n_dims, ne0, il, g_n_layer);
}
#define T1(il, a, ...) add_t(il, 1, a, 1, 1, __VA_ARGS__)
#define T2(il, a, b, ...) add_t(il, 2, a, b, 1, __VA_ARGS__)
#define T3(il, a, b, c, ...) add_t(il, 3, a, b, c, __VA_ARGS__)

static void tensors_qwen35(const struct spec *s)
{
    int64_t E = s->n_embd, V = s->vocab;
    T2(-1, E, V, "token_embd.weight");
    T1(-1, E, "output_norm.weight");
    if (!s->tied)
        T2(-1, E, V, "output.weight");
    int64_t key_dim = (int64_t)s->lin_head_dim * s->lin_k_heads;
    int64_t value_dim = (int64_t)s->lin_head_dim * s->lin_v_heads;
    int64_t conv_dim = key_dim * 2 + value_dim;
    int64_t hd = s->head_dim;
    for (int i = 0; i < s->n_layer; i++) {
        T1(i, E, "blk.%d.attn_norm.weight", i);
        T1(i, E, "blk.%d.post_attention_norm.weight", i);
        if ((i + 1) % 4 == 0) { /* full (gated) attention: q carries q and its gate */
            T2(i, E, hd * s->n_head * 2, "blk.%d.attn_q.weight", i);
            T2(i, E, hd * s->n_head_kv, "blk.%d.attn_k.weight", i);
            T2(i, E, hd * s->n_head_kv, "blk.%d.attn_v.weight", i);
            T2(i, hd * s->n_head, E, "blk.%d.attn_output.weight", i);
            T1(i, hd, "blk.%d.attn_q_norm.weight", i);
            T1(i, hd, "blk.%d.attn_k_norm.weight", i);
        } else { /* Gated DeltaNet */
            T2(i, E, conv_dim, "blk.%d.attn_qkv.weight", i);
            T2(i, E, value_dim, "blk.%d.attn_gate.weight", i);
            T2(i, s->conv_kernel, conv_dim, "blk.%d.ssm_conv1d.weight", i);
            T1(i, s->lin_v_heads, "blk.%d.ssm_dt.bias", i);
            T1(i, s->lin_v_heads, "blk.%d.ssm_a", i);
            T2(i, E, s->lin_v_heads, "blk.%d.ssm_beta.weight", i);
            T2(i, E, s->lin_v_heads, "blk.%d.ssm_alpha.weight", i);
            T1(i, s->lin_head_dim, "blk.%d.ssm_norm.weight", i);
            T2(i, value_dim, E, "blk.%d.ssm_out.weight", i);
        }
        if (s->fam == FAM_QWEN35MOE) {
            T2(i, E, s->n_expert, "blk.%d.ffn_gate_inp.weight", i);
            T3(i, E, s->n_ff_exp, s->n_expert, "blk.%d.ffn_gate_exps.weight", i);
            T3(i, E, s->n_ff_exp, s->n_expert, "blk.%d.ffn_up_exps.weight", i);
            T3(i, s->n_ff_exp, E, s->n_expert, "blk.%d.ffn_down_exps.weight", i);
            T2(i, E, 1, "blk.%d.ffn_gate_inp_shexp.weight", i);
            T2(i, E, s->n_ff_shexp, "blk.%d.ffn_gate_shexp.weight", i);
            T2(i, E, s->n_ff_shexp, "blk.%d.ffn_up_shexp.weight", i);
            T2(i, s->n_ff_shexp, E, "blk.%d.ffn_down_shexp.weight", i);
        } else {
            T2(i, E, s->n_ff, "blk.%d.ffn_gate.weight", i);
            T2(i, s->n_ff, E, "blk.%d.ffn_down.weight", i);
            T2(i, E, s->n_ff, "blk.%d.ffn_up.weight", i);
        }
    }
}

static bool gemma_is_swa(const struct spec *s, int i) { return (i + 1) % s->swa_period != 0; }
static bool gemma_has_kv(const struct spec *s, int i) { return i < s->n_layer - s->n_kv_shared; }
static int64_t gemma_ff(const struct spec *s, int i) { return gemma_has_kv(s, i) ? s->n_ff : s->n_ff_wide; }

static void tensors_gemma4(const struct spec *s)
{
    int64_t E = s->n_embd, V = s->vocab, P = s->n_embd_per_layer, L = s->n_layer;
    T2(-1, E, V, "token_embd.weight");
    T2(-1, P * L, V, "per_layer_token_embd.weight");
    T2(-1, E, P * L, "per_layer_model_proj.weight");
    T1(-1, P, "per_layer_proj_norm.weight");
    T1(-1, E, "output_norm.weight");
    T1(-1, s->head_dim / 2, "rope_freqs.weight");
    for (int i = 0; i < s->n_layer; i++) {
        int64_t hd = gemma_is_swa(s, i) ? s->head_dim_swa : s->head_dim;
        T1(i, E, "blk.%d.attn_norm.weight", i);
        T2(i, E, hd * s->n_head, "blk.%d.attn_q.weight", i);
        if (gemma_has_kv(s, i)) {
            T2(i, E, hd * s->n_head_kv, "blk.%d.attn_k.weight", i);
            T2(i, E, hd * s->n_head_kv, "blk.%d.attn_v.weight", i);
            T1(i, hd, "blk.%d.attn_k_norm.weight", i);
        }
        T2(i, hd * s->n_head, E, "blk.%d.attn_output.weight", i);
        T1(i, hd, "blk.%d.attn_q_norm.weight", i);
        T1(i, E, "blk.%d.post_attention_norm.weight", i);
        T1(i, 1, "blk.%d.layer_output_scale.weight", i);
        T1(i, E, "blk.%d.ffn_norm.weight", i);
        T2(i, E, gemma_ff(s, i), "blk.%d.ffn_gate.weight", i);
        T2(i, E, gemma_ff(s, i), "blk.%d.ffn_up.weight", i);
        T2(i, gemma_ff(s, i), E, "blk.%d.ffn_down.weight", i);
        T1(i, E, "blk.%d.post_ffw_norm.weight", i);
        T2(i, E, P, "blk.%d.inp_gate.weight", i);
        T2(i, P, E, "blk.%d.proj.weight", i);
        T1(i, E, "blk.%d.post_norm.weight", i);
    }
}

/* ---- metadata ----------------------------------------------------------------------- */

static void kv_u32(struct gguf_context *g, const char *arch, const char *key, uint32_t v)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", arch, key);
    gguf_set_val_u32(g, k, v);
}
static void kv_f32(struct gguf_context *g, const char *arch, const char *key, float v)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", arch, key);
    gguf_set_val_f32(g, k, v);
}

/* A SentencePiece-style ("llama") vocabulary of the model's size: <unk> <s> </s>, the
 * chat control tokens, 256 byte tokens, then synthetic pieces. Tokenizing English with it
 * gives roughly one token per 3 characters. */
static void add_vocab(struct gguf_context *g, const struct spec *s, const char **controls, int n_controls,
                      int eos_index)
{
    int n = s->vocab;
    char **toks = calloc((size_t)n, sizeof *toks);
    float *scores = calloc((size_t)n, sizeof *scores);
    int32_t *types = calloc((size_t)n, sizeof *types);
    if (!toks || !scores || !types) {
        fprintf(stderr, "gguf_standin: out of memory\n");
        exit(1);
    }
    int i = 0;
    const char *base[] = {"<unk>", "<s>", "</s>"};
    for (int k = 0; k < 3; k++, i++) {
        toks[i] = strdup(base[k]);
        types[i] = k == 0 ? 2 : 3;
    }
    for (int k = 0; k < n_controls; k++, i++) {
        toks[i] = strdup(controls[k]);
        types[i] = 3;
    }
    for (int b = 0; b < 256; b++, i++) {
        char t[8];
        snprintf(t, sizeof t, "<0x%02X>", b);
        toks[i] = strdup(t);
        types[i] = 6;
    }
    /* Synthetic pieces: every string over a-z (then with a leading "▁"), shortest first,
     * so common short pieces exist and every id has a unique piece. */
    const char *alpha = "etaoinshrdlcumwfgypbvkjxqz";
    for (int64_t j = 0; i < n; j++, i++) {
        char t[32];
        size_t o = 0;
        if (j & 1) {
            memcpy(t, "\xe2\x96\x81", 3);
            o = 3;
        }
        int64_t v = j >> 1;
        do {
            t[o++] = alpha[v % 26];
            v = v / 26 - 1;
        } while (v >= 0 && o < sizeof t - 1);
        t[o] = '\0';
        toks[i] = strdup(t);
        types[i] = 1;
        scores[i] = -(float)(o) - (float)j * 1e-6f;
    }
    gguf_set_val_str(g, "tokenizer.ggml.model", "llama");
    gguf_set_arr_str(g, "tokenizer.ggml.tokens", (const char **)toks, (size_t)n);
    gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, (size_t)n);
    gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, (size_t)n);
    gguf_set_val_u32(g, "tokenizer.ggml.unknown_token_id", 0);
    gguf_set_val_u32(g, "tokenizer.ggml.bos_token_id", 1);
    gguf_set_val_u32(g, "tokenizer.ggml.eos_token_id", (uint32_t)(3 + eos_index));
    gguf_set_val_u32(g, "tokenizer.ggml.padding_token_id", 0);
    gguf_set_val_bool(g, "tokenizer.ggml.add_bos_token", s->fam == FAM_GEMMA4);
    gguf_set_val_bool(g, "tokenizer.ggml.add_eos_token", false);
    for (int k = 0; k < n; k++)
        free(toks[k]);
    free(toks);
    free(scores);
    free(types);
}

static void metadata(struct gguf_context *g, const struct spec *s)
{
    const char *arch = s->fam == FAM_GEMMA4 ? "gemma4" : s->fam == FAM_QWEN35MOE ? "qwen35moe" : "qwen35";
    gguf_set_val_str(g, "general.architecture", arch);
    gguf_set_val_str(g, "general.name", s->name);
    gguf_set_val_str(g, "general.description",
                     "Parley stand-in: real architecture and shapes, random weights, synthetic "
                     "tokenizer; for speed and memory measurements only");
    gguf_set_val_u32(g, "general.quantization_version", 2);
    gguf_set_val_u32(g, "general.file_type", qmode == Q_F16 ? 1 : qmode == Q_Q8_0 ? 7 : 15);
    kv_u32(g, arch, "context_length", (uint32_t)s->ctx);
    kv_u32(g, arch, "embedding_length", (uint32_t)s->n_embd);
    kv_u32(g, arch, "block_count", (uint32_t)s->n_layer);
    kv_u32(g, arch, "attention.head_count", (uint32_t)s->n_head);
    kv_u32(g, arch, "attention.head_count_kv", (uint32_t)s->n_head_kv);
    kv_u32(g, arch, "attention.key_length", (uint32_t)s->head_dim);
    kv_u32(g, arch, "attention.value_length", (uint32_t)s->head_dim);
    kv_f32(g, arch, "attention.layer_norm_rms_epsilon", 1e-6f);
    if (s->fam == FAM_GEMMA4) {
        uint32_t ff[128];
        bool swa[128];
        for (int i = 0; i < s->n_layer; i++) {
            ff[i] = (uint32_t)gemma_ff(s, i);
            swa[i] = gemma_is_swa(s, i);
        }
        char k[128];
        snprintf(k, sizeof k, "%s.feed_forward_length", arch);
        gguf_set_arr_data(g, k, GGUF_TYPE_UINT32, ff, (size_t)s->n_layer);
        snprintf(k, sizeof k, "%s.attention.sliding_window_pattern", arch);
        gguf_set_arr_data(g, k, GGUF_TYPE_BOOL, swa, (size_t)s->n_layer);
        kv_u32(g, arch, "attention.key_length_swa", (uint32_t)s->head_dim_swa);
        kv_u32(g, arch, "attention.value_length_swa", (uint32_t)s->head_dim_swa);
        kv_u32(g, arch, "attention.sliding_window", (uint32_t)s->window);
        kv_u32(g, arch, "attention.shared_kv_layers", (uint32_t)s->n_kv_shared);
        kv_u32(g, arch, "embedding_length_per_layer_input", (uint32_t)s->n_embd_per_layer);
        kv_u32(g, arch, "rope.dimension_count", (uint32_t)s->head_dim);
        kv_u32(g, arch, "rope.dimension_count_swa", (uint32_t)s->head_dim_swa);
        kv_f32(g, arch, "rope.freq_base", 1000000.0f);
        kv_f32(g, arch, "rope.freq_base_swa", 10000.0f);
        kv_f32(g, arch, "final_logit_softcapping", 30.0f);
        const char *controls[] = {"<start_of_turn>", "<end_of_turn>", "<eos>"};
        add_vocab(g, s, controls, 3, 1);
        gguf_set_val_u32(g, "tokenizer.ggml.eot_token_id", 3 + 1);
        gguf_set_val_str(g, "tokenizer.chat_template", gemma_template);
    } else {
        kv_u32(g, arch, "feed_forward_length", (uint32_t)(s->n_ff ? s->n_ff : s->n_ff_shexp));
        kv_u32(g, arch, "rope.dimension_count", (uint32_t)(s->head_dim / 4)); /* partial rotary 0.25 */
        kv_f32(g, arch, "rope.freq_base", 10000000.0f);
        int32_t sections[4] = {11, 11, 10, 0};
        char k[128];
        snprintf(k, sizeof k, "%s.rope.dimension_sections", arch);
        gguf_set_arr_data(g, k, GGUF_TYPE_INT32, sections, 4);
        kv_u32(g, arch, "full_attention_interval", 4);
        kv_u32(g, arch, "ssm.conv_kernel", (uint32_t)s->conv_kernel);
        kv_u32(g, arch, "ssm.state_size", (uint32_t)s->lin_head_dim);
        kv_u32(g, arch, "ssm.group_count", (uint32_t)s->lin_k_heads);
        kv_u32(g, arch, "ssm.time_step_rank", (uint32_t)s->lin_v_heads);
        kv_u32(g, arch, "ssm.inner_size", (uint32_t)(s->lin_head_dim * s->lin_v_heads));
        if (s->fam == FAM_QWEN35MOE) {
            kv_u32(g, arch, "expert_count", (uint32_t)s->n_expert);
            kv_u32(g, arch, "expert_used_count", (uint32_t)s->n_expert_used);
            kv_u32(g, arch, "expert_feed_forward_length", (uint32_t)s->n_ff_exp);
            kv_u32(g, arch, "expert_shared_feed_forward_length", (uint32_t)s->n_ff_shexp);
        }
        const char *controls[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"};
        add_vocab(g, s, controls, 5, 2);
        gguf_set_val_u32(g, "tokenizer.ggml.eot_token_id", 3 + 2);
        gguf_set_val_str(g, "tokenizer.chat_template", qwen_template);
    }
}

/* ---- weights ------------------------------------------------------------------------ */

static void fill_f32(const struct tdesc *t, float *x, int64_t n)
{
    if (strstr(t->name, "norm") || strstr(t->name, "layer_output_scale") || strstr(t->name, "rope_freqs")) {
        for (int64_t i = 0; i < n; i++)
            x[i] = 1.0f + (frand() - 0.5f) * 0.02f;
    } else if (strstr(t->name, "ssm_a")) {
        for (int64_t i = 0; i < n; i++)
            x[i] = -(0.5f + frand());
    } else {
        float scale = 1.0f / (float)(t->ne[0] > 1 ? t->ne[0] : 1);
        scale = scale < 0.02f ? 0.02f : scale;
        for (int64_t i = 0; i < n; i++)
            x[i] = (frand() * 2.0f - 1.0f) * scale;
    }
}

#define POOL_ROWS 32

static int write_tensor(FILE *f, const struct tdesc *t, uint64_t seed, size_t align)
{
    reseed(seed, t->name);
    int64_t ne0 = t->ne[0], rows = t->ne[1] * t->ne[2];
    size_t row_bytes = ggml_row_size(t->type, ne0);
    int64_t pool_rows = rows < POOL_ROWS ? rows : POOL_ROWS;
    float *src = malloc((size_t)(ne0 * pool_rows) * sizeof *src);
    char *pool = malloc(row_bytes * (size_t)pool_rows);
    if (!src || !pool)
        return -1;
    fill_f32(t, src, ne0 * pool_rows);
    if (t->type == GGML_TYPE_F32)
        memcpy(pool, src, row_bytes * (size_t)pool_rows);
    else if (t->type == GGML_TYPE_F16)
        ggml_fp32_to_fp16_row(src, (ggml_fp16_t *)pool, ne0 * pool_rows);
    else
        ggml_quantize_chunk(t->type, src, pool, 0, pool_rows, ne0, NULL);
    /* Rows of small tensors are the pool itself (all distinct); large ones draw rows. */
    size_t chunk_rows = (8u << 20) / row_bytes + 1;
    char *out = malloc(row_bytes * chunk_rows);
    if (!out)
        return -1;
    for (int64_t r = 0; r < rows;) {
        size_t k = 0;
        for (; k < chunk_rows && r < rows; k++, r++) {
            int64_t pick = rows <= POOL_ROWS ? r : (int64_t)(xorshift() % POOL_ROWS);
            memcpy(out + k * row_bytes, pool + (size_t)pick * row_bytes, row_bytes);
        }
        if (fwrite(out, row_bytes, k, f) != k)
            return -1;
    }
    size_t size = row_bytes * (size_t)rows;
    static const char zeros[64];
    size_t pad = (align - size % align) % align;
    if (pad && fwrite(zeros, 1, pad, f) != pad)
        return -1;
    free(out);
    free(pool);
    free(src);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: gguf_standin --list\n"
                    "       gguf_standin --model ID -o FILE [--type q4_k_m|q8_0|f16] [--seed N]\n");
}

int main(int argc, char **argv)
{
    const char *model = NULL, *outp = NULL;
    uint64_t seed = 1;
    qmode = Q_Q4KM;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < sizeof specs / sizeof *specs; k++)
                printf("%s\t%s\n", specs[k].id, specs[k].name);
            return 0;
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            outp = argv[++i];
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--type") && i + 1 < argc) {
            const char *t = argv[++i];
            if (!strcmp(t, "q4_k_m"))
                qmode = Q_Q4KM;
            else if (!strcmp(t, "q8_0"))
                qmode = Q_Q8_0;
            else if (!strcmp(t, "f16"))
                qmode = Q_F16;
            else {
                fprintf(stderr, "gguf_standin: unknown type %s\n", t);
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (!model || !outp) {
        usage();
        return 2;
    }
    const struct spec *s = NULL;
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++)
        if (!strcmp(specs[k].id, model))
            s = &specs[k];
    if (!s) {
        fprintf(stderr, "gguf_standin: unknown model %s (see --list)\n", model);
        return 2;
    }
    g_n_layer = s->n_layer;
    if (s->fam == FAM_GEMMA4)
        tensors_gemma4(s);
    else
        tensors_qwen35(s);

    struct gguf_context *g = gguf_init_empty();
    metadata(g, s);
    struct ggml_init_params ip = {.mem_size = (n_tensors + 8) * ggml_tensor_overhead(),
                                  .mem_buffer = NULL, .no_alloc = true};
    struct ggml_context *meta = ggml_init(ip);
    uint64_t n_params = 0, n_bytes = 0;
    for (size_t i = 0; i < n_tensors; i++) {
        struct tdesc *t = &tensors[i];
        struct ggml_tensor *gt = ggml_new_tensor(meta, t->type, t->n_dims, t->ne);
        ggml_set_name(gt, t->name);
        gguf_add_tensor(g, gt);
        n_params += (uint64_t)ggml_nelements(gt);
        n_bytes += ggml_nbytes(gt);
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.part", outp);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "gguf_standin: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    size_t meta_size = gguf_get_meta_size(g);
    void *mbuf = malloc(meta_size);
    gguf_get_meta_data(g, mbuf);
    if (fwrite(mbuf, 1, meta_size, f) != meta_size)
        goto werr;
    free(mbuf);
    size_t align = gguf_get_alignment(g);
    for (size_t i = 0; i < n_tensors; i++)
        if (write_tensor(f, &tensors[i], seed, align) != 0)
            goto werr;
    if (fclose(f) != 0) {
        f = NULL;
        goto werr;
    }
    if (rename(tmp, outp) != 0) {
        fprintf(stderr, "gguf_standin: rename to %s: %s\n", outp, strerror(errno));
        return 1;
    }
    printf("%s: %s, %zu tensors, %.3f B parameters, %.1f MiB of weights\n", outp, s->name, n_tensors,
           (double)n_params / 1e9, (double)n_bytes / 1048576.0);
    ggml_free(meta);
    gguf_free(g);
    free(tensors);
    return 0;
werr:
    fprintf(stderr, "gguf_standin: writing %s: %s\n", tmp, strerror(errno));
    if (f)
        fclose(f);
    remove(tmp);
    return 1;
}
