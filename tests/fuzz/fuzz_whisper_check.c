/* fuzz_whisper_check: the whisper.cpp model-file walk that runs before whisper.cpp sees a
 * speech model (check_model_file in src/asr/asr.c). It is static there and the public
 * path (parley_asr_init) hands a file that passes it to whisper.cpp's own loader, so the
 * target compiles asr.c into itself to reach the check alone. A narrower entry point (an
 * internal header for the check) is requested from the asr owner; when it exists, this
 * include goes. */
#include "fuzz_util.h"

#include "../../src/asr/asr.c"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_path("whisper", "bin");
    if (fuzz_write(p, data, size) != 0)
        return 0;
    check_model_file(p);
    unlink(p);
    return 0;
}
