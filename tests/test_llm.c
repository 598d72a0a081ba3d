/* test_llm.c: the LLM engine against a real (tiny) llama model, stories260K.gguf from
 * ../shared/models: load + metadata, tokens, streaming, cancel, templates, grammar,
 * context overflow, bad files and prefix reuse. */
#include "core/internal.h"
#include "llm/llm_internal.h"
#include "test.h"

#include <parley/llm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <yyjson.h>

static const char *model_path(void) { return test_shared_model("stories260K.gguf"); }

#define NEED_MODEL()                                                                               \
    const char *mp = model_path();                                                                 \
    if (!mp)                                                                                       \
        SKIP("needs ../shared/models/stories260K.gguf (PARLEY_SHARED=%s)",                        \
             getenv("PARLEY_SHARED") ? getenv("PARLEY_SHARED") : "unset")

static parley_llm *load(const char *path, uint32_t n_ctx, const char *tmpl)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = n_ctx;
    p.n_gpu_layers = 0;
    p.n_threads = 1; /* a 260K model gains nothing from more, and spinning threads on a
                        * busy machine cost seconds */
    p.chat_template = tmpl;
    parley_llm *llm = NULL;
    parley_status st = parley_llm_load(path, p, &llm);
    if (st != PARLEY_OK)
        fprintf(stderr, "load: %s (%s)\n", parley_strerror(st), parley_last_error());
    return llm;
}

struct collect {
    parley_buf buf;
    int calls;
    int stop_after; /* 0 = never */
    parley_cancel *cancel_after;
};

static bool on_token(const char *s, size_t n, void *ud)
{
    struct collect *c = ud;
    c->calls++;
    parley_buf_append(&c->buf, s, n);
    if (c->cancel_after && c->calls >= c->stop_after)
        parley_cancel_set(c->cancel_after);
    else if (c->stop_after && c->calls >= c->stop_after)
        return false;
    return true;
}

static const char story[] = "Once upon a time, there was a little girl named Lily. She loved to "
                            "play outside in the park with her dog.\n";

TEST(load_and_metadata)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    const struct parley_llm_info *in = parley_llm_info(llm);
    ASSERT_STR(in->arch, "llama");
    ASSERT_EQ_INT(in->n_layer, 5);
    ASSERT_EQ_INT(in->n_vocab, 512);
    ASSERT_EQ_INT(in->n_embd, 64);
    ASSERT_EQ_INT(in->file_bytes, 1185376);
    ASSERT_MSG(in->n_params > 250000 && in->n_params < 300000, "n_params %llu",
               (unsigned long long)in->n_params);
    ASSERT(in->weights_bytes > 1000000 && in->weights_bytes < in->file_bytes);
    ASSERT_EQ_INT(in->n_ctx, 512);
    ASSERT(in->n_ctx_train > 0);
    ASSERT(!in->has_chat_template);
    ASSERT(!in->is_hybrid && !in->is_recurrent);
    ASSERT_STR(in->template_used, "");
    ASSERT(parley_llm_model_template(llm) == NULL);
    ASSERT(in->ftype[0] != '\0');

    struct parley_llm_info meta;
    ASSERT_OK(parley_llm_inspect(mp, &meta));
    ASSERT_STR(meta.arch, "llama");
    ASSERT_EQ_INT(meta.n_layer, 5);
    ASSERT_EQ_INT(meta.n_params, in->n_params);
    parley_llm_free(llm);
}

TEST(tokenize_round_trip)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    const char *text = "Once upon a time, there was a little cat.";
    int32_t toks[128], n = 0, n2 = 0, nb = 0;
    ASSERT_OK(parley_llm_tokenize(llm, text, false, toks, 128, &n));
    ASSERT(n > 5 && n < 40);
    ASSERT_OK(parley_llm_count_tokens(llm, text, &n2));
    ASSERT_EQ_INT(n2, n);
    int32_t withbos[128];
    ASSERT_OK(parley_llm_tokenize(llm, text, true, withbos, 128, &nb));
    ASSERT_EQ_INT(nb, n + 1); /* BOS */
    char *back = NULL;
    ASSERT_OK(parley_llm_detokenize(llm, toks, n, &back));
    const char *b = back;
    while (*b == ' ')
        b++; /* SentencePiece's dummy prefix space */
    ASSERT_STR(b, text);
    free(back);
    int32_t small[2];
    ASSERT_STATUS(parley_llm_tokenize(llm, text, false, small, 2, &n2), PARLEY_ERR_TOO_LARGE);
    ASSERT_EQ_INT(n2, n);
    parley_llm_free(llm);
}

TEST(streaming_generates_through_callback)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    struct collect c = {0};
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = "Once upon a time";
    rq.max_tokens = 40;
    rq.on_token = on_token;
    rq.user_data = &c;
    struct parley_llm_result res;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT_MSG(c.calls >= 5, "only %d callbacks", c.calls);
    ASSERT(res.text && strlen(res.text) > 20);
    ASSERT_STR(c.buf.data, res.text);
    ASSERT(res.finish == PARLEY_LLM_FINISH_LENGTH || res.finish == PARLEY_LLM_FINISH_EOG);
    ASSERT(res.stats.n_generated > 5 && res.stats.n_generated <= 40);
    ASSERT_EQ_INT(res.stats.n_prompt, 5); /* BOS + 4 */
    ASSERT_EQ_INT(res.stats.n_evaluated, 5);
    ASSERT_EQ_INT(res.stats.n_reused, 0);
    ASSERT(res.stats.gen_tps > 0 && res.stats.prompt_ms > 0);
    /* Greedy is deterministic: the same again. */
    struct parley_llm_result res2;
    rq.on_token = NULL;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res2));
    ASSERT_STR(res2.text, res.text);
    /* on_token returning false stops, without error. */
    struct collect c2 = {.stop_after = 3};
    rq.on_token = on_token;
    rq.user_data = &c2;
    struct parley_llm_result res3;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res3));
    ASSERT_EQ_INT(res3.finish, PARLEY_LLM_FINISH_STOPPED);
    ASSERT_EQ_INT(c2.calls, 3);
    /* ignore_eog: exactly max_tokens, whatever the model would do. */
    struct parley_llm_result res4;
    rq.on_token = NULL;
    rq.prompt = "The end.";
    rq.max_tokens = 60;
    rq.ignore_eog = true;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res4));
    ASSERT_EQ_INT(res4.stats.n_generated, 60);
    ASSERT_EQ_INT(res4.finish, PARLEY_LLM_FINISH_LENGTH);
    parley_llm_result_clear(&res4);
    rq.max_tokens = 0;
    ASSERT_STATUS(parley_llm_generate(llm, &rq, &res4), PARLEY_ERR_INVALID_ARG);
    parley_llm_result_clear(&res);
    parley_llm_result_clear(&res2);
    parley_llm_result_clear(&res3);
    parley_llm_result_clear(&res4);
    parley_buf_free(&c.buf);
    parley_buf_free(&c2.buf);
    parley_llm_free(llm);
}

