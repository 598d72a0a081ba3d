/* tasks_bench: timings of the meeting tasks (tasks.h) on one model, for bench/tasks.sh.
 *
 *   tasks_bench --model FILE --db FILE [--tokens N] [--minutes M] [--ctx N] [--threads N]
 *               [--steps suggest,suggest,summary]
 *
 * Makes a synthetic meeting transcript of about N tokens (in this model's tokenizer)
 * spread over M minutes, stores it as a session, loads the model once and runs the steps
 * in order on the same engine (so the transcript prefix cached by the first step is
 * reused by the later ones). Prints "key value" lines per step:
 *   step<i>.task, .prompt_tokens (evaluated), .reused_tokens, .output_tokens, .prompt_ms,
 *   .gen_ms, .total_ms, .chunks, .text
 * plus transcript.tokens, transcript.segments. */
#include <parley/llm.h>
#include <parley/store.h>
#include <parley/tasks.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sentences[] = {
    "Let us look at the numbers for the third quarter before we decide anything.",
    "The supplier said the parts would arrive two weeks late, which moves the launch.",
    "I can take the action to call them tomorrow and ask for a firm date.",
    "Marketing needs the final copy by Thursday so they can book the ads.",
    "We agreed last time that the budget would not grow beyond what finance approved.",
    "Does anyone know whether the new hire starts on Monday or the week after?",
    "The customer survey shows most people want a cheaper plan, not more features.",
    "Let us park the pricing question and come back to it when we have the data.",
    "Priya will draft the announcement and share it with the team on Friday.",
    "The test environment was down for half a day, so the release slipped.",
};
static const char *speakers[] = {"Dana", "Ravi", "Priya", "Tom"};

