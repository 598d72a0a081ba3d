/* parakeet_asr.c: the common ASR interface (asr.h) over a Parakeet model. parley_asr_init
 * sends a file whose header says Parakeet here; the parley_asr then holds the Parakeet
 * engine (asr->pk) instead of a whisper context, and asr.c forwards each call. */
#include "asr/asr_internal.h"
#include "asr/parakeet_internal.h"

#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

parley_status parley_asr_init_parakeet(const struct parley_asr_params *params, parley_asr **out)
{
    parley_parakeet *pk = NULL;
    parley_status st = parley_parakeet_init(params->model_path, params->use_gpu, &pk);
    if (st)
        return st;
    parley_asr *a = calloc(1, sizeof *a);
    const char *base = strrchr(params->model_path, '/');
    if (!a || !(a->model_name = parley_strdup(base ? base + 1 : params->model_path))) {
        free(a);
        parley_parakeet_free(pk);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    a->pk = pk;
    *out = a;
    return PARLEY_OK;
}

bool parley_asr_is_parakeet_file(const char *path)
{
    parley_speech_file_kind kind;
    return parley_speech_file_probe(path, &kind) == PARLEY_OK && kind == PARLEY_SPEECH_FILE_PARAKEET;
}

const char *parley_parakeet_model_type(const parley_parakeet *pk)
{
    const char *v = parley_parakeet_variant(pk);
    return !strcmp(v, "v3") ? "parakeet-tdt-0.6b-v3" : !strcmp(v, "v2") ? "parakeet-tdt-0.6b-v2" : "parakeet";
}
