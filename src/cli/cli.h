/* cli.h: what the parley command's files share. The command uses only libparley's
 * public headers (include/parley); nothing here is part of the library. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

#include <parley/parley.h>
#include <parley/store.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

/* Each command: argv[0] is the command's name. Returns the process exit code. */
int cmd_transcribe(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_summarize(int argc, char **argv);
int cmd_notes(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_suggest(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_hw(int argc, char **argv);
int cmd_devices(int argc, char **argv); /* cmd_devices.c (live) */
int cmd_live(int argc, char **argv);    /* cmd_live.c (live) */
int cmd_sessions_recover(int argc, char **argv); /* cmd_live.c: `parley sessions recover` */
int cmd_serve(int argc, char **argv);
int cmd_remote(int argc, char **argv);

/* Set by SIGINT/SIGTERM; long work polls it (and hands it to the library as its cancel
 * flag). A second Ctrl-C while cancelling exits at once. */
extern parley_cancel *cli_cancel; /* set by SIGINT/SIGTERM (cli_install_signals) */
void cli_install_signals(void);
/* Which signal cancelled the run (SIGINT or SIGTERM), 0 when none arrived. */
int cli_cancel_signal(void);
/* The exit code for a cancelled run, as a shell reports a process ended by that signal:
 * 130 after SIGINT (Ctrl-C), 143 after SIGTERM; 130 when the cancel came otherwise.
 * Every command returns this instead of a literal 130. */
int cli_exit_code_for_cancel(void);

/* Prints "parley: <what>: <strerror> (<detail>)" and returns the exit code for st:
 * cli_exit_code_for_cancel() for a cancel (130 after SIGINT, 143 after SIGTERM), 1 otherwise. */
int cli_error(parley_status st, const char *what);
/* A usage error: prints the message and the command's usage line, returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...);

/* Progress bar on stderr, drawn only when stderr is a terminal:
 *   "label  42% |######      | 0:12 elapsed  3.1x real time" */
typedef struct cli_progress {
    const char *label;
    double t0;          /* start, parley_now() */
    double media_s;     /* total media seconds (for the x-real-time figure); 0 hides it */
    int last_pct;
    bool enabled;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, double media_s);
void cli_progress_update(cli_progress *p, double fraction);
void cli_progress_done(cli_progress *p);

/* Option parsing helpers: "--name value" or "--name=value". */
bool cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
bool cli_flag(const char *arg, const char *name);

/* Writes stored text to f with control characters replaced (newline, CR and tab by a
 * space, other C0/C1 controls and DEL by '?'), so a title never moves the cursor or
 * sends an escape sequence and one row stays one row (safe_print.c). */
void cli_put_safe(FILE *f, const char *s);
/* Opens the default session database for commands that only read: read-write when it
 * can be written (so an older schema is migrated), else read-only (a read-only or full
 * disk, a file owned by root). */
parley_status cli_store_open_read(parley_store **db);
int cmd_search(int argc, char **argv);

/* Formats seconds as "1:02:03" or "2:03". */
void cli_fmt_duration(double s, char *out, size_t n);

#endif
