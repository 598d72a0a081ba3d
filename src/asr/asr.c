/* asr.c: whisper.cpp behind parley's API: load, VAD + transcribe, cancel, segments. */
#include <stdatomic.h>
#include <parley/asr.h>

#include "asr/asr_internal.h"
#include "asr/check.h"
#include "asr/parakeet_internal.h" /* parakeet: second engine */
#include "core/internal.h"
#include "hw/gpu_pick.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <ggml.h>
#include <ggml-backend.h>
#include <parley/hw.h>
#include <whisper.h>

typedef struct asr_job job;

struct parley_asr_params parley_asr_default_params(void)
{
    struct parley_asr_params p;
    memset(&p, 0, sizeof p);
    p.use_gpu = true;
    p.flash_attn = true;
    return p;
}

struct parley_transcribe_params parley_transcribe_default_params(void)
{
    struct parley_transcribe_params p;
    memset(&p, 0, sizeof p);
    p.vad = true;
    return p;
}

/* whisper.cpp (and libparakeet) run on the gpu_device-th GPU in ggml's order (discrete or integrated). A
 * GPU whose driver is in the known-bad table (hw.h) is skipped, with its reason logged: the
 * next good one takes the model, else the CPU does. No probe when ggml has no GPU. */
void parley_asr_choose_gpu(bool *use_gpu, int *gpu_device)
{
    if (!*use_gpu)
        return;
    int n_gpu = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        enum ggml_backend_dev_type t = ggml_backend_dev_type(ggml_backend_dev_get(i));
        n_gpu += t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU;
    }
    if (n_gpu == 0)
        return;
    parley_hw probed;
    const parley_hw *hw;
    if (!parley_hw_gpu_probe(&probed, &hw))
        return;
    int k = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(dev);
        if (t != GGML_BACKEND_DEVICE_TYPE_GPU && t != GGML_BACKEND_DEVICE_TYPE_IGPU)
            continue;
        const parley_gpu *bad = parley_hw_gpu_known_bad(hw, ggml_backend_dev_name(dev));
        if (!bad) {
            *gpu_device = k;
            return;
        }
        parley_log(PARLEY_LOG_WARN, "speech model not on %s (%s): %s", bad->name, bad->description,
                   bad->known_bad_reason);
        k++;
    }
    parley_log(PARLEY_LOG_WARN, "every GPU has a known-bad driver: the speech model runs on the CPU");
    *use_gpu = false;
}

parley_status parley_asr_init(const struct parley_asr_params *params, parley_asr **out)
{
    if (!params || !params->model_path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a speech model path is required");
    *out = NULL;
    if (parley_asr_is_parakeet_file(params->model_path)) /* parakeet */
        return parley_asr_init_parakeet(params, out);
    parley_status st = parley_check_whisper_file(params->model_path);
    if (st)
        return st;
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = params->use_gpu;
    cp.flash_attn = params->flash_attn;
    parley_asr_choose_gpu(&cp.use_gpu, &cp.gpu_device);
    struct whisper_context *ctx = whisper_init_from_file_with_params(params->model_path, cp);
    if (!ctx) {
        /* A VAD model shares whisper's magic but is a different network. */
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "whisper.cpp could not load %s: the file is truncated, corrupt, or not a "
                           "whisper speech model",
                           params->model_path);
    }
    parley_asr *a = calloc(1, sizeof *a);
    const char *base = strrchr(params->model_path, '/');
    if (!a || !(a->model_name = parley_strdup(base ? base + 1 : params->model_path))) {
        free(a);
        whisper_free(ctx);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    a->ctx = ctx;
    pthread_mutex_init(&a->streams_lock, NULL);
    pthread_cond_init(&a->streams_cond, NULL);
    *out = a;
    return PARLEY_OK;
}

static void reap_abandoned(parley_asr *asr);

void parley_asr_stream_born(parley_asr *asr)
{
    pthread_mutex_lock(&asr->streams_lock);
    asr->n_streams++;
    pthread_mutex_unlock(&asr->streams_lock);
}

void parley_asr_stream_gone(parley_asr *asr)
{
    pthread_mutex_lock(&asr->streams_lock);
    if (--asr->n_streams == 0)
        pthread_cond_broadcast(&asr->streams_cond);
    pthread_mutex_unlock(&asr->streams_lock);
}

parley_status parley_asr_check_language_code(const char *lang)
{
    if (!lang || !*lang || strcmp(lang, "auto") == 0)
        return PARLEY_OK;
    /* Checked here before whisper.cpp sees it: its lookup logs the unknown code through a
     * fixed buffer and a long one crashed it. Codes are 2-3 letters ("en", "haw"). */
    size_t n = strlen(lang);
    bool ok = n >= 2 && n <= 3;
    for (size_t i = 0; ok && i < n; i++)
        ok = (lang[i] >= 'a' && lang[i] <= 'z') || (lang[i] >= 'A' && lang[i] <= 'Z');
    if (!ok || whisper_lang_id(lang) < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "unknown language '%.40s%s' (use an ISO 639-1 code such as en, de, fr, or auto)", lang,
                           n > 40 ? "..." : "");
    return PARLEY_OK;
}

parley_status parley_asr_check_language(const parley_asr *asr, const char *lang)
{
    parley_status st = parley_asr_check_language_code(lang);
    if (st || !lang || !*lang || strcmp(lang, "auto") == 0)
        return st;
    if (strcmp(lang, "en") != 0 && !whisper_is_multilingual(asr->ctx))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "model %s is English-only; it cannot transcribe '%s'",
                           asr->model_name, lang);
    return PARLEY_OK;
}

