/* test_fit.c: the fit scorer on synthetic machines, and its memory formulas against the
 * figures worked out by hand in CATALOG.md. */
#include "test.h"

#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/hw.h>

#define GIB (1024.0 * 1024.0 * 1024.0)
#define MIB (1024.0 * 1024.0)

static parley_catalog *cat;

static const parley_model_info *model(const char *id)
{
    const parley_model_info *m = parley_catalog_find(cat, id);
    if (!m)
        fprintf(stderr, "catalog has no %s\n", id);
    return m;
}

static parley_hw cpu_only(double ram_gib, double bw)
{
    parley_hw hw;
    memset(&hw, 0, sizeof hw);
    snprintf(hw.os, sizeof hw.os, "linux");
    hw.ram_total = (uint64_t)(ram_gib * GIB);
    hw.ram_available = hw.ram_total / 2;
    hw.cpu_cores = 8;
    hw.cpu_threads = 16;
    hw.cpu_device = true;
    hw.ram_bandwidth_gbs = bw;
    hw.ram_bandwidth_source = PARLEY_BW_GIVEN;
    return hw;
}

static parley_hw laptop8(void) { return cpu_only(8, 60); }
static parley_hw laptop16(void) { return cpu_only(16, 60); }

static parley_hw mac32(void)
{
    parley_hw hw = cpu_only(32, 200);
    snprintf(hw.os, sizeof hw.os, "macos");
    hw.n_gpus = 1;
    parley_gpu *g = &hw.gpus[0];
    snprintf(g->name, sizeof g->name, "Metal");
    snprintf(g->description, sizeof g->description, "Apple M2 Pro");
    snprintf(g->backend, sizeof g->backend, "Metal");
    g->type = PARLEY_GPU_UNIFIED;
    g->mem_total = hw.ram_total;
    g->mem_free = hw.ram_total;
    g->bandwidth_gbs = 200;
    g->bandwidth_source = PARLEY_BW_GIVEN;
    return hw;
}

static parley_hw gpu_box(double vram_gib)
{
    parley_hw hw = cpu_only(64, 60);
    hw.n_gpus = 1;
    parley_gpu *g = &hw.gpus[0];
    snprintf(g->name, sizeof g->name, "CUDA0");
    snprintf(g->description, sizeof g->description, "NVIDIA GeForce RTX 4090");
    snprintf(g->backend, sizeof g->backend, "CUDA");
    g->type = PARLEY_GPU_DISCRETE;
    g->mem_total = (uint64_t)(vram_gib * GIB);
    g->mem_free = g->mem_total - (uint64_t)(0.3 * GIB);
    g->bandwidth_gbs = 1008;
    g->bandwidth_source = PARLEY_BW_TABLE;
    return hw;
}

/* Scores every LLM of the catalog on hw; returns the recommended id or "". */
static const char *recommend(const parley_hw *hw, parley_fit *fits, const parley_model_info **models, size_t *n)
{
    static char id[64];
    struct parley_fit_params fp = parley_fit_default_params();
    *n = 0;
    for (size_t i = 0; i < parley_catalog_count(cat); i++) {
        const parley_model_info *m = parley_catalog_get(cat, i);
        if (m->kind != PARLEY_MODEL_LLM)
            continue;
        models[*n] = m;
        fits[*n] = parley_fit_model(m, hw, &fp);
        (*n)++;
    }
    size_t order[64];
    int r = parley_fit_rank(models, fits, *n, order);
    snprintf(id, sizeof id, "%s", r >= 0 ? models[r]->id : "");
    /* the order is by RAM needed, ascending */
    for (size_t k = 1; k < *n; k++) {
        uint64_t a = fits[order[k - 1]].ram_bytes, b = fits[order[k]].ram_bytes;
        if (a > b) {
            fprintf(stderr, "order broken at %zu\n", k);
            return "ORDER";
        }
    }
    return id;
}

static const parley_fit *fit_of(const char *id, parley_fit *fits, const parley_model_info **models, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(models[i]->id, id) == 0)
            return &fits[i];
    return NULL;
}

