/* test_asr_stream: live transcription on one loaded model (include/parley/asr.h streams).
 * Spoken audio (the en-Wikipedia sample) is pushed in 100 ms chunks much faster than real
 * time into streams of the tiny whisper stand-in (its words are meaningless, its segments
 * and times real). Checks: segments arrive with times inside the speech on the absolute
 * timeline, labelled with the stream's speaker; silence gives none; finish() flushes an
 * utterance cut off by the end of input; two streams on one model run at once; a full
 * backlog refuses audio (TOO_LARGE) that is accepted later, nothing lost; free and a
 * cancelled finish in the middle of an utterance are clean and call nothing after. */
#include <parley/asr.h>
#include <parley/audio.h>
#include <parley/vad.h>

#include "asr/asr_internal.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define WAV "/usr/share/sounds/debian/samples/en-Wikipedia-Ignore_All_Rules.wav"
#define RATE 16000

static char g_model[4200];
static const char *g_vad;
static parley_asr *g_asr;
static float *g_speech; /* the first 8 s of the recording */
static size_t g_n_speech;
static parley_vad_region *g_regions; /* its speech, by the batch VAD */
static size_t g_n_regions;

typedef struct collect {
    pthread_mutex_t lock;
    parley_segment seg[256];
    char text[256][256];
    char speaker[256][16];
    int n;
    int errors;
    atomic_int after_free; /* callbacks seen after free() returned */
    atomic_bool freed;
} collect;

static void on_seg(const parley_segment *s, void *ud)
{
    collect *c = ud;
    if (atomic_load(&c->freed))
        atomic_fetch_add(&c->after_free, 1);
    pthread_mutex_lock(&c->lock);
    if (c->n < 256) {
        c->seg[c->n] = *s;
        snprintf(c->text[c->n], sizeof c->text[0], "%s", s->text);
        snprintf(c->speaker[c->n], sizeof c->speaker[0], "%s", s->speaker ? s->speaker : "");
        c->n++;
    }
    pthread_mutex_unlock(&c->lock);
}

static void on_err(parley_status st, const char *msg, int64_t t0, int64_t t1, void *ud)
{
    collect *c = ud;
    fprintf(stderr, "stream error %s: %s (%lld-%lld)\n", parley_strerror(st), msg, (long long)t0, (long long)t1);
    c->errors++;
}

static struct parley_asr_stream_params params(collect *c, const char *speaker)
{
    struct parley_asr_stream_params p = parley_asr_stream_default_params();
    p.vad_model_path = g_vad;
    p.speaker = speaker;
    p.n_threads = 2;
    p.on_segment = on_seg;
    p.on_segment_user_data = c;
    p.on_error = on_err;
    p.on_error_user_data = c;
    return p;
}

/* Pushes n samples from t0 in 100 ms chunks; on a full backlog waits 20 ms and pushes
 * the same chunk again. Returns how many chunks were refused at first. */
static int push_all(parley_asr_stream *s, const float *x, size_t n, int64_t t0)
{
    int refused = 0;
    for (size_t off = 0; off < n;) {
        size_t k = n - off < 1600 ? n - off : 1600;
        parley_status st = parley_asr_stream_push(s, x + off, k, t0 + (int64_t)(off * 1000 / RATE));
        if (st == PARLEY_ERR_TOO_LARGE) {
            refused++;
            nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
            continue;
        }
        if (st != PARLEY_OK) {
            fprintf(stderr, "push: %s (%s)\n", parley_strerror(st), parley_last_error());
            return -1;
        }
        off += k;
    }
    return refused;
}

static void collect_init(collect *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
}

