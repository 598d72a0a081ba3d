/*
 * catalog.h: the models Parley can run: the curated catalog (LLMs and whisper speech
 * models), the user's own GGUF files (kept by reference, never copied), what is on disk,
 * and the per-device choice of model.
 *
 * Basic usage
 *
 *     struct parley_catalog_params cp = parley_catalog_default_params();
 *     parley_catalog *cat;
 *     if (parley_catalog_open(&cp, &cat) != PARLEY_OK) { ... parley_last_error() ... }
 *     for (size_t i = 0; i < parley_catalog_count(cat); i++) {
 *         const parley_model_info *m = parley_catalog_get(cat, i);
 *         printf("%s %s %s\n", m->id, m->label, parley_model_state_name(m->state));
 *     }
 *     parley_catalog_add_own(cat, "/path/to/my.gguf", &m);   // validated, stored by path
 *     parley_catalog_use(cat, "qwen3.5-9b");                // this device's LLM
 *     parley_catalog_free(cat);
 *
 * Where things live (parley_dir_path):
 *   built-in catalog   compiled in from data/catalog.json
 *   catalog override   <config>/catalog.json: when present it replaces the built-in one
 *                      (it must parse: a broken override is an error, not ignored)
 *   downloaded files   <models>/<file name from the catalog>
 *   own-model registry <data>/models.json (written atomically)
 *   device settings    <config>/device.json (selected models, local features; never synced)
 *
 * Visibility: an archived catalog entry is listed (and selectable) only while its file is
 * in the models directory; once deleted it vanishes from every list and lookup. An own
 * model whose file moved stays listed with state MISSING and the reason.
 *
 * Thread rules: a parley_catalog may be used by one thread at a time. Two processes
 * changing the registry at once: the last atomic write wins (no partial file ever).
 */
#ifndef PARLEY_CATALOG_H
#define PARLEY_CATALOG_H

#include <parley/fetch.h>
#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_model_kind {
    PARLEY_MODEL_LLM = 0,    /* a GGUF language model for llama.cpp */
    PARLEY_MODEL_SPEECH = 1, /* a whisper.cpp ggml speech-to-text model */
} parley_model_kind;

typedef enum parley_model_source {
    PARLEY_SOURCE_CATALOG = 0, /* curated entry, downloaded into the models directory */
    PARLEY_SOURCE_OWN = 1,     /* the user's own GGUF, used in place */
} parley_model_source;

typedef enum parley_model_state {
    PARLEY_STATE_NOT_DOWNLOADED = 0, /* catalog entry whose file is not on disk */
    PARLEY_STATE_READY = 1,          /* the file is on disk (and of the published size) */
    PARLEY_STATE_MISSING = 2,        /* own model whose file is gone or no longer valid */
    PARLEY_STATE_DAMAGED = 3,        /* on disk but of the wrong size (state_reason says) */
} parley_model_state;

/* The shape of a model: what the fit scorer needs. Counts, not bytes. 0 = not
 * applicable (or unknown) unless a field says otherwise. */
typedef struct parley_model_shape {
    /* LLMs */
    uint32_t n_layer;            /* transformer blocks (<arch>.block_count) */
    uint32_t n_embd;             /* hidden size */
    uint32_t n_ff;               /* FFN size (per expert for MoE) */
    uint32_t n_head;             /* attention query heads */
    uint32_t n_head_kv;          /* KV heads (of sliding layers where they differ) */
    uint32_t head_dim;           /* K/V head size (of sliding layers where they differ) */
    uint32_t n_vocab;            /* vocabulary size */
    uint32_t n_ctx_train;        /* trained context, tokens */
    /* hybrid linear attention (Qwen 3.5/3.6): layer i is full attention iff
     * (i+1) % full_attn_interval == 0, the others are Gated DeltaNet layers with a fixed
     * F32 recurrent state. 0 = every layer is attention. */
    uint32_t full_attn_interval;
    uint32_t ssm_k_heads;        /* linear-attention key heads */
    uint32_t ssm_v_heads;        /* linear-attention value heads */
    uint32_t ssm_head_dim;       /* linear-attention head size (key = value) */
    uint32_t ssm_conv_kernel;    /* short convolution kernel length */
    /* sliding-window attention (Gemma 4): layer i is global iff (i+1) % swa_period == 0
     * (and the last layer is always global). 0 = no sliding window. */
    uint32_t swa_window;         /* tokens */
    uint32_t swa_period;
    uint32_t n_head_kv_global;   /* KV heads of global layers */
    uint32_t head_dim_global;    /* head size of global layers */
    uint32_t n_layer_kv_shared;  /* trailing layers that reuse earlier layers' KV */
    uint32_t n_embd_per_layer;   /* per-layer input embedding size (Gemma E-models); 0 = none */
    /* mixture of experts */
    uint32_t n_expert;           /* experts per layer; 0 = dense */
    uint32_t n_expert_used;      /* routed experts per token */
    /* whisper */
    uint32_t n_mels;
    uint32_t n_audio_ctx;        /* encoder positions (1500 = 30 s) */
    uint32_t n_audio_state;
    uint32_t n_audio_head;
    uint32_t n_audio_layer;
    uint32_t n_text_ctx;         /* decoder positions */
    uint32_t n_text_state;
    uint32_t n_text_layer;
} parley_model_shape;

