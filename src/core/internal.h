/* internal.h: helpers shared by libparley's subsystems; not a public header. */
#ifndef PARLEY_INTERNAL_H
#define PARLEY_INTERNAL_H

#include <parley/parley.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PARLEY_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PARLEY_PRINTF(a, b)
#endif

/* Records a detail message for parley_last_error() and returns st, so that
 * `return parley_fail(PARLEY_ERR_IO, "%s: %s", path, strerror(errno));` reads well. */
parley_status parley_fail(parley_status st, const char *fmt, ...) PARLEY_PRINTF(2, 3);
void parley_clear_error(void);

/* Maps an errno from a failed write/open to a status (ENOSPC -> DISK_FULL, ...). */
parley_status parley_status_from_errno(int err);

void parley_log(parley_log_level level, const char *fmt, ...) PARLEY_PRINTF(2, 3);

/* A growable byte buffer with a hard limit (curl's dynbuf). Always NUL-terminated. */
typedef struct parley_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard limit in bytes; 0 means 64 MiB */
} parley_buf;

parley_status parley_buf_append(parley_buf *b, const void *data, size_t n);
parley_status parley_buf_printf(parley_buf *b, const char *fmt, ...) PARLEY_PRINTF(2, 3);
void parley_buf_free(parley_buf *b);

char *parley_strdup(const char *s); /* NULL in, NULL out */



/* Where model files are looked for: the models directory (parley_dir_path), then each
 * directory of $PARLEY_MODEL_PATH (colon-separated). Fills up to max entries of dirs and
 * returns how many. */
size_t parley_model_search_dirs(char dirs[][PATH_MAX], size_t max);

/* Whether path names an existing regular file (following symlinks). */
bool parley_is_file(const char *path);

/* Routes FFmpeg's av_log into parley_log, once per process (parley_init calls it; so
 * does the decoder, for programs that decode without parley_init). */
void parley_route_ffmpeg_log(void);

/* fsyncs the directory that holds path, so that a rename into it survives a power
 * loss. Best effort: file systems that cannot fsync a directory (EINVAL) count as done. */
parley_status parley_fsync_parent(const char *path);

/* mkdir -p with mode 0700 for new directories. "" is PARLEY_ERR_INVALID_ARG. */
parley_status parley_mkdirs(const char *path);

#endif
