/* test_search.c: full-text search finds words in transcripts, titles, summaries, notes
 * and chat, of databases written by Parley 0.1 too; the index follows every change;
 * no query a person types is an FTS5 syntax error. */
#include "test.h"

#include <parley/store.h>

#include <stdbool.h>

#include "store_v1.h"

static const char *dir;

static parley_store *open_v1(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (write_v1(p) != 0)
        return NULL;
    parley_store *db = NULL;
    if (parley_store_open(p, &db) != PARLEY_OK)
        fprintf(stderr, "open %s: %s\n", p, parley_last_error());
    return db;
}

/* Number of hits for q, or -1 on failure (status in *st). */
static long long count(parley_store *db, const char *q, parley_status *st)
{
    parley_search_hit *h;
    size_t n;
    *st = parley_store_search(db, q, NULL, &h, &n);
    if (*st)
        return -1;
    parley_search_hits_free(h, n);
    return (long long)n;
}

TEST(v1_database_is_searchable_after_migration)
{
    parley_store *db = open_v1("v1.db");
    ASSERT(db);
    ASSERT_OK(parley_store_search_available(db));
    parley_search_hit *h;
    size_t n;
    ASSERT_OK(parley_store_search(db, "giraffe", NULL, &h, &n));
    ASSERT_EQ_INT(n, 2); /* the segment and the summary */
    bool seg = false, sum = false;
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_INT(h[i].session_id, 1);
        ASSERT_STR(h[i].session_title, "Kickoff");
        if (!strcmp(h[i].where, "segment")) {
            seg = true;
            ASSERT_EQ_INT(h[i].t0_ms, 2000);
            ASSERT_EQ_INT(h[i].segment_index, 1);
            ASSERT_STR(h[i].snippet, "The [giraffe] project starts Monday.");
        } else if (!strcmp(h[i].where, "summary")) {
            sum = true;
            ASSERT_EQ_INT(h[i].t0_ms, -1);
            ASSERT_EQ_INT(h[i].segment_index, -1);
        }
        ASSERT(h[i].score > 0);
    }
    ASSERT(seg && sum);
    parley_search_hits_free(h, n);
    /* Titles, chat, and diacritics folded both ways. */
    ASSERT_OK(parley_store_search(db, "budget", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(h[0].where, "title");
    ASSERT_EQ_INT(h[0].session_id, 3);
    parley_search_hits_free(h, n);
    ASSERT_OK(parley_store_search(db, "ubergabe", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(h[0].snippet, "Was lief gut? Die [Übergabe].");
    parley_search_hits_free(h, n);
    ASSERT_OK(parley_store_search(db, "start", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(h[0].where, "chat");
    parley_search_hits_free(h, n);
    parley_store_close(db);
}

TEST(index_follows_every_change)
{
    parley_store *db = open_v1("changes.db");
    ASSERT(db);
    parley_status st;
    ASSERT_OK(parley_store_set_title(db, 2, "Quarterly zebra retro"));
    ASSERT_EQ_INT(count(db, "zebra", &st), 1);
    ASSERT_EQ_INT(count(db, "retro", &st), 1);
    ASSERT_OK(parley_store_segment_edit(db, 1, 1, "The okapi project starts Monday.", NULL));
    ASSERT_EQ_INT(count(db, "okapi", &st), 1);
    ASSERT_EQ_INT(count(db, "giraffe", &st), 1); /* the summary still says it */
    parley_artifact_info *ai;
    size_t n;
    ASSERT_OK(parley_store_list_artifacts(db, 1, &ai, &n));
    ASSERT_OK(parley_store_delete_artifact(db, ai[0].id));
    parley_artifact_infos_free(ai, n);
    ASSERT_EQ_INT(count(db, "giraffe", &st), 0);
    ASSERT_OK(parley_store_user_note_add(db, 1, 42000, "Remember the narwhal budget", NULL));
    parley_search_hit *h;
    ASSERT_OK(parley_store_search(db, "narwhal", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(h[0].where, "note");
    ASSERT_EQ_INT(h[0].t0_ms, 42000);
    parley_search_hits_free(h, n);
    parley_artifact a = {.session_id = 1, .kind = "notes", .format = "markdown", .content = "### Lemur plan"};
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    a.kind = "summary";
    a.format = "json";
    a.content = "{\"title\":\"Lemur\"}";
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL)); /* JSON form: not indexed twice */
    ASSERT_OK(parley_store_search(db, "lemur", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(h[0].where, "notes");
    parley_search_hits_free(h, n);
    parley_chat_turn turn = {.question = "Who feeds the capybara?", .answer = "Nobody yet."};
    ASSERT_OK(parley_store_chat_add_turn(db, 2, &turn, NULL, NULL));
    ASSERT_EQ_INT(count(db, "capybara", &st), 1);
    ASSERT_OK(parley_store_chat_clear(db, 2, NULL));
    ASSERT_EQ_INT(count(db, "capybara", &st), 0);
    /* Deleting a session takes its words out of the index. */
    ASSERT_OK(parley_store_delete_session(db, 1));
    ASSERT_EQ_INT(count(db, "okapi", &st), 0);
    ASSERT_EQ_INT(count(db, "narwhal", &st), 0);
    ASSERT_EQ_INT(count(db, "lemur", &st), 0);
    /* A live session's segments are found as they arrive. */
    int64_t id;
    ASSERT_OK(parley_store_session_begin(db, NULL, &id));
    parley_segment g = {.t0_ms = 5000, .t1_ms = 6000, .text = "The axolotl arrived.", .speaker = "Them",
                        .confidence = -1};
    ASSERT_OK(parley_store_segments_append(db, id, &g, 1));
    ASSERT_OK(parley_store_search(db, "axolotl", NULL, &h, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_INT(h[0].session_id, id);
    ASSERT_EQ_INT(h[0].t0_ms, 5000);
    ASSERT_EQ_INT(h[0].segment_index, 0);
    parley_search_hits_free(h, n);
    parley_session_filter f = parley_session_default_filter();
    f.query = "axolotl";
    parley_session_row *rows;
    ASSERT_OK(parley_store_list_sessions_ex(db, &f, &rows, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_INT(rows[0].id, id);
    parley_session_rows_free(rows, n);
    parley_store_close(db);
}

TEST(no_query_is_a_syntax_error)
{
    parley_store *db = open_v1("syntax.db");
    ASSERT(db);
    parley_status st;
    const char *ok[] = {"\"giraffe", "giraffe AND", "AND", "OR giraffe", "NOT", "NEAR(giraffe", "giraffe)",
                        "text:giraffe", "-giraffe", "^giraffe", "giraffe +", "'giraffe'", "gira*", "\"the giraffe\"",
                        "giraffe\"\"", "{giraffe}", "\xff giraffe"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        long long c = count(db, ok[i], &st);
        ASSERT_MSG(st == PARLEY_OK, "query <%s>: %s (%s)", ok[i], parley_strerror(st), parley_last_error());
        (void)c;
    }
    ASSERT_EQ_INT(count(db, "gira*", &st), 2);
    ASSERT_EQ_INT(count(db, "\"giraffe project\"", &st), 1);
    ASSERT_EQ_INT(count(db, "\"project giraffe\"", &st), 0);
    ASSERT_EQ_INT(count(db, "giraffe monday", &st), 2);
    ASSERT_EQ_INT(count(db, "giraffe zzz", &st), 0);
    const char *bad[] = {"*", "", "   ", "\"", "-- ()", "AND*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0] - 1; i++) {
        ASSERT_EQ_INT(count(db, bad[i], &st), -1);
        ASSERT_MSG(st == PARLEY_ERR_INVALID_ARG, "query <%s>: %s", bad[i], parley_strerror(st));
        ASSERT_CONTAINS(parley_last_error(), "no words");
    }
    char big[1200];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_EQ_INT(count(db, big, &st), -1);
    ASSERT_EQ_INT(st, PARLEY_ERR_INVALID_ARG);
    parley_store_close(db);
}

TEST(pages_and_marks)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/pages.db", dir);
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    for (int i = 0; i < 30; i++) {
        char text[64];
        snprintf(text, sizeof text, "Line %d mentions the roadmap.", i);
        ASSERT_OK(parley_transcript_add(&t, i * 1000, i * 1000 + 900, text, NULL, -1));
    }
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    parley_transcript_free(&t);
    struct parley_search_params sp = parley_search_default_params();
    sp.limit = 12;
    sp.mark_open = "<b>";
    sp.mark_close = "</b>";
    parley_search_hit *h;
    size_t n, total = 0;
    bool seen[30] = {0};
    for (sp.offset = 0;; sp.offset += sp.limit) {
        ASSERT_OK(parley_store_search(db, "roadmap", &sp, &h, &n));
        for (size_t i = 0; i < n; i++) {
            ASSERT_CONTAINS(h[i].snippet, "<b>roadmap</b>");
            ASSERT(h[i].segment_index >= 0 && h[i].segment_index < 30);
            ASSERT_EQ_INT(h[i].t0_ms, h[i].segment_index * 1000);
            ASSERT(!seen[h[i].segment_index]);
            seen[h[i].segment_index] = true;
        }
        parley_search_hits_free(h, n);
        total += n;
        if (n < (size_t)sp.limit)
            break;
    }
    ASSERT_EQ_INT(total, 30);
    sp.limit = 5000;
    ASSERT_STATUS(parley_store_search(db, "roadmap", &sp, &h, &n), PARLEY_ERR_INVALID_ARG);
    parley_store_close(db);
}

TEST(common_words_rank_their_newest_matches)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/common.db", dir);
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    for (int i = 0; i < 2500; i++)
        ASSERT_OK(parley_transcript_add(&t, i * 1000, i * 1000 + 900, "alpha and some other words here", NULL, -1));
    int64_t old_id, new_id;
    ASSERT_OK(parley_store_add_session(db, &t, &old_id));
    parley_transcript_free(&t);
    ASSERT_OK(parley_transcript_add(&t, 0, 900, "alpha alpha alpha", NULL, -1));
    ASSERT_OK(parley_store_add_session(db, &t, &new_id));
    parley_transcript_free(&t);
    parley_search_hit *h;
    size_t n;
    ASSERT_OK(parley_store_search(db, "alpha", NULL, &h, &n));
    ASSERT_EQ_INT(n, 20);
    ASSERT_EQ_INT(h[0].session_id, new_id); /* the densest match first */
    ASSERT(h[0].score > h[1].score);
    parley_search_hits_free(h, n);
    struct parley_search_params sp = parley_search_default_params();
    sp.offset = 1990;
    ASSERT_OK(parley_store_search(db, "alpha", &sp, &h, &n));
    ASSERT_EQ_INT(n, 10); /* 2,000 ranked matches reachable */
    parley_search_hits_free(h, n);
    parley_store_close(db);
}

TEST(index_without_prefix_lists_is_rebuilt)
{
    /* A database that schema step 3 indexed before the index had prefix lists. */
    parley_store *db = open_v1("v3.db");
    ASSERT(db);
    parley_store_close(db);
    char p[4200];
    snprintf(p, sizeof p, "%s/v3.db", dir);
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    ASSERT(sqlite3_exec(raw,
                        "DROP TABLE search_index;"
                        "CREATE VIRTUAL TABLE search_index USING fts5(text, session_id UNINDEXED, t0_ms UNINDEXED,"
                        "  tokenize = 'unicode61 remove_diacritics 2');"
                        "INSERT INTO search_index(rowid, text, session_id, t0_ms)"
                        "  SELECT id * 8 + 1, text, session_id, t0_ms FROM segments;"
                        "PRAGMA user_version = 3;",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    ASSERT_OK(parley_store_open(p, &db));
    parley_status st;
    ASSERT_EQ_INT(count(db, "gira*", &st), 2); /* the summary is back in the index too */
    ASSERT_EQ_INT(count(db, "kickoff", &st), 2); /* title and segment */
    parley_store_close(db);
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    sqlite3_stmt *q;
    ASSERT(sqlite3_prepare_v2(raw, "SELECT sql FROM sqlite_master WHERE name = 'search_index'", -1, &q, NULL) ==
           SQLITE_OK);
    ASSERT(sqlite3_step(q) == SQLITE_ROW);
    ASSERT_CONTAINS((const char *)sqlite3_column_text(q, 0), "prefix");
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

int main(void)
{
    dir = test_tmpdir("search");
    RUN(v1_database_is_searchable_after_migration);
    RUN(index_follows_every_change);
    RUN(no_query_is_a_syntax_error);
    RUN(pages_and_marks);
    RUN(common_words_rank_their_newest_matches);
    RUN(index_without_prefix_lists_is_rebuilt);
    return test_summary();
}
