/* vad.c: Silero VAD through whisper.cpp's VAD API: the file check, batch regions, and a
 * streaming detector that turns 32 ms speech probabilities into utterance events. */
#include <parley/vad.h>

#include "asr/asr_internal.h"
#include "asr/check.h"
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whisper.h>

#define VAD_RATE 16000

struct parley_vad {
    struct whisper_vad_context *ctx;
    struct parley_vad_params p; /* model_path not kept */
    int window;                 /* samples per probability (512 at 16 kHz) */

    /* streaming state */
    float *part;         /* samples of an incomplete window */
    int n_part;
    int64_t part_t0_ms;  /* time of part[0]; also the next expected time when n_part == 0 */
    int64_t next_ms;     /* where the next push should start (-1: none yet) */
    bool triggered;      /* START reported, END not yet */
    bool in_speech;      /* speech seen (maybe not reported yet: shorter than min_speech) */
    int64_t speech_t0;   /* first speech window of the current run */
    int64_t start_ms;    /* reported START time (padded) */
    int64_t silence_t0;  /* start of the current pause, -1 when none */
    int64_t last_end_ms; /* last END reported: a START never goes before it */
    float last_prob;
    parley_vad_event *pend; /* events not handed out yet (grows) */
    size_t n_pend, cap_pend;
    bool oom;
};

struct parley_vad_params parley_vad_default_params(void)
{
    struct parley_vad_params p;
    memset(&p, 0, sizeof p);
    return p;
}

parley_status parley_vad_check_model(const char *path) { return parley_check_vad_file(path); }

parley_status parley_vad_open(const struct parley_vad_params *params, parley_vad **out)
{
    if (!params || !params->model_path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a VAD model path is required");
    *out = NULL;
    parley_status st = parley_check_vad_file(params->model_path);
    if (st)
        return st;
    parley_vad *v = calloc(1, sizeof *v);
    if (!v)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    v->p = *params;
    v->p.model_path = NULL;
    struct whisper_vad_context_params cp = whisper_vad_default_context_params();
    cp.n_threads = params->n_threads > 0 ? params->n_threads : 1;
    cp.use_gpu = false; /* the network is tiny: a GPU round trip per 32 ms costs more than it saves */
    v->ctx = whisper_vad_init_from_file_with_params(params->model_path, cp);
    if (!v->ctx) {
        free(v);
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "whisper.cpp could not load the VAD model %s", params->model_path);
    }
    /* whisper.cpp does not expose the window size; Silero's is 512 samples at 16 kHz. */
    v->window = 512;
    v->part = malloc((size_t)v->window * sizeof *v->part);
    if (!v->part) {
        parley_vad_free(v);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_vad_reset(v);
    *out = v;
    return PARLEY_OK;
}

void parley_vad_free(parley_vad *vad)
{
    if (!vad)
        return;
    if (vad->ctx)
        whisper_vad_free(vad->ctx);
    free(vad->part);
    free(vad->pend);
    free(vad);
}

/* ---- batch ---- */

static struct whisper_vad_params batch_params(const parley_vad *v)
{
    struct whisper_vad_params wp = whisper_vad_default_params();
    if (v->p.threshold > 0)
        wp.threshold = v->p.threshold;
    if (v->p.min_speech_ms > 0)
        wp.min_speech_duration_ms = v->p.min_speech_ms;
    if (v->p.min_silence_ms > 0)
        wp.min_silence_duration_ms = v->p.min_silence_ms;
    if (v->p.speech_pad_ms > 0)
        wp.speech_pad_ms = v->p.speech_pad_ms;
    if (v->p.max_speech_s > 0)
        wp.max_speech_duration_s = v->p.max_speech_s;
    return wp;
}

void parley_vad_set_batch_params(parley_vad *vad, float threshold, int min_silence_ms, int speech_pad_ms)
{
    vad->p.threshold = threshold;
    vad->p.min_silence_ms = min_silence_ms;
    vad->p.speech_pad_ms = speech_pad_ms;
}

/* One whisper.cpp VAD pass over samples[0..n), regions appended to *r (*n_r, *cap) in
 * centiseconds shifted by off_cs. */
static parley_status vad_pass(parley_vad *vad, const float *samples, size_t n, int64_t off_cs, int64_t (**r)[2],
                              size_t *n_r, size_t *cap)
{
    parley_vad_reset(vad); /* the batch pass resets the LSTM state anyway */
    struct whisper_vad_segments *segs = whisper_vad_segments_from_samples(vad->ctx, batch_params(vad), samples, (int)n);
    parley_vad_reset(vad);
    if (!segs)
        return parley_fail(PARLEY_ERR_INFERENCE, "the VAD pass failed");
    int k = whisper_vad_segments_n_segments(segs);
    parley_status st = PARLEY_OK;
    for (int i = 0; i < k && st == PARLEY_OK; i++) {
        if (*n_r == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            int64_t(*nr)[2] = realloc(*r, nc * sizeof *nr);
            if (!nr) {
                st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
                break;
            }
            *r = nr;
            *cap = nc;
        }
        /* whisper.cpp keeps centiseconds as integers and returns them as float */
        (*r)[*n_r][0] = off_cs + (int64_t)llroundf(whisper_vad_segments_get_segment_t0(segs, i));
        (*r)[*n_r][1] = off_cs + (int64_t)llroundf(whisper_vad_segments_get_segment_t1(segs, i));
        (*n_r)++;
    }
    whisper_vad_free_segments(segs);
    return st;
}

/* Digital silence (a muted microphone, a padded file) is skipped before Silero sees it:
 * stretches of 100-ms blocks whose every sample is below QUIET (-80 dBFS), longer than
 * 2 s plus a margin of MARGIN_S of that silence kept on each side, so that the network
 * meets speech from the state it would have in one pass (its LSTM settles slowly: with
 * 1 s of margin a region ended 30 ms off whisper-cli's, with 8 s it is the same). Silero's
 * answer there is "no speech" anyway; running it costs most of the time on a long quiet
 * recording. */
#define QUIET 1e-4f
#define BLOCK (VAD_RATE / 10)
#define MARGIN_S 8
#define MIN_SKIP_S 2

static bool block_quiet(const float *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= QUIET || s[i] <= -QUIET)
            return false;
    return true;
}

