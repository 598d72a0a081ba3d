/* meeting.c: a live meeting (live.h). Threads:
 *   capture (one per stream, capture.c): journal append + level meter, nothing else;
 *   pipeline: reads the journals behind the capture, runs the VAD per stream, queues
 *             utterances (times only) and decides echo (mic speech that overlaps system
 *             speech);
 *   transcriber: takes the oldest utterance, reads its audio back from the journal,
 *             transcribes it, appends the segments to the store and posts them.
 * The queue holds times, not audio, so a backlog costs no memory and is caught up from
 * the journal; capture never waits for either thread. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "live/live_internal.h"
#include "parley/asr.h"
#include "parley/capture.h"
#include "parley/journal.h"
#include "parley/store.h"
#include "parley/vad.h"

#define N_STREAMS 2
#define MIC 0
#define SYS 1
#define MAX_QUEUE 4096   /* utterances waiting; past it the newest of a stream grows instead */
#define MAX_SYS_REGIONS 256

struct utterance {
    int stream;
    int64_t t0_ms, t1_ms;
    bool echo; /* mic: system speech near it; its echo is cancelled before transcribing */
};

struct stream {
    const char *name;    /* "mic", "system" */
    const char *speaker; /* "Me", "Them" */
    bool on;             /* opened */
    parley_capture *cap;
    parley_journal *jn;
    parley_vad *vad;
    char journal_path[PATH_MAX + 32];
    /* capture thread only */
    double lvl_sum;
    float lvl_peak;
    size_t lvl_n;
    parley_meeting *m;
    /* pipeline thread only */
    uint64_t vad_pos;       /* samples given to the VAD */
    int64_t open_t0;        /* speech start, -1 when none */
    /* shared */
    atomic_int ended;                 /* the capture ended by itself */
    atomic_int_least64_t vad_time_ms; /* the VAD has seen the timeline up to here */
    atomic_int journal_failed;
};

struct parley_meeting {
    struct parley_meeting_params p;
    char *title, *mic_source, *system_source, *input_path, *language, *vocabulary;
    double origin;
    int64_t session_id;
    parley_store *db;
    pthread_mutex_t db_mu;
    parley_asr *asr;
    parley_bus *bus;
    struct stream s[N_STREAMS];
    char dir[PATH_MAX];       /* the journal directory */
    char recording[PATH_MAX + 32];/* the stereo WAV at stop */
    int lock_fd;
    /* queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct utterance q[MAX_QUEUE];
    size_t qn;
    struct utterance pending_mic[64]; /* waiting for the system VAD to pass their end */
    size_t n_pending_mic;
    struct utterance sys_regions[MAX_SYS_REGIONS];
    size_t n_sys_regions;
    int64_t busy_ms;          /* the utterance being transcribed */
    int64_t done_ms;          /* audio transcribed so far */
    bool input_closed;        /* capture stopped: the pipeline drains and ends */
    bool pipeline_done;
    bool abandon;             /* stop with cancel: drop the backlog */
    parley_cancel *asr_cancel;
    pthread_t pipeline_th, asr_th;
    bool threads_started;
    bool stopped;
    int echo_dropped;
    int double_talk;          /* mic utterances kept although they overlap system speech */
    int echo_cancelled;       /* mic utterances transcribed after echo cancellation */
    int64_t n_segments;
    double last_backlog_post;
    live_assistant *assistant; /* NULL without an LLM; used by the transcriber and the driver */
    pthread_mutex_t as_mu;     /* guards assistant calls */
};

struct parley_meeting_params parley_meeting_default_params(void)
{
    struct parley_meeting_params p = {0};
    p.speed = 1.0;
    p.keep_audio = true;
    return p;
}

int64_t parley_meeting_session_id(const parley_meeting *m) { return m ? m->session_id : 0; }

int64_t parley_meeting_now_ms(const parley_meeting *m)
{
    return m ? (int64_t)((parley_now() - m->origin) * 1000.0) : 0;
}

static void post(parley_meeting *m, parley_event ev)
{
    ev.session_id = m->session_id;
    parley_bus_post(m->bus, &ev);
}

static void post_warning(parley_meeting *m, const char *text)
{
    parley_log(PARLEY_LOG_WARN, "%s", text);
    post(m, (parley_event){.kind = PARLEY_EVENT_WARNING, .text = text});
}

/* ---- capture thread ---- */

static float dbfs(double v) { return v > 1e-10 ? (float)(20.0 * log10(v)) : -100.0f; }

