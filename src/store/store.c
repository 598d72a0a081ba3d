/* store.c: opening the database, its schema migrations, and the helpers the other
 * files of src/store/ share.
 *
 * The schema is versioned with PRAGMA user_version and built by numbered steps: a new
 * database runs every step from 1, an older one the steps it lacks, each step in its
 * own transaction that also writes its version, so a process killed mid-migration
 * leaves the last complete version. A database from a newer Parley is refused rather
 * than guessed at. Each public write is one transaction. */
#include "store/store_internal.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- Migrations ----------------------------------------------------------------------- */

/* Version 1: the schema of Parley 0.1. Kept verbatim: new databases are built by running
 * every step from here, so they have the same shape as migrated ones. */
static const char v1_sql[] =
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

/* Version 2: live sessions. The sessions table is rebuilt (SQLite cannot add
 * AUTOINCREMENT to a table) so that ids are never reused after a delete; it gains the
 * status, the end time and the session's own recording. Segments can be marked as
 * corrected by hand; chat answers carry truncated and meta; notes typed during a
 * meeting get their table. Runs with foreign keys off (the rebuild's documented
 * procedure) and checks them before committing. */
static const char v2_sql[] =
    "CREATE TABLE sessions_v2 ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  title TEXT NOT NULL,"
    "  source_path TEXT,"
    "  duration_s REAL NOT NULL DEFAULT 0,"
    "  language TEXT,"
    "  model TEXT,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  status TEXT NOT NULL DEFAULT 'finished'"
    "    CHECK (status IN ('live','finished','interrupted','recovered')),"
    "  ended TEXT,"
    "  audio_path TEXT"
    ");"
    "INSERT INTO sessions_v2(id, title, source_path, duration_s, language, model, created, ended)"
    "  SELECT id, title, source_path, duration_s, language, model, created, created FROM sessions;"
    "DROP TABLE sessions;"
    "ALTER TABLE sessions_v2 RENAME TO sessions;"
    "CREATE INDEX sessions_by_status ON sessions(status, id);"
    "ALTER TABLE segments ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX segments_by_time ON segments(session_id, t0_ms, idx);"
    "ALTER TABLE chat_messages ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE chat_messages ADD COLUMN meta TEXT;"
    "CREATE TABLE user_notes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  t_ms INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
    ");"
    "CREATE INDEX user_notes_by_session ON user_notes(session_id, t_ms);";

typedef struct migration {
    int version;       /* the version this step produces */
    const char *sql;   /* the step, or NULL when fn does it */
    parley_status (*fn)(parley_store *s);
    bool foreign_keys_off; /* a table rebuild: foreign keys off during the step */
} migration;

static const migration migrations[] = {
    {1, v1_sql, NULL, false},
    {2, v2_sql, NULL, true},
    {3, NULL, store_migrate_fts, false},
    {4, NULL, store_migrate_fts_prefix, false},
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

int parley_store_schema_version(void) { return migrations[N_MIGRATIONS - 1].version; }

static parley_status user_version(parley_store *s, int *ver)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "PRAGMA user_version", &q);
    if (st)
        return st;
    int rc = sqlite3_step(q);
    *ver = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? PARLEY_OK : store_fail(s, rc, "reading the schema version");
}

/* Runs the steps the database lacks. Each step re-reads the version inside its
 * transaction, so two processes opening an old database at once migrate it once. */
