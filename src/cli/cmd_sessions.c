/* cmd_sessions.c: parley sessions list|show|export|rename|rm|artifacts|artifact-rm|edit|chat-clear. */
#include "cli.h"

#include <parley/store.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

static const char usage[] =
    "parley sessions list [--limit N] [--offset N] [--status S] [--query WORDS] [--json]\n"
    "       parley sessions show ID [--json]\n"
    "       parley sessions export ID --format txt|srt|vtt|json|md [--out FILE [--force]]\n"
    "       parley sessions rename ID TITLE\n"
    "       parley sessions rm ID [--keep-audio]\n"
    "       parley sessions artifacts ID [--json]\n"
    "       parley sessions artifact-rm ARTIFACT_ID\n"
    "       parley sessions edit ID SEGMENT_INDEX [--text TEXT] [--speaker NAME]\n"
    "       parley sessions chat-clear ID\n"
    "       parley sessions recover [--json]";

static const char help[] =
    "\n"
    "  list          sessions, newest first; --status live|finished|interrupted|recovered,\n"
    "                --query WORDS (sessions where 'parley search WORDS' finds something),\n"
    "                --limit/--offset for pages\n"
    "  show          a session's details, summary, notes and transcript\n"
    "  export        the transcript (txt, srt, vtt) or everything (json, md) to stdout or --out\n"
    "                FILE; an existing FILE needs --force, the session's recording is refused\n"
    "  rename        give a session a new title\n"
    "  rm            delete a session, what was made from it and its own recording\n"
    "                (--keep-audio leaves the recording file)\n"
    "  artifacts     the summaries, notes and suggestions stored for a session, with their ids\n"
    "  artifact-rm   delete one of them by id (see 'artifacts')\n"
    "  edit          correct a transcript line: SEGMENT_INDEX counts from 0 as 'show' lists them;\n"
    "                --speaker \"\" clears the speaker\n"
    "  chat-clear    delete a session's chat history ('ask' starts afresh)\n"
    "  recover       find meetings interrupted by a crash, transcribe their journals and\n"
    "                store them, marked recovered\n";

enum {
    O_JSON = 1 << 0,
    O_FORMAT = 1 << 1,
    O_OUT = 1 << 2,
    O_PAGE = 1 << 3, /* --limit, --offset, --status, --query */
    O_TEXT = 1 << 4, /* --text, --speaker */
    O_KEEP = 1 << 5, /* --keep-audio */
    O_FORCE = 1 << 6, /* --force */
};

typedef struct opts {
    bool json, keep_audio, force;
    const char *format, *out, *status, *query, *text, *speaker;
    int64_t limit, offset;
    const char *pos[3];
    int npos;
} opts;

static bool parse_num(const char *s, int64_t lo, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || x < lo)
        return false;
    *v = x;
    return true;
}

static bool parse_id(const char *s, int64_t *id) { return parse_num(s, 1, id); }

static int print_json_doc(yyjson_mut_doc *doc)
{
    size_t len;
    yyjson_write_err err;
    char *js = yyjson_mut_write_opts(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL, &len, &err);
    if (!js) {
        fprintf(stderr, "parley: writing JSON: %s\n", err.msg ? err.msg : "failed");
        return 1;
    }
    fwrite(js, 1, len, stdout);
    fputc('\n', stdout);
    free(js);
    return 0;
}

static void add_str_or_null(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *k, const char *v)
{
    if (v)
        yyjson_mut_obj_add_strcpy(doc, o, k, v);
    else
        yyjson_mut_obj_add_null(doc, o, k);
}