static void on_audio(const float *x, size_t n, int64_t t_ms, void *ud)
{
    struct stream *st = ud;
    parley_meeting *m = st->m;
    if (!atomic_load(&st->journal_failed)) {
        parley_status js = parley_journal_append(st->jn, x, n, t_ms);
        if (js != PARLEY_OK) {
            atomic_store(&st->journal_failed, 1);
            char msg[700];
            snprintf(msg, sizeof msg, "the %s recording cannot be written (%s: %s): audio is being lost", st->name,
                     parley_strerror(js), parley_last_error());
            post(m, (parley_event){.kind = PARLEY_EVENT_ERROR, .status = js, .text = msg, .source = st->name});
        }
    }
    for (size_t i = 0; i < n; i++) {
        st->lvl_sum += (double)x[i] * x[i];
        float a = fabsf(x[i]);
        if (a > st->lvl_peak)
            st->lvl_peak = a;
    }
    st->lvl_n += n;
    if (st->lvl_n >= PARLEY_JOURNAL_RATE / 5) { /* 200 ms */
        parley_event ev = {.kind = PARLEY_EVENT_LEVEL, .source = st->name, .t0_ms = t_ms,
                           .value = dbfs(sqrt(st->lvl_sum / (double)st->lvl_n)), .value2 = dbfs(st->lvl_peak)};
        post(m, ev);
        st->lvl_sum = 0;
        st->lvl_peak = 0;
        st->lvl_n = 0;
    }
}

static void on_end(parley_status stt, void *ud)
{
    struct stream *st = ud;
    atomic_store(&st->ended, 1);
    if (stt != PARLEY_OK) {
        char msg[800];
        snprintf(msg, sizeof msg, "%s capture stopped: %s: the rest of the meeting is not recorded from it",
                 st->name, parley_capture_error(st->cap));
        post(st->m, (parley_event){.kind = PARLEY_EVENT_ERROR, .status = stt, .text = msg, .source = st->name});
    }
}

static void on_capture_warning(const char *text, void *ud)
{
    struct stream *st = ud;
    post(st->m, (parley_event){.kind = PARLEY_EVENT_WARNING, .text = text, .source = st->name});
}

/* ---- pipeline thread ---- */

static void queue_push(parley_meeting *m, struct utterance u)
{
    /* Sorted by start so that the transcriber takes the oldest speech first. */
    if (m->qn == MAX_QUEUE) {
        /* Never drop audio: grow the newest utterance of this stream to cover it. */
        for (size_t i = m->qn; i-- > 0;) {
            if (m->q[i].stream == u.stream) {
                if (u.t1_ms > m->q[i].t1_ms)
                    m->q[i].t1_ms = u.t1_ms;
                return;
            }
        }
        return; /* unreachable in practice: the queue is all one stream's */
    }
    size_t i = m->qn;
    while (i > 0 && m->q[i - 1].t0_ms > u.t0_ms) {
        m->q[i] = m->q[i - 1];
        i--;
    }
    m->q[i] = u;
    m->qn++;
    pthread_cond_broadcast(&m->cv);
}

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Whether a microphone utterance follows the system audio (echo.c), read from the two
 * journals: the microphone over the utterance, the system audio from 500 ms before it (less
 * when its recording starts later) to 200 ms after. -1 when it cannot tell. */
static double follows_system(parley_meeting *m, int64_t t0, int64_t t1)
{
    struct stream *mic = &m->s[MIC], *sys = &m->s[SYS];
    const int64_t spm = PARLEY_JOURNAL_RATE / 1000; /* samples a ms */
    if (!mic->jn || !sys->jn || t1 <= t0)
        return -1;
    int64_t mj = parley_journal_t0_ms(mic->jn), sj = parley_journal_t0_ms(sys->jn);
    int64_t s0 = t0 - 500 < sj ? sj : t0 - 500, s1 = t1 + 200;
    if (t0 < mj || s1 <= s0)
        return -1;
    size_t nm = (size_t)((t1 - t0) * spm), ns = (size_t)((s1 - s0) * spm);
    float *a = malloc(nm * sizeof *a), *b = malloc(ns * sizeof *b);
    size_t gm = 0, gs = 0;
    live_envelope em = {0}, es = {0};
    double r = -1;
    if (a && b && parley_journal_read(mic->jn, (uint64_t)(t0 - mj) * (uint64_t)spm, nm, a, &gm) == PARLEY_OK &&
        parley_journal_read(sys->jn, (uint64_t)(s0 - sj) * (uint64_t)spm, ns, b, &gs) == PARLEY_OK &&
        live_envelope_make(a, gm, t0, &em) == PARLEY_OK && live_envelope_make(b, gs, s0, &es) == PARLEY_OK)
        r = live_envelope_follows(&em, &es, t0, t1);
    live_envelope_free(&em);
    live_envelope_free(&es);
    free(a);
    free(b);
    return r;
}

/* Mic utterances wait until the system stream's VAD has passed their end; then a mic
 * utterance mostly covered by system speech is the far side heard through the room when
 * it follows the system audio (follows_system, echo.c), and is left out; one that does not is
 * the user speaking at the same time (double talk, or headphones) and is kept. When that
 * cannot be told, it is left out, as the far side's. */
