/* catalog.c: the curated catalog (built in or overridden), the user's own models kept by
 * reference, what is on disk, and the per-device settings. */
#include "catalog/catalog_internal.h"
#include "core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

/* Hard limits on files read from outside (STYLE: bounded input). */
#define MAX_JSON_BYTES (4u << 20)
#define MAX_ENTRIES 1024

struct parley_catalog {
    char origin[PATH_MAX];
    char version[64];
    parley_model_info *entries; /* catalog entries, all of them */
    size_t n_entries;
    parley_model_info *own; /* registry of own models */
    size_t n_own, cap_own;
    const parley_model_info **visible;
    size_t n_visible;
    char models_dir[PATH_MAX];
    char registry_path[PATH_MAX];
    char settings_path[PATH_MAX];
    struct parley_device_settings settings;
    bool settings_corrupt; /* device.json could not be parsed: defaults in use (warned) */
};

int parley_stars_for_params(double p)
{
    if (p <= 0)
        return 0;
    if (p < 7e9)
        return 1;
    if (p <= 12e9)
        return 2;
    return 3;
}

const char *parley_model_state_name(parley_model_state st)
{
    switch (st) {
    case PARLEY_STATE_NOT_DOWNLOADED: return "not downloaded";
    case PARLEY_STATE_READY: return "ready";
    case PARLEY_STATE_MISSING: return "missing";
    case PARLEY_STATE_DAMAGED: return "damaged";
    }
    return "unknown";
}

static const char *feature_names[] = {"transcribe", "summary", "chat", "suggest"};

const char *parley_feature_name(parley_feature f)
{
    for (int i = 0; i < 4; i++)
        if ((unsigned)f == (1u << i))
            return feature_names[i];
    return NULL;
}

parley_feature parley_feature_from_name(const char *name)
{
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, feature_names[i]) == 0)
            return (parley_feature)(1u << i);
    return (parley_feature)0;
}

struct parley_catalog_params parley_catalog_default_params(void)
{
    struct parley_catalog_params p;
    memset(&p, 0, sizeof p);
    return p;
}

/* ---- reading JSON ---------------------------------------------------------------- */

static parley_status read_small_file(const char *path, char **data, size_t *len, bool *absent)
{
    *data = NULL;
    *len = 0;
    if (absent)
        *absent = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT && absent) {
            *absent = true;
            return PARLEY_OK;
        }
        return parley_fail(parley_status_from_errno(e), "%s: %s", path, strerror(e));
    }
    parley_buf b = {.max = MAX_JSON_BYTES};
    char chunk[65536];
    size_t n;
    parley_status st = PARLEY_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((st = parley_buf_append(&b, chunk, n)) != PARLEY_OK) {
            if (st == PARLEY_ERR_TOO_LARGE)
                parley_fail(st, "%s: larger than %u bytes", path, MAX_JSON_BYTES);
            break;
        }
    }
    if (!st && ferror(f))
        st = parley_fail(PARLEY_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    if (!b.data) { /* empty file */
        *data = calloc(1, 1);
        return *data ? PARLEY_OK : PARLEY_ERR_NOMEM;
    }
    *data = b.data;
    *len = b.len;
    return PARLEY_OK;
}

static void copy_str(char *dst, size_t n, yyjson_val *obj, const char *key)
{
    const char *s = yyjson_get_str(yyjson_obj_get(obj, key));
    snprintf(dst, n, "%s", s ? s : "");
}

