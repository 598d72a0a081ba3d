/* core.c: status strings, per-thread error detail, versions, init and logging. */
#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ggml-backend.h>
#include <ggml.h>
#include <llama.h>
#include <whisper.h>

#include <libavutil/log.h>

#ifndef PARLEY_VERSION_STRING
#define PARLEY_VERSION_STRING "0.0.0"
#endif

static _Thread_local char last_error[1024];

const char *parley_strerror(parley_status st)
{
    switch (st) {
    case PARLEY_OK: return "success";
    case PARLEY_ERR_INVALID_ARG: return "invalid argument";
    case PARLEY_ERR_NOMEM: return "out of memory";
    case PARLEY_ERR_IO: return "input/output error";
    case PARLEY_ERR_NOT_FOUND: return "not found";
    case PARLEY_ERR_CANCELLED: return "cancelled";
    case PARLEY_ERR_BAD_AUDIO: return "not a readable audio file";
    case PARLEY_ERR_NO_AUDIO: return "no audio";
    case PARLEY_ERR_MODEL_LOAD: return "model could not be loaded";
    case PARLEY_ERR_MODEL_ARCH: return "model of the wrong architecture";
    case PARLEY_ERR_INFERENCE: return "inference failed";
    case PARLEY_ERR_DB: return "database error";
    case PARLEY_ERR_DISK_FULL: return "disk full";
    case PARLEY_ERR_TOO_LARGE: return "too large";
    case PARLEY_ERR_NO_TEMPLATE: return "model has no usable chat template";
    case PARLEY_ERR_CONTEXT_OVERFLOW: return "prompt does not fit the context";
    case PARLEY_ERR_NETWORK: return "network error";
    case PARLEY_ERR_CHECKSUM: return "checksum mismatch";
    case PARLEY_ERR_UNSUPPORTED: return "not supported";
    case PARLEY_ERR_PERMISSION: return "permission denied";
    case PARLEY_ERR_FORMAT: return "malformed data";
    case PARLEY_ERR_NO_DEVICE: return "no usable compute device";
    case PARLEY_ERR__COUNT: break;
    }
    return "unknown error";
}

const char *parley_last_error(void) { return last_error; }

void parley_clear_error(void) { last_error[0] = '\0'; }

parley_status parley_fail(parley_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

parley_status parley_status_from_errno(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT: return PARLEY_ERR_DISK_FULL;
    case EACCES:
    case EPERM:
    case EROFS: return PARLEY_ERR_PERMISSION;
    case ENOENT:
    case ENOTDIR: return PARLEY_ERR_NOT_FOUND;
    case ENOMEM: return PARLEY_ERR_NOMEM;
    default: return PARLEY_ERR_IO;
    }
}

const char *parley_version(void) { return PARLEY_VERSION_STRING; }
const char *parley_llama_version(void) { return llama_version(); }
const char *parley_whisper_version(void) { return whisper_version(); }
const char *parley_ggml_version(void) { return ggml_version(); }

/* Logging. One sink for the process; set before threads start (parley.h). */
static parley_log_fn log_fn;
static void *log_ud;
static parley_log_level log_max = PARLEY_LOG_WARN;

static void default_log(parley_log_level level, const char *msg, void *ud)
{
    (void)ud;
    static const char *names[] = {"error", "warning", "info", "debug"};
    const char *name = (unsigned)level < sizeof names / sizeof names[0] ? names[level] : "log";
    fprintf(stderr, "parley: %s: %s\n", name, msg);
}

void parley_log_set(parley_log_fn fn, void *user_data, parley_log_level max_level)
{
    log_fn = fn;
    log_ud = user_data;
    log_max = max_level;
}

static void log_emit(parley_log_level level, const char *msg)
{
    if (level > log_max)
        return;
    if (log_fn)
        log_fn(level, msg, log_ud);
    else
        default_log(level, msg, NULL);
}

void parley_log(parley_log_level level, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_emit(level, buf);
}

