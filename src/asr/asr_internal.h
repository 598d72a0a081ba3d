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