TEST(kv_and_state_match_catalog_md)
{
    struct parley_fit_params fp = parley_fit_default_params();
    fp.n_seq = 1; /* CATALOG.md works per sequence */
    const uint64_t ctx = 32768;
    struct {
        const char *id;
        uint64_t kv_per_token;
        double state_bytes;
    } want[] = {
        {"qwen3.5-2b", 12288, 20201472},        /* 19.3 MiB */
        {"qwen3.5-4b", 32768, 52690944},        /* 50.3 MiB */
        {"qwen3.5-9b", 32768, 52690944},
        {"qwen3.6-27b", 65536, 156893184},      /* 149.6 MiB */
        {"qwen3.6-35b-a3b", 20480, 65863680},   /* 62.8 MiB */
        {"gemma4-e2b", 6144, 12 * MIB},         /* 12 MiB sliding cache */
        {"gemma4-e4b", 16384, 40 * MIB},        /* 40 MiB */
        {"gemma4-31b", 81920, 1258291200},      /* 1.2 GiB */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const parley_model_info *m = model(want[i].id);
        ASSERT(m);
        parley_fit_memory mem = parley_fit_memory_needed(m, &fp);
        ASSERT_MSG(mem.kv == want[i].kv_per_token * ctx, "%s: kv %llu, want %llu", want[i].id,
                   (unsigned long long)mem.kv, (unsigned long long)(want[i].kv_per_token * ctx));
        ASSERT_MSG(fabs((double)mem.state - want[i].state_bytes) < 1, "%s: state %llu, want %.0f", want[i].id,
                   (unsigned long long)mem.state, want[i].state_bytes);
        ASSERT(mem.weights == m->size_bytes);
        ASSERT(mem.total == mem.weights + mem.kv + mem.state + mem.compute);
    }
}

TEST(sequences_and_swa_full)
{
    struct parley_fit_params one = parley_fit_default_params(), two = one, full = one;
    one.n_seq = 1;
    ASSERT_EQ_INT(two.n_seq, 2);
    const parley_model_info *q = model("qwen3.5-2b"), *g = model("gemma4-e2b");
    ASSERT(q && g);
    ASSERT_EQ_INT(parley_fit_memory_needed(q, &two).state, 2 * parley_fit_memory_needed(q, &one).state);
    ASSERT_EQ_INT(parley_fit_memory_needed(q, &two).kv, parley_fit_memory_needed(q, &one).kv); /* unified KV */
    /* Gemma E2B sliding cache: 12 layers x (512 x 2 + 512 = 1536 cells) x 1 KiB */
    ASSERT_EQ_INT(parley_fit_memory_needed(g, &two).state, 12ull * 1536 * 1024);
    /* swa_full: sliding layers as large as the context (llama.cpp's context default) */
    full.swa_full = true;
    ASSERT_EQ_INT(parley_fit_memory_needed(g, &full).state, 12ull * 32768 * 1024);
    const parley_model_info *big = model("gemma4-31b");
    ASSERT(big);
    ASSERT(parley_fit_memory_needed(big, &full).total > parley_fit_memory_needed(big, &two).total + 24e9);
}

TEST(hybrid_state_does_not_grow_with_context)
{
    const parley_model_info *m = model("qwen3.5-9b");
    ASSERT(m);
    struct parley_fit_params a = parley_fit_default_params(), b = a;
    a.n_ctx = 8192;
    b.n_ctx = 65536;
    parley_fit_memory ma = parley_fit_memory_needed(m, &a), mb = parley_fit_memory_needed(m, &b);
    ASSERT_EQ_INT(ma.state, mb.state);
    ASSERT_EQ_INT(mb.kv, ma.kv * 8);
    /* A flat formula (every layer attention) would be 4x the hybrid's KV. */
    ASSERT_EQ_INT(ma.kv * 4, (uint64_t)m->shape.n_layer * 8192 * 2 * m->shape.n_head_kv * m->shape.head_dim * 2);
}

