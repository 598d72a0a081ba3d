/* parakeet_standin: write a stand-in NVIDIA Parakeet TDT 0.6B model in the ggml format
 * that whisper.cpp's parakeet library (libparakeet, parakeet-cli) reads.
 *
 *   parakeet_standin --size v3 --out ggml-parakeet-tdt-0.6b-v3-standin.bin [--seed N] [--plain]
 *   parakeet_standin --list [--size NAME]
 *
 * Sizes: v3 (parakeet-tdt-0.6b-v3, 25 European languages, 8192 SentencePiece pieces) and
 * v2 (parakeet-tdt-0.6b-v2, English, 1024 pieces). The file has the hyper-parameters,
 * tensor names, shapes and element types that models/convert-parakeet-to-ggml.py writes
 * for the NeMo checkpoints (F16 matrices; F32 for 1-D tensors, biases, norms, the 4-D
 * pre-encoder convolutions and the depthwise convolution), the real NeMo front end (a
 * Slaney mel filterbank for a 512-point FFT and a 400-sample Hann window), the TDT
 * durations 0..4 and a vocabulary of the official length, but random weights. The
 * library therefore loads, allocates and computes exactly as much as with the real
 * model; the words it prints are meaningless.
 *
 * Layout (read by parakeet_model_load in whisper.cpp's src/parakeet.cpp):
 *   u32 magic 0x67676d6c; i32 n_vocab, n_audio_ctx (5000), n_audio_state, n_audio_head,
 *   n_audio_layer, n_mels, ftype, n_fft, subsampling_factor, n_subsampling_channels,
 *   n_conv_kernel, n_pred_dim, n_pred_layers, n_tdt_durations, n_max_tokens;
 *   i32 n_mel, n_fb; f32 filters[n_mel][n_fb]; i32 n_window; f32 window[n_window];
 *   u32 durations[n_tdt_durations]; i32 n_tokens; n_tokens x (i32 len, bytes);
 *   tensors until EOF: i32 n_dims, name_len, ttype; i32 ne[n_dims]; name; data.
 *
 * Weights are deterministic: each tensor's generator is seeded from --seed and its name.
 * The file is written to FILE.tmp.<pid>, fsynced, checked against the planned size and
 * renamed into place; on failure nothing is left at FILE. Exit: 0 ok, 1 I/O, 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ggml.h>

#define PS_MAGIC 0x67676d6cu
#define PS_N_AUDIO_CTX 5000
#define PS_STATE 1024
#define PS_HEADS 8
#define PS_LAYERS 24
#define PS_MELS 128
#define PS_N_FFT 512
#define PS_N_FB (PS_N_FFT / 2 + 1)
#define PS_WINDOW 400 /* 25 ms at 16 kHz */
#define PS_SUBSAMPLING 8
#define PS_SUB_CHANNELS 256
#define PS_CONV_KERNEL 9
#define PS_PRED_DIM 640
#define PS_PRED_LAYERS 2
#define PS_DURATIONS 5
#define PS_MAX_TOKENS 10
#define PS_RATE 16000
#define PS_STD 0.02f
#define PS_CHUNK 65536

enum ps_type { PS_F32 = 0, PS_F16 = 1 };
enum ps_fill { PS_NORMAL, PS_ONES, PS_ZEROS, PS_JOINT_BIAS };

struct ps_size {
    const char *name;
    const char *hf;     /* the NeMo checkpoint converted */
    int n_vocab;
    long long official; /* bytes of the published F16 file; 0 = not known to the byte */
    const char *official_note;
};

/* v3: ggml-org/parakeet-GGUF ggml-parakeet-tdt-0.6b-v3-f16.bin (revision 35156454),
 * 1,255,897,319 bytes. v2: no ggml-org upload; the third-party conversion
 * ggml-parakeet-tdt-0.6b-v2-f16.bin is listed as "1237 MB" (not known to the byte). */
