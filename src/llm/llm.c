/* llm.c: the LLM engine: load, context, worker thread, token stream, cancel, chat
 * templates, grammar sampling and prefix reuse, on top of llama.cpp's C API.
 *
 * Cache layout. The context has two sequences in one unified KV cache:
 *   seq 0  the cached prefix (e.g. the transcript so far); only parley_llm_prefix_set()
 *          changes it, by appending tokens or by dropping it whole;
 *   seq 1  scratch for one generation: forked from seq 0 with llama_memory_seq_cp when the
 *          prompt starts with the prefix, and removed whole when the generation ends (also
 *          after a cancel or an error).
 * Forking and removing whole sequences is what hybrid and recurrent models (Qwen 3.5/3.6's
 * Gated DeltaNet layers) allow: their state cannot be trimmed to a position. Doing it the
 * same way for every model keeps one path. With a unified cache the fork shares the
 * prefix's cells, so it costs nothing for attention layers. */
#include "hw/gpu_pick.h"
#include "llm/llm_internal.h"

#include <stdatomic.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parley/hw.h>

#include <ggml-backend.h>
#include <llama.h>

#define SEQ_PREFIX 0
#define SEQ_WORK 1
#define PARLEY_LLM_MAX_PROMPT_BYTES (64u << 20) /* hard limit on one prompt's text */

struct parley_llm {
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    struct llama_batch batch;
    uint32_t n_batch;
    struct parley_llm_info info;
    bool thinking;             /* params.thinking */
    char *tmpl;                /* template in use (owned copy); NULL when none usable */
    char tmpl_problem[1400];   /* why there is none, for PARLEY_ERR_NO_TEMPLATE */
    bool tmpl_thinks;          /* the template has a <think> convention */
    char *model_tmpl;          /* the model's own (owned copy: a reload must not move it) */

    int32_t *prefix;           /* tokens of the cached prefix (seq 0) */
    int32_t n_prefix;
    char *state_dir;           /* params.state_dir (owned copy); NULL = no disk cache */
    uint64_t state_max_bytes;
    parley_llm_model_key model_key; /* the model's identity, for state file names */

    atomic_bool busy;          /* a job is running */
    const parley_cancel *cancel; /* the running job's flag, read by the abort callback */
    struct ggml_threadpool *tp; /* our CPU threadpool (NULL: none could be made) */
    void (*tp_free)(struct ggml_threadpool *);
    atomic_bool stop;          /* set when on_progress asked to stop */
    bool repack_pending;       /* params.defer_repack: loaded without the CPU's repacked weight
                                  layouts; reloaded with them before the first big evaluation */
    struct llama_context_params cparams; /* as the context was made (for that reload) */
    bool borrowed_model;       /* a sibling: the weights are its base's (parley_llm_sibling) */

    /* The vocabulary grouped by the first byte of each token's text, for sampling under a
     * grammar (built on first use, see first_byte_index): bucket b (0..255) holds the tokens
     * whose text starts with byte b, bucket 256 those always checked (end-of-generation,
     * control and empty tokens, and any whose text differs with special rendering). */
    int32_t *fb_ids;           /* n_vocab token ids, bucket by bucket (owned) */
    uint16_t *fb_of;           /* per token: its bucket (owned) */
    int32_t fb_start[258];     /* bucket b is fb_ids[fb_start[b] .. fb_start[b + 1]) */
    int32_t fb_probe[256];     /* a token whose whole text is byte b; -1: none */
};

enum job_kind { JOB_GENERATE, JOB_PREFIX };

struct parley_llm_job {
    parley_llm *llm;
    enum job_kind kind;
    pthread_t thread;
    struct parley_llm_request rq; /* strings point into the copies below */
    parley_llm_message *msgs;
    char *prompt;
    char *grammar;
    char *grammar_root;
    parley_status status;
    char error[1024];
    struct parley_llm_result result;
    atomic_bool done;
};

/* ---- small helpers ------------------------------------------------------------------ */

static bool is_cancelled(parley_llm *llm)
{
    return parley_cancel_is_set(llm->cancel) ||
           atomic_load_explicit(&llm->stop, memory_order_relaxed);
}

/* llama.cpp asks this between graph nodes while it computes, so a cancel lands in the
 * middle of a long prompt batch, not only between batches. */
static bool abort_cb(void *data) { return is_cancelled((parley_llm *)data); }

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* llama.cpp reports why a load failed only through its log. A hook installed once (in
 * front of whatever logger was there, which still gets every line) keeps the last error
 * line of the thread that is loading, in that load's own buffer found through a
 * thread-local pointer: another thread's llama logging meanwhile (a second engine
 * decoding) neither reads nor writes it. */
struct load_log {
    char err[512], line[512];
    size_t len;
    enum ggml_log_level level;
};
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static ggml_log_callback prev_log_cb; /* written once, under log_once */
static void *prev_log_ud;
static _Thread_local struct load_log *load_log_cur;

static void capture_log(enum ggml_log_level level, const char *text, void *ud)
{
    struct load_log *c = load_log_cur;
    if (c) {
        if (level != GGML_LOG_LEVEL_CONT)
            c->level = level;
        for (const char *p = text; *p; p++) {
            if (*p == '\n') {
                c->line[c->len] = '\0';
                if (c->level == GGML_LOG_LEVEL_ERROR && c->len)
                    snprintf(c->err, sizeof c->err, "%s", c->line);
                c->len = 0;
            } else if (c->len + 1 < sizeof c->line) {
                c->line[c->len++] = *p;
            }
        }
    }
    if (prev_log_cb)
        prev_log_cb(level, text, prev_log_ud);
    (void)ud;
}

static void install_log_hook(void)
{
    llama_log_get(&prev_log_cb, &prev_log_ud);
    if (prev_log_cb == capture_log)
        prev_log_cb = NULL;
    llama_log_set(capture_log, NULL);
}

/* ---- params ------------------------------------------------------------------------- */

struct parley_llm_params parley_llm_default_params(void)
{
    struct parley_llm_params p = {
        .n_ctx = 0,
        .n_gpu_layers = -1,
        .n_threads = 0,
        .n_batch = 0,
        .chat_template = NULL,
        .thinking = false,
    };
    return p;
}

struct parley_llm_request parley_llm_default_request(void)
{
    struct parley_llm_request r;
    memset(&r, 0, sizeof r);
    r.max_tokens = 512;
    r.temperature = 0.0f;
    r.top_p = 0.95f;
    r.top_k = 40;
    r.seed = 1;
    return r;
}

void parley_llm_result_clear(struct parley_llm_result *r)
{
    if (!r)
        return;
    free(r->text);
    memset(r, 0, sizeof *r);
}

/* ---- templates ---------------------------------------------------------------------- */

/* Applies tmpl; returns a malloc'd string or NULL with *why set. */
static char *apply_template(const char *tmpl, const parley_llm_message *msgs, size_t n, bool add_ass,
                            parley_status *why)
{
    *why = PARLEY_OK;
    struct llama_chat_message *chat = calloc(n ? n : 1, sizeof *chat);
    if (!chat) {
        *why = PARLEY_ERR_NOMEM;
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        chat[i].role = msgs[i].role;
        chat[i].content = msgs[i].content;
        total += strlen(msgs[i].content) + strlen(msgs[i].role);
    }
    size_t cap = total * 2 + 512;
    char *buf = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (cap > PARLEY_LLM_MAX_PROMPT_BYTES) {
            *why = PARLEY_ERR_TOO_LARGE;
            break;
        }
        char *nb = realloc(buf, cap);
        if (!nb) {
            *why = PARLEY_ERR_NOMEM;
            break;
        }
        buf = nb;
        int32_t r = llama_chat_apply_template(tmpl, chat, n, add_ass, buf, (int32_t)cap);
        if (r < 0) {
            *why = PARLEY_ERR_NO_TEMPLATE;
            break;
        }
        if ((size_t)r < cap) {
            buf[r] = '\0';
            free(chat);
            return buf;
        }
        cap = (size_t)r + 1;
    }
    free(chat);
    free(buf);
    return NULL;
}

static bool template_works(const char *tmpl)
{
    parley_llm_message m[2] = {{"system", "s"}, {"user", "u"}};
    parley_status why;
    char *s = apply_template(tmpl, m, 2, true, &why);
    free(s);
    return s != NULL;
}

static void builtin_names(char *out, size_t size)
{
    const char *names[128];
    int32_t n = llama_chat_builtin_templates(names, 128);
    out[0] = '\0';
    for (int32_t i = 0; i < n && i < 128; i++) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s%s", i ? ", " : "", names[i]);
    }
}

