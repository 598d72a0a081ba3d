/* config.c: the team servers the user named, in <config>/remotes.json:
 *
 *     {"default": "team", "remotes": [{"name": "team", "url": "http://10.0.0.5:8080",
 *                                       "token_file": "/home/me/.config/parley/team.token"}]}
 *
 * Read whole, changed in memory, written atomically. */
#include "core/internal.h"
#include "remote/remote_internal.h"

#include <parley/remote.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static parley_status config_file(const char *given, char *out, size_t n)
{
    if (given) {
        if (snprintf(out, n, "%s", given) >= (int)n)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "configuration path too long");
        return PARLEY_OK;
    }
    parley_status st = parley_dir_path(PARLEY_DIR_CONFIG, out, n - 16);
    if (st)
        return st;
    strcat(out, "/remotes.json");
    return PARLEY_OK;
}

static bool name_ok(const char *name)
{
    if (!name || !*name || strlen(name) >= sizeof ((parley_remote_info *)0)->name)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return false;
    return true;
}

/* Reads the whole file; a missing file is an empty list. */
static parley_status load(const char *path, parley_remote_info **out, size_t *n, char *def, size_t def_size)
{
    *out = NULL;
    *n = 0;
    def[0] = '\0';
    if (!parley_is_file(path))
        return PARLEY_OK;
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_file(path, 0, NULL, &err);
    if (!doc)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: not valid JSON (%s at byte %zu)", path, err.msg, err.pos);
    yyjson_val *root = yyjson_doc_get_root(doc);
    yyjson_val *arr = yyjson_obj_get(root, "remotes");
    if (!yyjson_is_obj(root) || (arr && !yyjson_is_arr(arr))) {
        yyjson_doc_free(doc);
        return parley_fail(PARLEY_ERR_FORMAT, "%s: expected {\"remotes\": [...]}", path);
    }
    const char *d = yyjson_get_str(yyjson_obj_get(root, "default"));
    snprintf(def, def_size, "%s", d ? d : "");
    size_t count = arr ? yyjson_arr_size(arr) : 0;
    parley_remote_info *list = count ? calloc(count, sizeof *list) : NULL;
    if (count && !list) {
        yyjson_doc_free(doc);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    size_t i = 0, max, idx;
    yyjson_val *v;
    yyjson_arr_foreach(arr, idx, max, v) {
        const char *name = yyjson_get_str(yyjson_obj_get(v, "name"));
        const char *url = yyjson_get_str(yyjson_obj_get(v, "url"));
        const char *tok = yyjson_get_str(yyjson_obj_get(v, "token_file"));
        if (!name_ok(name) || !url || strlen(url) >= sizeof list[i].url || (tok && strlen(tok) >= sizeof list[i].token_file)) {
            free(list);
            yyjson_doc_free(doc);
            return parley_fail(PARLEY_ERR_FORMAT, "%s: entry %zu needs a valid \"name\" and \"url\"", path, idx + 1);
        }
        snprintf(list[i].name, sizeof list[i].name, "%s", name);
        snprintf(list[i].url, sizeof list[i].url, "%s", url);
        snprintf(list[i].token_file, sizeof list[i].token_file, "%s", tok ? tok : "");
        list[i].is_default = strcmp(name, def) == 0;
        i++;
    }
    yyjson_doc_free(doc);
    *out = list;
    *n = i;
    return PARLEY_OK;
}

static parley_status save(const char *path, const parley_remote_info *list, size_t n, const char *def)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    if (def && *def)
        yyjson_mut_obj_add_strcpy(doc, root, "default", def);
    else
        yyjson_mut_obj_add_null(doc, root, "default");
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "remotes");
    for (size_t i = 0; i < n; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_strcpy(doc, o, "name", list[i].name);
        yyjson_mut_obj_add_strcpy(doc, o, "url", list[i].url);
        if (list[i].token_file[0])
            yyjson_mut_obj_add_strcpy(doc, o, "token_file", list[i].token_file);
    }
    size_t len;
    char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &len);
    yyjson_mut_doc_free(doc);
    if (!text)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    parley_status st = PARLEY_OK;
    if (slash && slash != dir) {
        *slash = '\0';
        st = parley_mkdirs(dir);
    }
    if (!st)
        st = parley_write_file_atomic(path, text, len);
    free(text);
    return st;
}

