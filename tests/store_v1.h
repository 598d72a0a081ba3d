/* store_v1.h: a database as Parley 0.1 wrote it (schema version 1), for migration tests. */
#ifndef PARLEY_TEST_STORE_V1_H
#define PARLEY_TEST_STORE_V1_H

#include <sqlite3.h>
#include <stdio.h>

/* The schema SQL of Parley 0.1's store.c (schema version 1), verbatim, and data in it. */
static const char v1_schema[] =
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
    "CREATE INDEX IF NOT EXISTS chat_by_session ON chat_messages(session_id, id);"
    "PRAGMA user_version=1;"
    "INSERT INTO sessions(id, title, source_path, duration_s, language, model) VALUES"
    "  (1, 'Kickoff', '/m/kickoff.wav', 60, 'en', 'ggml-tiny.bin'),"
    "  (2, 'Retro', '/m/retro.wav', 30, 'de', NULL),"
    "  (3, 'Budget review', '/m/budget.wav', 90, 'en', NULL);"
    "INSERT INTO segments(session_id, idx, t0_ms, t1_ms, speaker, text, confidence) VALUES"
    "  (1, 0, 0, 2000, NULL, 'Welcome to the kickoff.', 0.9),"
    "  (1, 1, 2000, 5000, NULL, 'The giraffe project starts Monday.', 0.8),"
    "  (2, 0, 0, 3000, NULL, 'Was lief gut? Die Übergabe.', NULL),"
    "  (3, 0, 0, 4000, NULL, 'Spending is over plan.', 0.7);"
    "INSERT INTO artifacts(session_id, kind, format, content, model) VALUES"
    "  (1, 'summary', 'markdown', 'Giraffe kicks off Monday; owners named.', 'qwen');"
    "INSERT INTO chat_messages(session_id, role, content, model) VALUES"
    "  (1, 'user', 'When does it start?', NULL), (1, 'assistant', 'On Monday.', 'qwen');";

static inline int write_v1(const char *p)
{
    sqlite3 *db;
    if (sqlite3_open(p, &db) != SQLITE_OK)
        return -1;
    char *err = NULL;
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, v1_schema, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "v1: %s\n", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

#endif