static parley_status setup_template(parley_llm *llm, const char *explicit_tmpl)
{
    const char *own = llama_model_chat_template(llm->model, NULL);
    if (own && !(llm->model_tmpl = parley_strdup(own)))
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    if (explicit_tmpl) {
        if (!template_works(explicit_tmpl)) {
            char names[2048];
            builtin_names(names, sizeof names);
            return parley_fail(PARLEY_ERR_NO_TEMPLATE,
                               "chat template \"%.60s%s\" is neither a llama.cpp built-in name nor a "
                               "template it recognises (built-ins: %s)",
                               explicit_tmpl, strlen(explicit_tmpl) > 60 ? "..." : "", names);
        }
        llm->tmpl = parley_strdup(explicit_tmpl);
        if (!llm->tmpl)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        snprintf(llm->info.template_used, sizeof llm->info.template_used, "explicit");
    } else if (!llm->model_tmpl) {
        snprintf(llm->tmpl_problem, sizeof llm->tmpl_problem,
                 "%s has no chat template (no tokenizer.chat_template in the GGUF; a base model?); "
                 "choose one explicitly (--template chatml on the command line; "
                 "parley_llm_params.chat_template in the library)",
                 llm->info.path);
    } else if (!template_works(llm->model_tmpl)) {
        snprintf(llm->tmpl_problem, sizeof llm->tmpl_problem,
                 "the chat template in %s is not one llama_chat_apply_template recognises; "
                 "choose one explicitly (--template chatml on the command line; "
                 "parley_llm_params.chat_template in the library)",
                 llm->info.path);
    } else {
        llm->tmpl = parley_strdup(llm->model_tmpl);
        if (!llm->tmpl)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        snprintf(llm->info.template_used, sizeof llm->info.template_used, "model");
    }
    /* Thinking models mark it in their template (Qwen 3.5/3.6: enable_thinking, <think>). */
    llm->tmpl_thinks = (llm->tmpl && strstr(llm->tmpl, "<think>")) ||
                       (llm->model_tmpl && strstr(llm->model_tmpl, "<think>"));
    return PARLEY_OK;
}

parley_status parley_llm_format(const parley_llm *llm, const parley_llm_message *msgs, size_t n,
                                bool add_generation_prompt, char **out)
{
    if (!llm || !out || (n && !msgs))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_format: NULL argument");
    *out = NULL;
    if (!llm->tmpl)
        return parley_fail(PARLEY_ERR_NO_TEMPLATE, "%s", llm->tmpl_problem);
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].role || !msgs[i].content)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "message %zu has a NULL role or content", i);
        if (strcmp(msgs[i].role, "system") && strcmp(msgs[i].role, "user") &&
            strcmp(msgs[i].role, "assistant"))
            return parley_fail(PARLEY_ERR_INVALID_ARG,
                               "message %zu: role \"%s\" (expected system, user or assistant)", i,
                               msgs[i].role);
    }
    parley_status why;
    char *s = apply_template(llm->tmpl, msgs, n, add_generation_prompt, &why);
    if (!s) {
        if (why == PARLEY_ERR_NO_TEMPLATE)
            return parley_fail(why, "llama_chat_apply_template failed on %s's template", llm->info.path);
        return parley_fail(why, "formatting %zu messages: %s", n, parley_strerror(why));
    }
    if (add_generation_prompt && llm->tmpl_thinks && !llm->thinking) {
        /* The enable_thinking=false convention of Qwen 3.5/3.6 templates: the assistant
         * turn starts with an empty think block, so the model answers directly. */
        static const char empty_think[] = "<think>\n\n</think>\n\n";
        size_t l = strlen(s);
        char *t = realloc(s, l + sizeof empty_think);
        if (!t) {
            free(s);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        memcpy(t + l, empty_think, sizeof empty_think);
        s = t;
    }
    *out = s;
    return PARLEY_OK;
}

/* ---- tokens ------------------------------------------------------------------------- */

parley_status parley_llm_tokenize(const parley_llm *llm, const char *text, bool add_special,
                                  int32_t *tokens, int32_t max, int32_t *n_out)
{
    if (!llm || !text || !n_out || max < 0 || (max > 0 && !tokens))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_tokenize: bad argument");
    size_t len = strlen(text);
    if (len > PARLEY_LLM_MAX_PROMPT_BYTES)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "text of %zu bytes (limit %u)", len,
                           PARLEY_LLM_MAX_PROMPT_BYTES);
    int32_t n = llama_tokenize(llm->vocab, text, (int32_t)len, tokens, max, add_special, true);
    if (n == INT32_MIN)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "tokenization overflows int32");
    if (n < 0) {
        *n_out = -n;
        return parley_fail(PARLEY_ERR_TOO_LARGE, "text is %d tokens, buffer holds %d", -n, max);
    }
    *n_out = n;
    return PARLEY_OK;
}

/* Tokenizes into a malloc'd array. */
static parley_status tokenize_alloc(const parley_llm *llm, const char *text, bool add_special,
                                    int32_t **out, int32_t *n_out)
{
    size_t len = strlen(text);
    int32_t cap = (int32_t)(len / 2 + 16);
    if (len > PARLEY_LLM_MAX_PROMPT_BYTES)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "prompt of %zu bytes (limit %u)", len,
                           PARLEY_LLM_MAX_PROMPT_BYTES);
    int32_t *t = malloc((size_t)cap * sizeof *t);
    if (!t)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    int32_t n = llama_tokenize(llm->vocab, text, (int32_t)len, t, cap, add_special, true);
    if (n < 0) {
        cap = -n;
        int32_t *nt = realloc(t, (size_t)cap * sizeof *t);
        if (!nt) {
            free(t);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        t = nt;
        n = llama_tokenize(llm->vocab, text, (int32_t)len, t, cap, add_special, true);
        if (n < 0) {
            free(t);
            return parley_fail(PARLEY_ERR_INFERENCE, "tokenizer disagreed with itself on length");
        }
    }
    *out = t;
    *n_out = n;
    return PARLEY_OK;
}

/* defined below, with the chat tokenizer */
parley_status parley_llm_detokenize(const parley_llm *llm, const int32_t *tokens, int32_t n, char **out)
{
    if (!llm || !out || n < 0 || (n && !tokens))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_detokenize: bad argument");
    /* Most pieces are a few bytes; a larger text is asked for below. Computed in 64 bits:
     * n * 8 overflows int32 from 268M tokens on. */
    int64_t want = (int64_t)n * 8 + 16;
    int32_t cap = want > (int64_t)INT32_MAX ? INT32_MAX : (int32_t)want;
    char *s = malloc((size_t)cap);
    if (!s)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    int32_t r = llama_detokenize(llm->vocab, tokens, n, s, cap - 1, true, false);
    if (r < 0) {
        if (r == INT32_MIN || -(int64_t)r + 1 > (int64_t)INT32_MAX) {
            free(s);
            return parley_fail(PARLEY_ERR_TOO_LARGE, "the text of %d tokens is over 2 GB", n);
        }
        cap = -r + 1;
        char *ns = realloc(s, (size_t)cap);
        if (!ns) {
            free(s);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        s = ns;
        r = llama_detokenize(llm->vocab, tokens, n, s, cap - 1, true, false);
        if (r < 0) {
            free(s);
            return parley_fail(PARLEY_ERR_INFERENCE, "detokenize failed");
        }
    }
    s[r] = '\0';
    *out = s;
    return PARLEY_OK;
}

/* ---- load / free -------------------------------------------------------------------- */

/* GPUs with a known-bad driver (hw.h) get no layers: when the probe marks one, llama.cpp
 * is given the list of the other GPU devices (as its default selection would pick them:
 * the GPUs, or the integrated ones when there is no other GPU), NULL-terminated in out.
 * Returns false when no device is bad: llama.cpp's own selection stays. */
static bool usable_devices(ggml_backend_dev_t *out, size_t cap)
{
    parley_hw probed;
    const parley_hw *hw;
    if (!parley_hw_gpu_probe(&probed, &hw))
        return false;
    bool any_bad = false;
    for (int i = 0; i < hw->n_gpus && i < PARLEY_HW_MAX_GPUS; i++)
        any_bad |= hw->gpus[i].known_bad;
    if (!any_bad)
        return false;
    size_t n = 0;
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        enum ggml_backend_dev_type want = pass == 0 ? GGML_BACKEND_DEVICE_TYPE_GPU : GGML_BACKEND_DEVICE_TYPE_IGPU;
        for (size_t i = 0; i < ggml_backend_dev_count() && n + 1 < cap; i++) {
            ggml_backend_dev_t dev = ggml_backend_dev_get(i);
            if (ggml_backend_dev_type(dev) != want)
                continue;
            const parley_gpu *bad = parley_hw_gpu_known_bad(hw, ggml_backend_dev_name(dev));
            if (bad) {
                parley_log(PARLEY_LOG_WARN, "no layers on %s (%s): %s", bad->name, bad->description,
                           bad->known_bad_reason);
                continue;
            }
            out[n++] = dev;
        }
    }
    out[n] = NULL;
    if (n == 0)
        parley_log(PARLEY_LOG_WARN, "every GPU has a known-bad driver: the model runs on the CPU");
    return true;
}

/* Whether llama.cpp will put layers on a GPU with these model params (its default
 * selection takes the GPUs, else the integrated ones). */
static bool gpu_used(const struct llama_model_params *mp)
{
    if (mp->n_gpu_layers == 0)
        return false;
    if (mp->devices)
        return mp->devices[0] != NULL;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        enum ggml_backend_dev_type t = ggml_backend_dev_type(ggml_backend_dev_get(i));
        if (t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU)
            return true;
    }
    return false;
}

