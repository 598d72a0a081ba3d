/*
 * vad.h: voice activity detection with Silero VAD through whisper.cpp's own VAD API. One
 * loaded detector serves a whole recording (batch: the speech regions of a buffer) or a
 * live stream (push audio as it arrives, get utterance start and end events).
 *
 * Basic usage (batch)
 *
 *     struct parley_vad_params vp = parley_vad_default_params();
 *     vp.model_path = "ggml-silero-v6.2.0.bin";
 *     parley_vad *vad;
 *     if (parley_vad_open(&vp, &vad) != PARLEY_OK) fail();
 *     parley_vad_region *r; size_t n;
 *     if (parley_vad_regions(vad, samples, n_samples, &r, &n) == PARLEY_OK) {
 *         ... r[i].t0_ms, r[i].t1_ms (ms from the first sample) ...
 *         free(r);
 *     }
 *
 * Basic usage (streaming)
 *
 *     parley_vad_event ev[8]; size_t n_ev;
 *     for each chunk of 16 kHz mono samples starting at t_ms on the caller's timeline:
 *         parley_vad_push(vad, chunk, n, t_ms, ev, 8, &n_ev);
 *         ... ev[i].kind == PARLEY_VAD_SPEECH_START / _END, ev[i].t_ms ...
 *     parley_vad_flush(vad, ev, 8, &n_ev);   // end of input: closes open speech
 *     parley_vad_free(vad);
 *
 * Times: streaming events are on the timeline the caller gives with each push (a jump in
 * t0_ms is taken as a gap: open speech ends at the last sample before it). Batch regions
 * are milliseconds from the buffer's first sample, padded as whisper.cpp pads them.
 *
 * Thread rules: a parley_vad is used by one thread at a time (it holds the detector's
 * LSTM state). Separate parley_vad objects may run on separate threads. Batch and
 * streaming use may alternate on one object; a batch call resets the streaming state.
 */
#ifndef PARLEY_VAD_H
#define PARLEY_VAD_H

#include <parley/parley.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_vad parley_vad;

struct parley_vad_params {
    const char *model_path;  /* Silero VAD model in whisper.cpp's ggml format; required; copied */
    int n_threads;           /* threads for the detector; 0 = 1 (the network is tiny: more threads
                                only spin; whisper.cpp's own default of 4 is what makes its built-in
                                VAD slow on small machines) */
    float threshold;         /* speech probability threshold; 0 = 0.5 (whisper.cpp's default) */
    int min_speech_ms;       /* shorter speech is ignored; 0 = 250 */
    int min_silence_ms;      /* silence that ends speech; 0 = 100 (batch) / 600 (streaming) */
    int speech_pad_ms;       /* padding added around speech; 0 = 30 */
    float max_speech_s;      /* longest region/utterance before it is cut; 0 = no limit in batch,
                                15 s in streaming */
};
struct parley_vad_params parley_vad_default_params(void);

/* Checks that path is a Silero VAD model of whisper.cpp's format (magic, "silero" arch,
 * sizes) without loading it. PARLEY_ERR_NOT_FOUND / _PERMISSION: cannot read it;
 * PARLEY_ERR_MODEL_ARCH: another kind of model (a whisper speech model, a GGUF);
 * PARLEY_ERR_MODEL_LOAD: truncated or damaged; PARLEY_ERR_TOO_LARGE: path too long. */
parley_status parley_vad_check_model(const char *path);

/* Loads the detector (checks the file first as above). */
parley_status parley_vad_open(const struct parley_vad_params *params, parley_vad **out);
void parley_vad_free(parley_vad *vad); /* NULL is a no-op */

/* ---- batch ---- */

typedef struct parley_vad_region {
    int64_t t0_ms; /* start, ms from the first sample */
    int64_t t1_ms; /* end, ms; > t0_ms */
} parley_vad_region;

/* The speech regions of a 16 kHz mono buffer, as whisper.cpp's VAD finds them with the
 * params given at open (and batch defaults). *out is a new array (free() it), NULL when
 * *n_out is 0. Silence only is not an error: *n_out = 0. */
parley_status parley_vad_regions(parley_vad *vad, const float *samples, size_t n_samples, parley_vad_region **out,
                                 size_t *n_out);

/* The same regions in whisper.cpp's own units (centiseconds), exactly as
 * whisper_vad_segments_from_samples returns them; for callers that must reproduce
 * whisper.cpp's own VAD pipeline sample for sample. *out is [n][2] (start, end), free(). */
parley_status parley_vad_regions_cs(parley_vad *vad, const float *samples, size_t n_samples, int64_t (**out)[2],
                                    size_t *n_out);

/* ---- streaming ---- */

typedef enum parley_vad_event_kind {
    PARLEY_VAD_SPEECH_START = 1, /* speech began at t_ms (already moved back by speech_pad_ms) */
    PARLEY_VAD_SPEECH_END = 2,   /* speech ended at t_ms (a pause of min_silence_ms followed, the
                                    utterance reached max_speech_s, a gap in time, or a flush) */
} parley_vad_event_kind;

typedef struct parley_vad_event {
    parley_vad_event_kind kind;
    int64_t t_ms; /* on the caller's timeline */
} parley_vad_event;

/* Feeds 16 kHz mono samples whose first sample is at t0_ms. Audio is analysed in 32 ms
 * windows (512 samples); a partial window waits for the next push. Events that happened
 * in this audio are written to events[0..max_events) in order, their number to *n_events.
 * More than max_events events (only with tiny windows of alternating speech) are kept
 * and returned by the next call. Events come in START, END pairs; an END is reported
 * once min_silence_ms of silence has been seen after it. */
parley_status parley_vad_push(parley_vad *vad, const float *samples, size_t n_samples, int64_t t0_ms,
                              parley_vad_event *events, size_t max_events, size_t *n_events);

/* End of input: analyses the partial window and closes open speech (an END event). */
parley_status parley_vad_flush(parley_vad *vad, parley_vad_event *events, size_t max_events, size_t *n_events);

/* Clears the streaming state (LSTM, open speech, pending samples). */
void parley_vad_reset(parley_vad *vad);

/* The speech probability of the most recent 32 ms window in [0, 1], for level meters. */
float parley_vad_last_prob(const parley_vad *vad);

#ifdef __cplusplus
}
#endif
#endif
