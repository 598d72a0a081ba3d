/* asr.c: whisper.cpp behind parley's API: load, VAD + transcribe, cancel, segments. */
#include <stdatomic.h>
#include <parley/asr.h>

#include "core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <ggml.h>
#include <whisper.h>

typedef struct job job;

struct parley_asr {
    struct whisper_context *ctx;
    char *model_name; /* file name of the model, for the transcript */
    int64_t (*vad)[2];
    size_t n_vad;
    job *abandoned; /* a cancelled run whose worker may still be stopping; joined before the next */
};

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

static bool read_i32(FILE *f, int32_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

/* Walks the whole whisper.cpp file layout (header, mel filters, vocabulary, then every
 * tensor's header, skipping its data) before whisper.cpp sees it. whisper.cpp's own
 * loader reports only that it failed, and a file cut before its first tensor even loads
 * as an "empty" model with uninitialised weights. Here every tensor must lie within the
 * file, their number must be what the layer counts imply, and they must end exactly at
 * the end of the file. */
static parley_status check_model_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "speech model %s: %s", path, strerror(e));
    }
    parley_status st = PARLEY_OK;
    unsigned char m[4] = {0};
    size_t got = fread(m, 1, 4, f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 4, SEEK_SET);
    int32_t hp[11], n_mel = 0, n_fft = 0, n_vocab = 0;
    long n_tensors = 0;
    if (got < 4 || size < 1024) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "speech model %s is empty or truncated (%ld bytes)", path, size);
        goto out;
    }
    if (memcmp(m, "GGUF", 4) == 0) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a GGUF language model, not a whisper speech model", path);
        goto out;
    }
    if (memcmp(m, "lmgg", 4) != 0) { /* 0x67676d6c little-endian */
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s is not a whisper.cpp model (bad magic)", path);
        goto out;
    }
    if (fread(hp, sizeof hp[0], 11, f) != 11 || !read_i32(f, &n_mel) || !read_i32(f, &n_fft))
        goto truncated;
    /* hp: n_vocab, audio ctx/state/head/layer, text ctx/state/head/layer, n_mels, ftype */
    if (hp[0] <= 0 || hp[4] <= 0 || hp[4] > 256 || hp[8] <= 0 || hp[8] > 256 || n_mel <= 0 || n_mel > 1024 ||
        n_fft <= 0 || n_fft > 4096) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH,
                         "%s is not a whisper speech model (a Silero VAD model, or another network?)", path);
        goto out;
    }
    if (fseek(f, (long)n_mel * n_fft * 4, SEEK_CUR) != 0 || !read_i32(f, &n_vocab) || n_vocab < 0 ||
        n_vocab > 1000000)
        goto truncated;
    for (int32_t i = 0; i < n_vocab; i++) {
        uint32_t len;
        if (fread(&len, sizeof len, 1, f) != 1 || len > 4096 || fseek(f, (long)len, SEEK_CUR) != 0)
            goto truncated;
    }
    if (ftell(f) > size)
        goto truncated;
    for (;;) {
        int32_t hdr[3]; /* n_dims, name length, type */
        size_t r = fread(hdr, sizeof hdr[0], 3, f);
        if (r == 0 && feof(f))
            break;
        if (r != 3 || hdr[0] < 1 || hdr[0] > 4 || hdr[1] <= 0 || hdr[1] > 256 || hdr[2] < 0 ||
            hdr[2] >= GGML_TYPE_COUNT || ggml_blck_size((enum ggml_type)hdr[2]) == 0)
            goto truncated;
        int64_t nel = 1;
        for (int d = 0; d < hdr[0]; d++) {
            int32_t ne;
            if (!read_i32(f, &ne) || ne <= 0)
                goto truncated;
            nel *= ne;
        }
        int64_t bytes = nel / ggml_blck_size((enum ggml_type)hdr[2]) * (int64_t)ggml_type_size((enum ggml_type)hdr[2]);
        if (fseek(f, hdr[1], SEEK_CUR) != 0 || ftell(f) + bytes > size || fseek(f, (long)bytes, SEEK_CUR) != 0)
            goto truncated;
        n_tensors++;
    }
    /* Encoder: conv1/2 (4), positional embedding, final norm (2) = 7, and 15 per layer;
     * decoder: positional + token embedding, final norm (2) = 4, and 24 per layer. */
    long want = 7 + 15L * hp[4] + 4 + 24L * hp[8];
    if (n_tensors != want) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "speech model %s is truncated or damaged: %ld of the %ld tensors its header implies "
                         "are present (%ld bytes)",
                         path, n_tensors, want, size);
        goto out;
    }
    goto out;
