/* test_parakeet: the Parakeet TDT engine (src/asr/parakeet*.c) on a stand-in v3 model.
 *
 * The stand-in (tools/parakeet_standin.c, 1.26 GB, the real shapes) is generated once
 * into $PARLEY_TEST_TMP and reused. The audio is 2 s silence, a spoken sentence
 * (espeak-ng), 3 s silence, another sentence, 2 s silence. Checks: the header probe tells
 * Parakeet, whisper and VAD files apart; a truncated file and a whisper model given as
 * Parakeet are refused with precise messages; transcription with the Silero VAD yields
 * segments whose times lie inside the speech regions, which lie where the speech was put;
 * a cancel returns within 200 ms; a stream on the session timeline gives segments there. */
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <parley/asr.h>
#include <parley/audio.h>
#include <parley/parley.h>

#include "asr/parakeet_internal.h"
#include "test.h"

#define OFFICIAL_V3_BYTES 1255897319LL

static char g_dir[4096], g_model[4200], g_whisper[4200], g_tools[4096];
static const char *g_vad;
static parley_parakeet *g_pk;
static float *g_audio;
static size_t g_n;
/* where the two sentences were put, ms */
static int64_t g_speech[2][2];

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Copies the first n bytes of src to dst. */
static int head_copy(const char *src, const char *dst, long long n)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "head -c %lld '%s' > '%s'", n, src, dst);
    return sh(cmd);
}

/* One sentence from espeak-ng, decoded to 16 kHz mono. */
static parley_status speak(const char *text, const char *name, parley_audio *a)
{
    char wav[4300], cmd[9000];
    snprintf(wav, sizeof wav, "%s/%s.wav", g_dir, name);
    snprintf(cmd, sizeof cmd, "espeak-ng -w '%s' '%s' 2>/dev/null", wav, text);
    if (sh(cmd) != 0)
        return PARLEY_ERR_NOT_FOUND;
    return parley_audio_decode_file(wav, NULL, a);
}

static bool append(const float *x, size_t n)
{
    float *b = realloc(g_audio, (g_n + n) * sizeof *b);
    if (!b)
        return false;
    g_audio = b;
    if (x)
        memcpy(g_audio + g_n, x, n * sizeof *x);
    else
        memset(g_audio + g_n, 0, n * sizeof *b);
    g_n += n;
    return true;
}

TEST(probe_and_check)
{
    parley_speech_file_kind k;
    ASSERT_OK(parley_speech_file_probe(g_model, &k));
    ASSERT_EQ_INT(k, PARLEY_SPEECH_FILE_PARAKEET);
    ASSERT_OK(parley_speech_file_probe(g_whisper, &k));
    ASSERT_EQ_INT(k, PARLEY_SPEECH_FILE_WHISPER);
    ASSERT_OK(parley_speech_file_probe(g_vad, &k));
    ASSERT_EQ_INT(k, PARLEY_SPEECH_FILE_VAD);
    struct parley_parakeet_info info;
    ASSERT_OK(parley_parakeet_check_file(g_model, &info));
    ASSERT_EQ_INT(info.n_vocab, 8192);
    ASSERT_EQ_INT(info.n_audio_layer, 24);
    ASSERT_EQ_INT(info.n_tensors, 721);
    ASSERT_STR(info.variant, "v3");
}

TEST(wrong_kind_is_refused)
{
    parley_parakeet *pk = NULL;
    ASSERT_STATUS(parley_parakeet_init(g_whisper, false, &pk), PARLEY_ERR_MODEL_ARCH);
    ASSERT_CONTAINS(parley_last_error(), "is a whisper speech model, not a Parakeet model");
    ASSERT(pk == NULL);
    ASSERT_STATUS(parley_parakeet_init(g_vad, false, &pk), PARLEY_ERR_MODEL_ARCH);
    ASSERT_CONTAINS(parley_last_error(), "Silero VAD model");
    char none[4300];
    snprintf(none, sizeof none, "%s/none.bin", g_dir);
    ASSERT_STATUS(parley_parakeet_init(none, false, &pk), PARLEY_ERR_NOT_FOUND);
}

