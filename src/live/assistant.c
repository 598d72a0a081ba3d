/* assistant.c: the meeting's assistant (live.h): the transcript kept warm in the LLM's
 * cache through assist.h as segments arrive; automatic suggestions (at most one in
 * flight, a minimum interval, slower or paused on battery); questions answered from the
 * warm cache with tokens streamed as events; the summary at stop. What it makes is
 * stored with the session. With a team server (parley_meeting_params.llm_remote) every
 * task runs there and what it makes is labelled "remote:NAME/MODEL" (events' source, the
 * stored model and meta). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "live/live_internal.h"
#include "parley/assist.h"
#include "parley/llm.h"

#include <yyjson.h>

#define MAX_ASKS 8

struct ask {
    parley_assist_job *job;
    char *question;
    int64_t job_id;
};

struct live_assistant {
    parley_llm *llm;
    parley_assist *as;
    parley_bus *bus;
    int64_t session_id;
    parley_store *db;
    pthread_mutex_t *db_mu;
    char *model_name;            /* the model file's name, or "remote:NAME/MODEL" */
    parley_remote *remote;       /* the team server (borrowed), or NULL */
    bool suggest;
    double interval_s;
    int battery_policy;
    parley_assist_job *sugg;     /* the suggestion in flight, or NULL */
    double last_sugg;            /* when the last one was submitted */
    size_t segs_at_last_sugg;
    size_t n_segs;
    struct ask asks[MAX_ASKS];
    int64_t next_job_id;
    bool on_battery_reported;
    bool stopping;               /* the meeting is over: no new automatic suggestion */
    int32_t draft_tokens;        /* draft summaries every this many tokens on mains; 0 = none */
    int32_t draft_now;           /* the interval the assistant has now (battery) */
    double draft_power_at;       /* when the power was last looked at for them */
    int drafts_posted;           /* drafts announced with a "summary draft" event */
    double drafts_at;            /* when the assistant was last asked about them */
    int item_chars, max_items;   /* the summary's (and the drafts') */
};

/* Whether the machine runs on battery: a battery discharging and no mains online.
 * $PARLEY_POWER_SUPPLY_DIR replaces /sys/class/power_supply (tests). */
static bool read_word(const char *dir, const char *name, const char *file, char *out, size_t n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", dir, name, file);
    FILE *f = fopen(p, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = 0;
    return ok;
}

bool live_on_battery(void)
{
    const char *dir = getenv("PARLEY_POWER_SUPPLY_DIR");
    if (!dir)
        dir = "/sys/class/power_supply";
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool mains = false, discharging = false;
    struct dirent *e;
    char type[64], v[64];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !read_word(dir, e->d_name, "type", type, sizeof type))
            continue;
        if (!strcmp(type, "Mains") && read_word(dir, e->d_name, "online", v, sizeof v) && !strcmp(v, "1"))
            mains = true;
        if (!strcmp(type, "Battery") && read_word(dir, e->d_name, "status", v, sizeof v) && !strcmp(v, "Discharging"))
            discharging = true;
    }
    closedir(d);
    return discharging && !mains;
}

struct tok_ctx {
    parley_bus *bus;
    int64_t session_id, job_id;
    const char *label;           /* "remote:NAME/MODEL" or NULL (la->model_name) */
};

/* The label on the assistant's events: "remote:NAME/MODEL" for a team server, NULL for
 * this device (live.h). */
static const char *event_label(const live_assistant *la) { return la->remote ? la->model_name : NULL; }

/* After a team server's result: the model it reported (meta "remote"."model") becomes the
 * label of what follows, and of what is stored now. */
static void remote_seen(live_assistant *la, const struct parley_task_result *r)
{
    if (!la->remote || !r->meta)
        return;
    yyjson_doc *d = yyjson_read(r->meta, strlen(r->meta), 0);
    const char *sm = yyjson_get_str(yyjson_obj_get(yyjson_obj_get(yyjson_doc_get_root(d), "remote"), "model"));
    if (sm && *sm) {
        parley_buf b = {0};
        if (!parley_buf_printf(&b, "remote:%s/%s", parley_remote_name(la->remote), sm)) {
            free(la->model_name);
            la->model_name = b.data;
        } else {
            parley_buf_free(&b);
        }
    }
    yyjson_doc_free(d);
}

