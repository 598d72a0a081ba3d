/* test_tasks.c: summary, notes, chat and suggestions against a real (tiny) model,
 * stories260K.gguf from ../shared/models, with an explicit chatml template: the grammar
 * makes the JSON parse whatever the model writes, artifacts are stored with their counts,
 * long transcripts go through map-reduce (and say so), a model without a template, a
 * cancel or a context overflow store nothing, and a second question reuses the cached
 * transcript. The model writes children's stories, so the tests check structure and
 * bookkeeping, not meaning. */
#include "test.h"

#include <parley/llm.h>
#include <parley/store.h>
#include <parley/tasks.h>

#include <stdatomic.h>

#include <yyjson.h>

static const char *mp;
static parley_store *db;
static int64_t sid_short, sid_long, sid_huge, sid_empty;

#define NEED_MODEL()                                                                               \
    do {                                                                                           \
        if (!mp)                                                                                   \
            SKIP("needs ../shared/models/stories260K.gguf (PARLEY_SHARED=%s)",                    \
                 getenv("PARLEY_SHARED") ? getenv("PARLEY_SHARED") : "unset");                    \
    } while (0)

static parley_llm *load(uint32_t n_ctx, const char *tmpl)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = n_ctx;
    p.n_threads = 1; /* the machine is shared; one thread is fastest for a tiny model */
    p.n_gpu_layers = 0;
    p.chat_template = tmpl;
    parley_llm *llm = NULL;
    if (parley_llm_load(mp, p, &llm) != PARLEY_OK) {
        fprintf(stderr, "load: %s\n", parley_last_error());
        return NULL;
    }
    return llm;
}

static const char *lines[] = {
    "Welcome everyone, today we decide the budget for the new office.",
    "I think we should spend ten thousand on furniture.",
    "Agreed. Bob will send the quote by Friday.",
    "What about the internet contract? We still do not know.",
    "The landlord wants an answer by the end of the month.",
    "Then we meet again next Tuesday to sign it.",
};
static const char *speakers[] = {"Ann", "Bob", "Ann", "Cy", "Bob", NULL};

static int64_t add_session(const char *title, size_t n_segments)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    t.title = strdup(title);
    for (size_t i = 0; i < n_segments; i++) {
        size_t k = i % 6;
        char text[256];
        snprintf(text, sizeof text, "%s (item %zu)", lines[k], i);
        if (parley_transcript_add(&t, (int64_t)i * 5000, (int64_t)i * 5000 + 4500, text, speakers[k], 0.9f))
            return 0;
    }
    t.duration_s = n_segments * 5.0;
    int64_t id = 0;
    if (parley_store_add_session(db, &t, &id))
        id = 0;
    parley_transcript_free(&t);
    return id;
}

static int n_artifacts(int64_t sid, const char *kind)
{
    parley_artifact a;
    parley_status st = parley_store_latest_artifact(db, sid, kind, NULL, &a);
    if (st == PARLEY_OK) {
        parley_artifact_free(&a);
        return 1;
    }
    return 0;
}

static struct parley_task_params small_params(void)
{
    struct parley_task_params p = parley_task_default_params();
    p.item_chars = 16;
    p.max_items = 2;
    return p;
}

/* Every field of a summary object, with the right type. */
static bool summary_ok(const char *json, int item_chars, int max_items, char *why, size_t n)
{
    yyjson_doc *d = yyjson_read(json, strlen(json), 0);
    yyjson_val *r = d ? yyjson_doc_get_root(d) : NULL;
    bool ok = false;
    if (!r || !yyjson_is_obj(r)) {
        snprintf(why, n, "not a JSON object: %s", json);
        goto out;
    }
    const char *title = yyjson_get_str(yyjson_obj_get(r, "title"));
    const char *ov = yyjson_get_str(yyjson_obj_get(r, "overview"));
    if (!title || !*title || (int)strlen(title) > item_chars * 4 || !ov || !*ov) {
        snprintf(why, n, "title/overview missing or too long: %s", json);
        goto out;
    }
    const char *lists[] = {"key_points", "decisions", "open_questions", "action_items"};
    for (int i = 0; i < 4; i++) {
        yyjson_val *a = yyjson_obj_get(r, lists[i]);
        if (!yyjson_is_arr(a) || (int)yyjson_arr_size(a) > max_items) {
            snprintf(why, n, "%s is not a list of at most %d: %s", lists[i], max_items, json);
            goto out;
        }
        size_t k, m;
        yyjson_val *v;
        yyjson_arr_foreach(a, k, m, v)
        {
            if (i < 3 && !yyjson_is_str(v)) {
                snprintf(why, n, "%s has a non-string: %s", lists[i], json);
                goto out;
            }
            if (i == 3) {
                yyjson_val *o = yyjson_obj_get(v, "owner"), *t = yyjson_obj_get(v, "task"),
                           *due = yyjson_obj_get(v, "due");
                if (!o || !yyjson_is_str(t) || !due || !(yyjson_is_str(o) || yyjson_is_null(o)) ||
                    !(yyjson_is_str(due) || yyjson_is_null(due))) {
                    snprintf(why, n, "bad action item: %s", json);
                    goto out;
                }
            }
        }
    }
    ok = true;
out:
    yyjson_doc_free(d);
    return ok;
}