void parley_asr_free(parley_asr *asr)
{
    if (!asr)
        return;
    reap_abandoned(asr);
    /* Streams freed while their worker was inside whisper still use the model. */
    pthread_mutex_lock(&asr->streams_lock);
    while (asr->n_streams > 0)
        pthread_cond_wait(&asr->streams_cond, &asr->streams_lock);
    pthread_mutex_unlock(&asr->streams_lock);
    pthread_mutex_destroy(&asr->streams_lock);
    pthread_cond_destroy(&asr->streams_cond);
    parley_parakeet_free(asr->pk); /* parakeet */
    whisper_free(asr->ctx);
    parley_vad_free(asr->vad_ctx);
    free(asr->vad_path);
    free(asr->model_name);
    free(asr->vad);
    free(asr);
}

const char *parley_asr_model_type(const parley_asr *asr)
{
    if (asr->pk) /* parakeet */
        return parley_parakeet_model_type(asr->pk);
    return whisper_model_type_readable(asr->ctx);
}

bool parley_asr_multilingual(const parley_asr *asr)
{
    if (asr->pk) /* parakeet */
        return parley_parakeet_multilingual(asr->pk);
    return whisper_is_multilingual(asr->ctx) != 0;
}

size_t parley_asr_n_vad_regions(const parley_asr *asr)
{
    if (asr->pk) /* parakeet */
        return parley_parakeet_n_vad_regions(asr->pk);
    return asr->n_vad;
}

parley_status parley_asr_vad_region(const parley_asr *asr, size_t i, int64_t *t0_ms, int64_t *t1_ms)
{
    if (asr->pk) /* parakeet */
        return parley_parakeet_vad_region(asr->pk, i, t0_ms, t1_ms);
    if (i >= asr->n_vad)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "VAD region %zu of %zu", i, asr->n_vad);
    *t0_ms = asr->vad[i][0];
    *t1_ms = asr->vad[i][1];
    return PARLEY_OK;
}

/* One transcription runs on a worker thread so that a cancel returns at once even while
 * whisper.cpp is in a stretch it cannot interrupt (the mel spectrogram and the VAD pass
 * over the whole recording take seconds on a long file). The caller's thread waits,
 * polling the cancel flag; on a cancel it marks the job abandoned and returns. The
 * worker owns a copy of the samples and its own transcript, and calls the caller's
 * callbacks only under cb_lock while the job is not abandoned, so nothing of the
 * caller's is touched after the return. The abandoned worker stops at whisper.cpp's
 * next abort check and is joined by the next call on the same parley_asr (or its free). */
