/* whisper_standin: write a stand-in whisper model in whisper.cpp's legacy ggml format.
 *
 *   whisper_standin --size tiny --out ggml-tiny-standin.bin [--seed N]
 *   whisper_standin --list [--size NAME]
 *
 * The file has exactly the hyper-parameters, tensor names, shapes and element types of
 * the official ggml-<size>.bin (F16 matrices, F32 vectors, conv biases and positional
 * embeddings), a real Slaney mel filterbank and a vocabulary of the official length,
 * but random weights. whisper.cpp therefore loads, allocates and computes exactly as
 * much as with the real model, while the words it prints are meaningless (by default
 * two decoder tensors are set so that it decodes confidently into timestamped
 * pseudo-words instead of retrying every window: see "the scripted decoder"). Parley's
 * tests and benchmarks use it because no real speech model can be fetched here.
 *
 * Layout (read by whisper_model_load in whisper.cpp, written by its convert-pt-to-ggml.py):
 *   u32 magic 0x67676d6c; i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head,
 *   n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype;
 *   i32 n_mel, n_fft; f32 filters[n_mel][n_fft];
 *   i32 n_tokens; n_tokens x (u32 len, bytes);
 *   tensors until EOF: i32 n_dims, name_len, ttype; i32 ne[n_dims] (ne[0] fastest);
 *   name bytes; data (ttype 0 = f32, 1 = f16).
 * All integers are little-endian, which is what whisper.cpp reads on x86 and arm64.
 *
 * Weights are deterministic: each tensor's generator is seeded from --seed and the
 * tensor's name, so the same seed always gives the same bytes. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ggml.h>

#define WS_N_AUDIO_CTX 1500 /* 30 s of 10 ms mel frames after the stride-2 conv */
#define WS_N_TEXT_CTX 448
#define WS_N_FFT_BINS 201 /* 400-point FFT at 16 kHz: n_fft/2 + 1 bins */
#define WS_SAMPLE_RATE 16000
#define WS_WEIGHT_STD 0.02f /* GPT-2 style init: keeps every activation finite in F16 */
#define WS_DEC_POS_STD 0.01f   /* --plain: a learned-embedding-like scale */
#define WS_SCRIPT_POS_STD 5.0f  /* scripted: positions dominate the decoder's residual stream */
#define WS_SCRIPT_LOGIT 22.0f   /* scripted: logit of a position's target token */
#define WS_SCRIPT_CYCLE 96      /* scripted: positions per 30 s window (<|endoftext|> last) */
#define WS_SCRIPT_SEGMENT 16    /* scripted: positions per segment (two are timestamps) */
#define WS_SCRIPT_TS_STEP 16    /* scripted: timestamp advance per position, 20 ms units */
#define WS_CHUNK 65536 /* elements generated and written per step */

enum ws_ttype { WS_F32 = 0, WS_F16 = 1 };

/* How a tensor's values are made. */
enum ws_fill {
    WS_FILL_NORMAL, /* N(0, std^2), approximately (Irwin-Hall of four uniforms) */
    WS_FILL_ONES,   /* layer-norm gains */
    WS_FILL_ZEROS,  /* biases */
    WS_FILL_SINUS,  /* the encoder's fixed sinusoidal positional embedding */
    WS_FILL_TOKEN_EMBD, /* normal, plus the scripted decoder's target rows (see ws_script) */
};

struct ws_size {
    const char *name;
    int n_vocab, n_audio_state, n_audio_head, n_audio_layer;
    int n_text_state, n_text_head, n_text_layer, n_mels;
    long long official_bytes; /* size of the official ggml-<name>.bin; 0 = not recorded */
};

/* Hyper-parameters from OpenAI's checkpoints ("dims"), as whisper.cpp logs them. */
static const struct ws_size ws_sizes[] = {
    {"tiny", 51865, 384, 6, 4, 384, 6, 4, 80, 77691713LL},
    {"tiny.en", 51864, 384, 6, 4, 384, 6, 4, 80, 0},
    {"base", 51865, 512, 8, 6, 512, 8, 6, 80, 147951465LL},
    {"base.en", 51864, 512, 8, 6, 512, 8, 6, 80, 0},
    {"small", 51865, 768, 12, 12, 768, 12, 12, 80, 487601967LL},
    {"small.en", 51864, 768, 12, 12, 768, 12, 12, 80, 0},
    {"medium", 51865, 1024, 16, 24, 1024, 16, 24, 80, 0},
    {"medium.en", 51864, 1024, 16, 24, 1024, 16, 24, 80, 0},
    {"large-v3", 51866, 1280, 20, 32, 1280, 20, 32, 128, 0},
    {"large-v3-turbo", 51866, 1280, 20, 32, 1280, 20, 4, 128, 0},
};
#define WS_N_SIZES (sizeof ws_sizes / sizeof ws_sizes[0])

