/* buf.c: a bounded growable buffer; anything that grows from outside input goes here. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARLEY_BUF_DEFAULT_MAX ((size_t)64 << 20)

parley_status parley_buf_append(parley_buf *b, const void *data, size_t n)
{
    size_t max = b->max ? b->max : PARLEY_BUF_DEFAULT_MAX;
    if (n > max || b->len > max - n)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "buffer would exceed its limit of %zu bytes", max);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *d = realloc(b->data, cap);
        if (!d)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory growing a buffer to %zu bytes", cap);
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PARLEY_OK;
}

parley_status parley_buf_printf(parley_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "bad format string");
    if ((size_t)n < sizeof small)
        return parley_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    parley_status st = parley_buf_append(b, big, (size_t)n);
    free(big);
    return st;
}

void parley_buf_free(parley_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
