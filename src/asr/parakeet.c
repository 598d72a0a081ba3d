/* parakeet.c: NVIDIA Parakeet TDT through whisper.cpp's libparakeet: file check, load,
 * VAD + batch transcription on a worker thread (cancel within 50 ms), segments on the
 * original timeline, model lookup by id. Streaming is in parakeet_stream.c. */
#define _FILE_OFFSET_BITS 64
#include "asr/asr_internal.h"
#include "asr/parakeet_internal.h"

#include "catalog/lookup.h"
#include "core/internal.h"

#include <parley/vad.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ggml.h>
#include <parakeet.h>

/* The largest value whisper.cpp 1.9.5 accepts for each of the 15 hparams, in file order
 * (parakeet_validate_hparams: 0 < value <= the TDT 0.6B value; ftype, 7th, is not
 * checked there). Larger values are another network, which the library refuses. */
static const int32_t pk_hparam_max[15] = {8192, 5000, 1024, 8, 24, 128, -1, 512, 8, 256, 9, 640, 2, 5, 10};
static const char *const pk_hparam_name[15] = {
    "n_vocab",       "n_audio_ctx",  "n_audio_state", "n_audio_head",    "n_audio_layer",
    "n_mels",        "ftype",        "n_fft",         "subsampling_factor", "n_subsampling_channels",
    "n_conv_kernel", "n_pred_dim",   "n_pred_layers", "n_tdt_durations", "n_max_tokens"};

struct pk_job;

struct parley_parakeet {
    struct parakeet_context *ctx;
    char *model_name;          /* file name, for the transcript */
    struct parley_parakeet_info info;
    parley_vad *vad;           /* the batch VAD, kept loaded between transcriptions */
    struct parley_vad_params vad_params; /* what it was opened with (model_path owned below) */
    char *vad_path;
    int64_t (*regions)[2];     /* speech regions of the last transcription, ms */
    size_t n_regions;
    struct pk_job *abandoned;  /* a cancelled run still stopping; joined before the next */
    pthread_mutex_t streams_lock; /* guards n_streams */
    pthread_cond_t streams_cond;
    int n_streams;             /* streams whose worker has not ended (free may return before) */
};

/* ---- libparakeet's log goes to parley_log at debug level, line by line ---- */

static void pk_log_cb(enum ggml_log_level level, const char *text, void *ud)
{
    (void)level;
    (void)ud;
    static _Thread_local char line[1024];
    static _Thread_local size_t len;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || len + 1 >= sizeof line) {
            line[len] = '\0';
            if (len)
                parley_log(PARLEY_LOG_DEBUG, "parakeet: %s", line);
            len = 0;
            if (*p == '\n')
                continue;
        }
        line[len++] = *p;
    }
}

static pthread_once_t pk_log_once = PTHREAD_ONCE_INIT;
static void pk_log_setup(void) { parakeet_log_set(pk_log_cb, NULL); }

/* ---- file checks ---- */

static bool rd_i32(FILE *f, int32_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

static parley_status pk_open(const char *path, FILE **out, off_t *size)
{
    *out = NULL;
    if (strlen(path) >= PATH_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "speech model path too long (%zu characters)", strlen(path));
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "speech model %s: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "speech model %s is not a regular file", path);
    }
    *size = sb.st_size;
    *out = f;
    return PARLEY_OK;
}

/* Classifies from the first 80 bytes. A Parakeet file has 15 hparams followed by n_mel
 * (= hparam 6) and n_fb (= n_fft / 2 + 1); a whisper file 11 hparams, n_mel (= hparam
 * 10) and 201 FFT bins; a Silero VAD file starts with the length of its type name. */
static parley_speech_file_kind pk_classify(const unsigned char *b, size_t n)
{
    if (n >= 4 && memcmp(b, "GGUF", 4) == 0)
        return PARLEY_SPEECH_FILE_GGUF;
    if (n < 4 || memcmp(b, "lmgg", 4) != 0)
        return PARLEY_SPEECH_FILE_UNKNOWN;
    int32_t v[19] = {0};
    size_t nv = (n - 4) / 4 < 19 ? (n - 4) / 4 : 19;
    memcpy(v, b + 4, nv * 4);
    if (nv >= 1 && v[0] > 0 && v[0] <= 64 && nv >= 2 && memcmp(b + 8, "silero", v[0] < 6 ? (size_t)v[0] : 6) == 0)
        return PARLEY_SPEECH_FILE_VAD;
    if (nv >= 17 && v[5] > 0 && v[5] <= 1024 && v[7] > 0 && v[7] <= 65536 && v[15] == v[5] && v[16] == v[7] / 2 + 1)
        return PARLEY_SPEECH_FILE_PARAKEET;
    if (nv >= 13 && v[9] > 0 && v[9] <= 1024 && v[11] == v[9] && v[12] == 201)
        return PARLEY_SPEECH_FILE_WHISPER;
    return PARLEY_SPEECH_FILE_UNKNOWN;
}

