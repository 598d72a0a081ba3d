/*
 * hw.h: what this machine has for running models: RAM, CPU, every compute device that
 * ggml's backend registry sees, and memory bandwidth (the number that decides decode
 * speed).
 *
 * Basic usage
 *
 *     parley_init();                                  // loads ggml's backends
 *     struct parley_hw_params hp = parley_hw_default_params();
 *     parley_hw hw;
 *     if (parley_hw_probe(&hp, &hw) == PARLEY_OK)
 *         printf("%.1f GB RAM, %d GPUs\n", hw.ram_total / 1e9, hw.n_gpus);
 *
 * parley_hw is plain data: the fit scorer (fit.h) takes it by pointer, so tests describe
 * synthetic machines (an 8 GB laptop, a 24 GB GPU box) without probing anything.
 *
 * Bandwidth: for system RAM it is measured (a short multi-threaded read over a buffer
 * much larger than the caches), together with the CPU's quantised mat-vec throughput
 * (decoding's arithmetic limit on few-core machines), and both are cached in
 * <cache>/membw.json keyed by CPU model, RAM size and thread count; for GPUs bandwidth
 * comes from a table of known devices; 0 means unknown, never a guess. A software Vulkan
 * device (lavapipe) reads system RAM: its bandwidth is the RAM's, measured.
 *
 * Known-bad GPU drivers (a table, parley_hw_known_bad_driver) are checked at probe time:
 * such a device is listed with known_bad and the reason, and the fit scorer places
 * nothing on it, instead of letting a model load crash the process.
 *
 * Thread rules: parley_hw_probe may be called from any thread after parley_init().
 */
#ifndef PARLEY_HW_H
#define PARLEY_HW_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_gpu_type {
    PARLEY_GPU_DISCRETE = 0,   /* own memory (VRAM) across a bus */
    PARLEY_GPU_INTEGRATED = 1, /* shares system RAM (ggml's IGPU) */
    PARLEY_GPU_UNIFIED = 2,    /* Apple-style unified memory: one pool, GPU speed */
} parley_gpu_type;

typedef enum parley_bw_source {
    PARLEY_BW_UNKNOWN = 0,  /* bandwidth_gbs is 0 */
    PARLEY_BW_MEASURED = 1, /* measured now */
    PARLEY_BW_CACHED = 2,   /* measured earlier on this machine (cache file) */
    PARLEY_BW_TABLE = 3,    /* from the table of known devices */
    PARLEY_BW_GIVEN = 4,    /* set by the caller (synthetic hardware) */
} parley_bw_source;

#define PARLEY_HW_MAX_GPUS 8

typedef struct parley_gpu {
    char name[64];           /* ggml device name ("CUDA0", "Vulkan0", "Metal") */
    char description[128];   /* the device's own description ("NVIDIA GeForce RTX 4090") */
    char backend[32];        /* ggml backend registry name ("CUDA", "Vulkan", "Metal") */
    parley_gpu_type type;
    uint64_t mem_total;      /* bytes */
    uint64_t mem_free;       /* bytes, at probe time */
    double bandwidth_gbs;    /* GB/s (1e9 bytes); 0 = unknown */
    parley_bw_source bandwidth_source;
    bool software;           /* a Vulkan implementation that runs on the CPU (Mesa's
                                lavapipe/llvmpipe, SwiftShader): its memory is system RAM
                                and it is no faster than the CPU. ggml hides these unless
                                GGML_VK_VISIBLE_DEVICES names them (docs/fit.md) */
    char driver[32];         /* the driver's version where it can be read ("595.12": the
                                NVIDIA kernel module on Linux); "" = unknown */
    bool known_bad;          /* the driver is in the known-bad table: nothing is placed on
                                this device (the fit scorer skips it) */
    char known_bad_reason[256]; /* what is wrong and the fix; "" unless known_bad */
} parley_gpu;

typedef struct parley_hw {
    char os[32];                 /* "linux", "macos", "windows" */
    uint64_t ram_total;          /* bytes of system RAM */
    uint64_t ram_available;      /* bytes free for new work now (MemAvailable) */
    char cpu_model[128];         /* "AMD Ryzen 7 7840U ..." ("" = unknown) */
    int cpu_cores;               /* physical cores; 0 = unknown */
    int cpu_threads;             /* logical CPUs */
    char cpu_simd[160];          /* space-separated features ggml uses: "sse4.2 avx avx2 fma f16c avx512f ..." */
    bool cpu_device;             /* ggml has a CPU backend device (false: nothing can run) */
    double ram_bandwidth_gbs;    /* system RAM read bandwidth, GB/s; 0 = unknown */
    parley_bw_source ram_bandwidth_source;
    double cpu_matvec_gbs;       /* GB/s of Q4_K weights ggml's CPU mat-vec kernel gets through
                                    with all threads (decode's arithmetic limit); 0 = unknown */
    parley_bw_source cpu_matvec_source;
    int n_gpus;                  /* entries used in gpus[] (non-CPU ggml devices) */
    parley_gpu gpus[PARLEY_HW_MAX_GPUS];
} parley_hw;

struct parley_hw_params {
    bool measure_bandwidth; /* measure RAM bandwidth when not cached (default true) */
    bool use_cache;         /* read/write the bandwidth cache (default true) */
    const char *cache_path; /* NULL = <cache>/membw.json */
    double probe_seconds;   /* time budget of the measurement; 0 = 0.4 s */
};
struct parley_hw_params parley_hw_default_params(void);

/* Probes the machine. Fields it cannot learn stay 0/"" (never invented). Fails only when
 * the basics (RAM size) cannot be read: UNSUPPORTED on a platform without a probe. */
parley_status parley_hw_probe(const struct parley_hw_params *params, parley_hw *out);

/* Measures RAM read bandwidth now (GB/s), with `threads` threads (0 = logical CPUs) for
 * about `seconds`. NOMEM when the 512 MiB buffer cannot be had. */
parley_status parley_hw_measure_ram_bandwidth(int threads, double seconds, double *gbs);

/* Measures the CPU's quantised mat-vec throughput now (GB/s of Q4_K weights through
 * ggml's CPU kernel, 252 MiB of weights, median pass, `threads` threads, 0 = logical CPUs). Needs
 * parley_init() (ggml's CPU backend). */
parley_status parley_hw_measure_cpu_matvec(int threads, double seconds, double *gbs);

/* Peak memory bandwidth of a known GPU from its description ("NVIDIA GeForce RTX 4090"
 * -> 1008), GB/s; 0 when the device is not in the table. */
double parley_hw_known_gpu_bandwidth(const char *description);

/* The known-bad drivers table: true when this (backend, device description, driver
 * version) is known to crash or compute wrongly; `why` (may be NULL) gets one sentence
 * with the problem and the fix. Pure, so tests pass synthetic devices. An empty driver
 * version is never "bad" (unknown is not a verdict). docs/fit.md lists the table. */
bool parley_hw_known_bad_driver(const char *backend, const char *description, const char *driver, char *why,
                                size_t why_size);

/* True for a description of a CPU-backed Vulkan implementation ("llvmpipe (LLVM 19...)"). */
bool parley_hw_is_software_gpu(const char *description);

const char *parley_gpu_type_name(parley_gpu_type t);     /* "discrete", "integrated", "unified" */
const char *parley_bw_source_name(parley_bw_source s);   /* "measured", "cached", "table", "given", "unknown" */

#ifdef __cplusplus
}
#endif
#endif