struct ws_tensor {
    char name[64];
    int n_dims;
    int64_t ne[3]; /* ne[0] is the contiguous dimension, as in ggml */
    enum ws_ttype type;
    enum ws_fill fill;
    float std;
};

/* Every tensor of a model, in the order PyTorch's state_dict lists them (the order of
 * the official files; whisper.cpp itself looks tensors up by name). */
struct ws_plan {
    struct ws_tensor *t;
    int n, cap;
};

static void ws_fail_oom(void)
{
    fprintf(stderr, "whisper_standin: out of memory\n");
    exit(1);
}

static struct ws_tensor *ws_plan_add(struct ws_plan *p, enum ws_ttype type, enum ws_fill fill,
                                     int n_dims, int64_t ne0, int64_t ne1, int64_t ne2,
                                     const char *fmt, int layer)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 256;
        struct ws_tensor *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (!t)
            ws_fail_oom();
        p->t = t;
        p->cap = cap;
    }
    struct ws_tensor *t = &p->t[p->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, fmt, layer);
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->ne[2] = ne2;
    t->type = type;
    t->fill = fill;
    t->std = WS_WEIGHT_STD;
    return t;
}

/* One residual attention block. Linear layers store [out][in], so ne = {in, out}; the
 * key projection has no bias in Whisper. */
static void ws_plan_attn(struct ws_plan *p, const char *pre, int layer, int n)
{
    char f[96];
#define WS_NAME(suffix) (snprintf(f, sizeof f, "%s%s", pre, suffix), f)
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, n, n, 1, WS_NAME(".query.weight"), layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, n, 1, 1, WS_NAME(".query.bias"), layer);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, n, n, 1, WS_NAME(".key.weight"), layer);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, n, n, 1, WS_NAME(".value.weight"), layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, n, 1, 1, WS_NAME(".value.bias"), layer);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, n, n, 1, WS_NAME(".out.weight"), layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, n, 1, 1, WS_NAME(".out.bias"), layer);
#undef WS_NAME
}

static void ws_plan_ln(struct ws_plan *p, const char *fmt_w, const char *fmt_b, int layer, int n)
{
    ws_plan_add(p, WS_F32, WS_FILL_ONES, 1, n, 1, 1, fmt_w, layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, n, 1, 1, fmt_b, layer);
}

static void ws_plan_mlp(struct ws_plan *p, const char *sys, int layer, int n)
{
    char w0[64], b0[64], w2[64], b2[64];
    snprintf(w0, sizeof w0, "%s.blocks.%%d.mlp.0.weight", sys);
    snprintf(b0, sizeof b0, "%s.blocks.%%d.mlp.0.bias", sys);
    snprintf(w2, sizeof w2, "%s.blocks.%%d.mlp.2.weight", sys);
    snprintf(b2, sizeof b2, "%s.blocks.%%d.mlp.2.bias", sys);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, n, 4 * (int64_t)n, 1, w0, layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, 4 * (int64_t)n, 1, 1, b0, layer);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 2, 4 * (int64_t)n, n, 1, w2, layer);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 1, n, 1, 1, b2, layer);
}