/* params.defer_repack: before the first big evaluation (nothing cached, so nothing is
 * lost), the model is loaded again with the repacked layouts and a new context made like
 * the first. The job thread owns the engine. Anything failing keeps the engine as it was
 * (the repack only makes it faster). */
#define REPACK_MIN_TOKENS 256
static double repack_now(parley_llm *llm)
{
    llm->repack_pending = false;
    double t0 = parley_now();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.load_mode = LLAMA_LOAD_MODE_MMAP;
    struct llama_model *model = llama_model_load_from_file(llm->info.path, mp);
    struct llama_context *ctx = model ? llama_init_from_model(model, llm->cparams) : NULL;
    if (!ctx) {
        if (model)
            llama_model_free(model);
        parley_log(PARLEY_LOG_WARN, "%s: could not load the repacked weights; going on without them",
                   llm->info.path);
        return (parley_now() - t0) * 1000.0;
    }
    if (llm->tp)
        llama_attach_threadpool(ctx, llm->tp, llm->tp);
    llama_free(llm->ctx);
    llama_model_free(llm->model);
    llm->ctx = ctx;
    llm->model = model;
    llm->vocab = llama_model_get_vocab(model);
    double ms = (parley_now() - t0) * 1000.0;
    parley_log(PARLEY_LOG_INFO, "weights repacked for this CPU in %.2f s", ms / 1000.0);
    return ms;
}

/* After the context is made: a persistent threadpool, as llama-bench and llama-cli attach
 * (without one, ggml's CPU backend makes and joins a throw-away pool for every
 * llama_decode, which costs more than a 2B model's whole token on a busy machine; the CPU
 * backend is loaded at run time, so its functions are looked up through the backend
 * registry), the info that depends on the context, and the batch. */
static parley_status context_finish(parley_llm *llm, int nt)
{
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    ggml_backend_reg_t reg = cpu ? ggml_backend_dev_backend_reg(cpu) : NULL;
    typedef struct ggml_threadpool *(*tp_new_fn)(struct ggml_threadpool_params *);
    tp_new_fn tp_new = reg ? (tp_new_fn)ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new") : NULL;
    llm->tp_free = reg ? (void (*)(struct ggml_threadpool *))ggml_backend_reg_get_proc_address(
                             reg, "ggml_threadpool_free")
                       : NULL;
    if (tp_new && llm->tp_free) {
        struct ggml_threadpool_params tpp = ggml_threadpool_params_default(nt);
        llm->tp = tp_new(&tpp);
    }
    if (llm->tp)
        llama_attach_threadpool(llm->ctx, llm->tp, llm->tp);
    else
        parley_log(PARLEY_LOG_WARN, "no persistent CPU threadpool: generation will be slower");
    llm->info.n_ctx = llama_n_ctx(llm->ctx);
    llm->info.n_threads = nt;
    llm->batch = llama_batch_init((int32_t)llm->n_batch, 0, 1);
    if (!llm->batch.token)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    return PARLEY_OK;
}

/* Makes llm's context from cp (on llm->model, with llm's batch size and abort callback),
 * then context_finish. `what` names it in the error ("a context"). */
static parley_status make_context(parley_llm *llm, struct llama_context_params cp, const char *what)
{
    cp.n_batch = llm->n_batch;
    /* llama.cpp checks the abort callback between graph nodes, so the longest single node
     * bounds cancel latency. Physical batches of at most 512 tokens keep every node short
     * (tens of ms for 2B-9B models on a CPU); a single 4096-token ubatch measured up to a
     * second inside one attention node. Larger n_batch still means fewer decode calls. */
    cp.n_ubatch = llm->n_batch < 512 ? llm->n_batch : 512;
    cp.abort_callback = abort_cb;
    cp.abort_callback_data = llm;
    llm->cparams = cp;
    llm->ctx = llama_init_from_model(llm->model, cp);
    if (!llm->ctx)
        return parley_fail(PARLEY_ERR_NOMEM,
                           "%s: could not create %s of %u tokens (KV cache and compute buffers did not fit in "
                           "memory; try a smaller context)",
                           llm->info.path, what, cp.n_ctx);
    return context_finish(llm, (int)cp.n_threads);
}

parley_status parley_llm_sibling(parley_llm *base, uint32_t n_ctx, parley_llm **out)
{
    if (!base || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_sibling: NULL argument");
    *out = NULL;
    if (atomic_load(&base->busy))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_sibling: a job is running on the base");
    if (base->repack_pending)
        (void)repack_now(base); /* it replaces the weights: before they are shared */
    parley_llm *llm = calloc(1, sizeof *llm);
    if (!llm)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    llm->borrowed_model = true;
    llm->model = base->model;
    llm->vocab = base->vocab;
    llm->info = base->info;
    llm->thinking = base->thinking;
    llm->tmpl_thinks = base->tmpl_thinks;
    memcpy(llm->tmpl_problem, base->tmpl_problem, sizeof llm->tmpl_problem);
    parley_status st = PARLEY_OK;
    if ((base->tmpl && !(llm->tmpl = parley_strdup(base->tmpl))) ||
        (base->model_tmpl && !(llm->model_tmpl = parley_strdup(base->model_tmpl)))) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto fail;
    }
    struct llama_context_params cp = base->cparams;
    if (n_ctx)
        cp.n_ctx = n_ctx;
    llm->n_batch = base->n_batch < cp.n_ctx ? base->n_batch : cp.n_ctx;
    st = make_context(llm, cp, "a second context");
    if (st != PARLEY_OK)
        goto fail;
    atomic_init(&llm->busy, false);
    atomic_init(&llm->stop, false);
    *out = llm;
    return PARLEY_OK;
fail:
    parley_llm_free(llm);
    return st;
}

parley_status parley_llm_load(const char *path, struct parley_llm_params params, parley_llm **out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_load: NULL argument");
    *out = NULL;
    parley_status st = parley_init();
    if (st != PARLEY_OK)
        return st;

    parley_llm *llm = calloc(1, sizeof *llm);
    if (!llm)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    st = parley_llm_check_generates(path);
    if (st == PARLEY_OK)
        st = parley_llm_inspect(path, &llm->info);
    if (st != PARLEY_OK)
        goto fail;

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = params.n_gpu_layers;
    ggml_backend_dev_t devs[PARLEY_HW_MAX_GPUS + 1];
    if (params.n_gpu_layers != 0 && usable_devices(devs, sizeof devs / sizeof devs[0]))
        mp.devices = devs; /* the known-bad GPUs left out (logged) */
    mp.load_mode = LLAMA_LOAD_MODE_MMAP;
    /* Repacking the weights into the CPU's interleaved layouts (llama.cpp's default) costs
     * seconds at every load; deferred, a short job on a cached transcript never pays it. */
    llm->repack_pending = params.defer_repack && !gpu_used(&mp);
    if (llm->repack_pending)
        mp.use_extra_bufts = false;

    pthread_once(&log_once, install_log_hook);
    struct load_log lg;
    memset(&lg, 0, sizeof lg);
    load_log_cur = &lg;
    llm->model = llama_model_load_from_file(path, mp);
    load_log_cur = NULL;
    char why[512];
    snprintf(why, sizeof why, "%s", lg.err);
    if (!llm->model) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: llama.cpp %s could not load this %s model: %s",
                         path, llama_version(), llm->info.arch,
                         why[0] ? why : "no reason given (see the debug log)");
        goto fail;
    }
    llm->vocab = llama_model_get_vocab(llm->model);

    /* The loaded model's own view; block_count stays the file's number. */
    const char *fname = llama_ftype_name(llama_model_ftype(llm->model));
    snprintf(llm->info.ftype, sizeof llm->info.ftype, "%s", fname ? fname : "");
    llm->info.n_params = llama_model_n_params(llm->model);
    llm->info.n_vocab = llama_vocab_n_tokens(llm->vocab);
    llm->info.n_ctx_train = llama_model_n_ctx_train(llm->model);
    llm->info.n_embd = llama_model_n_embd(llm->model);
    llm->info.is_recurrent = llama_model_is_recurrent(llm->model);
    llm->info.is_hybrid = llama_model_is_hybrid(llm->model);
    llm->thinking = params.thinking;

    uint32_t n_ctx = params.n_ctx;
    if (n_ctx == 0) {
        n_ctx = 4096;
        if (llm->info.n_ctx_train > 0 && (uint32_t)llm->info.n_ctx_train < n_ctx)
            n_ctx = (uint32_t)llm->info.n_ctx_train;
    }
    llm->n_batch = params.n_batch ? params.n_batch : 512;
    if (llm->n_batch > n_ctx)
        llm->n_batch = n_ctx;
    int nt = params.n_threads > 0 ? params.n_threads : online_cpus();

    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_seq_max = 2;       /* prefix + scratch */
    cp.kv_unified = true;   /* forks share the prefix's cells; n_ctx is not split per seq */
    /* Sliding-window layers (Gemma 4) keep only their window, not a full-context cache:
     * llama.cpp's default would cost Gemma 4 31B ~27 GB instead of ~2 GB at 32k tokens.
     * The fit scorer (src/catalog) assumes exactly this. */
    cp.swa_full = false;
    cp.n_threads = nt;
    cp.n_threads_batch = nt;
    cp.no_perf = true;
    st = make_context(llm, cp, "a context");
    if (st != PARLEY_OK)
        goto fail;
    st = setup_template(llm, params.chat_template);
    if (st != PARLEY_OK)
        goto fail;
    if (params.state_dir && *params.state_dir) {
        char extra[256];
        snprintf(extra, sizeof extra, "llama.cpp %s", llama_version());
        if (parley_llm_model_key_init(&llm->model_key, path, extra) == PARLEY_OK) {
            llm->state_dir = parley_strdup(params.state_dir);
            if (!llm->state_dir) {
                st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
                goto fail;
            }
            llm->state_max_bytes = params.state_max_bytes;
            if (!llm->state_max_bytes) {
                const char *e = getenv("PARLEY_STATE_CACHE_MB");
                char *end = NULL;
                unsigned long long mb = e && *e ? strtoull(e, &end, 10) : 4096;
                if (e && *e && (!end || *end))
                    mb = 4096;
                llm->state_max_bytes = (uint64_t)mb << 20;
            }
        } else {
            parley_log(PARLEY_LOG_WARN, "no state cache: %s", parley_last_error());
            parley_clear_error();
        }
    }
    atomic_init(&llm->busy, false);
    atomic_init(&llm->stop, false);
    *out = llm;
    return PARLEY_OK;
