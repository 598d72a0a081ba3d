/*
 * asr.h: speech to text with whisper.cpp, Silero VAD first so that silence yields no text.
 *
 * Basic usage
 *
 *     struct parley_asr_params ap = parley_asr_default_params();
 *     ap.model_path = "ggml-base.bin";
 *     parley_asr *asr;
 *     if (parley_asr_init(&ap, &asr) != PARLEY_OK) fail();
 *
 *     struct parley_transcribe_params tp = parley_transcribe_default_params();
 *     tp.vad_model_path = "ggml-silero-v6.2.0.bin";
 *     parley_transcript t;
 *     if (parley_asr_transcribe(asr, &tp, audio.samples, audio.n_samples, &t) == PARLEY_OK) {
 *         ... t.segments[i].t0_ms, .t1_ms, .text, .confidence ...
 *         parley_transcript_free(&t);
 *     }
 *     parley_asr_free(asr);
 *
 * Times are milliseconds on the original recording's timeline, also with VAD (whisper.cpp
 * maps the speech-only timeline back). Each segment's confidence is the mean probability
 * of its text tokens.
 *
 * Thread rules: parley_asr_transcribe() on one parley_asr is called by one thread at a
 * time; separate parley_asr objects may run on separate threads. Streams (below) share
 * the loaded model: any number of them run at once, also beside parley_asr_transcribe(). The cancel flag may be set from any thread (or a
 * signal handler): parley_asr_transcribe() returns PARLEY_ERR_CANCELLED within 50 ms and
 * the parley_asr stays usable. whisper.cpp itself may need longer to reach its next abort
 * check (it cannot interrupt its mel and VAD passes), so the work finishes stopping on a
 * worker thread; the next call on the same parley_asr, or parley_asr_free(), waits for
 * that. A program that exits right after a cancel without parley_asr_free() should leave
 * with _exit(): exit() would run the libraries' destructors under the stopping worker.
 */
#ifndef PARLEY_ASR_H
#define PARLEY_ASR_H

#include <parley/audio.h>
#include <parley/parley.h>
#include <parley/transcript.h>
#include <parley/vad.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_asr parley_asr;

struct parley_asr_params {
    const char *model_path; /* whisper.cpp ggml model file; required; copied */
    bool use_gpu;           /* use a GPU backend when ggml has one (default true) */
    bool flash_attn;        /* flash attention (default true, as whisper-cli) */
};
struct parley_asr_params parley_asr_default_params(void);

/* Loads the model. PARLEY_ERR_NOT_FOUND: no such file; PARLEY_ERR_MODEL_ARCH: a file of
 * another kind (a GGUF LLM, a VAD model); PARLEY_ERR_MODEL_LOAD: truncated or corrupt. */
parley_status parley_asr_init(const struct parley_asr_params *params, parley_asr **out);
void parley_asr_free(parley_asr *asr); /* NULL is a no-op */

/* Checks a language code without a model: NULL, "", "auto", or a 2-3 letter ISO 639
 * code that whisper knows; else PARLEY_ERR_INVALID_ARG with the reason. For checking
 * user input before long work (transcription checks it again, with the model). */
parley_status parley_asr_check_language_code(const char *code);

/* "tiny", "base", "small", "medium", "large" (whisper.cpp's naming). Borrowed; valid
 * while asr lives. */
const char *parley_asr_model_type(const parley_asr *asr);
/* Whether the model is multilingual (else English only). */
bool parley_asr_multilingual(const parley_asr *asr);

/* Called for each new segment as whisper produces it (times final). */
typedef void (*parley_segment_fn)(const parley_segment *seg, void *user_data);