static void ws_plan_build(struct ws_plan *p, const struct ws_size *s, bool plain)
{
    const int na = s->n_audio_state, nt = s->n_text_state;

    /* encoder: the sinusoidal embedding is a registered buffer of AudioEncoder, saved
     * before its children; conv biases are stored as [n, 1] in F32 like the converter. */
    ws_plan_add(p, WS_F32, WS_FILL_SINUS, 2, na, WS_N_AUDIO_CTX, 1, "encoder.positional_embedding", 0);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 3, 3, s->n_mels, na, "encoder.conv1.weight", 0);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 2, 1, na, 1, "encoder.conv1.bias", 0);
    ws_plan_add(p, WS_F16, WS_FILL_NORMAL, 3, 3, na, na, "encoder.conv2.weight", 0);
    ws_plan_add(p, WS_F32, WS_FILL_ZEROS, 2, 1, na, 1, "encoder.conv2.bias", 0);
    for (int i = 0; i < s->n_audio_layer; i++) {
        ws_plan_attn(p, "encoder.blocks.%d.attn", i, na);
        ws_plan_ln(p, "encoder.blocks.%d.attn_ln.weight", "encoder.blocks.%d.attn_ln.bias", i, na);
        ws_plan_mlp(p, "encoder", i, na);
        ws_plan_ln(p, "encoder.blocks.%d.mlp_ln.weight", "encoder.blocks.%d.mlp_ln.bias", i, na);
    }
    ws_plan_ln(p, "encoder.ln_post.weight", "encoder.ln_post.bias", 0, na);

    /* decoder: positional_embedding is TextDecoder's own parameter, so it precedes the
     * token embedding module in the state dict. */
    struct ws_tensor *pe = ws_plan_add(p, WS_F32, WS_FILL_NORMAL, 2, nt, WS_N_TEXT_CTX, 1,
                                       "decoder.positional_embedding", 0);
    pe->std = plain ? WS_DEC_POS_STD : WS_SCRIPT_POS_STD;
    ws_plan_add(p, WS_F16, plain ? WS_FILL_NORMAL : WS_FILL_TOKEN_EMBD, 2, nt, s->n_vocab, 1,
                "decoder.token_embedding.weight", 0);
    for (int i = 0; i < s->n_text_layer; i++) {
        ws_plan_attn(p, "decoder.blocks.%d.attn", i, nt);
        ws_plan_ln(p, "decoder.blocks.%d.attn_ln.weight", "decoder.blocks.%d.attn_ln.bias", i, nt);
        ws_plan_attn(p, "decoder.blocks.%d.cross_attn", i, nt);
        ws_plan_ln(p, "decoder.blocks.%d.cross_attn_ln.weight",
                   "decoder.blocks.%d.cross_attn_ln.bias", i, nt);
        ws_plan_mlp(p, "decoder", i, nt);
        ws_plan_ln(p, "decoder.blocks.%d.mlp_ln.weight", "decoder.blocks.%d.mlp_ln.bias", i, nt);
    }
    ws_plan_ln(p, "decoder.ln.weight", "decoder.ln.bias", 0, nt);
}

static int64_t ws_nelements(const struct ws_tensor *t)
{
    return t->ne[0] * t->ne[1] * t->ne[2];
}

static int64_t ws_tensor_file_bytes(const struct ws_tensor *t)
{
    return 12 + 4 * (int64_t)t->n_dims + (int64_t)strlen(t->name) +
           ws_nelements(t) * (t->type == WS_F16 ? 2 : 4);
}

/* ---- vocabulary ----
 * whisper.cpp reads the ordinary (byte-level BPE) tokens from the file and appends the
 * special ones itself (<|endoftext|>, <|startoftranscript|>, languages, tasks,
 * timestamps), deriving their ids from n_vocab. The official files carry the 50257
 * ordinary tokens of multilingual.tiktoken (50256 of gpt2.tiktoken for .en models), and
 * so does the stand-in, so every special id lands exactly where it does with the real
 * model. Ordinary tokens here are printable ASCII: ids 0..93 are the single characters
 * '!'..'~' (as in GPT-2's byte alphabet, so any ASCII prompt still tokenizes), id 94 is
 * a space, and the rest are distinct pseudo-words built from consonant-vowel syllables,
 * alternately with and without the leading space that starts a word in GPT-2 BPE. */
#define WS_N_CONS 20
#define WS_N_VOW 5
#define WS_N_SYL (WS_N_CONS * WS_N_VOW)
#define WS_TOKEN_MAX 16

static const char ws_cons[WS_N_CONS + 1] = "bcdfghjklmnprstvwxyz";
static const char ws_vow[WS_N_VOW + 1] = "aeiou";

/* The official multilingual vocabulary spells its 50257 tokens in 21709 more bytes
 * than the syllable scheme does; lengthening that many tokens by a final 'n' (an odd
 * length, so still unique) makes the stand-in exactly as large as the official file. */
#define WS_VOCAB_PAD_TOKENS 21709
#define WS_VOCAB_PAD_FROM (50257 - WS_VOCAB_PAD_TOKENS)

