/* fetch.c: one resumable, verified download through libcurl's multi interface.
 *
 * The multi interface is used (rather than curl_easy_perform) so that the cancel flag is
 * read every 100 ms even while the server sends nothing: libcurl's progress callback slows
 * to about once a second during a stall, which would make cancelling feel broken. */
#include <parley/fetch.h>

#include "core/internal.h"
#include "net/net_internal.h"
#include "fetch/fetch_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define ERRBODY_MAX 300     /* bytes of a server's error page quoted in our message */
#define MAX_RESTARTS 3      /* downloads from byte 0 after the .part proved unusable */
#define POLL_MS 100         /* longest wait between two looks at the cancel flag */

struct parley_fetch_params parley_fetch_default_params(void)
{
    struct parley_fetch_params p;
    memset(&p, 0, sizeof p);
    p.progress_interval_s = 0.25;
    p.connect_timeout_s = 30;
    p.low_speed_limit = 1024;
    p.low_speed_time_s = 30;
    p.max_redirects = 5;
    p.retries = 3;
    p.retry_delay_s = 2.0;
    p.disk_margin = 64ull << 20;
    return p;
}

/* libcurl's global init is not guaranteed thread-safe on every build, so it runs once. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Outcome of one HTTP request. */
enum attempt_outcome {
    ATTEMPT_COMPLETE,  /* the .part holds the whole file */
    ATTEMPT_RETRY,     /* transient failure: resume after a pause */
    ATTEMPT_RESTART,   /* the .part is unusable: truncate and start again from byte 0 */
    ATTEMPT_FAIL,      /* give up with job->fail_st / job->msg */
};

struct fetch_job {
    struct parley_net_guard guard; /* the network gate on this transfer (net.h) */
    const struct parley_fetch_params *p;
    const char *url;
    const char *dest;
    char part[PATH_MAX];
    char dir[PATH_MAX];
    char sha256[65];       /* expected, lowercased; "" = none */
    int fd;
    struct parley_fetch_result *res;

    uint64_t offset;       /* bytes in the .part, which is also where the next byte goes */
    uint64_t total;        /* size of the whole file; 0 while unknown */
    double t0;

    /* Per response (reset at every status line, since redirects bring several). */
    long hdr_status;
    bool cr_present;
    bool cr_total_known;
    uint64_t cr_start, cr_total;
    int64_t content_length; /* -1 = none */

    /* Per attempt. */
    uint64_t req_start;    /* the Range start sent; 0 = no Range header */
    bool body_started;     /* the final response's body (or its absence) has been accepted */
    bool body_to_file;     /* 2xx: bytes go to the .part; else they are an error page */
    char errbody[ERRBODY_MAX + 1];
    size_t errbody_len;
    parley_status cb_st;   /* a callback decided the call fails with this status */
    bool delete_part;      /* the failure proves the .part wrong */
    bool cancelled;

    /* Progress. */
    uint64_t downloaded;   /* body bytes received this call */
    double last_report;
    double rate, rate_t;
    uint64_t rate_bytes;
    int attempt;
    double xfer_s;         /* seconds spent in transfers (for the average rate) */
    parley_fetch_phase phase;
    uint64_t hash_done;

    parley_status fail_st;
    char msg[1024];
};

static void job_msg(struct fetch_job *j, parley_status st, const char *fmt, ...) PARLEY_PRINTF(3, 4);
static void job_msg(struct fetch_job *j, parley_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    j->fail_st = st;
}

static bool cancel_requested(const struct fetch_job *j)
{
    return parley_cancel_is_set(j->p->cancel);
}

/* Sends a progress report when the interval has passed (or when forced). Returns false when
 * the callback asked to stop. */