static uint32_t get_u32(yyjson_val *obj, const char *key)
{
    yyjson_val *v = yyjson_obj_get(obj, key);
    if (!v || !yyjson_is_num(v))
        return 0;
    double d = yyjson_get_num(v);
    return d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static parley_status parse_entry(yyjson_val *e, size_t idx, const char *origin, parley_model_info *m)
{
    memset(m, 0, sizeof *m);
    if (!yyjson_is_obj(e))
        return parley_fail(PARLEY_ERR_FORMAT, "%s: models[%zu] is not an object", origin, idx);
    copy_str(m->id, sizeof m->id, e, "id");
    copy_str(m->label, sizeof m->label, e, "label");
    copy_str(m->arch, sizeof m->arch, e, "arch");
    copy_str(m->quant, sizeof m->quant, e, "quant");
    copy_str(m->repo, sizeof m->repo, e, "repo");
    copy_str(m->file, sizeof m->file, e, "file");
    copy_str(m->url, sizeof m->url, e, "url");
    copy_str(m->sha256, sizeof m->sha256, e, "sha256");
    copy_str(m->license, sizeof m->license, e, "license");
    const char *kind = yyjson_get_str(yyjson_obj_get(e, "kind"));
    if (!m->id[0] || !m->label[0] || !m->file[0] || !kind)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: models[%zu] lacks id, label, kind or file", origin, idx);
    if (strchr(m->file, '/') || strcmp(m->file, "..") == 0 || m->file[0] == '.')
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: file name '%s' is not a plain name", origin, m->id, m->file);
    if (strcmp(kind, "llm") == 0)
        m->kind = PARLEY_MODEL_LLM;
    else if (strcmp(kind, "speech") == 0)
        m->kind = PARLEY_MODEL_SPEECH;
    else
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: unknown kind '%s'", origin, m->id, kind);
    /* The rule that labels never carry a storage type is checked here, so a catalog that
     * breaks it is refused rather than shown. */
    if (m->quant[0] && strstr(m->label, m->quant))
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: label '%s' shows the quantisation name", origin, m->id,
                           m->label);
    if (m->kind == PARLEY_MODEL_LLM && m->arch[0] && parley_llama_arch_known(m->arch) != 1)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: architecture '%s' is not a text generator llama.cpp knows",
                           origin, m->id, m->arch);
    if (!m->url[0] && m->repo[0])
        snprintf(m->url, sizeof m->url, "https://huggingface.co/%s/resolve/main/%s", m->repo, m->file);
    yyjson_val *v = yyjson_obj_get(e, "size_bytes");
    double size = v && yyjson_is_num(v) ? yyjson_get_num(v) : 0;
    /* in range before converting (out of range is undefined behaviour): 0 .. 2^63 */
    if (!(size > 0))
        size = 0;
    if (size >= 9223372036854775808.0)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: size_bytes %g is out of range", origin, m->id, size);
    m->size_bytes = (uint64_t)size;
    m->size_exact = yyjson_get_bool(yyjson_obj_get(e, "size_exact")) && m->size_bytes > 0;
    m->archived = yyjson_get_bool(yyjson_obj_get(e, "archived"));
    m->params_total = yyjson_get_num(yyjson_obj_get(e, "params_total"));
    m->params_per_token = yyjson_get_num(yyjson_obj_get(e, "params_per_token"));
    m->hq = strncmp(m->quant, "Q8", 2) == 0;
    m->stars = m->kind == PARLEY_MODEL_LLM ? parley_stars_for_params(m->params_total) : 0;
    m->source = PARLEY_SOURCE_CATALOG;
    yyjson_val *s = yyjson_obj_get(e, "shape");
    parley_model_shape *sh = &m->shape;
#define SHAPE(f) sh->f = get_u32(s, #f)
    SHAPE(n_layer); SHAPE(n_embd); SHAPE(n_ff); SHAPE(n_head); SHAPE(n_head_kv); SHAPE(head_dim);
    SHAPE(n_vocab); SHAPE(n_ctx_train); SHAPE(full_attn_interval); SHAPE(ssm_k_heads); SHAPE(ssm_v_heads);
    SHAPE(ssm_head_dim); SHAPE(ssm_conv_kernel); SHAPE(swa_window); SHAPE(swa_period); SHAPE(n_head_kv_global);
    SHAPE(head_dim_global); SHAPE(n_layer_kv_shared); SHAPE(n_embd_per_layer); SHAPE(n_expert); SHAPE(n_expert_used); SHAPE(n_mels);
    SHAPE(n_audio_ctx); SHAPE(n_audio_state); SHAPE(n_audio_head); SHAPE(n_audio_layer); SHAPE(n_text_ctx);
    SHAPE(n_text_state); SHAPE(n_text_layer);
