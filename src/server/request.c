/* request.c: the server's parsing of untrusted request data (request.h), apart from the
 * connection so that it can be fuzzed without a socket. */
#include "server/request.h"

#include "core/internal.h"

#include <parley/catalog.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

srv_path_result srv_path_split(const char *url, srv_path *out)
{
    memset(out, 0, sizeof *out);
    if (strlen(url) >= sizeof out->buf)
        return SRV_PATH_TOO_LONG;
    strcpy(out->buf, url + (strncmp(url, "/api/", 5) == 0 ? 5 : strncmp(url, "/api", 4) == 0 ? 4 : 0));
    char *save = NULL;
    for (char *p = strtok_r(out->buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (out->n == SRV_MAX_PARTS)
            return SRV_PATH_TOO_MANY;
        out->parts[out->n++] = p;
    }
    return SRV_PATH_OK;
}

bool srv_parse_id(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < 0)
        return false;
    *out = v;
    return true;
}

int64_t srv_arg_int(const char *v, int64_t dflt, int64_t lo, int64_t hi)
{
    int64_t n;
    if (!v || !srv_parse_id(v, &n))
        return dflt;
    return n < lo ? lo : n > hi ? hi : n;
}

bool srv_token_ok(const char *token, const char *auth)
{
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    size_t n = strlen(token), m = strlen(t);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(token[i] ^ (i < m ? t[i] : 0));
    return diff == 0;
}

const char *srv_refuse_reason(const char host_ok[3][64], const char origin_ok[3][80], const char *host,
                              const char *origin, const char *site)
{
    if (!host)
        return "a Host header is required";
    bool host_good = false;
    for (int i = 0; i < 3; i++)
        if (strcasecmp(host, host_ok[i]) == 0)
            host_good = true;
    if (!host_good)
        return "the Host header does not name this server's loopback address and port";
    if (origin) {
        bool origin_good = false;
        for (int i = 0; i < 3; i++)
            if (strcasecmp(origin, origin_ok[i]) == 0)
                origin_good = true;
        if (!origin_good)
            return "requests from other sites are refused (Origin)";
    }
    if (site && strcasecmp(site, "cross-site") == 0)
        return "requests from other sites are refused (Sec-Fetch-Site)";
    return NULL;
}

bool srv_content_length_too_large(const char *cl, size_t max)
{
    return cl && strtoull(cl, NULL, 10) > max;
}

yyjson_doc *srv_body_object(const char *body, size_t len, char *msg, size_t msg_size)
{
    yyjson_read_err err;
    yyjson_doc *d = yyjson_read_opts((char *)body, len, 0, NULL, &err);
    if (!d || !yyjson_is_obj(yyjson_doc_get_root(d))) {
        snprintf(msg, msg_size, "the body must be a JSON object%s%s", d ? "" : ": ", d ? "" : err.msg);
        yyjson_doc_free(d);
        return NULL;
    }
    return d;
}

const char *srv_body_title(yyjson_val *root)
{
    const char *title = yyjson_get_str(yyjson_obj_get(root, "title"));
    return !title || !*title || strlen(title) > 500 ? NULL : title;
}

