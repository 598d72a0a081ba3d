/*
 * transcript.h: a transcript (segments with times on the recording's timeline) and its
 * export formats. Produced by asr.h, stored by store.h.
 *
 * Basic usage
 *
 *     parley_transcript t;            // filled by parley_asr_transcribe or parley_store_get
 *     char *srt; size_t len;
 *     if (parley_transcript_export(&t, PARLEY_FORMAT_SRT, &srt, &len) == PARLEY_OK) {
 *         fwrite(srt, 1, len, stdout);
 *         free(srt);
 *     }
 *     parley_transcript_free(&t);
 *
 * Thread rules: a transcript is plain data; use it from one thread at a time.
 */
#ifndef PARLEY_TRANSCRIPT_H
#define PARLEY_TRANSCRIPT_H

#include <parley/parley.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_segment {
    int64_t t0_ms;    /* start, milliseconds from the start of the recording */
    int64_t t1_ms;    /* end, milliseconds; >= t0_ms */
    char *text;       /* UTF-8, trimmed; owned by the transcript */
    char *speaker;    /* speaker label, or NULL when unknown; owned by the transcript */
    float confidence; /* mean token probability in [0, 1]; negative when unknown */
} parley_segment;

/* The speaker of a line that is a note the user typed (not speech) when notes are put into a
 * transcript for the LLM: live meetings and the summary and notes tasks do this, so that
 * the user's notes steer what is written. Never stored as a segment. */
#define PARLEY_NOTE_SPEAKER "Note"

typedef struct parley_transcript {
    int64_t id;            /* session id in the store; 0 when not stored yet */
    char *title;           /* owned; NULL until stored (the store derives one) */
    char *source_path;     /* absolute path of the recording; owned; may be NULL */
    char *language;        /* ISO 639-1 code ("en") as detected or given; owned; may be NULL */
    char *model;           /* the speech model used (file name); owned; may be NULL */
    char *created;         /* ISO 8601 UTC ("2026-11-23T18:56:43Z"); owned; NULL until stored */
    double duration_s;     /* length of the recording in seconds */
    parley_segment *segments; /* owned (malloc'd) array of n_segments */
    size_t n_segments;
    size_t cap;               /* how many segments the array holds room for; 0 when unknown
                               * (a caller that fills segments itself may leave it 0) */
} parley_transcript;

/* Frees everything the transcript owns and zeroes it. NULL is a no-op. */
void parley_transcript_free(parley_transcript *t);

/* Appends a segment (text and speaker copied), growing segments when n_segments reaches
 * cap. segments must be NULL or come from malloc/realloc; when cap is smaller than
 * n_segments (e.g. a caller sized the array exactly and left cap 0) it is reallocated
 * before the append, so an exactly-sized array never overflows. */
parley_status parley_transcript_add(parley_transcript *t, int64_t t0_ms, int64_t t1_ms, const char *text,
                                    const char *speaker, float confidence);

typedef enum parley_format {
    PARLEY_FORMAT_TXT = 0,  /* "[00:01:02.500 --> 00:01:05.000] text" lines */
    PARLEY_FORMAT_SRT = 1,  /* SubRip */
    PARLEY_FORMAT_VTT = 2,  /* WebVTT */
    PARLEY_FORMAT_JSON = 3, /* documented in docs/formats.md */
    PARLEY_FORMAT_MD = 4,   /* Markdown (transcript; summary and notes when stored) */
} parley_format;

/* "txt", "srt", "vtt", "json", "md" -> format; PARLEY_ERR_INVALID_ARG otherwise. */
parley_status parley_format_parse(const char *name, parley_format *out);

/* Renders t in fmt into a new NUL-terminated buffer (*out, free() it), length in *len. */
parley_status parley_transcript_export(const parley_transcript *t, parley_format fmt, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
