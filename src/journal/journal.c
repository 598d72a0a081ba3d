/* journal.c: the crash-safe audio journal (journal.h). A WAV file whose sizes are
 * "unknown" (0xFFFFFFFF) while it grows and repaired on close or recovery; a "plyj"
 * chunk holds the first sample's time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "parley/journal.h"

#define HDR_LEN 60     /* RIFF(12) + fmt(24) + plyj(16) + data header(8) */
#define T0_OFFSET 44   /* the int64 inside "plyj" */
#define CHUNK_SAMPLES 4096

struct parley_journal {
    int fd;     /* appends */
    int rfd;    /* reads (parley_journal_read), independent offset */
    char *path;
    atomic_uint_least64_t n;  /* samples written */
    atomic_int_least64_t t0;  /* -1 until the first append */
    double last_sync;
    double sync_s;
    parley_status sticky;     /* the first write error */
};

struct parley_journal_params parley_journal_default_params(void)
{
    struct parley_journal_params p = {.sync_interval_ms = 1000};
    return p;
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The header for data_bytes of audio; UINT32_MAX sizes while recording. */
static void make_header(unsigned char *h, uint64_t data_bytes, int64_t t0_ms, bool open_ended)
{
    uint32_t riff = open_ended || data_bytes > UINT32_MAX - HDR_LEN ? UINT32_MAX : (uint32_t)(HDR_LEN - 8 + data_bytes);
    uint32_t data = open_ended || data_bytes > UINT32_MAX - HDR_LEN ? UINT32_MAX : (uint32_t)data_bytes;
    memcpy(h, "RIFF", 4);
    put32(h + 4, riff);
    memcpy(h + 8, "WAVE", 4);
    memcpy(h + 12, "fmt ", 4);
    put32(h + 16, 16);
    put16(h + 20, 1); /* PCM */
    put16(h + 22, 1); /* mono */
    put32(h + 24, PARLEY_JOURNAL_RATE);
    put32(h + 28, PARLEY_JOURNAL_RATE * 2);
    put16(h + 32, 2);
    put16(h + 34, 16);
    memcpy(h + 36, "plyj", 4);
    put32(h + 40, 8);
    put64(h + 44, (uint64_t)t0_ms);
    memcpy(h + 52, "data", 4);
    put32(h + 56, data);
}

static parley_status io_fail(const char *what, const char *path)
{
    int e = errno;
    return parley_fail(parley_status_from_errno(e), "%s %s: %s", what, path, strerror(e));
}

static parley_status write_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len) {
        ssize_t w = off >= 0 ? pwrite(fd, p, len, off) : write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return parley_status_from_errno(errno);
        }
        p += w;
        len -= (size_t)w;
        if (off >= 0)
            off += w;
    }
    return PARLEY_OK;
}

parley_status parley_journal_open(const char *path, const struct parley_journal_params *params, parley_journal **out)
{
    if (!path || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_open: path and out are required");
    *out = NULL;
    struct parley_journal_params p = params ? *params : parley_journal_default_params();
    if (p.sync_interval_ms <= 0)
        p.sync_interval_ms = 1000;
    parley_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = parley_strdup(path))) {
        free(j);
        return parley_fail(PARLEY_ERR_NOMEM, "journal");
    }
    j->fd = j->rfd = -1;
    j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        parley_status st = errno == EEXIST ? parley_fail(PARLEY_ERR_IO, "%s exists already: a journal is never overwritten", path)
                                           : io_fail("cannot create", path);
        free(j->path);
        free(j);
        return st;
    }
    unsigned char h[HDR_LEN];
    make_header(h, 0, 0, true);
    parley_status st = write_all(j->fd, h, sizeof h, -1);
    if (st == PARLEY_OK && fdatasync(j->fd) != 0)
        st = parley_status_from_errno(errno);
    if (st != PARLEY_OK) {
        parley_fail(st, "writing %s: %s", path, strerror(errno));
        close(j->fd);
        unlink(path);
        free(j->path);
        free(j);
        return st;
    }
    j->rfd = open(path, O_RDONLY | O_CLOEXEC);
    atomic_init(&j->n, 0);
    atomic_init(&j->t0, -1);
    j->sync_s = p.sync_interval_ms / 1000.0;
    j->last_sync = parley_now();
    *out = j;
    return PARLEY_OK;
}

