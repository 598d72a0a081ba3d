/* stream.c: live transcription. push() queues audio and returns; the stream's worker
 * runs the VAD over it, cuts utterances, transcribes each with the stream's own
 * whisper_state (the weights are shared with every other stream on the same model) and
 * emits final segments on the caller's timeline. */
#include <parley/asr.h>

#include "asr/asr_internal.h"
#include "asr/parakeet_internal.h" /* parakeet */
#include "core/internal.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE PARLEY_AUDIO_RATE
#define LOOKBACK_MS 2000 /* audio kept before speech starts: VAD reports a start after the fact */

typedef struct chunk {
    struct chunk *next;
    int64_t t0_ms;
    size_t n;
    float s[];
} chunk;

struct parley_asr_stream {
    parley_asr *asr;
    struct parley_parakeet_stream *pks; /* parakeet: a Parakeet stream; nothing else is used */
    struct whisper_state *state;
    parley_vad *vad;
    /* params, owned copies */
    char lang[8];
    char *prompt, *speaker;
    int n_threads;
    int64_t max_backlog; /* samples */
    float gate_db, nsp_thr;
    struct parley_asr_stream_params cb; /* callbacks and their user data */

    pthread_t thread;
    bool started;
    bool detached;        /* free() returned before the worker stopped: the worker frees the stream */
    pthread_mutex_t cb_lock; /* held around every callback; free() takes it to set stop, so that
                                no callback runs after free() returns */
    pthread_mutex_t lock; /* guards the queue and the flags below */
    pthread_cond_t cond;  /* worker wakes on input / finish / stop; finish wakes on done */
    chunk *head, *tail;
    size_t queued;        /* samples in the queue */
    bool finishing, done;
    atomic_bool stop;     /* free or a cancelled finish: abort whisper, emit nothing more */
    atomic_llong held;    /* samples the worker holds that are not transcribed yet */

    /* worker only */
    float *buf;           /* recent audio: an open utterance and LOOKBACK_MS before it */
    size_t n_buf, cap_buf;
    int64_t buf_t0_ms;    /* time of buf[0] */
    bool utt_open;
    int64_t utt_t0_ms;
    char *last_norm;      /* the last emitted segment, normalised, for the repetition filter */
    int64_t last_t1_ms;
};

