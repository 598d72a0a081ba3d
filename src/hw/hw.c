/* hw.c: the hardware probe's portable part: ggml's devices, the RAM bandwidth
 * measurement and its cache, and the table of known GPU bandwidths. */
#include "core/internal.h"
#include "hw/hw_platform.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ggml-backend.h>
#include <yyjson.h>

struct parley_hw_params parley_hw_default_params(void)
{
    struct parley_hw_params p;
    memset(&p, 0, sizeof p);
    p.measure_bandwidth = true;
    p.use_cache = true;
    return p;
}

const char *parley_gpu_type_name(parley_gpu_type t)
{
    switch (t) {
    case PARLEY_GPU_DISCRETE: return "discrete";
    case PARLEY_GPU_INTEGRATED: return "integrated";
    case PARLEY_GPU_UNIFIED: return "unified";
    }
    return "unknown";
}

const char *parley_bw_source_name(parley_bw_source s)
{
    switch (s) {
    case PARLEY_BW_UNKNOWN: return "unknown";
    case PARLEY_BW_MEASURED: return "measured";
    case PARLEY_BW_CACHED: return "cached";
    case PARLEY_BW_TABLE: return "table";
    case PARLEY_BW_GIVEN: return "given";
    }
    return "unknown";
}

/* Peak memory bandwidth from the vendors' spec sheets, GB/s. Matched as a substring of
 * the device description, first match wins, so longer names come before their prefixes
 * ("RTX 4060 Ti" before "RTX 4060"). A device not listed is "unknown", never estimated. */
static const struct {
    const char *match;
    double gbs;
} gpu_table[] = {
    {"RTX 5090", 1792}, {"RTX 5080", 960}, {"RTX 5070 Ti", 896}, {"RTX 5070", 672}, {"RTX 5060 Ti", 448},
    {"RTX 4090", 1008}, {"RTX 4080 SUPER", 736}, {"RTX 4080", 717}, {"RTX 4070 Ti SUPER", 672},
    {"RTX 4070 Ti", 504}, {"RTX 4070 SUPER", 504}, {"RTX 4070", 504}, {"RTX 4060 Ti", 288}, {"RTX 4060", 272},
    {"RTX 3090 Ti", 1008}, {"RTX 3090", 936}, {"RTX 3080 Ti", 912}, {"RTX 3080", 760}, {"RTX 3070 Ti", 608},
    {"RTX 3070", 448}, {"RTX 3060 Ti", 448}, {"RTX 3060", 360}, {"RTX A6000", 768}, {"RTX 6000 Ada", 960},
    {"H200", 4800}, {"H100 PCIe", 2039}, {"H100 NVL", 3900}, {"H100", 3350}, {"A100-SXM4-80GB", 2039},
    {"A100 80GB PCIe", 1935}, {"A100", 1555}, {"L40S", 864}, {"L40", 864}, {"L4", 300}, {"A10G", 600},
    {"A10", 600}, {"T4", 320}, {"V100", 900},
    {"RX 7900 XTX", 960}, {"RX 7900 XT", 800}, {"RX 7800 XT", 624}, {"RX 7600", 288}, {"RX 6900 XT", 512},
    {"RX 6800 XT", 512}, {"MI300X", 5300}, {"MI250X", 3277},
    {"Apple M4 Max", 546}, {"Apple M4 Pro", 273}, {"Apple M4", 120}, {"Apple M3 Ultra", 819},
    {"Apple M3 Max", 400}, {"Apple M3 Pro", 150}, {"Apple M3", 100}, {"Apple M2 Ultra", 800},
    {"Apple M2 Max", 400}, {"Apple M2 Pro", 200}, {"Apple M2", 100}, {"Apple M1 Ultra", 800},
    {"Apple M1 Max", 400}, {"Apple M1 Pro", 200}, {"Apple M1", 68},
};

double parley_hw_known_gpu_bandwidth(const char *description)
{
    if (!description)
        return 0;
    for (size_t i = 0; i < sizeof gpu_table / sizeof gpu_table[0]; i++) {
        const char *p = strstr(description, gpu_table[i].match);
        if (!p)
            continue;
        /* "L4" must not match "L40", "A10" not "A100": the next character may not extend
         * the model number. */
        char next = p[strlen(gpu_table[i].match)];
        if ((next >= '0' && next <= '9') || (next >= 'A' && next <= 'Z' && gpu_table[i].match[1] != ' '))
            continue;
        return gpu_table[i].gbs;
    }
    return 0;
}