int main(int argc, char **argv)
{
    const char *model = NULL, *dbp = NULL, *steps = "suggest,suggest,summary";
    long tokens = 7000, minutes = 30, n_ctx = 8192, threads = 2, item_chars = 20, max_items = 1, notes_tokens = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            goto usage;
        if (!strcmp(argv[i], "--model"))
            model = argv[++i];
        else if (!strcmp(argv[i], "--db"))
            dbp = argv[++i];
        else if (!strcmp(argv[i], "--steps"))
            steps = argv[++i];
        else if (!strcmp(argv[i], "--tokens"))
            tokens = atol(argv[++i]);
        else if (!strcmp(argv[i], "--minutes"))
            minutes = atol(argv[++i]);
        else if (!strcmp(argv[i], "--ctx"))
            n_ctx = atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atol(argv[++i]);
        else if (!strcmp(argv[i], "--item-chars"))
            item_chars = atol(argv[++i]);
        else if (!strcmp(argv[i], "--max-items"))
            max_items = atol(argv[++i]);
        else if (!strcmp(argv[i], "--notes-tokens"))
            notes_tokens = atol(argv[++i]);
        else
            goto usage;
    }
    if (!model || !dbp)
        goto usage;
    parley_init();
    struct parley_llm_params lp = parley_llm_default_params();
    lp.n_ctx = (uint32_t)n_ctx;
    lp.n_threads = (int32_t)threads;
    lp.n_gpu_layers = 0;
    parley_llm *llm = NULL;
    parley_store *db = NULL;
    if (parley_llm_load(model, lp, &llm) || parley_store_open(dbp, &db)) {
        fprintf(stderr, "tasks_bench: %s\n", parley_last_error());
        return 1;
    }
    /* The transcript: sentences in turn until it is `tokens` long in this tokenizer. */
    parley_transcript t;
    memset(&t, 0, sizeof t);
    t.title = strdup("benchmark meeting");
    int32_t have = 0;
    for (size_t i = 0; have < tokens; i++) {
        char *line = NULL;
        int32_t k = 0;
        if (parley_transcript_add(&t, 0, 0, sentences[i % 10], speakers[i % 4], -1) ||
            parley_task_render_transcript(&t, i, i + 1, &line) || parley_llm_count_tokens(llm, line, &k)) {
            fprintf(stderr, "tasks_bench: %s\n", parley_last_error());
            return 1;
        }
        free(line);
        have += k;
    }
    double seg_ms = minutes * 60000.0 / (double)t.n_segments;
    for (size_t i = 0; i < t.n_segments; i++) {
        t.segments[i].t0_ms = (int64_t)(i * seg_ms);
        t.segments[i].t1_ms = (int64_t)((i + 1) * seg_ms) - 1;
    }
    t.duration_s = minutes * 60.0;
    int64_t sid = 0;
    if (parley_store_add_session(db, &t, &sid)) {
        fprintf(stderr, "tasks_bench: %s\n", parley_last_error());
        return 1;
    }
    char *all = NULL;
    int32_t total = 0;
    parley_task_render_transcript(&t, 0, t.n_segments, &all);
    parley_llm_count_tokens(llm, all, &total);
    free(all);
    printf("transcript.tokens %d\ntranscript.segments %zu\ntranscript.minutes %ld\n", total, t.n_segments, minutes);
    fflush(stdout);
    parley_transcript_free(&t);

    char list[256];
    snprintf(list, sizeof list, "%s", steps);
    int i = 0, rc = 0;
    for (char *s = strtok(list, ","); s; s = strtok(NULL, ","), i++) {
        struct parley_task_params p = parley_task_default_params();
        p.item_chars = (int32_t)item_chars;
        p.max_items = (int32_t)max_items;
        struct parley_task_result r;
        double t0 = parley_now();
        parley_status st;
        if (!strcmp(s, "suggest"))
            st = parley_task_suggest(llm, db, sid, &p, &r);
        else if (!strcmp(s, "summary"))
            st = parley_task_summarize(llm, db, sid, &p, &r);
        else if (!strcmp(s, "notes")) {
            p.max_tokens = (int32_t)notes_tokens; /* free text: the unconstrained peer of the summary */
            st = parley_task_notes(llm, db, sid, &p, &r);
        }
        else if (!strcmp(s, "clear")) {
            parley_llm_prefix_clear(llm);
            printf("step%d.task clear\n", i);
            continue;
        } else
            st = parley_task_ask(llm, db, sid, "What was decided about the budget?", &p, &r);
        double ms = (parley_now() - t0) * 1000.0;
        printf("step%d.task %s\n", i, s);
        if (st) {
            printf("step%d.error %s: %s\n", i, parley_strerror(st), parley_last_error());
            rc = 1;
            break;
        }
        printf("step%d.prompt_tokens %d\nstep%d.reused_tokens %d\nstep%d.output_tokens %d\n"
               "step%d.prompt_ms %.1f\nstep%d.gen_ms %.1f\nstep%d.total_ms %.1f\nstep%d.chunks %d\n"
               "step%d.resampled %d\nstep%d.state_loaded %d\n",
               i, r.stats.n_evaluated, i, r.stats.n_reused, i, r.stats.n_generated, i, r.stats.prompt_ms, i,
               r.stats.gen_ms, i, ms, i, r.n_chunks, i, r.stats.n_resampled, i, r.stats.n_state_loaded);
        for (char *c = r.json ? r.json : r.text; c && *c; c++)
            if (*c == '\n' || *c == '|')
                *c = ' ';
        printf("step%d.text %.300s\n", i, r.json ? r.json : r.text);
        fflush(stdout);
        parley_task_result_clear(&r);
    }
    parley_llm_free(llm);
    parley_store_close(db);
    return rc;
usage:
    fprintf(stderr, "usage: tasks_bench --model FILE --db FILE [--tokens N] [--minutes M] [--ctx N] [--threads N] "
                    "[--item-chars N] [--max-items N] [--notes-tokens N] [--steps suggest,suggest,summary,notes,ask,clear]\n");
    return 2;
}