parley_status parley_vad_regions_cs(parley_vad *vad, const float *samples, size_t n_samples, int64_t (**out)[2],
                                    size_t *n_out)
{
    if (!vad || !out || !n_out || (!samples && n_samples))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "vad, out and n_out are required");
    *out = NULL;
    *n_out = 0;
    if (n_samples > (size_t)INT32_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "recording too long for one VAD pass (%.0f s)",
                           (double)n_samples / VAD_RATE);
    if (n_samples == 0)
        return PARLEY_OK;
    int64_t(*r)[2] = NULL;
    size_t n_r = 0, cap = 0;
    parley_status st = PARLEY_OK;
    const size_t margin = (size_t)MARGIN_S * VAD_RATE, min_skip = (size_t)MIN_SKIP_S * VAD_RATE;
    size_t from = 0; /* start of the part not yet passed to the VAD */
    size_t pos = 0;
    while (pos < n_samples && st == PARLEY_OK) {
        /* the next run of quiet blocks, on block boundaries */
        size_t q0 = pos;
        while (q0 + BLOCK <= n_samples && !block_quiet(samples + q0, BLOCK))
            q0 += BLOCK;
        if (q0 + BLOCK > n_samples)
            break;
        size_t q1 = q0;
        while (q1 + BLOCK <= n_samples && block_quiet(samples + q1, BLOCK))
            q1 += BLOCK;
        bool to_end = q1 + BLOCK > n_samples && block_quiet(samples + q1, n_samples - q1);
        if (to_end)
            q1 = n_samples;
        if (q1 - q0 >= min_skip + 2 * margin) {
            size_t cut0 = q0 + margin, cut1 = to_end ? n_samples : q1 - margin;
            if (cut0 > from)
                st = vad_pass(vad, samples + from, cut0 - from, (int64_t)(from / (VAD_RATE / 100)), &r, &n_r, &cap);
            from = cut1;
        }
        pos = q1 > q0 ? q1 : q0 + BLOCK;
    }
    if (st == PARLEY_OK && from < n_samples)
        st = vad_pass(vad, samples + from, n_samples - from, (int64_t)(from / (VAD_RATE / 100)), &r, &n_r, &cap);
    if (st != PARLEY_OK) {
        free(r);
        return st;
    }
    *out = r;
    *n_out = n_r;
    return PARLEY_OK;
}