struct parley_asr_stream_params parley_asr_stream_default_params(void)
{
    struct parley_asr_stream_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static int64_t buf_end_ms(const parley_asr_stream *s) { return s->buf_t0_ms + (int64_t)(s->n_buf * 1000 / RATE); }

static size_t ms_to_index(const parley_asr_stream *s, int64_t t)
{
    if (t <= s->buf_t0_ms)
        return 0;
    size_t i = (size_t)((t - s->buf_t0_ms) * RATE / 1000);
    return i > s->n_buf ? s->n_buf : i;
}

static void report_error(parley_asr_stream *s, parley_status st, int64_t t0, int64_t t1)
{
    if (!s->cb.on_error)
        return;
    pthread_mutex_lock(&s->cb_lock);
    if (!atomic_load(&s->stop))
        s->cb.on_error(st, parley_last_error(), t0, t1, s->cb.on_error_user_data);
    pthread_mutex_unlock(&s->cb_lock);
}

static bool abort_cb(void *ud) { return atomic_load(&((parley_asr_stream *)ud)->stop); }

static bool encoder_begin_cb(struct whisper_context *ctx, struct whisper_state *state, void *ud)
{
    (void)ctx;
    (void)state;
    return !abort_cb(ud);
}

static void transcribe_utterance(parley_asr_stream *s, const float *x, size_t n, int64_t t0_ms)
{
    int64_t t1_ms = t0_ms + (int64_t)(n * 1000 / RATE);
    /* Energy gate: VAD can fire on loud noise, but whisper invents words on very quiet audio. */
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    double db = n ? 10.0 * log10(e / (double)n + 1e-20) : -200;
    if (db < s->gate_db) {
        parley_log(PARLEY_LOG_DEBUG, "stream: utterance %lld-%lld ms skipped, %.1f dBFS below the gate",
                   (long long)t0_ms, (long long)t1_ms, db);
        return;
    }
    /* whisper.cpp refuses input shorter than 1 s: pad with silence. */
    size_t need = RATE * 11 / 10;
    float *padded = NULL;
    if (n < need) {
        padded = calloc(need, sizeof *padded);
        if (!padded) {
            report_error(s, parley_fail(PARLEY_ERR_NOMEM, "out of memory"), t0_ms, t1_ms);
            return;
        }
        memcpy(padded, x, n * sizeof *x);
    }
    struct whisper_full_params wp = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    wp.n_threads = s->n_threads;
    wp.language = s->lang;
    wp.initial_prompt = s->prompt;
    wp.no_context = true; /* each utterance alone: carried context feeds whisper's loops */
    wp.print_progress = false;
    wp.print_realtime = false;
    wp.print_timestamps = false;
    wp.print_special = false;
    wp.suppress_nst = true;
    wp.no_speech_thold = s->nsp_thr;
    wp.abort_callback = abort_cb;
    wp.abort_callback_user_data = s;
    wp.encoder_begin_callback = encoder_begin_cb;
    wp.encoder_begin_callback_user_data = s;
    struct whisper_context *ctx = s->asr->ctx;
    int rc = whisper_full_with_state(ctx, s->state, wp, padded ? padded : x, (int)(padded ? need : n));
    free(padded);
    if (atomic_load(&s->stop))
        return;
    if (rc != 0) {
        report_error(s, parley_fail(PARLEY_ERR_INFERENCE, "whisper.cpp failed on the utterance at %lld ms (code %d)",
                                    (long long)t0_ms, rc),
                     t0_ms, t1_ms);
        return;
    }
    int ns = whisper_full_n_segments_from_state(s->state);
    for (int i = 0; i < ns; i++) {
        const char *raw = whisper_full_get_segment_text_from_state(s->state, i);
        char *text = parley_strdup(raw ? raw : "");
        if (!text) {
            report_error(s, parley_fail(PARLEY_ERR_NOMEM, "out of memory"), t0_ms, t1_ms);
            return;
        }
        char *t = text;
        while (isspace((unsigned char)*t))
            t++;
        size_t l = strlen(t);
        while (l && isspace((unsigned char)t[l - 1]))
            t[--l] = '\0';
        float conf = parley_asr_segment_confidence(ctx, s->state, i);
        float nsp = whisper_full_get_segment_no_speech_prob_from_state(s->state, i);
        int64_t a = t0_ms + whisper_full_get_segment_t0_from_state(s->state, i) * 10;
        int64_t b = t0_ms + whisper_full_get_segment_t1_from_state(s->state, i) * 10;
        if (b > t1_ms)
            b = t1_ms;
        if (a > b)
            a = b;
        char *norm = *t ? parley_asr_normalise(t) : NULL;
        const char *why = NULL;
        if (!*t || !norm || !*norm)
            why = "empty";
        else if (s->last_norm && strcmp(norm, s->last_norm) == 0 && a - s->last_t1_ms < 30000)
            why = "repeats the previous segment";
        else
            why = parley_asr_invented(t, nsp, conf, s->nsp_thr); /* no speech, or a loop */
        if (why) {
            if (*t)
                parley_log(PARLEY_LOG_DEBUG, "stream: dropped \"%.80s\" at %lld ms: %s", t, (long long)a, why);
            free(norm);
        } else {
            free(s->last_norm);
            s->last_norm = norm;
            s->last_t1_ms = b;
            parley_segment seg = {a, b, t, s->speaker, conf};
            if (s->cb.on_segment) {
                pthread_mutex_lock(&s->cb_lock);
                if (!atomic_load(&s->stop))
                    s->cb.on_segment(&seg, s->cb.on_segment_user_data);
                pthread_mutex_unlock(&s->cb_lock);
            }
        }
        free(text);
    }
}

/* Drops audio before t from the buffer. */
static void trim_before(parley_asr_stream *s, int64_t t)
{
    size_t k = ms_to_index(s, t);
    if (k == 0)
        return;
    memmove(s->buf, s->buf + k, (s->n_buf - k) * sizeof *s->buf);
    s->n_buf -= k;
    s->buf_t0_ms += (int64_t)(k * 1000 / RATE);
}

static void update_held(parley_asr_stream *s)
{
    size_t k = s->utt_open ? s->n_buf - ms_to_index(s, s->utt_t0_ms) : 0;
    atomic_store(&s->held, (long long)k);
}

static void handle_events(parley_asr_stream *s, const parley_vad_event *ev, size_t n)
{
    for (size_t i = 0; i < n && !atomic_load(&s->stop); i++) {
        if (ev[i].kind == PARLEY_VAD_SPEECH_START) {
            s->utt_open = true;
            s->utt_t0_ms = ev[i].t_ms < s->buf_t0_ms ? s->buf_t0_ms : ev[i].t_ms;
        } else if (s->utt_open) {
            size_t a = ms_to_index(s, s->utt_t0_ms), b = ms_to_index(s, ev[i].t_ms);
            int64_t t0 = s->buf_t0_ms + (int64_t)(a * 1000 / RATE);
            s->utt_open = false;
            if (b > a)
                transcribe_utterance(s, s->buf + a, b - a, t0);
            trim_before(s, ev[i].t_ms);
            update_held(s);
        }
    }
}

static void drain_vad(parley_asr_stream *s, bool flush)
{
    parley_vad_event ev[16];
    size_t n;
    do {
        parley_status st = flush ? parley_vad_flush(s->vad, ev, 16, &n) : parley_vad_push(s->vad, NULL, 0, buf_end_ms(s), ev, 16, &n);
        if (st)
            report_error(s, st, buf_end_ms(s), buf_end_ms(s));
        handle_events(s, ev, n);
    } while (n == 16);
}

static void process_chunk(parley_asr_stream *s, const chunk *c)
{
    /* A jump on the timeline: close what is open on the old one, start a new buffer. */
    if (s->n_buf > 0 && llabs(c->t0_ms - buf_end_ms(s)) > 32) {
        drain_vad(s, true);
        parley_vad_reset(s->vad);
        s->n_buf = 0;
        s->utt_open = false;
    }
    if (s->n_buf == 0)
        s->buf_t0_ms = c->t0_ms;
    if (s->n_buf + c->n > s->cap_buf) {
        size_t cap = s->cap_buf ? s->cap_buf : RATE * 4;
        while (cap < s->n_buf + c->n)
            cap *= 2;
        float *b = realloc(s->buf, cap * sizeof *b);
        if (!b) {
            report_error(s, parley_fail(PARLEY_ERR_NOMEM, "out of memory"), c->t0_ms,
                         c->t0_ms + (int64_t)(c->n * 1000 / RATE));
            return;
        }
        s->buf = b;
        s->cap_buf = cap;
    }
    memcpy(s->buf + s->n_buf, c->s, c->n * sizeof *c->s);
    s->n_buf += c->n;
    update_held(s);
    parley_vad_event ev[16];
    size_t n;
    parley_status st = parley_vad_push(s->vad, c->s, c->n, c->t0_ms, ev, 16, &n);
    if (st)
        report_error(s, st, c->t0_ms, c->t0_ms + (int64_t)(c->n * 1000 / RATE));
    handle_events(s, ev, n);
    if (n == 16)
        drain_vad(s, false);
    if (!s->utt_open && buf_end_ms(s) - s->buf_t0_ms > LOOKBACK_MS)
        trim_before(s, buf_end_ms(s) - LOOKBACK_MS);
    update_held(s);
}

static void destroy(parley_asr_stream *s);

static void *worker_main(void *arg)
{
    parley_asr_stream *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->finishing && !atomic_load(&s->stop))
            pthread_cond_wait(&s->cond, &s->lock);
        if (atomic_load(&s->stop))
            break;
        if (s->head) {
            chunk *c = s->head;
            s->head = c->next;
            if (!s->head)
                s->tail = NULL;
            s->queued -= c->n;
            atomic_fetch_add(&s->held, (long long)c->n); /* counted until process_chunk recounts */
            pthread_mutex_unlock(&s->lock);
            process_chunk(s, c);
            free(c);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        /* finishing, queue empty: close the last utterance */
        pthread_mutex_unlock(&s->lock);
        drain_vad(s, true);
        atomic_store(&s->held, 0);
        pthread_mutex_lock(&s->lock);
        break;
    }
    s->done = true;
    bool detached = s->detached;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (detached) { /* free() has returned: nobody else holds s any more */
        pthread_detach(pthread_self());
        destroy(s);
    }
    return NULL;
}

