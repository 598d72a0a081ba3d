/* cmd_search.c: parley search QUERY - full-text search across every stored session. */
#include "cli.h"

#include <parley/store.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

static const char usage[] = "parley search QUERY... [--limit N] [--offset N] [--json]";

static const char help[] =
    "Finds words across every stored session: transcripts, titles, summaries, notes (made by a\n"
    "model or typed during a meeting) and chat. Best matches first, with the time to jump to.\n"
    "\n"
    "The query is plain words; all of them must occur in the same line, title, summary...\n"
    "  \"exact phrase\"   words next to each other      budg*   words starting with budg\n"
    "Accents are ignored (resume finds résumé). Nothing else is special.\n"
    "\n"
    "  --limit N    hits per page (1-1000, default 20)\n"
    "  --offset N   skip the first N hits (the next page: --offset 20)\n"
    "  --json       hits as JSON: session_id, title, where, segment_index, t0_ms, snippet, ...\n";

static bool parse_count(const char *s, long long lo, long long hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static void fmt_time(int64_t ms, char *out, size_t n)
{
    if (ms < 0) {
        snprintf(out, n, "-");
        return;
    }
    long long s = ms / 1000;
    snprintf(out, n, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

static int print_json(const char *query, int64_t limit, int64_t offset, const parley_search_hit *h, size_t n)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc) {
        fprintf(stderr, "parley: search: out of memory\n");
        return 1;
    }
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_strcpy(doc, root, "query", query);
    yyjson_mut_obj_add_int(doc, root, "limit", limit);
    yyjson_mut_obj_add_int(doc, root, "offset", offset);
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "hits");
    for (size_t i = 0; i < n; i++) {
        char t[32];
        fmt_time(h[i].t0_ms, t, sizeof t);
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "session_id", h[i].session_id);
        yyjson_mut_obj_add_strcpy(doc, o, "title", h[i].session_title);
        yyjson_mut_obj_add_strcpy(doc, o, "created", h[i].session_created ? h[i].session_created : "");
        yyjson_mut_obj_add_str(doc, o, "where", h[i].where);
        yyjson_mut_obj_add_int(doc, o, "ref_id", h[i].ref_id);
        if (h[i].segment_index >= 0)
            yyjson_mut_obj_add_int(doc, o, "segment_index", h[i].segment_index);
        else
            yyjson_mut_obj_add_null(doc, o, "segment_index");
        if (h[i].t0_ms >= 0) {
            yyjson_mut_obj_add_int(doc, o, "t0_ms", h[i].t0_ms);
            yyjson_mut_obj_add_strcpy(doc, o, "time", t);
        } else {
            yyjson_mut_obj_add_null(doc, o, "t0_ms");
            yyjson_mut_obj_add_null(doc, o, "time");
        }
        yyjson_mut_obj_add_strcpy(doc, o, "snippet", h[i].snippet);
        yyjson_mut_obj_add_real(doc, o, "score", h[i].score);
    }
    size_t len;
    yyjson_write_err err;
    char *js = yyjson_mut_write_opts(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL, &len, &err);
    yyjson_mut_doc_free(doc);
    if (!js) {
        fprintf(stderr, "parley: search: writing JSON: %s\n", err.msg ? err.msg : "failed");
        return 1;
    }
    fwrite(js, 1, len, stdout);
    fputc('\n', stdout);
    free(js);
    return 0;
}

int cmd_search(int argc, char **argv)
{
    int64_t limit = 20, offset = 0;
    bool json = false;
    const char *v;
    char query[1100];
    size_t qlen = 0;
    query[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_flag(a, "--help") || cli_flag(a, "-h")) {
            printf("usage: %s\n\n%s", usage, help);
            return 0;
        } else if (cli_flag(a, "--json")) {
            json = true;
        } else if (cli_opt(argc, argv, &i, "--limit", &v) || cli_opt(argc, argv, &i, "-n", &v)) {
            if (!parse_count(v, 1, 1000, &limit))
                return cli_usage_error(usage, "--limit needs a number from 1 to 1000");
        } else if (cli_opt(argc, argv, &i, "--offset", &v)) {
            if (!parse_count(v, 0, INT64_MAX / 2, &offset))
                return cli_usage_error(usage, "--offset needs a number from 0");
        } else if (cli_flag(a, "--")) {
            for (i++; i < argc; i++) {
                int w = snprintf(query + qlen, sizeof query - qlen, "%s%s", qlen ? " " : "", argv[i]);
                if (w < 0 || (size_t)w >= sizeof query - qlen)
                    return cli_usage_error(usage, "the query is too long (at most 1000 bytes)");
                qlen += (size_t)w;
            }
        } else if (a[0] == '-' && a[1] && a[1] == '-') {
            return cli_usage_error(usage, "unknown option %s (to search for it: parley search -- %s)", a, a);
        } else {
            int w = snprintf(query + qlen, sizeof query - qlen, "%s%s", qlen ? " " : "", a);
            if (w < 0 || (size_t)w >= sizeof query - qlen)
                return cli_usage_error(usage, "the query is too long (at most 1000 bytes)");
            qlen += (size_t)w;
        }
    }
    if (!qlen)
        return cli_usage_error(usage, "what to search for? e.g. parley search budget");
    parley_store *db;
    parley_status st = cli_store_open_read(&db);
    if (st == PARLEY_ERR_NOT_FOUND) {
        if (json)
            return print_json(query, limit, offset, NULL, 0);
        printf("No sessions yet. 'parley transcribe FILE' makes one.\n");
        return 0;
    }
    if (st)
        return cli_error(st, "search: opening the session database");
    struct parley_search_params p = parley_search_default_params();
    p.limit = limit;
    p.offset = offset;
    bool tty = isatty(1);
    if (tty && !json) {
        p.mark_open = "\x02";
        p.mark_close = "\x03";
    }
    parley_search_hit *h = NULL;
    size_t n = 0;
    st = parley_store_search(db, query, &p, &h, &n);
    int rc = 0;
    if (st == PARLEY_ERR_INVALID_ARG)
        rc = cli_usage_error(usage, "%s", parley_last_error());
    else if (st)
        rc = cli_error(st, "search");
    else if (json)
        rc = print_json(query, limit, offset, h, n);
    else if (n == 0)
        printf(offset ? "No more matches.\n" : "No matches.\n");
    else {
        for (size_t i = 0; i < n; i++) {
            char t[32];
            fmt_time(h[i].t0_ms, t, sizeof t);
            printf("%6lld  %-8s  %-7s  ", (long long)h[i].session_id, t, h[i].where);
            cli_put_safe(stdout, h[i].session_title);
            fputs("\n        ", stdout);
            /* The snippet's marks (STX/ETX, chosen above for a terminal) become bold;
             * everything else is printed safely. */
            char *snip = h[i].snippet;
            for (char *c = snip; *c; c++) {
                if (*c == '\x02' || *c == '\x03') {
                    char keep = *c;
                    *c = '\0';
                    cli_put_safe(stdout, snip);
                    fputs(keep == '\x02' ? "\x1b[1m" : "\x1b[0m", stdout);
                    snip = c + 1;
                }
            }
            cli_put_safe(stdout, snip);
            fputc('\n', stdout);
        }
        if (n == (size_t)limit)
            printf("(more: --offset %lld)\n", (long long)(offset + limit));
    }
    parley_search_hits_free(h, n);
    parley_store_close(db);
    return rc;
}