static bool on_token(const char *text, size_t len, void *ud)
{
    struct tok_ctx *c = ud;
    char buf[512];
    size_t k = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, text, k);
    buf[k] = 0;
    parley_event ev = {.kind = PARLEY_EVENT_TOKEN, .session_id = c->session_id, .job_id = c->job_id, .text = buf,
                       .source = c->label};
    parley_bus_post(c->bus, &ev);
    return true;
}

static void post_error(live_assistant *la, parley_status st, const char *what)
{
    char msg[700];
    snprintf(msg, sizeof msg, "%s: %s (%s)", what, parley_strerror(st), parley_last_error());
    parley_event ev = {.kind = PARLEY_EVENT_ERROR, .session_id = la->session_id, .status = st, .text = msg,
                       .source = event_label(la)};
    parley_bus_post(la->bus, &ev);
}

parley_status live_assistant_new(const struct parley_meeting_params *p, parley_bus *bus, int64_t session_id,
                                 parley_store *db, pthread_mutex_t *db_mu, live_assistant **out)
{
    *out = NULL;
    live_assistant *la = calloc(1, sizeof *la);
    if (!la)
        return parley_fail(PARLEY_ERR_NOMEM, "assistant");
    parley_status st = PARLEY_OK;
    la->remote = p->llm_remote;
    if (la->remote) {
        /* A team server: no model is loaded here. */
        parley_buf b = {0};
        if (parley_buf_printf(&b, "remote:%s/%s", parley_remote_name(la->remote), parley_remote_model(la->remote))) {
            parley_buf_free(&b);
            free(la);
            return parley_fail(PARLEY_ERR_NOMEM, "assistant");
        }
        la->model_name = b.data;
    } else {
        struct parley_llm_params lp = parley_llm_default_params();
        lp.n_ctx = p->llm_ctx > 0 ? (uint32_t)p->llm_ctx : 8192;
        lp.chat_template = p->llm_template;
        lp.n_threads = p->n_threads;
        st = parley_llm_load(p->llm_model_path, lp, &la->llm);
        if (st != PARLEY_OK) {
            free(la);
            return st;
        }
        const char *slash = strrchr(p->llm_model_path, '/');
        la->model_name = parley_strdup(slash ? slash + 1 : p->llm_model_path);
    }
    struct parley_assist_params ap = parley_assist_default_params();
    ap.language = p->language && strcmp(p->language, "auto") ? p->language : NULL;
    ap.vocabulary = p->vocabulary;
    ap.remote = la->remote;
    if (p->summarize_at_stop && !la->remote && p->summary_draft_tokens > 0)
        ap.draft_tokens = p->summary_draft_tokens;
    ap.draft_item_chars = p->summary_item_chars;
    ap.draft_max_items = p->summary_max_items;
    if (!la->model_name || (st = parley_assist_new(la->llm, &ap, &la->as)) != PARLEY_OK) {
        parley_llm_free(la->llm);
        free(la->model_name);
        free(la);
        return st ? st : parley_fail(PARLEY_ERR_NOMEM, "assistant");
    }
    la->bus = bus;
    la->session_id = session_id;
    la->db = db;
    la->db_mu = db_mu;
    la->suggest = p->suggest;
    la->interval_s = p->suggest_interval_s > 0 ? p->suggest_interval_s : 30;
    la->battery_policy = p->on_battery;
    la->last_sugg = parley_now();
    la->draft_tokens = la->draft_now = ap.draft_tokens;
    la->item_chars = p->summary_item_chars;
    la->max_items = p->summary_max_items;
    *out = la;
    return PARLEY_OK;
}

void live_assistant_segment(live_assistant *la, const parley_segment *sg)
{
    if (!la)
        return;
    if (parley_assist_append(la->as, sg, 1) == PARLEY_OK)
        la->n_segs++;
}

static void store_artifact(live_assistant *la, const char *kind, const char *format, const char *content,
                           const char *version, const struct parley_task_result *r)
{
    parley_artifact a = {0};
    a.session_id = la->session_id;
    a.kind = (char *)kind;
    a.format = (char *)format;
    a.content = (char *)content;
    a.model = la->model_name;
    a.prompt_version = (char *)version;
    a.prompt_tokens = r->stats.n_prompt;
    a.reused_tokens = r->stats.n_reused;
    a.output_tokens = r->stats.n_generated;
    a.prompt_ms = r->stats.prompt_ms;
    a.gen_ms = r->stats.gen_ms;
    a.meta = r->meta;
    pthread_mutex_lock(la->db_mu);
    parley_status st = parley_store_add_artifact(la->db, &a, NULL);
    pthread_mutex_unlock(la->db_mu);
    if (st != PARLEY_OK)
        post_error(la, st, "storing the assistant's result");
}

