/* client.c: an OpenAI-compatible chat client for a team's own server (llama-server,
 * vLLM): one POST to <base>/v1/chat/completions with stream=true, the answer read as
 * server-sent events ("data: {...}" lines, "data: [DONE]" at the end). libcurl does the
 * HTTP; nothing here retries, redirects or falls back (remote.h). */
#include "core/internal.h"
#include "net/net_internal.h"
#include "remote/remote_internal.h"

#include <parley/net.h>
#include <parley/remote.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <yyjson.h>

#define TOKEN_MAX 4096

struct parley_remote {
    parley_remote_info info;
    struct parley_remote_url url;
    char endpoint[1024];
    char *auth;             /* "Authorization: Bearer ..." or NULL */
    char *model;
    double connect_timeout_s, idle_timeout_s;
    uint32_t n_ctx;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- URLs and the gate -------------------------------------------------------------- */

static bool part(CURLU *h, CURLUPart what, unsigned flags, char *out, size_t n)
{
    char *v = NULL;
    if (curl_url_get(h, what, &v, flags) != CURLUE_OK || !v)
        return false;
    bool ok = snprintf(out, n, "%s", v) < (int)n;
    curl_free(v);
    return ok;
}

parley_status parley_remote_parse_url(const char *url, struct parley_remote_url *out)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url || strpbrk(url, " \t\r\n"))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "'%s' is not a server URL (http://host:port)", url ? url : "");
    pthread_once(&curl_once, curl_init_once);
    CURLU *h = curl_url();
    if (!h)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_status st = PARLEY_OK;
    char scheme[16], port[16], path[512], extra[8];
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK || !part(h, CURLUPART_SCHEME, 0, scheme, sizeof scheme) ||
        !part(h, CURLUPART_HOST, 0, out->host, sizeof out->host)) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "'%s' is not a server URL (http://host:port)", url);
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "'%s': only http:// and https:// servers", url);
        goto done;
    }
    if (part(h, CURLUPART_USER, 0, extra, sizeof extra) || part(h, CURLUPART_QUERY, 0, extra, sizeof extra) ||
        part(h, CURLUPART_FRAGMENT, 0, extra, sizeof extra) || strchr(url, '@')) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "'%s': no user, query or fragment in a server URL (a token goes "
                         "in --token-file)", url);
        goto done;
    }
    out->https = strcmp(scheme, "https") == 0;
    if (!part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port)) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "'%s': no port", url);
        goto done;
    }
    out->port = atoi(port);
    if (out->host[0] == '[') { /* IPv6 literal: keep it bare */
        size_t l = strlen(out->host);
        memmove(out->host, out->host + 1, l - 1);
        out->host[l - 2] = '\0';
    }
    if (!part(h, CURLUPART_PATH, 0, path, sizeof path))
        path[0] = '\0';
    size_t l = strlen(path);
    while (l && path[l - 1] == '/')
        path[--l] = '\0';
    if (l >= 3 && strcmp(path + l - 3, "/v1") == 0)
        path[l - 3] = '\0';
    if ((size_t)snprintf(out->prefix, sizeof out->prefix, "%s", path) >= sizeof out->prefix)
        st = parley_fail(PARLEY_ERR_TOO_LARGE, "the server URL's path is longer than %zu bytes", sizeof out->prefix - 1);
done:
    curl_url_cleanup(h);
    return st;
}

parley_status parley_remote_gate(const struct parley_remote_url *server, const char *url)
{
    struct parley_remote_url u;
    if (parley_remote_parse_url(url, &u) != PARLEY_OK || u.https != server->https || u.port != server->port ||
        strcasecmp(u.host, server->host) != 0)
        return parley_fail(PARLEY_ERR_PERMISSION, "refusing a connection to %s: the only server allowed is %s:%d",
                           url, server->host, server->port);
    return PARLEY_OK;
}

parley_status parley_remote_allow(const parley_remote_info *info)
{
    if (!info)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no server");
    struct parley_remote_url u;
    parley_status st = parley_remote_parse_url(info->url, &u);
    if (st)
        return st;
    struct parley_net_policy p = parley_net_default_policy();
    p.local_only = false;
    p.team_server = u.host;
    return parley_net_set_policy(&p);
}

