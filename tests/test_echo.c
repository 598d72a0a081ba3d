/* test_echo.c: the live pipeline's echo handling (src/live/echo.c): the envelope rule that
 * tells the far side heard through the room from the user speaking over it, and the
 * speexdsp echo canceller run on microphone utterances near system speech. Synthetic
 * signals: "voices" are noise shaped by a syllable-rate envelope, the room is a short
 * impulse response with a delay. */
#include "test.h"

#include "live/live_internal.h"
#include "parley/journal.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RATE PARLEY_JOURNAL_RATE

static uint32_t rng_state;
static float rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* n samples of a voice: low-passed noise in syllables of random length (80-330 ms) and
 * loudness, with random pauses, so that two voices' envelopes do not follow each other. */
static float *voice(size_t n, uint32_t seed, float level)
{
    float *x = malloc(n * sizeof *x);
    rng_state = seed;
    float lp = 0, amp = 0;
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        if (left == 0) {
            left = (size_t)(RATE / 1000 * (80 + 125 * (rnd() + 1)));
            amp = rnd() > -0.4f ? 0.4f + 0.3f * (rnd() + 1) : 0.0f; /* a pause one time in five */
        }
        left--;
        lp = 0.7f * lp + 0.3f * rnd();
        x[i] = level * amp * lp * 2.0f;
    }
    return x;
}

/* What the microphone hears of the loudspeaker: 120 ms later, through a small room. */
static void room(const float *far, size_t n, float *echo)
{
    const size_t d = RATE / 1000 * 120;
    for (size_t i = 0; i < n; i++) {
        float v = 0;
        if (i >= d)
            v += 0.5f * far[i - d];
        if (i >= d + 37)
            v += 0.2f * far[i - d - 37];
        if (i >= d + 211)
            v -= 0.1f * far[i - d - 211];
        echo[i] = v;
    }
}

static double energy(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e / (double)(n ? n : 1);
}

static double corr(const float *a, const float *b, size_t n)
{
    double sa = 0, sb = 0, sab = 0;
    for (size_t i = 0; i < n; i++) {
        sa += (double)a[i] * a[i];
        sb += (double)b[i] * b[i];
        sab += (double)a[i] * b[i];
    }
    return sa > 0 && sb > 0 ? sab / sqrt(sa * sb) : 0;
}

/* 8 s: the far side talks throughout; the user talks over it from 6 s. The canceller
 * learns from the first 4 s (lead) and gives back 4-8 s: the echo alone (4-6 s) is cut
 * by at least 12 dB, and the user's voice (6-8 s) comes through, closer to the user's
 * voice alone than the microphone was. */
TEST(the_echo_of_the_system_audio_is_cancelled_and_the_user_kept)
{
    const size_t n = 8 * RATE, lead = 4 * RATE, user0 = 6 * RATE;
    float *far = voice(n, 7, 0.3f), *near = voice(n, 99, 0.3f), *echo = malloc(n * sizeof *echo);
    float *mic = malloc(n * sizeof *mic), *out = malloc((n - lead) * sizeof *out);
    ASSERT(far && near && echo && mic && out);
    room(far, n, echo);
    for (size_t i = 0; i < n; i++) {
        if (i < user0)
            near[i] = 0;
        mic[i] = echo[i] + near[i];
    }
    ASSERT_OK(live_echo_cancel(mic, far, n, lead, out));

    /* 4.5-6 s: only the echo was there (the first half second lets it settle). */
    size_t a = RATE / 2, b = user0 - lead;
    double before = energy(mic + lead + a, b - a), after = energy(out + a, b - a);
    double erle = 10 * log10(before / (after > 1e-12 ? after : 1e-12));
    ASSERT_MSG(erle >= 12.0, "echo return loss enhancement %.1f dB", erle); /* 15.7 measured */

    /* 6-8 s: the user speaking over the far side. */
    size_t u = user0 - lead, un = n - user0;
    double c_out = corr(out + u, near + user0, un), c_mic = corr(mic + user0, near + user0, un);
    ASSERT_MSG(c_out > 0.8 && c_out > c_mic, "user's voice: %.3f after, %.3f before", c_out, c_mic);
    fprintf(stderr, "echo cut by %.1f dB; the user's voice: correlation %.3f after, %.3f before\n", erle, c_out,
            c_mic);
    double kept = 10 * log10(energy(out + u, un) / energy(near + user0, un));
    ASSERT_MSG(kept > -6.0, "the user's voice lost %.1f dB", -kept);

    /* No system audio: the microphone comes back nearly as it was (the canceller's own
     * DC-removal filter takes some of this test voice's lowest frequencies), in time. */
    float *silence = calloc(n, sizeof *silence);
    ASSERT(silence);
    ASSERT_OK(live_echo_cancel(near, silence, n, lead, out));
    ASSERT_MSG(corr(out + u, near + user0, un) > 0.9, "%.4f", corr(out + u, near + user0, un));

    ASSERT_STATUS(live_echo_cancel(mic, far, n, n + 1, out), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(live_echo_cancel(NULL, far, n, lead, out), PARLEY_ERR_INVALID_ARG);
    free(silence);
    free(far);
    free(near);
    free(echo);
    free(mic);
    free(out);
}

/* The envelope rule: the echo follows the system audio, the user speaking alone does not,
 * too little audio cannot tell. */
TEST(the_echo_follows_the_system_audio_and_the_user_does_not)
{
    const size_t n = 4 * RATE;
    float *far = voice(n, 3, 0.3f), *echo = malloc(n * sizeof *echo), *user = voice(n, 1234, 0.3f);
    ASSERT(far && echo && user);
    room(far, n, echo);
    live_envelope es = {0}, em = {0}, eu = {0};
    ASSERT_OK(live_envelope_make(far, n, 10000, &es));
    ASSERT_OK(live_envelope_make(echo, n, 10000, &em));
    ASSERT_OK(live_envelope_make(user, n, 10000, &eu));
    double r_echo = live_envelope_follows(&em, &es, 10500, 13500);
    double r_user = live_envelope_follows(&eu, &es, 10500, 13500);
    ASSERT_MSG(r_echo >= LIVE_ECHO_CORR, "echo %.3f", r_echo);
    ASSERT_MSG(r_user < LIVE_ECHO_CORR, "user %.3f", r_user);
    ASSERT_MSG(live_envelope_follows(&em, &es, 10500, 10700) < 0, "under 0.4 s must not tell");
    live_envelope_free(&es);
    live_envelope_free(&em);
    live_envelope_free(&eu);
    free(far);
    free(echo);
    free(user);
}

int main(void)
{
    RUN(the_echo_of_the_system_audio_is_cancelled_and_the_user_kept);
    RUN(the_echo_follows_the_system_audio_and_the_user_does_not);
    return test_summary();
}