#undef SHAPE
    if (m->kind == PARLEY_MODEL_LLM && (!sh->n_layer || !sh->n_embd || !sh->n_head_kv || !sh->head_dim))
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: shape lacks n_layer, n_embd, n_head_kv or head_dim", origin,
                           m->id);
    if (m->kind == PARLEY_MODEL_SPEECH && (!sh->n_audio_layer || !sh->n_text_layer || !sh->n_text_state))
        return parley_fail(PARLEY_ERR_FORMAT, "%s: %s: speech shape incomplete", origin, m->id);
    return PARLEY_OK;
}

static parley_status parse_catalog(parley_catalog *cat, const char *json, size_t len, const char *origin)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)json, len, 0, NULL, &err);
    if (!doc)
        return parley_fail(PARLEY_ERR_FORMAT, "%s: not valid JSON (%s at byte %zu)", origin, err.msg, err.pos);
    parley_status st = PARLEY_OK;
    yyjson_val *root = yyjson_doc_get_root(doc);
    yyjson_val *models = yyjson_obj_get(root, "models");
    if (yyjson_get_int(yyjson_obj_get(root, "format")) != 1 || !yyjson_is_arr(models)) {
        st = parley_fail(PARLEY_ERR_FORMAT, "%s: not a Parley catalog (format 1 with a models array)", origin);
        goto out;
    }
    size_t n = yyjson_arr_size(models);
    if (n > MAX_ENTRIES) {
        st = parley_fail(PARLEY_ERR_TOO_LARGE, "%s: %zu entries (limit %d)", origin, n, MAX_ENTRIES);
        goto out;
    }
    cat->entries = calloc(n ? n : 1, sizeof *cat->entries);
    if (!cat->entries) {
        st = parley_fail(PARLEY_ERR_NOMEM, "catalog");
        goto out;
    }
    copy_str(cat->version, sizeof cat->version, root, "version");
    for (size_t i = 0; i < n; i++) {
        if ((st = parse_entry(yyjson_arr_get(models, i), i, origin, &cat->entries[i])) != PARLEY_OK)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cat->entries[j].id, cat->entries[i].id) == 0) {
                st = parley_fail(PARLEY_ERR_FORMAT, "%s: id '%s' appears twice", origin, cat->entries[i].id);
                goto out;
            }
        cat->n_entries = i + 1;
    }
out:
    yyjson_doc_free(doc);
    return st;
}

/* ---- the disk ---------------------------------------------------------------------- */

static void check_catalog_file(const parley_catalog *cat, parley_model_info *m)
{
    m->state_reason[0] = '\0';
    int n = snprintf(m->path, sizeof m->path, "%s/%s", cat->models_dir, m->file);
    if (n < 0 || (size_t)n >= sizeof m->path) { /* parley_catalog_open bounds models_dir: not expected */
        m->state = PARLEY_STATE_DAMAGED;
        snprintf(m->state_reason, sizeof m->state_reason, "the models directory's path is too long");
        return;
    }
    struct stat sb;
    if (stat(m->path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        m->state = PARLEY_STATE_NOT_DOWNLOADED;
        return;
    }
    if (m->size_exact && (uint64_t)sb.st_size != m->size_bytes) {
        m->state = PARLEY_STATE_DAMAGED;
        snprintf(m->state_reason, sizeof m->state_reason,
                 "%.300s is %lld bytes, the published file is %llu (incomplete or replaced)", m->path,
                 (long long)sb.st_size, (unsigned long long)m->size_bytes);
        return;
    }
    m->state = PARLEY_STATE_READY;
}

/* Re-reads an own model's file; on failure keeps the registry's id, label and path and
 * records why it cannot be used. */
static void check_own(parley_model_info *m)
{
    parley_model_info fresh;
    parley_status st = parley_model_read_gguf(m->path, &fresh);
    if (st != PARLEY_OK) {
        m->state = PARLEY_STATE_MISSING;
        if (st == PARLEY_ERR_NOT_FOUND)
            snprintf(m->state_reason, sizeof m->state_reason, "the file is no longer at %.400s (moved or deleted)",
                     m->path);
        else
            snprintf(m->state_reason, sizeof m->state_reason, "%s", parley_last_error());
        parley_clear_error();
        return;
    }
    char id[sizeof m->id], label[sizeof m->label];
    memcpy(id, m->id, sizeof id);
    memcpy(label, m->label, sizeof label);
    *m = fresh;
    memcpy(m->id, id, sizeof id);
    memcpy(m->label, label, sizeof label);
}

static parley_status rebuild_visible(parley_catalog *cat)
{
    free(cat->visible);
    cat->n_visible = 0;
    cat->visible = calloc(cat->n_entries + cat->n_own + 1, sizeof *cat->visible);
    if (!cat->visible)
        return parley_fail(PARLEY_ERR_NOMEM, "catalog");
    for (size_t i = 0; i < cat->n_entries; i++) {
        const parley_model_info *m = &cat->entries[i];
        if (m->archived && m->state == PARLEY_STATE_NOT_DOWNLOADED)
            continue; /* archived and deleted: gone from every list */
        cat->visible[cat->n_visible++] = m;
    }
    for (size_t i = 0; i < cat->n_own; i++)
        cat->visible[cat->n_visible++] = &cat->own[i];
    return PARLEY_OK;
}

parley_status parley_catalog_refresh(parley_catalog *cat)
{
    if (!cat)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no catalog");
    for (size_t i = 0; i < cat->n_entries; i++)
        check_catalog_file(cat, &cat->entries[i]);
    for (size_t i = 0; i < cat->n_own; i++)
        check_own(&cat->own[i]);
    return rebuild_visible(cat);
}

/* ---- registry and settings files --------------------------------------------------- */

static parley_status own_append(parley_catalog *cat, const parley_model_info *m)
{
    if (cat->n_own >= MAX_ENTRIES)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "more than %d own models", MAX_ENTRIES);
    if (cat->n_own == cat->cap_own) {
        size_t cap = cat->cap_own ? cat->cap_own * 2 : 8;
        parley_model_info *p = realloc(cat->own, cap * sizeof *p);
        if (!p)
            return parley_fail(PARLEY_ERR_NOMEM, "own models");
        cat->own = p;
        cat->cap_own = cap;
    }
    cat->own[cat->n_own++] = *m;
    return PARLEY_OK;
}

