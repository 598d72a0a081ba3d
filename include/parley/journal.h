/*
 * journal.h: a crash-safe audio journal. Captured audio is appended to disk as it
 * arrives, before anything else looks at it, so a crash, a kill -9 or a power cut loses
 * at most the last sync interval (1 s by default).
 *
 * Basic usage
 *
 *     struct parley_journal_params jp = parley_journal_default_params();
 *     parley_journal *j;
 *     parley_journal_open("mic.wav", &jp, &j);        // refuses to overwrite
 *     parley_journal_append(j, samples, n, t_ms);       // from the capture thread
 *     parley_journal_close(j);                          // a complete WAV file
 *
 *     // after a crash:
 *     struct parley_journal_info info;
 *     parley_journal_recover("mic.wav", &info);        // repairs the header in place
 *
 * Format: a WAV file (16 kHz, mono, 16-bit PCM) that any player opens, with one extra
 * chunk "plyj" (8 bytes: the first sample's time on the session's timeline, ms, int64
 * little-endian) before "data". While recording, the RIFF and data sizes in the header
 * say 0xFFFFFFFF ("until the end of the file"); close writes the real sizes, and recovery
 * does the same for a file that was cut off: every whole sample on disk is kept, a
 * trailing half sample is dropped. Samples are written with write(2) as they come and
 * fdatasync(2)ed when sync_interval_ms has passed since the last sync.
 *
 * Thread rules: one thread appends (the capture thread); parley_journal_samples() and
 * parley_journal_read() may be called from any thread at the same time (reading uses
 * its own file descriptor and sees everything appended before the call began).
 */
#ifndef PARLEY_JOURNAL_H
#define PARLEY_JOURNAL_H

#include <parley/parley.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_JOURNAL_RATE 16000

struct parley_journal_params {
    int sync_interval_ms; /* fdatasync at least this often while appending; 0 = 1000 */
};
struct parley_journal_params parley_journal_default_params(void);

typedef struct parley_journal parley_journal;

/* Creates the journal file at path (its directory must exist). PARLEY_ERR_IO when path
 * exists already (a journal is never overwritten), _PERMISSION, _DISK_FULL. */
parley_status parley_journal_open(const char *path, const struct parley_journal_params *params,
                                  parley_journal **out);

/* Appends n samples in [-1, 1] (clipped). t_ms: the first sample's time on the session's
 * timeline; recorded at the first append, later values are ignored (the journal's time
 * is its start plus its sample count). Syncs when the interval has passed. Errors
 * (disk full) are sticky: later appends fail too and the caller must say so. */
parley_status parley_journal_append(parley_journal *j, const float *samples, size_t n, int64_t t_ms);

/* fdatasync now. */
parley_status parley_journal_sync(parley_journal *j);

/* Samples appended so far (any thread). */
uint64_t parley_journal_samples(const parley_journal *j);

/* The first sample's time on the timeline (ms), or -1 before the first append (any thread). */
int64_t parley_journal_t0_ms(const parley_journal *j);

/* Reads n samples from sample index `from` into out (any thread). *got: how many there
 * were (fewer at the end). */
parley_status parley_journal_read(parley_journal *j, uint64_t from, size_t n, float *out, size_t *got);

/* Syncs, writes the final header, closes, frees. NULL is a no-op (returns OK). */
parley_status parley_journal_close(parley_journal *j);

struct parley_journal_info {
    uint64_t n_samples; /* whole samples in the file */
    int64_t t0_ms;      /* the first sample's time on the timeline; 0 when the file has none */
    double duration_s;  /* n_samples / PARLEY_JOURNAL_RATE */
    int repaired;       /* 1 when the header had to be repaired (the file was cut off) */
};

/* Checks a journal file and repairs its header in place when it was cut off (a trailing
 * half sample is truncated). PARLEY_ERR_NOT_FOUND, PARLEY_ERR_BAD_AUDIO (not a journal).
 * A file cut off inside the header holds no audio: PARLEY_ERR_NO_AUDIO. */
parley_status parley_journal_recover(const char *path, struct parley_journal_info *info);

/* Reads a whole (closed or recovered) journal into *samples (malloc'd, free() it). */
parley_status parley_journal_load(const char *path, float **samples, size_t *n, int64_t *t0_ms);

#ifdef __cplusplus
}
#endif
#endif
