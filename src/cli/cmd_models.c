/* cmd_models.c: `parley models`: the model picker (catalog + own models, scored for
 * this machine), adding and removing models, and this device's choice. */
#include "cli.h"

#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/hw.h>

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

void cli_hw_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_hw *hw); /* cmd_hw.c */

static const char *usage =
    "parley models [list] [--json] [--ctx TOKENS] [--no-measure]\n"
    "       parley models add PATH [--json]      register a GGUF of your own (kept where it is)\n"
    "       parley models rm ID                  delete a downloaded model / unregister your own\n"
    "       parley models use ID                 choose the model this device runs\n"
    "       parley models local [FEATURE=on|off ...] [--json]   which features run on this device\n"
    "       parley models pull ID                download a catalog model";

static void print_json(yyjson_mut_doc *doc)
{
    char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
    if (text) {
        printf("%s\n", text);
        free(text);
    }
}

static void fmt_gb(char *out, size_t n, uint64_t bytes)
{
    if (bytes == 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.1f GB", (double)bytes / 1e9);
}

static const char *kind_name(parley_model_kind k) { return k == PARLEY_MODEL_SPEECH ? "speech" : "llm"; }

static void model_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_model_info *m)
{
    yyjson_mut_obj_add_strcpy(doc, o, "id", m->id);
    yyjson_mut_obj_add_strcpy(doc, o, "label", m->label);
    yyjson_mut_obj_add_str(doc, o, "kind", kind_name(m->kind));
    yyjson_mut_obj_add_str(doc, o, "source", m->source == PARLEY_SOURCE_OWN ? "own" : "catalog");
    yyjson_mut_obj_add_strcpy(doc, o, "arch", m->arch);
    yyjson_mut_obj_add_int(doc, o, "stars", m->stars);
    yyjson_mut_obj_add_bool(doc, o, "archived", m->archived);
    yyjson_mut_obj_add_str(doc, o, "state", parley_model_state_name(m->state));
    if (m->state_reason[0])
        yyjson_mut_obj_add_strcpy(doc, o, "state_reason", m->state_reason);
    yyjson_mut_obj_add_strcpy(doc, o, "path", m->path);
    yyjson_mut_obj_add_uint(doc, o, "size_bytes", m->size_bytes);
    yyjson_mut_obj_add_uint(doc, o, "n_layer", m->kind == PARLEY_MODEL_SPEECH
                                                   ? m->shape.n_audio_layer + m->shape.n_text_layer
                                                   : m->shape.n_layer);
    yyjson_mut_obj_add_real(doc, o, "params_total", m->params_total);
    if (m->url[0])
        yyjson_mut_obj_add_strcpy(doc, o, "url", m->url);
    if (m->license[0])
        yyjson_mut_obj_add_strcpy(doc, o, "license", m->license);
}

static void fit_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_fit *f)
{
    yyjson_mut_val *fo = yyjson_mut_obj_add_obj(doc, o, "fit");
    static const char *levels[] = {"wont", "tight", "great"};
    yyjson_mut_obj_add_str(doc, fo, "level", levels[f->level]);
    yyjson_mut_obj_add_strcpy(doc, fo, "label", f->label);
    yyjson_mut_obj_add_bool(doc, fo, "slow", f->slow);
    yyjson_mut_obj_add_str(doc, fo, "placement", parley_placement_name(f->placement));
    yyjson_mut_obj_add_uint(doc, fo, "n_gpu_layers", f->n_gpu_layers);
    yyjson_mut_obj_add_uint(doc, fo, "ram_bytes", f->ram_bytes);
    yyjson_mut_obj_add_uint(doc, fo, "vram_bytes", f->vram_bytes);
    if (f->tokens_per_s > 0)
        yyjson_mut_obj_add_real(doc, fo, "tokens_per_s", f->tokens_per_s);
    else
        yyjson_mut_obj_add_null(doc, fo, "tokens_per_s");
    /* speech models: times real time on this machine (null = unknown or not speech) */
    if (f->realtime_x > 0)
        yyjson_mut_obj_add_real(doc, fo, "realtime_x", f->realtime_x);
    else
        yyjson_mut_obj_add_null(doc, fo, "realtime_x");
    yyjson_mut_obj_add_bool(doc, fo, "keeps_up_live", f->keeps_up_live);
    yyjson_mut_obj_add_strcpy(doc, fo, "reason", f->reason);
    yyjson_mut_val *mo = yyjson_mut_obj_add_obj(doc, fo, "memory");
    yyjson_mut_obj_add_uint(doc, mo, "weights", f->mem.weights);
    yyjson_mut_obj_add_uint(doc, mo, "kv", f->mem.kv);
    yyjson_mut_obj_add_uint(doc, mo, "state", f->mem.state);
    yyjson_mut_obj_add_uint(doc, mo, "compute", f->mem.compute);
    yyjson_mut_obj_add_uint(doc, mo, "total", f->mem.total);
}

