/* jobs.c: long work off the I/O thread. Two worker threads each own an engine: one the
 * loaded LLM (summaries, notes, chat, suggestions, one at a time, in order), one the
 * downloads. A job records its events (tokens, progress, done, error) as ready-made SSE
 * frames; an event stream reading a job that has nothing new suspends its connection,
 * and the worker resumes it when it appends (libmicrohttpd's wake-up channel brings the
 * connection back into the I/O loop). So the I/O thread never waits for inference. */
#include "server/server_internal.h"

#include <parley/catalog.h>
#include <parley/asr.h>
#include <parley/events.h>
#include <parley/live.h>
#include <parley/llm.h>
#include <parley/remote.h>
#include <parley/settings.h>
#include <parley/tasks.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_FINISHED_JOBS 64
#define MAX_EVENTS_PER_JOB 200000

struct sse_reader {
    parley_server *srv;
    srv_job *job;
    struct MHD_Connection *conn;
    size_t cursor;      /* next event to send */
    char *pending;      /* frame being sent (a copy), and how far */
    size_t pending_len, pending_pos;
    bool suspended;
    sse_reader *next;   /* in job->waiters */
};

static const char *const kind_names[] = {"summarize", "notes", "ask", "suggest", "pull", "live"};
static const char *const state_names[] = {"queued", "running", "done", "failed", "cancelled"};

const char *srv_job_kind_name(job_kind k) { return kind_names[k]; }

const char *srv_hint(parley_status st)
{
    switch (st) {
    case PARLEY_ERR_NO_TEMPLATE:
        return "This model has no chat template. Choose another model on the Models page, or start "
               "'parley serve --template chatml' (or llama3, gemma) for it.";
    case PARLEY_ERR_MODEL_LOAD:
        return "The model file is missing or damaged. Download it again or choose another on the Models page.";
    case PARLEY_ERR_NOMEM:
        return "Not enough memory for this model. Choose a smaller one (the Models page shows what fits).";
    case PARLEY_ERR_CONTEXT_OVERFLOW:
        return "The meeting and the chat do not fit the model's context. Clear the chat, or start "
               "'parley serve --ctx N' with a larger context.";
    case PARLEY_ERR_NO_DEVICE:
        return "No device can run this model here. Choose a smaller model on the Models page.";
    case PARLEY_ERR_NETWORK:
        return "The download failed; nothing was used from elsewhere. Check the connection and pull again "
               "(it resumes).";
    case PARLEY_ERR_DISK_FULL:
        return "The disk is full. Free some space and try again.";
    case PARLEY_ERR_INFERENCE:
        return "Local inference failed. The error above is llama.cpp's; nothing was sent anywhere else.";
    default:
        return NULL;
    }
}

/* ---- job table (all under srv->mu) ---------------------------------------------------- */

static void job_unref_locked(srv_job *j)
{
    if (--j->refs > 0)
        return;
    for (size_t i = 0; i < j->n_events; i++)
        free(j->events[i]);
    free(j->events);
    free(j->question);
    parley_cancel_free(j->cancel);
    free(j);
}

static srv_job *job_find_locked(parley_server *srv, int64_t id)
{
    for (srv_job *j = srv->jobs; j; j = j->all_next)
        if (j->id == id)
            return j;
    return NULL;
}

static bool job_finished(const srv_job *j) { return j->state >= JOB_DONE; }

/* Drops the oldest finished jobs past KEEP_FINISHED_JOBS from the table. */
static void prune_locked(parley_server *srv)
{
    int kept = 0;
    srv_job **pp = &srv->jobs;
    while (*pp) {
        srv_job *j = *pp;
        if (job_finished(j) && ++kept > KEEP_FINISHED_JOBS) {
            *pp = j->all_next;
            job_unref_locked(j);
            continue;
        }
        pp = &j->all_next;
    }
}

static void wake_locked(srv_job *j)
{
    sse_reader *w = j->waiters;
    j->waiters = NULL;
    while (w) {
        sse_reader *next = w->next;
        w->next = NULL;
        if (w->suspended) {
            w->suspended = false;
            MHD_resume_connection(w->conn);
        }
        w = next;
    }
}

/* Appends an SSE frame "event: name\ndata: <json>\n\n" and wakes the readers. */
static void job_event(parley_server *srv, srv_job *j, const char *name, yyjson_mut_doc *doc, yyjson_mut_val *v)
{
    yyjson_mut_doc_set_root(doc, v);
    size_t len = 0;
    char *json = v ? yyjson_mut_write(doc, YYJSON_WRITE_ALLOW_INVALID_UNICODE, &len) : NULL;
    size_t n = strlen(name) + len + 32;
    char *frame = json ? malloc(n) : NULL;
    if (frame)
        snprintf(frame, n, "event: %s\ndata: %s\n\n", name, json);
    free(json);
    if (!frame)
        return;
    pthread_mutex_lock(&srv->mu);
    bool progress = strcmp(name, "progress") == 0 || strcmp(name, "token") == 0;
    if (progress && j->n_events >= MAX_EVENTS_PER_JOB) {
        free(frame);
    } else if (j->n_events == j->cap_events) {
        size_t cap = j->cap_events ? j->cap_events * 2 : 64;
        char **e = realloc(j->events, cap * sizeof *e);
        if (e) {
            j->events = e;
            j->cap_events = cap;
            j->events[j->n_events++] = frame;
        } else {
            free(frame);
        }
    } else {
        j->events[j->n_events++] = frame;
    }
    wake_locked(j);
    pthread_mutex_unlock(&srv->mu);
}

