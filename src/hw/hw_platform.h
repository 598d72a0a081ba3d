/* hw_platform.h: the one place that picks the platform's probe. Each platform file
 * (hw_linux.c, ...) compiles to nothing on other systems; hw_other.c covers the rest. */
#ifndef PARLEY_HW_PLATFORM_H
#define PARLEY_HW_PLATFORM_H

#include <parley/hw.h>

#if defined(__linux__)
#define PARLEY_HW_LINUX 1
#elif defined(__APPLE__)
#define PARLEY_HW_MACOS 1 /* not written yet: hw_other.c reports UNSUPPORTED */
#elif defined(_WIN32)
#define PARLEY_HW_WINDOWS 1 /* not written yet: hw_other.c reports UNSUPPORTED */
#endif

/* Fills os, ram_total, ram_available, cpu_model, cpu_cores, cpu_threads, cpu_simd.
 * UNSUPPORTED on a platform without a probe; IO when the basics cannot be read. */
parley_status parley_hw_platform_probe(parley_hw *hw);

/* The NVIDIA driver's version ("595.12") where the platform can say; "" otherwise.
 * $PARLEY_NVIDIA_DRIVER_VERSION overrides it (tests of the known-bad table, and a
 * driver whose version cannot be read). */
void parley_hw_platform_nvidia_driver(char *out, size_t n);

#endif