static void settle_mic(parley_meeting *m, bool final)
{
    struct stream *sys = &m->s[SYS];
    int64_t sys_t = sys->on ? atomic_load(&sys->vad_time_ms) : INT64_MAX;
    size_t keep = 0;
    for (size_t i = 0; i < m->n_pending_mic; i++) {
        struct utterance u = m->pending_mic[i];
        if (!final && sys->on && !atomic_load(&sys->ended) && sys_t < u.t1_ms) {
            m->pending_mic[keep++] = u;
            continue;
        }
        int64_t ov = 0, near = 0;
        for (size_t k = 0; k < m->n_sys_regions; k++) {
            ov += overlap(u.t0_ms, u.t1_ms, m->sys_regions[k].t0_ms, m->sys_regions[k].t1_ms);
            near += overlap(u.t0_ms - 500, u.t1_ms, m->sys_regions[k].t0_ms, m->sys_regions[k].t1_ms);
        }
        /* The far side's voice near it may be in the microphone under the user's: its echo
         * is cancelled before whisper hears it (asr_main). */
        u.echo = near > 0;
        if (ov * 2 > u.t1_ms - u.t0_ms) {
            double r = follows_system(m, u.t0_ms, u.t1_ms);
            if (r < 0 || r >= LIVE_ECHO_CORR) {
                m->echo_dropped++;
                parley_log(PARLEY_LOG_INFO,
                           "mic %lld-%lld ms is system audio heard by the microphone (envelope correlation %.2f): "
                           "left to Them",
                           (long long)u.t0_ms, (long long)u.t1_ms, r);
                continue;
            }
            m->double_talk++;
            parley_log(PARLEY_LOG_INFO,
                       "mic %lld-%lld ms overlaps system speech but does not follow it (envelope correlation "
                       "%.2f): the user speaking at the same time, kept",
                       (long long)u.t0_ms, (long long)u.t1_ms, r);
        }
        queue_push(m, u);
    }
    m->n_pending_mic = keep;
}

static void utterance_found(parley_meeting *m, int si, int64_t t0, int64_t t1)
{
    if (t1 <= t0)
        return;
    struct utterance u = {si, t0, t1, false};
    if (si == SYS) {
        if (m->n_sys_regions == MAX_SYS_REGIONS) {
            memmove(m->sys_regions, m->sys_regions + 1, (MAX_SYS_REGIONS - 1) * sizeof u);
            m->n_sys_regions--;
        }
        m->sys_regions[m->n_sys_regions++] = u;
        queue_push(m, u);
    } else if (m->n_pending_mic < sizeof m->pending_mic / sizeof m->pending_mic[0]) {
        m->pending_mic[m->n_pending_mic++] = u;
    } else {
        queue_push(m, u);
    }
}

static void vad_events(parley_meeting *m, int si, const parley_vad_event *ev, size_t n)
{
    struct stream *st = &m->s[si];
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind == PARLEY_VAD_SPEECH_START) {
            st->open_t0 = ev[i].t_ms;
        } else if (ev[i].kind == PARLEY_VAD_SPEECH_END && st->open_t0 >= 0) {
            pthread_mutex_lock(&m->mu);
            utterance_found(m, si, st->open_t0, ev[i].t_ms);
            pthread_mutex_unlock(&m->mu);
            st->open_t0 = -1;
        }
    }
}

static int64_t backlog_locked(parley_meeting *m)
{
    int64_t ms = m->busy_ms;
    for (size_t i = 0; i < m->qn; i++)
        ms += m->q[i].t1_ms - m->q[i].t0_ms;
    for (size_t i = 0; i < m->n_pending_mic; i++)
        ms += m->pending_mic[i].t1_ms - m->pending_mic[i].t0_ms;
    for (int si = 0; si < N_STREAMS; si++) {
        struct stream *st = &m->s[si];
        if (!st->on)
            continue;
        uint64_t have = parley_journal_samples(st->jn);
        if (have > st->vad_pos) /* not read by the VAD yet (racy read of vad_pos: a meter) */
            ms += (int64_t)((have - st->vad_pos) * 1000 / PARLEY_JOURNAL_RATE);
    }
    return ms;
}

int64_t parley_meeting_backlog_ms(const parley_meeting *m)
{
    if (!m)
        return 0;
    parley_meeting *mm = (parley_meeting *)m;
    pthread_mutex_lock(&mm->mu);
    int64_t b = backlog_locked(mm);
    pthread_mutex_unlock(&mm->mu);
    return b;
}

