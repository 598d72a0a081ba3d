/* test_llm_known_bad.c: a GPU whose driver is known to be bad (hw.h) gets no layers. On a
 * real Vulkan device (lavapipe here, made visible through PARLEY_VK_DEVICES, Parley's name
 * for GGML_VK_VISIBLE_DEVICES): stories260K with every layer asked for goes on the device;
 * then the same load with that device marked known_bad (a synthetic probe result, the
 * test hook in llm_internal.h) puts nothing on it, says why, and still generates the
 * same text on the CPU.
 *
 * Skips (77) when ggml has no Vulkan device. */
#include "hw/gpu_pick.h"
#include "test.h"

#include "llm/llm_internal.h"

#include <parley/hw.h>
#include <parley/llm.h>

#include <ggml-backend.h>

#include <pthread.h>

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

static const char *vk_name;

static parley_llm *load_all_layers(const char *path)
{
    struct parley_llm_params p = parley_llm_default_params();
    p.n_ctx = 256;
    p.n_gpu_layers = -1;
    p.n_threads = 1;
    parley_llm *llm = NULL;
    if (parley_llm_load(path, p, &llm) != PARLEY_OK)
        fprintf(stderr, "load: %s\n", parley_last_error());
    return llm;
}

static char *generate(parley_llm *llm)
{
    struct parley_llm_request rq = parley_llm_default_request();
    rq.prompt = "Once upon a time";
    rq.max_tokens = 16;
    struct parley_llm_result res;
    if (parley_llm_generate(llm, &rq, &res) != PARLEY_OK)
        return NULL;
    char *text = strdup(res.text ? res.text : "");
    parley_llm_result_clear(&res);
    return text;
}

TEST(the_alias_names_the_ggml_variable)
{
    const char *v = getenv("GGML_VK_VISIBLE_DEVICES");
    ASSERT_MSG(v && strcmp(v, "0") == 0, "PARLEY_VK_DEVICES=0 did not set GGML_VK_VISIBLE_DEVICES (%s)",
               v ? v : "unset");
}

TEST(no_layers_on_a_known_bad_gpu)
{
    if (!vk_name)
        SKIP("needs a Vulkan device (libggml0-backend-vulkan and mesa-vulkan-drivers' lavapipe)");
    const char *mp = test_shared_model("stories260K.gguf");
    if (!mp)
        SKIP("needs ../shared/models/stories260K.gguf");
    char buf_line[96];
    snprintf(buf_line, sizeof buf_line, "%s model buffer size", vk_name);

    /* the control: a good device takes the layers (so the check below can fail) */
    log_reset();
    parley_llm *good = load_all_layers(mp);
    ASSERT(good);
    ASSERT_MSG(strstr(log_text, buf_line) != NULL, "the device took no layers although it is fine:\n%.2000s",
               log_text);
    char *want = generate(good);
    parley_llm_free(good);
    ASSERT(want && *want);

    /* the same device, with a driver the table calls bad */
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
    parley_llm *bad = load_all_layers(mp);
    parley_hw_gpu_override(NULL);
    ASSERT(bad);
    ASSERT_MSG(strstr(log_text, buf_line) == NULL, "layers were placed on the known-bad %s:\n%.2000s", vk_name,
               log_text);
    char why[160];
    snprintf(why, sizeof why, "no layers on %s", vk_name);
    ASSERT_CONTAINS(log_text, why);
    ASSERT_CONTAINS(log_text, "update to 596.21");
    char *got = generate(bad);
    parley_llm_free(bad);
    ASSERT(got);
    ASSERT_STR(got, want); /* greedy: the CPU computes the same tokens */
    free(got);
    free(want);
}

int main(void)
{
    /* Parley's own name for the device list; the ggml variable itself stays unset here. */
    unsetenv("GGML_VK_VISIBLE_DEVICES");
    setenv("PARLEY_VK_DEVICES", "0", 1);
    parley_log_set(on_log, NULL, PARLEY_LOG_DEBUG);
    if (parley_init() != PARLEY_OK) {
        fprintf(stderr, "SKIP: parley_init: %s\n", parley_last_error());
        return 77;
    }
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        ggml_backend_reg_t r = ggml_backend_dev_backend_reg(d);
        if (r && strcmp(ggml_backend_reg_name(r), "Vulkan") == 0 &&
            ggml_backend_dev_type(d) != GGML_BACKEND_DEVICE_TYPE_CPU) {
            vk_name = ggml_backend_dev_name(d);
            break;
        }
    }
    RUN(the_alias_names_the_ggml_variable);
    RUN(no_layers_on_a_known_bad_gpu);
    return test_summary();
}
