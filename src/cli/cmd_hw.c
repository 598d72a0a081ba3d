/* cmd_hw.c: `parley hw`: what this machine has for running models. */
#include "cli.h"
#include "hw_render.h"

#include <parley/hw.h>

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

static const char *usage = "parley hw [--json] [--no-measure] [--remeasure]";

int cmd_hw(int argc, char **argv)
{
    bool json = false;
    struct parley_hw_params hp = parley_hw_default_params();
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--json"))
            json = true;
        else if (cli_flag(argv[i], "--no-measure"))
            hp.measure_bandwidth = false;
        else if (cli_flag(argv[i], "--remeasure"))
            hp.use_cache = false;
        else if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            printf("usage: %s\n\nShows RAM, CPU, the GPUs ggml sees and memory bandwidth (RAM: measured once and "
                   "cached; GPUs: from a table of known devices), each GPU's driver, software (CPU-type)\n"
                   "devices, and drivers known to be bad (nothing is placed on such a GPU; the fix is shown).\n"
                   "PARLEY_VK_DEVICES=0 makes a CPU-type Vulkan device (lavapipe) visible (docs/fit.md).\n", usage);
            return 0;
        } else
            return cli_usage_error(usage, "unknown option '%s'", argv[i]);
    }
    parley_hw hw;
    parley_status st = parley_hw_probe(&hp, &hw);
    if (st)
        return cli_error(st, "hardware probe");
    if (json) {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        cli_hw_to_json(doc, root, &hw);
        char *text = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
        yyjson_mut_doc_free(doc);
        if (!text)
            return cli_error(PARLEY_ERR_NOMEM, "json");
        printf("%s\n", text);
        free(text);
        return 0;
    }
    cli_hw_print(stdout, &hw);
    return 0;
}
