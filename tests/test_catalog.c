/* test_catalog.c: the curated catalog, archived entries, own models by reference, the
 * registry across restarts, and per-device settings. Own-model files are made from
 * ../shared/models/stories260K.gguf with build/gguf_add_template. */
#include "test.h"

#include <parley/catalog.h>
#include <sys/stat.h>

static char dir[4096], models_dir[4200], reg[4200], set[4200], cfgdir[4200];

static struct parley_catalog_params params(void)
{
    struct parley_catalog_params cp = parley_catalog_default_params();
    cp.builtin_only = true;
    cp.models_dir = models_dir;
    cp.registry_path = reg;
    cp.settings_path = set;
    return cp;
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

/* Makes a chat-model GGUF (or a variant) from stories260K; NULL when the inputs are absent. */
static const char *make_gguf(const char *name, const char *extra)
{
    static char out[4300];
    const char *src = test_shared_model("stories260K.gguf");
    const char *tools = getenv("PARLEY_TOOLS");
    if (!src || !tools)
        return NULL;
    snprintf(out, sizeof out, "%s/%s", dir, name);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s/gguf_add_template' '%s' '%s' %s", tools, src, out, extra ? extra : "");
    return system(cmd) == 0 ? out : NULL;
}

TEST(builtin_catalog_is_complete)
{
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    ASSERT_STR(parley_catalog_origin(cat), "built-in");
    const char *llms[] = {"qwen3.5-2b", "qwen3.5-4b", "qwen3.5-9b", "qwen3.5-9b-hq", "gemma4-e2b", "gemma4-e4b",
                          "gemma4-31b", "qwen3.6-27b", "qwen3.6-35b-a3b"};
    const char *speech[] = {"whisper-tiny", "whisper-base", "whisper-small", "whisper-medium", "whisper-large-v3",
                            "whisper-large-v3-turbo"};
    for (size_t i = 0; i < sizeof llms / sizeof llms[0]; i++) {
        const parley_model_info *m = parley_catalog_find(cat, llms[i]);
        ASSERT_MSG(m, "no %s", llms[i]);
        ASSERT(m->kind == PARLEY_MODEL_LLM && m->state == PARLEY_STATE_NOT_DOWNLOADED);
        ASSERT_CONTAINS(m->url, "https://huggingface.co/");
    }
    for (size_t i = 0; i < sizeof speech / sizeof speech[0]; i++) {
        const parley_model_info *m = parley_catalog_find(cat, speech[i]);
        ASSERT_MSG(m && m->kind == PARLEY_MODEL_SPEECH, "no %s", speech[i]);
        ASSERT(m->size_exact && strlen(m->sha256) == 64);
    }
    /* archived and not on disk: invisible */
    ASSERT(parley_catalog_find(cat, "qwen3.5-27b") == NULL);
    ASSERT_EQ_INT(parley_catalog_count(cat), 19); /* 15 + two quantised whisper variants + two Parakeet */
    /* real layer counts */
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.5-2b")->shape.n_layer, 24);
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.5-9b")->shape.n_layer, 32);
    ASSERT_EQ_INT(parley_catalog_find(cat, "gemma4-e2b")->shape.n_layer, 35);
    ASSERT_EQ_INT(parley_catalog_find(cat, "gemma4-e4b")->shape.n_layer, 42);
    ASSERT_EQ_INT(parley_catalog_find(cat, "gemma4-31b")->shape.n_layer, 60);
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.6-27b")->shape.n_layer, 64);
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.6-35b-a3b")->shape.n_layer, 40);
    ASSERT_EQ_INT(parley_catalog_find(cat, "whisper-large-v3-turbo")->shape.n_text_layer, 4);
    /* stars: < 7 B one, 7-12 B two, > 12 B three */
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.5-4b")->stars, 1);
    ASSERT_EQ_INT(parley_catalog_find(cat, "gemma4-e4b")->stars, 2);
    ASSERT_EQ_INT(parley_catalog_find(cat, "qwen3.6-35b-a3b")->stars, 3);
    parley_catalog_free(cat);
}

TEST(labels_never_show_quant_names)
{
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    for (size_t i = 0; i < parley_catalog_count(cat); i++) {
        const parley_model_info *m = parley_catalog_get(cat, i);
        const char *bad[] = {"Q4", "Q8", "_K", "UD-", "F16", "q4", "q8"};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
            ASSERT_MSG(!strstr(m->label, bad[k]), "%s label '%s' shows '%s'", m->id, m->label, bad[k]);
    }
    ASSERT_STR(parley_catalog_find(cat, "qwen3.5-9b-hq")->label, "Qwen 3.5 9B HQ");
    parley_catalog_free(cat);
    /* and a catalog that breaks the rule is refused */
    char path[4300];
    snprintf(path, sizeof path, "%s/badlabel.json", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs("{\"format\":1,\"models\":[{\"id\":\"x\",\"label\":\"X Q4_K_M\",\"kind\":\"llm\",\"arch\":\"llama\","
          "\"quant\":\"Q4_K_M\",\"file\":\"x.gguf\",\"shape\":{\"n_layer\":2,\"n_embd\":8,\"n_head_kv\":1,"
          "\"head_dim\":8}}]}",
          f);
    fclose(f);
    cp.builtin_only = false;
    cp.catalog_path = path;
    ASSERT_STATUS(parley_catalog_open(&cp, &cat), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "quantisation");
}

TEST(override_catalog_replaces_builtin_and_must_parse)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/catalog.json", cfgdir);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs("{\"format\":1,\"version\":\"test-1\",\"models\":[{\"id\":\"tiny\",\"label\":\"Tiny\",\"kind\":\"llm\","
          "\"arch\":\"llama\",\"file\":\"tiny.gguf\",\"size_bytes\":1000,\"params_total\":1e6,"
          "\"shape\":{\"n_layer\":2,\"n_embd\":8,\"n_head_kv\":1,\"head_dim\":8}}]}",
          f);
    fclose(f);
    setenv("PARLEY_CONFIG_DIR", cfgdir, 1);
    struct parley_catalog_params cp = params();
    cp.builtin_only = false;
    parley_catalog *cat;
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    ASSERT_STR(parley_catalog_origin(cat), path);
    ASSERT_STR(parley_catalog_version(cat), "test-1");
    ASSERT_EQ_INT(parley_catalog_count(cat), 1);
    parley_catalog_free(cat);
    f = fopen(path, "w");
    ASSERT(f);
    fputs("{\"format\":1, \"models\": [", f);
    fclose(f);
    ASSERT_STATUS(parley_catalog_open(&cp, &cat), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), path);
    unlink(path);
    ASSERT_OK(parley_catalog_open(&cp, &cat)); /* no override: the built-in one */
    ASSERT_STR(parley_catalog_origin(cat), "built-in");
    parley_catalog_free(cat);
    unsetenv("PARLEY_CONFIG_DIR");
}

