/* export.c: a stored session rendered for people (md) or scripts (json), with what the
 * models made from it; plain transcript formats go straight to transcript.c. */
#include <parley/store.h>

#include "core/internal.h"

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

static parley_status export_md(parley_store *db, const parley_transcript *t, parley_buf *b)
{
    parley_artifact sum = {0}, notes = {0};
    parley_status st = latest(db, t->id, "summary", "markdown", &sum);
    if (!st)
        st = latest(db, t->id, "notes", "markdown", &notes);
    char *body = NULL;
    size_t len = 0;
    if (!st)
        st = parley_transcript_export(t, PARLEY_FORMAT_MD, &body, &len);
    if (st)
        goto out;
    /* The transcript rendering starts with the title block and then "## Transcript":
     * summary and notes go in between, where a reader looks first. */
    const char *tr = strstr(body, "## Transcript");
    size_t head = tr ? (size_t)(tr - body) : len;
    st = parley_buf_append(b, body, head);
    if (!st && sum.content)
        st = parley_buf_printf(b, "## Summary\n\n%s\n\n", sum.content);
    if (!st && notes.content)
        st = parley_buf_printf(b, "## Notes\n\n%s\n\n", notes.content);
    if (!st && tr)
        st = parley_buf_append(b, tr, len - head);
out:
    free(body);
    parley_artifact_free(&sum);
    parley_artifact_free(&notes);
    return st;
}

static yyjson_mut_val *artifact_json(yyjson_mut_doc *doc, const parley_artifact *a, bool parse_content)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
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

static parley_status export_json(parley_store *db, const parley_transcript *t, parley_buf *b)
{
    char *body = NULL;
    size_t len = 0;
    parley_artifact sum = {0}, notes = {0};
    parley_chat_message *chat = NULL;
    size_t n_chat = 0;
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
    if (st)
        goto out;
    idoc = yyjson_read(body, len, 0);
    doc = idoc ? yyjson_doc_mut_copy(idoc, NULL) : NULL;
    if (!doc) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory building JSON");
        goto out;
    }
    yyjson_mut_val *root = yyjson_mut_doc_get_root(doc);
    if (sum.content)
        yyjson_mut_obj_add_val(doc, root, "summary", artifact_json(doc, &sum, true));
    else
        yyjson_mut_obj_add_null(doc, root, "summary");
    if (notes.content)
        yyjson_mut_obj_add_val(doc, root, "notes", artifact_json(doc, &notes, false));
    else
        yyjson_mut_obj_add_null(doc, root, "notes");
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "chat");
    for (size_t i = 0; i < n_chat; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_strcpy(doc, o, "role", chat[i].role);
        yyjson_mut_obj_add_strcpy(doc, o, "content", chat[i].content);
        if (chat[i].model)
            yyjson_mut_obj_add_strcpy(doc, o, "model", chat[i].model);
        yyjson_mut_obj_add_strcpy(doc, o, "created", chat[i].created ? chat[i].created : "");
    }
    size_t jl = 0;
    js = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &jl);
    if (!js) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory writing JSON");
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
    return st;
}

parley_status parley_store_export(parley_store *db, int64_t id, parley_format fmt, char **out, size_t *len)
{
    parley_transcript t;
    parley_status st = parley_store_get_session(db, id, &t);
    if (st)
        return st;
    if (fmt != PARLEY_FORMAT_MD && fmt != PARLEY_FORMAT_JSON) {
        st = parley_transcript_export(&t, fmt, out, len);
        parley_transcript_free(&t);
        return st;
    }
    parley_buf b = {.max = (size_t)256 << 20};
    st = fmt == PARLEY_FORMAT_MD ? export_md(db, &t, &b) : export_json(db, &t, &b);
    parley_transcript_free(&t);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    if (len)
        *len = b.len;
    return PARLEY_OK;
}
