/* test_store_export.c: the stored-session exports (export.c) hold whatever stored text
 * holds: a title containing "## Transcript", Markdown/HTML characters, newlines, empty
 * lines, a segment ending before it starts, invalid UTF-8; Markdown carries the chat
 * and typed notes; JSON carries the artifacts list. */
#include "test.h"

#include <parley/store.h>

#include <sqlite3.h>
#include <yyjson.h>

static const char *dir;

static parley_store *fresh(const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    parley_store *db = NULL;
    if (parley_store_open(path, &db) != PARLEY_OK)
        fprintf(stderr, "open %s: %s\n", path, parley_last_error());
    return db;
}

static int count_of(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        c++;
    return c;
}

TEST(markdown_title_cannot_split_the_document)
{
    char p[4200];
    parley_store *db = fresh("md.db", p, sizeof p);
    ASSERT(db);
    parley_transcript t = {0};
    t.title = "Notes on ## Transcript formats <script>alert(1)</script> *bold*\n## Chat";
    ASSERT_OK(parley_transcript_add(&t, 0, 1000, "First line\nsecond half", "Me", -1));
    ASSERT_OK(parley_transcript_add(&t, 1000, 2000, "", "Them", -1));
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    t.title = NULL;
    parley_transcript_free(&t);
    parley_artifact a = {.session_id = id, .kind = "summary", .format = "markdown", .content = "The summary."};
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    a.kind = "notes";
    a.content = "### Topic\n- a note\n";
    ASSERT_OK(parley_store_add_artifact(db, &a, NULL));
    parley_chat_turn turn = {.question = "What <b>was</b> decided?", .answer = "Nothing yet.", .truncated = 1};
    ASSERT_OK(parley_store_chat_add_turn(db, id, &turn, NULL, NULL));
    ASSERT_OK(parley_store_user_note_add(db, id, 65000, "follow up *now*", NULL));

    char *out;
    size_t len;
    ASSERT_OK(parley_store_export(db, id, PARLEY_FORMAT_MD, &out, &len));
    ASSERT_EQ_INT(len, strlen(out));
    /* Exactly one of each section, at the start of a line, in order. */
    ASSERT_EQ_INT(count_of(out, "\n## Summary\n"), 1);
    ASSERT_EQ_INT(count_of(out, "\n## Transcript\n"), 1);
    ASSERT_EQ_INT(count_of(out, "\n## Chat\n"), 1);
    const char *s = strstr(out, "\n## Summary\n"), *n = strstr(out, "\n## Notes\n"),
               *tn = strstr(out, "\n## Typed notes\n"), *tr = strstr(out, "\n## Transcript\n"),
               *ch = strstr(out, "\n## Chat\n");
    ASSERT_MSG(s && n && tn && tr && ch && s < n && n < tn && tn < tr && tr < ch, "sections out of order:\n%s", out);
    /* The title is one escaped heading line. */
    ASSERT_MSG(!strncmp(out,
                        "# Notes on \\#\\# Transcript formats &lt;script&gt;alert(1)&lt;/script&gt; \\*bold\\* "
                        "\\#\\# Chat\n",
                        strlen("# Notes on \\#\\# Transcript formats &lt;script&gt;alert(1)&lt;/script&gt; \\*bold\\* "
                               "\\#\\# Chat\n")),
               "title line: %.*s", 120, out);
    ASSERT_CONTAINS(out, "**[00:00:00]** Me: First line second half\n\n");
    ASSERT_CONTAINS(out, "**[00:00:01]** Them: …\n\n");
    ASSERT_CONTAINS(out, "- **[00:01:05]** follow up \\*now\\*\n");
    ASSERT_CONTAINS(out, "**Q:** What &lt;b&gt;was&lt;/b&gt; decided?\n");
    ASSERT_CONTAINS(out, "**A:** Nothing yet. *(cut off)*\n");
    ASSERT_CONTAINS(out, "### Topic\n- a note\n");
    free(out);

    ASSERT_OK(parley_store_export(db, id, PARLEY_FORMAT_JSON, &out, &len));
    yyjson_doc *doc = yyjson_read(out, len, 0);
    ASSERT(doc);
    yyjson_val *root = yyjson_doc_get_root(doc);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(root, "status")), "finished");
    ASSERT_EQ_INT(yyjson_arr_size(yyjson_obj_get(root, "artifacts")), 2);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(yyjson_arr_get(yyjson_obj_get(root, "artifacts"), 1), "kind")), "notes");
    ASSERT_EQ_INT(yyjson_arr_size(yyjson_obj_get(root, "typed_notes")), 1);
    ASSERT(yyjson_get_bool(yyjson_obj_get(yyjson_arr_get(yyjson_obj_get(root, "chat"), 1), "truncated")));
    yyjson_doc_free(doc);
    free(out);
    parley_store_close(db);
}

TEST(one_bad_segment_or_bad_bytes_do_not_break_exports)
{
    char p[4200];
    parley_store *db = fresh("bad.db", p, sizeof p);
    ASSERT(db);
    parley_transcript t = {0};
    ASSERT_OK(parley_transcript_add(&t, 0, 1000, "fine", NULL, -1));
    ASSERT_OK(parley_transcript_add(&t, 2000, 3000, "to be broken", NULL, -1));
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    parley_transcript_free(&t);
    parley_store_close(db);
    /* What an older Parley or another writer may have left: an end before the start, a
     * negative start, Latin-1 bytes in the title, the source path and a segment. */
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    ASSERT(sqlite3_exec(raw,
                        "UPDATE segments SET t1_ms = 500, t0_ms = 2500 WHERE idx = 1;"
                        "UPDATE segments SET t0_ms = -40 WHERE idx = 0;"
                        "UPDATE segments SET text = CAST(X'6361666580' AS TEXT) WHERE idx = 0;"
                        "UPDATE sessions SET title = CAST(X'5265756E696F6EE9' AS TEXT),"
                        "  source_path = CAST(X'2F61FF2E776176' AS TEXT);",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    ASSERT_OK(parley_store_open(p, &db));
    parley_format fmts[] = {PARLEY_FORMAT_TXT, PARLEY_FORMAT_SRT, PARLEY_FORMAT_VTT, PARLEY_FORMAT_JSON,
                            PARLEY_FORMAT_MD};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char *out;
        size_t len;
        ASSERT_OK(parley_store_export(db, id, fmts[i], &out, &len));
        if (fmts[i] == PARLEY_FORMAT_JSON) {
            yyjson_doc *doc = yyjson_read(out, len, 0);
            ASSERT_MSG(doc, "JSON export does not parse:\n%s", out);
            yyjson_val *root = yyjson_doc_get_root(doc);
            ASSERT_STR(yyjson_get_str(yyjson_obj_get(root, "title")), "Reunion\xef\xbf\xbd");
            yyjson_val *g = yyjson_arr_get(yyjson_obj_get(root, "segments"), 1);
            ASSERT_NEAR(yyjson_get_real(yyjson_obj_get(g, "start")), 2.5, 1e-9);
            ASSERT_NEAR(yyjson_get_real(yyjson_obj_get(g, "end")), 2.5, 1e-9);
            yyjson_doc_free(doc);
        }
        free(out);
    }
    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions(db, &rows, &n));
    ASSERT_STR(rows[0].source_path, "/a\xef\xbf\xbd.wav");
    parley_session_rows_free(rows, n);
    parley_store_close(db);
}

int main(void)
{
    dir = test_tmpdir("store_export");
    RUN(markdown_title_cannot_split_the_document);
    RUN(one_bad_segment_or_bad_bytes_do_not_break_exports);
    return test_summary();
}
