/* test_assist.c: the meeting assistant (assist.h) on the tiny stories260K model with a
 * chatml template: segments appended while it runs are prefilled in idle time, a question
 * then evaluates only its own tokens, one suggestion in flight at most, long meetings
 * compact instead of failing, and stopping cancels what is queued. */
#include "test.h"

#include <parley/assist.h>
#include <parley/llm.h>

#include <time.h>

static const char *mp;

#define NEED_MODEL()                                                                               \
    do {                                                                                           \
        if (!mp)                                                                                   \
            SKIP("needs ../shared/models/stories260K.gguf (PARLEY_SHARED=%s)",                    \
                 getenv("PARLEY_SHARED") ? getenv("PARLEY_SHARED") : "unset");                    \
    } while (0)

static parley_llm *load(uint32_t n_ctx)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = n_ctx;
    p.n_threads = 1;
    p.n_gpu_layers = 0;
    p.chat_template = "chatml";
    parley_llm *llm = NULL;
    if (parley_llm_load(mp, p, &llm) != PARLEY_OK)
        fprintf(stderr, "load: %s\n", parley_last_error());
    return llm;
}

static const char *lines[] = {
    "Welcome everyone, today we decide the budget for the new office.",
    "I think we should spend ten thousand on furniture.",
    "Agreed. Bob will send the quote by Friday.",
    "What about the internet contract? We still do not know.",
};

static void append(parley_assist *as, size_t i)
{
    parley_segment s;
    memset(&s, 0, sizeof s);
    s.t0_ms = (int64_t)i * 4000;
    s.t1_ms = s.t0_ms + 3500;
    char text[160];
    snprintf(text, sizeof text, "%s (%zu)", lines[i % 4], i);
    s.text = text;
    s.speaker = (char *)(i % 2 ? "Them" : "Me");
    s.confidence = 0.9f;
    parley_assist_append(as, &s, 1);
}

/* Waits (up to 20 s) until every segment is in the cached prefix. */
/* Polls the assistant's status (10 ms apart, up to `tries` times) until `done` holds. */
static bool wait_for(parley_assist *as, bool (*done)(const struct parley_assist_status *, size_t), size_t arg,
                     int tries)
{
    for (int i = 0; i < tries; i++) {
        struct parley_assist_status st;
        parley_assist_status(as, &st);
        if (done(&st, arg))
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool all_prefilled(const struct parley_assist_status *st, size_t unused)
{
    (void)unused;
    return st->prefilled_segments == st->n_segments && !st->busy && st->queued_jobs == 0;
}

static bool wait_prefilled(parley_assist *as) { return wait_for(as, all_prefilled, 0, 2000); }

TEST(appended_segments_are_prefilled_and_a_question_pays_only_for_itself)
{
    NEED_MODEL();
    parley_llm *llm = load(4096);
    ASSERT(llm);
    parley_assist *as = NULL;
    ASSERT_OK(parley_assist_new(llm, NULL, &as));
    for (size_t i = 0; i < 12; i++)
        append(as, i);
    ASSERT(wait_prefilled(as));
    struct parley_assist_status s0;
    parley_assist_status(as, &s0);
    ASSERT_EQ_INT(s0.n_segments, 12);
    ASSERT(s0.cached_tokens > 200);

    struct parley_task_params tp = parley_task_default_params();
    tp.max_tokens = 8;
    parley_assist_job *j;
    struct parley_task_result r;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_ASK, "Who sends the quote?", &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT_EQ_INT(r.stats.n_reused, s0.cached_tokens);
    /* Only the question's own tokens (the markup around it, the question). */
    ASSERT_MSG(r.stats.n_evaluated * 4 < s0.cached_tokens, "evaluated %d", r.stats.n_evaluated);
    ASSERT_EQ_INT(r.stats.n_evaluated, r.stats.n_prompt - r.stats.n_reused);
    ASSERT_EQ_INT(r.artifact_id, 0);
    parley_task_result_clear(&r);

    /* One more segment: prefilled in idle time, extending the cache by its own tokens. */
    append(as, 12);
    ASSERT(wait_prefilled(as));
    struct parley_assist_status s1;
    parley_assist_status(as, &s1);
    ASSERT_MSG(s1.cached_tokens > s0.cached_tokens && s1.cached_tokens < s0.cached_tokens + 100, "%d then %d", s0.cached_tokens, s1.cached_tokens);
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_ASK, "And by when?", &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT_EQ_INT(r.stats.n_reused, s1.cached_tokens);
    parley_task_result_clear(&r);

    /* At most one suggestion in flight. */
    tp.item_chars = 16;
    tp.max_tokens = 0; /* the grammar's bound */
    parley_assist_job *s_a = NULL, *s_b = NULL;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_SUGGEST, NULL, &tp, &s_a));
    parley_status second = parley_assist_submit(as, PARLEY_ASSIST_SUGGEST, NULL, &tp, &s_b);
    if (second == PARLEY_OK) /* the first had already finished */
        ASSERT(parley_assist_job_done(s_a));
    else
        ASSERT_CONTAINS(parley_last_error(), "in flight");
    ASSERT_OK(parley_assist_job_wait(s_a, &r));
    ASSERT(r.json && r.json[0] == '[');
    parley_task_result_clear(&r);
    if (s_b) {
        ASSERT_OK(parley_assist_job_wait(s_b, &r));
        parley_task_result_clear(&r);
    }

    /* The summary at the end starts from the warm cache. */
    tp.max_items = 1;
    tp.item_chars = 8;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_SUMMARY, NULL, &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT(r.stats.n_reused >= s1.cached_tokens);
    ASSERT(r.json && r.text);
    parley_task_result_clear(&r);

    parley_transcript t;
    ASSERT_OK(parley_assist_transcript(as, &t));
    ASSERT_EQ_INT(t.n_segments, 13);
    ASSERT_STR(t.segments[12].speaker, "Me");
    parley_transcript_free(&t);
    parley_assist_free(as);
    parley_llm_free(llm);
}

