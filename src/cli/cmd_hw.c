/* cmd_hw.c: `parley hw`: what this machine has for running models. */
#include "cli.h"

#include <parley/hw.h>

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char *usage = "parley hw [--json] [--no-measure] [--remeasure]";

static void gb(char *out, size_t n, uint64_t bytes) { snprintf(out, n, "%.1f GB", (double)bytes / 1e9); }

static void bw(char *out, size_t n, double gbs, parley_bw_source src)
{
    if (gbs > 0)
        snprintf(out, n, "%.1f GB/s (%s)", gbs, parley_bw_source_name(src));
    else
        snprintf(out, n, "unknown");
}

/* Adds the hardware description to a JSON object (shared with `parley models --json`). */
void cli_hw_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_hw *hw);
void cli_hw_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_hw *hw)
{
    yyjson_mut_obj_add_strcpy(doc, o, "os", hw->os);
    yyjson_mut_obj_add_uint(doc, o, "ram_total_bytes", hw->ram_total);
    yyjson_mut_obj_add_uint(doc, o, "ram_available_bytes", hw->ram_available);
    if (hw->ram_bandwidth_gbs > 0)
        yyjson_mut_obj_add_real(doc, o, "ram_bandwidth_gbs", hw->ram_bandwidth_gbs);
    else
        yyjson_mut_obj_add_null(doc, o, "ram_bandwidth_gbs");
    yyjson_mut_obj_add_str(doc, o, "ram_bandwidth_source", parley_bw_source_name(hw->ram_bandwidth_source));
    if (hw->cpu_matvec_gbs > 0)
        yyjson_mut_obj_add_real(doc, o, "cpu_matvec_gbs", hw->cpu_matvec_gbs);
    else
        yyjson_mut_obj_add_null(doc, o, "cpu_matvec_gbs");
    yyjson_mut_val *cpu = yyjson_mut_obj_add_obj(doc, o, "cpu");
    yyjson_mut_obj_add_strcpy(doc, cpu, "model", hw->cpu_model);
    yyjson_mut_obj_add_int(doc, cpu, "cores", hw->cpu_cores);
    yyjson_mut_obj_add_int(doc, cpu, "threads", hw->cpu_threads);
    yyjson_mut_val *simd = yyjson_mut_obj_add_arr(doc, cpu, "simd");
    char tmp[sizeof hw->cpu_simd];
    snprintf(tmp, sizeof tmp, "%s", hw->cpu_simd);
    for (char *save = NULL, *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save))
        yyjson_mut_arr_add_strcpy(doc, simd, t);
    yyjson_mut_obj_add_bool(doc, cpu, "ggml_device", hw->cpu_device);
    yyjson_mut_val *gpus = yyjson_mut_obj_add_arr(doc, o, "gpus");
    for (int i = 0; i < hw->n_gpus; i++) {
        const parley_gpu *g = &hw->gpus[i];
        yyjson_mut_val *go = yyjson_mut_arr_add_obj(doc, gpus);
        yyjson_mut_obj_add_strcpy(doc, go, "name", g->name);
        yyjson_mut_obj_add_strcpy(doc, go, "description", g->description);
        yyjson_mut_obj_add_strcpy(doc, go, "backend", g->backend);
        yyjson_mut_obj_add_str(doc, go, "type", parley_gpu_type_name(g->type));
        yyjson_mut_obj_add_uint(doc, go, "memory_total_bytes", g->mem_total);
        yyjson_mut_obj_add_uint(doc, go, "memory_free_bytes", g->mem_free);
        if (g->bandwidth_gbs > 0)
            yyjson_mut_obj_add_real(doc, go, "bandwidth_gbs", g->bandwidth_gbs);
        else
            yyjson_mut_obj_add_null(doc, go, "bandwidth_gbs");
        yyjson_mut_obj_add_str(doc, go, "bandwidth_source", parley_bw_source_name(g->bandwidth_source));
    }
}

int cmd_hw(int argc, char **argv)
{
    bool json = false;
    struct parley_hw_params hp = parley_hw_default_params();
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_flag(argv[i], "--no-measure"))
            hp.measure_bandwidth = false;
        else if (cli_flag(argv[i], "--remeasure"))
            hp.use_cache = false;
        else if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\nShows RAM, CPU, the GPUs ggml sees and memory bandwidth (RAM: measured once and "
                   "cached; GPUs: from a table of known devices).\n", usage);
            return 0;
        } else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    parley_hw hw;
    parley_status st = parley_hw_probe(&hp, &hw);
    if (st)
        return cli_error(st, "hardware probe");
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        cli_hw_to_json(doc, root, &hw);
        char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
        yyjson_mut_doc_free(doc);
        if (!text)
            return cli_error(PARLEY_ERR_NOMEM, "json");
        printf("%s\n", text);
        free(text);
        return 0;
    }
    char a[64], b[64];
    gb(a, sizeof a, hw.ram_total);
    gb(b, sizeof b, hw.ram_available);
    printf("OS             %s\n", hw.os);
    printf("RAM            %s total, %s available\n", a, b);
    bw(a, sizeof a, hw.ram_bandwidth_gbs, hw.ram_bandwidth_source);
    printf("RAM bandwidth  %s\n", a);
    bw(a, sizeof a, hw.cpu_matvec_gbs, hw.cpu_matvec_source);
    printf("CPU mat-vec    %s of Q4_K weights (decode's arithmetic limit)\n", a);
    printf("CPU            %s (%d cores, %d threads)%s\n", hw.cpu_model[0] ? hw.cpu_model : "unknown", hw.cpu_cores,
           hw.cpu_threads, hw.cpu_device ? "" : "  [no ggml CPU backend]");
    printf("SIMD           %s\n", hw.cpu_simd[0] ? hw.cpu_simd : "unknown");
    if (hw.n_gpus == 0)
        printf("GPUs           none (ggml sees no GPU backend device)\n");
    for (int i = 0; i < hw.n_gpus; i++) {
        const parley_gpu *g = &hw.gpus[i];
        gb(a, sizeof a, g->mem_total);
        gb(b, sizeof b, g->mem_free);
        char c[64];
        bw(c, sizeof c, g->bandwidth_gbs, g->bandwidth_source);
        printf("%-14s %s: %s, %s, %s total, %s free, bandwidth %s\n", i == 0 ? "GPUs" : "", g->name, g->description,
               parley_gpu_type_name(g->type), a, b, c);
    }
    return 0;
}
