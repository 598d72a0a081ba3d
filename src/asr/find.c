/* find.c: where model files are looked for: the models directory, then $PARLEY_MODEL_PATH. */
#include <parley/asr.h>

#include "catalog/lookup.h"
#include "core/internal.h"

#include <dirent.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* snprintf that reports truncation (a too-long path is simply not a match). */
static bool fmt_path(char *out, size_t n, const char *fmt, ...) PARLEY_PRINTF(3, 4);
static bool fmt_path(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    return w >= 0 && (size_t)w < n;
}

static parley_status put(char *out, size_t n, const char *path)
{
    if (!fmt_path(out, n, "%s", path))
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", path);
    return PARLEY_OK;
}

/* Newest silero file in dir: versions compare as numbers (v10 after v6.2.0), not as
 * strings. */
static bool find_silero(const char *dir, char *best, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    char name[NAME_MAX + 1] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "ggml-silero", 11) == 0 && strstr(e->d_name, ".bin") &&
            (!*name || strverscmp(e->d_name, name) > 0))
            snprintf(name, sizeof name, "%s", e->d_name);
    }
    closedir(d);
    if (!*name)
        return false;
    return fmt_path(best, n, "%s/%s", dir, name);
}

parley_status parley_model_find(const char *kind, const char *spec, char *out, size_t out_size)
{
    if (!kind || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "kind and out are required");
    bool vad = strcmp(kind, "vad") == 0;
    if (!vad && strcmp(kind, "whisper") != 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown model kind '%s'", kind);
    if (spec && strlen(spec) >= PATH_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "%s model path too long (%zu characters; the limit is %d)",
                           vad ? "VAD" : "speech", strlen(spec), PATH_MAX - 1);
    if (spec && *spec && (strchr(spec, '/') || parley_is_file(spec))) {
        if (!parley_is_file(spec))
            return parley_fail(PARLEY_ERR_NOT_FOUND, "%s model %s: no such file", vad ? "VAD" : "speech", spec);
        char abs[PATH_MAX];
        return put(out, out_size, realpath(spec, abs) ? abs : spec);
    }
    if (!vad) {
        /* A catalog id ("whisper-base"), or this device's chosen speech model. */
        bool done = false;
        parley_status st = parley_catalog_lookup(PARLEY_MODEL_SPEECH, spec, out, out_size, &done);
        if (done || st)
            return st;
    }
    char dirs[8][PATH_MAX];
    size_t nd = parley_model_search_dirs(dirs, 8);
    char cand[PATH_MAX];
    /* Largest first; an English-only model after the multilingual one of its size. */
    static const char *defaults[] = {"large-v3-turbo", "large-v3", "large-v2", "large-v1", "large", "medium",
                                     "medium.en", "small", "small.en", "base", "base.en", "tiny", "tiny.en"};
    for (size_t i = 0; i < nd; i++) {
        if (vad) {
            if (spec && *spec) {
                if (fmt_path(cand, sizeof cand, "%s/ggml-%s.bin", dirs[i], spec) && parley_is_file(cand))
                    return put(out, out_size, cand);
            } else if (find_silero(dirs[i], cand, sizeof cand)) {
                return put(out, out_size, cand);
            }
            continue;
        }
        if (spec && *spec) {
            if (fmt_path(cand, sizeof cand, "%s/ggml-%s.bin", dirs[i], spec) && parley_is_file(cand))
                return put(out, out_size, cand);
            if (fmt_path(cand, sizeof cand, "%s/%s", dirs[i], spec) && parley_is_file(cand))
                return put(out, out_size, cand);
            continue;
        }
        for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++) {
            if (fmt_path(cand, sizeof cand, "%s/ggml-%s.bin", dirs[i], defaults[k]) && parley_is_file(cand))
                return put(out, out_size, cand);
        }
    }
    char where[2048] = "";
    for (size_t i = 0; i < nd; i++) {
        size_t l = strlen(where);
        snprintf(where + l, sizeof where - l, "%s%.600s", i ? ", " : "", dirs[i]);
    }
    if (vad)
        return parley_fail(PARLEY_ERR_NOT_FOUND,
                           "no Silero VAD model (ggml-silero-*.bin) in %s; pass --vad-model PATH, or --no-vad "
                           "(without VAD, silence can produce invented text)",
                           where);
    if (spec && *spec)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no speech model '%s' (looked for ggml-%s.bin in %s)", spec, spec,
                           where);
    return parley_fail(PARLEY_ERR_NOT_FOUND,
                       "no speech model found in %s; pass --model PATH or put a whisper.cpp model "
                       "(ggml-base.bin, ...) there",
                       where);
}