static const struct ps_size ps_sizes[] = {
    {"v3", "nvidia/parakeet-tdt-0.6b-v3", 8192, 1255897319LL, "ggml-org/parakeet-GGUF f16"},
    {"v2", "nvidia/parakeet-tdt-0.6b-v2", 1024, 0, "third-party f16 conversion, listed as 1237 MB"},
};
#define PS_N_SIZES (sizeof ps_sizes / sizeof ps_sizes[0])

struct ps_tensor {
    char name[80];
    int n_dims;
    int64_t ne[4];
    enum ps_type type;
    enum ps_fill fill;
};

struct ps_plan {
    struct ps_tensor *t;
    int n, cap;
};

static void ps_oom(void)
{
    fprintf(stderr, "parakeet_standin: out of memory\n");
    exit(1);
}

static void ps_add(struct ps_plan *p, enum ps_type type, enum ps_fill fill, int n_dims, int64_t ne0, int64_t ne1,
                   int64_t ne2, int64_t ne3, const char *fmt, int layer)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 1024;
        struct ps_tensor *t = realloc(p->t, (size_t)cap * sizeof *t);
        if (!t)
            ps_oom();
        p->t = t;
        p->cap = cap;
    }
    struct ps_tensor *t = &p->t[p->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, fmt, layer);
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->ne[2] = ne2;
    t->ne[3] = ne3;
    t->type = type;
    t->fill = fill;
}

/* A PyTorch [out, in] matrix: ggml ne = {in, out}. */
#define PS_MAT(p, in, out, fmt, l) ps_add(p, PS_F16, PS_NORMAL, 2, in, out, 1, 1, fmt, l)
#define PS_VEC(p, n, fill, fmt, l) ps_add(p, PS_F32, fill, 1, n, 1, 1, 1, fmt, l)

static void ps_norm(struct ps_plan *p, const char *what, int l)
{
    char w[96], b[96];
    snprintf(w, sizeof w, "encoder.layers.%%d.%s.weight", what);
    snprintf(b, sizeof b, "encoder.layers.%%d.%s.bias", what);
    PS_VEC(p, PS_STATE, PS_ONES, w, l);
    PS_VEC(p, PS_STATE, PS_ZEROS, b, l);
}

