/* records.c: what is kept beside a session's transcript: artifacts made by models, the
 * chat about it, and notes typed during the meeting. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

/* Runs a one-statement delete/update bound to one id; NOT_FOUND (with nf) when no row changed. */
static parley_status change_one(parley_store *s, const char *sql, int64_t id, const char *what, const char *nf)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, sql, &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, what);
    if (sqlite3_changes(s->db) == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "%s %lld", nf, (long long)id);
    return PARLEY_OK;
}

/* ---- Artifacts ------------------------------------------------------------------------ */

parley_status parley_store_add_artifact(parley_store *s, const parley_artifact *a, int64_t *id_out)
{
    if (!a || !a->kind || !a->format || !a->content)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "an artifact needs kind, format and content");
    parley_status st = store_session_exists(s, a->session_id);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = store_prepare(s,
                            "INSERT INTO artifacts(session_id, kind, format, content, model, prompt_version, "
                            "prompt_tokens, reused_tokens, output_tokens, prompt_ms, gen_ms, meta) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            &q)))
        return st;
    sqlite3_bind_int64(q, 1, a->session_id);
    store_bind_text(q, 2, a->kind);
    store_bind_text(q, 3, a->format);
    store_bind_text(q, 4, a->content);
    store_bind_text(q, 5, a->model);
    store_bind_text(q, 6, a->prompt_version);
    sqlite3_bind_int64(q, 7, a->prompt_tokens);
    sqlite3_bind_int64(q, 8, a->reused_tokens);
    sqlite3_bind_int64(q, 9, a->output_tokens);
    sqlite3_bind_double(q, 10, a->prompt_ms);
    sqlite3_bind_double(q, 11, a->gen_ms);
    store_bind_text(q, 12, a->meta);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "storing an artifact");
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

#define ARTIFACT_COLUMNS                                                                                               \
    "id, session_id, kind, format, content, model, prompt_version, prompt_tokens, reused_tokens, output_tokens, "     \
    "prompt_ms, gen_ms, meta, created"

static parley_status read_artifact(sqlite3_stmt *q, parley_artifact *out)
{
    parley_status err = PARLEY_OK;
    out->id = sqlite3_column_int64(q, 0);
    out->session_id = sqlite3_column_int64(q, 1);
    out->kind = store_col(q, 2, &err);
    out->format = store_col(q, 3, &err);
    out->content = store_col(q, 4, &err);
    out->model = store_col(q, 5, &err);
    out->prompt_version = store_col(q, 6, &err);
    out->prompt_tokens = sqlite3_column_int64(q, 7);
    out->reused_tokens = sqlite3_column_int64(q, 8);
    out->output_tokens = sqlite3_column_int64(q, 9);
    out->prompt_ms = sqlite3_column_double(q, 10);
    out->gen_ms = sqlite3_column_double(q, 11);
    out->meta = store_col(q, 12, &err);
    out->created = store_col(q, 13, &err);
    if (err)
        parley_artifact_free(out);
    return err;
}

parley_status parley_store_latest_artifact(parley_store *s, int64_t session_id, const char *kind, const char *format,
                                           parley_artifact *out)
{
    if (!out || !kind)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "kind and out are required");
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "SELECT " ARTIFACT_COLUMNS " FROM artifacts "
                                     "WHERE session_id = ? AND kind = ? AND (?3 IS NULL OR format = ?3) "
                                     "ORDER BY id DESC LIMIT 1",
                                     &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_TRANSIENT);
    store_bind_text(q, 3, format);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        st = read_artifact(q, out);
    else if (rc == SQLITE_DONE)
        st = parley_fail(PARLEY_ERR_NOT_FOUND, "session %lld has no %s", (long long)session_id, kind);
    else
        st = store_fail(s, rc, "reading an artifact");
    sqlite3_finalize(q);
    return st;
}

parley_status parley_store_get_artifact(parley_store *s, int64_t artifact_id, parley_artifact *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "SELECT " ARTIFACT_COLUMNS " FROM artifacts WHERE id = ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, artifact_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        st = read_artifact(q, out);
    else if (rc == SQLITE_DONE)
        st = parley_fail(PARLEY_ERR_NOT_FOUND, "no artifact %lld", (long long)artifact_id);
    else
        st = store_fail(s, rc, "reading an artifact");
    sqlite3_finalize(q);
    return st;
}

