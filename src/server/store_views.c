/* store_views.c: the store's answers shaped for the API: the session list with search
 * and paging, search hits, the artifact list, and the small writes (segment edit,
 * artifact delete, chat clear) with the checks the API wants before them. Everything
 * goes through store.h; nothing here touches SQLite itself. */
#include "server/server_internal.h"

#include <stdlib.h>
#include <string.h>

parley_status srv_store_segment_edit(srv_listener *l, int64_t session_id, int64_t index, const char *text,
                                     const char *speaker)
{
    if (text && !*text)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a segment's text may not be empty (delete words, not the line)");
    if (!text && !speaker)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "give the segment's new text or speaker");
    return parley_store_segment_edit(l->db, session_id, index, text, speaker);
}

parley_status srv_store_artifacts_json(srv_listener *l, int64_t session_id, yyjson_mut_doc *doc,
                                       yyjson_mut_val *arr)
{
    parley_artifact_info *items = NULL;
    size_t n = 0;
    parley_status st = parley_store_list_artifacts(l->db, session_id, &items, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_int(doc, o, "id", items[i].id);
        yyjson_mut_obj_add_int(doc, o, "session_id", items[i].session_id);
        yyjson_mut_obj_add_strcpy(doc, o, "kind", items[i].kind ? items[i].kind : "");
        yyjson_mut_obj_add_strcpy(doc, o, "format", items[i].format ? items[i].format : "");
        if (items[i].model)
            yyjson_mut_obj_add_strcpy(doc, o, "model", items[i].model);
        else
            yyjson_mut_obj_add_null(doc, o, "model");
        yyjson_mut_obj_add_strcpy(doc, o, "created", items[i].created ? items[i].created : "");
        yyjson_mut_obj_add_int(doc, o, "size", items[i].size);
    }
    parley_artifact_infos_free(items, n);
    return PARLEY_OK;
}

parley_status srv_store_get_artifact(srv_listener *l, int64_t artifact_id, parley_artifact *out)
{
    return parley_store_get_artifact(l->db, artifact_id, out);
}

parley_status srv_store_delete_artifact(srv_listener *l, int64_t artifact_id)
{
    return parley_store_delete_artifact(l->db, artifact_id);
}

parley_status srv_store_chat_clear(srv_listener *l, int64_t session_id, int64_t *removed)
{
    return parley_store_chat_clear(l->db, session_id, removed);
}

parley_status srv_store_list_json(srv_listener *l, const char *q, const char *status, int64_t limit, int64_t offset,
                                  yyjson_mut_doc *doc, yyjson_mut_val *arr, int64_t *total)
{
    parley_session_filter f = parley_session_default_filter();
    f.limit = limit;
    f.offset = offset;
    f.query = q && *q ? q : NULL;
    if (status && *status) {
        parley_session_status s;
        if (parley_session_status_parse(status, &s) != PARLEY_OK)
            return parley_fail(PARLEY_ERR_INVALID_ARG, "status is live, finished, interrupted or recovered");
        f.status = (int)s;
    }
    parley_session_row *rows = NULL;
    size_t n = 0;
    parley_status st = parley_store_count_sessions(l->db, &f, total);
    if (!st)
        st = parley_store_list_sessions_ex(l->db, &f, &rows, &n);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        yyjson_mut_arr_append(arr, parley_json_session_row(doc, &rows[i]));
    parley_session_rows_free(rows, n);
    return PARLEY_OK;
}

parley_status srv_store_search(srv_listener *l, const char *q, int64_t limit, int64_t offset, yyjson_mut_doc *doc,
                               yyjson_mut_val *hits, int64_t *more)
{
    struct parley_search_params sp = parley_search_default_params();
    /* One more than asked tells the page whether there is a next page. */
    sp.limit = limit + 1;
    sp.offset = offset;
    /* STX/ETX around matches: the page escapes the text, then marks them. */
    sp.mark_open = "\x02";
    sp.mark_close = "\x03";
    parley_search_hit *h = NULL;
    size_t n = 0;
    parley_status st = parley_store_search(l->db, q, &sp, &h, &n);
    if (st)
        return st;
    *more = n > (size_t)limit;
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, hits);
        yyjson_mut_obj_add_int(doc, o, "session", h[i].session_id);
        yyjson_mut_obj_add_strcpy(doc, o, "title", h[i].session_title ? h[i].session_title : "");
        yyjson_mut_obj_add_strcpy(doc, o, "created", h[i].session_created ? h[i].session_created : "");
        yyjson_mut_obj_add_str(doc, o, "where", h[i].where ? h[i].where : "segment");
        yyjson_mut_obj_add_int(doc, o, "ref_id", h[i].ref_id);
        if (h[i].segment_index >= 0)
            yyjson_mut_obj_add_int(doc, o, "segment", h[i].segment_index);
        else
            yyjson_mut_obj_add_null(doc, o, "segment");
        if (h[i].t0_ms >= 0)
            yyjson_mut_obj_add_int(doc, o, "t0_ms", h[i].t0_ms);
        else
            yyjson_mut_obj_add_null(doc, o, "t0_ms");
        yyjson_mut_obj_add_strcpy(doc, o, "snippet", h[i].snippet ? h[i].snippet : "");
        yyjson_mut_obj_add_real(doc, o, "score", h[i].score);
    }
    parley_search_hits_free(h, n);
    return PARLEY_OK;
}
