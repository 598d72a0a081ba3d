/*
 * remote.h: a team's own inference server (llama.cpp's llama-server, vLLM: anything that
 * speaks OpenAI's /v1/chat/completions), opt-in and labelled.
 *
 * Rules (docs/remote.md):
 *   - Nothing is remote unless the user named a server: `parley remote add NAME URL`.
 *     With none configured Parley opens no connection at all; with one, only to that
 *     server's host and port (no redirects, no proxies from the environment).
 *   - A remote is never a fallback: a local failure is not retried remotely, a remote
 *     failure is not retried locally or on another server. The caller reports it.
 *   - What a remote makes is labelled with the server's name wherever it is shown or
 *     stored (parley_remote_result.server; parley_remote_meta_label for artifact meta).
 *
 * Basic usage
 *
 *     parley_remote_info info;
 *     if (parley_remote_get(NULL, NULL, &info) == PARLEY_OK) {        // the default server
 *         struct parley_remote_params rp = parley_remote_default_params();
 *         parley_remote *r;
 *         if (parley_remote_open(&info, &rp, &r) == PARLEY_OK) {
 *             parley_llm_message msgs[] = {{"system", "Be brief."}, {"user", "Hello"}};
 *             struct parley_remote_request rq = parley_remote_default_request();
 *             rq.messages = msgs; rq.n_messages = 2; rq.on_token = print_piece;
 *             struct parley_remote_result res;
 *             if (parley_remote_chat(r, &rq, &res) == PARLEY_OK)
 *                 printf("[%s] %s\n", res.server, res.text);
 *             parley_remote_result_clear(&res);
 *             parley_remote_free(r);
 *         }
 *     }
 *
 * The configuration lives in <config>/remotes.json (written atomically). A token is never
 * stored there: only the path of a file holding it (read when a connection is opened).
 *
 * Thread rules: a parley_remote is used by one thread at a time; on_token runs on the
 * calling thread. The configuration functions may be called from any thread (the last
 * atomic write wins between processes).
 */
#ifndef PARLEY_REMOTE_H
#define PARLEY_REMOTE_H

#include <parley/llm.h>
#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ------------------------------------------------------------------ */

typedef struct parley_remote_info {
    char name[64];          /* the user's name for it: letters, digits, '-', '_', '.' */
    char url[512];          /* base URL: http(s)://host[:port][/prefix] (".../v1" is added) */
    char token_file[1024];  /* file holding the bearer token; "" = none */
    bool is_default;        /* the server task commands use when none is named */
} parley_remote_info;

/* `config_path` NULL = <config>/remotes.json, everywhere below. */

/* Adds a server. INVALID_ARG: bad name, a URL that is not http(s)://host..., a name in
 * use; NOT_FOUND: the token file does not exist (it is read, never copied). The first
 * server added is not made the default: the user sets it (parley_remote_set_default). */
parley_status parley_remote_add(const char *config_path, const char *name, const char *url, const char *token_file);

/* Removes a server (and the default mark when it had it). NOT_FOUND when unknown. */
parley_status parley_remote_remove(const char *config_path, const char *name);

/* Makes `name` the default; NULL clears the default. NOT_FOUND when unknown. */
parley_status parley_remote_set_default(const char *config_path, const char *name);

/* All servers in the order added; *out is owned by the caller (free()), NULL when none.
 * No configuration file is not an error (0 servers). FORMAT when it is malformed. */
parley_status parley_remote_list(const char *config_path, parley_remote_info **out, size_t *n);

/* One server by name, or the default when name is NULL. NOT_FOUND: no such server, or
 * (name NULL) no default set. */
parley_status parley_remote_get(const char *config_path, const char *name, parley_remote_info *out);

/* ---- the client --------------------------------------------------------------------- */

typedef struct parley_remote parley_remote;