void parley_artifact_infos_free(parley_artifact_info *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].kind);
        free(items[i].format);
        free(items[i].model);
        free(items[i].created);
    }
    free(items);
}

parley_status parley_store_list_artifacts(parley_store *s, int64_t session_id, parley_artifact_info **items, size_t *n)
{
    if (!items || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "items and n are required");
    *items = NULL;
    *n = 0;
    parley_status st = store_session_exists(s, session_id);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = store_prepare(s,
                            "SELECT id, session_id, kind, format, model, created, length(CAST(content AS BLOB)) "
                            "FROM artifacts WHERE session_id = ? ORDER BY id",
                            &q)))
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    size_t cap = 0, cnt = 0;
    parley_artifact_info *r = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((st = store_grow((void **)&r, &cap, cnt, sizeof *r)))
            break;
        parley_artifact_info *x = &r[cnt++];
        x->id = sqlite3_column_int64(q, 0);
        x->session_id = sqlite3_column_int64(q, 1);
        x->kind = store_col(q, 2, &st);
        x->format = store_col(q, 3, &st);
        x->model = store_col(q, 4, &st);
        x->created = store_col(q, 5, &st);
        x->size = sqlite3_column_int64(q, 6);
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "listing artifacts");
    sqlite3_finalize(q);
    if (st) {
        parley_artifact_infos_free(r, cnt);
        return st;
    }
    *items = r;
    *n = cnt;
    return PARLEY_OK;
}

parley_status parley_store_delete_artifact(parley_store *s, int64_t artifact_id)
{
    return change_one(s, "DELETE FROM artifacts WHERE id = ?", artifact_id, "deleting an artifact", "no artifact");
}

/* ---- Chat ----------------------------------------------------------------------------- */

static parley_status insert_chat(parley_store *s, int64_t session_id, const char *role, const char *content,
                                 const char *model, int truncated, const char *meta, int64_t *id_out)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(
        s, "INSERT INTO chat_messages(session_id, role, content, model, truncated, meta) VALUES (?,?,?,?,?,?)", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
    store_bind_text(q, 3, content);
    store_bind_text(q, 4, model);
    sqlite3_bind_int(q, 5, truncated ? 1 : 0);
    store_bind_text(q, 6, meta);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "storing a chat message");
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return PARLEY_OK;
}

parley_status parley_store_add_chat(parley_store *s, int64_t session_id, const char *role, const char *content,
                                    const char *model, int64_t *id_out)
{
    if (!role || !content || (strcmp(role, "user") && strcmp(role, "assistant")))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a chat message needs role 'user' or 'assistant' and content");
    parley_status st = store_session_exists(s, session_id);
    if (st)
        return st;
    return insert_chat(s, session_id, !strcmp(role, "user") ? "user" : "assistant", content, model, 0, NULL, id_out);
}

parley_status parley_store_chat_add_turn(parley_store *s, int64_t session_id, const parley_chat_turn *turn,
                                         int64_t *question_id, int64_t *answer_id)
{
    if (!turn || !turn->question || !turn->answer)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a chat turn needs a question and an answer");
    parley_status st = store_begin(s);
    if (st)
        return st;
    if ((st = store_session_exists(s, session_id)) ||
        (st = insert_chat(s, session_id, "user", turn->question, NULL, 0, NULL, question_id)) ||
        (st = insert_chat(s, session_id, "assistant", turn->answer, turn->model, turn->truncated, turn->meta,
                          answer_id)) ||
        (st = store_commit(s, "storing a chat turn")))
        store_rollback(s);
    return st;
}

void parley_chat_messages_free(parley_chat_message *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].role);
        free(m[i].content);
        free(m[i].model);
        free(m[i].created);
        free(m[i].meta);
    }
    free(m);
}