fail:
    parley_llm_free(llm);
    return st;
}

void parley_llm_free(parley_llm *llm)
{
    if (!llm)
        return;
    if (llm->batch.token)
        llama_batch_free(llm->batch);
    if (llm->ctx)
        llama_free(llm->ctx);
    if (llm->tp)
        llm->tp_free(llm->tp);
    if (llm->model && !llm->borrowed_model)
        llama_model_free(llm->model);
    free(llm->tmpl);
    free(llm->model_tmpl);
    free(llm->prefix);
    free(llm->fb_ids);
    free(llm->fb_of);
    free(llm->state_dir);
    free(llm);
}

const struct parley_llm_info *parley_llm_info(const parley_llm *llm) { return llm ? &llm->info : NULL; }

const char *parley_llm_model_template(const parley_llm *llm) { return llm ? llm->model_tmpl : NULL; }

int32_t parley_llm_prefix_tokens(const parley_llm *llm) { return llm ? llm->n_prefix : 0; }

void parley_llm_prefix_clear(parley_llm *llm)
{
    if (!llm)
        return;
    llama_memory_seq_rm(llama_get_memory(llm->ctx), SEQ_PREFIX, -1, -1);
    llm->n_prefix = 0;
}

/* ---- evaluation --------------------------------------------------------------------- */

/* Progress over every evaluation of one job (the prefix's new tokens and the prompt's
 * rest count as one total). */
struct prog {
    const struct parley_llm_request *rq; /* NULL = nobody to tell */
    int32_t done, total;
    bool told;                           /* (0, total) was reported */
};

/* Evaluates toks[0..n) at positions pos0.. in seq, in batches; logits for the last one.
 * *done counts the tokens that were fully evaluated. */
static parley_status eval_tokens(parley_llm *llm, const int32_t *toks, int32_t n, int32_t pos0,
                                 llama_seq_id seq, struct prog *pg, int32_t *done)
{
    *done = 0;
    if (pg && pg->rq && pg->rq->on_progress && !pg->told && n > 0) {
        /* Before the first batch: the total is known now, and a long first batch should not
         * leave a screen blank. */
        pg->told = true;
        if (!pg->rq->on_progress(pg->done, pg->total, pg->rq->user_data)) {
            atomic_store(&llm->stop, true);
            return parley_fail(PARLEY_ERR_CANCELLED, "cancelled by the progress callback");
        }
    }
    for (int32_t i = 0; i < n; i += (int32_t)llm->n_batch) {
        if (is_cancelled(llm))
            return parley_fail(PARLEY_ERR_CANCELLED, "cancelled after %d of %d prompt tokens", i, n);
        int32_t m = n - i < (int32_t)llm->n_batch ? n - i : (int32_t)llm->n_batch;
        struct llama_batch *b = &llm->batch;
        b->n_tokens = m;
        for (int32_t j = 0; j < m; j++) {
            b->token[j] = toks[i + j];
            b->pos[j] = pos0 + i + j;
            b->n_seq_id[j] = 1;
            b->seq_id[j][0] = seq;
            b->logits[j] = (i + j == n - 1);
        }
        int32_t rc = llama_decode(llm->ctx, *b);
        if (rc == 2 || (rc != 0 && is_cancelled(llm)))
            return parley_fail(PARLEY_ERR_CANCELLED, "cancelled after %d of %d prompt tokens", i, n);
        if (rc == 1)
            return parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                               "no room in the cache for %d tokens at position %d (context %u "
                               "tokens)",
                               m, pos0 + i, llm->info.n_ctx);
        if (rc != 0)
            return parley_fail(PARLEY_ERR_INFERENCE,
                               "llama_decode failed with code %d on prompt tokens %d..%d (out of "
                               "memory or a backend failure; see the debug log)",
                               rc, pos0 + i, pos0 + i + m - 1);
        *done = i + m;
        if (pg && pg->rq && pg->rq->on_progress) {
            pg->done += m;
            if (!pg->rq->on_progress(pg->done, pg->total, pg->rq->user_data)) {
                atomic_store(&llm->stop, true);
                return parley_fail(PARLEY_ERR_CANCELLED, "cancelled by the progress callback after "
                                   "%d of %d prompt tokens", pg->done, pg->total);
            }
        }
    }
    return PARLEY_OK;
}

/* ---- chat prompts: markup parsed for special tokens, content never -------------------- */

typedef struct tokvec {
    int32_t *data;
    int32_t n, cap;
} tokvec;

/* Appends the tokens of text[0..len) to v. */
static parley_status tok_append(const parley_llm *llm, tokvec *v, const char *text, size_t len, bool add_special,
                                bool parse_special)
{
    if (len == 0 && !add_special)
        return PARLEY_OK;
    if (len > PARLEY_LLM_MAX_PROMPT_BYTES)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "text of %zu bytes (limit %u)", len, PARLEY_LLM_MAX_PROMPT_BYTES);
    for (int attempt = 0; attempt < 2; attempt++) {
        int32_t room = v->cap - v->n;
        int32_t r = llama_tokenize(llm->vocab, text, (int32_t)len, v->data ? v->data + v->n : NULL, room,
                                   add_special, parse_special);
        if (r >= 0) {
            v->n += r;
            return PARLEY_OK;
        }
        if (r == INT32_MIN)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "tokenization overflows int32");
        int64_t want = (int64_t)v->n + (int64_t)(-r);
        int64_t cap = v->cap ? v->cap : 256;
        while (cap < want)
            cap *= 2;
        if (cap > INT32_MAX / 2)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "a prompt of %lld tokens", (long long)want);
        int32_t *nd = realloc(v->data, (size_t)cap * sizeof *nd);
        if (!nd)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        v->data = nd;
        v->cap = (int32_t)cap;
    }
    return parley_fail(PARLEY_ERR_INFERENCE, "tokenizer disagreed with itself on length");
}

/* Content text: special-token parsing off, one run of lines at a time (a piece ends after
 * a run of newlines), so text appended after a newline never changes earlier tokens. */
static parley_status tok_content(const parley_llm *llm, tokvec *v, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 1; i <= len; i++) {
        bool cut = i == len || (s[i - 1] == '\n' && s[i] != '\n');
        if (!cut)
            continue;
        parley_status st = tok_append(llm, v, s + start, i - start, false, false);
        if (st)
            return st;
        start = i;
    }
    return PARLEY_OK;
}

static const char *trim_span(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) {
        s++;
        n--;
    }
    *len = n;
    return s;
}

/* Tokens of a chat prompt. The template is rendered once with a placeholder per message
 * to find its markup; the markup is tokenized with special tokens parsed, each content
 * (as the template puts it: verbatim or trimmed, checked against the real rendering)
 * without. *first_end: tokens up to the end of the first message's content. */
