/* cmd_remote.c: `parley remote`: the team inference servers the user names (opt-in),
 * and a labelled chat through one of them. Nothing here ever falls back: a remote
 * failure is reported, never retried locally (docs/remote.md). */
#include "cli.h"

#include <parley/remote.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char *usage =
    "parley remote list [--json]                    the team servers you added\n"
    "       parley remote add NAME URL [--token-file FILE]   add an OpenAI-compatible server (llama-server, vLLM)\n"
    "       parley remote rm NAME                          forget a server\n"
    "       parley remote default NAME|--none             the server task commands use when none is named\n"
    "       parley remote chat NAME MESSAGE [--system TEXT] [--schema FILE | --grammar FILE]\n"
    "                          [--max-tokens N] [--timeout SECONDS] [--model NAME] [--json]\n"
    "                                                      one streamed answer from that server, labelled";

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t n;
    while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *g = cap < (16u << 20) ? realloc(s, cap *= 2) : NULL;
            if (!g) {
                free(s);
                s = NULL;
            } else
                s = g;
        }
    }
    fclose(f);
    if (s)
        s[len] = '\0';
    return s;
}

static int remote_list(int argc, char **argv)
{
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    parley_remote_info *list;
    size_t n;
    parley_status st = parley_remote_list(NULL, &list, &n);
    if (st)
        return cli_error(st, "remote list");
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "remotes");
        const char *def = NULL;
        for (size_t i = 0; i < n; i++) {
            yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
            yyjson_mut_obj_add_strcpy(doc, o, "name", list[i].name);
            yyjson_mut_obj_add_strcpy(doc, o, "url", list[i].url);
            if (list[i].token_file[0])
                yyjson_mut_obj_add_strcpy(doc, o, "token_file", list[i].token_file);
            else
                yyjson_mut_obj_add_null(doc, o, "token_file");
            yyjson_mut_obj_add_bool(doc, o, "default", list[i].is_default);
            if (list[i].is_default)
                def = list[i].name;
        }
        if (def)
            yyjson_mut_obj_add_strcpy(doc, root, "default", def);
        else
            yyjson_mut_obj_add_null(doc, root, "default");
        char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
        yyjson_mut_doc_free(doc);
        if (text)
            printf("%s\n", text);
        free(text);
    } else if (n == 0) {
        printf("No team servers. Everything runs on this device, and Parley connects nowhere.\n"
               "Add one with: parley remote add NAME URL [--token-file FILE]\n");
    } else {
        printf("  %-20s %-40s %s\n", "NAME", "URL", "TOKEN FILE");
        for (size_t i = 0; i < n; i++)
            printf("%s %-20s %-40s %s%s\n", list[i].is_default ? "*" : " ", list[i].name, list[i].url,
                   list[i].token_file[0] ? list[i].token_file : "-", list[i].is_default ? "  (default)" : "");
    }
    free(list);
    return 0;
}

static int remote_add(int argc, char **argv)
{
    const char *name = NULL, *url = NULL, *tok = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (cli_opt(argc, argv, &i, "--token-file", &v)) {
            if (!v)
                return cli_usage_error(usage, "--token-file needs a file");
            tok = v;
        } else if (argv[i][0] == '-')
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else if (!url)
            url = argv[i];
        else
            return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
    }
    if (!name || !url)
        return cli_usage_error(usage, "remote add needs a NAME and a URL");
    parley_status st = parley_remote_add(NULL, name, url, tok);
    if (st)
        return cli_error(st, "remote add");
    printf("added server '%s' (%s)%s. Parley sends it a meeting only when you name it (--remote %s) or make it "
           "the default (parley remote default %s).\n", name, url, tok ? ", with a token" : "", name, name);
    return 0;
}

static int remote_rm(int argc, char **argv)
{
    if (argc != 1)
        return cli_usage_error(usage, "remote rm needs exactly one server name");
    parley_status st = parley_remote_remove(NULL, argv[0]);
    if (st)
        return cli_error(st, "remote rm");
    printf("removed server '%s'\n", argv[0]);
    return 0;
}

static int remote_default(int argc, char **argv)
{
    if (argc != 1)
        return cli_usage_error(usage, "remote default needs a server name or --none");
    bool none = cli_flag(argv[0], "--none");
    parley_status st = parley_remote_set_default(NULL, none ? NULL : argv[0]);
    if (st)
        return cli_error(st, "remote default");
    if (none)
        printf("no default server: task commands run on this device unless --remote NAME is given\n");
    else
        printf("task commands now run on server '%s' unless --remote NAME or --local is given\n", argv[0]);
    return 0;
}

struct chat_out {
    bool json;
    bool any;
};

static bool on_piece(const char *text, size_t len, void *ud)
{
    struct chat_out *o = ud;
    if (!o->json) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    o->any = true;
    return !parley_cancel_is_set(cli_cancel);
}

