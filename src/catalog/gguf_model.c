/* gguf_model.c: reading and validating a GGUF the user points at: magic, architecture,
 * chat template and the shape the fit scorer needs. Only the header is read (gguf.h with
 * no_alloc), so a 20 GB file is checked in milliseconds. */
#include "catalog/catalog_internal.h"
#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <ggml.h>
#include <gguf.h>
#include <llama.h>

#include <parley/llm.h>

/* Every architecture name llama.cpp 0.7.0 (Debian's libllama 0.7.0) knows, in its own
 * order. Produced from the library itself by calling its exported llm_arch_name(i) for
 * i = 0.. until "(unknown)"; regenerate the same way when the llama.cpp package moves.
 * Those marked 0 load but do not generate text (encoders, embedders, vocoders, TTS), so a
 * chat feature cannot use them. */
static const struct {
    const char *name;
    bool generates_text;
} llama_archs[] = {
    {"clip", 0}, {"llama", 1}, {"llama4", 1}, {"deci", 1}, {"falcon", 1}, {"baichuan", 1}, {"grok", 1},
    {"gpt2", 1}, {"gptj", 1}, {"gptneox", 1}, {"mpt", 1}, {"starcoder", 1}, {"refact", 1}, {"bert", 0},
    {"modern-bert", 0}, {"nomic-bert", 0}, {"nomic-bert-moe", 0}, {"neo-bert", 0}, {"jina-bert-v2", 0},
    {"jina-bert-v3", 0}, {"eurobert", 0}, {"bloom", 1}, {"stablelm", 1}, {"qwen", 1}, {"qwen2", 1},
    {"qwen2moe", 1}, {"qwen2vl", 1}, {"qwen3", 1}, {"qwen3moe", 1}, {"qwen3next", 1}, {"qwen3vl", 1},
    {"qwen3vlmoe", 1}, {"qwen35", 1}, {"qwen35moe", 1}, {"clef", 1}, {"vllm-decision2", 1}, {"qwen4exp", 1},
    {"phi2", 1}, {"phi3", 1}, {"phimoe", 1}, {"plamo", 1}, {"plamo2", 1}, {"plamo3", 1}, {"codeshell", 1},
    {"orion", 1}, {"internlm2", 1}, {"minicpm", 1}, {"minicpm3", 1}, {"gemma", 1}, {"gemma2", 1},
    {"gemma3", 1}, {"gemma3n", 1}, {"gemma4", 1}, {"gemma4-assistant", 1}, {"gemma-embedding", 0},
    {"gemma-embedding2", 0}, {"starcoder2", 1}, {"mamba", 1}, {"mamba2", 1}, {"maple", 1}, {"jamba", 1},
    {"falcon-h1", 1}, {"xverse", 1}, {"command-r", 1}, {"cohere2", 1}, {"cohere2moe", 1}, {"dbrx", 1},
    {"olmo", 1}, {"olmo2", 1}, {"olmoe", 1}, {"muse-glimmer", 1}, {"openelm", 1}, {"arctic", 1},
    {"deepseek", 1}, {"deepseek2", 1}, {"deepseek2-ocr", 1}, {"deepseek32", 1}, {"deepseek4", 1},
    {"chatglm", 1}, {"glm4", 1}, {"glm4moe", 1}, {"glm-dsa", 1}, {"bitnet", 1}, {"t5", 1}, {"t5encoder", 0},
    {"jais", 1}, {"jais2", 1}, {"nemotron", 1}, {"nemotron_h", 1}, {"nemotron_h_moe", 1}, {"exaone", 1},
    {"exaone4", 1}, {"exaone-moe", 1}, {"rwkv6", 1}, {"rwkv6qwen2", 1}, {"rwkv7", 1}, {"arwkv7", 1},
    {"granite", 1}, {"granitemoe", 1}, {"granitehybrid", 1}, {"graniteswitch", 1}, {"granite_swa", 1},
    {"chameleon", 1}, {"wavtokenizer-dec", 0}, {"plm", 1}, {"bailingmoe", 1}, {"bailingmoe2", 1},
    {"bailingmoe3", 1}, {"dots1", 1}, {"dots3note", 1}, {"arcee", 1}, {"afmoe", 1}, {"laguna", 1},
    {"ernie4_5", 1}, {"ernie4_5-moe", 1}, {"hunyuan-moe", 1}, {"hunyuan-dense", 1}, {"hunyuan_vl", 1},
    {"hy_v3", 1}, {"hy_v4", 1}, {"smollm3", 1}, {"gpt-oss", 1}, {"lfm2", 1}, {"lfm2moe", 1}, {"dream", 1},
    {"smallthinker", 1}, {"llada", 1}, {"llada-moe", 1}, {"seed_oss", 1}, {"grovemoe", 1}, {"apertus", 1},
    {"minimax-m2", 1}, {"cogvlm", 1}, {"rnd1", 1}, {"pangu-embedded", 1}, {"mistral3", 1}, {"mistral4", 1},
    {"paddleocr", 1}, {"mimo2", 1}, {"step35", 1}, {"spark2_5", 1}, {"llama-embed", 0}, {"maincoder", 1},
    {"maion-coder", 1}, {"kimi-linear", 1}, {"kimi-k3", 1}, {"glm5-next", 1}, {"talkie", 1}, {"mellum", 1},
    {"eagle3", 0}, {"minimax-m3", 1}, {"dflash", 0}, {"nanbeige", 1}, {"qwen3tts", 0}, {"pockettts", 0},
    {"minimax-01", 1}, {"hrm_text", 1}, {"k2-horizon", 1},
};

