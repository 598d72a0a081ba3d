/* server_internal.h: what the server's files share (http.c, routes.c, jobs.c,
 * store_gap.c, assets.c). Not a public header. */
#ifndef PARLEY_SERVER_INTERNAL_H
#define PARLEY_SERVER_INTERNAL_H

#include <parley/hw.h>
#include <parley/json.h>
#include <parley/server.h>
#include <parley/store.h>

#include "core/internal.h"
#include "server/request.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>
#include <yyjson.h>

typedef struct srv_job srv_job;
typedef struct sse_reader sse_reader;

typedef enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELLED } job_state;
typedef enum job_kind { JOB_SUMMARY, JOB_NOTES, JOB_ASK, JOB_SUGGEST, JOB_PULL, JOB_LIVE } job_kind;

/* A piece of long work (a task on the LLM, a download) and the events it made so far.
 * Every field after `mu`-protected ones is guarded by parley_server.mu. */
struct srv_job {
    int64_t id;
    job_kind kind;
    int64_t session_id;      /* tasks */
    char model_id[64];       /* pulls */
    char *question;          /* ask; live: the start request's JSON */
    int32_t max_tokens, item_chars, max_items; /* task limits from the request; 0 = defaults */
    char remote[64];         /* tasks: the team server that runs it (remote.h); "" = this device */
    parley_cancel *cancel;
    /* guarded by srv->mu */
    job_state state;
    int refs;                /* the job table's, each SSE reader's, the worker's */
    char **events;           /* SSE frames ("event: x\ndata: {...}\n\n"), in order */
    size_t n_events, cap_events;
    sse_reader *waiters;     /* readers suspended until the next event */
    srv_job *next;           /* the worker's queue */
    srv_job *all_next;       /* the job table */
    double created;
};

/* A worker thread that owns an engine and runs its jobs one at a time. */
typedef struct srv_worker {
    pthread_t thread;
    bool started;
    srv_job *head, *tail;    /* queue, guarded by srv->mu */
    pthread_cond_t cv;
    struct parley_server *srv;
    int which;               /* 0 = LLM, 1 = downloads */
} srv_worker;

/* One listening socket (127.0.0.1 or ::1) and its I/O thread's own store handle. */
typedef struct srv_listener {
    struct parley_server *srv;
    struct MHD_Daemon *daemon;
    parley_store *db;        /* used only by this listener's I/O thread */
    const char *family;      /* "127.0.0.1" or "::1" */
} srv_listener;

struct parley_server {
    struct parley_server_params p;
    char *token;
    char *store_path, *settings_path, *llm_model, *chat_template;
    uint16_t port;
    char url[160];
    char host_ok[3][64];     /* acceptable Host headers */
    char origin_ok[3][80];   /* acceptable Origin headers */
    parley_hw hw;
    srv_listener listeners[2];
    int n_listeners;
    pthread_mutex_t mu;
    bool stopping;
    srv_job *jobs;           /* every job still kept, newest first */
    int64_t next_job_id;
    srv_worker workers[3];   /* 0: the LLM, 1: downloads, 2: a live meeting */
    /* The live meeting (guarded by mu): its job, notes typed for it, a stop request. */
    srv_job *live_job;
    char **live_notes;
    size_t n_live_notes;
    char **live_asks;            /* questions for the meeting's assistant, in order */
    size_t n_live_asks;
    bool live_assistant;         /* the running meeting has an assistant (a model or a team server) */
    bool live_suggest;           /* a suggestion was asked for (POST /api/live/suggest) */
    bool live_stop;
};

/* A request being received: the body gathered so far, within its limit. */
typedef struct srv_request {
    parley_buf body;
    bool too_large;
    bool refused;            /* a response was already queued on the first call */
} srv_request;

/* ---- responses (http.c) ---- */
enum MHD_Result srv_send(struct MHD_Connection *c, unsigned http, const char *type, const void *data, size_t len,
                         bool copy);