struct progress {
    atomic_int batches;
};

static bool on_progress(int32_t done, int32_t total, void *ud)
{
    struct progress *p = ud;
    atomic_fetch_add(&p->batches, 1);
    return true;
}

TEST(cancel_during_long_prompt_is_fast_and_engine_recovers)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 8192, NULL);
    ASSERT(llm);
    parley_buf prompt = {0};
    while (prompt.len < 14000)
        ASSERT_OK(parley_buf_append(&prompt, story, strlen(story)));
    int32_t n_tok = 0;
    ASSERT_OK(parley_llm_count_tokens(llm, prompt.data, &n_tok));
    ASSERT_MSG(n_tok > 3000 && n_tok < 8000, "prompt of %d tokens", n_tok);

    parley_cancel *cancel = parley_cancel_new();
    struct progress pr;
    atomic_init(&pr.batches, 0);
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = prompt.data;
    rq.max_tokens = 8;
    rq.cancel = cancel;
    rq.on_progress = on_progress;
    rq.user_data = &pr;
    parley_llm_job *job;
    ASSERT_OK(parley_llm_start(llm, &rq, &job));
    /* A second job while one runs is refused. */
    parley_llm_job *job2 = NULL;
    ASSERT_STATUS(parley_llm_start(llm, &rq, &job2), PARLEY_ERR_INVALID_ARG);
    ASSERT(job2 == NULL);
    while (atomic_load(&pr.batches) < 1 && !parley_llm_job_done(job))
        usleep(200);
    ASSERT_MSG(!parley_llm_job_done(job), "the prompt finished before the cancel");
    double t0 = parley_now();
    parley_cancel_set(cancel);
    struct parley_llm_result res;
    parley_status st = parley_llm_job_wait(job, &res);
    double ms = (parley_now() - t0) * 1000.0;
    ASSERT_STATUS(st, PARLEY_ERR_CANCELLED);
    fprintf(stderr, "cancel latency %.2f ms after %d of %d prompt tokens\n", ms,
            res.stats.n_evaluated, res.stats.n_prompt);
    ASSERT_MSG(ms < 200.0, "cancel took %.1f ms", ms);
    ASSERT(res.stats.n_evaluated < res.stats.n_prompt);
    ASSERT_EQ_INT(res.finish, PARLEY_LLM_FINISH_NONE);
    parley_llm_result_clear(&res);

    /* The engine works right after, and gives what a fresh engine gives. */
    parley_cancel_reset(cancel);
    struct parley_llm_request r2 = parley_llm_default_request();
    r2.prompt = "Once upon a time";
    r2.max_tokens = 24;
    struct parley_llm_result a, b;
    ASSERT_OK(parley_llm_generate(llm, &r2, &a));
    ASSERT(strlen(a.text) > 10);
    ASSERT_EQ_INT(a.stats.n_evaluated, a.stats.n_prompt);
    parley_llm *fresh = load(mp, 8192, NULL);
    ASSERT(fresh);
    ASSERT_OK(parley_llm_generate(fresh, &r2, &b));
    ASSERT_STR(a.text, b.text);

    /* Cancel during generation too: set from the token callback after 3 pieces. */
    struct collect c = {.stop_after = 3, .cancel_after = cancel};
    r2.cancel = cancel;
    r2.on_token = on_token;
    r2.user_data = &c;
    struct parley_llm_result d;
    ASSERT_STATUS(parley_llm_generate(llm, &r2, &d), PARLEY_ERR_CANCELLED);
    ASSERT(d.stats.n_generated >= 3 && d.stats.n_generated < 24);
    parley_cancel_reset(cancel);
    struct parley_llm_result e;
    r2.on_token = NULL;
    ASSERT_OK(parley_llm_generate(llm, &r2, &e));
    ASSERT_STR(e.text, a.text);

    parley_llm_result_clear(&a);
    parley_llm_result_clear(&b);
    parley_llm_result_clear(&d);
    parley_llm_result_clear(&e);
    parley_buf_free(&c.buf);
    parley_buf_free(&prompt);
    parley_llm_free(fresh);
    parley_llm_free(llm);
    parley_cancel_free(cancel);
}

TEST(cancel_inside_one_big_batch_goes_through_the_abort_callback)
{
    NEED_MODEL();
    /* The whole prompt is one llama_decode call, so the flag can only be seen by
     * llama.cpp's abort callback between graph nodes. */
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 4096;
    p.n_batch = 4096;
    p.n_threads = 1;
    p.n_gpu_layers = 0;
    parley_llm *llm = NULL;
    ASSERT_OK(parley_llm_load(mp, p, &llm));
    parley_buf prompt = {0};
    while (prompt.len < 9000)
        ASSERT_OK(parley_buf_append(&prompt, story, strlen(story)));
    parley_cancel *cancel = parley_cancel_new();
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = prompt.data;
    rq.max_tokens = 4;
    rq.cancel = cancel;
    parley_llm_job *job;
    ASSERT_OK(parley_llm_start(llm, &rq, &job));
    usleep(20000);
    double t0 = parley_now();
    parley_cancel_set(cancel);
    struct parley_llm_result res;
    parley_status st = parley_llm_job_wait(job, &res);
    double ms = (parley_now() - t0) * 1000.0;
    fprintf(stderr, "in-batch cancel latency %.2f ms (%d of %d prompt tokens done)\n", ms,
            res.stats.n_evaluated, res.stats.n_prompt);
    ASSERT_STATUS(st, PARLEY_ERR_CANCELLED);
    ASSERT_EQ_INT(res.stats.n_evaluated, 0);
    ASSERT_MSG(ms < 200.0, "cancel took %.1f ms", ms);
    parley_llm_result_clear(&res);
    parley_cancel_reset(cancel);
    rq.prompt = "Once upon a time";
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT_EQ_INT(res.stats.n_evaluated, res.stats.n_prompt);
    parley_llm_result_clear(&res);
    parley_buf_free(&prompt);
    parley_llm_free(llm);
    parley_cancel_free(cancel);
}

