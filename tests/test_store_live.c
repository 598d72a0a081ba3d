/* test_store_live.c: schema migrations from a real version-1 database, live sessions,
 * typed notes, chat turns, artifact lists, segment edits, read-only opening and
 * text that is not valid UTF-8. */
#include "test.h"

#include <parley/store.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "store_v1.h"

static const char *dir;

static void path_in(char *p, size_t n, const char *name) { snprintf(p, n, "%s/%s", dir, name); }

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

TEST(v1_database_migrates_in_place)
{
    char p[4200];
    path_in(p, sizeof p, "v1.db");
    ASSERT(write_v1(p) == 0);
    parley_store *db = NULL;
    ASSERT_OK(parley_store_open(p, &db));
    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions(db, &rows, &n));
    ASSERT_EQ_INT(n, 3);
    ASSERT_STR(rows[2].title, "Kickoff");
    ASSERT_EQ_INT(rows[2].n_segments, 2);
    ASSERT_EQ_INT(rows[2].status, PARLEY_SESSION_FINISHED);
    ASSERT(rows[2].ended != NULL);
    parley_session_rows_free(rows, n);
    parley_artifact a;
    ASSERT_OK(parley_store_latest_artifact(db, 1, "summary", NULL, &a));
    ASSERT_CONTAINS(a.content, "Giraffe");
    parley_artifact_free(&a);
    parley_chat_message *m;
    ASSERT_OK(parley_store_list_chat(db, 1, &m, &n));
    ASSERT_EQ_INT(n, 2);
    ASSERT_EQ_INT(m[1].truncated, 0);
    parley_chat_messages_free(m, n);
    /* The newest id, deleted, is not given out again (v1 reused it). */
    ASSERT_OK(parley_store_delete_session(db, 3));
    parley_transcript t = {0};
    ASSERT_OK(parley_transcript_add(&t, 0, 1000, "again", NULL, -1));
    int64_t id = 0;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    ASSERT_EQ_INT(id, 4);
    parley_transcript_free(&t);
    /* Cascades still work after the table rebuild. */
    ASSERT_OK(parley_store_delete_session(db, 1));
    ASSERT_STATUS(parley_store_latest_artifact(db, 1, "summary", NULL, &a), PARLEY_ERR_NOT_FOUND);
    parley_store_close(db);
    /* The version written is the last step's. */
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    sqlite3_stmt *q;
    ASSERT(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(q) == SQLITE_ROW);
    ASSERT_EQ_INT(sqlite3_column_int(q, 0), parley_store_schema_version());
    sqlite3_finalize(q);
    ASSERT(sqlite3_prepare_v2(raw, "SELECT count(*) FROM segments WHERE session_id = 1", -1, &q, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(q) == SQLITE_ROW);
    ASSERT_EQ_INT(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

TEST(ids_are_never_reused)
{
    char p[4200];
    path_in(p, sizeof p, "ids.db");
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    int64_t a, b, c;
    ASSERT_OK(parley_store_add_session(db, &t, &a));
    ASSERT_OK(parley_store_add_session(db, &t, &b));
    ASSERT_OK(parley_store_delete_session(db, b));
    ASSERT_OK(parley_store_add_session(db, &t, &c));
    ASSERT(c > b && b > a);
    parley_store_close(db);
}

TEST(live_session_lifecycle)
{
    char p[4200], audio[4200];
    path_in(p, sizeof p, "live.db");
    path_in(audio, sizeof audio, "journal.pcm");
    FILE *f = fopen(audio, "w");
    ASSERT(f);
    fputs("pcm", f);
    fclose(f);
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    struct parley_session_params sp = parley_session_default_params();
    int64_t id;
    ASSERT_OK(parley_store_session_begin(db, &sp, &id));
    parley_session_row row;
    ASSERT_OK(parley_store_get_session_row(db, id, &row));
    ASSERT_EQ_INT(row.status, PARLEY_SESSION_LIVE);
    ASSERT(!strncmp(row.title, "Meeting ", 8));
    ASSERT(row.ended == NULL);
    parley_session_row_clear(&row);
    ASSERT_OK(parley_store_session_set_audio(db, id, audio));

    /* Two streams append out of spoken order; the transcript is in time order. */
    parley_segment them[] = {{.t0_ms = 1000, .t1_ms = 3000, .text = "Hello from them.", .speaker = "Them",
                              .confidence = 0.8f}};
    parley_segment me[] = {{.t0_ms = 0, .t1_ms = 900, .text = "Hi.", .speaker = "Me", .confidence = -1},
                           {.t0_ms = 4000, .t1_ms = 3500, .text = "Bad end.", .speaker = "Me", .confidence = 0.5f}};
    ASSERT_OK(parley_store_segments_append(db, id, them, 1));
    ASSERT_OK(parley_store_segments_append(db, id, me, 2));
    ASSERT_OK(parley_store_user_note_add(db, id, 2500, "ask about the budget", NULL));
    ASSERT_OK(parley_store_user_note_add(db, id, 500, "started late", NULL));
    ASSERT_STATUS(parley_store_user_note_add(db, id, 0, "", NULL), PARLEY_ERR_INVALID_ARG);

    /* A crash here leaves it live: recovery finds it. */
    parley_session_filter fl = parley_session_default_filter();
    fl.status = PARLEY_SESSION_LIVE;
    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions_ex(db, &fl, &rows, &n));
    ASSERT_EQ_INT(n, 1);
    ASSERT_EQ_INT(rows[0].id, id);
    ASSERT_STR(rows[0].audio_path, audio);
    parley_session_rows_free(rows, n);

    parley_transcript t;
    ASSERT_OK(parley_store_get_session(db, id, &t));
    ASSERT_EQ_INT(t.n_segments, 3);
    ASSERT_STR(t.segments[0].speaker, "Me");
    ASSERT_STR(t.segments[1].speaker, "Them");
    ASSERT_EQ_INT(t.segments[2].t1_ms, 4000); /* end before start clamped */
    ASSERT_NEAR(t.duration_s, 4.0, 1e-9);
    parley_transcript_free(&t);
    parley_user_note *notes;
    ASSERT_OK(parley_store_user_notes_list(db, id, &notes, &n));
    ASSERT_EQ_INT(n, 2);
    ASSERT_STR(notes[0].text, "started late");
    ASSERT_EQ_INT(notes[1].t_ms, 2500);
    ASSERT_OK(parley_store_user_note_delete(db, notes[0].id));
    parley_user_notes_free(notes, n);

    ASSERT_OK(parley_store_session_finish(db, id, PARLEY_SESSION_RECOVERED, 60000));
    ASSERT_OK(parley_store_get_session_row(db, id, &row));
    ASSERT_EQ_INT(row.status, PARLEY_SESSION_RECOVERED);
    ASSERT_NEAR(row.duration_s, 60.0, 1e-9);
    ASSERT(row.ended != NULL);
    parley_session_row_clear(&row);
    ASSERT_STATUS(parley_store_segments_append(db, id, me, 1), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_store_session_finish(db, id, PARLEY_SESSION_FINISHED, 0), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_store_session_finish(db, id + 9, PARLEY_SESSION_FINISHED, 0), PARLEY_ERR_NOT_FOUND);
    ASSERT_OK(parley_store_list_sessions_ex(db, &fl, &rows, &n));
    ASSERT_EQ_INT(n, 0);
    parley_session_rows_free(rows, n);
    /* A second pass replaces the segments. */
    ASSERT_OK(parley_store_segments_replace(db, id, them, 1));
    ASSERT_OK(parley_store_get_session(db, id, &t));
    ASSERT_EQ_INT(t.n_segments, 1);
    parley_transcript_free(&t);

    /* The recording goes with the session, unless kept. */
    struct stat stt;
    ASSERT(stat(audio, &stt) == 0);
    ASSERT_OK(parley_store_delete_session(db, id));
    ASSERT(stat(audio, &stt) != 0);
    f = fopen(audio, "w");
    ASSERT(f);
    fclose(f);
    sp.title = "Kept";
    sp.audio_path = audio;
    ASSERT_OK(parley_store_session_begin(db, &sp, &id));
    ASSERT_OK(parley_store_delete_session_ex(db, id, PARLEY_STORE_KEEP_AUDIO));
    ASSERT(stat(audio, &stt) == 0);
    parley_session_status s;
    ASSERT_OK(parley_session_status_parse("interrupted", &s));
    ASSERT_EQ_INT(s, PARLEY_SESSION_INTERRUPTED);
    ASSERT_STR(parley_session_status_name(PARLEY_SESSION_LIVE), "live");
    ASSERT_STATUS(parley_session_status_parse("done", &s), PARLEY_ERR_INVALID_ARG);
    parley_store_close(db);
}

TEST(list_filters_and_pages)
{
    char p[4200];
    path_in(p, sizeof p, "pages.db");
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    char title[32];
    for (int i = 0; i < 7; i++) {
        snprintf(title, sizeof title, "%s %d", i % 2 ? "Standup" : "Planning", i);
        t.title = title;
        ASSERT_OK(parley_store_add_session(db, &t, NULL));
    }
    t.title = NULL;
    parley_session_filter f = parley_session_default_filter();
    f.limit = 3;
    f.offset = 2;
    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions_ex(db, &f, &rows, &n));
    ASSERT_EQ_INT(n, 3);
    ASSERT_STR(rows[0].title, "Planning 4");
    parley_session_rows_free(rows, n);
    f = parley_session_default_filter();
    f.query = "standup";
    int64_t c;
    ASSERT_OK(parley_store_count_sessions(db, &f, &c));
    ASSERT_EQ_INT(c, 3);
    f.status = PARLEY_SESSION_LIVE;
    ASSERT_OK(parley_store_count_sessions(db, &f, &c));
    ASSERT_EQ_INT(c, 0);
    f = parley_session_default_filter();
    f.limit = -1;
    ASSERT_STATUS(parley_store_list_sessions_ex(db, &f, &rows, &n), PARLEY_ERR_INVALID_ARG);
    parley_store_close(db);
}

