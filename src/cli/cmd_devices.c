/* cmd_devices.c: `parley devices`: the capture sources (microphones and system-audio
 * monitors) that `parley live --mic/--system` take. */
#include "cli.h"

#include <parley/capture.h>
#include <parley/json.h>

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char *usage = "parley devices [--json]";

int cmd_devices(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\nLists the audio sources Parley can record from: microphones, and the monitors of "
                   "outputs (system audio: the other side of a call).\n'*' marks the defaults `parley live` uses. "
                   "Names go to `parley live --mic NAME --system NAME`.\n",
                   usage);
            return 0;
        } else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    parley_capture_source *src;
    size_t n;
    parley_status st = parley_capture_list_sources(&src, &n);
    if (st != PARLEY_OK)
        return cli_error(st, "listing capture sources");
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_doc_set_root(doc, parley_json_capture_sources(doc, src, n));
        char *s = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY, NULL);
        printf("%s\n", s ? s : "[]");
        free(s);
        yyjson_mut_doc_free(doc);
    } else if (n == 0) {
        printf("No capture sources. Is a microphone connected?\n");
    } else {
        printf("  %-8s %-44s %s\n", "KIND", "NAME", "DESCRIPTION");
        for (size_t i = 0; i < n; i++) {
            const char *mark = src[i].is_default_mic ? "* mic" : src[i].is_default_system ? "* system" : "";
            printf("%c %-8s %-44s %s%s%s%s\n", mark[0] ? '*' : ' ', src[i].is_monitor ? "monitor" : "input",
                   src[i].name, src[i].description, mark[0] ? "  (default " : "", mark[0] ? mark + 2 : "",
                   mark[0] ? ")" : "");
        }
    }
    parley_capture_sources_free(src, n);
    return 0;
}