struct asr_job {
    parley_asr *asr;
    struct parley_transcribe_params p; /* callbacks and user data; cancel is read by the caller */
    float *samples;                    /* owned copy */
    size_t n_samples;
    char lang[16];
    char *vad_path;                    /* owned copy of p.vad_model_path */
    int64_t (*regions)[2];             /* VAD speech regions, centiseconds on the original timeline */
    size_t n_regions;
    int64_t (*map)[2];                 /* (processed, original) centisecond pairs, as whisper.cpp maps */
    size_t n_map;
    parley_transcript out;             /* the worker's; handed over on success */
    pthread_t thread;
    pthread_mutex_t lock;              /* guards done, and callback calls against abandoning */
    pthread_cond_t cond;
    bool done;
    atomic_bool abandoned;             /* the caller gave up: abort, call nothing */
    bool callback_cancelled;           /* a progress callback returned false */
    parley_status err;                 /* first failure inside a callback */
    char errmsg[512];
    int rc;                            /* whisper_full's return */
    bool ran;                          /* whisper_full ran (there was speech) */
};

static void job_free(job *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    parley_transcript_free(&j->out);
    free(j->samples);
    free(j->vad_path);
    free(j->regions);
    free(j->map);
    free(j);
}

static void job_fail(job *j, parley_status st)
{
    if (j->err)
        return;
    j->err = st;
    snprintf(j->errmsg, sizeof j->errmsg, "%s", parley_last_error());
}

static bool abort_cb(void *ud)
{
    job *j = ud;
    return atomic_load(&j->abandoned) || j->callback_cancelled || j->err != PARLEY_OK;
}

static bool encoder_begin_cb(struct whisper_context *ctx, struct whisper_state *state, void *ud)
{
    (void)ctx;
    (void)state;
    return !abort_cb(ud);
}

static void progress_cb(struct whisper_context *ctx, struct whisper_state *state, int progress, void *ud)
{
    (void)ctx;
    (void)state;
    job *j = ud;
    if (!j->p.progress)
        return;
    pthread_mutex_lock(&j->lock);
    if (!atomic_load(&j->abandoned) && !j->p.progress(progress / 100.0, j->p.progress_user_data))
        j->callback_cancelled = true;
    pthread_mutex_unlock(&j->lock);
}

/* Trims whitespace in place and returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* whisper.cpp's own VAD pipeline (1.9.5) maps a time on the speech-only audio back to
 * the recording by linear interpolation between the mapping points: before the first,
 * the first's original time; after the last, the last's. Kept identical so that times
 * equal whisper-cli --vad's. */