TEST(archived_visible_only_while_on_disk)
{
    char file[4400];
    snprintf(file, sizeof file, "%s/Qwen3.5-27B-Q4_K_M.gguf", models_dir);
    /* a sparse file of the published size: costs no disk */
    FILE *f = fopen(file, "w");
    ASSERT(f);
    fclose(f);
    ASSERT(truncate(file, 16740812704LL) == 0);
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    const parley_model_info *m = parley_catalog_find(cat, "qwen3.5-27b");
    ASSERT(m && m->archived && m->state == PARLEY_STATE_READY);
    ASSERT_EQ_INT(parley_catalog_count(cat), 20);
    ASSERT_OK(parley_catalog_use(cat, "qwen3.5-27b")); /* selectable while on disk */
    bool deleted = false;
    ASSERT_OK(parley_catalog_remove(cat, "qwen3.5-27b", &deleted));
    ASSERT(deleted);
    ASSERT(access(file, F_OK) != 0);
    ASSERT(parley_catalog_find(cat, "qwen3.5-27b") == NULL);
    ASSERT_EQ_INT(parley_catalog_count(cat), 19); /* 15 + two quantised whisper variants + two Parakeet */
    struct parley_device_settings s;
    parley_catalog_settings(cat, &s);
    ASSERT_STR(s.llm_model, ""); /* removing the selected model clears the choice */
    ASSERT_STATUS(parley_catalog_use(cat, "qwen3.5-27b"), PARLEY_ERR_NOT_FOUND);
    parley_catalog_free(cat);
}