static const char *stars_text(int n)
{
    static const char *s[] = {"", "\u2605", "\u2605\u2605", "\u2605\u2605\u2605"};
    return n >= 0 && n <= 3 ? s[n] : "";
}

/* One kind's table (LLMs or speech models): scored, sorted, with the Recommended mark. */
struct section {
    const parley_model_info **models;
    parley_fit *fits;
    size_t *order;
    size_t n;
    int recommended;
    bool blocked;
    char blocking[400];
};

static parley_status build_section(const parley_catalog *cat, parley_model_kind kind, const parley_hw *hw,
                                   const struct parley_fit_params *fp, struct section *s)
{
    memset(s, 0, sizeof *s);
    s->recommended = -1;
    size_t total = parley_catalog_count(cat);
    s->models = calloc(total + 1, sizeof *s->models);
    s->fits = calloc(total + 1, sizeof *s->fits);
    s->order = calloc(total + 1, sizeof *s->order);
    if (!s->models || !s->fits || !s->order)
        return PARLEY_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        const parley_model_info *m = parley_catalog_get(cat, i);
        if (m->kind != kind)
            continue;
        s->models[s->n] = m;
        s->fits[s->n] = parley_fit_model(m, hw, fp);
        s->n++;
    }
    s->recommended = parley_fit_rank(s->models, s->fits, s->n, s->order);
    s->blocked = parley_fit_blocking_reason(hw, s->fits, s->n, s->blocking, sizeof s->blocking);
    return PARLEY_OK;
}

static void free_section(struct section *s)
{
    free(s->models);
    free(s->fits);
    free(s->order);
}

static void print_section(const char *title, const struct section *s, const char *selected, bool speech)
{
    printf("%s\n", title);
    if (s->blocked) {
        printf("  %s\n\n", s->blocking);
        return;
    }
    printf("  %-24s %-24s %-5s %-18s %7s %9s %9s  %s\n", "ID", "MODEL", "STARS", "FIT", speech ? "SPEED" : "TOK/S",
           "RAM", "VRAM", "STATE");
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->order[k];
        const parley_model_info *m = s->models[i];
        const parley_fit *f = &s->fits[i];
        char tps[16], ram[16], vram[16];
        if (f->tokens_per_s > 0)
            snprintf(tps, sizeof tps, "%.1f", f->tokens_per_s);
        else if (f->realtime_x > 0) /* times real time; "!" = cannot keep up with a live meeting */
            snprintf(tps, sizeof tps, "%.1fx%s", f->realtime_x, f->keeps_up_live ? "" : "!");
        else
            snprintf(tps, sizeof tps, "-");
        fmt_gb(ram, sizeof ram, f->ram_bytes);
        fmt_gb(vram, sizeof vram, f->vram_bytes);
        /* Stars are multi-byte: pad by hand so the columns line up. */
        char stars[32];
        snprintf(stars, sizeof stars, "%s%*s", stars_text(m->stars), 5 - m->stars, "");
        char state[160];
        snprintf(state, sizeof state, "%s%s%s%s", parley_model_state_name(m->state),
                 m->source == PARLEY_SOURCE_OWN ? ", own" : "", m->archived ? ", archived" : "",
                 selected && strcmp(selected, m->id) == 0 ? ", in use" : "");
        printf("%s %-24s %-24s %s %-18s %7s %9s %9s  %s%s\n", (int)i == s->recommended ? "*" : " ", m->id, m->label,
               stars, f->label, tps, ram, vram, state, (int)i == s->recommended ? "  (Recommended)" : "");
        if (m->state_reason[0])
            printf("  %-24s %s\n", "", m->state_reason);
    }
    printf("\n");
}

