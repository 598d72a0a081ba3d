/* parakeet_stream.c: live transcription with Parakeet. Audio pushed by the owner thread is
 * queued; the stream's worker runs the Silero VAD over it (parley_vad streaming events),
 * keeps the audio of the open utterance, and decodes each finished utterance with
 * libparakeet's chunk API on the stream's own parakeet state. Semantics as
 * parley_asr_stream_* in asr.h. */
#include "asr/parakeet_internal.h"

#include "core/internal.h"

#include <parley/vad.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <parakeet.h>

#define PS_RATE_MS (PARLEY_AUDIO_RATE / 1000) /* samples per ms */
#define PS_PREROLL_MS 1000 /* audio kept before speech starts (the VAD moves starts back by its pad) */
#define PS_MAX_GAP_MS 10000 /* a gap up to this long is filled with silence; longer ones reset */
#define PS_CHUNK_MAX_FRAMES 4900 /* parakeet_chunk() decodes at most n_audio_ctx (5000) mel frames */

struct ps_block {
    float *s;
    size_t n;
    int64_t t0_ms;
    struct ps_block *next;
};

struct parley_parakeet_stream {
    parley_parakeet *pk;
    struct parakeet_state *state;
    parley_vad *vad;
    char *speaker, *language;
    int n_threads;
    int64_t max_backlog_ms;
    float energy_gate_db;
    parley_stream_segment_fn on_segment;
    void *on_segment_ud;
    parley_stream_error_fn on_error;
    void *on_error_ud;

    pthread_t thread;
    pthread_mutex_t lock; /* guards the queue and the flags below */
    pthread_cond_t wake;  /* work for the worker */
    pthread_cond_t idle;  /* the worker finished flushing */
    struct ps_block *head, *tail;
    int64_t queued_ms;
    atomic_llong backlog_ms; /* queued + the utterance being decoded */
    bool finishing, flushed, stop, pushed_after_finish;
    atomic_bool abort; /* abort the utterance being decoded (free, cancelled finish) */

    /* worker only: contiguous audio from buf_t0_ms, and the open utterance */
    float *buf;
    size_t buf_n, buf_cap;
    int64_t buf_t0_ms;
    bool have_time;
    bool in_speech;
    int64_t speech_t0_ms;
};

static bool ps_abort_cb(void *ud)
{
    struct parley_parakeet_stream *s = ud;
    return atomic_load(&s->abort);
}

static bool ps_encoder_begin(struct parakeet_context *c, struct parakeet_state *st, void *ud)
{
    (void)c;
    (void)st;
    return !ps_abort_cb(ud);
}

static void ps_error(struct parley_parakeet_stream *s, parley_status st, int64_t t0, int64_t t1)
{
    if (s->on_error)
        s->on_error(st, parley_last_error(), t0, t1, s->on_error_ud);
}

static void ps_seg(const parley_segment *seg, void *ud)
{
    struct parley_parakeet_stream *s = ud;
    if (s->on_segment && !atomic_load(&s->abort))
        s->on_segment(seg, s->on_segment_ud);
}

