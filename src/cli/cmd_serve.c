/* cmd_serve.c: parley serve: the local web app (server.h) until Ctrl-C. The first line
 * on stdout is the page's address with its token, so a script or a test can read it. */
#include "cli.h"

#include <parley/remote.h>
#include <parley/server.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char usage[] = "parley serve [--port N] [--open] [--model PATH|ID] [--template NAME] [--ctx N]\n"
                            "        [--threads N] [--no-gpu] [--no-measure]";

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
    parley_cancel_set(cli_cancel);
}

static bool num(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

/* Hands the address to the desktop's browser (xdg-open); failing that, says so. */
static void open_browser(const char *url)
{
    char *argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 0, 0);
    int rc = posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fprintf(stderr, "parley: serve: could not start a browser (xdg-open: %s); open the address above\n",
                strerror(rc));
}

int cmd_serve(int argc, char **argv)
{
    struct parley_server_params sp = parley_server_default_params();
    bool open_it = false;
    long n;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\n"
                   "Serves Parley's pages and JSON API (docs/api.md) on 127.0.0.1 and ::1 only. The first line\n"
                   "printed is the page's address with a token made for this run; the API refuses requests\n"
                   "without it. Ctrl-C stops.\n\n"
                   "  --port N         port (default 0: any free port)\n"
                   "  --open           open the page in the desktop's browser\n"
                   "  --model PATH|ID  LLM for summaries, notes and chat (default: the chosen model)\n"
                   "  --template NAME  chat template for a model without one (chatml, llama3, gemma)\n"
                   "  --ctx N          LLM context in tokens (default 8192)\n"
                   "  --threads N      CPU threads for the LLM (default: all cores)\n"
                   "  --no-gpu         run the LLM on the CPU only\n"
                   "  --no-measure     do not measure RAM bandwidth for the fit labels\n\n"
                   "A team server: with a default set ('parley remote default NAME', docs/remote.md) the\n"
                   "summaries, notes, chat and suggestions run on it, labelled 'remote: NAME' wherever they\n"
                   "are shown or stored, unless a request says \"local\": true (or names another server with\n"
                   "\"remote\": \"OTHER\"); --ctx is then the server's context size. Never a fallback: a\n"
                   "server's failure is an error. Recording and transcription stay on this computer; the\n"
                   "network gate opens for the default server's host only, when serve starts.\n",
                   usage);
            return 0;
        } else if (cli_opt(argc, argv, &i, "--port", &v)) {
            if (!num(v, 0, 65535, &n))
                return cli_usage_error(usage, "--port needs a number from 0 to 65535");
            sp.port = (uint16_t)n;
        } else if (cli_flag(argv[i], "--open")) {
            open_it = true;
        } else if (cli_opt(argc, argv, &i, "--model", &v) || cli_opt(argc, argv, &i, "-m", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--model needs a value");
            sp.llm_model = v;
        } else if (cli_opt(argc, argv, &i, "--template", &v)) {
            if (!v || !*v)
                return cli_usage_error(usage, "--template needs a value");
            sp.chat_template = v;
        } else if (cli_opt(argc, argv, &i, "--ctx", &v)) {
            if (!num(v, 64, 1 << 20, &n))
                return cli_usage_error(usage, "--ctx needs a token count from 64 to 1048576");
            sp.n_ctx = (uint32_t)n;
        } else if (cli_opt(argc, argv, &i, "--threads", &v)) {
            if (!num(v, 1, 256, &n))
                return cli_usage_error(usage, "--threads needs a number from 1 to 256");
            sp.n_threads = (int32_t)n;
        } else if (cli_flag(argv[i], "--no-gpu")) {
            sp.no_gpu = true;
        } else if (cli_flag(argv[i], "--no-measure")) {
            sp.measure_bandwidth = false;
        } else {
            return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    parley_server *srv;
    parley_status st = parley_server_start(&sp, &srv);
    if (st)
        return cli_error(st, "serve");
    printf("%s\n", parley_server_url(srv));
    fflush(stdout);
    parley_remote_info team;
    if (parley_remote_get(NULL, NULL, &team) == PARLEY_OK)
        fprintf(stderr, "parley: serving on 127.0.0.1:%u (this machine only); summaries, notes, chat and suggestions "
                        "run on the team server '%s' unless a request says local. Ctrl-C stops.\n",
                parley_server_port(srv), team.name);
    else
        fprintf(stderr, "parley: serving on 127.0.0.1:%u (this machine only; local mode). Ctrl-C stops.\n",
                parley_server_port(srv));
    if (open_it)
        open_browser(parley_server_url(srv));
    struct timespec ts = {0, 100 * 1000 * 1000};
    while (!parley_cancel_is_set(cli_cancel))
        nanosleep(&ts, NULL);
    fprintf(stderr, "parley: serve: stopping\n");
    parley_server_stop(srv);
    return got_term ? 143 : 130;
}