/* llama.cpp and whisper.cpp emit partial lines; collect them per thread until '\n'. */
static void ggml_log_cb(enum ggml_log_level level, const char *text, void *ud)
{
    (void)ud;
    static _Thread_local char line[2048];
    static _Thread_local size_t len;
    (void)level;
    const parley_log_level pl = PARLEY_LOG_DEBUG; /* failures reach callers as statuses; raw text is detail */
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || len + 1 >= sizeof line) {
            line[len] = '\0';
            if (len)
                log_emit(pl, line);
            len = 0;
            if (*p == '\n')
                continue;
        }
        line[len++] = *p;
    }
}

/* FFmpeg's log: routed into parley_log (as DEBUG, since failures reach callers as
 * statuses) once per process, instead of changing FFmpeg's global level on every decode.
 * Lines are assembled per thread like the ggml ones. */
static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    if (level > AV_LOG_INFO || log_max < PARLEY_LOG_DEBUG)
        return;
    static _Thread_local char line[2048];
    static _Thread_local size_t len;
    char part[1024];
    va_list cp;
    va_copy(cp, vl);
    int n = vsnprintf(part, sizeof part, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    for (const char *p = part; *p; p++) {
        if (*p == '\n' || len + 1 >= sizeof line) {
            line[len] = '\0';
            if (len)
                log_emit(PARLEY_LOG_DEBUG, line);
            len = 0;
            if (*p == '\n')
                continue;
        }
        line[len++] = *p;
    }
}

static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static void av_route(void) { av_log_set_callback(av_log_cb); }
void parley_route_ffmpeg_log(void) { pthread_once(&av_once, av_route); }

/* parley_init: runs once per process (pthread_once); every caller, concurrent ones
 * included, waits for that one run and gets its status, a failure included. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static parley_status init_status;
static char init_detail[1024];

static void init_run(void)
{
    /* PARLEY_LOG=info or debug: more of the default sink's log on stderr (what the live
     * assistant, the echo handling and the engines decide), for diagnosing. */
    const char *lv = getenv("PARLEY_LOG");
    if (lv && !log_fn)
        log_max = !strcmp(lv, "debug") ? PARLEY_LOG_DEBUG : !strcmp(lv, "info") ? PARLEY_LOG_INFO : log_max;
    parley_route_ffmpeg_log();
    llama_log_set(ggml_log_cb, NULL);
    whisper_log_set(ggml_log_cb, NULL);
    /* PARLEY_VK_DEVICES is Parley's name for ggml-vulkan's GGML_VK_VISIBLE_DEVICES (the
     * Vulkan device indices ggml uses, CPU-type ones such as lavapipe included; docs/fit.md).
     * The Vulkan backend reads it while it loads, just below; a GGML_VK_VISIBLE_DEVICES
     * already set wins. */
    const char *vk = getenv("PARLEY_VK_DEVICES");
    if (vk && *vk) {
        const char *ggml_vk = getenv("GGML_VK_VISIBLE_DEVICES");
        if (ggml_vk && strcmp(ggml_vk, vk) != 0)
            parley_log(PARLEY_LOG_WARN, "PARLEY_VK_DEVICES=%s ignored: GGML_VK_VISIBLE_DEVICES=%s is set", vk, ggml_vk);
        else
            setenv("GGML_VK_VISIBLE_DEVICES", vk, 1);
    }
    const char *dir = getenv("PARLEY_GGML_BACKEND_DIR");
    if (dir && *dir)
        ggml_backend_load_all_from_path(dir);
    else
        ggml_backend_load_all();
    llama_backend_init();
    if (ggml_backend_dev_count() == 0) {
        init_status = PARLEY_ERR_NO_DEVICE;
        snprintf(init_detail, sizeof init_detail, "ggml found no compute backend (not even the CPU); "
                                                  "set PARLEY_GGML_BACKEND_DIR to ggml's backends directory");
    }
}

parley_status parley_init(void)
{
    pthread_once(&init_once, init_run);
    if (init_status != PARLEY_OK)
        return parley_fail(init_status, "%s", init_detail);
    return PARLEY_OK;
}

double parley_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *parley_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
