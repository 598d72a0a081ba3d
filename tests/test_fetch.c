/* test_fetch.c: the downloader against a small misbehaving HTTP server that this test runs
 * itself, on 127.0.0.1 only, on an ephemeral port.
 *
 * The server's behaviour is picked by the first path component:
 *   /ok/F        the file, with Range support (206 / 416)
 *   /drop/F      like /ok, but while srv.drops_left > 0 a response stops half-way through
 *                its body and the connection is closed
 *   /norange/F   ignores Range: always 200 and the whole file
 *   /wrong/F     like /ok, with one byte (in the middle of the file) flipped
 *   /404/F       404 with a short error page
 *   /stall/F     headers for the whole file, 1000 bytes, then nothing until the client leaves
 *   /redir/F     302 to /ok/F;  /loop/F: 302 to itself;  /toftp/F: 302 to an ftp:// URL
 *   /nolength/F  200 with no Content-Length, the body ends when the connection closes
 *   /away/F      302 to http://192.0.2.1/F (TEST-NET-1: an address off this machine), which
 *                the network gate (net.h) must refuse without connecting
 * Every request is logged (path, Range start, status) so tests can check what was asked. */
#include "test.h"

#include <parley/fetch.h>
#include <parley/net.h>

#include "fetch/fetch_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define FILE_SIZE ((size_t)(1u << 20) + 4321u) /* odd, so off-by-one errors show */
#define STALL_BYTES 1000
#define MAX_LOG 64

struct req_entry {
    char path[128];
    long long range_start; /* -1: no Range header */
    int status;
};

static struct {
    int lfd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    atomic_int active;
    pthread_mutex_t mu;
    struct req_entry log[MAX_LOG];
    int nlog;
    int drops_left;
    unsigned char *content;
    char sha256[65];
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static char url_buf[512];
static const char *url_of(const char *path)
{
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", srv.port, path);
    return url_buf;
}

static void log_reset(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.nlog = 0;
    srv.drops_left = 0;
    pthread_mutex_unlock(&srv.mu);
}

static int log_count(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.nlog;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static struct req_entry log_get(int i)
{
    pthread_mutex_lock(&srv.mu);
    struct req_entry e = srv.log[i];
    pthread_mutex_unlock(&srv.mu);
    return e;
}

static bool send_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void send_head(int fd, int status, const char *reason, const char *extra)
{
    char h[1024];
    int n = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nConnection: close\r\n%s\r\n", status, reason,
                     extra);
    send_all(fd, h, (size_t)n);
}

/* Sends bytes [start, end) of the file, with byte `flip` inverted (flip < 0: none). */
static void send_body(int fd, size_t start, size_t end, long long flip)
{
    if (flip < 0 || (size_t)flip < start || (size_t)flip >= end) {
        send_all(fd, srv.content + start, end - start);
        return;
    }
    send_all(fd, srv.content + start, (size_t)flip - start);
    unsigned char b = (unsigned char)~srv.content[flip];
    send_all(fd, &b, 1);
    send_all(fd, srv.content + flip + 1, end - (size_t)flip - 1);
}

static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[8192];
    size_t len = 0;
    while (len < sizeof req - 1) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 5000) <= 0)
            goto out;
        ssize_t r = recv(fd, req + len, sizeof req - 1 - len, 0);
        if (r <= 0)
            goto out;
        len += (size_t)r;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    char path[128] = "";
    if (sscanf(req, "GET %127s HTTP/", path) != 1)
        goto out;
    long long range = -1;
    const char *rh = strcasestr(req, "\r\nRange: bytes=");
    if (rh)
        range = strtoll(rh + strlen("\r\nRange: bytes="), NULL, 10);

    const char *kind_end = strchr(path + 1, '/');
    char kind[32] = "";
    if (kind_end && kind_end - path - 1 < (long)sizeof kind)
        memcpy(kind, path + 1, (size_t)(kind_end - path - 1));
    const char *rest = kind_end ? kind_end : "/";

    bool drop = false;
    pthread_mutex_lock(&srv.mu);
    if (strcmp(kind, "drop") == 0 && srv.drops_left > 0) {
        srv.drops_left--;
        drop = true;
    }
    int idx = srv.nlog < MAX_LOG ? srv.nlog++ : -1;
    if (idx >= 0) {
        snprintf(srv.log[idx].path, sizeof srv.log[idx].path, "%s", path);
        srv.log[idx].range_start = range;
        srv.log[idx].status = 0;
    }
    pthread_mutex_unlock(&srv.mu);
    int status = 200;
    char extra[512];

    if (strcmp(kind, "404") == 0) {
        status = 404;
        const char *body = "Entry not found";
        snprintf(extra, sizeof extra, "Content-Type: text/plain\r\nContent-Length: %zu\r\n",
                 strlen(body));
        send_head(fd, 404, "Not Found", extra);
        send_all(fd, body, strlen(body));
    } else if (strcmp(kind, "redir") == 0 || strcmp(kind, "loop") == 0) {
        status = 302;
        snprintf(extra, sizeof extra, "Location: %s%s\r\nContent-Length: 0\r\n",
                 strcmp(kind, "redir") == 0 ? "/ok" : "/loop", rest);
        send_head(fd, 302, "Found", extra);
    } else if (strcmp(kind, "toftp") == 0) {
        status = 302;
        snprintf(extra, sizeof extra, "Location: ftp://127.0.0.1:%d/x.bin\r\nContent-Length: 0\r\n",
                 srv.port);
        send_head(fd, 302, "Found", extra);
    } else if (strcmp(kind, "away") == 0) {
        status = 302;
        snprintf(extra, sizeof extra, "Location: http://192.0.2.1%s\r\nContent-Length: 0\r\n", rest);
        send_head(fd, 302, "Found", extra);
    } else if (strcmp(kind, "nolength") == 0) {
        send_head(fd, 200, "OK", "");
        send_body(fd, 0, FILE_SIZE, -1);
    } else if (strcmp(kind, "stall") == 0) {
        snprintf(extra, sizeof extra, "Content-Length: %zu\r\n", FILE_SIZE);
        send_head(fd, 200, "OK", extra);
        send_body(fd, 0, STALL_BYTES, -1);
        /* Hold the connection open, sending nothing, until the client gives up. */
        for (int i = 0; i < 200 && !atomic_load(&srv.stop); i++) {
            struct pollfd pf = {fd, POLLIN, 0};
            if (poll(&pf, 1, 100) > 0) {
                char c;
                if (recv(fd, &c, 1, 0) <= 0)
                    break;
            }
        }
    } else if (strcmp(kind, "ok") == 0 || strcmp(kind, "drop") == 0 ||
               strcmp(kind, "wrong") == 0 || strcmp(kind, "norange") == 0) {
        long long flip = strcmp(kind, "wrong") == 0 ? (long long)FILE_SIZE / 2 : -1;
        bool ranged = range >= 0 && strcmp(kind, "norange") != 0;
        size_t start = ranged ? (size_t)range : 0;
        if (ranged && start >= FILE_SIZE) {
            status = 416;
            snprintf(extra, sizeof extra, "Content-Range: bytes */%zu\r\nContent-Length: 0\r\n",
                     FILE_SIZE);
            send_head(fd, 416, "Range Not Satisfiable", extra);
        } else {
            if (ranged) {
                status = 206;
                snprintf(extra, sizeof extra,
                         "Content-Range: bytes %zu-%zu/%zu\r\nContent-Length: %zu\r\n", start,
                         FILE_SIZE - 1, FILE_SIZE, FILE_SIZE - start);
                send_head(fd, 206, "Partial Content", extra);
            } else {
                snprintf(extra, sizeof extra, "Content-Length: %zu\r\n", FILE_SIZE);
                send_head(fd, 200, "OK", extra);
            }
            size_t end = drop ? start + (FILE_SIZE - start) / 2 : FILE_SIZE;
            send_body(fd, start, end, flip);
        }
    } else {
        status = 400;
        send_head(fd, 400, "Bad Request", "Content-Length: 0\r\n");
    }
    if (idx >= 0) {
        pthread_mutex_lock(&srv.mu);
        srv.log[idx].status = status;
        pthread_mutex_unlock(&srv.mu);
    }