parley_status parley_speech_file_probe(const char *path, parley_speech_file_kind *kind)
{
    *kind = PARLEY_SPEECH_FILE_UNKNOWN;
    FILE *f;
    off_t size;
    parley_status st = pk_open(path, &f, &size);
    if (st)
        return st;
    unsigned char b[80];
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    if (got < 8)
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "speech model %s is empty or truncated (%lld bytes)", path,
                           (long long)size);
    *kind = pk_classify(b, got);
    return PARLEY_OK;
}

/* Reads one tensor header and skips its data; false when the file ends inside it or a
 * value is out of range (the converter writes 0 to 4 dims: 0 for batch-norm counters). */
static bool pk_skip_tensor(FILE *f, off_t size, bool *eof)
{
    int32_t hdr[3]; /* n_dims, name length, type */
    size_t r = fread(hdr, sizeof hdr[0], 3, f);
    *eof = r == 0 && feof(f);
    if (*eof)
        return true;
    if (r != 3 || hdr[0] < 0 || hdr[0] > 4 || hdr[1] <= 0 || hdr[1] > 256 || hdr[2] < 0 || hdr[2] >= GGML_TYPE_COUNT ||
        ggml_blck_size((enum ggml_type)hdr[2]) <= 0 || ggml_type_size((enum ggml_type)hdr[2]) == 0)
        return false;
    int64_t nel = 1, bytes;
    for (int d = 0; d < hdr[0]; d++) {
        int32_t ne;
        if (!rd_i32(f, &ne) || ne <= 0 || __builtin_mul_overflow(nel, (int64_t)ne, &nel))
            return false;
    }
    if (__builtin_mul_overflow(nel / ggml_blck_size((enum ggml_type)hdr[2]),
                               (int64_t)ggml_type_size((enum ggml_type)hdr[2]), &bytes))
        return false;
    if (fseeko(f, hdr[1], SEEK_CUR) != 0)
        return false;
    off_t pos = ftello(f);
    int64_t end;
    if (pos < 0 || __builtin_add_overflow((int64_t)pos, bytes, &end) || end > size)
        return false;
    return fseeko(f, (off_t)bytes, SEEK_CUR) == 0;
}