/* The tensors in the order of the NeMo state dict (the loader looks them up by name). */
static void ps_plan_build(struct ps_plan *p, const struct ps_size *s)
{
    const int C = PS_SUB_CHANNELS, d = PS_STATE, h = PS_PRED_DIM;
    /* Pre-encoder: three stride-2 convolutions (the 2nd and 3rd depthwise + pointwise),
     * 4-D and F32 as the converter keeps them; biases reshaped to [1, C, 1, 1]. */
    static const struct {
        int idx;
        bool pointwise;
    } convs[] = {{0, false}, {2, false}, {3, true}, {5, false}, {6, true}};
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        char w[64], b[64];
        snprintf(w, sizeof w, "encoder.pre_encode.conv.%d.weight", convs[i].idx);
        snprintf(b, sizeof b, "encoder.pre_encode.conv.%d.bias", convs[i].idx);
        if (convs[i].pointwise)
            ps_add(p, PS_F32, PS_NORMAL, 4, 1, 1, C, C, w, 0);
        else
            ps_add(p, PS_F32, PS_NORMAL, 4, 3, 3, 1, C, w, 0);
        ps_add(p, PS_F32, PS_ZEROS, 4, 1, 1, C, 1, b, 0);
    }
    PS_MAT(p, (int64_t)(PS_MELS / PS_SUBSAMPLING) * C, d, "encoder.pre_encode.out.weight", 0);
    PS_VEC(p, d, PS_ZEROS, "encoder.pre_encode.out.bias", 0);

    for (int l = 0; l < PS_LAYERS; l++) {
        ps_norm(p, "norm_feed_forward1", l);
        PS_MAT(p, d, 4 * d, "encoder.layers.%d.feed_forward1.linear1.weight", l);
        PS_MAT(p, 4 * d, d, "encoder.layers.%d.feed_forward1.linear2.weight", l);
        ps_norm(p, "norm_conv", l);
        PS_MAT(p, d, 2 * d, "encoder.layers.%d.conv.pointwise_conv1.weight", l);
        ps_add(p, PS_F32, PS_NORMAL, 2, PS_CONV_KERNEL, d, 1, 1, "encoder.layers.%d.conv.depthwise_conv.weight", l);
        PS_VEC(p, d, PS_ONES, "encoder.layers.%d.conv.batch_norm.weight", l);
        PS_VEC(p, d, PS_ZEROS, "encoder.layers.%d.conv.batch_norm.bias", l);
        PS_VEC(p, d, PS_ZEROS, "encoder.layers.%d.conv.batch_norm.running_mean", l);
        PS_VEC(p, d, PS_ONES, "encoder.layers.%d.conv.batch_norm.running_var", l);
        /* A 0-d int64 in PyTorch; the converter writes it as a 0-dim F32 scalar. */
        ps_add(p, PS_F32, PS_ZEROS, 0, 1, 1, 1, 1, "encoder.layers.%d.conv.batch_norm.num_batches_tracked", l);
        PS_MAT(p, d, d, "encoder.layers.%d.conv.pointwise_conv2.weight", l);
        ps_norm(p, "norm_self_att", l);
        ps_add(p, PS_F32, PS_ZEROS, 2, d / PS_HEADS, PS_HEADS, 1, 1, "encoder.layers.%d.self_attn.pos_bias_u", l);
        ps_add(p, PS_F32, PS_ZEROS, 2, d / PS_HEADS, PS_HEADS, 1, 1, "encoder.layers.%d.self_attn.pos_bias_v", l);
        PS_MAT(p, d, d, "encoder.layers.%d.self_attn.linear_q.weight", l);
        PS_MAT(p, d, d, "encoder.layers.%d.self_attn.linear_k.weight", l);
        PS_MAT(p, d, d, "encoder.layers.%d.self_attn.linear_v.weight", l);
        PS_MAT(p, d, d, "encoder.layers.%d.self_attn.linear_out.weight", l);
        PS_MAT(p, d, d, "encoder.layers.%d.self_attn.linear_pos.weight", l);
        ps_norm(p, "norm_feed_forward2", l);
        PS_MAT(p, d, 4 * d, "encoder.layers.%d.feed_forward2.linear1.weight", l);
        PS_MAT(p, 4 * d, d, "encoder.layers.%d.feed_forward2.linear2.weight", l);
        ps_norm(p, "norm_out", l);
    }

    /* Prediction network: embedding of vocab + blank, 2 LSTM layers (bias_ih folded into
     * bias_hh by the converter and renamed bias_h). */
    PS_MAT(p, h, (int64_t)s->n_vocab + 1, "decoder.prediction.embed.weight", 0);
    for (int l = 0; l < PS_PRED_LAYERS; l++) {
        PS_MAT(p, h, 4 * h, "decoder.prediction.dec_rnn.lstm.weight_ih_l%d", l);
        PS_MAT(p, h, 4 * h, "decoder.prediction.dec_rnn.lstm.weight_hh_l%d", l);
        PS_VEC(p, 4 * h, PS_ZEROS, "decoder.prediction.dec_rnn.lstm.bias_h_l%d", l);
    }
    /* Joint: encoder and prediction projections to 640, then vocab + blank + durations. */
    PS_MAT(p, h, h, "joint.pred.weight", 0);
    PS_VEC(p, h, PS_ZEROS, "joint.pred.bias", 0);
    PS_MAT(p, d, h, "joint.enc.weight", 0);
    PS_VEC(p, h, PS_ZEROS, "joint.enc.bias", 0);
    PS_MAT(p, h, (int64_t)s->n_vocab + 1 + PS_DURATIONS, "joint.joint_net.2.weight", 0);
    PS_VEC(p, (int64_t)s->n_vocab + 1 + PS_DURATIONS, PS_JOINT_BIAS, "joint.joint_net.2.bias", 0);
}