static int list(parley_store *db, const opts *o)
{
    parley_session_filter f = parley_session_default_filter();
    f.limit = o->limit;
    f.offset = o->offset;
    f.query = o->query;
    if (o->status) {
        parley_session_status s;
        if (parley_session_status_parse(o->status, &s))
            return cli_usage_error(usage, "%s", parley_last_error());
        f.status = (int)s;
    }
    parley_session_row *rows = NULL;
    size_t n = 0;
    parley_status st = db ? parley_store_list_sessions_ex(db, &f, &rows, &n) : PARLEY_OK;
    if (st == PARLEY_ERR_INVALID_ARG)
        return cli_usage_error(usage, "--query: %s", parley_last_error());
    if (st)
        return cli_error(st, "sessions list");
    int rc = 0;
    if (o->json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *arr = yyjson_mut_arr(doc);
        yyjson_mut_doc_set_root(doc, arr);
        for (size_t i = 0; i < n; i++) {
            yyjson_mut_val *x = yyjson_mut_arr_add_obj(doc, arr);
            yyjson_mut_obj_add_int(doc, x, "id", rows[i].id);
            yyjson_mut_obj_add_strcpy(doc, x, "title", rows[i].title ? rows[i].title : "");
            yyjson_mut_obj_add_strcpy(doc, x, "created", rows[i].created ? rows[i].created : "");
            yyjson_mut_obj_add_real(doc, x, "duration", rows[i].duration_s);
            add_str_or_null(doc, x, "source", rows[i].source_path);
            add_str_or_null(doc, x, "language", rows[i].language);
            add_str_or_null(doc, x, "model", rows[i].model);
            yyjson_mut_obj_add_int(doc, x, "segments", rows[i].n_segments);
            yyjson_mut_obj_add_str(doc, x, "status", parley_session_status_name(rows[i].status));
            add_str_or_null(doc, x, "ended", rows[i].ended);
            add_str_or_null(doc, x, "audio", rows[i].audio_path);
        }
        rc = print_json_doc(doc);
        yyjson_mut_doc_free(doc);
    } else if (n == 0) {
        if (o->query || o->status || o->offset)
            printf("No sessions match.\n");
        else
            printf("No sessions yet. 'parley transcribe FILE' makes one.\n");
    } else {
        printf("%6s  %-20s  %8s  %4s  %5s  %-9s  %s\n", "ID", "CREATED", "DURATION", "LANG", "SEGS", "STATUS",
               "TITLE");
        for (size_t i = 0; i < n; i++) {
            char dur[32];
            cli_fmt_duration(rows[i].duration_s, dur, sizeof dur);
            /* Language and title are stored text: printed without control characters. */
            char lang[8] = "-";
            if (rows[i].language)
                for (size_t k = 0; k < sizeof lang - 1; k++) {
                    unsigned char c = (unsigned char)rows[i].language[k];
                    lang[k] = (char)(c == 0 ? 0 : c < 0x20 || c >= 0x7f ? '?' : c);
                    lang[k + 1] = '\0';
                    if (!c)
                        break;
                }
            printf("%6lld  %-20s  %8s  %4s  %5lld  %-9s  ", (long long)rows[i].id,
                   rows[i].created ? rows[i].created : "", dur, lang, (long long)rows[i].n_segments,
                   parley_session_status_name(rows[i].status));
            cli_put_safe(stdout, rows[i].title);
            fputc('\n', stdout);
        }
    }
    parley_session_rows_free(rows, n);
    return rc;
}

/* Prints text line by line with control characters replaced, keeping its newlines. */
static void put_lines(const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        fputs(indent, stdout);
        cli_put_safe(stdout, line ? line : "");
        fputc('\n', stdout);
        free(line);
        p += n + (nl ? 1 : 0);
    }
}