TEST(wrong_size_is_damaged)
{
    char file[4400];
    snprintf(file, sizeof file, "%s/Qwen3.5-2B-Q4_K_M.gguf", models_dir);
    FILE *f = fopen(file, "w");
    ASSERT(f);
    fputs("GGUF", f);
    fclose(f);
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    const parley_model_info *m = parley_catalog_find(cat, "qwen3.5-2b");
    ASSERT(m && m->state == PARLEY_STATE_DAMAGED);
    ASSERT_CONTAINS(m->state_reason, "1280835840");
    ASSERT_STATUS(parley_catalog_use(cat, "qwen3.5-2b"), PARLEY_ERR_MODEL_LOAD);
    ASSERT_STATUS(parley_catalog_use(cat, "qwen3.5-4b"), PARLEY_ERR_NOT_FOUND); /* not downloaded */
    ASSERT_CONTAINS(parley_last_error(), "not downloaded");
    bool deleted;
    ASSERT_OK(parley_catalog_remove(cat, "qwen3.5-2b", &deleted));
    ASSERT(deleted && access(file, F_OK) != 0);
    ASSERT_STATUS(parley_catalog_remove(cat, "qwen3.5-2b", &deleted), PARLEY_ERR_NOT_FOUND);
    /* an interrupted download's .part is removable */
    snprintf(file, sizeof file, "%s/Qwen3.5-2B-Q4_K_M.gguf.part", models_dir);
    f = fopen(file, "w");
    ASSERT(f);
    fclose(f);
    ASSERT_OK(parley_catalog_remove(cat, "qwen3.5-2b", &deleted));
    ASSERT(deleted && access(file, F_OK) != 0);
    ASSERT_STATUS(parley_catalog_remove(cat, "no-such-model", &deleted), PARLEY_ERR_NOT_FOUND);
    parley_catalog_free(cat);
}

TEST(gguf_validation_refuses_bad_files)
{
    parley_model_info m;
    char p[4300];
    snprintf(p, sizeof p, "%s/notgguf.bin", dir);
    FILE *f = fopen(p, "w");
    ASSERT(f);
    fputs("hello, not a model", f);
    fclose(f);
    ASSERT_STATUS(parley_model_read_gguf(p, &m), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "magic");
    snprintf(p, sizeof p, "%s/does-not-exist.gguf", dir);
    ASSERT_STATUS(parley_model_read_gguf(p, &m), PARLEY_ERR_NOT_FOUND);
    const char *stories = test_shared_model("stories260K.gguf");
    if (!stories)
        SKIP("needs ../shared/models/stories260K.gguf");
    /* a real llama model without a chat template: a base model */
    ASSERT_STATUS(parley_model_read_gguf(stories, &m), PARLEY_ERR_NO_TEMPLATE);
    /* truncated header */
    snprintf(p, sizeof p, "%s/trunc.gguf", dir);
    ASSERT(sh("head -c 200 '%s' > '%s'", stories, p) == 0);
    ASSERT_STATUS(parley_model_read_gguf(p, &m), PARLEY_ERR_FORMAT);
    const char *bad = make_gguf("unknownarch.gguf", "--arch not-an-arch");
    if (!bad)
        SKIP("needs build/gguf_add_template ($PARLEY_TOOLS)");
    ASSERT_STATUS(parley_model_read_gguf(bad, &m), PARLEY_ERR_MODEL_ARCH);
    ASSERT_CONTAINS(parley_last_error(), "not-an-arch");
    bad = make_gguf("bert.gguf", "--arch bert");
    ASSERT(bad);
    ASSERT_STATUS(parley_model_read_gguf(bad, &m), PARLEY_ERR_MODEL_ARCH);
    ASSERT_CONTAINS(parley_last_error(), "does not generate text");
    const char *good = make_gguf("stories-chat.gguf", NULL);
    ASSERT(good);
    ASSERT_OK(parley_model_read_gguf(good, &m));
    ASSERT_STR(m.arch, "llama");
    ASSERT_EQ_INT(m.shape.n_layer, 5);
    ASSERT_EQ_INT(m.shape.n_embd, 64);
    ASSERT_EQ_INT(m.shape.n_vocab, 512);
    ASSERT_EQ_INT(m.stars, 1);
    ASSERT(m.params_total > 200e3 && m.params_total < 300e3); /* "260K" */
    ASSERT(m.size_bytes > 900000 && m.size_bytes < 1185376);
}

