/*
 * fetch.h: download one file (a model) over HTTP(S), resumably, and verify it before it is
 * used. This is what `parley models pull` runs; it knows nothing about the catalog.
 *
 * Basic usage
 *
 *     char url[2048];
 *     parley_fetch_model_url(NULL, "unsloth/Qwen3.5-2B-GGUF", "Qwen3.5-2B-Q4_K_M.gguf",
 *                            url, sizeof url);        // https://huggingface.co/.../resolve/main/...
 *     struct parley_fetch_params p = parley_fetch_default_params();
 *     p.expected_size = 1280835840;                   // and/or p.sha256 = "<64 hex digits>"
 *     p.cancel = cancel;                              // optional parley_cancel *
 *     struct parley_fetch_result r;
 *     parley_status st = parley_fetch_file(url, "/models/Qwen3.5-2B-Q4_K_M.gguf", &p, &r);
 *     if (st != PARLEY_OK)
 *         fprintf(stderr, "%s: %s\n", parley_strerror(st), parley_last_error());
 *     else
 *         printf("verified by %s\n", r.verified_by);  // "sha256" or "size"
 *
 * What happens, in order (docs/fetch.md has the long version):
 *   1. The bytes go into DEST.part (DEST with ".part" appended), in the same directory, locked
 *      with flock() against a second download of the same file. A DEST.part left by an earlier,
 *      interrupted call is continued with an HTTP Range request from its current size. A server
 *      that ignores Range (answers 200) is followed from byte 0 (the .part is truncated); a 416
 *      answer means the .part already holds the whole file, which then goes to verification.
 *   2. Free space is checked before any request: the filesystem of DEST must have
 *      expected size - size of DEST.part + disk_margin bytes available (statvfs), else
 *      PARLEY_ERR_DISK_FULL with the figures. It is checked again when the server announces
 *      the size. ENOSPC/EDQUOT while writing is PARLEY_ERR_DISK_FULL as well.
 *   3. Transient failures (connection dropped, stalled below the low-speed limit, HTTP 5xx,
 *      408, 429) are retried up to `retries` times in the same call, each resuming from where
 *      the .part ends; after that the call fails with PARLEY_ERR_NETWORK and the .part stays.
 *   4. Verification reads the whole finished file back from disk (resumed bytes included):
 *      its SHA-256 against params.sha256 when one is given (verified_by = "sha256"), else
 *      its exact size against params.expected_size (verified_by = "size"; that proves the
 *      length, not the content). A mismatch is PARLEY_ERR_CHECKSUM with expected and got in
 *      the message, and the .part is deleted: it is corrupt, resuming it cannot help.
 *   5. Only a verified file is fsync'ed and renamed over DEST (atomic on one filesystem), and
 *      the directory is fsync'ed. DEST is never a partial or unverified file; an existing
 *      DEST is replaced only by a verified one.
 *
 * Strictness: only http:// and https:// (also for redirects, and an https URL may not be
 * redirected to http); at most max_redirects redirects; TLS peer and host verification on;
 * HTTP status >= 400 fails with the status in the message (and the start of the server's
 * error body); connect timeout and low-speed abort as set in the params.
 *
 * Errors: PARLEY_ERR_INVALID_ARG (bad URL, no sha256 and no expected_size, malformed sha256),
 * PARLEY_ERR_NETWORK (connect/DNS/TLS failure, HTTP >= 400, too slow, too many redirects,
 * dropped after the last retry: the .part is kept), PARLEY_ERR_CHECKSUM (hash or size differs
 * from the published one, or the server announces a different size: the .part is deleted),
 * PARLEY_ERR_CANCELLED (cancel flag or progress callback: the .part is kept for a resume),
 * PARLEY_ERR_DISK_FULL, PARLEY_ERR_PERMISSION (DEST's directory may not be written),
 * PARLEY_ERR_IO (another download of the same DEST is running, other file errors).
 *
 * Thread rules: independent calls (different DEST) may run on different threads at once.
 * Callbacks run on the calling thread. No global state beyond libcurl's one-time global
 * initialisation, which this module does itself, thread-safely.
 */
#ifndef PARLEY_FETCH_H
#define PARLEY_FETCH_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The base URL used when none is given and $PARLEY_MODEL_BASE_URL is unset. */
#define PARLEY_FETCH_DEFAULT_BASE_URL "https://huggingface.co"

/* What a progress report is about. */
typedef enum parley_fetch_phase {
    PARLEY_FETCH_DOWNLOADING = 0, /* bytes are arriving from the server */
    PARLEY_FETCH_VERIFYING = 1,   /* the finished file is being read back and hashed */
} parley_fetch_phase;

