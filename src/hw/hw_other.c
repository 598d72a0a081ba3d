/* hw_other.c: platforms whose probe is not written yet say so instead of guessing. */
#include "hw/hw_platform.h"

#if !defined(PARLEY_HW_LINUX)
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>

parley_status parley_hw_platform_probe(parley_hw *hw)
{
    (void)hw;
    return parley_fail(PARLEY_ERR_UNSUPPORTED, "the hardware probe is written for Linux only so far");
}

void parley_hw_platform_nvidia_driver(char *out, size_t n)
{
    if (!n)
        return;
    const char *env = getenv("PARLEY_NVIDIA_DRIVER_VERSION");
    snprintf(out, n, "%s", env ? env : "");
}
#else
typedef int parley_hw_other_unused; /* ISO C: a translation unit must declare something */
#endif
