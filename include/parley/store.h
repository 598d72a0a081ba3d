/*
 * store.h: the local database of sessions (one per recording or meeting), their transcript
 * segments, the artifacts made from them (summaries, notes, suggestions), chat history,
 * notes typed during a meeting, and full-text search over all of it.
 * SQLite in WAL mode, by default at <data dir>/parley.db (parley_dir_path).
 *
 * Basic usage: a finished recording
 *
 *     parley_store *db;
 *     if (parley_store_open(NULL, &db) != PARLEY_OK) fail();     // default path
 *     int64_t id;
 *     parley_store_add_session(db, &transcript, &id);            // one transaction
 *     parley_session_row *rows; size_t n;
 *     parley_store_list_sessions(db, &rows, &n);
 *     ...
 *     parley_session_rows_free(rows, n);
 *     parley_store_close(db);
 *
 * Basic usage: a live meeting
 *
 *     struct parley_session_params sp = parley_session_default_params();
 *     sp.title = "Weekly sync";
 *     parley_store_session_begin(db, &sp, &id);                  // status LIVE
 *     parley_store_session_set_audio(db, id, "/…/journal/42.pcm");
 *     parley_store_segments_append(db, id, segs, n_segs);        // as utterances end
 *     parley_store_user_note_add(db, id, 61000, "ask about budget", NULL);
 *     parley_store_session_finish(db, id, PARLEY_SESSION_FINISHED, 1800000);
 *
 * A process killed during a meeting leaves its session LIVE; the next start finds it
 * with parley_store_list_sessions_ex(filter.status = PARLEY_SESSION_LIVE), appends what
 * the journal still holds and finishes it as PARLEY_SESSION_RECOVERED.
 *
 * Every write is one transaction: a process killed mid-write leaves the database as it
 * was before the write began. Failures name their cause: PARLEY_ERR_PERMISSION (the
 * directory or file cannot be written), PARLEY_ERR_DISK_FULL, PARLEY_ERR_DB (a corrupt
 * file or a database written by a newer Parley).
 *
 * Text: every string stored is UTF-8. Invalid bytes in what callers pass (a Latin-1
 * file name, say) are replaced by U+FFFD on the way in, and again on the way out for
 * databases written before that rule, so listings and JSON never fail on encoding.
 *
 * Ownership: strings passed in are copied. Structs and arrays returned through
 * out-parameters are owned by the caller and released with the matching *_free().
 * `const char *` returns are borrowed as stated.
 *
 * Thread rules: a parley_store is used by one thread at a time (open one per thread;
 * they are cheap). Several processes and threads may open the same database (WAL:
 * readers never wait; writers wait up to 5 s for each other).
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <parley/parley.h>
#include <parley/transcript.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_store parley_store;

/* ---- Opening ------------------------------------------------------------------------ */

/* Opens (creating when needed, with its directory) the database at path, or the default
 * when path is NULL, for reading and writing. An older schema is migrated in place, step
 * by step, each step one transaction. PARLEY_ERR_PERMISSION when the directory or the
 * file cannot be written (a read-only file system, a file owned by root, an immutable
 * file): such a database can still be read with parley_store_open_readonly(). */
parley_status parley_store_open(const char *path, parley_store **out);

/* Opens an existing database for reading only; never creates, migrates or changes the
 * file, so it works on a read-only file system or file. A database with an older schema
 * is copied into memory and migrated there (reads see the current shape; nothing is
 * written back). PARLEY_ERR_NOT_FOUND when there is no database at path yet. Every write
 * call on such a handle fails with PARLEY_ERR_PERMISSION. */
parley_status parley_store_open_readonly(const char *path, parley_store **out);

void parley_store_close(parley_store *db); /* NULL is a no-op */

/* The database's file path. Borrowed; valid while db is open. */
const char *parley_store_path(const parley_store *db);

/* Whether this handle can write: PARLEY_OK, or PARLEY_ERR_PERMISSION (a read-only
 * handle, file or file system), PARLEY_ERR_DISK_FULL (under 1 MiB free where the database
 * lives) or PARLEY_ERR_DB (locked by another writer for over 5 s), with the reason in
 * parley_last_error(). Cheap (takes and releases the write lock; writes nothing): call it
 * before long work whose result must be stored. */