struct parley_remote_params {
    double connect_timeout_s; /* 0 = 5 */
    double idle_timeout_s;    /* the server sends nothing for this long: an error; 0 = 60 */
    const char *model;        /* "model" field sent; NULL = "default" (llama-server ignores
                                 it; vLLM needs the served model's name). Copied. */
    uint32_t n_ctx;           /* the server's context size in tokens, for the task layer's
                                 budgets (tasks.h); 0 = 8192 */
};
struct parley_remote_params parley_remote_default_params(void);

/* Opens Parley's network gate (net.h) for this server, and only it: the process policy
 * becomes local_only = false with team_server = the server's host (loopback is always
 * allowed). Call it when the user has named this server for the work at hand (a
 * --remote NAME, or the default they set), before threads start. Every request then
 * still goes through the gate (parley_net_check and the curl socket guard). */
parley_status parley_remote_allow(const parley_remote_info *info);

/* Reads the token file (when there is one) and prepares a client. Opens no connection.
 * NOT_FOUND/PERMISSION: the token file cannot be read. */
parley_status parley_remote_open(const parley_remote_info *info, const struct parley_remote_params *params,
                                 parley_remote **out);
void parley_remote_free(parley_remote *r); /* NULL is a no-op */

/* The server's name ("team-gpu"). Borrowed, valid while r lives. */
const char *parley_remote_name(const parley_remote *r);
/* The "model" field sent ("default" unless parley_remote_params.model). Borrowed. */
const char *parley_remote_model(const parley_remote *r);
/* The context size the task layer budgets for (parley_remote_params.n_ctx, default 8192). */
uint32_t parley_remote_n_ctx(const parley_remote *r);

struct parley_remote_request {
    const parley_llm_message *messages; /* required; borrowed for the call */
    size_t n_messages;
    int32_t max_tokens;       /* 0 = the server's default */
    float temperature;        /* 0 = greedy */
    uint32_t seed;            /* sent when temperature > 0 */
    const char *json_schema;  /* structured output: a JSON Schema (response_format
                                 json_schema; llama-server and vLLM both take it); NULL = none */
    const char *grammar;      /* or a GBNF grammar (llama-server's "grammar" field); NULL = none */
    parley_llm_token_fn on_token; /* each streamed piece; return false to stop; may be NULL */
    void *user_data;
    const parley_cancel *cancel;  /* may be NULL */
};
struct parley_remote_request parley_remote_default_request(void);

struct parley_remote_result {
    char *text;               /* the whole answer (owned; parley_remote_result_clear) */
    char server[64];          /* the server's name: label what you show and store with it */
    char model[128];          /* the model the server reported ("" when it did not) */
    char finish[32];          /* "stop", "length", ... as the server said; "cancelled" */
    int32_t n_prompt;         /* tokens, when the server reports usage; else 0 */
    int32_t n_generated;
    double ms;                /* wall time of the request */
};
void parley_remote_result_clear(struct parley_remote_result *res);

/* One streamed chat completion (stream=true, server-sent events). Errors, each with
 * parley_last_error() naming the server:
 *   NETWORK     cannot connect (server stopped), connection dropped, or the server went
 *               silent for idle_timeout_s ("slow"), or an HTTP error status
 *   PERMISSION  HTTP 401/403: the server refused the token
 *   FORMAT      the reply is not an OpenAI-style stream
 *   CANCELLED   cancel was set, or on_token returned false
 * Nothing is retried, here or elsewhere. */
parley_status parley_remote_chat(parley_remote *r, const struct parley_remote_request *rq,
                                 struct parley_remote_result *out);

/* Adds "remote": {"server": NAME, "model": MODEL} to an artifact's meta JSON (a JSON object
 * text, NULL = "{}"); returns a new string (free()) or NULL on bad JSON/out of memory. */
char *parley_remote_meta_label(const char *meta_json, const struct parley_remote_result *res);

#ifdef __cplusplus
}
#endif
#endif