parley_status parley_parakeet_check_file(const char *path, struct parley_parakeet_info *info)
{
    FILE *f;
    off_t size = 0;
    parley_status st = pk_open(path, &f, &size);
    if (st)
        return st;
    struct parley_parakeet_info in = {0};
    const char *where = "header";
    unsigned char b[80] = {0};
    size_t got = fread(b, 1, sizeof b, f);
    if (got < 80 || size < 1024) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "speech model %s is empty or truncated (%lld bytes)", path,
                         (long long)size);
        goto out;
    }
    switch (pk_classify(b, got)) {
    case PARLEY_SPEECH_FILE_PARAKEET: break;
    case PARLEY_SPEECH_FILE_WHISPER:
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a whisper speech model, not a Parakeet model", path);
        goto out;
    case PARLEY_SPEECH_FILE_VAD:
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a Silero VAD model, not a Parakeet speech model", path);
        goto out;
    case PARLEY_SPEECH_FILE_GGUF:
        st = parley_fail(PARLEY_ERR_MODEL_ARCH, "%s is a GGUF language model, not a Parakeet speech model", path);
        goto out;
    default:
        st = parley_fail(memcmp(b, "lmgg", 4) ? PARLEY_ERR_MODEL_LOAD : PARLEY_ERR_MODEL_ARCH,
                         memcmp(b, "lmgg", 4) ? "%s is not a ggml speech model (bad magic)"
                                              : "%s is a ggml file of an unknown kind, not a Parakeet model",
                         path);
        goto out;
    }
    int32_t hp[15];
    memcpy(hp, b + 4, sizeof hp);
    for (int i = 0; i < 15; i++) {
        if (i == 6)
            continue;
        if (hp[i] <= 0 || hp[i] > pk_hparam_max[i]) {
            st = parley_fail(PARLEY_ERR_MODEL_ARCH,
                             "%s is a Parakeet model of another shape (%s = %d; whisper.cpp 1.9.5 takes TDT 0.6B "
                             "models, at most %d)",
                             path, pk_hparam_name[i], hp[i], pk_hparam_max[i]);
            goto out;
        }
    }
    in.n_vocab = hp[0];
    in.n_audio_state = hp[2];
    in.n_audio_layer = hp[4];
    in.n_mels = hp[5];
    in.ftype = hp[6];
    in.n_pred_dim = hp[11];
    in.n_pred_layers = hp[12];
    in.variant = hp[0] == 8192 ? "v3" : hp[0] == 1024 ? "v2" : "other";
    /* filters (n_mel x n_fb f32), window, durations, vocabulary */
    const int32_t n_mel = hp[5], n_fb = hp[7] / 2 + 1;
    int32_t n_window = 0, n_vocab = 0;
    if (fseeko(f, 4 + 15 * 4 + 8 + (off_t)n_mel * n_fb * 4, SEEK_SET) != 0 || !rd_i32(f, &n_window) ||
        n_window <= 0 || n_window > hp[7] || fseeko(f, (off_t)n_window * 4 + (off_t)hp[13] * 4, SEEK_CUR) != 0 ||
        !rd_i32(f, &n_vocab))
        goto truncated;
    if (n_vocab != hp[0]) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "speech model %s is damaged: its vocabulary has %d pieces, its header says %d", path, n_vocab,
                         hp[0]);
        goto out;
    }
    where = "vocabulary";
    for (int32_t i = 0; i < n_vocab; i++) {
        uint32_t len;
        if (fread(&len, sizeof len, 1, f) != 1 || len > 4096 || fseeko(f, (off_t)len, SEEK_CUR) != 0)
            goto truncated;
    }
    if (ftello(f) > size)
        goto truncated;
    where = "tensors";
    for (;;) {
        bool eof;
        if (!pk_skip_tensor(f, size, &eof))
            goto truncated;
        if (eof)
            break;
        in.n_tensors++;
    }
    /* pre-encoder 12, 29 per conformer layer, embedding + 3 per LSTM layer, joint 6 */
    long want = 12 + 29L * hp[4] + 1 + 3L * hp[12] + 6;
    if (in.n_tensors != want) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "speech model %s is truncated or damaged: %ld of the %ld tensors its header implies are "
                         "present (%lld bytes)",
                         path, in.n_tensors, want, (long long)size);
        goto out;
    }
    if (info)
        *info = in;
    goto out;
truncated:
    st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                     "speech model %s is truncated or damaged: it ends inside its %s (%lld bytes, %ld tensors read)",
                     path, where, (long long)size, in.n_tensors);
out:
    fclose(f);
    return st;
}

/* ---- load ---- */

parley_status parley_parakeet_init(const char *path, bool use_gpu, parley_parakeet **out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a Parakeet model path is required");
    *out = NULL;
    parley_status st = parley_init();
    if (st)
        return st;
    struct parley_parakeet_info info;
    if ((st = parley_parakeet_check_file(path, &info)))
        return st;
    pthread_once(&pk_log_once, pk_log_setup);
    struct parakeet_context_params cp = parakeet_context_default_params();
    cp.use_gpu = use_gpu;
    parley_asr_choose_gpu(&cp.use_gpu, &cp.gpu_device);
    struct parakeet_context *ctx = parakeet_init_from_file_with_params(path, cp);
    if (!ctx)
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "libparakeet could not load %s (run with PARLEY_DEBUG=1 for its log)", path);
    parley_parakeet *pk = calloc(1, sizeof *pk);
    const char *base = strrchr(path, '/');
    if (!pk || !(pk->model_name = parley_strdup(base ? base + 1 : path))) {
        free(pk);
        parakeet_free(ctx);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    pk->ctx = ctx;
    pk->info = info;
    pthread_mutex_init(&pk->streams_lock, NULL);
    pthread_cond_init(&pk->streams_cond, NULL);
    *out = pk;
    return PARLEY_OK;
}

static void pk_reap(parley_parakeet *pk);