out:
    shutdown(fd, SHUT_RDWR);
    close(fd);
    atomic_fetch_sub(&srv.active, 1);
    return NULL;
}

static void *accept_loop(void *arg)
{
    while (!atomic_load(&srv.stop)) {
        struct pollfd pf = {srv.lfd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        int c = accept(srv.lfd, NULL, NULL);
        if (c < 0)
            continue;
        atomic_fetch_add(&srv.active, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)c) != 0) {
            close(c);
            atomic_fetch_sub(&srv.active, 1);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

static bool server_start(void)
{
    srv.content = malloc(FILE_SIZE);
    if (!srv.content)
        return false;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < FILE_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        srv.content[i] = (unsigned char)(x >> 24);
    }
    fetch_sha256_buf(srv.content, FILE_SIZE, srv.sha256);
    srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv.lfd < 0)
        return false;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 and nothing else */
    a.sin_port = 0;
    socklen_t al = sizeof a;
    if (bind(srv.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(srv.lfd, 16) != 0 ||
        getsockname(srv.lfd, (struct sockaddr *)&a, &al) != 0)
        return false;
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.thread, NULL, accept_loop, NULL) == 0;
}

static void server_stop(void)
{
    atomic_store(&srv.stop, true);
    pthread_join(srv.thread, NULL);
    for (int i = 0; i < 100 && atomic_load(&srv.active) > 0; i++)
        usleep(50 * 1000);
    close(srv.lfd);
    free(srv.content);
}

/* ---- helpers -------------------------------------------------------------------------- */

static char dir[4096];