static int ws_token_text(int id, char out[WS_TOKEN_MAX])
{
    if (id < 94) {
        out[0] = (char)('!' + id);
        return 1;
    }
    if (id == 94) {
        out[0] = ' ';
        return 1;
    }
    int k = id - 95;
    int len = 0;
    if (k % 2 == 0)
        out[len++] = ' ';
    int j = k / 2;
    /* bijective numbering: 100 one-syllable words, then 10000 two-syllable, then
     * three-syllable ones, so no two ids share a spelling */
    int n_syl = 1;
    if (j >= WS_N_SYL) {
        j -= WS_N_SYL;
        n_syl = 2;
        if (j >= WS_N_SYL * WS_N_SYL) {
            j -= WS_N_SYL * WS_N_SYL;
            n_syl = 3;
        }
    }
    int syl[3];
    for (int i = n_syl - 1; i >= 0; i--) {
        syl[i] = j % WS_N_SYL;
        j /= WS_N_SYL;
    }
    for (int i = 0; i < n_syl; i++) {
        out[len++] = ws_cons[syl[i] / WS_N_VOW];
        out[len++] = ws_vow[syl[i] % WS_N_VOW];
    }
    if (id >= WS_VOCAB_PAD_FROM)
        out[len++] = 'n';
    return len;
}

static int ws_file_tokens(const struct ws_size *s)
{
    return s->n_vocab >= 51865 ? 50257 : 50256;
}

/* ---- mel filterbank ----
 * The same matrix as librosa.filters.mel(sr=16000, n_fft=400, n_mels, htk=False,
 * norm="slaney"), which is what OpenAI ships in mel_filters.npz: triangles on the Slaney
 * mel scale (linear below 1 kHz, logarithmic above), each scaled to unit area. */
static double ws_hz_to_mel(double hz)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0;
    const double min_log_mel = min_log_hz / f_sp, logstep = log(6.4) / 27.0;
    return hz < min_log_hz ? hz / f_sp : min_log_mel + log(hz / min_log_hz) / logstep;
}

static double ws_mel_to_hz(double mel)
{
    const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0;
    const double min_log_mel = min_log_hz / f_sp, logstep = log(6.4) / 27.0;
    return mel < min_log_mel ? mel * f_sp : min_log_hz * exp(logstep * (mel - min_log_mel));
}

static void ws_mel_filters(int n_mels, float *out /* [n_mels][WS_N_FFT_BINS] */)
{
    double mel_f[128 + 2];
    const double mel_max = ws_hz_to_mel(WS_SAMPLE_RATE / 2.0);
    for (int i = 0; i < n_mels + 2; i++)
        mel_f[i] = ws_mel_to_hz(mel_max * i / (n_mels + 1));
    for (int m = 0; m < n_mels; m++) {
        const double lo = mel_f[m], mid = mel_f[m + 1], hi = mel_f[m + 2];
        const double enorm = 2.0 / (hi - lo);
        for (int b = 0; b < WS_N_FFT_BINS; b++) {
            const double f = (double)b * WS_SAMPLE_RATE / 400.0;
            const double up = (f - lo) / (mid - lo), down = (hi - f) / (hi - mid);
            double w = up < down ? up : down;
            out[m * WS_N_FFT_BINS + b] = (float)(w > 0 ? w * enorm : 0.0);
        }
    }
}

/* ---- random numbers ---- */
static uint64_t ws_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Sum of four 16-bit uniforms, standardised: close to N(0,1) and bounded by +-3.5,
 * which rules out the rare huge outlier a true normal would put in an F16 matrix,
 * and costs one generator call per value (a 480 MB file is generated in seconds). */
static float ws_normal(uint64_t *state)
{
    uint64_t r = ws_splitmix(state);
    double sum = (double)(r & 0xFFFF) + (double)((r >> 16) & 0xFFFF) +
                 (double)((r >> 32) & 0xFFFF) + (double)(r >> 48);
    return (float)((sum - 2.0 * 65535.0) / (65536.0 / sqrt(3.0)));
}

static uint64_t ws_tensor_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xCBF29CE484222325ULL; /* FNV-1a */
    for (const char *c = name; *c; c++) {
        h ^= (unsigned char)*c;
        h *= 0x100000001B3ULL;
    }
    uint64_t st = h ^ seed;
    return ws_splitmix(&st);
}

/* ---- writing ---- */
struct ws_out {
    FILE *f;
    const char *path;
    bool failed;
};

static void ws_write(struct ws_out *o, const void *data, size_t n)
{
    if (o->failed)
        return;
    if (fwrite(data, 1, n, o->f) != n) {
        fprintf(stderr, "whisper_standin: writing %s: %s\n", o->path, strerror(errno));
        o->failed = true;
    }
}