void parley_parakeet_free(parley_parakeet *pk)
{
    if (!pk)
        return;
    pk_reap(pk);
    pthread_mutex_lock(&pk->streams_lock);
    while (pk->n_streams > 0)
        pthread_cond_wait(&pk->streams_cond, &pk->streams_lock);
    pthread_mutex_unlock(&pk->streams_lock);
    pthread_mutex_destroy(&pk->streams_lock);
    pthread_cond_destroy(&pk->streams_cond);
    parakeet_free(pk->ctx);
    parley_vad_free(pk->vad);
    free(pk->vad_path);
    free(pk->model_name);
    free(pk->regions);
    free(pk);
}

const char *parley_parakeet_variant(const parley_parakeet *pk) { return pk->info.variant; }
bool parley_parakeet_multilingual(const parley_parakeet *pk) { return pk->info.n_vocab != 1024; }
struct parakeet_context *parley_parakeet_ctx(parley_parakeet *pk) { return pk->ctx; }

void parley_parakeet_stream_born(parley_parakeet *pk)
{
    pthread_mutex_lock(&pk->streams_lock);
    pk->n_streams++;
    pthread_mutex_unlock(&pk->streams_lock);
}

void parley_parakeet_stream_gone(parley_parakeet *pk)
{
    pthread_mutex_lock(&pk->streams_lock);
    if (--pk->n_streams == 0)
        pthread_cond_broadcast(&pk->streams_cond);
    pthread_mutex_unlock(&pk->streams_lock);
}
size_t parley_parakeet_n_vad_regions(const parley_parakeet *pk) { return pk->n_regions; }

parley_status parley_parakeet_vad_region(const parley_parakeet *pk, size_t i, int64_t *t0_ms, int64_t *t1_ms)
{
    if (i >= pk->n_regions)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "VAD region %zu of %zu", i, pk->n_regions);
    *t0_ms = pk->regions[i][0];
    *t1_ms = pk->regions[i][1];
    return PARLEY_OK;
}

/* ---- pieces and segments (shared with streams) ---- */