static void section_to_json(yyjson_mut_doc *doc, yyjson_mut_val *root, const char *key, const char *rec_key,
                            const char *block_key, const struct section *s)
{
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, key);
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->order[k];
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        model_to_json(doc, o, s->models[i]);
        yyjson_mut_obj_add_bool(doc, o, "recommended", (int)i == s->recommended);
        fit_to_json(doc, o, &s->fits[i]);
    }
    if (s->recommended >= 0)
        yyjson_mut_obj_add_strcpy(doc, root, rec_key, s->models[s->recommended]->id);
    else
        yyjson_mut_obj_add_null(doc, root, rec_key);
    if (s->blocked)
        yyjson_mut_obj_add_strcpy(doc, root, block_key, s->blocking);
    else
        yyjson_mut_obj_add_null(doc, root, block_key);
}

static int open_catalog(parley_catalog **cat)
{
    struct parley_catalog_params cp = parley_catalog_default_params();
    parley_status st = parley_catalog_open(&cp, cat);
    return st ? cli_error(st, "model catalog") : 0;
}

static int models_list(int argc, char **argv)
{
    bool json = false;
    struct parley_fit_params fp = parley_fit_default_params();
    struct parley_hw_params hp = parley_hw_default_params();
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_flag(argv[i], "--no-measure"))
            hp.measure_bandwidth = false;
        else if (cli_opt(argc, argv, &i, "--ctx", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || n < 512 || n > 1048576)
                return cli_usage_error(usage, "--ctx wants a token count from 512 to 1048576");
            fp.n_ctx = (uint32_t)n;
        } else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    parley_hw hw;
    parley_status st = parley_hw_probe(&hp, &hw);
    if (st) {
        parley_catalog_free(cat);
        return cli_error(st, "hardware probe");
    }
    struct parley_device_settings set;
    parley_catalog_settings(cat, &set);
    struct section llm, speech;
    /* Both zeroed first: when the first build fails, freeing the second is safe (review bug 6). */
    memset(&llm, 0, sizeof llm);
    memset(&speech, 0, sizeof speech);
    if (build_section(cat, PARLEY_MODEL_LLM, &hw, &fp, &llm) || build_section(cat, PARLEY_MODEL_SPEECH, &hw, &fp,
                                                                              &speech)) {
        free_section(&llm);
        free_section(&speech);
        parley_catalog_free(cat);
        return cli_error(PARLEY_ERR_NOMEM, "models");
    }
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        yyjson_mut_obj_add_uint(doc, root, "context_tokens", fp.n_ctx);
        yyjson_mut_val *co = yyjson_mut_obj_add_obj(doc, root, "catalog");
        yyjson_mut_obj_add_strcpy(doc, co, "origin", parley_catalog_origin(cat));
        yyjson_mut_obj_add_strcpy(doc, co, "version", parley_catalog_version(cat));
        cli_hw_to_json(doc, yyjson_mut_obj_add_obj(doc, root, "hardware"), &hw);
        section_to_json(doc, root, "models", "recommended", "blocking_reason", &llm);
        section_to_json(doc, root, "speech_models", "recommended_speech", "speech_blocking_reason", &speech);
        yyjson_mut_val *so = yyjson_mut_obj_add_obj(doc, root, "settings");
        yyjson_mut_obj_add_strcpy(doc, so, "llm_model", set.llm_model);
        yyjson_mut_obj_add_strcpy(doc, so, "speech_model", set.speech_model);
        yyjson_mut_val *lf = yyjson_mut_obj_add_arr(doc, so, "local_features");
        for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
            if (set.local_features & b)
                yyjson_mut_arr_add_str(doc, lf, parley_feature_name((parley_feature)b));
        print_json(doc);
        yyjson_mut_doc_free(doc);
    } else {
        char title[256];
        const char *where = hw.n_gpus ? hw.gpus[0].description : "CPU only";
        snprintf(title, sizeof title, "Language models (context %u tokens, about %.0f h of meeting; %.1f GB RAM, %s)",
                 fp.n_ctx, fp.n_ctx / 16000.0, (double)hw.ram_total / 1e9, where);
        print_section(title, &llm, set.llm_model, false);
        print_section("Speech models (SPEED: times real time on this machine; ! = too slow to keep up with a live "
                      "meeting)", &speech, set.speech_model, true);
        printf("Catalog: %s (%s). Fit thresholds and formulas: docs/fit.md.\n", parley_catalog_origin(cat),
               parley_catalog_version(cat));
    }
    free_section(&llm);
    free_section(&speech);
    parley_catalog_free(cat);
    return 0;
}