static void post_backlog(parley_meeting *m, bool force)
{
    double now = parley_now();
    if (!force && now - m->last_backlog_post < 1.0)
        return;
    m->last_backlog_post = now;
    pthread_mutex_lock(&m->mu);
    int64_t b = backlog_locked(m), d = m->done_ms;
    pthread_mutex_unlock(&m->mu);
    post(m, (parley_event){.kind = PARLEY_EVENT_BACKLOG, .value = (double)b, .value2 = (double)d});
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *pipeline_main(void *arg)
{
    parley_meeting *m = arg;
    enum { CHUNK = 16000 };
    float *buf = malloc(CHUNK * sizeof *buf);
    parley_vad_event ev[32];
    for (;;) {
        pthread_mutex_lock(&m->mu);
        bool closing = m->input_closed, abandon = m->abandon;
        pthread_mutex_unlock(&m->mu);
        if (abandon || !buf)
            break;
        bool progressed = false;
        for (int si = 0; si < N_STREAMS; si++) {
            struct stream *st = &m->s[si];
            if (!st->on)
                continue;
            uint64_t have = parley_journal_samples(st->jn);
            int64_t jt0 = parley_journal_t0_ms(st->jn);
            while (st->vad_pos < have) {
                size_t got = 0;
                size_t want = have - st->vad_pos < CHUNK ? (size_t)(have - st->vad_pos) : CHUNK;
                if (parley_journal_read(st->jn, st->vad_pos, want, buf, &got) != PARLEY_OK || got == 0)
                    break;
                int64_t t = jt0 + (int64_t)(st->vad_pos * 1000 / PARLEY_JOURNAL_RATE);
                size_t n_ev = 0;
                if (parley_vad_push(st->vad, buf, got, t, ev, 32, &n_ev) == PARLEY_OK)
                    vad_events(m, si, ev, n_ev);
                st->vad_pos += got;
                /* The VAD holds back up to min_silence before it reports an end. */
                atomic_store(&st->vad_time_ms, jt0 + (int64_t)(st->vad_pos * 1000 / PARLEY_JOURNAL_RATE) -
                                                   (m->p.min_silence_ms > 0 ? m->p.min_silence_ms : 500) - 100);
                progressed = true;
            }
        }
        pthread_mutex_lock(&m->mu);
        settle_mic(m, false);
        pthread_mutex_unlock(&m->mu);
        post_backlog(m, false);
        pthread_mutex_lock(&m->as_mu);
        live_assistant_tick(m->assistant);
        pthread_mutex_unlock(&m->as_mu);
        if (closing && !progressed) {
            /* Every journal is read to its end: close open speech. */
            for (int si = 0; si < N_STREAMS; si++) {
                struct stream *st = &m->s[si];
                if (!st->on)
                    continue;
                size_t n_ev = 0;
                if (parley_vad_flush(st->vad, ev, 32, &n_ev) == PARLEY_OK)
                    vad_events(m, si, ev, n_ev);
                atomic_store(&st->vad_time_ms, INT64_MAX);
            }
            pthread_mutex_lock(&m->mu);
            settle_mic(m, true);
            pthread_mutex_unlock(&m->mu);
            break;
        }
        if (!progressed)
            sleep_ms(40);
    }
    free(buf);
    pthread_mutex_lock(&m->mu);
    m->pipeline_done = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- transcriber thread ---- */

/* Cancels the system audio's echo in a microphone utterance (buf: its n samples from
 * journal sample `from`), in place. The canceller learns first from up to
 * LIVE_AEC_LEAD_MS of both journals before the utterance; the system audio is read
 * LIVE_AEC_SHIFT_MS later on the timeline than the microphone, so that its echo always
 * comes after it. False (buf untouched, said in the log) when it cannot be done. */
static bool cancel_echo(parley_meeting *m, const struct utterance *u, uint64_t from, float *buf, size_t n)
{
    struct stream *mic = &m->s[MIC], *sys = &m->s[SYS];
    if (!sys->on || !sys->jn)
        return false;
    const int64_t spm = PARLEY_JOURNAL_RATE / 1000;
    int64_t mj = parley_journal_t0_ms(mic->jn), sj = parley_journal_t0_ms(sys->jn);
    /* Microphone sample `from` is at mj + from / spm ms; the reference starts SHIFT later. */
    uint64_t lead = (uint64_t)LIVE_AEC_LEAD_MS * spm;
    if (lead > from)
        lead = from;
    int64_t a_ms = mj + (int64_t)((from - lead) / (uint64_t)spm) + LIVE_AEC_SHIFT_MS;
    if (a_ms < sj) { /* the system recording starts later: less to learn from */
        uint64_t cut = (uint64_t)(sj - a_ms) * (uint64_t)spm;
        if (cut > lead)
            return false;
        lead -= cut;
        a_ms = sj;
    }
    size_t len = (size_t)lead + n;
    float *mm = malloc(len * sizeof *mm), *rr = calloc(len, sizeof *rr);
    size_t gm = 0, gr = 0;
    bool ok = mm && rr && parley_journal_read(mic->jn, from - lead, len, mm, &gm) == PARLEY_OK && gm == len &&
              parley_journal_read(sys->jn, (uint64_t)(a_ms - sj) * (uint64_t)spm, len, rr, &gr) == PARLEY_OK &&
              gr > lead && live_echo_cancel(mm, rr, len, (size_t)lead, buf) == PARLEY_OK;
    /* gr < len: the system journal ends before the utterance does (at stop): silence. */
    if (!ok)
        parley_log(PARLEY_LOG_WARN, "mic %lld-%lld ms: echo cancellation could not run (%s); transcribed as heard",
                   (long long)u->t0_ms, (long long)u->t1_ms, parley_last_error());
    else
        parley_log(PARLEY_LOG_INFO, "mic %lld-%lld ms: the system audio's echo cancelled (learnt from %llu ms before)",
                   (long long)u->t0_ms, (long long)u->t1_ms, (unsigned long long)(lead / (uint64_t)spm));
    free(mm);
    free(rr);
    return ok;
}

static void *asr_main(void *arg)
{
    parley_meeting *m = arg;
    float *buf = NULL;
    size_t cap = 0;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        while (m->qn == 0 && !m->pipeline_done && !m->abandon)
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->abandon || (m->qn == 0 && m->pipeline_done)) {
            pthread_mutex_unlock(&m->mu);
            break;
        }
        struct utterance u = m->q[0];
        memmove(m->q, m->q + 1, (m->qn - 1) * sizeof u);
        m->qn--;
        m->busy_ms = u.t1_ms - u.t0_ms;
        pthread_mutex_unlock(&m->mu);

        struct stream *st = &m->s[u.stream];
        int64_t jt0 = parley_journal_t0_ms(st->jn);
        uint64_t from = u.t0_ms > jt0 ? (uint64_t)(u.t0_ms - jt0) * PARLEY_JOURNAL_RATE / 1000 : 0;
        size_t n = (size_t)((u.t1_ms - u.t0_ms) * PARLEY_JOURNAL_RATE / 1000);
        if (n > cap) {
            float *nb = realloc(buf, n * sizeof *nb);
            if (nb) {
                buf = nb;
                cap = n;
            }
        }
        size_t got = 0;
        if (n <= cap && parley_journal_read(st->jn, from, n, buf, &got) == PARLEY_OK && got > 0) {
            if (u.stream == MIC && u.echo && cancel_echo(m, &u, from, buf, got))
                m->echo_cancelled++;
            parley_transcript t = {0};
            parley_status rs = live_transcribe_utterance(m->asr, buf, got, m->language, m->vocabulary,
                                                          m->p.full_window, m->p.n_threads, m->asr_cancel, &t);
            if (rs == PARLEY_OK) {
                int64_t base = jt0 + (int64_t)(from * 1000 / PARLEY_JOURNAL_RATE);
                for (size_t i = 0; i < t.n_segments; i++) {
                    parley_segment sg = t.segments[i];
                    sg.t0_ms += base;
                    sg.t1_ms += base;
                    sg.speaker = (char *)st->speaker;
                    pthread_mutex_lock(&m->db_mu);
                    parley_status ss = parley_store_segments_append(m->db, m->session_id, &sg, 1);
                    pthread_mutex_unlock(&m->db_mu);
                    if (ss != PARLEY_OK) {
                        char msg[600];
                        snprintf(msg, sizeof msg, "storing a segment failed: %s (%s); it stays in the journal",
                                 parley_strerror(ss), parley_last_error());
                        post(m, (parley_event){.kind = PARLEY_EVENT_ERROR, .status = ss, .text = msg});
                    }
                    m->n_segments++;
                    pthread_mutex_lock(&m->as_mu);
                    live_assistant_segment(m->assistant, &sg);
                    pthread_mutex_unlock(&m->as_mu);
                    double lat = (double)(parley_meeting_now_ms(m) - u.t1_ms);
                    post(m, (parley_event){.kind = PARLEY_EVENT_SEGMENT, .t0_ms = sg.t0_ms, .t1_ms = sg.t1_ms,
                                           .speaker = st->speaker, .source = st->name, .text = sg.text,
                                           .value = sg.confidence, .value2 = lat});
                }
            } else if (rs != PARLEY_ERR_CANCELLED) {
                char msg[600];
                snprintf(msg, sizeof msg, "transcribing %s %lld-%lld ms failed: %s (%s); the audio is kept",
                         st->name, (long long)u.t0_ms, (long long)u.t1_ms, parley_strerror(rs), parley_last_error());
                post(m, (parley_event){.kind = PARLEY_EVENT_ERROR, .status = rs, .text = msg});
            }
            parley_transcript_free(&t);
        }
        pthread_mutex_lock(&m->mu);
        m->busy_ms = 0;
        m->done_ms += u.t1_ms - u.t0_ms;
        pthread_mutex_unlock(&m->mu);
        post_backlog(m, false);
    }
    free(buf);
    return NULL;
}

