/* store_gap.c: what the server needs from the store that store.h on main does not offer
 * yet: segment edits, the artifact list and delete, clearing the chat, and search with
 * filter and paging. The store branch adds these to store.h (parley_store_segment_edit,
 * parley_store_list_artifacts, parley_store_delete_artifact, parley_store_chat_clear,
 * parley_store_search / parley_store_list_sessions_ex); until it lands they run here on a
 * second SQLite connection to the same file, with the same schema (v1) and the same
 * one-transaction-per-write rule. Search here is a word-by-word LIKE scan, not FTS5: the
 * store's FTS5 index replaces it. */
#include "server/server_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static parley_status gap_db(srv_listener *l, sqlite3 **out)
{
    if (!l->gap) {
        sqlite3 *d = NULL;
        int rc = sqlite3_open_v2(parley_store_path(l->db), &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
            parley_status st = parley_fail(PARLEY_ERR_DB, "%s: %s", parley_store_path(l->db),
                                           d ? sqlite3_errmsg(d) : sqlite3_errstr(rc));
            sqlite3_close(d);
            return st;
        }
        sqlite3_busy_timeout(d, 5000);
        sqlite3_exec(d, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        l->gap = d;
    }
    *out = l->gap;
    return PARLEY_OK;
}

void srv_store_gap_close(srv_listener *l)
{
    if (l->gap)
        sqlite3_close(l->gap);
    l->gap = NULL;
}

static parley_status fail_db(sqlite3 *d, const char *what)
{
    return parley_fail(PARLEY_ERR_DB, "%s: %s", what, sqlite3_errmsg(d));
}

parley_status srv_store_segment_edit(srv_listener *l, int64_t session_id, int64_t index, const char *text,
                                     const char *speaker)
{
    if (text && !*text)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a segment's text may not be empty (delete words, not the line)");
    if (!text && !speaker)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "give the segment's new text or speaker");
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    /* The index the page shows is the segment's place in the transcript as the store loads
     * it (ORDER BY idx). */
    const char *sql = "UPDATE segments SET text = coalesce(?1, text), speaker = CASE WHEN ?2 IS NULL THEN speaker "
                      "WHEN ?2 = '' THEN NULL ELSE ?2 END WHERE id = (SELECT id FROM segments WHERE session_id = ?3 "
                      "ORDER BY idx LIMIT 1 OFFSET ?4)";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d, sql, -1, &s, NULL) != SQLITE_OK)
        return fail_db(d, "segment edit");
    if (text)
        sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if (speaker)
        sqlite3_bind_text(s, 2, speaker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, session_id);
    sqlite3_bind_int64(s, 4, index);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail_db(d, "segment edit");
    if (sqlite3_changes(d) == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "session %lld has no segment %lld", (long long)session_id,
                           (long long)index);
    return PARLEY_OK;
}

parley_status srv_store_artifacts_json(srv_listener *l, int64_t session_id, yyjson_mut_doc *doc,
                                       yyjson_mut_val *arr)
{
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d,
                           "SELECT id, kind, format, model, created, length(content), prompt_version FROM artifacts "
                           "WHERE session_id = ?1 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return fail_db(d, "artifacts");
    sqlite3_bind_int64(s, 1, session_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "id", sqlite3_column_int64(s, 0));
        yyjson_mut_obj_add_int(doc, o, "session_id", session_id);
        yyjson_mut_obj_add_strcpy(doc, o, "kind", (const char *)sqlite3_column_text(s, 1));
        yyjson_mut_obj_add_strcpy(doc, o, "format", (const char *)sqlite3_column_text(s, 2));
        if (sqlite3_column_type(s, 3) == SQLITE_NULL)
            yyjson_mut_obj_add_null(doc, o, "model");
        else
            yyjson_mut_obj_add_strcpy(doc, o, "model", (const char *)sqlite3_column_text(s, 3));
        yyjson_mut_obj_add_strcpy(doc, o, "created", (const char *)sqlite3_column_text(s, 4));
        yyjson_mut_obj_add_int(doc, o, "size", sqlite3_column_int64(s, 5));
        if (sqlite3_column_type(s, 6) == SQLITE_NULL)
            yyjson_mut_obj_add_null(doc, o, "prompt_version");
        else
            yyjson_mut_obj_add_strcpy(doc, o, "prompt_version", (const char *)sqlite3_column_text(s, 6));
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PARLEY_OK : fail_db(d, "artifacts");
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL : parley_strdup((const char *)sqlite3_column_text(s, i));
}

