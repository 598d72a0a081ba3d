/* asr_internal.h: the loaded model, shared by batch transcription (asr.c) and streams
 * (stream.c). Not a public header. */
#ifndef PARLEY_ASR_INTERNAL_H
#define PARLEY_ASR_INTERNAL_H

#include <parley/asr.h>
#include <parley/vad.h>

#include <pthread.h>

#include <whisper.h>

struct asr_job;

struct parley_asr {
    struct whisper_context *ctx; /* weights; its default state serves parley_asr_transcribe, each
                                    stream has a whisper_state of its own */
    char *model_name;            /* file name of the model, for the transcript */
    int64_t (*vad)[2];           /* speech regions of the last transcription, ms */
    size_t n_vad;
    struct asr_job *abandoned;   /* a cancelled run whose worker may still be stopping; joined before the next */
    parley_vad *vad_ctx;         /* the batch VAD, kept loaded between transcriptions */
    char *vad_path;              /* the file vad_ctx was loaded from */
    struct parley_parakeet *pk;  /* parakeet: a Parakeet model (parakeet_internal.h); ctx is NULL */
    pthread_mutex_t streams_lock; /* guards n_streams */
    pthread_cond_t streams_cond;
    int n_streams;                /* stream workers alive: parley_asr_free waits for them */
};

/* A speech model's GPU: *gpu_device becomes the index (among ggml's GPUs) of the first one
 * whose driver is not known-bad; none left = *use_gpu false. Logged. */
void parley_asr_choose_gpu(bool *use_gpu, int *gpu_device);

/* A stream's worker started / ended (the stream is gone). */
void parley_asr_stream_born(parley_asr *asr);
void parley_asr_stream_gone(parley_asr *asr);

/* Guards against text whisper invents (guards.c). parley_asr_normalise: lower-case letters
 * and digits, words separated by one space (malloc'd; NULL when out of memory).
 * parley_asr_is_loop: a normalised text that is mostly one phrase said over and over. */
char *parley_asr_normalise(const char *t);
bool parley_asr_is_loop(const char *norm);

/* No-speech threshold: a segment whose no-speech probability is above it, with a token
 * confidence under PARLEY_ASR_LOW_CONFIDENCE, is taken as invented on silence or noise. */
#define PARLEY_ASR_NO_SPEECH 0.6f
#define PARLEY_ASR_LOW_CONFIDENCE 0.5f

/* Why a segment looks invented, or NULL: "no speech" (no_speech_prob over nsp_threshold,
 * 0 = PARLEY_ASR_NO_SPEECH, with a known confidence under PARLEY_ASR_LOW_CONFIDENCE) or "a
 * phrase repeated over and over". */
const char *parley_asr_invented(const char *text, float no_speech_prob, float confidence, float nsp_threshold);

/* Default CPU threads for whisper: all cores, at most 8. */
int parley_asr_default_threads(void);

/* Mean probability of the text tokens of segment i (ids below EOT are text); -1 if none. */
float parley_asr_segment_confidence(struct whisper_context *ctx, struct whisper_state *state, int i);

/* Checks a language code before whisper.cpp sees it: 2-3 letters whisper knows, or
 * NULL / "" / "auto"; a non-English code needs a multilingual model. */
parley_status parley_asr_check_language(const parley_asr *asr, const char *lang);

/* Sets a batch detector's thresholds (0 = whisper.cpp's defaults) for the next pass. */
void parley_vad_set_batch_params(parley_vad *vad, float threshold, int min_silence_ms, int speech_pad_ms);

#endif