/* ---- start / stop ---- */

static parley_status open_stream(parley_meeting *m, int si, const char *source, const char *input)
{
    struct stream *st = &m->s[si];
    snprintf(st->journal_path, sizeof st->journal_path, "%s/%s.wav", m->dir, st->name);
    parley_status rc = parley_journal_open(st->journal_path, NULL, &st->jn);
    if (rc != PARLEY_OK)
        return rc;
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = m->p.vad_model_path;
    vp.min_silence_ms = m->p.min_silence_ms > 0 ? m->p.min_silence_ms : 500;
    vp.max_speech_s = (float)(m->p.max_utterance_ms > 0 ? m->p.max_utterance_ms : 15000) / 1000.0f;
    rc = parley_vad_open(&vp, &st->vad);
    if (rc != PARLEY_OK)
        return rc;
    struct parley_capture_params cp = parley_capture_default_params();
    cp.kind = si == MIC ? PARLEY_CAPTURE_MIC : PARLEY_CAPTURE_SYSTEM;
    cp.source = source;
    cp.input_path = input;
    cp.speed = m->p.speed;
    cp.origin = m->origin;
    cp.on_audio = on_audio;
    cp.on_end = on_end;
    cp.on_warning = on_capture_warning;
    cp.user_data = st;
    rc = parley_capture_open(&cp, &st->cap);
    if (rc != PARLEY_OK)
        return rc;
    st->on = true;
    return PARLEY_OK;
}

