/* check.c: walks whisper.cpp model files (speech and Silero VAD) before whisper.cpp loads
 * them. Every size read from a file is checked for overflow before use. */
#define _FILE_OFFSET_BITS 64
#include "asr/check.h"

#include "core/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ggml.h>

static bool read_i32(FILE *f, int32_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

static parley_status open_model(const char *path, const char *what, FILE **out, off_t *size)
{
    *out = NULL;
    if (strlen(path) >= PATH_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "%s path too long (%zu characters; the limit is %d)", what,
                           strlen(path), PATH_MAX - 1);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENAMETOOLONG)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "%s path too long: %.200s...", what, path);
        return parley_fail(parley_status_from_errno(e), "%s %s: %s", what, path, strerror(e));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "%s %s is not a regular file", what, path);
    }
    *size = sb.st_size;
    *out = f;
    return PARLEY_OK;
}

/* Reads one tensor header and skips its data. Returns false when the file ends inside
 * it or a value is out of range (n_dims in [min_dims, 4], positive extents, no overflow). */
static bool skip_tensor(FILE *f, off_t size, int min_dims, bool *eof)
{
    int32_t hdr[3]; /* n_dims, name length, type */
    size_t r = fread(hdr, sizeof hdr[0], 3, f);
    *eof = false;
    if (r == 0 && feof(f)) {
        *eof = true;
        return true;
    }
    if (r != 3 || hdr[0] < min_dims || hdr[0] > 4 || hdr[1] <= 0 || hdr[1] > 256 || hdr[2] < 0 ||
        hdr[2] >= GGML_TYPE_COUNT || ggml_blck_size((enum ggml_type)hdr[2]) <= 0 ||
        ggml_type_size((enum ggml_type)hdr[2]) == 0)
        return false;
    int64_t nel = 1;
    for (int d = 0; d < hdr[0]; d++) {
        int32_t ne;
        if (!read_i32(f, &ne) || ne <= 0 || __builtin_mul_overflow(nel, (int64_t)ne, &nel))
            return false;
    }
    int64_t bytes;
    if (__builtin_mul_overflow(nel / ggml_blck_size((enum ggml_type)hdr[2]),
                               (int64_t)ggml_type_size((enum ggml_type)hdr[2]), &bytes))
        return false;
    if (fseeko(f, hdr[1], SEEK_CUR) != 0)
        return false;
    off_t pos = ftello(f), end;
    if (pos < 0 || __builtin_add_overflow((int64_t)pos, bytes, &end) || end > size)
        return false;
    return fseeko(f, (off_t)bytes, SEEK_CUR) == 0;
}

parley_status parley_check_whisper_file(const char *path)
{
    FILE *f;
    off_t size = 0;
    parley_status st = open_model(path, "speech model", &f, &size);
    if (st)
        return st;
    unsigned char m[4] = {0};
    size_t got = fread(m, 1, 4, f);
    int32_t hp[11], n_mel = 0, n_fft = 0, n_vocab = 0;
    long n_tensors = 0;
    if (got < 4 || size < 1024) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "speech model %s is empty or truncated (%lld bytes)", path,
                         (long long)size);
        goto out;
    }
    if (memcmp(m, "GGUF", 4) == 0) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a GGUF language model, not a whisper speech model", path);
        goto out;
    }
    if (memcmp(m, "lmgg", 4) != 0) { /* 0x67676d6c little-endian */
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s is not a whisper.cpp model (bad magic)", path);
        goto out;
    }
    if (fread(hp, sizeof hp[0], 11, f) != 11 || !read_i32(f, &n_mel) || !read_i32(f, &n_fft))
        goto truncated;
    /* hp: n_vocab, audio ctx/state/head/layer, text ctx/state/head/layer, n_mels, ftype */
    if (hp[0] <= 0 || hp[4] <= 0 || hp[4] > 256 || hp[8] <= 0 || hp[8] > 256 || n_mel <= 0 || n_mel > 1024 ||
        n_fft <= 0 || n_fft > 4096) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH,
                         "%s is not a whisper speech model (a Silero VAD model, or another network?)", path);
        goto out;
    }
    /* n_mel <= 1024 and n_fft <= 4096 keep this within 2^24: no overflow */
    if (fseeko(f, (off_t)n_mel * n_fft * 4, SEEK_CUR) != 0 || !read_i32(f, &n_vocab) || n_vocab < 0 ||
        n_vocab > 1000000)
        goto truncated;
    for (int32_t i = 0; i < n_vocab; i++) {
        uint32_t len;
        if (fread(&len, sizeof len, 1, f) != 1 || len > 4096 || fseeko(f, (off_t)len, SEEK_CUR) != 0)
            goto truncated;
    }
    if (ftello(f) > size)
        goto truncated;
    for (;;) {
        bool eof;
        if (!skip_tensor(f, size, 1, &eof))
            goto truncated;
        if (eof)
            break;
        n_tensors++;
    }
    /* Encoder: conv1/2 (4), positional embedding, final norm (2) = 7, and 15 per layer;
     * decoder: positional + token embedding, final norm (2) = 4, and 24 per layer. */
    long want = 7 + 15L * hp[4] + 4 + 24L * hp[8];
    if (n_tensors != want) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "speech model %s is truncated or damaged: %ld of the %ld tensors its header implies "
                         "are present (%lld bytes)",
                         path, n_tensors, want, (long long)size);
        goto out;
    }
    goto out;
