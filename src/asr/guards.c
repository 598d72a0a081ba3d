/* guards.c: tests for text whisper invents on noise or silence, shared by streams
 * (stream.c) and the live pipeline's utterances (asr.c, drop_invented). */
#include "asr/asr_internal.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Lower-case letters and digits, words separated by one space. */
char *parley_asr_normalise(const char *t)
{
    size_t n = strlen(t);
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (isalnum(*p) || *p >= 0x80) {
            if (space && k)
                o[k++] = ' ';
            space = false;
            o[k++] = (char)tolower(*p);
        } else {
            space = true;
        }
    }
    o[k] = '\0';
    return o;
}

/* Whether a normalised text is mostly one phrase said again and again ("thank you thank
 * you thank you ..."), whisper's typical loop on noise: a run of at least 3 repeats of
 * an n-gram (n <= 4; 5 repeats for single words) covering 80 % of the words. */
bool parley_asr_is_loop(const char *norm)
{
    const char *w[256];
    size_t lens[256], nw = 0;
    for (const char *p = norm; *p && nw < 256;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        w[nw] = p;
        lens[nw++] = l;
        p += l;
        while (*p == ' ')
            p++;
    }
    if (nw < 3)
        return false;
    for (size_t n = 1; n <= 4; n++) {
        for (size_t start = 0; start + 2 * n <= nw; start++) {
            size_t reps = 1;
            for (size_t at = start + n; at + n <= nw; at += n) {
                bool same = true;
                for (size_t k = 0; k < n && same; k++)
                    same = lens[start + k] == lens[at + k] && memcmp(w[start + k], w[at + k], lens[at + k]) == 0;
                if (!same)
                    break;
                reps++;
            }
            if (reps >= (n == 1 ? 5u : 3u) && reps * n * 10 >= nw * 8)
                return true;
        }
    }
    return false;
}


const char *parley_asr_invented(const char *text, float no_speech_prob, float confidence, float nsp_threshold)
{
    if (nsp_threshold <= 0)
        nsp_threshold = PARLEY_ASR_NO_SPEECH;
    if (no_speech_prob > nsp_threshold && confidence >= 0 && confidence < PARLEY_ASR_LOW_CONFIDENCE)
        return "no speech";
    char *norm = parley_asr_normalise(text);
    bool loop = norm && parley_asr_is_loop(norm);
    free(norm);
    return loop ? "a phrase repeated over and over" : NULL;
}
