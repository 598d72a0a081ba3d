/* settings.c: the app settings file (settings.h): <config>/settings.json, read leniently
 * about unknown keys and strictly about the ones it knows, written atomically. */
#include <parley/json.h>
#include <parley/settings.h>

#include "core/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char *const battery_names[] = {"normal", "saver", "pause"};

const char *parley_battery_mode_name(parley_battery_mode m)
{
    return (unsigned)m < 3 ? battery_names[m] : "normal";
}

int parley_battery_mode_from_name(const char *name)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, battery_names[i]) == 0)
            return i;
    return -1;
}

struct parley_settings parley_settings_default(void)
{
    struct parley_settings s;
    memset(&s, 0, sizeof s);
    s.auto_suggestions = true;
    s.battery = PARLEY_BATTERY_SAVER;
    return s;
}

static parley_status default_path(const char *path, char *out, size_t n)
{
    if (path) {
        if (strlen(path) >= n)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "settings path too long");
        strcpy(out, path);
        return PARLEY_OK;
    }
    char dir[PATH_MAX];
    parley_status st = parley_dir_path(PARLEY_DIR_CONFIG, dir, sizeof dir);
    if (st)
        return st;
    if ((size_t)snprintf(out, n, "%s/settings.json", dir) >= n)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "settings path too long");
    return PARLEY_OK;
}

static bool valid_language(const char *l)
{
    size_t n = strlen(l);
    if (n == 0)
        return true;
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (l[i] < 'a' || l[i] > 'z')
            return false;
    return true;
}

static parley_status check(const struct parley_settings *s)
{
    if ((unsigned)s->battery > PARLEY_BATTERY_PAUSE)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "settings: battery mode %d is not normal, saver or pause",
                           (int)s->battery);
    if (memchr(s->vocabulary, '\0', sizeof s->vocabulary) == NULL)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "settings: vocabulary is not terminated");
    if (memchr(s->output_language, '\0', sizeof s->output_language) == NULL || !valid_language(s->output_language))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "settings: output_language must be an ISO 639-1 code such as \"en\" or \"de\", or \"\"");
    return PARLEY_OK;
}

parley_status parley_settings_apply_json(const char *json, size_t len, struct parley_settings *inout)
{
    yyjson_read_err err;
    yyjson_doc *d = yyjson_read_opts((char *)json, len, 0, NULL, &err);
    if (!d)
        return parley_fail(PARLEY_ERR_FORMAT, "settings: not JSON: %s at byte %zu", err.msg, err.pos);
    struct parley_settings s = *inout;
    parley_status st = PARLEY_OK;
    yyjson_val *root = yyjson_doc_get_root(d), *v;
    if (!yyjson_is_obj(root)) {
        st = parley_fail(PARLEY_ERR_FORMAT, "settings: not a JSON object");
        goto out;
    }
    if ((v = yyjson_obj_get(root, "auto_suggestions"))) {
        if (!yyjson_is_bool(v)) {
            st = parley_fail(PARLEY_ERR_FORMAT, "settings: auto_suggestions must be true or false");
            goto out;
        }
        s.auto_suggestions = yyjson_get_bool(v);
    }
    if ((v = yyjson_obj_get(root, "battery"))) {
        int m = parley_battery_mode_from_name(yyjson_get_str(v));
        if (m < 0) {
            st = parley_fail(PARLEY_ERR_FORMAT, "settings: battery must be \"normal\", \"saver\" or \"pause\"");
            goto out;
        }
        s.battery = (parley_battery_mode)m;
    }
    if ((v = yyjson_obj_get(root, "vocabulary"))) {
        /* An array of terms (or one string, one term per line). */
        char buf[PARLEY_SETTINGS_VOCAB_MAX];
        size_t used = 0;
        buf[0] = '\0';
        if (yyjson_is_str(v)) {
            if (yyjson_get_len(v) >= sizeof buf) {
                st = parley_fail(PARLEY_ERR_FORMAT, "settings: vocabulary longer than %d bytes",
                                 PARLEY_SETTINGS_VOCAB_MAX - 1);
                goto out;
            }
            memcpy(buf, yyjson_get_str(v), yyjson_get_len(v) + 1);
        } else if (yyjson_is_arr(v)) {
            size_t i, max;
            yyjson_val *t;
            yyjson_arr_foreach(v, i, max, t)
            {
                if (!yyjson_is_str(t) || memchr(yyjson_get_str(t), '\n', yyjson_get_len(t))) {
                    st = parley_fail(PARLEY_ERR_FORMAT, "settings: vocabulary terms must be strings of one line");
                    goto out;
                }
                size_t n = yyjson_get_len(t);
                if (n == 0)
                    continue;
                if (used + n + 2 > sizeof buf) {
                    st = parley_fail(PARLEY_ERR_FORMAT, "settings: vocabulary longer than %d bytes",
                                     PARLEY_SETTINGS_VOCAB_MAX - 1);
                    goto out;
                }
                if (used)
                    buf[used++] = '\n';
                memcpy(buf + used, yyjson_get_str(t), n);
                used += n;
                buf[used] = '\0';
            }
        } else {
            st = parley_fail(PARLEY_ERR_FORMAT, "settings: vocabulary must be a list of terms");
            goto out;
        }
        memcpy(s.vocabulary, buf, sizeof buf);
    }
    if ((v = yyjson_obj_get(root, "output_language"))) {
        const char *l = yyjson_get_str(v);
        if (!l || strlen(l) >= sizeof s.output_language || !valid_language(l)) {
            st = parley_fail(PARLEY_ERR_FORMAT,
                             "settings: output_language must be an ISO 639-1 code such as \"en\", or \"\"");
            goto out;
        }
        strcpy(s.output_language, l);
    }
    *inout = s;
out:
    yyjson_doc_free(d);
    return st;
}

