/* test_store.c: sessions, segments, artifacts and chat survive a round trip; bad places
 * and bad files fail with their cause; a failed write leaves the previous state. */
#include "test.h"

#include <parley/store.h>

#include <sqlite3.h>
#include <sys/stat.h>
#include <yyjson.h>

static const char *dir;

static void make_transcript(parley_transcript *t, const char *src)
{
    memset(t, 0, sizeof *t);
    t->source_path = strdup(src);
    t->language = strdup("en");
    t->model = strdup("ggml-tiny.bin");
    t->duration_s = 65.5;
    parley_transcript_add(t, 0, 2500, "Good morning, everyone.", NULL, 0.9f);
    parley_transcript_add(t, 3000, 7250, "Let's review the budget --> today & <now>.", "Alice", 0.75f);
    parley_transcript_add(t, 61000, 65500, "Thanks, bye.", NULL, -1.0f);
}

static parley_store *open_in(const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    parley_store *db = NULL;
    if (parley_store_open(p, &db) != PARLEY_OK)
        fprintf(stderr, "open %s: %s\n", p, parley_last_error());
    return db;
}

TEST(session_round_trip)
{
    parley_store *db = open_in("a/b/parley.db");
    ASSERT(db);
    parley_transcript t;
    make_transcript(&t, "/meetings/weekly-sync.m4a");
    int64_t id = 0;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    ASSERT(id > 0);
    parley_transcript_free(&t);

    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions(db, &rows, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_STR(rows[0].title, "weekly-sync");
    ASSERT_EQ_INT(rows[0].n_segments, 3);
    ASSERT_NEAR(rows[0].duration_s, 65.5, 1e-9);
    ASSERT(rows[0].created && strlen(rows[0].created) == 20 && rows[0].created[19] == 'Z');
    parley_session_rows_free(rows, n);

    parley_transcript g;
    ASSERT_OK(parley_store_get_session(db, id, &g));
    ASSERT_EQ_INT(g.n_segments, 3);
    ASSERT_EQ_INT(g.segments[1].t0_ms, 3000);
    ASSERT_EQ_INT(g.segments[1].t1_ms, 7250);
    ASSERT_STR(g.segments[1].speaker, "Alice");
    ASSERT_NEAR(g.segments[1].confidence, 0.75, 1e-6);
    ASSERT(g.segments[2].confidence < 0);
    ASSERT_STR(g.language, "en");
    parley_transcript_free(&g);

    ASSERT_OK(parley_store_set_title(db, id, "Weekly sync"));
    ASSERT_STATUS(parley_store_get_session(db, id + 100, &g), PARLEY_ERR_NOT_FOUND);
    ASSERT_OK(parley_store_delete_session(db, id));
    ASSERT_STATUS(parley_store_delete_session(db, id), PARLEY_ERR_NOT_FOUND);
    parley_store_close(db);
}

TEST(subtitle_exports_are_valid)
{
    parley_transcript t;
    make_transcript(&t, "/x/standup.wav");
    char *out;
    size_t len;
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_SRT, &out, &len));
    ASSERT_STR(out, "1\n00:00:00,000 --> 00:00:02,500\nGood morning, everyone.\n\n"
                    "2\n00:00:03,000 --> 00:00:07,250\nLet's review the budget --> today & <now>.\n\n"
                    "3\n00:01:01,000 --> 00:01:05,500\nThanks, bye.\n\n");
    ASSERT_EQ_INT(len, strlen(out));
    free(out);
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_VTT, &out, &len));
    ASSERT_STR(out, "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nGood morning, everyone.\n\n"
                    "00:00:03.000 --> 00:00:07.250\n<v Alice>Let's review the budget --&gt; today &amp; &lt;now>.\n\n"
                    "00:01:01.000 --> 00:01:05.500\nThanks, bye.\n\n");
    free(out);
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_TXT, &out, &len));
    ASSERT_CONTAINS(out, "[00:00:03.000 --> 00:00:07.250] Alice: Let's review");
    free(out);
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_JSON, &out, &len));
    yyjson_doc *doc = yyjson_read(out, len, 0);
    ASSERT(doc);
    yyjson_val *segs = yyjson_obj_get(yyjson_doc_get_root(doc), "segments");
    ASSERT_EQ_INT(yyjson_arr_size(segs), 3);
    ASSERT_NEAR(yyjson_get_real(yyjson_obj_get(yyjson_arr_get(segs, 1), "start")), 3.0, 1e-9);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(yyjson_arr_get(segs, 1), "speaker")), "Alice");
    ASSERT(yyjson_is_null(yyjson_obj_get(yyjson_arr_get(segs, 2), "confidence")));
    yyjson_doc_free(doc);
    free(out);
    parley_format f;
    ASSERT_STATUS(parley_format_parse("docx", &f), PARLEY_ERR_INVALID_ARG);
    parley_transcript_free(&t);
}