TEST(truncated_is_refused)
{
    char cut[4300];
    parley_parakeet *pk = NULL;
    /* inside the mel filters (the header ends at 133 280 bytes) */
    snprintf(cut, sizeof cut, "%s/cut-header.bin", g_dir);
    ASSERT_EQ_INT(head_copy(g_model, cut, 100000), 0);
    ASSERT_STATUS(parley_parakeet_init(cut, false, &pk), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated or damaged: it ends inside its header");
    /* inside the tensors: libparakeet itself would read past the end */
    snprintf(cut, sizeof cut, "%s/cut-tensors.bin", g_dir);
    ASSERT_EQ_INT(head_copy(g_model, cut, 8 << 20), 0);
    ASSERT_STATUS(parley_parakeet_init(cut, false, &pk), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "it ends inside its tensors");
    ASSERT(pk == NULL);
    unlink(cut);
}

TEST(load)
{
    double t = now();
    ASSERT_OK(parley_parakeet_init(g_model, false, &g_pk));
    fprintf(stderr, "   loaded in %.1f s\n", now() - t);
    ASSERT_STR(parley_parakeet_variant(g_pk), "v3");
    ASSERT(parley_parakeet_multilingual(g_pk));
}

struct seen {
    int n_seg;
    double last_progress;
    int n_progress;
};

static void on_seg(const parley_segment *s, void *ud)
{
    (void)s;
    ((struct seen *)ud)->n_seg++;
}

static bool on_progress(double f, void *ud)
{
    struct seen *s = ud;
    s->last_progress = f;
    s->n_progress++;
    return true;
}

TEST(transcribe_with_vad)
{
    if (!g_pk)
        SKIP("no model loaded");
    struct seen seen = {0};
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad_model_path = g_vad;
    tp.n_threads = 2;
    tp.on_segment = on_seg;
    tp.on_segment_user_data = &seen;
    tp.progress = on_progress;
    tp.progress_user_data = &seen;
    parley_transcript t;
    double t0 = now();
    ASSERT_OK(parley_parakeet_transcribe(g_pk, &tp, g_audio, g_n, &t));
    fprintf(stderr, "   %.1f s of audio in %.1f s, %zu segments, %zu regions\n", (double)g_n / 16000, now() - t0,
            t.n_segments, parley_parakeet_n_vad_regions(g_pk));
    size_t nr = parley_parakeet_n_vad_regions(g_pk);
    ASSERT(nr >= 2);
    /* every region overlaps a sentence (padding aside) and none lies in the silence */
    for (size_t r = 0; r < nr; r++) {
        int64_t a, b;
        ASSERT_OK(parley_parakeet_vad_region(g_pk, r, &a, &b));
        bool in = false;
        for (int s = 0; s < 2; s++)
            in |= a < g_speech[s][1] + 300 && b > g_speech[s][0] - 300;
        ASSERT_MSG(in, "region %lld-%lld ms lies in silence", (long long)a, (long long)b);
    }
    ASSERT(t.n_segments >= 2);
    ASSERT_EQ_INT(seen.n_seg, (long long)t.n_segments);
    ASSERT_NEAR(seen.last_progress, 1.0, 1e-9);
    for (size_t i = 0; i < t.n_segments; i++) {
        const parley_segment *s = &t.segments[i];
        bool inside = false;
        for (size_t r = 0; r < nr; r++) {
            int64_t a, b;
            parley_parakeet_vad_region(g_pk, r, &a, &b);
            inside |= s->t0_ms >= a && s->t1_ms <= b;
        }
        ASSERT_MSG(inside, "segment %zu (%lld-%lld ms) is outside every speech region", i, (long long)s->t0_ms,
                   (long long)s->t1_ms);
        ASSERT(s->t1_ms >= s->t0_ms);
        ASSERT(s->text && *s->text && s->text[0] != ' ');
        ASSERT(s->confidence >= 0 && s->confidence <= 1);
        if (i)
            ASSERT(s->t0_ms >= t.segments[i - 1].t0_ms);
    }
    ASSERT(t.language == NULL); /* v3 detects by itself and does not say */
    ASSERT_STR(t.model, strrchr(g_model, '/') + 1);
    ASSERT_NEAR(t.duration_s, (double)g_n / 16000, 1e-6);
    parley_transcript_free(&t);
}

TEST(bad_requests)
{
    if (!g_pk)
        SKIP("no model loaded");
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad_model_path = g_vad;
    parley_transcript t;
    tp.translate = true;
    ASSERT_STATUS(parley_parakeet_transcribe(g_pk, &tp, g_audio, g_n, &t), PARLEY_ERR_UNSUPPORTED);
    tp.translate = false;
    tp.language = "ja";
    ASSERT_STATUS(parley_parakeet_transcribe(g_pk, &tp, g_audio, g_n, &t), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "'ja'");
    tp.language = NULL;
    tp.vad_model_path = g_model; /* not a VAD model */
    ASSERT_STATUS(parley_parakeet_transcribe(g_pk, &tp, g_audio, g_n, &t), PARLEY_ERR_MODEL_ARCH);
    ASSERT_STATUS(parley_parakeet_transcribe(g_pk, &tp, g_audio, 0, &t), PARLEY_ERR_NO_AUDIO);
}

struct canceller {
    parley_cancel *c;
    double set_at;
};

static void *cancel_later(void *arg)
{
    struct canceller *k = arg;
    usleep(400 * 1000);
    k->set_at = now();
    parley_cancel_set(k->c);
    return NULL;
}

TEST(cancel_is_fast)
{
    if (!g_pk)
        SKIP("no model loaded");
    struct canceller k = {parley_cancel_new(), 0};
    ASSERT(k.c);
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = false; /* the whole buffer in one encoder run: libparakeet cannot stop inside it */
    tp.n_threads = 2;
    tp.cancel = k.c;
    parley_transcript t;
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &k);
    parley_status st = parley_parakeet_transcribe(g_pk, &tp, g_audio, g_n, &t);
    double back = now();
    pthread_join(th, NULL);
    fprintf(stderr, "   returned %.0f ms after the cancel\n", (back - k.set_at) * 1000);
    parley_cancel_free(k.c);
    ASSERT_STATUS(st, PARLEY_ERR_CANCELLED);
    ASSERT(back - k.set_at < 0.2);
    ASSERT(t.n_segments == 0 && t.segments == NULL);
}

