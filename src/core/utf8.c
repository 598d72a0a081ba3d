/* utf8.c: UTF-8 validation and repair (invalid bytes -> U+FFFD). Linux file names and
 * whisper's token-boundary text are bytes; JSON and the store want valid UTF-8. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

/* Length of the well-formed sequence at p (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF), or 0 when the byte at p starts none. */
static size_t seq_len(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (left < k || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

bool parley_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = seq_len(u + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

char *parley_utf8_repair(const char *s, size_t n, size_t *out_len)
{
    if (!s)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t k = seq_len(u + i, n - i);
        bad += !k;
        i += k ? k : 1;
    }
    if (bad > (SIZE_MAX - n - 1) / 2)
        return NULL;
    char *o = malloc(n + 2 * bad + 1);
    if (!o)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t k = seq_len(u + i, n - i);
        if (!k) {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        } else {
            memcpy(o + w, s + i, k);
            w += k;
            i += k;
        }
    }
    o[w] = '\0';
    if (out_len)
        *out_len = w;
    return o;
}