typedef struct parley_fetch_progress {
    parley_fetch_phase phase;
    uint64_t done;         /* bytes of the file on disk so far (resumed ones included); while
                            * verifying: bytes hashed so far */
    uint64_t total;        /* size of the whole file in bytes; 0 while unknown */
    uint64_t resumed_from; /* bytes that were already in DEST.part when this call started */
    double rate;           /* bytes per second over the last few seconds; 0 until measured */
    double elapsed_s;      /* seconds since the call started */
    int attempt;           /* 1 for the first request, 2 after the first retry, ... */
} parley_fetch_progress;

/* Called at most every progress_interval_s, plus once at the end of each phase. Return false
 * to cancel: the call then ends with PARLEY_ERR_CANCELLED and the .part is kept. */
typedef bool (*parley_fetch_progress_fn)(const parley_fetch_progress *p, void *user_data);

struct parley_fetch_params {
    const char *sha256;         /* expected SHA-256 of the whole file, 64 hex digits (either
                                 * case); copied. NULL = none: verify by expected_size */
    uint64_t expected_size;     /* exact file size in bytes; 0 = unknown (then sha256 is
                                 * required). Checked too when sha256 is given */
    parley_fetch_progress_fn progress; /* may be NULL */
    void *progress_user_data;
    double progress_interval_s; /* minimum seconds between progress calls; 0 = every chance */
    const parley_cancel *cancel;  /* when it becomes true the download stops within ~0.1 s with
                                 * PARLEY_ERR_CANCELLED, keeping the .part; may be NULL */
    long connect_timeout_s;     /* per connection attempt; 0 = libcurl's default (300 s) */
    long low_speed_limit;       /* bytes per second below which the transfer counts as
                                 * stalled; 0 = no low-speed abort */
    long low_speed_time_s;      /* abort (and maybe retry) after this many seconds stalled;
                                 * 0 = no low-speed abort */
    int max_redirects;          /* redirects followed; 0 = none allowed */
    int retries;                /* automatic resumes after a transient failure in this call;
                                 * the count resets whenever an attempt made progress; 0 = none */
    double retry_delay_s;       /* wait before a retry (cancel is honoured while waiting);
                                 * 0 = retry at once */
    uint64_t disk_margin;       /* bytes that must stay free beyond the file; 0 = none */
    uint64_t free_space_override; /* tests only: pretend DEST's filesystem has this many bytes
                                 * available instead of asking statvfs; 0 = ask statvfs */
    const char *user_agent;     /* copied; NULL = "parley/<version>" */
};

/* Defaults: no hash, no size (one must be set), progress every 0.25 s, connect timeout 30 s,
 * low-speed abort below 1024 B/s for 30 s, 5 redirects, 3 retries 2 s apart, 64 MiB margin. */
struct parley_fetch_params parley_fetch_default_params(void);

struct parley_fetch_result {
    uint64_t size;          /* bytes in the final file */
    uint64_t resumed_from;  /* bytes reused from a DEST.part that existed when the call began */
    uint64_t downloaded;    /* body bytes received over the network in this call (a restart
                             * from zero counts its bytes again) */
    int requests;           /* HTTP requests made (redirects not counted) */
    int restarts;           /* times the server ignored Range, or the .part was unusable, and
                             * the download started again from byte 0 */
    long http_status;       /* status of the last response (206, 200, 416, ...); 0 = none */
    char sha256[65];        /* lowercase hex SHA-256 of the final file when verified by
                             * sha256; "" otherwise */
    const char *verified_by; /* "sha256" or "size" (static strings); NULL until verified */
    double seconds;         /* wall time of the whole call, verification included */
    double rate;            /* downloaded / seconds spent transferring (verification and
                             * retry pauses excluded); 0 when nothing was transferred */
};

/* Downloads url to dest_path as described at the top of this file. params NULL = defaults
 * (which fail: a hash or a size is required). result may be NULL; it is filled on success and
 * as far as known on failure. Missing parent directories of dest_path are created (0700). */
parley_status parley_fetch_file(const char *url, const char *dest_path,
                                const struct parley_fetch_params *params,
                                struct parley_fetch_result *result);

/* Writes "<base>/<repo>/resolve/main/<file>" into out (NUL-terminated). base NULL or "" =
 * $PARLEY_MODEL_BASE_URL when set and non-empty, else PARLEY_FETCH_DEFAULT_BASE_URL; trailing
 * slashes of base are dropped. base must start with http:// or https://. repo is "owner/name";
 * repo and file may hold only letters, digits and - _ . / (no "..", no leading '/'), so no
 * escaping is needed. PARLEY_ERR_INVALID_ARG on a bad part, PARLEY_ERR_TOO_LARGE when out is
 * too small. */
parley_status parley_fetch_model_url(const char *base, const char *repo, const char *file,
                                     char *out, size_t out_size);

/* Writes the partial-download path for dest_path (dest_path + ".part") into out.
 * PARLEY_ERR_TOO_LARGE when out is too small. */
parley_status parley_fetch_part_path(const char *dest_path, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