/* ---- the client --------------------------------------------------------------------- */

struct parley_remote_params parley_remote_default_params(void)
{
    struct parley_remote_params p;
    memset(&p, 0, sizeof p);
    p.connect_timeout_s = 5;
    p.idle_timeout_s = 60;
    p.n_ctx = 8192;
    return p;
}

struct parley_remote_request parley_remote_default_request(void)
{
    struct parley_remote_request r;
    memset(&r, 0, sizeof r);
    return r;
}

void parley_remote_result_clear(struct parley_remote_result *res)
{
    if (!res)
        return;
    free(res->text);
    memset(res, 0, sizeof *res);
}

const char *parley_remote_name(const parley_remote *r) { return r ? r->info.name : ""; }
const char *parley_remote_model(const parley_remote *r) { return r && r->model ? r->model : ""; }
uint32_t parley_remote_n_ctx(const parley_remote *r) { return r ? r->n_ctx : 0; }

void parley_remote_free(parley_remote *r)
{
    if (!r)
        return;
    if (r->auth) { /* the token does not outlive the client in freed memory */
        memset(r->auth, 0, strlen(r->auth));
        free(r->auth);
    }
    free(r->model);
    free(r);
}

static parley_status read_token(const char *path, char **header)
{
    *header = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        return parley_fail(e == ENOENT ? PARLEY_ERR_NOT_FOUND : PARLEY_ERR_PERMISSION, "token file %s: %s", path,
                           strerror(e));
    }
    char tok[TOKEN_MAX + 2];
    size_t n = fread(tok, 1, sizeof tok - 1, f);
    fclose(f);
    tok[n] = '\0';
    if (n > TOKEN_MAX)
        return parley_fail(PARLEY_ERR_FORMAT, "token file %s: longer than %d bytes", path, TOKEN_MAX);
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        tok[--n] = '\0';
    if (!n || strpbrk(tok, "\r\n"))
        return parley_fail(PARLEY_ERR_FORMAT, "token file %s: expected one line holding the token", path);
    size_t len = n + 32;
    *header = malloc(len);
    if (!*header)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    snprintf(*header, len, "Authorization: Bearer %s", tok);
    memset(tok, 0, sizeof tok);
    return PARLEY_OK;
}

parley_status parley_remote_open(const parley_remote_info *info, const struct parley_remote_params *params,
                                 parley_remote **out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    *out = NULL;
    if (!info)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no server");
    struct parley_remote_params p = params ? *params : parley_remote_default_params();
    parley_remote *r = calloc(1, sizeof *r);
    if (!r)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    r->info = *info;
    parley_status st = parley_remote_parse_url(info->url, &r->url);
    if (!st) {
        bool v6 = strchr(r->url.host, ':') != NULL;
        snprintf(r->endpoint, sizeof r->endpoint, "%s://%s%s%s:%d%s/v1/chat/completions", r->url.https ? "https" : "http",
                 v6 ? "[" : "", r->url.host, v6 ? "]" : "", r->url.port, r->url.prefix);
    }
    if (!st && info->token_file[0])
        st = read_token(info->token_file, &r->auth);
    r->model = strdup(p.model ? p.model : "default");
    if (!st && !r->model)
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    r->connect_timeout_s = p.connect_timeout_s > 0 ? p.connect_timeout_s : 5;
    r->idle_timeout_s = p.idle_timeout_s > 0 ? p.idle_timeout_s : 60;
    r->n_ctx = p.n_ctx > 0 ? p.n_ctx : 8192;
    if (st) {
        parley_remote_free(r);
        return st;
    }
    *out = r;
    return PARLEY_OK;
}

/* ---- the request body ---------------------------------------------------------------- */