TEST(no_template_is_an_error_and_explicit_template_works)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    parley_llm_message msgs[] = {{"system", "You tell stories."}, {"user", "Tell one."}};
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = msgs;
    rq.n_messages = 2;
    rq.max_tokens = 8;
    struct parley_llm_result res;
    ASSERT_STATUS(parley_llm_generate(llm, &rq, &res), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_CONTAINS(parley_last_error(), "no chat template");
    ASSERT_CONTAINS(parley_last_error(), "chatml");
    char *s = NULL;
    ASSERT_STATUS(parley_llm_format(llm, msgs, 2, true, &s), PARLEY_ERR_NO_TEMPLATE);
    ASSERT(s == NULL);
    parley_llm_free(llm);

    llm = load(mp, 512, "chatml");
    ASSERT(llm);
    ASSERT_STR(parley_llm_info(llm)->template_used, "explicit");
    ASSERT_OK(parley_llm_format(llm, msgs, 2, true, &s));
    ASSERT_STR(s, "<|im_start|>system\nYou tell stories.<|im_end|>\n<|im_start|>user\nTell "
                  "one.<|im_end|>\n<|im_start|>assistant\n");
    free(s);
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT(res.stats.n_prompt > 10);
    ASSERT(res.stats.n_generated > 0);
    parley_llm_result_clear(&res);
    parley_llm_free(llm);

    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 256;
    p.chat_template = "no-such-template";
    ASSERT_STATUS(parley_llm_load(mp, p, &llm), PARLEY_ERR_NO_TEMPLATE);
    ASSERT_CONTAINS(parley_last_error(), "no-such-template");
    ASSERT(llm == NULL);
}

TEST(think_blocks_are_stripped_from_the_stream)
{
    parley_think_filter f = {0};
    parley_buf out = {0};
    const char *pieces[] = {"<th", "ink>\nI should ", "reason</thi", "nk>\n\nThe answer", " is <", "b>4", "</b>"};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++)
        ASSERT_OK(parley_think_feed(&f, pieces[i], strlen(pieces[i]), &out));
    ASSERT_OK(parley_think_flush(&f, &out));
    ASSERT_STR(out.data, "The answer is <b>4</b>");
    parley_buf_free(&out);
}

TEST(grammar_output_always_parses_as_json)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    const char *gbnf = "root ::= \"{\\\"title\\\": \\\"\" word \"\\\", \\\"count\\\": \" num \"}\"\n"
                       "word ::= [a-z ]{1,16}\n"
                       "num ::= [0-9]{1,3}\n";
    int parsed = 0;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        struct parley_llm_request rq = parley_llm_default_request();
        rq.prompt = "Once upon a time";
        rq.max_tokens = 64;
        rq.temperature = 1.0f;
        rq.top_k = 0;
        rq.top_p = 1.0f;
        rq.seed = seed;
        rq.grammar = gbnf;
        struct parley_llm_result res;
        ASSERT_OK(parley_llm_generate(llm, &rq, &res));
        yyjson_doc *doc = yyjson_read(res.text, strlen(res.text), 0);
        ASSERT_MSG(doc, "seed %u: not JSON: %s", seed, res.text);
        yyjson_val *root = yyjson_doc_get_root(doc);
        ASSERT(yyjson_is_str(yyjson_obj_get(root, "title")));
        ASSERT(yyjson_is_int(yyjson_obj_get(root, "count")));
        ASSERT_EQ_INT(res.finish, PARLEY_LLM_FINISH_EOG);
        yyjson_doc_free(doc);
        parley_llm_result_clear(&res);
        parsed++;
    }
    ASSERT_EQ_INT(parsed, 20);
    struct parley_llm_request bad = parley_llm_default_request();
    bad.prompt = "x";
    bad.grammar = "root ::= (";
    struct parley_llm_result res;
    ASSERT_STATUS(parley_llm_generate(llm, &bad, &res), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "grammar");
    parley_llm_free(llm);
}

TEST(context_overflow_is_reported)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 256, NULL);
    ASSERT(llm);
    parley_buf prompt = {0};
    for (int i = 0; i < 12; i++)
        ASSERT_OK(parley_buf_append(&prompt, story, strlen(story)));
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = prompt.data;
    rq.max_tokens = 4;
    struct parley_llm_result res;
    ASSERT_STATUS(parley_llm_generate(llm, &rq, &res), PARLEY_ERR_CONTEXT_OVERFLOW);
    ASSERT_CONTAINS(parley_last_error(), "256");
    rq.prompt = story;
    rq.max_tokens = 250;
    ASSERT_STATUS(parley_llm_generate(llm, &rq, &res), PARLEY_ERR_CONTEXT_OVERFLOW);
    ASSERT_CONTAINS(parley_last_error(), "max_tokens");
    /* Unlimited max_tokens stops at the end of the context instead. */
    rq.max_tokens = 0;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT(res.finish == PARLEY_LLM_FINISH_EOG || res.finish == PARLEY_LLM_FINISH_LENGTH);
    ASSERT(res.stats.n_prompt + res.stats.n_generated <= 256);
    parley_llm_result_clear(&res);
    /* and the engine still works afterwards */
    rq.max_tokens = 8;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    parley_llm_result_clear(&res);
    parley_buf_free(&prompt);
    parley_llm_free(llm);
}

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

TEST(bad_files_give_model_load_with_reason)
{
    NEED_MODEL();
    const char *d = test_tmpdir("llm");
    ASSERT(d);
    FILE *f = fopen(mp, "rb");
    ASSERT(f);
    static char data[1185376];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    ASSERT_EQ_INT(n, 1185376);
    char p[4300];
    struct parley_llm_params lp = parley_llm_default_params();
    parley_llm *llm = NULL;

    snprintf(p, sizeof p, "%s/half.gguf", d);
    ASSERT(write_file(p, data, n / 2) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated");
    ASSERT(llm == NULL);

    snprintf(p, sizeof p, "%s/header.gguf", d);
    ASSERT(write_file(p, data, 10) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "truncated");

    snprintf(p, sizeof p, "%s/meta.gguf", d);
    ASSERT(write_file(p, data, 2000) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);

    snprintf(p, sizeof p, "%s/notes.gguf", d);
    ASSERT(write_file(p, "hello, this is not a model\n", 27) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "not a GGUF");

    snprintf(p, sizeof p, "%s/empty.gguf", d);
    ASSERT(write_file(p, "", 0) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "not a GGUF");

    snprintf(p, sizeof p, "%s/missing.gguf", d);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "No such file");

    /* A GGUF of an architecture llama.cpp does not know: its reason comes through. */
    snprintf(p, sizeof p, "%s/alien.gguf", d);
    {
        /* rename the architecture in place: "llama" -> "llamb" in general.architecture
         * and every key that starts with it would change key lengths, so instead patch
         * the value of general.architecture, which is the first "llama" after the key. */
        char *k = memmem(data, n, "general.architecture", 20);
        ASSERT(k);
        char *v = memmem(k, 64, "llama", 5);
        ASSERT(v);
        v[4] = 'x';
    }
    ASSERT(write_file(p, data, n) == 0);
    ASSERT_STATUS(parley_llm_load(p, lp, &llm), PARLEY_ERR_MODEL_LOAD);
    ASSERT_CONTAINS(parley_last_error(), "llamx");
}

