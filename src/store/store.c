/* store.c: sessions, segments, artifacts and chat in SQLite (WAL).
 *
 * The schema is versioned with PRAGMA user_version; a database from a newer Parley is
 * refused rather than guessed at. Each public write is one transaction, so a process
 * killed half-way leaves the previous state. */
#include <parley/store.h>

#include "core/internal.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <yyjson.h>

#define SCHEMA_VERSION 1

struct parley_store {
    sqlite3 *db;
    char *path;
};

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL,"
    "  source_path TEXT,"
    "  duration_s REAL NOT NULL DEFAULT 0,"
    "  language TEXT,"
    "  model TEXT,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE TABLE IF NOT EXISTS segments ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  t0_ms INTEGER NOT NULL,"
    "  t1_ms INTEGER NOT NULL,"
    "  speaker TEXT,"
    "  text TEXT NOT NULL,"
    "  confidence REAL,"
    "  UNIQUE (session_id, idx)"
    ");"
    "CREATE TABLE IF NOT EXISTS artifacts ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  model TEXT,"
    "  prompt_version TEXT,"
    "  prompt_tokens INTEGER NOT NULL DEFAULT 0,"
    "  reused_tokens INTEGER NOT NULL DEFAULT 0,"
    "  output_tokens INTEGER NOT NULL DEFAULT 0,"
    "  prompt_ms REAL NOT NULL DEFAULT 0,"
    "  gen_ms REAL NOT NULL DEFAULT 0,"
    "  meta TEXT,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX IF NOT EXISTS artifacts_by_session ON artifacts(session_id, kind, id);"
    "CREATE TABLE IF NOT EXISTS chat_messages ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  role TEXT NOT NULL CHECK (role IN ('user','assistant')),"
    "  content TEXT NOT NULL,"
    "  model TEXT,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX IF NOT EXISTS chat_by_session ON chat_messages(session_id, id);";

