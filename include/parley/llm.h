/*
 * llm.h: Parley's local LLM engine: one loaded GGUF model (through llama.cpp) with one
 * context, a worker thread that generates, a token stream, real cancellation, chat
 * templates, GBNF-constrained output and a cached prefix (the transcript so far) that
 * later prompts reuse instead of evaluating again.
 *
 * Basic usage
 *
 *     parley_init();
 *     struct parley_llm_params lp = parley_llm_default_params();
 *     lp.n_ctx = 8192;                         // tokens of context
 *     lp.n_gpu_layers = 0;                     // CPU only
 *     parley_llm *llm;
 *     if (parley_llm_load("Qwen3.5-2B-Q4_K_M.gguf", lp, &llm) != PARLEY_OK)
 *         die(parley_last_error());            // "x.gguf: truncated: ..." etc.
 *
 *     parley_llm_message msgs[] = {
 *         {"system", "You write meeting notes."},
 *         {"user", "Summarise: ..."},
 *     };
 *     struct parley_llm_request rq = parley_llm_default_request();
 *     rq.messages = msgs;                      // formatted with the model's chat template
 *     rq.n_messages = 2;
 *     rq.max_tokens = 400;
 *     rq.on_token = print_piece;               // called on the worker thread
 *     rq.cancel = my_cancel;                   // parley_cancel_set() stops it within ~0.1 s
 *     struct parley_llm_result res;
 *     parley_status st = parley_llm_generate(llm, &rq, &res);
 *     // st == PARLEY_OK: res.text, res.stats (tokens, ms, tokens/s)
 *     parley_llm_result_clear(&res);
 *     parley_llm_free(llm);
 *
 * Live work (a suggestion while the meeting runs): keep the part of the prompt that stays
 * the same in the cache with parley_llm_prefix_set(), then send full prompts that start
 * with it; only the tokens after the prefix are evaluated (res.stats says how many).
 *
 * Thread rules
 *   - A parley_llm is used by one generation at a time. parley_llm_start() runs the work on
 *     a worker thread the engine creates; a second start while one runs fails with
 *     PARLEY_ERR_INVALID_ARG ("busy"). parley_llm_generate() and parley_llm_prefix_set()
 *     are start + wait, so they block the calling thread but compute on the worker.
 *   - on_token and on_progress are called on the worker thread, never concurrently.
 *   - The cancel flag may be set from any thread (or a signal handler): it is an atomic.
 *   - parley_llm_info(), parley_llm_tokenize(), parley_llm_count_tokens(),
 *     parley_llm_detokenize() and parley_llm_format() only read the model and may be called
 *     from any thread, even while a generation runs.
 *   - parley_llm_free() must not race with a running job: wait for it first.
 *   - Different parley_llm objects are independent.
 *
 * Errors (parley_last_error() has the detail, on the thread that got the status):
 *   PARLEY_ERR_MODEL_LOAD       not a GGUF, truncated, unknown architecture, llama refused it
 *   PARLEY_ERR_NOMEM            the context (KV cache, compute buffers) could not be allocated
 *   PARLEY_ERR_NO_TEMPLATE      chat messages, but no usable chat template
 *   PARLEY_ERR_CONTEXT_OVERFLOW prompt (+ max_tokens) larger than n_ctx
 *   PARLEY_ERR_CANCELLED        the cancel flag was set; the engine is ready for more work
 *   PARLEY_ERR_INFERENCE        llama_decode failed (with its code)
 *   PARLEY_ERR_INVALID_ARG      bad argument, grammar that does not parse, engine busy
 */
#ifndef PARLEY_LLM_H
#define PARLEY_LLM_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_llm parley_llm;         /* a loaded model + its context */
typedef struct parley_llm_job parley_llm_job; /* one running generation */

/* ---- Loading ---------------------------------------------------------------------- */

