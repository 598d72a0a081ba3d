/* cmd_transcribe.c: parley transcribe FILE: decode, VAD + whisper, store, print. */
#include "cli.h"

#include <parley/asr.h>
#include <parley/audio.h>
#include <parley/catalog.h>
#include <parley/store.h>

#include <parley/vad.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "parley transcribe FILE|- [--model PATH|ID] [--language CODE|auto] [--threads N]\n"
    "                         [--format txt|srt|vtt|json] [--out FILE] [--title TEXT]\n"
    "                         [--vad-model PATH] [--no-vad] [--allow-truncated] [--no-fallback] [--no-gpu]\n"
    "                         [--force]";

static const char help[] =
    "Transcribes a recording (WAV, FLAC, MP3, OGG/Opus, M4A/AAC, or the audio of MP4/MKV/WebM)\n"
    "and stores it as a session in the local database. FILE '-' reads the recording from\n"
    "standard input (cat meeting.wav | parley transcribe -); an MP4/M4A piped in needs its\n"
    "index at the start (ffmpeg -movflags +faststart), else give its path.\n\n"
    "  --model PATH|ID     whisper.cpp model file, or an id such as base, small, large-v3-turbo\n"
    "                      looked up as ggml-<id>.bin in the models directory (default: the\n"
    "                      largest model found there)\n"
    "  --language CODE     spoken language (en, de, ...); default auto-detect\n"
    "  --threads N         CPU threads (default: all cores, at most 8)\n"
    "  --format F          what to print: txt (default), srt, vtt or json\n"
    "  --out FILE          write it to FILE (atomically) instead of standard output; an\n"
    "                      existing FILE needs --force, and the recording itself is refused\n"
    "  --force             replace an existing --out FILE\n"
    "  --title TEXT        session title (default: the file name)\n"
    "  --vad-model PATH    Silero VAD model (default: ggml-silero-*.bin in the models directory)\n"
    "  --no-vad            transcribe without cutting silence first (silence may become text)\n"
    "  --allow-truncated   transcribe what a truncated file holds instead of refusing it\n"
    "  --no-fallback       never re-decode doubtful audio at a higher temperature (faster)\n"
    "  --no-gpu            run on the CPU even when ggml has a GPU backend\n";

/* The bar is redrawn by the library's progress callbacks (decoder thread, whisper's
 * worker) and by a ticker every 0.25 s, so that the elapsed time moves while a stage
 * reports nothing (the VAD pass, whisper's first window). One lock orders the writers. */
typedef struct progress_ctx {
    cli_progress bar;
    pthread_mutex_t lock;
    double fraction;
    bool ticking, stop;
    pthread_t ticker;
} progress_ctx;

static bool on_progress(double f, void *ud)
{
    progress_ctx *p = ud;
    pthread_mutex_lock(&p->lock);
    p->fraction = f;
    cli_progress_update(&p->bar, f);
    pthread_mutex_unlock(&p->lock);
    return !parley_cancel_is_set(cli_cancel);
}

static void *tick_main(void *ud)
{
    progress_ctx *p = ud;
    for (;;) {
        nanosleep(&(struct timespec){0, 250 * 1000000L}, NULL);
        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        p->bar.last_pct = -1; /* redraw even when the percentage has not moved */
        cli_progress_update(&p->bar, p->fraction);
        pthread_mutex_unlock(&p->lock);
    }
}

static void progress_begin(progress_ctx *p, const char *label, double media_s)
{
    pthread_mutex_lock(&p->lock);
    p->fraction = 0;
    p->stop = false;
    cli_progress_start(&p->bar, label, media_s);
    pthread_mutex_unlock(&p->lock);
    p->ticking = p->bar.enabled && pthread_create(&p->ticker, NULL, tick_main, p) == 0;
}

static void progress_end(progress_ctx *p)
{
    if (p->ticking) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->ticker, NULL);
        p->ticking = false;
    }
    pthread_mutex_lock(&p->lock);
    cli_progress_done(&p->bar);
    pthread_mutex_unlock(&p->lock);
}

/* Fails early, before minutes of work, when the output cannot or must not be written:
 * the recording itself (the same file under any name), a directory, a missing or
 * read-only directory, an existing file without --force. */