/* Maps an SQLite failure to a status with the database's own message. */
static parley_status db_fail(parley_store *s, int rc, const char *what)
{
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    const char *path = s && s->path ? s->path : "database";
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return parley_fail(PARLEY_ERR_DISK_FULL, "%s: %s: disk full (%s)", path, what, msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return parley_fail(PARLEY_ERR_PERMISSION, "%s: %s: %s", path, what, msg);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return parley_fail(PARLEY_ERR_DB, "%s is corrupt or not a Parley database (%s)", path, msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: {
        /* SQLite's I/O errors keep the operating system's errno: a full disk often
         * shows up as a failed write, truncate or shared-memory mapping. */
        int e = s && s->db ? sqlite3_system_errno(s->db) : 0;
        if (e == ENOSPC || e == EDQUOT)
            return parley_fail(PARLEY_ERR_DISK_FULL, "%s: %s: disk full (%s)", path, what, msg);
        if (e == EACCES || e == EPERM || e == EROFS)
            return parley_fail(PARLEY_ERR_PERMISSION, "%s: %s: %s (%s)", path, what, msg, strerror(e));
        return parley_fail(PARLEY_ERR_IO, "%s: %s: %s%s%s", path, what, msg, e ? ": " : "", e ? strerror(e) : "");
    }
    default:
        return parley_fail(PARLEY_ERR_DB, "%s: %s: %s", path, what, msg);
    }
}

static parley_status exec(parley_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? PARLEY_OK : db_fail(s, rc, what);
}

static parley_status prepare(parley_store *s, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? PARLEY_OK : db_fail(s, rc, "preparing a query");
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? parley_strdup((const char *)t) : NULL;
}

parley_status parley_store_open(const char *path, parley_store **out)
{
    char def[PATH_MAX], dir[PATH_MAX];
    parley_status st;
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    *out = NULL;
    if (!path) {
        if ((st = parley_dir_path(PARLEY_DIR_DATA, dir, sizeof dir)))
            return st;
        if (snprintf(def, sizeof def, "%s/parley.db", dir) >= (int)sizeof def)
            return parley_fail(PARLEY_ERR_TOO_LARGE, "data directory path too long");
        path = def;
    }
    snprintf(dir, sizeof dir, "%s", path);
    if ((st = parley_mkdirs(dirname(dir))))
        return st;
    if (access(dir, W_OK) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "database directory %s is not writable: %s", dir,
                           strerror(e));
    }
    parley_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = parley_strdup(path))) {
        free(s);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(s, rc, "opening");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* journal_mode=WAL is the first statement to touch the file: a non-database
     * file fails here with SQLITE_NOTADB. */
    if ((st = exec(s, "PRAGMA journal_mode=WAL", "switching to WAL")))
        goto fail;
    if ((st = exec(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", "setting pragmas")))
        goto fail;
    sqlite3_stmt *q;
    if ((st = prepare(s, "PRAGMA user_version", &q)))
        goto fail;
    int ver = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (ver > SCHEMA_VERSION) {
        st = parley_fail(PARLEY_ERR_DB, "%s was written by a newer Parley (schema %d; this one knows %d)", path, ver,
                         SCHEMA_VERSION);
        goto fail;
    }
    if (ver < SCHEMA_VERSION) {
        if ((st = exec(s, "BEGIN IMMEDIATE", "starting a transaction")))
            goto fail;
        if ((st = exec(s, schema_sql, "creating tables")) ||
            (st = exec(s, "PRAGMA user_version=1", "setting the schema version")) ||
            (st = exec(s, "COMMIT", "committing"))) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
    }
    *out = s;
    return PARLEY_OK;
fail:
    parley_store_close(s);
    return st;
}

void parley_store_close(parley_store *s)
{
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

const char *parley_store_path(const parley_store *s) { return s->path; }

/* "team-standup.m4a" -> "team-standup"; NULL -> "Session". */
static void derive_title(const char *source, char *out, size_t n)
{
    if (!source) {
        snprintf(out, n, "Session");
        return;
    }
    const char *b = strrchr(source, '/');
    b = b ? b + 1 : source;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

parley_status parley_store_add_session(parley_store *s, const parley_transcript *t, int64_t *id_out)
{
    if (!s || !t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store and transcript are required");
    char title[512];
    if (t->title && *t->title)
        snprintf(title, sizeof title, "%s", t->title);
    else
        derive_title(t->source_path, title, sizeof title);
    parley_status st;
    sqlite3_stmt *q = NULL;
    if ((st = exec(s, "BEGIN IMMEDIATE", "starting a transaction")))
        return st;
    if ((st = prepare(s, "INSERT INTO sessions(title, source_path, duration_s, language, model) VALUES (?,?,?,?,?)",
                      &q)))
        goto rollback;
    sqlite3_bind_text(q, 1, title, -1, SQLITE_TRANSIENT);
    bind_text_or_null(q, 2, t->source_path);
    sqlite3_bind_double(q, 3, t->duration_s);
    bind_text_or_null(q, 4, t->language);
    bind_text_or_null(q, 5, t->model);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        st = db_fail(s, rc, "adding a session");
        goto rollback;
    }
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if ((st = prepare(s, "INSERT INTO segments(session_id, idx, t0_ms, t1_ms, speaker, text, confidence) "
                         "VALUES (?,?,?,?,?,?,?)",
                      &q)))
        goto rollback;
    for (size_t i = 0; i < t->n_segments; i++) {
        const parley_segment *g = &t->segments[i];
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, (int64_t)i);
        sqlite3_bind_int64(q, 3, g->t0_ms);
        sqlite3_bind_int64(q, 4, g->t1_ms);
        bind_text_or_null(q, 5, g->speaker);
        sqlite3_bind_text(q, 6, g->text ? g->text : "", -1, SQLITE_TRANSIENT);
        if (g->confidence >= 0)
            sqlite3_bind_double(q, 7, g->confidence);
        else
            sqlite3_bind_null(q, 7);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) {
            st = db_fail(s, rc, "adding a segment");
            goto rollback;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((st = exec(s, "COMMIT", "committing the session")))
        goto rollback;
    if (id_out)
        *id_out = id;
    return PARLEY_OK;
rollback:
    sqlite3_finalize(q);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

void parley_session_rows_free(parley_session_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].title);
        free(rows[i].source_path);
        free(rows[i].language);
        free(rows[i].model);
        free(rows[i].created);
    }
    free(rows);
}

parley_status parley_store_list_sessions(parley_store *s, parley_session_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *q;
    parley_status st = prepare(s,
                               "SELECT s.id, s.title, s.source_path, s.language, s.model, s.created, s.duration_s, "
                               "(SELECT count(*) FROM segments g WHERE g.session_id = s.id) "
                               "FROM sessions s ORDER BY s.id DESC",
                               &q);
    if (st)
        return st;
    size_t cap = 0, cnt = 0;
    parley_session_row *r = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            parley_session_row *nr = realloc(r, cap * sizeof *nr);
            if (!nr) {
                st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
                break;
            }
            r = nr;
        }
        parley_session_row *x = &r[cnt++];
        x->id = sqlite3_column_int64(q, 0);
        x->title = col_dup(q, 1);
        x->source_path = col_dup(q, 2);
        x->language = col_dup(q, 3);
        x->model = col_dup(q, 4);
        x->created = col_dup(q, 5);
        x->duration_s = sqlite3_column_double(q, 6);
        x->n_segments = sqlite3_column_int64(q, 7);
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, rc, "listing sessions");
    sqlite3_finalize(q);
    if (st) {
        parley_session_rows_free(r, cnt);
        return st;
    }
    *rows = r;
    *n = cnt;
    return PARLEY_OK;
}

parley_status parley_store_get_session(parley_store *s, int64_t id, parley_transcript *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    parley_status st = prepare(
        s, "SELECT id, title, source_path, language, model, created, duration_s FROM sessions WHERE id = ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(q);
        if (rc == SQLITE_DONE)
            return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
        return db_fail(s, rc, "reading a session");
    }
    out->id = sqlite3_column_int64(q, 0);
    out->title = col_dup(q, 1);
    out->source_path = col_dup(q, 2);
    out->language = col_dup(q, 3);
    out->model = col_dup(q, 4);
    out->created = col_dup(q, 5);
    out->duration_s = sqlite3_column_double(q, 6);
    sqlite3_finalize(q);
    if ((st = prepare(s, "SELECT t0_ms, t1_ms, text, speaker, confidence FROM segments WHERE session_id = ? ORDER BY idx",
                      &q)))
        goto fail;
    sqlite3_bind_int64(q, 1, id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(q, 2);
        const char *spk = (const char *)sqlite3_column_text(q, 3);
        float conf = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1.0f : (float)sqlite3_column_double(q, 4);
        if ((st = parley_transcript_add(out, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
                                        text ? text : "", spk, conf)))
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, rc, "reading segments");
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
    parley_status st = prepare(s, sql, &q);
    if (st)
        return st;
    int i = 1;
    if (text)
        sqlite3_bind_text(q, i++, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, i, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, what);
    if (sqlite3_changes(s->db) == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    return PARLEY_OK;
}

parley_status parley_store_delete_session(parley_store *s, int64_t id)
{
    return change_session(s, "DELETE FROM sessions WHERE id = ?", id, NULL, "deleting a session");
}

parley_status parley_store_set_title(parley_store *s, int64_t id, const char *title)
{
    if (!title || !*title)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a title may not be empty");
    return change_session(s, "UPDATE sessions SET title = ? WHERE id = ?", id, title, "renaming a session");
}

static parley_status session_exists(parley_store *s, int64_t id)
{
    sqlite3_stmt *q;
    parley_status st = prepare(s, "SELECT 1 FROM sessions WHERE id = ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return PARLEY_OK;
    if (rc == SQLITE_DONE)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    return db_fail(s, rc, "looking up a session");
}

parley_status parley_store_add_artifact(parley_store *s, const parley_artifact *a, int64_t *id_out)
{
    if (!a || !a->kind || !a->format || !a->content)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "an artifact needs kind, format and content");
    parley_status st = session_exists(s, a->session_id);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = prepare(s,
                      "INSERT INTO artifacts(session_id, kind, format, content, model, prompt_version, prompt_tokens, "
                      "reused_tokens, output_tokens, prompt_ms, gen_ms, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      &q)))
        return st;
    sqlite3_bind_int64(q, 1, a->session_id);
    sqlite3_bind_text(q, 2, a->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, a->format, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, a->content, -1, SQLITE_TRANSIENT);
    bind_text_or_null(q, 5, a->model);
    bind_text_or_null(q, 6, a->prompt_version);
    sqlite3_bind_int64(q, 7, a->prompt_tokens);
    sqlite3_bind_int64(q, 8, a->reused_tokens);
    sqlite3_bind_int64(q, 9, a->output_tokens);
    sqlite3_bind_double(q, 10, a->prompt_ms);
    sqlite3_bind_double(q, 11, a->gen_ms);
    bind_text_or_null(q, 12, a->meta);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, "storing an artifact");
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return PARLEY_OK;
}

void parley_artifact_free(parley_artifact *a)
{
    if (!a)
        return;
    free(a->kind);
    free(a->format);
    free(a->content);
    free(a->model);
    free(a->prompt_version);
    free(a->meta);
    free(a->created);
    memset(a, 0, sizeof *a);
}

parley_status parley_store_latest_artifact(parley_store *s, int64_t session_id, const char *kind, const char *format,
                                           parley_artifact *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    parley_status st = prepare(s,
                               "SELECT id, session_id, kind, format, content, model, prompt_version, prompt_tokens, "
                               "reused_tokens, output_tokens, prompt_ms, gen_ms, meta, created FROM artifacts "
                               "WHERE session_id = ? AND kind = ? AND (?3 IS NULL OR format = ?3) "
                               "ORDER BY id DESC LIMIT 1",
                               &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_TRANSIENT);
    bind_text_or_null(q, 3, format);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(q, 0);
        out->session_id = sqlite3_column_int64(q, 1);
        out->kind = col_dup(q, 2);
        out->format = col_dup(q, 3);
        out->content = col_dup(q, 4);
        out->model = col_dup(q, 5);
        out->prompt_version = col_dup(q, 6);
        out->prompt_tokens = sqlite3_column_int64(q, 7);
        out->reused_tokens = sqlite3_column_int64(q, 8);
        out->output_tokens = sqlite3_column_int64(q, 9);
        out->prompt_ms = sqlite3_column_double(q, 10);
        out->gen_ms = sqlite3_column_double(q, 11);
        out->meta = col_dup(q, 12);
        out->created = col_dup(q, 13);
    }
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "session %lld has no %s", (long long)session_id, kind);
    if (rc != SQLITE_ROW)
        return db_fail(s, rc, "reading an artifact");
    return PARLEY_OK;
}

