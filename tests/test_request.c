/* test_request.c: the server's parsing of request data (src/server/request.c), the part
 * fuzz_http drives: the /api address, ids and query numbers, the Host/Origin/token checks
 * and the JSON bodies, with the answers the routes give for them. */
#include "test.h"

#include "server/request.h"

#include <parley/catalog.h>

#include <stdlib.h>
#include <string.h>

static const char host_ok[3][64] = {"127.0.0.1:8080", "[::1]:8080", "localhost:8080"};
static const char origin_ok[3][80] = {"http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:8080"};

TEST(address_split)
{
    srv_path p;
    ASSERT_EQ_INT(srv_path_split("/api", &p), SRV_PATH_OK);
    ASSERT_EQ_INT(p.n, 0);
    ASSERT_EQ_INT(srv_path_split("/api/sessions//12///segments/3/", &p), SRV_PATH_OK);
    ASSERT_EQ_INT(p.n, 4);
    ASSERT_STR(p.parts[0], "sessions");
    ASSERT_STR(p.parts[1], "12");
    ASSERT_STR(p.parts[3], "3");
    ASSERT_EQ_INT(srv_path_split("/api/a/b/c/d/e/f", &p), SRV_PATH_OK);
    ASSERT_EQ_INT(srv_path_split("/api/a/b/c/d/e/f/g", &p), SRV_PATH_TOO_MANY);
    char longer[600];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "/api/", 5);
    ASSERT_EQ_INT(srv_path_split(longer, &p), SRV_PATH_TOO_LONG);
    /* Not under /api (only the fuzzer passes such): read from the start, never past the end. */
    ASSERT_EQ_INT(srv_path_split("ab", &p), SRV_PATH_OK);
    ASSERT_EQ_INT(p.n, 1);
    ASSERT_STR(p.parts[0], "ab");
}

TEST(ids_and_query_numbers)
{
    int64_t v = -1;
    ASSERT(srv_parse_id("0", &v) && v == 0);
    ASSERT(srv_parse_id("9223372036854775807", &v) && v == INT64_MAX);
    ASSERT(!srv_parse_id("9223372036854775808", &v));
    ASSERT(!srv_parse_id("-1", &v));
    ASSERT(!srv_parse_id("12a", &v));
    ASSERT(!srv_parse_id("", &v));
    ASSERT(!srv_parse_id(NULL, &v));
    ASSERT_EQ_INT(srv_arg_int(NULL, 50, 1, 500), 50);
    ASSERT_EQ_INT(srv_arg_int("abc", 50, 1, 500), 50);
    ASSERT_EQ_INT(srv_arg_int("0", 50, 1, 500), 1);
    ASSERT_EQ_INT(srv_arg_int("99999", 50, 1, 500), 500);
    ASSERT_EQ_INT(srv_arg_int("20", 50, 1, 500), 20);
}

TEST(front_door)
{
    const char *tok = "0123456789abcdef";
    ASSERT(srv_token_ok(tok, "Bearer 0123456789abcdef"));
    ASSERT(srv_token_ok(tok, "bearer 0123456789abcdef"));
    ASSERT(!srv_token_ok(tok, "Bearer 0123456789abcde"));
    ASSERT(!srv_token_ok(tok, "Bearer 0123456789abcdefX"));
    ASSERT(!srv_token_ok(tok, "Basic 0123456789abcdef"));
    ASSERT(!srv_token_ok(tok, NULL));
    ASSERT(srv_refuse_reason(host_ok, origin_ok, "LOCALHOST:8080", NULL, NULL) == NULL);
    ASSERT(srv_refuse_reason(host_ok, origin_ok, "127.0.0.1:8080", "http://[::1]:8080", "same-origin") == NULL);
    ASSERT_CONTAINS(srv_refuse_reason(host_ok, origin_ok, NULL, NULL, NULL), "Host header is required");
    ASSERT_CONTAINS(srv_refuse_reason(host_ok, origin_ok, "evil.example:8080", NULL, NULL), "loopback");
    ASSERT_CONTAINS(srv_refuse_reason(host_ok, origin_ok, "127.0.0.1:8080", "http://evil.example", NULL), "(Origin)");
    ASSERT_CONTAINS(srv_refuse_reason(host_ok, origin_ok, "127.0.0.1:8080", NULL, "cross-site"), "Sec-Fetch-Site");
    ASSERT(srv_content_length_too_large("1048577", 1 << 20));
    ASSERT(!srv_content_length_too_large("1048576", 1 << 20));
    ASSERT(!srv_content_length_too_large(NULL, 1 << 20));
}

static yyjson_doc *obj(const char *json)
{
    char msg[160];
    return srv_body_object(json, strlen(json), msg, sizeof msg);
}