TEST(prefix_reuse_evaluates_only_new_tokens_and_matches_scratch)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 2048, NULL);
    ASSERT(llm);
    parley_buf prefix = {0};
    for (int i = 0; i < 6; i++)
        ASSERT_OK(parley_buf_append(&prefix, story, strlen(story)));
    char full[4096];
    snprintf(full, sizeof full, "%sOne day, Lily saw a big", prefix.data);

    struct parley_llm_stats ps;
    ASSERT_OK(parley_llm_prefix_set(llm, prefix.data, NULL, &ps));
    int32_t n_pre = parley_llm_prefix_tokens(llm);
    ASSERT(n_pre > 100);
    ASSERT_EQ_INT(ps.n_prompt, n_pre + 1); /* the last token is left to the prompt */
    ASSERT_EQ_INT(ps.n_evaluated, n_pre);
    ASSERT_EQ_INT(ps.n_reused, 0);

    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = full;
    rq.max_tokens = 32;
    struct parley_llm_result cached, again, scratch;
    ASSERT_OK(parley_llm_generate(llm, &rq, &cached));
    int32_t n_full = 0;
    {
        int32_t dummy[1];
        parley_llm_tokenize(llm, full, true, dummy, 0, &n_full);
    }
    ASSERT_EQ_INT(cached.stats.n_prompt, n_full);
    ASSERT_EQ_INT(cached.stats.n_reused, n_pre);
    ASSERT_EQ_INT(cached.stats.n_evaluated, n_full - n_pre);
    ASSERT(cached.stats.n_evaluated < 12);

    /* A prompt that is exactly the prefix text reuses all but the held-back token. */
    struct parley_llm_result same;
    rq.prompt = prefix.data;
    rq.max_tokens = 4;
    ASSERT_OK(parley_llm_generate(llm, &rq, &same));
    ASSERT_EQ_INT(same.stats.n_reused, n_pre);
    ASSERT_EQ_INT(same.stats.n_evaluated, 1);
    parley_llm_result_clear(&same);
    rq.prompt = full;
    rq.max_tokens = 32;

    /* The prefix stays for the next question. */
    ASSERT_OK(parley_llm_generate(llm, &rq, &again));
    ASSERT_EQ_INT(again.stats.n_reused, n_pre);
    ASSERT_STR(again.text, cached.text);

    /* From scratch (no prefix) gives the same greedy output. */
    parley_llm_prefix_clear(llm);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(llm), 0);
    ASSERT_OK(parley_llm_generate(llm, &rq, &scratch));
    ASSERT_EQ_INT(scratch.stats.n_reused, 0);
    ASSERT_EQ_INT(scratch.stats.n_evaluated, n_full);
    ASSERT_STR(scratch.text, cached.text);

    /* A prompt that does not start with the prefix evaluates everything. */
    ASSERT_OK(parley_llm_prefix_set(llm, prefix.data, NULL, NULL));
    struct parley_llm_result other;
    rq.prompt = "The dog ran to the park";
    ASSERT_OK(parley_llm_generate(llm, &rq, &other));
    ASSERT_EQ_INT(other.stats.n_reused, 0);

    /* Extending the prefix evaluates only the added text. */
    parley_buf longer = {0};
    ASSERT_OK(parley_buf_printf(&longer, "%s%s", prefix.data, story));
    ASSERT_OK(parley_llm_prefix_set(llm, longer.data, NULL, &ps));
    ASSERT_EQ_INT(ps.n_reused, n_pre);
    ASSERT_EQ_INT(ps.n_evaluated, parley_llm_prefix_tokens(llm) - n_pre);

    /* A cancelled prefix leaves none (never half of one). */
    parley_cancel *cancel = parley_cancel_new();
    parley_cancel_set(cancel);
    ASSERT_STATUS(parley_llm_prefix_set(llm, "Something else entirely. ", cancel, NULL),
                  PARLEY_ERR_CANCELLED);
    parley_cancel_free(cancel);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(llm), 0);

    parley_llm_result_clear(&cached);
    parley_llm_result_clear(&again);
    parley_llm_result_clear(&scratch);
    parley_llm_result_clear(&other);
    parley_buf_free(&prefix);
    parley_buf_free(&longer);
    parley_llm_free(llm);
}

/* Regression: a cached prefix that the next prompt does not start with kept its cells in
 * the KV cache, so a prompt that fits the context on its own failed with a false
 * CONTEXT_OVERFLOW ("no room in the cache"). Now the stale prefix is dropped. */
TEST(stale_prefix_does_not_cause_a_false_overflow)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    parley_buf pre = {0}, other = {0};
    while (pre.len < 1000)
        ASSERT_OK(parley_buf_append(&pre, story, strlen(story)));
    while (other.len < 950)
        ASSERT_OK(parley_buf_printf(&other, "The dog ran to the park and played with a ball. "));
    ASSERT_OK(parley_llm_prefix_set(llm, pre.data, NULL, NULL));
    ASSERT(parley_llm_prefix_tokens(llm) > 300);
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = other.data;
    rq.max_tokens = 8;
    struct parley_llm_result res;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT_MSG(res.stats.n_prompt > 150 && res.stats.n_prompt + 8 <= 512 && res.stats.n_prompt + 8 + 300 > 512, "prompt %d", res.stats.n_prompt);
    ASSERT_EQ_INT(res.stats.n_reused, 0);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(llm), 0); /* dropped, not left behind */
    parley_llm_result_clear(&res);
    parley_buf_free(&pre);
    parley_buf_free(&other);
    parley_llm_free(llm);
}

/* Regression: n + max_tokens overflowed int32 (UBSan) and a huge max_tokens passed the
 * check; it is a context overflow. */
