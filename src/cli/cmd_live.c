/* cmd_live.c: `parley live` (a meeting as it happens: transcript, notes, status line) and
 * `parley sessions recover` (finishing meetings whose process died). A thin loop over
 * live.h: it drains the meeting's event bus, reads typed lines from the terminal and
 * draws; everything else is the library's. */
#include "cli.h"

#include <parley/asr.h>
#include <parley/catalog.h>
#include <parley/events.h>
#include <parley/live.h>
#include <parley/remote.h>
#include <parley/settings.h>
#include <yyjson.h>
#include <parley/tasks.h>

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *usage =
    "parley live [--mic SOURCE] [--system SOURCE | --no-system] [--title T] [--duration SECONDS]\n"
    "            [--asr-model PATH|ID] [--vad-model PATH] [--model PATH|ID [--template NAME] [--ctx N]]\n"
    "            [--remote NAME | --local] [--timeout S]\n"
    "            [--suggest | --no-suggest] [--suggest-interval S] [--on-battery slow|pause|ignore]\n"
    "            [--summary [--draft-every N] [--item-chars N] [--max-items N]]\n"
    "            [--input FILE [--speed N]] [--language CODE] [--vocabulary WORDS] [--full-window]\n"
    "            [--repass MODEL] [--threads N] [--no-keep-audio] [--no-recover] [--json]";

static const char *help_text =
    "Records a meeting: your microphone (Me) and the computer's sound (Them: the other side of\n"
    "a call), transcribed as people speak and stored as a session. Both streams are journaled\n"
    "to disk first: a crash or kill loses at most one second, and the next `parley live` (or\n"
    "`parley sessions recover`) finishes the interrupted meeting from its journal.\n\n"
    "Type a line and press Enter to add a note at that moment (stored with its time); a line\n"
    "starting with '?' is a question to the assistant about the meeting so far, and a line\n"
    "'!' asks it for a suggestion of what to say now, also without --suggest (both need\n"
    "--model, or a team server).\n"
    "Ctrl-C or SIGTERM stops: the rest is transcribed, the session stored and finished (exit\n"
    "130 / 143); a second Ctrl-C skips transcribing the backlog (the audio stays recorded).\n\n"
    "  --mic SOURCE        microphone (see `parley devices`; default: the default input)\n"
    "  --system SOURCE     system audio source (default: the monitor of the default output)\n"
    "  --no-system         record the microphone only\n"
    "  --title T           the session's title\n"
    "  --duration SECONDS  stop by itself after this long\n"
    "  --asr-model PATH|ID whisper model (default: the largest installed)\n"
    "  --vad-model PATH    Silero VAD model (default: ggml-silero-*.bin in the models directory)\n"
    "  --model PATH|ID     LLM for the assistant: questions, suggestions, the summary (the\n"
    "                      transcript stays warm in its cache as the meeting goes on)\n"
    "  --template NAME     chat template for a model without one (chatml, llama3, ...)\n"
    "  --ctx N             the LLM's context in tokens (default 8192)\n"
    "  --remote NAME       run the assistant (questions, suggestions, the summary at stop) on the\n"
    "                      team server NAME ('parley remote add'); with a default set ('parley\n"
    "                      remote default NAME') that server is used unless --local is given.\n"
    "                      Speech recognition stays on this device: no audio is sent, only the\n"
    "                      transcript so far with each request (no warm cache on a server).\n"
    "                      Never a fallback: a server's failure is an error, nothing runs locally\n"
    "                      instead. What it makes is labelled [remote: NAME]. --model then names\n"
    "                      the served model (vLLM needs it), --ctx the server's context size\n"
    "  --local             run the assistant on this device even when a default team server is set\n"
    "  --timeout S         remote: give up when the server sends nothing for S seconds (60)\n"
    "  --suggest, --no-suggest  automatic suggestions of what to say next (default off; they\n"
    "                      keep the CPU/GPU busy)\n"
    "  --suggest-interval S  at least S seconds between suggestions (default 30)\n"
    "  --on-battery slow|pause|ignore  suggestions on battery: a quarter as often, paused, or as\n"
    "                      on mains (default: the battery setting: pause, unless it is normal)\n"
    "  --summary           at stop, make the summary from the warm cache (stored); while the meeting\n"
    "                      goes on, drafts of it are written in idle time, so that stop writes only\n"
    "                      what is new since the last draft\n"
    "  --draft-every N     with --summary: a draft of it every N new transcript tokens (e.g.\n"
    "                      1500), so that stop writes only what is new since; default 0 = none\n"
    "                      (docs/live.md: on a small CPU the drafts can cost more than they save)\n"
    "  --item-chars N, --max-items N   the summary's longest item and most entries per list\n"
    "                      (as for 'parley summarize'; default 200 and 8)\n"
    "  --input FILE        replay a recording as if it were the microphone (demos, tests)\n"
    "  --speed N           replay speed: 1 = real time (default), 0 = as fast as possible\n"
    "  --language CODE     spoken language (default: detected per utterance)\n"
    "  --vocabulary WORDS  names and jargon to expect (whisper's prompt; default: the\n"
    "                      vocabulary setting)\n"
    "  --repass MODEL      after stop, transcribe the recording again with MODEL (a larger\n"
    "                      speech model) and let that replace the live transcript\n"
    "  --full-window       give whisper its full 30 s window for every utterance (slower; by\n"
    "                      default the window is cut to the utterance)\n"
    "  --threads N         CPU threads for transcription (default: all cores, at most 8)\n"
    "  --no-keep-audio     delete the recording once transcribed (default: kept with the session)\n"
    "  --no-recover        do not finish interrupted meetings first\n"
    "  --json              one JSON event per line on stdout (started, segment.final, level,\n"
    "                      backlog, warning, error, note, suggestion, token, answer, progress,\n"
    "                      stopped), nothing drawn; stdin lines are notes/questions as above;\n"
    "                      what a team server made has \"remote\": {\"server\", \"model\"}\n";