struct stream_seen {
    int n;
    int64_t t0, t1;
    bool speaker_ok;
};

static void stream_seg(const parley_segment *s, void *ud)
{
    struct stream_seen *ss = ud;
    if (!ss->n || s->t0_ms < ss->t0)
        ss->t0 = s->t0_ms;
    if (s->t1_ms > ss->t1)
        ss->t1 = s->t1_ms;
    ss->speaker_ok = s->speaker && !strcmp(s->speaker, "Me");
    ss->n++;
}

TEST(stream_on_session_timeline)
{
    if (!g_pk)
        SKIP("no model loaded");
    struct stream_seen ss = {0};
    struct parley_asr_stream_params sp;
    memset(&sp, 0, sizeof sp); /* every 0 is a default (asr.h) */
    sp.vad_model_path = g_vad;
    sp.speaker = "Me";
    sp.n_threads = 2;
    sp.on_segment = stream_seg;
    sp.on_segment_user_data = &ss;
    parley_parakeet_stream *s;
    ASSERT_OK(parley_parakeet_stream_open(g_pk, &sp, &s));
    const int64_t base = 60000; /* the stream starts a minute into the session */
    for (size_t at = 0; at < g_n; at += 1600) {
        size_t n = g_n - at < 1600 ? g_n - at : 1600;
        ASSERT_OK(parley_parakeet_stream_push(s, g_audio + at, n, base + (int64_t)(at / 16)));
    }
    ASSERT_OK(parley_parakeet_stream_finish(s, NULL));
    ASSERT_STATUS(parley_parakeet_stream_push(s, g_audio, 160, base), PARLEY_ERR_INVALID_ARG);
    parley_parakeet_stream_free(s);
    fprintf(stderr, "   stream: %d segments, %lld-%lld ms\n", ss.n, (long long)ss.t0, (long long)ss.t1);
    ASSERT(ss.n >= 2);
    ASSERT(ss.speaker_ok);
    ASSERT(ss.t0 >= base + g_speech[0][0] - 700);
    ASSERT(ss.t1 <= base + g_speech[1][1] + 700);
}

