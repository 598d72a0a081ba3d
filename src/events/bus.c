/* bus.c: the event bus (events.h). A mutex-guarded ring of copied events; each reader
 * has a cursor and an eventfd that is non-zero while it has unread events. Posting
 * costs one copy of the event's strings and one write(2) per reader, and never waits
 * for a reader. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <yyjson.h>

#include "core/internal.h"
#include "parley/events.h"

struct slot {
    parley_event ev; /* strings owned by the slot */
};

struct parley_bus_reader {
    parley_bus *bus;
    parley_bus_reader *next;
    int fd;
    uint64_t cursor; /* the next sequence number to read */
    uint64_t missed;
    parley_event cur; /* the last event read; strings owned */
};

struct parley_bus {
    pthread_mutex_t mu;
    struct slot *ring;
    size_t cap;
    uint64_t last; /* newest seq posted, 0 = none */
    uint64_t lost; /* events that could not be copied (out of memory) */
    parley_bus_reader *readers;
};

static const char *const kind_names[] = {
    "none",  "started", "segment.final", "token",   "suggestion", "progress", "level",
    "backlog", "error", "warning",       "note",    "answer",     "stopped",
};

const char *parley_event_kind_name(parley_event_kind kind)
{
    if ((size_t)kind < sizeof kind_names / sizeof kind_names[0])
        return kind_names[kind];
    return "unknown";
}

static void event_strings_free(parley_event *ev)
{
    free((char *)ev->speaker);
    free((char *)ev->source);
    free((char *)ev->text);
    free((char *)ev->detail);
    ev->speaker = ev->source = ev->text = ev->detail = NULL;
}

/* A deep copy of src into dst (dst's old strings are not freed). false when out of memory. */
static bool event_copy(parley_event *dst, const parley_event *src)
{
    *dst = *src;
    dst->speaker = parley_strdup(src->speaker);
    dst->source = parley_strdup(src->source);
    dst->text = parley_strdup(src->text);
    dst->detail = parley_strdup(src->detail);
    if ((src->speaker && !dst->speaker) || (src->source && !dst->source) || (src->text && !dst->text) ||
        (src->detail && !dst->detail)) {
        event_strings_free(dst);
        return false;
    }
    return true;
}

parley_status parley_bus_new(size_t capacity, parley_bus **out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_bus_new: out is NULL");
    *out = NULL;
    if (capacity == 0)
        capacity = 4096;
    parley_bus *b = calloc(1, sizeof *b);
    if (!b || !(b->ring = calloc(capacity, sizeof *b->ring))) {
        free(b);
        return parley_fail(PARLEY_ERR_NOMEM, "event bus");
    }
    b->cap = capacity;
    pthread_mutex_init(&b->mu, NULL);
    *out = b;
    return PARLEY_OK;
}

void parley_bus_free(parley_bus *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->cap; i++)
        event_strings_free(&b->ring[i].ev);
    free(b->ring);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static uint64_t oldest_kept(const parley_bus *b)
{
    return b->last >= b->cap ? b->last - b->cap + 1 : 1;
}

static void reader_signal(parley_bus_reader *rd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already huge: the reader is signalled anyway. */
    ssize_t w = write(rd->fd, &one, sizeof one);
    (void)w;
}

static void reader_clear(parley_bus_reader *rd)
{
    uint64_t v;
    ssize_t r = read(rd->fd, &v, sizeof v);
    (void)r;
}

uint64_t parley_bus_post(parley_bus *b, const parley_event *ev)
{
    if (!b || !ev)
        return 0;
    parley_event copy;
    bool ok = event_copy(&copy, ev);
    copy.time = parley_now();
    pthread_mutex_lock(&b->mu);
    uint64_t seq = 0;
    if (ok) {
        seq = ++b->last;
        copy.seq = seq;
        struct slot *s = &b->ring[(seq - 1) % b->cap];
        event_strings_free(&s->ev);
        s->ev = copy;
        for (parley_bus_reader *rd = b->readers; rd; rd = rd->next)
            reader_signal(rd);
    } else {
        b->lost++;
    }
    pthread_mutex_unlock(&b->mu);
    return seq;
}

uint64_t parley_bus_last_seq(parley_bus *b)
{
    pthread_mutex_lock(&b->mu);
    uint64_t s = b->last;
    pthread_mutex_unlock(&b->mu);
    return s;
}

parley_status parley_bus_reader_new(parley_bus *b, uint64_t from_seq, parley_bus_reader **out)
{
    if (!b || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_bus_reader_new: bus or out is NULL");
    *out = NULL;
    parley_bus_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return parley_fail(PARLEY_ERR_NOMEM, "event bus reader");
    rd->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rd->fd < 0) {
        free(rd);
        return parley_fail(parley_status_from_errno(errno), "eventfd: %s", strerror(errno));
    }
    rd->bus = b;
    pthread_mutex_lock(&b->mu);
    uint64_t oldest = oldest_kept(b);
    rd->cursor = from_seq == 0 || from_seq < oldest ? oldest : from_seq;
    if (rd->cursor > b->last + 1)
        rd->cursor = b->last + 1;
    if (rd->cursor <= b->last)
        reader_signal(rd);
    rd->next = b->readers;
    b->readers = rd;
    pthread_mutex_unlock(&b->mu);
    *out = rd;
    return PARLEY_OK;
}

