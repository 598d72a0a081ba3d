/* fuzz_export: the transcript renderers (src/transcript/transcript.c): TXT, SRT, VTT, JSON
 * and Markdown from a transcript built out of the input. Layout of the input: lines; the
 * first is the title, the second the source path, then per segment "t0 t1 speaker|text"
 * (speaker may be empty). Bytes are taken as they come (invalid UTF-8, control bytes,
 * '<', '-->' ...). The JSON rendering must always parse and be valid UTF-8. */
#include "fuzz_util.h"

#include <parley/transcript.h>

#include <yyjson.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

static char *dup_n(const uint8_t *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    size_t line = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        const uint8_t *s = data + start;
        size_t n = i - start;
        start = i + 1;
        if (memchr(s, 0, n))
            n = (const uint8_t *)memchr(s, 0, n) - s; /* C strings end at NUL */
        if (line == 0)
            t.title = dup_n(s, n);
        else if (line == 1)
            t.source_path = dup_n(s, n);
        else if (t.n_segments < 512) {
            char *l = dup_n(s, n);
            if (!l)
                break;
            long long a = 0, b = 0;
            int used = 0;
            if (sscanf(l, "%lld %lld %n", &a, &b, &used) == 2) {
                char *text = l + used, *bar = strchr(text, '|');
                const char *speaker = NULL;
                if (bar) {
                    *bar = '\0';
                    speaker = *text ? text : NULL;
                    text = bar + 1;
                }
                parley_transcript_add(&t, a, b, text, speaker, (float)(a % 100) / 100.0f);
            }
            free(l);
        }
        line++;
    }
    t.duration_s = t.n_segments ? (double)t.segments[t.n_segments - 1].t1_ms / 1000.0 : 0;
    for (int f = PARLEY_FORMAT_TXT; f <= PARLEY_FORMAT_MD; f++) {
        char *out = NULL;
        size_t len = 0;
        parley_status st = parley_transcript_export(&t, (parley_format)f, &out, &len);
        if (st == PARLEY_OK) {
            if (!out || strlen(out) != len)
                __builtin_trap(); /* NUL-terminated, length right */
            if (f == PARLEY_FORMAT_JSON) {
                if (!parley_utf8_valid(out, len))
                    __builtin_trap();
                yyjson_doc *doc = yyjson_read(out, len, 0);
                if (!doc)
                    __builtin_trap(); /* the JSON rendering must parse */
                yyjson_doc_free(doc);
            }
            free(out);
        } else if (st != PARLEY_ERR_TOO_LARGE && st != PARLEY_ERR_NOMEM) {
            __builtin_trap(); /* a valid transcript renders */
        }
    }
    parley_transcript_free(&t);
    return 0;
}