static bool report(struct fetch_job *j, bool force)
{
    double now = parley_now();
    /* The rate is smoothed over roughly the last few seconds so that a progress bar's
     * "MB/s" does not jump with every network burst. */
    if (now - j->rate_t >= 0.5) {
        double inst = (double)(j->downloaded - j->rate_bytes) / (now - j->rate_t);
        j->rate = j->rate > 0 ? 0.6 * j->rate + 0.4 * inst : inst;
        j->rate_t = now;
        j->rate_bytes = j->downloaded;
    }
    if (!j->p->progress)
        return true;
    if (!force && now - j->last_report < j->p->progress_interval_s)
        return true;
    j->last_report = now;
    parley_fetch_progress pr = {
        .phase = j->phase,
        .done = j->phase == PARLEY_FETCH_VERIFYING ? j->hash_done : j->offset,
        .total = j->total,
        .resumed_from = j->res->resumed_from,
        .rate = j->phase == PARLEY_FETCH_VERIFYING ? 0 : j->rate,
        .elapsed_s = now - j->t0,
        .attempt = j->attempt,
    };
    return j->p->progress(&pr, j->p->progress_user_data);
}

static uint64_t free_bytes(const struct fetch_job *j, int *err)
{
    *err = 0;
    if (j->p->free_space_override)
        return j->p->free_space_override;
    struct statvfs sv;
    if (statvfs(j->dir, &sv) != 0) {
        *err = errno;
        return 0;
    }
    return (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
}

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

/* Is there room for the rest of the file plus the margin? The .part's bytes are already on
 * disk, so only what is still to come counts. */
static bool disk_room(struct fetch_job *j)
{
    if (j->total == 0)
        return true;
    uint64_t rest = j->total > j->offset ? j->total - j->offset : 0;
    uint64_t need = rest + j->p->disk_margin;
    int err;
    uint64_t avail = free_bytes(j, &err);
    if (err) {
        job_msg(j, parley_status_from_errno(err), "cannot read free space of %s: %s", j->dir,
                strerror(err));
        return false;
    }
    if (avail < need) {
        job_msg(j, PARLEY_ERR_DISK_FULL,
                "not enough free space in %s: %" PRIu64 " bytes (%.1f MiB) needed = %" PRIu64
                " of the file still to download (size %" PRIu64 ", %" PRIu64
                " already in %s) + %" PRIu64 " margin; %" PRIu64 " bytes (%.1f MiB) available",
                j->dir, need, MIB(need), rest, j->total, j->offset, j->part, j->p->disk_margin,
                avail, MIB(avail));
        return false;
    }
    return true;
}

/* ---- libcurl callbacks ---------------------------------------------------------------- */

static bool header_is(const char *line, size_t n, const char *name, const char **value)
{
    size_t ln = strlen(name);
    if (n <= ln || strncasecmp(line, name, ln) != 0 || line[ln] != ':')
        return false;
    const char *v = line + ln + 1;
    while (v < line + n && (*v == ' ' || *v == '\t'))
        v++;
    *value = v;
    return true;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    struct fetch_job *j = ud;
    size_t n = size * nmemb;
    const char *v;
    /* A status line starts a new response: a redirect's headers must not leak into the
     * final response's. */
    if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', n);
        j->hdr_status = sp ? strtol(sp + 1, NULL, 10) : 0;
        j->cr_present = j->cr_total_known = false;
        j->cr_start = j->cr_total = 0;
        j->content_length = -1;
    } else if (header_is(line, n, "Content-Length", &v)) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (end != v)
            j->content_length = (int64_t)x;
    } else if (header_is(line, n, "Content-Range", &v)) {
        /* "bytes START-END/TOTAL", "bytes START-END/(star)" or, with a 416, "bytes (star)/TOTAL". */
        if (strncasecmp(v, "bytes", 5) == 0) {
            const char *q = v + 5;
            while (*q == ' ')
                q++;
            char *end;
            if (*q == '*') {
                q++;
            } else {
                j->cr_start = strtoull(q, &end, 10);
                if (end == q)
                    return n;
                j->cr_present = true;
                q = strchr(q, '/');
                if (!q)
                    return n;
            }
            if (*q == '/' && isdigit((unsigned char)q[1])) {
                j->cr_total = strtoull(q + 1, &end, 10);
                j->cr_total_known = true;
            }
        }
    }
    return n;
}

/* The final response's headers are complete: decide where its body goes. Returns false (with
 * job->cb_st set) to abort the transfer. */