truncated:
    st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                     "speech model %s is truncated or damaged: it ends inside its %s (%lld bytes, %ld tensors read)",
                     path, n_tensors ? "tensor data" : "header", (long long)size, n_tensors);
out:
    fclose(f);
    return st;
}

parley_status parley_check_vad_file(const char *path)
{
    FILE *f;
    off_t size = 0;
    parley_status st = open_model(path, "VAD model", &f, &size);
    if (st)
        return st;
    unsigned char m[4] = {0};
    int32_t len = 0;
    char type[65] = "";
    int32_t v[5], n_layers = 0;
    long n_tensors = 0;
    if (fread(m, 1, 4, f) != 4 || size < 64) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "VAD model %s is empty or truncated (%lld bytes)", path,
                         (long long)size);
        goto out;
    }
    if (memcmp(m, "GGUF", 4) == 0) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a GGUF language model, not a Silero VAD model", path);
        goto out;
    }
    if (memcmp(m, "lmgg", 4) != 0) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s is not a whisper.cpp VAD model (bad magic)", path);
        goto out;
    }
    /* A whisper speech model has the same magic; its first field is n_vocab (~51865),
     * where a VAD model has the length of its type name. */
    if (!read_i32(f, &len))
        goto truncated;
    if (len <= 0 || len > 64) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH,
                         "%s is not a Silero VAD model (a whisper speech model? pass that with --model)", path);
        goto out;
    }
    if (fread(type, 1, (size_t)len, f) != (size_t)len)
        goto truncated;
    type[len] = '\0';
    if (!strstr(type, "silero")) {
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a '%.64s' model, not a Silero VAD model", path, type);
        goto out;
    }
    /* version (3), window, context, encoder layers */
    if (fread(v, sizeof v[0], 5, f) != 5 || !read_i32(f, &n_layers))
        goto truncated;
    if (v[3] <= 0 || v[3] > 16384 || v[4] < 0 || v[4] > 16384 || n_layers != 4) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "VAD model %s is damaged or of an unsupported layout (window %d, %d encoder layers; "
                         "expected 4)",
                         path, v[3], n_layers);
        goto out;
    }
    for (int i = 0; i < n_layers * 3 + 4; i++) {
        int32_t x;
        if (!read_i32(f, &x))
            goto truncated;
        if (x <= 0 || x > 65536) {
            st = parley_fail(PARLEY_ERR_MODEL_LOAD, "VAD model %s is damaged (a layer size of %d)", path, x);
            goto out;
        }
    }
    for (;;) {
        bool eof;
        if (!skip_tensor(f, size, 0, &eof))
            goto truncated;
        if (eof)
            break;
        n_tensors++;
    }
    /* STFT basis, weight and bias of each encoder layer, 4 LSTM, final conv weight and bias */
    if (n_tensors != n_layers * 2 + 7) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "VAD model %s is truncated or damaged: %ld of its %d tensors", path,
                         n_tensors, n_layers * 2 + 7);
        goto out;
    }
    goto out;
truncated:
    st = parley_fail(PARLEY_ERR_MODEL_LOAD, "VAD model %s is truncated or damaged (%lld bytes, %ld tensors read)",
                     path, (long long)size, n_tensors);
out:
    fclose(f);
    return st;
}
