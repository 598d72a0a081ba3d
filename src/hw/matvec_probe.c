/* matvec_probe.c: how fast this CPU streams quantised weights through ggml's own
 * matrix-vector kernel, the operation that dominates decoding. On machines with few cores
 * decoding is limited by this arithmetic, not by DRAM: a 2-core VM reads RAM at 20 GB/s
 * but dequantises and multiplies Q4_K weights at a fraction of that. The fit scorer takes
 * the lower of the two. */
#include "core/internal.h"

#include <parley/hw.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ggml-alloc.h>
#include <ggml-backend.h>
#include <ggml.h>

/* llama.cpp (use_extra_bufts, on by default) keeps Q4_K matrices in ggml's CPU_REPACK
 * buffer, whose interleaved layout has faster kernels; the probe does the same when the
 * CPU backend offers it, so it times the kernel decoding really runs. */
static ggml_backend_buffer_type_t repack_buft(ggml_backend_dev_t dev, ggml_backend_reg_t reg)
{
    if (!reg || getenv("PARLEY_MATVEC_NO_REPACK"))
        return NULL;
    ggml_backend_dev_get_extra_bufts_t get =
        (ggml_backend_dev_get_extra_bufts_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    if (!get)
        return NULL;
    ggml_backend_buffer_type_t *list = get(dev);
    for (; list && *list; list++)
        if (strstr(ggml_backend_buft_name(*list), "REPACK"))
            return *list;
    return NULL;
}

parley_status parley_hw_measure_cpu_matvec(int threads, double seconds, double *gbs)
{
    if (!gbs)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no output");
    *gbs = 0;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (seconds <= 0)
        seconds = 0.4;
    ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (!dev)
        return parley_fail(PARLEY_ERR_NO_DEVICE, "ggml has no CPU backend (call parley_init first)");
    ggml_backend_t be = ggml_backend_dev_init(dev, NULL);
    if (!be)
        return parley_fail(PARLEY_ERR_NO_DEVICE, "the ggml CPU backend did not start");
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    ggml_backend_set_n_threads_t set_threads =
        reg ? (ggml_backend_set_n_threads_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads")
            : NULL;
    if (set_threads)
        set_threads(be, threads);

    parley_status st = PARLEY_OK;
    struct ggml_init_params ip = {.mem_size = 4 * ggml_tensor_overhead() + ggml_graph_overhead() + 4096,
                                  .mem_buffer = NULL,
                                  .no_alloc = true};
    struct ggml_context *ctx = ggml_init(ip);
    struct ggml_context *wctx = ggml_init(ip);
    ggml_backend_buffer_t buf = NULL, wbuf = NULL;
    if (!ctx || !wctx) {
        st = parley_fail(PARLEY_ERR_NOMEM, "ggml context");
        goto out;
    }
    /* 8192 x 57344 Q4_K weights: 252 MiB, past the last-level cache even of CPUs with
     * stacked cache (a 72 MiB matrix partly stayed in cache on a Zen 4 server and timed
     * at DRAM-impossible speeds), so each pass streams from DRAM as decoding does. The
     * values do not matter to the kernel's speed; the bytes are filled so that every page
     * is really there. */
    const int64_t cols = 8192, rows = 57344;
    struct ggml_tensor *w = ggml_new_tensor_2d(wctx, GGML_TYPE_Q4_K, cols, rows);
    struct ggml_tensor *x = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, cols);
    struct ggml_tensor *y = ggml_mul_mat(ctx, w, x);
    struct ggml_cgraph *gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, y);
    ggml_backend_buffer_type_t rb = repack_buft(dev, reg);
    wbuf = rb ? ggml_backend_alloc_ctx_tensors_from_buft(wctx, rb) : NULL;
    if (!wbuf)
        wbuf = ggml_backend_alloc_ctx_tensors(wctx, be);
    buf = ggml_backend_alloc_ctx_tensors(ctx, be);
    if (!buf || !wbuf) {
        st = parley_fail(PARLEY_ERR_NOMEM, "no 252 MiB buffer for the mat-vec probe");
        goto out;
    }
    /* small positive half-float scales (0x1400 ~ 0.001) and arbitrary quants */
    size_t wbytes = ggml_nbytes(w);
    uint16_t *fill = malloc(wbytes);
    if (!fill) {
        st = parley_fail(PARLEY_ERR_NOMEM, "mat-vec probe");
        goto out;
    }
    for (size_t i = 0; i < wbytes / 2; i++)
        fill[i] = 0x1400;
    ggml_backend_tensor_set(w, fill, 0, wbytes);
    free(fill);
    float *xv = calloc((size_t)cols, sizeof *xv);
    if (!xv) {
        st = parley_fail(PARLEY_ERR_NOMEM, "mat-vec probe");
        goto out;
    }
    for (int64_t i = 0; i < cols; i++)
        xv[i] = (float)(i % 7) * 0.01f;
    ggml_backend_tensor_set(x, xv, 0, (size_t)cols * sizeof *xv);
    free(xv);

    /* The median pass, not the best: on a shared machine single passes swing widely. */
    enum { MAX_PASSES = 64 };
    double rates[MAX_PASSES];
    int n_rates = 0;
    double t_end = parley_now() + seconds;
    int passes = 0;
    do {
        double t0 = parley_now();
        if (ggml_backend_graph_compute(be, gf) != GGML_STATUS_SUCCESS) {
            st = parley_fail(PARLEY_ERR_INFERENCE, "mat-vec probe failed to compute");
            goto out;
        }
        double dt = parley_now() - t0;
        if (dt > 0 && passes > 0 && n_rates < MAX_PASSES) /* the first pass warms the thread pool */
            rates[n_rates++] = (double)wbytes / dt / 1e9;
        passes++;
    } while ((parley_now() < t_end || passes < 4) && passes < MAX_PASSES);
    for (int i = 1; i < n_rates; i++) /* insertion sort: a handful of values */
        for (int j = i; j > 0 && rates[j] < rates[j - 1]; j--) {
            double tmp = rates[j];
            rates[j] = rates[j - 1];
            rates[j - 1] = tmp;
        }
    *gbs = n_rates ? rates[n_rates / 2] : 0;
out:
    if (buf)
        ggml_backend_buffer_free(buf);
    if (wbuf)
        ggml_backend_buffer_free(wbuf);
    if (ctx)
        ggml_free(ctx);
    if (wctx)
        ggml_free(wctx);
    ggml_backend_free(be);
    return st;
}