void live_assistant_tick(live_assistant *la)
{
    if (!la)
        return;
    /* A finished suggestion: posted and stored. */
    if (la->sugg && parley_assist_job_done(la->sugg)) {
        struct parley_task_result r = {0};
        parley_status st = parley_assist_job_wait(la->sugg, &r);
        la->sugg = NULL;
        if (st == PARLEY_OK && r.text) {
            remote_seen(la, &r);
            parley_event ev = {.kind = PARLEY_EVENT_SUGGESTION, .session_id = la->session_id, .text = r.text,
                               .detail = r.json, .source = event_label(la)};
            parley_bus_post(la->bus, &ev);
            if (r.json)
                store_artifact(la, "suggestions", "json", r.json, PARLEY_PROMPT_SUGGEST, &r);
        } else if (st != PARLEY_OK && st != PARLEY_ERR_CANCELLED) {
            post_error(la, st, "a suggestion failed");
        }
        parley_task_result_clear(&r);
    }
    /* Finished answers. */
    for (int i = 0; i < MAX_ASKS; i++) {
        struct ask *a = &la->asks[i];
        if (!a->job || !parley_assist_job_done(a->job))
            continue;
        struct parley_task_result r = {0};
        parley_status st = parley_assist_job_wait(a->job, &r);
        a->job = NULL;
        if (st == PARLEY_OK && r.text) {
            remote_seen(la, &r);
            parley_event ev = {.kind = PARLEY_EVENT_ANSWER, .session_id = la->session_id, .job_id = a->job_id,
                               .text = r.text, .detail = a->question, .source = event_label(la)};
            parley_bus_post(la->bus, &ev);
            parley_chat_turn turn = {.question = a->question, .answer = r.text, .model = la->model_name,
                                     .truncated = r.truncated, .meta = r.meta};
            pthread_mutex_lock(la->db_mu);
            st = parley_store_chat_add_turn(la->db, la->session_id, &turn, NULL, NULL);
            pthread_mutex_unlock(la->db_mu);
            if (st != PARLEY_OK)
                post_error(la, st, "storing the answer");
        } else if (st != PARLEY_OK) {
            post_error(la, st, "the question could not be answered");
        }
        parley_task_result_clear(&r);
        free(a->question);
        a->question = NULL;
    }
    /* A new draft summary: a progress event (text "summary draft", detail: how far into the
     * meeting it reaches, "HH:MM:SS"), looked for every 2 s. */
    if (la->draft_tokens > 0 && parley_now() - la->drafts_at >= 2.0) {
        la->drafts_at = parley_now();
        struct parley_assist_status s;
        parley_assist_status(la->as, &s);
        if (s.drafts > la->drafts_posted && s.draft_segments > 0) {
            la->drafts_posted = s.drafts;
            int64_t sec = s.draft_until_ms / 1000;
            char until[32];
            snprintf(until, sizeof until, "%02lld:%02lld:%02lld", (long long)(sec / 3600), (long long)(sec / 60 % 60),
                     (long long)(sec % 60));
            parley_event ev = {.kind = PARLEY_EVENT_PROGRESS, .session_id = la->session_id, .value = -1.0,
                               .text = "summary draft", .detail = until, .source = event_label(la)};
            parley_bus_post(la->bus, &ev);
        }
    }
    /* Draft summaries follow the battery policy of suggestions (looked at every 10 s). */
    if (la->draft_tokens > 0 && !la->stopping && parley_now() - la->draft_power_at >= 10.0) {
        la->draft_power_at = parley_now();
        bool battery = la->battery_policy != PARLEY_LIVE_BATTERY_IGNORE && live_on_battery();
        int32_t want = !battery ? la->draft_tokens
                       : la->battery_policy == PARLEY_LIVE_BATTERY_PAUSE ? 0
                                                                          : la->draft_tokens * 4;
        if (want != la->draft_now && parley_assist_set_draft_tokens(la->as, want) == PARLEY_OK) {
            parley_log(PARLEY_LOG_INFO, "live: summary drafts %s", want == 0 ? "paused (on battery)"
                                                                   : battery ? "a quarter as often (on battery)"
                                                                             : "back to normal (mains power)");
            la->draft_now = want;
        }
    }
    /* The next suggestion: new speech, the interval passed, none in flight, power allows. */
    if (!la->suggest || la->stopping || la->sugg || la->n_segs == la->segs_at_last_sugg)
        return;
    double interval = la->interval_s;
    if (la->battery_policy != PARLEY_LIVE_BATTERY_IGNORE && live_on_battery()) {
        if (!la->on_battery_reported) {
            parley_event ev = {.kind = PARLEY_EVENT_WARNING, .session_id = la->session_id,
                               .text = la->battery_policy == PARLEY_LIVE_BATTERY_PAUSE
                                           ? "on battery: suggestions paused until mains power returns"
                                           : "on battery: suggestions slowed down (a quarter as often)"};
            parley_bus_post(la->bus, &ev);
            la->on_battery_reported = true;
        }
        if (la->battery_policy == PARLEY_LIVE_BATTERY_PAUSE)
            return;
        interval *= 4;
    } else {
        la->on_battery_reported = false;
    }
    if (parley_now() - la->last_sugg < interval)
        return;
    struct parley_task_params tp = parley_task_default_params();
    if (parley_assist_submit(la->as, PARLEY_ASSIST_SUGGEST, NULL, &tp, &la->sugg) != PARLEY_OK)
        la->sugg = NULL; /* one already in flight inside the assistant: try later */
    la->last_sugg = parley_now();
    la->segs_at_last_sugg = la->n_segs;
}