bool srv_body_segment_edit(yyjson_val *root, char **text, const char **speaker)
{
    *text = NULL;
    *speaker = NULL;
    yyjson_val *tv = yyjson_obj_get(root, "text"), *sv = yyjson_obj_get(root, "speaker");
    if ((tv && !yyjson_is_str(tv)) || (sv && !yyjson_is_str(sv) && !yyjson_is_null(sv)) || (!tv && !sv))
        return false;
    if (tv) {
        /* Trim as the transcript is trimmed. */
        const char *s = yyjson_get_str(tv);
        size_t n = yyjson_get_len(tv);
        while (n && (*s == ' ' || *s == '\n' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
            n--;
        *text = strndup(s, n);
    }
    if (sv)
        *speaker = yyjson_get_str(sv) ? yyjson_get_str(sv) : "";
    return true;
}

int srv_body_task(yyjson_val *root, bool ask, char **question, srv_task_limits *lim)
{
    *question = NULL;
    const char *q = yyjson_get_str(yyjson_obj_get(root, "question"));
    if (ask && q && *q && strlen(q) <= 4000)
        *question = strdup(q);
    struct {
        const char *key;
        int32_t *dst;
        int64_t hi;
    } lims[] = {{"max_tokens", &lim->max_tokens, 1 << 16}, {"item_chars", &lim->item_chars, 4096},
                {"max_items", &lim->max_items, 64}};
    bool bad_lim = false;
    for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
        yyjson_val *v = yyjson_obj_get(root, lims[i].key);
        if (!v)
            continue;
        if (!yyjson_is_int(v) || yyjson_get_sint(v) < 1 || yyjson_get_sint(v) > lims[i].hi)
            bad_lim = true;
        else
            *lims[i].dst = (int32_t)yyjson_get_sint(v);
    }
    if (bad_lim) {
        free(*question);
        *question = NULL;
        return 1;
    }
    return ask && !*question ? 2 : 0;
}

int srv_body_task_remote(yyjson_val *root, char *remote, size_t remote_size, bool *local)
{
    remote[0] = '\0';
    *local = false;
    yyjson_val *rv = yyjson_obj_get(root, "remote"), *lv = yyjson_obj_get(root, "local");
    if (lv && !yyjson_is_bool(lv))
        return 3;
    *local = lv && yyjson_get_bool(lv);
    if (rv && !yyjson_is_null(rv)) {
        const char *name = yyjson_get_str(rv);
        if (!name || !*name || strlen(name) >= remote_size || *local)
            return 3;
        memcpy(remote, name, strlen(name) + 1);
    }
    return 0;
}

bool srv_body_live_start_ok(yyjson_val *root)
{
    static const char *const strs[] = {"title", "mic_source", "system_source", "input", "language", "asr_model"};
    bool ok = true;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        yyjson_val *v = yyjson_obj_get(root, strs[i]);
        if (v && !yyjson_is_str(v))
            ok = false;
    }
    yyjson_val *sp = yyjson_obj_get(root, "speed"), *ns = yyjson_obj_get(root, "no_system");
    if ((sp && (!yyjson_is_num(sp) || yyjson_get_num(sp) < 0)) || (ns && !yyjson_is_bool(ns)))
        ok = false;
    yyjson_val *sg = yyjson_obj_get(root, "suggest"), *si = yyjson_obj_get(root, "suggest_interval");
    yyjson_val *su = yyjson_obj_get(root, "summary");
    if ((sg && !yyjson_is_bool(sg)) || (su && !yyjson_is_bool(su)) ||
        (si && (!yyjson_is_num(si) || !(yyjson_get_num(si) > 0))))
        ok = false;
    return ok;
}

const char *srv_body_note_text(yyjson_val *root)
{
    const char *text = yyjson_get_str(yyjson_obj_get(root, "text"));
    return text && *text && strlen(text) <= 4000 ? text : NULL;
}

const char *srv_body_model_path(yyjson_val *root)
{
    const char *path = yyjson_get_str(yyjson_obj_get(root, "path"));
    return path && path[0] == '/' ? path : NULL;
}

parley_status srv_body_local_features(yyjson_val *lf, unsigned *bits)
{
    *bits = 0;
    size_t i, max;
    yyjson_val *v;
    if (!yyjson_is_arr(lf))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "local_features is a list of feature names");
    yyjson_arr_foreach(lf, i, max, v)
    {
        parley_feature f = parley_feature_from_name(yyjson_get_str(v));
        if (!f)
            return parley_fail(PARLEY_ERR_INVALID_ARG,
                               "unknown feature in local_features (transcribe, summary, chat, suggest)");
        *bits |= (unsigned)f;
    }
    return PARLEY_OK;
}