struct parley_llm_params {
    uint32_t n_ctx;        /* context size in tokens, shared by the cached prefix and the
                              prompt + answer of each generation; 0 = 4096 (capped at the
                              model's trained context) */
    int32_t n_gpu_layers;  /* layers offloaded to a GPU; 0 = CPU only; -1 = all layers.
                              Ignored (CPU) when ggml has no GPU backend */
    int32_t n_threads;     /* CPU threads for prompt and generation; 0 = all online cores */
    uint32_t n_batch;      /* prompt tokens per llama_decode call; 0 = 512. llama.cpp
                              computes them in physical batches of at most 512 tokens,
                              which keeps cancel latency short whatever this is */
    const char *chat_template; /* NULL = the model's own (tokenizer.chat_template); else a
                              llama.cpp built-in name ("chatml", "llama3", "gemma", ...) or
                              a template text. Copied. */
    bool thinking;         /* false (default): models that "think" (<think>) are asked not
                              to, and any <think>...</think> is removed from the stream */
    const char *state_dir; /* NULL (default): no on-disk cache. Else a directory (created
                              when missing) where the evaluated cached prefix is saved
                              (llama_state_seq_get_data) and loaded again by a later process
                              instead of being recomputed; keyed by the model file (path,
                              size, mtime) and the exact prefix tokens. A corrupt or truncated
                              file is a miss (logged), never an error. Copied. */
    uint64_t state_max_bytes; /* most bytes the state_dir may hold; the oldest files are
                              removed first. 0 = $PARLEY_STATE_CACHE_MB megabytes when set,
                              else 4096 MB */
    bool defer_repack;     /* false (default): on a CPU, the weights are repacked into the
                              CPU's fastest layouts while loading (llama.cpp's default; seconds
                              for a 2B model). true: loaded as mapped, and loaded again with the
                              repacked layouts just before the first job that has at least 256
                              tokens to evaluate with nothing cached; a short job on a prefix
                              whose state is on disk (state_dir) never pays for the repack.
                              Ignored when layers go to a GPU */
};

/* Defaults: n_ctx 4096, all layers on a GPU if there is one, all cores, n_batch 512, the
 * model's own template, thinking off. */
struct parley_llm_params parley_llm_default_params(void);

/* What a GGUF says about itself. Strings are NUL-terminated and truncated to fit. */
struct parley_llm_info {
    char path[1024];
    char arch[64];           /* general.architecture: "llama", "qwen35", "gemma4", ... */
    char name[256];          /* general.name, "" when absent */
    char ftype[64];          /* quantisation as llama.cpp names it ("Q4_K - Medium"); "" from
                                parley_llm_inspect() */
    int32_t n_layer;         /* <arch>.block_count, exactly as the file says */
    int32_t n_ctx_train;     /* <arch>.context_length */
    int32_t n_embd;          /* <arch>.embedding_length */
    int32_t n_vocab;         /* tokens in the vocabulary */
    uint64_t n_params;       /* parameters (sum of tensor elements) */
    uint64_t file_bytes;     /* size of the file on disk */
    uint64_t weights_bytes;  /* bytes of tensor data */
    bool has_chat_template;  /* the file carries tokenizer.chat_template */
    bool is_recurrent;       /* state that cannot be trimmed (Mamba, RWKV, ...) */
    bool is_hybrid;          /* attention + recurrent layers (Qwen 3.5/3.6) */
    /* Filled by parley_llm_load() only (0/"" from parley_llm_inspect()): */
    uint32_t n_ctx;          /* the context actually allocated */
    int32_t n_threads;       /* threads in use */
    char template_used[64];  /* "model", "explicit" or "" (none usable) */
};

/* Reads only the GGUF header and metadata (no weights): a quick check that a file is a
 * complete GGUF and what it holds. PARLEY_ERR_MODEL_LOAD with the reason otherwise. */
parley_status parley_llm_inspect(const char *path, struct parley_llm_info *out);

/* Loads a GGUF (memory-mapped) and creates its context. The file is checked first (magic,
 * version, metadata, tensor data within the file), so a wrong or truncated file gets a
 * precise message rather than llama.cpp's generic failure. *out is NULL on failure. */
parley_status parley_llm_load(const char *path, struct parley_llm_params params, parley_llm **out);

/* A second context on base's weights (shared, not loaded again): its own cache of n_ctx
 * tokens (0 = base's) and its own cached prefix, with base's threads, template and
 * thinking setting; no state files. For work beside base's cached prefix that must not
 * disturb it (the live assistant's drafts, assist.h). base's deferred repacking is done
 * first (it swaps the weights). base must outlive the sibling, and the two must not run
 * jobs at the same time (one thread drives both). *out is NULL on failure. */
parley_status parley_llm_sibling(parley_llm *base, uint32_t n_ctx, parley_llm **out);

/* Frees the context and the model (a sibling's: its context only). NULL is a no-op. No
 * job may be running. */
void parley_llm_free(parley_llm *llm);

/* Borrowed; valid while llm is loaded. */
const struct parley_llm_info *parley_llm_info(const parley_llm *llm);

/* The model's own chat template text, or NULL when it has none. Borrowed, valid while
 * llm is loaded. */
const char *parley_llm_model_template(const parley_llm *llm);

/* ---- Tokens ----------------------------------------------------------------------- */

/* Tokenizes text. add_special: add BOS (etc.) as the model wants at the start of a prompt.
 * Special tokens written in the text ("<|im_start|>") are parsed as such (raw prompts;
 * chat messages never are: see parley_llm_request.messages). Writes up to
 * max tokens; *n_out is the full count even when it is larger than max (then
 * PARLEY_ERR_TOO_LARGE). tokens may be NULL when max is 0. */
