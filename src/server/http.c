/* http.c: the server's front door: loopback-only listeners (libmicrohttpd, one internal
 * poll thread each), the per-launch token, the Host/Origin checks against DNS rebinding
 * and cross-site requests, body and header limits, security headers, the pages, and the
 * hand-off to the API (routes.c). */
#include "server/server_internal.h"

#include <parley/remote.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

struct parley_server_params parley_server_default_params(void)
{
    struct parley_server_params p;
    memset(&p, 0, sizeof p);
    p.measure_bandwidth = true;
    return p;
}

uint16_t parley_server_port(const parley_server *srv) { return srv ? srv->port : 0; }
const char *parley_server_url(const parley_server *srv) { return srv ? srv->url : ""; }
const char *parley_server_token(const parley_server *srv) { return srv ? srv->token : ""; }

/* ---- responses ------------------------------------------------------------------------ */

void srv_add_security_headers(struct MHD_Response *r, bool api)
{
    /* blob: for media only: the recording is fetched with the token and played from a
     * blob URL, since an <audio> element cannot send an Authorization header. */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
}

enum MHD_Result srv_send(struct MHD_Connection *c, unsigned http, const char *type, const void *data, size_t len,
                         bool copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    srv_add_security_headers(r, true);
    if (http == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, http, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result srv_send_json(struct MHD_Connection *c, unsigned http, yyjson_mut_doc *doc)
{
    size_t len;
    char *text = parley_json_write(doc, &len);
    yyjson_mut_doc_free(doc);
    if (!text)
        return srv_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
                        "{\"error\":\"out of memory\",\"status\":500}", 38, true);
    return srv_send(c, http, "application/json; charset=utf-8", text, len, false);
}

unsigned srv_http_status(parley_status st)
{
    switch (st) {
    case PARLEY_OK: return MHD_HTTP_OK;
    case PARLEY_ERR_INVALID_ARG:
    case PARLEY_ERR_FORMAT: return MHD_HTTP_BAD_REQUEST;
    case PARLEY_ERR_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
    case PARLEY_ERR_TOO_LARGE: return MHD_HTTP_CONTENT_TOO_LARGE;
    case PARLEY_ERR_PERMISSION: return MHD_HTTP_FORBIDDEN;
    case PARLEY_ERR_UNSUPPORTED: return MHD_HTTP_NOT_IMPLEMENTED;
    case PARLEY_ERR_CANCELLED: return 499;
    case PARLEY_ERR_NO_TEMPLATE:
    case PARLEY_ERR_MODEL_ARCH:
    case PARLEY_ERR_CONTEXT_OVERFLOW: return MHD_HTTP_UNPROCESSABLE_ENTITY;
    case PARLEY_ERR_NETWORK: return MHD_HTTP_BAD_GATEWAY;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

enum MHD_Result srv_send_error(struct MHD_Connection *c, unsigned http, parley_status st, const char *detail)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return MHD_NO;
    yyjson_mut_val *o = parley_json_error(doc, st, (int)http, detail ? detail : parley_last_error());
    const char *hint = srv_hint(st);
    if (o && hint)
        yyjson_mut_obj_add_str(doc, o, "hint", hint);
    yyjson_mut_doc_set_root(doc, o);
    return srv_send_json(c, http, doc);
}

/* ---- checks ---------------------------------------------------------------------------- */

/* NULL when the request may go on, else why it is refused. */
static const char *refuse_reason(const parley_server *srv, struct MHD_Connection *c)
{
    return srv_refuse_reason(srv->host_ok, srv->origin_ok,
                             MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                             MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
                             MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site"));
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const srv_asset *a, bool head)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(head ? 0 : a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", a->type);
    srv_add_security_headers(r, false);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the request handler ---------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    srv_listener *l = cls;
    parley_server *srv = l->srv;
    srv_request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        rq->body.max = srv->p.max_body_bytes;
        *con_cls = rq;
        const char *why = refuse_reason(srv, c);
        if (why) {
            rq->refused = true;
            return srv_send_error(c, MHD_HTTP_FORBIDDEN, PARLEY_ERR_PERMISSION, why);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (srv_content_length_too_large(cl, srv->p.max_body_bytes)) {
            rq->refused = true;
            char d[96];
            snprintf(d, sizeof d, "request bodies are limited to %zu bytes", srv->p.max_body_bytes);
            return srv_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, PARLEY_ERR_TOO_LARGE, d);
        }
        return MHD_YES;
    }
    if (rq->refused) {
        *upload_size = 0; /* the response is queued; the rest of the body is dropped */
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_large && rq->body.len + *upload_size > srv->p.max_body_bytes)
            rq->too_large = true;
        if (!rq->too_large && parley_buf_append(&rq->body, upload, *upload_size) != PARLEY_OK)
            rq->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) {
        char d[96];
        snprintf(d, sizeof d, "request bodies are limited to %zu bytes", srv->p.max_body_bytes);
        return srv_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, PARLEY_ERR_TOO_LARGE, d);
    }
    (void)version;
    if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!srv_token_ok(srv->token, auth))
            return srv_send_error(c, MHD_HTTP_UNAUTHORIZED, PARLEY_ERR_PERMISSION,
                                  "this API needs the token from the address 'parley serve' printed "
                                  "(Authorization: Bearer TOKEN)");
        return srv_route_api(l, c, method, url, rq->body.data ? rq->body.data : "", rq->body.len);
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0)
        return srv_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, PARLEY_ERR_INVALID_ARG, "pages are read with GET");
    const srv_asset *a = srv_asset_find(strcmp(url, "/") == 0 ? "/index.html" : url);
    if (!a)
        return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such page");
    return send_asset(c, a, head);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    srv_request *rq = *con_cls;
    if (rq) {
        parley_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\r\n")] = '\0';
    parley_log(PARLEY_LOG_DEBUG, "http: %s", line);
}

