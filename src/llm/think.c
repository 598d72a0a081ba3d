/* think.c: removes <think>...</think> blocks from streamed model output. Models of the
 * Qwen 3.5/3.6 family reason inside such a block; users see only the answer. Tags may be
 * split across tokens, so the few bytes that could start a tag are held back until the
 * next chunk decides. */
#include "llm/llm_internal.h"

#include <stdlib.h>
#include <string.h>

static const char open_tag[] = "<think>";
static const char close_tag[] = "</think>";

/* Length of the longest suffix of s[0..n) that is a proper prefix of tag. */
static size_t partial_tag(const char *s, size_t n, const char *tag)
{
    size_t tl = strlen(tag);
    size_t k = n < tl - 1 ? n : tl - 1;
    for (; k > 0; k--)
        if (memcmp(s + n - k, tag, k) == 0)
            return k;
    return 0;
}

static parley_status emit(parley_think_filter *f, const char *s, size_t n, parley_buf *out)
{
    if (f->skip_ws) {
        while (n && (*s == '\n' || *s == ' ' || *s == '\r' || *s == '\t')) {
            s++;
            n--;
        }
        if (!n)
            return PARLEY_OK;
        f->skip_ws = false;
    }
    return parley_buf_append(out, s, n);
}

static const char *find(const char *s, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= n; i++)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

parley_status parley_think_feed(parley_think_filter *f, const char *s, size_t len, parley_buf *out)
{
    /* Work on held + new bytes. Chunks are token pieces (tens of bytes), so a copy is cheap. */
    size_t n = f->n_held + len;
    char stackbuf[256];
    char *w = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!w)
        return parley_fail(PARLEY_ERR_NOMEM, "think filter: out of memory");
    memcpy(w, f->held, f->n_held);
    memcpy(w + f->n_held, s, len);
    f->n_held = 0;

    parley_status st = PARLEY_OK;
    size_t i = 0;
    while (i < n && st == PARLEY_OK) {
        const char *tag = f->inside ? close_tag : open_tag;
        const char *p = find(w + i, n - i, tag);
        if (p) {
            if (!f->inside)
                st = emit(f, w + i, (size_t)(p - (w + i)), out);
            i = (size_t)(p - w) + strlen(tag);
            f->inside = !f->inside;
            if (!f->inside)
                f->skip_ws = true;
            continue;
        }
        size_t k = partial_tag(w + i, n - i, tag);
        if (!f->inside)
            st = emit(f, w + i, n - i - k, out);
        memcpy(f->held, w + n - k, k);
        f->n_held = k;
        break;
    }
    if (w != stackbuf)
        free(w);
    return st;
}

parley_status parley_think_flush(parley_think_filter *f, parley_buf *out)
{
    parley_status st = PARLEY_OK;
    if (!f->inside && f->n_held)
        st = emit(f, f->held, f->n_held, out);
    f->n_held = 0;
    return st;
}
