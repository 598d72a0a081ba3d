/* store_internal.h: what the files of src/store/ share; not a public header.
 *
 * src/store/ is split by object: store.c (open, migrations, helpers), sessions.c
 * (sessions, live sessions, segments), records.c (artifacts, chat, typed notes),
 * search.c (full text), export.c (renderings with what models made). */
#ifndef PARLEY_STORE_INTERNAL_H
#define PARLEY_STORE_INTERNAL_H

#include <parley/store.h>

#include "core/internal.h"

#include <sqlite3.h>

struct parley_store {
    sqlite3 *db;
    char *path;
    bool readonly; /* opened by parley_store_open_readonly */
    int fts;       /* 1: the FTS5 index exists (schema >= 3 and FTS5 compiled in) */
};

/* Maps an SQLite failure to a status with the database's own message. */
parley_status store_fail(parley_store *s, int rc, const char *what);
parley_status store_exec(parley_store *s, const char *sql, const char *what);
parley_status store_prepare(parley_store *s, const char *sql, sqlite3_stmt **st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. store_rollback keeps the current error detail. */
parley_status store_begin(parley_store *s);
parley_status store_commit(parley_store *s, const char *what);
void store_rollback(parley_store *s);

/* Binds text, replacing invalid UTF-8 by U+FFFD; NULL binds SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Column i as a new string (NULL for SQL NULL), invalid UTF-8 replaced. On out of
 * memory returns NULL and sets *err to PARLEY_ERR_NOMEM (with the detail), so a row
 * reader checks one status after reading all columns. */
char *store_col(sqlite3_stmt *st, int i, parley_status *err);

/* A copy of s with every invalid UTF-8 sequence replaced by U+FFFD; NULL on out of
 * memory. *changed (may be NULL) tells whether anything was replaced. */
char *store_utf8_fix(const char *s, bool *changed);
/* Whether s (NUL-terminated) is valid UTF-8. */
bool store_utf8_valid(const char *s);

/* Grows *arr (of elem bytes each) so that one more fits; PARLEY_ERR_NOMEM otherwise. */
parley_status store_grow(void **arr, size_t *cap, size_t cnt, size_t elem);

/* PARLEY_OK when session id exists, PARLEY_ERR_NOT_FOUND ("no session N") otherwise. */
parley_status store_session_exists(parley_store *s, int64_t id);

/* search.c: migration step 3 (the FTS5 index), building the index when a database
 * reached step 3 on a SQLite without FTS5, and a user's query made safe for MATCH
 * (*out: free() it; PARLEY_ERR_INVALID_ARG for a query without words). */
parley_status store_migrate_fts(parley_store *s);
parley_status store_migrate_fts_prefix(parley_store *s);
parley_status store_fts_ensure(parley_store *s);
parley_status store_fts_query(const char *query, char **out);

#endif
