/* search.c: full-text search over sessions with SQLite FTS5.
 *
 * One FTS5 table, search_index, holds a copy of every searchable text: session titles,
 * segment text, summaries and notes (Markdown artifacts), chat messages and typed notes.
 * Triggers on those tables keep it in step inside the writer's own transaction, so the
 * index can never disagree with what it indexes. A row's rowid encodes where it came
 * from, source id * 8 + kind, which lets a trigger delete its row without a lookup and a
 * hit name its source without a stored column. The copy doubles the text on disk; an
 * external-content table would not, but it needs one content table with matching
 * rowids, and ours live in five. */
#include "store/store_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { SRC_TITLE = 0, SRC_SEGMENT = 1, SRC_ARTIFACT = 2, SRC_CHAT = 3, SRC_NOTE = 4 };

/* The index itself. prefix='3 4 5': "budg*" and the like read a ready list of the
 * rows of every word starting with those letters instead of merging the lists of all
 * such words at query time (seconds for a common stem in 10 million words); it costs
 * about 60 % more index and twice the indexing work per word. */
#define FTS_TABLE_SQL                                                                                                  \
    "CREATE VIRTUAL TABLE search_index USING fts5("                                                                    \
    "  text, session_id UNINDEXED, t0_ms UNINDEXED,"                                                                   \
    "  tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5');"

/* What is already stored, into a new index. */
#define FTS_FILL_SQL                                                                                                   \
    "INSERT INTO search_index(rowid, text, session_id, t0_ms) SELECT id * 8, title, id, NULL FROM sessions;"          \
    "INSERT INTO search_index(rowid, text, session_id, t0_ms)"                                                         \
    "  SELECT id * 8 + 1, text, session_id, t0_ms FROM segments;"                                                     \
    "INSERT INTO search_index(rowid, text, session_id, t0_ms)"                                                         \
    "  SELECT id * 8 + 2, content, session_id, NULL FROM artifacts"                                                    \
    "  WHERE kind IN ('summary', 'notes') AND format = 'markdown';"                                                    \
    "INSERT INTO search_index(rowid, text, session_id, t0_ms)"                                                         \
    "  SELECT id * 8 + 3, content, session_id, NULL FROM chat_messages;"                                               \
    "INSERT INTO search_index(rowid, text, session_id, t0_ms)"                                                         \
    "  SELECT id * 8 + 4, text, session_id, t_ms FROM user_notes;"

static const char fts_sql[] =
    FTS_TABLE_SQL
    /* titles */
    "CREATE TRIGGER search_sessions_ai AFTER INSERT ON sessions BEGIN"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms) VALUES (new.id * 8, new.title, new.id, NULL);"
    "END;"
    "CREATE TRIGGER search_sessions_au AFTER UPDATE OF title ON sessions BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8;"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms) VALUES (new.id * 8, new.title, new.id, NULL);"
    "END;"
    "CREATE TRIGGER search_sessions_ad AFTER DELETE ON sessions BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8;"
    "END;"
    /* segments */
    "CREATE TRIGGER search_segments_ai AFTER INSERT ON segments BEGIN"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 1, new.text, new.session_id, new.t0_ms);"
    "END;"
    "CREATE TRIGGER search_segments_au AFTER UPDATE OF text, t0_ms ON segments BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 1;"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 1, new.text, new.session_id, new.t0_ms);"
    "END;"
    "CREATE TRIGGER search_segments_ad AFTER DELETE ON segments BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 1;"
    "END;"
    /* summaries and notes made by models (their Markdown form; the JSON form repeats it) */
    "CREATE TRIGGER search_artifacts_ai AFTER INSERT ON artifacts"
    "  WHEN new.kind IN ('summary', 'notes') AND new.format = 'markdown' BEGIN"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 2, new.content, new.session_id, NULL);"
    "END;"
    "CREATE TRIGGER search_artifacts_au AFTER UPDATE ON artifacts BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 2;"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    SELECT new.id * 8 + 2, new.content, new.session_id, NULL"
    "    WHERE new.kind IN ('summary', 'notes') AND new.format = 'markdown';"
    "END;"
    "CREATE TRIGGER search_artifacts_ad AFTER DELETE ON artifacts BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 2;"
    "END;"
    /* chat */
    "CREATE TRIGGER search_chat_ai AFTER INSERT ON chat_messages BEGIN"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 3, new.content, new.session_id, NULL);"
    "END;"
    "CREATE TRIGGER search_chat_au AFTER UPDATE OF content ON chat_messages BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 3;"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 3, new.content, new.session_id, NULL);"
    "END;"
    "CREATE TRIGGER search_chat_ad AFTER DELETE ON chat_messages BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 3;"
    "END;"
    /* notes typed during a meeting */
    "CREATE TRIGGER search_notes_ai AFTER INSERT ON user_notes BEGIN"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 4, new.text, new.session_id, new.t_ms);"
    "END;"
    "CREATE TRIGGER search_notes_au AFTER UPDATE OF text, t_ms ON user_notes BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 4;"
    "  INSERT INTO search_index(rowid, text, session_id, t0_ms)"
    "    VALUES (new.id * 8 + 4, new.text, new.session_id, new.t_ms);"
    "END;"
    "CREATE TRIGGER search_notes_ad AFTER DELETE ON user_notes BEGIN"
    "  DELETE FROM search_index WHERE rowid = old.id * 8 + 4;"
    "END;"
    FTS_FILL_SQL;