/* One model, catalog or own. Plain data, so a test can build one by hand. */
typedef struct parley_model_info {
    char id[64];                 /* stable key: "qwen3.5-9b-hq", own models "own-<name>" */
    char label[96];              /* what people read: "Qwen 3.5 9B HQ" (never a quant name) */
    parley_model_kind kind;
    parley_model_source source;
    char arch[32];               /* llama.cpp's architecture ("qwen35", "gemma4"), "whisper" */
    int stars;                   /* 1: < 7 B parameters, 2: 7-12 B, 3: > 12 B; 0 for speech */
    bool archived;               /* superseded entry: visible only while its file is on disk */
    bool hq;                     /* the high-quality (8-bit) variant of a model */
    char quant[24];              /* storage type ("Q4_K_M"): internal, never shown as a label */
    char repo[128];              /* Hugging Face repository ("" for own models) */
    char file[128];              /* file name in the repository and in the models directory */
    char url[512];               /* download address ("" for own models) */
    uint64_t size_bytes;         /* file size; 0 = unknown */
    bool size_exact;             /* size_bytes is the exact published size (verifiable) */
    char sha256[65];             /* lower-case hex, "" = not published/collected */
    char license[48];
    double params_total;         /* parameters incl. embeddings (decides the stars) */
    double params_per_token;     /* parameters read per generated token (MoE: active;
                                    lookup-only tables excluded); 0 = unknown/not applicable */
    parley_model_shape shape;
    /* On this machine */
    char path[4096];             /* where the file is (or would be downloaded to) */
    parley_model_state state;
    char state_reason[512];      /* why MISSING/DAMAGED, "" otherwise */
} parley_model_info;

/* Stars from total parameters: under 7 B one, 7-12 B two, above 12 B three. */
int parley_stars_for_params(double params_total);

/* "ready", "not downloaded", "missing", "damaged". Static. */
const char *parley_model_state_name(parley_model_state st);

/* Reads and validates a GGUF: the magic, general.architecture against the architectures
 * llama.cpp 0.7 knows (and that generate text), a chat template, and the shape keys
 * (<arch>.block_count, ...). Fills out (kind LLM, source OWN, label from general.name or
 * the file name, size, stars from the tensor element count). Errors:
 * NOT_FOUND/PERMISSION (cannot open), FORMAT (not GGUF / corrupt header),
 * MODEL_ARCH (architecture unknown to llama.cpp or not a text generator),
 * NO_TEMPLATE (no tokenizer.chat_template), MODEL_LOAD (the loader's pre-check,
 * parley_llm_inspect, refuses it: truncated, its tensors end past the end of the file). */
parley_status parley_model_read_gguf(const char *path, parley_model_info *out);

/* Whether the GGUF's chat template is one llama.cpp's llama_chat_apply_template can use
 * (the check the LLM loader makes). OK when it is; NO_TEMPLATE (none, or not recognised;
 * then the tasks need an explicit template name) with the reason also copied into why
 * (may be NULL); FORMAT for a corrupt header. */
parley_status parley_model_template_usable(const char *path, char *why, size_t why_size);

typedef struct parley_catalog parley_catalog;

struct parley_catalog_params {
    const char *catalog_path;  /* catalog JSON to use; NULL = <config>/catalog.json if it
                                  exists, else the built-in one */
    bool builtin_only;         /* ignore any override file (tests, "factory" listing) */
    const char *models_dir;    /* NULL = parley_dir_path(PARLEY_DIR_MODELS) */
    const char *registry_path; /* own models; NULL = <data>/models.json */
    const char *settings_path; /* device settings; NULL = <config>/device.json */
};
struct parley_catalog_params parley_catalog_default_params(void);

/* Loads the catalog, the own-model registry and the device settings, and looks at the
 * disk (file present, size right, own files still valid). Strings in params are copied.
 * FORMAT when a catalog/registry/settings file is malformed (detail names the file). */
parley_status parley_catalog_open(const struct parley_catalog_params *params, parley_catalog **out);
void parley_catalog_free(parley_catalog *cat); /* NULL is a no-op */

/* Visible models: catalog entries (archived ones only when on disk) then own models.
 * Pointers are borrowed until the next call that changes the catalog (add, remove,
 * refresh) or parley_catalog_free. */
