/* test_hw.c: the hardware probe on this machine, the bandwidth cache, and the GPU table. */
#include "test.h"

#include <parley/hw.h>

#include <ggml-backend.h>

static char dir[4096];

TEST(probe_reads_ram_and_cpu)
{
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false;
    hp.use_cache = false;
    parley_hw hw;
    ASSERT_OK(parley_hw_probe(&hp, &hw));
    ASSERT_STR(hw.os, "linux");
    /* independent reading of the same fact */
    double pages = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    ASSERT_MSG(fabs((double)hw.ram_total - pages) < 0.02 * pages, "ram_total %llu vs sysconf %.0f",
               (unsigned long long)hw.ram_total, pages);
    ASSERT(hw.ram_available > 0 && hw.ram_available <= hw.ram_total);
    ASSERT_EQ_INT(hw.cpu_threads, sysconf(_SC_NPROCESSORS_ONLN));
    ASSERT(hw.cpu_cores >= 1 && hw.cpu_cores <= hw.cpu_threads);
    ASSERT(hw.cpu_device); /* parley_init loaded ggml's CPU backend */
    ASSERT(hw.ram_bandwidth_gbs == 0 && hw.ram_bandwidth_source == PARLEY_BW_UNKNOWN);
#if defined(__x86_64__)
    ASSERT_CONTAINS(hw.cpu_simd, "sse4.2"); /* every x86-64 Debian can run */
#endif
}

TEST(gpus_are_ggmls_devices)
{
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false;
    hp.use_cache = false;
    parley_hw hw;
    ASSERT_OK(parley_hw_probe(&hp, &hw));
    int want = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        enum ggml_backend_dev_type t = ggml_backend_dev_type(ggml_backend_dev_get(i));
        if (t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU)
            want++;
    }
    ASSERT_EQ_INT(hw.n_gpus, want);
    for (int i = 0; i < hw.n_gpus; i++) {
        ASSERT(hw.gpus[i].name[0]);
        ASSERT(hw.gpus[i].mem_total >= hw.gpus[i].mem_free);
    }
}

TEST(bandwidth_is_measured_then_cached)
{
    char cache[4300];
    snprintf(cache, sizeof cache, "%s/membw.json", dir);
    struct parley_hw_params hp = parley_hw_default_params();
    hp.cache_path = cache;
    hp.probe_seconds = 0.05;
    parley_hw a, b;
    ASSERT_OK(parley_hw_probe(&hp, &a));
    ASSERT_EQ_INT(a.ram_bandwidth_source, PARLEY_BW_MEASURED);
    /* DRAM read bandwidth of any machine that runs this: between 0.5 and 2000 GB/s */
    ASSERT(a.ram_bandwidth_gbs > 0.5 && a.ram_bandwidth_gbs < 2000);
    ASSERT_EQ_INT(a.cpu_matvec_source, PARLEY_BW_MEASURED);
    ASSERT(a.cpu_matvec_gbs > 0.05 && a.cpu_matvec_gbs < 2000);
    ASSERT(access(cache, R_OK) == 0);
    ASSERT_OK(parley_hw_probe(&hp, &b));
    ASSERT_EQ_INT(b.ram_bandwidth_source, PARLEY_BW_CACHED);
    ASSERT_NEAR(b.ram_bandwidth_gbs, a.ram_bandwidth_gbs, 1e-6);
    ASSERT_NEAR(b.cpu_matvec_gbs, a.cpu_matvec_gbs, 1e-6);
    /* a cache written for another machine is not used */
    FILE *f = fopen(cache, "w");
    ASSERT(f);
    fprintf(f, "{\"cpu_model\":\"Other CPU\",\"ram_total\":%llu,\"threads\":%d,\"ram_bandwidth_gbs\":999}",
            (unsigned long long)a.ram_total, a.cpu_threads);
    fclose(f);
    hp.measure_bandwidth = false;
    ASSERT_OK(parley_hw_probe(&hp, &b));
    ASSERT_EQ_INT(b.ram_bandwidth_source, PARLEY_BW_UNKNOWN);
    ASSERT(b.ram_bandwidth_gbs == 0);
}

TEST(measure_reports_and_checks_its_output)
{
    double g = 0;
    ASSERT_OK(parley_hw_measure_ram_bandwidth(1, 0.05, &g));
    ASSERT(g > 0.5);
    ASSERT_STATUS(parley_hw_measure_ram_bandwidth(1, 0.05, NULL), PARLEY_ERR_INVALID_ARG);
}

TEST(gpu_table)
{
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA GeForce RTX 4090"), 1008, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA GeForce RTX 4060 Ti"), 288, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA GeForce RTX 4060"), 272, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA L40S"), 864, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA L4"), 300, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA A100-SXM4-80GB"), 2039, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("NVIDIA H100 80GB HBM3"), 3350, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("Apple M2 Pro"), 200, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("Apple M2"), 100, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth("llvmpipe (LLVM 19.1.7, 256 bits)"), 0, 0);
    ASSERT_NEAR(parley_hw_known_gpu_bandwidth(NULL), 0, 0);
    ASSERT_STR(parley_gpu_type_name(PARLEY_GPU_UNIFIED), "unified");
    ASSERT_STR(parley_bw_source_name(PARLEY_BW_TABLE), "table");
}

int main(void)
{

    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "parley_init: %s\n", parley_last_error());
        return 1;
    }
    const char *d = test_tmpdir("hw");
    if (!d)
        return 1;
    snprintf(dir, sizeof dir, "%s", d);
    RUN(probe_reads_ram_and_cpu);
    RUN(gpus_are_ggmls_devices);
    RUN(bandwidth_is_measured_then_cached);
    RUN(measure_reports_and_checks_its_output);
    RUN(gpu_table);
    return test_summary();
}