/* Step 4 rebuilds an index made by step 3 before it had prefix lists. */
static const char fts_rebuild_sql[] = "DROP TABLE search_index;" FTS_TABLE_SQL FTS_FILL_SQL;

/* Whether this SQLite has FTS5. Debian's has it built in; a build without it still
 * stores and lists sessions, and search says it is unsupported. */
static bool fts5_compiled(sqlite3 *db)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT fts5_source_id()", -1, &q, NULL) != SQLITE_OK)
        return sqlite3_compileoption_used("ENABLE_FTS5") != 0;
    sqlite3_finalize(q);
    return true;
}

/* Migration step 3 (inside its transaction): the index, its triggers and the text that
 * is already stored. Without FTS5 the step is empty and search reports UNSUPPORTED;
 * store_fts_ensure() builds the index later if a new SQLite has FTS5. */
parley_status store_migrate_fts(parley_store *s)
{
    if (!fts5_compiled(s->db)) {
        parley_log(PARLEY_LOG_WARN, "this SQLite has no FTS5: search is unavailable");
        return PARLEY_OK;
    }
    return store_exec(s, fts_sql, "building the search index");
}

/* Migration step 4: the index gains prefix lists (see FTS_TABLE_SQL). An index that
 * step 3 already made with them (every database migrated by this build) is kept. */
parley_status store_migrate_fts_prefix(parley_store *s)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "SELECT sql FROM sqlite_master WHERE name = 'search_index'", &q);
    if (st)
        return st;
    bool rebuild = false;
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(q, 0);
        rebuild = sql && !strstr(sql, "prefix");
    }
    sqlite3_finalize(q);
    return rebuild ? store_exec(s, fts_rebuild_sql, "rebuilding the search index") : PARLEY_OK;
}

parley_status store_fts_ensure(parley_store *s)
{
    if (s->fts || s->readonly || !fts5_compiled(s->db))
        return PARLEY_OK;
    parley_status st = store_begin(s);
    if (st)
        return st;
    sqlite3_stmt *q;
    bool exists = false;
    if (!(st = store_prepare(s, "SELECT 1 FROM sqlite_master WHERE name = 'search_index'", &q))) {
        exists = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    if (!st && !exists)
        st = store_exec(s, fts_sql, "building the search index");
    if (!st)
        st = store_commit(s, "building the search index");
    if (st)
        store_rollback(s);
    else
        s->fts = 1;
    return st;
}

parley_status parley_store_search_available(parley_store *s)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store is required");
    if (!s->fts)
        return parley_fail(PARLEY_ERR_UNSUPPORTED,
                           "search needs SQLite with FTS5, which this system's SQLite (%s) lacks", sqlite3_libversion());
    return PARLEY_OK;
}

