/* routes.c: the JSON API under /api/ (docs/api.md). Runs on a listener's I/O thread:
 * quick reads and writes on the store happen here; anything that waits on a model or the
 * network becomes a job (jobs.c) and answers 202 with the job's id at once. */
#include "server/server_internal.h"

#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/net.h>
#include <parley/remote.h>
#include <parley/settings.h>
#include <parley/tasks.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct route {
    srv_listener *l;
    parley_server *srv;
    struct MHD_Connection *c;
    const char *method;
    const char *body;
    size_t body_len;
    char *parts[SRV_MAX_PARTS]; /* path parts after /api/ (into path.buf) */
    int n;
    srv_path path;
} route;

static bool is(const route *r, const char *method) { return strcmp(r->method, method) == 0; }

static bool parse_id(const char *s, int64_t *out) { return srv_parse_id(s, out); }

static const char *arg(const route *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

static int64_t arg_int(const route *r, const char *name, int64_t dflt, int64_t lo, int64_t hi)
{
    return srv_arg_int(arg(r, name), dflt, lo, hi);
}

static enum MHD_Result fail(const route *r, parley_status st)
{
    return srv_send_error(r->c, srv_http_status(st), st, NULL);
}

static enum MHD_Result bad(const route *r, const char *detail)
{
    return srv_send_error(r->c, MHD_HTTP_BAD_REQUEST, PARLEY_ERR_INVALID_ARG, detail);
}

static enum MHD_Result not_allowed(const route *r)
{
    return srv_send_error(r->c, MHD_HTTP_METHOD_NOT_ALLOWED, PARLEY_ERR_INVALID_ARG,
                          "this method is not used on this address (docs/api.md)");
}

/* A new doc with an object root, for the common case. */
static yyjson_mut_doc *new_obj(yyjson_mut_val **root)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    *root = doc ? yyjson_mut_obj(doc) : NULL;
    if (doc)
        yyjson_mut_doc_set_root(doc, *root);
    return doc;
}

/* The request body as a JSON object; NULL (after answering 400) when it is not one. */
static yyjson_doc *body_json(const route *r, enum MHD_Result *ret)
{
    char msg[160];
    yyjson_doc *d = srv_body_object(r->body, r->body_len, msg, sizeof msg);
    if (!d)
        *ret = bad(r, msg);
    return d;
}

static enum MHD_Result job_accepted(const route *r, int64_t id)
{
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    if (!doc)
        return MHD_NO;
    yyjson_mut_obj_add_int(doc, o, "job", id);
    char ev[64];
    snprintf(ev, sizeof ev, "/api/jobs/%lld/events", (long long)id);
    yyjson_mut_obj_add_strcpy(doc, o, "events", ev);
    return srv_send_json(r->c, MHD_HTTP_ACCEPTED, doc);
}

/* A task job: also "remote": the team server that runs it, or null (this device). */
static enum MHD_Result task_accepted(const route *r, int64_t id, const char *remote)
{
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    if (!doc)
        return MHD_NO;
    yyjson_mut_obj_add_int(doc, o, "job", id);
    char ev[64];
    snprintf(ev, sizeof ev, "/api/jobs/%lld/events", (long long)id);
    yyjson_mut_obj_add_strcpy(doc, o, "events", ev);
    if (remote && *remote)
        yyjson_mut_obj_add_strcpy(doc, o, "remote", remote);
    else
        yyjson_mut_obj_add_null(doc, o, "remote");
    return srv_send_json(r->c, MHD_HTTP_ACCEPTED, doc);
}

/* ---- sessions ------------------------------------------------------------------------------ */

