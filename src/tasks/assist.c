/* assist.c: the meeting assistant (assist.h): one owner thread per engine, a small job
 * queue with priorities, an in-memory transcript that grows, idle-time prefill and
 * compaction at stable points. With a team server (parley_assist_params.remote) there is
 * no engine here: no prefill, token counts are estimates, every task sends the
 * transcript so far. */
#include <parley/assist.h>

#include "core/internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yyjson.h>

struct parley_assist_job {
    parley_assist_job *next;
    parley_assist_kind kind;
    int prio;                        /* higher runs first */
    char *question;
    struct parley_task_params tp;
    parley_status status;
    char error[1024];
    struct parley_task_result result;
    bool done;                       /* atomic: set by the owner thread when finished */
};

struct parley_assist {
    parley_llm *llm;
    struct parley_assist_params p;
    char *language;                  /* p.language copy, else set_language */
    char *vocabulary;                /* p.vocabulary copy (every task's, so that the prefix stays) */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit, busy;
    parley_transcript t;             /* every segment, owned */
    int32_t *seg_tokens;             /* tokens of each rendered line */
    size_t seg_tokens_cap;
    size_t from;                     /* first segment of the verbatim window */
    int64_t window_tokens;           /* tokens of segments [from, n) */
    char *earlier;                   /* summary of segments [0, from) */
    int32_t earlier_tokens;
    size_t prefilled;
    int compactions;
    parley_assist_job *queue;
    bool suggest_inflight;
    parley_llm_message *hist;        /* chat turns, owned strings */
    size_t n_hist, cap_hist;
    int64_t total_tokens;            /* tokens of every segment appended */
    int32_t draft_every;             /* p.draft_tokens, or as set later; 0 = no drafts */
    char *draft;                     /* the newest draft summary JSON */
    size_t draft_covers;             /* it covers segments [0, draft_covers) */
    int64_t draft_base;              /* total_tokens when it was started */
    int drafts;                      /* drafts written */
    bool draft_long;                 /* a list of it is past twice max_items: the next one is whole */
    bool drafting;                   /* one is being written (draft_cancel stops it) */
    parley_cancel *draft_cancel;
    /* The drafts' context (parley_llm_sibling): its cached prefix is the rules, the newest
     * draft (none before the first) and segments [draft_covers, side_read). */
    parley_llm *side;
    bool side_failed;                /* it could not be made: drafts are off (logged) */
    size_t side_read;
    int32_t draft_tok;               /* tokens of the newest draft's JSON */
    bool side_turn;                  /* the drafts' context reads next (owner_main) */
};

struct parley_assist_params parley_assist_default_params(void)
{
    struct parley_assist_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static int prio_of(parley_assist_kind k)
{
    switch (k) {
    case PARLEY_ASSIST_ASK:
        return 3;
    case PARLEY_ASSIST_SUMMARY:
    case PARLEY_ASSIST_NOTES:
        return 2;
    default:
        return 1; /* suggestions; prefill (0) runs only when nothing is queued */
    }
}

static int32_t reserve(const parley_assist *as) { return as->p.reserve_tokens > 0 ? as->p.reserve_tokens : 1024; }

/* The context the transcript must fit: the engine's, or the team server's. */
static int32_t ctx_tokens(const parley_assist *as)
{
    if (as->p.remote)
        return (int32_t)parley_remote_n_ctx(as->p.remote);
    return (int32_t)parley_llm_info(as->llm)->n_ctx;
}

/* A text's tokens: the engine's tokenizer, or for a team server (whose tokenizer is not
 * here) the estimate tasks.c budgets with: one token per 4 bytes, rounded up. */
static parley_status text_tokens(const parley_assist *as, const char *text, int32_t *n)
{
    if (as->p.remote) {
        size_t t = (strlen(text) + 3) / 4;
        *n = t > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)t;
        return PARLEY_OK;
    }
    return parley_llm_count_tokens(as->llm, text, n);
}

/* A snapshot of segments [a, b) as a borrowed transcript: the segment array is copied
 * (appends may move it), the strings are shared (never freed before the end). */