parley_status srv_store_get_artifact(srv_listener *l, int64_t artifact_id, parley_artifact *out)
{
    memset(out, 0, sizeof *out);
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d,
                           "SELECT id, session_id, kind, format, content, model, prompt_version, prompt_tokens, "
                           "reused_tokens, output_tokens, prompt_ms, gen_ms, meta, created FROM artifacts WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return fail_db(d, "artifact");
    sqlite3_bind_int64(s, 1, artifact_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        out->session_id = sqlite3_column_int64(s, 1);
        out->kind = col_dup(s, 2);
        out->format = col_dup(s, 3);
        out->content = col_dup(s, 4);
        out->model = col_dup(s, 5);
        out->prompt_version = col_dup(s, 6);
        out->prompt_tokens = sqlite3_column_int64(s, 7);
        out->reused_tokens = sqlite3_column_int64(s, 8);
        out->output_tokens = sqlite3_column_int64(s, 9);
        out->prompt_ms = sqlite3_column_double(s, 10);
        out->gen_ms = sqlite3_column_double(s, 11);
        out->meta = col_dup(s, 12);
        out->created = col_dup(s, 13);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no artifact %lld", (long long)artifact_id);
    return rc == SQLITE_ROW ? PARLEY_OK : fail_db(d, "artifact");
}

static parley_status exec_delete(srv_listener *l, const char *sql, int64_t id, int64_t *changed, const char *what)
{
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d, sql, -1, &s, NULL) != SQLITE_OK)
        return fail_db(d, what);
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail_db(d, what);
    *changed = sqlite3_changes(d);
    return PARLEY_OK;
}

parley_status srv_store_delete_artifact(srv_listener *l, int64_t artifact_id)
{
    int64_t n = 0;
    parley_status st = exec_delete(l, "DELETE FROM artifacts WHERE id = ?1", artifact_id, &n, "artifact delete");
    if (!st && n == 0)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no artifact %lld", (long long)artifact_id);
    return st;
}

parley_status srv_store_chat_clear(srv_listener *l, int64_t session_id, int64_t *removed)
{
    parley_transcript t = {0};
    parley_status st = parley_store_get_session(l->db, session_id, &t);
    parley_transcript_free(&t);
    if (st)
        return st;
    int64_t n = 0;
    st = exec_delete(l, "DELETE FROM chat_messages WHERE session_id = ?1", session_id, &n, "chat clear");
    if (removed)
        *removed = n;
    return st;
}

/* ---- search and filter ------------------------------------------------------------------ */

#define MAX_WORDS 8

/* Splits q into up to MAX_WORDS LIKE patterns "%word%" with % _ \ escaped. */
static int like_patterns(const char *q, char pats[MAX_WORDS][130], char words[MAX_WORDS][64])
{
    int n = 0;
    const char *p = q ? q : "";
    while (*p && n < MAX_WORDS) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t k = 0, w = 0;
        pats[n][k++] = '%';
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (w < 63 && k < 126) {
                words[n][w++] = *p;
                if (*p == '%' || *p == '_' || *p == '\\')
                    pats[n][k++] = '\\';
                pats[n][k++] = *p;
            }
            p++;
        }
        words[n][w] = '\0';
        pats[n][k++] = '%';
        pats[n][k] = '\0';
        n++;
    }
    return n;
}