struct parley_search_params parley_search_default_params(void)
{
    struct parley_search_params p = {.limit = 20, .offset = 0, .mark_open = NULL, .mark_close = NULL,
                                     .snippet_tokens = 16};
    return p;
}

#define MAX_QUERY_BYTES 1000
#define RANK_WINDOW 2000 /* matches ranked per query, newest first (see parley_store_search) */
#define MAX_QUERY_TERMS 32

static bool has_word_char(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80 || isalnum((unsigned char)p[i]))
            return true;
    return false;
}

static parley_status add_term(parley_buf *b, const char *p, size_t n, bool prefix, int *terms)
{
    if (!has_word_char(p, n))
        return PARLEY_OK; /* punctuation alone matches nothing; leave it out */
    if (++*terms > MAX_QUERY_TERMS)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a search takes at most %d words", MAX_QUERY_TERMS);
    parley_status st = parley_buf_append(b, b->len ? " \"" : "\"", b->len ? 2 : 1);
    for (size_t i = 0; !st && i < n; i++)
        st = parley_buf_append(b, p[i] == '"' ? "\"\"" : &p[i], p[i] == '"' ? 2 : 1);
    if (!st)
        st = parley_buf_append(b, prefix ? "\"*" : "\"", prefix ? 2 : 1);
    return st;
}

/* Turns what a person typed into an FTS5 query that cannot be a syntax error: every
 * word or "quoted phrase" becomes a quoted FTS5 string (quotes inside doubled), so
 * AND, OR, NOT, NEAR, ^, :, ( and - are text; a trailing * keeps its prefix meaning.
 * *out: free() it. */
parley_status store_fts_query(const char *query, char **out)
{
    *out = NULL;
    if (!query)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a search needs a query");
    if (strlen(query) > MAX_QUERY_BYTES)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a search query may be at most %d bytes", MAX_QUERY_BYTES);
    char *fixed = store_utf8_fix(query, NULL);
    if (!fixed)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_buf b = {.max = 8 * MAX_QUERY_BYTES};
    parley_status st = PARLEY_OK;
    int terms = 0;
    const char *p = fixed;
    while (!st && *p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start, *end;
        if (*p == '"') { /* a phrase, up to the closing quote or the end */
            start = ++p;
            while (*p && *p != '"')
                p++;
            end = p;
            if (*p)
                p++;
        } else {
            start = p;
            while (*p && !isspace((unsigned char)*p) && *p != '"')
                p++;
            end = p;
        }
        bool prefix = false;
        if (*p == '*') { /* "phrase"* */
            prefix = true;
            while (*p == '*')
                p++;
        }
        while (end > start && end[-1] == '*') {
            end--;
            prefix = true;
        }
        st = add_term(&b, start, (size_t)(end - start), prefix, &terms);
    }
    free(fixed);
    if (!st && terms == 0)
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "the query has no words to search for");
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

void parley_search_hits_free(parley_search_hit *hits, size_t n)
{
    for (size_t i = 0; hits && i < n; i++) {
        free(hits[i].session_title);
        free(hits[i].session_created);
        free(hits[i].snippet);
    }
    free(hits);
}

static const char *where_name(int src, const unsigned char *artifact_kind)
{
    switch (src) {
    case SRC_TITLE:
        return "title";
    case SRC_SEGMENT:
        return "segment";
    case SRC_ARTIFACT:
        return artifact_kind && !strcmp((const char *)artifact_kind, "notes") ? "notes" : "summary";
    case SRC_CHAT:
        return "chat";
    default:
        return "note";
    }
}

typedef struct cand {
    int64_t r, sid, t0;
    double rank; /* FTS5 rank: BM25, lower is better */
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->r > y->r ? -1 : x->r < y->r; /* ties: newest first */
}