static const char *path_in(const char *name)
{
    static char p[16][4200]; /* a ring, so that a few results can be held at once */
    static int k;
    k = (k + 1) % 16;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(sz > 0 ? (size_t)sz : 1);
    *n = b ? fread(b, 1, (size_t)sz, f) : 0;
    fclose(f);
    return b;
}

/* SHA-256 of a file on disk, computed here (not by the code under test's result field). */
static void hash_file(const char *path, char hex[65])
{
    size_t n = 0;
    unsigned char *b = read_all(path, &n);
    if (!b) {
        strcpy(hex, "(missing)");
        return;
    }
    fetch_sha256_buf(b, n, hex);
    free(b);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static struct parley_fetch_params quick_params(void)
{
    struct parley_fetch_params p = parley_fetch_default_params();
    p.retry_delay_s = 0;
    p.connect_timeout_s = 5;
    p.free_space_override = 0;
    p.disk_margin = 0;
    return p;
}

/* ---- tests ---------------------------------------------------------------------------- */

TEST(model_url)
{
    char u[512];
    unsetenv("PARLEY_MODEL_BASE_URL");
    ASSERT_OK(parley_fetch_model_url(NULL, "unsloth/Qwen3.5-2B-GGUF", "Qwen3.5-2B-Q4_K_M.gguf", u,
                                     sizeof u));
    ASSERT_STR(u, "https://huggingface.co/unsloth/Qwen3.5-2B-GGUF/resolve/main/Qwen3.5-2B-Q4_K_M.gguf");
    setenv("PARLEY_MODEL_BASE_URL", "http://127.0.0.1:9/mirror//", 1);
    ASSERT_OK(parley_fetch_model_url("", "a/b", "sub/c.gguf", u, sizeof u));
    ASSERT_STR(u, "http://127.0.0.1:9/mirror/a/b/resolve/main/sub/c.gguf");
    ASSERT_OK(parley_fetch_model_url("https://example.org/", "a/b", "c", u, sizeof u));
    ASSERT_STR(u, "https://example.org/a/b/resolve/main/c");
    unsetenv("PARLEY_MODEL_BASE_URL");
    ASSERT_STATUS(parley_fetch_model_url(NULL, "noslash", "c", u, sizeof u), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "owner/name");
    ASSERT_STATUS(parley_fetch_model_url(NULL, "a/../b", "c", u, sizeof u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_fetch_model_url(NULL, "a/b", "../etc/passwd", u, sizeof u),
                  PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_fetch_model_url(NULL, "a/b", "x y.gguf", u, sizeof u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_fetch_model_url(NULL, "a/b", "/abs", u, sizeof u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_fetch_model_url("ftp://x", "a/b", "c", u, sizeof u), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "http");
    /* "a..b" is a legal file name, only ".." as a path component is not. */
    ASSERT_OK(parley_fetch_model_url(NULL, "a/b", "x..y.gguf", u, sizeof u));
    ASSERT_STATUS(parley_fetch_model_url(NULL, "a/b", "c", u, 20), PARLEY_ERR_TOO_LARGE);
    ASSERT_STR(u, "");
    char part[64];
    ASSERT_OK(parley_fetch_part_path("/m/x.gguf", part, sizeof part));
    ASSERT_STR(part, "/m/x.gguf.part");
}

TEST(bad_arguments)
{
    struct parley_fetch_params p = quick_params();
    const char *dest = path_in("args.bin");
    log_reset();
    /* Neither hash nor size: nothing to verify against, refused before any request. */
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/a.bin"), dest, &p, NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "neither a SHA-256 nor a size");
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/a.bin"), dest, NULL, NULL), PARLEY_ERR_INVALID_ARG);
    p.sha256 = "abc";
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/a.bin"), dest, &p, NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "64 hexadecimal");
    p.sha256 = srv.sha256;
    ASSERT_STATUS(parley_fetch_file("file:///etc/passwd", dest, &p, NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_fetch_file("ftp://127.0.0.1/x", dest, &p, NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_EQ_INT(log_count(), 0);
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(path_in("args.bin.part")), -1);
}

TEST(sha256_ok)
{
    struct parley_fetch_params p = quick_params();
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)toupper((unsigned char)srv.sha256[i]);
    p.sha256 = upper; /* either case is accepted */
    const char *dest = path_in("sub/dir/ok.bin"); /* parents are created */
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/ok/model.gguf"), dest, &p, &r));
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
    ASSERT_STR(r.sha256, srv.sha256);
    ASSERT_STR(r.verified_by, "sha256");
    ASSERT_EQ_INT(r.size, FILE_SIZE);
    ASSERT_EQ_INT(r.downloaded, FILE_SIZE);
    ASSERT_EQ_INT(r.resumed_from, 0);
    ASSERT_EQ_INT(r.requests, 1);
    ASSERT_EQ_INT(r.http_status, 200);
    ASSERT_EQ_INT(file_size(path_in("sub/dir/ok.bin.part")), -1);
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT_EQ_INT(log_get(0).range_start, -1);
    struct stat sb;
    ASSERT(stat(dest, &sb) == 0 && (sb.st_mode & 0777) == 0644);
}

TEST(size_only)
{
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE;
    const char *dest = path_in("size.bin");
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/ok/size.bin"), dest, &p, &r));
    ASSERT_STR(r.verified_by, "size");
    ASSERT_STR(r.sha256, "");
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);

    /* What size-only verification cannot see: a flipped byte passes. Documented, and proven
     * here so nobody mistakes "size" for "content". */
    const char *dest2 = path_in("size-wrong.bin");
    ASSERT_OK(parley_fetch_file(url_of("/wrong/size.bin"), dest2, &p, &r));
    ASSERT_STR(r.verified_by, "size");
    hash_file(dest2, got);
    ASSERT(strcmp(got, srv.sha256) != 0);
    ASSERT_EQ_INT(file_size(dest2), FILE_SIZE);
}

TEST(drop_then_auto_resume)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.expected_size = FILE_SIZE;
    p.retries = 2;
    const char *dest = path_in("drop-auto.bin");
    struct parley_fetch_result r;
    log_reset();
    srv.drops_left = 1;
    ASSERT_OK(parley_fetch_file(url_of("/drop/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(log_count(), 2);
    ASSERT_EQ_INT(log_get(0).range_start, -1);
    /* The second request resumed exactly where the first connection died. */
    ASSERT_EQ_INT(log_get(1).range_start, FILE_SIZE / 2);
    ASSERT_EQ_INT(log_get(1).status, 206);
    ASSERT_EQ_INT(r.requests, 2);
    ASSERT_EQ_INT(r.downloaded, FILE_SIZE);
    ASSERT_EQ_INT(r.http_status, 206);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
    ASSERT_EQ_INT(file_size(path_in("drop-auto.bin.part")), -1);
}

TEST(drop_then_resume_next_call)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.retries = 0;
    const char *dest = path_in("drop.bin");
    const char *part = path_in("drop.bin.part");
    struct parley_fetch_result r;
    log_reset();
    srv.drops_left = 1;
    ASSERT_STATUS(parley_fetch_file(url_of("/drop/x.bin"), dest, &p, &r), PARLEY_ERR_NETWORK);
    ASSERT_CONTAINS(parley_last_error(), "kept for a resume");
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(part), FILE_SIZE / 2);
    size_t n = 0;
    unsigned char *b = read_all(part, &n);
    ASSERT(b && n == FILE_SIZE / 2 && memcmp(b, srv.content, n) == 0);
    free(b);

    ASSERT_OK(parley_fetch_file(url_of("/drop/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(log_count(), 2);
    ASSERT_EQ_INT(log_get(1).range_start, FILE_SIZE / 2);
    ASSERT_EQ_INT(r.resumed_from, FILE_SIZE / 2);
    ASSERT_EQ_INT(r.downloaded, FILE_SIZE - FILE_SIZE / 2);
    /* The hash covers the whole file, the bytes of the first call included. */
    ASSERT_STR(r.sha256, srv.sha256);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
    ASSERT_EQ_INT(file_size(part), -1);
}

TEST(wrong_byte_checksum)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.expected_size = FILE_SIZE;
    const char *dest = path_in("wrong.bin");
    struct parley_fetch_result r;
    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/wrong/x.bin"), dest, &p, &r), PARLEY_ERR_CHECKSUM);
    const char *msg = parley_last_error();
    ASSERT_CONTAINS(msg, "SHA-256 mismatch");
    ASSERT_CONTAINS(msg, srv.sha256);
    unsigned char *bad = malloc(FILE_SIZE);
    ASSERT(bad);
    memcpy(bad, srv.content, FILE_SIZE);
    bad[FILE_SIZE / 2] = (unsigned char)~bad[FILE_SIZE / 2];
    char badhex[65];
    fetch_sha256_buf(bad, FILE_SIZE, badhex);
    free(bad);
    ASSERT_CONTAINS(msg, badhex); /* "got" is the real hash of what arrived */
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(path_in("wrong.bin.part")), -1);
    ASSERT(r.verified_by == NULL);
}

TEST(server_ignores_range)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    const char *dest = path_in("norange.bin");
    const char *part = path_in("norange.bin.part");
    /* A stale .part whose bytes are garbage: after the 200 it must not survive anywhere. */
    unsigned char junk[300000];
    memset(junk, 0xAB, sizeof junk);
    write_file(part, junk, sizeof junk);
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/norange/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT_EQ_INT(log_get(0).range_start, (long long)sizeof junk);
    ASSERT_EQ_INT(log_get(0).status, 200);
    ASSERT_EQ_INT(r.restarts, 1);
    ASSERT_EQ_INT(r.resumed_from, sizeof junk);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
    ASSERT_EQ_INT(file_size(dest), FILE_SIZE);

    /* A stale .part longer than the whole file (no size given, so it is not cut first): the
     * 200 must truncate it, or its tail would survive behind the new bytes. */
    const char *dest2 = path_in("norange2.bin");
    unsigned char *big = malloc(FILE_SIZE + 5000);
    ASSERT(big);
    memset(big, 0xCD, FILE_SIZE + 5000);
    write_file(path_in("norange2.bin.part"), big, FILE_SIZE + 5000);
    free(big);
    ASSERT_OK(parley_fetch_file(url_of("/norange/x.bin"), dest2, &p, &r));
    hash_file(dest2, got);
    ASSERT_STR(got, srv.sha256);
    ASSERT_EQ_INT(file_size(dest2), FILE_SIZE);
}

TEST(not_found)
{
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE;
    const char *dest = path_in("missing.bin");
    struct parley_fetch_result r;
    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/404/x.bin"), dest, &p, &r), PARLEY_ERR_NETWORK);
    ASSERT_CONTAINS(parley_last_error(), "HTTP 404");
    ASSERT_CONTAINS(parley_last_error(), "Entry not found");
    ASSERT_EQ_INT(r.http_status, 404);
    ASSERT_EQ_INT(log_count(), 1); /* a 404 is not retried */
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(path_in("missing.bin.part")), -1); /* empty .part removed */
}

struct canceller {
    parley_cancel *flag;
    double delay_s;
    double set_at;
};

static void *cancel_later(void *arg)
{
    struct canceller *c = arg;
    usleep((useconds_t)(c->delay_s * 1e6));
    c->set_at = parley_now();
    parley_cancel_set(c->flag);
    return NULL;
}

TEST(stall_then_cancel)
{
    parley_cancel *flag = parley_cancel_new();
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.cancel = flag;
    const char *dest = path_in("stall.bin");
    const char *part = path_in("stall.bin.part");
    struct canceller c = {flag, 0.5, 0};
    pthread_t t;
    log_reset();
    ASSERT(pthread_create(&t, NULL, cancel_later, &c) == 0);
    parley_status st = parley_fetch_file(url_of("/stall/x.bin"), dest, &p, NULL);
    double done_at = parley_now();
    pthread_join(t, NULL);
    parley_cancel_free(flag);
    ASSERT_STATUS(st, PARLEY_ERR_CANCELLED);
    ASSERT_CONTAINS(parley_last_error(), "kept for a resume");
    fprintf(stderr, "   cancel took %.3f s\n", done_at - c.set_at);
    ASSERT(done_at - c.set_at < 1.0);
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(part), STALL_BYTES);
    size_t n = 0;
    unsigned char *b = read_all(part, &n);
    ASSERT(b && n == STALL_BYTES && memcmp(b, srv.content, n) == 0);
    free(b);
    unlink(part);
}

TEST(stall_low_speed_abort)
{
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE;
    p.low_speed_limit = 1000;
    p.low_speed_time_s = 1;
    p.retries = 1; /* the retry also stalls and makes no progress: then it gives up */
    const char *dest = path_in("slow.bin");
    const char *part = path_in("slow.bin.part");
    log_reset();
    double t0 = parley_now();
    ASSERT_STATUS(parley_fetch_file(url_of("/stall/x.bin"), dest, &p, NULL), PARLEY_ERR_NETWORK);
    double took = parley_now() - t0;
    ASSERT_CONTAINS(parley_last_error(), "stalled");
    ASSERT(took < 6.0);
    ASSERT_EQ_INT(log_count(), 2);
    /* The retry asked for the rest, and the stall server (no Range support) restarted. */
    ASSERT_EQ_INT(log_get(1).range_start, STALL_BYTES);
    ASSERT_EQ_INT(file_size(part), STALL_BYTES);
    ASSERT_EQ_INT(file_size(dest), -1);
    unlink(part);
}

struct progress_seen {
    int calls;
    uint64_t last_done, total;
    bool monotonic;
    int stop_after;
    int verifying;
};

static bool on_progress(const parley_fetch_progress *pr, void *ud)
{
    struct progress_seen *s = ud;
    s->calls++;
    if (pr->phase == PARLEY_FETCH_VERIFYING) {
        s->verifying++;
        return true;
    }
    if (pr->done < s->last_done)
        s->monotonic = false;
    s->last_done = pr->done;
    s->total = pr->total;
    return s->stop_after == 0 || s->calls < s->stop_after;
}

TEST(progress_and_callback_cancel)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.progress = on_progress;
    p.progress_interval_s = 0;
    struct progress_seen s = {.monotonic = true};
    p.progress_user_data = &s;
    const char *dest = path_in("progress.bin");
    ASSERT_OK(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL));
    ASSERT(s.calls >= 2);
    ASSERT(s.monotonic);
    ASSERT_EQ_INT(s.last_done, FILE_SIZE);
    ASSERT_EQ_INT(s.total, FILE_SIZE);
    ASSERT(s.verifying >= 2); /* start and end of the hash pass */

    /* Returning false cancels; the bytes so far stay in the .part. */
    struct progress_seen s2 = {.monotonic = true, .stop_after = 1};
    p.progress_user_data = &s2;
    const char *dest2 = path_in("progress2.bin");
    ASSERT_STATUS(parley_fetch_file(url_of("/stall/x.bin"), dest2, &p, NULL), PARLEY_ERR_CANCELLED);
    ASSERT_EQ_INT(file_size(dest2), -1);
    unlink(path_in("progress2.bin.part"));
}