parley_status parley_store_check_writable(parley_store *db);

/* The schema version this build writes (PRAGMA user_version). */
int parley_store_schema_version(void);

/* ---- Sessions ----------------------------------------------------------------------- */

/* Where a session stands. Stored as the names "live", "finished", "interrupted",
 * "recovered". */
typedef enum parley_session_status {
    PARLEY_SESSION_FINISHED = 0,    /* complete: a transcribed file or a meeting that ended */
    PARLEY_SESSION_LIVE = 1,        /* being recorded, or left so by a process that died */
    PARLEY_SESSION_INTERRUPTED = 2, /* cut off and not (yet) recovered */
    PARLEY_SESSION_RECOVERED = 3,   /* completed from its journal after an interruption */
} parley_session_status;

/* "live", "finished", ... (static storage); "unknown" for other values. */
const char *parley_session_status_name(parley_session_status s);
/* The reverse; PARLEY_ERR_INVALID_ARG for other names. */
parley_status parley_session_status_parse(const char *name, parley_session_status *out);

/* Stores a finished transcript as a new session with all its segments, in one
 * transaction. The title is t->title when set, else derived from the source file name.
 * Returns the new id in *id_out (may be NULL). Ids are never reused, even after the
 * newest session is deleted. */
parley_status parley_store_add_session(parley_store *db, const parley_transcript *t, int64_t *id_out);

/* One row of the session list. Strings owned by the row array. */
typedef struct parley_session_row {
    int64_t id;
    char *title;
    char *source_path; /* the recording transcribed; may be NULL */
    char *language;    /* may be NULL */
    char *model;       /* may be NULL */
    char *created;     /* ISO 8601 UTC */
    double duration_s;
    int64_t n_segments;
    parley_session_status status;
    char *ended;       /* ISO 8601 UTC when finished/recovered/interrupted; NULL while live */
    char *audio_path;  /* the session's own recording (a live meeting's journal); may be NULL */
} parley_session_row;

/* All sessions, newest first. */
parley_status parley_store_list_sessions(parley_store *db, parley_session_row **rows, size_t *n);
void parley_session_rows_free(parley_session_row *rows, size_t n); /* NULL is a no-op */

/* Which sessions parley_store_list_sessions_ex returns. */
typedef struct parley_session_filter {
    int64_t limit;      /* at most this many rows; 0 = all */
    int64_t offset;     /* skip this many (newest first) */
    int status;         /* a parley_session_status, or -1 for any */
    const char *query;  /* NULL/"" = all; else a search query (parley_store_search's
                           rules): sessions with at least one hit. Without FTS5, words
                           of the title only */
} parley_session_filter;
parley_session_filter parley_session_default_filter(void); /* all, any status */

/* Sessions matching f, newest first. Sessions left LIVE by a process that died are found
 * with f.status = PARLEY_SESSION_LIVE (a meeting being recorded right now by another
 * process is LIVE too: the caller tells them apart, e.g. by a lock on the journal). */
parley_status parley_store_list_sessions_ex(parley_store *db, const parley_session_filter *f,
                                            parley_session_row **rows, size_t *n);
/* How many sessions match f (limit and offset ignored), for paging. */
parley_status parley_store_count_sessions(parley_store *db, const parley_session_filter *f, int64_t *count);

/* One session's row into *out (release with parley_session_row_clear).
 * PARLEY_ERR_NOT_FOUND when absent. */
parley_status parley_store_get_session_row(parley_store *db, int64_t id, parley_session_row *out);
void parley_session_row_clear(parley_session_row *row); /* frees its strings, zeroes it */

/* Loads a session with its segments into *out (free with parley_transcript_free).
 * PARLEY_ERR_NOT_FOUND when there is no such id. */
parley_status parley_store_get_session(parley_store *db, int64_t id, parley_transcript *out);

/* Deletes a session with everything made from it, and its own recording (audio_path),
 * if any. PARLEY_ERR_NOT_FOUND when absent. When the row is gone but the recording
 * could not be removed, PARLEY_ERR_IO says so (the session is deleted nonetheless). */
