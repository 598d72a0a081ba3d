/* cmd_tasks.c: parley summarize | notes | ask | suggest SESSION: the meeting tasks of
 * tasks.h, streamed to the terminal as the model writes, stored in the session. */
#include "cli.h"

#include <parley/catalog.h>
#include <parley/llm.h>
#include <parley/remote.h>
#include <parley/settings.h>
#include <parley/store.h>
#include <parley/tasks.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

typedef enum task_kind { TASK_SUMMARY, TASK_NOTES, TASK_ASK, TASK_SUGGEST } task_kind;

static const char *const names[] = {"summarize", "notes", "ask", "suggest"};

static const char common_help[] =
    "  --model PATH|ID     GGUF model file, or an id looked up as ID.gguf in the models\n"
    "                      directory and $PARLEY_MODEL_PATH (default: the only .gguf there)\n"
    "  --ctx N             context size in tokens (default 8192); a transcript that does not\n"
    "                      fit is summarised in parts and merged, and the output says so\n"
    "  --threads N         CPU threads (default: all cores)\n"
    "  --template NAME     chat template for a model without one (chatml, llama3, gemma, ...)\n"
    "  --max-tokens N      most tokens of one answer (default: the task's)\n"
    "  --chunk-tokens N    transcript tokens per part when working in parts (default: what fits)\n"
    "  --item-chars N      summary/suggestions: most characters of one item (default 200)\n"
    "  --max-items N       summary: most entries in each list (default 8)\n"
    "  --lang LANG         summary/notes/suggestions: write in LANG (a code like de, or a name);\n"
    "                      default: the session's detected language\n"
    "  --json              print one JSON object (content, stats, meta) instead of streaming\n"
    "  --no-gpu            run on the CPU even when ggml has a GPU backend\n"
    "  --remote NAME       run on the team server NAME ('parley remote add'); with a default\n"
    "                      set ('parley remote default NAME') that server is used unless\n"
    "                      --local is given. Never a fallback: a server's failure is an error,\n"
    "                      nothing runs locally instead. --model then names the served model\n"
    "                      (vLLM needs it), --ctx the server's context size (budgets are\n"
    "                      estimated at 4 bytes per token: the tokenizer is on the server)\n"
    "  --local             run on this device even when a default team server is set\n"
    "  --timeout S         remote: give up when the server sends nothing for S seconds (60)\n"
    "The evaluated transcript is kept in the cache directory (state/) so that the next\n"
    "question on the same meeting starts at once; PARLEY_STATE_CACHE_MB caps its size\n"
    "(default 4096; 0 keeps nothing).\n";

static const char ask_help[] =
    "  --no-history        leave the earlier questions and answers out of this question\n"
    "  --clear             delete the session's chat history (with a question: before asking it)\n";

typedef struct opts {
    task_kind kind;
    int64_t session;
    const char *model, *tmpl, *question, *lang, *remote;
    long ctx, threads, max_tokens, chunk_tokens, item_chars, max_items, timeout;
    bool json, no_gpu, no_history, clear, local;
} opts;

static void usage_of(task_kind k, char *out, size_t n)
{
    snprintf(out, n,
             "parley %s SESSION%s [--model PATH|ID] [--ctx N] [--threads N] [--template NAME]\n"
             "        [--max-tokens N] [--chunk-tokens N] [--item-chars N] [--max-items N] [--lang LANG]\n"
             "        [--json] [--no-gpu] [--remote NAME | --local] [--timeout S]%s",
             names[k], k == TASK_ASK ? " [\"QUESTION\"]" : "", k == TASK_ASK ? " [--no-history] [--clear]" : "");
}

