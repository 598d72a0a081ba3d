/* test_whisper_standin: the stand-in whisper model generator (tools/whisper_standin.c).
 *
 * Generates a tiny stand-in, loads it with whisper.cpp and runs a transcription on
 * synthetic audio; checks that the file is byte-for-byte the size of the official
 * ggml-tiny.bin, deterministic per seed, that a truncated copy is refused, and that
 * the tool rejects bad arguments without leaving a file behind. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ggml-backend.h>
#include <whisper.h>

#include "test.h"

/* whisper.cpp 1.9.5 leaks the model's weight buffers (77 MB for tiny) when a load fails
 * part-way through the tensors: whisper_init_* deletes the context without freeing its
 * backend buffers. That is whisper's bug, not this test's, so under LeakSanitizer the
 * failing load runs with leak detection off. Parley's own code should not feed whisper a
 * file it can tell is truncated (see docs/standins.md). */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAKS_IGNORED_BEGIN() __lsan_disable()
#define LEAKS_IGNORED_END() __lsan_enable()
#else
#define LEAKS_IGNORED_BEGIN() ((void)0)
#define LEAKS_IGNORED_END() ((void)0)
#endif

#define OFFICIAL_TINY_BYTES 77691713LL

static char g_tool[4096];
static char g_dir[4096];
static char g_tiny[4200];

