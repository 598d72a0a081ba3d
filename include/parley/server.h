/*
 * server.h: Parley's local web app: an HTTP server on the loopback interface only, with the
 * JSON API (docs/api.md), Server-Sent Events for generated tokens and download progress,
 * and the pages (web/, compiled in). `parley serve` is a thin command over this.
 *
 * Basic usage
 *
 *     struct parley_server_params sp = parley_server_default_params();
 *     sp.port = 0;                                  // any free port
 *     parley_server *srv;
 *     if (parley_server_start(&sp, &srv) != PARLEY_OK) fail(parley_last_error());
 *     puts(parley_server_url(srv));                 // http://127.0.0.1:PORT/#token=...
 *     ... wait for Ctrl-C ...
 *     parley_server_stop(srv);                      // cancels running work, joins threads
 *
 * Security (docs/web.md): it binds 127.0.0.1 (and ::1 when the system has IPv6) and nothing
 * else. Every /api/ request must carry `Authorization: Bearer TOKEN`, the token made per
 * start from the system's random source (never logged). A Host header other than this
 * loopback address and port (DNS rebinding) and an Origin other than this page's
 * (cross-site requests) are refused with 403; bodies over max_body_bytes get 413, headers
 * over max_header_bytes 431. Connections are limited in number and idle time, so a slow
 * or stalled client cannot hold the server.
 *
 * Threads: one I/O thread (libmicrohttpd's internal poll loop) answers every request; it
 * never runs inference or downloads. Those run on worker threads (one owns the loaded LLM,
 * one does downloads) that hand events back through a job's queue; a waiting SSE stream
 * is suspended and woken by libmicrohttpd's own wake-up channel.
 *
 * Thread rules: start and stop from one thread; parley_server_url/port/token may be read
 * from any thread while the server runs.
 */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_server parley_server;

struct parley_server_params {
    uint16_t port;              /* TCP port on 127.0.0.1 (and ::1); 0 = any free port */
    const char *token;          /* the API token; NULL = a random one (tests may fix it); copied */
    size_t max_body_bytes;      /* request bodies above this get 413; 0 = 1 MiB */
    size_t max_header_bytes;    /* request line + headers above this get 431; 0 = 16 KiB */
    unsigned max_connections;   /* open connections at once; 0 = 64 */
    unsigned idle_timeout_s;    /* a connection idle this long is closed; 0 = 20 s */
    const char *store_path;     /* database; NULL = the default (store.h); copied */
    const char *settings_path;  /* app settings; NULL = <config>/settings.json; copied */
    /* The LLM for summaries, notes and chat. */
    const char *llm_model;      /* a path or id (parley_llm_model_find); NULL = this device's
                                   chosen model, else the only GGUF in the models directory; copied */
    const char *chat_template;  /* for a model without one (chatml, llama3, ...); NULL = the
                                   model's own; copied */
    uint32_t n_ctx;             /* context in tokens; 0 = 8192 */
    int32_t n_threads;          /* CPU threads; 0 = all cores */
    bool no_gpu;                /* run the LLM on the CPU only */
    bool measure_bandwidth;     /* measure RAM bandwidth for the fit labels when not cached
                                   (parley_hw_params); default true */
};

struct parley_server_params parley_server_default_params(void);

/* Binds, probes the hardware (for the fit labels) and starts the threads. Errors:
 * PARLEY_ERR_IO (the port is taken, with the system's message), PARLEY_ERR_DB (the
 * database cannot be opened), PARLEY_ERR_UNSUPPORTED (no loopback interface). */
parley_status parley_server_start(const struct parley_server_params *params, parley_server **out);

/* Stops accepting, cancels running jobs, ends open event streams, joins every thread and
 * frees the server. NULL is a no-op. */
void parley_server_stop(parley_server *srv);

/* The port it listens on (the chosen one when params.port was 0). */
uint16_t parley_server_port(const parley_server *srv);
/* "http://127.0.0.1:PORT/#token=TOKEN": the page's address. Borrowed while srv runs. */
const char *parley_server_url(const parley_server *srv);
/* The token alone. Borrowed while srv runs. */
const char *parley_server_token(const parley_server *srv);

#ifdef __cplusplus
}
#endif
#endif