/* Whether out names the same file as one of the session's own recordings. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int emit(parley_store *db, int64_t id, parley_format fmt, const char *out, bool force, const char *what)
{
    if (out) {
        parley_session_row row;
        parley_status st = parley_store_get_session_row(db, id, &row);
        if (st)
            return cli_error(st, what);
        bool clash = same_file(out, row.source_path) || same_file(out, row.audio_path);
        parley_session_row_clear(&row);
        if (clash) {
            fprintf(stderr, "parley: %s: --out %s is the session's own recording; choose another file\n", what, out);
            return 1;
        }
        struct stat so;
        if (stat(out, &so) == 0 && S_ISDIR(so.st_mode)) {
            fprintf(stderr, "parley: %s: --out %s is a directory; name a file\n", what, out);
            return 1;
        }
        if (!force && lstat(out, &so) == 0) {
            fprintf(stderr, "parley: %s: --out %s exists; pass --force to replace it\n", what, out);
            return 1;
        }
    }
    char *text;
    size_t len;
    parley_status st = parley_store_export(db, id, fmt, &text, &len);
    if (st)
        return cli_error(st, what);
    int rc = 0;
    if (out) {
        st = parley_write_file_atomic(out, text, len);
        if (st)
            rc = cli_error(st, what);
    } else if (isatty(1) && fmt != PARLEY_FORMAT_JSON) {
        /* On a terminal, stored text must not drive it (JSON escapes control characters
         * itself); into a pipe or file the export stays byte for byte. */
        put_lines(text, "");
        if (fflush(stdout) != 0)
            rc = 1;
    } else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "parley: %s: writing standard output failed: %s\n", what, strerror(errno));
        rc = 1;
    }
    free(text);
    return rc;
}

static int show(parley_store *db, int64_t id, bool json)
{
    if (json)
        return emit(db, id, PARLEY_FORMAT_JSON, NULL, false, "sessions show");
    parley_session_row r;
    parley_status st = parley_store_get_session_row(db, id, &r);
    if (st)
        return cli_error(st, "sessions show");
    char dur[32];
    cli_fmt_duration(r.duration_s, dur, sizeof dur);
    printf("Session %lld: ", (long long)r.id);
    cli_put_safe(stdout, r.title);
    printf("\n  status:   %s\n  source:   ", parley_session_status_name(r.status));
    cli_put_safe(stdout, r.source_path ? r.source_path : "-");
    printf("\n  created:  %s\n  duration: %s\n  language: ", r.created ? r.created : "-", dur);
    cli_put_safe(stdout, r.language ? r.language : "-");
    fputs("\n  model:    ", stdout);
    cli_put_safe(stdout, r.model ? r.model : "-");
    if (r.audio_path) {
        fputs("\n  audio:    ", stdout);
        cli_put_safe(stdout, r.audio_path);
    }
    printf("\n  segments: %lld\n\n", (long long)r.n_segments);
    parley_session_row_clear(&r);

    const char *kinds[] = {"summary", "notes"}, *heads[] = {"Summary", "Notes"};
    for (int k = 0; k < 2; k++) {
        parley_artifact a;
        st = parley_store_latest_artifact(db, id, kinds[k], "markdown", &a);
        if (st == PARLEY_OK) {
            printf("%s (%s, %s):\n", heads[k], a.model ? a.model : "?", a.created ? a.created : "?");
            put_lines(a.content, "  ");
            fputc('\n', stdout);
            parley_artifact_free(&a);
        } else if (st != PARLEY_ERR_NOT_FOUND) {
            return cli_error(st, "sessions show");
        }
    }
    parley_user_note *notes;
    size_t n;
    if ((st = parley_store_user_notes_list(db, id, &notes, &n)))
        return cli_error(st, "sessions show");
    if (n) {
        printf("Typed notes:\n");
        for (size_t i = 0; i < n; i++) {
            long long s = notes[i].t_ms / 1000;
            printf("  [%02lld:%02lld:%02lld] ", s / 3600, s / 60 % 60, s % 60);
            cli_put_safe(stdout, notes[i].text);
            fputc('\n', stdout);
        }
        fputc('\n', stdout);
    }
    parley_user_notes_free(notes, n);
    char *text;
    size_t len;
    if ((st = parley_store_export(db, id, PARLEY_FORMAT_TXT, &text, &len)))
        return cli_error(st, "sessions show");
    printf("Transcript:\n");
    put_lines(text, "");
    free(text);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "parley: sessions show: writing standard output failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

static int artifacts(parley_store *db, int64_t id, bool json)
{
    parley_artifact_info *a;
    size_t n;
    parley_status st = parley_store_list_artifacts(db, id, &a, &n);
    if (st)
        return cli_error(st, "sessions artifacts");
    int rc = 0;
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *arr = yyjson_mut_arr(doc);
        yyjson_mut_doc_set_root(doc, arr);
        for (size_t i = 0; i < n; i++) {
            yyjson_mut_val *x = yyjson_mut_arr_add_obj(doc, arr);
            yyjson_mut_obj_add_int(doc, x, "id", a[i].id);
            yyjson_mut_obj_add_int(doc, x, "session_id", a[i].session_id);
            yyjson_mut_obj_add_strcpy(doc, x, "kind", a[i].kind ? a[i].kind : "");
            yyjson_mut_obj_add_strcpy(doc, x, "format", a[i].format ? a[i].format : "");
            add_str_or_null(doc, x, "model", a[i].model);
            yyjson_mut_obj_add_strcpy(doc, x, "created", a[i].created ? a[i].created : "");
            yyjson_mut_obj_add_int(doc, x, "size", a[i].size);
        }
        rc = print_json_doc(doc);
        yyjson_mut_doc_free(doc);
    } else if (n == 0) {
        printf("Session %lld has no summaries, notes or suggestions yet.\n", (long long)id);
    } else {
        printf("%6s  %-12s  %-8s  %-20s  %8s  %s\n", "ID", "KIND", "FORMAT", "CREATED", "BYTES", "MODEL");
        for (size_t i = 0; i < n; i++) {
            printf("%6lld  ", (long long)a[i].id);
            cli_put_safe(stdout, a[i].kind);
            printf("%*s  ", (int)(a[i].kind && strlen(a[i].kind) < 12 ? 12 - strlen(a[i].kind) : 0), "");
            cli_put_safe(stdout, a[i].format);
            printf("%*s  %-20s  %8lld  ", (int)(a[i].format && strlen(a[i].format) < 8 ? 8 - strlen(a[i].format) : 0),
                   "", a[i].created ? a[i].created : "", (long long)a[i].size);
            cli_put_safe(stdout, a[i].model ? a[i].model : "-");
            fputc('\n', stdout);
        }
    }
    parley_artifact_infos_free(a, n);
    return rc;
}