/* Decodes buf[t0, t1) (ms on the session timeline) and reports its segments. */
static void ps_utterance(struct parley_parakeet_stream *s, int64_t t0, int64_t t1)
{
    int64_t buf_end = s->buf_t0_ms + (int64_t)(s->buf_n / PS_RATE_MS);
    if (t0 < s->buf_t0_ms)
        t0 = s->buf_t0_ms;
    if (t1 > buf_end)
        t1 = buf_end;
    if (t1 - t0 < 100) /* nothing a transducer can use */
        return;
    const float *a = s->buf + (size_t)(t0 - s->buf_t0_ms) * PS_RATE_MS;
    size_t n = (size_t)(t1 - t0) * PS_RATE_MS;
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)a[i] * a[i];
    double db = 10.0 * log10(e / (double)n + 1e-12);
    if (db < s->energy_gate_db)
        return;
    atomic_fetch_add(&s->backlog_ms, t1 - t0);
    struct parakeet_full_params fp = parakeet_full_default_params(PARAKEET_SAMPLING_GREEDY);
    fp.n_threads = s->n_threads;
    fp.no_context = true;
    fp.abort_callback = ps_abort_cb;
    fp.abort_callback_user_data = s;
    fp.encoder_begin_callback = ps_encoder_begin;
    fp.encoder_begin_callback_user_data = s;
    struct parakeet_context *ctx = parley_parakeet_ctx(s->pk);
    /* The chunk API decodes one window of up to n_audio_ctx mel frames (10 ms each);
     * a longer utterance (max_utterance_ms raised past 49 s) takes the full pass. */
    int rc = (t1 - t0) / 10 <= PS_CHUNK_MAX_FRAMES ? parakeet_chunk(ctx, s->state, fp, a, (int)n)
                                                   : parakeet_full_with_state(ctx, s->state, fp, a, (int)n);
    if (!atomic_load(&s->abort)) {
        if (rc != 0) {
            ps_error(s, parley_fail(PARLEY_ERR_INFERENCE, "libparakeet failed on %.1f-%.1f s (code %d)", t0 / 1000.0,
                                    t1 / 1000.0, rc),
                     t0, t1);
        } else {
            parley_parakeet_piece *pc = NULL;
            size_t npc = 0;
            parley_transcript t = {0};
            parley_status st = parley_parakeet_pieces(ctx, s->state, &pc, &npc);
            if (!st)
                st = parley_parakeet_segments(pc, npc, t0, t0, t1, s->speaker, &t, ps_seg, s);
            if (st)
                ps_error(s, st, t0, t1);
            parley_transcript_free(&t);
            free(pc);
        }
    }
    atomic_fetch_sub(&s->backlog_ms, t1 - t0);
}

static bool ps_buf_append(struct parley_parakeet_stream *s, const float *x, size_t n, bool zeros)
{
    if (s->buf_n + n > s->buf_cap) {
        size_t cap = s->buf_cap ? s->buf_cap : 16000 * 8;
        while (cap < s->buf_n + n)
            cap *= 2;
        float *b = realloc(s->buf, cap * sizeof *b);
        if (!b)
            return false;
        s->buf = b;
        s->buf_cap = cap;
    }
    if (zeros)
        memset(s->buf + s->buf_n, 0, n * sizeof *x);
    else
        memcpy(s->buf + s->buf_n, x, n * sizeof *x);
    s->buf_n += n;
    return true;
}

/* Drops audio no open or coming utterance can need. */
static void ps_buf_trim(struct parley_parakeet_stream *s)
{
    int64_t end = s->buf_t0_ms + (int64_t)(s->buf_n / PS_RATE_MS);
    int64_t keep_from = s->in_speech ? s->speech_t0_ms : end - PS_PREROLL_MS;
    if (keep_from <= s->buf_t0_ms)
        return;
    size_t drop = (size_t)(keep_from - s->buf_t0_ms) * PS_RATE_MS;
    if (drop > s->buf_n)
        drop = s->buf_n;
    memmove(s->buf, s->buf + drop, (s->buf_n - drop) * sizeof *s->buf);
    s->buf_n -= drop;
    s->buf_t0_ms += (int64_t)(drop / PS_RATE_MS);
}

static void ps_events(struct parley_parakeet_stream *s, const parley_vad_event *ev, size_t n)
{
    for (size_t i = 0; i < n && !atomic_load(&s->abort); i++) {
        if (ev[i].kind == PARLEY_VAD_SPEECH_START) {
            s->in_speech = true;
            s->speech_t0_ms = ev[i].t_ms;
        } else if (ev[i].kind == PARLEY_VAD_SPEECH_END && s->in_speech) {
            s->in_speech = false;
            ps_utterance(s, s->speech_t0_ms, ev[i].t_ms);
        }
    }
}

static void ps_flush_vad(struct parley_parakeet_stream *s)
{
    parley_vad_event ev[16];
    size_t n = 0;
    if (parley_vad_flush(s->vad, ev, 16, &n) == PARLEY_OK)
        ps_events(s, ev, n);
    if (s->in_speech) { /* flush closes open speech; be sure */
        s->in_speech = false;
        ps_utterance(s, s->speech_t0_ms, s->buf_t0_ms + (int64_t)(s->buf_n / PS_RATE_MS));
    }
}