TEST(render_transcript_and_summary_markdown)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    ASSERT_OK(parley_transcript_add(&t, 4000, 5000, "Hello there.", "Ann", -1));
    ASSERT_OK(parley_transcript_add(&t, 3725000, 3726000, "Late remark.", NULL, -1));
    char *s = NULL;
    ASSERT_OK(parley_task_render_transcript(&t, 0, 2, &s));
    ASSERT_STR(s, "[00:00:04] Ann: Hello there.\n[01:02:05] Late remark.\n");
    free(s);
    parley_transcript_free(&t);

    const char *js = "{\"title\":\"Budget\",\"overview\":\"We met.\",\"key_points\":[\"Money\"],\"decisions\":[],"
                     "\"action_items\":[{\"owner\":null,\"task\":\"Send quote\",\"due\":\"Friday\"},"
                     "{\"owner\":\"Bob\",\"task\":\"Call\",\"due\":null}],\"open_questions\":[\"Internet?\"]}";
    ASSERT_OK(parley_task_summary_markdown(js, &s));
    ASSERT_STR(s, "**Budget**\n\nWe met.\n\n### Key points\n\n- Money\n\n### Decisions\n\n_None in the "
                  "transcript._\n\n### Action items\n\n- [ ] **unassigned**: Send quote (due: Friday)\n- [ ] "
                  "**Bob**: Call\n\n### Open questions\n\n- Internet?\n");
    free(s);
    ASSERT_STATUS(parley_task_summary_markdown("[1,2]", &s), PARLEY_ERR_FORMAT);
    ASSERT_STATUS(parley_task_summary_markdown("{\"title\":", &s), PARLEY_ERR_FORMAT);
}

TEST(summary_json_always_parses_and_is_stored_twice)
{
    NEED_MODEL();
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    /* Greedy and sampled at several temperatures: the grammar holds every time. */
    float temps[] = {0.0f, 0.7f, 1.0f, 1.5f, 2.0f};
    for (int i = 0; i < 5; i++) {
        struct parley_task_params p = small_params();
        p.temperature = temps[i];
        p.seed = 17u + (uint32_t)i;
        struct parley_task_result r;
        parley_status st = parley_task_summarize(llm, db, sid_short, &p, &r);
        if (st != PARLEY_OK) {
            parley_llm_free(llm);
            FAIL_AT("summary %d: %s (%s)", i, parley_strerror(st), parley_last_error());
        }
        char why[600];
        bool ok = summary_ok(r.json, 16, 2, why, sizeof why);
        ASSERT_MSG(ok, "run %d (temperature %.1f): %s", i, temps[i], why);
        ASSERT_EQ_INT(r.n_chunks, 1);
        ASSERT(r.stats.n_generated > 0);
        /* Both stored, with the model, prompt version, counts and timings. */
        parley_artifact aj, am;
        ASSERT_OK(parley_store_latest_artifact(db, sid_short, "summary", "json", &aj));
        ASSERT_OK(parley_store_latest_artifact(db, sid_short, "summary", "markdown", &am));
        ASSERT_EQ_INT(aj.id, r.artifact_id);
        ASSERT_EQ_INT(am.id, r.artifact_id_md);
        ASSERT_STR(aj.content, r.json);
        ASSERT_STR(am.content, r.text);
        ASSERT_STR(aj.model, "stories260K.gguf");
        ASSERT_STR(aj.prompt_version, PARLEY_PROMPT_SUMMARY);
        ASSERT_STR(am.prompt_version, PARLEY_PROMPT_SUMMARY);
        ASSERT(aj.prompt_tokens > 100 && aj.prompt_tokens == r.stats.n_evaluated);
        ASSERT_EQ_INT(aj.output_tokens, r.stats.n_generated);
        ASSERT(aj.prompt_ms > 0 && aj.gen_ms > 0);
        ASSERT_CONTAINS(aj.meta, "\"map_reduce\":false");
        ASSERT_CONTAINS(aj.meta, "\"truncated\":false");
        /* The Markdown is the JSON's rendering. */
        char *md = NULL;
        ASSERT_OK(parley_task_summary_markdown(aj.content, &md));
        ASSERT_STR(md, am.content);
        ASSERT_CONTAINS(md, "### Action items");
        free(md);
        parley_artifact_free(&aj);
        parley_artifact_free(&am);
        parley_task_result_clear(&r);
    }
    parley_llm_free(llm);
}

TEST(notes_are_stored)
{
    NEED_MODEL();
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.max_tokens = 48;
    struct parley_task_result r;
    ASSERT_OK(parley_task_notes(llm, db, sid_short, &p, &r));
    parley_llm_free(llm);
    ASSERT(r.text && *r.text);
    parley_artifact a;
    ASSERT_OK(parley_store_latest_artifact(db, sid_short, "notes", "markdown", &a));
    ASSERT_EQ_INT(a.id, r.artifact_id);
    ASSERT_STR(a.content, r.text);
    ASSERT_STR(a.prompt_version, PARLEY_PROMPT_NOTES);
    ASSERT(a.output_tokens > 0 && a.output_tokens <= 48);
    parley_artifact_free(&a);
    parley_task_result_clear(&r);
}

/* Notes typed during the meeting are lines of the transcript the model reads (marked
 * PARLEY_NOTE_SPEAKER), in time order: the meta counts them apart from speech. */
TEST(typed_notes_steer_the_summary)
{
    NEED_MODEL();
    int64_t sid = add_session("with a note", 4);
    ASSERT_OK(parley_store_user_note_add(db, sid, 1500, "the budget owner matters most", NULL));
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    struct parley_task_params p = small_params();
    struct parley_task_result r;
    parley_status st = parley_task_summarize(llm, db, sid, &p, &r);
    struct parley_task_result r0;
    int64_t sid0 = add_session("without", 4);
    parley_status st0 = st ? st : parley_task_summarize(llm, db, sid0, &p, &r0);
    parley_llm_free(llm);
    ASSERT_OK(st);
    ASSERT_OK(st0);
    ASSERT_CONTAINS(r.meta, "\"typed_notes\":1");
    ASSERT_CONTAINS(r.meta, "\"segments\":4");
    ASSERT_CONTAINS(r0.meta, "\"typed_notes\":0");
    /* the note's words were read: the same meeting with it costs more prompt */
    ASSERT_MSG(r.stats.n_prompt > r0.stats.n_prompt + 5, "prompt %d with the note, %d without",
               (int)r.stats.n_prompt, (int)r0.stats.n_prompt);
    parley_task_result_clear(&r);
    parley_task_result_clear(&r0);
}