TEST(complete_part_416)
{
    /* A .part that already holds the whole file, no size given: the server answers the Range
     * request with 416 and the file goes to verification. */
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    const char *dest = path_in("full.bin");
    write_file(path_in("full.bin.part"), srv.content, FILE_SIZE);
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT_EQ_INT(log_get(0).range_start, FILE_SIZE);
    ASSERT_EQ_INT(log_get(0).status, 416);
    ASSERT_EQ_INT(r.http_status, 416);
    ASSERT_EQ_INT(r.downloaded, 0);
    ASSERT_EQ_INT(r.resumed_from, FILE_SIZE);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);

    /* With the size known, a complete .part needs no request at all. */
    const char *dest2 = path_in("full2.bin");
    write_file(path_in("full2.bin.part"), srv.content, FILE_SIZE);
    p.expected_size = FILE_SIZE;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/ok/x.bin"), dest2, &p, &r));
    ASSERT_EQ_INT(log_count(), 0);
    ASSERT_EQ_INT(r.requests, 0);
    hash_file(dest2, got);
    ASSERT_STR(got, srv.sha256);

    /* A complete-length but corrupt .part: CHECKSUM, and it is deleted. */
    const char *dest3 = path_in("full3.bin");
    unsigned char *bad = malloc(FILE_SIZE);
    ASSERT(bad);
    memcpy(bad, srv.content, FILE_SIZE);
    bad[10] ^= 1;
    write_file(path_in("full3.bin.part"), bad, FILE_SIZE);
    free(bad);
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/x.bin"), dest3, &p, &r), PARLEY_ERR_CHECKSUM);
    ASSERT_EQ_INT(file_size(dest3), -1);
    ASSERT_EQ_INT(file_size(path_in("full3.bin.part")), -1);
}