static parley_status load_registry(parley_catalog *cat)
{
    char *json;
    size_t len;
    bool absent;
    parley_status st = read_small_file(cat->registry_path, &json, &len, &absent);
    if (st || absent)
        return st;
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts(json, len, 0, NULL, &err);
    if (!doc) {
        free(json);
        return parley_fail(PARLEY_ERR_FORMAT, "%s: not valid JSON (%s at byte %zu)", cat->registry_path, err.msg,
                           err.pos);
    }
    yyjson_val *models = yyjson_obj_get(yyjson_doc_get_root(doc), "models");
    if (!yyjson_is_arr(models)) {
        st = parley_fail(PARLEY_ERR_FORMAT, "%s: no models array", cat->registry_path);
        goto out;
    }
    size_t idx, max;
    yyjson_val *e;
    yyjson_arr_foreach(models, idx, max, e)
    {
        parley_model_info m;
        memset(&m, 0, sizeof m);
        copy_str(m.id, sizeof m.id, e, "id");
        copy_str(m.label, sizeof m.label, e, "label");
        copy_str(m.path, sizeof m.path, e, "path");
        if (!m.id[0] || m.path[0] != '/') {
            st = parley_fail(PARLEY_ERR_FORMAT, "%s: models[%zu] lacks an id or an absolute path", cat->registry_path,
                             idx);
            goto out;
        }
        m.kind = PARLEY_MODEL_LLM;
        m.source = PARLEY_SOURCE_OWN;
        if ((st = own_append(cat, &m)) != PARLEY_OK)
            goto out;
    }
out:
    yyjson_doc_free(doc);
    free(json);
    return st;
}

static parley_status mkdirs_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return PARLEY_OK;
    *slash = '\0';
    return parley_mkdirs(dir);
}

static parley_status write_json(const char *path, yyjson_mut_doc *doc)
{
    size_t len;
    yyjson_write_err err;
    char *text = yyjson_mut_write_opts(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL, &len, &err);
    if (!text)
        return parley_fail(PARLEY_ERR_NOMEM, "%s: %s", path, err.msg);
    parley_status st = mkdirs_parent(path);
    if (!st)
        st = parley_write_file_atomic(path, text, len);
    free(text);
    return st;
}

