/* test_vad: the Silero VAD module (include/parley/vad.h).
 * - batch regions of the en-Wikipedia sample: many, ordered, inside the recording;
 * - streaming the same audio in 20 ms pushes gives START/END pairs whose spans cover the
 *   batch regions' speech, on the caller's timeline (offset by 1 h); silence gives none;
 *   a jump in the timeline closes open speech; flush closes speech cut off by the end;
 * - the lookup of the default VAD model picks the newest version (v10 over v6.2.0). */
#include <parley/asr.h>
#include <parley/audio.h>
#include <parley/vad.h>

#include "test.h"

#include <limits.h>

#define WAV "/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav"
#define RATE 16000

static const char *g_vad;
static parley_audio g_audio;
static bool g_have_audio;

TEST(batch_regions)
{
    if (!g_vad || !g_have_audio)
        SKIP("needs the VAD model and " WAV);
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = g_vad;
    parley_vad *v;
    ASSERT_OK(parley_vad_open(&vp, &v));
    parley_vad_region *r;
    size_t n;
    double t = parley_now();
    ASSERT_OK(parley_vad_regions(v, g_audio.samples, g_audio.n_samples, &r, &n));
    fprintf(stderr, "  %zu regions in %.2f s\n", n, parley_now() - t);
    ASSERT(n >= 10);
    for (size_t i = 0; i < n; i++) {
        ASSERT(r[i].t0_ms < r[i].t1_ms);
        ASSERT(r[i].t1_ms <= (int64_t)(g_audio.n_samples * 1000 / RATE) + 10);
        if (i)
            ASSERT(r[i].t0_ms >= r[i - 1].t1_ms);
    }
    free(r);
    /* silence: none */
    float *z = calloc(RATE * 5, sizeof *z);
    ASSERT_OK(parley_vad_regions(v, z, RATE * 5, &r, &n));
    ASSERT_EQ_INT(n, 0);
    ASSERT(r == NULL);
    free(z);
    parley_vad_free(v);
}

/* Digital silence is skipped before Silero (vad.c): speech inside long stretches of zeros
 * gets the regions it gets with vad.c's margin (8 s) of zeros on each side, at its place. */
#define MARGIN (8 * RATE)
TEST(long_digital_silence_is_skipped_without_moving_speech)
{
    if (!g_vad || !g_have_audio)
        SKIP("needs the VAD model and " WAV);
    const size_t sp = (size_t)RATE * 12, lead = (size_t)RATE * 40, mid = (size_t)RATE * 30, tail = (size_t)RATE * 8;
    ASSERT(g_audio.n_samples >= sp);
    size_t n_alone = MARGIN + sp + MARGIN, n_long = lead + sp + mid + sp + tail;
    float *alone = calloc(n_alone, sizeof *alone), *lng = calloc(n_long, sizeof *lng);
    ASSERT(alone && lng);
    memcpy(alone + MARGIN, g_audio.samples, sp * sizeof *alone);
    memcpy(lng + lead, g_audio.samples, sp * sizeof *lng);
    memcpy(lng + lead + sp + mid, g_audio.samples, sp * sizeof *lng);
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = g_vad;
    parley_vad *v;
    ASSERT_OK(parley_vad_open(&vp, &v));
    parley_vad_region *a, *b;
    size_t na, nb;
    ASSERT_OK(parley_vad_regions(v, alone, n_alone, &a, &na));
    ASSERT_OK(parley_vad_regions(v, lng, n_long, &b, &nb));
    parley_vad_free(v);
    free(alone);
    free(lng);
    fprintf(stderr, "  %zu regions alone, %zu in the long recording\n", na, nb);
    ASSERT(na >= 3);
    ASSERT_EQ_INT(nb, 2 * na);
    const int64_t off1 = (int64_t)(lead - MARGIN) * 1000 / RATE,
                  off2 = (int64_t)(lead + sp + mid - MARGIN) * 1000 / RATE;
    for (size_t i = 0; i < na; i++) {
        ASSERT_MSG(llabs(b[i].t0_ms - (a[i].t0_ms + off1)) <= 10 && llabs(b[i].t1_ms - (a[i].t1_ms + off1)) <= 10,
                   "region %zu: %lld-%lld, want %lld-%lld", i, (long long)b[i].t0_ms, (long long)b[i].t1_ms,
                   (long long)(a[i].t0_ms + off1), (long long)(a[i].t1_ms + off1));
        ASSERT(llabs(b[na + i].t0_ms - (a[i].t0_ms + off2)) <= 10 && llabs(b[na + i].t1_ms - (a[i].t1_ms + off2)) <= 10);
    }
    free(a);
    free(b);
}