static int64_t ps_nel(const struct ps_tensor *t)
{
    return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

static int64_t ps_tensor_bytes(const struct ps_tensor *t)
{
    return 12 + 4 * (int64_t)t->n_dims + (int64_t)strlen(t->name) + ps_nel(t) * (t->type == PS_F16 ? 2 : 4);
}

/* ---- vocabulary ----
 * SentencePiece pieces: id 0 "<unk>", then the punctuation pieces the library treats as
 * such (".", ",", "?", "!"), then distinct consonant-vowel pseudo-words, alternately
 * with and without the word-start marker U+2581 ("▁", 3 bytes). The published v3 file
 * spells its 8192 pieces in more bytes than this scheme: pieces from pad_from on get a
 * final "n" so that the stand-in is exactly as large as the published file. */
static const char ps_cons[] = "bdfgklmnprstvz";
static const char ps_vow[] = "aeiou";
#define PS_N_SYL ((int)(sizeof ps_cons - 1) * (int)(sizeof ps_vow - 1))
static const char *const ps_punct[] = {".", ",", "?", "!"};
#define PS_N_PUNCT 4

static int ps_piece(int id, int pad_from, char out[32])
{
    if (id == 0)
        return snprintf(out, 32, "<unk>");
    if (id <= PS_N_PUNCT)
        return snprintf(out, 32, "%s", ps_punct[id - 1]);
    int k = id - 1 - PS_N_PUNCT, len = 0;
    if (k % 2 == 0) {
        memcpy(out, "\xE2\x96\x81", 3);
        len = 3;
    }
    int j = k / 2, n_syl = 1;
    if (j >= PS_N_SYL) {
        j -= PS_N_SYL;
        n_syl = 2;
    }
    int syl[2] = {0, 0};
    for (int i = n_syl - 1; i >= 0; i--) {
        syl[i] = j % PS_N_SYL;
        j /= PS_N_SYL;
    }
    for (int i = 0; i < n_syl; i++) {
        out[len++] = ps_cons[syl[i] / 5];
        out[len++] = ps_vow[syl[i] % 5];
    }
    if (pad_from >= 0 && id >= pad_from)
        out[len++] = 'n';
    out[len] = '\0';
    return len;
}

static int64_t ps_vocab_bytes(int n_vocab, int pad_from)
{
    int64_t b = 4;
    char tmp[32];
    for (int i = 0; i < n_vocab; i++)
        b += 4 + ps_piece(i, pad_from, tmp);
    return b;
}

/* ---- front end ---- */
static double ps_hz_to_mel(double hz) /* Slaney: linear below 1 kHz, log above */
{
    const double f_sp = 200.0 / 3.0, lo = 1000.0, lo_mel = lo / f_sp, step = log(6.4) / 27.0;
    return hz < lo ? hz / f_sp : lo_mel + log(hz / lo) / step;
}

static double ps_mel_to_hz(double mel)
{
    const double f_sp = 200.0 / 3.0, lo = 1000.0, lo_mel = lo / f_sp, step = log(6.4) / 27.0;
    return mel < lo_mel ? mel * f_sp : lo * exp(step * (mel - lo_mel));
}

/* librosa.filters.mel(sr=16000, n_fft=512, n_mels=128, fmin=0, fmax=8000, norm="slaney"),
 * which is what NeMo's FilterbankFeatures stores as featurizer.fb. */
static void ps_filters(float *out)
{
    double f[PS_MELS + 2];
    const double top = ps_hz_to_mel(PS_RATE / 2.0);
    for (int i = 0; i < PS_MELS + 2; i++)
        f[i] = ps_mel_to_hz(top * i / (PS_MELS + 1));
    for (int m = 0; m < PS_MELS; m++) {
        const double enorm = 2.0 / (f[m + 2] - f[m]);
        for (int b = 0; b < PS_N_FB; b++) {
            const double hz = (double)b * PS_RATE / PS_N_FFT;
            const double up = (hz - f[m]) / (f[m + 1] - f[m]), down = (f[m + 2] - hz) / (f[m + 2] - f[m + 1]);
            const double w = up < down ? up : down;
            out[m * PS_N_FB + b] = (float)(w > 0 ? w * enorm : 0.0);
        }
    }
}

/* ---- random numbers: splitmix64, an Irwin-Hall(4) approximation of N(0, 1) ---- */
static uint64_t ps_mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static float ps_normal(uint64_t *s)
{
    uint64_t r = ps_mix(s);
    double sum = (double)(r & 0xFFFF) + (double)((r >> 16) & 0xFFFF) + (double)((r >> 32) & 0xFFFF) + (double)(r >> 48);
    return (float)((sum - 2.0 * 65535.0) / (65536.0 / sqrt(3.0)));
}

static uint64_t ps_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (const char *c = name; *c; c++) {
        h ^= (unsigned char)*c;
        h *= 0x100000001B3ULL;
    }
    uint64_t st = h ^ seed;
    return ps_mix(&st);
}