static void close_stream_files(struct stream *st)
{
    parley_capture_close(st->cap);
    st->cap = NULL;
    parley_vad_free(st->vad);
    st->vad = NULL;
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d = parley_strdup(s);
    if (s && !d)
        *oom = true;
    return d;
}

parley_status parley_meeting_start(const struct parley_meeting_params *params, parley_meeting **out)
{
    if (!params || !out || !params->bus || !params->asr_model_path || !params->vad_model_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_meeting_start: bus, asr_model_path and vad_model_path are required");
    if (params->speed < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "speed must be >= 0");
    *out = NULL;
    parley_meeting *m = calloc(1, sizeof *m);
    if (!m)
        return parley_fail(PARLEY_ERR_NOMEM, "meeting");
    m->p = *params;
    m->bus = params->bus;
    m->lock_fd = -1;
    bool oom = false;
    m->title = dup_or_null(params->title, &oom);
    m->mic_source = dup_or_null(params->mic_source, &oom);
    m->system_source = dup_or_null(params->system_source, &oom);
    m->input_path = dup_or_null(params->input_path, &oom);
    m->language = dup_or_null(params->language, &oom);
    m->vocabulary = dup_or_null(params->vocabulary, &oom);
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->db_mu, NULL);
    pthread_mutex_init(&m->as_mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->asr_cancel = parley_cancel_new();
    static const char *names[N_STREAMS] = {"mic", "system"}, *speakers[N_STREAMS] = {"Me", "Them"};
    for (int si = 0; si < N_STREAMS; si++) {
        m->s[si].name = names[si];
        m->s[si].speaker = speakers[si];
        m->s[si].m = m;
        m->s[si].open_t0 = -1;
        atomic_init(&m->s[si].ended, 0);
        atomic_init(&m->s[si].vad_time_ms, 0);
        atomic_init(&m->s[si].journal_failed, 0);
    }
    parley_status rc;
    if (oom || !m->asr_cancel) {
        rc = parley_fail(PARLEY_ERR_NOMEM, "meeting");
        goto fail;
    }
    struct parley_asr_params ap = parley_asr_default_params();
    ap.model_path = params->asr_model_path;
    if ((rc = parley_asr_init(&ap, &m->asr)) != PARLEY_OK)
        goto fail;
    if ((rc = parley_store_open(params->store_path, &m->db)) != PARLEY_OK)
        goto fail;
    struct parley_session_params sp = parley_session_default_params();
    sp.title = m->title;
    sp.source_path = m->input_path;
    sp.language = m->language;
    const char *slash = strrchr(params->asr_model_path, '/');
    sp.model = slash ? slash + 1 : params->asr_model_path;
    if ((rc = parley_store_session_begin(m->db, &sp, &m->session_id)) != PARLEY_OK)
        goto fail;
    if ((rc = live_session_dir(params->data_dir, m->session_id, m->dir, sizeof m->dir)) != PARLEY_OK ||
        (rc = parley_mkdirs(m->dir)) != PARLEY_OK || (rc = live_lock(m->dir, &m->lock_fd)) != PARLEY_OK)
        goto fail_session;

    if ((params->llm_model_path || params->llm_remote) &&
        (rc = live_assistant_new(params, m->bus, m->session_id, m->db, &m->db_mu, &m->assistant)) != PARLEY_OK)
        goto fail_session;
    m->origin = parley_now();
    if ((rc = open_stream(m, MIC, m->mic_source, m->input_path)) != PARLEY_OK)
        goto fail_session;
    if (!params->no_system) {
        parley_status ss = open_stream(m, SYS, m->system_source, NULL);
        if (ss != PARLEY_OK) {
            char msg[800];
            snprintf(msg, sizeof msg, "SYSTEM AUDIO CANNOT BE CAPTURED (%s: %s): recording the microphone only, "
                     "so the other side of the call is missing", parley_strerror(ss), parley_last_error());
            if (params->system_required) {
                rc = parley_fail(ss, "%s", msg);
                goto fail_session;
            }
            close_stream_files(&m->s[SYS]);
            if (m->s[SYS].jn) {
                parley_journal_close(m->s[SYS].jn);
                m->s[SYS].jn = NULL;
                unlink(m->s[SYS].journal_path);
            }
            post_warning(m, msg);
        }
    }
    /* The recording path is set now: a crash leaves it findable and deletable. */
    snprintf(m->recording, sizeof m->recording, "%s.wav", m->dir);
    char wall[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(wall, sizeof wall, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* "started" goes out before the threads that post backlog and segments exist, so it is
     * always a meeting's first event. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    post(m, (parley_event){.kind = PARLEY_EVENT_STARTED, .text = m->title ? m->title : "",
                           .source = parley_capture_source_name(m->s[MIC].cap),
                           .detail = m->s[SYS].on ? parley_capture_source_name(m->s[SYS].cap) : NULL,
                           .value = (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000) -
                                    (parley_now() - m->origin) * 1000.0});
    if (pthread_create(&m->pipeline_th, NULL, pipeline_main, m) != 0) {
        rc = parley_fail(PARLEY_ERR_NOMEM, "cannot start a thread");
        goto fail_session;
    }
    if (pthread_create(&m->asr_th, NULL, asr_main, m) != 0) {
        pthread_mutex_lock(&m->mu);
        m->abandon = true;
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->pipeline_th, NULL);
        rc = parley_fail(PARLEY_ERR_NOMEM, "cannot start a thread");
        goto fail_session;
    }
    m->threads_started = true;
    (void)wall;
    *out = m;
    return PARLEY_OK;

fail_session:;
    /* Nothing was recorded: the session goes again rather than stay live. */
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", parley_last_error());
    for (int si = 0; si < N_STREAMS; si++) {
        close_stream_files(&m->s[si]);
        if (m->s[si].jn) {
            parley_journal_close(m->s[si].jn);
            m->s[si].jn = NULL;
            unlink(m->s[si].journal_path);
        }
    }
    if (m->dir[0])
        rmdir(m->dir);
    if (m->session_id)
        parley_store_delete_session(m->db, m->session_id);
    m->session_id = 0;
    parley_fail(rc, "%s", detail);
fail:
    parley_meeting_free(m);
    return rc;
}