static void ws_write_i32(struct ws_out *o, int32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    ws_write(o, b, 4);
}

/* ---- the scripted decoder ----
 * With purely random weights the decoder's output is nearly uniform over 51865 tokens:
 * every window "fails" whisper's log-probability test, is retried at five higher
 * temperatures with five candidates each, and runs to the token limit, so decoding
 * costs many times what a real model spends (the work per token is right, the number
 * of tokens is not). By default the stand-in therefore scripts its decoder through two
 * tensors, leaving every shape and every other weight as it was:
 *   - decoder.positional_embedding gets a large scale, so after any layer norm the
 *     residual stream at position p points along row p (the attention and MLP blocks
 *     add comparatively little);
 *   - the token-embedding row of a position's "target" token is set to that row,
 *     normalised, so the output projection (tied to the token embedding) gives the
 *     target a logit of about WS_SCRIPT_LOGIT and a probability near 1.
 * Targets (logits at position p predict token p+1; r = p % WS_SCRIPT_CYCLE):
 *   p = 0      <|en|>, so language detection answers English and the no-speech
 *              probability stays near 0 (multilingual sizes);
 *   r = 2      <|0.00|>, the window's first timestamp (after sot, language, task);
 *   r = 18+16k a segment's closing timestamp, r = 19+16k the next one's opening;
 *   r = 94     the closing timestamp of the last segment, r = 95 <|endoftext|>;
 *   otherwise  distinct space-led pseudo-words.
 * Timestamp targets advance by WS_SCRIPT_TS_STEP (0.32 s) per position, so a 30 s
 * window decodes confidently, once, into six segments and about 80 words, and the
 * next window starts where the last timestamp (29.44 s) says, as with real speech
 * (about 3 tokens per second). Which words and times come out depends only
 * on the position, not on the audio. --plain writes the unscripted weights. */
struct ws_script {
    int n_state;
    float gain;         /* WS_SCRIPT_LOGIT / n_state */
    int32_t *row_of;    /* n_vocab: index into rows, or -1 for an ordinary random row */
    float *rows;        /* n_targets x n_state: the replacement embedding rows */
    int n_targets;
};

static void ws_script_free(struct ws_script *sc)
{
    free(sc->row_of);
    free(sc->rows);
}

/* Add the normalised positional row pos to token tok's replacement row. */
static void ws_script_target(struct ws_script *sc, const float *u, int tok, int pos)
{
    if (sc->row_of[tok] < 0) {
        sc->row_of[tok] = sc->n_targets++;
        memset(&sc->rows[(size_t)sc->row_of[tok] * sc->n_state], 0, (size_t)sc->n_state * sizeof(float));
    }
    float *row = &sc->rows[(size_t)sc->row_of[tok] * sc->n_state];
    for (int c = 0; c < sc->n_state; c++)
        row[c] += sc->gain * u[(size_t)pos * sc->n_state + c];
}

static void ws_script_init(struct ws_script *sc, const struct ws_size *s, uint64_t seed)
{
    const int n = s->n_text_state;
    sc->n_state = n;
    sc->gain = WS_SCRIPT_LOGIT / (float)n;
    sc->n_targets = 0;
    sc->row_of = malloc((size_t)s->n_vocab * sizeof *sc->row_of);
    sc->rows = malloc((size_t)WS_N_TEXT_CTX * n * sizeof *sc->rows);
    float *u = malloc((size_t)WS_N_TEXT_CTX * n * sizeof *u);
    if (!sc->row_of || !sc->rows || !u)
        ws_fail_oom();
    for (int i = 0; i < s->n_vocab; i++)
        sc->row_of[i] = -1;

    /* the positional rows exactly as ws_write_tensor writes them, then layer-normed */
    uint64_t rng = ws_tensor_seed(seed, "decoder.positional_embedding");
    for (size_t i = 0; i < (size_t)WS_N_TEXT_CTX * n; i++)
        u[i] = ws_normal(&rng) * WS_SCRIPT_POS_STD;
    for (int p = 0; p < WS_N_TEXT_CTX; p++) {
        float *r = &u[(size_t)p * n];
        double mean = 0, var = 0;
        for (int c = 0; c < n; c++)
            mean += r[c];
        mean /= n;
        for (int c = 0; c < n; c++)
            var += (r[c] - mean) * (r[c] - mean);
        const double inv = 1.0 / sqrt(var / n + 1e-5);
        for (int c = 0; c < n; c++)
            r[c] = (float)((r[c] - mean) * inv);
    }

    const bool multilingual = s->n_vocab >= 51865;
    const int eot = multilingual ? 50257 : 50256, sot = eot + 1;
    const int beg = s->n_vocab - 1501; /* <|0.00|>; 1501 timestamps end the vocabulary */
    if (multilingual)
        ws_script_target(sc, u, sot + 1 /* <|en|> */, 0);
    const int n_words = (ws_file_tokens(s) - 95) / 2; /* space-led pseudo-words */
    for (int p = 2; p < WS_N_TEXT_CTX; p++) {
        const int r = p % WS_SCRIPT_CYCLE;
        const int ts = beg + (r >= 2 ? (r - 2) * WS_SCRIPT_TS_STEP : 0);
        if (r == WS_SCRIPT_CYCLE - 1)
            ws_script_target(sc, u, eot, p);
        else if (r == 2 || r == WS_SCRIPT_CYCLE - 2 ||
                 (r >= 2 + WS_SCRIPT_SEGMENT && (r - 2) % WS_SCRIPT_SEGMENT < 2))
            ws_script_target(sc, u, ts, p); /* segment start/end timestamps */
        else if (p >= 3) {
            /* 7919 is prime and does not divide n_words, so p -> j is one-to-one */
            const int j = (int)(((uint64_t)p * 7919u + seed % (uint64_t)n_words) % (uint64_t)n_words);
            ws_script_target(sc, u, 95 + 2 * j, p);
        }
    }
    free(u);
}