/* ---- the scripted joint ----
 * With purely random weights the greedy TDT decoder may pick duration 0 (stay on the
 * frame and emit again, up to n_max_tokens symbols per frame), which would cost many
 * more prediction-network runs than real speech does. By default the joint's output
 * bias rules duration 0 out (no shape changes, every other weight untouched). Measured
 * with parakeet-cli on the 53-s en-Wikipedia sample: one piece every 4 encoder frames
 * (0.32 s, about 3 pieces per second, the rate of speech), the same pseudo-word each
 * time. --plain leaves the bias at zero. */
#define PS_SCRIPT_NO_DUR0 -30.0f

/* ---- writing ---- */
struct ps_out {
    FILE *f;
    const char *path;
    bool failed;
};

static void ps_write(struct ps_out *o, const void *data, size_t n)
{
    if (o->failed)
        return;
    if (fwrite(data, 1, n, o->f) != n) {
        fprintf(stderr, "parakeet_standin: writing %s: %s\n", o->path, strerror(errno));
        o->failed = true;
    }
}

static void ps_i32(struct ps_out *o, int32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    ps_write(o, b, 4);
}

static void ps_f32s(struct ps_out *o, const float *v, size_t n) /* little-endian hosts only */
{
    ps_write(o, v, n * sizeof *v);
}

static void ps_tensor_write(struct ps_out *o, const struct ps_tensor *t, uint64_t seed, int n_vocab, bool plain,
                            float *buf, ggml_fp16_t *hbuf)
{
    const int32_t name_len = (int32_t)strlen(t->name);
    ps_i32(o, t->n_dims);
    ps_i32(o, name_len);
    ps_i32(o, t->type);
    for (int i = 0; i < t->n_dims; i++)
        ps_i32(o, (int32_t)t->ne[i]);
    ps_write(o, t->name, (size_t)name_len);
    uint64_t st = ps_seed(seed, t->name);
    const int64_t n = ps_nel(t);
    for (int64_t at = 0; at < n && !o->failed; at += PS_CHUNK) {
        const int64_t m = n - at < PS_CHUNK ? n - at : PS_CHUNK;
        for (int64_t i = 0; i < m; i++) {
            switch (t->fill) {
            case PS_NORMAL: buf[i] = PS_STD * ps_normal(&st); break;
            case PS_ONES: buf[i] = 1.0f; break;
            case PS_ZEROS: buf[i] = 0.0f; break;
            case PS_JOINT_BIAS: {
                const int64_t k = at + i; /* 0..n_vocab-1 pieces, n_vocab blank, then durations */
                buf[i] = !plain && k == n_vocab + 1 ? PS_SCRIPT_NO_DUR0 : 0.0f;
                break;
            }
            }
        }
        if (t->type == PS_F16) {
            ggml_fp32_to_fp16_row(buf, hbuf, m);
            ps_write(o, hbuf, (size_t)m * sizeof *hbuf);
        } else {
            ps_f32s(o, buf, (size_t)m);
        }
    }
}

/* Everything before the vocabulary: magic, 15 hparams, filters, window, durations. */
static int64_t ps_head_bytes(void)
{
    return 4 + 15 * 4 + 8 + (int64_t)PS_MELS * PS_N_FB * 4 + 4 + PS_WINDOW * 4 + PS_DURATIONS * 4;
}