/* Candidates: the newest RANK_WINDOW matches with their rank, sorted best first. */
static parley_status candidates(parley_store *s, const char *fq, cand **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q;
    parley_status st = store_prepare(s,
                                     "SELECT rowid, session_id, t0_ms, rank FROM search_index "
                                     "WHERE search_index MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
                                     &q);
    if (st)
        return st;
    sqlite3_bind_text(q, 1, fq, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, RANK_WINDOW);
    size_t cap = 0, cnt = 0;
    cand *c = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((st = store_grow((void **)&c, &cap, cnt, sizeof *c)))
            break;
        c[cnt].r = sqlite3_column_int64(q, 0);
        c[cnt].sid = sqlite3_column_int64(q, 1);
        c[cnt].t0 = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 2);
        c[cnt].rank = sqlite3_column_double(q, 3);
        cnt++;
    }
    if (!st && rc != SQLITE_DONE)
        st = (rc & 0xff) == SQLITE_ERROR ? parley_fail(PARLEY_ERR_INVALID_ARG, "could not search: %s",
                                                      sqlite3_errmsg(s->db))
                                         : store_fail(s, rc, "searching");
    sqlite3_finalize(q);
    if (st) {
        free(c);
        return st;
    }
    qsort(c, cnt, sizeof *c, cand_cmp);
    *out = c;
    *n = cnt;
    return PARLEY_OK;
}

/* Snippets of the page's hits in one pass over the index: one MATCH (a prefix query
 * builds its merged list once, not once per hit), the rowid range of the page, and the
 * rowid list as a plain filter ("+rowid" keeps SQLite from running the MATCH once per
 * listed rowid), so snippet() runs for the page's rows only. */
static parley_status snippets(parley_store *s, const char *fq, const struct parley_search_params *p, int tokens,
                              parley_search_hit *h, size_t n)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    parley_buf ids = {0};
    parley_status st = parley_buf_append(&ids, "[", 1);
    for (size_t i = 0; i < n && !st; i++) {
        int64_t r = h[i].ref_id * 8 + h[i].segment_index; /* see the caller: segment_index holds the source */
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
        st = parley_buf_printf(&ids, "%s%lld", i ? "," : "", (long long)r);
    }
    if (!st)
        st = parley_buf_append(&ids, "]", 1);
    sqlite3_stmt *q = NULL;
    if (!st)
        st = store_prepare(s,
                           "SELECT rowid, snippet(search_index, 0, ?2, ?3, '…', ?4) FROM search_index "
                           "WHERE search_index MATCH ?1 AND rowid BETWEEN ?5 AND ?6 "
                           "AND +rowid IN (SELECT value FROM json_each(?7))",
                           &q);
    if (st) {
        parley_buf_free(&ids);
        return st;
    }
    sqlite3_bind_text(q, 1, fq, -1, SQLITE_STATIC);
    store_bind_text(q, 2, p->mark_open ? p->mark_open : "[");
    store_bind_text(q, 3, p->mark_close ? p->mark_close : "]");
    sqlite3_bind_int(q, 4, tokens);
    sqlite3_bind_int64(q, 5, lo);
    sqlite3_bind_int64(q, 6, hi);
    sqlite3_bind_text(q, 7, ids.data, (int)ids.len, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t r = sqlite3_column_int64(q, 0);
        for (size_t i = 0; i < n; i++)
            if (h[i].ref_id * 8 + h[i].segment_index == r && !h[i].snippet) {
                h[i].snippet = store_col(q, 1, &st);
                break;
            }
        if (st)
            break;
    }
    if (!st && rc != SQLITE_DONE)
        st = store_fail(s, rc, "making search snippets");
    sqlite3_finalize(q);
    parley_buf_free(&ids);
    return st;
}

/* The session's title and date, the artifact's kind and the segment's index in time
 * order (counted on the (session_id, t0_ms, idx) index) for each hit. */
