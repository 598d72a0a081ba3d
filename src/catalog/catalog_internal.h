/* catalog_internal.h: what src/catalog's files share; not a public header. */
#ifndef PARLEY_CATALOG_INTERNAL_H
#define PARLEY_CATALOG_INTERNAL_H

#include <parley/catalog.h>

#include <stddef.h>

/* The built-in catalog (data/catalog.json compiled in), NUL-terminated. */
extern const char parley_catalog_builtin_json[];
extern const size_t parley_catalog_builtin_json_len;

/* 1: llama.cpp knows the architecture and it generates text; 2: known but not a text
 * generator; 0: unknown. */
int parley_llama_arch_known(const char *arch);

#endif
