/* export.c: a stored session rendered for people (md) or scripts (json), with what was
 * made from it; plain transcript formats (txt, srt, vtt) go straight to transcript.c.
 *
 * The Markdown is rendered here in full (not spliced into transcript.c's rendering):
 * stored text such as a title can hold anything, "## Transcript" included, and every
 * piece of it is escaped so that it reads as text, never as Markdown or HTML. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

/* The newest artifact of kind/format, or NULL content when there is none. */
static parley_status latest(parley_store *db, int64_t id, const char *kind, const char *format, parley_artifact *a)
{
    parley_status st = parley_store_latest_artifact(db, id, kind, format, a);
    if (st == PARLEY_ERR_NOT_FOUND) {
        parley_clear_error();
        return PARLEY_OK;
    }
    return st;
}

/* Appends s as Markdown text: characters with a Markdown or HTML meaning escaped, line
 * breaks (and other control characters) turned into spaces so one item stays one line. */
static parley_status md_text(parley_buf *b, const char *s)
{
    parley_status st = PARLEY_OK;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && !st; p++) {
        if (*p == '<')
            st = parley_buf_append(b, "&lt;", 4);
        else if (*p == '>')
            st = parley_buf_append(b, "&gt;", 4);
        else if (*p == '&')
            st = parley_buf_append(b, "&amp;", 5);
        else if (*p < 0x20 || *p == 0x7f)
            st = parley_buf_append(b, " ", 1);
        else if (strchr("\\`*_[]#|~!", *p)) {
            char e[2] = {'\\', (char)*p};
            st = parley_buf_append(b, e, 2);
        } else
            st = parley_buf_append(b, p, 1);
    }
    return st;
}

