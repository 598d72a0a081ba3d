/*
 * parley.h: what every part of libparley shares: status codes, errors, versions,
 * initialisation and logging.
 *
 * Basic usage
 *
 *     parley_init();                       // once, before anything else
 *     parley_status st = parley_something(..., &obj);
 *     if (st != PARLEY_OK)
 *         fprintf(stderr, "%s: %s\n", parley_strerror(st), parley_last_error());
 *
 * Thread rules: parley_init() must finish before other calls. parley_last_error()
 * is per thread: it describes the most recent failure on the calling thread.
 */
#ifndef PARLEY_PARLEY_H
#define PARLEY_PARLEY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One status enum for the whole library. New codes are appended, never renumbered. */
typedef enum parley_status {
    PARLEY_OK = 0,
    PARLEY_ERR_INVALID_ARG = 1,     /* a caller's argument is wrong */
    PARLEY_ERR_NOMEM = 2,           /* out of memory */
    PARLEY_ERR_IO = 3,              /* reading or writing a file failed */
    PARLEY_ERR_NOT_FOUND = 4,       /* a file, session or model does not exist */
    PARLEY_ERR_CANCELLED = 5,       /* the caller cancelled (Ctrl-C, cancel flag) */
    PARLEY_ERR_BAD_AUDIO = 6,       /* not audio, corrupt or truncated beyond use */
    PARLEY_ERR_NO_AUDIO = 7,        /* a container with no audio track, or no samples */
    PARLEY_ERR_MODEL_LOAD = 8,      /* a model file is missing, truncated or corrupt */
    PARLEY_ERR_MODEL_ARCH = 9,      /* a model of an architecture this use cannot take */
    PARLEY_ERR_INFERENCE = 10,      /* whisper/llama failed while computing */
    PARLEY_ERR_DB = 11,             /* the local database failed */
    PARLEY_ERR_DISK_FULL = 12,      /* no space left on the device */
    PARLEY_ERR_TOO_LARGE = 13,      /* input past a hard limit */
    PARLEY_ERR_NO_TEMPLATE = 14,    /* the model has no usable chat template */
    PARLEY_ERR_CONTEXT_OVERFLOW = 15, /* the prompt does not fit the context */
    PARLEY_ERR_NETWORK = 16,        /* a download failed */
    PARLEY_ERR_CHECKSUM = 17,       /* downloaded bytes do not match the published hash/size */
    PARLEY_ERR_UNSUPPORTED = 18,    /* not possible on this system or with this input */
    PARLEY_ERR_PERMISSION = 19,     /* a file or directory may not be written or read */
    PARLEY_ERR_FORMAT = 20,         /* malformed input data (JSON, GGUF header, ...) */
    PARLEY_ERR_NO_DEVICE = 21,      /* no usable compute device for this model */
    /* New codes go above this line. */
    PARLEY_ERR__COUNT               /* not a status: one past the last code (loops, tables) */
} parley_status;

/* A fixed English message for a status. Never NULL; static storage. */
const char *parley_strerror(parley_status st);

/* The detail of the last failure on this thread ("model.bin: not a whisper model"),
 * or "" when there is none. Borrowed: valid until the next libparley call on this thread. */
const char *parley_last_error(void);

/* Versions, static strings. */
const char *parley_version(void);         /* Parley's own, e.g. "0.1.0" */
const char *parley_llama_version(void);   /* llama.cpp's (libllama), e.g. "0.7.0" */
const char *parley_whisper_version(void); /* whisper.cpp's, e.g. "1.9.5" */
const char *parley_ggml_version(void);    /* ggml's */

/* Loads ggml's compute backends (from $PARLEY_GGML_BACKEND_DIR when set, else ggml's
 * default places) and routes llama.cpp's, whisper.cpp's and FFmpeg's logs through
 * parley's log callback. The work runs once per process (pthread_once): concurrent
 * callers all wait for it, and every call returns its status (a failure stays a
 * failure; the detail is set again on the calling thread). */
parley_status parley_init(void);

typedef enum parley_log_level {
    PARLEY_LOG_ERROR = 0,
    PARLEY_LOG_WARN = 1,
    PARLEY_LOG_INFO = 2,
    PARLEY_LOG_DEBUG = 3,
} parley_log_level;

/* Receives every log line (already formatted, no trailing newline). */
typedef void (*parley_log_fn)(parley_log_level level, const char *msg, void *user_data);

/* Sets where logs go and the most verbose level passed on. The default writes WARN and
 * ERROR to stderr (INFO too with the environment variable PARLEY_LOG=info, DEBUG too with
 * PARLEY_LOG=debug, read by parley_init); llama.cpp's and whisper.cpp's own chatter
 * counts as DEBUG.
 * fn NULL restores the default. Call before starting work on other threads. */
void parley_log_set(parley_log_fn fn, void *user_data, parley_log_level max_level);

/* A cancel flag shared between the code that does long work and whoever may stop it.
 * Opaque (rather than an atomic_bool in the API) so that every header compiles as C and
 * C++ alike. parley_cancel_set() is async-signal-safe: a SIGINT handler may call it.
 * Everything that takes a `const parley_cancel *` accepts NULL (cannot be cancelled) and
 * stops within its documented latency once the flag is set. */
typedef struct parley_cancel parley_cancel;
/* A new, clear flag; NULL when out of memory. Free it with parley_cancel_free(). */
parley_cancel *parley_cancel_new(void);
void parley_cancel_free(parley_cancel *c);                  /* NULL is a no-op */
void parley_cancel_set(parley_cancel *c);                   /* any thread, signal handlers too */
void parley_cancel_reset(parley_cancel *c);                 /* clear it again for the next job */
int parley_cancel_is_set(const parley_cancel *c);           /* 0 for NULL */

/* UTF-8. File names on Linux are bytes and speech models can cut a character at a
 * token boundary; JSON and the store need valid UTF-8. parley_utf8_valid() says whether
 * the n bytes at s are well-formed UTF-8 (RFC 3629). parley_utf8_repair() returns a new
 * NUL-terminated copy (free() it) in which every byte that starts no valid sequence is
 * replaced by U+FFFD, its length in *out_len (may be NULL); NULL when out of memory.
 * Any thread. */
bool parley_utf8_valid(const char *s, size_t n);
char *parley_utf8_repair(const char *s, size_t n, size_t *out_len);

/* Monotonic clock in seconds (for timings and progress). */
double parley_now(void);

/* Writes data to path atomically: a temporary file in the same directory, fsync, then
 * rename over path. On any failure (PARLEY_ERR_DISK_FULL, _PERMISSION, ...) an existing
 * file at path is untouched and no temporary file remains. */
parley_status parley_write_file_atomic(const char *path, const void *data, size_t len);

/* Where Parley keeps things, written into out (NUL-terminated):
 *   data:   $PARLEY_DATA_DIR, else $XDG_DATA_HOME/parley, else ~/.local/share/parley
 *   config: $PARLEY_CONFIG_DIR, else $XDG_CONFIG_HOME/parley, else ~/.config/parley
 *   models: $PARLEY_MODELS_DIR, else <data>/models
 *   cache:  $XDG_CACHE_HOME/parley, else ~/.cache/parley
 * The directories are not created. PARLEY_ERR_TOO_LARGE when out is too small. */
typedef enum parley_dir {
    PARLEY_DIR_DATA = 0,
    PARLEY_DIR_CONFIG = 1,
    PARLEY_DIR_MODELS = 2,
    PARLEY_DIR_CACHE = 3,
} parley_dir;
parley_status parley_dir_path(parley_dir which, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
