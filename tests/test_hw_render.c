/* test_hw_render.c: what `parley hw` shows of a GPU beyond its memory: a software (CPU-type)
 * Vulkan device, the driver version, and a known-bad driver with its reason and fix, in
 * text and --json. The machine is synthetic (no such GPU is needed): the known-bad verdict
 * comes from the real table (parley_hw_known_bad_driver), the rendering from the CLI's own
 * file, compiled in here. */
#include "test.h"

#include "cli/hw_render.c"

#include <parley/hw.h>

#include <yyjson.h>

static void machine(parley_hw *hw)
{
    memset(hw, 0, sizeof *hw);
    snprintf(hw->os, sizeof hw->os, "linux");
    hw->ram_total = 16000000000ull;
    hw->ram_available = 8000000000ull;
    hw->cpu_threads = 8;
    hw->cpu_device = true;
    hw->n_gpus = 2;
    parley_gpu *g = &hw->gpus[0];
    snprintf(g->name, sizeof g->name, "Vulkan0");
    snprintf(g->description, sizeof g->description, "NVIDIA GeForce RTX 4070");
    snprintf(g->backend, sizeof g->backend, "Vulkan");
    snprintf(g->driver, sizeof g->driver, "595.12");
    g->mem_total = 12000000000ull;
    g->known_bad = parley_hw_known_bad_driver(g->backend, g->description, g->driver, g->known_bad_reason,
                                              sizeof g->known_bad_reason);
    g = &hw->gpus[1];
    snprintf(g->name, sizeof g->name, "Vulkan1");
    snprintf(g->description, sizeof g->description, "llvmpipe (LLVM 19.1.7, 256 bits)");
    snprintf(g->backend, sizeof g->backend, "Vulkan");
    g->software = parley_hw_is_software_gpu(g->description);
    g->type = PARLEY_GPU_INTEGRATED;
    g->mem_total = 16000000000ull;
}

TEST(json_has_the_gpu_fields)
{
    parley_hw hw;
    machine(&hw);
    ASSERT(hw.gpus[0].known_bad); /* the table's first row: 595.xx on an RTX 40 */
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    cli_hw_to_json(doc, root, &hw);
    char *text = yyjson_mut_write(doc, 0, NULL);
    yyjson_mut_doc_free(doc);
    ASSERT(text);
    yyjson_doc *d = yyjson_read(text, strlen(text), 0);
    ASSERT(d);
    yyjson_val *r = yyjson_doc_get_root(d);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(r, "os")), "linux"); /* json.h's fields are all there */
    ASSERT(yyjson_get_uint(yyjson_obj_get(r, "ram_total_bytes")) == 16000000000ull);
    yyjson_val *gpus = yyjson_obj_get(r, "gpus");
    ASSERT(yyjson_arr_size(gpus) == 2);
    yyjson_val *bad = yyjson_arr_get(gpus, 0), *soft = yyjson_arr_get(gpus, 1);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(bad, "name")), "Vulkan0");
    ASSERT(yyjson_get_bool(yyjson_obj_get(bad, "known_bad")));
    ASSERT(!yyjson_get_bool(yyjson_obj_get(bad, "software")));
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(bad, "driver")), "595.12");
    const char *why = yyjson_get_str(yyjson_obj_get(bad, "known_bad_reason"));
    ASSERT(why);
    ASSERT_CONTAINS(why, "crashes at model load"); /* the problem */
    ASSERT_CONTAINS(why, "596.21");                /* and the fix */
    ASSERT(yyjson_get_bool(yyjson_obj_get(soft, "software")));
    ASSERT(!yyjson_get_bool(yyjson_obj_get(soft, "known_bad")));
    ASSERT(yyjson_is_null(yyjson_obj_get(soft, "driver")));
    ASSERT(yyjson_is_null(yyjson_obj_get(soft, "known_bad_reason")));
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(soft, "type")), "integrated");
    yyjson_doc_free(d);
    free(text);
}

TEST(text_says_it)
{
    parley_hw hw;
    machine(&hw);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT(f);
    cli_hw_print(f, &hw);
    fclose(f);
    ASSERT_CONTAINS(buf, "Vulkan0: NVIDIA GeForce RTX 4070");
    ASSERT_CONTAINS(buf, "driver 595.12");
    ASSERT_CONTAINS(buf, "KNOWN-BAD DRIVER, nothing is placed on this GPU: driver 595.12");
    ASSERT_CONTAINS(buf, "update the driver to 596.21");
    ASSERT_CONTAINS(buf, "software device: it runs on the CPU");
    ASSERT_CONTAINS(buf, "driver unknown");
    /* the fixed driver is not flagged */
    snprintf(hw.gpus[0].driver, sizeof hw.gpus[0].driver, "596.21");
    hw.gpus[0].known_bad = parley_hw_known_bad_driver("Vulkan", hw.gpus[0].description, "596.21", hw.gpus[0].known_bad_reason,
                                                      sizeof hw.gpus[0].known_bad_reason);
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    ASSERT(f);
    cli_hw_print(f, &hw);
    fclose(f);
    ASSERT(!strstr(buf, "KNOWN-BAD"));
    free(buf);
}

int main(void)
{
    RUN(json_has_the_gpu_fields);
    RUN(text_says_it);
    return test_summary();
}
