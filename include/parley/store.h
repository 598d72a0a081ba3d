/*
 * store.h: the local database of sessions (one per recording or meeting), their transcript
 * segments, the artifacts made from them (summaries, notes, suggestions) and chat history.
 * SQLite in WAL mode, by default at <data dir>/parley.db (parley_dir_path).
 *
 * Basic usage
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
 * Every write is one transaction: a process killed mid-write leaves the database as it
 * was before the write began. Failures name their cause: PARLEY_ERR_PERMISSION (the
 * directory cannot be written), PARLEY_ERR_DISK_FULL, PARLEY_ERR_DB (a corrupt file or
 * a database written by a newer Parley).
 *
 * Thread rules: a parley_store is used by one thread at a time. Several processes may
 * open the same database (WAL; writers wait up to 5 s for each other).
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

/* Opens (creating when needed, with its directory) the database at path, or the default
 * when path is NULL. */
parley_status parley_store_open(const char *path, parley_store **out);
void parley_store_close(parley_store *db); /* NULL is a no-op */
/* The database's file path. Borrowed; valid while db is open. */
const char *parley_store_path(const parley_store *db);

/* Stores a finished transcript as a new session with all its segments, in one
 * transaction. The title is t->title when set, else derived from the source file name.
 * Returns the new id in *id_out. */
parley_status parley_store_add_session(parley_store *db, const parley_transcript *t, int64_t *id_out);

/* One row of the session list. Strings owned by the row array. */
typedef struct parley_session_row {
    int64_t id;
    char *title;
    char *source_path; /* may be NULL */
    char *language;    /* may be NULL */
    char *model;       /* may be NULL */
    char *created;     /* ISO 8601 UTC */
    double duration_s;
    int64_t n_segments;
} parley_session_row;

/* All sessions, newest first. */
parley_status parley_store_list_sessions(parley_store *db, parley_session_row **rows, size_t *n);
void parley_session_rows_free(parley_session_row *rows, size_t n);

/* Loads a session with its segments into *out (free with parley_transcript_free).
 * PARLEY_ERR_NOT_FOUND when there is no such id. */
parley_status parley_store_get_session(parley_store *db, int64_t id, parley_transcript *out);

/* Deletes a session with everything made from it. PARLEY_ERR_NOT_FOUND when absent. */
parley_status parley_store_delete_session(parley_store *db, int64_t id);

/* Renames a session. */
parley_status parley_store_set_title(parley_store *db, int64_t id, const char *title);

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
void parley_artifact_free(parley_artifact *a);

/* Chat history: role is "user" or "assistant". */
typedef struct parley_chat_message {
    int64_t id;
    char *role;
    char *content;
    char *model;   /* NULL for user messages */
    char *created;
} parley_chat_message;

parley_status parley_store_add_chat(parley_store *db, int64_t session_id, const char *role, const char *content,
                                    const char *model, int64_t *id_out);
/* The session's chat messages, oldest first. */
parley_status parley_store_list_chat(parley_store *db, int64_t session_id, parley_chat_message **msgs, size_t *n);
void parley_chat_messages_free(parley_chat_message *msgs, size_t n);

/* Exports a stored session: TXT/SRT/VTT are the transcript; JSON and MD also carry the
 * newest summary and notes (and chat, for JSON) when there are any. *out: free() it. */
parley_status parley_store_export(parley_store *db, int64_t id, parley_format fmt, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
