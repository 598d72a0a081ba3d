/* test_audio.c: decoding every container meetings come in, and refusing bad input clearly.
 * Test media are made with the ffmpeg command (a test may shell out; Parley never does). */
#include "test.h"

#include <parley/audio.h>

#include <stdarg.h>

static const char *dir;

static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static const char *path(const char *name)
{
    static char p[32][4200];
    static int k;
    k = (k + 1) % 32;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* RMS of the decoded samples: a 0.5-amplitude stereo sine downmixed stays loud. */
static double rms(const parley_audio *a)
{
    double s = 0;
    for (size_t i = 0; i < a->n_samples; i++)
        s += (double)a->samples[i] * a->samples[i];
    return a->n_samples ? sqrt(s / (double)a->n_samples) : 0;
}

static int have_ffmpeg;

static void check_decodes(const char *name, double want_s)
{
    parley_audio a;
    struct parley_audio_params p = parley_audio_default_params();
    ASSERT_OK(parley_audio_decode_file(path(name), &p, &a));
    ASSERT_MSG(fabs(a.duration_s - want_s) < 0.1, "%s: duration %.3f, want %.3f", name, a.duration_s, want_s);
    ASSERT_EQ_INT(a.n_samples, (size_t)(a.duration_s * PARLEY_AUDIO_RATE + 0.5));
    ASSERT_MSG(rms(&a) > 0.1, "%s: decoded audio is (nearly) silent: rms %.3f", name, rms(&a));
    ASSERT(!a.truncated);
    for (size_t i = 0; i < a.n_samples; i++)
        ASSERT_MSG(a.samples[i] >= -1.01f && a.samples[i] <= 1.01f, "%s: sample %zu out of range", name, i);
    parley_audio_free(&a);
}

TEST(every_container_decodes_to_16k_mono)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    char src[4200];
    snprintf(src, sizeof src, "%s", path("src.wav"));
    /* 3 s stereo 44.1 kHz: a different tone per channel, so a downmix bug shows. */
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=frequency=440:duration=3:sample_rate=44100' "
                     "-f lavfi -i 'sine=frequency=660:duration=3:sample_rate=44100' "
                     "-filter_complex '[0][1]amerge=inputs=2,volume=4' -ac 2 '%s'",
                     src),
                  0);
    static const struct {
        const char *name, *args;
    } outs[] = {
        {"a.flac", "-c:a flac"},
        {"a.mp3", "-c:a libmp3lame -b:a 64k"},
        {"a.ogg", "-c:a libvorbis"},
        {"a.opus", "-c:a libopus -b:a 32k"},
        {"a.m4a", "-c:a aac -b:a 64k"},
    };
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        ASSERT_EQ_INT(sh("ffmpeg -v error -y -i '%s' %s '%s'", src, outs[i].args, path(outs[i].name)), 0);
    /* Video containers with an audio track. */
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=3 -i '%s' "
                     "-c:v mpeg4 -c:a aac -shortest '%s'",
                     src, path("v.mp4")),
                  0);
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=3 -i '%s' "
                     "-c:v mpeg4 -c:a libopus -shortest '%s'",
                     src, path("v.mkv")),
                  0);
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=3 -i '%s' "
                     "-c:v libvpx -b:v 50k -c:a libopus -shortest '%s'",
                     src, path("v.webm")),
                  0);
    check_decodes("src.wav", 3.0);
    check_decodes("a.flac", 3.0);
    check_decodes("a.mp3", 3.0);
    check_decodes("a.ogg", 3.0);
    check_decodes("a.opus", 3.0);
    check_decodes("a.m4a", 3.0);
    check_decodes("v.mp4", 3.0);
    check_decodes("v.mkv", 3.0);
    check_decodes("v.webm", 3.0);
}

TEST(missing_file_is_not_found)
{
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("nope.wav"), NULL, &a), PARLEY_ERR_NOT_FOUND);
    ASSERT_CONTAINS(parley_last_error(), "nope.wav");
}

TEST(empty_file_is_refused)
{
    ASSERT_EQ_INT(sh(": > '%s'", path("empty.wav")), 0);
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("empty.wav"), NULL, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "empty");
}

TEST(text_file_is_not_audio)
{
    ASSERT_EQ_INT(sh("printf 'Minutes of the meeting\\nAttendees: ...\\n%%.0s' $(seq 1 200) > '%s'", path("notes.mp3")),
                  0);
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("notes.mp3"), NULL, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "not an audio or video file");
}

TEST(random_bytes_are_not_audio)
{
    ASSERT_EQ_INT(sh("head -c 65536 /dev/urandom > '%s'", path("noise.m4a")), 0);
    parley_audio a;
    parley_status st = parley_audio_decode_file(path("noise.m4a"), NULL, &a);
    ASSERT_MSG(st == PARLEY_ERR_BAD_AUDIO, "got %s: %s", parley_strerror(st), parley_last_error());
}

TEST(directory_is_refused)
{
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(dir, NULL, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "directory");
}