static int64_t ps_tensors_bytes(const struct ps_plan *p)
{
    int64_t b = 0;
    for (int i = 0; i < p->n; i++)
        b += ps_tensor_bytes(&p->t[i]);
    return b;
}

/* The first piece to lengthen by one byte so that the file matches the published size,
 * or -1 (none: size not known, or the scheme cannot reach it). */
static int ps_pad_from(const struct ps_size *s, const struct ps_plan *p)
{
    if (!s->official)
        return -1;
    int64_t extra = s->official - ps_head_bytes() - ps_tensors_bytes(p) - ps_vocab_bytes(s->n_vocab, -1);
    if (extra < 0 || extra > s->n_vocab - 1 - PS_N_PUNCT)
        return -1;
    return s->n_vocab - (int)extra;
}

static int ps_generate(const struct ps_size *s, const char *path, uint64_t seed, bool plain)
{
    struct ps_plan plan = {0};
    ps_plan_build(&plan, s);
    const int pad_from = ps_pad_from(s, &plan);
    const int64_t want = ps_head_bytes() + ps_vocab_bytes(s->n_vocab, pad_from) + ps_tensors_bytes(&plan);

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "parakeet_standin: path too long\n");
        free(plan.t);
        return 2;
    }
    struct ps_out o = {fopen(tmp, "wb"), tmp, false};
    if (!o.f) {
        fprintf(stderr, "parakeet_standin: %s: %s\n", tmp, strerror(errno));
        free(plan.t);
        return 1;
    }
    float *buf = malloc(PS_CHUNK * sizeof *buf);
    ggml_fp16_t *hbuf = malloc(PS_CHUNK * sizeof *hbuf);
    float *fb = malloc((size_t)PS_MELS * PS_N_FB * sizeof *fb);
    if (!buf || !hbuf || !fb)
        ps_oom();

    ps_i32(&o, (int32_t)PS_MAGIC);
    const int32_t hp[15] = {s->n_vocab,      PS_N_AUDIO_CTX, PS_STATE,       PS_HEADS,     PS_LAYERS,
                            PS_MELS,         1 /* F16 */,    PS_N_FFT,       PS_SUBSAMPLING, PS_SUB_CHANNELS,
                            PS_CONV_KERNEL,  PS_PRED_DIM,    PS_PRED_LAYERS, PS_DURATIONS, PS_MAX_TOKENS};
    for (int i = 0; i < 15; i++)
        ps_i32(&o, hp[i]);
    ps_filters(fb);
    ps_i32(&o, PS_MELS);
    ps_i32(&o, PS_N_FB);
    ps_f32s(&o, fb, (size_t)PS_MELS * PS_N_FB);
    float win[PS_WINDOW]; /* torch.hann_window(400, periodic=False) */
    for (int i = 0; i < PS_WINDOW; i++)
        win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / (PS_WINDOW - 1)));
    ps_i32(&o, PS_WINDOW);
    ps_f32s(&o, win, PS_WINDOW);
    for (int i = 0; i < PS_DURATIONS; i++)
        ps_i32(&o, i);
    ps_i32(&o, s->n_vocab);
    for (int i = 0; i < s->n_vocab; i++) {
        char piece[32];
        int len = ps_piece(i, pad_from, piece);
        ps_i32(&o, len);
        ps_write(&o, piece, (size_t)len);
    }
    for (int i = 0; i < plan.n && !o.failed; i++)
        ps_tensor_write(&o, &plan.t[i], seed, s->n_vocab, plain, buf, hbuf);

    free(buf);
    free(hbuf);
    free(fb);
    long got = o.failed ? -1 : ftell(o.f);
    if (!o.failed && (fflush(o.f) != 0 || fsync(fileno(o.f)) != 0)) {
        fprintf(stderr, "parakeet_standin: writing %s: %s\n", tmp, strerror(errno));
        o.failed = true;
    }
    if (fclose(o.f) != 0 && !o.failed) {
        fprintf(stderr, "parakeet_standin: closing %s: %s\n", tmp, strerror(errno));
        o.failed = true;
    }
    if (!o.failed && got != want) {
        fprintf(stderr, "parakeet_standin: wrote %ld bytes, planned %" PRId64 "\n", got, want);
        o.failed = true;
    }
    if (!o.failed && rename(tmp, path) != 0) {
        fprintf(stderr, "parakeet_standin: rename to %s: %s\n", path, strerror(errno));
        o.failed = true;
    }
    if (o.failed) {
        unlink(tmp);
        free(plan.t);
        return 1;
    }
    printf("%s: parakeet-tdt-0.6b-%s stand-in, %d tensors, %" PRId64 " bytes", path, s->name, plan.n, want);
    if (s->official)
        printf(" (published %s: %lld, difference %+" PRId64 ")\n", s->official_note, s->official, (int64_t)(want - s->official));
    else
        printf(" (%s)\n", s->official_note);
    free(plan.t);
    return 0;
}

