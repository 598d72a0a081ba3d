/* gguf_check.c: reads a GGUF's header and metadata before llama.cpp sees the file, so a
 * wrong, truncated or odd file gets a message that names the problem (llama.cpp's own
 * failure is a generic NULL plus log lines). */
#include "llm/llm_internal.h"

#include "catalog/catalog_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gguf.h>

static uint64_t kv_uint(const struct gguf_context *g, const char *key, bool *found)
{
    int64_t id = gguf_find_key(g, key);
    *found = id >= 0;
    if (id < 0)
        return 0;
    switch (gguf_get_kv_type(g, id)) {
    case GGUF_TYPE_UINT8: return gguf_get_val_u8(g, id);
    case GGUF_TYPE_INT8: return (uint64_t)gguf_get_val_i8(g, id);
    case GGUF_TYPE_UINT16: return gguf_get_val_u16(g, id);
    case GGUF_TYPE_INT16: return (uint64_t)gguf_get_val_i16(g, id);
    case GGUF_TYPE_UINT32: return gguf_get_val_u32(g, id);
    case GGUF_TYPE_INT32: return (uint64_t)gguf_get_val_i32(g, id);
    case GGUF_TYPE_UINT64: return gguf_get_val_u64(g, id);
    case GGUF_TYPE_INT64: return (uint64_t)gguf_get_val_i64(g, id);
    default: *found = false; return 0;
    }
}

static void kv_str(const struct gguf_context *g, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    int64_t id = gguf_find_key(g, key);
    if (id >= 0 && gguf_get_kv_type(g, id) == GGUF_TYPE_STRING)
        snprintf(out, size, "%s", gguf_get_val_str(g, id));
}

parley_status parley_llm_inspect(const char *path, struct parley_llm_info *out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_llm_inspect: NULL argument");
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);

    struct stat stt;
    if (stat(path, &stt) != 0) {
        int e = errno;
        return parley_fail(e == ENOENT ? PARLEY_ERR_MODEL_LOAD : parley_status_from_errno(e),
                           "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(stt.st_mode))
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: not a regular file", path);
    out->file_bytes = (uint64_t)stt.st_size;

    /* The fixed header: magic, version, tensor count, metadata count (24 bytes). */
    FILE *f = fopen(path, "rb");
    if (!f)
        return parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: %s", path, strerror(errno));
    unsigned char hdr[24];
    size_t got = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    if (got < 4 || memcmp(hdr, "GGUF", 4) != 0) {
        char shown[16] = "";
        for (size_t i = 0; i < got && i < 4; i++)
            snprintf(shown + strlen(shown), sizeof shown - strlen(shown), "%02x", hdr[i]);
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "%s: not a GGUF model file (starts with %s%s, expected \"GGUF\")", path,
                           got ? "0x" : "nothing", shown);
    }
    if (got < sizeof hdr)
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "%s: truncated GGUF: %zu bytes, shorter than the 24-byte header", path,
                           got);
    uint32_t version;
    memcpy(&version, hdr + 4, 4);
    if (version < 2 || version > 3)
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "%s: GGUF version %" PRIu32 " (llama.cpp reads versions 2 and 3)", path,
                           version);

    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = gguf_init_from_file(path, gp);
    if (!g)
        return parley_fail(PARLEY_ERR_MODEL_LOAD,
                           "%s: GGUF metadata is corrupt or truncated (the header or key/value "
                           "section could not be read; file is %" PRIu64 " bytes)",
                           path, out->file_bytes);

    parley_status st = PARLEY_OK;
    uint64_t data_end = gguf_get_data_offset(g);
    int64_t n_tensors = gguf_get_n_tensors(g);
    for (int64_t i = 0; i < n_tensors; i++) {
        uint64_t end = gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i) +
                       gguf_get_tensor_size(g, i);
        if (end > data_end)
            data_end = end;
        out->weights_bytes += gguf_get_tensor_size(g, i);
    }
    if (data_end > out->file_bytes) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD,
                         "%s: truncated: the file is %" PRIu64 " bytes but its %" PRId64
                         " tensors end at byte %" PRIu64 " (%.1f%% missing; an interrupted "
                         "download?)",
                         path, out->file_bytes, n_tensors, data_end,
                         100.0 * (double)(data_end - out->file_bytes) / (double)data_end);
        goto out;
    }
    if (n_tensors == 0) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: GGUF without tensors (no weights)", path);
        goto out;
    }

    kv_str(g, "general.architecture", out->arch, sizeof out->arch);
    if (!out->arch[0]) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: GGUF without general.architecture", path);
        goto out;
    }
    kv_str(g, "general.name", out->name, sizeof out->name);

    char key[160];
    bool found;
    snprintf(key, sizeof key, "%s.block_count", out->arch);
    out->n_layer = (int32_t)kv_uint(g, key, &found);
    if (!found) {
        st = parley_fail(PARLEY_ERR_MODEL_LOAD, "%s: GGUF without %s", path, key);
        goto out;
    }
    snprintf(key, sizeof key, "%s.context_length", out->arch);
    out->n_ctx_train = (int32_t)kv_uint(g, key, &found);
    snprintf(key, sizeof key, "%s.embedding_length", out->arch);
    out->n_embd = (int32_t)kv_uint(g, key, &found);
    int64_t tok = gguf_find_key(g, "tokenizer.ggml.tokens");
    if (tok >= 0 && gguf_get_kv_type(g, tok) == GGUF_TYPE_ARRAY)
        out->n_vocab = (int32_t)gguf_get_arr_n(g, tok);
    out->has_chat_template = gguf_find_key(g, "tokenizer.chat_template") >= 0;

    /* Parameters without loading: sum of tensor elements, from the tensor shapes. */
    {
        struct ggml_context *meta = NULL;
        struct gguf_init_params gp2 = {.no_alloc = true, .ctx = &meta};
        struct gguf_context *g2 = gguf_init_from_file(path, gp2);
        if (g2 && meta) {
            for (int64_t i = 0; i < n_tensors; i++) {
                struct ggml_tensor *t = ggml_get_tensor(meta, gguf_get_tensor_name(g2, i));
                if (t)
                    out->n_params += (uint64_t)ggml_nelements(t);
            }
        }
        if (meta)
            ggml_free(meta);
        if (g2)
            gguf_free(g2);
    }
out:
    gguf_free(g);
    return st;
}

/* The loader's first question, asked as 'models add' asks it (the same table of
 * llama.cpp's architectures, catalog/gguf_model.c): an encoder, embedder or speech model
 * in a GGUF loads in llama.cpp but cannot write a summary or an answer. A file that
 * cannot be read here is left to parley_llm_inspect to judge. */
parley_status parley_llm_check_generates(const char *path)
{
    struct gguf_init_params gp = {.no_alloc = true, .ctx = NULL};
    struct gguf_context *g = gguf_init_from_file(path, gp);
    if (!g)
        return PARLEY_OK;
    parley_status st = PARLEY_OK;
    int64_t kid = gguf_find_key(g, "general.architecture");
    if (kid >= 0 && gguf_get_kv_type(g, kid) == GGUF_TYPE_STRING) {
        const char *arch = gguf_get_val_str(g, kid);
        if (parley_llama_arch_known(arch) == 2)
            st = parley_fail(PARLEY_ERR_MODEL_ARCH,
                             "%s: architecture '%s' does not generate text (an encoder, embedding or speech "
                             "model), so it cannot be used as the LLM",
                             path, arch);
    }
    gguf_free(g);
    return st;
}