static parley_status save_registry(const parley_catalog *cat)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "registry");
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_int(doc, root, "format", 1);
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "models");
    for (size_t i = 0; i < cat->n_own; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_strcpy(doc, o, "id", cat->own[i].id);
        yyjson_mut_obj_add_strcpy(doc, o, "label", cat->own[i].label);
        yyjson_mut_obj_add_strcpy(doc, o, "path", cat->own[i].path);
    }
    parley_status st = write_json(cat->registry_path, doc);
    yyjson_mut_doc_free(doc);
    return st;
}

static parley_status load_settings(parley_catalog *cat)
{
    struct parley_device_settings *s = &cat->settings;
    memset(s, 0, sizeof *s);
    s->local_features = PARLEY_FEATURE_ALL;
    char *json;
    size_t len;
    bool absent;
    parley_status st = read_small_file(cat->settings_path, &json, &len, &absent);
    if (st || absent)
        return st;
    yyjson_read_err rerr;
    yyjson_doc *doc = yyjson_read_opts(json, len, 0, NULL, &rerr);
    free(json);
    if (!doc || !yyjson_is_obj(yyjson_doc_get_root(doc))) {
        yyjson_doc_free(doc);
        /* Nothing in device.json is irreplaceable (two model ids and four switches), and
         * refusing here would also refuse the commands that rewrite it. So: defaults, a
         * warning naming the file, and the next 'models use' / 'models local' replaces it. */
        cat->settings_corrupt = true;
        parley_log(PARLEY_LOG_WARN,
                   "%s is damaged (%s); using the default settings. 'parley models use ID' or "
                   "'parley models local ...' rewrites it, or delete the file",
                   cat->settings_path, doc ? "not a settings object" : rerr.msg);
        return PARLEY_OK;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    copy_str(s->llm_model, sizeof s->llm_model, root, "llm_model");
    copy_str(s->speech_model, sizeof s->speech_model, root, "speech_model");
    yyjson_val *local = yyjson_obj_get(root, "local_features");
    if (yyjson_is_arr(local)) {
        s->local_features = 0;
        size_t i, max;
        yyjson_val *v;
        yyjson_arr_foreach(local, i, max, v) s->local_features |= parley_feature_from_name(yyjson_get_str(v));
    }
    yyjson_doc_free(doc);
    return PARLEY_OK;
}

static parley_status save_settings(const parley_catalog *cat)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "settings");
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_str(doc, root, "comment", "per-device settings: never synced");
    yyjson_mut_obj_add_strcpy(doc, root, "llm_model", cat->settings.llm_model);
    yyjson_mut_obj_add_strcpy(doc, root, "speech_model", cat->settings.speech_model);
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "local_features");
    for (int i = 0; i < 4; i++)
        if (cat->settings.local_features & (1u << i))
            yyjson_mut_arr_add_str(doc, arr, feature_names[i]);
    parley_status st = write_json(cat->settings_path, doc);
    yyjson_mut_doc_free(doc);
    return st;
}

/* ---- open / free ------------------------------------------------------------------- */

static parley_status dir_or(const char *given, parley_dir which, const char *leaf, char *out, size_t n)
{
    if (given && *given) {
        if (snprintf(out, n, "%s", given) >= (int)n)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", given);
        return PARLEY_OK;
    }
    char base[PATH_MAX];
    parley_status st = parley_dir_path(which, base, sizeof base);
    if (st)
        return st;
    if (snprintf(out, n, "%s%s%s", base, leaf ? "/" : "", leaf ? leaf : "") >= (int)n)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long under %s", base);
    return PARLEY_OK;
}