static bool accept_response(struct fetch_job *j)
{
    j->body_started = true;
    long st = j->hdr_status;
    if (st < 200 || st >= 300) {
        j->body_to_file = false; /* an error page (or a 416): collected for the message */
        return true;
    }
    uint64_t announced = 0;
    bool known = false;
    if (st == 206) {
        if (j->req_start == 0 || !j->cr_present) {
            job_msg(j, PARLEY_ERR_NETWORK, "%s: HTTP 206 without a usable Content-Range", j->url);
            j->cb_st = PARLEY_ERR_NETWORK;
            return false;
        }
        if (j->cr_start != j->req_start) {
            job_msg(j, PARLEY_ERR_NETWORK,
                    "%s: asked to resume at byte %" PRIu64 ", the server sent from byte %" PRIu64,
                    j->url, j->req_start, j->cr_start);
            j->cb_st = PARLEY_ERR_NETWORK;
            return false;
        }
        known = j->cr_total_known;
        announced = j->cr_total;
    } else {
        if (j->req_start > 0) {
            /* The server ignored Range and sends the whole file: follow it from byte 0. */
            parley_log(PARLEY_LOG_INFO,
                       "fetch: %s ignored the range request (HTTP %ld); starting again from "
                       "byte 0 instead of %" PRIu64, j->url, st, j->req_start);
            if (ftruncate(j->fd, 0) != 0) {
                int e = errno;
                job_msg(j, parley_status_from_errno(e), "%s: cannot truncate: %s", j->part,
                        strerror(e));
                j->cb_st = j->fail_st;
                return false;
            }
            j->offset = 0;
            j->res->restarts++;
        }
        if (j->content_length >= 0) {
            known = true;
            announced = (uint64_t)j->content_length;
        }
    }
    j->body_to_file = true;
    if (known) {
        uint64_t want = j->p->expected_size;
        if (want && announced != want) {
            job_msg(j, PARLEY_ERR_CHECKSUM,
                    "%s: the server announces %" PRIu64 " bytes, the published size is %" PRIu64
                    " bytes (a different file upstream?); the partial download was deleted",
                    j->url, announced, want);
            j->cb_st = PARLEY_ERR_CHECKSUM;
            j->delete_part = true;
            return false;
        }
        if (announced < j->offset) {
            job_msg(j, PARLEY_ERR_NETWORK,
                    "%s: the server announces %" PRIu64 " bytes, fewer than the %" PRIu64
                    " already downloaded", j->url, announced, j->offset);
            j->cb_st = PARLEY_ERR_NETWORK;
            j->delete_part = true;
            return false;
        }
        j->total = announced;
        if (!disk_room(j)) {
            j->cb_st = j->fail_st;
            return false;
        }
    }
    return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct fetch_job *j = ud;
    size_t n = size * nmemb;
    if (!j->body_started && !accept_response(j))
        return CURL_WRITEFUNC_ERROR;
    if (!j->body_to_file) {
        size_t room = ERRBODY_MAX - j->errbody_len;
        size_t take = n < room ? n : room;
        memcpy(j->errbody + j->errbody_len, data, take);
        j->errbody_len += take;
        j->errbody[j->errbody_len] = '\0';
        return n;
    }
    if (j->total && j->offset + n > j->total) {
        job_msg(j, PARLEY_ERR_NETWORK,
                "%s: the server sent more than the %" PRIu64 " bytes it announced", j->url,
                j->total);
        j->cb_st = PARLEY_ERR_NETWORK;
        j->delete_part = true;
        return CURL_WRITEFUNC_ERROR;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = pwrite(j->fd, data + off, n - off, (off_t)(j->offset + off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            parley_status st = parley_status_from_errno(e);
            if (st == PARLEY_ERR_DISK_FULL)
                job_msg(j, st, "%s: disk full after %" PRIu64 " bytes: %s", j->part,
                        j->offset + off, strerror(e));
            else
                job_msg(j, st, "%s: write failed: %s", j->part, strerror(e));
            j->cb_st = st;
            /* Keep what was written: freeing space and running again resumes it. */
            j->offset += off;
            j->downloaded += off;
            return CURL_WRITEFUNC_ERROR;
        }
        off += (size_t)w;
    }
    j->offset += n;
    j->downloaded += n;
    return n;
}

static int on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct fetch_job *j = ud;
    if (cancel_requested(j) || !report(j, false)) {
        j->cancelled = true;
        return 1;
    }
    return 0;
}