static atomic_int live_signal; /* the first stop signal */
static atomic_int live_signals;

static void on_live_signal(int sig)
{
    int n = atomic_fetch_add(&live_signals, 1);
    if (n == 0)
        atomic_store(&live_signal, sig);
    parley_cancel_set(cli_cancel);
    if (n >= 2) {
        static const char msg[] = "\nparley: interrupted three times; exiting now (parley sessions recover finishes it)\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(130);
    }
}

static void fmt_ms(int64_t ms, char *out, size_t n)
{
    int64_t s = ms / 1000;
    if (s >= 3600)
        snprintf(out, n, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
    else
        snprintf(out, n, "%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

struct ui {
    bool json, tty;
    double level[2];       /* dBFS: mic, system */
    double backlog_ms;
    const char *model;
    bool status_drawn;
    int64_t n_segments;
    bool in_answer;
    const char *remote;    /* the team server running the assistant, or NULL */
    /* After stop: what is being finished ("transcribing" the backlog, "reading"/"writing"
     * the summary), since when, and how far. */
    const char *finishing;
    double finish_t0, summary_value;
    char summary_part[40]; /* ", part 2 of 5" while a long transcript is summarised in parts */
    char draft[16];        /* the newest summary draft reaches this far ("HH:MM:SS"); "" = none */
};

/* A team server's label on an event (live.h: source "remote:NAME/MODEL"): the name and
 * model apart; false for anything else. */
static bool remote_label(const parley_event *ev, char *server, size_t sn, char *model, size_t mn)
{
    if (ev->kind == PARLEY_EVENT_LEVEL || ev->kind == PARLEY_EVENT_SEGMENT || !ev->source ||
        strncmp(ev->source, "remote:", 7) != 0)
        return false;
    const char *name = ev->source + 7, *slash = strchr(name, '/');
    size_t k = slash ? (size_t)(slash - name) : strlen(name);
    snprintf(server, sn, "%.*s", (int)(k < sn ? k : sn - 1), name);
    snprintf(model, mn, "%s", slash ? slash + 1 : "");
    return true;
}

/* --json: the event's line, with "remote": {"server", "model"} when a team server made it. */
static void print_event_json(const parley_event *ev)
{
    char *js;
    if (parley_event_to_json(ev, &js) != PARLEY_OK)
        return;
    char server[64], model[256];
    if (remote_label(ev, server, sizeof server, model, sizeof model)) {
        yyjson_doc *d = yyjson_read(js, strlen(js), 0);
        yyjson_mut_doc *md = d ? yyjson_doc_mut_copy(d, NULL) : NULL;
        yyjson_doc_free(d);
        yyjson_mut_val *root = md ? yyjson_mut_doc_get_root(md) : NULL;
        char *labelled = NULL;
        if (root) {
            yyjson_mut_val *ro = yyjson_mut_obj_add_obj(md, root, "remote");
            yyjson_mut_obj_add_strcpy(md, ro, "server", server);
            yyjson_mut_obj_add_strcpy(md, ro, "model", model);
            labelled = yyjson_mut_write(md, 0, NULL);
        }
        yyjson_mut_doc_free(md);
        if (labelled) {
            free(js);
            js = labelled;
        }
    }
    printf("%s\n", js);
    fflush(stdout);
    free(js);
}

static void clear_status(struct ui *u)
{
    if (u->tty && u->status_drawn) {
        fputs("\r\033[K", stderr);
        u->status_drawn = false;
    }
}

static void meter(double db, char *out, size_t n)
{
    int bars = db <= -60 ? 0 : db >= 0 ? 8 : (int)((db + 60) / 60 * 8);
    size_t k = 0;
    for (int i = 0; i < 8 && k + 1 < n; i++)
        out[k++] = i < bars ? '|' : '.';
    out[k] = 0;
}

static void draw_status(struct ui *u, parley_meeting *m, bool has_system)
{
    if (!u->tty || u->json)
        return;
    char t[32], mic[16], sys[16];
    fmt_ms(parley_meeting_now_ms(m), t, sizeof t);
    meter(u->level[0], mic, sizeof mic);
    meter(u->level[1], sys, sizeof sys);
    char draft[48] = "";
    if (u->draft[0])
        snprintf(draft, sizeof draft, "  summary drafted to %s", u->draft);
    fprintf(stderr, "\r\033[K[%s] mic %s  system %s  backlog %.1f s  %s%s  (type a note + Enter; Ctrl-C stops)", t,
            mic, has_system ? sys : "off", u->backlog_ms / 1000.0, u->model, draft);
    u->status_drawn = true;
}

/* While stop finishes: a line that ticks (the backlog left, then the summary). */
static void draw_finishing(struct ui *u)
{
    if (!u->tty || u->json || !u->finishing)
        return;
    double el = parley_now() - u->finish_t0;
    if (!strcmp(u->finishing, "transcribing"))
        fprintf(stderr, "\r\033[KStopping: transcribing the rest, %.1f s of audio left (%.0f s)", u->backlog_ms / 1000.0,
                el);
    else if (!strcmp(u->finishing, "reading"))
        fprintf(stderr, "\r\033[KSummary%s: reading, %3.0f%% (%.0f s)", u->summary_part, u->summary_value * 100.0, el);
    else
        fprintf(stderr, "\r\033[KSummary%s: writing, %.0f tokens (%.0f s)", u->summary_part, u->summary_value, el);
    u->status_drawn = true;
}

static void show_event(struct ui *u, const parley_event *ev)
{
    if (u->json) {
        if (ev->kind == PARLEY_EVENT_LEVEL && !getenv("PARLEY_LIVE_LEVELS"))
            return; /* five a second per stream: only on request */
        print_event_json(ev);
        return;
    }
    char t[32], server[64], model[256];
    /* "[remote: NAME] " before what a team server made (live.h labels its events). */
    char tag[96] = "";
    if (remote_label(ev, server, sizeof server, model, sizeof model))
        snprintf(tag, sizeof tag, "[remote: %s] ", server);
    switch (ev->kind) {
    case PARLEY_EVENT_LEVEL:
        u->level[ev->source && !strcmp(ev->source, "system") ? 1 : 0] = ev->value;
        break;
    case PARLEY_EVENT_BACKLOG:
        u->backlog_ms = ev->value;
        break;
    case PARLEY_EVENT_SEGMENT:
        clear_status(u);
        fmt_ms(ev->t0_ms, t, sizeof t);
        printf("[%s] %-4s %s\n", t, ev->speaker ? ev->speaker : "", ev->text ? ev->text : "");
        fflush(stdout);
        u->n_segments++;
        break;
    case PARLEY_EVENT_NOTE:
        clear_status(u);
        fmt_ms(ev->t0_ms, t, sizeof t);
        printf("[%s] note: %s\n", t, ev->text ? ev->text : "");
        fflush(stdout);
        break;
    case PARLEY_EVENT_SUGGESTION:
        clear_status(u);
        printf("  >> %ssuggestion: %s\n", tag, ev->text ? ev->text : "");
        fflush(stdout);
        break;
    case PARLEY_EVENT_TOKEN:
        clear_status(u);
        if (!u->in_answer)
            fputs(tag, stdout); /* the answer's first piece */
        fputs(ev->text ? ev->text : "", stdout);
        fflush(stdout);
        u->in_answer = true;
        break;
    case PARLEY_EVENT_ANSWER:
        if (!u->in_answer) {
            clear_status(u);
            printf("%s%s", tag, ev->text ? ev->text : "");
        }
        printf("\n");
        fflush(stdout);
        u->in_answer = false;
        break;
    case PARLEY_EVENT_PROGRESS:
        if (ev->text && !strcmp(ev->text, "repass") && u->tty) {
            fprintf(stderr, "\r\033[KTranscribing again with %s: %3.0f%% (Ctrl-C keeps the live transcript)",
                    u->model, ev->value * 100.0);
            u->status_drawn = true;
        } else if (ev->text && !strcmp(ev->text, "summarizing")) {
            const char *d = ev->detail ? ev->detail : "";
            if (!strncmp(d, "part ", 5) || !strncmp(d, "merging ", 8)) { /* map-reduce: where it is */
                snprintf(u->summary_part, sizeof u->summary_part, ", %s", d);
            } else {
                const char *phase = !strcmp(d, "writing") ? "writing" : "reading";
                if (!u->finishing || strcmp(u->finishing, phase)) {
                    u->finishing = phase;
                    u->finish_t0 = parley_now();
                }
                u->summary_value = strcmp(phase, "writing") ? ev->value : ev->value2;
            }
        } else if (ev->text && !strcmp(ev->text, "summary draft")) {
            snprintf(u->draft, sizeof u->draft, "%s", ev->detail ? ev->detail : "");
        } else if (ev->text && !strcmp(ev->text, "summary") && ev->detail) {
            clear_status(u);
            printf("\n%s%s%s\n", tag, tag[0] ? "\n" : "", ev->detail);
            fflush(stdout);
        }
        break;
    case PARLEY_EVENT_WARNING:
    case PARLEY_EVENT_ERROR:
        clear_status(u);
        fprintf(stderr, "parley: %s%s%s\n", tag, ev->kind == PARLEY_EVENT_WARNING ? "WARNING: " : "error: ",
                ev->text ? ev->text : "");
        break;
    case PARLEY_EVENT_STARTED:
        clear_status(u);
        fprintf(stderr, "Recording \"%s\" (session %lld). Microphone: %s; system audio: %s.\n",
                ev->text && ev->text[0] ? ev->text : "meeting", (long long)ev->session_id, ev->source ? ev->source : "-",
                ev->detail ? ev->detail : "OFF");
        break;
    default:
        break;
    }
}

/* Drains the bus; returns events read. */
static int drain(struct ui *u, parley_bus_reader *rd)
{
    parley_event ev;
    int n = 0;
    while (parley_bus_read(rd, &ev)) {
        show_event(u, &ev);
        n++;
    }
    return n;
}

/* Automatic suggestions keep the CPU/GPU busy: said once per user (a marker file in the
 * config directory). */
static void suggest_notice(void)
{
    char dir[4096], path[4200];
    if (parley_dir_path(PARLEY_DIR_CONFIG, dir, sizeof dir) != PARLEY_OK)
        return;
    snprintf(path, sizeof path, "%s/suggest-notice-shown", dir);
    if (access(path, F_OK) == 0)
        return;
    fprintf(stderr, "parley: note: automatic suggestions run the language model on this computer every so often "
                    "during the meeting. That keeps the CPU/GPU busy and can slow the computer down; on battery "
                    "they slow down (--on-battery pause stops them). This notice is shown once.\n");
    for (char *p = dir + 1;; p++) { /* mkdir -p */
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return;
            *p = c;
            if (!c)
                break;
        }
    }
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static int find_models(const char *asr_spec, const char *vad_spec, char *asr_path, size_t an, char *vad_path,
                       size_t vn)
{
    parley_status st = parley_model_find("whisper", asr_spec, asr_path, an);
    if (st != PARLEY_OK)
        return cli_error(st, "finding the speech model");
    st = parley_model_find("vad", vad_spec, vad_path, vn);
    if (st != PARLEY_OK)
        return cli_error(st, "finding the VAD model (live transcription needs Silero VAD)");
    return 0;
}

static int recover_all(struct parley_meeting_params *mp, bool quiet, bool json)
{
    int n = 0;
    if (!quiet)
        fprintf(stderr, "Finishing meetings that were interrupted...\n");
    parley_status st = parley_meeting_recover(mp, cli_cancel, &n);
    if (st != PARLEY_OK)
        return cli_error(st, "recovering interrupted meetings");
    if (json)
        printf("{\"recovered\":%d}\n", n);
    if (n > 0 || !quiet)
        fprintf(stderr, "Recovered %d interrupted meeting%s (see parley sessions list).\n", n, n == 1 ? "" : "s");
    return 0;
}

static void repass(const struct parley_meeting_params *mp, const char *model_path, int64_t id, bool json);

/* The team server running the assistant (--remote, or the default): opened in live_main,
 * freed by cmd_live once the meeting is over, whichever way live_main returned. */
static parley_remote *live_remote;

/* parley_meeting_stop on a thread while this one keeps reading the bus: the backlog's
 * segments and the summary's progress show as they come (and the ring, read all along,
 * never overruns however long the backlog is). */
struct stop_job {
    parley_meeting *m;
    parley_status st;
    char error[1024];
    atomic_int done;
};

static void *stop_main(void *arg)
{
    struct stop_job *j = arg;
    j->st = parley_meeting_stop(j->m, cli_cancel);
    if (j->st != PARLEY_OK)
        snprintf(j->error, sizeof j->error, "%s", parley_last_error());
    atomic_store(&j->done, 1);
    return NULL;
}

static parley_status finish_meeting(struct ui *u, parley_meeting *m, parley_bus_reader *rd, char *err, size_t errn)
{
    struct stop_job j = {.m = m};
    u->finishing = "transcribing";
    u->finish_t0 = parley_now();
    pthread_t th;
    if (pthread_create(&th, NULL, stop_main, &j) != 0) { /* no thread: stop here, quietly */
        parley_status st = parley_meeting_stop(m, cli_cancel);
        drain(u, rd);
        snprintf(err, errn, "%s", st ? parley_last_error() : "");
        return st;
    }
    while (!atomic_load(&j.done)) {
        struct pollfd pf = {.fd = parley_bus_reader_fd(rd), .events = POLLIN};
        poll(&pf, 1, 250);
        drain(u, rd);
        draw_finishing(u);
    }
    pthread_join(th, NULL);
    drain(u, rd);
    clear_status(u);
    u->finishing = NULL;
    snprintf(err, errn, "%s", j.error); /* parley_last_error() is per thread */
    return j.st;
}

static int live_main(int argc, char **argv)
{
    struct parley_meeting_params mp = parley_meeting_default_params();
    const char *asr_spec = NULL, *vad_spec = NULL, *llm_spec = NULL, *v = NULL, *remote_name = NULL;
    double duration = 0, remote_timeout = 0;
    bool json = false, no_recover = false, battery_given = false, local = false, chars = false;
    const char *repass_spec = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\n%s", usage, help_text);
            return 0;
        } else if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_flag(argv[i], "--no-system"))
            mp.no_system = true;
        else if (cli_flag(argv[i], "--no-keep-audio"))
            mp.keep_audio = false;
        else if (cli_flag(argv[i], "--no-recover"))
            no_recover = true;
        else if (cli_flag(argv[i], "--suggest"))
            mp.suggest = true;
        else if (cli_flag(argv[i], "--no-suggest"))
            mp.suggest = false;
        else if (cli_flag(argv[i], "--summary"))
            mp.summarize_at_stop = true;
        else if (cli_opt(argc, argv, &i, "--draft-every", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : -1;
            if (!v || *end || n < 0 || n > 1000000)
                return cli_usage_error(usage, "--draft-every needs a number of tokens (0 = no drafts)");
            mp.summary_draft_tokens = (int)n;
        } else if ((chars = cli_opt(argc, argv, &i, "--item-chars", &v)) || cli_opt(argc, argv, &i, "--max-items", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : -1;
            if (!v || *end || n < 1 || n > (chars ? 4096 : 64))
                return cli_usage_error(usage, chars ? "--item-chars needs a number from 1 to 4096"
                                                    : "--max-items needs a number from 1 to 64");
            *(chars ? &mp.summary_item_chars : &mp.summary_max_items) = (int)n;
        }
        else if (cli_flag(argv[i], "--full-window"))
            mp.full_window = true;
        else if (cli_flag(argv[i], "--local"))
            local = true;
        else if (cli_opt(argc, argv, &i, "--remote", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--remote needs a server name (see 'parley remote list')");
            remote_name = v;
        } else if (cli_opt(argc, argv, &i, "--timeout", &v)) {
            char *end;
            if (!v || (remote_timeout = strtod(v, &end)) <= 0 || remote_timeout > 86400 || *end)
                return cli_usage_error(usage, "--timeout needs a number of seconds from 1 to 86400");
        }
        else if (cli_opt(argc, argv, &i, "--repass", &v)) {
            if (!v)
                return cli_usage_error(usage, "--repass needs a speech model (a path or an id)");
            repass_spec = v;
        }
        else if (cli_opt(argc, argv, &i, "--template", &v)) {
            if (!v)
                return cli_usage_error(usage, "--template needs a value");
            mp.llm_template = v;
        } else if (cli_opt(argc, argv, &i, "--ctx", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : -1;
            if (!v || n < 256 || n > 1048576 || *end)
                return cli_usage_error(usage, "--ctx needs a number of tokens from 256 to 1048576");
            mp.llm_ctx = (int)n;
        } else if (cli_opt(argc, argv, &i, "--suggest-interval", &v)) {
            char *end;
            if (!v || (mp.suggest_interval_s = strtod(v, &end)) <= 0 || *end)
                return cli_usage_error(usage, "--suggest-interval needs a number of seconds > 0");
        } else if (cli_opt(argc, argv, &i, "--on-battery", &v)) {
            battery_given = true;
            if (v && !strcmp(v, "slow"))
                mp.on_battery = PARLEY_LIVE_BATTERY_SLOW;
            else if (v && !strcmp(v, "pause"))
                mp.on_battery = PARLEY_LIVE_BATTERY_PAUSE;
            else if (v && !strcmp(v, "ignore"))
                mp.on_battery = PARLEY_LIVE_BATTERY_IGNORE;
            else
                return cli_usage_error(usage, "--on-battery takes slow, pause or ignore");
        }
        else if (cli_opt(argc, argv, &i, "--mic", &v)) {
            if (!v)
                return cli_usage_error(usage, "--mic needs a source name (see parley devices)");
            mp.mic_source = v;
        } else if (cli_opt(argc, argv, &i, "--system", &v)) {
            if (!v)
                return cli_usage_error(usage, "--system needs a source name (see parley devices)");
            mp.system_source = v;
        } else if (cli_opt(argc, argv, &i, "--title", &v)) {
            if (!v || !v[0])
                return cli_usage_error(usage, "--title needs a value");
            mp.title = v;
        } else if (cli_opt(argc, argv, &i, "--duration", &v)) {
            char *end;
            if (!v || (duration = strtod(v, &end)) <= 0 || *end)
                return cli_usage_error(usage, "--duration needs a number of seconds > 0");
        } else if (cli_opt(argc, argv, &i, "--asr-model", &v)) {
            if (!v)
                return cli_usage_error(usage, "--asr-model needs a value");
            asr_spec = v;
        } else if (cli_opt(argc, argv, &i, "--vad-model", &v)) {
            if (!v)
                return cli_usage_error(usage, "--vad-model needs a value");
            vad_spec = v;
        } else if (cli_opt(argc, argv, &i, "--model", &v) || cli_opt(argc, argv, &i, "-m", &v)) {
            if (!v)
                return cli_usage_error(usage, "--model needs a value");
            llm_spec = v;
        } else if (cli_opt(argc, argv, &i, "--input", &v)) {
            if (!v)
                return cli_usage_error(usage, "--input needs a file");
            mp.input_path = v;
        } else if (cli_opt(argc, argv, &i, "--speed", &v)) {
            char *end;
            if (!v || (mp.speed = strtod(v, &end)) < 0 || *end)
                return cli_usage_error(usage, "--speed needs a number >= 0 (0 = as fast as possible)");
        } else if (cli_opt(argc, argv, &i, "--language", &v)) {
            if (!v)
                return cli_usage_error(usage, "--language needs a value");
            mp.language = v;
        } else if (cli_opt(argc, argv, &i, "--vocabulary", &v)) {
            if (!v)
                return cli_usage_error(usage, "--vocabulary needs a value");
            mp.vocabulary = v;
        } else if (cli_opt(argc, argv, &i, "--threads", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : -1;
            if (!v || n < 0 || n > 64 || *end)
                return cli_usage_error(usage, "--threads needs a number from 0 to 64");
            mp.n_threads = (int)n;
        } else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    if (mp.system_source && mp.no_system)
        return cli_usage_error(usage, "--system and --no-system contradict each other");
    if (mp.speed != 1.0 && !mp.input_path)
        return cli_usage_error(usage, "--speed applies to --input only");
    if (remote_name && local)
        return cli_usage_error(usage, "--remote and --local exclude each other");
    /* A team server: the one named (--remote), else the user's default unless --local. No
     * default is the only case that stays here without being asked; a broken configuration
     * is an error, never a silent switch to this device. */
    parley_remote_info rinfo;
    bool use_remote = false;
    if (!local) {
        parley_status rs = parley_remote_get(NULL, remote_name, &rinfo);
        if (rs == PARLEY_ERR_NOT_FOUND && !remote_name)
            rs = PARLEY_OK; /* no default: the assistant (if any) runs here */
        else if (!rs)
            use_remote = true;
        if (rs)
            return cli_error(rs, "live");
    }
    if (remote_timeout > 0 && !use_remote)
        return cli_usage_error(usage, "--timeout applies to a team server (--remote NAME) only");
    if ((mp.suggest || mp.summarize_at_stop) && !llm_spec && !use_remote)
        return cli_usage_error(usage, "--suggest and --summary need --model (an LLM) or a team server (--remote NAME)");
    if (repass_spec && !mp.keep_audio)
        return cli_usage_error(usage, "--repass transcribes the recording again, so it needs the recording: "
                                      "not with --no-keep-audio");
    /* What the options leave open comes from the settings (the web app's Settings page):
     * vocabulary hints and what suggestions do on battery. A damaged settings file is
     * reported and the meeting goes on with the defaults: it is not worth losing a meeting. */
    struct parley_settings set;
    if (parley_settings_load(NULL, &set) != PARLEY_OK) {
        fprintf(stderr, "parley: live: warning: the settings are not used: %s\n", parley_last_error());
        set = parley_settings_default();
    }
    char vocab[PARLEY_SETTINGS_VOCAB_MAX];
    if (!mp.vocabulary) {
        parley_settings_vocabulary_line(&set, vocab, sizeof vocab); /* one term a line: the prompt is one line */
        if (vocab[0])
            mp.vocabulary = vocab;
    }
    if (!battery_given)
        mp.on_battery = set.battery == PARLEY_BATTERY_NORMAL ? PARLEY_LIVE_BATTERY_IGNORE : PARLEY_LIVE_BATTERY_PAUSE;
    /* Features switched off on this device (`parley models local ...=off`) stay off. */
    {
        parley_status fst = parley_local_feature_allowed(PARLEY_FEATURE_TRANSCRIBE, NULL);
        if (!fst && mp.suggest && !use_remote)
            fst = parley_local_feature_allowed(PARLEY_FEATURE_SUGGEST, NULL);
        if (!fst && mp.summarize_at_stop && !use_remote)
            fst = parley_local_feature_allowed(PARLEY_FEATURE_SUMMARY, NULL);
        if (fst)
            return cli_error(fst, "live");
    }

    char asr_path[4096], vad_path[4096];
    int rc = find_models(asr_spec, vad_spec, asr_path, sizeof asr_path, vad_path, sizeof vad_path);
    if (rc)
        return rc;
    mp.asr_model_path = asr_path;
    mp.vad_model_path = vad_path;
    char repass_path[4096];
    if (repass_spec) { /* found before the meeting: a typo must not wait for its end */
        parley_status rs = parley_model_find("whisper", repass_spec, repass_path, sizeof repass_path);
        if (rs != PARLEY_OK)
            return cli_error(rs, "--repass");
    }
    char llm_path[4096];
    parley_remote *remote = NULL;
    if (use_remote) {
        /* The user named this server (or made it the default): the network gate opens for
         * it, and only it, before any thread starts. No LLM is loaded here. */
        struct parley_remote_params rp = parley_remote_default_params();
        rp.model = llm_spec; /* the served model's name (vLLM needs it) */
        if (mp.llm_ctx > 0)
            rp.n_ctx = (uint32_t)mp.llm_ctx;
        if (remote_timeout > 0)
            rp.idle_timeout_s = remote_timeout;
        parley_status rs = parley_remote_allow(&rinfo);
        if (!rs)
            rs = parley_remote_open(&rinfo, &rp, &remote);
        if (rs)
            return cli_error(rs, "live");
        live_remote = remote;
        if (mp.llm_template)
            fprintf(stderr, "parley: live: --template applies to a model on this device; server '%s' uses its own "
                            "settings\n", rinfo.name);
        mp.llm_remote = remote;
        if (!json)
            fprintf(stderr, "Assistant: team server '%s' (questions%s%s). Speech recognition stays on this "
                            "device; only the transcript is sent.\n",
                    rinfo.name, mp.suggest ? ", suggestions" : "", mp.summarize_at_stop ? ", the summary" : "");
    } else if (llm_spec) {
        parley_status ls = parley_llm_model_find(llm_spec, llm_path, sizeof llm_path);
        if (ls != PARLEY_OK)
            return cli_error(ls, "finding the LLM");
        mp.llm_model_path = llm_path;
    }
    if (mp.suggest && !remote)
        suggest_notice(); /* about this computer's CPU/GPU */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_live_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (!no_recover) {
        int n_int = 0;
        if (parley_meeting_count_interrupted(NULL, NULL, &n_int) == PARLEY_OK && n_int > 0 &&
            (rc = recover_all(&mp, true, false)) != 0)
            return rc;
    }

    parley_bus *bus;
    parley_status st = parley_bus_new(0, &bus);
    if (st != PARLEY_OK)
        return cli_error(st, "live");
    parley_bus_reader *rd;
    if ((st = parley_bus_reader_new(bus, 0, &rd)) != PARLEY_OK) {
        parley_bus_free(bus);
        return cli_error(st, "live");
    }
    mp.bus = bus;
    struct ui u = {.json = json, .tty = isatty(2) && !json && !getenv("PARLEY_NO_PROGRESS"), .level = {-100, -100}};
    const char *slash = strrchr(asr_path, '/');
    u.model = slash ? slash + 1 : asr_path;

    parley_meeting *m;
    st = parley_meeting_start(&mp, &m);
    if (st != PARLEY_OK) {
        drain(&u, rd);
        parley_bus_reader_free(rd);
        parley_bus_free(bus);
        return cli_error(st, "starting the meeting");
    }
    bool has_system = !mp.no_system;
    double t_start = parley_now();
    bool stdin_open = true; /* notes and questions; EOF (e.g. /dev/null) just closes it */
    char line[4096];
    size_t line_len = 0;
    while (!parley_cancel_is_set(cli_cancel)) {
        struct pollfd p[2] = {{.fd = parley_bus_reader_fd(rd), .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        int np = stdin_open ? 2 : 1;
        int r = poll(p, (nfds_t)np, 250);
        if (r < 0 && errno != EINTR)
            break;
        drain(&u, rd);
        if (np == 2 && (p[1].revents & (POLLIN | POLLHUP))) {
            ssize_t k = read(0, line + line_len, sizeof line - 1 - line_len);
            if (k <= 0) {
                stdin_open = false;
            } else {
                line_len += (size_t)k;
                char *nl;
                while ((nl = memchr(line, '\n', line_len))) {
                    *nl = 0;
                    if (line[0] == '?') {
                        const char *q = line + 1 + strspn(line + 1, " ");
                        if (*q && (st = parley_meeting_ask(m, q, NULL)) != PARLEY_OK) {
                            clear_status(&u);
                            fprintf(stderr, "parley: the question was not asked: %s (%s)\n", parley_strerror(st),
                                    parley_last_error());
                        } else if (*q && !json) {
                            clear_status(&u);
                            printf("  ?? %s\n  ", q);
                        }
                    } else if (!strcmp(line, "!")) {
                        if ((st = parley_meeting_suggest(m)) != PARLEY_OK) {
                            clear_status(&u);
                            fprintf(stderr, "parley: no suggestion was asked for: %s (%s)\n", parley_strerror(st),
                                    parley_last_error());
                        }
                    } else if (line[0] && (st = parley_meeting_note(m, line)) != PARLEY_OK) {
                        clear_status(&u);
                        fprintf(stderr, "parley: the note was not stored: %s (%s)\n", parley_strerror(st),
                                parley_last_error());
                    }
                    size_t used = (size_t)(nl - line) + 1;
                    memmove(line, nl + 1, line_len - used);
                    line_len -= used;
                }
                if (line_len == sizeof line - 1) { /* an over-long line: stored as a note as it is */
                    line[line_len] = 0;
                    if ((st = parley_meeting_note(m, line)) != PARLEY_OK) {
                        clear_status(&u);
                        fprintf(stderr, "parley: the note was not stored: %s (%s)\n", parley_strerror(st),
                                parley_last_error());
                    }
                    line_len = 0;
                }
            }
        }
        if (duration > 0 && parley_now() - t_start >= duration)
            break;
        if (parley_meeting_input_ended(m))
            break;
        draw_status(&u, m, has_system);
    }
    int sig = atomic_load(&live_signal);
    clear_status(&u);
    if (!json)
        fprintf(stderr, "Stopping: transcribing the rest (%.1f s of audio)%s...\n",
                (double)parley_meeting_backlog_ms(m) / 1000.0, sig ? "; Ctrl-C again skips it" : "");
    /* From here a (further) signal abandons the backlog: stop polls cli_cancel. */
    parley_cancel_reset(cli_cancel);
    char stop_err[1024] = "";
    st = finish_meeting(&u, m, rd, stop_err, sizeof stop_err);
    int64_t id = parley_meeting_session_id(m);
    parley_meeting_free(m);
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
    if (st != PARLEY_OK && st != PARLEY_ERR_CANCELLED) {
        fprintf(stderr, "parley: finishing the meeting: %s%s%s\n", parley_strerror(st), stop_err[0] ? ": " : "",
                stop_err);
        return 1;
    }
    if (repass_spec && st == PARLEY_OK && !sig)
        repass(&mp, repass_path, id, json);
    if (!json) {
        fprintf(stderr, "\nStored as session %lld%s.\n  transcript: parley sessions show %lld\n"
                        "  summary:    parley summarize %lld\n  notes:      parley notes %lld\n",
                (long long)id, st == PARLEY_ERR_CANCELLED ? " (the untranscribed rest is in its recording)" : "",
                (long long)id, (long long)id, (long long)id);
    }
    if (sig == SIGTERM)
        return 143;
    if (sig)
        return 130;
    return 0;
}

int cmd_live(int argc, char **argv)
{
    int rc = live_main(argc, argv);
    parley_remote_free(live_remote);
    live_remote = NULL;
    return rc;
}

/* --repass: the second pass over the stored recording with a larger model, on a thread
 * so that its progress ticks here. Ctrl-C cancels it and the live segments stay. */
struct repass_job {
    struct parley_meeting_params p;
    int64_t id;
    parley_status st;
    char error[1024];
    atomic_int done;
};

static void *repass_main(void *arg)
{
    struct repass_job *j = arg;
    j->st = parley_meeting_repass(&j->p, j->id, cli_cancel);
    if (j->st != PARLEY_OK)
        snprintf(j->error, sizeof j->error, "%s", parley_last_error());
    atomic_store(&j->done, 1);
    return NULL;
}

static void repass(const struct parley_meeting_params *mp, const char *model_path, int64_t id, bool json)
{
    struct repass_job j = {.p = *mp, .id = id};
    j.p.asr_model_path = model_path;
    parley_bus *bus = NULL;
    parley_bus_reader *rd = NULL;
    if (parley_bus_new(0, &bus) != PARLEY_OK || parley_bus_reader_new(bus, 0, &rd) != PARLEY_OK) {
        fprintf(stderr, "parley: live: the second pass did not start: %s\n", parley_last_error());
        parley_bus_free(bus);
        return;
    }
    j.p.bus = bus;
    struct ui u = {.json = json, .tty = isatty(2) && !json && !getenv("PARLEY_NO_PROGRESS")};
    const char *slash = strrchr(model_path, '/');
    u.model = slash ? slash + 1 : model_path;
    if (!json && !u.tty)
        fprintf(stderr, "Transcribing again with %s (Ctrl-C keeps the live transcript)...\n", u.model);
    pthread_t th;
    if (pthread_create(&th, NULL, repass_main, &j) != 0) {
        fprintf(stderr, "parley: live: the second pass did not start: no thread\n");
    } else {
        while (!atomic_load(&j.done)) {
            struct pollfd pf = {.fd = parley_bus_reader_fd(rd), .events = POLLIN};
            poll(&pf, 1, 250);
            drain(&u, rd);
        }
        pthread_join(th, NULL);
        drain(&u, rd);
        clear_status(&u);
        if (j.st == PARLEY_OK) {
            if (json) {
                yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
                yyjson_mut_val *o = yyjson_mut_obj(doc);
                yyjson_mut_doc_set_root(doc, o);
                yyjson_mut_obj_add_str(doc, o, "event", "repass.done");
                yyjson_mut_obj_add_int(doc, o, "session_id", id);
                yyjson_mut_obj_add_str(doc, o, "model", u.model);
                char *text = yyjson_mut_write(doc, 0, NULL);
                if (text)
                    printf("%s\n", text);
                free(text);
                yyjson_mut_doc_free(doc);
                fflush(stdout);
            } else {
                fprintf(stderr, "The transcript now comes from %s (the second pass replaced the live one).\n",
                        u.model);
            }
        } else {
            fprintf(stderr, "parley: live: the second pass with %s %s: %s (%s); the live transcript stays\n",
                    u.model, j.st == PARLEY_ERR_CANCELLED ? "was cancelled" : "failed", parley_strerror(j.st),
                    j.error);
        }
    }
    parley_bus_reader_free(rd);
    parley_bus_free(bus);
}

/* `parley sessions recover` (dispatched from cmd_sessions.c). */
int cmd_sessions_recover(int argc, char **argv)
{
    static const char *rusage =
        "parley sessions recover [--asr-model PATH|ID] [--vad-model PATH] [--no-keep-audio] [--json]";
    bool json = false;
    struct parley_meeting_params mp = parley_meeting_default_params();
    const char *asr_spec = NULL, *vad_spec = NULL, *v = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\nFinishes meetings whose `parley live` died (crash, kill, power cut): transcribes "
                   "their journals and stores them, marked recovered.\n",
                   rusage);
            return 0;
        } else if (cli_flag(argv[i], "--no-keep-audio"))
            mp.keep_audio = false;
        else if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_opt(argc, argv, &i, "--asr-model", &v) || cli_opt(argc, argv, &i, "--model", &v)) {
            if (!v)
                return cli_usage_error(rusage, "--asr-model needs a value");
            asr_spec = v;
        } else if (cli_opt(argc, argv, &i, "--vad-model", &v)) {
            if (!v)
                return cli_usage_error(rusage, "--vad-model needs a value");
            vad_spec = v;
        } else
            return cli_usage_error(rusage, "unknown option '%s'", argv[i]);
    }
    int n = 0;
    parley_status st = parley_meeting_count_interrupted(NULL, NULL, &n);
    if (st != PARLEY_OK)
        return cli_error(st, "sessions recover");
    if (n == 0) {
        if (json)
            printf("{\"recovered\":0}\n");
        fprintf(stderr, "No interrupted meetings.\n");
        return 0;
    }
    char asr_path[4096], vad_path[4096];
    int rc = find_models(asr_spec, vad_spec, asr_path, sizeof asr_path, vad_path, sizeof vad_path);
    if (rc)
        return rc;
    mp.asr_model_path = asr_path;
    mp.vad_model_path = vad_path;
    return recover_all(&mp, false, json);
}