int main(void)
{
    const char *tools = getenv("PARLEY_TOOLS");
    g_vad = test_shared_model("ggml-silero-v6.2.0.bin");
    if (!tools || !g_vad) {
        fprintf(stderr, "SKIP: needs PARLEY_TOOLS and ../shared/models/ggml-silero-v6.2.0.bin\n");
        return 77;
    }
    snprintf(g_tools, sizeof g_tools, "%s", tools);
    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "parley_init: %s\n", parley_last_error());
        return 1;
    }
    const char *dir = test_tmpdir("parakeet");
    if (!dir)
        return 1;
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    /* The stand-in is large (the real model's 1.26 GB): made once, kept for later runs. */
    const char *base = getenv("PARLEY_TEST_TMP");
    snprintf(g_model, sizeof g_model, "%s/parakeet-tdt-0.6b-v3-standin.bin", base ? base : "/tmp");
    char cmd[9000];
    if (file_size(g_model) != OFFICIAL_V3_BYTES) {
        snprintf(cmd, sizeof cmd, "'%s/parakeet_standin' --size v3 --out '%s' >/dev/null", g_tools, g_model);
        if (sh(cmd) != 0 || file_size(g_model) != OFFICIAL_V3_BYTES) {
            fprintf(stderr, "parakeet_standin failed\n");
            return 1;
        }
    }
    snprintf(g_whisper, sizeof g_whisper, "%s/tiny.bin", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/whisper_standin' --size tiny --out '%s' >/dev/null", g_tools, g_whisper);
    if (sh(cmd) != 0) {
        fprintf(stderr, "whisper_standin failed\n");
        return 1;
    }
    parley_audio a = {0}, b = {0};
    if (speak("The meeting starts at nine tomorrow morning.", "one", &a) != PARLEY_OK ||
        speak("Please send the notes to everyone.", "two", &b) != PARLEY_OK) {
        fprintf(stderr, "SKIP: needs espeak-ng\n");
        return 77;
    }
    append(NULL, 2 * 16000);
    g_speech[0][0] = (int64_t)(g_n / 16);
    append(a.samples, a.n_samples);
    g_speech[0][1] = (int64_t)(g_n / 16);
    append(NULL, 3 * 16000);
    g_speech[1][0] = (int64_t)(g_n / 16);
    append(b.samples, b.n_samples);
    g_speech[1][1] = (int64_t)(g_n / 16);
    append(NULL, 2 * 16000);
    parley_audio_free(&a);
    parley_audio_free(&b);

    RUN(probe_and_check);
    RUN(wrong_kind_is_refused);
    RUN(truncated_is_refused);
    RUN(load);
    RUN(transcribe_with_vad);
    RUN(bad_requests);
    RUN(cancel_is_fast);
    RUN(stream_on_session_timeline);

    parley_parakeet_free(g_pk);
    free(g_audio);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (sh(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return test_summary();
}
