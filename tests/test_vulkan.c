/* test_vulkan.c: the GPU paths on a real Vulkan device. On machines without a GPU that
 * device is Mesa's lavapipe (a conformant Vulkan implementation that runs on the CPU),
 * which ggml hides unless GGML_VK_VISIBLE_DEVICES names it: this test names device 0
 * (unless the caller already chose), so it exercises the same code a discrete card would:
 * the hardware probe, an LLM with every layer offloaded and with a split, and whisper on
 * the device, each checked against the CPU's answer.
 *
 * Skips (77) when ggml has no Vulkan device (no libggml0-backend-vulkan, no driver). */
#include "hw/gpu_pick.h"
#include "test.h"

#include "core/internal.h"
#include "asr/asr_internal.h"

#include <parley/asr.h>
#include <parley/hw.h>
#include <parley/llm.h>
#include <parley/transcript.h>

#include <ggml-backend.h>

#include <math.h>
#include <pthread.h>

static const char *vk_name; /* ggml's name of the Vulkan device, NULL = none */

/* ---- captured engine logs: what llama.cpp/whisper.cpp say they placed where ---------- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_len;

static void on_log(parley_log_level level, const char *msg, void *user_data)
{
    (void)level;
    (void)user_data;
    pthread_mutex_lock(&log_mu);
    size_t n = strlen(msg);
    if (log_len + n + 2 < sizeof log_text) {
        memcpy(log_text + log_len, msg, n);
        log_len += n;
        log_text[log_len++] = '\n';
        log_text[log_len] = '\0';
    }
    pthread_mutex_unlock(&log_mu);
}

static void log_reset(void)
{
    pthread_mutex_lock(&log_mu);
    log_len = 0;
    log_text[0] = '\0';
    pthread_mutex_unlock(&log_mu);
}

#define NEED_VULKAN()                                                                              \
    if (!vk_name)                                                                                  \
    SKIP("needs a Vulkan device (libggml0-backend-vulkan and a Vulkan driver such as "             \
         "mesa-vulkan-drivers' lavapipe); ggml found none")

TEST(probe_lists_the_vulkan_device_with_its_memory)
{
    NEED_VULKAN();
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false;
    hp.use_cache = false;
    parley_hw hw;
    ASSERT_OK(parley_hw_probe(&hp, &hw));
    const parley_gpu *g = NULL;
    for (int i = 0; i < hw.n_gpus; i++)
        if (strcmp(hw.gpus[i].backend, "Vulkan") == 0)
            g = &hw.gpus[i];
    ASSERT_MSG(g, "parley_hw_probe lists no Vulkan device although ggml has %s", vk_name);
    ASSERT_STR(g->name, vk_name);
    ASSERT(g->mem_total > 0);
    ASSERT(g->mem_free > 0 && g->mem_free <= g->mem_total);
    ASSERT(!g->known_bad);
    if (parley_hw_is_software_gpu(g->description)) {
        ASSERT(g->software);
        /* lavapipe's memory is system RAM: never more than the machine has */
        ASSERT(g->mem_total <= hw.ram_total + (hw.ram_total / 10));
        ASSERT_EQ_INT(g->type, PARLEY_GPU_INTEGRATED);
    }
}

/* ---- the LLM ------------------------------------------------------------------------- */

static parley_llm *load_llm(const char *path, int32_t ngl)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 256;
    p.n_gpu_layers = ngl;
    p.n_threads = 1;
    parley_llm *llm = NULL;
    parley_status st = parley_llm_load(path, p, &llm);
    if (st != PARLEY_OK)
        fprintf(stderr, "load (ngl %d): %s (%s)\n", ngl, parley_strerror(st), parley_last_error());
    return llm;
}

static char *generate(parley_llm *llm)
{
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = "Once upon a time";
    rq.max_tokens = 24;
    struct parley_llm_result res;
    if (parley_llm_generate(llm, &rq, &res) != PARLEY_OK)
        return NULL;
    char *text = strdup(res.text ? res.text : "");
    parley_llm_result_clear(&res);
    return text;
}

/* The count llama.cpp reports in "offloaded N/M layers to GPU"; -1 when absent. */
static int offloaded_layers(int *of)
{
    const char *p = strstr(log_text, "offloaded ");
    int n = -1, m = -1;
    if (!p || sscanf(p, "offloaded %d/%d layers", &n, &m) != 2)
        return -1;
    *of = m;
    return n;
}