static char *request_body(const parley_remote *r, const struct parley_remote_request *rq)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return NULL;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "model", r->model);
    yyjson_mut_val *msgs = yyjson_mut_obj_add_arr(doc, o, "messages");
    for (size_t i = 0; i < rq->n_messages; i++) {
        yyjson_mut_val *m = yyjson_mut_arr_add_obj(doc, msgs);
        yyjson_mut_obj_add_str(doc, m, "role", rq->messages[i].role ? rq->messages[i].role : "user");
        yyjson_mut_obj_add_str(doc, m, "content", rq->messages[i].content ? rq->messages[i].content : "");
    }
    yyjson_mut_obj_add_bool(doc, o, "stream", true);
    yyjson_mut_val *so = yyjson_mut_obj_add_obj(doc, o, "stream_options");
    yyjson_mut_obj_add_bool(doc, so, "include_usage", true);
    if (rq->max_tokens > 0)
        yyjson_mut_obj_add_int(doc, o, "max_tokens", rq->max_tokens);
    yyjson_mut_obj_add_real(doc, o, "temperature", rq->temperature > 0 ? rq->temperature : 0.0);
    if (rq->temperature > 0)
        yyjson_mut_obj_add_uint(doc, o, "seed", rq->seed);
    yyjson_doc *schema = NULL;
    if (rq->json_schema) {
        schema = yyjson_read(rq->json_schema, strlen(rq->json_schema), 0);
        if (!schema) {
            yyjson_mut_doc_free(doc);
            parley_fail(PARLEY_ERR_INVALID_ARG, "the JSON schema is not valid JSON");
            return NULL;
        }
        yyjson_mut_val *rf = yyjson_mut_obj_add_obj(doc, o, "response_format");
        yyjson_mut_obj_add_str(doc, rf, "type", "json_schema");
        yyjson_mut_val *js = yyjson_mut_obj_add_obj(doc, rf, "json_schema");
        yyjson_mut_obj_add_str(doc, js, "name", "parley");
        yyjson_mut_obj_add_bool(doc, js, "strict", true);
        yyjson_mut_obj_add_val(doc, js, "schema", yyjson_val_mut_copy(doc, yyjson_doc_get_root(schema)));
    }
    if (rq->grammar)
        yyjson_mut_obj_add_str(doc, o, "grammar", rq->grammar);
    char *text = yyjson_mut_write(doc, 0, NULL);
    yyjson_mut_doc_free(doc);
    yyjson_doc_free(schema);
    if (!text)
        parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    return text;
}

/* ---- the stream --------------------------------------------------------------------- */

struct stream {
    parley_remote *r;
    const struct parley_remote_request *rq;
    struct parley_remote_result *res;
    CURL *h;
    parley_buf line;     /* the current, incomplete line */
    parley_buf text;     /* the answer so far */
    parley_buf body;     /* a non-200 reply's body, for its message */
    bool done;           /* saw [DONE] */
    bool stopped;        /* on_token returned false */
    bool bad_format;
    bool idle_out;       /* the server sent nothing for idle_timeout_s */
    long http;
    curl_off_t last_dn;  /* bytes received at the last progress call */
    double last_activity; /* parley_now() when bytes last arrived (or the request began) */
};