parley_status parley_journal_append(parley_journal *j, const float *s, size_t n, int64_t t_ms)
{
    if (!j || (!s && n))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_append: NULL argument");
    if (j->sticky != PARLEY_OK)
        return parley_fail(j->sticky, "journal %s: an earlier write failed", j->path);
    if (atomic_load(&j->t0) < 0) {
        unsigned char t[8];
        put64(t, (uint64_t)(t_ms < 0 ? 0 : t_ms));
        parley_status st = write_all(j->fd, t, sizeof t, T0_OFFSET);
        if (st != PARLEY_OK)
            return j->sticky = parley_fail(st, "journal %s: %s", j->path, strerror(errno));
        atomic_store(&j->t0, t_ms < 0 ? 0 : t_ms);
    }
    int16_t buf[CHUNK_SAMPLES];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK_SAMPLES ? n - done : CHUNK_SAMPLES;
        for (size_t i = 0; i < k; i++) {
            float v = s[done + i];
            v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
            buf[i] = (int16_t)lrintf(v * 32767.0f);
        }
        parley_status st = write_all(j->fd, buf, k * sizeof *buf, -1);
        if (st != PARLEY_OK)
            return j->sticky = parley_fail(st, "journal %s: %s", j->path, strerror(errno));
        done += k;
        atomic_fetch_add(&j->n, k);
    }
    if (parley_now() - j->last_sync >= j->sync_s)
        return parley_journal_sync(j);
    return PARLEY_OK;
}

parley_status parley_journal_sync(parley_journal *j)
{
    if (!j)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_sync: NULL");
    j->last_sync = parley_now();
    if (fdatasync(j->fd) != 0)
        return j->sticky = io_fail("syncing", j->path);
    return PARLEY_OK;
}

uint64_t parley_journal_samples(const parley_journal *j)
{
    return j ? atomic_load(&((parley_journal *)j)->n) : 0;
}

int64_t parley_journal_t0_ms(const parley_journal *j)
{
    return j ? atomic_load(&((parley_journal *)j)->t0) : -1;
}

static parley_status read_samples(int fd, const char *path, uint64_t from, size_t n, float *out, size_t *got)
{
    *got = 0;
    int16_t buf[CHUNK_SAMPLES];
    while (*got < n) {
        size_t k = n - *got < CHUNK_SAMPLES ? n - *got : CHUNK_SAMPLES;
        ssize_t r = pread(fd, buf, k * sizeof *buf, (off_t)(HDR_LEN + (from + *got) * 2));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return io_fail("reading", path);
        }
        size_t m = (size_t)r / 2;
        for (size_t i = 0; i < m; i++)
            out[*got + i] = (float)buf[i] / 32768.0f;
        *got += m;
        if (m < k)
            break;
    }
    return PARLEY_OK;
}

parley_status parley_journal_read(parley_journal *j, uint64_t from, size_t n, float *out, size_t *got)
{
    if (!j || !out || !got)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_read: NULL argument");
    uint64_t have = parley_journal_samples(j);
    *got = 0;
    if (from >= have)
        return PARLEY_OK;
    if (n > have - from)
        n = (size_t)(have - from);
    return read_samples(j->rfd, j->path, from, n, out, got);
}

