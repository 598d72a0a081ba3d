/* llm_bench: measures Parley's LLM engine through its public API (parley/llm.h), for
 * bench/llm_vs_llama_bench.sh, which runs llama-bench beside it.
 *
 *   llm_bench --model F [--threads N] [--ctx N] MODE...
 *   modes (any combination, run in this order):
 *     --pp N        prompt processing of an N-token prompt (like llama-bench -p N)
 *     --tg N        generation of N tokens after a 1-token prompt (like llama-bench -n N)
 *     --prefix N    cache an N-token "transcript" prefix, then one suggestion of
 *                   --suffix M new prompt tokens and --gen K generated tokens
 *     --cancel N    cancel a prompt of N tokens --cancel-after-ms T into it; latency
 *     --reps R      repetitions of --pp and --tg (default 3; the mean is reported)
 *
 * Prints "key value" lines (tokens/s, ms, counts) on stdout. Prompts are made of
 * ordinary English words so that any vocabulary tokenizes them; lengths are adjusted
 * to the exact token count with the model's tokenizer. */
#include <parley/llm.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *words[] = {"the", "meeting", "starts", "with", "budget", "review", "and", "we",
                              "agreed", "to", "ship", "next", "week", "Alice", "said", "that",
                              "design", "needs", "more", "time", "Bob", "will", "check", "numbers",
                              "before", "Friday", "so", "action", "item", "is", "his", "team"};

static char *text_of_tokens(parley_llm *llm, int32_t want, unsigned seed)
{
    /* want counts the BOS the engine adds when the model wants one */
    size_t cap = (size_t)want * 16 + 64, len = 0;
    char *s = malloc(cap);
    if (!s)
        exit(1);
    s[0] = '\0';
    int32_t bos_extra = 0, n = 0;
    {
        int32_t a = 0, b = 0;
        int32_t dummy[4];
        parley_llm_tokenize(llm, "x", true, dummy, 4, &a);
        parley_llm_tokenize(llm, "x", false, dummy, 4, &b);
        bos_extra = a - b;
    }
    unsigned r = seed;
    for (;;) {
        r = r * 1103515245u + 12345u;
        const char *w = words[(r >> 16) % (sizeof words / sizeof *words)];
        size_t wl = strlen(w);
        if (len + wl + 2 >= cap)
            break;
        if (len)
            s[len++] = ' ';
        memcpy(s + len, w, wl + 1);
        len += wl;
        /* Count every word near the end, every 32 words before that (cheap enough). */
        if (n + bos_extra > want - 40 || (len & 31) == 0) {
            parley_llm_count_tokens(llm, s, &n);
            if (n + bos_extra >= want)
                break;
        }
    }
    /* Trim words until the count is exact (or one under, when a word is 2+ tokens). */
    while (n + bos_extra > want) {
        char *sp = strrchr(s, ' ');
        if (!sp)
            break;
        *sp = '\0';
        parley_llm_count_tokens(llm, s, &n);
    }
    return s;
}

static void die(const char *what, parley_status st)
{
    fprintf(stderr, "llm_bench: %s: %s (%s)\n", what, parley_strerror(st), parley_last_error());
    exit(1);
}

