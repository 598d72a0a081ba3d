/* capture_pulse.c: the Linux capture backend on libpulse. It talks to PulseAudio and to
 * PipeWire through pipewire-pulse alike. Listing uses the asynchronous API on a private
 * main loop (server info for the defaults, then the source list); each open stream is a
 * pa_simple recording stream read on the capture thread, which blocks in pa_simple_read
 * until one chunk is there (the server resamples to 16 kHz mono float). */
#ifdef PARLEY_HAVE_PULSE

#include <pulse/error.h>
#include <pulse/mainloop.h>
#include <pulse/pulseaudio.h>
#include <pulse/simple.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_platform.h"
#include "core/internal.h"

struct query {
    pa_mainloop *ml;
    pa_context *ctx;
    char default_source[512];
    char default_sink[512];
    char default_monitor[512]; /* the default sink's monitor source */
    parley_capture_source *src;
    size_t n, cap;
    bool nomem;
};

static void server_info_cb(pa_context *c, const pa_server_info *i, void *ud)
{
    (void)c;
    struct query *q = ud;
    if (!i)
        return;
    snprintf(q->default_source, sizeof q->default_source, "%s", i->default_source_name ? i->default_source_name : "");
    snprintf(q->default_sink, sizeof q->default_sink, "%s", i->default_sink_name ? i->default_sink_name : "");
}

static void sink_info_cb(pa_context *c, const pa_sink_info *i, int eol, void *ud)
{
    (void)c;
    struct query *q = ud;
    if (eol || !i)
        return;
    snprintf(q->default_monitor, sizeof q->default_monitor, "%s", i->monitor_source_name ? i->monitor_source_name : "");
}

static void source_info_cb(pa_context *c, const pa_source_info *i, int eol, void *ud)
{
    (void)c;
    struct query *q = ud;
    if (eol || !i || q->nomem)
        return;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        parley_capture_source *ns = realloc(q->src, nc * sizeof *ns);
        if (!ns) {
            q->nomem = true;
            return;
        }
        q->src = ns;
        q->cap = nc;
    }
    parley_capture_source *s = &q->src[q->n];
    memset(s, 0, sizeof *s);
    s->name = parley_strdup(i->name);
    s->description = parley_strdup(i->description ? i->description : "");
    if (!s->name || !s->description) {
        free(s->name);
        free(s->description);
        q->nomem = true;
        return;
    }
    s->is_monitor = i->monitor_of_sink != PA_INVALID_INDEX;
    s->rate = (int)i->sample_spec.rate;
    s->channels = i->sample_spec.channels;
    q->n++;
}

/* Runs the loop until op is done (or the connection fails). */
static bool wait_op(struct query *q, pa_operation *op)
{
    if (!op)
        return false;
    while (pa_operation_get_state(op) == PA_OPERATION_RUNNING) {
        if (pa_mainloop_iterate(q->ml, 1, NULL) < 0)
            break;
        pa_context_state_t s = pa_context_get_state(q->ctx);
        if (s == PA_CONTEXT_FAILED || s == PA_CONTEXT_TERMINATED)
            break;
    }
    bool ok = pa_operation_get_state(op) == PA_OPERATION_DONE;
    pa_operation_unref(op);
    return ok;
}

static void query_end(struct query *q)
{
    if (q->ctx) {
        pa_context_disconnect(q->ctx);
        pa_context_unref(q->ctx);
    }
    if (q->ml)
        pa_mainloop_free(q->ml);
    q->ctx = NULL;
    q->ml = NULL;
}