parley_status parley_store_delete_session(parley_store *db, int64_t id);

/* Flags for parley_store_delete_session_ex. */
enum {
    PARLEY_STORE_KEEP_AUDIO = 1, /* leave the session's recording file on disk */
};
parley_status parley_store_delete_session_ex(parley_store *db, int64_t id, unsigned flags);

/* Renames a session. The title may not be empty. */
parley_status parley_store_set_title(parley_store *db, int64_t id, const char *title);

/* ---- Live sessions ------------------------------------------------------------------ */

struct parley_session_params {
    const char *title;       /* NULL/"" = "Meeting <created time>" */
    const char *source_path; /* the input replayed (e.g. `live --input FILE`); may be NULL */
    const char *language;    /* ISO 639-1 when known; may be NULL */
    const char *model;       /* speech model; may be NULL */
    const char *audio_path;  /* the recording/journal kept with the session; may be NULL
                                (set it later with parley_store_session_set_audio) */
};
struct parley_session_params parley_session_default_params(void);

/* Creates a session with status PARLEY_SESSION_LIVE and no segments; its id in *id_out. */
parley_status parley_store_session_begin(parley_store *db, const struct parley_session_params *p, int64_t *id_out);

/* Appends n segments after the session's last one, in one transaction (all or none).
 * Each segment's speaker is "Me", "Them" or NULL; t0_ms/t1_ms are on the session's
 * timeline; confidence is the probability (negative: unknown). A segment with
 * t1_ms < t0_ms is stored with t1_ms = t0_ms. The session must be LIVE or INTERRUPTED
 * (PARLEY_ERR_INVALID_ARG otherwise). */
parley_status parley_store_segments_append(parley_store *db, int64_t id, const parley_segment *segs, size_t n);

/* Replaces all of a session's segments by segs[0..n) in one transaction (a second pass
 * with a larger model). Any status. */
parley_status parley_store_segments_replace(parley_store *db, int64_t id, const parley_segment *segs, size_t n);
/* The same, also setting the session's speech model (model: a file name or id; NULL keeps it),
 * in the same transaction. */
parley_status parley_store_segments_replace_model(parley_store *db, int64_t id, const parley_segment *segs, size_t n,
                                                  const char *model);

/* Ends a live session: sets status (FINISHED, INTERRUPTED or RECOVERED), the duration
 * and the end time. Finishing a session that is not LIVE or INTERRUPTED is
 * PARLEY_ERR_INVALID_ARG. */
parley_status parley_store_session_finish(parley_store *db, int64_t id, parley_session_status status,
                                          int64_t duration_ms);

/* Sets (or, with NULL, forgets) the session's own recording file. The file is deleted
 * with the session unless PARLEY_STORE_KEEP_AUDIO is given; forgetting it never deletes. */
parley_status parley_store_session_set_audio(parley_store *db, int64_t id, const char *audio_path);

/* ---- Segments ----------------------------------------------------------------------- */

/* Corrects one segment (index from 0, in time order): its text when text is not NULL
 * (may not be empty), its speaker when speaker is not NULL ("" clears it). The segment is
 * marked edited (parley_store_segment_edited). PARLEY_ERR_NOT_FOUND for no such segment. */
parley_status parley_store_segment_edit(parley_store *db, int64_t session_id, int64_t index, const char *text,
                                        const char *speaker);
/* Whether a segment was corrected by hand: *edited 1 or 0. */
parley_status parley_store_segment_edited(parley_store *db, int64_t session_id, int64_t index, int *edited);

/* ---- Notes typed during a meeting --------------------------------------------------- */

typedef struct parley_user_note {
    int64_t id;
    int64_t session_id;
    int64_t t_ms;   /* when it was typed, on the session's timeline */
    char *text;
    char *created;  /* ISO 8601 UTC */
} parley_user_note;

/* Adds a note (text may not be empty); id in *id_out (may be NULL). */
parley_status parley_store_user_note_add(parley_store *db, int64_t session_id, int64_t t_ms, const char *text,
                                         int64_t *id_out);