static parley_status md_stamp(parley_buf *b, int64_t ms)
{
    return parley_buf_printf(b, "%02lld:%02lld:%02lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                             (long long)(ms / 1000 % 60));
}

/* A stored Markdown artifact (a summary or notes made by a model) is Markdown on
 * purpose; it is kept as it is, with a final newline. */
static parley_status md_section(parley_buf *b, const char *head, const char *body)
{
    parley_status st = parley_buf_printf(b, "## %s\n\n%s", head, body);
    size_t n = strlen(body);
    if (!st)
        st = parley_buf_append(b, n && body[n - 1] == '\n' ? "\n" : "\n\n", n && body[n - 1] == '\n' ? 1 : 2);
    return st;
}

static parley_status export_md(parley_store *db, const parley_transcript *t, const parley_session_row *row,
                               parley_buf *b)
{
    parley_artifact sum = {0}, notes = {0};
    parley_user_note *un = NULL;
    parley_chat_message *chat = NULL;
    size_t n_un = 0, n_chat = 0;
    parley_status st = latest(db, t->id, "summary", "markdown", &sum);
    if (!st)
        st = latest(db, t->id, "notes", "markdown", &notes);
    if (!st)
        st = parley_store_user_notes_list(db, t->id, &un, &n_un);
    if (!st)
        st = parley_store_list_chat(db, t->id, &chat, &n_chat);
    if (st)
        goto out;
    long s = (long)(t->duration_s + 0.5);
    if ((st = parley_buf_append(b, "# ", 2)) || (st = md_text(b, t->title && *t->title ? t->title : "Transcript")) ||
        (st = parley_buf_append(b, "\n\n- Recorded from: ", 19)) ||
        (st = md_text(b, t->source_path ? t->source_path : "(unknown)")) ||
        (st = parley_buf_printf(b, "\n- Duration: %ld:%02ld:%02ld\n- Language: ", s / 3600, s / 60 % 60, s % 60)) ||
        (st = md_text(b, t->language ? t->language : "(unknown)")) || (st = parley_buf_append(b, "\n", 1)))
        goto out;
    if (row->status != PARLEY_SESSION_FINISHED &&
        (st = parley_buf_printf(b, "- Status: %s\n", parley_session_status_name(row->status))))
        goto out;
    if ((st = parley_buf_append(b, "\n", 1)))
        goto out;
    if (sum.content && (st = md_section(b, "Summary", sum.content)))
        goto out;
    if (notes.content && (st = md_section(b, "Notes", notes.content)))
        goto out;
    if (n_un) {
        if ((st = parley_buf_append(b, "## Typed notes\n\n", 16)))
            goto out;
        for (size_t i = 0; i < n_un && !st; i++) {
            if (!(st = parley_buf_append(b, "- **[", 5)) && !(st = md_stamp(b, un[i].t_ms)) &&
                !(st = parley_buf_append(b, "]** ", 4)) && !(st = md_text(b, un[i].text)))
                st = parley_buf_append(b, "\n", 1);
        }
        if (st || (st = parley_buf_append(b, "\n", 1)))
            goto out;
    }
    if ((st = parley_buf_append(b, "## Transcript\n\n", 15)))
        goto out;
    if (t->n_segments == 0 && (st = parley_buf_append(b, "*(no speech)*\n\n", 15)))
        goto out;
    for (size_t i = 0; i < t->n_segments && !st; i++) {
        const parley_segment *g = &t->segments[i];
        if ((st = parley_buf_append(b, "**[", 3)) || (st = md_stamp(b, g->t0_ms)) ||
            (st = parley_buf_append(b, "]** ", 4)))
            break;
        if (g->speaker && *g->speaker &&
            ((st = md_text(b, g->speaker)) || (st = parley_buf_append(b, ": ", 2))))
            break;
        if ((st = md_text(b, g->text && *g->text ? g->text : "…")) || (st = parley_buf_append(b, "\n\n", 2)))
            break;
    }
    if (st)
        goto out;
    if (n_chat) {
        if ((st = parley_buf_append(b, "## Chat\n\n", 9)))
            goto out;
        for (size_t i = 0; i < n_chat && !st; i++) {
            bool user = chat[i].role && !strcmp(chat[i].role, "user");
            /* An answer is a model's Markdown (like a summary); a question is typed text. */
            if (user) {
                if (!(st = parley_buf_append(b, "**Q:** ", 7)) && !(st = md_text(b, chat[i].content)))
                    st = parley_buf_append(b, "\n\n", 2);
            } else {
                st = parley_buf_printf(b, "**A:** %s%s\n\n", chat[i].content ? chat[i].content : "",
                                       chat[i].truncated ? " *(cut off)*" : "");
            }
        }
    }
out:
    parley_artifact_free(&sum);
    parley_artifact_free(&notes);
    parley_user_notes_free(un, n_un);
    parley_chat_messages_free(chat, n_chat);
    return st;
}

static yyjson_mut_val *artifact_json(yyjson_mut_doc *doc, const parley_artifact *a, bool parse_content)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_int(doc, o, "id", a->id);
    if (parse_content) {
        yyjson_doc *c = yyjson_read(a->content, strlen(a->content), 0);
        yyjson_mut_obj_add_val(doc, o, "content",
                               c ? yyjson_val_mut_copy(doc, yyjson_doc_get_root(c)) : yyjson_mut_strcpy(doc, a->content));
        yyjson_doc_free(c);
    } else {
        yyjson_mut_obj_add_strcpy(doc, o, "content", a->content);
    }
    yyjson_mut_obj_add_strcpy(doc, o, "model", a->model ? a->model : "");
    yyjson_mut_obj_add_strcpy(doc, o, "prompt_version", a->prompt_version ? a->prompt_version : "");
    yyjson_mut_obj_add_int(doc, o, "prompt_tokens", a->prompt_tokens);
    yyjson_mut_obj_add_int(doc, o, "reused_tokens", a->reused_tokens);
    yyjson_mut_obj_add_int(doc, o, "output_tokens", a->output_tokens);
    yyjson_mut_obj_add_real(doc, o, "prompt_ms", a->prompt_ms);
    yyjson_mut_obj_add_real(doc, o, "gen_ms", a->gen_ms);
    yyjson_doc *m = a->meta ? yyjson_read(a->meta, strlen(a->meta), 0) : NULL;
    if (m)
        yyjson_mut_obj_add_val(doc, o, "meta", yyjson_val_mut_copy(doc, yyjson_doc_get_root(m)));
    yyjson_doc_free(m);
    yyjson_mut_obj_add_strcpy(doc, o, "created", a->created ? a->created : "");
    return o;
}

static void add_str_or_null(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *k, const char *v)
{
    if (v)
        yyjson_mut_obj_add_strcpy(doc, o, k, v);
    else
        yyjson_mut_obj_add_null(doc, o, k);
}

