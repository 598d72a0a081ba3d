/* util.c: signals, errors, progress bar and option parsing for the parley command. */
#include "cli.h"

#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

parley_cancel *cli_cancel;
static atomic_bool interrupted;
static atomic_int cancel_signal; /* the first SIGINT/SIGTERM that arrived, 0 when none */

static void on_signal(int sig)
{
    int none = 0;
    atomic_compare_exchange_strong(&cancel_signal, &none, sig);
    parley_cancel_set(cli_cancel);
    if (atomic_exchange(&interrupted, true)) {
        static const char msg[] = "\nparley: interrupted again; exiting now\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(128 + sig);
    }
}

int cli_cancel_signal(void) { return atomic_load(&cancel_signal); }

int cli_exit_code_for_cancel(void)
{
    int sig = atomic_load(&cancel_signal);
    return 128 + (sig ? sig : SIGINT);
}

void cli_install_signals(void)
{
    if (!cli_cancel && !(cli_cancel = parley_cancel_new())) {
        fputs("parley: out of memory\n", stderr);
        exit(1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_error(parley_status st, const char *what)
{
    const char *detail = parley_last_error();
    if (st == PARLEY_ERR_CANCELLED) {
        fprintf(stderr, "parley: %s: cancelled\n", what);
        return cli_exit_code_for_cancel();
    }
    if (detail && *detail)
        fprintf(stderr, "parley: %s: %s: %s\n", what, parley_strerror(st), detail);
    else
        fprintf(stderr, "parley: %s: %s\n", what, parley_strerror(st));
    return 1;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "parley: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return 2;
}

void cli_fmt_duration(double s, char *out, size_t n)
{
    if (s < 0)
        s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

void cli_progress_start(cli_progress *p, const char *label, double media_s)
{
    p->label = label;
    p->t0 = parley_now();
    p->media_s = media_s;
    p->last_pct = -1;
    p->enabled = isatty(2) && !getenv("PARLEY_NO_PROGRESS");
    cli_progress_update(p, 0.0); /* show the bar at once: the first report can take a while */
}

void cli_progress_update(cli_progress *p, double fraction)
{
    if (!p->enabled)
        return;
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    int pct = (int)(fraction * 100.0);
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    double el = parley_now() - p->t0;
    char els[32], bar[31];
    cli_fmt_duration(el, els, sizeof els);
    int fill = (int)(fraction * 30.0);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : ' ';
    bar[30] = '\0';
    fprintf(stderr, "\r%s %3d%% |%s| %s elapsed", p->label, pct, bar, els);
    if (p->media_s > 0 && el > 0.5 && fraction > 0)
        fprintf(stderr, "  %.1fx real time", p->media_s * fraction / el);
    fprintf(stderr, "\033[K");
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled && p->last_pct >= 0) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

bool cli_flag(const char *arg, const char *name) { return strcmp(arg, name) == 0; }

bool cli_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (a[n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        *value = NULL; /* caller reports the missing value */
        return true;
    }
    *value = argv[++*i];
    return true;
}