/* "s.title LIKE ?N OR EXISTS (segment with ?N)" for each word, ANDed. */
static void where_words(parley_buf *b, int n_words, int first_param)
{
    for (int i = 0; i < n_words; i++)
        parley_buf_printf(b,
                          " AND (s.title LIKE ?%d ESCAPE '\\' OR EXISTS (SELECT 1 FROM segments g WHERE "
                          "g.session_id = s.id AND g.text LIKE ?%d ESCAPE '\\'))",
                          first_param + i, first_param + i);
}

parley_status srv_store_list_json(srv_listener *l, const char *q, const char *language, int64_t limit,
                                  int64_t offset, yyjson_mut_doc *doc, yyjson_mut_val *arr, int64_t *total)
{
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    char pats[MAX_WORDS][130], words[MAX_WORDS][64];
    int nw = like_patterns(q, pats, words);
    parley_buf where = {0};
    parley_buf_printf(&where, " WHERE (?1 IS NULL OR s.language = ?1)");
    where_words(&where, nw, 4);
    parley_buf sql = {0};
    parley_buf_printf(&sql,
                      "SELECT s.id, s.title, s.created, s.duration_s, s.source_path, s.language, s.model, "
                      "(SELECT count(*) FROM segments g WHERE g.session_id = s.id) FROM sessions s%s "
                      "ORDER BY s.id DESC LIMIT ?2 OFFSET ?3",
                      where.data);
    parley_buf csql = {0};
    parley_buf_printf(&csql, "SELECT count(*) FROM sessions s%s", where.data);
    parley_buf_free(&where);
    sqlite3_stmt *s = NULL, *c = NULL;
    int rc = SQLITE_ERROR;
    if (!sql.data || !csql.data || sqlite3_prepare_v2(d, sql.data, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(d, csql.data, -1, &c, NULL) != SQLITE_OK) {
        st = fail_db(d, "sessions");
        goto out;
    }
    sqlite3_stmt *both[2] = {s, c};
    for (int k = 0; k < 2; k++) {
        if (language && *language)
            sqlite3_bind_text(both[k], 1, language, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(both[k], 2, limit > 0 ? limit : -1);
        sqlite3_bind_int64(both[k], 3, offset > 0 ? offset : 0);
        for (int i = 0; i < nw; i++)
            sqlite3_bind_text(both[k], 4 + i, pats[i], -1, SQLITE_TRANSIENT);
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        parley_session_row r;
        memset(&r, 0, sizeof r);
        r.id = sqlite3_column_int64(s, 0);
        r.title = (char *)sqlite3_column_text(s, 1);
        r.created = (char *)sqlite3_column_text(s, 2);
        r.duration_s = sqlite3_column_double(s, 3);
        r.source_path = (char *)sqlite3_column_text(s, 4);
        r.language = (char *)sqlite3_column_text(s, 5);
        r.model = (char *)sqlite3_column_text(s, 6);
        r.n_segments = sqlite3_column_int64(s, 7);
        yyjson_mut_arr_append(arr, parley_json_session_row(doc, &r));
    }
    if (rc != SQLITE_DONE || sqlite3_step(c) != SQLITE_ROW) {
        st = fail_db(d, "sessions");
        goto out;
    }
    *total = sqlite3_column_int64(c, 0);
out:
    sqlite3_finalize(s);
    sqlite3_finalize(c);
    parley_buf_free(&sql);
    parley_buf_free(&csql);
    return st;
}

/* A snippet of about 160 characters around the first word, cut on UTF-8 boundaries. */
static void snippet(const char *text, const char *word, char *out, size_t n)
{
    size_t len = strlen(text), at = 0, wl = strlen(word);
    for (size_t i = 0; wl && i + wl <= len; i++)
        if (strncasecmp(text + i, word, wl) == 0) {
            at = i;
            break;
        }
    size_t from = at > 60 ? at - 60 : 0;
    while (from > 0 && ((unsigned char)text[from] & 0xC0) == 0x80)
        from--;
    size_t to = from + 160 < len ? from + 160 : len;
    while (to < len && ((unsigned char)text[to] & 0xC0) == 0x80)
        to++;
    snprintf(out, n, "%s%.*s%s", from ? "\u2026" : "", (int)(to - from), text + from, to < len ? "\u2026" : "");
}

parley_status srv_store_search(srv_listener *l, const char *q, int64_t limit, int64_t offset, yyjson_mut_doc *doc,
                               yyjson_mut_val *hits, int64_t *total)
{
    sqlite3 *d;
    parley_status st = gap_db(l, &d);
    if (st)
        return st;
    char pats[MAX_WORDS][130], words[MAX_WORDS][64];
    int nw = like_patterns(q, pats, words);
    *total = 0;
    if (nw == 0)
        return PARLEY_OK;
    /* Segments holding every word, grouped by session: the session's rank is how many of
     * its segments match; its hit is the first such segment. */
    parley_buf where = {0};
    for (int i = 0; i < nw; i++)
        parley_buf_printf(&where, " AND g.text LIKE ?%d ESCAPE '\\'", 3 + i);
    parley_buf sql = {0};
    parley_buf_printf(&sql,
                      "WITH m AS (SELECT g.session_id, count(*) AS n, min(g.idx) AS k FROM "
                      "segments g WHERE 1%s GROUP BY g.session_id) "
                      "SELECT m.session_id, m.n, s.title, s.created, g.t0_ms, g.text, g.speaker, "
                      "(SELECT count(*) FROM segments x WHERE x.session_id = g.session_id AND x.idx < g.idx), "
                      "count(*) OVER () FROM m JOIN sessions s ON s.id = "
                      "m.session_id JOIN segments g ON g.session_id = m.session_id AND g.idx = m.k ORDER BY m.n DESC, m.session_id DESC LIMIT ?1 OFFSET ?2",
                      where.data);
    parley_buf_free(&where);
    sqlite3_stmt *s = NULL;
    if (!sql.data || sqlite3_prepare_v2(d, sql.data, -1, &s, NULL) != SQLITE_OK) {
        parley_buf_free(&sql);
        return fail_db(d, "search");
    }
    parley_buf_free(&sql);
    sqlite3_bind_int64(s, 1, limit > 0 ? limit : 20);
    sqlite3_bind_int64(s, 2, offset > 0 ? offset : 0);
    for (int i = 0; i < nw; i++)
        sqlite3_bind_text(s, 3 + i, pats[i], -1, SQLITE_TRANSIENT);
    int rc;
    double rank = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, hits);
        yyjson_mut_obj_add_int(doc, o, "session", sqlite3_column_int64(s, 0));
        yyjson_mut_obj_add_int(doc, o, "matches", sqlite3_column_int64(s, 1));
        yyjson_mut_obj_add_strcpy(doc, o, "title", (const char *)sqlite3_column_text(s, 2));
        yyjson_mut_obj_add_strcpy(doc, o, "created", (const char *)sqlite3_column_text(s, 3));
        yyjson_mut_obj_add_int(doc, o, "t0_ms", sqlite3_column_int64(s, 4));
        yyjson_mut_obj_add_int(doc, o, "segment", sqlite3_column_int64(s, 7));
        if (sqlite3_column_type(s, 6) == SQLITE_NULL)
            yyjson_mut_obj_add_null(doc, o, "speaker");
        else
            yyjson_mut_obj_add_strcpy(doc, o, "speaker", (const char *)sqlite3_column_text(s, 6));
        char snip[512];
        snippet((const char *)sqlite3_column_text(s, 5), words[0], snip, sizeof snip);
        yyjson_mut_obj_add_strcpy(doc, o, "snippet", snip);
        yyjson_mut_obj_add_real(doc, o, "rank", ++rank);
        *total = sqlite3_column_int64(s, 8);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? PARLEY_OK : fail_db(d, "search");
}