/* ---- software devices and known-bad drivers ------------------------------------------ */

bool parley_hw_is_software_gpu(const char *description)
{
    if (!description)
        return false;
    static const char *const names[] = {"llvmpipe", "lavapipe", "softpipe", "SwiftShader", "Software Rasterizer"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasestr(description, names[i]))
            return true;
    return false;
}

/* Compares dotted versions numerically ("595.9" < "595.10"); missing parts count as 0. */
static int version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea, *eb;
        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (ea == a && eb == b)
            break; /* neither has a number left: a non-numeric tail compares equal */
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
    }
    return 0;
}

/* Drivers known to crash or compute wrongly. A device is bad when its backend matches,
 * its description contains `match`, and from <= driver < fixed. Add rows at the end;
 * docs/fit.md lists them. */
static const struct {
    const char *backend;
    const char *match;
    const char *from;
    const char *fixed;
    const char *problem;
} bad_drivers[] = {
    {"Vulkan", "RTX 40", "595", "596.21",
     "the NVIDIA 595.xx Vulkan driver crashes at model load on RTX 40-series cards"},
};

bool parley_hw_known_bad_driver(const char *backend, const char *description, const char *driver, char *why,
                                size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    if (!backend || !description || !driver || !driver[0])
        return false;
    for (size_t i = 0; i < sizeof bad_drivers / sizeof bad_drivers[0]; i++) {
        if (strcmp(backend, bad_drivers[i].backend) != 0 || !strstr(description, bad_drivers[i].match))
            continue;
        if (version_cmp(driver, bad_drivers[i].from) < 0 || version_cmp(driver, bad_drivers[i].fixed) >= 0)
            continue;
        if (why && why_size)
            snprintf(why, why_size, "driver %s: %s; update the driver to %s or later (Parley keeps models off "
                     "this GPU until then)", driver, bad_drivers[i].problem, bad_drivers[i].fixed);
        return true;
    }
    return false;
}

/* ---- RAM bandwidth ---------------------------------------------------------------- */

struct bw_job {
    const uint64_t *data;
    size_t n;               /* words in this thread's slice */
    const atomic_int *go;   /* readers spin until it is set, so they start together */
    double t_done;          /* parley_now() when this reader finished */
    uint64_t sink;          /* the sum, so the reads cannot be optimised away */
};

static void *bw_reader(void *arg)
{
    struct bw_job *j = arg;
    while (!atomic_load_explicit(j->go, memory_order_acquire))
        ;
    /* Four independent sums let the compiler vectorise and keep loads in flight. */
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= j->n; i += 4) {
        a += j->data[i];
        b += j->data[i + 1];
        c += j->data[i + 2];
        d += j->data[i + 3];
    }
    for (; i < j->n; i++)
        a += j->data[i];
    j->sink = a + b + c + d;
    j->t_done = parley_now();
    return NULL;
}

parley_status parley_hw_measure_ram_bandwidth(int threads, double seconds, double *gbs)
{
    if (!gbs)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    *gbs = 0;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > 64)
        threads = 64;
    if (seconds <= 0)
        seconds = 0.4;
    /* 512 MiB: far past any last-level cache, so what is timed is DRAM. */
    const size_t bytes = (size_t)512 << 20;
    uint64_t *buf = malloc(bytes);
    if (!buf)
        return parley_fail(PARLEY_ERR_NOMEM, "no 512 MiB buffer for the bandwidth probe");
    size_t words = bytes / sizeof *buf;
    for (size_t i = 0; i < words; i++) /* touch every page (and give the reads real data) */
        buf[i] = i;
    struct bw_job jobs[64];
    pthread_t tids[64];
    double best = 0;
    double t_end = parley_now() + seconds;
    int passes = 0;
    parley_status st = PARLEY_OK;
    size_t per = words / (size_t)threads;
    do {
        atomic_int go = 0;
        int started = 0;
        for (int t = 0; t < threads; t++) {
            jobs[t] = (struct bw_job){.data = buf + (size_t)t * per, .n = per, .go = &go};
            if (pthread_create(&tids[t], NULL, bw_reader, &jobs[t]) != 0)
                break;
            started++;
        }
        double t0 = parley_now();
        atomic_store_explicit(&go, 1, memory_order_release);
        double t_last = t0;
        for (int t = 0; t < started; t++) {
            pthread_join(tids[t], NULL);
            if (jobs[t].t_done > t_last)
                t_last = jobs[t].t_done;
        }
        if (started != threads) {
            st = parley_fail(PARLEY_ERR_NOMEM, "could not start %d probe threads", threads);
            break;
        }
        double dt = t_last - t0;
        if (dt > 0) {
            double g = (double)(per * (size_t)threads * sizeof *buf) / dt / 1e9;
            if (g > best)
                best = g;
        }
        passes++;
    } while (parley_now() < t_end || passes < 2);
    free(buf);
    if (st == PARLEY_OK)
        *gbs = best;
    return st;
}