/* ---- one request ------------------------------------------------------------------------ */

static bool transient_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* Makes the error page fit on one line of our message. */
static void tidy_errbody(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 32)
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

static enum attempt_outcome run_attempt(struct fetch_job *j, CURLM *multi, CURL *h,
                                        char *errbuf)
{
    char range[48];
    j->req_start = j->offset;
    j->body_started = j->body_to_file = false;
    j->errbody_len = 0;
    j->errbody[0] = '\0';
    j->hdr_status = 0;
    j->cb_st = PARLEY_OK;
    j->cancelled = false;
    errbuf[0] = '\0';
    if (j->offset > 0) {
        snprintf(range, sizeof range, "%" PRIu64 "-", j->offset);
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    } else {
        curl_easy_setopt(h, CURLOPT_RANGE, NULL);
    }
    j->res->requests++;

    CURLcode rc = CURLE_OK;
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
        job_msg(j, PARLEY_ERR_NOMEM, "libcurl could not start a transfer");
        return ATTEMPT_FAIL;
    }
    int running = 1;
    double started = parley_now();
    while (running) {
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            curl_multi_remove_handle(multi, h);
            job_msg(j, PARLEY_ERR_NETWORK, "libcurl: %s", curl_multi_strerror(mc));
            return ATTEMPT_FAIL;
        }
        if (cancel_requested(j))
            j->cancelled = true;
        if (j->cancelled || !running)
            break;
        /* Also reports during a stall, when libcurl's own progress calls thin out. */
        if (!report(j, false)) {
            j->cancelled = true;
            break;
        }
        curl_multi_poll(multi, NULL, 0, POLL_MS, NULL);
    }
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE)
            rc = m->data.result;
    curl_multi_remove_handle(multi, h);
    j->xfer_s += parley_now() - started;

    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status)
        j->res->http_status = status;
    if (j->cancelled) {
        job_msg(j, PARLEY_ERR_CANCELLED,
                "download of %s cancelled at %" PRIu64 " bytes; %s is kept for a resume",
                j->url, j->offset, j->part);
        return ATTEMPT_FAIL;
    }
    if (j->cb_st != PARLEY_OK)
        return ATTEMPT_FAIL;
    /* A response without a body never reached on_body: accept it now (a 200 to a Range
     * request must still truncate the .part, and its announced size must be checked). */
    if (rc == CURLE_OK && !j->body_started) {
        if (!accept_response(j))
            return ATTEMPT_FAIL;
    }

    if (rc != CURLE_OK && j->guard.refused) {
        job_msg(j, PARLEY_ERR_PERMISSION, "%s: %s", j->url, j->guard.why);
        return ATTEMPT_FAIL;
    }
    if (rc != CURLE_OK) {
        const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        parley_status st = PARLEY_ERR_NETWORK;
        if (rc == CURLE_OPERATION_TIMEDOUT && j->body_started)
            job_msg(j, st, "%s: transfer stalled (below %ld bytes/s for %ld s) at byte %" PRIu64
                    ": %s", j->url, j->p->low_speed_limit, j->p->low_speed_time_s, j->offset,
                    detail);
        else if (rc == CURLE_TOO_MANY_REDIRECTS)
            job_msg(j, st, "%s: more than %d redirects: %s", j->url, j->p->max_redirects, detail);
        else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
            job_msg(j, st, "%s: redirected to a protocol that is not allowed (only https, or "
                    "http when the URL was http): %s", j->url, detail);
        else
            job_msg(j, st, "%s: %s (at byte %" PRIu64 ")", j->url, detail, j->offset);
        return transient_curl_error(rc) ? ATTEMPT_RETRY : ATTEMPT_FAIL;
    }

    if (status == 416) {
        /* Range Not Satisfiable: the .part is as long as (or longer than) the server's file. */
        uint64_t server_total = j->cr_total_known ? j->cr_total : 0;
        if (j->req_start > 0 &&
            ((server_total && server_total == j->offset) ||
             (!server_total && (!j->p->expected_size || j->p->expected_size == j->offset)))) {
            j->total = j->offset;
            return ATTEMPT_COMPLETE;
        }
        if (j->req_start == 0) {
            job_msg(j, PARLEY_ERR_NETWORK, "%s: HTTP 416 to a request without Range", j->url);
            return ATTEMPT_FAIL;
        }
        job_msg(j, PARLEY_ERR_NETWORK,
                "%s: HTTP 416: the server's file (%" PRIu64 " bytes) does not match the "
                "%" PRIu64 " bytes already in %s", j->url, server_total, j->offset, j->part);
        return ATTEMPT_RESTART;
    }
    if (status >= 300 || status < 200) {
        tidy_errbody(j->errbody);
        job_msg(j, PARLEY_ERR_NETWORK, "%s: HTTP %ld%s%s%s", j->url, status,
                j->errbody[0] ? " (\"" : "", j->errbody, j->errbody[0] ? "\")" : "");
        bool transient = status >= 500 || status == 408 || status == 429;
        return transient ? ATTEMPT_RETRY : ATTEMPT_FAIL;
    }
    if (j->total && j->offset < j->total) {
        job_msg(j, PARLEY_ERR_NETWORK, "%s: the connection ended at byte %" PRIu64 " of %" PRIu64,
                j->url, j->offset, j->total);
        return ATTEMPT_RETRY;
    }
    j->total = j->offset;
    return ATTEMPT_COMPLETE;
}