/* Appends a frame whose data is ready-made JSON (a bus event). */
static void job_event_json(parley_server *srv, srv_job *j, const char *name, const char *json)
{
    size_t n = strlen(name) + strlen(json) + 32;
    char *frame = malloc(n);
    if (!frame)
        return;
    snprintf(frame, n, "event: %s\ndata: %s\n\n", name, json);
    pthread_mutex_lock(&srv->mu);
    char **e = j->events;
    if (j->n_events == j->cap_events) {
        size_t cap = j->cap_events ? j->cap_events * 2 : 64;
        e = j->n_events < MAX_EVENTS_PER_JOB ? realloc(j->events, cap * sizeof *e) : NULL;
        if (e) {
            j->events = e;
            j->cap_events = cap;
        }
    }
    if (e && j->n_events < j->cap_events)
        j->events[j->n_events++] = frame;
    else
        free(frame);
    wake_locked(j);
    pthread_mutex_unlock(&srv->mu);
}

static void job_finish(parley_server *srv, srv_job *j, job_state st)
{
    pthread_mutex_lock(&srv->mu);
    j->state = st;
    wake_locked(j);
    pthread_mutex_unlock(&srv->mu);
}

static void job_fail(parley_server *srv, srv_job *j, parley_status st, const char *detail)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (doc) {
        yyjson_mut_val *o = parley_json_error(doc, st, (int)srv_http_status(st), detail);
        const char *hint = srv_hint(st);
        if (o && hint)
            yyjson_mut_obj_add_str(doc, o, "hint", hint);
        job_event(srv, j, "error", doc, o);
        yyjson_mut_doc_free(doc);
    }
    job_finish(srv, j, st == PARLEY_ERR_CANCELLED ? JOB_CANCELLED : JOB_FAILED);
}

static yyjson_mut_val *job_json_locked(yyjson_mut_doc *doc, const srv_job *j);

/* ---- the LLM worker -------------------------------------------------------------------- */

typedef struct llm_worker_state {
    parley_llm *llm;
    char loaded[PATH_MAX];
    parley_store *db;
} llm_worker_state;

static bool on_token(const char *text, size_t len, void *ud)
{
    void **a = ud;
    parley_server *srv = a[0];
    srv_job *j = a[1];
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return true;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_strncpy(doc, o, "text", text, len);
    job_event(srv, j, "token", doc, o);
    yyjson_mut_doc_free(doc);
    return true;
}

static void on_task_event(parley_task_event ev, int index, int count, void *ud)
{
    void **a = ud;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_str(doc, o, "stage", ev == PARLEY_TASK_EVENT_CHUNK ? "part" : "merge");
    yyjson_mut_obj_add_int(doc, o, "index", index);
    yyjson_mut_obj_add_int(doc, o, "count", count);
    job_event(a[0], a[1], "stage", doc, o);
    yyjson_mut_doc_free(doc);
}

static parley_feature feature_of(job_kind k)
{
    switch (k) {
    case JOB_ASK: return PARLEY_FEATURE_CHAT;
    case JOB_SUGGEST: return PARLEY_FEATURE_SUGGEST;
    default: return PARLEY_FEATURE_SUMMARY;
    }
}

/* The model for tasks: serve's --model, else this device's choice, else the only GGUF in
 * the models directory. Also checks that the feature runs on this device. */
static parley_status choose_model(parley_server *srv, job_kind kind, char *path, size_t n)
{
    struct parley_catalog_params cp = parley_catalog_default_params();
    parley_catalog *cat = NULL;
    parley_status st = parley_catalog_open(&cp, &cat);
    if (st)
        return st;
    struct parley_device_settings set;
    parley_catalog_settings(cat, &set);
    if (!(set.local_features & feature_of(kind))) {
        parley_catalog_free(cat);
        return parley_fail(PARLEY_ERR_UNSUPPORTED,
                           "%s is switched off on this device (Settings, local features); nothing was sent "
                           "anywhere else",
                           parley_feature_name(feature_of(kind)));
    }
    if (!srv->llm_model && set.llm_model[0]) {
        const parley_model_info *m = parley_catalog_find(cat, set.llm_model);
        if (m && m->state == PARLEY_STATE_READY && strlen(m->path) < n) {
            strcpy(path, m->path);
            parley_catalog_free(cat);
            return PARLEY_OK;
        }
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "the chosen model %s is not usable: %s", set.llm_model,
                         m ? (m->state_reason[0] ? m->state_reason : parley_model_state_name(m->state))
                           : "no longer listed");
        parley_catalog_free(cat);
        return st;
    }
    parley_catalog_free(cat);
    return parley_llm_model_find(srv->llm_model, path, n);
}

