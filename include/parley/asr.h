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
 * Thread rules: one parley_asr may be used by one thread at a time; separate parley_asr
 * objects may run on separate threads. The cancel flag may be set from any thread (or a
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