parley_status parley_meeting_note(parley_meeting *m, const char *text)
{
    if (!m || !text || !text[0])
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a note needs text");
    int64_t t = parley_meeting_now_ms(m);
    pthread_mutex_lock(&m->db_mu);
    parley_status rc = parley_store_user_note_add(m->db, m->session_id, t, text, NULL);
    pthread_mutex_unlock(&m->db_mu);
    if (rc == PARLEY_OK) {
        post(m, (parley_event){.kind = PARLEY_EVENT_NOTE, .t0_ms = t, .t1_ms = t, .text = text});
        /* The note steers the assistant too: a transcript line of its own (tasks.h
         * PARLEY_NOTE_SPEAKER), so that questions, suggestions and the summary see it. */
        parley_segment sg = {.t0_ms = t, .t1_ms = t, .text = (char *)text, .speaker = (char *)PARLEY_NOTE_SPEAKER,
                             .confidence = -1};
        pthread_mutex_lock(&m->as_mu);
        live_assistant_segment(m->assistant, &sg);
        pthread_mutex_unlock(&m->as_mu);
    }
    return rc;
}

parley_status parley_meeting_ask(parley_meeting *m, const char *question, int64_t *job_id)
{
    if (!m || !question || !question[0])
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a question needs text");
    if (!m->assistant)
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "questions need an LLM (--model)");
    pthread_mutex_lock(&m->as_mu);
    parley_status st = live_assistant_ask(m->assistant, question, job_id);
    pthread_mutex_unlock(&m->as_mu);
    return st;
}

parley_status parley_meeting_suggest(parley_meeting *m)
{
    if (!m)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_meeting_suggest: NULL");
    if (!m->assistant)
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "suggestions need an LLM (--model)");
    pthread_mutex_lock(&m->as_mu);
    parley_status st = live_assistant_suggest_now(m->assistant);
    pthread_mutex_unlock(&m->as_mu);
    return st;
}

bool parley_meeting_input_ended(const parley_meeting *m)
{
    if (!m)
        return true;
    for (int si = 0; si < N_STREAMS; si++)
        if (m->s[si].on && !atomic_load(&((parley_meeting *)m)->s[si].ended))
            return false;
    return true;
}

/* Stops the threads: capture first (so the journals hold everything), then the
 * pipeline drains the journals, then the transcriber the queue (or not, on cancel). */
static void halt(parley_meeting *m, const parley_cancel *cancel)
{
    for (int si = 0; si < N_STREAMS; si++) {
        parley_capture_close(m->s[si].cap);
        m->s[si].cap = NULL;
        if (m->s[si].jn)
            parley_journal_sync(m->s[si].jn);
    }
    if (!m->threads_started)
        return;
    pthread_mutex_lock(&m->mu);
    m->input_closed = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    for (;;) {
        pthread_mutex_lock(&m->mu);
        bool done = m->pipeline_done && m->qn == 0 && m->busy_ms == 0;
        pthread_mutex_unlock(&m->mu);
        if (done)
            break;
        if (parley_cancel_is_set(cancel)) {
            pthread_mutex_lock(&m->mu);
            m->abandon = true;
            pthread_cond_broadcast(&m->cv);
            pthread_mutex_unlock(&m->mu);
            parley_cancel_set(m->asr_cancel);
            break;
        }
        post_backlog(m, false);
        pthread_mutex_lock(&m->as_mu);
        live_assistant_tick(m->assistant); /* segments of the backlog still feed the assistant */
        pthread_mutex_unlock(&m->as_mu);
        sleep_ms(50);
    }
    pthread_join(m->pipeline_th, NULL);
    pthread_join(m->asr_th, NULL);
    m->threads_started = false;
}