/* A team server's failure: the error event names it and says nothing ran here. */
static void job_fail_remote(parley_server *srv, srv_job *j, parley_status st, const char *detail)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (doc) {
        yyjson_mut_val *o = parley_json_error(doc, st, (int)srv_http_status(st), detail);
        if (o) {
            yyjson_mut_val *ro = yyjson_mut_obj_add_obj(doc, o, "remote");
            yyjson_mut_obj_add_strcpy(doc, ro, "server", j->remote);
            char hint[300];
            snprintf(hint, sizeof hint, "The team server '%s' did not make it; nothing was run on this computer "
                     "instead. Check the server, or ask for this computer (\"local\": true).", j->remote);
            yyjson_mut_obj_add_strcpy(doc, o, "hint", hint);
        }
        job_event(srv, j, "error", doc, o);
        yyjson_mut_doc_free(doc);
    }
    job_finish(srv, j, st == PARLEY_ERR_CANCELLED ? JOB_CANCELLED : JOB_FAILED);
}

/* Opens the job's team server (no connection yet; the gate was set when serve started). */
static parley_status open_remote(parley_server *srv, const srv_job *j, parley_remote **out)
{
    parley_remote_info info;
    parley_status st = parley_remote_get(NULL, j->remote, &info);
    if (st)
        return st;
    struct parley_remote_params rp = parley_remote_default_params();
    rp.n_ctx = srv->p.n_ctx;
    return parley_remote_open(&info, &rp, out);
}

/* This device's model for the job: chosen (choose_model) and loaded unless it already is. */
static parley_status load_local(parley_server *srv, llm_worker_state *ws, const srv_job *j)
{
    char path[PATH_MAX];
    parley_status st = choose_model(srv, j->kind, path, sizeof path);
    if (!st && (!ws->llm || strcmp(path, ws->loaded) != 0)) {
        parley_llm_free(ws->llm);
        ws->llm = NULL;
        ws->loaded[0] = '\0';
        struct parley_llm_params lp = parley_llm_default_params();
        lp.n_ctx = srv->p.n_ctx;
        lp.n_threads = srv->p.n_threads;
        lp.chat_template = srv->chat_template;
        lp.n_gpu_layers = srv->p.no_gpu ? 0 : -1;
        st = parley_llm_load(path, lp, &ws->llm);
        if (!st)
            snprintf(ws->loaded, sizeof ws->loaded, "%s", path);
    }
    return st;
}

static void run_task(parley_server *srv, llm_worker_state *ws, srv_job *j)
{
    /* A team server: no model is chosen or loaded here (this device's feature switches are
     * about this device); else this device's model. */
    parley_remote *remote = NULL;
    parley_status st = j->remote[0] ? open_remote(srv, j, &remote) : load_local(srv, ws, j);
    if (!st && !ws->db)
        st = parley_store_open(srv->store_path, &ws->db);
    if (st) {
        if (j->remote[0])
            job_fail_remote(srv, j, st, parley_last_error());
        else
            job_fail(srv, j, st, parley_last_error());
        parley_remote_free(remote);
        return;
    }
    /* The settings' output language (else the meeting's own) for what is written. */
    struct parley_settings set;
    if (parley_settings_load(srv->settings_path, &set) != PARLEY_OK)
        set = parley_settings_default();
    void *ud[2] = {srv, j};
    struct parley_task_params tp = parley_task_default_params();
    if (set.output_language[0] && j->kind != JOB_ASK)
        tp.language = set.output_language;
    char vocab[PARLEY_SETTINGS_VOCAB_MAX];
    parley_settings_vocabulary_line(&set, vocab, sizeof vocab);
    tp.vocabulary = vocab[0] ? vocab : NULL;
    tp.max_tokens = j->max_tokens;
    tp.item_chars = j->item_chars;
    tp.max_items = j->max_items;
    tp.on_token = on_token;
    tp.on_event = on_task_event;
    tp.user_data = ud;
    tp.cancel = j->cancel;
    tp.remote = remote;
    struct parley_task_result r;
    memset(&r, 0, sizeof r);
    switch (j->kind) {
    case JOB_SUMMARY: st = parley_task_summarize(ws->llm, ws->db, j->session_id, &tp, &r); break;
    case JOB_NOTES: st = parley_task_notes(ws->llm, ws->db, j->session_id, &tp, &r); break;
    case JOB_ASK: st = parley_task_ask(ws->llm, ws->db, j->session_id, j->question, &tp, &r); break;
    case JOB_SUGGEST: st = parley_task_suggest(ws->llm, ws->db, j->session_id, &tp, &r); break;
    default: st = PARLEY_ERR_INVALID_ARG;
    }
    if (!st && parley_cancel_is_set(j->cancel))
        st = PARLEY_ERR_CANCELLED;
    if (st && remote) {
        job_fail_remote(srv, j, st, parley_last_error());
    } else if (st) {
        job_fail(srv, j, st, parley_last_error());
    } else {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        const char *slash = strrchr(ws->loaded, '/');
        /* A team server's result: model "remote:NAME/MODEL" and "remote": {"server", "model"}
         * (the model the server reported, from the stored meta label); null when made here. */
        char made_by[256] = "";
        const char *server_model = remote ? parley_remote_model(remote) : NULL;
        yyjson_doc *md = remote && r.meta ? yyjson_read(r.meta, strlen(r.meta), 0) : NULL;
        const char *sm = yyjson_get_str(yyjson_obj_get(yyjson_obj_get(yyjson_doc_get_root(md), "remote"), "model"));
        if (sm && *sm)
            server_model = sm;
        if (remote)
            snprintf(made_by, sizeof made_by, "remote:%s/%s", j->remote, server_model);
        yyjson_mut_val *o = doc ? parley_json_task_result(doc, kind_names[j->kind], j->session_id,
                                                          remote ? made_by : slash ? slash + 1 : ws->loaded,
                                                          j->question, &r)
                                : NULL;
        if (o && remote) {
            yyjson_mut_val *ro = yyjson_mut_obj_add_obj(doc, o, "remote");
            yyjson_mut_obj_add_strcpy(doc, ro, "server", j->remote);
            yyjson_mut_obj_add_strcpy(doc, ro, "model", server_model);
        } else if (o) {
            yyjson_mut_obj_add_null(doc, o, "remote");
        }
        yyjson_doc_free(md);
        job_event(srv, j, "done", doc, o);
        yyjson_mut_doc_free(doc);
        job_finish(srv, j, JOB_DONE);
    }
    parley_task_result_clear(&r);
    parley_remote_free(remote);
}