parley_status parley_parakeet_pieces(struct parakeet_context *ctx, struct parakeet_state *state,
                                     parley_parakeet_piece **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    int ns = state ? parakeet_full_n_segments_from_state(state) : parakeet_full_n_segments(ctx);
    size_t total = 0;
    for (int i = 0; i < ns; i++)
        total += (size_t)(state ? parakeet_full_n_tokens_from_state(state, i) : parakeet_full_n_tokens(ctx, i));
    if (!total)
        return PARLEY_OK;
    parley_parakeet_piece *p = calloc(total, sizeof *p);
    if (!p)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (int i = 0; i < ns; i++) {
        int nt = state ? parakeet_full_n_tokens_from_state(state, i) : parakeet_full_n_tokens(ctx, i);
        for (int j = 0; j < nt && k < total; j++) {
            parakeet_token_data d = state ? parakeet_full_get_token_data_from_state(state, i, j)
                                          : parakeet_full_get_token_data(ctx, i, j);
            const char *s = parakeet_token_to_str(ctx, d.id);
            parakeet_token_to_text(s ? s : "", false, p[k].text, (int)sizeof p[k].text);
            /* t0/t1 count 10 ms mel frames (encoder frame x subsampling factor) */
            p[k].t0_ms = d.t0 * 10;
            p[k].t1_ms = d.t1 * 10;
            p[k].p = d.p;
            k++;
        }
    }
    *out = p;
    *n_out = k;
    return PARLEY_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static bool sentence_end(const char *t)
{
    size_t n = strlen(t);
    return n && strchr(".?!", t[n - 1]);
}

#define PK_SEG_MIN_MS 2000   /* a sentence end closes a segment once it is this long */
#define PK_SEG_PAUSE_MS 1000 /* a pause this long between pieces starts a new segment */
#define PK_SEG_MAX_MS 30000  /* a segment is cut at this length */
#define PK_PASS_MS 30000     /* speech regions joined into one libparakeet call, at most */
#define PK_GAP_MS 100        /* silence put between joined regions (whisper.cpp's VAD uses 0.1 s) */

static parley_status pk_emit(const parley_parakeet_piece *pc, size_t a, size_t b, int64_t base, int64_t lo,
                             int64_t hi, const char *speaker, parley_transcript *t,
                             void (*fn)(const parley_segment *, void *), void *ud)
{
    parley_buf text = {0};
    text.max = 1 << 20;
    double sum = 0;
    parley_status st = PARLEY_OK;
    for (size_t i = a; i < b && !st; i++) {
        st = parley_buf_append(&text, pc[i].text, strlen(pc[i].text));
        sum += pc[i].p;
    }
    if (st) {
        parley_buf_free(&text);
        return st;
    }
    char *s = text.data ? text.data : (char *)"";
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    if (*s) {
        int64_t t0 = clamp64(base + pc[a].t0_ms, lo, hi), t1 = clamp64(base + pc[b - 1].t1_ms, lo, hi);
        if (t1 < t0)
            t1 = t0;
        st = parley_transcript_add(t, t0, t1, s, speaker, (float)(sum / (double)(b - a)));
        if (!st && fn)
            fn(&t->segments[t->n_segments - 1], ud);
    }
    parley_buf_free(&text);
    return st;
}

parley_status parley_parakeet_segments(const parley_parakeet_piece *pc, size_t n, int64_t base_ms, int64_t lo_ms,
                                       int64_t hi_ms, const char *speaker, parley_transcript *t,
                                       void (*fn)(const parley_segment *seg, void *ud), void *ud)
{
    size_t start = 0;
    for (size_t i = 1; i <= n; i++) {
        bool cut = i == n;
        if (!cut) {
            const bool word_start = pc[i].text[0] == ' ';
            const int64_t len = pc[i - 1].t1_ms - pc[start].t0_ms;
            cut = (word_start && sentence_end(pc[i - 1].text) && len >= PK_SEG_MIN_MS) ||
                  (word_start && pc[i].t0_ms - pc[i - 1].t1_ms >= PK_SEG_PAUSE_MS) || len >= PK_SEG_MAX_MS;
        }
        if (cut && i > start) {
            parley_status st = pk_emit(pc, start, i, base_ms, lo_ms, hi_ms, speaker, t, fn, ud);
            if (st)
                return st;
            start = i;
        }
    }
    return PARLEY_OK;
}

/* ---- languages ---- */

/* Parakeet TDT 0.6B v3's 25 languages (NVIDIA's model card). */
static const char *const pk_v3_langs[] = {"bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "it",
                                          "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv", "ru", "uk"};

parley_status parley_parakeet_check_language(const parley_parakeet *pk, const char *lang)
{
    if (!lang || !*lang || !strcmp(lang, "auto"))
        return PARLEY_OK;
    if (!parley_parakeet_multilingual(pk)) {
        if (strcmp(lang, "en") != 0)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "model %s (Parakeet %s) is English-only; it cannot transcribe '%s'",
                               pk->model_name, pk->info.variant, lang);
        return PARLEY_OK;
    }
    for (size_t i = 0; i < sizeof pk_v3_langs / sizeof pk_v3_langs[0]; i++)
        if (!strcmp(lang, pk_v3_langs[i]))
            return PARLEY_OK;
    return parley_fail(PARLEY_ERR_INVALID_ARG,
                       "Parakeet %s does not know the language '%s' (it knows bg hr cs da nl en et fi fr de el hu it "
                       "lv lt mt pl pt ro sk sl es sv ru uk, and recognises them by itself)",
                       pk->info.variant, lang);
}

/* ---- batch transcription on a worker thread ---- */

struct pk_job {
    parley_parakeet *pk;
    struct parley_transcribe_params p; /* callbacks and user data; cancel is read by the caller */
    float *samples;                    /* owned copy */
    size_t n_samples;
    int n_threads;
    parley_transcript out;             /* the worker's; handed over on success */
    int64_t (*regions)[2];             /* found by the worker; handed over on success */
    size_t n_regions;
    pthread_t thread;
    pthread_mutex_t lock; /* guards done, and callback calls against abandoning */
    pthread_cond_t cond;
    bool done;
    atomic_bool abandoned;   /* the caller gave up: abort, call nothing */
    atomic_bool cb_cancel;   /* a progress callback returned false */
    parley_status err;
    char errmsg[512];
};

static void job_free(struct pk_job *j)
{
    if (!j)
        return;
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    parley_transcript_free(&j->out);
    free(j->samples);
    free(j->regions);
    free(j);
}

static void job_fail(struct pk_job *j, parley_status st)
{
    if (j->err)
        return;
    j->err = st;
    snprintf(j->errmsg, sizeof j->errmsg, "%s", parley_last_error());
}

static bool job_stop(struct pk_job *j) { return atomic_load(&j->abandoned) || atomic_load(&j->cb_cancel); }
static bool abort_cb(void *ud) { return job_stop(ud); }
static bool encoder_begin_cb(struct parakeet_context *c, struct parakeet_state *s, void *ud)
{
    (void)c;
    (void)s;
    return !job_stop(ud);
}