TEST(huge_max_tokens_is_an_overflow_not_a_wrap)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 256, NULL);
    ASSERT(llm);
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = story;
    rq.max_tokens = INT32_MAX;
    struct parley_llm_result res;
    ASSERT_STATUS(parley_llm_generate(llm, &rq, &res), PARLEY_ERR_CONTEXT_OVERFLOW);
    ASSERT_CONTAINS(parley_last_error(), "max_tokens");
    parley_llm_free(llm);
}

/* Regression: message contents were tokenized with special-token parsing on, so a
 * meeting that said "</s>" (or "<|im_end|>" for Qwen) put a real end-of-sequence token
 * into the prompt. Only the template's markup is special now. */
/* llama.h's own token count of text (no BOS), special-token text parsed or not: the
 * reference the engine's tokenization of message contents is held to. */
static int32_t reference_count(const char *path, const char *text, bool parse_special)
{
    struct llama_model_params p = llama_model_default_params();
    p.n_gpu_layers = 0;
    p.vocab_only = true;
    struct llama_model *model = llama_model_load_from_file(path, p);
    if (!model)
        return -1;
    int32_t n = -llama_tokenize(llama_model_get_vocab(model), text, (int32_t)strlen(text), NULL, 0, false,
                                parse_special);
    llama_model_free(model);
    return n;
}

TEST(special_token_text_in_a_message_stays_text)
{
    NEED_MODEL();
    const char *with_text = "Transcript: he said </s> and left.";
    const char *without_text = "Transcript: he said and left.";
    /* The model must have "</s>" as a control token, or this case proves nothing. */
    int32_t as_text = reference_count(mp, with_text, false), as_special = reference_count(mp, with_text, true);
    int32_t without = reference_count(mp, without_text, false);
    ASSERT_MSG(as_text > 0 && as_special > 0 && as_text > as_special,
               "the model does not parse </s> as one token: %d as text, %d parsed", as_text, as_special);
    parley_llm *llm = load(mp, 512, "chatml");
    ASSERT(llm);
    /* A content alone: exactly llama.h's count with special-token parsing off. */
    int32_t n_content = 0;
    ASSERT_OK(parley_llm_count_tokens(llm, with_text, &n_content));
    ASSERT_MSG(n_content == as_text, "engine %d tokens; llama.h %d as text, %d parsed", n_content, as_text,
               as_special);
    /* Inside a chat prompt: the messages differ by exactly the text's tokens. */
    parley_llm_message with[] = {{"system", with_text}, {"user", "What?"}};
    parley_llm_message wo[] = {{"system", without_text}, {"user", "What?"}};
    int32_t n_with = 0, n_without = 0, first = 0;
    ASSERT_OK(parley_llm_count_chat_tokens(llm, with, 2, &n_with, &first));
    ASSERT_OK(parley_llm_count_chat_tokens(llm, wo, 2, &n_without, NULL));
    ASSERT_MSG(n_with - n_without == as_text - without, "chat prompts differ by %d tokens, the texts by %d",
               n_with - n_without, as_text - without);
    ASSERT(first > 0 && first < n_with);
    /* The same through a generation (what the tasks do). */
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = with;
    rq.n_messages = 2;
    rq.max_tokens = 2;
    struct parley_llm_result a, b;
    ASSERT_OK(parley_llm_generate(llm, &rq, &a));
    rq.messages = wo;
    ASSERT_OK(parley_llm_generate(llm, &rq, &b));
    ASSERT_EQ_INT(a.stats.n_prompt, n_with);
    ASSERT_EQ_INT(a.stats.n_prompt - b.stats.n_prompt, as_text - without);
    parley_llm_result_clear(&a);
    parley_llm_result_clear(&b);
    parley_llm_free(llm);
}

/* A growing first message (a live transcript) with cache_prefix: each request evaluates
 * only the new lines, and prefill_only brings the cache up to date without generating. */
TEST(cache_prefix_grows_with_the_transcript)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 2048, "chatml");
    ASSERT(llm);
    parley_buf sys = {0};
    ASSERT_OK(parley_buf_printf(&sys, "Rules.\n\nTranscript:\n"));
    for (int i = 0; i < 6; i++)
        ASSERT_OK(parley_buf_printf(&sys, "[00:00:%02d] %s", i, story));
    parley_llm_message m[] = {{"system", sys.data}, {"user", "Who is Lily?"}};
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = m;
    rq.n_messages = 2;
    rq.cache_prefix = true;
    rq.prefill_only = true;
    struct parley_llm_result r;
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    int32_t first = 0, n_all = 0;
    ASSERT_OK(parley_llm_count_chat_tokens(llm, m, 2, &n_all, &first));
    ASSERT_EQ_INT(parley_llm_prefix_tokens(llm), first);
    ASSERT_EQ_INT(r.stats.n_evaluated, first);
    ASSERT_EQ_INT(r.stats.n_generated, 0);
    parley_llm_result_clear(&r);
    /* One more line: only its tokens (plus the prompt's tail) are evaluated. */
    ASSERT_OK(parley_buf_printf(&sys, "[00:01:00] Then the dog ran home.\n"));
    m[0].content = sys.data;
    int32_t line = 0;
    ASSERT_OK(parley_llm_count_tokens(llm, "[00:01:00] Then the dog ran home.\n", &line));
    rq.prefill_only = false;
    rq.max_tokens = 4;
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    int32_t first2 = 0;
    ASSERT_OK(parley_llm_count_chat_tokens(llm, m, 2, &n_all, &first2));
    ASSERT_EQ_INT(first2, first + line);
    ASSERT_EQ_INT(r.stats.n_reused, first);
    ASSERT_EQ_INT(r.stats.n_evaluated, n_all - first);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(llm), first2);
    /* Same answer as from scratch. */
    char *cached = strdup(r.text);
    parley_llm_result_clear(&r);
    parley_llm_prefix_clear(llm);
    rq.cache_prefix = false;
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT_EQ_INT(r.stats.n_evaluated, n_all);
    ASSERT_STR(r.text, cached);
    free(cached);
    parley_llm_result_clear(&r);
    parley_buf_free(&sys);
    parley_llm_free(llm);
}