/* 3 s of silence, 8 s of speech, 7 s of silence, on a timeline starting at 100 s. */
TEST(speech_segments_on_the_timeline)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    size_t n = (size_t)RATE * 18;
    float *x = calloc(n, sizeof *x);
    ASSERT(x);
    memcpy(x + RATE * 3, g_speech, g_n_speech * sizeof *x);
    collect c;
    collect_init(&c);
    struct parley_asr_stream_params p = params(&c, "Me");
    p.initial_prompt = "Wikipedia, Parley";
    parley_asr_stream *s;
    ASSERT_OK(parley_asr_stream_open(g_asr, &p, &s));
    double t = parley_now();
    int refused = push_all(s, x, n, 100000);
    double push_s = parley_now() - t;
    ASSERT(refused >= 0);
    ASSERT_OK(parley_asr_stream_finish(s, NULL));
    ASSERT_EQ_INT(parley_asr_stream_backlog_ms(s), 0);
    parley_asr_stream_free(s);
    free(x);
    fprintf(stderr, "  %d segments; pushing 18 s took %.2f s\n", c.n, push_s);
    ASSERT(push_s < 9.0); /* faster than real time: push never waits for inference */
    ASSERT(c.n >= 1);
    ASSERT_EQ_INT(c.errors, 0);
    int64_t lo = 100000 + 3000 + g_regions[0].t0_ms - 100, hi = 100000 + 3000 + g_regions[g_n_regions - 1].t1_ms + 700;
    for (int i = 0; i < c.n; i++) {
        ASSERT_STR(c.speaker[i], "Me");
        ASSERT_MSG(c.seg[i].t0_ms >= lo && c.seg[i].t1_ms <= hi && c.seg[i].t0_ms <= c.seg[i].t1_ms,
                   "segment %d at %lld-%lld ms, speech is %lld-%lld", i, (long long)c.seg[i].t0_ms,
                   (long long)c.seg[i].t1_ms, (long long)lo, (long long)hi);
        ASSERT(c.text[i][0] != '\0');
        if (i)
            ASSERT(c.seg[i].t0_ms >= c.seg[i - 1].t0_ms);
    }
}

TEST(silence_gives_nothing)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    size_t n = (size_t)RATE * 20;
    float *x = calloc(n, sizeof *x);
    ASSERT(x);
    unsigned r = 1;
    for (size_t i = 0; i < n; i++) { /* faint hiss, -70 dBFS */
        r = r * 1103515245u + 12345u;
        x[i] = ((float)(r >> 8) / (float)(1u << 24) - 0.5f) * 0.001f;
    }
    collect c;
    collect_init(&c);
    struct parley_asr_stream_params p = params(&c, "Them");
    parley_asr_stream *s;
    ASSERT_OK(parley_asr_stream_open(g_asr, &p, &s));
    ASSERT(push_all(s, x, n, 0) >= 0);
    ASSERT_OK(parley_asr_stream_finish(s, NULL));
    parley_asr_stream_free(s);
    free(x);
    ASSERT_EQ_INT(c.n, 0);
    ASSERT_EQ_INT(c.errors, 0);
}

/* Input ends in the middle of speech: finish() transcribes that last utterance. */
TEST(finish_flushes_the_open_utterance)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    /* from 1 s before the first speech to 3 s into it */
    size_t a = (size_t)(g_regions[0].t0_ms > 1000 ? g_regions[0].t0_ms - 1000 : 0) * RATE / 1000;
    size_t b = (size_t)(g_regions[0].t0_ms + 3000) * RATE / 1000;
    collect c;
    collect_init(&c);
    struct parley_asr_stream_params p = params(&c, NULL);
    parley_asr_stream *s;
    ASSERT_OK(parley_asr_stream_open(g_asr, &p, &s));
    ASSERT(push_all(s, g_speech + a, b - a, 0) >= 0);
    ASSERT_OK(parley_asr_stream_finish(s, NULL));
    ASSERT_STATUS(parley_asr_stream_push(s, g_speech, 160, 5000), PARLEY_ERR_INVALID_ARG);
    parley_asr_stream_free(s);
    ASSERT(c.n >= 1);
    ASSERT(c.speaker[0][0] == '\0');
    int64_t end = (int64_t)((b - a) * 1000 / RATE);
    ASSERT_MSG(c.seg[c.n - 1].t1_ms > end - 1500 && c.seg[c.n - 1].t1_ms <= end, "last segment ends at %lld of %lld",
               (long long)c.seg[c.n - 1].t1_ms, (long long)end);
}

typedef struct feeder {
    parley_asr_stream *s;
    int refused;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    f->refused = push_all(f->s, g_speech, g_n_speech, 0);
    return NULL;
}

/* Mic and system audio at once on one loaded model, each from its own thread, with a
 * small backlog so that pushes are refused and retried: every second is accepted and
 * transcribed on both. */