static int check_out(const char *out, const char *input, bool force)
{
    struct stat so, si;
    if (stat(out, &so) == 0) {
        bool in_ok = strcmp(input, "-") == 0 ? fstat(STDIN_FILENO, &si) == 0 : stat(input, &si) == 0;
        if (in_ok && so.st_dev == si.st_dev && so.st_ino == si.st_ino) {
            fprintf(stderr, "parley: transcribe: --out %s is the recording itself; refusing to replace it\n", out);
            return 1;
        }
        if (S_ISDIR(so.st_mode)) {
            fprintf(stderr, "parley: transcribe: --out %s is a directory; name a file\n", out);
            return 1;
        }
        if (!force) {
            fprintf(stderr, "parley: transcribe: --out %s exists; pass --force to replace it\n", out);
            return 1;
        }
    }
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", out) >= (int)sizeof dir) {
        fprintf(stderr, "parley: transcribe: --out path too long\n");
        return 1;
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    struct stat sd;
    if (stat(dir, &sd) != 0) {
        fprintf(stderr, "parley: transcribe: cannot write %s: %s: %s\n", out, dir, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(sd.st_mode)) {
        fprintf(stderr, "parley: transcribe: cannot write %s: %s is not a directory\n", out, dir);
        return 1;
    }
    if (access(dir, W_OK) != 0) {
        fprintf(stderr, "parley: transcribe: cannot write %s: %s\n", out, strerror(errno));
        return 1;
    }
    return 0;
}

/* The address space this process has mapped now (/proc/self/statm), 0 when unknown. */
static uint64_t mapped_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    if (f) {
        if (fscanf(f, "%llu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    long ps = sysconf(_SC_PAGESIZE);
    return pages * (uint64_t)(ps > 0 ? ps : 4096);
}

/* Loading a speech model that does not fit aborts inside ggml (an allocation failure is
 * an assertion there, not an error), so the fit is checked first. The estimate is a
 * lower bound, so that no run that would work is refused: the weights (the file, read
 * into memory), whisper.cpp's caches and compute buffers (a quarter of the weights and
 * at least 150 MB: its own table gives 273 MB for tiny, 3.9 GB for large), and, under an
 * address-space limit, what the process maps on the way (ggml's contexts, the VAD, worker
 * threads' stacks): measured with the tiny model under prlimit --as as about 490 MB plus
 * 12 MB per thread beyond the weights and buffers; 400 MB and 16 MB are counted.
 * Compared with RLIMIT_AS (ulimit -v, prlimit --as) and with RAM + swap. */
static int check_memory(const char *model_path, int threads)
{
    struct stat sb;
    if (stat(model_path, &sb) != 0)
        return 0; /* the loader says what is wrong with it */
    uint64_t weights = (uint64_t)sb.st_size, mb = 1024 * 1024;
    uint64_t buffers = weights / 4 > 150 * mb ? weights / 4 : 150 * mb;
    uint64_t need = weights + buffers;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        uint64_t now = mapped_now();
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int workers = threads > 0 ? threads : cores > 8 ? 8 : cores > 0 ? (int)cores : 4;
        uint64_t need_as = now + need + 400 * mb + (uint64_t)workers * 16 * mb; /* a stack and more per worker */
        if (need_as > rl.rlim_cur) {
            fprintf(stderr,
                    "parley: transcribe: not enough memory: the speech model %s needs at least %llu MB of address "
                    "space, but the limit (ulimit -v / prlimit --as) is %llu MB with %llu MB in use; raise the "
                    "limit or choose a smaller model (--model tiny, base, ...)\n",
                    model_path, (unsigned long long)((need_as - now) / mb), (unsigned long long)(rl.rlim_cur / mb),
                    (unsigned long long)(now / mb));
            return 1;
        }
    }
    long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
    if (pages > 0 && ps > 0) {
        uint64_t ram = (uint64_t)pages * (uint64_t)ps, swap = 0;
        FILE *f = fopen("/proc/meminfo", "r");
        char line[256];
        unsigned long long kb;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "SwapTotal: %llu kB", &kb) == 1)
                swap = kb * 1024;
        if (f)
            fclose(f);
        if (need > ram + swap) {
            fprintf(stderr,
                    "parley: transcribe: not enough memory: the speech model %s needs at least %llu MB, but this "
                    "computer has %llu MB of RAM and swap; choose a smaller model (--model tiny, base, ...)\n",
                    model_path, (unsigned long long)(need / mb), (unsigned long long)((ram + swap) / mb));
            return 1;
        }
    }
    return 0;
}

static int write_output(const char *out, const char *data, size_t len)
{
    if (!out) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            fprintf(stderr, "parley: transcribe: writing standard output failed: %s\n", strerror(errno));
            return 1;
        }
        return 0;
    }
    parley_status st = parley_write_file_atomic(out, data, len);
    return st ? cli_error(st, "transcribe: writing the output") : 0;
}