static int count_state_files(const char *dir, char *first, size_t n)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -c '\\.state$'", dir);
    FILE *f = popen(cmd, "r");
    int c = 0;
    if (f && fscanf(f, "%d", &c) != 1)
        c = 0;
    if (f)
        pclose(f);
    if (first) {
        snprintf(cmd, sizeof cmd, "ls '%s'/*.state 2>/dev/null | head -n 1", dir);
        f = popen(cmd, "r");
        first[0] = '\0';
        if (f && fgets(first, (int)n, f))
            first[strcspn(first, "\n")] = '\0';
        if (f)
            pclose(f);
    }
    return c;
}

static parley_llm *load_state(const char *path, const char *dir, uint64_t cap)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 1024;
    p.n_gpu_layers = 0;
    p.n_threads = 1;
    p.chat_template = "chatml";
    p.state_dir = dir;
    p.state_max_bytes = cap;
    parley_llm *llm = NULL;
    if (parley_llm_load(path, p, &llm) != PARLEY_OK)
        fprintf(stderr, "load: %s\n", parley_last_error());
    return llm;
}

struct logcap {
    parley_buf b;
};
static void log_to_buf(parley_log_level l, const char *msg, void *ud)
{
    (void)l;
    parley_buf_printf(&((struct logcap *)ud)->b, "%s\n", msg);
}

/* The evaluated prefix kept on disk: a second engine (a new process) loads it instead of
 * evaluating; a truncated or corrupted file is a miss with a log line, never a crash; the
 * directory stays within its cap. */
TEST(prefix_state_is_kept_on_disk_and_bad_files_are_misses)
{
    NEED_MODEL();
    const char *tmp = test_tmpdir("llm_state");
    ASSERT(tmp);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/state", tmp);
    parley_buf sys = {0};
    for (int i = 0; i < 5; i++)
        ASSERT_OK(parley_buf_printf(&sys, "[00:00:%02d] %s", i, story));
    parley_llm_message m[] = {{"system", sys.data}, {"user", "Who is Lily?"}};
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = m;
    rq.n_messages = 2;
    rq.cache_prefix = true;
    rq.max_tokens = 6;
    struct parley_llm_result r1, r2;

    parley_llm *llm = load_state(mp, dir, 0);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r1));
    int32_t first = parley_llm_prefix_tokens(llm);
    ASSERT(first > 100);
    ASSERT_EQ_INT(r1.stats.n_state_loaded, 0);
    ASSERT_EQ_INT(r1.stats.n_reused, 0);
    parley_llm_free(llm);
    char file[4400];
    ASSERT_EQ_INT(count_state_files(dir, file, sizeof file), 1);

    /* A new engine loads it: nothing of the prefix is evaluated, same answer. */
    llm = load_state(mp, dir, 0);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r2));
    ASSERT_EQ_INT(r2.stats.n_state_loaded, first);
    ASSERT_EQ_INT(r2.stats.n_reused, first);
    ASSERT_EQ_INT(r2.stats.n_evaluated, r1.stats.n_prompt - first);
    ASSERT_STR(r2.text, r1.text);
    parley_llm_result_clear(&r2);
    parley_llm_free(llm);

    struct logcap lc = {{0}};
    parley_log_set(log_to_buf, &lc, PARLEY_LOG_WARN);
    /* Truncated: a miss, logged, evaluated again, and the file is written anew. */
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "truncate -s 200 '%s'", file);
    ASSERT_EQ_INT(system(cmd), 0);
    llm = load_state(mp, dir, 0);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r2));
    ASSERT_EQ_INT(r2.stats.n_state_loaded, 0);
    ASSERT_EQ_INT(r2.stats.n_evaluated, r1.stats.n_prompt);
    ASSERT_STR(r2.text, r1.text);
    ASSERT_CONTAINS(lc.b.data ? lc.b.data : "", "truncated");
    parley_llm_result_clear(&r2);
    parley_llm_free(llm);
    ASSERT_EQ_INT(count_state_files(dir, NULL, 0), 1);

    /* Corrupted in the middle (same size): the checksum catches it. */
    snprintf(cmd, sizeof cmd, "printf 'XXXXXXXXXXXXXXXX' | dd of='%s' bs=1 seek=4000 conv=notrunc status=none", file);
    ASSERT_EQ_INT(system(cmd), 0);
    lc.b.len = 0;
    llm = load_state(mp, dir, 0);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r2));
    ASSERT_EQ_INT(r2.stats.n_state_loaded, 0);
    ASSERT_STR(r2.text, r1.text);
    ASSERT_CONTAINS(lc.b.data ? lc.b.data : "", "corrupt");
    parley_llm_result_clear(&r2);
    parley_llm_free(llm);
    parley_log_set(NULL, NULL, PARLEY_LOG_WARN);
    parley_buf_free(&lc.b);

    /* Another transcript with a cap of about one file: the oldest goes. */
    struct stat sb;
    ASSERT_EQ_INT(stat(file, &sb), 0);
    llm = load_state(mp, dir, (uint64_t)sb.st_size + sb.st_size / 2);
    ASSERT(llm);
    ASSERT_OK(parley_buf_printf(&sys, "[00:01:00] The end.\n"));
    m[0].content = sys.data;
    parley_llm_prefix_clear(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r2));
    parley_llm_result_clear(&r2);
    parley_llm_free(llm);
    char file2[4400];
    ASSERT_EQ_INT(count_state_files(dir, file2, sizeof file2), 1);
    ASSERT(strcmp(file, file2) != 0);

    parley_llm_result_clear(&r1);
    parley_buf_free(&sys);
}

static parley_llm *load_deferred(const char *path, const char *dir, bool defer)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 1024;
    p.n_gpu_layers = 0;
    p.n_threads = 1;
    p.chat_template = "chatml";
    p.state_dir = dir;
    p.defer_repack = defer;
    parley_llm *llm = NULL;
    if (parley_llm_load(path, p, &llm) != PARLEY_OK)
        fprintf(stderr, "load: %s\n", parley_last_error());
    return llm;
}

/* defer_repack: a short job never reloads the weights; the first big one does (once), with
 * the same output as an engine loaded the usual way; a prefix whose state is on disk is not
 * "big", so a question on a cached transcript starts without the repack. */