static int models_add(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
    }
    if (!path)
        return cli_usage_error(usage, "models add needs the path of a GGUF file");
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    const parley_model_info *m;
    parley_status st = parley_catalog_add_own(cat, path, &m);
    if (st) {
        parley_catalog_free(cat);
        return cli_error(st, "models add");
    }
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        model_to_json(doc, root, m);
        print_json(doc);
        yyjson_mut_doc_free(doc);
    } else {
        printf("added %s: %s (%s, %u layers), used in place at %s\n", m->id, m->label, m->arch, m->shape.n_layer,
               m->path);
    }
    parley_catalog_free(cat);
    return 0;
}

static int models_rm(int argc, char **argv)
{
    if (argc != 1)
        return cli_usage_error(usage, "models rm needs exactly one model id");
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    bool deleted = false;
    parley_status st = parley_catalog_remove(cat, argv[0], &deleted);
    parley_catalog_free(cat);
    if (st)
        return cli_error(st, "models rm");
    printf(deleted ? "deleted %s\n" : "unregistered %s (your file was left where it is)\n", argv[0]);
    return 0;
}

static int models_use(int argc, char **argv)
{
    if (argc != 1)
        return cli_usage_error(usage, "models use needs exactly one model id");
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    parley_status st = parley_catalog_use(cat, argv[0]);
    parley_catalog_free(cat);
    if (st)
        return cli_error(st, "models use");
    printf("this device now uses %s\n", argv[0]);
    return 0;
}