static const struct sub {
    const char *name;
    int min_pos, max_pos; /* positional arguments after the subcommand */
    unsigned opts;
    bool writes;
} subs[] = {
    {"list", 0, 0, O_JSON | O_PAGE, false},       {"show", 1, 1, O_JSON, false},
    {"export", 1, 1, O_FORMAT | O_OUT | O_FORCE, false},    {"rename", 2, 2, 0, true},
    {"rm", 1, 1, O_KEEP, true},                   {"artifacts", 1, 1, O_JSON, false},
    {"artifact-rm", 1, 1, 0, true},               {"edit", 2, 2, O_TEXT, true},
    {"chat-clear", 1, 1, 0, true},
};

/* Returns -1 to go on, else the exit code. */
static int parse(const struct sub *sc, int argc, char **argv, opts *o)
{
    const char *v;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int before = i;
        unsigned need = 0;
        const char **dst = NULL;
        const char *name = a;
        if (cli_flag(a, "--json")) {
            need = O_JSON;
            o->json = true;
        } else if (cli_flag(a, "--keep-audio")) {
            need = O_KEEP;
            o->keep_audio = true;
        } else if (cli_flag(a, "--force")) {
            need = O_FORCE;
            o->force = true;
        } else if (cli_opt(argc, argv, &i, "--format", &v) || cli_opt(argc, argv, &i, "-f", &v)) {
            need = O_FORMAT, dst = &o->format;
        } else if (cli_opt(argc, argv, &i, "--out", &v) || cli_opt(argc, argv, &i, "-o", &v)) {
            need = O_OUT, dst = &o->out;
        } else if (cli_opt(argc, argv, &i, "--status", &v)) {
            need = O_PAGE, dst = &o->status;
        } else if (cli_opt(argc, argv, &i, "--query", &v) || cli_opt(argc, argv, &i, "-q", &v)) {
            need = O_PAGE, dst = &o->query;
        } else if (cli_opt(argc, argv, &i, "--text", &v)) {
            need = O_TEXT, dst = &o->text;
        } else if (cli_opt(argc, argv, &i, "--speaker", &v)) {
            need = O_TEXT, dst = &o->speaker;
        } else if (cli_opt(argc, argv, &i, "--limit", &v) || cli_opt(argc, argv, &i, "-n", &v)) {
            need = O_PAGE;
            if (!v || !parse_num(v, 1, &o->limit))
                return cli_usage_error(usage, "--limit needs a number from 1");
        } else if (cli_opt(argc, argv, &i, "--offset", &v)) {
            need = O_PAGE;
            if (!v || !parse_num(v, 0, &o->offset))
                return cli_usage_error(usage, "--offset needs a number from 0");
        } else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            return cli_usage_error(usage, "unknown option %s", a);
        } else {
            if (o->npos >= sc->max_pos)
                return cli_usage_error(usage, "'sessions %s' takes %d argument%s; unexpected '%s'", sc->name,
                                       sc->max_pos, sc->max_pos == 1 ? "" : "s", a);
            o->pos[o->npos++] = a;
            continue;
        }
        if (!(sc->opts & need))
            return cli_usage_error(usage, "'sessions %s' does not take %.*s", sc->name,
                                   (int)strcspn(argv[before], "="), name);
        if (dst) {
            if (!v)
                return cli_usage_error(usage, "%.*s needs a value", (int)strcspn(argv[before], "="), name);
            *dst = v;
        }
    }
    return -1;
}