TEST(bodies)
{
    char msg[160];
    ASSERT(!srv_body_object("[1]", 3, msg, sizeof msg));
    ASSERT_STR(msg, "the body must be a JSON object");
    ASSERT(!srv_body_object("{\"a\":", 5, msg, sizeof msg));
    ASSERT_CONTAINS(msg, "the body must be a JSON object: ");

    yyjson_doc *d = obj("{\"title\": \"\"}");
    ASSERT(d && !srv_body_title(yyjson_doc_get_root(d)));
    yyjson_doc_free(d);
    d = obj("{\"title\": \"Weekly\"}");
    ASSERT(d && srv_body_title(yyjson_doc_get_root(d)) && !strcmp(srv_body_title(yyjson_doc_get_root(d)), "Weekly"));
    yyjson_doc_free(d);

    char *text;
    const char *speaker;
    d = obj("{\"text\": \" \\n fixed words\\t \", \"speaker\": null}");
    ASSERT(d && srv_body_segment_edit(yyjson_doc_get_root(d), &text, &speaker));
    ASSERT_STR(text, "fixed words");
    ASSERT_STR(speaker, "");
    free(text);
    yyjson_doc_free(d);
    d = obj("{\"text\": 3}");
    ASSERT(d && !srv_body_segment_edit(yyjson_doc_get_root(d), &text, &speaker) && !text);
    yyjson_doc_free(d);
    d = obj("{}");
    ASSERT(d && !srv_body_segment_edit(yyjson_doc_get_root(d), &text, &speaker));
    yyjson_doc_free(d);

    char *q;
    srv_task_limits lim = {0, 0, 0};
    d = obj("{\"question\": \"why?\", \"max_tokens\": 300, \"max_items\": 5}");
    ASSERT_EQ_INT(srv_body_task(yyjson_doc_get_root(d), true, &q, &lim), 0);
    ASSERT_STR(q, "why?");
    ASSERT_EQ_INT(lim.max_tokens, 300);
    ASSERT_EQ_INT(lim.max_items, 5);
    ASSERT_EQ_INT(lim.item_chars, 0);
    free(q);
    yyjson_doc_free(d);
    d = obj("{\"question\": \"why?\", \"max_tokens\": 70000}");
    ASSERT_EQ_INT(srv_body_task(yyjson_doc_get_root(d), true, &q, &lim), 1);
    ASSERT(!q);
    yyjson_doc_free(d);
    d = obj("{\"max_items\": 2}");
    ASSERT_EQ_INT(srv_body_task(yyjson_doc_get_root(d), true, &q, &lim), 2);
    ASSERT_EQ_INT(srv_body_task(yyjson_doc_get_root(d), false, &q, &lim), 0);
    ASSERT(!q);
    yyjson_doc_free(d);

    d = obj("{\"title\": \"x\", \"speed\": 1.5, \"no_system\": true}");
    ASSERT(srv_body_live_start_ok(yyjson_doc_get_root(d)));
    yyjson_doc_free(d);
    d = obj("{\"speed\": -1}");
    ASSERT(!srv_body_live_start_ok(yyjson_doc_get_root(d)));
    yyjson_doc_free(d);
    d = obj("{\"suggest\": false, \"suggest_interval\": 0.5, \"summary\": true}");
    ASSERT(srv_body_live_start_ok(yyjson_doc_get_root(d)));
    yyjson_doc_free(d);
    const char *bad_live[] = {"{\"suggest\": 1}", "{\"suggest_interval\": 0}", "{\"suggest_interval\": -3}",
                              "{\"suggest_interval\": \"5\"}", "{\"summary\": \"yes\"}", "{\"summary\": 1}"};
    for (size_t i = 0; i < sizeof bad_live / sizeof bad_live[0]; i++) {
        d = obj(bad_live[i]);
        ASSERT_MSG(!srv_body_live_start_ok(yyjson_doc_get_root(d)), "%s accepted", bad_live[i]);
        yyjson_doc_free(d);
    }
    d = obj("{\"path\": \"relative.gguf\", \"text\": \"\"}");
    ASSERT(!srv_body_model_path(yyjson_doc_get_root(d)) && !srv_body_note_text(yyjson_doc_get_root(d)));
    yyjson_doc_free(d);

    unsigned bits = 0;
    d = obj("{\"local_features\": [\"transcribe\", \"chat\"], \"bad\": [\"transcribe\", \"bogus\"], \"no\": 3}");
    yyjson_val *root = yyjson_doc_get_root(d);
    ASSERT_OK(srv_body_local_features(yyjson_obj_get(root, "local_features"), &bits));
    ASSERT_EQ_INT(bits, PARLEY_FEATURE_TRANSCRIBE | PARLEY_FEATURE_CHAT);
    ASSERT_STATUS(srv_body_local_features(yyjson_obj_get(root, "bad"), &bits), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "unknown feature");
    ASSERT_STATUS(srv_body_local_features(yyjson_obj_get(root, "no"), &bits), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "a list of feature names");
    yyjson_doc_free(d);
}

int main(void)
{
    RUN(address_split);
    RUN(ids_and_query_numbers);
    RUN(front_door);
    RUN(bodies);
    return test_summary();
}