static void on_event(struct stream *s, const char *data)
{
    if (strcmp(data, "[DONE]") == 0) {
        s->done = true;
        return;
    }
    yyjson_doc *doc = yyjson_read(data, strlen(data), 0);
    if (!doc) {
        s->bad_format = true;
        return;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *model = yyjson_get_str(yyjson_obj_get(root, "model"));
    if (model && !s->res->model[0])
        snprintf(s->res->model, sizeof s->res->model, "%s", model);
    yyjson_val *usage = yyjson_obj_get(root, "usage");
    if (yyjson_is_obj(usage)) {
        s->res->n_prompt = (int32_t)yyjson_get_int(yyjson_obj_get(usage, "prompt_tokens"));
        s->res->n_generated = (int32_t)yyjson_get_int(yyjson_obj_get(usage, "completion_tokens"));
    }
    yyjson_val *err = yyjson_obj_get(root, "error");
    if (err) {
        const char *msg = yyjson_get_str(yyjson_obj_get(err, "message"));
        parley_buf_printf(&s->body, "%s", msg ? msg : "error in the stream");
        s->bad_format = true;
    }
    yyjson_val *ch = yyjson_arr_get_first(yyjson_obj_get(root, "choices"));
    if (ch) {
        const char *piece = yyjson_get_str(yyjson_obj_get(yyjson_obj_get(ch, "delta"), "content"));
        const char *fin = yyjson_get_str(yyjson_obj_get(ch, "finish_reason"));
        if (fin)
            snprintf(s->res->finish, sizeof s->res->finish, "%s", fin);
        if (piece && *piece) {
            size_t len = strlen(piece);
            parley_buf_append(&s->text, piece, len);
            if (s->rq->on_token && !s->rq->on_token(piece, len, s->rq->user_data))
                s->stopped = true;
        }
    }
    yyjson_doc_free(doc);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct stream *s = ud;
    size_t n = size * nmemb;
    if (!s->http)
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->http);
    if (s->http != 200) {
        parley_buf_append(&s->body, ptr, n > 4096 ? 4096 : n);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (ptr[i] != '\n') {
            if (parley_buf_append(&s->line, &ptr[i], 1) != PARLEY_OK)
                return 0;
            continue;
        }
        char *l = s->line.data ? s->line.data : (char *)"";
        size_t len = s->line.len;
        if (len && l[len - 1] == '\r')
            l[--len] = '\0';
        if (strncmp(l, "data:", 5) == 0) {
            const char *d = l + 5;
            while (*d == ' ')
                d++;
            on_event(s, d);
        } else if (len && l[0] == '{') {
            on_event(s, l); /* an error object sent without SSE framing */
        }
        s->line.len = 0;
        if (s->line.data)
            s->line.data[0] = '\0';
        if (s->stopped)
            return 0; /* aborts the transfer */
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)ut;
    (void)un;
    struct stream *s = ud;
    if (parley_cancel_is_set(s->rq->cancel))
        return 1;
    double now = parley_now();
    if (dn != s->last_dn) {
        s->last_dn = dn;
        s->last_activity = now;
    } else if (now - s->last_activity > s->r->idle_timeout_s) {
        s->idle_out = true; /* silent for too long: a stuck or overloaded server */
        return 1;
    }
    return 0;
}

/* The message of an OpenAI-style error body ({"error": {"message": ...}}), else the text. */
static void error_message(const parley_buf *body, char *out, size_t n)
{
    out[0] = '\0';
    if (!body->data || !body->len)
        return;
    yyjson_doc *doc = yyjson_read(body->data, body->len, 0);
    const char *msg = NULL;
    if (doc) {
        yyjson_val *e = yyjson_obj_get(yyjson_doc_get_root(doc), "error");
        msg = yyjson_is_str(e) ? yyjson_get_str(e) : yyjson_get_str(yyjson_obj_get(e, "message"));
    }
    snprintf(out, n, "%s", msg ? msg : body->data);
    out[strcspn(out, "\r\n")] = '\0';
    yyjson_doc_free(doc);
}