static parley_status tokenize_chat(parley_llm *llm, const parley_llm_message *msgs, size_t n, tokvec *out,
                                   int32_t *first_end)
{
    memset(out, 0, sizeof *out);
    *first_end = 0;
    char *real = NULL, *mark = NULL;
    parley_llm_message *ph = calloc(n, sizeof *ph);
    char (*names)[40] = calloc(n, sizeof *names);
    size_t *at = calloc(n + 1, sizeof *at);
    parley_status st = ph && names && at ? PARLEY_OK : parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < n; i++) {
        snprintf(names[i], sizeof names[i], "@@PARLEY_MESSAGE_%zu@@", i);
        ph[i].role = msgs[i].role;
        ph[i].content = names[i];
    }
    if (!st)
        st = parley_llm_format(llm, msgs, n, true, &real);
    if (!st)
        st = parley_llm_format(llm, ph, n, true, &mark);
    if (st)
        goto out;
    /* Where each placeholder is, in order, each exactly once. */
    bool found = true;
    size_t from = 0;
    for (size_t i = 0; i < n && found; i++) {
        char *p = strstr(mark + from, names[i]);
        found = p && !strstr(p + strlen(names[i]), names[i]);
        if (found) {
            at[i] = (size_t)(p - mark);
            from = at[i] + strlen(names[i]);
        }
    }
    /* Which content the template writes: as given, or trimmed (Gemma's templates trim). */
    int how = -1;
    for (int t = 0; found && t < 2 && how < 0; t++) {
        size_t pos = 0, m = 0;
        bool same = true;
        for (size_t i = 0; i <= n && same; i++) {
            size_t end = i < n ? at[i] : strlen(mark);
            size_t ml = end - m;
            same = strncmp(real + pos, mark + m, ml) == 0;
            pos += ml;
            if (same && i < n) {
                size_t cl;
                const char *c = t ? trim_span(msgs[i].content, &cl) : (cl = strlen(msgs[i].content), msgs[i].content);
                same = strncmp(real + pos, c, cl) == 0;
                pos += cl;
                m = end + strlen(names[i]);
            }
        }
        if (same && real[pos] == '\0')
            how = t;
    }
    if (how < 0) {
        /* A template that rewrites contents: tokenized whole, as before (a special-token
         * text inside a message is then parsed as one). */
        parley_log(PARLEY_LOG_WARN, "the chat template rewrites message contents; the prompt is tokenized whole "
                                    "(special-token text in a message is not protected)");
        st = tok_append(llm, out, real, strlen(real), true, true);
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i <= n && !st; i++) {
        size_t end = i < n ? at[i] : strlen(mark);
        st = tok_append(llm, out, mark + m, end - m, i == 0, true);
        if (!st && i < n) {
            size_t cl;
            const char *c = how ? trim_span(msgs[i].content, &cl) : (cl = strlen(msgs[i].content), msgs[i].content);
            st = tok_content(llm, out, c, cl);
            if (i == 0)
                *first_end = out->n;
            m = end + strlen(names[i]);
        }
    }
out:
    if (st) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    free(real);
    free(mark);
    free(ph);
    free(names);
    free(at);
    return st;
}