parley_status parley_asr_stream_open(parley_asr *asr, const struct parley_asr_stream_params *params,
                                     parley_asr_stream **out)
{
    if (!asr || !params || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "asr, params and out are required");
    *out = NULL;
    if (asr->pk) { /* parakeet: the Parakeet engine's own stream */
        parley_asr_stream *w = calloc(1, sizeof *w);
        if (!w)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        parley_status pst = parley_parakeet_stream_open(asr->pk, params, &w->pks);
        if (pst)
            free(w);
        else
            *out = w;
        return pst;
    }
    if (!params->vad_model_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a stream needs a Silero VAD model (vad_model_path)");
    if (!asr->ctx)
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "live streams need a whisper model (this engine has none yet)");
    const char *lang = params->language && *params->language ? params->language : "auto";
    parley_status st = parley_asr_check_language(asr, lang);
    if (st)
        return st;
    parley_asr_stream *s = calloc(1, sizeof *s);
    if (!s)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    s->asr = asr;
    snprintf(s->lang, sizeof s->lang, "%s", lang);
    s->n_threads = params->n_threads > 0 ? params->n_threads : parley_asr_default_threads();
    int64_t backlog_ms = params->max_backlog_ms > 0 ? params->max_backlog_ms : 120000;
    s->max_backlog = backlog_ms * RATE / 1000;
    s->gate_db = params->energy_gate_db < 0 ? params->energy_gate_db : -55.0f;
    s->nsp_thr = params->no_speech_threshold > 0 ? params->no_speech_threshold : PARLEY_ASR_NO_SPEECH;
    s->cb = *params;
    s->cb.language = s->cb.initial_prompt = s->cb.speaker = s->cb.vad_model_path = NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->cb_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if ((params->initial_prompt && !(s->prompt = parley_strdup(params->initial_prompt))) ||
        (params->speaker && !(s->speaker = parley_strdup(params->speaker)))) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto fail;
    }
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = params->vad_model_path;
    vp.n_threads = 1;
    vp.threshold = params->vad_threshold;
    vp.min_silence_ms = params->min_silence_ms > 0 ? params->min_silence_ms : 600;
    vp.max_speech_s = (float)(params->max_utterance_ms > 0 ? params->max_utterance_ms : 15000) / 1000.0f;
    if ((st = parley_vad_open(&vp, &s->vad)))
        goto fail;
    s->state = whisper_init_state(asr->ctx);
    if (!s->state) {
        st = parley_fail(PARLEY_ERR_NOMEM, "whisper.cpp could not allocate a state for the stream");
        goto fail;
    }
    if (pthread_create(&s->thread, NULL, worker_main, s) != 0) {
        st = parley_fail(PARLEY_ERR_NOMEM, "cannot start the stream's thread");
        goto fail;
    }
    s->started = true;
    parley_asr_stream_born(asr);
    *out = s;
    return PARLEY_OK;