static parley_status migrate(parley_store *s)
{
    parley_status st;
    int ver;
    if ((st = user_version(s, &ver)))
        return st;
    int want = parley_store_schema_version();
    if (ver > want)
        return parley_fail(PARLEY_ERR_DB, "%s was written by a newer Parley (schema %d; this one knows %d)", s->path,
                           ver, want);
    for (size_t i = 0; i < N_MIGRATIONS && ver < want; i++) {
        const migration *m = &migrations[i];
        if (m->version <= ver)
            continue;
        if (m->foreign_keys_off && (st = store_exec(s, "PRAGMA foreign_keys=OFF", "migrating")))
            return st;
        if ((st = store_begin(s)))
            goto done;
        int now = 0;
        if ((st = user_version(s, &now)))
            goto fail;
        if (now < m->version) {
            char what[64], set[64];
            snprintf(what, sizeof what, "migrating to schema %d", m->version);
            if (m->sql)
                st = store_exec(s, m->sql, what);
            else
                st = m->fn(s);
            if (st)
                goto fail;
            if (m->foreign_keys_off) {
                sqlite3_stmt *q;
                if ((st = store_prepare(s, "PRAGMA foreign_key_check", &q)))
                    goto fail;
                int rc = sqlite3_step(q);
                sqlite3_finalize(q);
                if (rc != SQLITE_DONE) {
                    st = rc == SQLITE_ROW ? parley_fail(PARLEY_ERR_DB, "%s: %s: a row refers to a missing session",
                                                        s->path, what)
                                          : store_fail(s, rc, what);
                    goto fail;
                }
            }
            /* The version written is the step's own, never a literal elsewhere. */
            snprintf(set, sizeof set, "PRAGMA user_version=%d", m->version);
            if ((st = store_exec(s, set, what)))
                goto fail;
        }
        if ((st = store_commit(s, "committing a migration")))
            goto fail;
        ver = now > m->version ? now : m->version;
        goto done;
    fail:
        store_rollback(s);
    done:
        if (m->foreign_keys_off)
            sqlite3_exec(s->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        if (st)
            return st;
    }
    return PARLEY_OK;
}

/* ---- Opening -------------------------------------------------------------------------- */

static parley_status default_path(char *out, size_t n)
{
    char dir[PATH_MAX];
    parley_status st = parley_dir_path(PARLEY_DIR_DATA, dir, sizeof dir);
    if (st)
        return st;
    if (snprintf(out, n, "%s/parley.db", dir) >= (int)n)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "data directory path too long");
    return PARLEY_OK;
}

static parley_store *store_new(const char *path)
{
    parley_store *s = calloc(1, sizeof *s);
    if (s && !(s->path = parley_strdup(path))) {
        free(s);
        s = NULL;
    }
    if (!s)
        parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    return s;
}

static void fts_probe(parley_store *s)
{
    sqlite3_stmt *q;
    s->fts = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE name = 'search_index'", -1, &q, NULL) ==
        SQLITE_OK) {
        s->fts = sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
}

parley_status parley_store_open(const char *path, parley_store **out)
{
    char def[PATH_MAX], dir[PATH_MAX];
    parley_status st;
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    *out = NULL;
    if (!path) {
        if ((st = default_path(def, sizeof def)))
            return st;
        path = def;
    }
    snprintf(dir, sizeof dir, "%s", path);
    if ((st = parley_mkdirs(dirname(dir))))
        return st;
    if (access(dir, W_OK) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e) == PARLEY_ERR_IO ? PARLEY_ERR_PERMISSION
                                                                         : parley_status_from_errno(e),
                           "database directory %s is not writable: %s", dir, strerror(e));
    }
    parley_store *s = store_new(path);
    if (!s)
        return PARLEY_ERR_NOMEM;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        st = store_fail(s, rc, "opening");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* SQLite opens a file it may not write (mode 0444, owned by root, immutable) read-only
     * without a word; say so now rather than after the caller's long work. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        st = parley_fail(PARLEY_ERR_PERMISSION,
                         "%s cannot be written (a read-only file, or owned by another user); reading still works",
                         path);
        goto fail;
    }
    /* journal_mode=WAL is the first statement to touch the file: a non-database
     * file fails here with SQLITE_NOTADB. */
    if ((st = store_exec(s, "PRAGMA journal_mode=WAL", "switching to WAL")))
        goto fail;
    if ((st = store_exec(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", "setting pragmas")))
        goto fail;
    if ((st = migrate(s)))
        goto fail;
    fts_probe(s);
    if ((st = store_fts_ensure(s)))
        goto fail;
    *out = s;
    return PARLEY_OK;
fail:
    parley_store_close(s);
    return st;
}

/* "file:" URI for path with immutable=1, for a database on a read-only file system whose
 * WAL index cannot be created. Every byte outside a safe set is percent-encoded. */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(n * 3 + 32);
    if (!u)
        return NULL;
    char *p = u + sprintf(u, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("/-_.~", *c))
            *p++ = (char)*c;
        else
            p += sprintf(p, "%%%02X", *c);
    }
    strcpy(p, "?immutable=1");
    return u;
}