void live_assistant_finish(live_assistant *la, const parley_cancel *cancel)
{
    if (!la)
        return;
    la->stopping = true;
    /* Questions asked before stop are answered, posted and stored (they run before
     * anything else the assistant has queued); a suggestion in flight too. */
    for (;;) {
        bool busy = la->sugg && !parley_assist_job_done(la->sugg);
        for (int i = 0; i < MAX_ASKS && !busy; i++)
            busy = la->asks[i].job && !parley_assist_job_done(la->asks[i].job);
        if (!busy || parley_cancel_is_set(cancel))
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    live_assistant_tick(la);
}

parley_status live_assistant_suggest_now(live_assistant *la)
{
    if (la->sugg)
        return PARLEY_OK; /* one is being made: it is the answer to this request too */
    if (la->n_segs == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "nothing has been said yet");
    struct parley_task_params tp = parley_task_default_params();
    parley_status st = parley_assist_submit(la->as, PARLEY_ASSIST_SUGGEST, NULL, &tp, &la->sugg);
    if (st != PARLEY_OK) {
        la->sugg = NULL;
        return st;
    }
    /* The automatic ones count from here: no second suggestion right after this one. */
    la->last_sugg = parley_now();
    la->segs_at_last_sugg = la->n_segs;
    return PARLEY_OK;
}

parley_status live_assistant_ask(live_assistant *la, const char *question, int64_t *job_id)
{
    int slot = -1;
    for (int i = 0; i < MAX_ASKS && slot < 0; i++)
        if (!la->asks[i].job)
            slot = i;
    if (slot < 0)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "%d questions are already waiting for an answer", MAX_ASKS);
    struct ask *a = &la->asks[slot];
    a->question = parley_strdup(question);
    a->job_id = ++la->next_job_id;
    if (!a->question)
        return parley_fail(PARLEY_ERR_NOMEM, "question");
    static struct tok_ctx ctx[MAX_ASKS]; /* stays valid until the job is waited for */
    /* The label as it is now: model_name may be replaced (remote_seen) while tokens flow,
     * so the tokens carry a copy kept with the slot. */
    static char labels[MAX_ASKS][256];
    snprintf(labels[slot], sizeof labels[slot], "%s", la->model_name);
    ctx[slot] = (struct tok_ctx){la->bus, la->session_id, a->job_id, la->remote ? labels[slot] : NULL};
    struct parley_task_params tp = parley_task_default_params();
    tp.on_token = on_token;
    tp.user_data = &ctx[slot];
    parley_status st = parley_assist_submit(la->as, PARLEY_ASSIST_ASK, question, &tp, &a->job);
    if (st != PARLEY_OK) {
        free(a->question);
        a->question = NULL;
        a->job = NULL;
        return st;
    }
    if (job_id)
        *job_id = a->job_id;
    return PARLEY_OK;
}