/* Sends the doc's root as JSON (and frees doc). */
enum MHD_Result srv_send_json(struct MHD_Connection *c, unsigned http, yyjson_mut_doc *doc);
/* {"error","status","code","detail"}; detail NULL = parley_last_error() for st. */
enum MHD_Result srv_send_error(struct MHD_Connection *c, unsigned http, parley_status st, const char *detail);
/* HTTP status for a library status (NOT_FOUND -> 404, INVALID_ARG -> 400, ...). */
unsigned srv_http_status(parley_status st);
void srv_add_security_headers(struct MHD_Response *r, bool api);

/* ---- the API (routes.c) ---- */
enum MHD_Result srv_route_api(srv_listener *l, struct MHD_Connection *c, const char *method, const char *url,
                              const char *body, size_t body_len);

/* ---- jobs (jobs.c) ---- */
parley_status srv_jobs_start(parley_server *srv);
void srv_jobs_stop(parley_server *srv);  /* cancel, wake streams, join the workers */
void srv_jobs_free(parley_server *srv);  /* after the listeners stopped */
/* Queues a job on its worker; the new job's id in *id. remote: a task's team server by
 * name (checked by the caller), NULL or "" = this device. */
parley_status srv_job_submit(parley_server *srv, job_kind kind, int64_t session_id, const char *model_id,
                             const char *question, const srv_task_limits *limits, const char *remote, int64_t *id);
/* GET /api/jobs/ID, /api/jobs/ID/events, DELETE /api/jobs/ID. */
enum MHD_Result srv_job_status(parley_server *srv, struct MHD_Connection *c, int64_t id);
enum MHD_Result srv_job_events(parley_server *srv, struct MHD_Connection *c, int64_t id);
enum MHD_Result srv_job_cancel(parley_server *srv, struct MHD_Connection *c, int64_t id);
const char *srv_job_kind_name(job_kind k);
/* The live meeting: GET /api/live, POST /api/live/notes, POST /api/live/stop. */
enum MHD_Result srv_live_status(parley_server *srv, struct MHD_Connection *c);
enum MHD_Result srv_live_note(parley_server *srv, struct MHD_Connection *c, const char *text);
enum MHD_Result srv_live_stop(parley_server *srv, struct MHD_Connection *c);
/* A question for the running meeting's assistant, answered from its warm cache: the answer
 * streams on the meeting's event stream (token events, then answer). 409 when no meeting
 * runs, or it has no assistant (then POST /api/sessions/ID/chat answers instead). */
enum MHD_Result srv_live_ask(parley_server *srv, struct MHD_Connection *c, const char *question);
/* A suggestion now from the running meeting's assistant (a suggestion event on the
 * meeting's stream); 409 as for srv_live_ask. */
enum MHD_Result srv_live_suggest(parley_server *srv, struct MHD_Connection *c);
/* What the page should tell the user to do about a failure (never "try elsewhere"). */
const char *srv_hint(parley_status st);

/* ---- the store's answers shaped for the API (store_views.c) ---- */
parley_status srv_store_segment_edit(srv_listener *l, int64_t session_id, int64_t index, const char *text,
                                     const char *speaker);
parley_status srv_store_artifacts_json(srv_listener *l, int64_t session_id, yyjson_mut_doc *doc,
                                       yyjson_mut_val *arr);
parley_status srv_store_get_artifact(srv_listener *l, int64_t artifact_id, parley_artifact *out);
parley_status srv_store_delete_artifact(srv_listener *l, int64_t artifact_id);
parley_status srv_store_chat_clear(srv_listener *l, int64_t session_id, int64_t *removed);
/* Session rows matching q (parley_store_search's rules; NULL/"" = all) and status (a
 * parley_session_status name; NULL = any), newest first, paged; *total matches. */
parley_status srv_store_list_json(srv_listener *l, const char *q, const char *status, int64_t limit,
                                  int64_t offset, yyjson_mut_doc *doc, yyjson_mut_val *arr, int64_t *total);
/* One page of search hits, best first; *more says whether another page follows. */
parley_status srv_store_search(srv_listener *l, const char *q, int64_t limit, int64_t offset, yyjson_mut_doc *doc,
                               yyjson_mut_val *hits, int64_t *more);

/* ---- the pages (assets.c) ---- */
typedef struct srv_asset {
    const char *path;        /* "/app.js" */
    const char *type;        /* content type */
    const unsigned char *data;
    size_t len;
} srv_asset;
const srv_asset *srv_asset_find(const char *path);

#endif
