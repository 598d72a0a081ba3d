/* test.h: the small harness every C test uses.
 *
 *   TEST(name) { ASSERT_EQ_INT(1 + 1, 2); }
 *   int main(void) { RUN(name); return test_summary(); }
 *
 * A failed ASSERT ends the current test (it returns) and marks it failed; the
 * executable exits non-zero when any test failed. SKIP("needs X") ends a test as
 * skipped and, when every test in the file was skipped, the exit code is 77, which
 * CTest reports as "Skipped" rather than passed. */
#ifndef PARLEY_TEST_H
#define PARLEY_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_failed_count, test_passed_count, test_skipped_count;
static int test_cur_failed, test_cur_skipped;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        test_cur_failed = test_cur_skipped = 0;                                                    \
        fprintf(stderr, "-- %s\n", #name);                                                         \
        test_##name();                                                                             \
        if (test_cur_failed) {                                                                     \
            test_failed_count++;                                                                   \
            fprintf(stderr, "FAIL %s\n", #name);                                                   \
        } else if (test_cur_skipped) {                                                             \
            test_skipped_count++;                                                                  \
        } else {                                                                                   \
            test_passed_count++;                                                                   \
            fprintf(stderr, "ok   %s\n", #name);                                                   \
        }                                                                                          \
    } while (0)

#define FAIL_AT(...)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        test_cur_failed = 1;                                                                       \
        return;                                                                                    \
    } while (0)

#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAIL_AT("assertion failed: %s", #c);                                                   \
    } while (0)
#define ASSERT_MSG(c, ...)                                                                         \
    do {                                                                                           \
        if (!(c))                                                                                  \
            FAIL_AT(__VA_ARGS__);                                                                  \
    } while (0)
#define ASSERT_EQ_INT(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            FAIL_AT("%s == %s failed: %lld != %lld", #a, #b, a_, b_);                              \
    } while (0)
#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        parley_status st_ = (expr);                                                                \
        if (st_ != PARLEY_OK)                                                                      \
            FAIL_AT("%s: %s (%s)", #expr, parley_strerror(st_), parley_last_error());              \
    } while (0)
#define ASSERT_STATUS(expr, want)                                                                  \
    do {                                                                                           \
        parley_status st_ = (expr);                                                                \
        if (st_ != (want))                                                                         \
            FAIL_AT("%s: got %s (%s), want %s", #expr, parley_strerror(st_), parley_last_error(), \
                    parley_strerror(want));                                                        \
    } while (0)
#define ASSERT_STR(a, b)                                                                           \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            FAIL_AT("%s == %s failed: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",              \
                    b_ ? b_ : "(null)");                                                           \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr(h_, n_))                                                                \
            FAIL_AT("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                    \
    } while (0)
#define ASSERT_NEAR(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (fabs(a_ - b_) > (tol))                                                                 \
            FAIL_AT("%s ~= %s failed: %g vs %g (tol %g)", #a, #b, a_, b_, (double)(tol));         \
    } while (0)

#define SKIP(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "SKIP: ");                                                                 \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        test_cur_skipped = 1;                                                                      \
        return;                                                                                    \
    } while (0)

static inline int test_summary(void)
{
    fprintf(stderr, "%d passed, %d failed, %d skipped\n", test_passed_count, test_failed_count,
            test_skipped_count);
    if (test_failed_count)
        return 1;
    if (test_passed_count == 0 && test_skipped_count > 0)
        return 77;
    return 0;
}

/* A fresh scratch directory for this test executable, under $PARLEY_TEST_TMP. */
static inline const char *test_tmpdir(const char *name)
{
    static char dir[4096];
    const char *base = getenv("PARLEY_TEST_TMP");
    if (!base)
        base = "/tmp";
    snprintf(dir, sizeof dir, "%s/%s.%d", base, name, (int)getpid());
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        return NULL;
    return dir;
}

/* Path of a file in ../shared/models, or NULL when absent. */
static inline const char *test_shared_model(const char *file)
{
    static char path[4096];
    const char *base = getenv("PARLEY_SHARED");
    if (!base)
        base = "../shared";
    snprintf(path, sizeof path, "%s/models/%s", base, file);
    return access(path, R_OK) == 0 ? path : NULL;
}


/* Bounds on how long something may take, scaled for slow builds: the sanitizer suite sets
 * PARLEY_TEST_TIME_SCALE (scripts/dev.sh), since ASan makes every call several times slower.
 * The plain suite keeps the bound as written. */
static inline double test_time_scale(void)
{
    const char *v = getenv("PARLEY_TEST_TIME_SCALE");
    double x = v ? atof(v) : 1.0;
    return x >= 1.0 ? x : 1.0;
}

#endif