/* The session's notes ordered by t_ms. */
parley_status parley_store_user_notes_list(parley_store *db, int64_t session_id, parley_user_note **notes, size_t *n);
parley_status parley_store_user_note_delete(parley_store *db, int64_t note_id);
void parley_user_notes_free(parley_user_note *notes, size_t n); /* NULL is a no-op */

/* ---- Artifacts ---------------------------------------------------------------------- */

/* An artifact made from a session by a model: a summary, notes, suggestions. */
typedef struct parley_artifact {
    int64_t id;              /* set by the store */
    int64_t session_id;
    char *kind;              /* "summary", "notes", "suggestions", ... */
    char *format;            /* "json" or "markdown" */
    char *content;           /* the artifact itself */
    char *model;             /* model file or id that made it */
    char *prompt_version;    /* the prompt's version tag, e.g. "summary/1" */
    int64_t prompt_tokens;   /* tokens evaluated for the prompt */
    int64_t reused_tokens;   /* prompt tokens served from the cache instead */
    int64_t output_tokens;   /* tokens generated */
    double prompt_ms;        /* prompt processing time */
    double gen_ms;           /* generation time */
    char *meta;              /* JSON object with anything else (e.g. map-reduce chunks); may be NULL */
    char *created;           /* ISO 8601 UTC; set by the store */
} parley_artifact;

/* Stores a (copy of an) artifact; a->id and a->created are ignored. Id in *id_out (may be NULL). */
parley_status parley_store_add_artifact(parley_store *db, const parley_artifact *a, int64_t *id_out);
/* The newest artifact of kind (and format, when not NULL) for a session, into *out (free
 * with parley_artifact_free). PARLEY_ERR_NOT_FOUND when there is none. */
parley_status parley_store_latest_artifact(parley_store *db, int64_t session_id, const char *kind,
                                           const char *format, parley_artifact *out);
/* One artifact by id into *out. PARLEY_ERR_NOT_FOUND when absent. */
parley_status parley_store_get_artifact(parley_store *db, int64_t artifact_id, parley_artifact *out);
void parley_artifact_free(parley_artifact *a); /* frees the strings a owns; NULL is a no-op */

/* A line of the artifact list (no content). */
typedef struct parley_artifact_info {
    int64_t id;
    int64_t session_id;
    char *kind;
    char *format;
    char *model;       /* may be NULL */
    char *created;     /* ISO 8601 UTC */
    int64_t size;      /* bytes of content */
} parley_artifact_info;

/* A session's artifacts, oldest first. */
parley_status parley_store_list_artifacts(parley_store *db, int64_t session_id, parley_artifact_info **items,
                                          size_t *n);
void parley_artifact_infos_free(parley_artifact_info *items, size_t n); /* NULL is a no-op */
/* Deletes one artifact. PARLEY_ERR_NOT_FOUND when absent. */
parley_status parley_store_delete_artifact(parley_store *db, int64_t artifact_id);

/* ---- Chat --------------------------------------------------------------------------- */

/* Chat history: role is "user" or "assistant". */
typedef struct parley_chat_message {
    int64_t id;
    char *role;
    char *content;
    char *model;   /* NULL for user messages */
    char *created;
    int truncated; /* 1: an answer cut off (by a token limit, cancel) before its end */
    char *meta;    /* JSON object or NULL */
} parley_chat_message;

/* Stores one message. Prefer parley_store_chat_add_turn for question + answer. */
parley_status parley_store_add_chat(parley_store *db, int64_t session_id, const char *role, const char *content,
                                    const char *model, int64_t *id_out);

/* A question and its answer, stored together. */
typedef struct parley_chat_turn {
    const char *question; /* required */
    const char *answer;   /* required */
    const char *model;    /* the model that answered; may be NULL */
    int truncated;        /* 1 when the answer stopped before its end */
    const char *meta;     /* JSON object for the answer (timings, tokens...); may be NULL */
} parley_chat_turn;

/* Stores question and answer in ONE transaction (both or neither). Ids in *question_id
 * and *answer_id (each may be NULL). */
