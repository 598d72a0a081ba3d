/* recording.c: the pieces of a live session on disk: its journal directory and lock,
 * the stereo recording made from the journals, and one utterance's transcription. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "live/live_internal.h"
#include "parley/journal.h"

#define JHDR 60 /* journal.c's header length */

parley_status live_session_dir(const char *data_dir, int64_t id, char *out, size_t out_size)
{
    char base[PATH_MAX];
    if (data_dir && data_dir[0]) {
        snprintf(base, sizeof base, "%s", data_dir);
    } else {
        parley_status st = parley_dir_path(PARLEY_DIR_DATA, base, sizeof base);
        if (st != PARLEY_OK)
            return st;
    }
    if ((size_t)snprintf(out, out_size, "%s/live/%lld", base, (long long)id) >= out_size)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "data directory path too long");
    return PARLEY_OK;
}

parley_status live_lock(const char *dir, int *fd_out)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/lock", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return parley_fail(parley_status_from_errno(errno), "%s: %s", p, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return parley_fail(PARLEY_ERR_IO, "%s: in use by another Parley process", dir);
    }
    *fd_out = fd;
    return PARLEY_OK;
}

bool live_locked_by_other(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/lock", dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

void live_unlock(const char *dir, int *fd, bool remove)
{
    if (*fd >= 0) {
        if (remove) {
            char p[PATH_MAX];
            snprintf(p, sizeof p, "%s/lock", dir);
            unlink(p);
        }
        close(*fd);
        *fd = -1;
    }
    if (remove)
        rmdir(dir);
}

parley_status live_transcribe_utterance(parley_asr *asr, const float *s, size_t n, const char *language,
                                        const char *vocabulary, bool full_window, int n_threads,
                                        const parley_cancel *cancel, parley_transcript *out)
{
    memset(out, 0, sizeof *out);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i] * s[i];
    double rms = n ? sqrt(sum / (double)n) : 0;
    if (rms < 0.003) /* about -50 dBFS: room noise, not speech; whisper would invent text */
        return PARLEY_OK;
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = false; /* the stream's VAD cut this utterance already */
    tp.language = language;
    tp.n_threads = n_threads;
    tp.no_fallback = true;
    tp.cancel = cancel;
    tp.initial_prompt = vocabulary;
    tp.fit_window = !full_window;
    tp.drop_invented = true; /* no speech and unsure, or one phrase over and over */
    return parley_asr_transcribe(asr, &tp, s, n, out);
}

/* One journal being read into the recording. */
struct src {
    int fd;
    uint64_t n;   /* samples */
    int64_t off;  /* first sample's frame in the recording */
};

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static parley_status open_src(const char *path, struct src *s)
{
    s->fd = -1;
    s->n = 0;
    s->off = 0;
    if (!path)
        return PARLEY_OK;
    struct parley_journal_info info;
    parley_status st = parley_journal_recover(path, &info);
    if (st == PARLEY_ERR_NO_AUDIO || st == PARLEY_ERR_NOT_FOUND)
        return PARLEY_OK;
    if (st != PARLEY_OK)
        return st;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return parley_fail(parley_status_from_errno(errno), "%s: %s", path, strerror(errno));
    s->n = info.n_samples;
    s->off = info.t0_ms * PARLEY_JOURNAL_RATE / 1000;
    return PARLEY_OK;
}

/* Reads frames [f, f+k) of s into out (zeros outside the journal). */
static void read_src(const struct src *s, int64_t f, size_t k, int16_t *out)
{
    memset(out, 0, k * sizeof *out);
    if (s->fd < 0)
        return;
    int64_t a = f - s->off, b = a + (int64_t)k;
    if (b <= 0 || a >= (int64_t)s->n)
        return;
    int64_t lo = a < 0 ? 0 : a, hi = b > (int64_t)s->n ? (int64_t)s->n : b;
    ssize_t r = pread(s->fd, out + (lo - a), (size_t)(hi - lo) * 2, (off_t)(JHDR + lo * 2));
    (void)r; /* a short read leaves zeros */
}

