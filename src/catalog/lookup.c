/* lookup.c: a model id (or this device's choice) to a file, through the catalog. */
#include "catalog/lookup.h"

#include "core/internal.h"

#include <stdio.h>

/* Resolves spec through the catalog (catalog.h): a visible catalog or own model's id
 * gives its file when it is on disk, and a clear error when it is not; with spec NULL,
 * the model this device has selected (parley models use). *done is false when the
 * catalog has nothing to say, and the caller goes on to look for files. */
parley_status parley_catalog_lookup(parley_model_kind kind, const char *spec, char *out, size_t out_size, bool *done)
{
    *done = false;
    parley_catalog *cat = NULL;
    struct parley_catalog_params cp = parley_catalog_default_params();
    parley_status st = parley_catalog_open(&cp, &cat);
    if (st == PARLEY_ERR_FORMAT) {
        /* A damaged catalog.json override or models.json: the ids only they define
         * cannot be resolved, but a model file found by its name still can, so this
         * run goes on without them and says which file needs repair. */
        parley_log(PARLEY_LOG_WARN,
                   "%s; looking for the model file by name without the catalog (fix or delete that file; "
                   "'parley models' shows the error until then)",
                   parley_last_error());
        return PARLEY_OK;
    }
    if (st)
        return st;
    const char *id = spec;
    struct parley_device_settings ds;
    if (!id || !*id) {
        parley_catalog_settings(cat, &ds);
        id = kind == PARLEY_MODEL_LLM ? ds.llm_model : ds.speech_model;
    }
    const parley_model_info *m = id && *id ? parley_catalog_find(cat, id) : NULL;
    if (m && m->kind != kind && spec && *spec) {
        /* The id names a model of the other kind: say so, rather than "no such model". */
        *done = true;
        st = kind == PARLEY_MODEL_LLM
                 ? parley_fail(PARLEY_ERR_MODEL_ARCH,
                               "%s (%s) is a speech model, not an LLM: pass it to 'parley transcribe --model'; "
                               "for this, choose a language model from 'parley models'",
                               m->id, m->label)
                 : parley_fail(PARLEY_ERR_MODEL_ARCH,
                               "%s (%s) is a language model (LLM), not a speech model: choose a speech model "
                               "from 'parley models'",
                               m->id, m->label);
    } else if (m && m->kind == kind) {
        *done = true;
        if (m->state == PARLEY_STATE_READY) {
            if ((size_t)snprintf(out, out_size, "%s", m->path) >= out_size)
                st = parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", m->path);
        } else if (m->state == PARLEY_STATE_NOT_DOWNLOADED) {
            st = parley_fail(PARLEY_ERR_NOT_FOUND, "%s (%s) is not downloaded: parley models pull %s", m->label,
                             m->id, m->id);
        } else {
            st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s (%s) is %s: %s", m->label, m->id,
                             parley_model_state_name(m->state), m->state_reason);
        }
    }
    parley_catalog_free(cat);
    return st;
}