TEST(streaming_events)
{
    if (!g_vad || !g_have_audio)
        SKIP("needs the VAD model and " WAV);
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = g_vad;
    parley_vad *v;
    ASSERT_OK(parley_vad_open(&vp, &v));
    parley_vad_region *r;
    size_t nr;
    ASSERT_OK(parley_vad_regions(v, g_audio.samples, g_audio.n_samples, &r, &nr));
    const int64_t base = 3600 * 1000;
    parley_vad_event ev[8], all[512];
    size_t n, na = 0;
    size_t step = 320; /* 20 ms, not a multiple of the 512-sample window */
    for (size_t off = 0; off < g_audio.n_samples; off += step) {
        size_t k = g_audio.n_samples - off < step ? g_audio.n_samples - off : step;
        ASSERT_OK(parley_vad_push(v, g_audio.samples + off, k, base + (int64_t)(off * 1000 / RATE), ev, 8, &n));
        for (size_t i = 0; i < n && na < 512; i++)
            all[na++] = ev[i];
    }
    ASSERT_OK(parley_vad_flush(v, ev, 8, &n));
    for (size_t i = 0; i < n && na < 512; i++)
        all[na++] = ev[i];
    fprintf(stderr, "  %zu events, %zu batch regions\n", na, nr);
    ASSERT(na >= 2 && na % 2 == 0);
    int64_t dur = (int64_t)(g_audio.n_samples * 1000 / RATE);
    for (size_t i = 0; i < na; i += 2) {
        ASSERT_EQ_INT(all[i].kind, PARLEY_VAD_SPEECH_START);
        ASSERT_EQ_INT(all[i + 1].kind, PARLEY_VAD_SPEECH_END);
        ASSERT(all[i].t_ms >= base && all[i].t_ms < all[i + 1].t_ms && all[i + 1].t_ms <= base + dur + 32);
        ASSERT(all[i + 1].t_ms - all[i].t_ms <= 15000 + 64); /* utterances are cut at 15 s */
        if (i)
            ASSERT(all[i].t_ms >= all[i - 1].t_ms);
    }
    /* Every batch region's middle lies inside some streamed utterance. */
    for (size_t k = 0; k < nr; k++) {
        int64_t mid = base + (r[k].t0_ms + r[k].t1_ms) / 2;
        bool in = false;
        for (size_t i = 0; i < na && !in; i += 2)
            in = all[i].t_ms <= mid && mid <= all[i + 1].t_ms;
        ASSERT_MSG(in, "batch region %lld-%lld ms is in no streamed utterance", (long long)r[k].t0_ms,
                   (long long)r[k].t1_ms);
    }
    /* silence: no events */
    parley_vad_reset(v);
    float *z = calloc(RATE * 10, sizeof *z);
    ASSERT_OK(parley_vad_push(v, z, RATE * 10, 0, ev, 8, &n));
    ASSERT_EQ_INT(n, 0);
    ASSERT_OK(parley_vad_flush(v, ev, 8, &n));
    ASSERT_EQ_INT(n, 0);

    /* The longest speech region, then a jump on the timeline: the open speech ends at
     * the last sample before the jump. */
    size_t longest = 0;
    for (size_t k = 1; k < nr; k++)
        if (r[k].t1_ms - r[k].t0_ms > r[longest].t1_ms - r[longest].t0_ms)
            longest = k;
    int64_t len = r[longest].t1_ms - r[longest].t0_ms - 100;
    ASSERT(len > 1000);
    parley_vad_reset(v);
    size_t a = (size_t)(r[longest].t0_ms + 50) * RATE / 1000, b = a + (size_t)len * RATE / 1000;
    ASSERT_OK(parley_vad_push(v, g_audio.samples + a, b - a, 1000, ev, 8, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_INT(ev[0].kind, PARLEY_VAD_SPEECH_START);
    ASSERT_OK(parley_vad_push(v, z, RATE, 60000, ev, 8, &n));
    ASSERT(n >= 1);
    ASSERT_EQ_INT(ev[0].kind, PARLEY_VAD_SPEECH_END);
    ASSERT_NEAR(ev[0].t_ms, 1000 + len, 2);
    free(z);
    free(r);
    parley_vad_free(v);
}

TEST(newest_vad_version_is_picked)
{
    if (!g_vad)
        SKIP("needs the VAD model");
    const char *dir = test_tmpdir("vad_lookup");
    ASSERT(dir);
    static char cmd[30000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/ggml-silero-v6.2.0.bin' && cp '%s' '%s/ggml-silero-v10.0.0.bin' && "
             "cp '%s' '%s/ggml-silero-v5.1.2.bin'", g_vad, dir, g_vad, dir, g_vad, dir);
    ASSERT(system(cmd) == 0);
    setenv("PARLEY_MODELS_DIR", dir, 1);
    unsetenv("PARLEY_MODEL_PATH");
    char out[PATH_MAX];
    ASSERT_OK(parley_model_find("vad", NULL, out, sizeof out));
    ASSERT_CONTAINS(out, "ggml-silero-v10.0.0.bin");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    parley_init();
    g_vad = test_shared_model("ggml-silero-v6.2.0.bin");
    if (access(WAV, R_OK) == 0 && parley_audio_decode_file(WAV, NULL, &g_audio) == PARLEY_OK)
        g_have_audio = true;
    RUN(batch_regions);
    RUN(long_digital_silence_is_skipped_without_moving_speech);
    RUN(streaming_events);
    RUN(newest_vad_version_is_picked);
    parley_audio_free(&g_audio);
    return test_summary();
}
