/* test_capture.c: where capture.c places a device stream's chunks on the meeting's
 * timeline, fed with made-up arrival times (no sound server): the start is found from the
 * whole first second even when the first chunk is read late; audio that never arrives is
 * replaced by as much silence, with a warning; a thread that falls behind and catches up
 * inserts nothing; a stream that ends within its first second is still delivered. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_platform.h"
#include "core/internal.h"
#include "test.h"

#define RATE PARLEY_CAPTURE_RATE
#define CHUNK 1600 /* 100 ms */

struct got {
    int64_t first_t;   /* t_ms of the first callback */
    int64_t next_t;    /* expected t_ms of the next one (contiguity) */
    bool gap;          /* a callback was not where the previous one ended */
    uint64_t n;        /* samples */
    uint64_t zeros;    /* samples that are exactly 0 (the test's audio never is) */
    int64_t marker_t;  /* t_ms of the sample set to 0.5 */
    int warnings;
    char warning[700];
};

static void on_audio(const float *s, size_t n, int64_t t_ms, void *ud)
{
    struct got *g = ud;
    if (g->n == 0)
        g->first_t = t_ms;
    else if (llabs(t_ms - g->next_t) > 1)
        g->gap = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0.0f)
            g->zeros++;
        if (s[i] == 0.5f)
            g->marker_t = t_ms + (int64_t)(i * 1000 / RATE);
    }
    g->n += n;
    g->next_t = t_ms + (int64_t)(n * 1000 / RATE);
}

static void on_warning(const char *text, void *ud)
{
    struct got *g = ud;
    g->warnings++;
    snprintf(g->warning, sizeof g->warning, "%s", text);
}

static void cap_init(parley_capture *cap, struct got *g)
{
    memset(cap, 0, sizeof *cap);
    memset(g, 0, sizeof *g);
    g->marker_t = -1;
    cap->p = parley_capture_default_params();
    cap->p.origin = 1000.0; /* made-up clock: t_ms 0 is 1000.0 s */
    cap->p.on_audio = on_audio;
    cap->p.on_warning = on_warning;
    cap->p.user_data = g;
    cap->first_t_ms = -1;
    atomic_init(&cap->stop, 0);
    atomic_init(&cap->samples, 0);
    snprintf(cap->name, sizeof cap->name, "test.monitor");
}

/* Chunk k (samples k*CHUNK...) of a stream heard from `start`, read at `at`. */
static void feed(parley_capture *cap, int k, double at, bool marker)
{
    float buf[CHUNK];
    for (int i = 0; i < CHUNK; i++)
        buf[i] = 0.01f * (float)(1 + (k + i) % 7);
    if (marker)
        buf[0] = 0.5f;
    capture_deliver(cap, buf, CHUNK, at);
}

TEST(a_late_first_read_does_not_move_the_start)
{
    parley_capture cap;
    struct got g;
    cap_init(&cap, &g);
    double start = 1002.0; /* heard from t = 2000 ms */
    /* The thread was starved: the first three chunks are read together 0.6 s late. */
    for (int k = 0; k < 30; k++) {
        double due = start + (k + 1) * 0.1 + 0.003;
        double at = k < 3 ? start + 0.9 : due;
        if (k < 9)
            ASSERT(g.n == 0); /* held back through the first second */
        feed(&cap, k, at, k == 20);
    }
    ASSERT(g.n == 30 * CHUNK);
    ASSERT(llabs(g.first_t - 2003) <= 2);
    ASSERT(!g.gap);
    ASSERT(llabs(g.marker_t - 4003) <= 2);
    ASSERT(g.warnings == 0 && g.zeros == 0);
    free(cap.held);
}

TEST(audio_that_never_arrives_becomes_silence_with_a_warning)
{
    parley_capture cap;
    struct got g;
    cap_init(&cap, &g);
    double start = 1000.5;
    int k = 0;
    for (; k < 40; k++)
        feed(&cap, k, start + (k + 1) * 0.1, false);
    /* 0.5 s of audio lost: chunks 40..44 never come; the rest arrives on time. */
    for (k = 45; k < 120; k++)
        feed(&cap, k - 5, start + (k + 1) * 0.1, k == 100);
    ASSERT(g.warnings == 1);
    ASSERT(strstr(g.warning, "test.monitor") && strstr(g.warning, "0.5 s"));
    ASSERT(llabs((int64_t)g.zeros - RATE / 2) <= CHUNK / 10);
    /* what follows the silence sits where it was heard */
    ASSERT(llabs(g.marker_t - 10500) <= 20);
    ASSERT(!g.gap);
    free(cap.held);
}

TEST(a_thread_that_falls_behind_and_catches_up_inserts_nothing)
{
    parley_capture cap;
    struct got g;
    cap_init(&cap, &g);
    double start = 1000.0;
    for (int k = 0; k < 150; k++) {
        double at = start + (k + 1) * 0.1;
        if (k >= 40 && k < 75) /* starved for 3.5 s, then reads what the server kept */
            at = start + 7.6 + (k - 40) * 0.001;
        feed(&cap, k, at, k == 120);
    }
    ASSERT(g.warnings == 0 && g.zeros == 0);
    ASSERT(llabs(g.marker_t - 12000) <= 2);
    free(cap.held);
}

TEST(a_stream_that_ends_in_its_first_second_is_still_delivered)
{
    parley_capture cap;
    struct got g;
    cap_init(&cap, &g);
    for (int k = 0; k < 4; k++)
        feed(&cap, k, 1001.0 + (k + 1) * 0.1, false);
    ASSERT(g.n == 0);
    capture_end(&cap, PARLEY_OK, NULL);
    ASSERT(g.n == 4 * CHUNK && llabs(g.first_t - 1000) <= 1);
    capture_flush(&cap); /* twice is harmless */
    ASSERT(g.n == 4 * CHUNK);
    free(cap.held);
}

int main(void)
{
    RUN(a_late_first_read_does_not_move_the_start);
    RUN(audio_that_never_arrives_becomes_silence_with_a_warning);
    RUN(a_thread_that_falls_behind_and_catches_up_inserts_nothing);
    RUN(a_stream_that_ends_in_its_first_second_is_still_delivered);
    return test_summary();
}