int cmd_sessions(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argv[1], "--help") || cli_flag(argv[1], "-h")) {
        printf("usage: %s\n%s", usage, argc < 2 ? "" : help);
        return argc < 2 ? 2 : 0;
    }
    const char *name = argv[1];
    if (!strcmp(name, "recover")) /* cmd_live.c (live) */
        return cmd_sessions_recover(argc - 1, argv + 1);
    const struct sub *sc = NULL;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(subs[i].name, name))
            sc = &subs[i];
    if (!sc)
        return cli_usage_error(usage, "unknown subcommand '%s'", name);
    for (int i = 2; i < argc; i++)
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n%s", usage, help);
            return 0;
        }
    opts o = {0};
    int rc = parse(sc, argc, argv, &o);
    if (rc >= 0)
        return rc;
    int64_t id = 0, idx = 0;
    if (sc->min_pos > 0 && !parse_id(o.pos[0], &id))
        return cli_usage_error(usage, "'sessions %s' needs a%s id (a positive number)%s%s", name,
                               !strcmp(name, "artifact-rm") ? "n artifact" : " session", o.pos[0] ? ", not " : "",
                               o.pos[0] ? o.pos[0] : "");
    if (!strcmp(name, "rename") && (o.npos < 2 || !*o.pos[1]))
        return cli_usage_error(usage, "'sessions rename' needs ID and a TITLE that is not empty");
    if (!strcmp(name, "edit")) {
        if (o.npos < 2 || !parse_num(o.pos[1], 0, &idx))
            return cli_usage_error(usage, "'sessions edit' needs ID and SEGMENT_INDEX (0 for the first line)");
        if (!o.text && !o.speaker)
            return cli_usage_error(usage, "'sessions edit' needs --text TEXT and/or --speaker NAME");
        if (o.text && !*o.text)
            return cli_usage_error(usage, "--text may not be empty");
    }
    if (!strcmp(name, "export") && !o.format)
        return cli_usage_error(usage, "'sessions export' needs --format txt|srt|vtt|json|md");
    parley_format fmt = PARLEY_FORMAT_TXT;
    if (o.format && parley_format_parse(o.format, &fmt))
        return cli_usage_error(usage, "%s", parley_last_error());

    parley_store *db = NULL;
    parley_status st = sc->writes ? parley_store_open(NULL, &db) : cli_store_open_read(&db);
    if (st == PARLEY_ERR_NOT_FOUND && !strcmp(name, "list")) {
        db = NULL; /* no database yet, and none can be made here: nothing to list */
    } else if (st) {
        return cli_error(st, "sessions: opening the session database");
    }
    if (!strcmp(name, "list")) {
        rc = list(db, &o);
    } else if (!strcmp(name, "show")) {
        rc = show(db, id, o.json);
    } else if (!strcmp(name, "export")) {
        if (o.force && !o.out)
            rc = cli_usage_error(usage, "--force goes with --out FILE");
        else
            rc = emit(db, id, fmt, o.out, o.force, "sessions export");
    } else if (!strcmp(name, "rename")) {
        if ((st = parley_store_set_title(db, id, o.pos[1])))
            rc = cli_error(st, "sessions rename");
        else {
            printf("Renamed session %lld to \"", (long long)id);
            cli_put_safe(stdout, o.pos[1]);
            printf("\".\n");
            rc = 0;
        }
    } else if (!strcmp(name, "rm")) {
        parley_session_row r;
        if ((st = parley_store_get_session_row(db, id, &r))) {
            rc = cli_error(st, "sessions rm");
        } else {
            st = parley_store_delete_session_ex(db, id, o.keep_audio ? PARLEY_STORE_KEEP_AUDIO : 0);
            if (st)
                rc = cli_error(st, "sessions rm");
            else {
                printf("Deleted session %lld (\"", (long long)id);
                cli_put_safe(stdout, r.title);
                printf("\")%s", r.audio_path ? (o.keep_audio ? "; its recording was kept: " : " and its recording")
                                             : ".");
                if (r.audio_path && o.keep_audio)
                    cli_put_safe(stdout, r.audio_path);
                printf("%s\n", r.audio_path ? (o.keep_audio ? "" : ".") : "");
                rc = 0;
            }
            parley_session_row_clear(&r);
        }
    } else if (!strcmp(name, "artifacts")) {
        rc = artifacts(db, id, o.json);
    } else if (!strcmp(name, "artifact-rm")) {
        parley_artifact a;
        if ((st = parley_store_get_artifact(db, id, &a)) || (st = parley_store_delete_artifact(db, id))) {
            rc = cli_error(st, "sessions artifact-rm");
        } else {
            printf("Deleted artifact %lld (", (long long)id);
            cli_put_safe(stdout, a.kind);
            printf(", %s, of session %lld).\n", a.created ? a.created : "?", (long long)a.session_id);
            rc = 0;
        }
        parley_artifact_free(&a);
    } else if (!strcmp(name, "edit")) {
        if ((st = parley_store_segment_edit(db, id, idx, o.text, o.speaker)))
            rc = cli_error(st, "sessions edit");
        else {
            printf("Updated line %lld of session %lld.\n", (long long)idx, (long long)id);
            rc = 0;
        }
    } else { /* chat-clear */
        int64_t removed = 0;
        if ((st = parley_store_chat_clear(db, id, &removed)))
            rc = cli_error(st, "sessions chat-clear");
        else {
            printf("Deleted %lld chat message%s of session %lld.\n", (long long)removed, removed == 1 ? "" : "s",
                   (long long)id);
            rc = 0;
        }
    }
    parley_store_close(db);
    return rc;
}