static enum MHD_Result sessions_list(route *r)
{
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    if (!doc)
        return MHD_NO;
    int64_t limit = arg_int(r, "limit", 50, 1, 500), offset = arg_int(r, "offset", 0, 0, INT64_MAX);
    const char *q = arg(r, "q");
    yyjson_mut_val *arr = yyjson_mut_arr(doc);
    int64_t total = 0;
    parley_status st = srv_store_list_json(r->l, q, arg(r, "status"), limit, offset, doc, arr, &total);
    if (st) {
        yyjson_mut_doc_free(doc);
        return fail(r, st);
    }
    yyjson_mut_obj_add_int(doc, o, "total", total);
    yyjson_mut_obj_add_int(doc, o, "offset", offset);
    yyjson_mut_obj_add_int(doc, o, "limit", limit);
    yyjson_mut_obj_add_val(doc, o, "sessions", arr);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static void add_latest(yyjson_mut_doc *doc, yyjson_mut_val *o, parley_store *db, int64_t id, const char *key,
                       const char *kind, const char *format)
{
    parley_artifact a;
    if (parley_store_latest_artifact(db, id, kind, format, &a) == PARLEY_OK) {
        yyjson_mut_obj_add_val(doc, o, key, parley_json_artifact(doc, &a));
        parley_artifact_free(&a);
    } else {
        yyjson_mut_obj_add_null(doc, o, key);
    }
}

/* The session's recording: its own (a live meeting's) first, else the file transcribed.
 * Writes "" when there is none on disk. */
static void recording_path(route *r, int64_t id, char *out, size_t n)
{
    out[0] = '\0';
    parley_session_row row;
    if (parley_store_get_session_row(r->l->db, id, &row) != PARLEY_OK)
        return;
    const char *cand[2] = {row.audio_path, row.source_path};
    struct stat sb;
    for (int i = 0; i < 2 && !out[0]; i++)
        if (cand[i] && stat(cand[i], &sb) == 0 && S_ISREG(sb.st_mode) && strlen(cand[i]) < n)
            strcpy(out, cand[i]);
    parley_session_row_clear(&row);
}

static enum MHD_Result session_show(route *r, int64_t id)
{
    parley_transcript t = {0};
    parley_status st = parley_store_get_session(r->l->db, id, &t);
    if (st)
        return fail(r, st);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = doc ? parley_json_transcript(doc, &t) : NULL;
    if (!o) {
        parley_transcript_free(&t);
        yyjson_mut_doc_free(doc);
        return MHD_NO;
    }
    yyjson_mut_doc_set_root(doc, o);
    char audio[PATH_MAX];
    recording_path(r, id, audio, sizeof audio);
    yyjson_mut_obj_add_bool(doc, o, "has_audio", audio[0] != '\0');
    parley_transcript_free(&t);
    add_latest(doc, o, r->l->db, id, "summary", "summary", "json");
    add_latest(doc, o, r->l->db, id, "summary_markdown", "summary", "markdown");
    add_latest(doc, o, r->l->db, id, "notes", "notes", NULL);
    add_latest(doc, o, r->l->db, id, "suggestions", "suggestions", NULL);
    parley_user_note *notes = NULL;
    size_t nn = 0;
    if (parley_store_user_notes_list(r->l->db, id, &notes, &nn) == PARLEY_OK) {
        yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, o, "typed_notes");
        for (size_t i = 0; i < nn; i++) {
            yyjson_mut_val *no = yyjson_mut_arr_add_obj(doc, arr);
            yyjson_mut_obj_add_int(doc, no, "id", notes[i].id);
            yyjson_mut_obj_add_int(doc, no, "t_ms", notes[i].t_ms);
            yyjson_mut_obj_add_strcpy(doc, no, "text", notes[i].text ? notes[i].text : "");
        }
        parley_user_notes_free(notes, nn);
    }
    parley_session_row row;
    if (parley_store_get_session_row(r->l->db, id, &row) == PARLEY_OK) {
        yyjson_mut_obj_add_str(doc, o, "status", parley_session_status_name(row.status));
        parley_session_row_clear(&row);
    }
    parley_chat_message *msgs = NULL;
    size_t n = 0;
    if (parley_store_list_chat(r->l->db, id, &msgs, &n) == PARLEY_OK) {
        yyjson_mut_obj_add_val(doc, o, "chat", parley_json_chat(doc, msgs, n));
        parley_chat_messages_free(msgs, n);
    }
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result session_rename(route *r, int64_t id)
{
    enum MHD_Result ret;
    yyjson_doc *d = body_json(r, &ret);
    if (!d)
        return ret;
    const char *title = srv_body_title(yyjson_doc_get_root(d));
    if (!title) {
        yyjson_doc_free(d);
        return bad(r, "give {\"title\": \"...\"} (1 to 500 bytes)");
    }
    parley_status st = parley_store_set_title(r->l->db, id, title);
    yyjson_doc_free(d);
    return st ? fail(r, st) : session_show(r, id);
}

static enum MHD_Result session_delete(route *r, int64_t id)
{
    parley_status st = parley_store_delete_session(r->l->db, id);
    if (st)
        return fail(r, st);
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    yyjson_mut_obj_add_int(doc, o, "deleted", id);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result session_export(route *r, int64_t id)
{
    const char *name = arg(r, "format");
    parley_format fmt;
    if (!name || parley_format_parse(name, &fmt) != PARLEY_OK)
        return bad(r, "format is one of txt, srt, vtt, json, md");
    char *out = NULL;
    size_t len = 0;
    parley_status st = parley_store_export(r->l->db, id, fmt, &out, &len);
    if (st)
        return fail(r, st);
    static const char *const types[] = {"text/plain; charset=utf-8", "application/x-subrip; charset=utf-8",
                                        "text/vtt; charset=utf-8", "application/json; charset=utf-8",
                                        "text/markdown; charset=utf-8"};
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(out);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", types[fmt]);
    char cd[96];
    snprintf(cd, sizeof cd, "attachment; filename=\"session-%lld.%s\"", (long long)id, name);
    MHD_add_response_header(resp, "Content-Disposition", cd);
    srv_add_security_headers(resp, true);
    enum MHD_Result ret = MHD_queue_response(r->c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

static const char *audio_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {{".wav", "audio/wav"},  {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
                                         {".opus", "audio/ogg"}, {".flac", "audio/flac"}, {".m4a", "audio/mp4"},
                                         {".mp4", "video/mp4"},  {".webm", "audio/webm"}};
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

static enum MHD_Result session_audio(route *r, int64_t id)
{
    parley_session_row row;
    parley_status st = parley_store_get_session_row(r->l->db, id, &row);
    if (st)
        return fail(r, st);
    parley_session_row_clear(&row);
    char path[PATH_MAX];
    recording_path(r, id, path, sizeof path);
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return srv_send_error(r->c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND,
                              "this meeting's recording is not on this computer");
    }
    const char *type = audio_type(path);
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    srv_add_security_headers(resp, true);
    enum MHD_Result ret = MHD_queue_response(r->c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result segment_edit(route *r, int64_t id, int64_t index)
{
    enum MHD_Result ret;
    yyjson_doc *d = body_json(r, &ret);
    if (!d)
        return ret;
    char *text;
    const char *speaker;
    if (!srv_body_segment_edit(yyjson_doc_get_root(d), &text, &speaker)) {
        yyjson_doc_free(d);
        return bad(r, "give {\"text\": \"...\"} and/or {\"speaker\": \"...\"}");
    }
    parley_status st = srv_store_segment_edit(r->l, id, index, text, speaker);
    free(text);
    yyjson_doc_free(d);
    if (st)
        return fail(r, st);
    parley_transcript t = {0};
    if ((st = parley_store_get_session(r->l->db, id, &t)))
        return fail(r, st);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = (size_t)index < t.n_segments ? parley_json_segment(doc, &t.segments[index], (size_t)index) : NULL;
    parley_transcript_free(&t);
    yyjson_mut_doc_set_root(doc, o);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result session_task(route *r, int64_t id, job_kind kind)
{
    parley_transcript t = {0};
    parley_status st = parley_store_get_session(r->l->db, id, &t);
    size_t nseg = t.n_segments;
    parley_transcript_free(&t);
    if (st)
        return fail(r, st);
    if (nseg == 0)
        return bad(r, "this session has no transcript to work from");
    /* The body is optional except for chat: {"question", "max_tokens", "item_chars",
     * "max_items", "remote", "local"}. */
    char *question = NULL;
    srv_task_limits lim = {0, 0, 0};
    char want_remote[64] = "";
    bool want_local = false;
    if (r->body_len || kind == JOB_ASK) {
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d)
            return ret;
        yyjson_val *root = yyjson_doc_get_root(d);
        int why = srv_body_task(root, kind == JOB_ASK, &question, &lim);
        if (!why)
            why = srv_body_task_remote(root, want_remote, sizeof want_remote, &want_local);
        yyjson_doc_free(d);
        if (why == 1)
            return bad(r, "max_tokens (1-65536), item_chars (1-4096) and max_items (1-64) are positive numbers");
        if (why == 2)
            return bad(r, "give {\"question\": \"...\"} (1 to 4000 bytes)");
        if (why == 3) {
            free(question);
            return bad(r, "\"remote\" is a team server's name (see 'parley remote list') and \"local\" is true or "
                          "false; not both");
        }
    }
    /* Which team server runs it: the one named, else the user's default unless "local". */
    char remote[64] = "";
    if (!want_local) {
        parley_remote_info info;
        st = parley_remote_get(NULL, want_remote[0] ? want_remote : NULL, &info);
        if (st == PARLEY_ERR_NOT_FOUND && !want_remote[0]) {
            st = PARLEY_OK; /* no default: this device */
        } else if (st == PARLEY_ERR_NOT_FOUND) {
            free(question);
            char msg[200];
            snprintf(msg, sizeof msg, "no team server named '%s' (see 'parley remote list'); nothing was run",
                     want_remote);
            return srv_send_error(r->c, MHD_HTTP_BAD_REQUEST, PARLEY_ERR_NOT_FOUND, msg);
        } else if (!st && parley_net_check(PARLEY_NET_TEAM_SERVER, info.url) != PARLEY_OK) {
            /* The network gate is set when serve starts (the default server's host only). */
            free(question);
            char msg[400];
            snprintf(msg, sizeof msg, "team server '%s' is not open to this 'parley serve': it reaches only the "
                     "default team server set when it started; make '%s' the default ('parley remote default %s') "
                     "and start it again. Nothing was sent", info.name, info.name, info.name);
            return srv_send_error(r->c, MHD_HTTP_FORBIDDEN, PARLEY_ERR_PERMISSION, msg);
        } else if (!st) {
            snprintf(remote, sizeof remote, "%s", info.name);
        }
        if (st) {
            free(question);
            return fail(r, st);
        }
    }
    int64_t job;
    st = srv_job_submit(r->srv, kind, id, NULL, question, &lim, remote, &job);
    free(question);
    return st ? fail(r, st) : task_accepted(r, job, remote);
}

static enum MHD_Result session_artifacts(route *r, int64_t id)
{
    parley_transcript t = {0};
    parley_status st = parley_store_get_session(r->l->db, id, &t);
    parley_transcript_free(&t);
    if (st)
        return fail(r, st);
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, o, "artifacts");
    if ((st = srv_store_artifacts_json(r->l, id, doc, arr))) {
        yyjson_mut_doc_free(doc);
        return fail(r, st);
    }
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result chat_clear(route *r, int64_t id)
{
    int64_t removed = 0;
    parley_status st = srv_store_chat_clear(r->l, id, &removed);
    if (st)
        return fail(r, st);
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    yyjson_mut_obj_add_int(doc, o, "removed", removed);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result sessions(route *r)
{
    if (r->n == 1)
        return is(r, "GET") ? sessions_list(r) : not_allowed(r);
    int64_t id;
    if (!parse_id(r->parts[1], &id))
        return bad(r, "a session id is a number");
    if (r->n == 2) {
        if (is(r, "GET"))
            return session_show(r, id);
        if (is(r, "PATCH"))
            return session_rename(r, id);
        if (is(r, "DELETE"))
            return session_delete(r, id);
        return not_allowed(r);
    }
    const char *what = r->parts[2];
    if (r->n == 3 && strcmp(what, "export") == 0)
        return is(r, "GET") ? session_export(r, id) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "audio") == 0)
        return is(r, "GET") ? session_audio(r, id) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "artifacts") == 0)
        return is(r, "GET") ? session_artifacts(r, id) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "summary") == 0)
        return is(r, "POST") ? session_task(r, id, JOB_SUMMARY) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "notes") == 0)
        return is(r, "POST") ? session_task(r, id, JOB_NOTES) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "suggestions") == 0)
        return is(r, "POST") ? session_task(r, id, JOB_SUGGEST) : not_allowed(r);
    if (r->n == 3 && strcmp(what, "chat") == 0) {
        if (is(r, "POST"))
            return session_task(r, id, JOB_ASK);
        if (is(r, "DELETE"))
            return chat_clear(r, id);
        return not_allowed(r);
    }
    int64_t index;
    if (r->n == 4 && strcmp(what, "segments") == 0 && parse_id(r->parts[3], &index))
        return is(r, "PATCH") ? segment_edit(r, id, index) : not_allowed(r);
    return srv_send_error(r->c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such address (docs/api.md)");
}