TEST(announced_size_mismatch)
{
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE + 5;
    const char *dest = path_in("mism.bin");
    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL), PARLEY_ERR_CHECKSUM);
    char want[64];
    snprintf(want, sizeof want, "announces %zu bytes", FILE_SIZE);
    ASSERT_CONTAINS(parley_last_error(), want);
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(path_in("mism.bin.part")), -1);
}

TEST(no_content_length)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    const char *dest = path_in("nolen.bin");
    struct parley_fetch_result r;
    ASSERT_OK(parley_fetch_file(url_of("/nolength/x.bin"), dest, &p, &r));
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
}

TEST(redirects)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    const char *dest = path_in("redir.bin");
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/redir/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(log_count(), 2);
    ASSERT_STR(log_get(1).path, "/ok/x.bin");
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);

    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/loop/x.bin"), path_in("loop.bin"), &p, NULL),
                  PARLEY_ERR_NETWORK);
    ASSERT_CONTAINS(parley_last_error(), "more than 5 redirects");
    ASSERT_EQ_INT(log_count(), 6); /* the first request and 5 redirects followed */
    ASSERT_EQ_INT(file_size(path_in("loop.bin")), -1);

    /* Only http and https, for redirects too. */
    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/toftp/x.bin"), path_in("ftp.bin"), &p, NULL),
                  PARLEY_ERR_NETWORK);
    ASSERT_CONTAINS(parley_last_error(), "protocol that is not allowed");
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT_EQ_INT(file_size(path_in("ftp.bin")), -1);
}