/* ---- the download worker ----------------------------------------------------------------- */

static bool on_progress(const parley_fetch_progress *p, void *ud)
{
    void **a = ud;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (doc) {
        job_event(a[0], a[1], "progress", doc, parley_json_fetch_progress(doc, p));
        yyjson_mut_doc_free(doc);
    }
    return true;
}

static void run_pull(parley_server *srv, srv_job *j)
{
    struct parley_catalog_params cp = parley_catalog_default_params();
    parley_catalog *cat = NULL;
    parley_status st = parley_catalog_open(&cp, &cat);
    if (st) {
        job_fail(srv, j, st, parley_last_error());
        return;
    }
    void *ud[2] = {srv, j};
    struct parley_fetch_params fp = parley_fetch_default_params();
    fp.progress = on_progress;
    fp.progress_user_data = ud;
    fp.cancel = j->cancel;
    struct parley_fetch_result r;
    memset(&r, 0, sizeof r);
    st = parley_catalog_pull(cat, j->model_id, &fp, &r);
    if (st) {
        job_fail(srv, j, st, parley_last_error());
    } else {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *o = yyjson_mut_obj(doc);
        yyjson_mut_obj_add_strcpy(doc, o, "model", j->model_id);
        yyjson_mut_obj_add_uint(doc, o, "size", r.size);
        yyjson_mut_obj_add_uint(doc, o, "downloaded", r.downloaded);
        yyjson_mut_obj_add_str(doc, o, "verified_by", r.verified_by ? r.verified_by : "already downloaded");
        yyjson_mut_obj_add_real(doc, o, "seconds", r.seconds);
        yyjson_mut_obj_add_real(doc, o, "rate", r.rate);
        job_event(srv, j, "done", doc, o);
        yyjson_mut_doc_free(doc);
        job_finish(srv, j, JOB_DONE);
    }
    parley_catalog_free(cat);
}

/* ---- the live meeting worker --------------------------------------------------------------- */

static void forward_bus(parley_server *srv, srv_job *j, parley_bus_reader *rd)
{
    parley_event ev;
    while (parley_bus_read(rd, &ev) == 1) {
        char *json = NULL;
        if (parley_event_to_json(&ev, &json) == PARLEY_OK && json)
            job_event_json(srv, j, parley_event_kind_name(ev.kind), json);
        free(json);
    }
}

/* The meeting is over: the API may start another (called before the last event, so a
 * client that saw the stream end finds no meeting running). */
static void live_clear(parley_server *srv, srv_job *j)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->live_job == j) {
        srv->live_job = NULL;
        job_unref_locked(j);
    }
    for (size_t i = 0; i < srv->n_live_notes; i++)
        free(srv->live_notes[i]);
    free(srv->live_notes);
    srv->live_notes = NULL;
    srv->n_live_notes = 0;
    for (size_t i = 0; i < srv->n_live_asks; i++)
        free(srv->live_asks[i]);
    free(srv->live_asks);
    srv->live_asks = NULL;
    srv->n_live_asks = 0;
    srv->live_assistant = false;
    srv->live_suggest = false;
    srv->live_stop = false;
    pthread_mutex_unlock(&srv->mu);
}

/* parley_meeting_stop on its own thread (the error text copied: it is per thread). */
struct live_stop {
    parley_meeting *m;
    const parley_cancel *cancel;
    parley_status st;
    char error[1024];
    atomic_int done;
};

static void *live_stop_main(void *arg)
{
    struct live_stop *ls = arg;
    ls->st = parley_meeting_stop(ls->m, ls->cancel);
    snprintf(ls->error, sizeof ls->error, "%s", ls->st ? parley_last_error() : "");
    atomic_store(&ls->done, 1);
    return NULL;
}

/* Runs one meeting from start to stop: events from its bus become the job's events,
 * typed notes and the stop request come from the API through srv (under mu). */