int parley_llama_arch_known(const char *arch)
{
    for (size_t i = 0; i < sizeof llama_archs / sizeof llama_archs[0]; i++)
        if (strcmp(llama_archs[i].name, arch) == 0)
            return llama_archs[i].generates_text ? 1 : 2;
    return 0;
}

/* A numeric key as u32 whatever its stored integer type; arrays give their first
 * (`which` = 0) or largest (`which` = 1) element. 0 when absent. */
static uint32_t kv_u32(const struct gguf_context *g, const char *arch, const char *suffix, int which)
{
    char key[128];
    if (arch)
        snprintf(key, sizeof key, "%s.%s", arch, suffix);
    else
        snprintf(key, sizeof key, "%s", suffix);
    int64_t id = gguf_find_key(g, key);
    if (id < 0)
        return 0;
    enum gguf_type t = gguf_get_kv_type(g, id);
    const void *data;
    size_t n = 1;
    if (t == GGUF_TYPE_ARRAY) {
        t = gguf_get_arr_type(g, id);
        n = gguf_get_arr_n(g, id);
        if (n == 0 || t == GGUF_TYPE_STRING || t == GGUF_TYPE_ARRAY)
            return 0;
        data = gguf_get_arr_data(g, id);
    } else {
        data = gguf_get_val_data(g, id);
    }
    uint64_t best = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        switch (t) {
        case GGUF_TYPE_UINT8: v = ((const uint8_t *)data)[i]; break;
        case GGUF_TYPE_INT8: v = (uint64_t)(((const int8_t *)data)[i] < 0 ? 0 : ((const int8_t *)data)[i]); break;
        case GGUF_TYPE_UINT16: v = ((const uint16_t *)data)[i]; break;
        case GGUF_TYPE_INT16: v = (uint64_t)(((const int16_t *)data)[i] < 0 ? 0 : ((const int16_t *)data)[i]); break;
        case GGUF_TYPE_UINT32: v = ((const uint32_t *)data)[i]; break;
        case GGUF_TYPE_INT32: v = (uint64_t)(((const int32_t *)data)[i] < 0 ? 0 : ((const int32_t *)data)[i]); break;
        case GGUF_TYPE_UINT64: v = ((const uint64_t *)data)[i]; break;
        case GGUF_TYPE_INT64: v = (uint64_t)(((const int64_t *)data)[i] < 0 ? 0 : ((const int64_t *)data)[i]); break;
        case GGUF_TYPE_BOOL: v = ((const int8_t *)data)[i] ? 1 : 0; break;
        default: return 0;
        }
        if (i == 0 || (which == 1 && v > best))
            best = v;
        if (which == 0)
            break;
    }
    return best > UINT32_MAX ? UINT32_MAX : (uint32_t)best;
}

/* Gemma-style per-layer SWA flags (true = sliding): the period is the first global
 * layer's index + 1. Returns 0 when the key is absent or not a bool array. */
static uint32_t swa_period_from_pattern(const struct gguf_context *g, const char *arch, uint32_t *n_global)
{
    char key[128];
    snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", arch);
    int64_t id = gguf_find_key(g, key);
    *n_global = 0;
    if (id < 0)
        return 0;
    if (gguf_get_kv_type(g, id) != GGUF_TYPE_ARRAY)
        return kv_u32(g, arch, "attention.sliding_window_pattern", 0); /* scalar period */
    if (gguf_get_arr_type(g, id) != GGUF_TYPE_BOOL)
        return 0;
    size_t n = gguf_get_arr_n(g, id);
    const int8_t *flags = gguf_get_arr_data(g, id);
    uint32_t period = 0;
    for (size_t i = 0; i < n; i++) {
        if (!flags[i]) {
            (*n_global)++;
            if (!period)
                period = (uint32_t)i + 1;
        }
    }
    return period;
}

static void label_from_path(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, n, "%s", base);
    size_t len = strlen(out);
    if (len > 5 && strcmp(out + len - 5, ".gguf") == 0)
        out[len - 5] = '\0';
}

