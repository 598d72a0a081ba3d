/* fetch_internal.h: pieces of the fetch module shared with its tests; not public. */
#ifndef PARLEY_FETCH_INTERNAL_H
#define PARLEY_FETCH_INTERNAL_H

#include <parley/fetch.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called with the bytes hashed so far; returns false to stop (-> PARLEY_ERR_CANCELLED). */
typedef bool (*fetch_hash_tick_fn)(uint64_t done, void *user_data);

/* SHA-256 of everything readable from fd (from offset 0), as 64 lowercase hex digits + NUL
 * into hex. *size_out gets the number of bytes hashed. tick may be NULL; it is called about
 * every 8 MiB. */
parley_status fetch_sha256_fd(int fd, const char *path_for_messages, char hex[65],
                              uint64_t *size_out, fetch_hash_tick_fn tick, void *user_data);

/* SHA-256 of a buffer, as 64 lowercase hex digits + NUL. */
void fetch_sha256_buf(const void *data, size_t len, char hex[65]);

/* Accepts 64 hex digits of either case and writes them lowercased into out. */
bool fetch_sha256_parse(const char *in, char out[65]);

#endif
