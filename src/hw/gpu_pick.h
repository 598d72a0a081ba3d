/* gpu_pick.h: which GPUs the engines may use. The LLM (llm.c) and the speech models
 * (asr.c) both leave out a GPU whose driver is in the known-bad table (hw.h); this is
 * the one place that finds them. Internal to the library. */
#ifndef PARLEY_HW_GPU_PICK_H
#define PARLEY_HW_GPU_PICK_H

#include <parley/hw.h>
#include <stdbool.h>

/* The probe the choice is made from: *probed filled by a fresh probe of the devices and
 * their drivers only (no bandwidth measurement, no cache), or the override a test set.
 * *hw points at whichever it is. false when the probe failed (nothing is known bad). */
bool parley_hw_gpu_probe(parley_hw *probed, const parley_hw **hw);

/* The known-bad entry for ggml's device `dev_name` ("Vulkan0"), or NULL when it is fine. */
const parley_gpu *parley_hw_gpu_known_bad(const parley_hw *hw, const char *dev_name);

/* Tests only: the probe parley_hw_gpu_probe() returns instead of probing (a synthetic
 * parley_hw marking a real device bad; test_llm_known_bad.c, test_vulkan.c). NULL = probe
 * again. Borrowed until reset; not thread-safe. */
void parley_hw_gpu_override(const parley_hw *hw);

#endif
