/* search_gen: fills a session database with synthetic meetings for the search benchmark
 * (a developer tool; not part of the parley command).
 *
 *   search_gen --db PATH [--sessions 1000] [--words 10000] [--seed 1]
 *
 * Each meeting has about --words words in segments of 6-20 words, alternating "Me" and
 * "Them", a Markdown summary and notes (about 2 % of its words each) and two chat turns.
 * Words come from a vocabulary of 30,000 made-up words drawn with a Zipf distribution
 * (s = 1), so a few words are very common and most are rare, as in speech; the word of
 * rank r is printed by `search_gen --word r` so the benchmark can pick queries by
 * frequency. Written through the public store API, one transaction per meeting. */
#include <parley/store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB 30000

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* The word of rank r (0 = most common): syllables picked from r's digits in base 40, so
 * every rank has its own word and the same word in every run. */
static void word_of(int r, char *out)
{
    static const char *syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fi", "go", "hu", "ja",
                                "ke", "la", "mo", "nu", "pa", "qui", "re", "si", "to", "un", "ve", "wa", "xe", "yo",
                                "za", "bre", "cla", "dri", "fra", "gle", "pro", "sto", "tra", "vel", "zor", "mar"};
    int n = 0;
    out[0] = '\0';
    int x = r + 40; /* at least two syllables */
    while (x > 0) {
        strcat(out, syl[x % 40]);
        x /= 40;
        n++;
    }
    (void)n;
}

static double zipf_cdf[VOCAB];
static int zipf_word(void)
{
    double u = rnd01() * zipf_cdf[VOCAB - 1];
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void sentence(char *buf, size_t cap, int n_words)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n_words; i++) {
        char w[64];
        word_of(zipf_word(), w);
        if (i == 0)
            w[0] = (char)(w[0] - 'a' + 'A');
        int k = snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
        if (k < 0 || (size_t)k >= cap - len)
            break;
        len += (size_t)k;
    }
    if (len + 1 < cap) {
        buf[len++] = '.';
        buf[len] = '\0';
    }
}

int main(int argc, char **argv)
{
    const char *db_path = NULL;
    long sessions = 1000, words = 10000, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db_path = argv[++i];
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc)
            sessions = atol(argv[++i]);
        else if (!strcmp(argv[i], "--words") && i + 1 < argc)
            words = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = atol(argv[++i]);
        else if (!strcmp(argv[i], "--word") && i + 1 < argc) {
            char w[64];
            word_of(atoi(argv[++i]), w);
            printf("%s\n", w);
            return 0;
        } else {
            fprintf(stderr, "usage: search_gen --db PATH [--sessions N] [--words N] [--seed N] | --word RANK\n");
            return 2;
        }
    }
    if (!db_path || sessions < 1 || words < 10) {
        fprintf(stderr, "usage: search_gen --db PATH [--sessions N] [--words N] [--seed N] | --word RANK\n");
        return 2;
    }
    double acc = 0;
    for (int r = 0; r < VOCAB; r++)
        zipf_cdf[r] = acc += 1.0 / (r + 1);
    rng_state = (uint64_t)seed;
    parley_store *db;
    if (parley_store_open(db_path, &db)) {
        fprintf(stderr, "search_gen: %s\n", parley_last_error());
        return 1;
    }
    long total = 0;
    char text[512], title[256], *big = malloc(1 << 20);
    if (!big)
        return 1;
    for (long s = 0; s < sessions; s++) {
        parley_transcript t = {0};
        char w1[64], w2[64];
        word_of(100 + (int)(rnd() % 2000), w1);
        word_of(100 + (int)(rnd() % 2000), w2);
        snprintf(title, sizeof title, "Meeting %ld: %s and %s", s + 1, w1, w2);
        t.title = title;
        t.language = "en";
        int64_t ms = 0;
        for (long n = 0; n < words;) {
            int k = 6 + (int)(rnd() % 15);
            sentence(text, sizeof text, k);
            int64_t dur = k * 400;
            if (parley_transcript_add(&t, ms, ms + dur, text, (n / k) % 2 ? "Them" : "Me", 0.8f))
                return 1;
            ms += dur + 300;
            n += k;
            total += k;
        }
        t.duration_s = (double)ms / 1000;
        int64_t id;
        parley_status st = parley_store_add_session(db, &t, &id);
        t.title = NULL;
        t.language = NULL;
        parley_transcript_free(&t);
        if (st) {
            fprintf(stderr, "search_gen: %s\n", parley_last_error());
            return 1;
        }
        const char *kinds[] = {"summary", "notes"};
        for (int a = 0; a < 2; a++) {
            size_t len = 0;
            big[0] = '\0';
            for (long n = 0; n < words / 50; n += 12) {
                sentence(text, sizeof text, 12);
                len += (size_t)snprintf(big + len, (1 << 20) - len, "- %s\n", text);
            }
            parley_artifact art = {.session_id = id, .kind = (char *)kinds[a], .format = "markdown", .content = big,
                                   .model = "synthetic"};
            if (parley_store_add_artifact(db, &art, NULL))
                return 1;
        }
        for (int c = 0; c < 2; c++) {
            char q[512], ans[512];
            sentence(q, sizeof q, 8);
            sentence(ans, sizeof ans, 20);
            parley_chat_turn turn = {.question = q, .answer = ans, .model = "synthetic"};
            if (parley_store_chat_add_turn(db, id, &turn, NULL, NULL))
                return 1;
        }
        if ((s + 1) % 100 == 0)
            fprintf(stderr, "search_gen: %ld meetings, %ld transcript words\n", s + 1, total);
    }
    free(big);
    parley_store_close(db);
    printf("%ld meetings, %ld transcript words\n", sessions, total);
    return 0;
}