TEST(chat_turns_artifacts_and_edits)
{
    char p[4200];
    path_in(p, sizeof p, "chat.db");
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    ASSERT_OK(parley_transcript_add(&t, 0, 1000, "We ship on Friday.", NULL, -1));
    ASSERT_OK(parley_transcript_add(&t, 1000, 2000, "Bob owns it.", NULL, -1));
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    parley_transcript_free(&t);

    parley_chat_turn turn = {.question = "When?", .answer = "Fri", .model = "qwen", .truncated = 1,
                             .meta = "{\"output_tokens\":1}"};
    int64_t qid = 0, aid = 0;
    ASSERT_OK(parley_store_chat_add_turn(db, id, &turn, &qid, &aid));
    ASSERT(aid == qid + 1);
    /* Both or neither: a missing session stores nothing. */
    ASSERT_STATUS(parley_store_chat_add_turn(db, id + 7, &turn, NULL, NULL), PARLEY_ERR_NOT_FOUND);
    turn.truncated = 0;
    turn.answer = "On Friday.";
    ASSERT_OK(parley_store_chat_add_turn(db, id, &turn, NULL, NULL));
    parley_chat_message *m;
    size_t n;
    ASSERT_OK(parley_store_list_chat(db, id, &m, &n));
    ASSERT_EQ_INT(n, 4);
    ASSERT_EQ_INT(m[1].truncated, 1);
    ASSERT_STR(m[1].meta, "{\"output_tokens\":1}");
    ASSERT_STR(m[1].model, "qwen");
    ASSERT(m[0].model == NULL);
    parley_chat_messages_free(m, n);
    int64_t removed = 0;
    ASSERT_OK(parley_store_chat_trim(db, id, 2, &removed));
    ASSERT_EQ_INT(removed, 2);
    ASSERT_OK(parley_store_list_chat(db, id, &m, &n));
    ASSERT_EQ_INT(n, 2);
    ASSERT_STR(m[1].content, "On Friday.");
    parley_chat_messages_free(m, n);
    ASSERT_OK(parley_store_chat_clear(db, id, &removed));
    ASSERT_EQ_INT(removed, 2);
    ASSERT_STATUS(parley_store_chat_clear(db, id + 7, NULL), PARLEY_ERR_NOT_FOUND);

    parley_artifact a = {.session_id = id, .kind = "summary", .format = "markdown", .content = "Ships Friday.",
                         .model = "qwen"};
    int64_t a1, a2;
    ASSERT_OK(parley_store_add_artifact(db, &a, &a1));
    a.kind = "notes";
    a.content = "- ship";
    ASSERT_OK(parley_store_add_artifact(db, &a, &a2));
    parley_artifact_info *info;
    ASSERT_OK(parley_store_list_artifacts(db, id, &info, &n));
    ASSERT_EQ_INT(n, 2);
    ASSERT_STR(info[0].kind, "summary");
    ASSERT_EQ_INT(info[0].size, 13);
    ASSERT_STR(info[1].model, "qwen");
    parley_artifact_infos_free(info, n);
    ASSERT_OK(parley_store_delete_artifact(db, a1));
    ASSERT_STATUS(parley_store_delete_artifact(db, a1), PARLEY_ERR_NOT_FOUND);
    parley_artifact got;
    ASSERT_OK(parley_store_get_artifact(db, a2, &got));
    ASSERT_STR(got.content, "- ship");
    parley_artifact_free(&got);
    ASSERT_STATUS(parley_store_list_artifacts(db, id + 7, &info, &n), PARLEY_ERR_NOT_FOUND);

    ASSERT_OK(parley_store_segment_edit(db, id, 1, "Robert owns it.", "Them"));
    int edited = 0;
    ASSERT_OK(parley_store_segment_edited(db, id, 1, &edited));
    ASSERT_EQ_INT(edited, 1);
    ASSERT_OK(parley_store_segment_edited(db, id, 0, &edited));
    ASSERT_EQ_INT(edited, 0);
    ASSERT_OK(parley_store_get_session(db, id, &t));
    ASSERT_STR(t.segments[1].text, "Robert owns it.");
    ASSERT_STR(t.segments[1].speaker, "Them");
    parley_transcript_free(&t);
    ASSERT_OK(parley_store_segment_edit(db, id, 1, NULL, ""));
    ASSERT_OK(parley_store_get_session(db, id, &t));
    ASSERT(t.segments[1].speaker == NULL);
    ASSERT_STR(t.segments[1].text, "Robert owns it.");
    parley_transcript_free(&t);
    ASSERT_STATUS(parley_store_segment_edit(db, id, 2, "x", NULL), PARLEY_ERR_NOT_FOUND);
    ASSERT_STATUS(parley_store_segment_edit(db, id + 7, 0, "x", NULL), PARLEY_ERR_NOT_FOUND);
    ASSERT_STATUS(parley_store_segment_edit(db, id, 0, "", NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_store_segment_edit(db, id, 0, NULL, NULL), PARLEY_ERR_INVALID_ARG);
    parley_store_close(db);
}

/* A question is never stored without its answer: when the answer's insert fails (here a
 * trigger refuses it), the question goes too (they were two transactions before). */
TEST(chat_turn_is_one_transaction)
{
    char p[4200];
    path_in(p, sizeof p, "chat-tx.db");
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    ASSERT(sqlite3_exec(raw,
                        "CREATE TRIGGER no_answers BEFORE INSERT ON chat_messages WHEN NEW.role = 'assistant' "
                        "BEGIN SELECT RAISE(ABORT, 'answers refused by the test'); END;",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    parley_chat_turn turn = {.question = "When?", .answer = "Friday."};
    parley_status st = parley_store_chat_add_turn(db, id, &turn, NULL, NULL);
    ASSERT_MSG(st != PARLEY_OK, "the answer's insert should have failed");
    parley_chat_message *m = NULL;
    size_t n = 99;
    ASSERT_OK(parley_store_list_chat(db, id, &m, &n));
    parley_chat_messages_free(m, n);
    ASSERT_MSG(n == 0, "%zu message(s) stored: a question without its answer", n);
    parley_store_close(db);
}

TEST(read_only_open_reads_and_never_writes)
{
    char p[4200];
    path_in(p, sizeof p, "ro-v1.db");
    ASSERT(write_v1(p) == 0);
    size_t len0, len1;
    char *before = slurp(p, &len0);
    ASSERT(before);
    parley_store *db;
    ASSERT_OK(parley_store_open_readonly(p, &db));
    /* An old schema is migrated in memory: the current shape, the file untouched. */
    parley_session_row *rows;
    size_t n;
    ASSERT_OK(parley_store_list_sessions(db, &rows, &n));
    ASSERT_EQ_INT(n, 3);
    ASSERT_EQ_INT(rows[0].status, PARLEY_SESSION_FINISHED);
    parley_session_rows_free(rows, n);
    ASSERT_STATUS(parley_store_set_title(db, 1, "x"), PARLEY_ERR_PERMISSION);
    ASSERT_STATUS(parley_store_check_writable(db), PARLEY_ERR_PERMISSION);
    parley_store_close(db);
    char *after = slurp(p, &len1);
    ASSERT(after && len0 == len1 && !memcmp(before, after, len0));
    free(before);
    free(after);

    /* A current database, read-only: writes refused. */
    path_in(p, sizeof p, "ro-new.db");
    ASSERT_OK(parley_store_open(p, &db));
    ASSERT_OK(parley_store_check_writable(db));
    parley_transcript t = {0};
    ASSERT_OK(parley_store_add_session(db, &t, NULL));
    parley_store_close(db);
    ASSERT_OK(parley_store_open_readonly(p, &db));
    ASSERT_OK(parley_store_list_sessions(db, &rows, &n));
    ASSERT_EQ_INT(n, 1);
    parley_session_rows_free(rows, n);
    ASSERT_STATUS(parley_store_add_session(db, &t, NULL), PARLEY_ERR_PERMISSION);
    parley_store_close(db);

    path_in(p, sizeof p, "absent.db");
    ASSERT_STATUS(parley_store_open_readonly(p, &db), PARLEY_ERR_NOT_FOUND);
}

TEST(invalid_utf8_is_replaced_not_fatal)
{
    char p[4200];
    path_in(p, sizeof p, "utf8.db");
    parley_store *db;
    ASSERT_OK(parley_store_open(p, &db));
    parley_transcript t = {0};
    t.title = "Caf\xe9 \xff meeting";   /* Latin-1 bytes */
    t.source_path = "/rec/r\xe9union.wav";
    ASSERT_OK(parley_transcript_add(&t, 0, 1000, "ok \xc3", "Me", -1));
    int64_t id;
    ASSERT_OK(parley_store_add_session(db, &t, &id));
    free(t.segments[0].text);
    free(t.segments[0].speaker);
    free(t.segments);
    parley_session_row row;
    ASSERT_OK(parley_store_get_session_row(db, id, &row));
    ASSERT_STR(row.title, "Caf\xef\xbf\xbd \xef\xbf\xbd meeting");
    ASSERT_STR(row.source_path, "/rec/r\xef\xbf\xbdunion.wav");
    parley_session_row_clear(&row);
    ASSERT_OK(parley_store_get_session(db, id, &t));
    ASSERT_STR(t.segments[0].text, "ok \xef\xbf\xbd");
    parley_transcript_free(&t);
    parley_store_close(db);

    /* Bytes written by an older Parley (straight into SQLite) are replaced on reading. */
    sqlite3 *raw;
    ASSERT(sqlite3_open(p, &raw) == SQLITE_OK);
    ASSERT(sqlite3_exec(raw, "UPDATE sessions SET title = CAST(X'4361666580' AS TEXT)", NULL, NULL, NULL) ==
           SQLITE_OK);
    sqlite3_close(raw);
    ASSERT_OK(parley_store_open(p, &db));
    ASSERT_OK(parley_store_get_session_row(db, id, &row));
    ASSERT_STR(row.title, "Cafe\xef\xbf\xbd");
    parley_session_row_clear(&row);
    parley_store_close(db);
}

int main(void)
{
    dir = test_tmpdir("store_live");
    RUN(v1_database_migrates_in_place);
    RUN(ids_are_never_reused);
    RUN(live_session_lifecycle);
    RUN(list_filters_and_pages);
    RUN(chat_turns_artifacts_and_edits);
    RUN(chat_turn_is_one_transaction);
    RUN(read_only_open_reads_and_never_writes);
    RUN(invalid_utf8_is_replaced_not_fatal);
    return test_summary();
}
