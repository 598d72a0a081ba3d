/* remote_internal.h: the parts of the team-server client shared by its files. */
#ifndef PARLEY_REMOTE_INTERNAL_H
#define PARLEY_REMOTE_INTERNAL_H

#include <parley/parley.h>

#include <stdbool.h>

/* A server's base URL, split: the only host and port a connection may go to. */
struct parley_remote_url {
    bool https;
    char host[256];  /* as written (an IPv6 literal without its brackets) */
    int port;        /* explicit or the scheme's default */
    char prefix[256]; /* path before /v1 ("" or "/llm"), no trailing '/' */
};

/* INVALID_ARG with the reason for anything but http(s)://host[:port][/path]: no user info,
 * no query, no fragment, no spaces. A trailing "/v1" is accepted and dropped. */
parley_status parley_remote_parse_url(const char *url, struct parley_remote_url *out);

/* The network gate for remote connections: PERMISSION unless `url` (about to be opened)
 * goes to exactly the configured server's scheme, host and port. The project-wide gate
 * (src/net/, branch rel) replaces this check once it lands. */
parley_status parley_remote_gate(const struct parley_remote_url *server, const char *url);

#endif
