/* capture.c: the platform-independent half of capture.h: parameters, the capture thread,
 * file replay and timestamps. The device side is capture_pulse.c (or capture_null.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture_platform.h"
#include "core/internal.h"

struct parley_capture_params parley_capture_default_params(void)
{
    struct parley_capture_params p = {0};
    p.kind = PARLEY_CAPTURE_MIC;
    p.speed = 1.0;
    p.chunk_ms = 100;
    return p;
}

void parley_capture_sources_free(parley_capture_source *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].description);
    }
    free(s);
}

parley_status parley_capture_list_sources(parley_capture_source **out, size_t *n)
{
    if (!out || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_capture_list_sources: NULL argument");
    *out = NULL;
    *n = 0;
    return capture_backend_list(out, n);
}

parley_status parley_capture_default_source(parley_capture_kind kind, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_capture_default_source: no output buffer");
    out[0] = 0;
    return capture_backend_default(kind, out, out_size);
}

/* Placing a device stream on the timeline. The sound server's reported latency is no
 * guide at the start of a stream (PulseAudio reports about 0.7 s for the first second of a
 * null sink's monitor while the data arrives in real time), so the start is found from
 * arrival times alone: a chunk that ends at sample k and is read at time a says that
 * sample 0 was heard no later than a - k/rate. The least such bound over the first
 * HOLD_S of audio is the start; a starved thread that reads a late first chunk only
 * raises the bounds of the chunks it reads late. After that, every chunk's lateness
 * (arrival less its place) is watched: a stream that stays later than LOST_S through a
 * whole CHECK_S has lost audio (the server dropped it, or the machine slept), and that
 * much silence is put in, with a warning, so that what follows sits where it was heard. */
#define HOLD_S 1.0
#define CHECK_S 2.0
#define LOST_S 0.25

static void hand_over(parley_capture *cap, const float *s, size_t n)
{
    uint64_t done = atomic_load(&cap->samples);
    int64_t t_ms = cap->first_t_ms + (int64_t)(done * 1000 / PARLEY_CAPTURE_RATE);
    cap->p.on_audio(s, n, t_ms, cap->p.user_data);
    atomic_fetch_add(&cap->samples, n);
}

static size_t chunk_samples(const parley_capture *cap)
{
    return (size_t)cap->p.chunk_ms * PARLEY_CAPTURE_RATE / 1000;
}

void capture_flush(parley_capture *cap)
{
    if (cap->first_t_ms >= 0 || cap->held_n == 0)
        return;
    double t = (cap->start - cap->p.origin) * 1000.0;
    cap->first_t_ms = t > 0 ? (int64_t)(t + 0.5) : 0;
    cap->lag_min = INFINITY;
    cap->period_end = cap->last_at + CHECK_S;
    size_t k = chunk_samples(cap);
    for (size_t i = 0; i < cap->held_n; i += k)
        hand_over(cap, cap->held + i, cap->held_n - i < k ? cap->held_n - i : k);
    free(cap->held);
    cap->held = NULL;
    cap->held_n = cap->held_cap = 0;
}

static void put_silence(parley_capture *cap, double seconds)
{
    static const float zeros[1600];
    uint64_t left = (uint64_t)(seconds * PARLEY_CAPTURE_RATE);
    while (left > 0) {
        size_t k = left < 1600 ? (size_t)left : 1600;
        hand_over(cap, zeros, k);
        left -= k;
    }
    char msg[700];
    snprintf(msg, sizeof msg,
             "%s: %.1f s of audio did not arrive (the sound server dropped it, or the computer slept); "
             "silence stands in for it so that what follows keeps its place",
             cap->name, seconds);
    parley_log(PARLEY_LOG_WARN, "%s", msg);
    if (cap->p.on_warning)
        cap->p.on_warning(msg, cap->p.user_data);
}

void capture_deliver(parley_capture *cap, const float *s, size_t n, double arrived_at)
{
    if (cap->input_path || arrived_at <= 0) { /* a replay starts at 0 exactly */
        if (cap->first_t_ms < 0)
            cap->first_t_ms = 0;
        hand_over(cap, s, n);
        return;
    }
    cap->last_at = arrived_at;
    if (cap->first_t_ms < 0) {
        double start = arrived_at - (double)(cap->held_n + n) / PARLEY_CAPTURE_RATE;
        if (cap->held_n == 0 || start < cap->start)
            cap->start = start;
        if (cap->held_n + n > cap->held_cap) {
            size_t nc = (size_t)(HOLD_S * PARLEY_CAPTURE_RATE) + 2 * n;
            float *h = nc >= cap->held_n + n ? realloc(cap->held, nc * sizeof *h) : NULL;
            if (!h) { /* place it now rather than lose it */
                capture_flush(cap);
                hand_over(cap, s, n);
                return;
            }
            cap->held = h;
            cap->held_cap = nc;
        }
        memcpy(cap->held + cap->held_n, s, n * sizeof *s);
        cap->held_n += n;
        if (cap->held_n >= (size_t)(HOLD_S * PARLEY_CAPTURE_RATE))
            capture_flush(cap);
        return;
    }
    uint64_t done = atomic_load(&cap->samples);
    double late = arrived_at - (double)(done + n) / PARLEY_CAPTURE_RATE - cap->start;
    if (late < cap->lag_min)
        cap->lag_min = late;
    hand_over(cap, s, n);
    if (arrived_at >= cap->period_end) {
        if (cap->lag_min >= LOST_S)
            put_silence(cap, cap->lag_min);
        cap->lag_min = INFINITY;
        cap->period_end = arrived_at + CHECK_S;
    }
}