/* The network gate: a redirect from the (loopback) model host to a machine that is not
 * the model host is refused before any socket is opened for it; so is such a URL given
 * directly. Without the gate, libcurl would try to connect to 192.0.2.1. */
TEST(network_gate_refuses_other_hosts)
{
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.connect_timeout_s = 2;
    unsigned long before = parley_net_refused_count();
    log_reset();
    double t0 = parley_now();
    ASSERT_STATUS(parley_fetch_file(url_of("/away/x.bin"), path_in("away.bin"), &p, NULL), PARLEY_ERR_PERMISSION);
    ASSERT_CONTAINS(parley_last_error(), "network gate");
    ASSERT_CONTAINS(parley_last_error(), "192.0.2.1");
    ASSERT(parley_now() - t0 < 1.5); /* refused, not a connect that timed out */
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT(parley_net_refused_count() > before);
    ASSERT_EQ_INT(file_size(path_in("away.bin")), -1);

    ASSERT_STATUS(parley_fetch_file("https://example.com/x.bin", path_in("direct.bin"), &p, NULL),
                  PARLEY_ERR_PERMISSION);
    ASSERT_CONTAINS(parley_last_error(), "example.com");
    /* the policy itself */
    ASSERT_OK(parley_net_check(PARLEY_NET_MODEL_PULL, "http://127.0.0.1:9/x"));
    ASSERT_OK(parley_net_check(PARLEY_NET_SYNC, "http://[::1]:9/x"));
    ASSERT_STATUS(parley_net_check(PARLEY_NET_TEAM_SERVER, "https://team.example.org/api"), PARLEY_ERR_PERMISSION);
    ASSERT_CONTAINS(parley_last_error(), "local mode");
    struct parley_net_policy pol = parley_net_default_policy();
    pol.local_only = false;
    pol.team_server = "team.example.org";
    ASSERT_OK(parley_net_set_policy(&pol));
    ASSERT_OK(parley_net_check(PARLEY_NET_TEAM_SERVER, "https://team.example.org/api"));
    ASSERT_STATUS(parley_net_check(PARLEY_NET_SYNC, "https://team.example.org/api"), PARLEY_ERR_PERMISSION);
    ASSERT_OK(parley_net_set_policy(NULL));
    ASSERT_STATUS(parley_net_check(PARLEY_NET_TEAM_SERVER, "https://team.example.org/api"), PARLEY_ERR_PERMISSION);
    const char *old = getenv("PARLEY_MODEL_BASE_URL");
    char saved[512] = "";
    if (old)
        snprintf(saved, sizeof saved, "%s", old);
    unsetenv("PARLEY_MODEL_BASE_URL");
    ASSERT_OK(parley_net_check(PARLEY_NET_MODEL_PULL, "https://huggingface.co/org/repo/resolve/main/m.gguf"));
    ASSERT_OK(parley_net_check(PARLEY_NET_MODEL_PULL, "https://cas-bridge.xethub.hf.co/xet/abc"));
    ASSERT_STATUS(parley_net_check(PARLEY_NET_MODEL_PULL, "https://huggingface.co.evil.example/x"),
                  PARLEY_ERR_PERMISSION);
    if (saved[0])
        setenv("PARLEY_MODEL_BASE_URL", saved, 1);
}