parley_status parley_llm_tokenize(const parley_llm *llm, const char *text, bool add_special,
                                  int32_t *tokens, int32_t max, int32_t *n_out);

/* Number of tokens of text as a chat message's content (no BOS, special tokens not parsed,
 * one run of lines at a time, as parley_llm_request.messages are tokenized): for chunking
 * long transcripts. */
parley_status parley_llm_count_tokens(const parley_llm *llm, const char *text, int32_t *n_out);


/* Tokens back to text (special tokens not rendered). *out is malloc'd; free() it. */
parley_status parley_llm_detokenize(const parley_llm *llm, const int32_t *tokens, int32_t n,
                                    char **out);

/* ---- Prompts ---------------------------------------------------------------------- */

/* One chat message. role: "system", "user" or "assistant". Both strings are borrowed
 * for the duration of the call that receives them. */
typedef struct parley_llm_message {
    const char *role;
    const char *content;
} parley_llm_message;

/* Renders messages with the chat template (the model's, or params.chat_template) through
 * llama_chat_apply_template. add_generation_prompt: end with the assistant's turn opener
 * (and, for thinking models with thinking off, an empty think block). *out is malloc'd;
 * free() it. PARLEY_ERR_NO_TEMPLATE names the problem when there is no usable template. */
parley_status parley_llm_format(const parley_llm *llm, const parley_llm_message *msgs, size_t n,
                                bool add_generation_prompt, char **out);

/* Number of tokens of a chat prompt exactly as a request with these messages evaluates it
 * (template markup, contents, generation prompt). *first_end (may be NULL): tokens up to
 * the end of the first message's content (what cache_prefix keeps). */
parley_status parley_llm_count_chat_tokens(parley_llm *llm, const parley_llm_message *msgs, size_t n,
                                           int32_t *n_out, int32_t *first_end);

/* ---- Generation ------------------------------------------------------------------- */

/* Receives the visible text as it is produced: whole UTF-8 characters, think blocks
 * removed (unless params.thinking). Return false to stop generating (not an error:
 * result.finish is PARLEY_LLM_FINISH_STOPPED). Called on the worker thread. */
typedef bool (*parley_llm_token_fn)(const char *text, size_t len, void *user_data);

/* Prompt evaluation progress: done of total tokens of this prompt that need evaluating.
 * Return false to cancel (PARLEY_ERR_CANCELLED). Called on the worker thread after each
 * batch. */
typedef bool (*parley_llm_progress_fn)(int32_t done, int32_t total, void *user_data);

struct parley_llm_request {
    /* The prompt: either chat messages (formatted with the chat template) ... Only the
     * template's own markup is parsed for special tokens: a "<|im_end|>" inside a message's
     * content stays text. Contents are tokenized one run of lines at a time (cut after
     * each newline run), so appending lines to a message never changes the tokens of what
     * came before (what lets the cached prefix grow without re-tokenizing). */
    const parley_llm_message *messages; /* copied at start; NULL = use prompt */
    size_t n_messages;
    bool cache_prefix;      /* messages only: the tokens up to the end of the first message's
                               content (the system message: rules + transcript) become the
                               cached prefix, extended when it grows, replaced when it
                               changes, loaded from params.state_dir when it is there, so
                               the next request with the same first message evaluates only
                               the rest. The progress callback covers its evaluation */
    bool prefill_only;      /* with cache_prefix: bring the cached prefix up to date and
                               generate nothing (live meetings prefill in idle time) */
    /* ... or a raw prompt used as is (BOS added, special tokens parsed). Copied. */
    const char *prompt;

    int32_t max_tokens;     /* most tokens to generate; 0 = until the model ends its turn
                               or the context is full */
    float temperature;      /* 0 = greedy (deterministic); > 0 samples */
    float top_p;            /* nucleus sampling; 0 or 1 = off; only when temperature > 0 */
    int32_t top_k;          /* 0 = off; only when temperature > 0 */
    uint32_t seed;          /* sampling seed (only when temperature > 0); same seed, same
                               prompt, same model = same output */
    const char *grammar;    /* GBNF the output must follow (e.g. JSON); NULL = free text.
                               Copied. A grammar that does not parse: PARLEY_ERR_INVALID_ARG */
    const char *grammar_root; /* start symbol; NULL = "root" */
    bool keep_think;        /* true: <think>...</think> stays in the output. Default false:
                               removed unless params.thinking. A grammar implies true: the
                               grammar decides what the output is */
    bool ignore_eog;        /* never end the turn: end-of-generation tokens are masked, so
                               exactly max_tokens are generated (benchmarks, like
                               llama-bench). Needs max_tokens > 0; not with a grammar */

    parley_llm_token_fn on_token;       /* NULL = no streaming (text still in result) */
    parley_llm_progress_fn on_progress; /* NULL = none */
    void *user_data;                    /* passed to both callbacks */
    const parley_cancel *cancel;          /* NULL = cannot be cancelled; must outlive the job */
};

