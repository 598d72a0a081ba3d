/* fit_table: prints, as Markdown, the fit scorer's memory figures for the built-in
 * catalog beside the RAM figures Hedy 3.2 publishes for the same models (from
 * /work/shared/docs/CATALOG.md), and the verdicts on the synthetic machines the tests use.
 * docs/fit.md carries its output.
 *
 *   fit_table [--ctx TOKENS]
 */
#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/hw.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hedy 3.2's launch table: "RAM at load includes KV-cache room for a long meeting". */
static const struct {
    const char *id;
    double ram_gb;
} hedy[] = {
    {"qwen3.5-2b", 3},   {"qwen3.5-4b", 4.5},   {"gemma4-e2b", 5},   {"gemma4-e4b", 7},        {"qwen3.5-9b", 8},
    {"qwen3.5-9b-hq", 12}, {"qwen3.6-27b", 22}, {"gemma4-31b", 23}, {"qwen3.6-35b-a3b", 25},
};

static parley_hw machine(const char *name)
{
    parley_hw hw;
    memset(&hw, 0, sizeof hw);
    hw.cpu_device = true;
    hw.cpu_threads = 8;
    hw.cpu_cores = 8;
    const double G = 1024.0 * 1024 * 1024;
    if (!strcmp(name, "8 GB laptop")) {
        hw.ram_total = (uint64_t)(8 * G);
        hw.ram_bandwidth_gbs = 60;
    } else if (!strcmp(name, "16 GB laptop")) {
        hw.ram_total = (uint64_t)(16 * G);
        hw.ram_bandwidth_gbs = 60;
    } else if (!strcmp(name, "32 GB Mac")) {
        hw.ram_total = (uint64_t)(32 * G);
        hw.ram_bandwidth_gbs = 200;
        hw.n_gpus = 1;
        hw.gpus[0].type = PARLEY_GPU_UNIFIED;
        hw.gpus[0].mem_total = hw.ram_total;
        hw.gpus[0].bandwidth_gbs = 200;
    } else { /* 24 GB GPU box */
        hw.ram_total = (uint64_t)(64 * G);
        hw.ram_bandwidth_gbs = 60;
        hw.n_gpus = 1;
        hw.gpus[0].type = PARLEY_GPU_DISCRETE;
        hw.gpus[0].mem_total = (uint64_t)(24 * G);
        hw.gpus[0].mem_free = (uint64_t)(23.7 * G);
        hw.gpus[0].bandwidth_gbs = 1008;
    }
    return hw;
}

int main(int argc, char **argv)
{
    struct parley_fit_params fp = parley_fit_default_params();
    if (argc == 3 && !strcmp(argv[1], "--ctx"))
        fp.n_ctx = (uint32_t)atoi(argv[2]);
    parley_catalog *cat;
    struct parley_catalog_params cp = parley_catalog_default_params();
    cp.builtin_only = true;
    cp.models_dir = "/nonexistent";
    cp.registry_path = "/nonexistent/models.json";
    cp.settings_path = "/nonexistent/device.json";
    if (parley_catalog_open(&cp, &cat) != PARLEY_OK) {
        fprintf(stderr, "%s\n", parley_last_error());
        return 1;
    }
    /* RAM needed on a CPU or unified-memory machine: a 64 GB CPU-only box places all. */
    parley_hw big = machine("16 GB laptop");
    big.ram_total = 64ull << 30;
    printf("| model | file GB | weights | KV @ %u | state | compute | Parley RAM (GB) | Hedy RAM (GB) | "
           "Parley - Hedy |\n|---|---|---|---|---|---|---|---|---|\n", fp.n_ctx);
    for (size_t h = 0; h < sizeof hedy / sizeof hedy[0]; h++) {
        const parley_model_info *m = parley_catalog_find(cat, hedy[h].id);
        if (!m)
            continue;
        parley_fit f = parley_fit_model(m, &big, &fp);
        double ram = f.ram_bytes / 1e9;
        printf("| %s | %.2f%s | %.2f | %.2f | %.3f | %.2f | %.1f | %.1f | %+.1f |\n", m->label, m->size_bytes / 1e9,
               m->size_exact ? "" : " (approx.)", f.mem.weights / 1e9, f.mem.kv / 1e9, f.mem.state / 1e9,
               f.mem.compute / 1e9, ram, hedy[h].ram_gb, ram - hedy[h].ram_gb);
    }
    const char *names[] = {"8 GB laptop", "16 GB laptop", "32 GB Mac", "24 GB GPU box"};
    printf("\n| model |");
    for (int k = 0; k < 4; k++)
        printf(" %s |", names[k]);
    printf("\n|---|---|---|---|---|\n");
    parley_hw hws[4];
    const parley_model_info *models[32];
    parley_fit fits[4][32];
    int rec[4];
    size_t n = 0;
    for (size_t i = 0; i < parley_catalog_count(cat) && n < 32; i++)
        if (parley_catalog_get(cat, i)->kind == PARLEY_MODEL_LLM)
            models[n++] = parley_catalog_get(cat, i);
    for (int k = 0; k < 4; k++) {
        hws[k] = machine(names[k]);
        for (size_t i = 0; i < n; i++)
            fits[k][i] = parley_fit_model(models[i], &hws[k], &fp);
        size_t order[32];
        rec[k] = parley_fit_rank(models, fits[k], n, order);
    }
    for (size_t i = 0; i < n; i++) {
        printf("| %s |", models[i]->label);
        for (int k = 0; k < 4; k++) {
            const parley_fit *f = &fits[k][i];
            if (f->level == PARLEY_FIT_WONT)
                printf(" Won't fit |");
            else
                printf(" %s%s, %.0f tok/s |", f->label, rec[k] == (int)i ? " **(Recommended)**" : "", f->tokens_per_s);
        }
        printf("\n");
    }
    printf("\n| speech model | weights MB | KV MB | compute MB | total MB |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < parley_catalog_count(cat); i++) {
        const parley_model_info *m = parley_catalog_get(cat, i);
        if (m->kind != PARLEY_MODEL_SPEECH)
            continue;
        parley_fit_memory mem = parley_fit_memory_needed(m, &fp);
        printf("| %s | %.1f | %.2f | %.1f | %.1f |\n", m->label, mem.weights / 1e6, mem.kv / 1e6, mem.compute / 1e6,
               mem.total / 1e6);
    }
    parley_catalog_free(cat);
    return 0;
}
