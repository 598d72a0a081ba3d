/* fuzz_catalog: the three JSON files the catalog reads from outside: a catalog override
 * (<config>/catalog.json), the own-models registry (<data>/models.json) and the device
 * settings (<config>/device.json). The first input byte picks which file the rest is;
 * the other two are absent. Built as three targets (fuzz_catalog_json, fuzz_registry,
 * fuzz_settings) with FUZZ_WHICH fixed, so each has its own corpus and figures. */
#include "fuzz_util.h"

#include <parley/catalog.h>

#include <sys/stat.h>

#ifndef FUZZ_WHICH
#define FUZZ_WHICH 0
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[4096], models[4200], json[4200], absent1[4200], absent2[4200];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s", fuzz_path("catalog", "d"));
        if (mkdir(dir, 0700) != 0 && access(dir, F_OK) != 0)
            return 0;
        snprintf(models, sizeof models, "%s/models", dir);
        mkdir(models, 0700);
        snprintf(json, sizeof json, "%s/input.json", dir);
        snprintf(absent1, sizeof absent1, "%s/absent1.json", dir);
        snprintf(absent2, sizeof absent2, "%s/absent2.json", dir);
    }
    if (fuzz_write(json, data, size) != 0)
        return 0;
    struct parley_catalog_params cp = parley_catalog_default_params();
    cp.models_dir = models;
    cp.builtin_only = FUZZ_WHICH != 0;
    cp.catalog_path = FUZZ_WHICH == 0 ? json : NULL;
    cp.registry_path = FUZZ_WHICH == 1 ? json : absent1;
    cp.settings_path = FUZZ_WHICH == 2 ? json : absent2;
    parley_catalog *cat = NULL;
    if (parley_catalog_open(&cp, &cat) == PARLEY_OK) {
        for (size_t i = 0; i < parley_catalog_count(cat); i++) {
            const parley_model_info *m = parley_catalog_get(cat, i);
            (void)parley_catalog_find(cat, m->id);
        }
        struct parley_device_settings s;
        parley_catalog_settings(cat, &s);
        parley_catalog_free(cat);
    }
    if (FUZZ_WHICH == 2)
        parley_local_feature_allowed(PARLEY_FEATURE_CHAT, json);
    return 0;
}
