/* url.c: model URLs ("<base>/<repo>/resolve/main/<file>", Hugging Face's layout) and the
 * partial-download path. */
#include <parley/fetch.h>

#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Repository and file names are restricted to characters that need no URL escaping, so the
 * URL we build is exactly the one a person would type; anything else is refused rather than
 * escaped, because a catalog entry with such a name is a mistake worth seeing. */
static bool url_part_ok(const char *s, bool want_slash)
{
    if (!s || !*s || *s == '/' || s[strlen(s) - 1] == '/')
        return false;
    bool slash = false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '/';
        if (!ok)
            return false;
        if (c == '/') {
            if (p[1] == '/')
                return false;
            slash = true;
        }
    }
    /* ".." as a whole path component would climb out of the repository. */
    for (const char *p = s; (p = strstr(p, "..")) != NULL; p += 2) {
        bool starts = p == s || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/';
        if (starts && ends)
            return false;
    }
    return want_slash ? slash : true;
}

parley_status parley_fetch_model_url(const char *base, const char *repo, const char *file,
                                     char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output buffer for the model URL");
    out[0] = '\0';
    if (!base || !*base) {
        const char *env = getenv("PARLEY_MODEL_BASE_URL");
        base = env && *env ? env : PARLEY_FETCH_DEFAULT_BASE_URL;
    }
    if (strncasecmp(base, "http://", 7) != 0 && strncasecmp(base, "https://", 8) != 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "model base URL \"%s\" must start with http:// or https://", base);
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (!url_part_ok(repo, true))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "repository \"%s\" is not of the form owner/name (letters, digits, "
                           "- _ . only)", repo ? repo : "(null)");
    if (!url_part_ok(file, false))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "file name \"%s\" may hold only letters, digits, - _ . and /",
                           file ? file : "(null)");
    int n = snprintf(out, out_size, "%.*s/%s/resolve/main/%s", (int)blen, base, repo, file);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return parley_fail(PARLEY_ERR_TOO_LARGE, "model URL longer than %zu bytes", out_size - 1);
    }
    return PARLEY_OK;
}

parley_status parley_fetch_part_path(const char *dest_path, char *out, size_t out_size)
{
    if (!dest_path || !*dest_path || !out || out_size == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no destination path");
    int n = snprintf(out, out_size, "%s.part", dest_path);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s.part", dest_path);
    }
    return PARLEY_OK;
}