static void ws_write_tensor(struct ws_out *o, const struct ws_tensor *t, uint64_t seed,
                            const struct ws_script *sc, float *fbuf, ggml_fp16_t *hbuf)
{
    ws_write_i32(o, t->n_dims);
    ws_write_i32(o, (int32_t)strlen(t->name));
    ws_write_i32(o, t->type);
    for (int d = 0; d < t->n_dims; d++)
        ws_write_i32(o, (int32_t)t->ne[d]);
    ws_write(o, t->name, strlen(t->name));

    uint64_t rng = ws_tensor_seed(seed, t->name);
    const int64_t n = ws_nelements(t);
    for (int64_t at = 0; at < n && !o->failed; at += WS_CHUNK) {
        const int64_t m = n - at < WS_CHUNK ? n - at : WS_CHUNK;
        for (int64_t i = 0; i < m; i++) {
            switch (t->fill) {
            case WS_FILL_NORMAL:
                fbuf[i] = ws_normal(&rng) * t->std;
                break;
            case WS_FILL_TOKEN_EMBD: {
                fbuf[i] = ws_normal(&rng) * t->std;
                const int64_t idx = at + i, tok = idx / t->ne[0];
                if (sc && sc->row_of[tok] >= 0)
                    fbuf[i] = sc->rows[(size_t)sc->row_of[tok] * sc->n_state + (size_t)(idx % t->ne[0])];
                break;
            }
            case WS_FILL_ONES:
                fbuf[i] = 1.0f;
                break;
            case WS_FILL_ZEROS:
                fbuf[i] = 0.0f;
                break;
            case WS_FILL_SINUS: {
                /* whisper's sinusoids(): row = position, first half sin, second cos,
                 * timescales from 1 to 10000 */
                const int64_t idx = at + i, c = idx % t->ne[0], pos = idx / t->ne[0];
                const int64_t half = t->ne[0] / 2;
                const double inc = log(10000.0) / (double)(half - 1);
                const double inv = exp(-inc * (double)(c % half));
                fbuf[i] = (float)(c < half ? sin((double)pos * inv) : cos((double)pos * inv));
                break;
            }
            }
        }
        if (t->type == WS_F16) {
            ggml_fp32_to_fp16_row(fbuf, hbuf, m);
            ws_write(o, hbuf, (size_t)m * sizeof *hbuf);
        } else {
            ws_write(o, fbuf, (size_t)m * sizeof *fbuf);
        }
    }
}

static int64_t ws_vocab_bytes(const struct ws_size *s)
{
    char tok[WS_TOKEN_MAX];
    int64_t bytes = 4;
    for (int i = 0; i < ws_file_tokens(s); i++)
        bytes += 4 + ws_token_text(i, tok);
    return bytes;
}

static int64_t ws_expected_bytes(const struct ws_size *s, const struct ws_plan *p)
{
    int64_t bytes = 4 + 11 * 4 + 8 + (int64_t)s->n_mels * WS_N_FFT_BINS * 4 + ws_vocab_bytes(s);
    for (int i = 0; i < p->n; i++)
        bytes += ws_tensor_file_bytes(&p->t[i]);
    return bytes;
}