/* Defaults: no prompt, max_tokens 512, greedy (temperature 0; top_k 40, top_p 0.95 and
 * seed 1 used once temperature > 0), no grammar, no callbacks, no cancel flag. */
struct parley_llm_request parley_llm_default_request(void);

typedef enum parley_llm_finish {
    PARLEY_LLM_FINISH_NONE = 0,    /* not finished (error or cancel) */
    PARLEY_LLM_FINISH_EOG = 1,     /* the model ended its turn (or the grammar completed) */
    PARLEY_LLM_FINISH_LENGTH = 2,  /* max_tokens reached, or the context is full */
    PARLEY_LLM_FINISH_STOPPED = 3, /* on_token returned false */
} parley_llm_finish;

/* Numbers to store beside every artifact. */
struct parley_llm_stats {
    int32_t n_prompt;       /* tokens in the whole prompt */
    int32_t n_reused;       /* of those, taken from the cached prefix (not evaluated) */
    int32_t n_evaluated;    /* of those, evaluated now (n_prompt - n_reused when complete) */
    int32_t n_generated;    /* tokens generated (including hidden thinking) */
    double prompt_ms;       /* wall time evaluating the prompt */
    double gen_ms;          /* wall time generating (sampling included) */
    double prompt_tps;      /* n_evaluated / prompt seconds; 0 when nothing evaluated */
    int32_t n_state_loaded; /* of n_reused, tokens whose state was loaded from state_dir */
    int32_t n_resampled;    /* grammar: tokens sampled again because the first pick broke
                               the grammar (the rest cost no grammar check of the vocabulary) */
    double gen_tps;         /* n_generated / gen seconds; 0 when nothing generated */
    double repack_ms;       /* params.defer_repack: wall time this job spent loading the
                               repacked weights before evaluating; 0 = it did not */
};

struct parley_llm_result {
    char *text;             /* the visible output (what on_token received), malloc'd;
                               "" (not NULL) after success; freed by parley_llm_result_clear */
    parley_llm_finish finish;
    struct parley_llm_stats stats; /* filled even after cancel or error (what was done) */
};

/* Frees result->text and zeroes the struct. NULL is a no-op. */
void parley_llm_result_clear(struct parley_llm_result *result);

/* Starts a generation on the engine's worker thread. The request is copied (strings too);
 * the cancel flag and the callbacks' user_data must stay valid until the job is waited for.
 * PARLEY_ERR_INVALID_ARG when another job is running. */
parley_status parley_llm_start(parley_llm *llm, const struct parley_llm_request *req,
                               parley_llm_job **out);

/* True when the job has finished (parley_llm_job_wait() will not block). */
bool parley_llm_job_done(const parley_llm_job *job);

/* Waits for the job, fills *result (may be NULL), frees the job and returns its status.
 * After PARLEY_ERR_CANCELLED or an error the engine is ready for the next job: the
 * partial positions of the cancelled prompt have been removed from the cache. */
parley_status parley_llm_job_wait(parley_llm_job *job, struct parley_llm_result *result);

/* parley_llm_start() + parley_llm_job_wait(). */
parley_status parley_llm_generate(parley_llm *llm, const struct parley_llm_request *req,
                                  struct parley_llm_result *result);

/* ---- Prefix reuse ------------------------------------------------------------------ */

/* Evaluates text (raw, BOS added like a prompt; use parley_llm_format() output cut at a
 * stable point, e.g. the end of the transcript so far) and keeps it in the cache as the
 * prefix. A later prompt whose tokens start with all of the prefix's tokens evaluates only
 * the rest; the prefix itself is never changed by generations (they run in a forked
 * sequence, llama_memory_seq_cp, which works for hybrid/recurrent models too).
 * The prefix's last token is not cached but left to the prompt (tokenizers may merge it
 * with the text that follows), so parley_llm_prefix_tokens() is one less than the text's
 * token count and a prompt equal to the prefix text still reuses it.
 * Setting a longer text that extends the current prefix evaluates only the new tokens.
 * Otherwise the old prefix is dropped first. Blocks; computes on the worker thread.
 * stats (may be NULL) gets the counts and timings. On cancel or error the prefix is
 * empty (never half-evaluated). */
parley_status parley_llm_prefix_set(parley_llm *llm, const char *text, const parley_cancel *cancel,
                                    struct parley_llm_stats *stats);

/* Drops the cached prefix. No job may be running. */
void parley_llm_prefix_clear(parley_llm *llm);

/* Tokens currently cached as the prefix (0 = none). */
int32_t parley_llm_prefix_tokens(const parley_llm *llm);

#ifdef __cplusplus
}
#endif
#endif