static void run_live(parley_server *srv, srv_job *j)
{
    yyjson_doc *req = j->question ? yyjson_read(j->question, strlen(j->question), 0) : NULL;
    yyjson_val *root = yyjson_doc_get_root(req);
    char asr[PATH_MAX], vad[PATH_MAX];
    struct parley_settings set;
    if (parley_settings_load(srv->settings_path, &set) != PARLEY_OK)
        set = parley_settings_default();
    /* Vocabulary hints reach whisper as its initial prompt: one line of names. */
    char vocab[PARLEY_SETTINGS_VOCAB_MAX];
    parley_settings_vocabulary_line(&set, vocab, sizeof vocab);
    parley_bus *bus = NULL;
    parley_bus_reader *rd = NULL;
    parley_meeting *m = NULL;
    parley_status st = parley_model_find("whisper", yyjson_get_str(yyjson_obj_get(root, "asr_model")), asr, sizeof asr);
    if (!st)
        st = parley_model_find("vad", NULL, vad, sizeof vad);
    if (!st)
        st = parley_bus_new(0, &bus);
    if (!st)
        st = parley_bus_reader_new(bus, 0, &rd);
    /* The meeting's assistant: automatic suggestions (the auto_suggestions setting;
     * "suggest": false in the request turns them off for this meeting) and the summary at
     * stop ("summary": true), made from the transcript the assistant kept warm. Both run on
     * the default team server when one is set, else on this device's model. What keeps one
     * off is said as a warning, and the meeting goes on. */
    char llm[PATH_MAX];
    parley_remote *remote = NULL;
    yyjson_val *sv = yyjson_obj_get(root, "suggest");
    bool suggest = !st && set.auto_suggestions && !(yyjson_is_bool(sv) && !yyjson_get_bool(sv));
    bool summary = !st && yyjson_get_bool(yyjson_obj_get(root, "summary"));
    if (suggest || summary) {
        parley_remote_info info;
        parley_status rs = PARLEY_OK;
        char why[2][700] = {"", ""};
        if (parley_remote_get(NULL, NULL, &info) == PARLEY_OK) {
            struct parley_remote_params rp = parley_remote_default_params();
            rp.n_ctx = srv->p.n_ctx;
            rs = parley_remote_open(&info, &rp, &remote);
            if (rs)
                snprintf(why[0], sizeof why[0], "%s", parley_last_error());
            snprintf(why[1], sizeof why[1], "%s", why[0]);
        }
        for (int k = 0; k < 2; k++) {
            bool *want = k == 0 ? &suggest : &summary;
            if (!*want)
                continue;
            parley_status ks = rs;
            if (!remote && !rs) {
                ks = choose_model(srv, k == 0 ? JOB_SUGGEST : JOB_SUMMARY, llm, sizeof llm);
                if (ks)
                    snprintf(why[k], sizeof why[k], "%s", parley_last_error());
            }
            if (ks) {
                *want = false;
                char msg[1600];
                snprintf(msg, sizeof msg, "%s: %s",
                         k == 0 ? "automatic suggestions are off for this meeting"
                                : "no summary at stop for this meeting (Summarize on the meeting's page makes one later)",
                         why[k]);
                parley_event w = {.kind = PARLEY_EVENT_WARNING, .status = ks, .text = msg};
                parley_bus_post(bus, &w);
            }
        }
    }
    if (!st) {
        struct parley_meeting_params mp = parley_meeting_default_params();
        if (suggest || summary) {
            mp.suggest = suggest;
            mp.summarize_at_stop = summary;
            mp.llm_remote = remote;
            mp.llm_model_path = remote ? NULL : llm;
            mp.llm_template = srv->chat_template;
            mp.llm_ctx = (int)srv->p.n_ctx;
            mp.on_battery = set.battery == PARLEY_BATTERY_NORMAL ? PARLEY_LIVE_BATTERY_IGNORE : PARLEY_LIVE_BATTERY_PAUSE;
            yyjson_val *iv = yyjson_obj_get(root, "suggest_interval");
            if (yyjson_is_num(iv) && yyjson_get_num(iv) > 0)
                mp.suggest_interval_s = yyjson_get_num(iv);
        }
        mp.title = yyjson_get_str(yyjson_obj_get(root, "title"));
        mp.mic_source = yyjson_get_str(yyjson_obj_get(root, "mic_source"));
        mp.system_source = yyjson_get_str(yyjson_obj_get(root, "system_source"));
        mp.no_system = yyjson_get_bool(yyjson_obj_get(root, "no_system"));
        mp.input_path = yyjson_get_str(yyjson_obj_get(root, "input"));
        if (yyjson_is_num(yyjson_obj_get(root, "speed")))
            mp.speed = yyjson_get_num(yyjson_obj_get(root, "speed"));
        mp.language = yyjson_get_str(yyjson_obj_get(root, "language"));
        mp.vocabulary = vocab[0] ? vocab : NULL;
        mp.asr_model_path = asr;
        mp.vad_model_path = vad;
        mp.store_path = srv->store_path;
        mp.bus = bus;
        st = parley_meeting_start(&mp, &m);
    }
    if (st) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", parley_last_error());
        live_clear(srv, j);
        job_fail(srv, j, st, detail);
        goto out;
    }
    pthread_mutex_lock(&srv->mu);
    j->session_id = parley_meeting_session_id(m);
    srv->live_assistant = suggest || summary;
    pthread_mutex_unlock(&srv->mu);
    for (;;) {
        forward_bus(srv, j, rd);
        pthread_mutex_lock(&srv->mu);
        char **notes = srv->live_notes, **asks = srv->live_asks;
        size_t n_notes = srv->n_live_notes, n_asks = srv->n_live_asks;
        srv->live_notes = srv->live_asks = NULL;
        srv->n_live_notes = srv->n_live_asks = 0;
        bool stop = srv->live_stop || srv->stopping, sugg = srv->live_suggest;
        srv->live_suggest = false;
        pthread_mutex_unlock(&srv->mu);
        for (size_t i = 0; i < n_notes; i++) {
            parley_meeting_note(m, notes[i]);
            free(notes[i]);
        }
        free(notes);
        /* Questions go to the meeting's assistant (this thread drives the meeting); one that
         * cannot be asked is said on the stream, and the meeting goes on. */
        for (size_t i = 0; i < n_asks; i++) {
            parley_status as = parley_meeting_ask(m, asks[i], NULL);
            if (as) {
                char msg[1200];
                snprintf(msg, sizeof msg, "the question could not be asked: %s", parley_last_error());
                parley_event e = {.kind = PARLEY_EVENT_ERROR, .status = as, .text = msg, .detail = asks[i]};
                parley_bus_post(bus, &e);
            }
            free(asks[i]);
        }
        free(asks);
        parley_status ss = sugg ? parley_meeting_suggest(m) : PARLEY_OK;
        if (ss) {
            char msg[1200];
            snprintf(msg, sizeof msg, "no suggestion could be made: %s", parley_last_error());
            parley_event e = {.kind = PARLEY_EVENT_ERROR, .status = ss, .text = msg};
            parley_bus_post(bus, &e);
        }
        if (stop || parley_cancel_is_set(j->cancel) || parley_meeting_input_ended(m))
            break;
        parley_bus_wait(rd, 100);
    }
    /* A cancelled job (or the server stopping, which cancels its jobs) does not wait for the
     * backlog, also when the cancel comes while stop is transcribing it. Stop runs on a
     * thread of its own while this one goes on forwarding: the backlog's segments reach the
     * page as they are made, and a long backlog cannot overrun the event ring. */
    struct live_stop ls = {.m = m, .cancel = j->cancel};
    pthread_t th;
    if (pthread_create(&th, NULL, live_stop_main, &ls) != 0) {
        live_stop_main(&ls);
    } else {
        while (!atomic_load(&ls.done)) {
            forward_bus(srv, j, rd);
            parley_bus_wait(rd, 100);
        }
        pthread_join(th, NULL);
    }
    st = ls.st;
    forward_bus(srv, j, rd);
    live_clear(srv, j);
    if (st) {
        job_fail(srv, j, st, ls.error);
    } else {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *o = yyjson_mut_obj(doc);
        yyjson_mut_obj_add_int(doc, o, "session", parley_meeting_session_id(m));
        job_event(srv, j, "done", doc, o);
        yyjson_mut_doc_free(doc);
        job_finish(srv, j, JOB_DONE);
    }
