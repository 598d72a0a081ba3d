/*
 * events.h: the event bus. Long-running work (a live meeting, later the LLM and tasks)
 * posts events as values; any number of readers drain them from their own loops.
 *
 * Basic usage (a reader with a poll loop: the CLI, the HTTP server's SSE writer)
 *
 *     parley_bus *bus;
 *     parley_bus_new(0, &bus);                         // default capacity
 *     parley_bus_reader *rd;
 *     parley_bus_reader_new(bus, 0, &rd);              // from the oldest kept event
 *     struct pollfd p = { .fd = parley_bus_reader_fd(rd), .events = POLLIN };
 *     while (poll(&p, 1, 200) >= 0) {
 *         parley_event ev;
 *         while (parley_bus_read(rd, &ev) == 1)
 *             handle(&ev);                              // ev's strings: borrowed, see below
 *     }
 *     parley_bus_reader_free(rd);
 *     parley_bus_free(bus);                            // after every reader is freed
 *
 * Model: the bus is a bounded ring of the most recent events, each with a sequence number
 * (1, 2, 3, ...). Posting never blocks and never fails for a full ring: the oldest event is
 * overwritten. Each reader has its own cursor; a reader that falls more than the capacity
 * behind is told how many it missed (parley_bus_reader_missed) and continues from the
 * oldest kept event. That makes the bus safe for capture threads (they never wait for a
 * slow reader) and fits Server-Sent Events: the sequence number is the SSE id, and a
 * client reconnecting with Last-Event-ID resumes with parley_bus_reader_new(bus, id + 1).
 * Nothing of value lives only on the bus: segments, notes and answers are also stored.
 *
 * Thread rules: parley_bus_post() may be called from any thread at once (not from a
 * signal handler). A parley_bus_reader is used by one thread at a time; readers on
 * different threads are independent. The bus must outlive its readers.
 */
#ifndef PARLEY_EVENTS_H
#define PARLEY_EVENTS_H

#include <parley/parley.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What happened. New kinds are appended, never renumbered. The name (for JSON and SSE
 * "event:" lines) is parley_event_kind_name(). */
typedef enum parley_event_kind {
    PARLEY_EVENT_NONE = 0,
    PARLEY_EVENT_STARTED = 1,       /* "started": a meeting began; text = title, value = wall clock
                                       start (Unix ms), source = mic source, detail = system source */
    PARLEY_EVENT_SEGMENT = 2,       /* "segment.final": t0_ms/t1_ms, speaker ("Me"/"Them"), text,
                                       value = confidence in [0,1] (negative: unknown),
                                       value2 = ms from the utterance's end to this event */
    PARLEY_EVENT_TOKEN = 3,         /* "token": a piece of a streamed answer or suggestion; job_id */
    PARLEY_EVENT_SUGGESTION = 4,    /* "suggestion": text = a complete suggestion */
    PARLEY_EVENT_PROGRESS = 5,      /* "progress": value = fraction done (negative: not known),
                                       text = what ("repass", "recovering", "summary": detail =
                                       the stored summary's Markdown; "summarizing": the summary
                                       at stop under way, detail = "reading" or "writing"
                                       (value2 = tokens written), or "part I of N" /
                                       "merging N parts" for a long transcript) */
    PARLEY_EVENT_LEVEL = 6,         /* "level": source ("mic"/"system"), value = RMS level in dBFS
                                       over the last ~100 ms, value2 = peak dBFS */
    PARLEY_EVENT_BACKLOG = 7,       /* "backlog": value = audio ms waiting for transcription,
                                       value2 = audio ms transcribed so far */
    PARLEY_EVENT_ERROR = 8,         /* "error": status, text = detail; fatal when value != 0 */
    PARLEY_EVENT_WARNING = 9,       /* "warning": text = what the user must know ("system audio
                                       cannot be captured: ...; recording the microphone only") */
    PARLEY_EVENT_NOTE = 10,         /* "note": a typed note, t0_ms = its time, text */
    PARLEY_EVENT_ANSWER = 11,       /* "answer": text = a complete answer to detail (the question) */
    PARLEY_EVENT_STOPPED = 12,      /* "stopped": session_id = the stored session, status,
                                       value = duration in seconds */
} parley_event_kind;

