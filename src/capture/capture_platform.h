/* capture_platform.h: what capture.c (common: params, threads, replay, timestamps) and a
 * platform backend (capture_pulse.c, capture_null.c) share. Not a public header. */
#ifndef PARLEY_CAPTURE_PLATFORM_H
#define PARLEY_CAPTURE_PLATFORM_H

#include <pthread.h>
#include <stdatomic.h>

#include "parley/audio.h"
#include "parley/capture.h"

struct parley_capture {
    struct parley_capture_params p; /* strings point at the copies below */
    char *source, *input_path, *app_name;
    char name[512];                 /* the source as opened */
    char error[512];                /* why it ended, "" while fine */
    pthread_t thread;
    bool thread_started;
    atomic_int stop;                /* set by close */
    atomic_uint_least64_t samples;  /* delivered so far */
    int64_t first_t_ms;             /* the first chunk's place on the timeline; -1 before it */
    /* A device stream's place on the timeline (capture.c, capture_deliver): the first
     * second is held back until the stream's start is known from every chunk in it. */
    float *held;                    /* audio held back before the start is known */
    size_t held_n, held_cap;
    double start;                   /* parley_now() of sample 0 (least arrival less position) */
    double lag_min;                 /* least lateness of a chunk in this check period, s */
    double period_end;              /* when the lateness is next checked */
    double last_at;                 /* the latest chunk's arrival */
    parley_audio replay;            /* the decoded file when replaying */
    void *backend;                  /* the platform's stream */
};

/* Hands n samples to the user, stamping them. arrived_at: the parley_now() time the chunk
 * was read from a device; 0 for a replay (placed by its samples from t_ms 0). */
void capture_deliver(parley_capture *cap, const float *s, size_t n, double arrived_at);
/* Hands over what capture_deliver still holds back (the stream ends before its start is
 * known). Called on the capture thread when the backend returns. */
void capture_flush(parley_capture *cap);
/* Records why the stream ended and calls on_end (once). */
void capture_end(parley_capture *cap, parley_status st, const char *detail);

/* The backend. open: connect and open cap->source (NULL: the kind's default), fill
 * cap->name, keep the stream in cap->backend. run: the thread body, delivering until
 * cap->stop or an error. close: free cap->backend (after the thread was joined). */
parley_status capture_backend_list(parley_capture_source **out, size_t *n);
parley_status capture_backend_default(parley_capture_kind kind, char *out, size_t out_size);
parley_status capture_backend_open(parley_capture *cap);
void capture_backend_run(parley_capture *cap);
void capture_backend_close(parley_capture *cap);

#endif