TEST(laptop_8gb)
{
    parley_hw hw = laptop8();
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    ASSERT_STR(rec, "qwen3.5-4b");
    const parley_fit *f = fit_of("qwen3.5-2b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_GREAT && f->placement == PARLEY_PLACE_CPU);
    /* no GPU at all: not "+ Slow" on every row (the picker says "CPU only" once) */
    ASSERT_STR(f->label, "Great fit");
    ASSERT(!f->slow);
    f = fit_of("qwen3.5-9b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_WONT);
    ASSERT_STR(f->label, "Won't fit");
    ASSERT_CONTAINS(f->reason, "RAM");
    f = fit_of("gemma4-31b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_WONT);
}

TEST(laptop_16gb)
{
    parley_hw hw = laptop16();
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    /* 9B is in memory but reads ~5 GB per token: ~6.6 tok/s at 33 GB/s, a Tight fit. */
    const parley_fit *f = fit_of("qwen3.5-9b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_TIGHT);
    ASSERT_CONTAINS(f->reason, "tokens/s");
    ASSERT_NEAR(f->tokens_per_s, 60 * 0.55 / (5680522464 * 7.94 / 8.96 / 1e9), 0.05);
    f = fit_of("gemma4-e4b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_GREAT);
    ASSERT_STR(rec, "gemma4-e4b");
    f = fit_of("qwen3.6-27b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_WONT);
}

TEST(mac_32gb_unified)
{
    parley_hw hw = mac32();
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.6-35b-a3b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_GPU && !f->slow);
    ASSERT_STR(f->label, "Great fit");
    /* one pool: RAM = the GPU's share plus the process itself */
    ASSERT(f->ram_bytes >= f->vram_bytes && f->ram_bytes - f->vram_bytes < 512 * MIB);
    ASSERT(f->tokens_per_s > 30);
    f = fit_of("gemma4-31b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_TIGHT); /* ~18 GB read per token: too slow */
    ASSERT_STR(rec, "qwen3.6-35b-a3b");
}

TEST(gpu_box_24gb)
{
    parley_hw hw = gpu_box(24);
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.6-27b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_GPU && f->n_gpu_layers == 64);
    ASSERT_STR(f->label, "Great fit");
    /* the token embeddings (~0.8 GB here) stay in RAM, the rest is on the card */
    ASSERT(f->vram_bytes > 18e9 && f->ram_bytes > 0.9e9 && f->ram_bytes < 1.5e9);
    /* Bandwidth model: 0.6 x 1008 GB/s over the bytes a token reads. */
    ASSERT_NEAR(f->tokens_per_s, 0.6 * 1008 / (17.6 * 25.6 / 26.9), 0.1);
    ASSERT_STR(rec, "gemma4-31b");
}

TEST(gpu_box_12gb_splits_and_is_slow)
{
    parley_hw hw = gpu_box(12);
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.6-27b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_SPLIT && f->slow);
    ASSERT(f->n_gpu_layers > 0 && f->n_gpu_layers < 64);
    ASSERT_CONTAINS(f->label, "+ Slow");
    ASSERT(f->vram_bytes <= (uint64_t)(11.7 * GIB));
    /* slower than all-GPU, faster than all-CPU */
    double cpu_only_tps = 60 * 0.55 / (17.6e9 * 25.6 / 26.9 / 1e9);
    ASSERT(f->tokens_per_s > cpu_only_tps && f->tokens_per_s < 0.6 * 1008 / 16.7);
    f = fit_of("qwen3.5-9b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_GPU && !f->slow);
}

TEST(vram_budget_is_what_is_free_not_the_total)
{
    /* A 24 GB card on which other programs hold 16 GB: the 27B no longer fits whole. */
    parley_hw hw = gpu_box(24);
    hw.gpus[0].mem_free = (uint64_t)(8 * GIB);
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.6-27b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_SPLIT && f->slow);
    ASSERT_MSG((double)f->vram_bytes <= 8 * GIB - 0.5e9, "vram %llu", (unsigned long long)f->vram_bytes);
    /* free memory unknown (0): the total less the reserve */
    hw.gpus[0].mem_free = 0;
    recommend(&hw, fits, models, &n);
    f = fit_of("qwen3.6-27b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_GPU);
}

TEST(known_bad_driver_table)
{
    char why[256];
    ASSERT(parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4070", "595.12", why, sizeof why));
    ASSERT_CONTAINS(why, "596.21");
    ASSERT_CONTAINS(why, "595.12");
    ASSERT(parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4090 Laptop GPU", "596.9", NULL, 0));
    ASSERT(!parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4070", "596.21", why, sizeof why));
    ASSERT_STR(why, "");
    ASSERT(!parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4070", "597.1", NULL, 0));
    ASSERT(!parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4070", "594.99", NULL, 0));
    ASSERT(!parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 3090", "595.12", NULL, 0));
    ASSERT(!parley_hw_known_bad_driver("CUDA", "NVIDIA GeForce RTX 4070", "595.12", NULL, 0));
    ASSERT(!parley_hw_known_bad_driver("Vulkan", "NVIDIA GeForce RTX 4070", "", NULL, 0));
    /* the scorer places nothing on such a device */
    parley_hw hw = gpu_box(24);
    snprintf(hw.gpus[0].backend, sizeof hw.gpus[0].backend, "Vulkan");
    hw.gpus[0].known_bad = true;
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.5-9b", fits, models, n);
    ASSERT(f && f->placement == PARLEY_PLACE_CPU && f->gpu_index == -1 && f->vram_bytes == 0);
    ASSERT(parley_hw_is_software_gpu("llvmpipe (LLVM 22.1.8, 256 bits)"));
    ASSERT(!parley_hw_is_software_gpu("NVIDIA GeForce RTX 4070"));
}

TEST(speech_speed_rates_models_slower_than_real_time)
{
    /* a 2-core machine multiplying Q4_K weights at 12 GB/s (this VM when quiet) */
    parley_hw hw = cpu_only(24, 15);
    hw.cpu_matvec_gbs = 12;
    const parley_model_info *tiny = model("whisper-tiny"), *large = model("whisper-large-v3");
    const parley_model_info *small = model("whisper-small");
    ASSERT(tiny && large && small);
    parley_fit f = parley_fit_model(tiny, &hw, NULL);
    /* calibration points: tiny's quiet run took 5.42 s for 53.4 s (docs/benchmarks/transcribe.md) */
    ASSERT_NEAR(f.realtime_x, 53.4 / 5.42, 1.0);
    ASSERT(f.keeps_up_live && f.level == PARLEY_FIT_GREAT && !f.slow);
    ASSERT_STR(f.label, "Great fit");
    ASSERT_CONTAINS(f.reason, "real time");
    f = parley_fit_model(large, &hw, NULL);
    ASSERT(f.realtime_x > 0 && f.realtime_x < 1);
    ASSERT(f.level == PARLEY_FIT_TIGHT && f.slow && !f.keeps_up_live);
    ASSERT_STR(f.label, "Tight fit + Slow");
    ASSERT_CONTAINS(f.reason, "slower than speech");
    /* speed scales with the machine's rate */
    double a = parley_fit_speech_realtime(small, 6, 0), b = parley_fit_speech_realtime(small, 12, 0);
    ASSERT_NEAR(b / a, 2.0, 1e-9);
    /* unknown rate: unknown speed, and the old rule (nothing past small recommended on a CPU) */
    hw.cpu_matvec_gbs = 0;
    f = parley_fit_model(large, &hw, NULL);
    ASSERT(f.realtime_x == 0 && f.score <= 0);
    /* a GPU holding the whole model runs it at the GPU's rate */
    parley_hw g = gpu_box(24);
    g.cpu_matvec_gbs = 12;
    f = parley_fit_model(large, &g, NULL);
    ASSERT(f.placement == PARLEY_PLACE_GPU && f.realtime_x > 5 && f.level == PARLEY_FIT_GREAT);
}

TEST(no_device_blocks_the_picker)
{
    parley_hw hw = cpu_only(16, 60);
    hw.cpu_device = false;
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    ASSERT_STR(rec, "");
    for (size_t i = 0; i < n; i++)
        ASSERT(fits[i].level == PARLEY_FIT_WONT);
    char why[300];
    ASSERT(parley_fit_blocking_reason(&hw, fits, n, why, sizeof why));
    ASSERT_CONTAINS(why, "No usable compute device");
}

TEST(nothing_fits_blocks_with_the_smallest_need)
{
    parley_hw hw = cpu_only(2, 60);
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    ASSERT_STR(recommend(&hw, fits, models, &n), "");
    char why[300];
    ASSERT(parley_fit_blocking_reason(&hw, fits, n, why, sizeof why));
    ASSERT_CONTAINS(why, "No model fits");
    parley_hw big = laptop16();
    recommend(&big, fits, models, &n);
    ASSERT(!parley_fit_blocking_reason(&big, fits, n, why, sizeof why));
    ASSERT_STR(why, "");
}

TEST(tight_is_never_recommended)
{
    /* 5 GiB: the 2B fits (Tight: under 3 GB left), nothing is Great. */
    parley_hw hw = cpu_only(5, 60);
    parley_fit fits[64];
    const parley_model_info *models[64];
    size_t n;
    const char *rec = recommend(&hw, fits, models, &n);
    const parley_fit *f = fit_of("qwen3.5-2b", fits, models, n);
    ASSERT(f && f->level == PARLEY_FIT_TIGHT);
    for (size_t i = 0; i < n; i++)
        ASSERT(fits[i].level != PARLEY_FIT_GREAT);
    ASSERT_STR(rec, "");
}

TEST(scorer_is_pure)
{
    parley_hw hw = gpu_box(12);
    const parley_model_info *m = model("gemma4-31b");
    ASSERT(m);
    struct parley_fit_params fp = parley_fit_default_params();
    parley_fit a = parley_fit_model(m, &hw, &fp);
    parley_fit b = parley_fit_model(m, &hw, &fp);
    ASSERT(memcmp(&a, &b, sizeof a) == 0);
    /* zeros in params mean defaults */
    struct parley_fit_params z;
    memset(&z, 0, sizeof z);
    parley_fit c = parley_fit_model(m, &hw, &z);
    ASSERT(memcmp(&a, &c, sizeof a) == 0);
}

TEST(unknown_bandwidth_gives_unknown_speed)
{
    parley_hw hw = laptop16();
    hw.ram_bandwidth_gbs = 0;
    hw.ram_bandwidth_source = PARLEY_BW_UNKNOWN;
    const parley_model_info *m = model("qwen3.5-2b");
    ASSERT(m);
    parley_fit f = parley_fit_model(m, &hw, NULL);
    ASSERT(f.tokens_per_s == 0);
    ASSERT(f.level == PARLEY_FIT_GREAT);
    ASSERT_CONTAINS(f.reason, "speed unknown");
}

TEST(whisper_memory_matches_whisper_cpp)
{
    /* whisper.cpp 1.9.5's own reports (model + kv self/cross/pad + 4 compute buffers) for
     * stand-ins of the exact shapes, in MB: docs/fit.md. */
    struct {
        const char *id;
        double mb;
    } want[] = {{"whisper-tiny", 222.79}, {"whisper-base", 316.08}, {"whisper-small", 726.97}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const parley_model_info *m = model(want[i].id);
        ASSERT(m);
        parley_fit_memory mem = parley_fit_memory_needed(m, NULL);
        ASSERT_MSG(fabs(mem.total / 1e6 - want[i].mb) < 0.01 * want[i].mb, "%s: %.1f MB, whisper.cpp %.1f MB",
                   want[i].id, mem.total / 1e6, want[i].mb);
    }
    parley_hw hw = laptop8();
    parley_fit f = parley_fit_model(model("whisper-small"), &hw, NULL);
    ASSERT(f.level == PARLEY_FIT_GREAT && f.tokens_per_s == 0); /* no token speed for speech */
}

TEST(stars_follow_parameters_not_quantisation)
{
    ASSERT_EQ_INT(parley_stars_for_params(1.9e9), 1);
    ASSERT_EQ_INT(parley_stars_for_params(6.99e9), 1);
    ASSERT_EQ_INT(parley_stars_for_params(7e9), 2);
    ASSERT_EQ_INT(parley_stars_for_params(12e9), 2);
    ASSERT_EQ_INT(parley_stars_for_params(12.1e9), 3);
    const parley_model_info *a = model("qwen3.5-9b"), *b = model("qwen3.5-9b-hq");
    ASSERT(a && b);
    ASSERT_EQ_INT(a->stars, 2);
    ASSERT_EQ_INT(b->stars, a->stars);
    ASSERT(b->hq && !a->hq);
}

int main(void)
{
    parley_init();
    const char *d = test_tmpdir("fit");
    char models_dir[4200], reg[4200], set[4200];
    snprintf(models_dir, sizeof models_dir, "%s/models", d);
    snprintf(reg, sizeof reg, "%s/models.json", d);
    snprintf(set, sizeof set, "%s/device.json", d);
    struct parley_catalog_params cp = parley_catalog_default_params();
    cp.builtin_only = true;
    cp.models_dir = models_dir;
    cp.registry_path = reg;
    cp.settings_path = set;
    if (parley_catalog_open(&cp, &cat) != PARLEY_OK) {
        fprintf(stderr, "catalog: %s\n", parley_last_error());
        return 1;
    }
    RUN(kv_and_state_match_catalog_md);
    RUN(sequences_and_swa_full);
    RUN(hybrid_state_does_not_grow_with_context);
    RUN(laptop_8gb);
    RUN(laptop_16gb);
    RUN(mac_32gb_unified);
    RUN(gpu_box_24gb);
    RUN(gpu_box_12gb_splits_and_is_slow);
    RUN(vram_budget_is_what_is_free_not_the_total);
    RUN(known_bad_driver_table);
    RUN(speech_speed_rates_models_slower_than_real_time);
    RUN(no_device_blocks_the_picker);
    RUN(nothing_fits_blocks_with_the_smallest_need);
    RUN(tight_is_never_recommended);
    RUN(scorer_is_pure);
    RUN(unknown_bandwidth_gives_unknown_speed);
    RUN(whisper_memory_matches_whisper_cpp);
    RUN(stars_follow_parameters_not_quantisation);
    parley_catalog_free(cat);
    return test_summary();
}