int main(int argc, char **argv)
{
    const char *model = NULL;
    int threads = 2, reps = 3, pp = 0, tg = 0, prefix = 0, suffix = 100, gen = 30, cancel_n = 0;
    int cancel_after_ms = 1000;
    uint32_t ctx = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "llm_bench: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--ctx")) ctx = (uint32_t)atoi(v);
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--pp")) pp = atoi(v);
        else if (!strcmp(a, "--tg")) tg = atoi(v);
        else if (!strcmp(a, "--prefix")) prefix = atoi(v);
        else if (!strcmp(a, "--suffix")) suffix = atoi(v);
        else if (!strcmp(a, "--gen")) gen = atoi(v);
        else if (!strcmp(a, "--cancel")) cancel_n = atoi(v);
        else if (!strcmp(a, "--cancel-after-ms")) cancel_after_ms = atoi(v);
        else {
            fprintf(stderr, "llm_bench: unknown option %s\n", a);
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "usage: llm_bench --model F [--threads N] [--ctx N] [--pp N] [--tg N] "
                        "[--prefix N --suffix M --gen K] [--cancel N --cancel-after-ms T] [--reps R]\n");
        return 2;
    }
    parley_init();
    struct parley_llm_params lp = parley_llm_default_params();
    lp.n_threads = threads;
    lp.n_gpu_layers = 0;
    int need = pp + 8;
    if (tg + 8 > need) need = tg + 8;
    if (prefix + suffix + gen + 8 > need) need = prefix + suffix + gen + 8;
    if (cancel_n + 8 > need) need = cancel_n + 8;
    lp.n_ctx = ctx ? ctx : (uint32_t)need;
    parley_llm *llm;
    double t0 = parley_now();
    parley_status st = parley_llm_load(model, lp, &llm);
    if (st) die("load", st);
    const struct parley_llm_info *in = parley_llm_info(llm);
    printf("llama_version %s\n", parley_llama_version());
    printf("model %s\narch %s\nn_layer %d\nn_params %llu\nfile_bytes %llu\nn_ctx %u\nthreads %d\nload_ms %.0f\n",
           model, in->arch, in->n_layer, (unsigned long long)in->n_params,
           (unsigned long long)in->file_bytes, in->n_ctx, in->n_threads, (parley_now() - t0) * 1000);
    fflush(stdout);

    /* Warm-up, like llama-bench: one short prompt and token, so page faults of the mmap
     * and first-call allocations are not measured. */
    struct parley_llm_request rq = parley_llm_default_request();
    struct parley_llm_result res;
    rq.prompt = "the meeting";
    rq.max_tokens = 1;
    if ((st = parley_llm_generate(llm, &rq, &res))) die("warm-up", st);
    parley_llm_result_clear(&res);

    if (pp) {
        char *p = text_of_tokens(llm, pp + 1, 7); /* prefix_set leaves the last token */
        double sum = 0;
        int n_eval = 0;
        for (int r = 0; r < reps; r++) {
            struct parley_llm_stats s;
            /* prefix_set evaluates exactly the prompt and generates nothing; clearing first
             * makes every repetition start from an empty cache like llama-bench's. */
            parley_llm_prefix_clear(llm);
            if ((st = parley_llm_prefix_set(llm, p, NULL, &s))) die("pp", st);
            sum += s.prompt_tps;
            n_eval = s.n_evaluated;
        }
        parley_llm_prefix_clear(llm);
        printf("pp_tokens %d\npp_tps %.3f\n", n_eval, sum / reps);
        fflush(stdout);
        free(p);
    }
    if (tg) {
        double sum = 0;
        int ngen = 0;
        for (int r = 0; r < reps; r++) {
            rq = parley_llm_default_request();
            rq.prompt = "the";
            /* tg+1 tokens = exactly tg decodes (the last sampled token is not decoded);
             * the rate counts the decodes, like llama-bench. ignore_eog: a random-weight
             * stand-in may pick end-of-turn early. */
            rq.max_tokens = tg + 1;
            rq.ignore_eog = true;
            if ((st = parley_llm_generate(llm, &rq, &res))) die("tg", st);
            ngen = res.stats.n_generated - 1;
            sum += ngen * 1000.0 / res.stats.gen_ms;
            parley_llm_result_clear(&res);
        }
        printf("tg_tokens %d\ntg_tps %.3f\n", ngen, sum / reps);
        fflush(stdout);
    }
    if (prefix) {
        char *p = text_of_tokens(llm, prefix + 1, 11);
        struct parley_llm_stats s;
        parley_llm_prefix_clear(llm);
        double a = parley_now();
        if ((st = parley_llm_prefix_set(llm, p, NULL, &s))) die("prefix", st);
        double scratch_ms = (parley_now() - a) * 1000;
        printf("prefix_tokens %d\nprefix_ms %.1f\nprefix_tps %.3f\n", s.n_evaluated, scratch_ms, s.prompt_tps);
        fflush(stdout);
        /* The suggestion: the transcript plus about `suffix` tokens of instruction. */
        char *tail = text_of_tokens(llm, suffix, 13);
        size_t l = strlen(p) + strlen(tail) + 4;
        char *full = malloc(l);
        snprintf(full, l, "%s %s", p, tail);
        rq = parley_llm_default_request();
        rq.prompt = full;
        rq.max_tokens = gen;
        rq.ignore_eog = true;
        a = parley_now();
        if ((st = parley_llm_generate(llm, &rq, &res))) die("suggestion", st);
        double sug_ms = (parley_now() - a) * 1000;
        printf("suggest_prompt_tokens %d\nsuggest_reused %d\nsuggest_evaluated %d\nsuggest_generated %d\n"
               "suggest_prompt_ms %.1f\nsuggest_gen_ms %.1f\nsuggest_ms %.1f\nsuggest_vs_scratch %.4f\n",
               res.stats.n_prompt, res.stats.n_reused, res.stats.n_evaluated, res.stats.n_generated,
               res.stats.prompt_ms, res.stats.gen_ms, sug_ms, sug_ms / scratch_ms);
        fflush(stdout);
        parley_llm_result_clear(&res);
        free(full);
        free(tail);
        free(p);
        parley_llm_prefix_clear(llm);
    }
    if (cancel_n) {
        char *p = text_of_tokens(llm, cancel_n, 17);
        double worst = 0, sum = 0;
        int n = 3;
        for (int r = 0; r < n; r++) {
            parley_cancel *cancel = parley_cancel_new();
            rq = parley_llm_default_request();
            rq.prompt = p;
            rq.max_tokens = 4;
            rq.cancel = cancel;
            parley_llm_job *job;
            if ((st = parley_llm_start(llm, &rq, &job))) die("cancel start", st);
            /* A different point in the prompt each time, also inside a batch. */
            usleep((useconds_t)(cancel_after_ms + r * 337) * 1000u);
            double a = parley_now();
            parley_cancel_set(cancel);
            st = parley_llm_job_wait(job, &res);
            double ms = (parley_now() - a) * 1000;
            if (st != PARLEY_ERR_CANCELLED) {
                fprintf(stderr, "llm_bench: cancel: got %s (the prompt finished first? raise --cancel)\n",
                        parley_strerror(st));
                exit(1);
            }
            printf("cancel_at_tokens %d/%d\n", res.stats.n_evaluated, res.stats.n_prompt);
            parley_llm_result_clear(&res);
            sum += ms;
            if (ms > worst)
                worst = ms;
            /* usable right after */
            rq = parley_llm_default_request();
            rq.prompt = "the meeting";
            rq.max_tokens = 2;
            if ((st = parley_llm_generate(llm, &rq, &res))) die("after cancel", st);
            parley_llm_result_clear(&res);
            parley_cancel_free(cancel);
        }
        printf("cancel_ms_mean %.1f\ncancel_ms_max %.1f\n", sum / n, worst);
        free(p);
    }
    parley_llm_free(llm);
    return 0;
}