TEST(part_longer_than_expected)
{
    /* A .part longer than the published size cannot be a prefix of the file: start over. */
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE;
    p.sha256 = srv.sha256;
    const char *dest = path_in("long.bin");
    unsigned char *big = malloc(FILE_SIZE + 10);
    ASSERT(big);
    memcpy(big, srv.content, FILE_SIZE);
    memset(big + FILE_SIZE, 0, 10);
    write_file(path_in("long.bin.part"), big, FILE_SIZE + 10);
    free(big);
    struct parley_fetch_result r;
    log_reset();
    ASSERT_OK(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, &r));
    ASSERT_EQ_INT(r.restarts, 1);
    ASSERT_EQ_INT(r.resumed_from, 0);
    ASSERT_EQ_INT(log_count(), 1);
    ASSERT_EQ_INT(log_get(0).range_start, -1);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
}

TEST(disk_full_precheck)
{
    struct parley_fetch_params p = quick_params();
    p.expected_size = FILE_SIZE;
    p.disk_margin = 1000;
    p.free_space_override = 500000;
    const char *dest = path_in("nospace.bin");
    log_reset();
    ASSERT_STATUS(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL), PARLEY_ERR_DISK_FULL);
    char want[128];
    snprintf(want, sizeof want, "%zu bytes (", FILE_SIZE + 1000);
    ASSERT_CONTAINS(parley_last_error(), want);
    ASSERT_CONTAINS(parley_last_error(), "500000 bytes (0.5 MiB) available");
    ASSERT_EQ_INT(log_count(), 0); /* refused before any request */
    ASSERT_EQ_INT(file_size(dest), -1);
    ASSERT_EQ_INT(file_size(path_in("nospace.bin.part")), -1);

    /* With 600000 bytes already in the .part, what is left fits. */
    write_file(path_in("nospace.bin.part"), srv.content, 600000);
    p.free_space_override = FILE_SIZE - 600000 + 1000;
    ASSERT_OK(parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL));
    ASSERT_EQ_INT(log_get(0).range_start, 600000);
    char got[65];
    hash_file(dest, got);
    ASSERT_STR(got, srv.sha256);
}

/* Runs fn in a child process and returns its exit status (or -1). The child shares the
 * server's socket with the parent, whose threads keep serving. */
static int in_child(int (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn());
    int ws;
    if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
        return -1;
    return WEXITSTATUS(ws);
}

#define CHILD_SKIP 77