TEST(llm_all_layers_and_split_match_the_cpu)
{
    NEED_VULKAN();
    const char *mp = test_shared_model("stories260K.gguf");
    if (!mp)
        SKIP("needs ../shared/models/stories260K.gguf");
    parley_llm *cpu = load_llm(mp, 0);
    ASSERT(cpu);
    char *want = generate(cpu);
    parley_llm_free(cpu);
    ASSERT(want && strlen(want) > 10);

    /* every layer on the device: llama.cpp says so, and puts the weights there */
    log_reset();
    parley_llm *all = load_llm(mp, -1);
    ASSERT(all);
    int of = 0, n = offloaded_layers(&of);
    ASSERT_MSG(n > 0 && n == of, "all layers: llama.cpp offloaded %d/%d", n, of);
    char buf_line[64];
    snprintf(buf_line, sizeof buf_line, "%s model buffer size", vk_name);
    ASSERT_CONTAINS(log_text, buf_line);
    char *got = generate(all);
    parley_llm_free(all);
    ASSERT(got);
    ASSERT_STR(got, want); /* greedy: the device computes the same tokens */
    free(got);

    /* a split: two layers on the device, the rest (and the output head) on the CPU */
    log_reset();
    parley_llm *split = load_llm(mp, 2);
    ASSERT(split);
    n = offloaded_layers(&of);
    ASSERT_MSG(n == 2 && of > 2, "split: llama.cpp offloaded %d/%d", n, of);
    ASSERT_CONTAINS(log_text, buf_line);
    ASSERT_CONTAINS(log_text, "CPU_Mapped model buffer size");
    got = generate(split);
    parley_llm_free(split);
    ASSERT(got);
    ASSERT_STR(got, want);
    free(got);
    free(want);
}

/* ---- whisper ------------------------------------------------------------------------- */

static char standin[4300];

static char *transcribe(bool use_gpu, const float *pcm, size_t n)
{
    struct parley_asr_params ap = parley_asr_default_params();
    ap.model_path = standin;
    ap.use_gpu = use_gpu;
    parley_asr *asr = NULL;
    if (parley_asr_init(&ap, &asr) != PARLEY_OK) {
        fprintf(stderr, "asr init: %s\n", parley_last_error());
        return NULL;
    }
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = false;
    tp.no_fallback = true;
    tp.language = "en";
    tp.n_threads = 2;
    parley_transcript t;
    memset(&t, 0, sizeof t);
    parley_status st = parley_asr_transcribe(asr, &tp, pcm, n, &t);
    parley_asr_free(asr);
    if (st != PARLEY_OK) {
        fprintf(stderr, "transcribe: %s\n", parley_last_error());
        return NULL;
    }
    parley_buf b = {0};
    for (size_t i = 0; i < t.n_segments; i++)
        parley_buf_printf(&b, "[%lld %lld]%s\n", (long long)t.segments[i].t0_ms, (long long)t.segments[i].t1_ms,
                          t.segments[i].text);
    parley_transcript_free(&t);
    return b.data ? b.data : strdup("");
}

TEST(whisper_on_the_device_matches_the_cpu)
{
    NEED_VULKAN();
    const char *tools = getenv("PARLEY_TOOLS");
    if (!tools)
        SKIP("needs PARLEY_TOOLS (the build directory holding whisper_standin)");
    const char *dir = test_tmpdir("vulkan");
    ASSERT(dir);
    snprintf(standin, sizeof standin, "%s/ggml-tiny.bin", dir);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s/whisper_standin' --size tiny --out '%s' >/dev/null", tools, standin);
    ASSERT(system(cmd) == 0);
    /* 4 s of a tone with a little noise: the stand-in's scripted decoder writes words */
    size_t n = 16000 * 4;
    float *pcm = malloc(n * sizeof *pcm);
    ASSERT(pcm);
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        pcm[i] = 0.3f * sinf(2 * 3.14159265f * 220.0f * (float)i / 16000.0f) +
                 0.05f * ((float)(seed >> 16 & 0x7fff) / 32768.0f - 0.5f);
    }
    double t0 = parley_now();
    char *want = transcribe(false, pcm, n);
    ASSERT(want);
    double t1 = parley_now();
    log_reset();
    char *got = transcribe(true, pcm, n);
    ASSERT(got);
    fprintf(stderr, "whisper tiny stand-in, 4 s of audio: CPU %.1f s, %s %.1f s\n", t1 - t0, vk_name,
            parley_now() - t1);
    /* whisper.cpp names the backend it chose */
    ASSERT_MSG(strstr(log_text, "Vulkan") != NULL, "whisper.cpp did not use Vulkan:\n%s", log_text);
    char used[96]; /* the line the known-bad test below looks for */
    snprintf(used, sizeof used, "using %s backend", vk_name);
    ASSERT_MSG(strstr(log_text, used) != NULL, "whisper.cpp did not say \"%s\":\n%.3000s", used, log_text);
    ASSERT_MSG(strlen(want) > 0, "the CPU run wrote no segments");
    ASSERT_STR(got, want);
    free(want);
    free(got);
    free(pcm);
}

