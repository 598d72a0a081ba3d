/* search_bench: times parley_store_search against a naive LIKE scan on a database made
 * by search_gen (a developer tool; not part of the parley command).
 *
 *   search_bench --db PATH [--queries 200] [--limit 20] [--seed 7]
 *
 * Queries of four kinds, cycled: one word, two words, a prefix (word*), a two-word
 * phrase; words drawn by rank, log-uniformly over search_gen's vocabulary, so common,
 * middling and rare words all occur. For each query both methods run, in alternating
 * order, on the same open database:
 *   parley: parley_store_search, first page (--limit hits), ranked by BM25, snippets;
 *   LIKE:   SELECT ... FROM segments WHERE text LIKE '%w1%' [AND text LIKE '%w2%'] LIMIT n,
 *           unranked and over segments only (the cheapest naive form: it may stop early).
 * Prints p50/p95/max per method and per kind, in milliseconds. */
#include <parley/store.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define VOCAB 30000
#define MAXQ 5000

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Same as search_gen's. */
static void word_of(int r, char *out)
{
    static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fi", "go", "hu", "ja",
                                "ke", "la", "mo", "nu", "pa", "qui", "re", "si", "to", "un", "ve", "wa", "xe", "yo",
                                "za", "bre", "cla", "dri", "fra", "gle", "pro", "sto", "tra", "vel", "zor", "mar"};
    out[0] = '\0';
    int x = r + 40;
    while (x > 0) {
        strcat(out, syl[x % 40]);
        x /= 40;
    }
}

static int log_rank(void)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    return (int)(exp(u * log((double)VOCAB))) - 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    int i = (int)ceil(p / 100.0 * n) - 1;
    return v[i < 0 ? 0 : i];
}

static const char *kind_names[] = {"one word", "two words", "prefix", "phrase"};

