/* request.h: what the server parses out of a request's untrusted bytes (the address, the
 * query numbers, the Host/Origin/Sec-Fetch-Site and token checks, the JSON bodies), as
 * plain functions that need no connection and no socket: http.c and routes.c call them,
 * and so does tests/fuzz/fuzz_http.c. Not a public header.
 * Thread rules: every function is pure (no shared state) and may run on any thread;
 * those that fail set parley_last_error() (thread-local) as parley_fail does. */
#ifndef PARLEY_SERVER_REQUEST_H
#define PARLEY_SERVER_REQUEST_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yyjson.h>

/* Task limits from a request; 0 = the task's defaults. */
typedef struct srv_task_limits {
    int32_t max_tokens, item_chars, max_items;
} srv_task_limits;

/* ---- the address ---- */
#define SRV_MAX_PARTS 6
typedef struct srv_path {
    char buf[512];                /* the address after /api/, cut at each '/' */
    char *parts[SRV_MAX_PARTS];   /* point into buf */
    int n;
} srv_path;
typedef enum srv_path_result { SRV_PATH_OK, SRV_PATH_TOO_LONG, SRV_PATH_TOO_MANY } srv_path_result;
/* Splits an /api address ("/api" or "/api/a/b/..."; empty parts are skipped) into *out. */
srv_path_result srv_path_split(const char *url, srv_path *out);

/* A non-negative decimal number with nothing after it (ids, query numbers). */
bool srv_parse_id(const char *s, int64_t *out);
/* A query number: dflt when absent or not a number, else clamped to [lo, hi]. */
int64_t srv_arg_int(const char *v, int64_t dflt, int64_t lo, int64_t hi);

/* ---- the front door ---- */
/* "Bearer TOKEN" compared in a time that does not depend on where the first difference is. */
bool srv_token_ok(const char *token, const char *auth);
/* NULL when a request with these headers (each NULL when absent) may go on, else why it is
 * refused. host_ok/origin_ok: the 3 acceptable values each. */
const char *srv_refuse_reason(const char host_ok[3][64], const char origin_ok[3][80], const char *host,
                              const char *origin, const char *site);
/* Whether a Content-Length header value announces more than max bytes. */
bool srv_content_length_too_large(const char *cl, size_t max);

/* ---- bodies ---- */
/* The body as a JSON object (caller frees with yyjson_doc_free); NULL when it is not one,
 * with the message to answer 400 with in msg. */
yyjson_doc *srv_body_object(const char *body, size_t len, char *msg, size_t msg_size);
/* PATCH /api/sessions/ID: {"title"}: the title (borrowed from the doc), NULL when missing,
 * empty or longer than 500 bytes. */
const char *srv_body_title(yyjson_val *root);
/* PATCH /api/sessions/ID/segments/N: {"text"} and/or {"speaker"}. false when neither or a
 * wrong type. *text: the trimmed text (caller frees) or NULL when absent; *speaker: NULL
 * when absent, "" for null, else borrowed from the doc. */
bool srv_body_segment_edit(yyjson_val *root, char **text, const char **speaker);
/* POST /api/sessions/ID/{summary,notes,suggestions,chat}: {"question", "max_tokens",
 * "item_chars", "max_items"}. 0 ok, 1 a limit out of range, 2 (ask only) no question of
 * 1-4000 bytes. *question (ask only; caller frees) is set when given and valid. */
int srv_body_task(yyjson_val *root, bool ask, char **question, srv_task_limits *lim);
/* The same bodies' {"remote": NAME} (a team server, remote.h) or {"local": true}: 0 ok
 * (remote[0] = 0 when not named; *local false when not given), 3 a wrong type, a name that
 * is empty or too long, or both given. */
int srv_body_task_remote(yyjson_val *root, char *remote, size_t remote_size, bool *local);
/* POST /api/live: whether the fields that are there have the right types. */
bool srv_body_live_start_ok(yyjson_val *root);
/* POST /api/live/notes: {"text"} of 1-4000 bytes (borrowed), else NULL. */
const char *srv_body_note_text(yyjson_val *root);
/* POST /api/models: {"path"} when absolute (borrowed), else NULL. */
const char *srv_body_model_path(yyjson_val *root);
/* PUT/PATCH /api/settings "local_features": a list of feature names -> bits. */
parley_status srv_body_local_features(yyjson_val *lf, unsigned *bits);

#endif
