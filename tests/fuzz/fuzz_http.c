/* fuzz_http: what the web server (src/server/) parses out of a request, through the
 * socket-free functions of src/server/request.h that http.c and routes.c call: the /api
 * address split into parts, ids and query numbers, the Host/Origin/Sec-Fetch-Site check,
 * the token check, Content-Length, and every JSON body the API takes (rename, segment
 * edit, task and chat, live start and notes, own model, settings with local_features).
 * Layout of the input: the first 7 lines are the address (with an optional ?query of
 * name=value pairs), Host, Origin, Sec-Fetch-Site, Authorization and Content-Length (an
 * empty line = the header is absent; the address line is always there), then the body
 * (any bytes). Properties checked: the parts are non-empty and hold no '/', a request is
 * let in only with an accepted Host (and Origin when sent), the token check accepts only
 * "Bearer <token>", an edited text is trimmed, task limits stay in range. */
#include "fuzz_util.h"

#include "server/request.h"

#include <parley/settings.h>

#include <strings.h>

#define TOKEN "0123456789abcdef0123456789abcdef"

static const char host_ok[3][64] = {"127.0.0.1:8080", "[::1]:8080", "localhost:8080"};
static const char origin_ok[3][80] = {"http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

#define CHECK(c)                                                                                              \
    do {                                                                                                      \
        if (!(c)) {                                                                                           \
            fprintf(stderr, "fuzz_http: property failed: %s (line %d)\n", #c, __LINE__);                      \
            abort();                                                                                          \
        }                                                                                                     \
    } while (0)

static void query(char *q)
{
    char *save = NULL;
    for (char *p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        const char *v = eq ? eq + 1 : NULL;
        int64_t n = srv_arg_int(v, 50, 1, 500);
        CHECK(n >= 1 && n <= 500);
        n = srv_arg_int(v, 0, 0, INT64_MAX);
        CHECK(n >= 0);
    }
}

static void path(const char *url)
{
    srv_path p;
    srv_path_result r = srv_path_split(url, &p);
    if (r == SRV_PATH_TOO_LONG) {
        CHECK(strlen(url) >= sizeof p.buf);
        return;
    }
    CHECK(p.n >= 0 && p.n <= SRV_MAX_PARTS);
    for (int i = 0; i < p.n; i++) {
        CHECK(p.parts[i][0] != '\0' && !strchr(p.parts[i], '/'));
        int64_t id = -1;
        if (srv_parse_id(p.parts[i], &id))
            CHECK(id >= 0);
    }
}

static void headers(const char *host, const char *origin, const char *site, const char *auth, const char *cl)
{
    const char *why = srv_refuse_reason(host_ok, origin_ok, host, origin, site);
    if (!why) {
        bool h = false, o = !origin;
        for (int i = 0; i < 3; i++) {
            h |= strcasecmp(host, host_ok[i]) == 0;
            o |= origin && strcasecmp(origin, origin_ok[i]) == 0;
        }
        CHECK(h && o);
    }
    if (srv_token_ok(TOKEN, auth))
        CHECK(strncasecmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, TOKEN) == 0);
    (void)srv_content_length_too_large(cl, 1 << 20);
}

static void body(const char *b, size_t len)
{
    char msg[160];
    yyjson_doc *d = srv_body_object(b, len, msg, sizeof msg);
    if (!d) {
        CHECK(strncmp(msg, "the body must be a JSON object", 30) == 0);
        return;
    }
    yyjson_val *root = yyjson_doc_get_root(d);
    const char *title = srv_body_title(root);
    if (title)
        CHECK(*title && strlen(title) <= 500);
    char *text = NULL;
    const char *speaker = NULL;
    if (srv_body_segment_edit(root, &text, &speaker) && text) {
        size_t n = strlen(text);
        if (n)
            CHECK(!strchr(" \n\t", text[0]) && !strchr(" \n\t", text[n - 1]));
    }
    free(text);
    for (int ask = 0; ask < 2; ask++) {
        char *q = NULL;
        srv_task_limits lim = {0, 0, 0};
        int why = srv_body_task(root, ask, &q, &lim);
        CHECK(why >= 0 && why <= 2);
        if (why == 0) {
            CHECK(lim.max_tokens >= 0 && lim.max_tokens <= 1 << 16);
            CHECK(lim.item_chars >= 0 && lim.item_chars <= 4096);
            CHECK(lim.max_items >= 0 && lim.max_items <= 64);
            CHECK(!ask || (q && *q && strlen(q) <= 4000));
        }
        CHECK(why == 0 || !q);
        free(q);
    }
    {
        char remote[64];
        bool local = true;
        int why = srv_body_task_remote(root, remote, sizeof remote, &local);
        CHECK(why == 0 || why == 3);
        CHECK(strlen(remote) < sizeof remote);
        CHECK(why != 0 || !(local && remote[0])); /* never both */
    }
    (void)srv_body_live_start_ok(root);
    const char *note = srv_body_note_text(root);
    if (note)
        CHECK(*note && strlen(note) <= 4000);
    const char *mp = srv_body_model_path(root);
    if (mp)
        CHECK(mp[0] == '/');
    yyjson_val *lf = yyjson_obj_get(root, "local_features");
    unsigned bits = 0;
    if (lf && srv_body_local_features(lf, &bits) == PARLEY_OK)
        CHECK(bits <= 0xffu);
    yyjson_doc_free(d);
    struct parley_settings s = parley_settings_default();
    (void)parley_settings_apply_json(b, len, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *lines[7] = {0};
    size_t pos = 0;
    int n = 0;
    while (n < 7 && pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size;
        lines[n] = strndup((const char *)data + pos, end - pos); /* stops at a NUL, as headers do */
        if (!lines[n])
            goto out;
        n++;
        pos = nl ? end + 1 : size;
    }
    const char *url = lines[0] ? lines[0] : "/api";
    char *qm = lines[0] ? strchr(lines[0], '?') : NULL;
    if (qm) {
        *qm = '\0';
        query(qm + 1);
    }
    path(url);
#define HDR(i) (lines[i] && lines[i][0] ? lines[i] : NULL)
    headers(HDR(1), HDR(2), HDR(3), HDR(4), HDR(5));
    /* The body as the server holds it: the bytes after the header lines (NUL-terminated
     * copy, as parley_buf keeps it). */
    size_t blen = size - pos;
    char *b = malloc(blen + 1);
    if (b) {
        memcpy(b, data + pos, blen);
        b[blen] = '\0';
        body(b, blen);
        free(b);
    }
out:
    for (int i = 0; i < 7; i++)
        free(lines[i]);
    return 0;
}