struct parley_transcribe_params {
    int n_threads;               /* CPU threads; 0 = all cores, at most 8 */
    const char *language;        /* ISO 639-1 code, or NULL / "auto" to detect */
    bool translate;              /* translate to English (default false) */
    bool no_fallback;            /* never re-decode a doubtful window at a higher temperature
                                    (faster, a little less robust; whisper-cli's -nf) */
    bool vad;                    /* cut silence with Silero VAD first (default true) */
    const char *vad_model_path;  /* Silero VAD model (ggml); required when vad */
    float vad_threshold;         /* speech probability threshold; 0 = whisper.cpp's default (0.5) */
    int vad_min_silence_ms;      /* silence that ends speech; 0 = whisper.cpp's default */
    int vad_speech_pad_ms;       /* padding around speech; 0 = whisper.cpp's default */
    parley_progress_fn progress; /* fraction of the audio done; return false to cancel; may be NULL */
    void *progress_user_data;
    parley_segment_fn on_segment; /* may be NULL */
    void *on_segment_user_data;
    const parley_cancel *cancel;   /* set true to cancel; may be NULL */
    const char *initial_prompt;  /* vocabulary hints (names, jargon) for whisper; NULL = none; borrowed
                                    for the call */
    bool fit_window;             /* audio under 30 s: shorten whisper's encoder window to the audio
                                    (plus 1 s) instead of padding it to 30 s. Several times faster
                                    for a short utterance (live uses it); whisper was trained on
                                    full windows, so text may differ slightly. Default false */
    bool drop_invented;          /* whisper: leave out segments it most likely invented on noise
                                    or silence (no-speech probability over 0.6 with a token
                                    confidence under 0.5, or one phrase said over and over), as
                                    streams do; each is logged at debug level. Live uses it.
                                    Default false (a file's transcript keeps every segment) */
    float no_speech_threshold;   /* with drop_invented: the no-speech probability above which a
                                    doubtful segment is dropped; 0 = 0.6 (as streams) */
};
struct parley_transcribe_params parley_transcribe_default_params(void);

/* Transcribes 16 kHz mono samples into *out (a new transcript: free it with
 * parley_transcript_free). Fills out->language, ->model and ->duration_s; out->id is 0.
 * No speech at all is not an error: the transcript has no segments. */
parley_status parley_asr_transcribe(parley_asr *asr, const struct parley_transcribe_params *params,
                                    const float *samples, size_t n_samples, parley_transcript *out);

/* The speech regions the VAD found in the last transcription (0 without VAD), in
 * milliseconds on the original timeline. */
size_t parley_asr_n_vad_regions(const parley_asr *asr);
parley_status parley_asr_vad_region(const parley_asr *asr, size_t i, int64_t *t0_ms, int64_t *t1_ms);

/* ---- streaming: one loaded model, any number of live streams ----
 *
 * A stream transcribes audio as it arrives (a microphone, system audio): a Silero VAD
 * cuts it into utterances at pauses (or at max_utterance_ms), and each utterance is
 * transcribed on the stream's own worker thread with its own whisper state, so several
 * streams (mic "Me" and system audio "Them") run at once on one parley_asr.
 *
 *     struct parley_asr_stream_params sp = parley_asr_stream_default_params();
 *     sp.vad_model_path = "ggml-silero-v6.2.0.bin";
 *     sp.speaker = "Me";
 *     sp.on_segment = on_seg; sp.on_segment_user_data = me;
 *     parley_asr_stream *s;
 *     if (parley_asr_stream_open(asr, &sp, &s) != PARLEY_OK) fail();
 *     while (capturing) {
 *         st = parley_asr_stream_push(s, frames, n, t0_ms);    // never waits for inference
 *         if (st == PARLEY_ERR_TOO_LARGE) ... queue full: keep the audio (journal) and push it
 *                                             again later, from t0_ms on ...
 *     }
 *     parley_asr_stream_finish(s, cancel);  // last utterance, waits until all are transcribed
 *     parley_asr_stream_free(s);
 *
 * Guards against text invented on silence and noise: only VAD speech reaches whisper;
 * an utterance whose RMS level is below energy_gate_db is skipped; a segment whisper
 * itself rates as no speech (no_speech_prob above no_speech_threshold with a low mean
 * token probability) is dropped; a segment that repeats the previous one of the stream,
 * or is one phrase repeated over and over, is dropped.
 *
 * Thread rules for streams: push, backlog_ms, finish and free are called from one thread
 * per stream (the owner, e.g. the capture thread); backlog_ms may also be called from
 * any thread. Callbacks run on the stream's worker thread, one at a time, in timeline
 * order; they must not call finish or free on their own stream (push is allowed).
 * Streams on one parley_asr may run concurrently with each other and with
 * parley_asr_transcribe(); the parley_asr must outlive its streams. */
typedef struct parley_asr_stream parley_asr_stream;

/* A final segment: times in ms on the session timeline (the t0_ms given to push), speaker
 * from the params, confidence = mean token probability. Borrowed for the call. */
typedef void (*parley_stream_segment_fn)(const parley_segment *seg, void *user_data);
/* A failure on the worker (inference failed, out of memory): st and its detail. The
 * stream keeps going with the next utterance; the failed utterance's audio span is
 * [t0_ms, t1_ms) so that the caller can transcribe it again from its journal. */