parley_status parley_llm_count_tokens(const parley_llm *llm, const char *text, int32_t *n_out)
{
    if (!llm || !text || !n_out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_count_tokens: NULL argument");
    tokvec v = {0};
    parley_status st = tok_content(llm, &v, text, strlen(text));
    *n_out = v.n;
    free(v.data);
    return st;
}

parley_status parley_llm_count_chat_tokens(parley_llm *llm, const parley_llm_message *msgs, size_t n,
                                           int32_t *n_out, int32_t *first_end)
{
    if (!llm || !msgs || !n || !n_out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_count_chat_tokens: bad argument");
    tokvec v;
    int32_t fe = 0;
    parley_status st = tokenize_chat(llm, msgs, n, &v, &fe);
    *n_out = st ? 0 : v.n;
    if (first_end)
        *first_end = st ? 0 : fe;
    free(v.data);
    return st;
}

/* Length of the complete UTF-8 text at the start of s[0..n): a trailing partial character
 * is held back for the next piece. */
static size_t utf8_complete(const char *s, size_t n)
{
    size_t i = n;
    for (int back = 0; back < 4 && i > 0; back++) {
        unsigned char c = (unsigned char)s[i - 1];
        if ((c & 0xC0) != 0x80) {
            size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
            size_t have = n - (i - 1);
            return have >= need ? n : i - 1;
        }
        i--;
    }
    return n; /* not UTF-8 at all: pass it on rather than hold it forever */
}

/* Turns token pieces into visible text: UTF-8 assembly, then the think filter. */
struct stream {
    char pend[8];
    size_t n_pend;
    parley_think_filter think;
    bool strip_think;
    parley_buf vis;  /* visible text of the current step */
    parley_buf all;  /* all visible text */
};

static parley_status stream_piece(struct stream *s, const char *piece, size_t n, bool final)
{
    char tmp[512];
    size_t tot = s->n_pend + n;
    if (tot > sizeof tmp)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "token piece of %zu bytes", n);
    memcpy(tmp, s->pend, s->n_pend);
    memcpy(tmp + s->n_pend, piece, n);
    size_t ok = final ? tot : utf8_complete(tmp, tot);
    s->n_pend = tot - ok;
    memcpy(s->pend, tmp + ok, s->n_pend);
    s->vis.len = 0;
    if (s->vis.data)
        s->vis.data[0] = '\0';
    parley_status st = PARLEY_OK;
    if (s->strip_think) {
        st = parley_think_feed(&s->think, tmp, ok, &s->vis);
        if (st == PARLEY_OK && final)
            st = parley_think_flush(&s->think, &s->vis);
    } else if (ok) {
        st = parley_buf_append(&s->vis, tmp, ok);
    }
    if (st == PARLEY_OK && s->vis.len)
        st = parley_buf_append(&s->all, s->vis.data, s->vis.len);
    return st;
}

/* The sampling chain without the grammar; the grammar (when there is one) separately:
 * sample_token() checks only the chosen token against it. */
static parley_status make_sampler(parley_llm *llm, const struct parley_llm_request *rq,
                                  struct llama_sampler **out, struct llama_sampler **grammar)
{
    *grammar = NULL;
    if (rq->grammar) {
        *grammar = llama_sampler_init_grammar(llm->vocab, rq->grammar, rq->grammar_root ? rq->grammar_root : "root");
        if (!*grammar)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "the GBNF grammar does not parse (or has no rule \"%s\")",
                               rq->grammar_root ? rq->grammar_root : "root");
    }
    struct llama_sampler *ch = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (!ch) {
        if (*grammar)
            llama_sampler_free(*grammar);
        *grammar = NULL;
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    if (rq->ignore_eog) {
        int32_t nv = llama_vocab_n_tokens(llm->vocab), n_eog = 0, cap = 64;
        llama_logit_bias *bias = malloc(sizeof *bias * (size_t)cap);
        for (int32_t t = 0; bias && t < nv; t++) {
            if (!llama_vocab_is_eog(llm->vocab, t))
                continue;
            if (n_eog == cap) {
                llama_logit_bias *nb = realloc(bias, sizeof *bias * (size_t)cap * 2);
                if (!nb) {
                    free(bias);
                    bias = NULL;
                    break;
                }
                bias = nb;
                cap *= 2;
            }
            bias[n_eog++] = (llama_logit_bias){.token = t, .bias = -INFINITY};
        }
        if (!bias) {
            llama_sampler_free(ch);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        llama_sampler_chain_add(ch, llama_sampler_init_logit_bias(nv, n_eog, bias));
        free(bias);
    }
    if (rq->temperature <= 0.0f) {
        llama_sampler_chain_add(ch, llama_sampler_init_greedy());
    } else {
        if (rq->top_k > 0)
            llama_sampler_chain_add(ch, llama_sampler_init_top_k(rq->top_k));
        if (rq->top_p > 0.0f && rq->top_p < 1.0f)
            llama_sampler_chain_add(ch, llama_sampler_init_top_p(rq->top_p, 1));
        llama_sampler_chain_add(ch, llama_sampler_init_temp(rq->temperature));
        llama_sampler_chain_add(ch, llama_sampler_init_dist(rq->seed));
    }
    *out = ch;
    return PARLEY_OK;
}

/* Indices of the (up to) k largest logits, largest first: a bounded min-heap over the
 * vocabulary, then sorted. Returns how many. */
#define TOP_CANDIDATES 1024
static int32_t top_logits(const float *logits, int32_t nv, int32_t *idx, int32_t k)
{
    int32_t n = 0;
    for (int32_t t = 0; t < nv; t++) {
        float v = logits[t];
        if (n < k) {
            int32_t i = n++;
            while (i > 0 && logits[idx[(i - 1) / 2]] > v) {
                idx[i] = idx[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            idx[i] = t;
        } else if (v > logits[idx[0]]) {
            int32_t i = 0;
            for (;;) {
                int32_t c = 2 * i + 1;
                if (c >= n)
                    break;
                if (c + 1 < n && logits[idx[c + 1]] < logits[idx[c]])
                    c++;
                if (logits[idx[c]] >= v)
                    break;
                idx[i] = idx[c];
                i = c;
            }
            idx[i] = t;
        }
    }
    /* heap -> descending order */
    for (int32_t m = n; m > 1; m--) {
        int32_t top = idx[0];
        int32_t last = idx[m - 1];
        int32_t i = 0;
        for (;;) {
            int32_t c = 2 * i + 1;
            if (c >= m - 1)
                break;
            if (c + 1 < m - 1 && logits[idx[c + 1]] < logits[idx[c]])
                c++;
            if (logits[idx[c]] >= logits[last])
                break;
            idx[i] = idx[c];
            i = c;
        }
        idx[i] = last;
        idx[m - 1] = top;
    }
    return n;
}

/* Builds llm->fb_* (once per engine; the job thread owns the engine while it runs). A
 * token's bucket is the first byte of its text as the grammar sees it (rendered with
 * special tokens as text); a token whose text is empty, differs in its first byte when
 * rendered without specials, or ends generation goes to bucket 256, which is always
 * checked. Returns false when out of memory (the caller then checks the whole vocabulary). */
static bool first_byte_index(parley_llm *llm)
{
    if (llm->fb_ids)
        return true;
    int32_t nv = llm->info.n_vocab;
    uint16_t *of = malloc(sizeof *of * (size_t)nv);
    int32_t *ids = malloc(sizeof *ids * (size_t)nv);
    if (!of || !ids) {
        free(of);
        free(ids);
        return false;
    }
    int32_t count[257] = {0};
    for (int b = 0; b < 256; b++)
        llm->fb_probe[b] = -1;
    for (int32_t t = 0; t < nv; t++) {
        char a[256], p[256];
        int32_t na = llama_token_to_piece(llm->vocab, t, a, sizeof a, 0, true);
        int32_t np = llama_token_to_piece(llm->vocab, t, p, sizeof p, 0, false);
        uint16_t b = 256;
        if (!llama_vocab_is_eog(llm->vocab, t) && na > 0 && np > 0 && a[0] == p[0] && a[0] != 0)
            b = (uint8_t)a[0];
        of[t] = b;
        count[b]++;
        if (b < 256 && na == 1 && np == 1 && llm->fb_probe[b] < 0)
            llm->fb_probe[b] = t;
    }
    llm->fb_start[0] = 0;
    for (int b = 0; b < 257; b++)
        llm->fb_start[b + 1] = llm->fb_start[b] + count[b];
    int32_t fill[257];
    memcpy(fill, llm->fb_start, sizeof fill);
    for (int32_t t = 0; t < nv; t++)
        ids[fill[of[t]]++] = t;
    llm->fb_of = of;
    llm->fb_ids = ids;
    return true;
}

/* Which first bytes the grammar can accept now: each byte's one-byte token is checked; a
 * token whose first byte is refused is refused whatever follows (the grammar reads its
 * text from the start, a partial UTF-8 sequence included), so those buckets need no
 * check. A byte with no one-byte token stays allowed; bucket 256 always is. */
static void allowed_first_bytes(parley_llm *llm, struct llama_sampler *grammar, bool allowed[257])
{
    llama_token_data probe[256];
    size_t n = 0;
    for (int b = 0; b < 256; b++) {
        allowed[b] = true;
        if (llm->fb_probe[b] >= 0)
            probe[n++] = (llama_token_data){llm->fb_probe[b], 0.0f, 0.0f};
    }
    allowed[256] = true;
    llama_token_data_array pa = {probe, n, -1, false};
    llama_sampler_apply(grammar, &pa);
    for (size_t i = 0; i < pa.size; i++)
        if (pa.data[i].logit == -INFINITY)
            allowed[llm->fb_of[pa.data[i].id]] = false;
}

/* One token. Without a grammar: the chain. With one: the chain picks from the whole
 * vocabulary, then only that token is checked against the grammar (llama.cpp's common
 * sampler does the same). Only when the grammar rejects it is the choice made again
 * under the grammar, over the tokens whose first byte it can accept at all
 * (allowed_first_bytes): first over the highest-logit ones, checked in blocks until enough
 * pass (greedy: one; top-k sampling: k), which gives exactly what the grammar applied to
 * the whole vocabulary followed by the chain would (the chain keeps only the best passing
 * candidates anyway); with no top-k, or too few passing among the top candidates, the
 * grammar checks every token of the allowed buckets. Checking every one of a 248k
 * vocabulary against the grammar on every token halved generation speed; between JSON
 * strings only a few hundred tokens can start with the byte the grammar wants. */
static llama_token sample_token(parley_llm *llm, const struct parley_llm_request *rq, struct llama_sampler *chain,
                                struct llama_sampler *grammar, llama_token_data *cand, int32_t *top,
                                int32_t *n_resampled)
{
    if (!grammar)
        return llama_sampler_sample(chain, llm->ctx, -1);
    const float *logits = llama_get_logits_ith(llm->ctx, -1);
    int32_t nv = llm->info.n_vocab;
    for (int32_t t = 0; t < nv; t++)
        cand[t] = (llama_token_data){t, logits[t], 0.0f};
    llama_token_data_array arr = {cand, (size_t)nv, -1, false};
    llama_sampler_apply(chain, &arr);
    llama_token id = arr.selected >= 0 ? arr.data[arr.selected].id : 0;
    llama_token_data one = {id, 1.0f, 0.0f};
    llama_token_data_array one_arr = {&one, 1, -1, false};
    llama_sampler_apply(grammar, &one_arr);
    if (arr.selected < 0 || one.logit == -INFINITY) {
        (*n_resampled)++;
        bool indexed = first_byte_index(llm);
        bool allowed[257];
        if (indexed)
            allowed_first_bytes(llm, grammar, allowed);
        int32_t need = rq->temperature <= 0.0f ? 1 : rq->top_k > 0 ? rq->top_k : 0;
        int32_t got = 0;
        bool done = false;
        if (need > 0 && need <= TOP_CANDIDATES / 4) {
            int32_t n_top = top_logits(logits, nv, top, TOP_CANDIDATES);
            llama_token_data blk[64];
            int32_t m = 0;
            for (int32_t i = 0; i <= n_top && got < need; i++) {
                if (i < n_top && (!indexed || allowed[llm->fb_of[top[i]]]))
                    blk[m++] = (llama_token_data){top[i], logits[top[i]], 0.0f};
                if (m == 64 || (i == n_top && m > 0)) {
                    llama_token_data_array ba = {blk, (size_t)m, -1, false};
                    llama_sampler_apply(grammar, &ba);
                    for (size_t j = 0; j < ba.size && got < need; j++)
                        if (ba.data[j].logit != -INFINITY)
                            cand[got++] = ba.data[j];
                    m = 0;
                }
            }
            if (got >= need) {
                arr = (llama_token_data_array){cand, (size_t)got, -1, false};
                llama_sampler_apply(chain, &arr);
                id = arr.selected >= 0 ? arr.data[arr.selected].id : 0;
                done = arr.selected >= 0;
            }
        }
        if (!done) {
            size_t n = 0;
            if (indexed) {
                for (int b = 0; b < 257; b++)
                    if (allowed[b])
                        for (int32_t k = llm->fb_start[b]; k < llm->fb_start[b + 1]; k++)
                            cand[n++] = (llama_token_data){llm->fb_ids[k], logits[llm->fb_ids[k]], 0.0f};
            } else {
                for (int32_t t = 0; t < nv; t++)
                    cand[n++] = (llama_token_data){t, logits[t], 0.0f};
            }
            arr = (llama_token_data_array){cand, n, -1, false};
            llama_sampler_apply(grammar, &arr);
            llama_sampler_apply(chain, &arr);
            id = arr.selected >= 0 ? arr.data[arr.selected].id : 0;
        }
    }
    llama_sampler_accept(grammar, id);
    llama_sampler_accept(chain, id);
    return id;
}

static void finish_stats(struct parley_llm_stats *s)
{
    s->prompt_tps = s->prompt_ms > 0 && s->n_evaluated ? s->n_evaluated * 1000.0 / s->prompt_ms : 0;
    s->gen_tps = s->gen_ms > 0 && s->n_generated ? s->n_generated * 1000.0 / s->gen_ms : 0;
}

static void prefix_drop(parley_llm *llm)
{
    llama_memory_seq_rm(llama_get_memory(llm->ctx), SEQ_PREFIX, -1, -1);
    llm->n_prefix = 0;
}

/* Makes the cached prefix exactly toks[0..m): kept when it is already that, extended when
 * it is the start of it, else dropped and loaded from the state directory or evaluated.
 * *kept: tokens that were not evaluated now. On failure the prefix is empty. */
static parley_status prefix_update(parley_llm *llm, const int32_t *toks, int32_t m, struct prog *pg,
                                   struct parley_llm_stats *stats, int32_t *evaluated)
{
    *evaluated = 0;
    int32_t keep = 0;
    if (llm->n_prefix > 0 && llm->n_prefix <= m &&
        memcmp(toks, llm->prefix, (size_t)llm->n_prefix * sizeof *toks) == 0) {
        keep = llm->n_prefix;
    } else {
        prefix_drop(llm);
        if (llm->state_dir &&
            parley_llm_state_load(llm->ctx, SEQ_PREFIX, llm->state_dir, &llm->model_key, toks, m) == PARLEY_OK) {
            keep = m;
            stats->n_state_loaded = m;
        }
    }
    stats->n_reused = keep;
    if (pg)
        pg->total = pg->total - keep;
    if (keep < m) {
        parley_status st = eval_tokens(llm, toks + keep, m - keep, keep, SEQ_PREFIX, pg, evaluated);
        if (st) {
            /* A half-evaluated prefix is dropped whole (recurrent state cannot be trimmed). */
            prefix_drop(llm);
            free(llm->prefix);
            llm->prefix = NULL;
            return st;
        }
    }
    if (keep != m || !llm->prefix || llm->n_prefix != m) {
        int32_t *copy = malloc((size_t)(m ? m : 1) * sizeof *copy);
        if (!copy) {
            prefix_drop(llm);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        memcpy(copy, toks, (size_t)m * sizeof *copy);
        free(llm->prefix);
        llm->prefix = copy;
        llm->n_prefix = m;
        if (llm->state_dir && stats->n_state_loaded == 0 && *evaluated > 0)
            parley_llm_state_save(llm->ctx, SEQ_PREFIX, llm->state_dir, llm->state_max_bytes, &llm->model_key,
                                  toks, m);
    }
    return PARLEY_OK;
}

/* A deferred repack is due when the job has many tokens to evaluate and nothing is
 * cached in memory (the reload starts a new context): the prompt less a cached prefix
 * whose state is on disk. */
static bool repack_due(parley_llm *llm, const int32_t *toks, int32_t n, int32_t n_cacheable)
{
    if (!llm->repack_pending || llm->n_prefix > 0)
        return false;
    int32_t todo = n;
    if (n_cacheable > 0 && llm->state_dir &&
        parley_llm_state_exists(llm->state_dir, &llm->model_key, toks, n_cacheable))
        todo -= n_cacheable;
    return todo >= REPACK_MIN_TOKENS;
}

static parley_status run_generate(parley_llm_job *job)
{
    parley_llm *llm = job->llm;
    const struct parley_llm_request *rq = &job->rq;
    struct parley_llm_result *res = &job->result;
    struct parley_llm_stats *stats = &res->stats;
    llama_memory_t mem = llama_get_memory(llm->ctx);
    tokvec tv = {0};
    int32_t *toks = NULL, n = 0, first_end = 0;
    struct llama_sampler *smpl = NULL, *grammar = NULL;
    llama_token_data *cand = NULL;
    int32_t *top = NULL;
    struct stream s;
    memset(&s, 0, sizeof s);
    /* Under a grammar the grammar decides the output: nothing is filtered out of it. */
    s.strip_think = !llm->thinking && !rq->keep_think && !rq->grammar;
    s.all.max = PARLEY_LLM_MAX_PROMPT_BYTES;
    parley_status st;

    st = make_sampler(llm, rq, &smpl, &grammar); /* first: a grammar that does not parse is the news */
    if (st != PARLEY_OK)
        goto out;
    if (grammar) {
        cand = malloc(sizeof *cand * (size_t)llm->info.n_vocab);
        top = malloc(sizeof *top * TOP_CANDIDATES);
        if (!cand || !top) {
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    if (rq->messages) {
        st = tokenize_chat(llm, rq->messages, rq->n_messages, &tv, &first_end);
        toks = tv.data;
        n = tv.n;
    } else {
        st = tokenize_alloc(llm, rq->prompt, true, &toks, &n);
    }
    if (st != PARLEY_OK)
        goto out;
    stats->n_prompt = n;
    int32_t n_ctx = (int32_t)llm->info.n_ctx;
    if (n == 0) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "empty prompt");
        goto out;
    }
    if (n >= n_ctx) {
        st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                         "the prompt is %d tokens; the context holds %d (and the answer needs at "
                         "least one more)", n, n_ctx);
        goto out;
    }
    if (rq->max_tokens > 0 && (int64_t)n + rq->max_tokens > n_ctx) {
        st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                         "the prompt (%d tokens) plus max_tokens (%d) is more than the context "
                         "(%d tokens)", n, rq->max_tokens, n_ctx);
        goto out;
    }

    bool cache = rq->cache_prefix && rq->messages && first_end > 0 && first_end < n;
    if (repack_due(llm, toks, n, cache ? first_end : 0)) {
        stats->repack_ms = repack_now(llm);
        mem = llama_get_memory(llm->ctx);
        /* The samplers again: the grammar holds the old model's vocabulary. */
        llama_sampler_free(smpl);
        if (grammar)
            llama_sampler_free(grammar);
        smpl = grammar = NULL;
        st = make_sampler(llm, rq, &smpl, &grammar);
        if (st != PARLEY_OK)
            goto out;
    }
    struct prog pg = {rq, 0, n, false};
    double t0 = parley_now();
    int32_t ev_pre = 0;
    if (cache) {
        st = prefix_update(llm, toks, first_end, &pg, stats, &ev_pre);
        if (st != PARLEY_OK) {
            stats->n_evaluated = ev_pre;
            stats->prompt_ms = (parley_now() - t0) * 1000.0;
            goto out;
        }
        if (rq->prefill_only) {
            stats->n_evaluated = ev_pre;
            stats->prompt_ms = (parley_now() - t0) * 1000.0;
            res->finish = PARLEY_LLM_FINISH_NONE;
            goto out;
        }
    } else if (rq->prefill_only) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "prefill_only needs cache_prefix and messages (a first message "
                                                 "followed by more prompt)");
        goto out;
    }

    /* Reuse the prefix when the prompt starts with all of it (and goes on past it). */
    int32_t r = 0;
    if (llm->n_prefix > 0 && llm->n_prefix < n &&
        memcmp(toks, llm->prefix, (size_t)llm->n_prefix * sizeof *toks) == 0) {
        r = llm->n_prefix;
    } else if (llm->n_prefix > 0) {
        /* A prefix this prompt does not start with still holds its cells while the prompt
         * runs in the scratch sequence: when both do not fit, the prefix goes (and is
         * evaluated again by whoever needs it next), rather than a false overflow. */
        int64_t gen = rq->max_tokens > 0 ? rq->max_tokens : n_ctx - n;
        if ((int64_t)llm->n_prefix + n + gen > n_ctx) {
            parley_log(PARLEY_LOG_INFO, "dropping the cached prefix (%d tokens): this prompt (%d tokens) does not "
                       "start with it and both do not fit the context (%d)", llm->n_prefix, n, n_ctx);
            prefix_drop(llm);
        }
    }
    llama_memory_seq_rm(mem, SEQ_WORK, -1, -1);
    if (r)
        llama_memory_seq_cp(mem, SEQ_PREFIX, SEQ_WORK, -1, -1);
    if (!cache)
        stats->n_reused = r;

    if (!cache)
        pg.total = n - r;
    int32_t ev_rest = 0;
    st = eval_tokens(llm, toks + r, n - r, r, SEQ_WORK, &pg, &ev_rest);
    stats->n_evaluated = ev_pre + ev_rest;
    double t1 = parley_now();
    stats->prompt_ms = (t1 - t0) * 1000.0;
    if (st != PARLEY_OK)
        goto out;

    char piece[256];
    int32_t pos = n;
    for (;;) {
        if (is_cancelled(llm)) {
            st = parley_fail(PARLEY_ERR_CANCELLED, "cancelled after %d generated tokens",
                             stats->n_generated);
            break;
        }
        llama_token tok = sample_token(llm, rq, smpl, grammar, cand, top, &stats->n_resampled);
        if (llama_vocab_is_eog(llm->vocab, tok)) {
            res->finish = PARLEY_LLM_FINISH_EOG;
            break;
        }
        stats->n_generated++;
        /* Think tags are rendered even when the vocabulary marks them as control tokens, so
         * the filter sees them; under a grammar every token is rendered as the grammar saw it. */
        const char *tt = llama_vocab_get_text(llm->vocab, tok);
        int32_t pl;
        if (!grammar && tt && (!strcmp(tt, "<think>") || !strcmp(tt, "</think>"))) {
            pl = (int32_t)strlen(tt);
            memcpy(piece, tt, (size_t)pl);
        } else {
            pl = llama_token_to_piece(llm->vocab, tok, piece, sizeof piece, 0, grammar != NULL);
            if (pl < 0) {
                st = parley_fail(PARLEY_ERR_INFERENCE, "token %d has a piece of %d bytes", tok, -pl);
                break;
            }
        }
        st = stream_piece(&s, piece, (size_t)pl, false);
        if (st != PARLEY_OK)
            break;
        if (s.vis.len && rq->on_token && !rq->on_token(s.vis.data, s.vis.len, rq->user_data)) {
            res->finish = PARLEY_LLM_FINISH_STOPPED;
            break;
        }
        if ((rq->max_tokens > 0 && stats->n_generated >= rq->max_tokens) || pos + 1 >= n_ctx) {
            res->finish = PARLEY_LLM_FINISH_LENGTH;
            break;
        }
        struct llama_batch *b = &llm->batch;
        b->n_tokens = 1;
        b->token[0] = tok;
        b->pos[0] = pos;
        b->n_seq_id[0] = 1;
        b->seq_id[0][0] = SEQ_WORK;
        b->logits[0] = 1;
        int32_t rc = llama_decode(llm->ctx, *b);
        if (rc == 2 || (rc != 0 && is_cancelled(llm))) {
            st = parley_fail(PARLEY_ERR_CANCELLED, "cancelled after %d generated tokens",
                             stats->n_generated);
            break;
        }
        if (rc == 1) {
            st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW, "the cache is full at position %d", pos);
            break;
        }
        if (rc != 0) {
            st = parley_fail(PARLEY_ERR_INFERENCE, "llama_decode failed with code %d at position %d",
                             rc, pos);
            break;
        }
        pos++;
    }
    stats->gen_ms = (parley_now() - t1) * 1000.0;
    if (st == PARLEY_OK) {
        st = stream_piece(&s, "", 0, true);
        if (st == PARLEY_OK && s.vis.len && rq->on_token && res->finish != PARLEY_LLM_FINISH_STOPPED)
            rq->on_token(s.vis.data, s.vis.len, rq->user_data);
    }
out:
    /* Whatever happened, the scratch sequence goes: the cache holds exactly the prefix. */
    llama_memory_seq_rm(mem, SEQ_WORK, -1, -1);
    finish_stats(stats);
    if (st != PARLEY_OK)
        res->finish = PARLEY_LLM_FINISH_NONE;
    if (st == PARLEY_OK || s.all.len) {
        res->text = s.all.data ? s.all.data : parley_strdup("");
        s.all.data = NULL;
        if (!res->text && st == PARLEY_OK)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_buf_free(&s.all);
    parley_buf_free(&s.vis);
    if (smpl)
        llama_sampler_free(smpl);
    if (grammar)
        llama_sampler_free(grammar);
    free(cand);
    free(top);
    free(toks);
    return st;
}

static parley_status run_prefix(parley_llm_job *job)
{
    parley_llm *llm = job->llm;
    struct parley_llm_stats *stats = &job->result.stats;
    llama_memory_t mem = llama_get_memory(llm->ctx);
    int32_t *toks = NULL, n = 0;
    parley_status st = tokenize_alloc(llm, job->prompt, true, &toks, &n);
    if (st != PARLEY_OK)
        return st;
    stats->n_prompt = n;
    if (n >= (int32_t)llm->info.n_ctx) {
        free(toks);
        return parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                           "the prefix is %d tokens; the context holds %u and a prompt after it "
                           "needs room too", n, llm->info.n_ctx);
    }
    /* The last token is held back (left for the prompt that follows to evaluate): where
     * the prefix ends mid-word or mid-whitespace, the full prompt's tokenizer may merge
     * that token with what follows, and the cached tokens would then not be a prefix of
     * the prompt's. One token costs little; a miss costs the whole transcript. */
    int32_t n_cache = n > 0 ? n - 1 : 0;
    int32_t keep = 0;
    if (llm->n_prefix > 0 && llm->n_prefix <= n_cache &&
        memcmp(toks, llm->prefix, (size_t)llm->n_prefix * sizeof *toks) == 0) {
        keep = llm->n_prefix;
    } else {
        llama_memory_seq_rm(mem, SEQ_PREFIX, -1, -1);
        llm->n_prefix = 0;
        if (llm->repack_pending && n_cache >= REPACK_MIN_TOKENS) {
            stats->repack_ms = repack_now(llm);
            mem = llama_get_memory(llm->ctx);
        }
    }
    stats->n_reused = keep;
    double t0 = parley_now();
    st = eval_tokens(llm, toks + keep, n_cache - keep, keep, SEQ_PREFIX, NULL, &stats->n_evaluated);
    stats->prompt_ms = (parley_now() - t0) * 1000.0;
    finish_stats(stats);
    if (st != PARLEY_OK) {
        /* A half-evaluated prefix is dropped whole (recurrent state cannot be trimmed). */
        llama_memory_seq_rm(mem, SEQ_PREFIX, -1, -1);
        llm->n_prefix = 0;
        free(toks);
        return st;
    }
    free(llm->prefix);
    llm->prefix = toks;
    llm->n_prefix = n_cache;
    return PARLEY_OK;
}