TEST(two_streams_one_model_and_backpressure)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    collect c1, c2;
    collect_init(&c1);
    collect_init(&c2);
    struct parley_asr_stream_params p1 = params(&c1, "Me"), p2 = params(&c2, "Them");
    p1.n_threads = p2.n_threads = 1;
    p1.max_backlog_ms = p2.max_backlog_ms = 3000;
    parley_asr_stream *s1, *s2;
    ASSERT_OK(parley_asr_stream_open(g_asr, &p1, &s1));
    ASSERT_OK(parley_asr_stream_open(g_asr, &p2, &s2));
    feeder f1 = {s1, 0}, f2 = {s2, 0};
    pthread_t t1, t2;
    ASSERT(pthread_create(&t1, NULL, feed, &f1) == 0);
    ASSERT(pthread_create(&t2, NULL, feed, &f2) == 0);
    int64_t max_backlog = 0;
    for (int i = 0; i < 40; i++) {
        int64_t b = parley_asr_stream_backlog_ms(s1);
        if (b > max_backlog)
            max_backlog = b;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ASSERT_OK(parley_asr_stream_finish(s1, NULL));
    ASSERT_OK(parley_asr_stream_finish(s2, NULL));
    parley_asr_stream_free(s1);
    parley_asr_stream_free(s2);
    fprintf(stderr, "  refused %d / %d chunks at first; backlog up to %lld ms; %d + %d segments\n", f1.refused,
            f2.refused, (long long)max_backlog, c1.n, c2.n);
    ASSERT(f1.refused > 0 && f2.refused > 0); /* 8 s at once cannot fit a 3 s backlog */
    ASSERT(max_backlog <= 3000 + 15000); /* the queue, and at most one utterance held */
    ASSERT(c1.n >= 1 && c2.n >= 1);
    ASSERT_STR(c1.speaker[0], "Me");
    ASSERT_STR(c2.speaker[0], "Them");
    /* the same audio on the same model: the same segments */
    ASSERT_EQ_INT(c1.n, c2.n);
    for (int i = 0; i < c1.n; i++) {
        ASSERT_EQ_INT(c1.seg[i].t0_ms, c2.seg[i].t0_ms);
        ASSERT_STR(c1.text[i], c2.text[i]);
    }
}

TEST(free_and_cancel_mid_utterance)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    for (int round = 0; round < 2; round++) {
        collect c;
        collect_init(&c);
        struct parley_asr_stream_params p = params(&c, "Me");
        parley_asr_stream *s;
        ASSERT_OK(parley_asr_stream_open(g_asr, &p, &s));
        ASSERT(push_all(s, g_speech, g_n_speech, 0) >= 0);
        nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL); /* the worker is inside whisper by now */
        if (round == 1) {
            parley_cancel *cancel = parley_cancel_new();
            ASSERT(cancel);
            parley_cancel_set(cancel);
            double t = parley_now();
            ASSERT_STATUS(parley_asr_stream_finish(s, cancel), PARLEY_ERR_CANCELLED);
            ASSERT(parley_now() - t < 0.2 * test_time_scale());
            parley_cancel_free(cancel);
        }
        double t = parley_now();
        parley_asr_stream_free(s);
        atomic_store(&c.freed, true);
        double took = parley_now() - t;
        fprintf(stderr, "  round %d: free took %.3f s, %d segments before\n", round, took, c.n);
        ASSERT(took < 0.2 * test_time_scale());
        nanosleep(&(struct timespec){0, 200 * 1000000L}, NULL);
        ASSERT_EQ_INT(atomic_load(&c.after_free), 0);
    }
}

TEST(bad_params)
{
    if (!g_asr)
        SKIP("needs the stand-in model, the VAD model and " WAV);
    collect c;
    collect_init(&c);
    struct parley_asr_stream_params p = params(&c, "Me");
    parley_asr_stream *s = (parley_asr_stream *)1;
    p.vad_model_path = NULL;
    ASSERT_STATUS(parley_asr_stream_open(g_asr, &p, &s), PARLEY_ERR_INVALID_ARG);
    ASSERT(s == NULL);
    p = params(&c, "Me");
    char lang[1200];
    memset(lang, 'x', sizeof lang - 1);
    lang[sizeof lang - 1] = '\0';
    p.language = lang;
    ASSERT_STATUS(parley_asr_stream_open(g_asr, &p, &s), PARLEY_ERR_INVALID_ARG);
    p = params(&c, "Me");
    p.vad_model_path = g_model; /* a speech model is not a VAD model */
    ASSERT_STATUS(parley_asr_stream_open(g_asr, &p, &s), PARLEY_ERR_MODEL_ARCH);
}