static bool parse_num(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (!v || !*v)
        return false;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*end || errno || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

/* Returns -1 to go on, else the exit code. */
static int parse(task_kind k, int argc, char **argv, opts *o)
{
    char usage[1024];
    usage_of(k, usage, sizeof usage);
    memset(o, 0, sizeof *o);
    o->kind = k;
    o->ctx = 8192;
    const char *v = NULL, *sid = NULL;
    struct {
        const char *name;
        long lo, hi;
        long *dst;
    } nums[] = {{"--ctx", 64, 1 << 20, &o->ctx},
                {"--threads", 1, 256, &o->threads},
                {"--max-tokens", 1, 1 << 20, &o->max_tokens},
                {"--chunk-tokens", 16, 1 << 20, &o->chunk_tokens},
                {"--item-chars", 1, 4096, &o->item_chars},
                {"--max-items", 1, 64, &o->max_items},
                {"--timeout", 1, 86400, &o->timeout}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool done = false;
        for (size_t j = 0; j < sizeof nums / sizeof nums[0] && !done; j++) {
            if (cli_opt(argc, argv, &i, nums[j].name, &v)) {
                if (!parse_num(v, nums[j].lo, nums[j].hi, nums[j].dst))
                    return cli_usage_error(usage, "%s needs a number from %ld to %ld", nums[j].name, nums[j].lo,
                                           nums[j].hi);
                done = true;
            }
        }
        if (done)
            continue;
        if (cli_flag(a, "--help") || cli_flag(a, "-h")) {
            printf("usage: %s\n\n", usage);
            if (k == TASK_SUMMARY)
                printf("Summarises a stored session: title, overview, key points, decisions, action items\n"
                       "and open questions (JSON through a grammar, shown as Markdown; both stored).\n\n");
            else if (k == TASK_NOTES)
                printf("Writes detailed Markdown notes of a session by topic, citing [HH:MM:SS] (stored).\n\n");
            else if (k == TASK_ASK)
                printf("Answers a question about a session from its transcript, citing segment times; earlier\n"
                       "questions and answers are kept as context. Without a question on a terminal: an\n"
                       "interactive chat (an empty line or end of input ends it).\n\n");
            else
                printf("Suggests 1-3 short things to say or ask next (stored).\n\n");
            printf("%s", common_help);
            if (k == TASK_ASK)
                printf("%s", ask_help);
            return 0;
        } else if (cli_opt(argc, argv, &i, "--model", &v) || cli_opt(argc, argv, &i, "-m", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--model needs a value");
            o->model = v;
        } else if (cli_opt(argc, argv, &i, "--remote", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--remote needs a server name (see 'parley remote list')");
            o->remote = v;
        } else if (cli_flag(a, "--local")) {
            o->local = true;
        } else if (cli_opt(argc, argv, &i, "--template", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--template needs a value");
            o->tmpl = v;
        } else if (cli_opt(argc, argv, &i, "--lang", &v)) {
            if (!v || !*v || strlen(v) > 40)
                return cli_usage_error(usage, "--lang needs a language code or name (up to 40 characters)");
            o->lang = v;
        } else if (k == TASK_ASK && cli_flag(a, "--no-history")) {
            o->no_history = true;
        } else if (k == TASK_ASK && cli_flag(a, "--clear")) {
            o->clear = true;
        } else if (cli_flag(a, "--json")) {
            o->json = true;
        } else if (cli_flag(a, "--no-gpu")) {
            o->no_gpu = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(usage, "unknown option %s", a);
        } else if (!sid) {
            sid = a;
        } else if (k == TASK_ASK && !o->question) {
            o->question = a;
        } else {
            return cli_usage_error(usage, "unexpected argument '%s'", a);
        }
    }
    if (!sid)
        return cli_usage_error(usage, "which session? (an id from 'parley sessions list')");
    if (o->remote && o->local)
        return cli_usage_error(usage, "--remote and --local exclude each other");
    char *end;
    errno = 0;
    long long id = strtoll(sid, &end, 10);
    if (*end || errno || id < 1)
        return cli_usage_error(usage, "SESSION must be a session id (a positive number), got '%s'", sid);
    o->session = id;
    if (k == TASK_ASK && o->question && !*o->question)
        return cli_usage_error(usage, "the question is empty");
    if (k == TASK_ASK && o->clear && !o->question)
        return -1; /* --clear alone: clear and stop */
    if (k == TASK_ASK && !o->question && (!isatty(0) || o->json))
        return cli_usage_error(usage, "which question? (give it as an argument; the interactive chat needs a "
                                      "terminal and no --json)");
    return -1;
}

/* What was shown, for the worker-thread callbacks (one task at a time) and the ticker. */
typedef struct show {
    bool progress_tty;   /* stderr is a terminal and stdout is not JSON */
    pthread_mutex_t mu;  /* orders the progress line against the first answer piece */
    bool progress_shown; /* a "Reading the transcript" line is on screen */
    bool reading;        /* the prompt is being evaluated (done < total) */
    int32_t done, total;
    bool streamed;       /* tokens went to stdout */
    bool ends_nl;        /* the last streamed byte was a newline */
    bool stop;           /* the ticker ends */
    double t0;
} show;

/* Call with sh->mu held. */
static void progress_draw(show *sh)
{
    if (!sh->progress_tty || !sh->reading || sh->total <= 0)
        return;
    int pct = (int)((int64_t)sh->done * 100 / sh->total);
    fprintf(stderr, "\r\033[KReading the transcript %d %% (%d of %d tokens, %.0f s)", pct, sh->done, sh->total,
            parley_now() - sh->t0);
    fflush(stderr);
    sh->progress_shown = true;
}

static void progress_clear_locked(show *sh)
{
    if (sh->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        sh->progress_shown = false;
    }
}

static void progress_clear(show *sh)
{
    pthread_mutex_lock(&sh->mu);
    sh->reading = false;
    progress_clear_locked(sh);
    pthread_mutex_unlock(&sh->mu);
}

static bool on_token(const char *text, size_t len, void *ud)
{
    show *sh = ud;
    if (sh->reading || sh->progress_shown)
        progress_clear(sh);
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    if (len) {
        sh->streamed = true;
        sh->ends_nl = text[len - 1] == '\n';
    }
    return true; /* Ctrl-C goes through the cancel flag, which stores nothing */
}

/* "Reading the transcript 43 %" while the model evaluates the prompt: on a terminal only,
 * redrawn after every batch and by the ticker twice a second (the elapsed time moves even
 * inside a long batch), gone when the answer starts. */
static bool on_progress(int32_t done, int32_t total, void *ud)
{
    show *sh = ud;
    pthread_mutex_lock(&sh->mu);
    sh->done = done;
    sh->total = total;
    sh->reading = done < total;
    if (sh->reading)
        progress_draw(sh);
    else
        progress_clear_locked(sh);
    pthread_mutex_unlock(&sh->mu);
    return true;
}

static void *ticker(void *ud)
{
    show *sh = ud;
    for (;;) {
        struct timespec ts = {0, 500 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&sh->mu);
        bool stop = sh->stop;
        if (!stop)
            progress_draw(sh);
        pthread_mutex_unlock(&sh->mu);
        if (stop)
            return NULL;
    }
}

static void on_event(parley_task_event ev, int i, int n, void *ud)
{
    progress_clear(ud);
    if (ev == PARLEY_TASK_EVENT_CHUNK)
        fprintf(stderr, "parley: working in parts: part %d of %d\n", i, n);
    else
        fprintf(stderr, "parley: merging %d partial summaries (round %d)\n", n, i);
}

/* The model a result came from: the local file's name, or for a team server
 * "remote:NAME/MODEL" with server and model apart (from the result's meta label). */
typedef struct made_by {
    const parley_remote *remote; /* NULL = this device */
    char model[1100]; /* a file name (parley_llm_info.path) or remote:NAME/MODEL */
    char server[64], server_model[160];
    uint32_t n_ctx;
} made_by;

static void made_by_result(made_by *m, const struct parley_task_result *r)
{
    if (!m->remote)
        return;
    snprintf(m->server, sizeof m->server, "%s", parley_remote_name(m->remote));
    snprintf(m->server_model, sizeof m->server_model, "%s", parley_remote_model(m->remote));
    yyjson_doc *d = r->meta ? yyjson_read(r->meta, strlen(r->meta), 0) : NULL;
    const char *sm = yyjson_get_str(yyjson_obj_get(yyjson_obj_get(yyjson_doc_get_root(d), "remote"), "model"));
    if (sm && *sm)
        snprintf(m->server_model, sizeof m->server_model, "%s", sm);
    yyjson_doc_free(d);
    snprintf(m->model, sizeof m->model, "remote:%s/%s", m->server, m->server_model);
}

static void print_stats(const char *what, const struct parley_task_result *r, const made_by *mb)
{
    const struct parley_llm_stats *s = &r->stats;
    uint32_t n_ctx = mb->n_ctx;
    if (mb->remote)
        fprintf(stderr, "parley: %s: made by team server '%s' (model %s): %d prompt tokens, %d generated; %.2f s\n",
                what, mb->server, mb->server_model, s->n_evaluated, s->n_generated, s->gen_ms / 1000.0);
    else
        fprintf(stderr, "parley: %s: %d prompt tokens evaluated, %d reused from the cache, %d generated; %.2f s "
                        "prompt, %.2f s generation\n",
                what, s->n_evaluated, s->n_reused, s->n_generated, s->prompt_ms / 1000.0, s->gen_ms / 1000.0);
    if (r->n_chunks > 1)
        fprintf(stderr, "parley: %s: the transcript (%d tokens) is longer than the context (%u tokens): it was "
                        "worked through in %d parts%s (nothing left out)\n",
                what, r->transcript_tokens, n_ctx, r->n_chunks,
                strcmp(what, "summarize") == 0 ? " and merged" : "");
    if (r->first_segment > 0)
        fprintf(stderr, "parley: %s: only the last %zu of %zu segments fit the context (%u tokens) and were used\n",
                what, r->n_segments - r->first_segment, r->n_segments, n_ctx);
    if (r->truncated)
        fprintf(stderr, "parley: %s: the answer reached its token limit and was cut off (stored with a note saying "
                        "so); raise the limit with --max-tokens\n",
                what);
    if (r->n_history_dropped)
        fprintf(stderr, "parley: %s: the %zu oldest earlier chat message(s) no longer fit the context (%u tokens) and "
                        "were left out\n",
                what, r->n_history_dropped, n_ctx);
}

static void add_stats(yyjson_mut_doc *doc, yyjson_mut_val *o, const struct parley_task_result *r)
{
    yyjson_mut_val *s = yyjson_mut_obj_add_obj(doc, o, "stats");
    yyjson_mut_obj_add_int(doc, s, "prompt_tokens", r->stats.n_evaluated);
    yyjson_mut_obj_add_int(doc, s, "reused_tokens", r->stats.n_reused);
    yyjson_mut_obj_add_int(doc, s, "output_tokens", r->stats.n_generated);
    yyjson_mut_obj_add_real(doc, s, "prompt_ms", r->stats.prompt_ms);
    yyjson_mut_obj_add_real(doc, s, "gen_ms", r->stats.gen_ms);
    yyjson_mut_obj_add_int(doc, o, "chunks", r->n_chunks);
    yyjson_mut_obj_add_bool(doc, o, "truncated", r->truncated);
    yyjson_mut_obj_add_int(doc, o, "history_dropped", (int64_t)r->n_history_dropped);
    yyjson_mut_obj_add_int(doc, o, "transcript_tokens", r->transcript_tokens);
    if (r->meta) {
        yyjson_doc *m = yyjson_read(r->meta, strlen(r->meta), 0);
        if (m)
            yyjson_mut_obj_add_val(doc, o, "meta", yyjson_val_mut_copy(doc, yyjson_doc_get_root(m)));
        yyjson_doc_free(m);
    }
}

static int print_json(const opts *o, const struct parley_task_result *r, const made_by *mb)
{
    const char *model = mb->model;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_int(doc, root, "session", o->session);
    yyjson_mut_obj_add_str(doc, root, "task", names[o->kind]);
    yyjson_mut_obj_add_strcpy(doc, root, "model", model);
    if (mb->remote) {
        yyjson_mut_val *ro = yyjson_mut_obj_add_obj(doc, root, "remote");
        yyjson_mut_obj_add_strcpy(doc, ro, "server", mb->server);
        yyjson_mut_obj_add_strcpy(doc, ro, "model", mb->server_model);
    } else {
        yyjson_mut_obj_add_null(doc, root, "remote");
    }
    yyjson_mut_obj_add_int(doc, root, "artifact_id", r->artifact_id);
    if (r->json) {
        yyjson_doc *c = yyjson_read(r->json, strlen(r->json), 0);
        if (c)
            yyjson_mut_obj_add_val(doc, root, "content", yyjson_val_mut_copy(doc, yyjson_doc_get_root(c)));
        yyjson_doc_free(c);
    }
    if (o->kind == TASK_SUMMARY) {
        yyjson_mut_obj_add_int(doc, root, "markdown_artifact_id", r->artifact_id_md);
        yyjson_mut_obj_add_strcpy(doc, root, "markdown", r->text);
    } else if (o->kind == TASK_NOTES) {
        yyjson_mut_obj_add_strcpy(doc, root, "markdown", r->text);
    } else if (o->kind == TASK_ASK) {
        yyjson_mut_obj_add_strcpy(doc, root, "question", o->question);
        yyjson_mut_obj_add_strcpy(doc, root, "answer", r->text);
    }
    add_stats(doc, root, r);
    size_t len;
    char *s = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, &len);
    yyjson_mut_doc_free(doc);
    if (!s) {
        fprintf(stderr, "parley: %s: out of memory\n", names[o->kind]);
        return 1;
    }
    int rc = 0;
    if (fwrite(s, 1, len, stdout) != len || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "parley: %s: writing standard output failed: %s\n", names[o->kind], strerror(errno));
        rc = 1;
    }
    free(s);
    return rc;
}

static parley_status run_task(const opts *o, parley_llm *llm, parley_store *db, const char *question,
                              struct parley_task_params *tp, struct parley_task_result *r)
{
    switch (o->kind) {
    case TASK_SUMMARY:
        return parley_task_summarize(llm, db, o->session, tp, r);
    case TASK_NOTES:
        return parley_task_notes(llm, db, o->session, tp, r);
    case TASK_ASK:
        return parley_task_ask(llm, db, o->session, question, tp, r);
    case TASK_SUGGEST:
        return parley_task_suggest(llm, db, o->session, tp, r);
    }
    return PARLEY_ERR_INVALID_ARG;
}

/* One task (or one chat turn): streamed unless --json, then the stats line. */
static int one(const opts *o, parley_llm *llm, parley_remote *remote, parley_store *db, const char *question)
{
    const char *what = names[o->kind];
    struct parley_task_params tp = parley_task_default_params();
    tp.max_tokens = (int32_t)o->max_tokens;
    tp.chunk_tokens = (int32_t)o->chunk_tokens;
    tp.item_chars = (int32_t)o->item_chars;
    tp.max_items = (int32_t)o->max_items;
    /* The vocabulary setting (names and terms) reaches the model's rules. */
    struct parley_settings set;
    char vocab[PARLEY_SETTINGS_VOCAB_MAX] = "";
    if (parley_settings_load(NULL, &set) == PARLEY_OK)
        parley_settings_vocabulary_line(&set, vocab, sizeof vocab);
    else
        fprintf(stderr, "parley: %s: warning: the settings are not used: %s\n", what, parley_last_error());
    tp.vocabulary = vocab[0] ? vocab : NULL;
    show sh;
    memset(&sh, 0, sizeof sh);
    sh.progress_tty = isatty(2) && !o->json;
    sh.t0 = parley_now();
    pthread_mutex_init(&sh.mu, NULL);
    pthread_t tick;
    bool ticking = sh.progress_tty && pthread_create(&tick, NULL, ticker, &sh) == 0;
    tp.on_token = o->json ? NULL : on_token;
    tp.on_event = on_event;
    tp.on_progress = on_progress;
    tp.user_data = &sh;
    tp.cancel = cli_cancel;
    tp.language = o->lang;
    tp.no_history = o->no_history;
    tp.remote = remote;
    if (remote && !o->json) {
        fprintf(stderr, "[remote: %s] ", parley_remote_name(remote)); /* before anything it makes */
        fflush(stderr);
    }
    struct parley_task_result r;
    parley_status st = run_task(o, llm, db, question, &tp, &r);
    if (ticking) {
        pthread_mutex_lock(&sh.mu);
        sh.stop = true;
        pthread_mutex_unlock(&sh.mu);
        pthread_join(tick, NULL);
    }
    progress_clear(&sh);
    pthread_mutex_destroy(&sh.mu);
    if (st == PARLEY_ERR_CANCELLED) {
        fflush(stdout);
        fprintf(stderr, "\ncancelled\n");
        parley_task_result_clear(&r);
        return cli_exit_code_for_cancel();
    }
    if (st) {
        if (sh.streamed && !sh.ends_nl)
            fputc('\n', stdout); /* end the partial line; nothing on stdout otherwise */
        if (remote && !o->json)
            fputc('\n', stderr); /* after "[remote: NAME] " */
        int rc = cli_error(st, what);
        if (st == PARLEY_ERR_NO_TEMPLATE)
            fprintf(stderr, "parley: %s: pass --template NAME (chatml, llama3, gemma, ...) for a model without "
                            "a chat template; nothing was stored\n", what);
        return rc;
    }
    made_by mb;
    memset(&mb, 0, sizeof mb);
    mb.remote = remote;
    if (remote) {
        mb.n_ctx = parley_remote_n_ctx(remote);
        made_by_result(&mb, &r);
    } else {
        const struct parley_llm_info *info = parley_llm_info(llm);
        mb.n_ctx = info->n_ctx;
        snprintf(mb.model, sizeof mb.model, "%s", strrchr(info->path, '/') ? strrchr(info->path, '/') + 1 : info->path);
    }
    int rc = 0;
    if (o->json) {
        opts oq = *o;
        oq.question = question;
        rc = print_json(&oq, &r, &mb);
    } else {
        if (o->kind == TASK_SUMMARY)
            printf("\n\n%s", r.text); /* the JSON streamed; now the Markdown rendering */
        else if (o->kind == TASK_SUGGEST)
            printf("\n\n%s", r.text);
        printf("\n");
        fflush(stdout);
    }
    print_stats(what, &r, &mb);
    if (parley_cancel_is_set(cli_cancel))
        /* Ctrl-C came after the result was complete and stored: it is kept, and said so. */
        fprintf(stderr, "parley: %s: interrupted after the result was stored; it is kept%s\n", what,
                o->kind == TASK_ASK ? "" : " (see 'parley sessions show')");
    parley_task_result_clear(&r);
    return rc;
}

static int run(task_kind k, int argc, char **argv)
{
    opts o;
    int rc = parse(k, argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *what = names[k];
    parley_store *db = NULL;
    parley_llm *llm = NULL;
    parley_remote *remote = NULL;
    parley_transcript t = {0};
    char model_path[PATH_MAX];
    /* Cheap checks first: the session exists, the model is there. */
    parley_status st = parley_store_open(NULL, &db);
    if (!st)
        st = parley_store_get_session(db, o.session, &t);
    if (st) {
        rc = cli_error(st, what);
        goto out;
    }
    if (o.clear) {
        int64_t removed = 0;
        if ((st = parley_store_chat_clear(db, o.session, &removed))) {
            rc = cli_error(st, what);
            goto out;
        }
        fprintf(stderr, "parley: ask: cleared the chat of session %lld (%lld message%s)\n", (long long)o.session,
                (long long)removed, removed == 1 ? "" : "s");
        if (!o.question) {
            rc = 0;
            goto out;
        }
    }
    if (t.n_segments == 0) {
        fprintf(stderr, "parley: %s: session %lld has no transcript segments (nothing was said)\n", what,
                (long long)o.session);
        rc = 1;
        goto out;
    }
    /* A team server: the one named (--remote), else the user's default unless --local.
     * No default is the only case that runs here without being asked; a broken
     * configuration is an error, never a silent switch to this device. */
    if (!o.local) {
        parley_remote_info info;
        st = parley_remote_get(NULL, o.remote, &info);
        if (st == PARLEY_ERR_NOT_FOUND && !o.remote) {
            st = PARLEY_OK; /* no default: this device */
        } else if (!st) {
            struct parley_remote_params rp = parley_remote_default_params();
            rp.model = o.model;
            rp.n_ctx = (uint32_t)o.ctx;
            if (o.timeout > 0)
                rp.idle_timeout_s = (double)o.timeout;
            /* The user named this server (or made it the default): the network gate opens
             * for it, and only it. */
            st = parley_remote_allow(&info);
            if (!st)
                st = parley_remote_open(&info, &rp, &remote);
        }
        if (st) {
            rc = cli_error(st, what);
            goto out;
        }
    }
    if (remote) {
        if (o.tmpl || o.threads || o.no_gpu)
            fprintf(stderr, "parley: %s: --template, --threads and --no-gpu apply to a model on this device; "
                            "server '%s' uses its own settings\n", what, parley_remote_name(remote));
        if (k != TASK_ASK || o.question) {
            rc = one(&o, NULL, remote, db, o.question);
            goto out;
        }
        goto chat; /* no model is loaded here at all */
    }
    /* `parley models local summary=off` (chat, suggest) switches a feature off on this device. */
    static const parley_feature feature[] = {[TASK_SUMMARY] = PARLEY_FEATURE_SUMMARY, [TASK_NOTES] = PARLEY_FEATURE_SUMMARY,
                                             [TASK_ASK] = PARLEY_FEATURE_CHAT, [TASK_SUGGEST] = PARLEY_FEATURE_SUGGEST};
    if ((st = parley_local_feature_allowed(feature[k], NULL))) {
        rc = cli_error(st, what);
        goto out;
    }
    if ((st = parley_llm_model_find(o.model, model_path, sizeof model_path))) {
        rc = cli_error(st, what);
        goto out;
    }
    struct parley_llm_params lp = parley_llm_default_params();
    char state_dir[PATH_MAX];
    if (parley_dir_path(PARLEY_DIR_CACHE, state_dir, sizeof state_dir - 8) == PARLEY_OK) {
        strcat(state_dir, "/state");
        lp.state_dir = state_dir;
    }
    lp.n_ctx = (uint32_t)o.ctx;
    lp.n_threads = (int32_t)o.threads;
    lp.chat_template = o.tmpl;
    lp.n_gpu_layers = o.no_gpu ? 0 : -1;
    /* One task per process: a question on a transcript whose state is cached evaluates a
     * few dozen tokens, and repacking the weights for it would cost more than it saves. */
    lp.defer_repack = true;
    if ((st = parley_llm_load(model_path, lp, &llm))) {
        rc = cli_error(st, what);
        goto out;
    }
    {
        const struct parley_llm_info *in = parley_llm_info(llm);
        if (!in->template_used[0]) {
            /* No usable chat template: that is the error, before any remark on the context. */
            parley_llm_message probe = {"user", "?"};
            char *text = NULL;
            st = parley_llm_format(llm, &probe, 1, true, &text);
            free(text);
            if (st) {
                rc = cli_error(st, what);
                if (st == PARLEY_ERR_NO_TEMPLATE)
                    fprintf(stderr, "parley: %s: pass --template NAME (chatml, llama3, gemma, ...) for a model "
                                    "without a chat template; nothing was stored\n", what);
                goto out;
            }
        }
        if (in->n_ctx != (uint32_t)o.ctx)
            fprintf(stderr, "parley: %s: the context is %u tokens, not the %ld asked for (%s)\n", what, in->n_ctx,
                    o.ctx, in->n_ctx > (uint32_t)o.ctx ? "llama.cpp's minimum" : "what llama.cpp allocated");
        if (in->n_ctx_train > 0 && (int64_t)o.ctx > in->n_ctx_train)
            fprintf(stderr, "parley: %s: --ctx %ld is more than the %d tokens %s was trained on; answers past that "
                            "may degrade\n",
                    what, o.ctx, in->n_ctx_train, strrchr(model_path, '/') ? strrchr(model_path, '/') + 1 : model_path);
    }
    if (k != TASK_ASK || o.question) {
        rc = one(&o, llm, NULL, db, o.question);
        goto out;
    }
chat:
    /* Interactive chat: the model stays loaded and the transcript cached between turns. */
    fprintf(stderr, "Ask about session %lld%s%s%s (empty line or Ctrl-D ends).\n", (long long)o.session,
            remote ? " on team server '" : "", remote ? parley_remote_name(remote) : "", remote ? "'" : "");
    char line[8192];
    for (;;) {
        fprintf(stderr, "> ");
        if (!fgets(line, sizeof line, stdin)) {
            if (parley_cancel_is_set(cli_cancel)) {
                fprintf(stderr, "\ncancelled\n");
                rc = 130;
            } else {
                fputc('\n', stderr);
                rc = 0;
            }
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) {
            rc = 0;
            break;
        }
        rc = one(&o, llm, remote, db, line);
        if (rc != 0)
            break;
    }
out:
    parley_remote_free(remote);
    parley_llm_free(llm);
    parley_transcript_free(&t);
    parley_store_close(db);
    return rc;
}

int cmd_summarize(int argc, char **argv) { return run(TASK_SUMMARY, argc, argv); }
int cmd_notes(int argc, char **argv) { return run(TASK_NOTES, argc, argv); }
int cmd_ask(int argc, char **argv) { return run(TASK_ASK, argc, argv); }
int cmd_suggest(int argc, char **argv) { return run(TASK_SUGGEST, argc, argv); }