parley_status parley_store_list_chat(parley_store *s, int64_t session_id, parley_chat_message **msgs, size_t *n)
{
    if (!msgs || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "msgs and n are required");
    *msgs = NULL;
    *n = 0;
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "SELECT id, role, content, model, created, truncated, meta FROM chat_messages "
                                     "WHERE session_id = ? ORDER BY id",
                                     &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    size_t cap = 0, cnt = 0;
    parley_chat_message *m = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((st = store_grow((void **)&m, &cap, cnt, sizeof *m)))
            break;
        parley_chat_message *x = &m[cnt++];
        x->id = sqlite3_column_int64(q, 0);
        x->role = store_col(q, 1, &st);
        x->content = store_col(q, 2, &st);
        x->model = store_col(q, 3, &st);
        x->created = store_col(q, 4, &st);
        x->truncated = sqlite3_column_int(q, 5) != 0;
        x->meta = store_col(q, 6, &st);
        if (!st && (!x->role || !x->content))
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory reading chat");
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "reading chat");
    sqlite3_finalize(q);
    if (st) {
        parley_chat_messages_free(m, cnt);
        return st;
    }
    *msgs = m;
    *n = cnt;
    return PARLEY_OK;
}

parley_status parley_store_chat_trim(parley_store *s, int64_t session_id, int64_t keep, int64_t *removed)
{
    if (keep < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "the number of messages to keep may not be negative");
    if (removed)
        *removed = 0;
    parley_status st = store_begin(s);
    if (st)
        return st;
    sqlite3_stmt *q = NULL;
    if ((st = store_session_exists(s, session_id)) ||
        (st = store_prepare(s,
                            "DELETE FROM chat_messages WHERE session_id = ?1 AND id NOT IN "
                            "(SELECT id FROM chat_messages WHERE session_id = ?1 ORDER BY id DESC LIMIT ?2)",
                            &q)))
        goto rollback;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_int64(q, 2, keep);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = store_fail(s, rc, "clearing chat");
        goto rollback;
    }
    int64_t n = sqlite3_changes64(s->db);
    if ((st = store_commit(s, "clearing chat")))
        goto rollback;
    if (removed)
        *removed = n;
    return PARLEY_OK;
rollback:
    store_rollback(s);
    return st;
}

parley_status parley_store_chat_clear(parley_store *s, int64_t session_id, int64_t *removed)
{
    return parley_store_chat_trim(s, session_id, 0, removed);
}

/* ---- Typed notes ---------------------------------------------------------------------- */

parley_status parley_store_user_note_add(parley_store *s, int64_t session_id, int64_t t_ms, const char *text,
                                         int64_t *id_out)
{
    if (!text || !*text)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a note may not be empty");
    parley_status st = store_session_exists(s, session_id);
    if (st)
        return st;
    sqlite3_stmt *q;
    if ((st = store_prepare(s, "INSERT INTO user_notes(session_id, t_ms, text) VALUES (?,?,?)", &q)))
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    sqlite3_bind_int64(q, 2, t_ms < 0 ? 0 : t_ms);
    store_bind_text(q, 3, text);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "storing a note");
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(s->db);
    return PARLEY_OK;
}

void parley_user_notes_free(parley_user_note *notes, size_t n)
{
    for (size_t i = 0; notes && i < n; i++) {
        free(notes[i].text);
        free(notes[i].created);
    }
    free(notes);
}

parley_status parley_store_user_notes_list(parley_store *s, int64_t session_id, parley_user_note **notes, size_t *n)
{
    if (!notes || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "notes and n are required");
    *notes = NULL;
    *n = 0;
    sqlite3_stmt *q;
    parley_status st = store_prepare(
        s, "SELECT id, session_id, t_ms, text, created FROM user_notes WHERE session_id = ? ORDER BY t_ms, id", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, session_id);
    size_t cap = 0, cnt = 0;
    parley_user_note *r = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((st = store_grow((void **)&r, &cap, cnt, sizeof *r)))
            break;
        parley_user_note *x = &r[cnt++];
        x->id = sqlite3_column_int64(q, 0);
        x->session_id = sqlite3_column_int64(q, 1);
        x->t_ms = sqlite3_column_int64(q, 2);
        x->text = store_col(q, 3, &st);
        x->created = store_col(q, 4, &st);
        if (!st && !x->text)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory reading notes");
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "reading notes");
    sqlite3_finalize(q);
    if (st) {
        parley_user_notes_free(r, cnt);
        return st;
    }
    *notes = r;
    *n = cnt;
    return PARLEY_OK;
}

parley_status parley_store_user_note_delete(parley_store *s, int64_t note_id)
{
    return change_one(s, "DELETE FROM user_notes WHERE id = ?", note_id, "deleting a note", "no note");
}