parley_status parley_meeting_stop(parley_meeting *m, const parley_cancel *cancel)
{
    if (!m)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_meeting_stop: NULL");
    if (m->stopped)
        return PARLEY_OK;
    m->stopped = true;
    halt(m, cancel);
    bool cancelled = m->abandon;
    post_backlog(m, true);
    int64_t dur = 0;
    const char *paths[N_STREAMS] = {NULL, NULL};
    for (int si = 0; si < N_STREAMS; si++) {
        struct stream *st = &m->s[si];
        if (!st->jn)
            continue;
        int64_t end = parley_journal_t0_ms(st->jn) + (int64_t)(parley_journal_samples(st->jn) * 1000 / PARLEY_JOURNAL_RATE);
        if (end > dur)
            dur = end;
        parley_journal_close(st->jn);
        st->jn = NULL;
        paths[si] = st->journal_path;
        parley_vad_free(st->vad);
        st->vad = NULL;
    }
    parley_status rc = live_finish_recording(m->db, m->session_id, paths[MIC], paths[SYS], m->dir, m->recording,
                                              m->p.keep_audio, &m->db_mu);
    pthread_mutex_lock(&m->db_mu);
    parley_status fs = parley_store_session_finish(m->db, m->session_id, PARLEY_SESSION_FINISHED, dur);
    pthread_mutex_unlock(&m->db_mu);
    if (rc == PARLEY_OK)
        rc = fs;
    live_unlock(m->dir, &m->lock_fd, rc == PARLEY_OK);
    /* What the echo handling did, for scripts (`--json`) and the log. */
    char echo_note[200] = "";
    if (m->s[MIC].on && m->s[SYS].on)
        snprintf(echo_note, sizeof echo_note,
                 "echo: %d microphone utterances left to Them, %d kept as double talk, %d echo-cancelled",
                 m->echo_dropped, m->double_talk, m->echo_cancelled);
    post(m, (parley_event){.kind = PARLEY_EVENT_STOPPED, .status = rc, .value = (double)dur / 1000.0,
                           .text = cancelled ? "stopped without transcribing the backlog" : NULL,
                           .detail = echo_note[0] ? echo_note : NULL});
    if (rc == PARLEY_OK && m->assistant) {
        pthread_mutex_lock(&m->as_mu);
        live_assistant_finish(m->assistant, cancel); /* questions asked before stop: answered, stored */
        if (m->p.summarize_at_stop && !cancelled && m->n_segments > 0) {
            parley_status ss = live_assistant_summary(m->assistant, cancel);
            if (ss != PARLEY_OK && ss != PARLEY_ERR_CANCELLED) {
                char msg[700];
                const char *label = live_assistant_label(m->assistant); /* a team server's, or NULL */
                if (label)
                    snprintf(msg, sizeof msg, "the summary failed on %s: %s (%s); nothing was run on this device "
                             "instead; parley summarize %lld tries again", label, parley_strerror(ss),
                             parley_last_error(), (long long)m->session_id);
                else
                    snprintf(msg, sizeof msg, "the summary failed: %s (%s); parley summarize %lld tries again",
                             parley_strerror(ss), parley_last_error(), (long long)m->session_id);
                post(m, (parley_event){.kind = PARLEY_EVENT_ERROR, .status = ss, .text = msg, .source = label});
            }
        }
        pthread_mutex_unlock(&m->as_mu);
    }
    if (rc == PARLEY_OK && cancelled)
        return parley_fail(PARLEY_ERR_CANCELLED, "the untranscribed rest stays in the recording");
    return rc;
}

void parley_meeting_free(parley_meeting *m)
{
    if (!m)
        return;
    if (!m->stopped && m->session_id) {
        parley_cancel *c = parley_cancel_new();
        parley_cancel_set(c);
        parley_meeting_stop(m, c);
        parley_cancel_free(c);
    }
    for (int si = 0; si < N_STREAMS; si++) {
        close_stream_files(&m->s[si]);
        parley_journal_close(m->s[si].jn);
    }
    if (m->lock_fd >= 0)
        close(m->lock_fd);
    live_assistant_free(m->assistant);
    parley_asr_free(m->asr);
    parley_store_close(m->db);
    pthread_mutex_destroy(&m->as_mu);
    parley_cancel_free(m->asr_cancel);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->db_mu);
    pthread_cond_destroy(&m->cv);
    free(m->title);
    free(m->mic_source);
    free(m->system_source);
    free(m->input_path);
    free(m->language);
    free(m->vocabulary);
    free(m);
}