/* Connects and asks for the defaults and, when want_list, every source. */
static parley_status query_run(struct query *q, bool want_list)
{
    memset(q, 0, sizeof *q);
    q->ml = pa_mainloop_new();
    if (!q->ml)
        return parley_fail(PARLEY_ERR_NOMEM, "pulseaudio main loop");
    q->ctx = pa_context_new(pa_mainloop_get_api(q->ml), "Parley");
    if (!q->ctx) {
        query_end(q);
        return parley_fail(PARLEY_ERR_NOMEM, "pulseaudio context");
    }
    if (pa_context_connect(q->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
        goto no_server;
    for (;;) {
        pa_context_state_t s = pa_context_get_state(q->ctx);
        if (s == PA_CONTEXT_READY)
            break;
        if (s == PA_CONTEXT_FAILED || s == PA_CONTEXT_TERMINATED)
            goto no_server;
        if (pa_mainloop_iterate(q->ml, 1, NULL) < 0)
            goto no_server;
    }
    if (!wait_op(q, pa_context_get_server_info(q->ctx, server_info_cb, q)))
        goto no_server;
    if (q->default_sink[0])
        wait_op(q, pa_context_get_sink_info_by_name(q->ctx, q->default_sink, sink_info_cb, q));
    if (want_list && !wait_op(q, pa_context_get_source_info_list(q->ctx, source_info_cb, q)))
        goto no_server;
    if (q->nomem) {
        query_end(q);
        return parley_fail(PARLEY_ERR_NOMEM, "source list");
    }
    return PARLEY_OK;
no_server:;
    int err = pa_context_errno(q->ctx);
    query_end(q);
    const char *server = getenv("PULSE_SERVER");
    return parley_fail(PARLEY_ERR_NO_DEVICE,
                       "no sound server answers (PulseAudio or PipeWire's pipewire-pulse%s%s): %s",
                       server ? " at " : "", server ? server : "", pa_strerror(err));
}

parley_status capture_backend_list(parley_capture_source **out, size_t *n)
{
    struct query q;
    parley_status st = query_run(&q, true);
    if (st != PARLEY_OK) {
        parley_capture_sources_free(q.src, q.n);
        return st;
    }
    for (size_t i = 0; i < q.n; i++) {
        q.src[i].is_default_mic = !strcmp(q.src[i].name, q.default_source);
        q.src[i].is_default_system = q.default_monitor[0] && !strcmp(q.src[i].name, q.default_monitor);
    }
    query_end(&q);
    *out = q.src;
    *n = q.n;
    return PARLEY_OK;
}

parley_status capture_backend_default(parley_capture_kind kind, char *out, size_t out_size)
{
    struct query q;
    parley_status st = query_run(&q, false);
    if (st != PARLEY_OK)
        return st;
    query_end(&q);
    const char *name = kind == PARLEY_CAPTURE_SYSTEM ? q.default_monitor : q.default_source;
    if (!name[0])
        return parley_fail(PARLEY_ERR_NOT_FOUND, kind == PARLEY_CAPTURE_SYSTEM
                                                     ? "the sound server has no default output, so no system audio"
                                                     : "the sound server has no default input (microphone)");
    if (strlen(name) >= out_size)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "source name too long");
    strcpy(out, name);
    return PARLEY_OK;
}

parley_status capture_backend_open(parley_capture *cap)
{
    char name[512];
    if (cap->source) {
        snprintf(name, sizeof name, "%s", cap->source);
    } else {
        parley_status st = capture_backend_default(cap->p.kind, name, sizeof name);
        if (st != PARLEY_OK)
            return st;
    }
    pa_sample_spec ss = {.format = PA_SAMPLE_FLOAT32NE, .rate = PARLEY_CAPTURE_RATE, .channels = 1};
    uint32_t chunk_bytes = (uint32_t)((size_t)cap->p.chunk_ms * PARLEY_CAPTURE_RATE / 1000 * sizeof(float));
    pa_buffer_attr attr = {.maxlength = (uint32_t)-1, .tlength = (uint32_t)-1, .prebuf = (uint32_t)-1,
                           .minreq = (uint32_t)-1, .fragsize = chunk_bytes};
    int err = 0;
    pa_simple *s = pa_simple_new(NULL, cap->app_name, PA_STREAM_RECORD, name,
                                 cap->p.kind == PARLEY_CAPTURE_SYSTEM ? "system audio" : "microphone", &ss, NULL,
                                 &attr, &err);
    if (!s)
        return parley_fail(PARLEY_ERR_NO_DEVICE, "cannot record from '%s': %s", name, pa_strerror(err));
    snprintf(cap->name, sizeof cap->name, "%s", name);
    cap->backend = s;
    return PARLEY_OK;
}

void capture_backend_run(parley_capture *cap)
{
    pa_simple *s = cap->backend;
    size_t n = (size_t)cap->p.chunk_ms * PARLEY_CAPTURE_RATE / 1000;
    float *buf = malloc(n * sizeof *buf);
    if (!buf) {
        capture_end(cap, PARLEY_ERR_NOMEM, "capture buffer");
        return;
    }
    while (!atomic_load(&cap->stop)) {
        int err = 0;
        if (pa_simple_read(s, buf, n * sizeof *buf, &err) < 0) {
            char detail[600];
            snprintf(detail, sizeof detail, "recording from '%s' stopped: %s", cap->name, pa_strerror(err));
            capture_end(cap, PARLEY_ERR_NO_DEVICE, detail);
            break;
        }
        capture_deliver(cap, buf, n, parley_now());
    }
    free(buf);
}

void capture_backend_close(parley_capture *cap)
{
    pa_simple_free(cap->backend);
    cap->backend = NULL;
}

#endif