static int ws_generate(const struct ws_size *s, const char *path, uint64_t seed, bool plain)
{
    struct ws_plan plan = {0};
    ws_plan_build(&plan, s, plain);
    struct ws_script script = {0};
    if (!plain)
        ws_script_init(&script, s, seed);

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "whisper_standin: output path too long\n");
        free(plan.t);
        return 1;
    }
    int rc = 1;
    float *fbuf = malloc(WS_CHUNK * sizeof *fbuf);
    ggml_fp16_t *hbuf = malloc(WS_CHUNK * sizeof *hbuf);
    float *filters = malloc((size_t)s->n_mels * WS_N_FFT_BINS * sizeof *filters);
    struct ws_out o = {.f = NULL, .path = tmp, .failed = false};
    if (!fbuf || !hbuf || !filters)
        ws_fail_oom();

    o.f = fopen(tmp, "wb");
    if (!o.f) {
        fprintf(stderr, "whisper_standin: cannot create %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    setvbuf(o.f, NULL, _IOFBF, 1 << 22);

    ws_write_i32(&o, 0x67676d6c); /* "ggml" */
    const int32_t hp[11] = {s->n_vocab,      WS_N_AUDIO_CTX,   s->n_audio_state,
                            s->n_audio_head, s->n_audio_layer, WS_N_TEXT_CTX,
                            s->n_text_state, s->n_text_head,   s->n_text_layer,
                            s->n_mels,       1 /* ftype: mostly F16 */};
    for (int i = 0; i < 11; i++)
        ws_write_i32(&o, hp[i]);

    ws_write_i32(&o, s->n_mels);
    ws_write_i32(&o, WS_N_FFT_BINS);
    ws_mel_filters(s->n_mels, filters);
    ws_write(&o, filters, (size_t)s->n_mels * WS_N_FFT_BINS * sizeof *filters);

    ws_write_i32(&o, ws_file_tokens(s));
    for (int i = 0; i < ws_file_tokens(s); i++) {
        char tok[WS_TOKEN_MAX];
        int len = ws_token_text(i, tok);
        ws_write_i32(&o, len);
        ws_write(&o, tok, (size_t)len);
    }

    for (int i = 0; i < plan.n && !o.failed; i++)
        ws_write_tensor(&o, &plan.t[i], seed, plain ? NULL : &script, fbuf, hbuf);

    if (o.failed)
        goto out;
    if (fflush(o.f) != 0 || fsync(fileno(o.f)) != 0) {
        fprintf(stderr, "whisper_standin: writing %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    if (fclose(o.f) != 0) {
        o.f = NULL;
        fprintf(stderr, "whisper_standin: closing %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    o.f = NULL;
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "whisper_standin: cannot rename %s to %s: %s\n", tmp, path,
                strerror(errno));
        goto out;
    }

    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "whisper_standin: cannot stat %s: %s\n", path, strerror(errno));
        goto out;
    }
    if ((int64_t)st.st_size != ws_expected_bytes(s, &plan)) {
        fprintf(stderr, "whisper_standin: %s has %lld bytes, expected %lld\n", path,
                (long long)st.st_size, (long long)ws_expected_bytes(s, &plan));
        goto out;
    }
    printf("wrote %s: %lld bytes, %d tensors (whisper %s stand-in, seed %" PRIu64 ", %s)\n",
           path, (long long)st.st_size, plan.n, s->name, seed,
           plain ? "plain random decoder" : "scripted decoder");
    if (s->official_bytes)
        printf("official ggml-%s.bin: %lld bytes (%+.3f%%)\n", s->name, s->official_bytes,
               100.0 * ((double)st.st_size - (double)s->official_bytes) / (double)s->official_bytes);
    rc = 0;
out:
    if (o.f)
        fclose(o.f);
    if (rc != 0)
        unlink(tmp);
    free(fbuf);
    free(hbuf);
    free(filters);
    free(plan.t);
    ws_script_free(&script);
    return rc;
}