static parley_status export_json(parley_store *db, const parley_transcript *t, const parley_session_row *row,
                                 parley_buf *b)
{
    char *body = NULL;
    size_t len = 0;
    parley_artifact sum = {0}, notes = {0};
    parley_chat_message *chat = NULL;
    parley_user_note *un = NULL;
    parley_artifact_info *arts = NULL;
    size_t n_chat = 0, n_un = 0, n_arts = 0;
    yyjson_doc *idoc = NULL;
    yyjson_mut_doc *doc = NULL;
    char *js = NULL;
    parley_status st = parley_transcript_export(t, PARLEY_FORMAT_JSON, &body, &len);
    if (!st)
        st = latest(db, t->id, "summary", "json", &sum);
    if (!st)
        st = latest(db, t->id, "notes", "markdown", &notes);
    if (!st)
        st = parley_store_list_chat(db, t->id, &chat, &n_chat);
    if (!st)
        st = parley_store_user_notes_list(db, t->id, &un, &n_un);
    if (!st)
        st = parley_store_list_artifacts(db, t->id, &arts, &n_arts);
    if (st)
        goto out;
    yyjson_read_err rerr;
    idoc = yyjson_read_opts(body, len, 0, NULL, &rerr);
    if (!idoc) {
        st = parley_fail(PARLEY_ERR_FORMAT, "the transcript's JSON could not be read back: %s", rerr.msg);
        goto out;
    }
    doc = yyjson_doc_mut_copy(idoc, NULL);
    if (!doc) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory building JSON");
        goto out;
    }
    yyjson_mut_val *root = yyjson_mut_doc_get_root(doc);
    yyjson_mut_obj_add_str(doc, root, "status", parley_session_status_name(row->status));
    add_str_or_null(doc, root, "ended", row->ended);
    add_str_or_null(doc, root, "audio", row->audio_path);
    if (sum.content)
        yyjson_mut_obj_add_val(doc, root, "summary", artifact_json(doc, &sum, true));
    else
        yyjson_mut_obj_add_null(doc, root, "summary");
    if (notes.content)
        yyjson_mut_obj_add_val(doc, root, "notes", artifact_json(doc, &notes, false));
    else
        yyjson_mut_obj_add_null(doc, root, "notes");
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "typed_notes");
    for (size_t i = 0; i < n_un; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "id", un[i].id);
        yyjson_mut_obj_add_real(doc, o, "at", (double)un[i].t_ms / 1000.0);
        yyjson_mut_obj_add_strcpy(doc, o, "text", un[i].text);
        yyjson_mut_obj_add_strcpy(doc, o, "created", un[i].created ? un[i].created : "");
    }
    arr = yyjson_mut_obj_add_arr(doc, root, "chat");
    for (size_t i = 0; i < n_chat; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "id", chat[i].id);
        yyjson_mut_obj_add_strcpy(doc, o, "role", chat[i].role);
        yyjson_mut_obj_add_strcpy(doc, o, "content", chat[i].content);
        if (chat[i].model)
            yyjson_mut_obj_add_strcpy(doc, o, "model", chat[i].model);
        yyjson_mut_obj_add_bool(doc, o, "truncated", chat[i].truncated != 0);
        yyjson_doc *m = chat[i].meta ? yyjson_read(chat[i].meta, strlen(chat[i].meta), 0) : NULL;
        if (m)
            yyjson_mut_obj_add_val(doc, o, "meta", yyjson_val_mut_copy(doc, yyjson_doc_get_root(m)));
        yyjson_doc_free(m);
        yyjson_mut_obj_add_strcpy(doc, o, "created", chat[i].created ? chat[i].created : "");
    }
    arr = yyjson_mut_obj_add_arr(doc, root, "artifacts");
    for (size_t i = 0; i < n_arts; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "id", arts[i].id);
        yyjson_mut_obj_add_strcpy(doc, o, "kind", arts[i].kind ? arts[i].kind : "");
        yyjson_mut_obj_add_strcpy(doc, o, "format", arts[i].format ? arts[i].format : "");
        add_str_or_null(doc, o, "model", arts[i].model);
        yyjson_mut_obj_add_strcpy(doc, o, "created", arts[i].created ? arts[i].created : "");
        yyjson_mut_obj_add_int(doc, o, "size", arts[i].size);
    }
    size_t jl = 0;
    yyjson_write_err werr;
    js = yyjson_mut_write_opts(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL, &jl, &werr);
    if (!js) {
        /* Stored text is valid UTF-8 (store.c replaces bad bytes), so this is memory. */
        st = parley_fail(werr.code == YYJSON_WRITE_ERROR_INVALID_STRING ? PARLEY_ERR_FORMAT : PARLEY_ERR_NOMEM,
                         "writing JSON: %s", werr.msg ? werr.msg : "failed");
        goto out;
    }
    st = parley_buf_append(b, js, jl);
    if (!st)
        st = parley_buf_append(b, "\n", 1);
out:
    free(js);
    yyjson_mut_doc_free(doc);
    yyjson_doc_free(idoc);
    free(body);
    parley_artifact_free(&sum);
    parley_artifact_free(&notes);
    parley_chat_messages_free(chat, n_chat);
    parley_user_notes_free(un, n_un);
    parley_artifact_infos_free(arts, n_arts);
    return st;
}

parley_status parley_store_export(parley_store *db, int64_t id, parley_format fmt, char **out, size_t *len)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "out is required");
    *out = NULL;
    parley_transcript t;
    parley_status st = parley_store_get_session(db, id, &t);
    if (st)
        return st;
    if (fmt != PARLEY_FORMAT_MD && fmt != PARLEY_FORMAT_JSON) {
        st = parley_transcript_export(&t, fmt, out, len);
        parley_transcript_free(&t);
        return st;
    }
    parley_session_row row;
    if ((st = parley_store_get_session_row(db, id, &row))) {
        parley_transcript_free(&t);
        return st;
    }
    parley_buf b = {.max = (size_t)256 << 20};
    st = fmt == PARLEY_FORMAT_MD ? export_md(db, &t, &row, &b) : export_json(db, &t, &row, &b);
    parley_transcript_free(&t);
    parley_session_row_clear(&row);
    if (!st && !b.data)
        st = parley_buf_append(&b, "", 0);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    if (len)
        *len = b.len;
    return PARLEY_OK;
}