TEST(a_long_meeting_compacts_instead_of_failing)
{
    NEED_MODEL();
    parley_llm *llm = load(2048);
    ASSERT(llm);
    struct parley_assist_params ap = parley_assist_default_params();
    ap.reserve_tokens = 900; /* the tiny model's byte-level vocabulary makes the rules ~500 tokens */
    parley_assist *as = NULL;
    ASSERT_OK(parley_assist_new(llm, &ap, &as));
    for (size_t i = 0; i < 40; i++)
        append(as, i);
    struct parley_task_params tp = parley_task_default_params();
    tp.max_tokens = 8;
    parley_assist_job *j;
    struct parley_task_result r;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_ASK, "What was decided?", &tp, &j));
    parley_status st = parley_assist_job_wait(j, &r);
    ASSERT_MSG(st == PARLEY_OK, "%s", parley_last_error());
    parley_task_result_clear(&r);
    struct parley_assist_status s;
    parley_assist_status(as, &s);
    ASSERT(s.compactions >= 1);
    ASSERT(s.compacted_segments > 0 && s.compacted_segments < 40);
    ASSERT_EQ_INT(s.n_segments, 40); /* nothing dropped from the record */
    parley_assist_free(as);
    parley_llm_free(llm);
}

TEST(stopping_cancels_queued_jobs)
{
    NEED_MODEL();
    parley_llm *llm = load(2048);
    ASSERT(llm);
    struct parley_assist_params ap = parley_assist_default_params();
    ap.no_prefill = true;
    parley_assist *as = NULL;
    ASSERT_OK(parley_assist_new(llm, &ap, &as));
    for (size_t i = 0; i < 8; i++)
        append(as, i);
    struct parley_task_params tp = parley_task_default_params();
    tp.max_tokens = 200;
    parley_assist_job *j[4];
    for (int i = 0; i < 4; i++)
        ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_NOTES, NULL, &tp, &j[i]));
    parley_assist_free(as); /* the running one finishes; the rest are cancelled */
    int cancelled = 0;
    for (int i = 0; i < 4; i++) {
        struct parley_task_result r;
        if (parley_assist_job_wait(j[i], &r) == PARLEY_ERR_CANCELLED)
            cancelled++;
        parley_task_result_clear(&r);
    }
    ASSERT(cancelled >= 1);
    ASSERT_STATUS(parley_assist_submit(NULL, PARLEY_ASSIST_ASK, "x", NULL, &j[0]), PARLEY_ERR_INVALID_ARG);
    parley_llm_free(llm);
}

/* Waits (up to 60 s) until a draft covers n segments and none is being written. */
static bool draft_covers(const struct parley_assist_status *st, size_t n)
{
    return st->draft_segments == n && !st->drafting && !st->busy;
}

static bool wait_draft(parley_assist *as, size_t n) { return wait_for(as, draft_covers, n, 6000); }