TEST(truncated_wav_is_refused_unless_allowed)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=frequency=300:duration=10' -ac 1 -ar 16000 '%s' && "
                     "head -c 120000 '%s' > '%s'",
                     path("long.wav"), path("long.wav"), path("cut.wav")),
                  0);
    parley_audio a;
    struct parley_audio_params p = parley_audio_default_params();
    ASSERT_STATUS(parley_audio_decode_file(path("cut.wav"), &p, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "truncated");
    ASSERT_CONTAINS(parley_last_error(), "10.0 s");
    p.allow_truncated = true;
    ASSERT_OK(parley_audio_decode_file(path("cut.wav"), &p, &a));
    ASSERT(a.truncated);
    ASSERT_NEAR(a.duration_s, (120000.0 - 78) / 2 / 16000, 0.05);
    parley_audio_free(&a);
}

TEST(truncated_m4a_is_refused)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    /* The default MP4 muxer writes its index (moov) at the end: cut it off. */
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=duration=5' -c:a aac '%s' && "
                     "head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'",
                     path("full.m4a"), path("full.m4a"), path("full.m4a"), path("cut.m4a")),
                  0);
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("cut.m4a"), NULL, &a), PARLEY_ERR_BAD_AUDIO);
    /* says what happened (the index is gone), not "not an audio or video file" */
    ASSERT_CONTAINS(parley_last_error(), "moov");
    ASSERT_CONTAINS(parley_last_error(), "truncated");
}

TEST(device_and_fifo_are_named_as_such)
{
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file("/dev/zero", NULL, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "not a regular file");
    ASSERT_EQ_INT(sh("rm -f '%s' && mkfifo '%s'", path("pipe.wav"), path("pipe.wav")), 0);
    ASSERT_STATUS(parley_audio_decode_file(path("pipe.wav"), NULL, &a), PARLEY_ERR_UNSUPPORTED);
    ASSERT_CONTAINS(parley_last_error(), "pipe");
}

TEST(model_file_renamed_mp3_is_not_media)
{
    ASSERT_EQ_INT(sh("printf 'GGUF\\003\\000\\000\\000' > '%s' && head -c 60000 /dev/zero >> '%s'",
                     path("model.mp3"), path("model.mp3")),
                  0);
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("model.mp3"), NULL, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "not an audio or video file");
    ASSERT_CONTAINS(parley_last_error(), "GGUF");
}

TEST(huge_max_seconds_is_clamped_not_undefined)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=duration=1' -ar 16000 '%s'", path("one.wav")), 0);
    struct parley_audio_params p = parley_audio_default_params();
    p.max_seconds = 1e300; /* (size_t)(1e300 * 16000) was undefined behaviour (UBSan) */
    parley_audio a;
    ASSERT_OK(parley_audio_decode_file(path("one.wav"), &p, &a));
    ASSERT_NEAR(a.duration_s, 1.0, 0.05);
    parley_audio_free(&a);
}

TEST(decode_from_memory_matches_the_file)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=frequency=440:duration=2:sample_rate=44100' -ac 2 "
                     "-c:a flac '%s'",
                     path("mem.flac")),
                  0);
    FILE *f = fopen(path("mem.flac"), "rb");
    ASSERT(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ASSERT(n > 1000 && n < sizeof buf);
    parley_audio a, b;
    ASSERT_OK(parley_audio_decode_file(path("mem.flac"), NULL, &a));
    ASSERT_OK(parley_audio_decode_memory(buf, n, "upload.flac", NULL, &b));
    ASSERT_EQ_INT(a.n_samples, b.n_samples);
    ASSERT(memcmp(a.samples, b.samples, a.n_samples * sizeof(float)) == 0);
    ASSERT_EQ_INT(b.source_channels, 2);
    parley_audio_free(&a);
    parley_audio_free(&b);
    /* the same verdicts from memory, named by the label */
    ASSERT_STATUS(parley_audio_decode_memory(buf, 0, "nothing.wav", NULL, &b), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "nothing.wav");
    ASSERT_STATUS(parley_audio_decode_memory("hello, this is text, not audio", 30, NULL, NULL, &b),
                  PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "in memory");
    ASSERT_STATUS(parley_audio_decode_memory(buf, n / 3, "cut.flac", NULL, &b), PARLEY_ERR_BAD_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "truncated");
}

TEST(video_without_audio_says_so)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i testsrc=size=64x64:rate=5:duration=2 -c:v mpeg4 '%s'",
                     path("silent.mp4")),
                  0);
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("silent.mp4"), NULL, &a), PARLEY_ERR_NO_AUDIO);
    ASSERT_CONTAINS(parley_last_error(), "no audio track");
}

TEST(length_limit_is_enforced)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=duration=4' -ar 16000 '%s'", path("four.wav")), 0);
    struct parley_audio_params p = parley_audio_default_params();
    p.max_seconds = 2;
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("four.wav"), &p, &a), PARLEY_ERR_TOO_LARGE);
    ASSERT(a.samples == NULL);
}

static bool count_progress(double f, void *ud)
{
    int *n = ud;
    if (f < 0 || f > 1.0)
        *n += 1000; /* shows as a wrong count below */
    (*n)++;
    return *n < 3; /* cancel on the third report */
}

