/* fetch_file: a developer's front end to parley_fetch_file(), for trying the downloader by
 * hand and for measuring it. Not the user-facing command (that is `parley models pull`).
 *
 *   fetch_file [--sha256 HEX] [--size BYTES] [--retries N] [--quiet] URL DEST
 *   fetch_file [--base URL] --repo OWNER/NAME --file FILE [...] DEST
 *
 * Prints one summary line on success; exit status 0, or 1 with the error on stderr.
 * Ctrl-C cancels (the .part is kept: run again to resume). */
#include <parley/fetch.h>

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static parley_cancel *cancel_flag;

static void on_sigint(int sig)
{
    (void)sig;
    parley_cancel_set(cancel_flag);
}

static bool show(const parley_fetch_progress *p, void *ud)
{
    (void)ud;
    const char *what = p->phase == PARLEY_FETCH_VERIFYING ? "verify" : "fetch";
    if (p->total)
        fprintf(stderr, "\r%s %6.1f%%  %.1f / %.1f MiB  %.2f MiB/s  try %d   ", what,
                100.0 * (double)p->done / (double)p->total, (double)p->done / 1048576.0,
                (double)p->total / 1048576.0, p->rate / 1048576.0, p->attempt);
    else
        fprintf(stderr, "\r%s %.1f MiB  %.2f MiB/s  try %d   ", what, (double)p->done / 1048576.0,
                p->rate / 1048576.0, p->attempt);
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: fetch_file [--sha256 HEX] [--size BYTES] [--retries N] [--quiet]\n"
                    "                  (URL | [--base URL] --repo OWNER/NAME --file FILE) DEST\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct parley_fetch_params p = parley_fetch_default_params();
    const char *base = NULL, *repo = NULL, *file = NULL, *pos[2] = {NULL, NULL};
    int npos = 0;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--sha256") == 0 && has_val)
            p.sha256 = argv[++i];
        else if (strcmp(a, "--size") == 0 && has_val)
            p.expected_size = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--retries") == 0 && has_val)
            p.retries = atoi(argv[++i]);
        else if (strcmp(a, "--base") == 0 && has_val)
            base = argv[++i];
        else if (strcmp(a, "--repo") == 0 && has_val)
            repo = argv[++i];
        else if (strcmp(a, "--file") == 0 && has_val)
            file = argv[++i];
        else if (strcmp(a, "--quiet") == 0)
            quiet = true;
        else if (a[0] == '-')
            return usage();
        else if (npos < 2)
            pos[npos++] = a;
        else
            return usage();
    }
    char url[4096];
    const char *dest;
    if (repo || file) {
        if (npos != 1 || !repo || !file)
            return usage();
        parley_status st = parley_fetch_model_url(base, repo, file, url, sizeof url);
        if (st != PARLEY_OK) {
            fprintf(stderr, "fetch_file: %s\n", parley_last_error());
            return 1;
        }
        dest = pos[0];
    } else {
        if (npos != 2)
            return usage();
        snprintf(url, sizeof url, "%s", pos[0]);
        dest = pos[1];
    }
    cancel_flag = parley_cancel_new();
    signal(SIGINT, on_sigint);
    p.cancel = cancel_flag;
    if (!quiet && isatty(2)) {
        p.progress = show;
    }
    struct parley_fetch_result r;
    parley_status st = parley_fetch_file(url, dest, &p, &r);
    if (p.progress)
        fputc('\n', stderr);
    if (st != PARLEY_OK) {
        fprintf(stderr, "fetch_file: %s: %s\n", parley_strerror(st), parley_last_error());
        return 1;
    }
    printf("%s: %" PRIu64 " bytes, verified by %s%s%s, resumed from %" PRIu64 ", downloaded %" PRIu64
           " in %d request(s), %.3f s, %.1f MiB/s\n",
           dest, r.size, r.verified_by, r.sha256[0] ? " " : "", r.sha256, r.resumed_from,
           r.downloaded, r.requests, r.seconds, r.rate / 1048576.0);
    return 0;
}