static void ps_block(struct parley_parakeet_stream *s, struct ps_block *b)
{
    int64_t end = s->buf_t0_ms + (int64_t)(s->buf_n / PS_RATE_MS);
    if (!s->have_time) {
        s->buf_t0_ms = b->t0_ms;
        s->have_time = true;
    } else if (b->t0_ms != end) {
        int64_t gap = b->t0_ms - end;
        if (gap > 0 && gap <= PS_MAX_GAP_MS) {
            /* a short gap (a dropped capture buffer) is silence on the timeline */
            if (!ps_buf_append(s, NULL, (size_t)gap * PS_RATE_MS, true)) {
                ps_error(s, parley_fail(PARLEY_ERR_NOMEM, "out of memory"), end, b->t0_ms);
                return;
            }
            parley_vad_event ev[16];
            size_t n = 0;
            float *z = calloc((size_t)gap * PS_RATE_MS, sizeof *z);
            if (z && parley_vad_push(s->vad, z, (size_t)gap * PS_RATE_MS, end, ev, 16, &n) == PARLEY_OK)
                ps_events(s, ev, n);
            free(z);
        } else {
            /* a long gap or a step back: close what is open and start afresh */
            ps_flush_vad(s);
            parley_vad_reset(s->vad);
            s->buf_n = 0;
            s->buf_t0_ms = b->t0_ms;
        }
    }
    if (!ps_buf_append(s, b->s, b->n, false)) {
        ps_error(s, parley_fail(PARLEY_ERR_NOMEM, "out of memory"), b->t0_ms, b->t0_ms + (int64_t)(b->n / PS_RATE_MS));
        return;
    }
    parley_vad_event ev[64]; /* a 32 ms window gives at most one event: 64 covers 2 s per push */
    size_t n = 0;
    parley_status st = parley_vad_push(s->vad, b->s, b->n, b->t0_ms, ev, 64, &n);
    if (st)
        ps_error(s, st, b->t0_ms, b->t0_ms + (int64_t)(b->n / PS_RATE_MS));
    else
        ps_events(s, ev, n);
    ps_buf_trim(s);
}

static void *ps_worker(void *arg)
{
    struct parley_parakeet_stream *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stop && !(s->finishing && !s->flushed))
            pthread_cond_wait(&s->wake, &s->lock);
        if (s->stop)
            break;
        if (s->head) {
            struct ps_block *b = s->head;
            s->head = b->next;
            if (!s->head)
                s->tail = NULL;
            int64_t ms = (int64_t)(b->n / PS_RATE_MS);
            pthread_mutex_unlock(&s->lock);
            ps_block(s, b);
            free(b->s);
            free(b);
            pthread_mutex_lock(&s->lock);
            s->queued_ms -= ms;
            atomic_fetch_sub(&s->backlog_ms, ms);
            continue;
        }
        /* finishing with an empty queue: close the open utterance */
        pthread_mutex_unlock(&s->lock);
        ps_flush_vad(s);
        pthread_mutex_lock(&s->lock);
        s->flushed = true;
        pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void ps_free_queue(struct parley_parakeet_stream *s)
{
    while (s->head) {
        struct ps_block *b = s->head;
        s->head = b->next;
        free(b->s);
        free(b);
    }
    s->tail = NULL;
}

static void ps_destroy(struct parley_parakeet_stream *s)
{
    ps_free_queue(s);
    if (s->state)
        parakeet_free_state(s->state);
    parley_vad_free(s->vad);
    free(s->buf);
    free(s->speaker);
    free(s->language);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->idle);
    free(s);
}