static int models_local(int argc, char **argv)
{
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    struct parley_device_settings s;
    parley_catalog_settings(cat, &s);
    unsigned f = s.local_features;
    bool json = false, set_any = false;
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv[i], "--json")) {
            json = true;
            continue;
        }
        char name[32];
        const char *eq = strchr(argv[i], '=');
        size_t n = eq ? (size_t)(eq - argv[i]) : 0;
        if (!eq || n >= sizeof name || (strcmp(eq + 1, "on") != 0 && strcmp(eq + 1, "off") != 0)) {
            parley_catalog_free(cat);
            return cli_usage_error(usage, "'%s': expected FEATURE=on or FEATURE=off", argv[i]);
        }
        memcpy(name, argv[i], n);
        name[n] = '\0';
        parley_feature bit = parley_feature_from_name(name);
        if (!bit) {
            parley_catalog_free(cat);
            return cli_usage_error(usage, "unknown feature '%s' (transcribe, summary, chat, suggest)", name);
        }
        f = strcmp(eq + 1, "on") == 0 ? f | bit : f & ~(unsigned)bit;
        set_any = true;
    }
    if (set_any) { /* also when nothing changes: it rewrites a damaged device.json */
        parley_status st = parley_catalog_set_local_features(cat, f);
        if (st) {
            parley_catalog_free(cat);
            return cli_error(st, "models local");
        }
    }
    parley_catalog_free(cat);
    if (json) { /* {"local_features": [names switched on], "transcribe": true, ...} */
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
        if (!root) {
            yyjson_mut_doc_free(doc);
            return cli_error(PARLEY_ERR_NOMEM, "models local");
        }
        yyjson_mut_doc_set_root(doc, root);
        yyjson_mut_val *lf = yyjson_mut_obj_add_arr(doc, root, "local_features");
        for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
            if (f & b)
                yyjson_mut_arr_add_str(doc, lf, parley_feature_name((parley_feature)b));
        for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
            yyjson_mut_obj_add_bool(doc, root, parley_feature_name((parley_feature)b), (f & b) != 0);
        print_json(doc);
        yyjson_mut_doc_free(doc);
        return 0;
    }
    for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
        printf("%-11s %s\n", parley_feature_name((parley_feature)b), f & b ? "local" : "off");
    return 0;
}

static bool pull_progress(const parley_fetch_progress *p, void *ud)
{
    cli_progress *bar = ud;
    if (p->total > 0)
        cli_progress_update(bar, (double)p->done / (double)p->total);
    return !parley_cancel_is_set(cli_cancel);
}

static int models_pull(int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-')
        return cli_usage_error(usage, "models pull needs exactly one model id");
    parley_catalog *cat;
    int rc = open_catalog(&cat);
    if (rc)
        return rc;
    const parley_model_info *m = parley_catalog_find(cat, argv[0]);
    if (m && m->state == PARLEY_STATE_READY) {
        printf("%s is already downloaded: %s\n", m->id, m->path);
        parley_catalog_free(cat);
        return 0;
    }
    char label[160];
    snprintf(label, sizeof label, "downloading %s", m ? m->label : argv[0]);
    cli_progress bar;
    cli_progress_start(&bar, label, 0);
    struct parley_fetch_params fp = parley_fetch_default_params();
    fp.progress = pull_progress;
    fp.progress_user_data = &bar;
    fp.cancel = cli_cancel;
    struct parley_fetch_result res;
    memset(&res, 0, sizeof res);
    parley_status st = parley_catalog_pull(cat, argv[0], &fp, &res);
    cli_progress_done(&bar);
    if (st) {
        parley_catalog_free(cat);
        return cli_error(st, "models pull");
    }
    m = parley_catalog_find(cat, argv[0]);
    printf("downloaded %s (%.1f GB, verified by %s) to %s\n", m ? m->label : argv[0], (double)res.size / 1e9,
           res.verified_by ? res.verified_by : "?", m ? m->path : "");
    parley_catalog_free(cat);
    return 0;
}

int cmd_models(int argc, char **argv)
{
    if (argc >= 2 && (cli_flag(argv[1], "--help") || cli_flag(argv[1], "-h"))) {
        printf("usage: %s\n", usage);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-')
        return models_list(argc - 1, argv + 1);
    const char *sub = argv[1];
    if (!strcmp(sub, "list"))
        return models_list(argc - 2, argv + 2);
    if (!strcmp(sub, "add"))
        return models_add(argc - 2, argv + 2);
    if (!strcmp(sub, "rm"))
        return models_rm(argc - 2, argv + 2);
    if (!strcmp(sub, "use"))
        return models_use(argc - 2, argv + 2);
    if (!strcmp(sub, "local"))
        return models_local(argc - 2, argv + 2);
    if (!strcmp(sub, "pull"))
        return models_pull(argc - 2, argv + 2);
    return cli_usage_error(usage, "unknown subcommand '%s'", sub);
}