/* ---- jobs --------------------------------------------------------------------------- */

static void *job_main(void *arg)
{
    parley_llm_job *job = arg;
    parley_clear_error();
    job->status = job->kind == JOB_PREFIX ? run_prefix(job) : run_generate(job);
    if (job->status != PARLEY_OK)
        snprintf(job->error, sizeof job->error, "%s", parley_last_error());
    job->llm->cancel = NULL;
    atomic_store(&job->llm->busy, false);
    atomic_store(&job->done, true);
    return NULL;
}

static void job_free(parley_llm_job *job)
{
    if (!job)
        return;
    if (job->msgs) {
        for (size_t i = 0; i < job->rq.n_messages; i++) {
            free((char *)job->msgs[i].role);
            free((char *)job->msgs[i].content);
        }
        free(job->msgs);
    }
    free(job->prompt);
    free(job->grammar);
    free(job->grammar_root);
    parley_llm_result_clear(&job->result);
    free(job);
}

static parley_status job_launch(parley_llm *llm, parley_llm_job *job, const parley_cancel *cancel)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&llm->busy, &expected, true)) {
        job_free(job);
        return parley_fail(PARLEY_ERR_INVALID_ARG, "the LLM engine is busy with another job");
    }
    job->llm = llm;
    llm->cancel = cancel;
    atomic_store(&llm->stop, false);
    atomic_init(&job->done, false);
    int e = pthread_create(&job->thread, NULL, job_main, job);
    if (e != 0) {
        llm->cancel = NULL;
        atomic_store(&llm->busy, false);
        job_free(job);
        return parley_fail(PARLEY_ERR_NOMEM, "could not start the LLM worker thread: %s", strerror(e));
    }
    return PARLEY_OK;
}

