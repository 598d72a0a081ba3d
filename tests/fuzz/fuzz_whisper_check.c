/* fuzz_whisper_check: the model-file walks that run before whisper.cpp sees a file
 * (src/asr/check.h): the speech-model check and the Silero VAD check, both on each input
 * (whisper.cpp's own loaders have read out of bounds on malformed files). */
#include "fuzz_util.h"

#include "asr/check.h"

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
    parley_check_whisper_file(p);
    parley_check_vad_file(p);
    unlink(p);
    return 0;
}