out:
    parley_meeting_free(m);
    parley_remote_free(remote); /* after the meeting, whose assistant used it */
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
    yyjson_doc_free(req);
}

enum MHD_Result srv_live_status(parley_server *srv, struct MHD_Connection *c)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return MHD_NO;
    pthread_mutex_lock(&srv->mu);
    srv_job *j = srv->live_job;
    yyjson_mut_val *o = j ? job_json_locked(doc, j) : yyjson_mut_obj(doc);
    if (!j)
        yyjson_mut_obj_add_null(doc, o, "id");
    pthread_mutex_unlock(&srv->mu);
    yyjson_mut_doc_set_root(doc, o);
    return srv_send_json(c, MHD_HTTP_OK, doc);
}

enum MHD_Result srv_live_note(parley_server *srv, struct MHD_Connection *c, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return MHD_NO;
    pthread_mutex_lock(&srv->mu);
    bool running = srv->live_job && srv->live_job->state == JOB_RUNNING && !srv->live_stop;
    char **n = running ? realloc(srv->live_notes, (srv->n_live_notes + 1) * sizeof *n) : NULL;
    if (n) {
        srv->live_notes = n;
        srv->live_notes[srv->n_live_notes++] = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&srv->mu);
    free(copy);
    if (!running)
        return srv_send_error(c, MHD_HTTP_CONFLICT, PARLEY_ERR_INVALID_ARG, "no live meeting is running");
    return srv_live_status(srv, c);
}

/* Whether a meeting runs and has an assistant; the error to send when not (under mu). */
static const char *no_assistant_locked(parley_server *srv, unsigned *http, parley_status *st)
{
    *http = MHD_HTTP_CONFLICT;
    *st = PARLEY_ERR_INVALID_ARG;
    if (!(srv->live_job && srv->live_job->state == JOB_RUNNING && !srv->live_stop))
        return "no live meeting is running";
    *st = PARLEY_ERR_UNSUPPORTED;
    if (!srv->live_assistant)
        return "this meeting has no assistant (no model for suggestions or the summary); "
               "the session endpoints (POST /api/sessions/ID/chat, /suggestions) answer from the stored transcript instead";
    return NULL;
}

enum MHD_Result srv_live_suggest(parley_server *srv, struct MHD_Connection *c)
{
    unsigned http;
    parley_status st;
    pthread_mutex_lock(&srv->mu);
    const char *why = no_assistant_locked(srv, &http, &st);
    if (!why)
        srv->live_suggest = true;
    pthread_mutex_unlock(&srv->mu);
    if (why)
        return srv_send_error(c, http, st, why);
    return srv_live_status(srv, c);
}