static char g_debug[4096];
static void keep_debug(parley_log_level l, const char *m, void *ud)
{
    (void)ud;
    if (l == PARLEY_LOG_DEBUG && strncmp(m, "whisper: ", 9) == 0)
        snprintf(g_debug, sizeof g_debug, "%s", m);
}
static void quiet(parley_log_level l, const char *m, void *ud);

/* Live transcribes each utterance with the vocabulary as whisper's prompt and the encoder
 * window cut to the utterance (asr.h: initial_prompt, fit_window): both reach whisper. */
static void quiet(parley_log_level l, const char *m, void *ud)
{
    (void)ud;
    if (l <= PARLEY_LOG_WARN)
        fprintf(stderr, "%s\n", m);
}

static char g_drops[8192];
static void keep_drops(parley_log_level l, const char *m, void *ud)
{
    (void)ud;
    size_t k = strlen(g_drops);
    if (l == PARLEY_LOG_DEBUG && strncmp(m, "transcribe: dropped", 19) == 0 && k + strlen(m) + 2 < sizeof g_drops)
        snprintf(g_drops + k, sizeof g_drops - k, "%s\n", m);
}

/* The guards against invented text (guards.c) and drop_invented in parley_asr_transcribe:
 * what it keeps is what it would keep without it, less the segments it logs as dropped. */
TEST(invented_text_is_dropped_when_asked)
{
    char *n = parley_asr_normalise("  Thank you. THANK you!\tthank-you ");
    ASSERT(n);
    ASSERT_STR(n, "thank you thank you thank you");
    ASSERT(parley_asr_is_loop(n));
    free(n);
    ASSERT(parley_asr_is_loop("yes yes yes yes yes"));
    ASSERT(!parley_asr_is_loop("yes yes yes"));                           /* one word: 5 times */
    ASSERT(parley_asr_is_loop("see you next time see you next time see you next time"));
    ASSERT(!parley_asr_is_loop("we should decide the budget today because finance needs it"));
    ASSERT(!parley_asr_is_loop("the plan the plan the plan and then we talk about hiring and money"));
    ASSERT(!parley_asr_is_loop(""));
    /* The rule each segment goes through: unsure and probably no speech, or a loop. */
    ASSERT_STR(parley_asr_invented("Hello there.", 0.9f, 0.3f, 0), "no speech");
    ASSERT(parley_asr_invented("Hello there.", 0.9f, 0.8f, 0) == NULL);  /* sure of its words */
    ASSERT(parley_asr_invented("Hello there.", 0.5f, 0.3f, 0) == NULL);  /* probably speech */
    ASSERT(parley_asr_invented("Hello there.", 0.9f, -1.0f, 0) == NULL); /* confidence unknown */
    ASSERT_STR(parley_asr_invented("Hello there.", 0.5f, 0.3f, 0.4f), "no speech");
    ASSERT_STR(parley_asr_invented("Thank you. Thank you. Thank you.", 0.0f, 0.99f, 0), "a phrase repeated over and over");

    size_t len = g_n_speech;
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = false;
    tp.n_threads = 2;
    tp.no_fallback = true;
    tp.fit_window = true;
    parley_transcript all = {0}, kept = {0};
    ASSERT_OK(parley_asr_transcribe(g_asr, &tp, g_speech, len, &all));
    ASSERT_MSG(all.n_segments > 0, "the stand-in wrote nothing for 8 s of speech");
    /* Defaults: a subset, and whatever is left out is logged with its reason. */
    tp.drop_invented = true;
    g_drops[0] = 0;
    parley_log_set(keep_drops, NULL, PARLEY_LOG_DEBUG);
    parley_status st = parley_asr_transcribe(g_asr, &tp, g_speech, len, &kept);
    parley_log_set(quiet, NULL, PARLEY_LOG_WARN);
    ASSERT_OK(st);
    size_t k = 0, dropped = 0;
    for (size_t i = 0; i < all.n_segments; i++) {
        if (k < kept.n_segments && strcmp(all.segments[i].text, kept.segments[k].text) == 0)
            k++;
        else
            dropped++;
    }
    ASSERT_MSG(k == kept.n_segments, "drop_invented kept a segment the plain run did not make");
    for (const char *p = g_drops; (p = strstr(p, "transcribe: dropped")); p++)
        dropped--;
    ASSERT_MSG(dropped == 0, "segments left out without a log line: '%s'", g_drops);
    parley_transcript_free(&kept);
    parley_transcript_free(&all);
}

