/* catalog_data.c: the curated catalog, data/catalog.json, compiled into the library so
 * that Parley works with no data files installed. #embed (C23, accepted by GCC >= 15 in
 * every C mode) keeps the JSON the single source: edit data/catalog.json, rebuild. */
#include "catalog/catalog_internal.h"

const char parley_catalog_builtin_json[] = {
#embed "../../data/catalog.json"
    , 0};
const size_t parley_catalog_builtin_json_len = sizeof parley_catalog_builtin_json - 1;
