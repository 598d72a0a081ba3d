/* llm_internal.h: shared between src/llm/ files; not a public header. */
#ifndef PARLEY_LLM_INTERNAL_H
#define PARLEY_LLM_INTERNAL_H

#include "core/internal.h"

#include <parley/llm.h>

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

#endif