static void quiet_log(enum ggml_log_level level, const char *text, void *user_data)
{
    if (level == GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

/* Run the tool with the given arguments (already shell-quoted); returns its exit code. */
static int run_tool(const char *args)
{
    char cmd[10000];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", g_tool, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int files_equal(const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

TEST(generate_tiny)
{
    char args[9000];
    snprintf(args, sizeof args, "--size tiny --seed 7 --out '%s'", g_tiny);
    ASSERT_EQ_INT(run_tool(args), 0);
    ASSERT_EQ_INT(file_size(g_tiny), OFFICIAL_TINY_BYTES);
}

TEST(load_and_transcribe)
{
    if (file_size(g_tiny) <= 0)
        FAIL_AT("no stand-in was generated");
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = false;
    struct whisper_context *ctx = whisper_init_from_file_with_params(g_tiny, cp);
    ASSERT(ctx != NULL);

    int failed = 1;
    float *pcm = NULL;
    const int n_vocab = whisper_model_n_vocab(ctx), n_audio_layer = whisper_model_n_audio_layer(ctx),
              n_text_layer = whisper_model_n_text_layer(ctx);
    const char *type = whisper_model_type_readable(ctx);
    if (n_vocab != 51865 || n_audio_layer != 4 || n_text_layer != 4 ||
        whisper_model_n_audio_state(ctx) != 384 || whisper_model_n_text_state(ctx) != 384 ||
        whisper_model_n_audio_ctx(ctx) != 1500 || whisper_model_n_text_ctx(ctx) != 448 ||
        whisper_model_n_mels(ctx) != 80 || !whisper_is_multilingual(ctx) || strcmp(type, "tiny") != 0) {
        fprintf(stderr, "hparams: n_vocab %d, audio layers %d, text layers %d, type %s\n", n_vocab,
                n_audio_layer, n_text_layer, type);
        goto out;
    }
    /* special tokens land where whisper.cpp derives them for a multilingual vocabulary */
    if (whisper_token_eot(ctx) != 50257 || whisper_token_sot(ctx) != 50258 ||
        whisper_token_transcribe(ctx) != 50359 || whisper_token_beg(ctx) != 50364) {
        fprintf(stderr, "special tokens: eot %d sot %d transcribe %d beg %d\n", whisper_token_eot(ctx),
                whisper_token_sot(ctx), whisper_token_transcribe(ctx), whisper_token_beg(ctx));
        goto out;
    }
    /* ordinary tokens are printable pseudo-words */
    for (int id = 0; id < 50257; id += 997) {
        const char *tok = whisper_token_to_str(ctx, id);
        if (!tok || !*tok || !valid_utf8(tok)) {
            fprintf(stderr, "token %d is not printable\n", id);
            goto out;
        }
    }

    /* 3 s at 16 kHz: three 0.6 s tone bursts (220, 440, 880 Hz) separated by silence */
    const int n = 3 * WHISPER_SAMPLE_RATE;
    pcm = calloc((size_t)n, sizeof *pcm);
    if (!pcm)
        goto out;
    for (int b = 0; b < 3; b++) {
        const int start = b * WHISPER_SAMPLE_RATE + WHISPER_SAMPLE_RATE / 5;
        for (int i = 0; i < WHISPER_SAMPLE_RATE * 6 / 10; i++)
            pcm[start + i] = 0.3f * sinf(2.0f * (float)M_PI * 220.0f * (float)(1 << b) * (float)i /
                                         WHISPER_SAMPLE_RATE);
    }
    struct whisper_full_params fp = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    fp.n_threads = 2;
    fp.print_progress = false;
    fp.print_realtime = false;
    fp.print_timestamps = false;
    fp.temperature_inc = 0.0f; /* a real run may retry; this test wants one pass */
    fp.language = "en";
    if (whisper_full(ctx, fp, pcm, n) != 0) {
        fprintf(stderr, "whisper_full failed\n");
        goto out;
    }
    const int n_seg = whisper_full_n_segments(ctx);
    int n_tokens = 0;
    double sum_p = 0;
    for (int s = 0; s < n_seg; s++) {
        const char *text = whisper_full_get_segment_text(ctx, s);
        const int64_t t0 = whisper_full_get_segment_t0(ctx, s), t1 = whisper_full_get_segment_t1(ctx, s);
        fprintf(stderr, "  [%lld -> %lld] %s\n", (long long)t0, (long long)t1, text);
        if (!text || !valid_utf8(text) || t0 < 0 || t1 < t0 || t1 > 3000) {
            fprintf(stderr, "bad segment %d\n", s);
            goto out;
        }
        for (int k = 0; k < whisper_full_n_tokens(ctx, s); k++, n_tokens++) {
            const float p = whisper_full_get_token_p(ctx, s, k);
            if (!isfinite(p) || p < 0.0f || p > 1.0f) {
                fprintf(stderr, "segment %d token %d has probability %g\n", s, k, (double)p);
                goto out;
            }
            sum_p += p;
        }
    }
    fprintf(stderr, "  %d segments, %d tokens, mean p %.3f\n", n_seg, n_tokens,
            n_tokens ? sum_p / n_tokens : 0.0);
    /* The scripted decoder speaks confidently from <|0.00|>: a first segment of words
     * starting at 0, every token near-certain (so whisper never falls back). */
    if (n_seg < 1 || n_tokens < 10 || sum_p / n_tokens < 0.9 ||
        whisper_full_get_segment_t0(ctx, 0) != 0 ||
        strlen(whisper_full_get_segment_text(ctx, 0)) < 20)
        goto out;
    failed = 0;
out:
    free(pcm);
    whisper_free(ctx);
    ASSERT_MSG(!failed, "stand-in model did not load or transcribe as expected");
}

TEST(truncated_is_refused)
{
    if (file_size(g_tiny) <= 0)
        FAIL_AT("no stand-in was generated");
    char half[4300], cmd[9000];
    snprintf(half, sizeof half, "%s/half.bin", g_dir);
    snprintf(cmd, sizeof cmd, "head -c %lld '%s' > '%s'", OFFICIAL_TINY_BYTES / 2, g_tiny, half);
    ASSERT_EQ_INT(system(cmd), 0);
    ASSERT_EQ_INT(file_size(half), OFFICIAL_TINY_BYTES / 2);
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = false;
    LEAKS_IGNORED_BEGIN();
    struct whisper_context *ctx = whisper_init_from_file_with_params(half, cp);
    LEAKS_IGNORED_END();
    if (ctx)
        whisper_free(ctx);
    ASSERT_MSG(ctx == NULL, "whisper loaded a model truncated to half");

    /* A file cut before its first tensor is NOT refused by whisper.cpp 1.9.5: the
     * loader reads past EOF, finds no tensor header and "assumes an empty model for
     * testing", returning a context with uninitialised weights. Parley therefore has to
     * check a model file's size itself; this records the hazard without depending on it. */
    snprintf(cmd, sizeof cmd, "head -c 100000 '%s' > '%s'", g_tiny, half);
    ASSERT_EQ_INT(system(cmd), 0);
    ctx = whisper_init_from_file_with_params(half, cp);
    if (ctx) {
        fprintf(stderr, "NOTE: whisper.cpp loads a model cut before its first tensor (as empty)\n");
        whisper_free(ctx);
    }
}

TEST(deterministic_per_seed)
{
    char a[4300], b[4300], args[9000];
    snprintf(a, sizeof a, "%s/seed7.bin", g_dir);
    snprintf(b, sizeof b, "%s/seed8.bin", g_dir);
    snprintf(args, sizeof args, "--size tiny --seed 7 --out '%s'", a);
    ASSERT_EQ_INT(run_tool(args), 0);
    snprintf(args, sizeof args, "--size tiny --seed 8 --out '%s'", b);
    ASSERT_EQ_INT(run_tool(args), 0);
    ASSERT_MSG(files_equal(a, g_tiny), "same seed gave different bytes");
    ASSERT_MSG(!files_equal(a, b), "different seeds gave the same bytes");
    ASSERT_EQ_INT(file_size(b), OFFICIAL_TINY_BYTES);
    /* --plain changes two tensors' values, never the layout */
    snprintf(args, sizeof args, "--size tiny --seed 7 --plain --out '%s'", b);
    ASSERT_EQ_INT(run_tool(args), 0);
    ASSERT_EQ_INT(file_size(b), OFFICIAL_TINY_BYTES);
    ASSERT_MSG(!files_equal(a, b), "--plain gave the scripted bytes");
    unlink(a);
    unlink(b);
}

TEST(bad_arguments)
{
    char out[4300], args[9000];
    snprintf(out, sizeof out, "%s/bad.bin", g_dir);
    snprintf(args, sizeof args, "--size huge --out '%s'", out);
    ASSERT_EQ_INT(run_tool(args), 2);
    snprintf(args, sizeof args, "--size tiny --seed -3 --out '%s'", out);
    ASSERT_EQ_INT(run_tool(args), 2);
    snprintf(args, sizeof args, "--size tiny --seed 12x --out '%s'", out);
    ASSERT_EQ_INT(run_tool(args), 2);
    ASSERT_EQ_INT(run_tool("--size tiny"), 2);
    ASSERT_EQ_INT(run_tool("--bogus"), 2);
    ASSERT_EQ_INT(file_size(out), -1);
    /* an unwritable destination is an I/O error, and no temporary file is left */
    snprintf(args, sizeof args, "--size tiny --out '%s/no/such/dir/x.bin'", g_dir);
    ASSERT_EQ_INT(run_tool(args), 1);
    ASSERT_EQ_INT(run_tool("--list"), 0);
    ASSERT_EQ_INT(run_tool("--list --size small"), 0);
}

int main(void)
{
    const char *tools = getenv("PARLEY_TOOLS");
    if (!tools) {
        fprintf(stderr, "SKIP: needs PARLEY_TOOLS (the build directory holding whisper_standin)\n");
        return 77;
    }
    snprintf(g_tool, sizeof g_tool, "%s/whisper_standin", tools);
    const char *dir = test_tmpdir("whisper_standin");
    if (!dir) {
        fprintf(stderr, "cannot make a scratch directory\n");
        return 1;
    }
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    snprintf(g_tiny, sizeof g_tiny, "%s/tiny.bin", g_dir);
    whisper_log_set(quiet_log, NULL);
    /* Debian's ggml loads its CPU backend as a module: without this whisper aborts in
     * ggml_backend_dev_init (whisper-cli does the same at start-up). */
    ggml_backend_load_all();

    RUN(generate_tiny);
    RUN(load_and_transcribe);
    RUN(truncated_is_refused);
    RUN(deterministic_per_seed);
    RUN(bad_arguments);

    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return test_summary();
}