void parley_bus_reader_free(parley_bus_reader *rd)
{
    if (!rd)
        return;
    parley_bus *b = rd->bus;
    pthread_mutex_lock(&b->mu);
    for (parley_bus_reader **p = &b->readers; *p; p = &(*p)->next) {
        if (*p == rd) {
            *p = rd->next;
            break;
        }
    }
    pthread_mutex_unlock(&b->mu);
    close(rd->fd);
    event_strings_free(&rd->cur);
    free(rd);
}

int parley_bus_reader_fd(const parley_bus_reader *rd) { return rd ? rd->fd : -1; }

uint64_t parley_bus_reader_missed(const parley_bus_reader *rd) { return rd ? rd->missed : 0; }

int parley_bus_read(parley_bus_reader *rd, parley_event *out)
{
    if (!rd || !out)
        return 0;
    parley_bus *b = rd->bus;
    int got = 0;
    pthread_mutex_lock(&b->mu);
    uint64_t oldest = oldest_kept(b);
    if (rd->cursor < oldest) {
        rd->missed += oldest - rd->cursor;
        rd->cursor = oldest;
    }
    if (rd->cursor <= b->last) {
        parley_event copy;
        if (event_copy(&copy, &b->ring[(rd->cursor - 1) % b->cap].ev)) {
            event_strings_free(&rd->cur);
            rd->cur = copy;
            *out = copy;
            got = 1;
        } else {
            rd->missed++; /* out of memory: skip it rather than spin on it */
        }
        rd->cursor++;
    }
    if (rd->cursor > b->last)
        reader_clear(rd); /* under the lock: a post after this signals again */
    pthread_mutex_unlock(&b->mu);
    return got;
}

int parley_bus_wait(parley_bus_reader *rd, int timeout_ms)
{
    if (!rd)
        return 0;
    struct pollfd p = {.fd = rd->fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0 ? 1 : 0;
}

parley_status parley_event_to_json(const parley_event *ev, char **out)
{
    if (!ev || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_event_to_json: NULL argument");
    *out = NULL;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "event JSON");
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_uint(doc, o, "seq", ev->seq);
    yyjson_mut_obj_add_str(doc, o, "event", parley_event_kind_name(ev->kind));
    if (ev->time > 0) { /* when it was posted, wall clock (a reader may drain it later) */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        double wall = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - (parley_now() - ev->time);
        yyjson_mut_obj_add_int(doc, o, "posted_ms", (int64_t)(wall * 1000.0));
    }
    if (ev->session_id)
        yyjson_mut_obj_add_int(doc, o, "session_id", ev->session_id);
    if (ev->job_id)
        yyjson_mut_obj_add_int(doc, o, "job_id", ev->job_id);
    bool timed = ev->kind == PARLEY_EVENT_SEGMENT || ev->kind == PARLEY_EVENT_NOTE || ev->t0_ms || ev->t1_ms;
    if (timed) {
        yyjson_mut_obj_add_int(doc, o, "t0_ms", ev->t0_ms);
        yyjson_mut_obj_add_int(doc, o, "t1_ms", ev->t1_ms);
    }
    if (ev->status)
        yyjson_mut_obj_add_int(doc, o, "status", ev->status);
    if (ev->speaker)
        yyjson_mut_obj_add_str(doc, o, "speaker", ev->speaker);
    if (ev->source)
        yyjson_mut_obj_add_str(doc, o, "source", ev->source);
    if (ev->text)
        yyjson_mut_obj_add_str(doc, o, "text", ev->text);
    if (ev->detail)
        yyjson_mut_obj_add_str(doc, o, "detail", ev->detail);
    switch (ev->kind) {
    case PARLEY_EVENT_SEGMENT:
        yyjson_mut_obj_add_real(doc, o, "confidence", ev->value);
        yyjson_mut_obj_add_real(doc, o, "latency_ms", ev->value2);
        break;
    case PARLEY_EVENT_LEVEL:
        yyjson_mut_obj_add_real(doc, o, "rms_dbfs", ev->value);
        yyjson_mut_obj_add_real(doc, o, "peak_dbfs", ev->value2);
        break;
    case PARLEY_EVENT_BACKLOG:
        yyjson_mut_obj_add_real(doc, o, "backlog_ms", ev->value);
        yyjson_mut_obj_add_real(doc, o, "done_ms", ev->value2);
        break;
    case PARLEY_EVENT_PROGRESS:
        if (ev->value >= 0) /* negative: no fraction known (the summary's writing) */
            yyjson_mut_obj_add_real(doc, o, "fraction", ev->value);
        if (ev->value2 > 0)
            yyjson_mut_obj_add_real(doc, o, "tokens", ev->value2);
        break;
    case PARLEY_EVENT_STARTED:
        yyjson_mut_obj_add_real(doc, o, "wall_ms", ev->value);
        break;
    case PARLEY_EVENT_STOPPED:
        yyjson_mut_obj_add_real(doc, o, "duration_s", ev->value);
        break;
    case PARLEY_EVENT_ERROR:
        yyjson_mut_obj_add_bool(doc, o, "fatal", ev->value != 0);
        break;
    default:
        if (ev->value)
            yyjson_mut_obj_add_real(doc, o, "value", ev->value);
        if (ev->value2)
            yyjson_mut_obj_add_real(doc, o, "value2", ev->value2);
        break;
    }
    size_t len;
    char *s = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (!s)
        return parley_fail(PARLEY_ERR_NOMEM, "event JSON");
    *out = s;
    return PARLEY_OK;
}