size_t parley_catalog_count(const parley_catalog *cat);
const parley_model_info *parley_catalog_get(const parley_catalog *cat, size_t i);
/* NULL when no visible model has that id. */
const parley_model_info *parley_catalog_find(const parley_catalog *cat, const char *id);

/* "built-in" or the override file's path; and the catalog's version string. Borrowed. */
const char *parley_catalog_origin(const parley_catalog *cat);
const char *parley_catalog_version(const parley_catalog *cat);

/* Looks at the disk again (after a download, or a file moved). */
parley_status parley_catalog_refresh(parley_catalog *cat);

/* Registers a GGUF of the user's by reference (absolute path stored; the file is never
 * copied or changed). Validates it first (parley_model_read_gguf, which includes the
 * loader's truncation check). A template llama.cpp does not recognise is accepted (the
 * tasks can be given a template name) but logged as a warning that says so. Adding the
 * same file twice returns the existing entry. *out (may be NULL) is borrowed as parley_catalog_get. */
parley_status parley_catalog_add_own(parley_catalog *cat, const char *path, const parley_model_info **out);

/* Removes a model: a downloaded catalog file is deleted from the models directory (or,
 * when only an interrupted download's <file>.part is there, that); an own model is
 * unregistered and its file left alone. *deleted_file (may be NULL) says whether
 * a file was deleted. If the model was selected on this device, the selection is cleared.
 * NOT_FOUND for an unknown id or a catalog model that is not on disk. */
parley_status parley_catalog_remove(parley_catalog *cat, const char *id, bool *deleted_file);

/* Downloads a catalog model into the models directory with parley_fetch_file (resumable,
 * verified, atomic; fetch.h). The address is parley_fetch_model_url(NULL, repo, file), so
 * $PARLEY_MODEL_BASE_URL redirects it (a mirror, a test server). fetch_params (may be NULL
 * for fetch's defaults) gives progress, cancel and timeouts; its sha256 and expected_size
 * are replaced by the catalog's. Verified by SHA-256 when the catalog has one, else by the
 * exact size; a GGUF is then checked with parley_model_read_gguf and deleted if it is not
 * the architecture the catalog says. result may be NULL.
 * NOT_FOUND (unknown or archived id), UNSUPPORTED (the catalog publishes neither a hash
 * nor an exact size for this file, so a download could not be verified), MODEL_ARCH, and
 * fetch's errors (NETWORK, CHECKSUM, CANCELLED, DISK_FULL, ...). */
parley_status parley_catalog_pull(parley_catalog *cat, const char *id, const struct parley_fetch_params *fetch_params,
                                  struct parley_fetch_result *result);

/* Per-device settings: kept in the config directory and never synced. */
typedef enum parley_feature {
    PARLEY_FEATURE_TRANSCRIBE = 1 << 0,  /* speech to text */
    PARLEY_FEATURE_SUMMARY = 1 << 1,     /* summaries and notes */
    PARLEY_FEATURE_CHAT = 1 << 2,        /* chat with a meeting */
    PARLEY_FEATURE_SUGGEST = 1 << 3,     /* live suggestions */
    PARLEY_FEATURE_ALL = 0xF,
} parley_feature;

struct parley_device_settings {
    char llm_model[64];      /* selected LLM id, "" = none chosen */
    char speech_model[64];   /* selected speech model id, "" = none chosen */
    unsigned local_features; /* parley_feature bits that run on this device (default ALL) */
};

/* A copy of the current settings. */
void parley_catalog_settings(const parley_catalog *cat, struct parley_device_settings *out);

/* Selects the model for its kind on this device and saves the settings. The model must
 * be visible and on disk: NOT_FOUND (unknown id, or not downloaded: the detail says
 * which), MODEL_LOAD (own model missing, with the reason). */
parley_status parley_catalog_use(parley_catalog *cat, const char *id);

/* Sets which features run locally (parley_feature bits) and saves the settings. */
parley_status parley_catalog_set_local_features(parley_catalog *cat, unsigned features);

/* Whether feature may run on this device (the local_features setting, `parley models
 * local FEATURE=off`). Every entry point that starts a feature calls this first and
 * returns its status: transcription (TRANSCRIBE), summaries and notes (SUMMARY), chat
 * (CHAT), suggestions (SUGGEST), whether from the CLI, the server or live mode.
 * OK when allowed; PARLEY_ERR_UNSUPPORTED when switched off, with a detail that names
 * the feature and how to switch it on; FORMAT/IO when the settings cannot be read.
 * Reads <config>/device.json (settings_path NULL) or the given file. Any thread. */
parley_status parley_local_feature_allowed(parley_feature feature, const char *settings_path);

/* Name of one feature bit ("transcribe", ...), NULL for anything else; and the reverse
 * (0 when unknown). */
const char *parley_feature_name(parley_feature f);
parley_feature parley_feature_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
