/* fit_gpu: the fit scorer's GPU prediction for a GGUF on a discrete GPU with a given
 * amount of usable memory: placement, layers on the GPU, VRAM and RAM needed, the memory
 * parts. Used by bench/gpu_fit.sh beside what llama.cpp allocates and what its own --fit
 * chooses. Prints one JSON object.
 *
 *   fit_gpu MODEL.gguf --usable-mib MIB [--ctx TOKENS] [--n-seq N] [--gpu-gbs GBS]
 *
 * The GPU is synthetic (mem_free = MIB, no reserve), so that llama.cpp's --fit can be given
 * the same usable memory with --fit-target (its margin) on the real device. */
#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/hw.h>
#include <parley/parley.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *path = NULL;
    double usable_mib = 0, gpu_gbs = 100;
    int ctx = 4096, n_seq = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--usable-mib") && i + 1 < argc)
            usable_mib = atof(argv[++i]);
        else if (!strcmp(argv[i], "--ctx") && i + 1 < argc)
            ctx = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n-seq") && i + 1 < argc)
            n_seq = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--gpu-gbs") && i + 1 < argc)
            gpu_gbs = atof(argv[++i]);
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path || usable_mib <= 0) {
        fprintf(stderr, "usage: fit_gpu MODEL.gguf --usable-mib MIB [--ctx N] [--n-seq N] [--gpu-gbs GBS]\n");
        return 2;
    }
    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "parley_init: %s\n", parley_last_error());
        return 1;
    }
    parley_model_info info;
    if (parley_model_read_gguf(path, &info) != PARLEY_OK) {
        fprintf(stderr, "%s\n", parley_last_error());
        return 1;
    }
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false;
    parley_hw hw;
    if (parley_hw_probe(&hp, &hw) != PARLEY_OK) {
        fprintf(stderr, "hw: %s\n", parley_last_error());
        return 1;
    }
    if (hw.cpu_matvec_gbs <= 0)
        hw.cpu_matvec_gbs = 5; /* only the speed column needs it; memory does not */
    hw.n_gpus = 1;
    parley_gpu *g = &hw.gpus[0];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "GPU0");
    snprintf(g->description, sizeof g->description, "synthetic GPU, %.0f MiB usable", usable_mib);
    snprintf(g->backend, sizeof g->backend, "Vulkan");
    g->type = PARLEY_GPU_DISCRETE;
    g->mem_free = (uint64_t)(usable_mib * 1048576.0);
    g->mem_total = g->mem_free;
    g->bandwidth_gbs = gpu_gbs;
    g->bandwidth_source = PARLEY_BW_GIVEN;
    struct parley_fit_params fp = parley_fit_default_params();
    fp.n_ctx = (uint32_t)ctx;
    fp.n_seq = (uint32_t)n_seq;
    fp.vram_reserve_gb = 1e-9; /* the margin is given to llama.cpp as --fit-target instead */
    parley_fit f = parley_fit_model(&info, &hw, &fp);
    const double M = 1048576.0;
    printf("{\"model\":\"%s\",\"n_layer\":%u,\"usable_mib\":%.0f,\"placement\":\"%s\",\"n_gpu_layers\":%u,"
           "\"vram_mib\":%.1f,\"ram_mib\":%.1f,\"weights_mib\":%.1f,\"kv_mib\":%.1f,\"state_mib\":%.1f,"
           "\"compute_mib\":%.1f,\"total_mib\":%.1f,\"tokens_per_s\":%.2f,\"label\":\"%s\"}\n",
           info.id, f.n_layer, usable_mib, parley_placement_name(f.placement), f.n_gpu_layers, f.vram_bytes / M,
           f.ram_bytes / M, f.mem.weights / M, f.mem.kv / M, f.mem.state / M, f.mem.compute / M, f.mem.total / M,
           f.tokens_per_s, f.label);
    return 0;
}