static int enospc_child(void)
{
    if (unshare(CLONE_NEWNS) != 0)
        return CHILD_SKIP;
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL); /* may fail in a chroot: then it is already private */
    const char *mnt = path_in("tiny");
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0)
        return CHILD_SKIP;
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.free_space_override = 1ull << 40; /* get past the pre-check to hit ENOSPC for real */
    char dest[4300];
    snprintf(dest, sizeof dest, "%s/model.bin", mnt);
    parley_status st = parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL);
    fprintf(stderr, "   child: %s: %s\n", parley_strerror(st), parley_last_error());
    if (st != PARLEY_ERR_DISK_FULL)
        return 1;
    if (!strstr(parley_last_error(), "disk full"))
        return 2;
    if (file_size(dest) != -1)
        return 3;
    /* What fitted stays in the .part, for a resume once space is freed. */
    char part[4400];
    snprintf(part, sizeof part, "%s.part", dest);
    long long ps = file_size(part);
    if (ps <= 0 || ps >= (long long)FILE_SIZE)
        return 4;
    size_t n = 0;
    unsigned char *b = read_all(part, &n);
    int rc = b && n == (size_t)ps && memcmp(b, srv.content, n) == 0 ? 0 : 5;
    free(b);
    return rc;
}

TEST(disk_full_enospc)
{
    int rc = in_child(enospc_child);
    if (rc == CHILD_SKIP)
        SKIP("needs unshare(CLONE_NEWNS) and a tmpfs mount (root)");
    ASSERT_EQ_INT(rc, 0);
}

static int perm_child(void)
{
    const char *ro = path_in("readonly");
    if (geteuid() == 0) {
        /* root ignores directory modes: become nobody first. */
        if (setgid(65534) != 0 || setuid(65534) != 0)
            return CHILD_SKIP;
    }
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    char dest[4300];
    snprintf(dest, sizeof dest, "%s/model.bin", ro);
    parley_status st = parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL);
    fprintf(stderr, "   child: %s: %s\n", parley_strerror(st), parley_last_error());
    if (st != PARLEY_ERR_PERMISSION)
        return 1;
    if (!strstr(parley_last_error(), ro))
        return 2;
    return 0;
}

TEST(unwritable_dir)
{
    const char *ro = path_in("readonly");
    ASSERT(mkdir(ro, 0755) == 0);
    if (geteuid() != 0)
        ASSERT(chmod(ro, 0555) == 0);
    log_reset();
    int rc = in_child(perm_child);
    if (rc == CHILD_SKIP)
        SKIP("needs setuid to drop root");
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(log_count(), 0);
    ASSERT_EQ_INT(file_size(path_in("readonly/model.bin")), -1);
    ASSERT_EQ_INT(file_size(path_in("readonly/model.bin.part")), -1);
}

struct bg_fetch {
    const char *url, *dest;
    parley_cancel *cancel;
    parley_status st;
};

static void *bg_fetch_run(void *arg)
{
    struct bg_fetch *b = arg;
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    p.cancel = b->cancel;
    b->st = parley_fetch_file(b->url, b->dest, &p, NULL);
    return NULL;
}

TEST(same_dest_locked)
{
    parley_cancel *flag = parley_cancel_new();
    char url[512];
    snprintf(url, sizeof url, "%s", url_of("/stall/x.bin"));
    const char *dest = path_in("locked.bin");
    struct bg_fetch b = {url, dest, flag, PARLEY_OK};
    pthread_t t;
    log_reset();
    ASSERT(pthread_create(&t, NULL, bg_fetch_run, &b) == 0);
    for (int i = 0; i < 100 && log_count() == 0; i++)
        usleep(20 * 1000);
    struct parley_fetch_params p = quick_params();
    p.sha256 = srv.sha256;
    parley_status st = parley_fetch_file(url_of("/ok/x.bin"), dest, &p, NULL);
    parley_cancel_set(flag);
    pthread_join(t, NULL);
    parley_cancel_free(flag);
    ASSERT_STATUS(st, PARLEY_ERR_IO);
    ASSERT_CONTAINS(parley_last_error(), "another download");
    ASSERT_EQ_INT(b.st, PARLEY_ERR_CANCELLED);
    ASSERT_EQ_INT(log_count(), 1); /* the second call sent nothing */
    ASSERT_EQ_INT(file_size(dest), -1);
    unlink(path_in("locked.bin.part"));
}

int main(void)
{
    /* The test server is on loopback; make sure no proxy from the environment is asked. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    const char *d = test_tmpdir("fetch");
    if (!d || !server_start()) {
        fprintf(stderr, "cannot set up the test directory or the loopback server\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s", d);
    parley_log_set(NULL, NULL, PARLEY_LOG_WARN);
    RUN(model_url);
    RUN(bad_arguments);
    RUN(sha256_ok);
    RUN(size_only);
    RUN(drop_then_auto_resume);
    RUN(drop_then_resume_next_call);
    RUN(wrong_byte_checksum);
    RUN(server_ignores_range);
    RUN(not_found);
    RUN(stall_then_cancel);
    RUN(stall_low_speed_abort);
    RUN(progress_and_callback_cancel);
    RUN(complete_part_416);
    RUN(announced_size_mismatch);
    RUN(no_content_length);
    RUN(redirects);
    RUN(network_gate_refuses_other_hosts);
    RUN(part_longer_than_expected);
    RUN(disk_full_precheck);
    RUN(disk_full_enospc);
    RUN(unwritable_dir);
    RUN(same_dest_locked);
    server_stop();
    return test_summary();
}