static void job_progress(struct pk_job *j, double frac)
{
    if (!j->p.progress)
        return;
    pthread_mutex_lock(&j->lock);
    if (!atomic_load(&j->abandoned) && !j->p.progress(frac, j->p.progress_user_data))
        atomic_store(&j->cb_cancel, true);
    pthread_mutex_unlock(&j->lock);
}

static void job_segment(const parley_segment *seg, void *ud)
{
    struct pk_job *j = ud;
    if (!j->p.on_segment)
        return;
    pthread_mutex_lock(&j->lock);
    if (!atomic_load(&j->abandoned))
        j->p.on_segment(seg, j->p.on_segment_user_data);
    pthread_mutex_unlock(&j->lock);
}

/* The VAD of the parley_parakeet, (re)opened when the model or the thresholds change. */
static parley_status pk_vad(parley_parakeet *pk, const struct parley_transcribe_params *p)
{
    struct parley_vad_params vp = parley_vad_default_params();
    vp.model_path = p->vad_model_path;
    vp.threshold = p->vad_threshold;
    vp.min_silence_ms = p->vad_min_silence_ms;
    vp.speech_pad_ms = p->vad_speech_pad_ms;
    if (pk->vad && pk->vad_path && !strcmp(pk->vad_path, p->vad_model_path) &&
        pk->vad_params.threshold == vp.threshold && pk->vad_params.min_silence_ms == vp.min_silence_ms &&
        pk->vad_params.speech_pad_ms == vp.speech_pad_ms)
        return PARLEY_OK;
    parley_vad_free(pk->vad);
    pk->vad = NULL;
    free(pk->vad_path);
    pk->vad_path = parley_strdup(p->vad_model_path);
    if (!pk->vad_path)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_status st = parley_vad_open(&vp, &pk->vad);
    if (!st) {
        pk->vad_params = vp;
        pk->vad_params.model_path = pk->vad_path;
    }
    return st;
}