parley_status parley_parakeet_stream_open(parley_parakeet *pk, const struct parley_asr_stream_params *p,
                                          parley_parakeet_stream **out)
{
    if (!pk || !p || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "model, params and out are required");
    *out = NULL;
    if (!p->vad_model_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a stream needs a VAD model (vad_model_path)");
    parley_status st = parley_parakeet_check_language(pk, p->language);
    if (st)
        return st;
    struct parley_parakeet_stream *s = calloc(1, sizeof *s);
    if (!s)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->pk = pk;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    s->n_threads = p->n_threads > 0 ? p->n_threads : nc < 1 ? 1 : nc > 8 ? 8 : (int)nc;
    s->max_backlog_ms = p->max_backlog_ms > 0 ? p->max_backlog_ms : 120000;
    s->energy_gate_db = p->energy_gate_db != 0 ? p->energy_gate_db : -55.0f;
    s->on_segment = p->on_segment;
    s->on_segment_ud = p->on_segment_user_data;
    s->on_error = p->on_error;
    s->on_error_ud = p->on_error_user_data;
    if ((p->speaker && !(s->speaker = parley_strdup(p->speaker))) ||
        (p->language && !(s->language = parley_strdup(p->language)))) {
        ps_destroy(s);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = p->vad_model_path;
    vp.threshold = p->vad_threshold;
    vp.min_silence_ms = p->min_silence_ms > 0 ? p->min_silence_ms : 600;
    vp.max_speech_s = (p->max_utterance_ms > 0 ? p->max_utterance_ms : 15000) / 1000.0f;
    if ((st = parley_vad_open(&vp, &s->vad))) {
        ps_destroy(s);
        return st;
    }
    if (!(s->state = parakeet_init_state(parley_parakeet_ctx(pk)))) {
        ps_destroy(s);
        return parley_fail(PARLEY_ERR_NOMEM, "libparakeet could not allocate a state for the stream");
    }
    if (pthread_create(&s->thread, NULL, ps_worker, s) != 0) {
        ps_destroy(s);
        return parley_fail(PARLEY_ERR_NOMEM, "cannot start the stream's thread");
    }
    *out = s;
    return PARLEY_OK;
}

parley_status parley_parakeet_stream_push(parley_parakeet_stream *s, const float *samples, size_t n, int64_t t0_ms)
{
    if (!s || (!samples && n))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "stream and samples are required");
    if (!n)
        return PARLEY_OK;
    int64_t ms = (int64_t)(n / PS_RATE_MS);
    pthread_mutex_lock(&s->lock);
    parley_status st = PARLEY_OK;
    if (s->finishing)
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "push after finish");
    else if (atomic_load(&s->backlog_ms) + ms > s->max_backlog_ms)
        st = parley_fail(PARLEY_ERR_TOO_LARGE, "stream backlog full (%lld ms waiting; the limit is %lld ms)",
                         (long long)atomic_load(&s->backlog_ms), (long long)s->max_backlog_ms);
    pthread_mutex_unlock(&s->lock);
    if (st)
        return st;
    struct ps_block *b = calloc(1, sizeof *b);
    if (!b || !(b->s = malloc(n * sizeof *samples))) {
        free(b);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    memcpy(b->s, samples, n * sizeof *samples);
    b->n = n;
    b->t0_ms = t0_ms;
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = b;
    else
        s->head = b;
    s->tail = b;
    s->queued_ms += ms;
    atomic_fetch_add(&s->backlog_ms, ms);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return PARLEY_OK;
}

int64_t parley_parakeet_stream_backlog_ms(const parley_parakeet_stream *s)
{
    return s ? (int64_t)atomic_load(&((parley_parakeet_stream *)s)->backlog_ms) : 0;
}

parley_status parley_parakeet_stream_finish(parley_parakeet_stream *s, const parley_cancel *cancel)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "stream is required");
    pthread_mutex_lock(&s->lock);
    s->finishing = true;
    pthread_cond_signal(&s->wake);
    bool cancelled = false;
    while (!s->flushed) {
        if (parley_cancel_is_set(cancel)) {
            cancelled = true;
            atomic_store(&s->abort, true);
            s->stop = true;
            ps_free_queue(s);
            pthread_cond_signal(&s->wake);
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->idle, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return cancelled ? parley_fail(PARLEY_ERR_CANCELLED, "stream cancelled") : PARLEY_OK;
}

void parley_parakeet_stream_free(parley_parakeet_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    atomic_store(&s->abort, true);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    ps_destroy(s);
}
