/* hw_render.h: `parley hw` as text and JSON (cmd_hw.c; cmd_models.c shares the JSON).
 * Pure functions of a parley_hw, so tests render synthetic machines (a known-bad driver)
 * without the hardware: tests/test_hw_render.c compiles hw_render.c itself. */
#ifndef PARLEY_CLI_HW_RENDER_H
#define PARLEY_CLI_HW_RENDER_H

#include <parley/hw.h>

#include <stdio.h>

#include <yyjson.h>

/* Adds the hardware description to the JSON object o: parley_json_hw's fields (json.h),
 * and for each GPU "software", "driver" (null = unknown), "known_bad" and
 * "known_bad_reason" (the problem and the fix; null unless known_bad). */
void cli_hw_to_json(yyjson_mut_doc *doc, yyjson_mut_val *o, const parley_hw *hw);

/* The text `parley hw` prints. */
void cli_hw_print(FILE *f, const parley_hw *hw);

#endif