static void *worker_main(void *arg)
{
    struct pk_job *j = arg;
    parley_parakeet *pk = j->pk;
    parley_status st = PARLEY_OK;
    const int64_t dur_ms = (int64_t)(j->n_samples * 1000 / PARLEY_AUDIO_RATE);
    job_progress(j, 0.0);
    if (j->p.vad) {
        parley_vad_region *r = NULL;
        size_t nr = 0;
        if ((st = pk_vad(pk, &j->p)) || (st = parley_vad_regions(pk->vad, j->samples, j->n_samples, &r, &nr))) {
            job_fail(j, st);
            goto done;
        }
        if (nr && !(j->regions = calloc(nr, sizeof *j->regions))) {
            free(r);
            job_fail(j, parley_fail(PARLEY_ERR_NOMEM, "out of memory"));
            goto done;
        }
        for (size_t i = 0; i < nr; i++) {
            j->regions[i][0] = r[i].t0_ms;
            j->regions[i][1] = r[i].t1_ms < dur_ms ? r[i].t1_ms : dur_ms;
        }
        j->n_regions = nr;
        free(r);
    }
    /* Without VAD: the whole buffer as one region, one pass (what parakeet-cli does).
     * With VAD: speech regions are joined, with PK_GAP_MS of silence between them, into
     * passes of up to PK_PASS_MS (a region longer than that is a pass of its own), as
     * whisper.cpp does with its VAD: each libparakeet call costs a mel pass, a fresh LSTM
     * state and, for every new length, a new encoder graph, so one call per short region
     * would cost several times the audio itself. Piece times are mapped back per region. */
    int64_t whole[1][2] = {{0, dur_ms}};
    int64_t(*regions)[2] = j->p.vad ? j->regions : whole;
    size_t n_regions = j->p.vad ? j->n_regions : 1;
    int64_t speech = 0, done_ms = 0;
    for (size_t i = 0; i < n_regions; i++)
        speech += regions[i][1] - regions[i][0];
    const size_t R = PARLEY_AUDIO_RATE / 1000; /* samples per ms */
    float *pass = NULL;
    int64_t *off = j->p.vad ? calloc(n_regions ? n_regions : 1, sizeof *off) : NULL; /* region's start in its pass, ms */
    if (j->p.vad && !off) {
        job_fail(j, parley_fail(PARLEY_ERR_NOMEM, "out of memory"));
        goto done;
    }
    for (size_t i = 0; i < n_regions && !job_stop(j);) {
        /* regions [i, k) form this pass */
        size_t k = i;
        int64_t len = 0;
        while (k < n_regions) {
            int64_t r = regions[k][1] - regions[k][0] + (k > i ? PK_GAP_MS : 0);
            if (k > i && len + r > PK_PASS_MS)
                break;
            if (off)
                off[k] = len + (k > i ? PK_GAP_MS : 0);
            len += r;
            k++;
        }
        const float *audio;
        size_t n_audio;
        if (!j->p.vad) {
            audio = j->samples;
            n_audio = j->n_samples;
        } else {
            n_audio = (size_t)len * R;
            float *np = realloc(pass, n_audio * sizeof *np);
            if (!np) {
                job_fail(j, parley_fail(PARLEY_ERR_NOMEM, "out of memory"));
                break;
            }
            pass = np;
            memset(pass, 0, n_audio * sizeof *pass);
            for (size_t r = i; r < k; r++) {
                size_t s0 = (size_t)regions[r][0] * R, s1 = (size_t)regions[r][1] * R;
                if (s1 > j->n_samples)
                    s1 = j->n_samples;
                if (s1 > s0 && (size_t)off[r] * R + (s1 - s0) <= n_audio)
                    memcpy(pass + (size_t)off[r] * R, j->samples + s0, (s1 - s0) * sizeof *pass);
            }
            audio = pass;
        }
        if (n_audio < R * 10) { /* under 10 ms: nothing to hear */
            i = k;
            continue;
        }
        struct parakeet_full_params fp = parakeet_full_default_params(PARAKEET_SAMPLING_GREEDY);
        fp.n_threads = j->n_threads;
        fp.no_context = true;
        fp.abort_callback = abort_cb;
        fp.abort_callback_user_data = j;
        fp.encoder_begin_callback = encoder_begin_cb;
        fp.encoder_begin_callback_user_data = j;
        int rc = parakeet_full(pk->ctx, fp, audio, (int)n_audio);
        if (job_stop(j))
            break;
        if (rc != 0) {
            job_fail(j, parley_fail(PARLEY_ERR_INFERENCE, "libparakeet failed on %.1f-%.1f s (code %d)",
                                    regions[i][0] / 1000.0, regions[k - 1][1] / 1000.0, rc));
            break;
        }
        parley_parakeet_piece *pc = NULL;
        size_t npc = 0;
        if ((st = parley_parakeet_pieces(pk->ctx, NULL, &pc, &npc))) {
            job_fail(j, st);
            break;
        }
        /* each region's pieces: those starting before the next region's start in the pass */
        size_t p0 = 0;
        for (size_t r = i; r < k && !st; r++) {
            size_t p1 = p0;
            while (p1 < npc && (r + 1 == k || pc[p1].t0_ms < off[r + 1] - PK_GAP_MS / 2))
                p1++;
            int64_t base = j->p.vad ? regions[r][0] - off[r] : 0;
            st = parley_parakeet_segments(pc + p0, p1 - p0, base, regions[r][0], regions[r][1], NULL, &j->out,
                                          job_segment, j);
            done_ms += regions[r][1] - regions[r][0];
            p0 = p1;
        }
        free(pc);
        if (st) {
            job_fail(j, st);
            break;
        }
        job_progress(j, speech > 0 ? (double)done_ms / (double)speech : 1.0);
        i = k;
    }
    free(pass);
    free(off);
done:
    pthread_mutex_lock(&j->lock);
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void pk_reap(parley_parakeet *pk)
{
    if (!pk->abandoned)
        return;
    pthread_join(pk->abandoned->thread, NULL);
    job_free(pk->abandoned);
    pk->abandoned = NULL;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

parley_status parley_parakeet_transcribe(parley_parakeet *pk, const struct parley_transcribe_params *params,
                                         const float *samples, size_t n_samples, parley_transcript *out)
{
    if (!pk || !params || !out || (!samples && n_samples))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "model, params and out are required");
    memset(out, 0, sizeof *out);
    pk_reap(pk);
    free(pk->regions);
    pk->regions = NULL;
    pk->n_regions = 0;
    if (n_samples == 0)
        return parley_fail(PARLEY_ERR_NO_AUDIO, "no audio samples to transcribe");
    if (n_samples > (size_t)INT32_MAX)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "recording too long for one pass (%.0f s)",
                           (double)n_samples / PARLEY_AUDIO_RATE);
    if (params->translate)
        return parley_fail(PARLEY_ERR_UNSUPPORTED, "Parakeet transcribes; it cannot translate (use a whisper model)");
    if (params->vad) {
        if (!params->vad_model_path)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "VAD is on but no VAD model was given");
        parley_status st = parley_vad_check_model(params->vad_model_path);
        if (st)
            return st;
    }
    parley_status st = parley_parakeet_check_language(pk, params->language);
    if (st)
        return st;

    struct pk_job *j = calloc(1, sizeof *j);
    if (!j)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    j->pk = pk;
    j->p = *params;
    j->n_threads = params->n_threads > 0 ? params->n_threads : default_threads();
    j->n_samples = n_samples;
    if (!(j->samples = malloc(n_samples * sizeof *samples))) {
        job_free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory copying %.0f s of audio", (double)n_samples / 16000);
    }
    memcpy(j->samples, samples, n_samples * sizeof *samples);
    if (pthread_create(&j->thread, NULL, worker_main, j) != 0) {
        job_free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "cannot start a transcription thread");
    }
    /* Wait, looking at the cancel flag every 20 ms. */
    bool cancelled = false;
    pthread_mutex_lock(&j->lock);
    while (!j->done) {
        if (parley_cancel_is_set(params->cancel)) {
            atomic_store(&j->abandoned, true); /* under the lock: no callback is running */
            cancelled = true;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cond, &j->lock, &ts);
    }
    pthread_mutex_unlock(&j->lock);
    if (cancelled) {
        pk->abandoned = j;
        return parley_fail(PARLEY_ERR_CANCELLED, "transcription cancelled");
    }
    pthread_join(j->thread, NULL);
    if (atomic_load(&j->cb_cancel))
        st = parley_fail(PARLEY_ERR_CANCELLED, "transcription cancelled");
    else if (j->err)
        st = parley_fail(j->err, "%s", j->errmsg);
    if (st) {
        job_free(j);
        return st;
    }
    *out = j->out;
    memset(&j->out, 0, sizeof j->out);
    pk->regions = j->regions;
    pk->n_regions = j->n_regions;
    j->regions = NULL;
    job_free(j);
    out->duration_s = (double)n_samples / PARLEY_AUDIO_RATE;
    const char *lang = params->language && *params->language && strcmp(params->language, "auto") ? params->language
                       : parley_parakeet_multilingual(pk)                                       ? NULL
                                                                                                : "en";
    out->language = lang ? parley_strdup(lang) : NULL;
    out->model = parley_strdup(pk->model_name);
    return PARLEY_OK;
}