parley_status parley_catalog_open(const struct parley_catalog_params *params, parley_catalog **out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output pointer");
    *out = NULL;
    struct parley_catalog_params p = params ? *params : parley_catalog_default_params();
    parley_catalog *cat = calloc(1, sizeof *cat);
    if (!cat)
        return parley_fail(PARLEY_ERR_NOMEM, "catalog");
    parley_status st;
    /* room for "/<file name>" (file names are at most 127 bytes) after the directory */
    if ((st = dir_or(p.models_dir, PARLEY_DIR_MODELS, NULL, cat->models_dir, sizeof cat->models_dir - 129)) ||
        (st = dir_or(p.registry_path, PARLEY_DIR_DATA, "models.json", cat->registry_path, sizeof cat->registry_path)) ||
        (st = dir_or(p.settings_path, PARLEY_DIR_CONFIG, "device.json", cat->settings_path,
                     sizeof cat->settings_path)))
        goto fail;

    char override[PATH_MAX] = "";
    if (!p.builtin_only &&
        (st = dir_or(p.catalog_path, PARLEY_DIR_CONFIG, "catalog.json", override, sizeof override)))
        goto fail;
    char *json = NULL;
    size_t len = 0;
    bool absent = true;
    if (override[0]) {
        if ((st = read_small_file(override, &json, &len, p.catalog_path ? NULL : &absent)))
            goto fail;
        if (p.catalog_path)
            absent = false;
    }
    if (!absent) {
        snprintf(cat->origin, sizeof cat->origin, "%s", override);
        st = parse_catalog(cat, json, len, override);
        free(json);
    } else {
        snprintf(cat->origin, sizeof cat->origin, "built-in");
        st = parse_catalog(cat, parley_catalog_builtin_json, parley_catalog_builtin_json_len, "built-in catalog");
    }
    if (st || (st = load_registry(cat)) || (st = load_settings(cat)) || (st = parley_catalog_refresh(cat)))
        goto fail;
    *out = cat;
    return PARLEY_OK;
fail:
    parley_catalog_free(cat);
    return st;
}

void parley_catalog_free(parley_catalog *cat)
{
    if (!cat)
        return;
    free(cat->entries);
    free(cat->own);
    free(cat->visible);
    free(cat);
}

size_t parley_catalog_count(const parley_catalog *cat) { return cat ? cat->n_visible : 0; }

const parley_model_info *parley_catalog_get(const parley_catalog *cat, size_t i)
{
    return cat && i < cat->n_visible ? cat->visible[i] : NULL;
}

const parley_model_info *parley_catalog_find(const parley_catalog *cat, const char *id)
{
    for (size_t i = 0; cat && id && i < cat->n_visible; i++)
        if (strcmp(cat->visible[i]->id, id) == 0)
            return cat->visible[i];
    return NULL;
}

const char *parley_catalog_origin(const parley_catalog *cat) { return cat ? cat->origin : ""; }
const char *parley_catalog_version(const parley_catalog *cat) { return cat ? cat->version : ""; }

/* ---- own models -------------------------------------------------------------------- */

static void make_own_id(const parley_catalog *cat, const char *file, char *out, size_t n)
{
    char slug[48];
    size_t k = 0;
    for (const char *p = file; *p && k + 1 < sizeof slug; p++) {
        if (strcmp(p, ".gguf") == 0)
            break;
        unsigned char c = (unsigned char)*p;
        char ch = isalnum(c) || c == '.' ? (char)tolower(c) : '-';
        if (ch == '-' && (k == 0 || slug[k - 1] == '-'))
            continue;
        slug[k++] = ch;
    }
    while (k && slug[k - 1] == '-')
        k--;
    slug[k] = '\0';
    for (int i = 1;; i++) {
        if (i == 1)
            snprintf(out, n, "own-%s", slug[0] ? slug : "model");
        else
            snprintf(out, n, "own-%s-%d", slug[0] ? slug : "model", i);
        bool taken = false;
        for (size_t j = 0; j < cat->n_own && !taken; j++)
            taken = strcmp(cat->own[j].id, out) == 0;
        for (size_t j = 0; j < cat->n_entries && !taken; j++)
            taken = strcmp(cat->entries[j].id, out) == 0;
        if (!taken)
            return;
    }
}

