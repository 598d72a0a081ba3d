/* fit_measure: what the fit scorer predicts for a GGUF against what llama.cpp actually
 * allocates when it loads the model and a context, and the decode speed it reaches on
 * this machine. Used by bench/fit_accuracy.sh; prints one JSON object.
 *
 *   fit_measure MODEL.gguf [--ctx TOKENS] [--gen TOKENS] [--threads N] [--no-alloc]
 *
 * Measured memory = the buffers llama.cpp reports while loading (model weights, KV cache,
 * recurrent state, compute and output buffers; read from its log lines "... buffer size =
 * X MiB", summed over devices), plus the process RSS as a cross-check. --no-alloc keeps
 * the weights memory-mapped and untouched and decodes nothing: buffer sizes for models
 * larger than this machine's free RAM; no speed then. */
#include <parley/catalog.h>
#include <parley/fit.h>
#include <parley/hw.h>
#include <parley/parley.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llama.h>

static struct {
    double weights, kv, state, compute, output; /* MiB */
    int lines;
} got;
static int verbose;

/* "load_tensors:   CPU_Mapped model buffer size =  1177.83 MiB" and the like. */
static void on_log(enum ggml_log_level level, const char *text, void *ud)
{
    (void)level;
    (void)ud;
    if (verbose)
        fputs(text, stderr);
    const char *p = strstr(text, "buffer size");
    if (!p)
        return;
    const char *eq = strchr(p, '=');
    if (!eq)
        return;
    double mib = strtod(eq + 1, NULL);
    if (strstr(text, "model buffer"))
        got.weights += mib;
    else if (strstr(text, "KV buffer") || strstr(text, "K buffer") || strstr(text, "V buffer"))
        got.kv += mib;
    else if (strstr(text, "RS buffer") || strstr(text, "R buffer") || strstr(text, "S buffer"))
        got.state += mib;
    else if (strstr(text, "compute buffer"))
        got.compute += mib;
    else if (strstr(text, "output buffer"))
        got.output += mib;
    else
        return;
    got.lines++;
}