TEST(deferred_repack_only_before_a_big_evaluation)
{
    NEED_MODEL();
    const char *tmp = test_tmpdir("llm_repack");
    ASSERT(tmp);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/state", tmp);
    parley_buf sys = {0};
    for (int i = 0; i < 5; i++)
        ASSERT_OK(parley_buf_printf(&sys, "[00:00:%02d] %s", i, story));
    parley_llm_message m[] = {{"system", sys.data}, {"user", "Who is Lily?"}};
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = m;
    rq.n_messages = 2;
    rq.cache_prefix = true;
    rq.max_tokens = 8;
    struct parley_llm_result plain, r;

    parley_llm *llm = load_deferred(mp, NULL, false);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &plain));
    ASSERT(plain.stats.n_prompt >= 256);
    ASSERT(plain.stats.repack_ms == 0.0);
    parley_llm_free(llm);

    /* Short: no reload. */
    llm = load_deferred(mp, NULL, true);
    ASSERT(llm);
    struct parley_llm_request shortrq = parley_llm_default_request();
    shortrq.prompt = "Once upon a time";
    shortrq.max_tokens = 4;
    ASSERT_OK(parley_llm_generate(llm, &shortrq, &r));
    ASSERT(r.stats.repack_ms == 0.0);
    parley_llm_result_clear(&r);
    /* Big, nothing cached: reloaded first, same answer; not again on the next job. */
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT_MSG(r.stats.repack_ms > 0.0, "a %d-token prompt on a deferred engine did not repack", r.stats.n_prompt);
    ASSERT_STR(r.text, plain.text);
    parley_llm_result_clear(&r);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT(r.stats.repack_ms == 0.0);
    ASSERT_STR(r.text, plain.text);
    parley_llm_result_clear(&r);
    parley_llm_free(llm);

    /* With a state directory: the first engine evaluates (and repacks) and saves the
     * transcript's state; the next one loads the state and does not repack. */
    llm = load_deferred(mp, dir, true);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT(r.stats.repack_ms > 0.0);
    ASSERT_EQ_INT(r.stats.n_state_loaded, 0);
    parley_llm_result_clear(&r);
    parley_llm_free(llm);
    llm = load_deferred(mp, dir, true);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT(r.stats.n_state_loaded > 0);
    ASSERT_MSG(r.stats.repack_ms == 0.0, "repacked for a %d-token question on a cached transcript",
               r.stats.n_evaluated);
    ASSERT_STR(r.text, plain.text);
    parley_llm_result_clear(&r);
    parley_llm_free(llm);
    parley_llm_result_clear(&plain);

    /* Under a grammar (its sampler is made again after the reload): the same output. */
    rq.grammar = "root ::= \"[\\\"\" [a-z ]{1,20} \"\\\"]\"\n";
    rq.max_tokens = 30;
    llm = load_deferred(mp, NULL, false);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &plain));
    parley_llm_free(llm);
    llm = load_deferred(mp, NULL, true);
    ASSERT(llm);
    ASSERT_OK(parley_llm_generate(llm, &rq, &r));
    ASSERT(r.stats.repack_ms > 0.0);
    ASSERT_STR(r.text, plain.text);
    ASSERT(strlen(r.text) > 4 && r.text[0] == '[');
    parley_llm_result_clear(&r);
    parley_llm_result_clear(&plain);
    parley_llm_free(llm);
    parley_buf_free(&sys);
}

/* llama.cpp's own grammar-first sampling (the grammar over the whole vocabulary, then
 * greedy), written against llama.h directly: the reference Parley's sampler must equal. */
static char *reference_grammar_greedy(const char *path, const char *prompt, const char *gbnf, int max_tokens)
{
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model)
        return NULL;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512;
    cp.n_batch = 512;
    cp.n_ubatch = 512;
    cp.n_seq_max = 2; /* as the engine makes its context, so the logits are the same */
    cp.kv_unified = true;
    cp.swa_full = false;
    cp.n_threads = cp.n_threads_batch = 1;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    struct llama_sampler *ch = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(ch, llama_sampler_init_grammar(vocab, gbnf, "root"));
    llama_sampler_chain_add(ch, llama_sampler_init_greedy());
    llama_token toks[256];
    int32_t n = llama_tokenize(vocab, prompt, (int32_t)strlen(prompt), toks, 256, true, true);
    parley_buf out = {0};
    bool ok = ctx && n > 0 && llama_decode(ctx, llama_batch_get_one(toks, n)) == 0;
    for (int i = 0; ok && i < max_tokens; i++) {
        llama_token t = llama_sampler_sample(ch, ctx, -1);
        if (llama_vocab_is_eog(vocab, t))
            break;
        char piece[256];
        int32_t pl = llama_token_to_piece(vocab, t, piece, sizeof piece, 0, true);
        ok = pl >= 0 && parley_buf_append(&out, piece, (size_t)pl) == PARLEY_OK &&
             llama_decode(ctx, llama_batch_get_one(&t, 1)) == 0;
    }
    llama_sampler_free(ch);
    if (ctx)
        llama_free(ctx);
    llama_model_free(model);
    if (!ok) {
        parley_buf_free(&out);
        return NULL;
    }
    char *s = strdup(out.data ? out.data : "");
    parley_buf_free(&out);
    return s;
}

/* Parley samples first and checks the grammar only on a rejected pick, and then only over
 * the tokens whose first byte the grammar can take: the text must still be exactly what
 * grammar-first sampling over the whole vocabulary makes. */
