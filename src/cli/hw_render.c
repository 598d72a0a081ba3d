/* hw_render.c: `parley hw` as text and JSON (hw_render.h). */
#include "hw_render.h"

#include <parley/json.h>

#include <string.h>

static void gb(char *out, size_t n, uint64_t bytes) { snprintf(out, n, "%.1f GB", (double)bytes / 1e9); }

static void bw(char *out, size_t n, double gbs, parley_bw_source src)
{
    if (gbs > 0)
        snprintf(out, n, "%.1f GB/s (%s)", gbs, parley_bw_source_name(src));
    else
        snprintf(out, n, "unknown");
}

void cli_hw_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_hw *hw)
{
    /* The shared rendering (json.h, also the server's /api/hw), copied into o. */
    yyjson_mut_val *base = parley_json_hw(doc, hw);
    yyjson_mut_obj_iter it;
    yyjson_mut_obj_iter_init(base, &it);
    yyjson_mut_val *key;
    while ((key = yyjson_mut_obj_iter_next(&it)))
        yyjson_mut_obj_add(o, yyjson_mut_val_mut_copy(doc, key),
                           yyjson_mut_val_mut_copy(doc, yyjson_mut_obj_iter_get_val(key)));
}

void cli_hw_print(FILE *f, const parley_hw *hw)
{
    char a[64], b[64];
    gb(a, sizeof a, hw->ram_total);
    gb(b, sizeof b, hw->ram_available);
    fprintf(f, "OS             %s\n", hw->os);
    fprintf(f, "RAM            %s total, %s available\n", a, b);
    bw(a, sizeof a, hw->ram_bandwidth_gbs, hw->ram_bandwidth_source);
    fprintf(f, "RAM bandwidth  %s\n", a);
    bw(a, sizeof a, hw->cpu_matvec_gbs, hw->cpu_matvec_source);
    fprintf(f, "CPU mat-vec    %s of Q4_K weights (decode's arithmetic limit)\n", a);
    fprintf(f, "CPU            %s (%d cores, %d threads)%s\n", hw->cpu_model[0] ? hw->cpu_model : "unknown",
            hw->cpu_cores, hw->cpu_threads, hw->cpu_device ? "" : "  [no ggml CPU backend]");
    fprintf(f, "SIMD           %s\n", hw->cpu_simd[0] ? hw->cpu_simd : "unknown");
    if (hw->n_gpus == 0)
        fprintf(f, "GPUs           none (ggml sees no GPU backend device)\n");
    for (int i = 0; i < hw->n_gpus && i < PARLEY_HW_MAX_GPUS; i++) {
        const parley_gpu *g = &hw->gpus[i];
        gb(a, sizeof a, g->mem_total);
        gb(b, sizeof b, g->mem_free);
        char c[64];
        bw(c, sizeof c, g->bandwidth_gbs, g->bandwidth_source);
        fprintf(f, "%-14s %s: %s, %s, %s total, %s free, bandwidth %s\n", i == 0 ? "GPUs" : "", g->name,
                g->description, parley_gpu_type_name(g->type), a, b, c);
        if (g->software)
            fprintf(f, "%-14s   software device: it runs on the CPU, in system RAM (no faster than the CPU)\n", "");
        fprintf(f, "%-14s   driver %s\n", "", g->driver[0] ? g->driver : "unknown");
        if (g->known_bad)
            fprintf(f, "%-14s   KNOWN-BAD DRIVER, nothing is placed on this GPU: %s\n", "", g->known_bad_reason);
    }
}
