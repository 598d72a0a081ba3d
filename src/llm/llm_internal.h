/* llm_internal.h: shared between src/llm/ files; not a public header. */
#ifndef PARLEY_LLM_INTERNAL_H
#define PARLEY_LLM_INTERNAL_H

#include "core/internal.h"

#include <parley/llm.h>

#include <llama.h>

/* PARLEY_ERR_MODEL_ARCH when path is a GGUF of an architecture that does not generate
 * text (BERT and other encoders, embedders, TTS); PARLEY_OK otherwise (gguf_check.c). */
parley_status parley_llm_check_generates(const char *path);

/* The <think> filter: removes <think>...</think> from a stream of text chunks, holding
 * back only the few bytes that could be the start of a tag. */
typedef struct parley_think_filter {
    bool inside;       /* between <think> and </think> */
    bool skip_ws;      /* drop whitespace right after </think> */
    char held[16];     /* bytes that may start a tag */
    size_t n_held;
} parley_think_filter;

/* Feeds len bytes; visible text is appended to out. */
parley_status parley_think_feed(parley_think_filter *f, const char *s, size_t len, parley_buf *out);
/* End of stream: releases held bytes that turned out not to be a tag. */
parley_status parley_think_flush(parley_think_filter *f, parley_buf *out);

/* The on-disk prefix state cache (state_cache.c). */
typedef struct parley_llm_model_key {
    unsigned char h[32]; /* SHA-256 of the model's path, size, mtime and extra */
} parley_llm_model_key;
parley_status parley_llm_model_key_init(parley_llm_model_key *k, const char *path, const char *extra);
/* PARLEY_OK: seq now holds toks[0..n)'s state. Else a miss (nothing changed; a bad file is
 * logged and removed). Does not set parley_last_error for a miss. */
/* Whether a state file for exactly these tokens is there (not whether it checks out). */
bool parley_llm_state_exists(const char *dir, const parley_llm_model_key *mk, const int32_t *toks, int32_t n);
parley_status parley_llm_state_load(struct llama_context *ctx, llama_seq_id seq, const char *dir,
                                    const parley_llm_model_key *mk, const int32_t *toks, int32_t n);
/* Best effort: failures are logged. Evicts the oldest files to stay within max_bytes. */
void parley_llm_state_save(struct llama_context *ctx, llama_seq_id seq, const char *dir, uint64_t max_bytes,
                           const parley_llm_model_key *mk, const int32_t *toks, int32_t n);
void parley_llm_state_evict(const char *dir, uint64_t max_bytes, const char *keep);

#endif