/* ---- artifacts, search ------------------------------------------------------------------- */

static enum MHD_Result artifacts(route *r)
{
    int64_t id;
    if (r->n != 2 || !parse_id(r->parts[1], &id))
        return srv_send_error(r->c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "use /api/artifacts/ID");
    if (is(r, "GET")) {
        parley_artifact a;
        parley_status st = srv_store_get_artifact(r->l, id, &a);
        if (st)
            return fail(r, st);
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_doc_set_root(doc, parley_json_artifact(doc, &a));
        parley_artifact_free(&a);
        return srv_send_json(r->c, MHD_HTTP_OK, doc);
    }
    if (is(r, "DELETE")) {
        parley_status st = srv_store_delete_artifact(r->l, id);
        if (st)
            return fail(r, st);
        yyjson_mut_val *o;
        yyjson_mut_doc *doc = new_obj(&o);
        yyjson_mut_obj_add_int(doc, o, "deleted", id);
        return srv_send_json(r->c, MHD_HTTP_OK, doc);
    }
    return not_allowed(r);
}

static enum MHD_Result search(route *r)
{
    if (!is(r, "GET"))
        return not_allowed(r);
    const char *q = arg(r, "q");
    if (!q || !*q)
        return bad(r, "give the words to find: /api/search?q=...");
    if (strlen(q) > 500)
        return bad(r, "a search is at most 500 bytes");
    int64_t limit = arg_int(r, "limit", 20, 1, 200), offset = arg_int(r, "offset", 0, 0, INT64_MAX);
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    if (!doc)
        return MHD_NO;
    yyjson_mut_obj_add_strcpy(doc, o, "query", q);
    yyjson_mut_val *hits = yyjson_mut_arr(doc);
    int64_t more = 0;
    parley_status st = srv_store_search(r->l, q, limit, offset, doc, hits, &more);
    if (st) {
        yyjson_mut_doc_free(doc);
        return fail(r, st);
    }
    yyjson_mut_obj_add_bool(doc, o, "more", more != 0);
    yyjson_mut_obj_add_int(doc, o, "offset", offset);
    yyjson_mut_obj_add_int(doc, o, "limit", limit);
    yyjson_mut_obj_add_val(doc, o, "hits", hits);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

/* ---- models, hw, settings ------------------------------------------------------------------- */

static parley_status open_catalog(parley_catalog **cat)
{
    struct parley_catalog_params cp = parley_catalog_default_params();
    return parley_catalog_open(&cp, cat);
}

static enum MHD_Result models_picker(route *r)
{
    parley_catalog *cat;
    parley_status st = open_catalog(&cat);
    if (st)
        return fail(r, st);
    struct parley_fit_params fp = parley_fit_default_params();
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = doc ? parley_json_model_picker(doc, cat, &r->srv->hw, &fp) : NULL;
    parley_catalog_free(cat);
    if (!o) {
        yyjson_mut_doc_free(doc);
        return fail(r, parley_fail(PARLEY_ERR_NOMEM, "model picker"));
    }
    yyjson_mut_doc_set_root(doc, o);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result models(route *r)
{
    if (r->n == 1 && is(r, "GET"))
        return models_picker(r);
    if (r->n == 1 && is(r, "POST")) { /* add an own GGUF by path */
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d)
            return ret;
        const char *path = srv_body_model_path(yyjson_doc_get_root(d));
        if (!path) {
            yyjson_doc_free(d);
            return bad(r, "give {\"path\": \"/absolute/path/to/model.gguf\"}");
        }
        parley_catalog *cat;
        parley_status st = open_catalog(&cat);
        const parley_model_info *m = NULL;
        if (!st)
            st = parley_catalog_add_own(cat, path, &m);
        yyjson_doc_free(d);
        if (st) {
            parley_catalog_free(cat);
            return fail(r, st);
        }
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_doc_set_root(doc, parley_json_model(doc, m));
        parley_catalog_free(cat);
        return srv_send_json(r->c, MHD_HTTP_CREATED, doc);
    }
    if (r->n < 2)
        return not_allowed(r);
    const char *id = r->parts[1];
    if (r->n == 2 && is(r, "DELETE")) {
        parley_catalog *cat;
        parley_status st = open_catalog(&cat);
        bool deleted = false;
        if (!st)
            st = parley_catalog_remove(cat, id, &deleted);
        parley_catalog_free(cat);
        if (st)
            return fail(r, st);
        yyjson_mut_val *o;
        yyjson_mut_doc *doc = new_obj(&o);
        yyjson_mut_obj_add_strcpy(doc, o, "removed", id);
        yyjson_mut_obj_add_bool(doc, o, "deleted_file", deleted);
        return srv_send_json(r->c, MHD_HTTP_OK, doc);
    }
    if (r->n == 3 && strcmp(r->parts[2], "use") == 0 && is(r, "POST")) {
        parley_catalog *cat;
        parley_status st = open_catalog(&cat);
        if (!st)
            st = parley_catalog_use(cat, id);
        parley_catalog_free(cat);
        return st ? fail(r, st) : models_picker(r);
    }
    if (r->n == 3 && strcmp(r->parts[2], "pull") == 0 && is(r, "POST")) {
        /* Cheap checks here, so that an unknown id is a 404 now rather than a failed job. */
        parley_catalog *cat;
        parley_status st = open_catalog(&cat);
        if (st)
            return fail(r, st);
        const parley_model_info *m = parley_catalog_find(cat, id);
        bool own = m && m->source == PARLEY_SOURCE_OWN;
        parley_catalog_free(cat);
        if (!m)
            return srv_send_error(r->c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no model with that id");
        if (own)
            return bad(r, "an own model is used where it is; there is nothing to download");
        int64_t job;
        if ((st = srv_job_submit(r->srv, JOB_PULL, 0, id, NULL, NULL, NULL, &job)))
            return fail(r, st);
        return job_accepted(r, job);
    }
    return not_allowed(r);
}

static enum MHD_Result settings(route *r)
{
    struct parley_settings s;
    parley_status st = parley_settings_load(r->srv->settings_path, &s);
    if (st)
        return fail(r, st);
    parley_catalog *cat;
    if ((st = open_catalog(&cat)))
        return fail(r, st);
    struct parley_device_settings dev;
    parley_catalog_settings(cat, &dev);
    if (is(r, "PUT") || is(r, "PATCH")) {
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d) {
            parley_catalog_free(cat);
            return ret;
        }
        st = parley_settings_apply_json(r->body, r->body_len, &s);
        yyjson_val *lf = yyjson_obj_get(yyjson_doc_get_root(d), "local_features");
        unsigned bits = dev.local_features;
        if (!st && lf)
            st = srv_body_local_features(lf, &bits);
        yyjson_doc_free(d);
        if (!st)
            st = parley_settings_save(r->srv->settings_path, &s);
        if (!st && bits != dev.local_features)
            st = parley_catalog_set_local_features(cat, bits);
        if (st) {
            parley_catalog_free(cat);
            return fail(r, st);
        }
        parley_catalog_settings(cat, &dev);
    } else if (!is(r, "GET")) {
        parley_catalog_free(cat);
        return not_allowed(r);
    }
    parley_catalog_free(cat);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = parley_json_settings(doc, &s);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_val *lfa = yyjson_mut_obj_add_arr(doc, o, "local_features");
    for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
        if (dev.local_features & b)
            yyjson_mut_arr_add_str(doc, lfa, parley_feature_name((parley_feature)b));
    yyjson_mut_obj_add_strcpy(doc, o, "llm_model", dev.llm_model);
    /* `parley serve --model` overrides the chosen model for this server's tasks. */
    if (r->srv->llm_model)
        yyjson_mut_obj_add_strcpy(doc, o, "serve_model", r->srv->llm_model);
    yyjson_mut_obj_add_strcpy(doc, o, "speech_model", dev.speech_model);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

static enum MHD_Result live(route *r)
{
    if (r->n == 1 && is(r, "GET"))
        return srv_live_status(r->srv, r->c);
    if (r->n == 1 && is(r, "POST")) {
        /* {"title", "mic_source", "system_source", "no_system", "input", "speed",
         * "language", "asr_model", "suggest", "suggest_interval", "summary"}: checked here,
         * used by the live worker. */
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d)
            return ret;
        bool ok = srv_body_live_start_ok(yyjson_doc_get_root(d));
        yyjson_doc_free(d);
        if (!ok)
            return bad(r, "title, mic_source, system_source, input, language and asr_model are strings, "
                          "no_system, suggest and summary true/false, speed a number >= 0, suggest_interval seconds > 0");
        char *body = strndup(r->body, r->body_len);
        int64_t job;
        parley_status st = body ? srv_job_submit(r->srv, JOB_LIVE, 0, NULL, body, NULL, NULL, &job) : PARLEY_ERR_NOMEM;
        free(body);
        if (st == PARLEY_ERR_INVALID_ARG)
            return srv_send_error(r->c, MHD_HTTP_CONFLICT, st, NULL);
        return st ? fail(r, st) : job_accepted(r, job);
    }
    if (r->n == 2 && strcmp(r->parts[1], "notes") == 0 && is(r, "POST")) {
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d)
            return ret;
        const char *text = srv_body_note_text(yyjson_doc_get_root(d));
        enum MHD_Result res = text
                                  ? srv_live_note(r->srv, r->c, text)
                                  : bad(r, "give {\"text\": \"...\"} (1 to 4000 bytes)");
        yyjson_doc_free(d);
        return res;
    }
    if (r->n == 2 && strcmp(r->parts[1], "ask") == 0 && is(r, "POST")) {
        enum MHD_Result ret;
        yyjson_doc *d = body_json(r, &ret);
        if (!d)
            return ret;
        char *q = NULL;
        srv_task_limits lim;
        int why = srv_body_task(yyjson_doc_get_root(d), true, &q, &lim);
        yyjson_doc_free(d);
        enum MHD_Result res = why == 0 && q ? srv_live_ask(r->srv, r->c, q)
                                            : bad(r, "give {\"question\": \"...\"} (1 to 4000 bytes)");
        free(q);
        return res;
    }
    if (r->n == 2 && strcmp(r->parts[1], "suggest") == 0 && is(r, "POST"))
        return srv_live_suggest(r->srv, r->c);
    if (r->n == 2 && strcmp(r->parts[1], "stop") == 0 && is(r, "POST"))
        return srv_live_stop(r->srv, r->c);
    return not_allowed(r);
}

