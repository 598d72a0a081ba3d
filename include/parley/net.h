/*
 * net.h: the one gate every outbound network connection of libparley passes through.
 *
 * Parley is local: recordings, transcripts and notes never leave the machine. The only
 * connections the library makes are the ones listed here, each for a declared purpose,
 * and each is checked against an explicit allow-list before a socket is opened (the
 * gate sits in libcurl's socket-open callback, so redirects and retries are checked
 * too, and a refused connection never reaches connect()).
 *
 *   purpose              allowed hosts (local mode, the default)
 *   ------------------   ---------------------------------------------------------------
 *   any                  loopback (127.0.0.0/8, ::1, "localhost"): local servers, tests
 *   PARLEY_NET_MODEL_PULL  the model host: the host of $PARLEY_MODEL_BASE_URL, else
 *                        huggingface.co and its download hosts (*.huggingface.co, hf.co,
 *                        *.hf.co), for `parley models pull` only
 *   PARLEY_NET_TEAM_SERVER nothing in local mode; with local_only off, team_server only
 *   PARLEY_NET_SYNC      nothing in local mode; with local_only off, sync_server only
 *
 * New outbound code (a team server, sync) declares a purpose and goes through
 * parley_net_check() and the curl guard (src/net/net_internal.h); nothing else in the
 * library may open a socket to another machine. tests/cli/egress.sh proves it by
 * tracing connect() for every command.
 *
 * Basic usage
 *
 *     if (parley_net_check(PARLEY_NET_MODEL_PULL, url) != PARLEY_OK)
 *         return PARLEY_ERR_PERMISSION;   // parley_last_error() says what was refused
 *
 * Thread rules: set the policy before starting threads; the checks may run on any thread.
 */
#ifndef PARLEY_NET_H
#define PARLEY_NET_H

#include <parley/parley.h>

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_net_purpose {
    PARLEY_NET_MODEL_PULL = 0,   /* downloading a model file (parley_catalog_pull, fetch.h) */
    PARLEY_NET_TEAM_SERVER = 1,  /* the opt-in remote team server */
    PARLEY_NET_SYNC = 2,         /* the opt-in end-to-end encrypted sync */
} parley_net_purpose;

struct parley_net_policy {
    bool local_only;          /* true (default): loopback and model pulls only */
    const char *team_server;  /* host name allowed for TEAM_SERVER when !local_only; NULL = none */
    const char *sync_server;  /* host name allowed for SYNC when !local_only; NULL = none */
};

struct parley_net_policy parley_net_default_policy(void); /* local_only = true, no servers */

/* Replaces the process-wide policy (strings copied). Call before threads start.
 * INVALID_ARG for a host name that is empty or longer than 255 bytes. */
parley_status parley_net_set_policy(const struct parley_net_policy *policy);

/* Whether a connection to url (http or https) for purpose is allowed. OK, or
 * PARLEY_ERR_PERMISSION with a detail naming the host, the purpose and what is allowed;
 * INVALID_ARG when url cannot be parsed. Any thread. */
parley_status parley_net_check(parley_net_purpose purpose, const char *url);

/* Connections the gate refused in this process (for tests and diagnostics). */
unsigned long parley_net_refused_count(void);

#ifdef __cplusplus
}
#endif
#endif
