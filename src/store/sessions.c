/* sessions.c: sessions (finished and live), their segments and their recordings. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const status_names[] = {"finished", "live", "interrupted", "recovered"};

const char *parley_session_status_name(parley_session_status s)
{
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "unknown";
}

parley_status parley_session_status_parse(const char *name, parley_session_status *out)
{
    for (size_t i = 0; name && i < sizeof status_names / sizeof status_names[0]; i++)
        if (!strcmp(name, status_names[i])) {
            *out = (parley_session_status)i;
            return PARLEY_OK;
        }
    return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown session status '%s' (live, finished, interrupted, recovered)",
                       name ? name : "");
}

static parley_session_status status_of(const unsigned char *name)
{
    parley_session_status s = PARLEY_SESSION_FINISHED;
    if (name && parley_session_status_parse((const char *)name, &s))
        parley_clear_error();
    return s;
}

struct parley_session_params parley_session_default_params(void)
{
    struct parley_session_params p = {0};
    return p;
}

parley_session_filter parley_session_default_filter(void)
{
    parley_session_filter f = {.limit = 0, .offset = 0, .status = -1, .query = NULL};
    return f;
}

/* "team-standup.m4a" -> "team-standup"; NULL -> "Session". */
static void derive_title(const char *source, char *out, size_t n)
{
    if (!source) {
        snprintf(out, n, "Session");
        return;
    }
    const char *b = strrchr(source, '/');
    b = b ? b + 1 : source;
    snprintf(out, n, "%s", *b ? b : "Session");
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

/* Inserts segs as idx first.. of session id with a prepared statement; inside the
 * caller's transaction. An end before the start is clamped to the start (one bad
 * segment must not make every export of the session fail). */
static parley_status insert_segments(parley_store *s, int64_t id, int64_t first, const parley_segment *segs, size_t n)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "INSERT INTO segments(session_id, idx, t0_ms, t1_ms, speaker, text, confidence) "
                                     "VALUES (?,?,?,?,?,?,?)",
                                     &q);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        const parley_segment *g = &segs[i];
        int64_t t0 = g->t0_ms < 0 ? 0 : g->t0_ms;
        int64_t t1 = g->t1_ms < t0 ? t0 : g->t1_ms;
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, first + (int64_t)i);
        sqlite3_bind_int64(q, 3, t0);
        sqlite3_bind_int64(q, 4, t1);
        store_bind_text(q, 5, g->speaker && *g->speaker ? g->speaker : NULL);
        store_bind_text(q, 6, g->text ? g->text : "");
        if (g->confidence >= 0)
            sqlite3_bind_double(q, 7, g->confidence);
        else
            sqlite3_bind_null(q, 7);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) {
            st = store_fail(s, rc, "adding a segment");
            break;
        }
    }
    sqlite3_finalize(q);
    return st;
}

