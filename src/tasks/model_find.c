/* model_find.c: which GGUF file an LLM --model PATH|ID means. One function, so that it
 * can defer to the model catalog (catalog.h) once that lands, without callers changing. */
#include <parley/tasks.h>

#include "core/internal.h"

#include "catalog/lookup.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

parley_status parley_llm_model_find(const char *spec, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_model_find: no output buffer");
    out[0] = '\0';
    if (spec && *spec && (strchr(spec, '/') || parley_is_file(spec))) {
        struct stat sb;
        if (stat(spec, &sb) != 0)
            return parley_fail(PARLEY_ERR_NOT_FOUND, "LLM %s: no such file", spec);
        if (S_ISDIR(sb.st_mode))
            return parley_fail(PARLEY_ERR_INVALID_ARG,
                               "LLM %s is a directory, not a model file: give the .gguf file (or a model id from "
                               "'parley models')",
                               spec);
        if (!S_ISREG(sb.st_mode))
            return parley_fail(PARLEY_ERR_INVALID_ARG,
                               "LLM %s is not a regular file (a device, pipe or socket), not a .gguf model file",
                               spec);
        char abs[PATH_MAX];
        const char *p = realpath(spec, abs) ? abs : spec;
        if ((size_t)snprintf(out, out_size, "%s", p) >= out_size)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", p);
        return PARLEY_OK;
    }
    /* A catalog or own-model id (or, with no spec, this device's chosen model). */
    bool done = false;
    parley_status st = parley_catalog_lookup(PARLEY_MODEL_LLM, spec, out, out_size, &done);
    if (done || st)
        return st;
    /* The search path: the models directory first, then $PARLEY_MODEL_PATH. */
    char dirs[8][PATH_MAX];
    size_t nd = parley_model_search_dirs(dirs, 8);
    char where[2048] = "", cand[PATH_MAX + 300];
    for (size_t i = 0; i < nd; i++) {
        size_t l = strlen(where);
        snprintf(where + l, sizeof where - l, "%s%.600s", i ? ", " : "", dirs[i]);
    }
    if (spec && *spec) {
        for (size_t i = 0; i < nd; i++) {
            const char *forms[2] = {"%s/%s.gguf", "%s/%s"};
            for (int k = 0; k < 2; k++) {
                if (k == 0 && ends_with(spec, ".gguf"))
                    continue;
                int w = snprintf(cand, sizeof cand, forms[k], dirs[i], spec);
                if (w < 0 || (size_t)w >= sizeof cand) /* too long to be a file here */
                    continue;
                if (parley_is_file(cand)) {
                    if ((size_t)snprintf(out, out_size, "%s", cand) >= out_size)
                        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", cand);
                    return PARLEY_OK;
                }
            }
        }
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no LLM '%s' (looked for %s.gguf in %s)", spec, spec, where);
    }
    /* No spec: the one .gguf there is; with several, the user chooses (no guessing). */
    int found = 0;
    char names[1024] = "";
    for (size_t i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!ends_with(e->d_name, ".gguf"))
                continue;
            snprintf(cand, sizeof cand, "%.3800s/%.255s", dirs[i], e->d_name);
            if (!parley_is_file(cand))
                continue;
            if (found++ == 0 && (size_t)snprintf(out, out_size, "%s", cand) >= out_size)
                out[0] = '\0';
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", e->d_name);
        }
        closedir(d);
    }
    if (found == 1 && out[0])
        return PARLEY_OK;
    out[0] = '\0';
    if (found == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no LLM (.gguf) found in %s; pass --model PATH|ID", where);
    return parley_fail(PARLEY_ERR_INVALID_ARG, "several LLMs in %s (%s); choose one with --model", where, names);
}
