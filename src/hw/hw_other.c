/* hw_other.c: platforms whose probe is not written yet say so instead of guessing. */
#include "hw/hw_platform.h"

#if !defined(PARLEY_HW_LINUX)
#include "core/internal.h"

parley_status parley_hw_platform_probe(parley_hw *hw)
{
    (void)hw;
    return parley_fail(PARLEY_ERR_UNSUPPORTED, "the hardware probe is written for Linux only so far");
}
#else
typedef int parley_hw_other_unused; /* ISO C: a translation unit must declare something */
#endif
