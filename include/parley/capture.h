/*
 * capture.h: audio capture from the microphone and from system audio (what the computer
 * plays: the other side of a call), as 16 kHz mono float, each stream on its own thread.
 *
 * Basic usage
 *
 *     parley_capture_source *src; size_t n;
 *     parley_capture_list_sources(&src, &n);              // what `parley devices` shows
 *     parley_capture_sources_free(src, n);
 *
 *     struct parley_capture_params cp = parley_capture_default_params();
 *     cp.kind = PARLEY_CAPTURE_SYSTEM;                      // source NULL: the default one
 *     cp.on_audio = got_audio;                              // called on the capture thread
 *     parley_capture *cap;
 *     if (parley_capture_open(&cp, &cap) != PARLEY_OK) ... parley_last_error() says why
 *     ...
 *     parley_capture_close(cap);                            // stops and joins the thread
 *
 * Backends (platform code in its own file, picked at build time): Linux PulseAudio, which
 * also serves PipeWire through pipewire-pulse (capture_pulse.c); elsewhere only file
 * replay (capture_null.c). System audio on Linux is the monitor source of the default
 * output ("<sink>.monitor"). The sound server resamples to 16 kHz mono.
 *
 * Replay: with input_path set, a recording (anything audio.h decodes) is played into the
 * callback as if it were a device, in real time (speed 1), faster (speed N) or as fast as
 * the consumer takes it (speed 0). For demos, tests and benchmarks.
 *
 * Timestamps: every chunk carries t_ms, its first sample's time in milliseconds since
 * params.origin (a parley_now() value; 0 = the moment of opening), so that two streams
 * opened for one meeting share one timeline. Within a stream, t_ms advances by the
 * samples delivered (no drift from clock jitter). A device stream's start is found from
 * the arrival times of its whole first second (the least "arrival less position"), so
 * the first second is handed over about 1 s late, once; the server's reported latency is
 * not used (it is wrong at the start of a stream). Audio that never arrives (the server
 * dropped it, the machine slept: the stream stays 0.25 s or more behind the clock for 2 s)
 * is replaced by as much silence, with on_warning, so that what follows keeps its place.
 *
 * Thread rules: listing and opening may be called from any thread. on_audio and on_end
 * run on the capture's own thread and must not block for long: the server buffers about
 * 2 s for a recording stream and drops what does not fit (live.c only journals and queues
 * there). parley_capture_close() must not be called from a callback.
 */
#ifndef PARLEY_CAPTURE_H
#define PARLEY_CAPTURE_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_capture_kind {
    PARLEY_CAPTURE_MIC = 0,    /* a microphone: the default source when source is NULL */
    PARLEY_CAPTURE_SYSTEM = 1, /* system audio: the default output's monitor when source is NULL */
} parley_capture_kind;

/* One capture source as the sound server lists it. Strings owned by the array. */
typedef struct parley_capture_source {
    char *name;              /* what --mic/--system take, e.g. "alsa_input.pci-0000_00_1f.3.analog-stereo" */
    char *description;       /* human-readable, e.g. "Built-in Audio Analog Stereo" */
    bool is_monitor;         /* a sink's monitor (system audio), not a microphone */
    bool is_default_mic;     /* the server's default source */
    bool is_default_system;  /* the monitor of the server's default sink */
    int rate;                /* native sample rate, Hz */
    int channels;            /* native channel count */
} parley_capture_source;

/* The capture sources (monitors included). PARLEY_ERR_NO_DEVICE when no sound server
 * answers (the detail names the server and the cause); PARLEY_ERR_UNSUPPORTED on a build
 * without a capture backend. *out: free with parley_capture_sources_free. */
parley_status parley_capture_list_sources(parley_capture_source **out, size_t *n);
void parley_capture_sources_free(parley_capture_source *s, size_t n);

/* The default source for kind into out. PARLEY_ERR_NOT_FOUND when there is none (no
 * default sink, so no system audio). */
parley_status parley_capture_default_source(parley_capture_kind kind, char *out, size_t out_size);

/* Receives captured audio: n mono samples at PARLEY_CAPTURE_RATE in [-1, 1] (borrowed
 * for the call), the first one at t_ms on the shared timeline. */
typedef void (*parley_capture_audio_fn)(const float *samples, size_t n, int64_t t_ms, void *user_data);
/* The stream ended: PARLEY_OK at the end of a replayed file, else why the device stopped
 * (unplugged, server gone: PARLEY_ERR_NO_DEVICE with parley_capture_error()). Called
 * once, on the capture thread, unless the capture was closed first. */
typedef void (*parley_capture_end_fn)(parley_status st, void *user_data);
/* Something the user should know that does not stop the stream (audio lost and replaced by
 * silence). text: borrowed for the call. On the capture thread. */
typedef void (*parley_capture_warning_fn)(const char *text, void *user_data);

#define PARLEY_CAPTURE_RATE 16000

struct parley_capture_params {
    parley_capture_kind kind;       /* which default to take when source is NULL */
    const char *source;             /* source name (parley_capture_list_sources); NULL = default; copied */
    const char *input_path;         /* replay this recording instead of a device; NULL = device; copied */
    double speed;                   /* replay speed: 1 = real time (default), 0 = as fast as possible */
    double origin;                  /* parley_now() value that is t_ms 0; 0 = the moment of opening */
    int chunk_ms;                   /* audio per callback, ms; 0 = 100 */
    const char *app_name;           /* name shown by the sound server (pavucontrol); NULL = "Parley"; copied */
    parley_capture_audio_fn on_audio; /* required */
    parley_capture_end_fn on_end;   /* may be NULL */
    parley_capture_warning_fn on_warning; /* may be NULL (the warning is logged either way) */
    void *user_data;
};
struct parley_capture_params parley_capture_default_params(void);

typedef struct parley_capture parley_capture;

/* Opens the source and starts delivering audio on a new thread. Errors: PARLEY_ERR_NO_DEVICE
 * (no server, no such source, or it cannot be opened; the detail says which),
 * PARLEY_ERR_UNSUPPORTED (no backend in this build), and decoding errors for input_path. */
parley_status parley_capture_open(const struct parley_capture_params *params, parley_capture **out);

/* Stops delivery (within one chunk), joins the thread and frees. NULL is a no-op. */
void parley_capture_close(parley_capture *cap);

/* The source's name as opened (the default resolved). Borrowed; valid while cap lives. */
const char *parley_capture_source_name(const parley_capture *cap);

/* Why the stream ended, after on_end with an error; "" otherwise. Borrowed, as above. */
const char *parley_capture_error(const parley_capture *cap);

/* Samples delivered so far (any thread). */
uint64_t parley_capture_samples(const parley_capture *cap);

#ifdef __cplusplus
}
#endif
#endif
