/*
 * fit.h: will this model run well on this machine? Memory and speed are computed from
 * the model's shape and the hardware description, per architecture; nothing is looked up
 * from a table of "recommended RAM". docs/fit.md explains every formula and threshold.
 *
 * Basic usage
 *
 *     struct parley_fit_params fp = parley_fit_default_params();   // 32k-token context
 *     parley_fit f = parley_fit_model(model_info, &hw, &fp);
 *     printf("%s  %.1f tok/s  %.1f GB RAM\n", f.label, f.tokens_per_s, f.ram_bytes / 1e9);
 *
 * parley_fit_model is a pure function of (model, hardware, params): no I/O, no globals,
 * so it is tested with synthetic hardware.
 *
 * Thread rules: everything here is reentrant.
 */
#ifndef PARLEY_FIT_H
#define PARLEY_FIT_H

#include <parley/catalog.h>
#include <parley/hw.h>
#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_fit_level {
    PARLEY_FIT_WONT = 0,  /* does not fit in memory (or nothing can run it) */
    PARLEY_FIT_TIGHT = 1, /* fits, but leaves the machine short, or is slow to read */
    PARLEY_FIT_GREAT = 2, /* fits with room to spare, at a comfortable speed */
} parley_fit_level;

typedef enum parley_placement {
    PARLEY_PLACE_NONE = 0,  /* not placeable */
    PARLEY_PLACE_GPU = 1,   /* every layer on one GPU (or unified memory) */
    PARLEY_PLACE_SPLIT = 2, /* some layers on a GPU, the rest on the CPU */
    PARLEY_PLACE_CPU = 3,   /* everything on the CPU */
} parley_placement;

struct parley_fit_params {
    uint32_t n_ctx;            /* context for a long meeting, tokens; 0 = 32768 (about 2 h) */
    uint32_t n_ubatch;         /* llama.cpp physical batch (compute buffers); 0 = 512 */
    uint32_t kv_bytes;         /* bytes per K/V element; 0 = 2 (f16) */
    uint32_t n_seq;            /* sequences the engine keeps at once (llama n_seq_max, unified
                                  KV): each has its own recurrent state and sliding window;
                                  0 = 2 (Parley's engine: the meeting prefix + a scratch fork) */
    bool swa_full;             /* sliding-window layers keep the whole context (llama.cpp's
                                  context default); false = only window cells (0 = false) */
    double reserve_min_gb;     /* Great: RAM left for the OS and apps, at least this; 0 = 3.0 */
    double reserve_frac;       /* Great: ... and at least this share of RAM; 0 = 0.20 */
    double hard_reserve_gb;    /* Tight: the least RAM left for the OS; 0 = 1.5 */
    double vram_reserve_gb;    /* VRAM kept free for the display/driver; 0 = 0.5 */
    double unified_gpu_frac;   /* share of unified memory a GPU may use; 0 = 0.75 */
    double great_tps;          /* Great needs at least this decode speed, tok/s; 0 = 10 */
    double gpu_efficiency;     /* achieved / peak bandwidth on a GPU; 0 = 0.6 */
    double cpu_efficiency;     /* achieved / peak bandwidth on the CPU; 0 = 0.55 */
    double matvec_efficiency;  /* decode rate / measured CPU mat-vec rate (the rest of a
                                  token's work: attention, norms, recurrent updates); 0 = 0.85 */
    double live_realtime_x;    /* speech: Great needs at least this many times real time, the
                                  margin a live meeting needs (VAD, windows, a busy machine);
                                  0 = 1.5 */
};
struct parley_fit_params parley_fit_default_params(void);

/* Memory needed by a model at n_ctx, by part (bytes). */
typedef struct parley_fit_memory {
    uint64_t weights;   /* the file's tensor bytes (everything is loaded) */
    uint64_t kv;        /* K/V cache at n_ctx (attention layers that own KV only) */
    uint64_t state;     /* fixed recurrent state (hybrid) + fixed sliding-window cache */
    uint64_t compute;   /* compute buffers for one n_ubatch graph + output buffers */
    uint64_t total;     /* the sum */
} parley_fit_memory;

/* The memory formula alone (pure). */
parley_fit_memory parley_fit_memory_needed(const parley_model_info *m, const struct parley_fit_params *p);

typedef struct parley_fit {
    parley_fit_level level;
    bool slow;                 /* "+ Slow" in the label: some layers run off a usable GPU, or
                                  a speech model is slower than real time. A machine without
                                  a GPU is not "slow" per row: the picker says "CPU only" once */
    parley_placement placement;
    int gpu_index;             /* hw->gpus[] index used, -1 = none */
    uint32_t n_layer;          /* the model's layers */
    uint32_t n_gpu_layers;     /* of which on the GPU */
    parley_fit_memory mem;
    uint64_t ram_bytes;        /* system RAM this model needs */
    uint64_t vram_bytes;       /* GPU memory it needs (0 on CPU; unified: = ram_bytes) */
    double tokens_per_s;       /* estimated decode speed; 0 = unknown (speech models,
                                  unknown bandwidth) */
    double realtime_x;         /* speech: estimated transcription speed, times real time
                                  (2 = an hour of audio in 30 min); 0 = unknown */
    bool keeps_up_live;        /* speech: realtime_x >= live_realtime_x */
    double score;              /* higher is better among Great fits (for "Recommended") */
    char label[32];            /* "Great fit", "Tight fit + Slow", "Won't fit" */
    char reason[200];          /* one sentence: why this level */
} parley_fit;

/* Estimated transcription speed of a speech model, times real time, on the CPU at
 * `matvec_gbs` (hw->cpu_matvec_gbs) or on a GPU of `gpu_gbs` GB/s (0 = CPU). 0 when the
 * rate is unknown. The formula and its check against real runs: docs/fit.md. */
double parley_fit_speech_realtime(const parley_model_info *m, double matvec_gbs, double gpu_gbs);

/* Scores one model on one machine. Pure: same inputs, same answer. */
parley_fit parley_fit_model(const parley_model_info *m, const parley_hw *hw, const struct parley_fit_params *p);

/* The picker's order: fits[i] belongs to models[i]. Writes into order[] the indices
 * sorted by RAM needed (ascending), then stars (descending), then id; returns the index
 * (into models[]) of the Recommended model: the highest-scoring Great fit that is not
 * archived, -1 when there is none (a Tight fit is never recommended). */
int parley_fit_rank(const parley_model_info *const *models, const parley_fit *fits, size_t n, size_t *order);

/* When the picker must show a reason instead of a list: no usable device, or no model
 * fits at all. Writes the reason into out and returns true; false (out = "") when at
 * least one model fits. */
bool parley_fit_blocking_reason(const parley_hw *hw, const parley_fit *fits, size_t n, char *out, size_t out_size);

const char *parley_fit_level_name(parley_fit_level l);   /* "Great fit", "Tight fit", "Won't fit" */
const char *parley_placement_name(parley_placement p);   /* "gpu", "split", "cpu", "none" */

#ifdef __cplusplus
}
#endif
#endif