parley_status parley_catalog_add_own(parley_catalog *cat, const char *path, const parley_model_info **out)
{
    if (out)
        *out = NULL;
    if (!cat || !path || !*path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no path given");
    char abs[PATH_MAX];
    if (!realpath(path, abs)) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "%s: %s", path, strerror(e));
    }
    for (size_t i = 0; i < cat->n_own; i++) {
        if (strcmp(cat->own[i].path, abs) == 0) {
            if (out)
                *out = &cat->own[i];
            return PARLEY_OK;
        }
    }
    parley_model_info m;
    parley_status st = parley_model_read_gguf(abs, &m);
    if (st)
        return st;
    /* The loader's other check: a template llama.cpp cannot use means the tasks need a
     * template name. Not a refusal (that is a working set-up), but said now, not later. */
    char why[1200];
    if (parley_model_template_usable(abs, why, sizeof why) == PARLEY_ERR_NO_TEMPLATE)
        parley_log(PARLEY_LOG_WARN, "%s", why);
    parley_clear_error();
    make_own_id(cat, m.file, m.id, sizeof m.id);
    if ((st = own_append(cat, &m)) != PARLEY_OK)
        return st;
    if ((st = save_registry(cat)) != PARLEY_OK) {
        cat->n_own--; /* not stored: not added */
        rebuild_visible(cat); /* own_append may have moved the array */
        return st;
    }
    if ((st = rebuild_visible(cat)) != PARLEY_OK)
        return st;
    if (out)
        *out = &cat->own[cat->n_own - 1];
    return PARLEY_OK;
}

parley_status parley_catalog_remove(parley_catalog *cat, const char *id, bool *deleted_file)
{
    if (deleted_file)
        *deleted_file = false;
    if (!cat || !id)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no model id");
    parley_status st = PARLEY_OK;
    bool found = false;
    for (size_t i = 0; i < cat->n_own; i++) {
        if (strcmp(cat->own[i].id, id) != 0)
            continue;
        parley_model_info saved = cat->own[i];
        memmove(&cat->own[i], &cat->own[i + 1], (cat->n_own - i - 1) * sizeof *cat->own);
        cat->n_own--;
        if ((st = save_registry(cat)) != PARLEY_OK) { /* keep memory and file in step */
            memmove(&cat->own[i + 1], &cat->own[i], (cat->n_own - i) * sizeof *cat->own);
            cat->own[i] = saved;
            cat->n_own++;
            return st;
        }
        found = true;
        break;
    }
    if (!found) {
        parley_model_info *m = NULL;
        for (size_t i = 0; i < cat->n_entries; i++)
            if (strcmp(cat->entries[i].id, id) == 0)
                m = &cat->entries[i];
        if (!m)
            return parley_fail(PARLEY_ERR_NOT_FOUND, "no model with id '%s'", id);
        if (m->state == PARLEY_STATE_NOT_DOWNLOADED) {
            /* an interrupted download's partial file is all there is to remove */
            char part[PATH_MAX];
            if (parley_fetch_part_path(m->path, part, sizeof part) == PARLEY_OK && unlink(part) == 0) {
                if (deleted_file)
                    *deleted_file = true;
                return rebuild_visible(cat);
            }
            return parley_fail(PARLEY_ERR_NOT_FOUND, "%s is not downloaded (nothing to remove)", id);
        }
        if (unlink(m->path) != 0) {
            int e = errno;
            return parley_fail(parley_status_from_errno(e), "cannot delete %s: %s", m->path, strerror(e));
        }
        if (deleted_file)
            *deleted_file = true;
        check_catalog_file(cat, m);
    }
    struct parley_device_settings *s = &cat->settings;
    if (strcmp(s->llm_model, id) == 0 || strcmp(s->speech_model, id) == 0) {
        if (strcmp(s->llm_model, id) == 0)
            s->llm_model[0] = '\0';
        else
            s->speech_model[0] = '\0';
        if ((st = save_settings(cat)) != PARLEY_OK)
            return st;
    }
    return rebuild_visible(cat);
}

/* ---- downloads --------------------------------------------------------------------- */