/* ---- the cache of measurements ------------------------------------------------------ */

static bool cache_read(const char *path, const parley_hw *hw, double *gbs, double *matvec)
{
    yyjson_doc *doc = yyjson_read_file(path, 0, NULL, NULL);
    if (!doc)
        return false;
    yyjson_val *r = yyjson_doc_get_root(doc);
    const char *model = yyjson_get_str(yyjson_obj_get(r, "cpu_model"));
    bool ok = model && strcmp(model, hw->cpu_model) == 0 &&
              (uint64_t)yyjson_get_num(yyjson_obj_get(r, "ram_total")) == hw->ram_total &&
              yyjson_get_int(yyjson_obj_get(r, "threads")) == hw->cpu_threads &&
              yyjson_get_num(yyjson_obj_get(r, "ram_bandwidth_gbs")) > 0 &&
              (!hw->cpu_device || yyjson_get_num(yyjson_obj_get(r, "cpu_matvec_gbs")) > 0);
    if (ok) {
        *gbs = yyjson_get_num(yyjson_obj_get(r, "ram_bandwidth_gbs"));
        *matvec = yyjson_get_num(yyjson_obj_get(r, "cpu_matvec_gbs"));
    }
    yyjson_doc_free(doc);
    return ok;
}

static void cache_write(const char *path, const parley_hw *hw, double gbs, double matvec)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return;
    yyjson_mut_val *r = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, r);
    yyjson_mut_obj_add_strcpy(doc, r, "cpu_model", hw->cpu_model);
    yyjson_mut_obj_add_uint(doc, r, "ram_total", hw->ram_total);
    yyjson_mut_obj_add_int(doc, r, "threads", hw->cpu_threads);
    yyjson_mut_obj_add_real(doc, r, "ram_bandwidth_gbs", gbs);
    yyjson_mut_obj_add_real(doc, r, "cpu_matvec_gbs", matvec);
    size_t len;
    char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &len);
    yyjson_mut_doc_free(doc);
    if (!text)
        return;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        parley_mkdirs(dir);
    }
    /* A cache that cannot be written only costs a re-measurement next time. */
    if (parley_write_file_atomic(path, text, len) != PARLEY_OK)
        parley_log(PARLEY_LOG_DEBUG, "bandwidth cache not written: %s", parley_last_error());
    free(text);
}

/* ---- ggml's devices ----------------------------------------------------------------- */

