/* test_asr_check: model files and inputs checked before whisper.cpp sees them.
 * - crafted whisper headers whose sizes overflow 64-bit arithmetic (UBSan flagged
 *   `nel *= ne` in the old check) are refused as damaged, not computed with;
 * - the VAD model gets the same header walk (magic, "silero", layer count) as the
 *   speech model: a whisper model, a GGUF, a cut file and a crafted 2-layer header
 *   (whisper.cpp's loader reads 4 layers' sizes whatever the header says) are refused;
 * - a language code is checked before whisper's lookup (a 1000-character code crashed it);
 * - a path longer than PATH_MAX says so. */
#include <parley/asr.h>
#include <parley/vad.h>

#include "asr/check.h"
#include "test.h"

#include <limits.h>
#include <stdint.h>

static char g_dir[4096];

static void put_i32(FILE *f, int32_t v) { fwrite(&v, 4, 1, f); }

/* The header of a whisper file with 1 audio and 1 text layer, tiny mel, empty vocab. */
static void put_header(FILE *f)
{
    fwrite("lmgg", 1, 4, f);
    int32_t hp[11] = {51865, 1500, 384, 6, 1, 448, 384, 6, 1, 80, 1};
    fwrite(hp, 4, 11, f);
    put_i32(f, 1); /* n_mel */
    put_i32(f, 1); /* n_fft */
    put_i32(f, 0); /* filter */
    put_i32(f, 0); /* n_vocab */
}

/* A whisper header with 1 audio and 1 text layer, tiny mel, empty vocab, then one tensor
 * header with the given dims. */
static void write_whisper(const char *path, int n_dims, const int32_t *ne)
{
    FILE *f = fopen(path, "wb");
    put_header(f);
    put_i32(f, n_dims);
    put_i32(f, 4);
    put_i32(f, 1); /* F16 */
    for (int i = 0; i < n_dims; i++)
        put_i32(f, ne[i]);
    fwrite("abcd", 1, 4, f);
    char pad[2048] = {0};
    fwrite(pad, 1, sizeof pad, f);
    fclose(f);
}

TEST(whisper_sizes_that_overflow)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/overflow.bin", g_dir);
    int32_t ne[4] = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX};
    write_whisper(p, 4, ne);
    ASSERT_STATUS(parley_check_whisper_file(p), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated or damaged");
    int32_t ne2[3] = {INT32_MAX, INT32_MAX, 3};
    write_whisper(p, 3, ne2);
    ASSERT_STATUS(parley_check_whisper_file(p), PARLEY_ERR_MODEL_LOAD);
}

/* A whole, valid-looking whisper file (1 audio + 1 text layer: 50 tensors) whose first
 * tensor is 65536^4 elements: that product is 2^64, which a 64-bit multiplication that
 * wraps takes for 0 bytes, so the file would pass as complete. It must be refused. */
TEST(whisper_sizes_that_wrap_to_zero_are_refused)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/wrap.bin", g_dir);
    FILE *f = fopen(p, "wb");
    ASSERT(f);
    put_header(f);
    for (int t = 0; t < 7 + 15 + 4 + 24; t++) {
        int n_dims = t == 0 ? 4 : 1;
        put_i32(f, n_dims);
        put_i32(f, 4);
        put_i32(f, 1); /* F16 */
        for (int i = 0; i < n_dims; i++)
            put_i32(f, t == 0 ? 65536 : 1);
        fwrite("abcd", 1, 4, f);
        if (t > 0)
            fwrite("\0\0", 1, 2, f); /* one F16 element */
    }
    ASSERT(ftell(f) > 1024); /* the check wants at least 1 KiB */
    fclose(f);
    ASSERT_STATUS(parley_check_whisper_file(p), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated or damaged");
    ASSERT_CONTAINS(parley_last_error(), ", 0 tensors read");
}