static parley_status write_stereo(const char *out_path, struct src *l, struct src *r)
{
    int64_t total = 0;
    struct src *ss[2] = {l, r};
    for (int i = 0; i < 2; i++)
        if (ss[i]->fd >= 0 && ss[i]->off + (int64_t)ss[i]->n > total)
            total = ss[i]->off + (int64_t)ss[i]->n;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return parley_fail(parley_status_from_errno(errno), "%s: %s", tmp, strerror(errno));
    uint64_t bytes = (uint64_t)total * 4;
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    put32(h + 4, bytes + 36 > UINT32_MAX ? UINT32_MAX : (uint32_t)(bytes + 36));
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    h[20] = 1, h[21] = 0, h[22] = 2, h[23] = 0; /* PCM, stereo */
    put32(h + 24, PARLEY_JOURNAL_RATE);
    put32(h + 28, PARLEY_JOURNAL_RATE * 4);
    h[32] = 4, h[33] = 0, h[34] = 16, h[35] = 0;
    memcpy(h + 36, "data", 4);
    put32(h + 40, bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes);
    parley_status st = PARLEY_OK;
    if (write(fd, h, sizeof h) != (ssize_t)sizeof h)
        st = parley_status_from_errno(errno);
    enum { K = 16384 };
    int16_t *a = malloc(K * sizeof *a), *b = malloc(K * sizeof *b), *o = malloc(2 * K * sizeof *o);
    if (!a || !b || !o)
        st = PARLEY_ERR_NOMEM;
    for (int64_t f = 0; st == PARLEY_OK && f < total; f += K) {
        size_t k = total - f < K ? (size_t)(total - f) : K;
        read_src(l, f, k, a);
        read_src(r, f, k, b);
        for (size_t i = 0; i < k; i++) {
            o[2 * i] = a[i];
            o[2 * i + 1] = b[i];
        }
        size_t len = k * 4, done = 0;
        while (done < len) {
            ssize_t w = write(fd, (char *)o + done, len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                st = parley_status_from_errno(errno);
                break;
            }
            done += (size_t)w;
        }
    }
    free(a);
    free(b);
    free(o);
    if (st == PARLEY_OK && fsync(fd) != 0)
        st = parley_status_from_errno(errno);
    int e = errno;
    close(fd);
    if (st == PARLEY_OK && rename(tmp, out_path) != 0) {
        e = errno;
        st = parley_status_from_errno(e);
    }
    if (st != PARLEY_OK) {
        unlink(tmp);
        return parley_fail(st, "writing the recording %s: %s", out_path, strerror(e));
    }
    return PARLEY_OK;
}

parley_status live_finish_recording(parley_store *db, int64_t id, const char *mic_path, const char *sys_path,
                                    const char *dir, const char *out_path, bool keep, pthread_mutex_t *db_mu)
{
    (void)dir;
    parley_status st = PARLEY_OK;
    if (keep) {
        struct src l, r;
        st = open_src(mic_path, &l);
        if (st == PARLEY_OK)
            st = open_src(sys_path, &r);
        else
            r.fd = -1;
        if (st == PARLEY_OK && (l.fd >= 0 || r.fd >= 0))
            st = write_stereo(out_path, &l, &r);
        if (l.fd >= 0)
            close(l.fd);
        if (r.fd >= 0)
            close(r.fd);
        if (st == PARLEY_OK && (l.n || r.n)) {
            if (db_mu)
                pthread_mutex_lock(db_mu);
            st = parley_store_session_set_audio(db, id, out_path);
            if (db_mu)
                pthread_mutex_unlock(db_mu);
        }
    }
    /* The journals go only once the recording is safe (or not wanted). */
    if (st == PARLEY_OK) {
        if (mic_path)
            unlink(mic_path);
        if (sys_path)
            unlink(sys_path);
    }
    return st;
}