parley_status parley_store_open_readonly(const char *path, parley_store **out)
{
    char def[PATH_MAX];
    parley_status st;
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    *out = NULL;
    if (!path) {
        if ((st = default_path(def, sizeof def)))
            return st;
        path = def;
    }
    if (access(path, F_OK) != 0) {
        int e = errno;
        return parley_fail(e == ENOENT ? PARLEY_ERR_NOT_FOUND : parley_status_from_errno(e), "%s: %s", path,
                           e == ENOENT ? "no session database yet" : strerror(e));
    }
    parley_store *s = store_new(path);
    if (!s)
        return PARLEY_ERR_NOMEM;
    s->readonly = true;
    int ver = 0;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, 5000);
        st = user_version(s, &ver);
    } else {
        st = store_fail(s, rc, "opening");
    }
    if (st && st != PARLEY_ERR_DB) {
        /* A WAL database on a read-only file system: SQLite cannot create the WAL index
         * beside it. Opened immutable, it is read as the file stands. */
        char *uri = immutable_uri(path);
        if (!uri) {
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            goto fail;
        }
        sqlite3_close_v2(s->db);
        s->db = NULL;
        rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
        free(uri);
        if (rc != SQLITE_OK) {
            st = store_fail(s, rc, "opening read-only");
            goto fail;
        }
        sqlite3_extended_result_codes(s->db, 1);
        if ((st = user_version(s, &ver)))
            goto fail;
    } else if (st) {
        goto fail;
    }
    if (ver > parley_store_schema_version()) {
        st = parley_fail(PARLEY_ERR_DB, "%s was written by a newer Parley (schema %d; this one knows %d)", path, ver,
                         parley_store_schema_version());
        goto fail;
    }
    if (ver < parley_store_schema_version()) {
        /* An older schema cannot be migrated in a file we may not write: copy it into
         * memory and migrate the copy, so reads see the current shape. */
        sqlite3 *mem = NULL;
        if ((rc = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)) != SQLITE_OK) {
            sqlite3_close_v2(mem);
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory opening an in-memory copy");
            goto fail;
        }
        sqlite3_backup *b = sqlite3_backup_init(mem, "main", s->db, "main");
        rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(mem);
        sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE) {
            st = parley_fail(PARLEY_ERR_DB, "%s: copying an older database into memory: %s", path, sqlite3_errstr(rc));
            sqlite3_close_v2(mem);
            goto fail;
        }
        sqlite3_close_v2(s->db);
        s->db = mem;
        sqlite3_extended_result_codes(s->db, 1);
        if ((st = store_exec(s, "PRAGMA foreign_keys=ON", "setting pragmas")) || (st = migrate(s)))
            goto fail;
    }
    /* Writes through this handle fail (SQLITE_READONLY -> PARLEY_ERR_PERMISSION), the
     * in-memory copy included. */
    if ((st = store_exec(s, "PRAGMA query_only=1", "setting pragmas")))
        goto fail;
    fts_probe(s);
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

const char *parley_store_path(const parley_store *s) { return s ? s->path : NULL; }

