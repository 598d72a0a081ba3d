/* verify.c: SHA-256 of finished downloads, through OpenSSL's libcrypto (already linked by
 * libcurl on Debian), never a hand-written hash. */
#include "fetch/fetch_internal.h"

#include "core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HASH_CHUNK (1u << 20)              /* read size: large enough to keep SHA-256 busy */
#define HASH_TICK_EVERY (8ull << 20)       /* how often the tick callback runs, in bytes */

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

void fetch_sha256_buf(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        hex[0] = '\0';
        return;
    }
    to_hex(md, 32, hex);
}

bool fetch_sha256_parse(const char *in, char out[65])
{
    if (!in || strlen(in) != 64)
        return false;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)in[i]))
            return false;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[64] = '\0';
    return true;
}

parley_status fetch_sha256_fd(int fd, const char *path, char hex[65], uint64_t *size_out,
                              fetch_hash_tick_fn tick, void *user_data)
{
    parley_status st = PARLEY_OK;
    unsigned char *buf = malloc(HASH_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint64_t done = 0, next_tick = HASH_TICK_EVERY;
    hex[0] = '\0';
    if (!buf || !ctx) {
        st = parley_fail(PARLEY_ERR_NOMEM, "no memory to hash %s", path);
        goto out;
    }
    if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        st = parley_fail(PARLEY_ERR_UNSUPPORTED, "libcrypto has no SHA-256");
        goto out;
    }
    for (;;) {
        ssize_t n = pread(fd, buf, HASH_CHUNK, (off_t)done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            st = parley_fail(parley_status_from_errno(e), "reading %s to verify it: %s", path,
                             strerror(e));
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        done += (uint64_t)n;
        if (tick && done >= next_tick) {
            next_tick = done + HASH_TICK_EVERY;
            if (!tick(done, user_data)) {
                st = parley_fail(PARLEY_ERR_CANCELLED, "cancelled while verifying %s", path);
                goto out;
            }
        }
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
        st = parley_fail(PARLEY_ERR_UNSUPPORTED, "libcrypto's SHA-256 failed");
        goto out;
    }
    to_hex(md, 32, hex);
    if (size_out)
        *size_out = done;
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return st;
}