TEST(grammar_sampling_equals_llama_grammar_first)
{
    NEED_MODEL();
    const char *gbnf = "root ::= \"{\\\"title\\\":\" s \",\\\"points\\\":[\" s (\",\" s){0,3} \"]}\"\n"
                       "s ::= \"\\\"\" c{1,16} \"\\\"\"\n"
                       "c ::= [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" [\"\\\\/bfnrt]\n";
    const char *prompts[] = {"Once upon a time", "The little dog said", "Lily and Tom went to the park."};
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    for (size_t i = 0; i < sizeof prompts / sizeof *prompts; i++) {
        char *want = reference_grammar_greedy(mp, prompts[i], gbnf, 200);
        ASSERT_MSG(want, "the llama.cpp reference run failed for \"%s\"", prompts[i]);
        struct parley_llm_request rq = parley_llm_default_request();
        rq.prompt = prompts[i];
        rq.max_tokens = 200;
        rq.grammar = gbnf;
        struct parley_llm_result res;
        ASSERT_OK(parley_llm_generate(llm, &rq, &res));
        ASSERT_MSG(res.stats.n_resampled > 0, "the grammar never rejected a pick: nothing was compared");
        ASSERT_STR(res.text, want);
        parley_llm_result_clear(&res);
        free(want);
    }
    parley_llm_free(llm);
}

/* Grammar output under the sample-then-check sampler: most tokens need no grammar pass
 * over the vocabulary; the output still always parses. */
TEST(grammar_checks_the_chosen_token_first)
{
    NEED_MODEL();
    parley_llm *llm = load(mp, 512, NULL);
    ASSERT(llm);
    /* Strings may hold '<' and '"' (escaped) now. */
    const char *gbnf = "root ::= \"[\" s (\",\" s){0,2} \"]\"\n"
                       "s ::= \"\\\"\" c{1,24} \"\\\"\"\n"
                       "c ::= [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" [\"\\\\/bfnrt]\n";
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = "Once upon a time";
    rq.max_tokens = 120;
    rq.grammar = gbnf;
    struct parley_llm_result res;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    yyjson_doc *doc = yyjson_read(res.text, strlen(res.text), 0);
    ASSERT_MSG(doc && yyjson_is_arr(yyjson_doc_get_root(doc)), "not a JSON array: %s", res.text);
    yyjson_doc_free(doc);
    ASSERT(res.stats.n_generated > 3);
    ASSERT_MSG(res.stats.n_resampled > 0 && res.stats.n_resampled <= res.stats.n_generated + 1,
               "resampled %d of %d", res.stats.n_resampled, res.stats.n_generated);
    /* The greedy choice made among the top candidates equals the one made with the grammar
     * over the whole vocabulary (a near-zero temperature without top-k takes that path). */
    char *greedy = strdup(res.text);
    parley_llm_result_clear(&res);
    rq.temperature = 1e-4f;
    rq.top_k = 0;
    rq.top_p = 1.0f;
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT_STR(res.text, greedy);
    free(greedy);
    rq.temperature = 0.0f;
    parley_llm_result_clear(&res);
    /* A grammar that forces '<' and '"' into a string: they come out, escaped as JSON. */
    rq.grammar = "root ::= \"[\\\"a<b\\\\\\\"c\\\"]\"\n";
    ASSERT_OK(parley_llm_generate(llm, &rq, &res));
    ASSERT_STR(res.text, "[\"a<b\\\"c\"]");
    parley_llm_result_clear(&res);
    parley_llm_free(llm);
}

/* A second context on the same weights: its own cache and prefix, the base's untouched;
 * the same greedy output as the base for the same prompt; the base goes on after it is
 * freed. Made on an engine with deferred repacking: the repack happens first. */
TEST(a_sibling_context_keeps_its_own_prefix_beside_the_base)
{
    NEED_MODEL();
    parley_llm *base = load_deferred(mp, NULL, true), *side = NULL;
    ASSERT(base);
    ASSERT_STATUS(parley_llm_sibling(NULL, 512, &side), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_llm_sibling(base, 512, NULL), PARLEY_ERR_INVALID_ARG);
    parley_buf a = {0}, b = {0};
    for (int i = 0; i < 3; i++)
        ASSERT_OK(parley_buf_printf(&a, "[00:00:%02d] %s", i, story));
    ASSERT_OK(parley_buf_printf(&b, "The dog ran to the park with a red ball. %s", story));
    ASSERT_OK(parley_llm_prefix_set(base, a.data, NULL, NULL));
    int32_t n_a = parley_llm_prefix_tokens(base);
    ASSERT(n_a > 100);

    ASSERT_OK(parley_llm_sibling(base, 512, &side));
    ASSERT_EQ_INT((int)parley_llm_info(side)->n_ctx, 512);
    ASSERT_EQ_INT((int)parley_llm_info(base)->n_ctx, 1024);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(side), 0);
    ASSERT_OK(parley_llm_prefix_set(side, b.data, NULL, NULL));
    int32_t n_b = parley_llm_prefix_tokens(side);
    ASSERT(n_b > 20);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(base), n_a);

    char pa[8192], pb[4096];
    snprintf(pa, sizeof pa, "%sOne day, Lily saw a big", a.data);
    snprintf(pb, sizeof pb, "%sOne day, Lily saw a big", b.data);
    struct parley_llm_request rq = parley_llm_default_request();
    rq.max_tokens = 16;
    struct parley_llm_result rs, rb, rs2;
    rq.prompt = pb;
    ASSERT_OK(parley_llm_generate(side, &rq, &rs));
    ASSERT_EQ_INT(rs.stats.n_reused, n_b);
    rq.prompt = pa;
    ASSERT_OK(parley_llm_generate(base, &rq, &rb));
    ASSERT_EQ_INT(rb.stats.n_reused, n_a);
    /* The same prompt on the base (its prefix dropped for it) gives the side's answer. */
    parley_llm_prefix_clear(base);
    rq.prompt = pb;
    ASSERT_OK(parley_llm_generate(base, &rq, &rs2));
    ASSERT_EQ_INT(rs2.stats.n_reused, 0);
    ASSERT_STR(rs2.text, rs.text);
    ASSERT_EQ_INT(parley_llm_prefix_tokens(side), n_b);

    parley_llm_free(side);
    parley_llm_result_clear(&rb);
    rq.prompt = pa;
    ASSERT_OK(parley_llm_generate(base, &rq, &rb));
    ASSERT(rb.text && rb.stats.n_generated > 0);
    parley_llm_result_clear(&rs);
    parley_llm_result_clear(&rb);
    parley_llm_result_clear(&rs2);
    parley_buf_free(&a);
    parley_buf_free(&b);
    parley_llm_free(base);
}

int main(void)
{
    parley_init();
    RUN(load_and_metadata);
    RUN(tokenize_round_trip);
    RUN(streaming_generates_through_callback);
    RUN(cancel_during_long_prompt_is_fast_and_engine_recovers);
    RUN(cancel_inside_one_big_batch_goes_through_the_abort_callback);
    RUN(no_template_is_an_error_and_explicit_template_works);
    RUN(think_blocks_are_stripped_from_the_stream);
    RUN(grammar_output_always_parses_as_json);
    RUN(context_overflow_is_reported);
    RUN(bad_files_give_model_load_with_reason);
    RUN(prefix_reuse_evaluates_only_new_tokens_and_matches_scratch);
    RUN(stale_prefix_does_not_cause_a_false_overflow);
    RUN(huge_max_tokens_is_an_overflow_not_a_wrap);
    RUN(special_token_text_in_a_message_stays_text);
    RUN(cache_prefix_grows_with_the_transcript);
    RUN(prefix_state_is_kept_on_disk_and_bad_files_are_misses);
    RUN(grammar_checks_the_chosen_token_first);
    RUN(grammar_sampling_equals_llama_grammar_first);
    RUN(deferred_repack_only_before_a_big_evaluation);
    RUN(a_sibling_context_keeps_its_own_prefix_beside_the_base);
    return test_summary();
}