parley_status parley_store_add_chat(parley_store *s, int64_t session_id, const char *role, const char *content,
                                    const char *model, int64_t *id_out)
{
    if (!role || !content || (strcmp(role, "user") && strcmp(role, "assistant")))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a chat message needs role 'user' or 'assistant' and content");
    parley_status st = session_exists(s, session_id);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = prepare(s, "INSERT INTO chat_messages(session_id, role, content, model) VALUES (?,?,?,?)", &q)))
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_text(q, 2, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, content, -1, SQLITE_TRANSIENT);
    bind_text_or_null(q, 4, model);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(s, rc, "storing a chat message");
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return PARLEY_OK;
}

void parley_chat_messages_free(parley_chat_message *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].role);
        free(m[i].content);
        free(m[i].model);
        free(m[i].created);
    }
    free(m);
}

parley_status parley_store_list_chat(parley_store *s, int64_t session_id, parley_chat_message **msgs, size_t *n)
{
    *msgs = NULL;
    *n = 0;
    sqlite3_stmt *q;
    parley_status st = prepare(
        s, "SELECT id, role, content, model, created FROM chat_messages WHERE session_id = ? ORDER BY id", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    size_t cap = 0, cnt = 0;
    parley_chat_message *m = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            parley_chat_message *nm = realloc(m, cap * sizeof *nm);
            if (!nm) {
                st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
                break;
            }
            m = nm;
        }
        m[cnt].id = sqlite3_column_int64(q, 0);
        m[cnt].role = col_dup(q, 1);
        m[cnt].content = col_dup(q, 2);
        m[cnt].model = col_dup(q, 3);
        m[cnt].created = col_dup(q, 4);
        cnt++;
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, rc, "reading chat");
    sqlite3_finalize(q);
    if (st) {
        parley_chat_messages_free(m, cnt);
        return st;
    }
    *msgs = m;
    *n = cnt;
    return PARLEY_OK;
}