void capture_end(parley_capture *cap, parley_status st, const char *detail)
{
    capture_flush(cap); /* what was heard before the end comes first */
    if (detail && !cap->error[0])
        snprintf(cap->error, sizeof cap->error, "%s", detail);
    if (cap->p.on_end)
        cap->p.on_end(st, cap->p.user_data);
}

static void sleep_until(double t)
{
    double d = t - parley_now();
    if (d <= 0)
        return;
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Replays the decoded file in chunks, paced by speed. */
static void replay_run(parley_capture *cap)
{
    size_t chunk = chunk_samples(cap);
    double t0 = parley_now();
    size_t pos = 0;
    while (pos < cap->replay.n_samples && !atomic_load(&cap->stop)) {
        size_t n = cap->replay.n_samples - pos < chunk ? cap->replay.n_samples - pos : chunk;
        if (cap->p.speed > 0)
            sleep_until(t0 + (double)(pos + n) / PARLEY_CAPTURE_RATE / cap->p.speed);
        capture_deliver(cap, cap->replay.samples + pos, n, 0);
        pos += n;
    }
    if (!atomic_load(&cap->stop))
        capture_end(cap, PARLEY_OK, NULL);
}

static void *capture_thread(void *arg)
{
    parley_capture *cap = arg;
    if (cap->input_path)
        replay_run(cap);
    else
        capture_backend_run(cap);
    capture_flush(cap);
    return NULL;
}

parley_status parley_capture_open(const struct parley_capture_params *params, parley_capture **out)
{
    if (!params || !out || !params->on_audio)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_capture_open: params, out and on_audio are required");
    if (params->speed < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "capture: speed must be >= 0 (0 = as fast as possible)");
    *out = NULL;
    parley_capture *cap = calloc(1, sizeof *cap);
    if (!cap)
        return parley_fail(PARLEY_ERR_NOMEM, "capture");
    cap->p = *params;
    if (cap->p.chunk_ms <= 0)
        cap->p.chunk_ms = 100;
    if (cap->p.origin <= 0)
        cap->p.origin = parley_now();
    cap->first_t_ms = -1;
    atomic_init(&cap->stop, 0);
    atomic_init(&cap->samples, 0);
    cap->source = parley_strdup(params->source);
    cap->input_path = parley_strdup(params->input_path);
    cap->app_name = parley_strdup(params->app_name ? params->app_name : "Parley");
    cap->p.source = cap->source;
    cap->p.input_path = cap->input_path;
    cap->p.app_name = cap->app_name;
    parley_status st = PARLEY_OK;
    if ((params->source && !cap->source) || (params->input_path && !cap->input_path) || !cap->app_name) {
        st = parley_fail(PARLEY_ERR_NOMEM, "capture");
        goto fail;
    }
    if (cap->input_path) {
        struct parley_audio_params ap = parley_audio_default_params();
        st = parley_audio_decode_file(cap->input_path, &ap, &cap->replay);
        if (st != PARLEY_OK)
            goto fail;
        snprintf(cap->name, sizeof cap->name, "file:%s", cap->input_path);
    } else {
        st = capture_backend_open(cap);
        if (st != PARLEY_OK)
            goto fail;
    }
    if (pthread_create(&cap->thread, NULL, capture_thread, cap) != 0) {
        st = parley_fail(PARLEY_ERR_NOMEM, "capture: cannot start a thread");
        goto fail;
    }
    cap->thread_started = true;
    *out = cap;
    return PARLEY_OK;
fail:
    parley_capture_close(cap);
    return st;
}

void parley_capture_close(parley_capture *cap)
{
    if (!cap)
        return;
    atomic_store(&cap->stop, 1);
    if (cap->thread_started)
        pthread_join(cap->thread, NULL);
    if (cap->backend)
        capture_backend_close(cap);
    parley_audio_free(&cap->replay);
    free(cap->held);
    free(cap->source);
    free(cap->input_path);
    free(cap->app_name);
    free(cap);
}

const char *parley_capture_source_name(const parley_capture *cap) { return cap ? cap->name : ""; }
const char *parley_capture_error(const parley_capture *cap) { return cap ? cap->error : ""; }
uint64_t parley_capture_samples(const parley_capture *cap)
{
    return cap ? atomic_load(&((parley_capture *)cap)->samples) : 0;
}