parley_status parley_store_chat_add_turn(parley_store *db, int64_t session_id, const parley_chat_turn *turn,
                                         int64_t *question_id, int64_t *answer_id);

/* The session's chat messages, oldest first. */
parley_status parley_store_list_chat(parley_store *db, int64_t session_id, parley_chat_message **msgs, size_t *n);
void parley_chat_messages_free(parley_chat_message *msgs, size_t n); /* NULL is a no-op */

/* Deletes the session's whole chat; how many messages went in *removed (may be NULL).
 * PARLEY_ERR_NOT_FOUND when the session does not exist. */
parley_status parley_store_chat_clear(parley_store *db, int64_t session_id, int64_t *removed);
/* Keeps only the newest keep_messages messages of the session's chat (older ones
 * deleted, oldest first); *removed as above. */
parley_status parley_store_chat_trim(parley_store *db, int64_t session_id, int64_t keep_messages, int64_t *removed);

/* ---- Search ------------------------------------------------------------------------- */

/* Full-text search over every session's transcript, title, summaries and notes made by
 * models, notes typed during the meeting and chat (SQLite FTS5, tokenizer unicode61 with
 * diacritics removed: "Ubergabe" finds "Übergabe"; ranked by BM25).
 *
 * The query is plain words, never FTS5 syntax: every word must occur in the same
 * segment/title/summary/...; "a phrase in quotes" matches those words in a row; a word
 * ending in * matches words starting with it ("budg*"). Operators and punctuation are
 * taken as text, so no query is a syntax error; a query without any letter or digit is
 * PARLEY_ERR_INVALID_ARG ("the query has no words to search for"). When this SQLite has
 * no FTS5, PARLEY_ERR_UNSUPPORTED. */
struct parley_search_params {
    int64_t limit;          /* hits per page, 1..1000; 0 = 20 */
    int64_t offset;         /* hits to skip (the page times limit) */
    const char *mark_open;  /* put before each matched word in the snippet; NULL = "[" */
    const char *mark_close; /* after it; NULL = "]" (a web page may use "\x02"/"\x03",
                               escape the text, then turn them into <mark>) */
    int snippet_tokens;     /* words of context in a snippet, 4..64; 0 = 16 */
};
struct parley_search_params parley_search_default_params(void);

typedef struct parley_search_hit {
    int64_t session_id;
    char *session_title;
    char *session_created; /* ISO 8601 UTC */
    const char *where;     /* "segment", "title", "summary", "notes", "note" (typed) or
                              "chat"; static storage */
    int64_t ref_id;        /* the row found: segment, session, artifact, note or chat message id */
    int64_t segment_index; /* where = "segment": its index in parley_store_get_session's
                              segments (time order, as parley_store_segment_edit takes); else -1 */
    int64_t t0_ms;         /* time to jump to in the recording (segment start, note time); -1: none */
    char *snippet;         /* the matching text around the match, matches marked; "…" where cut */
    double score;          /* relevance, higher is better (negated BM25) */
} parley_search_hit;

/* The hits for query, best first, one page (p may be NULL: defaults). BM25 ranks the
 * newest 2,000 matches (newest by when they were stored): below that the order is
 * exact; a very common word is ranked among its most recent 2,000 occurrences, which
 * keeps a page at a few milliseconds in 10 million words, and paging reaches those 2,000.
 * Reads one snapshot of the database (a concurrent writer is not seen half-way). */
parley_status parley_store_search(parley_store *db, const char *query, const struct parley_search_params *p,
                                  parley_search_hit **hits, size_t *n);
void parley_search_hits_free(parley_search_hit *hits, size_t n); /* NULL is a no-op */

/* Whether search works here: PARLEY_OK, or PARLEY_ERR_UNSUPPORTED (no FTS5 in SQLite). */
parley_status parley_store_search_available(parley_store *db);

/* ---- Export ------------------------------------------------------------------------- */

/* Exports a stored session: TXT/SRT/VTT are the transcript; JSON and MD also carry the
 * newest summary and notes, the typed notes and the chat when there are any.
 * *out: free() it. */
parley_status parley_store_export(parley_store *db, int64_t id, parley_format fmt, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