parley_status parley_store_add_session(parley_store *s, const parley_transcript *t, int64_t *id_out)
{
    if (!s || !t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store and transcript are required");
    if (t->n_segments && !t->segments)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "transcript has n_segments but no segments");
    char title[512];
    if (t->title && *t->title)
        snprintf(title, sizeof title, "%s", t->title);
    else
        derive_title(t->source_path, title, sizeof title);
    parley_status st;
    sqlite3_stmt *q = NULL;
    if ((st = store_begin(s)))
        return st;
    if ((st = store_prepare(s,
                            "INSERT INTO sessions(title, source_path, duration_s, language, model, ended) "
                            "VALUES (?,?,?,?,?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                            &q)))
        goto rollback;
    store_bind_text(q, 1, title);
    store_bind_text(q, 2, t->source_path);
    sqlite3_bind_double(q, 3, t->duration_s);
    store_bind_text(q, 4, t->language);
    store_bind_text(q, 5, t->model);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = store_fail(s, rc, "adding a session");
        goto rollback;
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if ((st = insert_segments(s, id, 0, t->segments, t->n_segments)))
        goto rollback;
    if ((st = store_commit(s, "committing the session")))
        goto rollback;
    if (id_out)
        *id_out = id;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

void parley_session_row_clear(parley_session_row *r)
{
    if (!r)
        return;
    free(r->title);
    free(r->source_path);
    free(r->language);
    free(r->model);
    free(r->created);
    free(r->ended);
    free(r->audio_path);
    memset(r, 0, sizeof *r);
}

void parley_session_rows_free(parley_session_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        parley_session_row_clear(&rows[i]);
    free(rows);
}

#define ROW_COLUMNS                                                                                                    \
    "s.id, s.title, s.source_path, s.language, s.model, s.created, s.duration_s, "                                    \
    "(SELECT count(*) FROM segments g WHERE g.session_id = s.id), s.status, s.ended, s.audio_path"

static parley_status read_row(sqlite3_stmt *q, parley_session_row *x)
{
    parley_status err = PARLEY_OK;
    x->id = sqlite3_column_int64(q, 0);
    x->title = store_col(q, 1, &err);
    x->source_path = store_col(q, 2, &err);
    x->language = store_col(q, 3, &err);
    x->model = store_col(q, 4, &err);
    x->created = store_col(q, 5, &err);
    x->duration_s = sqlite3_column_double(q, 6);
    x->n_segments = sqlite3_column_int64(q, 7);
    x->status = status_of(sqlite3_column_text(q, 8));
    x->ended = store_col(q, 9, &err);
    x->audio_path = store_col(q, 10, &err);
    if (!err && !x->title)
        x->title = parley_strdup("");
    if (!err && (!x->title || !x->created))
        err = parley_fail(PARLEY_ERR_NOMEM, "out of memory reading the database");
    return err;
}


/* The WHERE clause shared by list and count: ?1 status name or NULL, ?2 the query (an
 * FTS5 query made by store_fts_query, or the words for a title match without FTS5). */
static parley_status filter_where(parley_store *s, const parley_session_filter *f, parley_buf *b)
{
    parley_status st = parley_buf_printf(b, " WHERE (?1 IS NULL OR s.status = ?1)");
    if (!st && f && f->query && *f->query)
        st = parley_buf_printf(b, s->fts ? " AND s.id IN (SELECT session_id FROM search_index WHERE search_index "
                                           "MATCH ?2)"
                                         : " AND s.title LIKE '%%' || ?2 || '%%'");
    return st;
}

static parley_status bind_filter(parley_store *s, sqlite3_stmt *q, const parley_session_filter *f)
{
    if (f && f->status >= 0) {
        if (f->status > PARLEY_SESSION_RECOVERED)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown session status %d", f->status);
        sqlite3_bind_text(q, 1, parley_session_status_name((parley_session_status)f->status), -1, SQLITE_STATIC);
    }
    if (f && f->query && *f->query) {
        if (!s->fts) {
            store_bind_text(q, 2, f->query);
            return PARLEY_OK;
        }
        char *fq;
        parley_status st = store_fts_query(f->query, &fq);
        if (st)
            return st;
        sqlite3_bind_text(q, 2, fq, -1, free);
    }
    return PARLEY_OK;
}

parley_status parley_store_list_sessions_ex(parley_store *s, const parley_session_filter *f, parley_session_row **rows,
                                            size_t *n)
{
    if (!rows || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "rows and n are required");
    *rows = NULL;
    *n = 0;
    if (f && (f->limit < 0 || f->offset < 0))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "limit and offset may not be negative");
    parley_buf b = {0};
    parley_status st = parley_buf_printf(&b, "SELECT " ROW_COLUMNS " FROM sessions s");
    if (!st)
        st = filter_where(s, f, &b);
    if (!st)
        st = parley_buf_printf(&b, " ORDER BY s.id DESC LIMIT ?3 OFFSET ?4");
    sqlite3_stmt *q = NULL;
    if (!st)
        st = store_prepare(s, b.data, &q);
    parley_buf_free(&b);
    if (!st)
        st = bind_filter(s, q, f);
    if (st) {
        sqlite3_finalize(q);
        return st;
    }
    sqlite3_bind_int64(q, 3, f && f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(q, 4, f ? f->offset : 0);
    size_t cap = 0, cnt = 0;
    parley_session_row *r = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((st = store_grow((void **)&r, &cap, cnt, sizeof *r)))
            break;
        st = read_row(q, &r[cnt++]);
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "listing sessions");
    sqlite3_finalize(q);
    if (st) {
        parley_session_rows_free(r, cnt);
        return st;
    }
    *rows = r;
    *n = cnt;
    return PARLEY_OK;
}

parley_status parley_store_list_sessions(parley_store *s, parley_session_row **rows, size_t *n)
{
    return parley_store_list_sessions_ex(s, NULL, rows, n);
}

parley_status parley_store_count_sessions(parley_store *s, const parley_session_filter *f, int64_t *count)
{
    if (!count)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "count is required");
    *count = 0;
    parley_buf b = {0};
    parley_status st = parley_buf_printf(&b, "SELECT count(*) FROM sessions s");
    if (!st)
        st = filter_where(s, f, &b);
    sqlite3_stmt *q = NULL;
    if (!st)
        st = store_prepare(s, b.data, &q);
    parley_buf_free(&b);
    if (!st)
        st = bind_filter(s, q, f);
    if (st) {
        sqlite3_finalize(q);
        return st;
    }
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(q, 0);
    else
        st = store_fail(s, rc, "counting sessions");
    sqlite3_finalize(q);
    return st;
}

parley_status parley_store_get_session_row(parley_store *s, int64_t id, parley_session_row *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "SELECT " ROW_COLUMNS " FROM sessions s WHERE s.id = ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        st = read_row(q, out);
    else if (rc == SQLITE_DONE)
        st = parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    else
        st = store_fail(s, rc, "reading a session");
    sqlite3_finalize(q);
    if (st)
        parley_session_row_clear(out);
    return st;
}

parley_status parley_store_get_session(parley_store *s, int64_t id, parley_transcript *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    memset(out, 0, sizeof *out);
    parley_session_row row;
    parley_status st = parley_store_get_session_row(s, id, &row);
    if (st)
        return st;
    out->id = row.id;
    out->title = row.title;
    out->source_path = row.source_path;
    out->language = row.language;
    out->model = row.model;
    out->created = row.created;
    out->duration_s = row.duration_s;
    free(row.ended);
    free(row.audio_path);
    sqlite3_stmt *q;
    /* Time order: a live meeting's two streams append their segments as each is
     * transcribed, which is not always the order in which they were spoken. */
    if ((st = store_prepare(s,
                            "SELECT t0_ms, t1_ms, text, speaker, confidence FROM segments WHERE session_id = ? "
                            "ORDER BY t0_ms, idx",
                            &q)))
        goto fail;
    sqlite3_bind_int64(q, 1, id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        parley_status err = PARLEY_OK;
        char *text = store_col(q, 2, &err), *spk = store_col(q, 3, &err);
        float conf = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1.0f : (float)sqlite3_column_double(q, 4);
        /* Clamped as on insert: a bad segment from an older Parley or another writer
         * must not make the whole session unreadable (and every export fail). */
        int64_t t0 = sqlite3_column_int64(q, 0), t1 = sqlite3_column_int64(q, 1);
        t0 = t0 < 0 ? 0 : t0;
        t1 = t1 < t0 ? t0 : t1;
        if (!err)
            err = parley_transcript_add(out, t0, t1, text ? text : "", spk, conf);
        free(text);
        free(spk);
        if ((st = err))
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "reading segments");
    sqlite3_finalize(q);
    if (st)
        goto fail;
    return PARLEY_OK;
fail:
    parley_transcript_free(out);
    return st;
}

/* Runs a one-statement write on a session id and reports NOT_FOUND when nothing changed. */
static parley_status change_session(parley_store *s, const char *sql, int64_t id, const char *text, const char *what)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, sql, &q);
    if (st)
        return st;
    int i = 1;
    if (text)
        store_bind_text(q, i++, text);
    sqlite3_bind_int64(q, i, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, what);
    if (sqlite3_changes(s->db) == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    return PARLEY_OK;
}

parley_status parley_store_delete_session_ex(parley_store *s, int64_t id, unsigned flags)
{
    parley_status st = store_begin(s);
    if (st)
        return st;
    char *audio = NULL;
    sqlite3_stmt *q;
    if ((st = store_prepare(s, "SELECT audio_path FROM sessions WHERE id = ?", &q)))
        goto rollback;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(q, 0);
        if (a && !(audio = parley_strdup(a)))
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        st = parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    } else {
        st = store_fail(s, rc, "deleting a session");
    }
    sqlite3_finalize(q);
    if (st || (st = change_session(s, "DELETE FROM sessions WHERE id = ?", id, NULL, "deleting a session")) ||
        (st = store_commit(s, "deleting a session")))
        goto rollback;
    /* The row goes first: a recording without its session is a file to clean up, a
     * session whose recording vanished because its delete failed is data lost. */
    if (audio && !(flags & PARLEY_STORE_KEEP_AUDIO) && unlink(audio) != 0 && errno != ENOENT) {
        int e = errno;
        st = parley_fail(PARLEY_ERR_IO, "session %lld was deleted, but its recording %s could not be removed: %s",
                         (long long)id, audio, strerror(e));
    }
    free(audio);
    return st;
rollback:
    store_rollback(s);
    free(audio);
    return st;
}