/* Every segment after the newest draft is read into the drafts' context. */
static bool all_read(const struct parley_assist_status *st, size_t unused)
{
    (void)unused;
    return st->draft_segments + st->draft_read_segments == st->n_segments && !st->busy && st->queued_jobs == 0;
}

TEST(drafts_in_idle_time_and_the_summary_writes_only_what_is_new)
{
    NEED_MODEL();
    parley_llm *llm = load(4096);
    ASSERT(llm);
    struct parley_assist_params ap = parley_assist_default_params();
    ap.draft_tokens = 150;
    ap.draft_item_chars = 12;
    ap.draft_max_items = 2;
    parley_assist *as = NULL;
    ASSERT_OK(parley_assist_new(llm, &ap, &as));
    for (size_t i = 0; i < 12; i++)
        append(as, i);
    ASSERT(wait_draft(as, 12));
    struct parley_assist_status s0;
    parley_assist_status(as, &s0);
    ASSERT(s0.drafts >= 1);

    /* Drafts off: no new one; two more segments, read in idle time into the drafts'
     * context after the draft of 12 (the main prefix too); the summary is written there
     * from the draft and those two, and reads little more than its request. */
    ASSERT_OK(parley_assist_set_draft_tokens(as, 0));
    for (size_t i = 12; i < 18; i++)
        append(as, i);
    ASSERT(wait_prefilled(as));
    ASSERT(wait_for(as, all_read, 0, 2000));
    struct parley_assist_status sr;
    parley_assist_status(as, &sr);
    ASSERT_EQ_INT((int)sr.draft_read_segments, 6);
    ASSERT(sr.draft_cached_tokens > 0);
    struct parley_task_params tp = parley_task_default_params();
    tp.item_chars = 12;
    tp.max_items = 2;
    parley_assist_job *j;
    struct parley_task_result r;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_SUMMARY, NULL, &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT_CONTAINS(r.meta, "\"draft\":{\"used\":true,\"rolling\":true,");
    ASSERT(r.stats.n_generated > 0);
    ASSERT_CONTAINS(r.text, "the 6 segments after it");
    ASSERT_MSG(r.stats.n_reused == sr.draft_cached_tokens && r.stats.n_evaluated < r.stats.n_reused,
               "reused %d of %d cached, read %d", r.stats.n_reused, sr.draft_cached_tokens, r.stats.n_evaluated);
    parley_task_result_clear(&r);
    struct parley_assist_status s1;
    parley_assist_status(as, &s1);
    ASSERT_EQ_INT(s1.drafts, s0.drafts);

    /* Drafts on again: one covers all 18, and the summary is that draft (nothing written). */
    ASSERT_OK(parley_assist_set_draft_tokens(as, 1));
    ASSERT(wait_draft(as, 18));
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_SUMMARY, NULL, &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT_CONTAINS(r.meta, "\"draft\":{\"used\":true,\"segments\":18,");
    ASSERT_EQ_INT(r.stats.n_generated, 0);
    parley_task_result_clear(&r);

    /* A question while a draft is written cancels the draft, not the question. */
    ASSERT_OK(parley_assist_set_draft_tokens(as, 1));
    append(as, 18);
    bool saw = false;
    for (int i = 0; i < 2000 && !saw; i++) {
        struct parley_assist_status st;
        parley_assist_status(as, &st);
        saw = st.drafting;
        if (!saw) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    tp.max_tokens = 4;
    ASSERT_OK(parley_assist_submit(as, PARLEY_ASSIST_ASK, "Who sends the quote?", &tp, &j));
    ASSERT_OK(parley_assist_job_wait(j, &r));
    ASSERT(r.text);
    /* The draft read only what was prefilled: cancelling it kept the cached transcript. */
    ASSERT_MSG(r.stats.n_reused > 200, "reused %d", r.stats.n_reused);
    parley_task_result_clear(&r);
    parley_assist_free(as); /* a draft being written is cancelled, not waited for */
    parley_llm_free(llm);
}

int main(void)
{
    parley_init();
    mp = test_shared_model("stories260K.gguf");
    RUN(appended_segments_are_prefilled_and_a_question_pays_only_for_itself);
    RUN(a_long_meeting_compacts_instead_of_failing);
    RUN(stopping_cancels_queued_jobs);
    RUN(drafts_in_idle_time_and_the_summary_writes_only_what_is_new);
    return test_summary();
}
