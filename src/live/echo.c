/* echo.c: whether microphone speech is the far side heard through the room (live.h, "The
 * same words never twice"): the correlation of the loudness envelopes of the microphone
 * and the system audio over the speech. The far side heard through the room follows the
 * system audio closely (0.93 to 1.0 measured with espeak-ng phrases, with reverberation,
 * at any level); the user speaking over it, or the other side in headphones, does not
 * (0.26 to 0.37), unless the echo is much louder than the user. Pearson correlation, so
 * independent of both levels. Used by the live pipeline (meeting.c), per VAD utterance.
 * Recovery and the second pass (recover.c) keep the segment-overlap rule: a whisper
 * segment there can span echo and double talk together, and one correlation over both
 * decides neither. */
#include <math.h>
#include <stdlib.h>

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include "core/internal.h"
#include "live/live_internal.h"
#include "parley/journal.h"

#define FRAME_MS 20
#define FRAME (PARLEY_JOURNAL_RATE / 1000 * FRAME_MS)
#define LEAD 10 /* frames the microphone may lead the system audio (the captures' clocks) */
#define LAG 25  /* frames it may lag (the loudspeaker, the room) */

parley_status live_envelope_make(const float *x, size_t n, int64_t t0_ms, live_envelope *out)
{
    out->t0_ms = t0_ms;
    out->n = n / FRAME;
    out->v = malloc((out->n ? out->n : 1) * sizeof *out->v);
    if (!out->v) {
        out->n = 0;
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    for (size_t f = 0; f < out->n; f++) {
        double e = 0;
        for (size_t i = 0; i < FRAME; i++)
            e += (double)x[f * FRAME + i] * x[f * FRAME + i];
        out->v[f] = sqrt(e / FRAME);
    }
    return PARLEY_OK;
}

void live_envelope_free(live_envelope *e)
{
    if (e) {
        free(e->v);
        e->v = NULL;
        e->n = 0;
    }
}

double live_envelope_follows(const live_envelope *mic, const live_envelope *sys, int64_t t0, int64_t t1)
{
    if (!mic || !sys || !mic->n || !sys->n || t1 - t0 < 20 * FRAME_MS)
        return -1;
    /* Microphone frame i (from t0) is at t0 + 20 i ms; system frame j at sys->t0_ms + 20 j. */
    long m0 = (long)((t0 - mic->t0_ms) / FRAME_MS), km = (long)((t1 - t0) / FRAME_MS);
    long s_at_t0 = (long)((t0 - sys->t0_ms) / FRAME_MS);
    if (m0 < 0)
        return -1;
    if (m0 + km > (long)mic->n)
        km = (long)mic->n - m0;
    double best = -1;
    for (int lag = -LEAD; lag <= LAG; lag++) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        size_t n = 0;
        for (long i = 0; i < km; i++) {
            long j = s_at_t0 + i - lag;
            if (j < 0 || j >= (long)sys->n)
                continue;
            double x = mic->v[m0 + i], y = sys->v[j];
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            n++;
        }
        if (n < 20)
            continue;
        double vx = sxx - sx * sx / (double)n, vy = syy - sy * sy / (double)n;
        if (vx <= 1e-12 || vy <= 1e-12)
            continue;
        double r = (sxy - sx * sy / (double)n) / sqrt(vx * vy);
        if (r > best)
            best = r;
    }
    return best;
}

/* ---- echo cancellation (speexdsp) ----------------------------------------------------- */

#define AEC_FRAME (PARLEY_JOURNAL_RATE / 100)        /* 10 ms */
#define AEC_TAIL (PARLEY_JOURNAL_RATE / 1000 * 500) /* the echo path: up to 500 ms */

static void to_s16(const float *x, size_t k, spx_int16_t *o)
{
    for (size_t i = 0; i < AEC_FRAME; i++) {
        float v = i < k ? x[i] * 32767.0f : 0.0f;
        o[i] = (spx_int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : lrintf(v));
    }
}

parley_status live_echo_cancel(const float *mic, const float *ref, size_t n, size_t lead, float *out)
{
    if (!mic || !ref || !out || lead > n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "live_echo_cancel: bad argument");
    SpeexEchoState *es = speex_echo_state_init(AEC_FRAME, AEC_TAIL);
    SpeexPreprocessState *pp = es ? speex_preprocess_state_init(AEC_FRAME, PARLEY_JOURNAL_RATE) : NULL;
    if (!pp) {
        if (es)
            speex_echo_state_destroy(es);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory (echo canceller)");
    }
    int rate = PARLEY_JOURNAL_RATE, off = 0;
    speex_echo_ctl(es, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    /* The preprocessor only for what the adaptive filter leaves of the echo: no noise
     * suppression or gain control on the user's voice, which whisper reads. */
    speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, es);
    speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_DENOISE, &off);
    speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_AGC, &off);
    speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    /* The output comes one frame late (the canceller's frame overlap): sample i of it is
     * microphone sample i - AEC_FRAME. One frame of silence more at the end flushes it. */
    spx_int16_t r[AEC_FRAME], p[AEC_FRAME], o[AEC_FRAME];
    for (size_t i = 0; i < n + AEC_FRAME; i += AEC_FRAME) {
        size_t k = i < n ? (n - i < AEC_FRAME ? n - i : AEC_FRAME) : 0;
        to_s16(mic + (i < n ? i : 0), k, r);
        to_s16(ref + (i < n ? i : 0), k, p);
        speex_echo_cancellation(es, r, p, o);
        speex_preprocess_run(pp, o);
        for (size_t j = 0; j < AEC_FRAME; j++) {
            size_t at = i + j; /* the output's sample; the microphone's at - AEC_FRAME */
            if (at >= AEC_FRAME + lead && at - AEC_FRAME < n)
                out[at - AEC_FRAME - lead] = (float)o[j] / 32768.0f;
        }
    }
    speex_preprocess_state_destroy(pp);
    speex_echo_state_destroy(es);
    return PARLEY_OK;
}