parley_status parley_store_delete_session(parley_store *s, int64_t id)
{
    return parley_store_delete_session_ex(s, id, 0);
}

parley_status parley_store_set_title(parley_store *s, int64_t id, const char *title)
{
    if (!title || !*title)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a title may not be empty");
    return change_session(s, "UPDATE sessions SET title = ? WHERE id = ?", id, title, "renaming a session");
}

/* ---- Live sessions -------------------------------------------------------------------- */

parley_status parley_store_session_begin(parley_store *s, const struct parley_session_params *p, int64_t *id_out)
{
    struct parley_session_params d = parley_session_default_params();
    if (!p)
        p = &d;
    sqlite3_stmt *q;
    parley_status st = store_prepare(
        s,
        "INSERT INTO sessions(title, source_path, language, model, audio_path, status) VALUES ("
        "  coalesce(nullif(?1, ''), strftime('Meeting %Y-%m-%d %H:%M', 'now', 'localtime')), ?2, ?3, ?4, ?5, 'live')",
        &q);
    if (st)
        return st;
    store_bind_text(q, 1, p->title);
    store_bind_text(q, 2, p->source_path);
    store_bind_text(q, 3, p->language);
    store_bind_text(q, 4, p->model);
    store_bind_text(q, 5, p->audio_path);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "starting a live session");
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return PARLEY_OK;
}