/* A device whose driver the known-bad table names gets no speech model: whisper runs on the
 * CPU instead (same text), and the log says why. Needs the stand-in made by the test above. */
TEST(whisper_skips_a_known_bad_gpu)
{
    NEED_VULKAN();
    if (!standin[0])
        SKIP("needs the whisper stand-in (PARLEY_TOOLS)");
    size_t n = 16000 * 2;
    float *pcm = malloc(n * sizeof *pcm);
    ASSERT(pcm);
    for (size_t i = 0; i < n; i++)
        pcm[i] = 0.3f * sinf(2 * 3.14159265f * 330.0f * (float)i / 16000.0f);
    char *want = transcribe(false, pcm, n);
    ASSERT(want);
    struct parley_hw_params hp = parley_hw_default_params();
    hp.measure_bandwidth = false;
    hp.use_cache = false;
    static parley_hw hw;
    ASSERT_OK(parley_hw_probe(&hp, &hw));
    parley_gpu *g = NULL;
    for (int i = 0; i < hw.n_gpus; i++)
        if (strcmp(hw.gpus[i].name, vk_name) == 0)
            g = &hw.gpus[i];
    ASSERT_MSG(g, "the probe does not list %s", vk_name);
    g->known_bad = true;
    snprintf(g->known_bad_reason, sizeof g->known_bad_reason, "driver 595.12: crashes at model load; update to 596.21");
    parley_hw_gpu_override(&hw);
    log_reset();
    char *got = transcribe(true, pcm, n);
    parley_hw_gpu_override(NULL);
    ASSERT(got);
    char used[96];
    snprintf(used, sizeof used, "using %s backend", vk_name);
    ASSERT_MSG(strstr(log_text, used) == NULL, "whisper used the known-bad %s:\n%.2000s", vk_name, log_text);
    ASSERT_CONTAINS(log_text, "update to 596.21");
    ASSERT_STR(got, want);
    free(want);
    free(got);
    free(pcm);
}

int main(void)
{
    /* Opt in to CPU-type Vulkan devices the way a user would (docs/fit.md), unless the
     * caller already picked devices. */
    setenv("GGML_VK_VISIBLE_DEVICES", "0", 0);
    parley_log_set(on_log, NULL, PARLEY_LOG_DEBUG);
    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "SKIP: parley_init: %s\n", parley_last_error());
        return 77;
    }
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        ggml_backend_reg_t r = ggml_backend_dev_backend_reg(d);
        if (r && strcmp(ggml_backend_reg_name(r), "Vulkan") == 0 && ggml_backend_dev_type(d) !=
                                                                     GGML_BACKEND_DEVICE_TYPE_CPU) {
            vk_name = ggml_backend_dev_name(d);
            break;
        }
    }
    if (!vk_name)
        fprintf(stderr, "SKIP: ggml has no Vulkan device here (install libggml0-backend-vulkan and a Vulkan "
                        "driver; on a machine without a GPU, mesa-vulkan-drivers gives lavapipe)\n");
    else
        fprintf(stderr, "Vulkan device: %s (%s)\n", vk_name,
                ggml_backend_dev_description(ggml_backend_dev_by_name(vk_name)));
    RUN(probe_lists_the_vulkan_device_with_its_memory);
    RUN(llm_all_layers_and_split_match_the_cpu);
    RUN(whisper_on_the_device_matches_the_cpu);
    RUN(whisper_skips_a_known_bad_gpu);
    return test_summary();
}