static int64_t map_time(const job *j, int64_t t)
{
    if (j->n_map == 0)
        return t;
    if (t <= j->map[0][0])
        return j->map[0][1];
    if (t >= j->map[j->n_map - 1][0])
        return j->map[j->n_map - 1][1];
    size_t lo = 0, hi = j->n_map - 1; /* first entry with processed >= t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (j->map[mid][0] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (j->map[lo][0] == t)
        return j->map[lo][1];
    int64_t dp = j->map[lo][0] - j->map[lo - 1][0], dor = j->map[lo][1] - j->map[lo - 1][1];
    if (dp == 0)
        return j->map[lo - 1][1];
    return j->map[lo - 1][1] + (t - j->map[lo - 1][0]) * dor / dp;
}

/* A time that falls in the short silence inserted between speech regions lands in a gap
 * of the original. Parley promises that text sits on speech: move a start forward to the
 * next region and an end back to the end of its region. */
static int64_t snap_to_speech(const job *j, int64_t t_cs, bool is_start)
{
    size_t n = j->n_regions;
    if (n == 0)
        return t_cs;
    for (size_t i = 0; i < n; i++) {
        int64_t a = j->regions[i][0], b = j->regions[i][1];
        if (t_cs < a) /* in the gap before region i (or before the first) */
            return is_start || i == 0 ? a : j->regions[i - 1][1];
        if (t_cs <= b)
            return t_cs;
    }
    return j->regions[n - 1][1]; /* after the last region */
}

float parley_asr_segment_confidence(struct whisper_context *ctx, struct whisper_state *state, int i)
{
    whisper_token eot = whisper_token_eot(ctx);
    double sum = 0;
    int cnt = 0;
    int nt = state ? whisper_full_n_tokens_from_state(state, i) : whisper_full_n_tokens(ctx, i);
    for (int k = 0; k < nt; k++) {
        whisper_token id = state ? whisper_full_get_token_id_from_state(state, i, k) : whisper_full_get_token_id(ctx, i, k);
        if (id >= eot)
            continue;
        sum += state ? whisper_full_get_token_p_from_state(state, i, k) : whisper_full_get_token_p(ctx, i, k);
        cnt++;
    }
    return cnt ? (float)(sum / cnt) : -1.0f;
}

static void new_segment_cb(struct whisper_context *ctx, struct whisper_state *state, int n_new, void *ud)
{
    (void)state;
    job *j = ud;
    if (j->err || atomic_load(&j->abandoned))
        return;
    int n = whisper_full_n_segments(ctx);
    for (int i = n - n_new; i < n; i++) {
        const char *raw = whisper_full_get_segment_text(ctx, i);
        char *text = parley_strdup(raw ? raw : "");
        if (!text) {
            job_fail(j, parley_fail(PARLEY_ERR_NOMEM, "out of memory"));
            return;
        }
        char *t = trim(text);
        const char *why = *t && j->p.drop_invented ? parley_asr_invented(t, whisper_full_get_segment_no_speech_prob(ctx, i),
                                                                       parley_asr_segment_confidence(ctx, NULL, i),
                                                                       j->p.no_speech_threshold)
                                                 : NULL;
        if (why) {
            parley_log(PARLEY_LOG_DEBUG, "transcribe: dropped \"%.80s\": %s", t, why);
        } else if (*t) {
            float conf = parley_asr_segment_confidence(ctx, NULL, i);
            int64_t t0c = map_time(j, whisper_full_get_segment_t0(ctx, i));
            int64_t t1c = map_time(j, whisper_full_get_segment_t1(ctx, i));
            if (j->n_map && t1c - t0c < 10) /* whisper.cpp's minimum length with VAD */
                t1c = t0c + 10;
            int64_t t0 = snap_to_speech(j, t0c, true) * 10;
            int64_t t1 = snap_to_speech(j, t1c, false) * 10;
            /* whisper.cpp can place a last timestamp past the end of the audio. */
            int64_t end_ms = (int64_t)(j->n_samples * 1000 / PARLEY_AUDIO_RATE);
            if (t1 > end_ms)
                t1 = end_ms;
            if (t0 > t1)
                t0 = t1;
            parley_status st = parley_transcript_add(&j->out, t0, t1, t, NULL, conf);
            if (st) {
                job_fail(j, st);
            } else if (j->p.on_segment) {
                pthread_mutex_lock(&j->lock);
                if (!atomic_load(&j->abandoned))
                    j->p.on_segment(&j->out.segments[j->out.n_segments - 1], j->p.on_segment_user_data);
                pthread_mutex_unlock(&j->lock);
            }
        }
        free(text);
    }
}

int parley_asr_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 8 ? 8 : (int)n;
}

/* whisper.cpp's centisecond <-> sample conversions for its VAD pipeline (rounded). */
static int cs_to_samples(int64_t cs) { return (int)((double)cs / 100.0 * PARLEY_AUDIO_RATE + 0.5); }
static int64_t samples_to_cs(int n) { return (int64_t)((double)n / PARLEY_AUDIO_RATE * 100.0 + 0.5); }

static bool map_push(job *j, size_t *cap, int64_t processed, int64_t original)
{
    if (j->n_map == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        int64_t(*m)[2] = realloc(j->map, c * sizeof *m);
        if (!m)
            return false;
        j->map = m;
        *cap = c;
    }
    j->map[j->n_map][0] = processed;
    j->map[j->n_map][1] = original;
    j->n_map++;
    return true;
}

