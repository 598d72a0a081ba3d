/*
 * audio.h: decode any recording FFmpeg can read (WAV, FLAC, MP3, OGG/Opus, M4A/AAC, and the
 * audio track of MP4/MKV/WebM video) into 16 kHz mono float samples for speech recognition.
 *
 * Basic usage
 *
 *     struct parley_audio_params p = parley_audio_default_params();
 *     parley_audio a;
 *     parley_status st = parley_audio_decode_file("meeting.m4a", &p, &a);
 *     if (st == PARLEY_OK) { use(a.samples, a.n_samples); parley_audio_free(&a); }
 *
 * Errors: PARLEY_ERR_NOT_FOUND (no such file), PARLEY_ERR_BAD_AUDIO (not audio, corrupt,
 * empty, not a regular file, or truncated: the detail says which), PARLEY_ERR_UNSUPPORTED
 * (a pipe/FIFO), PARLEY_ERR_NO_AUDIO (a container without an
 * audio track, or with no samples), PARLEY_ERR_TOO_LARGE (longer than max_seconds),
 * PARLEY_ERR_CANCELLED.
 *
 * Thread rules: independent calls may run on different threads at once.
 */
#ifndef PARLEY_AUDIO_H
#define PARLEY_AUDIO_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_AUDIO_RATE 16000 /* samples per second of decoded audio */

/* Progress: fraction of the input read so far in [0, 1]. Return false to cancel. */
typedef bool (*parley_progress_fn)(double fraction, void *user_data);

struct parley_audio_params {
    double max_seconds;         /* refuse longer recordings (memory: 64 KB per second); 0 = 12 hours */
    bool allow_truncated;       /* decode what a truncated file holds instead of failing */
    parley_progress_fn progress; /* may be NULL */
    void *progress_user_data;
    const parley_cancel *cancel;  /* when it becomes true, decoding stops with PARLEY_ERR_CANCELLED; may be NULL */
    int channel;                /* 0 = every channel mixed to mono (default); k = channel k alone (1 = left),
                                   e.g. one side of a live meeting's recording; INVALID_ARG when the
                                   file has fewer channels */
};

struct parley_audio_params parley_audio_default_params(void);

typedef struct parley_audio {
    float *samples;       /* mono, PARLEY_AUDIO_RATE Hz, in [-1, 1]; owned */
    size_t n_samples;
    double duration_s;    /* n_samples / PARLEY_AUDIO_RATE */
    int source_rate;      /* the input's sample rate */
    int source_channels;  /* the input's channel count */
    char codec[32];       /* the input's codec name ("pcm_s16le", "opus", ...) */
    char container[32];   /* the input's container ("wav", "mov,mp4,m4a,3gp,3g2,mj2", ...) */
    bool truncated;       /* the file ended before its header said (only with allow_truncated) */
} parley_audio;

/* Decodes the recording at path; "-" reads it from standard input (a pipe is streamed, so
 * an MP4/M4A with its index at the end needs a path). */
parley_status parley_audio_decode_file(const char *path, const struct parley_audio_params *params, parley_audio *out);

/* The same from a recording held in memory (len bytes at data; borrowed for the call).
 * name labels it in error details ("upload.m4a"); NULL gives "(recording in memory)".
 * The same verdicts and errors as the file form. */
parley_status parley_audio_decode_memory(const void *data, size_t len, const char *name,
                                         const struct parley_audio_params *params, parley_audio *out);

/* Frees the samples and zeroes a. NULL is a no-op. */
void parley_audio_free(parley_audio *a);

#ifdef __cplusplus
}
#endif
#endif