parley_status parley_llm_start(parley_llm *llm, const struct parley_llm_request *req, parley_llm_job **out)
{
    if (!llm || !req || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_start: NULL argument");
    *out = NULL;
    if (!req->messages && !req->prompt)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a request needs messages or a prompt");
    if (req->messages && req->n_messages == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a request with messages needs at least one");
    if (req->max_tokens < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "max_tokens %d < 0", req->max_tokens);
    if (req->ignore_eog && (req->max_tokens == 0 || req->grammar))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "ignore_eog needs max_tokens > 0 and no grammar (it would never end)");
    parley_llm_job *job = calloc(1, sizeof *job);
    if (!job)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    job->kind = JOB_GENERATE;
    job->rq = *req;
    bool oom = false;
    if (req->messages) {
        job->msgs = calloc(req->n_messages, sizeof *job->msgs);
        oom |= !job->msgs;
        for (size_t i = 0; !oom && i < req->n_messages; i++) {
            if (!req->messages[i].role || !req->messages[i].content) {
                job->rq.n_messages = i;
                job_free(job);
                return parley_fail(PARLEY_ERR_INVALID_ARG, "message %zu has a NULL role or content", i);
            }
            job->msgs[i].role = parley_strdup(req->messages[i].role);
            job->msgs[i].content = parley_strdup(req->messages[i].content);
            oom |= !job->msgs[i].role || !job->msgs[i].content;
        }
        job->rq.messages = job->msgs;
        job->rq.prompt = NULL;
    } else {
        job->prompt = parley_strdup(req->prompt);
        oom |= !job->prompt;
        job->rq.prompt = job->prompt;
    }
    if (req->grammar) {
        job->grammar = parley_strdup(req->grammar);
        oom |= !job->grammar;
    }
    if (req->grammar_root) {
        job->grammar_root = parley_strdup(req->grammar_root);
        oom |= !job->grammar_root;
    }
    job->rq.grammar = job->grammar;
    job->rq.grammar_root = job->grammar_root;
    if (oom) {
        job_free(job);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_status st = job_launch(llm, job, req->cancel);
    if (st == PARLEY_OK)
        *out = job;
    return st;
}

bool parley_llm_job_done(const parley_llm_job *job)
{
    return job ? atomic_load(&((parley_llm_job *)job)->done) : true;
}

parley_status parley_llm_job_wait(parley_llm_job *job, struct parley_llm_result *result)
{
    if (!job)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_job_wait: NULL job");
    pthread_join(job->thread, NULL);
    parley_status st = job->status;
    if (result) {
        *result = job->result;
        memset(&job->result, 0, sizeof job->result);
    }
    if (st != PARLEY_OK)
        parley_fail(st, "%s", job->error);
    job_free(job);
    return st;
}

parley_status parley_llm_generate(parley_llm *llm, const struct parley_llm_request *req,
                                  struct parley_llm_result *result)
{
    if (result)
        memset(result, 0, sizeof *result);
    parley_llm_job *job;
    parley_status st = parley_llm_start(llm, req, &job);
    if (st != PARLEY_OK)
        return st;
    return parley_llm_job_wait(job, result);
}

parley_status parley_llm_prefix_set(parley_llm *llm, const char *text, const parley_cancel *cancel,
                                    struct parley_llm_stats *stats)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!llm || !text)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_prefix_set: NULL argument");
    parley_llm_job *job = calloc(1, sizeof *job);
    if (!job)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    job->kind = JOB_PREFIX;
    job->prompt = parley_strdup(text);
    if (!job->prompt) {
        free(job);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_status st = job_launch(llm, job, cancel);
    if (st != PARLEY_OK)
        return st;
    struct parley_llm_result r;
    st = parley_llm_job_wait(job, &r);
    if (stats)
        *stats = r.stats;
    parley_llm_result_clear(&r);
    return st;
}
