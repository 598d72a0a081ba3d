/* hw_linux.c: RAM and CPU facts from /proc on Linux. */
#include "hw/hw_platform.h"

#if defined(PARLEY_HW_LINUX)
#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "MemTotal:       24558860 kB" -> bytes; 0 when absent. */
static uint64_t meminfo_value(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    p += strlen(key);
    while (*p == ' ' || *p == ':' || *p == '\t')
        p++;
    unsigned long long kb = strtoull(p, NULL, 10);
    return (uint64_t)kb * 1024u;
}

static void add_flag(char *out, size_t n, const char *name)
{
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s", len ? " " : "", name);
}

/* The SIMD features ggml's CPU kernels choose between, in ggml's own spelling. */
static void simd_from_flags(const char *flags, char *out, size_t n)
{
    static const struct {
        const char *cpuinfo, *name;
    } map[] = {
        {"sse4_2", "sse4.2"}, {"avx", "avx"}, {"avx2", "avx2"}, {"fma", "fma"}, {"f16c", "f16c"},
        {"avx_vnni", "avx-vnni"}, {"avx512f", "avx512f"}, {"avx512bw", "avx512bw"}, {"avx512_vnni", "avx512-vnni"},
        {"avx512_bf16", "avx512-bf16"}, {"amx_tile", "amx"},
        /* arm64 */
        {"asimd", "neon"}, {"asimddp", "dotprod"}, {"i8mm", "i8mm"}, {"sve", "sve"}, {"sve2", "sve2"}, {"sme", "sme"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        /* whole-word match inside the space-separated flag list */
        size_t k = strlen(map[i].cpuinfo);
        for (const char *p = flags; (p = strstr(p, map[i].cpuinfo)) != NULL; p += k) {
            bool start = p == flags || p[-1] == ' ' || p[-1] == '\t';
            bool end = p[k] == ' ' || p[k] == '\n' || p[k] == '\0';
            if (start && end) {
                add_flag(out, n, map[i].name);
                break;
            }
        }
    }
}

parley_status parley_hw_platform_probe(parley_hw *hw)
{
    snprintf(hw->os, sizeof hw->os, "linux");
    char buf[8192];
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) {
        int e = errno;
        return parley_fail(PARLEY_ERR_IO, "/proc/meminfo: %s", strerror(e));
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    hw->ram_total = meminfo_value(buf, "MemTotal");
    hw->ram_available = meminfo_value(buf, "MemAvailable");
    if (!hw->ram_total)
        return parley_fail(PARLEY_ERR_IO, "/proc/meminfo has no MemTotal");

    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    hw->cpu_threads = threads > 0 ? (int)threads : 0;

    f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return PARLEY_OK; /* RAM known; CPU details stay unknown */
    char line[8192];
    /* physical cores: distinct (physical id, core id) pairs */
    enum { MAX_PAIRS = 1024 };
    static _Thread_local long pairs[MAX_PAIRS];
    int n_pairs = 0;
    long phys = 0;
    bool have_flags = false;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        const char *val = colon + 1;
        while (*val == ' ')
            val++;
        if (!hw->cpu_model[0] && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0)) {
            snprintf(hw->cpu_model, sizeof hw->cpu_model, "%s", val);
            hw->cpu_model[strcspn(hw->cpu_model, "\n")] = '\0';
        } else if (strncmp(line, "physical id", 11) == 0) {
            phys = strtol(val, NULL, 10);
        } else if (strncmp(line, "core id", 7) == 0) {
            long key = phys * 65536 + strtol(val, NULL, 10);
            bool seen = false;
            for (int i = 0; i < n_pairs && !seen; i++)
                seen = pairs[i] == key;
            if (!seen && n_pairs < MAX_PAIRS)
                pairs[n_pairs++] = key;
        } else if (!have_flags && (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0)) {
            simd_from_flags(val, hw->cpu_simd, sizeof hw->cpu_simd);
            have_flags = true;
        }
    }
    fclose(f);
    hw->cpu_cores = n_pairs ? n_pairs : hw->cpu_threads; /* arm: no core ids, one thread per core */
    return PARLEY_OK;
}

/* The kernel module says "NVRM version: NVIDIA UNIX x86_64 Kernel Module  595.12  <date>";
 * the Vulkan and CUDA user-space drivers always match it. */
void parley_hw_platform_nvidia_driver(char *out, size_t n)
{
    if (!n)
        return;
    out[0] = '\0';
    const char *env = getenv("PARLEY_NVIDIA_DRIVER_VERSION");
    if (env) {
        snprintf(out, n, "%s", env);
        return;
    }
    FILE *f = fopen("/proc/driver/nvidia/version", "r");
    if (!f)
        return;
    char line[512];
    if (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "Kernel Module");
        if (p) {
            p += strlen("Kernel Module");
            while (*p == ' ' || *p == '\t')
                p++;
            size_t len = strspn(p, "0123456789.");
            if (len && len < n) {
                memcpy(out, p, len);
                out[len] = '\0';
            }
        }
    }
    fclose(f);
}
#else
typedef int parley_hw_linux_unused; /* ISO C: a translation unit must declare something */
#endif
