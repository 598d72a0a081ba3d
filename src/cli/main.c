/* main.c: the parley command's entry point and command table. */
#include "cli.h"

#include <stdbool.h>
#include <string.h>

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("parley %s\nllama.cpp %s\nwhisper.cpp %s\nggml %s\n", parley_version(), parley_llama_version(),
           parley_whisper_version(), parley_ggml_version());
    return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"transcribe", cmd_transcribe, "turn a recording into a timestamped transcript (stored as a session)"},
    {"sessions", cmd_sessions, "list, show and export stored sessions"},
    {"search", cmd_search, "find words across every session: transcripts, titles, summaries, notes, chat"},
    {"summarize", cmd_summarize, "summarise a session: overview, decisions, action items (stored)"},
    {"notes", cmd_notes, "detailed notes of a session by topic, with times (stored)"},
    {"ask", cmd_ask, "ask questions about a session (chat; history stored)"},
    {"suggest", cmd_suggest, "1-3 things to say or ask next in a session (stored)"},
    {"models", cmd_models, "the model picker: catalog, fit for this machine, add/rm/use models"},
    {"live", cmd_live, "record a meeting: microphone + system audio, transcribed as people speak"},
    {"devices", cmd_devices, "list microphones and system-audio sources for `parley live`"},
    {"serve", cmd_serve, "the local web app on 127.0.0.1: meetings, search, chat, models (prints its address)"},
    {"hw", cmd_hw, "what this machine has for running models (RAM, CPU, GPUs, bandwidth)"},
    {"remote", cmd_remote, "a team's own inference server: add, list, rm, default, chat (opt-in, labelled)"},
    {"version", cmd_version, "print Parley's, llama.cpp's and whisper.cpp's versions"},
    {"help", cmd_help, "this list; 'parley help COMMAND' describes one command"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* One command's help: its summary, then the command's own --help text (its usage and
 * options), so that the two never drift apart. */
static int command_help(const struct command *c)
{
    printf("parley %s: %s\n\n", c->name, c->summary);
    fflush(stdout);
    if (c->fn == cmd_help) {
        printf("usage: parley help [COMMAND]\n");
        return 0;
    }
    if (c->fn == cmd_version) {
        printf("usage: parley version (or parley --version)\n");
        return 0;
    }
    char *args[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, args);
}

static int cmd_help(int argc, char **argv)
{
    if (argc >= 2 && argv[1]) {
        const struct command *c = find_command(argv[1]);
        if (!c) {
            fprintf(stderr, "parley: unknown command '%s' (see 'parley help')\n", argv[1]);
            return 2;
        }
        return command_help(c);
    }
    printf("usage: parley <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-12s %s\n", commands[i].name, commands[i].summary);
    printf("\n'parley help <command>' or 'parley <command> --help' describes a command's options.\n");
    return 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V"))
        return cmd_version(0, NULL);
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        return cmd_help(0, NULL);
    const struct command *c = find_command(name);
    if (c) {
        /* "parley CMD ... --help" (a subcommand included: "sessions list --help") shows the
         * command's help without starting anything. */
        if (c->fn != cmd_help && wants_help(argc, argv))
            return command_help(c);
        if (c->fn != cmd_help && c->fn != cmd_version) {
            parley_status st = parley_init();
            if (st != PARLEY_OK)
                return cli_error(st, "start-up");
        }
        cli_install_signals();
        return c->fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "parley: unknown command '%s' (see 'parley help')\n", name);
    return 2;
}