fail:
    parley_asr_stream_free(s);
    return st;
}

parley_status parley_asr_stream_push(parley_asr_stream *s, const float *samples, size_t n, int64_t t0_ms)
{
    if (s && s->pks) /* parakeet */
        return parley_parakeet_stream_push(s->pks, samples, n, t0_ms);
    if (!s || (!samples && n))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "stream and samples are required");
    if (n == 0)
        return PARLEY_OK;
    pthread_mutex_lock(&s->lock);
    bool closed = s->finishing;
    /* Only the queue is bounded: audio the worker holds is an utterance it cannot close
     * without more input (bounding it too could wait for ever). */
    bool full = (int64_t)(s->queued + n) > s->max_backlog;
    pthread_mutex_unlock(&s->lock);
    if (closed)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "push after finish");
    if (full)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "the stream's backlog is full (%lld ms); push this audio again later",
                           (long long)parley_asr_stream_backlog_ms(s));
    chunk *c = malloc(sizeof *c + n * sizeof *samples);
    if (!c)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    c->next = NULL;
    c->t0_ms = t0_ms;
    c->n = n;
    memcpy(c->s, samples, n * sizeof *samples);
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = c;
    else
        s->head = c;
    s->tail = c;
    s->queued += n;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return PARLEY_OK;
}