static void ws_list(const struct ws_size *only)
{
    if (!only) {
        printf("%-15s %7s %5s %15s %15s %8s %14s %14s\n", "size", "n_vocab", "mels",
               "audio st/hd/ly", "text st/hd/ly", "tensors", "bytes", "official");
    }
    for (size_t i = 0; i < WS_N_SIZES; i++) {
        const struct ws_size *s = &ws_sizes[i];
        if (only && only != s)
            continue;
        struct ws_plan plan = {0};
        ws_plan_build(&plan, s, false);
        if (!only) {
            char a[32], t[32], off[32] = "-";
            snprintf(a, sizeof a, "%d/%d/%d", s->n_audio_state, s->n_audio_head, s->n_audio_layer);
            snprintf(t, sizeof t, "%d/%d/%d", s->n_text_state, s->n_text_head, s->n_text_layer);
            if (s->official_bytes)
                snprintf(off, sizeof off, "%lld", s->official_bytes);
            printf("%-15s %7d %5d %15s %15s %8d %14lld %14s\n", s->name, s->n_vocab, s->n_mels, a,
                   t, plan.n, (long long)ws_expected_bytes(s, &plan), off);
        } else {
            printf("# whisper %s: n_vocab %d, n_audio_ctx %d, n_text_ctx %d, n_mels %d, "
                   "%d tensors, %lld bytes\n",
                   s->name, s->n_vocab, WS_N_AUDIO_CTX, WS_N_TEXT_CTX, s->n_mels, plan.n,
                   (long long)ws_expected_bytes(s, &plan));
            for (int k = 0; k < plan.n; k++) {
                const struct ws_tensor *t = &plan.t[k];
                char shape[64];
                if (t->n_dims == 1)
                    snprintf(shape, sizeof shape, "[%" PRId64 "]", t->ne[0]);
                else if (t->n_dims == 2)
                    snprintf(shape, sizeof shape, "[%" PRId64 ", %" PRId64 "]", t->ne[0], t->ne[1]);
                else
                    snprintf(shape, sizeof shape, "[%" PRId64 ", %" PRId64 ", %" PRId64 "]",
                             t->ne[0], t->ne[1], t->ne[2]);
                printf("%-44s %-20s %s\n", t->name, shape, t->type == WS_F16 ? "f16" : "f32");
            }
        }
        free(plan.t);
    }
}

static void ws_usage(FILE *f)
{
    fprintf(f, "usage: whisper_standin --size NAME --out FILE [--seed N] [--plain]\n"
               "       whisper_standin --list [--size NAME]\n"
               "Writes a whisper.cpp ggml model with the real shapes of NAME and random weights.\n"
               "--plain leaves the decoder unscripted (near-uniform output, many fallbacks).\n"
               "sizes:");
    for (size_t i = 0; i < WS_N_SIZES; i++)
        fprintf(f, " %s", ws_sizes[i].name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    const char *size_name = NULL, *out = NULL, *seed_str = NULL;
    bool list = false, plain = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            ws_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            list = true;
        } else if (!strcmp(a, "--plain")) {
            plain = true;
        } else if (!strcmp(a, "--size") || !strcmp(a, "--out") || !strcmp(a, "--seed")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "whisper_standin: %s needs a value\n", a);
                return 2;
            }
            const char **dst = !strcmp(a, "--size") ? &size_name : !strcmp(a, "--out") ? &out : &seed_str;
            if (*dst) {
                fprintf(stderr, "whisper_standin: %s given twice\n", a);
                return 2;
            }
            *dst = argv[++i];
        } else {
            fprintf(stderr, "whisper_standin: unknown argument '%s'\n", a);
            ws_usage(stderr);
            return 2;
        }
    }

    const struct ws_size *size = NULL;
    if (size_name) {
        for (size_t i = 0; i < WS_N_SIZES; i++)
            if (!strcmp(ws_sizes[i].name, size_name))
                size = &ws_sizes[i];
        if (!size) {
            fprintf(stderr, "whisper_standin: unknown size '%s'\n", size_name);
            ws_usage(stderr);
            return 2;
        }
    }
    if (list) {
        if (out || seed_str || plain) {
            fprintf(stderr, "whisper_standin: --list takes only --size\n");
            return 2;
        }
        ws_list(size);
        return 0;
    }
    if (!size || !out || !*out) {
        fprintf(stderr, "whisper_standin: --size and --out are required\n");
        ws_usage(stderr);
        return 2;
    }

    uint64_t seed = 0;
    if (seed_str) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(seed_str, &end, 10);
        if (errno || end == seed_str || *end || seed_str[0] == '-') {
            fprintf(stderr, "whisper_standin: --seed wants a non-negative integer, got '%s'\n",
                    seed_str);
            return 2;
        }
        seed = v;
    }
    return ws_generate(size, out, seed, plain);
}