static double rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtod(line + 6, NULL);
    fclose(f);
    return kb / 1024.0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int ctx = 32768, gen = 32, threads = 0, no_alloc = 0, n_seq = 0, swa_full = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ctx") && i + 1 < argc)
            ctx = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--gen") && i + 1 < argc)
            gen = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n-seq") && i + 1 < argc)
            n_seq = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--swa-full"))
            swa_full = 1;
        else if (!strcmp(argv[i], "--no-alloc"))
            no_alloc = 1;
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: %s MODEL.gguf [--ctx N] [--gen N] [--threads N] [--no-alloc] [-v]\n", argv[0]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: %s MODEL.gguf [--ctx N] [--gen N] [--threads N] [--no-alloc] [-v]\n", argv[0]);
        return 2;
    }
    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "parley_init: %s\n", parley_last_error());
        return 1;
    }
    llama_log_set(on_log, NULL);

    /* The prediction: from the file's header and this machine's description only. */
    parley_model_info info;
    if (parley_model_read_gguf(path, &info) != PARLEY_OK) {
        fprintf(stderr, "%s\n", parley_last_error());
        return 1;
    }
    struct parley_hw_params hp = parley_hw_default_params();
    hp.use_cache = false; /* measure now: the machine's load changes from minute to minute */
    parley_hw hw;
    if (parley_hw_probe(&hp, &hw) != PARLEY_OK) {
        fprintf(stderr, "hw: %s\n", parley_last_error());
        return 1;
    }
    hw.n_gpus = 0; /* this benchmark measures the CPU path */
    if (threads <= 0)
        threads = hw.cpu_threads > 0 ? hw.cpu_threads : 1;
    /* RAM bandwidth with the thread count the decode will use */
    double bw = 0;
    if (parley_hw_measure_ram_bandwidth(threads, 0.3, &bw) == PARLEY_OK && bw > 0)
        hw.ram_bandwidth_gbs = bw;
    struct parley_fit_params fp = parley_fit_default_params();
    fp.n_ctx = (uint32_t)ctx;
    if (n_seq > 0)
        fp.n_seq = (uint32_t)n_seq;
    fp.swa_full = swa_full;
    parley_fit pred = parley_fit_model(&info, &hw, &fp);

    /* The measurement. */
    double rss0 = rss_mib();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    /* --no-alloc (named for what it avoids): weights stay memory-mapped and untouched (no
     * repacked copies), the context's buffers are allocated for real, nothing is decoded.
     * llama.cpp 0.7's own no_alloc asserts for these architectures (llama-model.cpp:1917). */
    if (no_alloc)
        mp.use_extra_bufts = false;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) {
        fprintf(stderr, "%s: llama.cpp could not load it\n", path);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)ctx;
    cp.n_batch = 512;
    cp.n_ubatch = 512;
    /* as Parley's engine runs a meeting (and as the scorer's defaults assume): two
     * sequences sharing one unified KV cache, sliding windows not widened to the context */
    cp.n_seq_max = fp.n_seq;
    cp.kv_unified = true;
    cp.swa_full = fp.swa_full;
    cp.n_threads = cp.n_threads_batch = threads;
    struct llama_context *lctx = llama_init_from_model(model, cp);
    if (!lctx) {
        fprintf(stderr, "%s: no context of %d tokens\n", path, ctx);
        llama_model_free(model);
        return 1;
    }
    double tps = 0, rss = 0;
    if (!no_alloc) {
        const struct llama_vocab *vocab = llama_model_get_vocab(model);
        int n_vocab = llama_vocab_n_tokens(vocab);
        enum { PROMPT = 64 };
        llama_token toks[PROMPT];
        unsigned seed = 12345;
        for (int i = 0; i < PROMPT; i++) {
            seed = seed * 1103515245u + 12345u;
            toks[i] = (llama_token)((seed >> 8) % (unsigned)n_vocab);
        }
        if (llama_decode(lctx, llama_batch_get_one(toks, PROMPT)) != 0) {
            fprintf(stderr, "prompt decode failed\n");
            return 1;
        }
        /* One warm-up token, then rounds of (mat-vec probe, a few timed tokens): the
         * machine's load drifts, so the rate the prediction uses is measured in the same
         * minutes as the decoding it predicts. */
        llama_token t = toks[0];
        llama_decode(lctx, llama_batch_get_one(&t, 1));
        enum { ROUNDS = 6 };
        int per_round = gen / ROUNDS > 0 ? gen / ROUNDS : 1;
        double dt = 0, mv_sum = 0, bw_sum = 0;
        int mv_n = 0, bw_n = 0, done = 0;
        for (int r = 0; r < ROUNDS; r++) {
            double mv = 0, rb = 0;
            if (parley_hw_measure_ram_bandwidth(threads, 0.2, &rb) == PARLEY_OK && rb > 0) {
                bw_sum += rb;
                bw_n++;
            }
            if (parley_hw_measure_cpu_matvec(threads, 0.3, &mv) == PARLEY_OK && mv > 0) {
                if (verbose)
                    fprintf(stderr, "fit_measure: mat-vec probe %.2f GB/s\n", mv);
                mv_sum += mv;
                mv_n++;
            }
            double t0 = parley_now();
            for (int i = 0; i < per_round; i++) {
                t = (llama_token)((t * 7919 + 13) % n_vocab);
                if (llama_decode(lctx, llama_batch_get_one(&t, 1)) != 0) {
                    fprintf(stderr, "decode failed at token %d\n", done);
                    return 1;
                }
                done++;
            }
            dt += parley_now() - t0;
        }
        tps = dt > 0 ? done / dt : 0;
        if (mv_n)
            hw.cpu_matvec_gbs = mv_sum / mv_n;
        if (bw_n)
            hw.ram_bandwidth_gbs = bw_sum / bw_n;
        pred = parley_fit_model(&info, &hw, &fp);
        rss = rss_mib() - rss0;
    }
    const double MiB = 1048576.0;
    double measured = got.weights + got.kv + got.state + got.compute + got.output;
    printf("{\"file\":\"%s\",\"arch\":\"%s\",\"n_layer\":%u,\"ctx\":%d,\"threads\":%d,"
           "\"ram_bandwidth_gbs\":%.2f,\"cpu_matvec_gbs\":%.2f,\"buffer_lines\":%d,\n"
           " \"predicted_mib\":{\"weights\":%.1f,\"kv\":%.1f,\"state\":%.1f,\"compute\":%.1f,\"total\":%.1f,"
           "\"ram\":%.1f},\n"
           " \"measured_mib\":{\"weights\":%.1f,\"kv\":%.1f,\"state\":%.1f,\"compute\":%.1f,\"output\":%.1f,"
           "\"total\":%.1f,\"rss_growth\":%.1f},\n"
           " \"predicted_tps\":%.2f,\"measured_tps\":%.2f}\n",
           path, info.arch, info.shape.n_layer, ctx, threads, hw.ram_bandwidth_gbs, hw.cpu_matvec_gbs, got.lines,
           pred.mem.weights / MiB, pred.mem.kv / MiB, pred.mem.state / MiB, pred.mem.compute / MiB,
           pred.mem.total / MiB, pred.ram_bytes / MiB, got.weights, got.kv, got.state, got.compute, got.output,
           measured, rss, pred.tokens_per_s, tps);
    llama_free(lctx);
    llama_model_free(model);
    return got.lines > 0 ? 0 : 1;
}