/* The vocabulary (names and terms) is part of the rules the model reads. */
TEST(vocabulary_reaches_the_rules)
{
    NEED_MODEL();
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    struct parley_task_params p = small_params();
    struct parley_task_result r0, r1;
    parley_status s0 = parley_task_summarize(llm, db, sid_short, &p, &r0);
    p.vocabulary = "Anthropic, Kubernetes, Dr. Okonkwo";
    parley_status s1 = s0 ? s0 : parley_task_summarize(llm, db, sid_short, &p, &r1);
    parley_llm_free(llm);
    ASSERT_OK(s0);
    ASSERT_OK(s1);
    ASSERT_MSG(r1.stats.n_prompt > r0.stats.n_prompt + 8, "prompt %d with the vocabulary, %d without",
               (int)r1.stats.n_prompt, (int)r0.stats.n_prompt);
    parley_task_result_clear(&r0);
    parley_task_result_clear(&r1);
}

static int streamed;
static bool count_tokens(const char *t, size_t n, void *ud)
{
    (void)t;
    (void)ud;
    streamed += (int)n;
    return true;
}

TEST(chat_is_multi_turn_stored_and_reuses_the_cached_transcript)
{
    NEED_MODEL();
    parley_llm *llm = load(4096, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.max_tokens = 24;
    p.on_token = count_tokens;
    struct parley_task_result r1, r2;
    streamed = 0;
    ASSERT_OK(parley_task_ask(llm, db, sid_long, "Who sends the quote?", &p, &r1));
    ASSERT_EQ_INT(streamed, (int)strlen(r1.text)); /* it streamed */
    ASSERT_OK(parley_task_ask(llm, db, sid_long, "And by when?", &p, &r2));
    parley_llm_free(llm);
    /* The first question evaluated the transcript; the second only what follows it. */
    fprintf(stderr, "first: %d prompt, %d evaluated, %d reused; second: %d prompt, %d evaluated, %d reused\n",
            r1.stats.n_prompt, r1.stats.n_evaluated, r1.stats.n_reused, r2.stats.n_prompt, r2.stats.n_evaluated,
            r2.stats.n_reused);
    ASSERT(r1.transcript_tokens > 800);
    ASSERT_EQ_INT(r1.stats.n_reused, 0);
    ASSERT(r1.stats.n_evaluated >= r1.transcript_tokens);
    ASSERT(r2.stats.n_reused >= r1.transcript_tokens);
    ASSERT(r2.stats.n_evaluated * 5 < r2.stats.n_prompt);
    ASSERT_EQ_INT(r2.stats.n_reused + r2.stats.n_evaluated, r2.stats.n_prompt);
    /* The second prompt carries the first exchange. */
    ASSERT(r2.stats.n_prompt > r1.stats.n_prompt);
    parley_chat_message *m = NULL;
    size_t n = 0;
    ASSERT_OK(parley_store_list_chat(db, sid_long, &m, &n));
    ASSERT_EQ_INT(n, 4);
    ASSERT_STR(m[0].role, "user");
    ASSERT_STR(m[0].content, "Who sends the quote?");
    ASSERT(m[0].model == NULL);
    ASSERT_STR(m[1].role, "assistant");
    /* Regression: an answer cut off by max_tokens was stored as if complete. */
    ASSERT_STR(m[1].content, r1.text);
    ASSERT_EQ_INT(m[1].truncated, r1.truncated ? 1 : 0);
    if (r1.truncated)
        ASSERT_CONTAINS(r1.meta, "\"truncated\":true");
    ASSERT(r1.truncated == (r1.stats.n_generated >= 24));
    ASSERT_STR(m[1].model, "stories260K.gguf");
    ASSERT_EQ_INT(m[1].id, r1.artifact_id);
    ASSERT_STR(m[2].content, "And by when?");
    ASSERT_STR(m[3].content, r2.text);
    parley_chat_messages_free(m, n);
    parley_task_result_clear(&r1);
    parley_task_result_clear(&r2);
}

TEST(suggestions_are_one_to_three_strings_and_reuse_the_prefix)
{
    NEED_MODEL();
    parley_llm *llm = load(4096, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.item_chars = 24;
    float temps[] = {0.0f, 1.0f, 1.8f};
    for (int i = 0; i < 3; i++) {
        p.temperature = temps[i];
        p.seed = 5u + (uint32_t)i;
        struct parley_task_result r;
        ASSERT_OK(parley_task_suggest(llm, db, sid_long, &p, &r));
        yyjson_doc *d = yyjson_read(r.json, strlen(r.json), 0);
        yyjson_val *a = d ? yyjson_doc_get_root(d) : NULL;
        ASSERT_MSG(a && yyjson_is_arr(a), "not an array: %s", r.json);
        size_t na = yyjson_arr_size(a);
        ASSERT_MSG(na >= 1 && na <= 3, "%zu suggestions: %s", na, r.json);
        size_t k, m;
        yyjson_val *v;
        yyjson_arr_foreach(a, k, m, v)
        {
            ASSERT(yyjson_is_str(v) && yyjson_get_len(v) >= 1 && yyjson_get_len(v) <= 24);
        }
        yyjson_doc_free(d);
        ASSERT_EQ_INT(r.first_segment, 0);
        if (i > 0) /* the transcript was cached by the first */
            ASSERT(r.stats.n_reused >= r.transcript_tokens && r.stats.n_evaluated * 5 < r.stats.n_prompt);
        parley_artifact art;
        ASSERT_OK(parley_store_latest_artifact(db, sid_long, "suggestions", "json", &art));
        ASSERT_STR(art.content, r.json);
        ASSERT_STR(art.prompt_version, PARLEY_PROMPT_SUGGEST);
        ASSERT_EQ_INT(art.reused_tokens, r.stats.n_reused);
        ASSERT_EQ_INT(art.prompt_tokens, r.stats.n_evaluated);
        ASSERT_CONTAINS(art.meta, "\"whole_transcript\":true");
        parley_artifact_free(&art);
        parley_task_result_clear(&r);
    }
    parley_llm_free(llm);
}

static int chunk_events, merge_events;
static void on_event(parley_task_event ev, int i, int n, void *ud)
{
    (void)i;
    (void)n;
    (void)ud;
    if (ev == PARLEY_TASK_EVENT_CHUNK)
        chunk_events++;
    else
        merge_events++;
}

TEST(long_transcript_is_summarised_in_parts_and_says_so)
{
    NEED_MODEL();
    parley_llm *llm = load(1536, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.item_chars = 8;
    p.max_items = 1;
    p.on_event = on_event;
    chunk_events = merge_events = 0;
    struct parley_task_result r;
    ASSERT_OK(parley_task_summarize(llm, db, sid_huge, &p, &r));
    parley_llm_free(llm);
    fprintf(stderr, "%d transcript tokens in %d chunks: %s\n", r.transcript_tokens, r.n_chunks, r.meta);
    ASSERT(r.transcript_tokens > 1536);
    ASSERT(r.n_chunks > 1);
    ASSERT_EQ_INT(chunk_events, r.n_chunks);
    ASSERT(merge_events >= 1);
    char why[600];
    ASSERT_MSG(summary_ok(r.json, 8, 1, why, sizeof why), "%s", why);
    ASSERT_CONTAINS(r.text, "Summarised in");
    /* The meta: map_reduce, N chunks whose segments cover the whole transcript. */
    parley_artifact a;
    ASSERT_OK(parley_store_latest_artifact(db, sid_huge, "summary", "json", &a));
    yyjson_doc *d = yyjson_read(a.meta, strlen(a.meta), 0);
    yyjson_val *m = yyjson_doc_get_root(d);
    ASSERT(yyjson_get_bool(yyjson_obj_get(m, "map_reduce")));
    ASSERT(!yyjson_get_bool(yyjson_obj_get(m, "truncated")));
    ASSERT_EQ_INT(yyjson_get_int(yyjson_obj_get(m, "chunks")), r.n_chunks);
    yyjson_val *segs = yyjson_obj_get(m, "chunk_segments"), *toks = yyjson_obj_get(m, "chunk_tokens");
    ASSERT_EQ_INT(yyjson_arr_size(segs), (size_t)r.n_chunks);
    ASSERT_EQ_INT(yyjson_arr_size(toks), (size_t)r.n_chunks);
    int64_t next = 0, sum = 0;
    for (int i = 0; i < r.n_chunks; i++) {
        yyjson_val *s = yyjson_arr_get(segs, (size_t)i);
        ASSERT_EQ_INT(yyjson_get_int(yyjson_arr_get(s, 0)), next); /* no gap */
        next = yyjson_get_int(yyjson_arr_get(s, 1));
        int64_t t = yyjson_get_int(yyjson_arr_get(toks, (size_t)i));
        ASSERT(t > 0 && t < 1536);
        sum += t;
    }
    ASSERT_EQ_INT(next, 120); /* every segment, to the last */
    ASSERT(sum >= r.transcript_tokens - 120); /* per-line counts add up to the whole */
    yyjson_doc_free(d);
    parley_artifact_free(&a);
    parley_task_result_clear(&r);

    /* Notes go through the same parts, each under its own heading. */
    llm = load(1536, "chatml");
    ASSERT(llm);
    p.max_tokens = 16;
    ASSERT_OK(parley_task_notes(llm, db, sid_huge, &p, &r));
    parley_llm_free(llm);
    ASSERT(r.n_chunks > 1);
    ASSERT_CONTAINS(r.text, "#### Part 1 of ");
    ASSERT_CONTAINS(r.meta, "\"map_reduce\":true");
    parley_task_result_clear(&r);
}

TEST(chat_that_does_not_fit_fails_and_stores_nothing)
{
    NEED_MODEL();
    parley_llm *llm = load(1024, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    struct parley_task_result r;
    ASSERT_STATUS(parley_task_ask(llm, db, sid_huge, "Anything?", &p, &r), PARLEY_ERR_CONTEXT_OVERFLOW);
    ASSERT_CONTAINS(parley_last_error(), "--ctx");
    /* Suggestions take the latest segments that fit, and say which. */
    p.item_chars = 12;
    ASSERT_OK(parley_task_suggest(llm, db, sid_huge, &p, &r));
    parley_llm_free(llm);
    ASSERT(r.first_segment > 0 && r.first_segment < 120);
    ASSERT_CONTAINS(r.meta, "\"whole_transcript\":false");
    parley_task_result_clear(&r);
    parley_chat_message *m = NULL;
    size_t n = 9;
    ASSERT_OK(parley_store_list_chat(db, sid_huge, &m, &n));
    ASSERT_EQ_INT(n, 0);
    parley_chat_messages_free(m, n);
}

TEST(no_template_is_an_error_and_nothing_is_stored)
{
    NEED_MODEL();
    int64_t sid = add_session("no template", 3);
    ASSERT(sid > 0);
    parley_llm *llm = load(1024, NULL);
    ASSERT(llm);
    struct parley_task_params p = small_params();
    struct parley_task_result r;
    ASSERT_STATUS(parley_task_summarize(llm, db, sid, &p, &r), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_CONTAINS(parley_last_error(), "chat template");
    ASSERT_STATUS(parley_task_notes(llm, db, sid, &p, &r), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_STATUS(parley_task_suggest(llm, db, sid, &p, &r), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_STATUS(parley_task_ask(llm, db, sid, "Why?", &p, &r), PARLEY_ERR_NO_TEMPLATE);
    parley_llm_free(llm);
    ASSERT_EQ_INT(n_artifacts(sid, "summary") + n_artifacts(sid, "notes") + n_artifacts(sid, "suggestions"), 0);
    parley_chat_message *m = NULL;
    size_t n = 9;
    ASSERT_OK(parley_store_list_chat(db, sid, &m, &n));
    ASSERT_EQ_INT(n, 0);
    parley_chat_messages_free(m, n);
}

static parley_cancel *cancel_flag;
static bool cancel_after_first(const char *t, size_t n, void *ud)
{
    (void)t;
    (void)n;
    (void)ud;
    parley_cancel_set(cancel_flag);
    return true;
}

static bool stop_at_once(const char *t, size_t n, void *ud)
{
    (void)t;
    (void)n;
    (void)ud;
    return false;
}

TEST(cancel_stores_nothing)
{
    NEED_MODEL();
    int64_t sid = add_session("cancelled", 6);
    ASSERT(sid > 0);
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    struct parley_task_params p = small_params();
    p.cancel = cancel_flag;
    struct parley_task_result r;
    /* Set before: nothing runs. */
    parley_cancel_set(cancel_flag);
    ASSERT_STATUS(parley_task_summarize(llm, db, sid, &p, &r), PARLEY_ERR_CANCELLED);
    ASSERT_STATUS(parley_task_ask(llm, db, sid, "Why?", &p, &r), PARLEY_ERR_CANCELLED);
    /* Set while generating (after the first piece). */
    parley_cancel_reset(cancel_flag);
    p.on_token = cancel_after_first;
    ASSERT_STATUS(parley_task_summarize(llm, db, sid, &p, &r), PARLEY_ERR_CANCELLED);
    parley_cancel_reset(cancel_flag);
    ASSERT_STATUS(parley_task_notes(llm, db, sid, &p, &r), PARLEY_ERR_CANCELLED);
    parley_cancel_reset(cancel_flag);
    ASSERT_STATUS(parley_task_suggest(llm, db, sid, &p, &r), PARLEY_ERR_CANCELLED);
    parley_cancel_reset(cancel_flag);
    ASSERT_STATUS(parley_task_ask(llm, db, sid, "Why?", &p, &r), PARLEY_ERR_CANCELLED);
    ASSERT(r.text == NULL);
    /* on_token returning false is a cancel too: a partial answer is not stored. */
    parley_cancel_reset(cancel_flag);
    p.cancel = NULL;
    p.on_token = stop_at_once;
    ASSERT_STATUS(parley_task_notes(llm, db, sid, &p, &r), PARLEY_ERR_CANCELLED);
    ASSERT_STATUS(parley_task_ask(llm, db, sid, "Why?", &p, &r), PARLEY_ERR_CANCELLED);
    /* The engine is fine afterwards. */
    parley_cancel_reset(cancel_flag);
    p.on_token = NULL;
    ASSERT_OK(parley_task_suggest(llm, db, sid, &p, &r));
    parley_task_result_clear(&r);
    parley_llm_free(llm);
    ASSERT_EQ_INT(n_artifacts(sid, "summary") + n_artifacts(sid, "notes"), 0);
    parley_chat_message *m = NULL;
    size_t n = 9;
    ASSERT_OK(parley_store_list_chat(db, sid, &m, &n));
    ASSERT_EQ_INT(n, 0);
    parley_chat_messages_free(m, n);
}

TEST(bad_sessions_are_clear_errors)
{
    NEED_MODEL();
    parley_llm *llm = load(512, "chatml");
    ASSERT(llm);
    struct parley_task_params p = small_params();
    struct parley_task_result r;
    ASSERT_STATUS(parley_task_summarize(llm, db, 9999, &p, &r), PARLEY_ERR_NOT_FOUND);
    ASSERT_STATUS(parley_task_summarize(llm, db, sid_empty, &p, &r), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "no transcript segments");
    ASSERT_STATUS(parley_task_ask(llm, db, sid_short, "   ", &p, &r), PARLEY_ERR_INVALID_ARG);
    parley_llm_free(llm);
}

TEST(model_find_resolves_paths_and_ids)
{
    char dir[4096], path[4200], out[4200];
    const char *tmp = test_tmpdir("tasks-models");
    ASSERT(tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    setenv("PARLEY_MODELS_DIR", dir, 1);
    unsetenv("PARLEY_MODEL_PATH");
    ASSERT_STATUS(parley_llm_model_find(NULL, out, sizeof out), PARLEY_ERR_NOT_FOUND);
    ASSERT_CONTAINS(parley_last_error(), dir);
    ASSERT_STATUS(parley_llm_model_find("qwen", out, sizeof out), PARLEY_ERR_NOT_FOUND);
    ASSERT_CONTAINS(parley_last_error(), "qwen.gguf");
    snprintf(path, sizeof path, "%s/qwen.gguf", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fclose(f);
    ASSERT_OK(parley_llm_model_find("qwen", out, sizeof out));
    ASSERT_STR(out, path);
    ASSERT_OK(parley_llm_model_find(NULL, out, sizeof out)); /* the only one */
    ASSERT_STR(out, path);
    ASSERT_OK(parley_llm_model_find(path, out, sizeof out));
    snprintf(path, sizeof path, "%s/other.gguf", dir);
    f = fopen(path, "w");
    ASSERT(f);
    fclose(f);
    ASSERT_STATUS(parley_llm_model_find(NULL, out, sizeof out), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "--model");
    ASSERT_STATUS(parley_llm_model_find("/no/such.gguf", out, sizeof out), PARLEY_ERR_NOT_FOUND);
}

#include <pthread.h>
static pthread_t main_thread;
static int on_caller_thread, heading_calls;
static bool thread_check(const char *s, size_t n, void *ud)
{
    (void)ud;
    if (pthread_equal(pthread_self(), main_thread))
        on_caller_thread++;
    if (n >= 7 && memmem(s, n, "#### Part", 9))
        heading_calls++;
    return true;
}
static int progress_ud_ok, progress_ud_bad;
static bool progress_check(int32_t done, int32_t total, void *ud)
{
    (void)done;
    (void)total;
    if (ud == &main_thread)
        progress_ud_ok++;
    else
        progress_ud_bad++;
    return true;
}
static bool stop_at_heading(const char *s, size_t n, void *ud)
{
    (void)ud;
    return !(n >= 9 && memmem(s, n, "#### Part", 9));
}

/* Regression: the part headings of notes in parts went to on_token from the caller's
 * thread (tasks.h promises the worker thread) and their return value was ignored. */
TEST(notes_headings_stream_on_the_worker_thread_and_can_stop)
{
    NEED_MODEL();
    parley_llm *llm = load(1536, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.max_tokens = 8;
    p.chunk_tokens = 600;
    p.on_token = thread_check;
    /* Regression: notes in parts passed its own accumulator as on_progress's user_data. */
    p.on_progress = progress_check;
    p.user_data = &main_thread;
    main_thread = pthread_self();
    on_caller_thread = heading_calls = 0;
    struct parley_task_result r;
    ASSERT_OK(parley_task_notes(llm, db, sid_long, &p, &r));
    ASSERT(r.n_chunks > 1);
    ASSERT_EQ_INT(on_caller_thread, 0);
    ASSERT(heading_calls >= 1);
    ASSERT(progress_ud_ok > 0);
    ASSERT_EQ_INT(progress_ud_bad, 0);
    ASSERT(r.truncated); /* 8 tokens a part: cut off, and it says so */
    ASSERT_CONTAINS(r.text, "Cut off");
    parley_task_result_clear(&r);
    p.on_token = stop_at_heading;
    ASSERT_STATUS(parley_task_notes(llm, db, sid_long, &p, &r), PARLEY_ERR_CANCELLED);
    parley_llm_free(llm);
}

/* A chat whose history no longer fits drops its oldest turns (and says how many)
 * instead of failing every later question; no_history leaves it out. */
TEST(chat_history_that_does_not_fit_drops_the_oldest_turns)
{
    NEED_MODEL();
    int64_t sid = add_session("History", 12);
    ASSERT(sid > 0);
    parley_llm *llm = load(1280, "chatml");
    ASSERT(llm);
    struct parley_task_params p = parley_task_default_params();
    p.max_tokens = 60;
    struct parley_task_result r;
    size_t dropped = 0;
    for (int i = 0; i < 8; i++) {
        char q[64];
        snprintf(q, sizeof q, "Question number %d about the budget?", i);
        parley_status st = parley_task_ask(llm, db, sid, q, &p, &r);
        ASSERT_MSG(st == PARLEY_OK, "question %d: %s", i, parley_last_error());
        dropped = r.n_history_dropped;
        parley_task_result_clear(&r);
    }
    ASSERT_MSG(dropped > 0, "no history was dropped");
    ASSERT(dropped % 2 == 0); /* whole exchanges */
    p.no_history = true;
    ASSERT_OK(parley_task_ask(llm, db, sid, "Anything else?", &p, &r));
    ASSERT_EQ_INT(r.n_history_dropped, 0);
    parley_task_result_clear(&r);
    parley_llm_free(llm);
}

/* Summaries in the meeting's language or the one asked for; the same tasks on an
 * in-memory transcript store nothing and reuse the cache of the stored one. */
TEST(language_and_in_memory_transcripts)
{
    NEED_MODEL();
    parley_llm *llm = load(2048, "chatml");
    ASSERT(llm);
    struct parley_task_params p = small_params();
    p.language = "de";
    struct parley_task_result r;
    ASSERT_OK(parley_task_suggest(llm, db, sid_short, &p, &r));
    ASSERT_CONTAINS(r.meta, "\"language\":\"German\"");
    parley_task_result_clear(&r);

    parley_transcript t;
    ASSERT_OK(parley_store_get_session(db, sid_short, &t));
    free(t.language);
    t.language = strdup("fr");
    p.language = NULL;
    int before = n_artifacts(sid_short, "summary");
    ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r));
    ASSERT_CONTAINS(r.meta, "\"language\":\"French\"");
    ASSERT_EQ_INT(r.artifact_id, 0);
    ASSERT(r.stats.n_reused > 0); /* the transcript was cached by the suggestion */
    parley_task_result_clear(&r);
    parley_llm_message hist[] = {{"user", "Who pays?"}, {"assistant", "Bob."}};
    ASSERT_OK(parley_task_ask_transcript(llm, &t, hist, 2, "When?", &p, &r));
    ASSERT_EQ_INT(r.artifact_id, 0);
    ASSERT(r.stats.n_reused > 0);
    parley_task_result_clear(&r);
    ASSERT_EQ_INT(n_artifacts(sid_short, "summary"), before);
    parley_transcript_free(&t);
    parley_llm_free(llm);
}

/* The items of list `key` in a summary JSON, as one string each joined by "\n" (action
 * items by their task). */
static void list_text(const char *json, const char *key, char *out, size_t n, size_t *count)
{
    out[0] = '\0';
    *count = 0;
    yyjson_doc *d = yyjson_read(json, strlen(json), 0);
    yyjson_val *a = d ? yyjson_obj_get(yyjson_doc_get_root(d), key) : NULL;
    size_t i, m;
    yyjson_val *v;
    yyjson_arr_foreach(a, i, m, v)
    {
        const char *t = yyjson_is_str(v) ? yyjson_get_str(v) : yyjson_get_str(yyjson_obj_get(v, "task"));
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s\n", t ? t : "?");
        (*count)++;
    }
    yyjson_doc_free(d);
}

/* A meeting of 20 segments, 5 s apart (4.5 s each), for the draft tests. */
static parley_status twenty_segments(parley_transcript *t)
{
    memset(t, 0, sizeof *t);
    parley_status st = PARLEY_OK;
    for (size_t i = 0; i < 20 && !st; i++) {
        char text[256];
        snprintf(text, sizeof text, "%s (item %zu)", lines[i % 6], i);
        st = parley_transcript_add(t, (int64_t)i * 5000, (int64_t)i * 5000 + 4500, text, speakers[i % 6], 0.9f);
    }
    return st;
}

/* Whether each list of `after` is the draft's (`before`) followed by at most `more` new
 * entries, and `after` is a valid summary with lists that long; else why. */
static bool lists_extend(const char *before, const char *after, size_t more, char *why, size_t n)
{
    const char *keys[] = {"key_points", "decisions", "action_items", "open_questions"};
    size_t most = 0;
    for (int i = 0; i < 4; i++) {
        char a[8192], b[8192];
        size_t na, nb;
        list_text(before, keys[i], a, sizeof a, &na);
        list_text(after, keys[i], b, sizeof b, &nb);
        if (strncmp(a, b, strlen(a)) != 0) {
            snprintf(why, n, "%s: draft\n%.1000s\nthen\n%.1000s", keys[i], a, b);
            return false;
        }
        if (nb < na || nb > na + more) {
            snprintf(why, n, "%s: %zu then %zu", keys[i], na, nb);
            return false;
        }
        if (nb > most)
            most = nb;
    }
    return summary_ok(after, 16, (int)most, why, n);
}

TEST(a_summary_from_a_draft_writes_only_what_is_new)
{
    NEED_MODEL();
    parley_llm *llm = load(4096, "chatml");
    ASSERT(llm);
    parley_transcript t;
    ASSERT_OK(twenty_segments(&t));
    struct parley_task_params p = small_params();
    struct parley_task_result r0, r1, r2, r3;
    char why[4096];

    /* The draft: a summary of the first 18 segments, as the live assistant writes it. */
    t.n_segments = 18;
    ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r0));
    t.n_segments = 20;

    /* From the draft: the lists start with the draft's entries, at most new_items_max more
     * each (1 + ceil(2 x the new part's share, about a tenth) = 2), and the cached
     * transcript is reused. */
    p.draft = r0.json;
    p.draft_segments = 18;
    ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r1));
    ASSERT_CONTAINS(r1.meta, "\"draft\":{\"used\":true,\"segments\":18,\"until_ms\":89500");
    ASSERT_CONTAINS(r1.meta, "\"new_items_max\":2");
    ASSERT_CONTAINS(r1.meta, "\"prompt\":\"" PARLEY_PROMPT_SUMMARY_UPDATE "\"");
    ASSERT_CONTAINS(r1.text, "Written from a draft of the meeting up to [00:01:29]");
    ASSERT(r1.stats.n_generated > 0 && r1.stats.n_reused > 0);
    ASSERT_MSG(lists_extend(r0.json, r1.json, 2, why, sizeof why), "%s", why);

    /* A draft of every segment is the summary: nothing is generated. */
    p.draft = r1.json;
    p.draft_segments = 20;
    ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r2));
    ASSERT_EQ_INT(r2.stats.n_generated, 0);
    ASSERT_EQ_INT(r2.stats.n_evaluated, 0);
    ASSERT_STR(r2.json, r1.json);
    ASSERT_CONTAINS(r2.meta, "\"used\":true");

    /* Not used, said why, and a whole summary written instead: a draft of less than half,
     * a draft that is not a summary, a draft of more segments than there are. */
    struct {
        const char *draft;
        size_t segs;
        const char *why;
    } bad[] = {
        {r1.json, 5, "over half of the transcript"},
        {"{\"title\":1}", 18, "not a summary JSON object"},
        {"not json", 18, "not a summary JSON object"},
        {r1.json, 21, "covers none of the transcript's segments, or more"},
        {r1.json, 0, "covers none of the transcript's segments, or more"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.draft = bad[i].draft;
        p.draft_segments = bad[i].segs;
        ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r3));
        ASSERT_CONTAINS(r3.meta, "\"used\":false");
        ASSERT_CONTAINS(r3.meta, bad[i].why);
        ASSERT(r3.stats.n_generated > 0);
        ASSERT_MSG(summary_ok(r3.json, 16, 2, why, sizeof why), "%s", why);
        ASSERT(!strstr(r3.text, "Written from a draft"));
        parley_task_result_clear(&r3);
    }
    parley_task_result_clear(&r0);
    parley_task_result_clear(&r1);
    parley_task_result_clear(&r2);
    parley_transcript_free(&t);
    parley_llm_free(llm);
}

TEST(a_rolling_summary_reads_the_draft_and_only_what_came_after_it)
{
    NEED_MODEL();
    parley_llm *llm = load(4096, "chatml");
    ASSERT(llm);
    parley_transcript t;
    ASSERT_OK(twenty_segments(&t));
    struct parley_task_params p = small_params();
    struct parley_task_result r0, r1, r2, r3;
    char why[4096];

    /* The draft of the first 18 segments; then only segments 18 and 19 are given. */
    t.n_segments = 18;
    ASSERT_OK(parley_task_summarize_transcript(llm, &t, &p, &r0));
    t.n_segments = 20;
    parley_transcript tail = t;
    tail.segments = t.segments + 18;
    tail.n_segments = 2;
    p.draft = r0.json;
    p.draft_rolling = true;
    p.draft_until_ms = 89500;
    p.draft_segments = 7; /* ignored when rolling */

    /* Read in idle time with the same params: the summary then reads only its request. */
    struct parley_llm_stats pre;
    ASSERT_OK(parley_task_prefill(llm, &tail, &p, &pre));
    ASSERT(pre.n_evaluated > 0);
    ASSERT_OK(parley_task_summarize_transcript(llm, &tail, &p, &r1));
    ASSERT_CONTAINS(r1.meta, "\"draft\":{\"used\":true,\"rolling\":true,\"until_ms\":89500");
    ASSERT_CONTAINS(r1.meta, "\"prompt\":\"" PARLEY_PROMPT_SUMMARY_ROLLING "\"");
    /* Share of the meeting's time: (99500 - 89500) / 99500, so 1 + ceil(2 x 0.1) = 2. */
    ASSERT_CONTAINS(r1.meta, "\"new_items_max\":2");
    ASSERT_CONTAINS(r1.text, "Written from a draft of the meeting up to [00:01:29] (made while it went on) and the 2 "
                             "segments after it");
    ASSERT_MSG(r1.stats.n_reused >= pre.n_evaluated, "reused %d of the %d read before", r1.stats.n_reused,
               pre.n_evaluated);
    ASSERT(r1.stats.n_generated > 0);
    ASSERT_MSG(lists_extend(r0.json, r1.json, 2, why, sizeof why), "%s", why);

    /* Lists grown long: written anew (the draft still stands for the start: said so). */
    p.draft_rewrite = true;
    ASSERT_OK(parley_task_summarize_transcript(llm, &tail, &p, &r2));
    ASSERT_CONTAINS(r2.meta, "\"used\":false");
    ASSERT_CONTAINS(r2.meta, "written anew");
    ASSERT_CONTAINS(r2.text, "Written from a draft of the meeting up to [00:01:29]");
    ASSERT_MSG(summary_ok(r2.json, 16, 2, why, sizeof why), "%s", why);
    p.draft_rewrite = false;

    /* Over half the meeting's time after the draft: written anew too. */
    p.draft_until_ms = 20000;
    ASSERT_OK(parley_task_summarize_transcript(llm, &tail, &p, &r3));
    ASSERT_CONTAINS(r3.meta, "over half of the meeting's time");
    parley_task_result_clear(&r3);

    /* A draft that is not a summary: an error, never a summary of the tail alone. */
    p.draft = "{\"title\":1}";
    ASSERT_STATUS(parley_task_summarize_transcript(llm, &tail, &p, &r3), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "would be left out");
    parley_task_result_clear(&r0);
    parley_task_result_clear(&r1);
    parley_task_result_clear(&r2);
    parley_transcript_free(&t);
    parley_llm_free(llm);
}

int main(void)
{
    parley_init();
    cancel_flag = parley_cancel_new();
    mp = test_shared_model("stories260K.gguf");
    const char *dir = test_tmpdir("tasks");
    char path[4200];
    snprintf(path, sizeof path, "%s/parley.db", dir ? dir : "/tmp");
    if (parley_store_open(path, &db) != PARLEY_OK) {
        fprintf(stderr, "store: %s\n", parley_last_error());
        return 1;
    }
    sid_short = add_session("short", 4);
    sid_long = add_session("long", 40);
    sid_huge = add_session("huge", 120);
    parley_transcript e;
    memset(&e, 0, sizeof e);
    e.title = strdup("empty");
    parley_store_add_session(db, &e, &sid_empty);
    parley_transcript_free(&e);
    if (!sid_short || !sid_long || !sid_huge || !sid_empty) {
        fprintf(stderr, "could not make the test sessions: %s\n", parley_last_error());
        return 1;
    }
    RUN(render_transcript_and_summary_markdown);
    RUN(summary_json_always_parses_and_is_stored_twice);
    RUN(notes_are_stored);
    RUN(chat_is_multi_turn_stored_and_reuses_the_cached_transcript);
    RUN(suggestions_are_one_to_three_strings_and_reuse_the_prefix);
    RUN(long_transcript_is_summarised_in_parts_and_says_so);
    RUN(chat_that_does_not_fit_fails_and_stores_nothing);
    RUN(no_template_is_an_error_and_nothing_is_stored);
    RUN(cancel_stores_nothing);
    RUN(bad_sessions_are_clear_errors);
    RUN(model_find_resolves_paths_and_ids);
    RUN(notes_headings_stream_on_the_worker_thread_and_can_stop);
    RUN(chat_history_that_does_not_fit_drops_the_oldest_turns);
    RUN(language_and_in_memory_transcripts);
    RUN(typed_notes_steer_the_summary);
    RUN(vocabulary_reaches_the_rules);
    RUN(a_summary_from_a_draft_writes_only_what_is_new);
    RUN(a_rolling_summary_reads_the_draft_and_only_what_came_after_it);
    parley_store_close(db);
    return test_summary();
}