/* ---- start and stop ---------------------------------------------------------------------- */

static parley_status listen_on(parley_server *srv, srv_listener *l, bool v6, uint16_t port)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    const struct sockaddr *sa;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (v6) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(port);
        a6.sin6_addr = in6addr_loopback;
        sa = (const struct sockaddr *)&a6;
    } else {
        a4.sin_family = AF_INET;
        a4.sin_port = htons(port);
        a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa = (const struct sockaddr *)&a4;
    }
    l->srv = srv;
    l->family = v6 ? "::1" : "127.0.0.1";
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    l->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, l, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        l, MHD_OPTION_CONNECTION_LIMIT, srv->p.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        srv->p.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, srv->p.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->p.max_header_bytes + 8192, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_END);
    if (!l->daemon)
        return parley_fail(PARLEY_ERR_IO, "cannot listen on %s%s%s port %u: %s", v6 ? "[" : "", l->family,
                           v6 ? "]" : "", port, errno ? strerror(errno) : "libmicrohttpd refused");
    parley_status st = parley_store_open(srv->store_path, &l->db);
    if (st) {
        MHD_stop_daemon(l->daemon);
        l->daemon = NULL;
        return st;
    }
    return PARLEY_OK;
}

static parley_status make_token(char **out)
{
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return parley_fail(PARLEY_ERR_UNSUPPORTED, "no random source for the token: %s", strerror(errno));
        }
        got += (size_t)n;
    }
    char *t = malloc(sizeof raw * 2 + 1);
    if (!t)
        return PARLEY_ERR_NOMEM;
    for (size_t i = 0; i < sizeof raw; i++)
        sprintf(t + 2 * i, "%02x", raw[i]);
    *out = t;
    return PARLEY_OK;
}

static bool token_chars_ok(const char *t)
{
    if (strlen(t) < 16 || strlen(t) > 256)
        return false;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '-' ||
              *t == '_'))
            return false;
    return true;
}