/* A live meeting's recording is stereo, Me left and Them right: one side alone decodes to
 * that side (the second pass transcribes each on its own). */
TEST(one_channel_alone)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -loglevel error -y -f lavfi -i 'sine=frequency=440:duration=1' -f lavfi "
                     "-i 'anullsrc=r=44100:cl=mono' -filter_complex '[0][1]amerge=inputs=2' -t 1 -ac 2 '%s'",
                     path("lr.wav")),
                  0);
    struct parley_audio_params p = parley_audio_default_params();
    parley_audio a;
    p.channel = 1;
    ASSERT_OK(parley_audio_decode_file(path("lr.wav"), &p, &a));
    double left = rms(&a);
    parley_audio_free(&a);
    p.channel = 2;
    ASSERT_OK(parley_audio_decode_file(path("lr.wav"), &p, &a));
    double right = rms(&a);
    parley_audio_free(&a);
    p.channel = 0;
    ASSERT_OK(parley_audio_decode_file(path("lr.wav"), &p, &a));
    double mixed = rms(&a);
    parley_audio_free(&a);
    ASSERT_MSG(left > 0.05 && right < 1e-4 && mixed > right && mixed < left, "left %.4f right %.4f mixed %.4f", left,
               right, mixed);
    p.channel = 3;
    ASSERT_STATUS(parley_audio_decode_file(path("lr.wav"), &p, &a), PARLEY_ERR_INVALID_ARG);
    ASSERT_MSG(strstr(parley_last_error(), "2 channels"), "%s", parley_last_error());
}

/* fuzz_audio's finding (tests/fuzz/corpus/audio/mp3-channels-change.mp3, 3 KB): an MP3 whose
 * frames change their channel layout mid-way; the resampler set up for the first frames was
 * handed planes that do not exist (a crash in libswresample). It is now set up again for
 * the new layout: the file is reported as truncated (its header says 2.1 s), and with
 * allow_truncated what it holds is decoded. */
TEST(channels_that_change_mid_stream)
{
    char f[4200];
    snprintf(f, sizeof f, "%s", __FILE__);
    char *slash = strrchr(f, '/');
    ASSERT(slash);
    snprintf(slash + 1, sizeof f - (size_t)(slash + 1 - f), "fuzz/corpus/audio/mp3-channels-change.mp3");
    if (access(f, R_OK) != 0)
        SKIP("needs the source tree's tests/fuzz/corpus");
    parley_audio a;
    struct parley_audio_params p = parley_audio_default_params();
    ASSERT_STATUS(parley_audio_decode_file(f, &p, &a), PARLEY_ERR_BAD_AUDIO);
    ASSERT_MSG(strstr(parley_last_error(), "truncated"), "%s", parley_last_error());
    p.allow_truncated = true;
    ASSERT_OK(parley_audio_decode_file(f, &p, &a));
    ASSERT(a.truncated && a.n_samples > 0);
    parley_audio_free(&a);
}

TEST(progress_reports_and_can_cancel)
{
    if (!have_ffmpeg)
        SKIP("needs the ffmpeg command to make test media");
    ASSERT_EQ_INT(sh("ffmpeg -v error -y -f lavfi -i 'sine=duration=120' -ar 16000 '%s'", path("two-min.wav")), 0);
    int calls = 0;
    struct parley_audio_params p = parley_audio_default_params();
    p.progress = count_progress;
    p.progress_user_data = &calls;
    parley_audio a;
    ASSERT_STATUS(parley_audio_decode_file(path("two-min.wav"), &p, &a), PARLEY_ERR_CANCELLED);
    ASSERT_EQ_INT(calls, 3);
    parley_cancel *cancel = parley_cancel_new();
    parley_cancel_set(cancel);
    p = parley_audio_default_params();
    p.cancel = cancel;
    ASSERT_STATUS(parley_audio_decode_file(path("two-min.wav"), &p, &a), PARLEY_ERR_CANCELLED);
    parley_cancel_free(cancel);
}

int main(void)
{
    dir = test_tmpdir("audio");
    have_ffmpeg = system("ffmpeg -version >/dev/null 2>&1") == 0;
    RUN(every_container_decodes_to_16k_mono);
    RUN(missing_file_is_not_found);
    RUN(empty_file_is_refused);
    RUN(text_file_is_not_audio);
    RUN(random_bytes_are_not_audio);
    RUN(directory_is_refused);
    RUN(truncated_wav_is_refused_unless_allowed);
    RUN(truncated_m4a_is_refused);
    RUN(device_and_fifo_are_named_as_such);
    RUN(model_file_renamed_mp3_is_not_media);
    RUN(huge_max_seconds_is_clamped_not_undefined);
    RUN(decode_from_memory_matches_the_file);
    RUN(video_without_audio_says_so);
    RUN(length_limit_is_enforced);
    RUN(progress_reports_and_can_cancel);
    RUN(one_channel_alone);
    RUN(channels_that_change_mid_stream);
    return test_summary();
}