static void copy_prefix(const char *from, const char *to, long n)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[65536];
    size_t k;
    long left = n;
    while (a && b && left > 0 && (k = fread(buf, 1, (size_t)(left < (long)sizeof buf ? left : (long)sizeof buf), a)) > 0) {
        fwrite(buf, 1, k, b);
        left -= (long)k;
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

TEST(vad_file_checks)
{
    const char *found = test_shared_model("ggml-silero-v6.2.0.bin");
    if (!found)
        SKIP("needs ggml-silero-v6.2.0.bin");
    char vad[4096]; /* test_shared_model's buffer is reused by the next call */
    snprintf(vad, sizeof vad, "%s", found);
    ASSERT_OK(parley_vad_check_model(vad));
    char p[4200];
    /* a whisper model (same magic) */
    snprintf(p, sizeof p, "%s/whisper.bin", g_dir);
    int32_t ne[2] = {4, 4};
    write_whisper(p, 2, ne);
    ASSERT_STATUS(parley_vad_check_model(p), PARLEY_ERR_MODEL_ARCH);
    ASSERT_CONTAINS(parley_last_error(), "not a Silero VAD model");
    /* a GGUF */
    const char *gguf = test_shared_model("stories260K.gguf");
    if (gguf)
        ASSERT_STATUS(parley_vad_check_model(gguf), PARLEY_ERR_MODEL_ARCH);
    /* cut anywhere */
    long cuts[] = {10, 40, 100, 5000, 400000, 885000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        snprintf(p, sizeof p, "%s/cut.bin", g_dir);
        copy_prefix(vad, p, cuts[i]);
        parley_status st = parley_vad_check_model(p);
        ASSERT_MSG(st == PARLEY_ERR_MODEL_LOAD, "cut at %ld: %s (%s)", cuts[i], parley_strerror(st), parley_last_error());
    }
    /* a header that claims 2 encoder layers */
    snprintf(p, sizeof p, "%s/layers.bin", g_dir);
    FILE *f = fopen(p, "wb");
    fwrite("lmgg", 1, 4, f);
    put_i32(f, 10);
    fwrite("silero-16k", 1, 10, f);
    int32_t v[6] = {6, 2, 0, 512, 64, 2};
    fwrite(v, 4, 6, f);
    char pad[4096] = {0};
    fwrite(pad, 1, sizeof pad, f);
    fclose(f);
    ASSERT_STATUS(parley_vad_check_model(p), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "encoder layers");
    /* missing, too long */
    snprintf(p, sizeof p, "%s/none.bin", g_dir);
    ASSERT_STATUS(parley_vad_check_model(p), PARLEY_ERR_NOT_FOUND);
    static char lng[5001];
    memset(lng, 'a', 5000);
    ASSERT_STATUS(parley_vad_check_model(lng), PARLEY_ERR_TOO_LARGE);
    ASSERT_CONTAINS(parley_last_error(), "path too long");
    char out[PATH_MAX];
    ASSERT_STATUS(parley_model_find("vad", lng, out, sizeof out), PARLEY_ERR_TOO_LARGE);
    ASSERT_CONTAINS(parley_last_error(), "path too long");
}

/* The automatic choice finds an English-only model when it is the only one (the lookup
 * knew only base.en and tiny.en, so a lone small.en was "no speech model found"). */
TEST(english_only_model_is_found_automatically)
{
    char dir[4200], p[4300], cmd[9000], out[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/enmodels", g_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ASSERT(system(cmd) == 0);
    snprintf(p, sizeof p, "%s/ggml-small.en.bin", dir);
    FILE *f = fopen(p, "wb");
    ASSERT(f);
    fwrite("lmgg", 1, 4, f);
    fclose(f);
    setenv("PARLEY_MODELS_DIR", dir, 1);
    unsetenv("PARLEY_MODEL_PATH");
    ASSERT_OK(parley_model_find("whisper", NULL, out, sizeof out));
    ASSERT_CONTAINS(out, "ggml-small.en.bin");
    unsetenv("PARLEY_MODELS_DIR");
}

TEST(language_codes)
{
    ASSERT_OK(parley_asr_check_language_code(NULL));
    ASSERT_OK(parley_asr_check_language_code("auto"));
    ASSERT_OK(parley_asr_check_language_code("en"));
    ASSERT_OK(parley_asr_check_language_code("de"));
    ASSERT_STATUS(parley_asr_check_language_code("xx"), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_asr_check_language_code("e"), PARLEY_ERR_INVALID_ARG);
    static char lng[1200];
    memset(lng, 'x', sizeof lng - 1);
    ASSERT_STATUS(parley_asr_check_language_code(lng), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "unknown language");
    ASSERT(strlen(parley_last_error()) < 200);
}

int main(void)
{
    parley_init();
    const char *d = test_tmpdir("asr_check");
    if (!d)
        return 1;
    snprintf(g_dir, sizeof g_dir, "%s", d);
    RUN(whisper_sizes_that_overflow);
    RUN(whisper_sizes_that_wrap_to_zero_are_refused);
    RUN(vad_file_checks);
    RUN(language_codes);
    RUN(english_only_model_is_found_automatically);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return test_summary();
}