enum MHD_Result srv_live_ask(parley_server *srv, struct MHD_Connection *c, const char *question)
{
    char *copy = strdup(question);
    if (!copy)
        return MHD_NO;
    unsigned http;
    parley_status st;
    pthread_mutex_lock(&srv->mu);
    const char *why = no_assistant_locked(srv, &http, &st);
    char **n = why ? NULL : realloc(srv->live_asks, (srv->n_live_asks + 1) * sizeof *n);
    if (n) {
        srv->live_asks = n;
        srv->live_asks[srv->n_live_asks++] = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&srv->mu);
    free(copy);
    if (why)
        return srv_send_error(c, http, st, why);
    if (!n)
        return MHD_NO;
    return srv_live_status(srv, c);
}

enum MHD_Result srv_live_stop(parley_server *srv, struct MHD_Connection *c)
{
    pthread_mutex_lock(&srv->mu);
    bool running = srv->live_job != NULL;
    if (running)
        srv->live_stop = true;
    pthread_mutex_unlock(&srv->mu);
    if (!running)
        return srv_send_error(c, MHD_HTTP_CONFLICT, PARLEY_ERR_INVALID_ARG, "no live meeting is running");
    return srv_live_status(srv, c);
}

static void *worker_main(void *arg)
{
    srv_worker *w = arg;
    parley_server *srv = w->srv;
    llm_worker_state ws;
    memset(&ws, 0, sizeof ws);
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        while (!w->head && !srv->stopping)
            pthread_cond_wait(&w->cv, &srv->mu);
        if (srv->stopping) {
            pthread_mutex_unlock(&srv->mu);
            break;
        }
        srv_job *j = w->head;
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        j->next = NULL;
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&srv->mu);
        if (parley_cancel_is_set(j->cancel))
            job_fail(srv, j, PARLEY_ERR_CANCELLED, "cancelled before it started");
        else if (j->kind == JOB_PULL)
            run_pull(srv, j);
        else if (j->kind == JOB_LIVE)
            run_live(srv, j);
        else
            run_task(srv, &ws, j);
        pthread_mutex_lock(&srv->mu);
        job_unref_locked(j); /* the worker's reference */
        pthread_mutex_unlock(&srv->mu);
    }
    parley_llm_free(ws.llm);
    parley_store_close(ws.db);
    return NULL;
}

parley_status srv_jobs_start(parley_server *srv)
{
    for (int i = 0; i < 3; i++) {
        srv_worker *w = &srv->workers[i];
        w->srv = srv;
        w->which = i;
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return parley_fail(PARLEY_ERR_NOMEM, "cannot start a worker thread");
        w->started = true;
    }
    return PARLEY_OK;
}

void srv_jobs_stop(parley_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    srv->stopping = true;
    for (srv_job *j = srv->jobs; j; j = j->all_next) {
        parley_cancel_set(j->cancel);
        wake_locked(j);
    }
    for (int i = 0; i < 3; i++)
        if (srv->workers[i].started)
            pthread_cond_broadcast(&srv->workers[i].cv);
    pthread_mutex_unlock(&srv->mu);
    for (int i = 0; i < 3; i++) {
        srv_worker *w = &srv->workers[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
            w->started = false;
        }
    }
    /* Jobs still queued never ran: drop the queues' references. */
    pthread_mutex_lock(&srv->mu);
    for (int i = 0; i < 3; i++) {
        srv_worker *w = &srv->workers[i];
        while (w->head) {
            srv_job *j = w->head;
            w->head = j->next;
            j->state = JOB_CANCELLED;
            job_unref_locked(j);
        }
        w->tail = NULL;
    }
    pthread_mutex_unlock(&srv->mu);
}

void srv_jobs_free(parley_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->live_job) {
        job_unref_locked(srv->live_job);
        srv->live_job = NULL;
    }
    while (srv->jobs) {
        srv_job *j = srv->jobs;
        srv->jobs = j->all_next;
        job_unref_locked(j);
    }
    pthread_mutex_unlock(&srv->mu);
    for (int i = 0; i < 3; i++)
        pthread_cond_destroy(&srv->workers[i].cv);
}

parley_status srv_job_submit(parley_server *srv, job_kind kind, int64_t session_id, const char *model_id,
                             const char *question, const srv_task_limits *limits, const char *remote, int64_t *id)
{
    srv_job *j = calloc(1, sizeof *j);
    if (!j)
        return PARLEY_ERR_NOMEM;
    if (limits) {
        j->max_tokens = limits->max_tokens;
        j->item_chars = limits->item_chars;
        j->max_items = limits->max_items;
    }
    j->kind = kind;
    j->session_id = session_id;
    if (remote)
        snprintf(j->remote, sizeof j->remote, "%s", remote);
    if (model_id)
        snprintf(j->model_id, sizeof j->model_id, "%s", model_id);
    j->question = parley_strdup(question);
    j->cancel = parley_cancel_new();
    j->created = parley_now();
    if (!j->cancel || (question && !j->question)) {
        free(j->question);
        parley_cancel_free(j->cancel);
        free(j);
        return PARLEY_ERR_NOMEM;
    }
    pthread_mutex_lock(&srv->mu);
    if (srv->stopping) {
        pthread_mutex_unlock(&srv->mu);
        free(j->question);
        parley_cancel_free(j->cancel);
        free(j);
        return parley_fail(PARLEY_ERR_CANCELLED, "the server is stopping");
    }
    if (kind == JOB_LIVE && srv->live_job) {
        pthread_mutex_unlock(&srv->mu);
        free(j->question);
        parley_cancel_free(j->cancel);
        free(j);
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a live meeting is already running (stop it first)");
    }
    j->id = srv->next_job_id++;
    j->refs = 2; /* the table's and the worker's */
    if (kind == JOB_LIVE) {
        srv->live_job = j;
        srv->live_stop = false;
        j->refs++;
    }
    j->all_next = srv->jobs;
    srv->jobs = j;
    srv_worker *w = &srv->workers[kind == JOB_PULL ? 1 : kind == JOB_LIVE ? 2 : 0];
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cv);
    prune_locked(srv);
    *id = j->id;
    pthread_mutex_unlock(&srv->mu);
    return PARLEY_OK;
}