typedef void (*parley_stream_error_fn)(parley_status st, const char *message, int64_t t0_ms, int64_t t1_ms,
                                       void *user_data);

struct parley_asr_stream_params {
    const char *language;       /* ISO 639-1 code, or NULL / "auto" (detected per utterance); copied */
    const char *initial_prompt; /* vocabulary hints (names, jargon) for whisper; NULL = none; copied */
    const char *speaker;        /* label put on every segment ("Me", "Them"); NULL = none; copied */
    int n_threads;              /* whisper threads for this stream; 0 = all cores, at most 8 */
    const char *vad_model_path; /* Silero VAD model; required; copied */
    float vad_threshold;        /* speech probability; 0 = 0.5 */
    int min_silence_ms;         /* a pause this long ends an utterance; 0 = 600 */
    int max_utterance_ms;       /* an utterance is cut at this length; 0 = 15000 */
    int max_backlog_ms;         /* audio queued and not yet taken by the worker, at most; past it
                                   push returns PARLEY_ERR_TOO_LARGE; 0 = 120000 (2 minutes). The
                                   worker holds at most one utterance more (max_utterance_ms) */
    float energy_gate_db;       /* utterances quieter than this RMS (dBFS) are skipped; 0 = -55 */
    float no_speech_threshold;  /* whisper's no-speech probability above which a doubtful segment
                                   is dropped; 0 = 0.6 */
    parley_stream_segment_fn on_segment; /* may be NULL */
    void *on_segment_user_data;
    parley_stream_error_fn on_error; /* may be NULL */
    void *on_error_user_data;
};
struct parley_asr_stream_params parley_asr_stream_default_params(void);

/* Opens a stream on a loaded model: loads its VAD and a whisper state, starts its worker.
 * Errors: PARLEY_ERR_INVALID_ARG (no VAD model, unknown language, a non-English language
 * on an English-only model), the VAD model's load errors (see vad.h), PARLEY_ERR_NOMEM. */
parley_status parley_asr_stream_open(parley_asr *asr, const struct parley_asr_stream_params *params,
                                     parley_asr_stream **out);

/* Queues n 16 kHz mono samples whose first sample is at t0_ms on the session timeline
 * (consecutive pushes normally continue the timeline; a jump is a gap, which ends an open
 * utterance). Copies the samples and returns at once; VAD and whisper run on the worker.
 * PARLEY_ERR_TOO_LARGE: the queue would pass max_backlog_ms; nothing of this call was
 * taken (push the same samples again later). PARLEY_ERR_INVALID_ARG after finish. */
parley_status parley_asr_stream_push(parley_asr_stream *s, const float *samples, size_t n, int64_t t0_ms);

/* Audio accepted but not yet transcribed, in ms (queued, in VAD, in the utterance being
 * transcribed). Any thread. */
int64_t parley_asr_stream_backlog_ms(const parley_asr_stream *s);

/* Ends the input: the open utterance is closed and everything queued is transcribed;
 * returns when the last segment callback has returned. cancel (may be NULL) stops the
 * wait within 50 ms and discards what was not transcribed yet (PARLEY_ERR_CANCELLED).
 * No push after finish. */
parley_status parley_asr_stream_finish(parley_asr_stream *s, const parley_cancel *cancel);

/* Discards what is queued and frees the stream. Returns at once (milliseconds), also in
 * the middle of an utterance: no callback runs after it returns. whisper.cpp stops only
 * between its encoder and decoder passes, so the worker may need a moment longer to
 * stop; it then frees what is left by itself, and parley_asr_free() waits for it.
 * NULL is a no-op. */
void parley_asr_stream_free(parley_asr_stream *s);

/* Resolves a model given as a path or an id. A spec containing '/' or naming an existing
 * file is a path. Otherwise for kind "whisper" the id ("base", "large-v3-turbo") names
 * ggml-<id>.bin, and for kind "vad" silero files (ggml-silero-*.bin); they are searched in
 * the models directory (parley_dir_path) and in each directory of $PARLEY_MODEL_PATH
 * (colon-separated). spec NULL asks for the default: for "whisper" the largest of
 * large-v3-turbo, small, base, tiny present; for "vad" the newest silero file.
 * PARLEY_ERR_NOT_FOUND names where it looked. */
parley_status parley_model_find(const char *kind, const char *spec, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