TEST(own_models_by_reference_survive_restart_and_moves)
{
    const char *good = make_gguf("mine.gguf", NULL);
    if (!good)
        SKIP("needs stories260K.gguf and build/gguf_add_template");
    char path[4300], moved[4300];
    snprintf(path, sizeof path, "%s", good);
    snprintf(moved, sizeof moved, "%s/moved.gguf", dir);
    struct stat before;
    ASSERT(stat(path, &before) == 0);
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    const parley_model_info *m;
    ASSERT_OK(parley_catalog_add_own(cat, path, &m));
    ASSERT_STR(m->id, "own-mine");
    ASSERT(m->source == PARLEY_SOURCE_OWN && m->state == PARLEY_STATE_READY);
    ASSERT_STR(m->path, path);
    char id[64];
    snprintf(id, sizeof id, "%s", m->id);
    const parley_model_info *again;
    ASSERT_OK(parley_catalog_add_own(cat, path, &again)); /* same file: same entry */
    ASSERT_STR(again->id, id);
    ASSERT_OK(parley_catalog_use(cat, id));
    parley_catalog_free(cat);
    /* never copied: the models directory holds no copy */
    char copy[4400];
    snprintf(copy, sizeof copy, "%s/mine.gguf", models_dir);
    ASSERT(access(copy, F_OK) != 0);

    ASSERT_OK(parley_catalog_open(&cp, &cat)); /* restart */
    m = parley_catalog_find(cat, id);
    ASSERT(m && m->state == PARLEY_STATE_READY && m->shape.n_layer == 5);
    struct parley_device_settings s;
    parley_catalog_settings(cat, &s);
    ASSERT_STR(s.llm_model, id);
    parley_catalog_free(cat);

    ASSERT(rename(path, moved) == 0);
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    m = parley_catalog_find(cat, id);
    ASSERT(m && m->state == PARLEY_STATE_MISSING);
    ASSERT_CONTAINS(m->state_reason, "no longer at");
    ASSERT_STATUS(parley_catalog_use(cat, id), PARLEY_ERR_MODEL_LOAD);
    bool deleted = true;
    ASSERT_OK(parley_catalog_remove(cat, id, &deleted));
    ASSERT(!deleted);
    ASSERT(parley_catalog_find(cat, id) == NULL);
    parley_catalog_free(cat);
    ASSERT(access(moved, F_OK) == 0); /* the user's file is untouched */
    struct stat after;
    ASSERT(stat(moved, &after) == 0 && after.st_size == before.st_size);
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    ASSERT(parley_catalog_find(cat, id) == NULL);
    parley_catalog_free(cat);
}

TEST(registry_file_is_checked)
{
    FILE *f = fopen(reg, "w");
    ASSERT(f);
    fputs("{\"models\": [{\"id\": \"own-x\", \"path\": \"relative/path.gguf\"}]}", f);
    fclose(f);
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_STATUS(parley_catalog_open(&cp, &cat), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "absolute path");
    unlink(reg);
}