parley_status parley_remote_chat(parley_remote *r, const struct parley_remote_request *rq,
                                 struct parley_remote_result *out)
{
    if (!out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    memset(out, 0, sizeof *out);
    if (!r || !rq || !rq->messages || !rq->n_messages)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a remote chat needs a server and messages");
    snprintf(out->server, sizeof out->server, "%s", r->info.name);
    /* Two checks before anything is sent: the project's network gate (net.h: this purpose,
     * this host, under the process policy), and this client's own rule (exactly the
     * configured scheme, host and port). */
    parley_status st = parley_net_check(PARLEY_NET_TEAM_SERVER, r->endpoint);
    if (!st)
        st = parley_remote_gate(&r->url, r->endpoint);
    if (st)
        return st;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return parley_fail(PARLEY_ERR_NETWORK, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    char *body = request_body(r, rq);
    if (!body)
        return rq->json_schema ? PARLEY_ERR_INVALID_ARG : PARLEY_ERR_NOMEM;
    struct stream s = {.r = r, .rq = rq, .res = out};
    s.h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: text/event-stream");
    if (r->auth)
        hdr = curl_slist_append(hdr, r->auth);
    if (!s.h || !hdr) {
        free(body);
        curl_slist_free_all(hdr);
        if (s.h)
            curl_easy_cleanup(s.h);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    CURL *h = s.h;
    struct parley_net_guard guard;
    parley_net_guard_curl(h, PARLEY_NET_TEAM_SERVER, &guard); /* every socket through the gate */
    curl_easy_setopt(h, CURLOPT_URL, r->endpoint);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* only this server, never elsewhere */
    curl_easy_setopt(h, CURLOPT_PROXY, "");          /* no proxy from the environment */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->connect_timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "parley");
    double t0 = parley_now();
    s.last_activity = t0;
    CURLcode rc = curl_easy_perform(h);
    out->ms = (parley_now() - t0) * 1000;
    if (!s.http)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s.http);
    char msg[300];
    const char *name = r->info.name;
    if (s.stopped || (rc == CURLE_ABORTED_BY_CALLBACK && !s.idle_out)) {
        snprintf(out->finish, sizeof out->finish, "cancelled");
        st = parley_fail(PARLEY_ERR_CANCELLED, "the request to server '%s' was cancelled", name);
    } else if (guard.refused) {
        st = parley_fail(PARLEY_ERR_PERMISSION, "server '%s': %s", name, guard.why);
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s' (%s) cannot be reached: %s. Is it running? Nothing was "
                         "run locally instead.", name, r->info.url, curl_easy_strerror(rc));
    } else if (s.idle_out) {
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s' sent nothing for %g s, so the request was given up "
                         "(the server is busy or stuck). Nothing was run locally instead.", name, r->idle_timeout_s);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s' (%s) did not accept a connection within %g s. "
                         "Nothing was run locally instead.", name, r->info.url, r->connect_timeout_s);
    } else if (s.http == 401 || s.http == 403) {
        error_message(&s.body, msg, sizeof msg);
        st = parley_fail(PARLEY_ERR_PERMISSION, "server '%s' refused the token (HTTP %ld%s%s): check the token "
                         "file (parley remote add %s URL --token-file FILE)", name, s.http, msg[0] ? ": " : "", msg,
                         name);
    } else if (s.http && s.http != 200) {
        error_message(&s.body, msg, sizeof msg);
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s' answered HTTP %ld%s%s", name, s.http, msg[0] ? ": " : "",
                         msg);
    } else if (rc != CURLE_OK) {
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s': %s. Nothing was run locally instead.", name,
                         curl_easy_strerror(rc));
    } else if (s.bad_format || (!s.done && !s.text.len)) {
        st = parley_fail(PARLEY_ERR_FORMAT, "server '%s' did not answer with an OpenAI-style event stream%s%s", name,
                         s.body.len ? ": " : "", s.body.len ? s.body.data : "");
    } else if (!s.done) {
        st = parley_fail(PARLEY_ERR_NETWORK, "server '%s' closed the stream before it ended (the answer is "
                         "incomplete)", name);
    }
    if (!st) {
        out->text = s.text.data ? s.text.data : strdup("");
        s.text.data = NULL;
        if (!out->text)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_buf_free(&s.text);
    parley_buf_free(&s.line);
    parley_buf_free(&s.body);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(body);
    return st;
}

char *parley_remote_meta_label(const char *meta_json, const struct parley_remote_result *res)
{
    if (!res)
        return NULL;
    const char *src = meta_json && *meta_json ? meta_json : "{}";
    yyjson_doc *in = yyjson_read(src, strlen(src), 0);
    if (!in || !yyjson_is_obj(yyjson_doc_get_root(in))) {
        yyjson_doc_free(in);
        return NULL;
    }
    yyjson_mut_doc *doc = yyjson_doc_mut_copy(in, NULL);
    yyjson_doc_free(in);
    if (!doc)
        return NULL;
    yyjson_mut_val *root = yyjson_mut_doc_get_root(doc);
    yyjson_mut_obj_remove_key(root, "remote");
    yyjson_mut_val *o = yyjson_mut_obj_add_obj(doc, root, "remote");
    yyjson_mut_obj_add_strcpy(doc, o, "server", res->server);
    yyjson_mut_obj_add_strcpy(doc, o, "model", res->model);
    char *text = yyjson_mut_write(doc, 0, NULL);
    yyjson_mut_doc_free(doc);
    return text;
}