parley_status parley_catalog_pull(parley_catalog *cat, const char *id, const struct parley_fetch_params *fetch_params,
                                  struct parley_fetch_result *result)
{
    if (!cat || !id)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no model id");
    parley_model_info *m = NULL;
    for (size_t i = 0; i < cat->n_entries; i++)
        if (strcmp(cat->entries[i].id, id) == 0)
            m = &cat->entries[i];
    if (!m) {
        for (size_t i = 0; i < cat->n_own; i++)
            if (strcmp(cat->own[i].id, id) == 0)
                return parley_fail(PARLEY_ERR_INVALID_ARG, "%s is your own model: there is nothing to download", id);
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no catalog model with id '%s'", id);
    }
    if (m->archived)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "%s is archived: it can no longer be downloaded", id);
    if (!m->repo[0])
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "%s has no download address in the catalog", id);
    if (!m->sha256[0] && !m->size_exact)
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "%s: the catalog has neither a SHA-256 nor an exact size for %s, "
                           "so a download could not be verified; place the file in %s yourself", id, m->file,
                           cat->models_dir);
    char url[2048];
    parley_status st = parley_fetch_model_url(NULL, m->repo, m->file, url, sizeof url);
    if (st)
        return st;
    struct parley_fetch_params fp = fetch_params ? *fetch_params : parley_fetch_default_params();
    fp.sha256 = m->sha256[0] ? m->sha256 : NULL;
    fp.expected_size = m->size_exact ? m->size_bytes : 0;
    char dest[PATH_MAX];
    if (snprintf(dest, sizeof dest, "%s/%s", cat->models_dir, m->file) >= (int)sizeof dest)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long under %s", cat->models_dir);
    if ((st = parley_fetch_file(url, dest, &fp, result)) != PARLEY_OK) {
        check_catalog_file(cat, m);
        rebuild_visible(cat);
        return st;
    }
    if (m->kind == PARLEY_MODEL_LLM) {
        parley_model_info got;
        parley_status vst = parley_model_read_gguf(dest, &got);
        if (vst == PARLEY_OK && m->arch[0] && strcmp(got.arch, m->arch) != 0)
            vst = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s: the file is a '%s' model, the catalog says '%s'", dest,
                              got.arch, m->arch);
        if (vst != PARLEY_OK) {
            char why[1024];
            snprintf(why, sizeof why, "%s", parley_last_error());
            unlink(dest); /* verified bytes, but not the model we promised: do not keep it */
            check_catalog_file(cat, m);
            rebuild_visible(cat);
            return parley_fail(vst, "downloaded %s was deleted: %s", m->file, why);
        }
    }
    check_catalog_file(cat, m);
    return rebuild_visible(cat);
}

/* ---- settings ---------------------------------------------------------------------- */

void parley_catalog_settings(const parley_catalog *cat, struct parley_device_settings *out)
{
    if (!out)
        return;
    if (!cat) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = cat->settings;
}

parley_status parley_catalog_use(parley_catalog *cat, const char *id)
{
    if (!cat || !id)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no model id");
    const parley_model_info *m = parley_catalog_find(cat, id);
    if (!m)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no model with id '%s' (see 'parley models')", id);
    switch (m->state) {
    case PARLEY_STATE_READY: break;
    case PARLEY_STATE_NOT_DOWNLOADED:
        return parley_fail(PARLEY_ERR_NOT_FOUND, "%s is not downloaded yet ('parley models pull %s')", id, id);
    case PARLEY_STATE_MISSING: return parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: %s", id, m->state_reason);
    case PARLEY_STATE_DAMAGED: return parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: %s", id, m->state_reason);
    }
    struct parley_device_settings old = cat->settings;
    char *slot = m->kind == PARLEY_MODEL_SPEECH ? cat->settings.speech_model : cat->settings.llm_model;
    snprintf(slot, sizeof cat->settings.llm_model, "%s", id);
    parley_status st = save_settings(cat);
    if (st)
        cat->settings = old;
    return st;
}

parley_status parley_local_feature_allowed(parley_feature feature, const char *settings_path)
{
    const char *name = parley_feature_name(feature);
    if (!name)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown feature %d", (int)feature);
    parley_catalog *cat = calloc(1, sizeof *cat);
    if (!cat)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_status st = dir_or(settings_path, PARLEY_DIR_CONFIG, "device.json", cat->settings_path,
                              sizeof cat->settings_path);
    if (!st)
        st = load_settings(cat);
    if (!st && !(cat->settings.local_features & (unsigned)feature))
        st = parley_fail(PARLEY_ERR_UNSUPPORTED,
                         "%s is switched off on this device (%s); 'parley models local %s=on' switches it on", name,
                         cat->settings_path, name);
    free(cat);
    return st;
}

parley_status parley_catalog_set_local_features(parley_catalog *cat, unsigned features)
{
    if (!cat || (features & ~(unsigned)PARLEY_FEATURE_ALL))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown feature bits 0x%x", features);
    unsigned old = cat->settings.local_features;
    cat->settings.local_features = features;
    parley_status st = save_settings(cat);
    if (st)
        cat->settings.local_features = old;
    return st;
}
