/* lookup.h: model ids resolved through the catalog, for the subsystems that load models
 * (asr, tasks); not a public header. */
#ifndef PARLEY_CATALOG_LOOKUP_H
#define PARLEY_CATALOG_LOOKUP_H

#include <parley/catalog.h>

#include <stdbool.h>
#include <stddef.h>

parley_status parley_catalog_lookup(parley_model_kind kind, const char *spec, char *out, size_t out_size, bool *done);

#endif