/* The VAD pass that whisper_full does internally, done here with a persistent detector on
 * one thread: whisper.cpp creates its VAD with 4 threads whatever the machine, and on a
 * 2-core machine its per-32-ms graph runs spend most of their time spinning.
 * The speech-only audio is built exactly as whisper.cpp 1.9.5 builds it (each region,
 * all but the last extended by 0.1 s of overlap, separated by 0.1 s of zeros, the buffer
 * sized for the regions' nominal lengths), so that whisper sees the same samples and the
 * text equals whisper-cli --vad's; the (processed, original) time pairs are recorded in
 * the same way and map_time() interpolates between them. *speech is NULL (and *n 0)
 * when there is no speech. */
static parley_status run_vad(job *j, float **speech, size_t *n_out)
{
    *speech = NULL;
    *n_out = 0;
    parley_asr *asr = j->asr;
    if (!asr->vad_ctx || strcmp(asr->vad_path, j->vad_path) != 0) {
        parley_vad_free(asr->vad_ctx);
        asr->vad_ctx = NULL;
        free(asr->vad_path);
        asr->vad_path = NULL;
        struct parley_vad_params vp = parley_vad_default_params();
        vp.model_path = j->vad_path;
        vp.n_threads = 1;
        parley_status st = parley_vad_open(&vp, &asr->vad_ctx);
        if (st)
            return st;
        if (!(asr->vad_path = parley_strdup(j->vad_path))) {
            parley_vad_free(asr->vad_ctx);
            asr->vad_ctx = NULL;
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
    }
    /* The thresholds are per call: a parley_vad's params are fixed at open, so set them here. */
    parley_vad_set_batch_params(asr->vad_ctx, j->p.vad_threshold, j->p.vad_min_silence_ms, j->p.vad_speech_pad_ms);
    parley_status st = parley_vad_regions_cs(asr->vad_ctx, j->samples, j->n_samples, &j->regions, &j->n_regions);
    if (st || j->n_regions == 0)
        return st;
    if (j->p.progress) {
        pthread_mutex_lock(&j->lock);
        if (!atomic_load(&j->abandoned) && !j->p.progress(0.0, j->p.progress_user_data))
            j->callback_cancelled = true;
        pthread_mutex_unlock(&j->lock);
    }
    const int n = (int)j->n_samples, overlap = (int)(0.1f * PARLEY_AUDIO_RATE), gap = (int)(0.1 * PARLEY_AUDIO_RATE);
    const size_t nr = j->n_regions;
    int64_t total = 0;
    for (size_t i = 0; i < nr; i++) {
        int s = cs_to_samples(j->regions[i][0]), e = cs_to_samples(j->regions[i][1]);
        if (i + 1 < nr)
            e += overlap;
        if (e > n - 1)
            e = n - 1;
        total += e - s;
    }
    total += (int64_t)(nr - 1) * gap;
    if (total <= 0)
        return PARLEY_OK;
    float *buf = calloc((size_t)total, sizeof *buf);
    if (!buf)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory for the speech-only audio");
    size_t cap = 0;
    int64_t off = 0;
    for (size_t i = 0; i < nr; i++) {
        int s = cs_to_samples(j->regions[i][0]), e = cs_to_samples(j->regions[i][1]);
        if (s > n - 1)
            s = n - 1;
        if (e > n - 1)
            e = n - 1;
        int orig_len = e - s;
        if (i + 1 < nr && (e += overlap) > n - 1)
            e = n - 1;
        int len = e - s;
        if (len <= 0)
            continue;
        if (off + len > total) /* cannot happen with sane regions; never write past the buffer */
            len = (int)(total - off);
        if (!map_push(j, &cap, samples_to_cs((int)off), j->regions[i][0]) ||
            !map_push(j, &cap, samples_to_cs((int)off + orig_len), j->regions[i][1]))
            goto oom;
        memcpy(buf + off, j->samples + s, (size_t)len * sizeof *buf);
        off += len;
        if (i + 1 < nr) {
            if (!map_push(j, &cap, samples_to_cs((int)off), j->regions[i][1]) ||
                !map_push(j, &cap, samples_to_cs((int)(off + gap)), j->regions[i + 1][0]))
                goto oom;
            off += gap; /* zeros: calloc */
        }
    }
    /* Sort by processed time (stable: the table is nearly sorted already) and keep the
     * first of equal processed times, as whisper.cpp does. */
    for (size_t i = 1; i < j->n_map; i++) {
        int64_t a = j->map[i][0], b = j->map[i][1];
        size_t k = i;
        while (k > 0 && j->map[k - 1][0] > a) {
            j->map[k][0] = j->map[k - 1][0];
            j->map[k][1] = j->map[k - 1][1];
            k--;
        }
        j->map[k][0] = a;
        j->map[k][1] = b;
    }
    size_t w = 0;
    for (size_t i = 0; i < j->n_map; i++) {
        if (w > 0 && j->map[w - 1][0] == j->map[i][0])
            continue;
        j->map[w][0] = j->map[i][0];
        j->map[w][1] = j->map[i][1];
        w++;
    }
    j->n_map = w;
    *speech = buf;
    *n_out = (size_t)total;
    return PARLEY_OK;
oom:
    free(buf);
    return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
}

static void *worker_main(void *arg)
{
    job *j = arg;
    struct whisper_full_params wp = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    wp.n_threads = j->p.n_threads > 0 ? j->p.n_threads : parley_asr_default_threads();
    wp.language = j->lang;
    wp.translate = j->p.translate;
    if (j->p.no_fallback)
        wp.temperature_inc = 0.0f;
    wp.print_progress = false;
    wp.print_realtime = false;
    wp.print_timestamps = false;
    wp.print_special = false;
    wp.suppress_nst = true;
    wp.new_segment_callback = new_segment_cb;
    wp.new_segment_callback_user_data = j;
    wp.progress_callback = progress_cb;
    wp.progress_callback_user_data = j;
    wp.encoder_begin_callback = encoder_begin_cb;
    wp.encoder_begin_callback_user_data = j;
    wp.abort_callback = abort_cb;
    wp.abort_callback_user_data = j;
    wp.vad = false; /* Parley runs the VAD itself: see run_vad() */
    int rc = 0;
    const float *audio = j->samples;
    size_t n_audio = j->n_samples;
    float *speech = NULL;
    if (j->p.vad) {
        parley_status st = run_vad(j, &speech, &n_audio);
        if (st) {
            job_fail(j, st);
            rc = -1;
        }
        audio = speech;
    }
    wp.initial_prompt = j->p.initial_prompt && j->p.initial_prompt[0] ? j->p.initial_prompt : NULL;
    if (j->p.fit_window && n_audio > 0 && n_audio < (size_t)30 * 16000) {
        /* 50 encoder frames a second; 1 s to spare, in steps of 64 frames. */
        int frames = (int)((n_audio * 50 + 15999) / 16000) + 50;
        frames = (frames + 63) / 64 * 64;
        wp.audio_ctx = frames < 1500 ? frames : 0;
    }
    parley_log(PARLEY_LOG_DEBUG, "whisper: %zu samples, encoder window %d frames%s%s%s", n_audio,
               wp.audio_ctx ? wp.audio_ctx : 1500, wp.initial_prompt ? ", prompt \"" : "",
               wp.initial_prompt ? wp.initial_prompt : "", wp.initial_prompt ? "\"" : "");
    if (rc == 0 && n_audio > 0 && !abort_cb(j))
    {
        rc = whisper_full(j->asr->ctx, wp, audio, (int)n_audio);
        j->ran = true;
    }
    free(speech);
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* Waits for an abandoned run to stop (it was told to abort, so this is short). */
static void reap_abandoned(parley_asr *asr)
{
    if (!asr->abandoned)
        return;
    pthread_join(asr->abandoned->thread, NULL);
    job_free(asr->abandoned);
    asr->abandoned = NULL;
}

parley_status parley_asr_transcribe(parley_asr *asr, const struct parley_transcribe_params *params,
                                    const float *samples, size_t n_samples, parley_transcript *out)
{
    if (!asr || !params || !out || (!samples && n_samples))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "asr, params and out are required");
    if (asr->pk) /* parakeet */
        return parley_parakeet_transcribe(asr->pk, params, samples, n_samples, out);
    memset(out, 0, sizeof *out);
    reap_abandoned(asr);
    free(asr->vad);
    asr->vad = NULL;
    asr->n_vad = 0;
    if (n_samples == 0)
        return parley_fail(PARLEY_ERR_NO_AUDIO, "no audio samples to transcribe");
    if (n_samples > (size_t)INT32_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "recording too long for one pass (%.0f s)",
                           (double)n_samples / PARLEY_AUDIO_RATE);
    if (params->vad) {
        if (!params->vad_model_path)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "VAD is on but no VAD model was given");
        parley_status st = parley_check_vad_file(params->vad_model_path);
        if (st)
            return st;
    }
    const char *lang = params->language && *params->language ? params->language : "auto";
    parley_status lst = parley_asr_check_language(asr, lang);
    if (lst)
        return lst;

    job *j = calloc(1, sizeof *j);
    if (!j)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&j->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the 50 ms poll must not jump with the wall clock */
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);
    j->asr = asr;
    j->p = *params;
    snprintf(j->lang, sizeof j->lang, "%s", lang);
    j->n_samples = n_samples;
    if (params->vad && !(j->vad_path = parley_strdup(params->vad_model_path))) {
        job_free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    j->samples = malloc(n_samples * sizeof *j->samples);
    if (!j->samples) {
        job_free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory copying %.0f s of audio", (double)n_samples / 16000);
    }
    memcpy(j->samples, samples, n_samples * sizeof *samples);
    if (pthread_create(&j->thread, NULL, worker_main, j) != 0) {
        job_free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "cannot start a transcription thread");
    }

    /* Wait, looking at the cancel flag every 50 ms. */
    bool cancelled = false;
    pthread_mutex_lock(&j->lock);
    while (!j->done) {
        if (parley_cancel_is_set(params->cancel)) {
            atomic_store(&j->abandoned, true); /* under the lock: no callback is running */
            cancelled = true;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cond, &j->lock, &ts);
    }
    pthread_mutex_unlock(&j->lock);
    if (cancelled) {
        asr->abandoned = j;
        return parley_fail(PARLEY_ERR_CANCELLED, "transcription cancelled");
    }
    pthread_join(j->thread, NULL);

    parley_status st = PARLEY_OK;
    if (j->callback_cancelled)
        st = parley_fail(PARLEY_ERR_CANCELLED, "transcription cancelled");
    else if (j->err)
        st = parley_fail(j->err, "%s", j->errmsg);
    else if (j->rc != 0)
        st = parley_fail(PARLEY_ERR_INFERENCE, "whisper.cpp failed to transcribe (code %d)%s", j->rc,
                         params->vad ? "; the VAD model may be missing or corrupt" : "");
    if (st) {
        job_free(j);
        return st;
    }
    if (j->n_regions > 0) {
        asr->vad = calloc(j->n_regions, sizeof *asr->vad);
        if (!asr->vad) {
            job_free(j);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < j->n_regions; i++) {
            asr->vad[i][0] = j->regions[i][0] * 10;
            asr->vad[i][1] = j->regions[i][1] * 10;
        }
        asr->n_vad = j->n_regions;
    }
    bool ran = j->ran;
    *out = j->out;
    memset(&j->out, 0, sizeof j->out);
    job_free(j);
    out->duration_s = (double)n_samples / PARLEY_AUDIO_RATE;
    int lid = ran ? whisper_full_lang_id(asr->ctx) : -1;
    const char *ls = lid >= 0 ? whisper_lang_str(lid) : (strcmp(lang, "auto") ? lang : NULL);
    out->language = ls ? parley_strdup(ls) : NULL;
    out->model = parley_strdup(asr->model_name);
    return PARLEY_OK;
}
