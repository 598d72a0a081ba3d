/* fuzz_audio: audio ingest through FFmpeg from memory (parley_audio_decode_memory): probing,
 * demuxing, decoding, resampling and Parley's own verdicts (WAV header length, truncation,
 * no audio track, known non-media files). Recordings are capped at 30 s so that one input
 * cannot spend the run decoding. */
#include "fuzz_util.h"

#include <parley/audio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    parley_log_set(fuzz_quiet_log, NULL, PARLEY_LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parley_audio_params p = parley_audio_default_params();
    p.max_seconds = 30;
    p.allow_truncated = size && (data[size - 1] & 1);
    parley_audio a;
    if (parley_audio_decode_memory(data, size, "fuzz", &p, &a) == PARLEY_OK) {
        if (a.n_samples == 0 || !a.samples)
            __builtin_trap(); /* OK promises samples */
        parley_audio_free(&a);
    }
    return 0;
}