parley_status parley_store_check_writable(parley_store *s)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store is required");
    if (s->readonly || sqlite3_db_readonly(s->db, "main") == 1)
        return parley_fail(PARLEY_ERR_PERMISSION, "%s cannot be written (opened read-only, a read-only file or "
                                                  "file system)",
                           s->path);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", s->path);
    struct statvfs v;
    if (statvfs(dirname(dir), &v) == 0 && (unsigned long long)v.f_bavail * v.f_frsize < (1ull << 20))
        return parley_fail(PARLEY_ERR_DISK_FULL, "%s: disk full (under 1 MiB free in %s)", s->path, dir);
    /* Taking the write lock finds a file that became read-only and a writer that holds
     * the lock too long; rolling back writes nothing. */
    parley_status st = store_begin(s);
    if (st)
        return st;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return PARLEY_OK;
}

/* ---- Helpers -------------------------------------------------------------------------- */

parley_status store_fail(parley_store *s, int rc, const char *what)
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
    case SQLITE_NOMEM:
        return parley_fail(PARLEY_ERR_NOMEM, "%s: %s: out of memory", path, what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return parley_fail(PARLEY_ERR_DB, "%s: %s: the database is locked by another process (%s)", path, what, msg);
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

parley_status store_exec(parley_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? PARLEY_OK : store_fail(s, rc, what);
}

parley_status store_prepare(parley_store *s, const char *sql, sqlite3_stmt **st)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store is required");
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? PARLEY_OK : store_fail(s, rc, "preparing a query");
}

parley_status store_begin(parley_store *s)
{
    if (!s)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "store is required");
    return store_exec(s, "BEGIN IMMEDIATE", "starting a transaction");
}

parley_status store_commit(parley_store *s, const char *what) { return store_exec(s, "COMMIT", what); }

void store_rollback(parley_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not one
 * (a stray continuation byte, a truncated sequence, an overlong form, a surrogate, or a
 * code point past U+10FFFF), following RFC 3629's table. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

bool store_utf8_valid(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_seq(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

char *store_utf8_fix(const char *s, bool *changed)
{
    if (changed)
        *changed = false;
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1); /* each bad byte becomes 3 bytes at most */
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_seq(p);
        if (n) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD for one bad byte */
            o += 3;
            p++;
            if (changed)
                *changed = true;
        }
    }
    *o = '\0';
    return out;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (!v) {
        sqlite3_bind_null(st, i);
        return;
    }
    if (store_utf8_valid(v)) {
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
        return;
    }
    char *fixed = store_utf8_fix(v, NULL);
    if (fixed)
        sqlite3_bind_text(st, i, fixed, -1, free);
    else
        sqlite3_bind_null(st, i); /* out of memory: the NOT NULL constraint reports it */
}

char *store_col(sqlite3_stmt *st, int i, parley_status *err)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t) {
        if (sqlite3_column_type(st, i) != SQLITE_NULL && !*err)
            *err = parley_fail(PARLEY_ERR_NOMEM, "out of memory reading the database");
        return NULL;
    }
    char *r = store_utf8_valid(t) ? parley_strdup(t) : store_utf8_fix(t, NULL);
    if (!r && !*err)
        *err = parley_fail(PARLEY_ERR_NOMEM, "out of memory reading the database");
    return r;
}

parley_status store_grow(void **arr, size_t *cap, size_t cnt, size_t elem)
{
    if (cnt < *cap)
        return PARLEY_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = nc <= SIZE_MAX / elem ? realloc(*arr, nc * elem) : NULL;
    if (!na)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    memset((char *)na + *cap * elem, 0, (nc - *cap) * elem);
    *arr = na;
    *cap = nc;
    return PARLEY_OK;
}

parley_status store_session_exists(parley_store *s, int64_t id)
{
    sqlite3_stmt *q;
    parley_status st = store_prepare(s, "SELECT 1 FROM sessions WHERE id = ?", &q);
    if (st)
        return st;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return PARLEY_OK;
    if (rc == SQLITE_DONE)
        return parley_fail(PARLEY_ERR_NOT_FOUND, "no session %lld", (long long)id);
    return store_fail(s, rc, "looking up a session");
}