static void ps_list(const struct ps_size *only)
{
    for (size_t i = 0; i < PS_N_SIZES; i++) {
        const struct ps_size *s = &ps_sizes[i];
        if (only && only != s)
            continue;
        struct ps_plan plan = {0};
        ps_plan_build(&plan, s);
        int pad_from = ps_pad_from(s, &plan);
        int64_t bytes = ps_head_bytes() + ps_vocab_bytes(s->n_vocab, pad_from) + ps_tensors_bytes(&plan);
        int64_t params = 0;
        for (int k = 0; k < plan.n; k++)
            params += ps_nel(&plan.t[k]);
        printf("%-3s %-28s n_vocab %4d  layers %d  d_model %d  heads %d  mels %d  pred %dx%d  tensors %d  "
               "params %" PRId64 "  bytes %" PRId64,
               s->name, s->hf, s->n_vocab, PS_LAYERS, PS_STATE, PS_HEADS, PS_MELS, PS_PRED_LAYERS, PS_PRED_DIM,
               plan.n, params, bytes);
        if (s->official)
            printf("  published %lld\n", s->official);
        else
            printf("  (%s)\n", s->official_note);
        if (only) {
            for (int k = 0; k < plan.n; k++) {
                const struct ps_tensor *t = &plan.t[k];
                printf("  %-58s [", t->name);
                for (int d = 0; d < t->n_dims; d++)
                    printf("%s%" PRId64, d ? ", " : "", t->ne[d]);
                printf("] %s\n", t->type == PS_F16 ? "f16" : "f32");
            }
        }
        free(plan.t);
    }
}

static void ps_usage(FILE *f)
{
    fprintf(f, "usage: parakeet_standin --size v3|v2 --out FILE [--seed N] [--plain]\n"
               "       parakeet_standin --list [--size v3|v2]\n");
}

int main(int argc, char **argv)
{
    const char *size = NULL, *out = NULL;
    uint64_t seed = 0;
    bool list = false, plain = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = argv[++i];
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            char *end;
            errno = 0;
            seed = strtoull(argv[++i], &end, 10);
            if (errno || *end) {
                fprintf(stderr, "parakeet_standin: bad --seed '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--list")) {
            list = true;
        } else if (!strcmp(argv[i], "--plain")) {
            plain = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            ps_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "parakeet_standin: unknown argument '%s'\n", argv[i]);
            ps_usage(stderr);
            return 2;
        }
    }
    const struct ps_size *s = NULL;
    if (size) {
        for (size_t i = 0; i < PS_N_SIZES; i++)
            if (!strcmp(size, ps_sizes[i].name) || !strcmp(size, ps_sizes[i].hf + 7 /* "nvidia/" */))
                s = &ps_sizes[i];
        if (!s) {
            fprintf(stderr, "parakeet_standin: unknown size '%s' (v3, v2)\n", size);
            return 2;
        }
    }
    if (list) {
        ps_list(s);
        return 0;
    }
    if (!s || !out) {
        ps_usage(stderr);
        return 2;
    }
    return ps_generate(s, out, seed, plain);
}