static void probe_devices(parley_hw *hw)
{
    size_t n = ggml_backend_dev_count();
    for (size_t i = 0; i < n; i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(dev);
        if (t == GGML_BACKEND_DEVICE_TYPE_CPU) {
            hw->cpu_device = true;
            continue;
        }
        if (t != GGML_BACKEND_DEVICE_TYPE_GPU && t != GGML_BACKEND_DEVICE_TYPE_IGPU)
            continue; /* BLAS/AMX accelerators and meta devices hold no model of their own */
        if (hw->n_gpus >= PARLEY_HW_MAX_GPUS)
            break;
        parley_gpu *g = &hw->gpus[hw->n_gpus++];
        snprintf(g->name, sizeof g->name, "%s", ggml_backend_dev_name(dev));
        snprintf(g->description, sizeof g->description, "%s", ggml_backend_dev_description(dev));
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
        snprintf(g->backend, sizeof g->backend, "%s", reg ? ggml_backend_reg_name(reg) : "");
        size_t free_b = 0, total_b = 0;
        ggml_backend_dev_memory(dev, &free_b, &total_b);
        g->mem_total = total_b;
        g->mem_free = free_b;
        if (strcmp(g->backend, "Metal") == 0 || strcmp(g->backend, "MTL") == 0)
            g->type = PARLEY_GPU_UNIFIED;
        else if (t == GGML_BACKEND_DEVICE_TYPE_IGPU)
            g->type = PARLEY_GPU_INTEGRATED;
        else
            g->type = PARLEY_GPU_DISCRETE;
        g->bandwidth_gbs = parley_hw_known_gpu_bandwidth(g->description);
        g->bandwidth_source = g->bandwidth_gbs > 0 ? PARLEY_BW_TABLE : PARLEY_BW_UNKNOWN;
        g->software = parley_hw_is_software_gpu(g->description);
        if (g->software)
            g->type = PARLEY_GPU_INTEGRATED; /* its "VRAM" is system RAM (ggml says GPU) */
        if (strcasestr(g->description, "NVIDIA") || strstr(g->description, "GeForce") ||
            strstr(g->description, "RTX") || strcmp(g->backend, "CUDA") == 0)
            parley_hw_platform_nvidia_driver(g->driver, sizeof g->driver);
        g->known_bad = parley_hw_known_bad_driver(g->backend, g->description, g->driver, g->known_bad_reason,
                                                  sizeof g->known_bad_reason);
        if (g->known_bad)
            parley_log(PARLEY_LOG_WARN, "%s (%s): %s", g->name, g->description, g->known_bad_reason);
    }
}

parley_status parley_hw_probe(const struct parley_hw_params *params, parley_hw *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    struct parley_hw_params p = params ? *params : parley_hw_default_params();
    memset(out, 0, sizeof *out);
    parley_status st = parley_hw_platform_probe(out);
    if (st)
        return st;
    probe_devices(out);
    /* An integrated GPU reads system RAM: its bandwidth is the RAM's unless the table
     * knows better (Apple's unified memory is in the table). */
    char cache[PATH_MAX] = "";
    if (p.use_cache) {
        if (p.cache_path)
            snprintf(cache, sizeof cache, "%s", p.cache_path);
        else if (parley_dir_path(PARLEY_DIR_CACHE, cache, sizeof cache - 16) == PARLEY_OK)
            strcat(cache, "/membw.json");
        else
            cache[0] = '\0';
    }
    double gbs = 0, matvec = 0;
    if (cache[0] && cache_read(cache, out, &gbs, &matvec)) {
        out->ram_bandwidth_gbs = gbs;
        out->ram_bandwidth_source = PARLEY_BW_CACHED;
        out->cpu_matvec_gbs = matvec;
        out->cpu_matvec_source = matvec > 0 ? PARLEY_BW_CACHED : PARLEY_BW_UNKNOWN;
    } else if (p.measure_bandwidth) {
        if (parley_hw_measure_ram_bandwidth(0, p.probe_seconds, &gbs) == PARLEY_OK && gbs > 0) {
            out->ram_bandwidth_gbs = gbs;
            out->ram_bandwidth_source = PARLEY_BW_MEASURED;
        }
        if (out->cpu_device && parley_hw_measure_cpu_matvec(0, p.probe_seconds, &matvec) == PARLEY_OK &&
            matvec > 0) {
            out->cpu_matvec_gbs = matvec;
            out->cpu_matvec_source = PARLEY_BW_MEASURED;
        }
        parley_clear_error(); /* unknown stays unknown; the probe itself succeeded */
        if (cache[0] && gbs > 0)
            cache_write(cache, out, gbs, matvec);
    }
    for (int i = 0; i < out->n_gpus; i++) {
        parley_gpu *g = &out->gpus[i];
        if (g->type == PARLEY_GPU_INTEGRATED && g->bandwidth_gbs == 0 && out->ram_bandwidth_gbs > 0) {
            g->bandwidth_gbs = out->ram_bandwidth_gbs;
            g->bandwidth_source = out->ram_bandwidth_source;
        }
    }
    return PARLEY_OK;
}