parley_status parley_model_template_usable(const char *path, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = path ? gguf_init_from_file(path, gp) : NULL;
    if (!g)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: corrupt or truncated GGUF header", path ? path : "(null)");
    parley_status st = PARLEY_OK;
    int64_t kid = gguf_find_key(g, "tokenizer.chat_template");
    if (kid < 0 || gguf_get_kv_type(g, kid) != GGUF_TYPE_STRING || !*gguf_get_val_str(g, kid)) {
        st = parley_fail(PARLEY_ERR_NO_TEMPLATE, "%s: no tokenizer.chat_template", path);
    } else {
        /* What the loader does (llm.c): format a conversation with llama.cpp's template
         * detector. A negative result means llama.cpp does not recognise the template. */
        const struct llama_chat_message chat[] = {{"system", "s"}, {"user", "u"}};
        char buf[4096];
        int32_t r = llama_chat_apply_template(gguf_get_val_str(g, kid), chat, 2, true, buf, (int32_t)sizeof buf);
        if (r < 0)
            st = parley_fail(PARLEY_ERR_NO_TEMPLATE,
                             "%s: its chat template is not one llama_chat_apply_template recognises, so the "
                             "tasks will need --template NAME (chatml, llama3, gemma, ...)",
                             path);
    }
    if (st && why && why_size)
        snprintf(why, why_size, "%s", parley_last_error());
    gguf_free(g);
    return st;
}