/* The session's status and next segment index, inside the caller's transaction. */
static parley_status session_state(parley_store *s, int64_t id, parley_session_status *status, int64_t *next_idx)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "SELECT status, (SELECT coalesce(max(idx), -1) + 1 FROM segments "
                                     "WHERE session_id = ?1) FROM sessions WHERE id = ?1",
                                     &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *status = status_of(sqlite3_column_text(q, 0));
        *next_idx = sqlite3_column_int64(q, 1);
    } else if (rc == SQLITE_DONE) {
        st = parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    } else {
        st = store_fail(s, rc, "reading a session");
    }
    sqlite3_finalize(q);
    return st;
}

static parley_status extend_duration(parley_store *s, int64_t id)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "UPDATE sessions SET duration_s = max(duration_s, coalesce((SELECT max(t1_ms) "
                                     "FROM segments WHERE session_id = ?1), 0) / 1000.0) WHERE id = ?1",
                                     &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? PARLEY_OK : store_fail(s, rc, "updating a session's duration");
}

parley_status parley_store_segments_append(parley_store *s, int64_t id, const parley_segment *segs, size_t n)
{
    if (n && !segs)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "segments are required");
    parley_status st = store_begin(s);
    if (st)
        return st;
    parley_session_status status;
    int64_t next;
    if ((st = session_state(s, id, &status, &next)))
        goto rollback;
    if (status != PARLEY_SESSION_LIVE && status != PARLEY_SESSION_INTERRUPTED) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "session %lld is %s: segments are appended only to a live session",
                         (long long)id, parley_session_status_name(status));
        goto rollback;
    }
    if ((st = insert_segments(s, id, next, segs, n)) || (st = extend_duration(s, id)) ||
        (st = store_commit(s, "appending segments")))
        goto rollback;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

parley_status parley_store_segments_replace(parley_store *s, int64_t id, const parley_segment *segs, size_t n)
{
    return parley_store_segments_replace_model(s, id, segs, n, NULL);
}

parley_status parley_store_segments_replace_model(parley_store *s, int64_t id, const parley_segment *segs, size_t n,
                                                  const char *model)
{
    if (n && !segs)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "segments are required");
    parley_status st = store_begin(s);
    if (st)
        return st;
    parley_session_status status;
    int64_t next;
    sqlite3_stmt *q = NULL;
    if ((st = session_state(s, id, &status, &next)) ||
        (st = store_prepare(s, "DELETE FROM segments WHERE session_id = ?", &q)))
        goto rollback;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = store_fail(s, rc, "replacing segments");
        goto rollback;
    }
    if ((st = insert_segments(s, id, 0, segs, n)) || (st = extend_duration(s, id)))
        goto rollback;
    if (model) {
        if ((st = store_prepare(s, "UPDATE sessions SET model = ? WHERE id = ?", &q)))
            goto rollback;
        store_bind_text(q, 1, model);
        sqlite3_bind_int64(q, 2, id);
        rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) {
            st = store_fail(s, rc, "setting the speech model");
            goto rollback;
        }
    }
    if ((st = store_commit(s, "replacing segments")))
        goto rollback;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