TEST(local_features_persist)
{
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    struct parley_device_settings s;
    parley_catalog_settings(cat, &s);
    ASSERT_EQ_INT(s.local_features, PARLEY_FEATURE_ALL);
    ASSERT_OK(parley_catalog_set_local_features(cat, PARLEY_FEATURE_TRANSCRIBE | PARLEY_FEATURE_CHAT));
    ASSERT_STATUS(parley_catalog_set_local_features(cat, 0x100), PARLEY_ERR_INVALID_ARG);
    parley_catalog_free(cat);
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    parley_catalog_settings(cat, &s);
    ASSERT_EQ_INT(s.local_features, PARLEY_FEATURE_TRANSCRIBE | PARLEY_FEATURE_CHAT);
    parley_catalog_free(cat);
    ASSERT_EQ_INT(parley_feature_from_name("summary"), PARLEY_FEATURE_SUMMARY);
    ASSERT_EQ_INT(parley_feature_from_name("nope"), 0);
    ASSERT_STR(parley_feature_name(PARLEY_FEATURE_SUGGEST), "suggest");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* local_features was stored and enforced nowhere; this is the check entry points call. */
TEST(local_feature_allowed_follows_the_setting)
{
    unlink(set);
    ASSERT_OK(parley_local_feature_allowed(PARLEY_FEATURE_SUMMARY, set)); /* no file: all on */
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    ASSERT_OK(parley_catalog_set_local_features(cat, PARLEY_FEATURE_TRANSCRIBE));
    parley_catalog_free(cat);
    ASSERT_OK(parley_local_feature_allowed(PARLEY_FEATURE_TRANSCRIBE, set));
    ASSERT_STATUS(parley_local_feature_allowed(PARLEY_FEATURE_CHAT, set), PARLEY_ERR_UNSUPPORTED);
    ASSERT_CONTAINS(parley_last_error(), "chat is switched off");
    ASSERT_CONTAINS(parley_last_error(), "models local chat=on");
    ASSERT_STATUS(parley_local_feature_allowed((parley_feature)0x30, set), PARLEY_ERR_INVALID_ARG);
    unlink(set);
}

/* A damaged device.json refused every command, the ones that rewrite it included. */
TEST(corrupt_settings_can_be_repaired)
{
    write_file(set, "{ this is not json");
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    parley_status st = parley_catalog_open(&cp, &cat);
    ASSERT_MSG(st == PARLEY_OK, "%s: %s", parley_strerror(st), parley_last_error());
    struct parley_device_settings s;
    parley_catalog_settings(cat, &s);
    ASSERT_EQ_INT(s.local_features, PARLEY_FEATURE_ALL); /* defaults */
    ASSERT_OK(parley_catalog_set_local_features(cat, PARLEY_FEATURE_SUMMARY)); /* rewrites it */
    parley_catalog_free(cat);
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    parley_catalog_settings(cat, &s);
    ASSERT_EQ_INT(s.local_features, PARLEY_FEATURE_SUMMARY);
    parley_catalog_free(cat);
    write_file(set, "[1, 2]");
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    parley_catalog_free(cat);
    unlink(set);
}

/* size_bytes past 2^64 was converted to uint64_t (undefined; UBSan). */
TEST(out_of_range_sizes_are_refused)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/catalog.json", cfgdir);
    write_file(path, "{\"format\":1,\"version\":\"t\",\"models\":[{\"id\":\"tiny\",\"label\":\"Tiny\","
                     "\"kind\":\"llm\",\"arch\":\"llama\",\"file\":\"tiny.gguf\",\"size_bytes\":1e300,"
                     "\"params_total\":1e6,\"shape\":{\"n_layer\":2,\"n_embd\":8,\"n_head_kv\":1,\"head_dim\":8}}]}");
    struct parley_catalog_params cp = params();
    cp.builtin_only = false;
    cp.catalog_path = path;
    parley_catalog *cat;
    ASSERT_STATUS(parley_catalog_open(&cp, &cat), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "out of range");
    unlink(path);
}

