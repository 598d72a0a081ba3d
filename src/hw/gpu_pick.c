/* gpu_pick.c: see gpu_pick.h. */
#include "hw/gpu_pick.h"

#include <string.h>

static const parley_hw *override;

void parley_hw_gpu_override(const parley_hw *hw) { override = hw; }

bool parley_hw_gpu_probe(parley_hw *probed, const parley_hw **hw)
{
    if (override) {
        *hw = override;
        return true;
    }
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false; /* the devices and their drivers only */
    hp.use_cache = false;         /* a driver updated since the last probe counts now */
    if (parley_hw_probe(&hp, probed) != PARLEY_OK)
        return false;
    *hw = probed;
    return true;
}

const parley_gpu *parley_hw_gpu_known_bad(const parley_hw *hw, const char *dev_name)
{
    for (int j = 0; j < hw->n_gpus && j < PARLEY_HW_MAX_GPUS; j++)
        if (hw->gpus[j].known_bad && strcmp(hw->gpus[j].name, dev_name) == 0)
            return &hw->gpus[j];
    return NULL;
}