/* ---- verification and the final rename ------------------------------------------------- */

static bool hash_tick(uint64_t done, void *ud)
{
    struct fetch_job *j = ud;
    j->hash_done = done;
    if (cancel_requested(j))
        return false;
    return report(j, false);
}

static parley_status verify_part(struct fetch_job *j)
{
    struct stat sb;
    if (fstat(j->fd, &sb) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "%s: %s", j->part, strerror(e));
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (j->p->expected_size && size != j->p->expected_size) {
        j->delete_part = true;
        return parley_fail(PARLEY_ERR_CHECKSUM,
                           "%s: size mismatch: expected %" PRIu64 " bytes, got %" PRIu64
                           " bytes from %s; the partial download was deleted",
                           j->dest, j->p->expected_size, size, j->url);
    }
    if (j->sha256[0]) {
        j->phase = PARLEY_FETCH_VERIFYING;
        j->hash_done = 0;
        j->total = size;
        report(j, true);
        char got[65];
        uint64_t hashed = 0;
        parley_status st = fetch_sha256_fd(j->fd, j->part, got, &hashed, hash_tick, j);
        if (st == PARLEY_ERR_CANCELLED)
            return parley_fail(st, "cancelled while verifying %s; %s is kept (complete, not yet "
                               "verified)", j->dest, j->part);
        if (st != PARLEY_OK)
            return st;
        j->hash_done = hashed;
        report(j, true);
        if (strcmp(got, j->sha256) != 0) {
            j->delete_part = true;
            return parley_fail(PARLEY_ERR_CHECKSUM,
                               "%s: SHA-256 mismatch: expected %s, got %s (%" PRIu64
                               " bytes from %s); the partial download was deleted",
                               j->dest, j->sha256, got, hashed, j->url);
        }
        memcpy(j->res->sha256, got, sizeof got);
        j->res->verified_by = "sha256";
    } else {
        j->res->verified_by = "size";
    }
    j->res->size = size;
    return PARLEY_OK;
}

static parley_status install_part(struct fetch_job *j)
{
    if (fsync(j->fd) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "%s: fsync: %s", j->part, strerror(e));
    }
    if (rename(j->part, j->dest) != 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "cannot rename %s to %s: %s", j->part,
                           j->dest, strerror(e));
    }
    /* The rename itself is only durable once the directory is synced. */
    int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return PARLEY_OK;
}

/* Opens and locks the .part, so that two downloads of one file cannot interleave. */
static parley_status open_part(struct fetch_job *j)
{
    for (int tries = 0; tries < 3; tries++) {
        int fd = open(j->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            return parley_fail(parley_status_from_errno(e), "cannot write %s in %s: %s", j->part,
                               j->dir, strerror(e));
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return parley_fail(PARLEY_ERR_IO, "another download of %s is running (%s is locked)",
                                   j->dest, j->part);
            return parley_fail(PARLEY_ERR_IO, "cannot lock %s: %s", j->part, strerror(e));
        }
        /* The previous holder may have renamed or deleted the file between our open and our
         * lock; then we hold a lock on a file nobody else will see. */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(j->part, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            j->fd = fd;
            return PARLEY_OK;
        }
        close(fd);
    }
    return parley_fail(PARLEY_ERR_IO, "%s keeps changing under us", j->part);
}