TEST(prompt_and_fitted_window_reach_whisper)
{
    size_t n = (size_t)RATE * 3;
    ASSERT(g_n_speech >= n);
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = false;
    tp.n_threads = 2;
    tp.no_fallback = true;
    tp.initial_prompt = "Anthropic, Kubernetes";
    tp.fit_window = true;
    parley_transcript t = {0};
    g_debug[0] = 0;
    parley_log_set(keep_debug, NULL, PARLEY_LOG_DEBUG);
    parley_status st = parley_asr_transcribe(g_asr, &tp, g_speech, n, &t);
    parley_log_set(quiet, NULL, PARLEY_LOG_WARN);
    ASSERT_OK(st);
    /* 3 s = 150 frames, +50 to spare, in steps of 64 */
    ASSERT_MSG(strstr(g_debug, "48000 samples, encoder window 256 frames, prompt \"Anthropic, Kubernetes\""),
               "whisper was not given the prompt and window: '%s'", g_debug);
    for (size_t i = 0; i < t.n_segments; i++)
        ASSERT_MSG(t.segments[i].t1_ms <= 3000 + 20, "segment %zu ends at %lld ms, past the audio", i,
                   (long long)t.segments[i].t1_ms);
    parley_transcript_free(&t);
    /* Without them: the full 30 s window and no prompt. */
    tp.initial_prompt = NULL;
    tp.fit_window = false;
    g_debug[0] = 0;
    parley_log_set(keep_debug, NULL, PARLEY_LOG_DEBUG);
    st = parley_asr_transcribe(g_asr, &tp, g_speech, n, &t);
    parley_log_set(quiet, NULL, PARLEY_LOG_WARN);
    ASSERT_OK(st);
    ASSERT_MSG(strstr(g_debug, "encoder window 1500 frames") && !strstr(g_debug, "prompt"), "'%s'", g_debug);
    parley_transcript_free(&t);
}


int main(void)
{
    parley_init();
    parley_log_set(quiet, NULL, PARLEY_LOG_WARN);
    const char *tools = getenv("PARLEY_TOOLS");
    g_vad = test_shared_model("ggml-silero-v6.2.0.bin");
    const char *dir = test_tmpdir("asr_stream");
    if (tools && g_vad && dir && access(WAV, R_OK) == 0) {
        snprintf(g_model, sizeof g_model, "%s/tiny.bin", dir);
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "'%s/whisper_standin' --size tiny --out '%s' >/dev/null", tools, g_model);
        parley_audio a;
        struct parley_asr_params ap = parley_asr_default_params();
        ap.model_path = g_model;
        if (system(cmd) == 0 && parley_audio_decode_file(WAV, NULL, &a) == PARLEY_OK) {
            g_n_speech = a.n_samples < (size_t)RATE * 8 ? a.n_samples : (size_t)RATE * 8;
            g_speech = malloc(g_n_speech * sizeof *g_speech);
            memcpy(g_speech, a.samples, g_n_speech * sizeof *g_speech);
            parley_audio_free(&a);
            struct parley_vad_params vp = parley_vad_default_params();
            vp.model_path = g_vad;
            parley_vad *v = NULL;
            if (parley_vad_open(&vp, &v) == PARLEY_OK &&
                parley_vad_regions(v, g_speech, g_n_speech, &g_regions, &g_n_regions) == PARLEY_OK &&
                g_n_regions > 0 && parley_asr_init(&ap, &g_asr) != PARLEY_OK)
                fprintf(stderr, "cannot load the stand-in: %s\n", parley_last_error());
            parley_vad_free(v);
        }
    }
    RUN(speech_segments_on_the_timeline);
    RUN(silence_gives_nothing);
    RUN(finish_flushes_the_open_utterance);
    RUN(two_streams_one_model_and_backpressure);
    RUN(free_and_cancel_mid_utterance);
    RUN(bad_params);
    RUN(prompt_and_fitted_window_reach_whisper);
    RUN(invented_text_is_dropped_when_asked);
    parley_asr_free(g_asr);
    free(g_speech);
    free(g_regions);
    if (dir) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return test_summary();
}