static yyjson_mut_val *job_json_locked(yyjson_mut_doc *doc, const srv_job *j)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_int(doc, o, "id", j->id);
    yyjson_mut_obj_add_str(doc, o, "kind", kind_names[j->kind]);
    yyjson_mut_obj_add_str(doc, o, "state", state_names[j->state]);
    if (j->kind == JOB_PULL)
        yyjson_mut_obj_add_strcpy(doc, o, "model", j->model_id);
    else
        yyjson_mut_obj_add_int(doc, o, "session", j->session_id);
    if (j->kind <= JOB_SUGGEST) { /* the team server that runs the task, or null (this device) */
        if (j->remote[0])
            yyjson_mut_obj_add_strcpy(doc, o, "remote", j->remote);
        else
            yyjson_mut_obj_add_null(doc, o, "remote");
    }
    yyjson_mut_obj_add_uint(doc, o, "events", j->n_events);
    /* The last event's data: the result, the error or the latest progress. */
    if (j->n_events) {
        const char *last = j->events[j->n_events - 1];
        const char *data = strstr(last, "\ndata: ");
        if (data) {
            data += 7;
            yyjson_doc *d = yyjson_read(data, strlen(data), YYJSON_READ_ALLOW_INVALID_UNICODE);
            if (d) {
                yyjson_mut_obj_add_val(doc, o, "last", yyjson_val_mut_copy(doc, yyjson_doc_get_root(d)));
                yyjson_doc_free(d);
            }
        }
    }
    return o;
}

enum MHD_Result srv_job_status(parley_server *srv, struct MHD_Connection *c, int64_t id)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return MHD_NO;
    pthread_mutex_lock(&srv->mu);
    srv_job *j = job_find_locked(srv, id);
    if (j)
        yyjson_mut_doc_set_root(doc, job_json_locked(doc, j));
    pthread_mutex_unlock(&srv->mu);
    if (!j) {
        yyjson_mut_doc_free(doc);
        return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such job");
    }
    return srv_send_json(c, MHD_HTTP_OK, doc);
}

enum MHD_Result srv_job_cancel(parley_server *srv, struct MHD_Connection *c, int64_t id)
{
    pthread_mutex_lock(&srv->mu);
    srv_job *j = job_find_locked(srv, id);
    if (j)
        parley_cancel_set(j->cancel);
    pthread_mutex_unlock(&srv->mu);
    if (!j)
        return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such job");
    return srv_job_status(srv, c, id);
}

/* ---- event streams ------------------------------------------------------------------------ */

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse_reader *r = cls;
    parley_server *srv = r->srv;
    if (!r->pending) {
        pthread_mutex_lock(&srv->mu);
        srv_job *j = r->job;
        if (r->cursor < j->n_events) {
            r->pending = parley_strdup(j->events[r->cursor++]);
            r->pending_len = r->pending ? strlen(r->pending) : 0;
            r->pending_pos = 0;
        } else if (job_finished(j) || srv->stopping) {
            pthread_mutex_unlock(&srv->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        } else {
            /* Nothing new: park the connection until the worker appends (wake_locked). */
            r->suspended = true;
            r->next = j->waiters;
            j->waiters = r;
            MHD_suspend_connection(r->conn);
            pthread_mutex_unlock(&srv->mu);
            return 0;
        }
        pthread_mutex_unlock(&srv->mu);
        if (!r->pending)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = r->pending_len - r->pending_pos;
    if (n > max)
        n = max;
    memcpy(buf, r->pending + r->pending_pos, n);
    r->pending_pos += n;
    if (r->pending_pos == r->pending_len) {
        free(r->pending);
        r->pending = NULL;
    }
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    sse_reader *r = cls;
    parley_server *srv = r->srv;
    pthread_mutex_lock(&srv->mu);
    for (sse_reader **pp = &r->job->waiters; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    job_unref_locked(r->job);
    pthread_mutex_unlock(&srv->mu);
    free(r->pending);
    free(r);
}

enum MHD_Result srv_job_events(parley_server *srv, struct MHD_Connection *c, int64_t id)
{
    sse_reader *r = calloc(1, sizeof *r);
    if (!r)
        return MHD_NO;
    pthread_mutex_lock(&srv->mu);
    srv_job *j = job_find_locked(srv, id);
    if (j)
        j->refs++;
    pthread_mutex_unlock(&srv->mu);
    if (!j) {
        free(r);
        return srv_send_error(c, MHD_HTTP_NOT_FOUND, PARLEY_ERR_NOT_FOUND, "no such job");
    }
    r->srv = srv;
    r->job = j;
    r->conn = c;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, r, sse_free);
    if (!resp) {
        sse_free(r);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    srv_add_security_headers(resp, true);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}