int64_t parley_asr_stream_backlog_ms(const parley_asr_stream *s)
{
    if (!s)
        return 0;
    if (s->pks) /* parakeet */
        return parley_parakeet_stream_backlog_ms(s->pks);
    parley_asr_stream *m = (parley_asr_stream *)s; /* the lock is not part of the value */
    pthread_mutex_lock(&m->lock);
    int64_t n = (int64_t)m->queued + atomic_load(&m->held);
    pthread_mutex_unlock(&m->lock);
    return n * 1000 / RATE;
}

parley_status parley_asr_stream_finish(parley_asr_stream *s, const parley_cancel *cancel)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "stream is required");
    if (s->pks) /* parakeet */
        return parley_parakeet_stream_finish(s->pks, cancel);
    pthread_mutex_lock(&s->lock);
    s->finishing = true;
    pthread_cond_broadcast(&s->cond);
    bool cancelled = false;
    while (!s->done) {
        if (parley_cancel_is_set(cancel)) {
            atomic_store(&s->stop, true); /* whisper aborts at its next check; nothing more is emitted */
            pthread_cond_broadcast(&s->cond);
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
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    if (cancelled)
        return parley_fail(PARLEY_ERR_CANCELLED, "stream finish cancelled");
    return PARLEY_OK;
}

/* Frees everything; the worker has stopped (or never started). */
static void destroy(parley_asr_stream *s)
{
    parley_asr *asr = s->asr;
    bool counted = s->started;
    for (chunk *c = s->head; c;) {
        chunk *nx = c->next;
        free(c);
        c = nx;
    }
    if (s->state)
        whisper_free_state(s->state);
    parley_vad_free(s->vad);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->cb_lock);
    pthread_cond_destroy(&s->cond);
    free(s->buf);
    free(s->prompt);
    free(s->speaker);
    free(s->last_norm);
    free(s);
    if (counted)
        parley_asr_stream_gone(asr);
}

/* whisper.cpp checks its abort callback only between encoder and decoder passes, so a
 * worker inside an encoder pass may need a second or more to stop. free() does not wait
 * for it: it sets the stop flag under the callback lock (no callback runs after that)
 * and hands the stream to the worker, which frees it when it stops. parley_asr_free()
 * waits for such workers, since they still use the model. */
void parley_asr_stream_free(parley_asr_stream *s)
{
    if (!s)
        return;
    if (s->pks) { /* parakeet */
        parley_parakeet_stream_free(s->pks);
        free(s);
        return;
    }
    if (!s->started) {
        destroy(s);
        return;
    }
    pthread_mutex_lock(&s->cb_lock);
    atomic_store(&s->stop, true);
    pthread_mutex_unlock(&s->cb_lock);
    pthread_mutex_lock(&s->lock);
    s->finishing = true;
    bool done = s->done;
    if (!done)
        s->detached = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (done) {
        pthread_join(s->thread, NULL);
        destroy(s);
    }
}