TEST(artifacts_chat_and_rich_exports)
{
    parley_store *db = open_in("rich.db");
    ASSERT(db);
    parley_transcript t;
    make_transcript(&t, "/x/planning.ogg");
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    parley_transcript_free(&t);
    parley_artifact a = {.session_id = id,
                         .kind = "summary",
                         .format = "json",
                         .content = "{\"title\":\"Planning\",\"key_points\":[\"budget\"]}",
                         .model = "qwen3.5-2b",
                         .prompt_version = "summary/1",
                         .prompt_tokens = 1200,
                         .output_tokens = 80,
                         .meta = "{\"chunks\":1}"};
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    a.format = "markdown";
    a.content = "**Planning**: the budget was reviewed.";
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    a.kind = "notes";
    a.content = "### Budget [00:00:03]\n- reviewed";
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    a.session_id = id + 50;
    ASSERT_STATUS(parley_store_add_artifact(db, &a, NULL), PARLEY_ERR_NOT_FOUND);
    ASSERT_OK(parley_store_add_chat(db, id, "user", "What about the budget?", NULL, NULL));
    ASSERT_OK(parley_store_add_chat(db, id, "assistant", "It was reviewed [00:00:03].", "qwen3.5-2b", NULL));
    ASSERT_STATUS(parley_store_add_chat(db, id, "system", "x", NULL, NULL), PARLEY_ERR_INVALID_ARG);

    parley_artifact got;
    ASSERT_OK(parley_store_latest_artifact(db, id, "summary", "json", &got));
    ASSERT_EQ_INT(got.prompt_tokens, 1200);
    ASSERT_STR(got.prompt_version, "summary/1");
    parley_artifact_free(&got);

    char *out;
    size_t len;
    ASSERT_OK(parley_store_export(db, id, PARLEY_FORMAT_MD, &out, &len));
    char *s = strstr(out, "## Summary"), *n = strstr(out, "## Notes"), *tr = strstr(out, "## Transcript");
    ASSERT_MSG(s && n && tr && s < n && n < tr, "markdown sections out of order:\n%s", out);
    ASSERT_CONTAINS(out, "the budget was reviewed");
    free(out);
    ASSERT_OK(parley_store_export(db, id, PARLEY_FORMAT_JSON, &out, &len));
    yyjson_doc *doc = yyjson_read(out, len, 0);
    ASSERT(doc);
    yyjson_val *root = yyjson_doc_get_root(doc);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(yyjson_obj_get(yyjson_obj_get(root, "summary"), "content"), "title")),
               "Planning");
    ASSERT_EQ_INT(yyjson_arr_size(yyjson_obj_get(root, "chat")), 2);
    ASSERT_EQ_INT(yyjson_get_int(yyjson_obj_get(yyjson_obj_get(yyjson_obj_get(root, "summary"), "meta"), "chunks")), 1);
    yyjson_doc_free(doc);
    free(out);
    parley_chat_message *m;
    size_t nm;
    ASSERT_OK(parley_store_list_chat(db, id, &m, &nm));
    ASSERT_EQ_INT(nm, 2);
    ASSERT_STR(m[0].role, "user");
    parley_chat_messages_free(m, nm);
    /* Deleting the session takes what was made from it. */
    ASSERT_OK(parley_store_delete_session(db, id));
    ASSERT_STATUS(parley_store_latest_artifact(db, id, "summary", NULL, &got), PARLEY_ERR_NOT_FOUND);
    parley_store_close(db);
}

TEST(not_a_database_is_refused)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/junk.db", dir);
    FILE *f = fopen(p, "w");
    ASSERT(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not sqlite at all\n", f);
    fclose(f);
    parley_store *db;
    ASSERT_STATUS(parley_store_open(p, &db), PARLEY_ERR_DB);
    ASSERT_CONTAINS(parley_last_error(), "not a Parley database");
}

TEST(newer_schema_is_refused)
{
    parley_store *db = open_in("newer.db");
    ASSERT(db);
    parley_store_close(db);
    char p[4200];
    snprintf(p, sizeof p, "%s/newer.db", dir);
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    ASSERT(sqlite3_exec(raw, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    ASSERT_STATUS(parley_store_open(p, &db), PARLEY_ERR_DB);
    ASSERT_CONTAINS(parley_last_error(), "newer Parley");
}

TEST(unusable_directory_is_reported)
{
    parley_store *db;
    char p[4200];
    /* A path through a regular file can never be created. */
    snprintf(p, sizeof p, "%s/file", dir);
    FILE *f = fopen(p, "w");
    ASSERT(f);
    fclose(f);
    snprintf(p, sizeof p, "%s/file/sub/parley.db", dir);
    parley_status st = parley_store_open(p, &db);
    ASSERT_MSG(st == PARLEY_ERR_NOT_FOUND || st == PARLEY_ERR_IO, "got %s", parley_strerror(st));
    ASSERT_CONTAINS(parley_last_error(), "cannot create directory");
}

int main(void)
{
    dir = test_tmpdir("store");
    RUN(session_round_trip);
    RUN(subtitle_exports_are_valid);
    RUN(artifacts_chat_and_rich_exports);
    RUN(not_a_database_is_refused);
    RUN(newer_schema_is_refused);
    RUN(unusable_directory_is_reported);
    return test_summary();
}