parley_status parley_journal_close(parley_journal *j)
{
    if (!j)
        return PARLEY_OK;
    parley_status st = j->sticky;
    if (fdatasync(j->fd) != 0 && st == PARLEY_OK)
        st = io_fail("syncing", j->path);
    int64_t t0 = atomic_load(&j->t0);
    unsigned char h[HDR_LEN];
    make_header(h, atomic_load(&j->n) * 2, t0 < 0 ? 0 : t0, false);
    parley_status hs = write_all(j->fd, h, sizeof h, 0);
    if (hs == PARLEY_OK && fdatasync(j->fd) != 0)
        hs = parley_status_from_errno(errno);
    if (hs != PARLEY_OK && st == PARLEY_OK)
        st = parley_fail(hs, "finishing %s: %s (parley_journal_recover repairs it)", j->path, strerror(errno));
    close(j->fd);
    if (j->rfd >= 0)
        close(j->rfd);
    free(j->path);
    free(j);
    return st;
}

/* Reads and checks the header; *data_bytes: what the file holds past it. */
static parley_status check_file(int fd, const char *path, unsigned char *h, uint64_t *data_bytes)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return io_fail("cannot stat", path);
    ssize_t r = pread(fd, h, HDR_LEN, 0);
    if (r < 0)
        return io_fail("reading", path);
    if (r < HDR_LEN) {
        if (r >= 4 && memcmp(h, "RIFF", 4) == 0)
            return parley_fail(PARLEY_ERR_NO_AUDIO, "%s: cut off inside its header: no audio", path);
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: not a Parley audio journal", path);
    }
    if (memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4) || memcmp(h + 36, "plyj", 4) || memcmp(h + 52, "data", 4) ||
        get32(h + 24) != PARLEY_JOURNAL_RATE || h[34] != 16)
        return parley_fail(PARLEY_ERR_BAD_AUDIO, "%s: not a Parley audio journal", path);
    *data_bytes = (uint64_t)sb.st_size - HDR_LEN;
    return PARLEY_OK;
}

parley_status parley_journal_recover(const char *path, struct parley_journal_info *info)
{
    if (!path || !info)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_recover: NULL argument");
    memset(info, 0, sizeof *info);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? parley_fail(PARLEY_ERR_NOT_FOUND, "%s: no such journal", path)
                               : io_fail("cannot open", path);
    unsigned char h[HDR_LEN];
    uint64_t bytes;
    parley_status st = check_file(fd, path, h, &bytes);
    if (st != PARLEY_OK)
        goto out;
    uint64_t whole = bytes / 2 * 2;
    info->t0_ms = (int64_t)get64(h + 44);
    info->n_samples = whole / 2;
    info->duration_s = (double)info->n_samples / PARLEY_JOURNAL_RATE;
    unsigned char want[HDR_LEN];
    make_header(want, whole, info->t0_ms, false);
    if (whole != bytes || memcmp(want, h, HDR_LEN) != 0) {
        info->repaired = 1;
        if ((whole != bytes && ftruncate(fd, (off_t)(HDR_LEN + whole)) != 0) ||
            write_all(fd, want, HDR_LEN, 0) != PARLEY_OK || fdatasync(fd) != 0) {
            st = io_fail("repairing", path);
            goto out;
        }
    }
out:
    close(fd);
    return st;
}

parley_status parley_journal_load(const char *path, float **samples, size_t *n, int64_t *t0_ms)
{
    if (!path || !samples || !n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_journal_load: NULL argument");
    *samples = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? parley_fail(PARLEY_ERR_NOT_FOUND, "%s: no such journal", path)
                               : io_fail("cannot open", path);
    unsigned char h[HDR_LEN];
    uint64_t bytes;
    parley_status st = check_file(fd, path, h, &bytes);
    if (st != PARLEY_OK) {
        close(fd);
        return st;
    }
    size_t count = (size_t)(bytes / 2);
    float *buf = malloc((count ? count : 1) * sizeof *buf);
    if (!buf) {
        close(fd);
        return parley_fail(PARLEY_ERR_NOMEM, "%s: %zu samples", path, count);
    }
    size_t got;
    st = read_samples(fd, path, 0, count, buf, &got);
    close(fd);
    if (st != PARLEY_OK) {
        free(buf);
        return st;
    }
    *samples = buf;
    *n = got;
    if (t0_ms)
        *t0_ms = (int64_t)get64(h + 44);
    return PARLEY_OK;
}