/* One event. In a parley_event read from the bus the strings are borrowed: valid until
 * the next parley_bus_read() on that reader. When posting, they are copied. Unused
 * fields are 0 / NULL. */
typedef struct parley_event {
    parley_event_kind kind;
    uint64_t seq;          /* set by the bus: 1, 2, 3, ... in posting order (ignored when posting) */
    double time;           /* set by the bus: parley_now() when posted */
    int64_t session_id;    /* the session (live sessions have an id from the start); 0 = none */
    int64_t job_id;        /* the job a token/answer belongs to; 0 = none */
    int64_t t0_ms;         /* start on the session's timeline, ms */
    int64_t t1_ms;         /* end on the session's timeline, ms */
    int status;            /* a parley_status for errors; 0 otherwise */
    double value;          /* kind-specific number (see the kinds) */
    double value2;         /* kind-specific number (see the kinds) */
    const char *speaker;   /* "Me", "Them", or NULL */
    const char *source;    /* capture stream ("mic", "system") or NULL */
    const char *text;      /* UTF-8 text or NULL */
    const char *detail;    /* UTF-8 extra text or NULL */
} parley_event;

/* "segment.final", "token", ...; "unknown" for other values. Static storage. */
const char *parley_event_kind_name(parley_event_kind kind);

/* Renders ev as one line of JSON (no newline) into a new buffer (*out: free() it):
 * {"seq":N,"event":"segment.final","posted_ms":..,"session_id":..,"t0_ms":..,...}
 * (posted_ms: the wall clock, ms since 1970, when it was posted); fields that are
 * 0/NULL and do not matter to the kind are left out. */
parley_status parley_event_to_json(const parley_event *ev, char **out);

typedef struct parley_bus parley_bus;
typedef struct parley_bus_reader parley_bus_reader;

/* A new bus keeping the last `capacity` events (0 = 4096). */
parley_status parley_bus_new(size_t capacity, parley_bus **out);
/* Frees the bus. Every reader must have been freed. NULL is a no-op. */
void parley_bus_free(parley_bus *bus);

/* Posts a copy of ev (kind, ids, numbers, strings; seq and time are set). Never blocks
 * on readers. Returns the event's sequence number, or 0 when out of memory (the event is
 * then lost and the next one a reader gets tells it so through the missed count). */
uint64_t parley_bus_post(parley_bus *bus, const parley_event *ev);

/* The sequence number of the newest event posted (0 when none yet). */
uint64_t parley_bus_last_seq(parley_bus *bus);

/* A reader starting at sequence number from_seq (0: the oldest event still kept; a
 * number past the newest: only new events). */
parley_status parley_bus_reader_new(parley_bus *bus, uint64_t from_seq, parley_bus_reader **out);
void parley_bus_reader_free(parley_bus_reader *rd); /* NULL is a no-op */

/* A file descriptor that is readable while this reader has unread events (poll/epoll it
 * for POLLIN; never read or close it yourself: parley_bus_read clears it). */
int parley_bus_reader_fd(const parley_bus_reader *rd);

/* The next event into *out: 1 when there was one, 0 when the reader is up to date.
 * Strings in *out are borrowed until the next call on rd. */
int parley_bus_read(parley_bus_reader *rd, parley_event *out);

/* Waits up to timeout_ms (negative: forever) for an unread event; 1 when there is one,
 * 0 on timeout. For readers without a poll loop. */
int parley_bus_wait(parley_bus_reader *rd, int timeout_ms);

/* How many events this reader lost because it fell behind the ring (cumulative). */
uint64_t parley_bus_reader_missed(const parley_bus_reader *rd);

#ifdef __cplusplus
}
#endif
#endif