/* The summary at stop, as it goes: "summarizing" progress events, detail "reading" (value:
 * the fraction of the prompt evaluated) then "writing" (value -1, value2: tokens written),
 * at most four a second, so a terminal or page can show it ticking; a transcript too long
 * for one pass adds "part I of N" and "merging N parts" (map-reduce; the parts are not
 * streamed, so only the final merge has "writing"). */
struct sum_progress {
    parley_bus *bus;
    int64_t session_id;
    const char *label;
    double last;
    int64_t tokens;
};

static void sum_post(struct sum_progress *sp, const char *phase, double value, double tokens, bool force)
{
    double now = parley_now();
    if (!force && now - sp->last < 0.25)
        return;
    sp->last = now;
    parley_event ev = {.kind = PARLEY_EVENT_PROGRESS, .session_id = sp->session_id, .value = value,
                       .value2 = tokens, .text = "summarizing", .detail = phase, .source = sp->label};
    parley_bus_post(sp->bus, &ev);
}

static bool sum_reading(int32_t done, int32_t total, void *ud)
{
    sum_post(ud, "reading", total > 0 ? (double)done / total : 1.0, 0.0, done == total);
    return true;
}

static bool sum_token(const char *text, size_t len, void *ud)
{
    (void)text;
    (void)len;
    struct sum_progress *sp = ud;
    sp->tokens++;
    sum_post(sp, "writing", -1.0, (double)sp->tokens, sp->tokens == 1);
    return true;
}

static void sum_event(parley_task_event ev, int index, int count, void *ud)
{
    char what[64];
    if (ev == PARLEY_TASK_EVENT_CHUNK)
        snprintf(what, sizeof what, "part %d of %d", index, count);
    else
        snprintf(what, sizeof what, "merging %d parts", count);
    sum_post(ud, what, count > 0 ? (double)(index > 0 ? index - 1 : 0) / count : 0.0, 0.0, true);
}

parley_status live_assistant_summary(live_assistant *la, const parley_cancel *cancel)
{
    live_assistant_finish(la, cancel); /* what is in flight first: answers are not lost */
    struct parley_task_params tp = parley_task_default_params();
    tp.cancel = cancel;
    tp.item_chars = la->item_chars;
    tp.max_items = la->max_items;
    struct sum_progress sp = {.bus = la->bus, .session_id = la->session_id, .label = event_label(la)};
    sum_post(&sp, "reading", 0.0, 0.0, true);
    tp.on_progress = sum_reading;
    tp.on_token = sum_token;
    tp.on_event = sum_event;
    tp.user_data = &sp;
    parley_assist_job *j;
    parley_status st = parley_assist_submit(la->as, PARLEY_ASSIST_SUMMARY, NULL, &tp, &j);
    if (st != PARLEY_OK)
        return st;
    struct parley_task_result r = {0};
    st = parley_assist_job_wait(j, &r);
    if (st == PARLEY_OK) {
        remote_seen(la, &r);
        if (r.json)
            store_artifact(la, "summary", "json", r.json, PARLEY_PROMPT_SUMMARY, &r);
        if (r.text)
            store_artifact(la, "summary", "markdown", r.text, PARLEY_PROMPT_SUMMARY, &r);
        parley_event ev = {.kind = PARLEY_EVENT_PROGRESS, .session_id = la->session_id, .value = 1.0,
                           .text = "summary", .detail = r.text, .source = event_label(la)};
        parley_bus_post(la->bus, &ev);
    }
    parley_task_result_clear(&r);
    return st;
}

void live_assistant_free(live_assistant *la)
{
    if (!la)
        return;
    if (la->sugg)
        parley_assist_job_wait(la->sugg, NULL);
    for (int i = 0; i < MAX_ASKS; i++) {
        if (la->asks[i].job)
            parley_assist_job_wait(la->asks[i].job, NULL);
        free(la->asks[i].question);
    }
    parley_assist_free(la->as);
    parley_llm_free(la->llm);
    free(la->model_name);
    free(la);
}

const char *live_assistant_label(const live_assistant *la) { return la ? event_label(la) : NULL; }