parley_status parley_vad_regions(parley_vad *vad, const float *samples, size_t n_samples, parley_vad_region **out,
                                 size_t *n_out)
{
    if (!out || !n_out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out and n_out are required");
    *out = NULL;
    *n_out = 0;
    int64_t(*cs)[2];
    size_t n;
    parley_status st = parley_vad_regions_cs(vad, samples, n_samples, &cs, &n);
    if (st || n == 0)
        return st;
    parley_vad_region *r = calloc(n, sizeof *r);
    if (!r) {
        free(cs);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        r[i].t0_ms = cs[i][0] * 10;
        r[i].t1_ms = cs[i][1] * 10;
    }
    free(cs);
    *out = r;
    *n_out = n;
    return PARLEY_OK;
}

/* ---- streaming ---- */

void parley_vad_reset(parley_vad *vad)
{
    if (!vad)
        return;
    whisper_vad_reset_state(vad->ctx);
    vad->n_part = 0;
    vad->part_t0_ms = 0;
    vad->next_ms = -1;
    vad->triggered = false;
    vad->in_speech = false;
    vad->silence_t0 = -1;
    vad->last_end_ms = INT64_MIN;
    vad->last_prob = 0;
    vad->n_pend = 0;
}

float parley_vad_last_prob(const parley_vad *vad) { return vad ? vad->last_prob : 0; }

static float sthreshold(const parley_vad *v) { return v->p.threshold > 0 ? v->p.threshold : 0.5f; }
static int64_t smin_speech(const parley_vad *v) { return v->p.min_speech_ms > 0 ? v->p.min_speech_ms : 250; }
static int64_t smin_silence(const parley_vad *v) { return v->p.min_silence_ms > 0 ? v->p.min_silence_ms : 600; }
static int64_t spad(const parley_vad *v) { return v->p.speech_pad_ms > 0 ? v->p.speech_pad_ms : 30; }
static int64_t smax_speech(const parley_vad *v)
{
    return v->p.max_speech_s > 0 ? (int64_t)(v->p.max_speech_s * 1000) : 15000;
}

static void emit(parley_vad *v, parley_vad_event_kind kind, int64_t t)
{
    if (v->n_pend == v->cap_pend) {
        size_t cap = v->cap_pend ? v->cap_pend * 2 : 16;
        parley_vad_event *p = realloc(v->pend, cap * sizeof *p);
        if (!p) {
            v->oom = true;
            return;
        }
        v->pend = p;
        v->cap_pend = cap;
    }
    v->pend[v->n_pend++] = (parley_vad_event){kind, t};
}

static void end_speech(parley_vad *v, int64_t t_end)
{
    if (v->triggered) {
        if (t_end < v->start_ms + 1)
            t_end = v->start_ms + 1;
        emit(v, PARLEY_VAD_SPEECH_END, t_end);
        v->last_end_ms = t_end;
    }
    v->triggered = false;
    v->in_speech = false;
    v->silence_t0 = -1;
}

/* One 32 ms window with speech probability p, starting at t (its end is t + win_ms). */
static void step(parley_vad *v, float p, int64_t t, int64_t win_ms)
{
    float thr = sthreshold(v), neg = thr - 0.15f;
    int64_t t_end = t + win_ms;
    v->last_prob = p;
    if (p >= thr) {
        v->silence_t0 = -1;
        if (!v->in_speech) {
            v->in_speech = true;
            v->speech_t0 = t;
        }
        if (!v->triggered && t_end - v->speech_t0 >= smin_speech(v)) {
            int64_t s = v->speech_t0 - spad(v);
            if (s < v->last_end_ms)
                s = v->last_end_ms;
            v->triggered = true;
            v->start_ms = s;
            emit(v, PARLEY_VAD_SPEECH_START, s);
        }
    } else if (v->in_speech && p < neg) {
        if (v->silence_t0 < 0)
            v->silence_t0 = t;
        if (t_end - v->silence_t0 >= smin_silence(v)) {
            if (v->triggered)
                end_speech(v, v->silence_t0 + spad(v));
            else /* a blip shorter than min_speech: nothing was reported */
                end_speech(v, 0);
        }
    }
    /* An utterance reaching the limit is cut: at the current pause when in one, else here. */
    if (v->triggered && t_end - v->start_ms >= smax_speech(v)) {
        int64_t cut = v->silence_t0 >= 0 ? v->silence_t0 : t_end;
        bool speaking = p >= thr;
        end_speech(v, cut);
        if (speaking) {
            v->in_speech = true;
            v->speech_t0 = cut;
            v->triggered = true;
            v->start_ms = cut;
            emit(v, PARLEY_VAD_SPEECH_START, cut);
        }
    }
}

static size_t take_events(parley_vad *v, parley_vad_event *events, size_t max_events)
{
    size_t n = 0;
    if (events) {
        n = v->n_pend < max_events ? v->n_pend : max_events;
        if (n)
            memcpy(events, v->pend, n * sizeof *events);
    }
    if (n && v->n_pend > n) /* v->pend is NULL until the first event */
        memmove(v->pend, v->pend + n, (v->n_pend - n) * sizeof *v->pend);
    v->n_pend -= n;
    return n;
}

/* Runs the detector over whole windows in buf (n a multiple of the window). */
static parley_status run_windows(parley_vad *v, const float *buf, size_t n, int64_t t0)
{
    if (n == 0)
        return PARLEY_OK;
    if (!whisper_vad_detect_speech_no_reset(v->ctx, buf, (int)n))
        return parley_fail(PARLEY_ERR_INFERENCE, "the VAD pass failed");
    int np = whisper_vad_n_probs(v->ctx);
    const float *probs = whisper_vad_probs(v->ctx);
    int64_t win_ms = (int64_t)v->window * 1000 / VAD_RATE;
    for (int i = 0; i < np; i++)
        step(v, probs[i], t0 + (int64_t)i * v->window * 1000 / VAD_RATE, win_ms);
    return PARLEY_OK;
}

parley_status parley_vad_push(parley_vad *vad, const float *samples, size_t n_samples, int64_t t0_ms,
                              parley_vad_event *events, size_t max_events, size_t *n_events)
{
    if (n_events)
        *n_events = 0;
    if (!vad || (!samples && n_samples))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "vad and samples are required");
    /* A jump on the timeline (more than one window off): close open speech at the last
     * sample, drop the partial window and start over. */
    if (vad->next_ms >= 0 && llabs(t0_ms - vad->next_ms) > vad->window * 1000 / VAD_RATE) {
        end_speech(vad, vad->next_ms);
        vad->n_part = 0;
        whisper_vad_reset_state(vad->ctx);
    }
    if (vad->n_part == 0)
        vad->part_t0_ms = t0_ms;
    vad->next_ms = t0_ms + (int64_t)(n_samples * 1000 / VAD_RATE);
    parley_status st = PARLEY_OK;
    size_t off = 0;
    /* Complete the partial window first. */
    if (vad->n_part > 0) {
        size_t need = (size_t)(vad->window - vad->n_part);
        size_t k = n_samples < need ? n_samples : need;
        memcpy(vad->part + vad->n_part, samples, k * sizeof *samples);
        vad->n_part += (int)k;
        off = k;
        if (vad->n_part == vad->window) {
            st = run_windows(vad, vad->part, (size_t)vad->window, vad->part_t0_ms);
            vad->n_part = 0;
        }
    }
    if (!st && off < n_samples) {
        int64_t t = t0_ms + (int64_t)(off * 1000 / VAD_RATE);
        size_t whole = (n_samples - off) / (size_t)vad->window * (size_t)vad->window;
        /* In blocks, so that one call computes at most ~10 s at once. */
        size_t block = (size_t)vad->window * 320;
        for (size_t i = 0; i < whole && !st; i += block) {
            size_t k = whole - i < block ? whole - i : block;
            st = run_windows(vad, samples + off + i, k, t + (int64_t)(i * 1000 / VAD_RATE));
        }
        off += whole;
        size_t rest = n_samples - off;
        if (rest) {
            memcpy(vad->part, samples + off, rest * sizeof *samples);
            vad->n_part = (int)rest;
            vad->part_t0_ms = t0_ms + (int64_t)(off * 1000 / VAD_RATE);
        }
    }
    size_t n = take_events(vad, events, max_events);
    if (n_events)
        *n_events = n;
    if (!st && vad->oom) {
        vad->oom = false;
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory keeping VAD events");
    }
    return st;
}

parley_status parley_vad_flush(parley_vad *vad, parley_vad_event *events, size_t max_events, size_t *n_events)
{
    if (n_events)
        *n_events = 0;
    if (!vad)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "vad is required");
    parley_status st = PARLEY_OK;
    if (vad->n_part > 0) {
        memset(vad->part + vad->n_part, 0, (size_t)(vad->window - vad->n_part) * sizeof *vad->part);
        st = run_windows(vad, vad->part, (size_t)vad->window, vad->part_t0_ms);
        vad->n_part = 0;
    }
    if (vad->triggered) {
        int64_t end = vad->silence_t0 >= 0 ? vad->silence_t0 + spad(vad) : vad->next_ms;
        if (vad->next_ms >= 0 && end > vad->next_ms)
            end = vad->next_ms;
        end_speech(vad, end);
    }
    vad->in_speech = false;
    vad->silence_t0 = -1;
    size_t n = take_events(vad, events, max_events);
    if (n_events)
        *n_events = n;
    return st;
}