/* ---- model lookup ---- */

parley_status parley_parakeet_find(const char *spec, char *out, size_t out_size)
{
    if (!spec || !*spec)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a Parakeet model path or id is required");
    if (strchr(spec, '/') || parley_is_file(spec)) {
        if ((size_t)snprintf(out, out_size, "%s", spec) >= out_size)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", spec);
        if (!parley_is_file(spec))
            return parley_fail(PARLEY_ERR_NOT_FOUND, "speech model %s: no such file", spec);
        return PARLEY_OK;
    }
    bool done = false;
    parley_status st = parley_catalog_lookup(PARLEY_MODEL_SPEECH, spec, out, out_size, &done);
    if (done || st)
        return st;
    static const char *const suffix[] = {"", "-f16", "-q8_0", "-q5_0", "-q4_0", "-q4_k"};
    char dirs[8][PATH_MAX];
    size_t nd = parley_model_search_dirs(dirs, 8);
    parley_buf looked = {0};
    for (size_t d = 0; d < nd; d++) {
        for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
            char path[PATH_MAX];
            int w = snprintf(path, sizeof path, "%s/ggml-%s%s.bin", dirs[d], spec, suffix[k]);
            if (w < 0 || (size_t)w >= sizeof path || !parley_is_file(path))
                continue;
            parley_buf_free(&looked);
            if ((size_t)snprintf(out, out_size, "%s", path) >= out_size)
                return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", path);
            return PARLEY_OK;
        }
        parley_buf_printf(&looked, "%s%s", d ? ", " : "", dirs[d]);
    }
    st = parley_fail(PARLEY_ERR_NOT_FOUND, "no Parakeet model '%s': not in the catalog, and no ggml-%s[-f16|-q8_0|...].bin in %s",
                     spec, spec, looked.data ? looked.data : "(no model directories)");
    parley_buf_free(&looked);
    return st;
}