parley_status parley_remote_add(const char *config_path, const char *name, const char *url, const char *token_file)
{
    if (!name_ok(name))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "'%s' is not a usable server name (letters, digits, '-', '_', "
                           "'.'; at most 63)", name ? name : "");
    struct parley_remote_url u;
    parley_status st = parley_remote_parse_url(url, &u);
    if (st)
        return st;
    char abs_tok[PATH_MAX] = "";
    if (token_file && *token_file) {
        if (!parley_is_file(token_file))
            return parley_fail(PARLEY_ERR_NOT_FOUND, "token file %s: no such file", token_file);
        if (!realpath(token_file, abs_tok) || strlen(abs_tok) >= sizeof ((parley_remote_info *)0)->token_file)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "token file %s: cannot resolve its path", token_file);
    }
    char path[PATH_MAX], def[64];
    if ((st = config_file(config_path, path, sizeof path)))
        return st;
    parley_remote_info *list;
    size_t n;
    if ((st = load(path, &list, &n, def, sizeof def)))
        return st;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0) {
            free(list);
            return parley_fail(PARLEY_ERR_INVALID_ARG, "a server named '%s' exists already (remove it first)", name);
        }
    parley_remote_info *grown = realloc(list, (n + 1) * sizeof *grown);
    if (!grown) {
        free(list);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    list = grown;
    memset(&list[n], 0, sizeof list[n]);
    snprintf(list[n].name, sizeof list[n].name, "%s", name);
    snprintf(list[n].url, sizeof list[n].url, "%s", url);
    if ((size_t)snprintf(list[n].token_file, sizeof list[n].token_file, "%s", abs_tok) >= sizeof list[n].token_file) {
        free(list);
        return parley_fail(PARLEY_ERR_TOO_LARGE, "the token file's path is longer than %zu bytes",
                           sizeof list[n].token_file - 1);
    }
    st = save(path, list, n + 1, def);
    free(list);
    return st;
}

parley_status parley_remote_remove(const char *config_path, const char *name)
{
    char path[PATH_MAX], def[64];
    parley_status st = config_file(config_path, path, sizeof path);
    if (st)
        return st;
    parley_remote_info *list;
    size_t n;
    if ((st = load(path, &list, &n, def, sizeof def)))
        return st;
    size_t k = n;
    for (size_t i = 0; i < n; i++)
        if (name && strcmp(list[i].name, name) == 0)
            k = i;
    if (k == n) {
        free(list);
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no server named '%s' (parley remote list)", name ? name : "");
    }
    memmove(&list[k], &list[k + 1], (n - k - 1) * sizeof *list);
    st = save(path, list, n - 1, strcmp(def, name) == 0 ? NULL : def);
    free(list);
    return st;
}

parley_status parley_remote_set_default(const char *config_path, const char *name)
{
    char path[PATH_MAX], def[64];
    parley_status st = config_file(config_path, path, sizeof path);
    if (st)
        return st;
    parley_remote_info *list;
    size_t n;
    if ((st = load(path, &list, &n, def, sizeof def)))
        return st;
    bool found = name == NULL;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(list[i].name, name) == 0;
    if (!found) {
        free(list);
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no server named '%s' (parley remote list)", name);
    }
    st = save(path, list, n, name);
    free(list);
    return st;
}

parley_status parley_remote_list(const char *config_path, parley_remote_info **out, size_t *n)
{
    if (!out || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    char path[PATH_MAX], def[64];
    parley_status st = config_file(config_path, path, sizeof path);
    if (st)
        return st;
    return load(path, out, n, def, sizeof def);
}

parley_status parley_remote_get(const char *config_path, const char *name, parley_remote_info *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    parley_remote_info *list;
    size_t n;
    parley_status st = parley_remote_list(config_path, &list, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        if (name ? strcmp(list[i].name, name) == 0 : list[i].is_default) {
            *out = list[i];
            free(list);
            return PARLEY_OK;
        }
    free(list);
    if (name)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no server named '%s' (parley remote list)", name);
    return parley_fail(PARLEY_ERR_NOT_FOUND, "no default server set (parley remote default NAME)");
}
