/* state_cache.c: the evaluated prefix (e.g. a meeting's transcript) kept on disk, so that
 * a later process loads it instead of evaluating it again.
 *
 * One file per (model, prefix tokens): <dir>/<sha256 hex>.state, where the hash covers the
 * model's identity (path, size, mtime, llama.cpp's version) and the exact tokens. A file:
 *   "PARLEYST" | u32 version | u32 n_tokens | u64 payload bytes | 32-byte SHA-256 of
 *   (tokens + payload) | tokens (n * int32) | payload (llama_state_seq_get_data)
 * Anything that does not check out (short, wrong magic, other tokens, bad hash, llama
 * refusing the payload) is a miss with a log line and the file is removed; never a crash.
 * The directory is bounded: after each save the oldest files go until it fits. */
#include "llm/llm_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define STATE_MAGIC "PARLEYST"
#define STATE_VERSION 1u
#define HEADER_BYTES (8 + 4 + 4 + 8 + 32)

parley_status parley_llm_model_key_init(parley_llm_model_key *k, const char *path, const char *extra)
{
    struct stat sb;
    memset(k, 0, sizeof *k);
    if (stat(path, &sb) != 0)
        return parley_fail(PARLEY_ERR_IO, "%s: %s", path, strerror(errno));
    char id[4096 + 256];
    int n = snprintf(id, sizeof id, "%s\n%lld\n%lld.%09ld\n%s", path, (long long)sb.st_size,
                     (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec, extra ? extra : "");
    unsigned int len = 0;
    if (n < 0 || !EVP_Digest(id, (size_t)n < sizeof id ? (size_t)n : sizeof id - 1, k->h, &len, EVP_sha256(), NULL))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "could not hash the model's identity");
    return PARLEY_OK;
}

static void file_name(const char *dir, const parley_llm_model_key *mk, const int32_t *toks, int32_t n,
                      char *out, size_t size)
{
    unsigned char h[32];
    unsigned int len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, mk->h, sizeof mk->h) &&
              EVP_DigestUpdate(c, toks, (size_t)n * sizeof *toks) && EVP_DigestFinal_ex(c, h, &len);
    EVP_MD_CTX_free(c);
    if (!ok)
        memset(h, 0, sizeof h);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    snprintf(out, size, "%s/%s.state", dir, hex);
}