static int remote_chat(int argc, char **argv)
{
    const char *name = NULL, *message = NULL, *system = NULL, *schema_file = NULL, *grammar_file = NULL;
    const char *model = NULL;
    bool json = false;
    long max_tokens = 0;
    double timeout = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        char *end;
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_opt(argc, argv, &i, "--system", &v)) {
            if (!v)
                return cli_usage_error(usage, "--system needs a value");
            system = v;
        }
        else if (cli_opt(argc, argv, &i, "--schema", &v)) {
            if (!v)
                return cli_usage_error(usage, "--schema needs a value");
            schema_file = v;
        }
        else if (cli_opt(argc, argv, &i, "--grammar", &v)) {
            if (!v)
                return cli_usage_error(usage, "--grammar needs a value");
            grammar_file = v;
        }
        else if (cli_opt(argc, argv, &i, "--model", &v)) {
            if (!v)
                return cli_usage_error(usage, "--model needs a value");
            model = v;
        }
        else if (cli_opt(argc, argv, &i, "--max-tokens", &v)) {
            max_tokens = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || max_tokens < 1 || max_tokens > 1000000)
                return cli_usage_error(usage, "--max-tokens wants a count from 1");
        } else if (cli_opt(argc, argv, &i, "--timeout", &v)) {
            timeout = v ? strtod(v, &end) : 0;
            if (!v || *end || timeout <= 0 || timeout > 86400)
                return cli_usage_error(usage, "--timeout wants seconds (> 0)");
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else if (!message)
            message = argv[i];
        else
            return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
    }
    if (!name || !message)
        return cli_usage_error(usage, "remote chat needs a server NAME and a MESSAGE");
    if (schema_file && grammar_file)
        return cli_usage_error(usage, "--schema and --grammar exclude each other");
    parley_remote_info info;
    parley_status st = parley_remote_get(NULL, name, &info);
    if (st)
        return cli_error(st, "remote chat");
    char *schema = NULL, *grammar = NULL;
    if (schema_file && !(schema = read_all(schema_file))) {
        fprintf(stderr, "parley: remote chat: cannot read %s\n", schema_file);
        return 1;
    }
    if (grammar_file && !(grammar = read_all(grammar_file))) {
        free(schema);
        fprintf(stderr, "parley: remote chat: cannot read %s\n", grammar_file);
        return 1;
    }
    struct parley_remote_params rp = parley_remote_default_params();
    rp.model = model;
    if (timeout > 0)
        rp.idle_timeout_s = timeout;
    parley_remote *r = NULL;
    st = parley_remote_open(&info, &rp, &r);
    if (st) {
        free(schema);
        free(grammar);
        return cli_error(st, "remote chat");
    }
    parley_llm_message msgs[2];
    size_t n = 0;
    if (system)
        msgs[n++] = (parley_llm_message){"system", system};
    msgs[n++] = (parley_llm_message){"user", message};
    struct chat_out o = {.json = json};
    struct parley_remote_request rq = parley_remote_default_request();
    rq.messages = msgs;
    rq.n_messages = n;
    rq.max_tokens = (int32_t)max_tokens;
    rq.json_schema = schema;
    rq.grammar = grammar;
    rq.on_token = on_piece;
    rq.user_data = &o;
    rq.cancel = cli_cancel;
    if (!json)
        fprintf(stderr, "[remote: %s] ", info.name);
    struct parley_remote_result res;
    st = parley_remote_chat(r, &rq, &res);
    if (!json && o.any)
        printf("\n");
    int rc = 0;
    if (st) {
        rc = cli_error(st, "remote chat");
    } else if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        yyjson_mut_val *ro = yyjson_mut_obj_add_obj(doc, root, "remote");
        yyjson_mut_obj_add_strcpy(doc, ro, "server", res.server);
        yyjson_mut_obj_add_strcpy(doc, ro, "model", res.model);
        yyjson_mut_obj_add_strcpy(doc, root, "text", res.text);
        yyjson_mut_obj_add_strcpy(doc, root, "finish", res.finish);
        yyjson_mut_obj_add_int(doc, root, "n_prompt", res.n_prompt);
        yyjson_mut_obj_add_int(doc, root, "n_generated", res.n_generated);
        yyjson_mut_obj_add_real(doc, root, "ms", res.ms);
        char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
        yyjson_mut_doc_free(doc);
        if (text)
            printf("%s\n", text);
        free(text);
    } else {
        fprintf(stderr, "(made by team server '%s'%s%s%s, %d tokens)\n", res.server, res.model[0] ? ", model " : "",
                res.model, "", res.n_generated);
    }
    parley_remote_result_clear(&res);
    parley_remote_free(r);
    free(schema);
    free(grammar);
    return rc;
}

int cmd_remote(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argv[1], "list"))
        return remote_list(argc > 2 ? argc - 2 : 0, argv + 2);
    const char *sub = argv[1];
    if (cli_flag(sub, "--help") || cli_flag(sub, "-h")) {
        printf("usage: %s\n\nA team's own OpenAI-compatible server, used only when you name it. docs/remote.md.\n",
               usage);
        return 0;
    }
    if (cli_flag(sub, "--json"))
        return remote_list(argc - 1, argv + 1);
    if (strcmp(sub, "add") == 0)
        return remote_add(argc - 2, argv + 2);
    if (strcmp(sub, "rm") == 0)
        return remote_rm(argc - 2, argv + 2);
    if (strcmp(sub, "default") == 0)
        return remote_default(argc - 2, argv + 2);
    if (strcmp(sub, "chat") == 0) {
        cli_install_signals();
        return remote_chat(argc - 2, argv + 2);
    }
    return cli_usage_error(usage, "unknown remote command '%s'", sub);
}
