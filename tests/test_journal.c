/* test_journal.c: the crash-safe audio journal (journal.h): a closed journal is a WAV that
 * FFmpeg plays back sample for sample; a journal cut off anywhere (mid-sample, a killed
 * writer) is repaired and keeps every whole sample; nothing is ever overwritten. */
#include <parley/audio.h>
#include <parley/journal.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test.h"

static char dir[512];

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static void sine(float *s, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        s[i] = 0.5f * sinf((float)(i + offset) * 2.0f * 3.14159265f * 440.0f / 16000.0f);
}

TEST(closed_journal_is_a_wav_ffmpeg_reads_back)
{
    char p[600];
    path_in(p, sizeof p, "a.wav");
    unlink(p);
    parley_journal *j;
    ASSERT_OK(parley_journal_open(p, NULL, &j));
    float s[1600];
    for (int k = 0; k < 10; k++) {
        sine(s, 1600, (size_t)k * 1600);
        ASSERT_OK(parley_journal_append(j, s, 1600, 2500 + k * 100));
    }
    ASSERT_EQ_INT(parley_journal_samples(j), 16000);
    ASSERT_EQ_INT(parley_journal_t0_ms(j), 2500);
    float back[100];
    size_t got;
    ASSERT_OK(parley_journal_read(j, 1000, 100, back, &got));
    ASSERT_EQ_INT(got, 100);
    sine(s, 100, 1000);
    for (int i = 0; i < 100; i++)
        ASSERT_MSG(fabsf(back[i] - s[i]) < 1e-3f, "sample %d: %f vs %f", i, back[i], s[i]);
    ASSERT_OK(parley_journal_close(j));

    struct parley_audio_params ap = parley_audio_default_params();
    parley_audio a;
    ASSERT_OK(parley_audio_decode_file(p, &ap, &a));
    ASSERT_EQ_INT(a.n_samples, 16000);
    sine(s, 1600, 8000);
    for (int i = 0; i < 1600; i++)
        ASSERT_MSG(fabsf(a.samples[8000 + i] - s[i]) < 1e-3f, "decoded sample %d differs", 8000 + i);
    parley_audio_free(&a);

    struct parley_journal_info info;
    ASSERT_OK(parley_journal_recover(p, &info));
    ASSERT_EQ_INT(info.repaired, 0);
    ASSERT_EQ_INT(info.n_samples, 16000);
    ASSERT_EQ_INT(info.t0_ms, 2500);
    /* Never overwritten. */
    ASSERT_STATUS(parley_journal_open(p, NULL, &j), PARLEY_ERR_IO);
    ASSERT_MSG(strstr(parley_last_error(), "never overwritten"), "%s", parley_last_error());
}

TEST(a_journal_cut_mid_sample_is_repaired_keeping_every_whole_sample)
{
    char p[600];
    path_in(p, sizeof p, "cut.wav");
    unlink(p);
    parley_journal *j;
    ASSERT_OK(parley_journal_open(p, NULL, &j));
    float s[8000];
    sine(s, 8000, 0);
    ASSERT_OK(parley_journal_append(j, s, 8000, 40));
    ASSERT_OK(parley_journal_sync(j));
    /* Simulate a crash: the open-ended header stays, and the last sample is cut in half. */
    struct stat sb;
    ASSERT(stat(p, &sb) == 0);
    ASSERT(truncate(p, sb.st_size - 1) == 0);
    struct parley_journal_info info;
    ASSERT_OK(parley_journal_recover(p, &info));
    ASSERT_EQ_INT(info.repaired, 1);
    ASSERT_EQ_INT(info.n_samples, 7999);
    ASSERT_EQ_INT(info.t0_ms, 40);
    float *all;
    size_t n;
    int64_t t0;
    ASSERT_OK(parley_journal_load(p, &all, &n, &t0));
    ASSERT_EQ_INT(n, 7999);
    ASSERT_EQ_INT(t0, 40);
    ASSERT(fabsf(all[7000] - s[7000]) < 1e-3f);
    free(all);
    struct parley_audio_params ap = parley_audio_default_params();
    parley_audio a;
    ASSERT_OK(parley_audio_decode_file(p, &ap, &a));
    ASSERT_EQ_INT(a.n_samples, 7999);
    parley_audio_free(&a);
    parley_journal_close(j); /* rewrites the header it knew (8000): recover again fixes it */
    ASSERT_OK(parley_journal_recover(p, &info));
    ASSERT_EQ_INT(info.n_samples, 7999);
}

TEST(a_killed_writer_loses_nothing_it_wrote)
{
    char p[600];
    path_in(p, sizeof p, "killed.wav");
    unlink(p);
    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        parley_journal *j;
        if (parley_journal_open(p, NULL, &j) != PARLEY_OK)
            _exit(1);
        float s[160];
        for (size_t k = 0;; k++) {
            sine(s, 160, k * 160);
            parley_journal_append(j, s, 160, 0);
            if (k == 100) { /* 16000 samples written: tell the parent */
                ssize_t w = write(fds[1], "x", 1);
                (void)w;
            }
        }
    }
    char c;
    ASSERT_EQ_INT(read(fds[0], &c, 1), 1);
    kill(pid, SIGKILL);
    int ws;
    waitpid(pid, &ws, 0);
    close(fds[0]);
    close(fds[1]);
    struct parley_journal_info info;
    ASSERT_OK(parley_journal_recover(p, &info));
    ASSERT_EQ_INT(info.repaired, 1);
    ASSERT_MSG(info.n_samples >= 16000, "only %llu samples", (unsigned long long)info.n_samples);
    float *all;
    size_t n;
    ASSERT_OK(parley_journal_load(p, &all, &n, NULL));
    float want[160];
    sine(want, 160, 16000 - 160);
    for (int i = 0; i < 160; i++)
        ASSERT(fabsf(all[16000 - 160 + i] - want[i]) < 1e-3f);
    free(all);
}

TEST(bad_files_get_clear_errors)
{
    char p[600];
    struct parley_journal_info info;
    path_in(p, sizeof p, "missing.wav");
    unlink(p);
    ASSERT_STATUS(parley_journal_recover(p, &info), PARLEY_ERR_NOT_FOUND);
    path_in(p, sizeof p, "text.wav");
    FILE *f = fopen(p, "w");
    ASSERT(f);
    fputs("this is not audio at all, not even close to a journal header....................", f);
    fclose(f);
    ASSERT_STATUS(parley_journal_recover(p, &info), PARLEY_ERR_BAD_AUDIO);
    f = fopen(p, "r"); /* untouched */
    char line[16];
    ASSERT(fgets(line, sizeof line, f));
    fclose(f);
    ASSERT_STR(line, "this is not aud");
    path_in(p, sizeof p, "hdr.wav");
    f = fopen(p, "w");
    fputs("RIFF\xff\xff\xff\xffWAVEfmt ", f);
    fclose(f);
    ASSERT_STATUS(parley_journal_recover(p, &info), PARLEY_ERR_NO_AUDIO);
}

int main(void)
{
    const char *tmp = getenv("PARLEY_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/journal.%d", tmp ? tmp : "/tmp", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    RUN(closed_journal_is_a_wav_ffmpeg_reads_back);
    RUN(a_journal_cut_mid_sample_is_repaired_keeping_every_whole_sample);
    RUN(a_killed_writer_loses_nothing_it_wrote);
    RUN(bad_files_get_clear_errors);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return test_summary();
}
