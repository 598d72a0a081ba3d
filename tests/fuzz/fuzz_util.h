/* fuzz_util.h: what the libFuzzer targets share. Targets whose parser takes a path get
 * the input written to a per-process file first (the parsers under test read files, as
 * they do in use). */
#ifndef PARLEY_FUZZ_UTIL_H
#define PARLEY_FUZZ_UTIL_H

#include <parley/parley.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A scratch file for this process: $PARLEY_FUZZ_TMP (or /tmp)/parley-fuzz-<name>-<pid>.<ext> */
static inline const char *fuzz_path(const char *name, const char *ext)
{
    static char path[4096];
    if (!path[0]) {
        const char *d = getenv("PARLEY_FUZZ_TMP");
        snprintf(path, sizeof path, "%s/parley-fuzz-%s-%ld.%s", d && *d ? d : "/tmp", name, (long)getpid(), ext);
    }
    return path;
}

static inline int fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && w == size ? 0 : -1;
}

/* Quiet library logs (the parsers' warnings would flood the fuzzer's output). */
static inline void fuzz_quiet_log(parley_log_level level, const char *msg, void *ud)
{
    (void)level;
    (void)msg;
    (void)ud;
}

#endif