static enum MHD_Result health(route *r)
{
    yyjson_mut_val *o;
    yyjson_mut_doc *doc = new_obj(&o);
    yyjson_mut_obj_add_str(doc, o, "name", "parley");
    yyjson_mut_obj_add_str(doc, o, "version", parley_version());
    /* Speech, storage and the pages are on this machine. Tasks run here too unless the user
     * set a default team server (or a request names one): "team_server" is that default's
     * name, or null. Never a fallback either way (docs/remote.md). */
    yyjson_mut_obj_add_bool(doc, o, "local", true);
    yyjson_mut_obj_add_str(doc, o, "mode", "local");
    parley_remote_info info;
    if (parley_remote_get(NULL, NULL, &info) == PARLEY_OK)
        yyjson_mut_obj_add_strcpy(doc, o, "team_server", info.name);
    else
        yyjson_mut_obj_add_null(doc, o, "team_server");
    yyjson_mut_obj_add_bool(doc, o, "live", true);
    return srv_send_json(r->c, MHD_HTTP_OK, doc);
}

enum MHD_Result srv_route_api(srv_listener *l, struct MHD_Connection *c, const char *method, const char *url,
                              const char *body, size_t body_len)
{
    route r;
    memset(&r, 0, sizeof r);
    r.l = l;
    r.srv = l->srv;
    r.c = c;
    r.method = method;
    r.body = body;
    r.body_len = body_len;
    srv_path_result pr = srv_path_split(url, &r.path);
    if (pr == SRV_PATH_TOO_LONG)
        return srv_send_error(c, MHD_HTTP_URI_TOO_LONG, PARLEY_ERR_TOO_LARGE, "address too long");
    if (pr == SRV_PATH_TOO_MANY)
        return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such address (docs/api.md)");
    r.n = r.path.n;
    for (int i = 0; i < r.n; i++)
        r.parts[i] = r.path.parts[i];
    if (r.n == 0 || strcmp(r.parts[0], "health") == 0)
        return health(&r);
    const char *top = r.parts[0];
    if (strcmp(top, "sessions") == 0)
        return sessions(&r);
    if (strcmp(top, "artifacts") == 0)
        return artifacts(&r);
    if (strcmp(top, "search") == 0 && r.n == 1)
        return search(&r);
    if (strcmp(top, "models") == 0)
        return models(&r);
    if (strcmp(top, "live") == 0)
        return live(&r);
    if (strcmp(top, "settings") == 0 && r.n == 1)
        return settings(&r);
    if (strcmp(top, "hw") == 0 && r.n == 1) {
        if (!is(&r, "GET"))
            return not_allowed(&r);
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_doc_set_root(doc, parley_json_hw(doc, &l->srv->hw));
        return srv_send_json(c, MHD_HTTP_OK, doc);
    }
    if (strcmp(top, "devices") == 0 && r.n == 1) {
        /* What a live meeting can record from; 503 with the reason when no sound server answers. */
        if (!is(&r, "GET"))
            return not_allowed(&r);
        parley_capture_source *src;
        size_t n;
        parley_status st = parley_capture_list_sources(&src, &n);
        if (st == PARLEY_ERR_NO_DEVICE || st == PARLEY_ERR_UNSUPPORTED)
            return srv_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, st, parley_last_error());
        if (st)
            return fail(&r, st);
        yyjson_mut_val *o;
        yyjson_mut_doc *doc = new_obj(&o);
        yyjson_mut_obj_add_val(doc, o, "devices", parley_json_capture_sources(doc, src, n));
        parley_capture_sources_free(src, n);
        return srv_send_json(c, MHD_HTTP_OK, doc);
    }
    if (strcmp(top, "jobs") == 0 && r.n >= 2) {
        int64_t id;
        if (!parse_id(r.parts[1], &id))
            return bad(&r, "a job id is a number");
        if (r.n == 2 && is(&r, "GET"))
            return srv_job_status(l->srv, c, id);
        if (r.n == 2 && is(&r, "DELETE"))
            return srv_job_cancel(l->srv, c, id);
        if (r.n == 3 && strcmp(r.parts[2], "events") == 0 && is(&r, "GET"))
            return srv_job_events(l->srv, c, id);
        return not_allowed(&r);
    }
    return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such address (docs/api.md)");
}