parley_status parley_settings_load(const char *path, struct parley_settings *out)
{
    char p[PATH_MAX];
    parley_status st = default_path(path, p, sizeof p);
    if (st)
        return st;
    *out = parley_settings_default();
    FILE *f = fopen(p, "rb");
    if (!f) {
        if (errno == ENOENT)
            return PARLEY_OK;
        return parley_fail(parley_status_from_errno(errno), "%s: %s", p, strerror(errno));
    }
    char buf[64 * 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    bool more = !feof(f);
    fclose(f);
    if (more)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: larger than %zu bytes", p, sizeof buf);
    struct parley_settings s = *out;
    st = parley_settings_apply_json(buf, n, &s);
    if (st)
        return parley_fail(st, "%s: %s", p, parley_last_error());
    *out = s;
    return PARLEY_OK;
}

parley_status parley_settings_save(const char *path, const struct parley_settings *s)
{
    parley_status st = check(s);
    if (st)
        return st;
    char p[PATH_MAX];
    if ((st = default_path(path, p, sizeof p)))
        return st;
    char dir[PATH_MAX];
    strcpy(dir, p);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if ((st = parley_mkdirs(dir)))
            return st;
    }
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "settings");
    yyjson_mut_val *root = parley_json_settings(doc, s);
    if (root)
        yyjson_mut_obj_add_int(doc, root, "format", 1);
    yyjson_mut_doc_set_root(doc, root);
    size_t len;
    char *text = root ? yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &len) : NULL;
    yyjson_mut_doc_free(doc);
    if (!text)
        return parley_fail(PARLEY_ERR_NOMEM, "settings");
    st = parley_write_file_atomic(p, text, len);
    free(text);
    return st;
}

void parley_settings_vocabulary_line(const struct parley_settings *s, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return;
    size_t k = 0;
    const char *p = s ? s->vocabulary : "";
    bool sep = false;
    while (*p && k + 1 < out_size) {
        size_t len = strcspn(p, "\r\n");
        const char *a = p, *b = p + len; /* one term, trimmed */
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            if (sep && k + 2 < out_size) {
                out[k++] = ',';
                out[k++] = ' ';
            }
            size_t n = (size_t)(b - a) < out_size - 1 - k ? (size_t)(b - a) : out_size - 1 - k;
            memcpy(out + k, a, n);
            k += n;
            sep = true;
        }
        p += len;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    out[k] = 0;
}