int cmd_transcribe(int argc, char **argv)
{
    const char *file = NULL, *model = NULL, *vad_model = NULL, *language = NULL, *format = "txt", *out = NULL,
               *title = NULL, *v = NULL;
    int threads = 0;
    bool no_vad = false, allow_truncated = false, no_gpu = false, no_fallback = false, force = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_flag(a, "--help") || cli_flag(a, "-h")) {
            printf("usage: %s\n\n%s", usage, help);
            return 0;
        } else if (cli_opt(argc, argv, &i, "--model", &v) || cli_opt(argc, argv, &i, "-m", &v)) {
            if (!v)
                return cli_usage_error(usage, "--model needs a value");
            model = v;
        } else if (cli_opt(argc, argv, &i, "--vad-model", &v)) {
            if (!v)
                return cli_usage_error(usage, "--vad-model needs a value");
            vad_model = v;
        } else if (cli_opt(argc, argv, &i, "--language", &v) || cli_opt(argc, argv, &i, "-l", &v)) {
            if (!v)
                return cli_usage_error(usage, "--language needs a value");
            language = v;
        } else if (cli_opt(argc, argv, &i, "--threads", &v) || cli_opt(argc, argv, &i, "-t", &v)) {
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || n < 1 || n > 256)
                return cli_usage_error(usage, "--threads needs a number from 1 to 256");
            threads = (int)n;
        } else if (cli_opt(argc, argv, &i, "--format", &v) || cli_opt(argc, argv, &i, "-f", &v)) {
            if (!v)
                return cli_usage_error(usage, "--format needs a value");
            format = v;
        } else if (cli_opt(argc, argv, &i, "--out", &v) || cli_opt(argc, argv, &i, "-o", &v)) {
            if (!v)
                return cli_usage_error(usage, "--out needs a value");
            out = v;
        } else if (cli_opt(argc, argv, &i, "--title", &v)) {
            if (!v)
                return cli_usage_error(usage, "--title needs a value");
            if (!*v)
                return cli_usage_error(usage, "a title may not be empty");
            title = v;
        } else if (cli_flag(a, "--no-vad")) {
            no_vad = true;
        } else if (cli_flag(a, "--allow-truncated")) {
            allow_truncated = true;
        } else if (cli_flag(a, "--no-fallback")) {
            no_fallback = true;
        } else if (cli_flag(a, "--no-gpu")) {
            no_gpu = true;
        } else if (cli_flag(a, "--force")) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(usage, "unknown option %s", a);
        } else if (file) {
            return cli_usage_error(usage, "one file at a time (got %s and %s)", file, a);
        } else {
            file = a;
        }
    }
    if (!file)
        return cli_usage_error(usage, "which recording? (a file path)");
    parley_format fmt;
    if (parley_format_parse(format, &fmt) != PARLEY_OK || fmt == PARLEY_FORMAT_MD)
        return cli_usage_error(usage, "--format must be txt, srt, vtt or json (got '%s')", format);
    if (language && parley_asr_check_language_code(language) != PARLEY_OK)
        return cli_usage_error(usage, "%s", parley_last_error());
    if (out && check_out(out, file, force))
        return 1;

    /* Everything that can be checked cheaply is checked before the long work. */
    char model_path[PATH_MAX], vad_path[PATH_MAX], src_abs[PATH_MAX];
    parley_status st = parley_model_find("whisper", model, model_path, sizeof model_path);
    if (st)
        return cli_error(st, "transcribe");
    if (!no_vad && (st = parley_model_find("vad", vad_model, vad_path, sizeof vad_path)))
        return cli_error(st, "transcribe");
    if (!no_vad && (st = parley_vad_check_model(vad_path)))
        return cli_error(st, "transcribe");
    if (check_memory(model_path, threads))
        return 1;
    /* `parley models local transcribe=off` switches it off on this device. */
    if ((st = parley_local_feature_allowed(PARLEY_FEATURE_TRANSCRIBE, NULL)))
        return cli_error(st, "transcribe");
    parley_store *db = NULL;
    if ((st = parley_store_open(NULL, &db)))
        return cli_error(st, "transcribe: opening the session database");
    if ((st = parley_store_check_writable(db))) {
        parley_store_close(db);
        return cli_error(st, "transcribe: the session database cannot be written, so the transcript could not "
                             "be stored");
    }

    int rc = 1;
    parley_asr *asr = NULL;
    parley_audio audio = {0};
    parley_transcript t = {0};
    char *text = NULL;
    size_t text_len = 0;
    progress_ctx pc = {0};
    pthread_mutex_init(&pc.lock, NULL);

    struct parley_audio_params ap = parley_audio_default_params();
    ap.allow_truncated = allow_truncated;
    ap.cancel = cli_cancel;
    ap.progress = on_progress;
    ap.progress_user_data = &pc;
    progress_begin(&pc, "Decoding    ", 0);
    double t0 = parley_now();
    st = parley_audio_decode_file(file, &ap, &audio);
    progress_end(&pc);
    if (st) {
        rc = cli_error(st, "transcribe");
        goto out;
    }
    if (audio.truncated)
        fprintf(stderr, "parley: warning: %s is truncated; transcribing the %.1f s that are present\n", file,
                audio.duration_s);

    struct parley_asr_params mp = parley_asr_default_params();
    mp.model_path = model_path;
    mp.use_gpu = !no_gpu;
    if ((st = parley_asr_init(&mp, &asr))) {
        rc = cli_error(st, "transcribe");
        goto out;
    }
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.n_threads = threads;
    tp.language = language;
    tp.no_fallback = no_fallback;
    tp.vad = !no_vad;
    tp.vad_model_path = no_vad ? NULL : vad_path;
    tp.cancel = cli_cancel;
    tp.progress = on_progress;
    tp.progress_user_data = &pc;
    progress_begin(&pc, "Transcribing", audio.duration_s);
    st = parley_asr_transcribe(asr, &tp, audio.samples, audio.n_samples, &t);
    progress_end(&pc);
    if (st) {
        rc = cli_error(st, "transcribe");
        goto out;
    }
    if (parley_cancel_is_set(cli_cancel)) {
        rc = cli_error(PARLEY_ERR_CANCELLED, "transcribe");
        goto out;
    }
    bool from_stdin = strcmp(file, "-") == 0;
    if (!from_stdin) /* a recording piped in has no path to keep */
        t.source_path = strdup(realpath(file, src_abs) ? src_abs : file);
    if (title) {
        t.title = strdup(title);
    } else if (from_stdin) {
        char when[64];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&now, &tm));
        char dflt[96];
        snprintf(dflt, sizeof dflt, "Recording from standard input, %s", when);
        t.title = strdup(dflt);
    }
    int64_t id = 0;
    if ((st = parley_store_add_session(db, &t, &id))) {
        /* The database was writable a minute ago (checked above) and is not now: the
         * transcript is still printed or written, never thrown away. */
        rc = cli_error(st, "transcribe: storing the session");
        if (parley_transcript_export(&t, fmt, &text, &text_len) == PARLEY_OK && write_output(out, text, text_len) == 0)
            fprintf(stderr, "parley: transcribe: the transcript was %s but NOT stored\n",
                    out ? "written" : "printed");
        goto out;
    }
    t.id = id;
    if ((st = parley_store_export(db, id, fmt, &text, &text_len))) {
        rc = cli_error(st, "transcribe: rendering");
        goto out;
    }
    rc = write_output(out, text, text_len);
    if (rc) {
        /* Nothing half-done: the output the user asked for failed, so the session is not
         * kept either (a retry would otherwise store it twice). */
        if (parley_store_delete_session(db, id) == PARLEY_OK)
            fprintf(stderr, "parley: transcribe: nothing was stored; run it again with a writable --out\n");
        else
            fprintf(stderr, "parley: transcribe: the transcript is stored as session %lld (parley sessions export "
                    "%lld)\n", (long long)id, (long long)id);
        goto out;
    }
    if (isatty(2)) {
        double el = parley_now() - t0;
        char dur[32];
        cli_fmt_duration(audio.duration_s, dur, sizeof dur);
        fprintf(stderr, "Session %lld: %zu segment%s from %s of audio, language %s, in %.1f s (%.1fx real time)%s%s\n",
                (long long)id, t.n_segments, t.n_segments == 1 ? "" : "s", dur, t.language ? t.language : "?", el,
                el > 0 ? audio.duration_s / el : 0.0, out ? "; written to " : "", out ? out : "");
    }
    if (t.n_segments == 0) /* also in a pipe: an empty transcript on stdout says nothing by itself */
        fprintf(stderr, "No speech was found in %s.\n", from_stdin ? "standard input" : file);
out:
    free(text);
    parley_transcript_free(&t);
    parley_audio_free(&audio);
    if (st == PARLEY_ERR_CANCELLED && asr) {
        /* A cancelled run's worker may still be inside whisper.cpp until its next abort
         * check (seconds on a long file). Waiting for it (parley_asr_free) would make
         * Ctrl-C slow, and a normal exit would run the libraries' static destructors
         * under its feet. Nothing is stored or written yet, so leave at once. */
        parley_store_close(db);
        fflush(NULL);
        _exit(rc);
    }
    parley_asr_free(asr);
    parley_store_close(db);
    pthread_mutex_destroy(&pc.lock);
    return rc;
}