/* models add accepted a truncated GGUF that the loader then refused. */
TEST(add_refuses_a_truncated_gguf)
{
    const char *good = make_gguf("whole.gguf", NULL);
    if (!good)
        SKIP("needs stories260K.gguf and build/gguf_add_template");
    char cut[4300];
    snprintf(cut, sizeof cut, "%s/cut.gguf", dir);
    ASSERT(sh("head -c 600000 '%s' > '%s'", good, cut) == 0);
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    const parley_model_info *m = NULL;
    ASSERT_STATUS(parley_catalog_add_own(cat, cut, &m), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated");
    ASSERT(m == NULL);
    parley_catalog_free(cat);
    /* the template of the test stand-in is not one llama.cpp recognises: said at once */
    char why[1200];
    ASSERT_STATUS(parley_model_template_usable(good, why, sizeof why), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_CONTAINS(why, "--template");
}

static char warned[2048];
static void keep_warning(parley_log_level level, const char *msg, void *ud)
{
    (void)ud;
    if (level <= PARLEY_LOG_WARN)
        snprintf(warned, sizeof warned, "%s", msg);
}

/* models add accepted a chat template that the tasks then refused, without a word: it is
 * accepted (a --template name makes it work) but the warning comes at once. */
TEST(add_warns_about_an_unusable_template)
{
    const char *good = make_gguf("tmpl.gguf", NULL);
    if (!good)
        SKIP("needs stories260K.gguf and build/gguf_add_template");
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    const parley_model_info *m = NULL;
    warned[0] = '\0';
    parley_log_set(keep_warning, NULL, PARLEY_LOG_WARN);
    parley_status st = parley_catalog_add_own(cat, good, &m);
    parley_log_set(NULL, NULL, PARLEY_LOG_WARN);
    parley_catalog_free(cat);
    ASSERT_OK(st);
    ASSERT_CONTAINS(warned, "--template");
}

TEST(pull_refuses_what_it_cannot_verify)
{
    parley_catalog *cat;
    struct parley_catalog_params cp = params();
    ASSERT_OK(parley_catalog_open(&cp, &cat));
    /* no exact size and no hash in the catalog: a download could not be verified */
    ASSERT_STATUS(parley_catalog_pull(cat, "qwen3.6-27b", NULL, NULL), PARLEY_ERR_UNSUPPORTED);
    ASSERT_CONTAINS(parley_last_error(), "neither a SHA-256 nor an exact size");
    ASSERT_STATUS(parley_catalog_pull(cat, "gemma4-e4b", NULL, NULL), PARLEY_ERR_UNSUPPORTED);
    ASSERT_STATUS(parley_catalog_pull(cat, "qwen3.5-27b", NULL, NULL), PARLEY_ERR_NOT_FOUND); /* archived */
    ASSERT_CONTAINS(parley_last_error(), "archived");
    ASSERT_STATUS(parley_catalog_pull(cat, "nope", NULL, NULL), PARLEY_ERR_NOT_FOUND);
    /* nothing was written */
    char part[4400];
    snprintf(part, sizeof part, "%s/Qwen3.6-27B-UD-Q4_K_XL.gguf.part", models_dir);
    ASSERT(access(part, F_OK) != 0);
    parley_catalog_free(cat);
}

int main(void)
{
    parley_init();
    const char *d = test_tmpdir("catalog");
    if (!d)
        return 1;
    snprintf(dir, sizeof dir, "%s", d);
    snprintf(models_dir, sizeof models_dir, "%s/models", dir);
    snprintf(cfgdir, sizeof cfgdir, "%s/config", dir);
    snprintf(reg, sizeof reg, "%s/data/models.json", dir);
    snprintf(set, sizeof set, "%s/config/device.json", dir);
    mkdir(models_dir, 0700);
    mkdir(cfgdir, 0700);
    char datadir[4200];
    snprintf(datadir, sizeof datadir, "%s/data", dir);
    mkdir(datadir, 0700);
    RUN(builtin_catalog_is_complete);
    RUN(labels_never_show_quant_names);
    RUN(override_catalog_replaces_builtin_and_must_parse);
    RUN(archived_visible_only_while_on_disk);
    RUN(wrong_size_is_damaged);
    RUN(gguf_validation_refuses_bad_files);
    RUN(own_models_by_reference_survive_restart_and_moves);
    RUN(registry_file_is_checked);
    RUN(local_features_persist);
    RUN(local_feature_allowed_follows_the_setting);
    RUN(corrupt_settings_can_be_repaired);
    RUN(out_of_range_sizes_are_refused);
    RUN(add_refuses_a_truncated_gguf);
    RUN(add_warns_about_an_unusable_template);
    RUN(pull_refuses_what_it_cannot_verify);
    return test_summary();
}
