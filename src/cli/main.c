/* main.c: the parley command's entry point and command table. */
#include "cli.h"

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
    {"summarize", cmd_summarize, "summarise a session: overview, decisions, action items (stored)"},
    {"notes", cmd_notes, "detailed notes of a session by topic, with times (stored)"},
    {"ask", cmd_ask, "ask questions about a session (chat; history stored)"},
    {"suggest", cmd_suggest, "1-3 things to say or ask next in a session (stored)"},
    {"models", cmd_models, "the model picker: catalog, fit for this machine, add/rm/use models"},
    {"hw", cmd_hw, "what this machine has for running models (RAM, CPU, GPUs, bandwidth)"},
    {"remote", cmd_remote, "a team's own inference server: add, list, rm, default, chat (opt-in, labelled)"},
    {"version", cmd_version, "print Parley's, llama.cpp's and whisper.cpp's versions"},
    {"help", cmd_help, "this list"},
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: parley <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-12s %s\n", commands[i].name, commands[i].summary);
    printf("\n'parley <command> --help' describes a command's options.\n");
    return 0;
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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            if (commands[i].fn != cmd_help && commands[i].fn != cmd_version) {
                parley_status st = parley_init();
                if (st != PARLEY_OK)
                    return cli_error(st, "start-up");
            }
            cli_install_signals();
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "parley: unknown command '%s' (see 'parley help')\n", name);
    return 2;
}