static parley_status range_view(parley_assist *as, size_t a, size_t b, parley_transcript *v)
{
    memset(v, 0, sizeof *v);
    v->segments = malloc((b > a ? b - a : 1) * sizeof *v->segments);
    v->language = as->language ? parley_strdup(as->language) : NULL;
    if (!v->segments || (as->language && !v->language)) {
        free(v->segments);
        free(v->language);
        memset(v, 0, sizeof *v);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    if (b > a)
        memcpy(v->segments, as->t.segments + a, (b - a) * sizeof *v->segments);
    v->n_segments = b - a;
    return PARLEY_OK;
}

/* The verbatim window [from, n) and a copy of the summary of what came before it. */
static parley_status window_view(parley_assist *as, parley_transcript *v, char **earlier)
{
    *earlier = as->earlier ? parley_strdup(as->earlier) : NULL;
    parley_status st = as->earlier && !*earlier ? parley_fail(PARLEY_ERR_NOMEM, "out of memory")
                                                 : range_view(as, as->from, as->t.n_segments, v);
    if (st) {
        memset(v, 0, sizeof *v);
        free(*earlier);
        *earlier = NULL;
    }
    return st;
}

static void view_free(parley_transcript *v, char *earlier)
{
    free(v->segments);
    free(v->language);
    free(earlier);
}

/* Compacts when the window no longer fits: the older part of the window is summarised
 * (together with the earlier summary) and leaves the window. Called on the owner thread
 * with the lock held; unlocks while the model works. */
static void hms(int64_t ms, char *out, size_t n)
{
    int64_t s = ms / 1000;
    snprintf(out, n, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* Each compaction adds its notes to the summary of the earlier parts, so over a long
 * meeting that summary grows. Past a third of the room it is itself condensed (notes of
 * the notes) and replaced, so it can never crowd out the recent transcript; a failure
 * keeps it as it was. Lock held on entry and exit; unlocked while the model works. */
static void condense_earlier(parley_assist *as, int32_t n_ctx)
{
    if (!as->earlier || as->from == 0 || (int64_t)as->earlier_tokens <= ((int64_t)n_ctx - reserve(as)) / 3)
        return;
    char *text = parley_strdup(as->earlier);
    if (!text)
        return;
    int64_t t0 = as->t.segments[0].t0_ms, t1 = as->t.segments[as->from - 1].t1_ms;
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    parley_segment seg;
    memset(&seg, 0, sizeof seg);
    seg.t0_ms = t0;
    seg.t1_ms = t1;
    seg.text = text;
    parley_transcript one;
    memset(&one, 0, sizeof one);
    one.segments = &seg;
    one.n_segments = 1;
    struct parley_task_params tp = parley_task_default_params();
    tp.vocabulary = as->vocabulary;
    tp.max_tokens = n_ctx / 8 < 64 ? 64 : n_ctx / 8 > 512 ? 512 : n_ctx / 8;
    tp.remote = as->p.remote;
    struct parley_task_result r;
    parley_status st = parley_task_notes_transcript(as->llm, &one, &tp, &r);
    char *summary = NULL;
    if (!st) {
        char a[32], b[32];
        hms(t0, a, sizeof a);
        hms(t1, b, sizeof b);
        parley_buf sb = {0};
        if (!parley_buf_printf(&sb, "(Notes of [%s]-[%s], condensed.)\n%s", a, b, r.text))
            summary = sb.data;
        else
            parley_buf_free(&sb);
    } else {
        parley_log(PARLEY_LOG_WARN, "assistant: condensing the summary of the earlier parts failed (%s); kept as it is",
                   parley_last_error());
    }
    parley_task_result_clear(&r);
    free(text);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    int32_t n = 0;
    if (summary && text_tokens(as, summary, &n) == PARLEY_OK && n < as->earlier_tokens) {
        free(as->earlier);
        as->earlier = summary;
        as->earlier_tokens = n;
        as->prefilled = as->from; /* the prefix must be evaluated again */
        parley_log(PARLEY_LOG_INFO, "assistant: condensed the summary of the earlier parts to %d tokens", n);
    } else {
        free(summary);
    }
}

static void maybe_compact(parley_assist *as)
{
    int32_t n_ctx = ctx_tokens(as);
    condense_earlier(as, n_ctx);
    int64_t room = (int64_t)n_ctx - reserve(as) - as->earlier_tokens;
    if (as->window_tokens <= room || as->t.n_segments - as->from < 2)
        return;
    /* Keep the most recent third of the room verbatim; summarise the rest of the window. */
    size_t k = as->t.n_segments;
    int64_t keep = 0;
    while (k > as->from + 1 && keep + as->seg_tokens[k - 1] <= room / 3)
        keep += as->seg_tokens[--k];
    size_t from = as->from;
    parley_transcript v;
    char *earlier = NULL;
    if (window_view(as, &v, &earlier))
        return;
    v.n_segments = k - from;
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    struct parley_task_params tp = parley_task_default_params();
    tp.earlier = earlier;
    tp.vocabulary = as->vocabulary;
    tp.max_tokens = n_ctx / 8 < 64 ? 64 : n_ctx / 8 > 512 ? 512 : n_ctx / 8;
    tp.remote = as->p.remote; /* a team server compacts too: never this device instead */
    struct parley_task_result r;
    parley_status st = parley_task_notes_transcript(as->llm, &v, &tp, &r);
    char *summary = NULL;
    if (!st) {
        char a[32], b[32];
        hms(v.segments[0].t0_ms, a, sizeof a);
        hms(v.segments[v.n_segments - 1].t1_ms, b, sizeof b);
        parley_buf sb = {0};
        if (!parley_buf_printf(&sb, "%s%s(Notes of [%s]-[%s].)\n%s", earlier ? earlier : "", earlier ? "\n\n" : "",
                               a, b, r.text))
            summary = sb.data;
        else
            parley_buf_free(&sb);
    } else {
        parley_log(PARLEY_LOG_WARN, "assistant: compacting the transcript failed (%s); it slides instead",
                   parley_last_error());
    }
    parley_task_result_clear(&r);
    view_free(&v, earlier);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    if (!summary) {
        /* No summary: fall back to dropping the oldest part from the window, and say so. */
        parley_log(PARLEY_LOG_WARN, "assistant: segments %zu-%zu left the live context without a summary", from,
                   k - 1);
    }
    free(as->earlier);
    as->earlier = summary;
    as->earlier_tokens = 0;
    if (summary && text_tokens(as, summary, &as->earlier_tokens) != PARLEY_OK)
        as->earlier_tokens = (int32_t)(strlen(summary) / 2);
    for (size_t i = from; i < k; i++)
        as->window_tokens -= as->seg_tokens[i];
    as->from = k;
    as->prefilled = k; /* the prefix must be evaluated again from the new window */
    as->compactions++;
    parley_log(PARLEY_LOG_INFO, "assistant: compacted segments %zu-%zu into a summary (%d so far)", from, k - 1,
               as->compactions);
}

static void prefill(parley_assist *as)
{
    if (as->p.remote) {
        /* A team server keeps no prefix for us: each task sends the transcript so far
         * (compaction, when needed, happens when a task runs). */
        as->prefilled = as->t.n_segments;
        return;
    }
    maybe_compact(as);
    if (as->quit || as->queue)
        return; /* a task came in meanwhile: it goes first */
    parley_transcript v;
    char *earlier = NULL;
    if (as->t.n_segments == as->from || window_view(as, &v, &earlier)) {
        as->prefilled = as->t.n_segments;
        return;
    }
    size_t upto = as->t.n_segments;
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    struct parley_task_params tp = parley_task_default_params();
    tp.earlier = earlier;
    tp.vocabulary = as->vocabulary;
    struct parley_llm_stats ps;
    parley_status st = parley_task_prefill(as->llm, &v, &tp, &ps);
    if (st)
        parley_log(PARLEY_LOG_WARN, "assistant: prefill failed: %s", parley_last_error());
    else
        parley_log(PARLEY_LOG_INFO, "assistant: the cache read to segment %zu (%d tokens new, %d kept)", upto,
                   ps.n_evaluated, ps.n_reused);
    view_free(&v, earlier);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    if (as->prefilled < upto)
        as->prefilled = upto; /* on failure too: the next task evaluates what it needs */
}

static parley_status hist_add(parley_assist *as, const char *role, const char *content)
{
    if (as->n_hist == as->cap_hist) {
        size_t nc = as->cap_hist ? as->cap_hist * 2 : 8;
        parley_llm_message *nh = realloc(as->hist, nc * sizeof *nh);
        if (!nh)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        as->hist = nh;
        as->cap_hist = nc;
    }
    char *r = parley_strdup(role), *c = parley_strdup(content);
    if (!r || !c) {
        free(r);
        free(c);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    as->hist[as->n_hist].role = r;
    as->hist[as->n_hist++].content = c;
    return PARLEY_OK;
}

/* ---- drafts, in their own context ---------------------------------------------------- */

#define SIDE_RULES_TOKENS 512   /* rules, vocabulary and headings around the transcript (over) */
#define SIDE_ANSWER_TOKENS 2048 /* the request and a draft's answer */
#define SIDE_CHUNK_TOKENS 512   /* read into it at a time, so that a question waits little */

/* The drafts' context, made on first use: about three intervals of transcript beside a
 * draft and its answer, never more than the main context. */
static parley_llm *side_get(parley_assist *as)
{
    if (as->side || as->side_failed)
        return as->side;
    int64_t want = 3 * (int64_t)as->draft_every + 4096, main_ctx = ctx_tokens(as);
    if (want > main_ctx)
        want = main_ctx;
    want = (want + 255) / 256 * 256;
    if (parley_llm_sibling(as->llm, (uint32_t)want, &as->side) != PARLEY_OK) {
        as->side_failed = true;
        as->draft_every = 0;
        parley_log(PARLEY_LOG_WARN, "assistant: no drafts: their context of %lld tokens could not be made: %s",
                   (long long)want, parley_last_error());
        return NULL;
    }
    parley_log(PARLEY_LOG_INFO, "assistant: drafts have a context of %u tokens",
               parley_llm_info(as->side)->n_ctx);
    return as->side;
}

/* Transcript tokens of segments [a, b). */
static int64_t seg_sum(const parley_assist *as, size_t a, size_t b)
{
    int64_t n = 0;
    for (size_t i = a; i < b; i++)
        n += as->seg_tokens[i];
    return n;
}

/* The last segment the drafts' context can hold after the draft, with room to answer. */
static size_t side_limit(const parley_assist *as)
{
    int64_t room = (int64_t)parley_llm_info(as->side)->n_ctx - SIDE_RULES_TOKENS - SIDE_ANSWER_TOKENS -
                   (as->draft ? as->draft_tok : 0);
    size_t k = as->draft_covers;
    while (k < as->t.n_segments && room >= as->seg_tokens[k])
        room -= as->seg_tokens[k++];
    return k;
}

/* The task params that put the newest draft before the transcript after it (the system
 * message the drafts' context caches). */
static struct parley_task_params side_params(parley_assist *as, char *draft_copy)
{
    struct parley_task_params tp = parley_task_default_params();
    tp.vocabulary = as->vocabulary;
    if (draft_copy) {
        tp.draft = draft_copy;
        tp.draft_rolling = true;
        tp.draft_until_ms = as->draft_covers ? as->t.segments[as->draft_covers - 1].t1_ms : 0;
    }
    return tp;
}

/* Reads the next lines (up to SIDE_CHUNK_TOKENS of them, or all up to upto) into the
 * drafts' context. Owner thread, lock held (unlocked while the model works). */
static void side_read(parley_assist *as, size_t upto)
{
    if (!side_get(as))
        return;
    size_t lim = side_limit(as);
    if (upto > lim)
        upto = lim;
    if (as->side_read < as->draft_covers)
        as->side_read = as->draft_covers;
    size_t k = as->side_read;
    int64_t n = 0;
    while (k < upto && (n == 0 || n + as->seg_tokens[k] <= SIDE_CHUNK_TOKENS))
        n += as->seg_tokens[k++];
    if (k == as->side_read)
        return;
    parley_transcript v;
    memset(&v, 0, sizeof v);
    char *draft = NULL;
    if (range_view(as, as->draft_covers, k, &v) || (as->draft && !(draft = parley_strdup(as->draft)))) {
        view_free(&v, NULL);
        return;
    }
    const char *drawn = as->draft;
    struct parley_task_params tp = side_params(as, draft);
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    struct parley_llm_stats ps;
    parley_status st = parley_task_prefill(as->side, &v, &tp, &ps);
    parley_log(PARLEY_LOG_INFO, "assistant: the drafts' context read to segment %zu (%d tokens new, %d kept)", k,
               ps.n_evaluated, ps.n_reused);
    if (st)
        parley_log(PARLEY_LOG_WARN, "assistant: reading into the drafts' context failed: %s", parley_last_error());
    view_free(&v, NULL);
    free(draft);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    if (as->draft == drawn && as->side_read < k)
        as->side_read = k; /* on failure too: the next draft reads what it needs */
}

/* Whether a draft summary is due: drafts on, nothing queued, and the transcript grown by
 * draft_every tokens since the last draft began. Not "once every segment is read":
 * while speech recognition catches up a backlog, segments come faster than the owner
 * thread idles, and the draft would wait for the end. */
static bool draft_due(const parley_assist *as)
{
    return !as->p.remote && !as->p.no_prefill && as->draft_every > 0 && as->draft_cancel && !as->side_failed &&
           !as->queue && as->t.n_segments > as->draft_covers && as->total_tokens - as->draft_base >= as->draft_every;
}

/* Writes a draft summary in the drafts' context: the newest draft and the segments read
 * after it, on the owner thread with the lock held (unlocked while the model works). Any
 * question, summary or notes submitted meanwhile cancels it (parley_assist_submit); it is
 * tried again when the thread is idle. */
static void run_draft(parley_assist *as)
{
    size_t upto = as->side_read;
    parley_transcript v;
    memset(&v, 0, sizeof v);
    char *prev = NULL;
    if (!as->side || upto <= as->draft_covers || range_view(as, as->draft_covers, upto, &v) ||
        (as->draft && !(prev = parley_strdup(as->draft)))) {
        view_free(&v, NULL);
        as->draft_base = as->total_tokens; /* nothing read, or out of memory: not again at once */
        return;
    }
    /* The transcript's tokens up to the draft's end: the segments after it count toward
     * the next draft. */
    int64_t base = as->total_tokens - seg_sum(as, upto, as->t.n_segments);
    /* Drafts roll: each is an update of the one before (only what is new is written),
     * until a list has grown past twice max_items; then the lists are written anew. */
    struct parley_task_params tp = side_params(as, prev);
    tp.draft_rewrite = as->draft_long;
    tp.language = v.language; /* the assistant's language, as run_job gives tasks */
    tp.item_chars = as->p.draft_item_chars;
    tp.max_items = as->p.draft_max_items;
    tp.cancel = as->draft_cancel;
    /* Room to finish: a draft costs idle time only, and one cut off at the task's usual
     * 1024 is wasted (a model that rambles, like the random-weight stand-ins). */
    tp.max_tokens = SIDE_ANSWER_TOKENS - 256;
    as->busy = as->drafting = true;
    parley_cancel_reset(as->draft_cancel);
    pthread_mutex_unlock(&as->mu);
    struct parley_task_result r;
    parley_status st = parley_task_summarize_transcript(as->side, &v, &tp, &r);
    view_free(&v, NULL);
    free(prev);
    size_t longest = 0;
    int32_t ntok = 0;
    if (st == PARLEY_OK && r.json) {
        yyjson_doc *d = yyjson_read(r.json, strlen(r.json), 0);
        yyjson_val *o = d ? yyjson_doc_get_root(d) : NULL, *k, *val;
        size_t i, n;
        yyjson_obj_foreach(o, i, n, k, val)
        {
            if (yyjson_is_arr(val) && yyjson_arr_size(val) > longest)
                longest = yyjson_arr_size(val);
        }
        yyjson_doc_free(d);
        if (parley_llm_count_tokens(as->side, r.json, &ntok) != PARLEY_OK)
            ntok = (int32_t)(strlen(r.json) / 2);
    }
    pthread_mutex_lock(&as->mu);
    as->busy = as->drafting = false;
    if (st == PARLEY_OK) {
        free(as->draft);
        as->draft = r.json;
        r.json = NULL;
        as->draft_tok = ntok;
        as->draft_covers = upto;
        as->side_read = upto; /* the context is read anew: the new draft, then what follows */
        as->draft_base = base;
        as->drafts++;
        as->draft_long = longest > 2 * (size_t)(as->p.draft_max_items > 0 ? as->p.draft_max_items : 8);
        parley_log(PARLEY_LOG_INFO, "assistant: draft summary %d covers %zu segments (%s; %d tokens written in %.1f s)",
                   as->drafts, upto, r.meta && strstr(r.meta, "\"used\":true") ? "an update" : "whole",
                   r.stats.n_generated, r.stats.gen_ms / 1000.0);
    } else if (st != PARLEY_ERR_CANCELLED) {
        parley_log(PARLEY_LOG_WARN, "assistant: the draft summary failed: %s", parley_last_error());
        as->draft_base = base; /* not again until the transcript has grown as much again */
    }
    parley_task_result_clear(&r);
}

/* The summary at stop in the drafts' context: from the newest draft and the segments after
 * it, when there is a draft, something after it, and room for it all. Lock held, unlocked
 * while the model works. Returns false when it does not apply (the main context then
 * writes it). */
static bool side_summary(parley_assist *as, parley_assist_job *j, parley_status *st)
{
    if (!as->side || !as->draft || as->draft_covers >= as->t.n_segments || j->tp.draft ||
        side_limit(as) < as->t.n_segments)
        return false;
    parley_transcript v;
    char *draft = parley_strdup(as->draft);
    if (!draft || range_view(as, as->draft_covers, as->t.n_segments, &v)) {
        free(draft);
        return false;
    }
    struct parley_task_params sp = side_params(as, draft);
    struct parley_task_params tp = j->tp;
    tp.draft = sp.draft;
    tp.draft_rolling = true;
    tp.draft_rewrite = as->draft_long;
    tp.draft_until_ms = sp.draft_until_ms;
    tp.earlier = NULL;
    if (!tp.language)
        tp.language = v.language;
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    *st = parley_task_summarize_transcript(as->side, &v, &tp, &j->result);
    parley_log(PARLEY_LOG_INFO,
               "assistant: the summary in the drafts' context from segment %zu (read to %zu before): %d tokens "
               "kept, %d read, %d written",
               as->draft_covers, as->side_read, j->result.stats.n_reused, j->result.stats.n_evaluated,
               j->result.stats.n_generated);
    view_free(&v, NULL);
    free(draft);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    return true;
}

static void run_job(parley_assist *as, parley_assist_job *j)
{
    parley_status sst = PARLEY_OK;
    if (j->kind == PARLEY_ASSIST_SUMMARY && side_summary(as, j, &sst)) {
        if (sst)
            snprintf(j->error, sizeof j->error, "%s", parley_last_error());
        j->status = sst;
        __atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
        return;
    }
    maybe_compact(as);
    parley_transcript v;
    char *earlier = NULL;
    parley_status st = window_view(as, &v, &earlier);
    size_t n_hist = as->n_hist;
    parley_llm_message *hist = NULL;
    if (!st && n_hist) {
        hist = malloc(n_hist * sizeof *hist);
        if (!hist)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        else
            memcpy(hist, as->hist, n_hist * sizeof *hist); /* strings live until free */
    }
    if (!st && v.n_segments == 0)
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "nothing has been said yet (no transcript segments)");
    /* The summary starts from the newest draft, when there is one that reaches into the
     * window: only what came after it is written (tasks.h, params.draft). */
    char *draft = NULL;
    if (!st && j->kind == PARLEY_ASSIST_SUMMARY && !j->tp.draft && as->draft && as->draft_covers > as->from &&
        (draft = parley_strdup(as->draft)) != NULL) {
        j->tp.draft = draft;
        j->tp.draft_segments = as->draft_covers - as->from;
    }
    size_t upto = as->t.n_segments;
    as->busy = true;
    pthread_mutex_unlock(&as->mu);
    if (!st) {
        j->tp.earlier = earlier;
        if (!j->tp.language)
            j->tp.language = v.language;
        switch (j->kind) {
        case PARLEY_ASSIST_ASK:
            st = parley_task_ask_transcript(as->llm, &v, hist, n_hist, j->question, &j->tp, &j->result);
            break;
        case PARLEY_ASSIST_SUGGEST:
            st = parley_task_suggest_transcript(as->llm, &v, &j->tp, &j->result);
            break;
        case PARLEY_ASSIST_SUMMARY:
            st = parley_task_summarize_transcript(as->llm, &v, &j->tp, &j->result);
            break;
        case PARLEY_ASSIST_NOTES:
            st = parley_task_notes_transcript(as->llm, &v, &j->tp, &j->result);
            break;
        }
        j->tp.earlier = NULL;
        if (draft) {
            j->tp.draft = NULL;
            j->tp.draft_segments = 0;
        }
    }
    free(draft);
    if (st)
        snprintf(j->error, sizeof j->error, "%s", parley_last_error());
    view_free(&v, earlier);
    free(hist);
    pthread_mutex_lock(&as->mu);
    as->busy = false;
    if (!st && j->kind == PARLEY_ASSIST_ASK) {
        parley_status hs = hist_add(as, "user", j->question);
        if (!hs)
            hs = hist_add(as, "assistant", j->result.text ? j->result.text : "");
        (void)hs;
    }
    if (as->prefilled < upto && !st)
        as->prefilled = upto; /* the task's own prefix update covered them */
    if (j->kind == PARLEY_ASSIST_SUGGEST)
        as->suggest_inflight = false;
    j->status = st;
    __atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
}

static void *owner_main(void *arg)
{
    parley_assist *as = arg;
    pthread_mutex_lock(&as->mu);
    while (!as->quit) {
        parley_assist_job *j = as->queue;
        if (j) {
            as->queue = j->next;
            run_job(as, j);
            continue;
        }
        if (draft_due(as)) {
            /* The new lines first, into both contexts (reading is never cancelled): a
             * draft reads only what its context holds, so cancelling it never cuts an
             * extension of a cached prefix, which would drop that prefix whole (a
             * recurrent model's state cannot be trimmed back). Questions go first between
             * the steps. */
            if (as->prefilled < as->t.n_segments)
                prefill(as);
            size_t upto = as->t.n_segments;
            while (!as->quit && !as->queue && !as->side_failed && as->side_read < upto) {
                size_t was = as->side_read;
                side_read(as, upto);
                if (as->side_read == was)
                    break;
            }
            if (!as->quit && !as->queue && draft_due(as))
                run_draft(as);
            continue;
        }
        /* The main cache (questions, suggestions) and the drafts' context (the summary at
         * stop) take turns at reading new lines, so that neither falls far behind while
         * the other keeps busy. The drafts' context reads on while drafts are paused
         * (battery): it costs less than a draft, and the summary at stop then reads only
         * its request. */
        bool main_due = !as->p.no_prefill && as->prefilled < as->t.n_segments;
        bool side_due = !as->p.no_prefill && (as->draft_every > 0 || (as->side && as->draft)) && !as->side_failed &&
                        !as->p.remote && as->side_read < as->t.n_segments &&
                        (!as->side || as->side_read < side_limit(as));
        if (main_due && (!side_due || !as->side_turn)) {
            prefill(as);
            as->side_turn = true;
            continue;
        }
        if (side_due) {
            size_t was = as->side_read;
            side_read(as, as->t.n_segments);
            as->side_turn = false;
            if (as->side_read != was || !as->side || main_due)
                continue;
        }
        pthread_cond_wait(&as->cv, &as->mu);
    }
    /* Jobs left in the queue end as cancelled. */
    while (as->queue) {
        parley_assist_job *j = as->queue;
        as->queue = j->next;
        j->status = PARLEY_ERR_CANCELLED;
        snprintf(j->error, sizeof j->error, "the assistant was stopped before this task ran");
        if (j->kind == PARLEY_ASSIST_SUGGEST)
            as->suggest_inflight = false;
        __atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&as->mu);
    return NULL;
}

parley_status parley_assist_new(parley_llm *llm, const struct parley_assist_params *p, parley_assist **out)
{
    if ((!llm && !(p && p->remote)) || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_new: NULL argument");
    *out = NULL;
    parley_assist *as = calloc(1, sizeof *as);
    if (!as)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    as->llm = llm;
    as->p = p ? *p : parley_assist_default_params();
    as->p.language = NULL;
    as->p.vocabulary = NULL;
    if ((p && p->language && !(as->language = parley_strdup(p->language))) ||
        (p && p->vocabulary && *p->vocabulary && !(as->vocabulary = parley_strdup(p->vocabulary)))) {
        free(as->language);
        free(as);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    as->draft_every = as->p.draft_tokens > 0 ? as->p.draft_tokens : 0;
    if (!as->p.remote && !(as->draft_cancel = parley_cancel_new())) {
        free(as->language);
        free(as->vocabulary);
        free(as);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&as->mu, NULL);
    pthread_cond_init(&as->cv, NULL);
    int e = pthread_create(&as->th, NULL, owner_main, as);
    if (e) {
        pthread_mutex_destroy(&as->mu);
        pthread_cond_destroy(&as->cv);
        parley_cancel_free(as->draft_cancel);
        free(as->language);
        free(as->vocabulary);
        free(as);
        return parley_fail(PARLEY_ERR_NOMEM, "could not start the assistant's thread: %s", strerror(e));
    }
    *out = as;
    return PARLEY_OK;
}

void parley_assist_free(parley_assist *as)
{
    if (!as)
        return;
    pthread_mutex_lock(&as->mu);
    as->quit = true;
    if (as->drafting)
        parley_cancel_set(as->draft_cancel); /* a draft is nobody's job: it does not hold up the end */
    pthread_cond_broadcast(&as->cv);
    pthread_mutex_unlock(&as->mu);
    pthread_join(as->th, NULL);
    pthread_mutex_destroy(&as->mu);
    pthread_cond_destroy(&as->cv);
    parley_transcript_free(&as->t);
    free(as->seg_tokens);
    free(as->earlier);
    free(as->language);
    free(as->vocabulary);
    free(as->draft);
    parley_cancel_free(as->draft_cancel);
    parley_llm_free(as->side);
    for (size_t i = 0; i < as->n_hist; i++) {
        free((char *)as->hist[i].role);
        free((char *)as->hist[i].content);
    }
    free(as->hist);
    free(as);
}

parley_status parley_assist_set_language(parley_assist *as, const char *lang)
{
    if (!as)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_set_language: NULL argument");
    char *l = lang ? parley_strdup(lang) : NULL;
    if (lang && !l)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&as->mu);
    free(as->language);
    as->language = l;
    pthread_mutex_unlock(&as->mu);
    return PARLEY_OK;
}

parley_status parley_assist_append(parley_assist *as, const parley_segment *segs, size_t n)
{
    if (!as || (n && !segs))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_append: NULL argument");
    /* Token counts per rendered line, outside the lock: contents are tokenized a line at a
     * time, so these add up to the window's tokens exactly. */
    int32_t *k = calloc(n ? n : 1, sizeof *k);
    if (!k)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_status st = PARLEY_OK;
    for (size_t i = 0; i < n && !st; i++) {
        parley_transcript one = {0};
        one.segments = (parley_segment *)&segs[i];
        one.n_segments = 1;
        char *line = NULL;
        st = parley_task_render_transcript(&one, 0, 1, &line);
        if (!st)
            st = text_tokens(as, line, &k[i]);
        free(line);
    }
    if (st) {
        free(k);
        return st;
    }
    pthread_mutex_lock(&as->mu);
    size_t need = as->t.n_segments + n;
    if (need > as->seg_tokens_cap) {
        size_t nc = as->seg_tokens_cap ? as->seg_tokens_cap : 64;
        while (nc < need)
            nc *= 2;
        int32_t *nk = realloc(as->seg_tokens, nc * sizeof *nk);
        if (!nk)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        else {
            as->seg_tokens = nk;
            as->seg_tokens_cap = nc;
        }
    }
    for (size_t i = 0; i < n && !st; i++) {
        const parley_segment *s = &segs[i];
        st = parley_transcript_add(&as->t, s->t0_ms, s->t1_ms, s->text ? s->text : "", s->speaker, s->confidence);
        if (!st) {
            as->seg_tokens[as->t.n_segments - 1] = k[i];
            as->window_tokens += k[i];
            as->total_tokens += k[i];
        }
    }
    pthread_cond_broadcast(&as->cv);
    pthread_mutex_unlock(&as->mu);
    free(k);
    return st;
}

parley_status parley_assist_submit(parley_assist *as, parley_assist_kind kind, const char *question,
                                   const struct parley_task_params *tp, parley_assist_job **out)
{
    if (!as || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_submit: NULL argument");
    *out = NULL;
    if (kind < PARLEY_ASSIST_ASK || kind > PARLEY_ASSIST_NOTES)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown assistant task %d", (int)kind);
    if (kind == PARLEY_ASSIST_ASK && (!question || !*question))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a question is needed");
    parley_assist_job *j = calloc(1, sizeof *j);
    if (!j)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    j->kind = kind;
    j->prio = prio_of(kind);
    j->tp = tp ? *tp : parley_task_default_params();
    j->tp.vocabulary = as->vocabulary; /* the assistant's: the cached prefix has it */
    j->tp.remote = as->p.remote;       /* the assistant's engine, or its team server: never mixed */
    if (question && !(j->question = parley_strdup(question))) {
        free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&as->mu);
    if (kind == PARLEY_ASSIST_SUGGEST && as->suggest_inflight) {
        pthread_mutex_unlock(&as->mu);
        free(j->question);
        free(j);
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a suggestion is already in flight");
    }
    if (as->quit) {
        pthread_mutex_unlock(&as->mu);
        free(j->question);
        free(j);
        return parley_fail(PARLEY_ERR_CANCELLED, "the assistant is stopping");
    }
    if (kind == PARLEY_ASSIST_SUGGEST)
        as->suggest_inflight = true;
    else if (as->drafting)
        parley_cancel_set(as->draft_cancel); /* someone is waiting: the draft gives way */
    parley_assist_job **pp = &as->queue;
    while (*pp && (*pp)->prio >= j->prio)
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    pthread_cond_broadcast(&as->cv);
    pthread_mutex_unlock(&as->mu);
    *out = j;
    return PARLEY_OK;
}

/* Jobs are waited for without the assistant pointer (the API takes the job alone), so
 * completion is published with an atomic flag and a per-job lock. */
bool parley_assist_job_done(const parley_assist_job *job)
{
    return job ? __atomic_load_n(&job->done, __ATOMIC_ACQUIRE) : true;
}

parley_status parley_assist_job_wait(parley_assist_job *job, struct parley_task_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!job)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_job_wait: NULL job");
    /* Short sleeps until done: the owner thread signals under the assistant's lock, which
     * this function cannot reach; 5 ms polling costs nothing next to a model's work. */
    while (!__atomic_load_n(&job->done, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    parley_status st = job->status;
    if (out) {
        *out = job->result;
        memset(&job->result, 0, sizeof job->result);
    }
    if (st)
        parley_fail(st, "%s", job->error);
    parley_task_result_clear(&job->result);
    free(job->question);
    free(job);
    return st;
}

void parley_assist_status(parley_assist *as, struct parley_assist_status *out)
{
    memset(out, 0, sizeof *out);
    if (!as)
        return;
    pthread_mutex_lock(&as->mu);
    out->n_segments = as->t.n_segments;
    out->prefilled_segments = as->prefilled;
    out->compacted_segments = as->from;
    out->compactions = as->compactions;
    out->busy = as->busy;
    out->drafts = as->drafts;
    out->draft_segments = as->draft ? as->draft_covers : 0;
    if (out->draft_segments && out->draft_segments <= as->t.n_segments)
        out->draft_until_ms = as->t.segments[out->draft_segments - 1].t1_ms;
    out->drafting = as->drafting;
    out->draft_read_segments = as->side_read > as->draft_covers ? as->side_read - as->draft_covers : 0;
    out->draft_cached_tokens = as->side ? parley_llm_prefix_tokens(as->side) : 0;
    for (parley_assist_job *j = as->queue; j; j = j->next)
        out->queued_jobs++;
    pthread_mutex_unlock(&as->mu);
    out->cached_tokens = as->p.remote ? 0 : parley_llm_prefix_tokens(as->llm);
}

parley_status parley_assist_transcript(parley_assist *as, parley_transcript *out)
{
    if (!as || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_transcript: NULL argument");
    memset(out, 0, sizeof *out);
    parley_status st = PARLEY_OK;
    pthread_mutex_lock(&as->mu);
    for (size_t i = 0; i < as->t.n_segments && !st; i++) {
        const parley_segment *s = &as->t.segments[i];
        st = parley_transcript_add(out, s->t0_ms, s->t1_ms, s->text, s->speaker, s->confidence);
    }
    if (!st && as->language && !(out->language = parley_strdup(as->language)))
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    pthread_mutex_unlock(&as->mu);
    if (st)
        parley_transcript_free(out);
    return st;
}

parley_status parley_assist_set_draft_tokens(parley_assist *as, int32_t tokens)
{
    if (!as)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_assist_set_draft_tokens: NULL argument");
    pthread_mutex_lock(&as->mu);
    as->draft_every = tokens > 0 ? tokens : 0;
    if (as->draft_every == 0 && as->drafting)
        parley_cancel_set(as->draft_cancel);
    pthread_cond_broadcast(&as->cv);
    pthread_mutex_unlock(&as->mu);
    return PARLEY_OK;
}
