/* parakeet_internal.h: NVIDIA Parakeet TDT (0.6B v2 English, v3 multilingual) as a second
 * speech engine, through whisper.cpp's libparakeet (parakeet.h). Not a public header: the
 * common ASR interface (asr.h) dispatches here when a model file is a Parakeet file.
 *
 * Basic usage (batch)
 *
 *     parley_parakeet *pk;
 *     if (parley_parakeet_init(path, true, &pk) != PARLEY_OK) fail();   // checked first
 *     struct parley_transcribe_params tp = parley_transcribe_default_params();
 *     tp.vad_model_path = "ggml-silero-v6.2.0.bin";
 *     parley_transcript t;
 *     parley_parakeet_transcribe(pk, &tp, samples, n, &t);  // segments on the original timeline
 *     parley_parakeet_free(pk);
 *
 * Basic usage (streaming: live meetings)
 *
 *     parley_parakeet_stream *s;
 *     parley_parakeet_stream_open(pk, &stream_params, &s);   // parley_asr_stream_params
 *     parley_parakeet_stream_push(s, frames, n, t0_ms);      // never waits for inference
 *     parley_parakeet_stream_finish(s, cancel);
 *     parley_parakeet_stream_free(s);
 *
 * What Parakeet does differently from whisper: no prompt, no translation, no language
 * choice (v3 recognises its 25 European languages by itself, v2 is English only), and
 * libparakeet returns one segment per call with per-piece times; segments here are the
 * VAD's speech regions cut at sentence ends (". ? !") and long pauses.
 *
 * Cancel: libparakeet checks its abort callback only between graph runs, and one encoder
 * run over a long region takes seconds on a small CPU. Batch transcription therefore runs
 * on a worker thread, as asr.c does for whisper: a cancel returns PARLEY_ERR_CANCELLED
 * within 50 ms, the worker stops at libparakeet's next check, and the next call on the
 * same parley_parakeet (or its free) waits for that.
 *
 * Thread rules: one thread at a time per parley_parakeet for transcribe; streams have a
 * parakeet state of their own and may run beside it and each other; the parley_parakeet
 * must outlive its streams. Stream callbacks run on the stream's worker thread.
 */
#ifndef PARLEY_ASR_PARAKEET_INTERNAL_H
#define PARLEY_ASR_PARAKEET_INTERNAL_H

#include <parley/asr.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct parley_parakeet parley_parakeet;
typedef struct parley_parakeet_stream parley_parakeet_stream;

/* What a model file's header says it is, without loading it. */
typedef enum parley_speech_file_kind {
    PARLEY_SPEECH_FILE_UNKNOWN = 0, /* not readable as any of the below (see parley_last_error) */
    PARLEY_SPEECH_FILE_WHISPER = 1, /* whisper.cpp speech model (ggml magic, 11 hparams, 201 FFT bins) */
    PARLEY_SPEECH_FILE_PARAKEET = 2, /* Parakeet ggml file (15 hparams, n_mel / n_fb matching them) */
    PARLEY_SPEECH_FILE_VAD = 3,     /* Silero VAD model in whisper.cpp's format */
    PARLEY_SPEECH_FILE_GGUF = 4,    /* a GGUF file (a language model) */
} parley_speech_file_kind;

/* Reads the first bytes of path and classifies it. PARLEY_ERR_NOT_FOUND / _PERMISSION:
 * cannot open it; PARLEY_ERR_MODEL_LOAD: too short to tell. */
parley_status parley_speech_file_probe(const char *path, parley_speech_file_kind *kind);

/* What the checker found in a Parakeet file's header. */
struct parley_parakeet_info {
    int n_vocab;        /* 8192 (v3), 1024 (v2) */
    int n_audio_layer;  /* 24 */
    int n_audio_state;  /* 1024 */
    int n_mels;         /* 128 */
    int n_pred_layers;  /* 2 */
    int n_pred_dim;     /* 640 */
    int ftype;          /* ggml ftype (1 = F16; quantised files others) */
    long n_tensors;     /* tensors present (= 12 + 29 x layers + 1 + 3 x pred layers + 6) */
    const char *variant; /* "v3" (8192 pieces), "v2" (1024), or "other"; static */
};

/* Walks the whole Parakeet file before libparakeet sees it (whose loader reports only
 * that it failed, and loads a file cut before its first tensor as an "empty model" with
 * uninitialised weights): magic, the 15 hparams within the limits whisper.cpp 1.9.5
 * accepts, mel filters, window, durations, vocabulary, then every tensor header (data
 * skipped) within the file, as many tensors as the hparams imply, ending at the file's
 * end. PARLEY_ERR_MODEL_ARCH: another kind of file (a whisper model, a VAD model, a GGUF),
 * named in the message; PARLEY_ERR_MODEL_LOAD: truncated or damaged, with where. info
 * may be NULL. */
parley_status parley_parakeet_check_file(const char *path, struct parley_parakeet_info *info);

/* Loads a Parakeet model (checked first). use_gpu: a GPU backend when ggml has one. */
parley_status parley_parakeet_init(const char *path, bool use_gpu, parley_parakeet **out);
void parley_parakeet_free(parley_parakeet *pk); /* NULL is a no-op; waits for a cancelled run */