int main(int argc, char **argv)
{
    const char *db_path = NULL;
    int nq = 200, limit = 20;
    long seed = 7;
    bool peer = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db_path = argv[++i];
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            nq = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
            limit = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = atol(argv[++i]);
        else if (!strcmp(argv[i], "--no-peer"))
            peer = false;
        else {
            fprintf(stderr, "usage: search_bench --db PATH [--queries N] [--limit N] [--seed N]\n");
            return 2;
        }
    }
    if (!db_path || nq < 4 || nq > MAXQ || limit < 1) {
        fprintf(stderr, "usage: search_bench --db PATH [--queries N] [--limit N] [--seed N]\n");
        return 2;
    }
    rng_state = (uint64_t)seed;
    parley_store *db;
    if (parley_store_open_readonly(db_path, &db)) {
        fprintf(stderr, "search_bench: %s\n", parley_last_error());
        return 1;
    }
    sqlite3 *raw;
    if (sqlite3_open_v2(db_path, &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "search_bench: %s\n", sqlite3_errmsg(raw));
        return 1;
    }
    sqlite3_stmt *like1, *like2;
    if (sqlite3_prepare_v2(raw,
                           "SELECT session_id, t0_ms, text FROM segments WHERE text LIKE '%' || ?1 || '%' LIMIT ?3",
                           -1, &like1, NULL) ||
        sqlite3_prepare_v2(raw,
                           "SELECT session_id, t0_ms, text FROM segments WHERE text LIKE '%' || ?1 || '%' "
                           "AND text LIKE '%' || ?2 || '%' LIMIT ?3",
                           -1, &like2, NULL)) {
        fprintf(stderr, "search_bench: %s\n", sqlite3_errmsg(raw));
        return 1;
    }
    static double tp[MAXQ], tl[MAXQ], kp[4][MAXQ], kl[4][MAXQ], cp[MAXQ], cl[MAXQ], kcp[4][MAXQ], kcl[4][MAXQ];
    int kn[4] = {0};
    long hits_p = 0, hits_l = 0, empty_p = 0;
    struct parley_search_params sp = parley_search_default_params();
    sp.limit = limit;
    for (int q = -8; q < nq; q++) { /* 8 warm-up queries, not counted */
        int kind = (q + 8) % 4;
        char w1[64], w2[64], query[200], l1[64], l2[64];
        word_of(log_rank(), w1);
        word_of(log_rank(), w2);
        l2[0] = '\0';
        if (kind == 0) {
            snprintf(query, sizeof query, "%s", w1);
            snprintf(l1, sizeof l1, "%s", w1);
        } else if (kind == 1) {
            snprintf(query, sizeof query, "%s %s", w1, w2);
            snprintf(l1, sizeof l1, "%s", w1);
            snprintf(l2, sizeof l2, "%s", w2);
        } else if (kind == 2) {
            w1[5] = '\0';
            snprintf(query, sizeof query, "%s*", w1);
            snprintf(l1, sizeof l1, "%s", w1);
        } else {
            snprintf(query, sizeof query, "\"%s %s\"", w1, w2);
            snprintf(l1, sizeof l1, "%s %s", w1, w2);
        }
        double dp = 0, dl = 0, up = 0, ul = 0;
        for (int pass = 0; pass < 2; pass++) {
            bool parley_turn = (pass == 0) == (q % 2 == 0); /* alternate which runs first */
            if (parley_turn) {
                parley_search_hit *h;
                size_t n;
                double t0 = now_ms(), c0 = cpu_ms();
                if (parley_store_search(db, query, &sp, &h, &n)) {
                    fprintf(stderr, "search_bench: %s: %s\n", query, parley_last_error());
                    return 1;
                }
                dp = now_ms() - t0;
                up = cpu_ms() - c0;
                hits_p += (long)n;
                empty_p += n == 0;
                parley_search_hits_free(h, n);
            } else if (peer) {
                sqlite3_stmt *st = l2[0] ? like2 : like1;
                sqlite3_bind_text(st, 1, l1, -1, SQLITE_TRANSIENT);
                if (l2[0])
                    sqlite3_bind_text(st, 2, l2, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(st, 3, limit);
                double t0 = now_ms(), c0 = cpu_ms();
                while (sqlite3_step(st) == SQLITE_ROW) {
                    (void)sqlite3_column_text(st, 2);
                    hits_l++;
                }
                dl = now_ms() - t0;
                ul = cpu_ms() - c0;
                sqlite3_reset(st);
            }
        }
        if (q < 0)
            continue;
        tp[q] = dp;
        tl[q] = dl;
        cp[q] = up;
        cl[q] = ul;
        kcp[kind][kn[kind]] = up;
        kcl[kind][kn[kind]] = ul;
        kp[kind][kn[kind]] = dp;
        kl[kind][kn[kind]++] = dl;
    }
    printf("queries: %d (%d of each kind), first page of %d hits; parley returned %ld hits (%ld queries none), "
           "LIKE %ld rows\n\n",
           nq, nq / 4, limit, hits_p, empty_p, hits_l);
    printf("| kind | parley p50 | parley p95 | parley max | parley CPU p50 | parley CPU p95 | LIKE p50 | LIKE p95 | "
           "LIKE CPU p50 | LIKE CPU p95 |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k <= 4; k++) {
        double *wp = k < 4 ? kp[k] : tp, *wl = k < 4 ? kl[k] : tl, *xp = k < 4 ? kcp[k] : cp, *xl = k < 4 ? kcl[k] : cl;
        int m = k < 4 ? kn[k] : nq;
        printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", k < 4 ? kind_names[k] : "**all**",
               pct(wp, m, 50), pct(wp, m, 95), pct(wp, m, 100), pct(xp, m, 50), pct(xp, m, 95), pct(wl, m, 50),
               pct(wl, m, 95), pct(xl, m, 50), pct(xl, m, 95));
    }
    printf("\n(milliseconds; wall = elapsed, CPU = the query thread's CPU time)\n");
    sqlite3_finalize(like1);
    sqlite3_finalize(like2);
    sqlite3_close(raw);
    parley_store_close(db);
    return 0;
}
