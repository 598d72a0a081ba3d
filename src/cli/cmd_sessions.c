/* cmd_sessions.c: parley sessions list|show|export|rename|rm. */
#include "cli.h"

#include <parley/store.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char usage[] = "parley sessions list [--json]\n"
                            "       parley sessions show ID [--json]\n"
                            "       parley sessions export ID --format txt|srt|vtt|json|md [--out FILE]\n"
                            "       parley sessions rename ID TITLE\n"
                            "       parley sessions rm ID";

static bool parse_id(const char *s, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v <= 0)
        return false;
    *id = v;
    return true;
}

static int print_json_doc(yyjson_mut_doc *doc)
{
    size_t len;
    char *js = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &len);
    if (!js) {
        fprintf(stderr, "parley: out of memory writing JSON\n");
        return 1;
    }
    fwrite(js, 1, len, stdout);
    fputc('\n', stdout);
    free(js);
    return 0;
}

static int list(parley_store *db, bool json)
{
    parley_session_row *rows;
    size_t n;
    parley_status st = parley_store_list_sessions(db, &rows, &n);
    if (st)
        return cli_error(st, "sessions list");
    int rc = 0;
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *arr = yyjson_mut_arr(doc);
        yyjson_mut_doc_set_root(doc, arr);
        for (size_t i = 0; i < n; i++) {
            yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
            yyjson_mut_obj_add_int(doc, o, "id", rows[i].id);
            yyjson_mut_obj_add_strcpy(doc, o, "title", rows[i].title ? rows[i].title : "");
            yyjson_mut_obj_add_strcpy(doc, o, "created", rows[i].created ? rows[i].created : "");
            yyjson_mut_obj_add_real(doc, o, "duration", rows[i].duration_s);
            if (rows[i].source_path)
                yyjson_mut_obj_add_strcpy(doc, o, "source", rows[i].source_path);
            else
                yyjson_mut_obj_add_null(doc, o, "source");
            if (rows[i].language)
                yyjson_mut_obj_add_strcpy(doc, o, "language", rows[i].language);
            else
                yyjson_mut_obj_add_null(doc, o, "language");
            if (rows[i].model)
                yyjson_mut_obj_add_strcpy(doc, o, "model", rows[i].model);
            else
                yyjson_mut_obj_add_null(doc, o, "model");
            yyjson_mut_obj_add_int(doc, o, "segments", rows[i].n_segments);
        }
        rc = print_json_doc(doc);
        yyjson_mut_doc_free(doc);
    } else if (n == 0) {
        printf("No sessions yet. 'parley transcribe FILE' makes one.\n");
    } else {
        printf("%6s  %-20s  %8s  %4s  %5s  %s\n", "ID", "CREATED", "DURATION", "LANG", "SEGS", "TITLE");
        for (size_t i = 0; i < n; i++) {
            char dur[32];
            cli_fmt_duration(rows[i].duration_s, dur, sizeof dur);
            printf("%6lld  %-20s  %8s  %4s  %5lld  %s\n", (long long)rows[i].id, rows[i].created ? rows[i].created : "",
                   dur, rows[i].language ? rows[i].language : "-", (long long)rows[i].n_segments,
                   rows[i].title ? rows[i].title : "");
        }
    }
    parley_session_rows_free(rows, n);
    return rc;
}

static int emit(parley_store *db, int64_t id, parley_format fmt, const char *out, const char *what)
{
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
        return emit(db, id, PARLEY_FORMAT_JSON, NULL, "sessions show");
    parley_transcript t;
    parley_status st = parley_store_get_session(db, id, &t);
    if (st)
        return cli_error(st, "sessions show");
    char dur[32];
    cli_fmt_duration(t.duration_s, dur, sizeof dur);
    printf("Session %lld: %s\n  source:   %s\n  created:  %s\n  duration: %s\n  language: %s\n  model:    %s\n"
           "  segments: %zu\n\n",
           (long long)t.id, t.title ? t.title : "", t.source_path ? t.source_path : "-", t.created ? t.created : "-",
           dur, t.language ? t.language : "-", t.model ? t.model : "-", t.n_segments);
    parley_transcript_free(&t);
    return emit(db, id, PARLEY_FORMAT_TXT, NULL, "sessions show");
}

int cmd_sessions(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argv[1], "--help") || cli_flag(argv[1], "-h")) {
        printf("usage: %s\n", usage);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "recover")) /* cmd_live.c (live) */
        return cmd_sessions_recover(argc - 1, argv + 1);
    bool json = false;
    const char *format = NULL, *out = NULL, *v = NULL;
    const char *pos[3] = {0};
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_opt(argc, argv, &i, "--format", &v) || cli_opt(argc, argv, &i, "-f", &v)) {
            if (!v)
                return cli_usage_error(usage, "--format needs a value");
            format = v;
        } else if (cli_opt(argc, argv, &i, "--out", &v) || cli_opt(argc, argv, &i, "-o", &v)) {
            if (!v)
                return cli_usage_error(usage, "--out needs a value");
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(usage, "unknown option %s", argv[i]);
        else if (npos < 3)
            pos[npos++] = argv[i];
        else
            return cli_usage_error(usage, "too many arguments");
    }
    int64_t id = 0;
    bool needs_id = strcmp(sub, "list") != 0;
    if (!needs_id && npos)
        return cli_usage_error(usage, "'sessions list' takes no arguments");
    if (needs_id && !parse_id(pos[0], &id))
        return cli_usage_error(usage, "'sessions %s' needs a session id (a positive number)%s%s", sub,
                               pos[0] ? ", not " : "", pos[0] ? pos[0] : "");
    parley_store *db;
    parley_status st = parley_store_open(NULL, &db);
    if (st)
        return cli_error(st, "sessions: opening the session database");
    int rc;
    if (!strcmp(sub, "list"))
        rc = list(db, json);
    else if (!strcmp(sub, "show"))
        rc = show(db, id, json);
    else if (!strcmp(sub, "export")) {
        parley_format fmt;
        if (!format)
            rc = cli_usage_error(usage, "'sessions export' needs --format txt|srt|vtt|json|md");
        else if ((st = parley_format_parse(format, &fmt)))
            rc = cli_usage_error(usage, "%s", parley_last_error());
        else
            rc = emit(db, id, fmt, out, "sessions export");
    } else if (!strcmp(sub, "rename")) {
        rc = pos[1] ? ((st = parley_store_set_title(db, id, pos[1])) ? cli_error(st, "sessions rename") : 0)
                    : cli_usage_error(usage, "'sessions rename' needs ID and TITLE");
    } else if (!strcmp(sub, "rm")) {
        rc = (st = parley_store_delete_session(db, id)) ? cli_error(st, "sessions rm") : 0;
    } else {
        rc = cli_usage_error(usage, "unknown sessions command '%s'", sub);
    }
    parley_store_close(db);
    return rc;
}