static parley_status hit_details(parley_store *s, parley_search_hit *h, size_t n)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(
        s,
        "SELECT se.title, se.created,"
        "  CASE WHEN ?3 = 2 THEN (SELECT kind FROM artifacts WHERE id = ?2) END,"
        "  CASE WHEN ?3 = 1 THEN (SELECT count(*) FROM segments g, segments g2 WHERE g.id = ?2"
        "    AND g2.session_id = g.session_id AND (g2.t0_ms < g.t0_ms OR (g2.t0_ms = g.t0_ms AND g2.idx < g.idx)))"
        "  ELSE -1 END "
        "FROM sessions se WHERE se.id = ?1",
        &q);
    if (st)
        return st;
    for (size_t i = 0; i < n && !st; i++) {
        int src = (int)h[i].segment_index;
        sqlite3_bind_int64(q, 1, h[i].session_id);
        sqlite3_bind_int64(q, 2, h[i].ref_id);
        sqlite3_bind_int(q, 3, src);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            h[i].session_title = store_col(q, 0, &st);
            h[i].session_created = store_col(q, 1, &st);
            h[i].where = where_name(src, sqlite3_column_text(q, 2));
            h[i].segment_index = sqlite3_column_int64(q, 3);
        } else if (rc != SQLITE_DONE) {
            st = store_fail(s, rc, "reading search hits");
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return st;
}

parley_status parley_store_search(parley_store *s, const char *query, const struct parley_search_params *p,
                                  parley_search_hit **hits, size_t *n)
{
    if (!hits || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "hits and n are required");
    *hits = NULL;
    *n = 0;
    struct parley_search_params d = parley_search_default_params();
    if (!p)
        p = &d;
    int64_t limit = p->limit ? p->limit : 20;
    if (limit < 1 || limit > 1000)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a search page holds 1 to 1000 hits (got %lld)", (long long)limit);
    if (p->offset < 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "the offset may not be negative");
    int tokens = p->snippet_tokens ? p->snippet_tokens : 16;
    if (tokens < 4 || tokens > 64)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a snippet holds 4 to 64 words (got %d)", tokens);
    parley_status st = parley_store_search_available(s);
    if (st)
        return st;
    char *fq = NULL;
    if ((st = store_fts_query(query, &fq)))
        return st;
    /* Three statements, one snapshot. Ranking every match of a common word (half a
     * million rows in 10 million words) costs seconds, so BM25 ranks the newest
     * RANK_WINDOW matches: FTS5 walks its index newest first and stops there. Below
     * that many matches the ranking is exact; above it, the best hits of the most
     * recent meetings come first, which is what a person searching for a common word
     * wants. Snippets and details are then made for the page's hits only. */
    cand *c = NULL;
    size_t nc = 0, cnt = 0;
    parley_search_hit *h = NULL;
    bool tx = sqlite3_get_autocommit(s->db) && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    if ((st = candidates(s, fq, &c, &nc)))
        goto out;
    size_t first = (uint64_t)p->offset < nc ? (size_t)p->offset : nc;
    cnt = nc - first < (size_t)limit ? nc - first : (size_t)limit;
    if (cnt == 0)
        goto out;
    if (!(h = calloc(cnt, sizeof *h))) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        cnt = 0;
        goto out;
    }
    for (size_t i = 0; i < cnt; i++) {
        const cand *x = &c[first + i];
        h[i].session_id = x->sid;
        h[i].ref_id = x->r / 8;
        h[i].segment_index = x->r % 8; /* the source kind until hit_details sets the index */
        h[i].t0_ms = x->t0;
        h[i].score = -x->rank;
    }
    if ((st = snippets(s, fq, p, tokens, h, cnt)) || (st = hit_details(s, h, cnt)))
        goto out;
    for (size_t i = 0; i < cnt && !st; i++) {
        if (!h[i].snippet && !(h[i].snippet = parley_strdup("")))
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        if (!st && !h[i].session_title && !(h[i].session_title = parley_strdup("")))
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        if (!h[i].where)
            h[i].where = "segment";
    }
out:
    if (tx)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    free(c);
    free(fq);
    if (st) {
        parley_search_hits_free(h, cnt);
        return st;
    }
    *hits = h;
    *n = cnt;
    return PARLEY_OK;
}