parley_status parley_model_read_gguf(const char *path, parley_model_info *out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no path");
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "%s: %s", path, strerror(e));
    }
    char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    struct stat sb;
    int st_ok = fstat(fileno(f), &sb) == 0;
    fclose(f);
    if (st_ok && S_ISDIR(sb.st_mode))
        return parley_fail(PARLEY_ERR_FORMAT, "%s: is a directory, not a GGUF file", path);
    if (got != 4 || memcmp(magic, "GGUF", 4) != 0)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: not a GGUF file (no GGUF magic)", path);

    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = gguf_init_from_file(path, gp);
    if (!g)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: corrupt or truncated GGUF header", path);
    parley_status st = PARLEY_OK;


    int64_t kid = gguf_find_key(g, "general.architecture");
    if (kid < 0 || gguf_get_kv_type(g, kid) != GGUF_TYPE_STRING) {
        st = parley_fail(PARLEY_ERR_FORMAT, "%s: no general.architecture in the GGUF header", path);
        goto out;
    }
    const char *arch = gguf_get_val_str(g, kid);
    int known = parley_llama_arch_known(arch);
    if (known == 0) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s: architecture '%s' is not one llama.cpp %s supports", path,
                         arch, parley_llama_version());
        goto out;
    }
    if (known == 2) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s: architecture '%s' does not generate text (an encoder, "
                         "embedding or speech model)", path, arch);
        goto out;
    }
    /* The loader's own pre-check (llm.h): the tensors must lie inside the file, so a
     * truncated download or copy is refused here rather than at the first task. */
    {
        struct parley_llm_info li;
        parley_status cst = parley_llm_inspect(path, &li);
        if (cst != PARLEY_OK) {
            st = cst;
            goto out;
        }
    }
    kid = gguf_find_key(g, "tokenizer.chat_template");
    if (kid < 0 || gguf_get_kv_type(g, kid) != GGUF_TYPE_STRING || !*gguf_get_val_str(g, kid)) {
        st = parley_fail(PARLEY_ERR_NO_TEMPLATE, "%s: no tokenizer.chat_template (a base model, not a chat model)",
                         path);
        goto out;
    }

    snprintf(out->arch, sizeof out->arch, "%s", arch);
    out->kind = PARLEY_MODEL_LLM;
    out->source = PARLEY_SOURCE_OWN;
    snprintf(out->path, sizeof out->path, "%s", path);
    kid = gguf_find_key(g, "general.name");
    if (kid >= 0 && gguf_get_kv_type(g, kid) == GGUF_TYPE_STRING && *gguf_get_val_str(g, kid))
        snprintf(out->label, sizeof out->label, "%s", gguf_get_val_str(g, kid));
    else
        label_from_path(path, out->label, sizeof out->label);
    kid = gguf_find_key(g, "general.license");
    if (kid >= 0 && gguf_get_kv_type(g, kid) == GGUF_TYPE_STRING)
        snprintf(out->license, sizeof out->license, "%s", gguf_get_val_str(g, kid));
    snprintf(out->file, sizeof out->file, "%s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);

    parley_model_shape *s = &out->shape;
    s->n_layer = kv_u32(g, arch, "block_count", 0);
    s->n_embd = kv_u32(g, arch, "embedding_length", 0);
    s->n_ff = kv_u32(g, arch, "expert_feed_forward_length", 0);
    if (!s->n_ff)
        s->n_ff = kv_u32(g, arch, "feed_forward_length", 1);
    s->n_head = kv_u32(g, arch, "attention.head_count", 1);
    s->n_ctx_train = kv_u32(g, arch, "context_length", 0);
    s->n_expert = kv_u32(g, arch, "expert_count", 0);
    s->n_expert_used = kv_u32(g, arch, "expert_used_count", 0);
    s->full_attn_interval = kv_u32(g, arch, "full_attention_interval", 0);
    s->n_embd_per_layer = kv_u32(g, arch, "embedding_length_per_layer_input", 0);
    if (s->full_attn_interval) {
        s->ssm_conv_kernel = kv_u32(g, arch, "ssm.conv_kernel", 0);
        s->ssm_head_dim = kv_u32(g, arch, "ssm.state_size", 0);
        s->ssm_k_heads = kv_u32(g, arch, "ssm.group_count", 0);
        s->ssm_v_heads = kv_u32(g, arch, "ssm.time_step_rank", 0);
    }
    uint32_t key_len = kv_u32(g, arch, "attention.key_length", 0);
    uint32_t key_len_swa = kv_u32(g, arch, "attention.key_length_swa", 0);
    s->swa_window = kv_u32(g, arch, "attention.sliding_window", 0);
    uint32_t n_global = 0;
    s->swa_period = s->swa_window ? swa_period_from_pattern(g, arch, &n_global) : 0;
    if (s->swa_window && s->swa_period) {
        s->head_dim = key_len_swa ? key_len_swa : key_len;
        s->head_dim_global = key_len;
        /* per-layer KV head counts: sliding from layer 0, global from the first global layer */
        char key[128];
        snprintf(key, sizeof key, "%s.attention.head_count_kv", arch);
        int64_t hid = gguf_find_key(g, key);
        s->n_head_kv = kv_u32(g, arch, "attention.head_count_kv", 0);
        s->n_head_kv_global = s->n_head_kv;
        if (hid >= 0 && gguf_get_kv_type(g, hid) == GGUF_TYPE_ARRAY &&
            gguf_get_arr_type(g, hid) == GGUF_TYPE_UINT32 && gguf_get_arr_n(g, hid) >= s->swa_period) {
            const uint32_t *h = gguf_get_arr_data(g, hid);
            s->n_head_kv_global = h[s->swa_period - 1];
        }
        s->n_layer_kv_shared = kv_u32(g, arch, "attention.shared_kv_layers", 0);
    } else {
        s->swa_window = 0;
        s->head_dim = key_len ? key_len : (s->n_head ? s->n_embd / s->n_head : 0);
        s->n_head_kv = kv_u32(g, arch, "attention.head_count_kv", 1);
        if (!s->n_head_kv)
            s->n_head_kv = s->n_head;
    }
    kid = gguf_find_key(g, "tokenizer.ggml.tokens");
    if (kid >= 0 && gguf_get_kv_type(g, kid) == GGUF_TYPE_ARRAY)
        s->n_vocab = (uint32_t)gguf_get_arr_n(g, kid);

    /* Sizes and parameter counts from the tensor table. Parameters read per token leave
     * out lookup-only tables (token embeddings when the output head is separate, Gemma's
     * per-layer embeddings) and scale routed experts by used/total. */
    double total = 0, lookup = 0, experts = 0, tok_embd = 0;
    uint64_t bytes = 0;
    bool has_output = false;
    for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
        const int64_t *ne = gguf_get_tensor_ne(g, i);
        double n = (double)ne[0] * (double)ne[1] * (double)ne[2] * (double)ne[3];
        const char *name = gguf_get_tensor_name(g, i);
        total += n;
        bytes += gguf_get_tensor_size(g, i);
        if (strcmp(name, "token_embd.weight") == 0)
            tok_embd = n;
        else if (strcmp(name, "output.weight") == 0)
            has_output = true;
        else if (strstr(name, "per_layer_token_embd"))
            lookup += n;
        else if (strstr(name, "_exps."))
            experts += n;
    }
    if (has_output)
        lookup += tok_embd;
    out->params_total = total;
    double per_token = total - lookup - experts;
    if (s->n_expert && s->n_expert_used)
        per_token += experts * (double)s->n_expert_used / (double)s->n_expert;
    else
        per_token += experts;
    out->params_per_token = per_token;
    out->stars = parley_stars_for_params(total);
    out->size_bytes = bytes; /* tensor bytes: what loading costs */
    out->size_exact = false;
    out->state = PARLEY_STATE_READY;
    if (!s->n_layer || !s->n_embd) {
        st = parley_fail(PARLEY_ERR_FORMAT, "%s: the header lacks %s.block_count or %s.embedding_length", path,
                         arch, arch);
        goto out;
    }
out:
    gguf_free(g);
    return st;
}
