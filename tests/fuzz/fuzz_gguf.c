/* fuzz_gguf: the GGUF pre-checks that stand between a downloaded or user-supplied file and
 * llama.cpp: parley_llm_inspect (src/llm/gguf_check.c, the loader's check) and
 * parley_model_read_gguf / parley_model_template_usable (src/catalog/gguf_model.c, what
 * `models add` and the catalog run). Both read a file, so the input is written to one. */
#include "fuzz_util.h"

#include <parley/catalog.h>
#include <parley/llm.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_path("gguf", "gguf");
    if (fuzz_write(p, data, size) != 0)
        return 0;
    struct parley_llm_info info;
    parley_llm_inspect(p, &info);
    parley_model_info m;
    if (parley_model_read_gguf(p, &m) == PARLEY_OK) {
        char why[256];
        parley_model_template_usable(p, why, sizeof why);
    }
    unlink(p);
    return 0;
}