parley_status parley_server_start(const struct parley_server_params *params, parley_server **out)
{
    *out = NULL;
    parley_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return PARLEY_ERR_NOMEM;
    srv->p = params ? *params : parley_server_default_params();
    if (!srv->p.max_body_bytes)
        srv->p.max_body_bytes = 1 << 20;
    if (!srv->p.max_header_bytes)
        srv->p.max_header_bytes = 16 * 1024;
    if (!srv->p.max_connections)
        srv->p.max_connections = 64;
    if (!srv->p.idle_timeout_s)
        srv->p.idle_timeout_s = 20;
    if (!srv->p.n_ctx)
        srv->p.n_ctx = 8192;
    pthread_mutex_init(&srv->mu, NULL);
    srv->next_job_id = 1;
    parley_status st = PARLEY_OK;
    /* The user's default team server (remote.h), when one is set: the network gate opens for
     * its host, and only it, now, before any thread starts (net.h). Task requests may then
     * run on it, or on another named server on the same host or on loopback; anything else
     * is refused before a connection is tried (routes.c). No default: the gate stays shut. */
    {
        parley_remote_info info;
        parley_status rs = parley_remote_get(NULL, NULL, &info);
        if (!rs)
            rs = parley_remote_allow(&info);
        if (rs && rs != PARLEY_ERR_NOT_FOUND)
            parley_log(PARLEY_LOG_WARN, "serve: the default team server is not used: %s", parley_last_error());
        else if (!rs)
            parley_log(PARLEY_LOG_INFO, "serve: tasks run on the default team server '%s' unless a request says "
                                        "\"local\": true", info.name);
    }
    if (srv->p.token) {
        if (!token_chars_ok(srv->p.token)) {
            st = parley_fail(PARLEY_ERR_INVALID_ARG, "a token has 16-256 letters, digits, '-' or '_'");
            goto fail;
        }
        srv->token = parley_strdup(srv->p.token);
    } else if ((st = make_token(&srv->token))) {
        goto fail;
    }
    srv->store_path = parley_strdup(srv->p.store_path);
    srv->settings_path = parley_strdup(srv->p.settings_path);
    srv->llm_model = parley_strdup(srv->p.llm_model);
    srv->chat_template = parley_strdup(srv->p.chat_template);
    srv->p.token = srv->p.store_path = srv->p.settings_path = srv->p.llm_model = srv->p.chat_template = NULL;

    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = srv->p.measure_bandwidth;
    if ((st = parley_hw_probe(&hp, &srv->hw)))
        goto fail;

    if ((st = listen_on(srv, &srv->listeners[0], false, srv->p.port)))
        goto fail;
    srv->n_listeners = 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->listeners[0].daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : srv->p.port;
    /* ::1 on the same port, when the system has IPv6 loopback; without it 127.0.0.1 serves. */
    if (listen_on(srv, &srv->listeners[1], true, srv->port) == PARLEY_OK)
        srv->n_listeners = 2;
    else
        parley_log(PARLEY_LOG_INFO, "serve: not listening on [::1]: %s", parley_last_error());
    snprintf(srv->host_ok[0], sizeof srv->host_ok[0], "127.0.0.1:%u", srv->port);
    snprintf(srv->host_ok[1], sizeof srv->host_ok[1], "[::1]:%u", srv->port);
    snprintf(srv->host_ok[2], sizeof srv->host_ok[2], "localhost:%u", srv->port);
    for (int i = 0; i < 3; i++)
        snprintf(srv->origin_ok[i], sizeof srv->origin_ok[i], "http://%s", srv->host_ok[i]);
    snprintf(srv->url, sizeof srv->url, "http://127.0.0.1:%u/#token=%s", srv->port, srv->token);
    if ((st = srv_jobs_start(srv)))
        goto fail;
    *out = srv;
    return PARLEY_OK;
fail:;
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", parley_last_error());
    parley_server_stop(srv);
    return parley_fail(st, "%s", detail);
}

void parley_server_stop(parley_server *srv)
{
    if (!srv)
        return;
    /* Jobs first: it cancels the work and wakes every suspended event stream, which
     * libmicrohttpd needs before a daemon with suspended connections may stop. */
    srv_jobs_stop(srv);
    for (int i = 0; i < 2; i++) {
        srv_listener *l = &srv->listeners[i];
        if (l->daemon)
            MHD_stop_daemon(l->daemon);
        parley_store_close(l->db);
    }
    srv_jobs_free(srv);
    pthread_mutex_destroy(&srv->mu);
    if (srv->token)
        memset(srv->token, 0, strlen(srv->token));
    free(srv->token);
    free(srv->store_path);
    free(srv->settings_path);
    free(srv->llm_model);
    free(srv->chat_template);
    free(srv);
}