parley_status parley_store_session_finish(parley_store *s, int64_t id, parley_session_status status,
                                          int64_t duration_ms)
{
    if (status != PARLEY_SESSION_FINISHED && status != PARLEY_SESSION_INTERRUPTED &&
        status != PARLEY_SESSION_RECOVERED)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a session is finished as finished, interrupted or recovered");
    if (duration_ms < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "duration may not be negative");
    parley_status st = store_begin(s);
    if (st)
        return st;
    parley_session_status now;
    int64_t next;
    sqlite3_stmt *q = NULL;
    if ((st = session_state(s, id, &now, &next)))
        goto rollback;
    if (now != PARLEY_SESSION_LIVE && now != PARLEY_SESSION_INTERRUPTED) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "session %lld is already %s", (long long)id,
                         parley_session_status_name(now));
        goto rollback;
    }
    if ((st = store_prepare(s,
                            "UPDATE sessions SET status = ?1, duration_s = max(?2 / 1000.0, duration_s), "
                            "ended = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?3",
                            &q)))
        goto rollback;
    sqlite3_bind_text(q, 1, parley_session_status_name(status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, duration_ms);
    sqlite3_bind_int64(q, 3, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = store_fail(s, rc, "finishing a session");
        goto rollback;
    }
    if ((st = store_commit(s, "finishing a session")))
        goto rollback;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

parley_status parley_store_session_set_audio(parley_store *s, int64_t id, const char *audio_path)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "UPDATE sessions SET audio_path = ? WHERE id = ?", &q);
    if (st)
        return st;
    store_bind_text(q, 1, audio_path && *audio_path ? audio_path : NULL);
    sqlite3_bind_int64(q, 2, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "setting a session's recording");
    if (sqlite3_changes(s->db) == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    return PARLEY_OK;
}

/* ---- Segments ------------------------------------------------------------------------- */

/* The row id of the index-th segment in time order, or NOT_FOUND. */
static parley_status segment_rowid(parley_store *s, int64_t session_id, int64_t index, int64_t *rowid)
{
    if (index < 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "segment indexes start at 0 (got %lld)", (long long)index);
    sqlite3_stmt *q;
    parley_status st = store_prepare(
        s, "SELECT id FROM segments WHERE session_id = ? ORDER BY t0_ms, idx LIMIT 1 OFFSET ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_int64(q, 2, index);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *rowid = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return PARLEY_OK;
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "finding a segment");
    if ((st = store_session_exists(s, session_id)))
        return st;
    return parley_fail(PARLEY_ERR_NOT_FOUND, "session %lld has no segment %lld", (long long)session_id,
                       (long long)index);
}

parley_status parley_store_segment_edit(parley_store *s, int64_t session_id, int64_t index, const char *text,
                                        const char *speaker)
{
    if (!text && !speaker)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "nothing to change: give a text or a speaker");
    if (text && !*text)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a segment's text may not be empty");
    parley_status st = store_begin(s);
    if (st)
        return st;
    int64_t rowid = 0;
    sqlite3_stmt *q = NULL;
    if ((st = segment_rowid(s, session_id, index, &rowid)) ||
        (st = store_prepare(s,
                            "UPDATE segments SET text = coalesce(?1, text), "
                            "speaker = CASE WHEN ?2 IS NULL THEN speaker WHEN ?2 = '' THEN NULL ELSE ?2 END, "
                            "edited = 1 WHERE id = ?3",
                            &q)))
        goto rollback;
    store_bind_text(q, 1, text);
    store_bind_text(q, 2, speaker);
    sqlite3_bind_int64(q, 3, rowid);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = store_fail(s, rc, "editing a segment");
        goto rollback;
    }
    if ((st = store_commit(s, "editing a segment")))
        goto rollback;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

parley_status parley_store_segment_edited(parley_store *s, int64_t session_id, int64_t index, int *edited)
{
    int64_t rowid = 0;
    parley_status st = segment_rowid(s, session_id, index, &rowid);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = store_prepare(s, "SELECT edited FROM segments WHERE id = ?", &q)))
        return st;
    sqlite3_bind_int64(q, 1, rowid);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *edited = sqlite3_column_int(q, 0) != 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? PARLEY_OK : store_fail(s, rc, "reading a segment");
}
