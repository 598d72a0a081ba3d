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