/* "v3", "v2" or "other" (borrowed, static). */
const char *parley_parakeet_variant(const parley_parakeet *pk);
/* v3 and other 8192-piece models are multilingual; v2 (1024 pieces) is English only. */
bool parley_parakeet_multilingual(const parley_parakeet *pk);

/* As parley_asr_transcribe (asr.h), with these differences: translate is refused
 * (PARLEY_ERR_UNSUPPORTED); language may be NULL/"auto" or a code (only "en" on an
 * English-only model; on v3 the model detects the language itself and out->language is
 * the given code, or NULL with "auto"); no_fallback is ignored (TDT decoding is greedy,
 * there is nothing to fall back from). With vad false the whole buffer is one pass,
 * exactly what parakeet-cli does. */
parley_status parley_parakeet_transcribe(parley_parakeet *pk, const struct parley_transcribe_params *params,
                                         const float *samples, size_t n_samples, parley_transcript *out);

/* Speech regions of the last transcription (0 without VAD), ms on the original timeline. */
size_t parley_parakeet_n_vad_regions(const parley_parakeet *pk);
parley_status parley_parakeet_vad_region(const parley_parakeet *pk, size_t i, int64_t *t0_ms, int64_t *t1_ms);

/* ---- streaming, with the semantics of parley_asr_stream_* (asr.h) ----
 * Utterances are cut by the Silero VAD (parley_vad streaming events) and each is decoded
 * with parakeet_chunk() on the stream's own parakeet state. initial_prompt and
 * no_speech_threshold do not apply to Parakeet and are ignored. */
parley_status parley_parakeet_stream_open(parley_parakeet *pk, const struct parley_asr_stream_params *params,
                                          parley_parakeet_stream **out);
parley_status parley_parakeet_stream_push(parley_parakeet_stream *s, const float *samples, size_t n, int64_t t0_ms);
int64_t parley_parakeet_stream_backlog_ms(const parley_parakeet_stream *s);
parley_status parley_parakeet_stream_finish(parley_parakeet_stream *s, const parley_cancel *cancel);
void parley_parakeet_stream_free(parley_parakeet_stream *s);

/* Resolves a Parakeet model given as a path or an id. A spec with '/' or naming an
 * existing file is a path. An id is first looked up in the catalog
 * ("parakeet-tdt-0.6b-v3"); otherwise ggml-<id>.bin, then ggml-<id>-f16.bin, -q8_0,
 * -q5_0, -q4_0 and -q4_k are searched in the model directories (parley_model_find's
 * order). PARLEY_ERR_NOT_FOUND names where it looked. */
parley_status parley_parakeet_find(const char *spec, char *out, size_t out_size);

/* ---- the common interface's side (parakeet_asr.c; asr.c calls these) ---- */

/* Whether path's header says Parakeet (then parley_asr_init hands it to the next). */
bool parley_asr_is_parakeet_file(const char *path);
/* parley_asr_init for a Parakeet file: the parley_asr holds the engine in asr->pk. */
parley_status parley_asr_init_parakeet(const struct parley_asr_params *params, parley_asr **out);
/* "parakeet-tdt-0.6b-v3", "parakeet-tdt-0.6b-v2" or "parakeet" (static), for
 * parley_asr_model_type. */
const char *parley_parakeet_model_type(const parley_parakeet *pk);

/* ---- shared between parakeet.c and parakeet_stream.c ---- */

struct parakeet_context;
struct parakeet_state;

/* NULL / "" / "auto", or a language the model knows ("en" only on v2; v3's 25). */
parley_status parley_parakeet_check_language(const parley_parakeet *pk, const char *lang);

/* The loaded context (for streams' own states). */
struct parakeet_context *parley_parakeet_ctx(parley_parakeet *pk);

/* One decoded piece: its text ("▁" already a space), times in ms from the start of the
 * audio given to libparakeet, probability. */
typedef struct parley_parakeet_piece {
    char text[64];
    int64_t t0_ms, t1_ms;
    float p;
} parley_parakeet_piece;

/* Collects the pieces of every segment libparakeet produced in state (the default state
 * when NULL) into *out (a new array, free()); *n_out pieces. */
parley_status parley_parakeet_pieces(struct parakeet_context *ctx, struct parakeet_state *state,
                                     parley_parakeet_piece **out, size_t *n_out);

/* Cuts pieces into segments: at a sentence end (". ? !") once the segment is 2 s long,
 * at a pause of 1 s or more between pieces, and at 30 s. Times are offset by base_ms and
 * clamped to [lo_ms, hi_ms] (the speech region). Each segment is appended to t and given
 * to fn (may be NULL) with speaker. */
parley_status parley_parakeet_segments(const parley_parakeet_piece *pieces, size_t n, int64_t base_ms, int64_t lo_ms,
                                       int64_t hi_ms, const char *speaker, parley_transcript *t,
                                       void (*fn)(const parley_segment *seg, void *ud), void *ud);

#endif