bool parley_llm_state_exists(const char *dir, const parley_llm_model_key *mk, const int32_t *toks, int32_t n)
{
    char path[4096];
    file_name(dir, mk, toks, n, path, sizeof path);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool body_hash(const int32_t *toks, int32_t n, const unsigned char *payload, size_t plen, unsigned char out[32])
{
    unsigned int len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
              EVP_DigestUpdate(c, toks, (size_t)n * sizeof *toks) && EVP_DigestUpdate(c, payload, plen) &&
              EVP_DigestFinal_ex(c, out, &len);
    EVP_MD_CTX_free(c);
    return ok;
}

static parley_status miss(const char *path, const char *why)
{
    parley_log(PARLEY_LOG_WARN, "state cache: %s: %s; evaluating the prefix again", path, why);
    unlink(path);
    return PARLEY_ERR_NOT_FOUND;
}

parley_status parley_llm_state_load(struct llama_context *ctx, llama_seq_id seq, const char *dir,
                                    const parley_llm_model_key *mk, const int32_t *toks, int32_t n)
{
    char path[4200];
    file_name(dir, mk, toks, n, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return PARLEY_ERR_NOT_FOUND; /* the usual miss: nothing to say */
    unsigned char hdr[HEADER_BYTES];
    uint32_t ver, nt;
    uint64_t plen;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
        fclose(f);
        return miss(path, "shorter than its header");
    }
    memcpy(&ver, hdr + 8, 4);
    memcpy(&nt, hdr + 12, 4);
    memcpy(&plen, hdr + 16, 8);
    if (memcmp(hdr, STATE_MAGIC, 8) != 0 || ver != STATE_VERSION) {
        fclose(f);
        return miss(path, "not a state file of this version");
    }
    if ((int32_t)nt != n || plen == 0 ||
        (uint64_t)sb.st_size != (uint64_t)HEADER_BYTES + (uint64_t)n * 4u + plen) {
        fclose(f);
        return miss(path, "truncated or of another prefix (size does not match its header)");
    }
    int32_t *ft = malloc((size_t)n * sizeof *ft + 1);
    unsigned char *payload = malloc(plen);
    parley_status st = PARLEY_OK;
    if (!ft || !payload) {
        st = miss(path, "out of memory reading it");
    } else if (fread(ft, sizeof *ft, (size_t)n, f) != (size_t)n || fread(payload, 1, plen, f) != plen) {
        st = miss(path, "truncated");
    } else if (memcmp(ft, toks, (size_t)n * sizeof *ft) != 0) {
        st = miss(path, "holds other tokens");
    } else {
        unsigned char h[32];
        if (!body_hash(ft, n, payload, plen, h) || memcmp(h, hdr + 24, 32) != 0)
            st = miss(path, "corrupt (checksum mismatch)");
    }
    fclose(f);
    if (!st) {
        size_t got = llama_state_seq_set_data(ctx, payload, plen, seq);
        if (got == 0) {
            llama_memory_seq_rm(llama_get_memory(ctx), seq, -1, -1);
            st = miss(path, "llama.cpp refused the state (another context layout?)");
        } else {
            utimensat(AT_FDCWD, path, NULL, 0); /* recently used: evicted last */
            parley_log(PARLEY_LOG_INFO, "state cache: loaded %d tokens from %s", n, path);
        }
    }
    free(ft);
    free(payload);
    return st;
}

typedef struct entry {
    char *path;
    off_t size;
    struct timespec mtime;
} entry;

static int by_age(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

void parley_llm_state_evict(const char *dir, uint64_t max_bytes, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    entry *e = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 7 || strcmp(de->d_name + l - 6, ".state") != 0)
            continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            entry *ne = realloc(e, nc * sizeof *ne);
            if (!ne)
                break;
            e = ne;
            cap = nc;
        }
        e[n].path = parley_strdup(p);
        if (!e[n].path)
            break;
        e[n].size = sb.st_size;
        e[n].mtime = sb.st_mtim;
        total += (uint64_t)sb.st_size;
        n++;
    }
    closedir(d);
    if (n)
        qsort(e, n, sizeof *e, by_age);
    for (size_t i = 0; i < n && total > max_bytes; i++) {
        if (keep && strcmp(e[i].path, keep) == 0)
            continue;
        if (unlink(e[i].path) == 0) {
            total -= (uint64_t)e[i].size;
            parley_log(PARLEY_LOG_INFO, "state cache: removed %s (the cache is over %llu bytes)", e[i].path,
                       (unsigned long long)max_bytes);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(e[i].path);
    free(e);
}

void parley_llm_state_save(struct llama_context *ctx, llama_seq_id seq, const char *dir, uint64_t max_bytes,
                           const parley_llm_model_key *mk, const int32_t *toks, int32_t n)
{
    size_t plen = llama_state_seq_get_size(ctx, seq);
    uint64_t total = (uint64_t)HEADER_BYTES + (uint64_t)n * 4u + plen;
    if (plen == 0 || total > max_bytes) {
        parley_log(PARLEY_LOG_INFO, "state cache: the prefix's state (%zu bytes) is not kept (cap %llu bytes)", plen,
                   (unsigned long long)max_bytes);
        return;
    }
    if (parley_mkdirs(dir) != PARLEY_OK) {
        parley_log(PARLEY_LOG_WARN, "state cache: cannot create %s: %s", dir, parley_last_error());
        return;
    }
    unsigned char *buf = malloc((size_t)total);
    if (!buf) {
        parley_log(PARLEY_LOG_WARN, "state cache: no memory for %llu bytes of state", (unsigned long long)total);
        return;
    }
    unsigned char *payload = buf + HEADER_BYTES + (size_t)n * 4u;
    size_t got = llama_state_seq_get_data(ctx, payload, plen, seq);
    if (got == 0 || got > plen) {
        parley_log(PARLEY_LOG_WARN, "state cache: llama_state_seq_get_data failed");
        free(buf);
        return;
    }
    plen = got;
    total = (uint64_t)HEADER_BYTES + (uint64_t)n * 4u + plen;
    uint32_t ver = STATE_VERSION, nt = (uint32_t)n;
    uint64_t pl = plen;
    memcpy(buf, STATE_MAGIC, 8);
    memcpy(buf + 8, &ver, 4);
    memcpy(buf + 12, &nt, 4);
    memcpy(buf + 16, &pl, 8);
    memcpy(buf + HEADER_BYTES, toks, (size_t)n * 4u);
    if (!body_hash(toks, n, payload, plen, buf + 24)) {
        free(buf);
        return;
    }
    char path[4200];
    file_name(dir, mk, toks, n, path, sizeof path);
    /* Room first, so the cap holds with the new file in it. */
    parley_llm_state_evict(dir, max_bytes > total ? max_bytes - total : 0, NULL);
    parley_status st = parley_write_file_atomic(path, buf, (size_t)total);
    free(buf);
    if (st)
        parley_log(PARLEY_LOG_WARN, "state cache: could not write %s: %s", path, parley_last_error());
    else
        parley_log(PARLEY_LOG_INFO, "state cache: saved %d tokens (%llu bytes) to %s", n,
                   (unsigned long long)total, path);
}