static bool sleep_with_cancel(struct fetch_job *j, double seconds)
{
    double until = parley_now() + seconds;
    while (parley_now() < until) {
        if (cancel_requested(j))
            return false;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return !cancel_requested(j);
}

static bool url_scheme_ok(const char *url, bool *https)
{
    *https = strncasecmp(url, "https://", 8) == 0;
    return *https || strncasecmp(url, "http://", 7) == 0;
}

parley_status parley_fetch_file(const char *url, const char *dest_path,
                                const struct parley_fetch_params *params,
                                struct parley_fetch_result *result)
{
    struct parley_fetch_params defaults = parley_fetch_default_params();
    struct parley_fetch_result scratch;
    struct parley_fetch_result *res = result ? result : &scratch;
    memset(res, 0, sizeof *res);
    struct fetch_job job;
    memset(&job, 0, sizeof job);
    struct fetch_job *j = &job;
    j->p = params ? params : &defaults;
    j->url = url;
    j->dest = dest_path;
    j->fd = -1;
    j->res = res;
    j->t0 = j->rate_t = parley_now();
    j->last_report = -1e9;
    j->fail_st = PARLEY_OK;
    parley_status st = PARLEY_OK;
    CURL *h = NULL;
    CURLM *multi = NULL;
    char errbuf[CURL_ERROR_SIZE];
    bool https = false;

    if (!url || !url_scheme_ok(url, &https))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "URL \"%s\" must start with https:// or http://",
                           url ? url : "(null)");
    if (!dest_path || !*dest_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "no destination path for %s", url);
    /* The network gate (net.h): before anything is opened, and again on every socket. */
    if ((st = parley_net_check(PARLEY_NET_MODEL_PULL, url)) != PARLEY_OK)
        return st;
    if (j->p->sha256 && !fetch_sha256_parse(j->p->sha256, j->sha256))
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "expected SHA-256 \"%s\" is not 64 hexadecimal digits", j->p->sha256);
    if (!j->sha256[0] && j->p->expected_size == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG,
                           "%s: neither a SHA-256 nor a size to verify the download against",
                           dest_path);
    if (parley_fetch_part_path(dest_path, j->part, sizeof j->part) != PARLEY_OK)
        return PARLEY_ERR_TOO_LARGE;
    {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", dest_path);
        snprintf(j->dir, sizeof j->dir, "%s", dirname(tmp));
    }
    st = parley_mkdirs(j->dir);
    if (st != PARLEY_OK)
        return st;
    st = open_part(j);
    if (st != PARLEY_OK)
        return st;

    struct stat sb;
    if (fstat(j->fd, &sb) != 0) {
        int e = errno;
        st = parley_fail(parley_status_from_errno(e), "%s: %s", j->part, strerror(e));
        goto out;
    }
    j->offset = (uint64_t)sb.st_size;
    j->total = j->p->expected_size;
    if (j->total && j->offset > j->total) {
        parley_log(PARLEY_LOG_WARN, "fetch: %s holds %" PRIu64 " bytes, more than the %" PRIu64
                   " expected; starting again", j->part, j->offset, j->total);
        if (ftruncate(j->fd, 0) != 0) {
            int e = errno;
            st = parley_fail(parley_status_from_errno(e), "%s: %s", j->part, strerror(e));
            goto out;
        }
        j->offset = 0;
        res->restarts++;
    }
    res->resumed_from = j->offset;
    if (!disk_room(j)) {
        st = parley_fail(j->fail_st, "%s", j->msg);
        goto out;
    }

    /* A .part already as long as the published size goes straight to verification. */
    bool complete = j->total && j->offset == j->total;
    if (!complete) {
        pthread_once(&curl_once, curl_init_once);
        if (curl_init_rc != CURLE_OK) {
            st = parley_fail(PARLEY_ERR_NETWORK, "libcurl initialisation failed: %s",
                             curl_easy_strerror(curl_init_rc));
            goto out;
        }
        h = curl_easy_init();
        multi = curl_multi_init();
        if (!h || !multi) {
            st = parley_fail(PARLEY_ERR_NOMEM, "libcurl could not allocate a transfer");
            goto out;
        }
        char ua[64];
        snprintf(ua, sizeof ua, "parley/%s", parley_version());
        parley_net_guard_curl(h, PARLEY_NET_MODEL_PULL, &j->guard);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_USERAGENT, j->p->user_agent ? j->p->user_agent : ua);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        /* An https download may not be handed to plain http by a redirect. */
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)j->p->max_redirects);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        /* The bytes on disk must be the bytes the hash was published for. */
        curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, j->p->connect_timeout_s);
        if (j->p->low_speed_limit > 0 && j->p->low_speed_time_s > 0) {
            curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, j->p->low_speed_limit);
            curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, j->p->low_speed_time_s);
        }
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, j);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, j);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        /* Bigger reads than the 16 KiB default: fewer write calls on multi-GB files. */
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);

        int failures = 0;
        uint64_t best = j->offset;
        for (;;) {
            j->attempt++;
            enum attempt_outcome o = run_attempt(j, multi, h, errbuf);
            if (o == ATTEMPT_COMPLETE)
                break;
            if (o == ATTEMPT_FAIL) {
                st = parley_fail(j->cb_st != PARLEY_OK ? j->cb_st : j->fail_st, "%s", j->msg);
                goto out;
            }
            if (o == ATTEMPT_RESTART) {
                if (res->restarts >= MAX_RESTARTS) {
                    st = parley_fail(PARLEY_ERR_NETWORK, "%s (gave up after %d restarts)", j->msg,
                                     res->restarts);
                    goto out;
                }
                parley_log(PARLEY_LOG_WARN, "fetch: %s; starting again from byte 0", j->msg);
                if (ftruncate(j->fd, 0) != 0) {
                    int e = errno;
                    st = parley_fail(parley_status_from_errno(e), "%s: %s", j->part, strerror(e));
                    goto out;
                }
                j->offset = 0;
                j->total = j->p->expected_size;
                best = 0;
                res->restarts++;
                continue;
            }
            /* ATTEMPT_RETRY: only attempts that got nowhere use up the retry budget, so a
             * flaky but moving connection finishes; one that keeps dropping at the same
             * point does not loop forever. */
            if (j->offset > best) {
                best = j->offset;
                failures = 0;
            }
            if (++failures > j->p->retries) {
                st = parley_fail(PARLEY_ERR_NETWORK, "%s; %s is kept for a resume", j->msg,
                                 j->part);
                goto out;
            }
            parley_log(PARLEY_LOG_INFO, "fetch: %s; retrying (%d of %d)", j->msg, failures,
                       j->p->retries);
            if (!sleep_with_cancel(j, j->p->retry_delay_s)) {
                st = parley_fail(PARLEY_ERR_CANCELLED,
                                 "download of %s cancelled at %" PRIu64 " bytes; %s is kept for a "
                                 "resume", url, j->offset, j->part);
                goto out;
            }
        }
        report(j, true);
    }

    st = verify_part(j);
    if (st != PARLEY_OK)
        goto out;
    st = install_part(j);

out:
    res->downloaded = j->downloaded;
    res->seconds = parley_now() - j->t0;
    if (j->xfer_s > 0)
        res->rate = (double)j->downloaded / j->xfer_s;
    if (multi)
        curl_multi_cleanup(multi);
    if (h)
        curl_easy_cleanup(h);
    if (j->fd >= 0) {
        if (st != PARLEY_OK) {
            struct stat now;
            /* A proven-wrong .part is deleted; an empty one holds nothing worth resuming. */
            bool empty = fstat(j->fd, &now) == 0 && now.st_size == 0;
            if (j->delete_part || empty)
                unlink(j->part);
        }
        close(j->fd);
    }
    if (st != PARLEY_OK)
        res->verified_by = NULL;
    return st;
}