truncated:
    st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                     "speech model %s is truncated or damaged: it ends inside its %s (%ld bytes, %ld tensors read)",
                     path, n_tensors ? "tensor data" : "header", size, n_tensors);
out:
    fclose(f);
    return st;
}

parley_status parley_asr_init(const struct parley_asr_params *params, parley_asr **out)
{
    if (!params || !params->model_path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a speech model path is required");
    *out = NULL;
    parley_status st = check_model_file(params->model_path);
    if (st)
        return st;
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = params->use_gpu;
    cp.flash_attn = params->flash_attn;
    struct whisper_context *ctx = whisper_init_from_file_with_params(params->model_path, cp);
    if (!ctx) {
        /* A VAD model shares whisper's magic but is a different network. */
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "whisper.cpp could not load %s: the file is truncated, corrupt, or not a "
                           "whisper speech model (run with PARLEY_DEBUG=1 for whisper.cpp's log)",
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
    *out = a;
    return PARLEY_OK;
}

static void reap_abandoned(parley_asr *asr);

void parley_asr_free(parley_asr *asr)
{
    if (!asr)
        return;
    reap_abandoned(asr);
    whisper_free(asr->ctx);
    free(asr->model_name);
    free(asr->vad);
    free(asr);
}

const char *parley_asr_model_type(const parley_asr *asr) { return whisper_model_type_readable(asr->ctx); }

bool parley_asr_multilingual(const parley_asr *asr) { return whisper_is_multilingual(asr->ctx) != 0; }

size_t parley_asr_n_vad_regions(const parley_asr *asr) { return asr->n_vad; }

parley_status parley_asr_vad_region(const parley_asr *asr, size_t i, int64_t *t0_ms, int64_t *t1_ms)
{
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
struct job {
    parley_asr *asr;
    struct parley_transcribe_params p; /* callbacks and user data; cancel is read by the caller */
    float *samples;                    /* owned copy */
    size_t n_samples;
    char lang[16];
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
};

static void job_free(job *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    parley_transcript_free(&j->out);
    free(j->samples);
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

/* whisper.cpp maps times from the speech-only audio back to the recording, but a time
 * that falls in the short silence it inserts between speech regions lands in a gap of
 * the original. Parley promises that text sits on speech: move a start forward to the
 * next region and an end back to the end of its region. */
static int64_t snap_to_speech(struct whisper_context *ctx, int64_t t_cs, bool is_start)
{
    int n = whisper_full_n_vad_segments(ctx);
    if (n <= 0)
        return t_cs;
    for (int i = 0; i < n; i++) {
        int64_t a = whisper_full_get_vad_segment_t0(ctx, i), b = whisper_full_get_vad_segment_t1(ctx, i);
        if (t_cs < a) /* in the gap before region i (or before the first) */
            return is_start || i == 0 ? a : whisper_full_get_vad_segment_t1(ctx, i - 1);
        if (t_cs <= b)
            return t_cs;
    }
    return whisper_full_get_vad_segment_t1(ctx, n - 1); /* after the last region */
}

static void new_segment_cb(struct whisper_context *ctx, struct whisper_state *state, int n_new, void *ud)
{
    (void)state;
    job *j = ud;
    if (j->err || atomic_load(&j->abandoned))
        return;
    int n = whisper_full_n_segments(ctx);
    whisper_token eot = whisper_token_eot(ctx);
    for (int i = n - n_new; i < n; i++) {
        const char *raw = whisper_full_get_segment_text(ctx, i);
        char *text = parley_strdup(raw ? raw : "");
        if (!text) {
            job_fail(j, parley_fail(PARLEY_ERR_NOMEM, "out of memory"));
            return;
        }
        char *t = trim(text);
        if (*t) {
            /* Confidence: mean probability of the text tokens (ids below EOT are text). */
            double sum = 0;
            int cnt = 0;
            int nt = whisper_full_n_tokens(ctx, i);
            for (int k = 0; k < nt; k++) {
                if (whisper_full_get_token_id(ctx, i, k) >= eot)
                    continue;
                sum += whisper_full_get_token_p(ctx, i, k);
                cnt++;
            }
            int64_t t0 = snap_to_speech(ctx, whisper_full_get_segment_t0(ctx, i), true) * 10;
            int64_t t1 = snap_to_speech(ctx, whisper_full_get_segment_t1(ctx, i), false) * 10;
            /* whisper.cpp can place a last timestamp past the end of the audio. */
            int64_t end_ms = (int64_t)(j->n_samples * 1000 / PARLEY_AUDIO_RATE);
            if (t1 > end_ms)
                t1 = end_ms;
            if (t0 > t1)
                t0 = t1;
            parley_status st = parley_transcript_add(&j->out, t0, t1, t, NULL, cnt ? (float)(sum / cnt) : -1.0f);
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

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 8 ? 8 : (int)n;
}

static void *worker_main(void *arg)
{
    job *j = arg;
    struct whisper_full_params wp = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    wp.n_threads = j->p.n_threads > 0 ? j->p.n_threads : default_threads();
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
    wp.vad = j->p.vad;
    wp.vad_model_path = j->p.vad ? j->p.vad_model_path : NULL;
    if (j->p.vad_threshold > 0)
        wp.vad_params.threshold = j->p.vad_threshold;
    if (j->p.vad_min_silence_ms > 0)
        wp.vad_params.min_silence_duration_ms = j->p.vad_min_silence_ms;
    if (j->p.vad_speech_pad_ms > 0)
        wp.vad_params.speech_pad_ms = j->p.vad_speech_pad_ms;
    int rc = whisper_full(j->asr->ctx, wp, j->samples, (int)j->n_samples);
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
        if (access(params->vad_model_path, R_OK) != 0) {
            int e = errno;
            return parley_fail(parley_status_from_errno(e), "VAD model %s: %s", params->vad_model_path, strerror(e));
        }
    }
    const char *lang = params->language && *params->language ? params->language : "auto";
    if (strcmp(lang, "auto") != 0 && whisper_lang_id(lang) < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown language '%s' (use an ISO 639-1 code such as en, de, fr)",
                           lang);
    if (strcmp(lang, "auto") != 0 && strcmp(lang, "en") != 0 && !whisper_is_multilingual(asr->ctx))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "model %s is English-only; it cannot transcribe '%s'",
                           asr->model_name, lang);

    job *j = calloc(1, sizeof *j);
    if (!j)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    j->asr = asr;
    j->p = *params;
    snprintf(j->lang, sizeof j->lang, "%s", lang);
    j->n_samples = n_samples;
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
        clock_gettime(CLOCK_REALTIME, &ts);
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
    int nv = whisper_full_n_vad_segments(asr->ctx);
    if (nv > 0) {
        asr->vad = calloc((size_t)nv, sizeof *asr->vad);
        if (!asr->vad) {
            job_free(j);
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        }
        for (int i = 0; i < nv; i++) {
            asr->vad[i][0] = whisper_full_get_vad_segment_t0(asr->ctx, i) * 10;
            asr->vad[i][1] = whisper_full_get_vad_segment_t1(asr->ctx, i) * 10;
        }
        asr->n_vad = (size_t)nv;
    }
    *out = j->out;
    memset(&j->out, 0, sizeof j->out);
    job_free(j);
    out->duration_s = (double)n_samples / PARLEY_AUDIO_RATE;
    int lid = whisper_full_lang_id(asr->ctx);
    const char *ls = lid >= 0 ? whisper_lang_str(lid) : (strcmp(lang, "auto") ? lang : NULL);
    out->language = ls ? parley_strdup(ls) : NULL;
    out->model = parley_strdup(asr->model_name);
    return PARLEY_OK;
}
