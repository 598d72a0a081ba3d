/* recover.c: finishing meetings whose process died (live.h: parley_meeting_recover).
 * The journals hold the audio up to the last sync before the death; they are repaired,
 * transcribed whole (VAD + whisper, as a file would be) and replace whatever segments the
 * meeting had stored, so the recovered session is complete. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "live/live_internal.h"
#include "parley/journal.h"

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

parley_status parley_meeting_count_interrupted(const char *store_path, const char *data_dir, int *n)
{
    if (!n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "n is NULL");
    *n = 0;
    parley_store *db;
    parley_status st = parley_store_open(store_path, &db);
    if (st != PARLEY_OK)
        return st;
    parley_session_filter f = parley_session_default_filter();
    f.status = PARLEY_SESSION_LIVE;
    parley_session_row *rows;
    size_t nr;
    st = parley_store_list_sessions_ex(db, &f, &rows, &nr);
    if (st == PARLEY_OK) {
        for (size_t i = 0; i < nr; i++) {
            char dir[PATH_MAX];
            if (live_session_dir(data_dir, rows[i].id, dir, sizeof dir) == PARLEY_OK && !live_locked_by_other(dir))
                (*n)++;
        }
        parley_session_rows_free(rows, nr);
    }
    parley_store_close(db);
    return st;
}

static int seg_cmp(const void *a, const void *b)
{
    const parley_segment *x = a, *y = b;
    return x->t0_ms < y->t0_ms ? -1 : x->t0_ms > y->t0_ms;
}

/* Transcribes n samples heard from t0 (ms on the timeline) into t with VAD, speaker set;
 * frees s. */
static parley_status transcribe_samples(parley_asr *asr, const struct parley_meeting_params *p, float *s, size_t n,
                                        int64_t t0, const char *speaker, const parley_cancel *cancel,
                                        parley_progress_fn progress, void *progress_ud, parley_transcript *t)
{
    struct parley_transcribe_params tp = parley_transcribe_default_params();
    tp.vad = true;
    tp.vad_model_path = p->vad_model_path;
    tp.language = p->language;
    tp.n_threads = p->n_threads;
    tp.no_fallback = true;
    tp.drop_invented = true; /* the guards the live pipeline has (asr.h) */
    tp.cancel = cancel;
    tp.initial_prompt = p->vocabulary;
    tp.progress = progress;
    tp.progress_user_data = progress_ud;
    parley_transcript one = {0};
    parley_status st = parley_asr_transcribe(asr, &tp, s, n, &one);
    free(s);
    if (st != PARLEY_OK)
        return st;
    for (size_t i = 0; i < one.n_segments && st == PARLEY_OK; i++)
        st = parley_transcript_add(t, one.segments[i].t0_ms + t0, one.segments[i].t1_ms + t0, one.segments[i].text,
                                   speaker, one.segments[i].confidence);
    parley_transcript_free(&one);
    return st;
}

/* Transcribes one journal into t (segments shifted to the timeline, speaker set). */
static parley_status transcribe_journal(parley_asr *asr, const struct parley_meeting_params *p, const char *path,
                                        const char *speaker, const parley_cancel *cancel, parley_transcript *t,
                                        int64_t *end_ms)
{
    struct parley_journal_info info;
    parley_status st = parley_journal_recover(path, &info);
    if (st == PARLEY_ERR_NOT_FOUND || st == PARLEY_ERR_NO_AUDIO)
        return PARLEY_OK;
    if (st != PARLEY_OK)
        return st;
    float *s;
    size_t n;
    int64_t t0;
    if ((st = parley_journal_load(path, &s, &n, &t0)) != PARLEY_OK)
        return st;
    int64_t end = t0 + (int64_t)(n * 1000 / PARLEY_JOURNAL_RATE);
    if (end > *end_ms)
        *end_ms = end;
    if (n < PARLEY_JOURNAL_RATE / 10) {
        free(s);
        return PARLEY_OK;
    }
    return transcribe_samples(asr, p, s, n, t0, speaker, cancel, NULL, NULL, t);
}

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Stores Me and Them as the session's segments, in time order, replacing what it had. As
 * live: microphone speech mostly covered by system speech is the far side heard by the
 * microphone, and is left out. model: the speech model to record (NULL keeps it). */
static parley_status store_merged(parley_store *db, int64_t id, const parley_transcript *me,
                                  const parley_transcript *them, const char *model)
{
    parley_segment *all = calloc(me->n_segments + them->n_segments + 1, sizeof *all);
    if (!all)
        return parley_fail(PARLEY_ERR_NOMEM, "segments");
    size_t n = 0;
    for (size_t i = 0; i < them->n_segments; i++)
        all[n++] = them->segments[i];
    for (size_t i = 0; i < me->n_segments; i++) {
        int64_t ov = 0;
        for (size_t k = 0; k < them->n_segments; k++)
            ov += overlap(me->segments[i].t0_ms, me->segments[i].t1_ms, them->segments[k].t0_ms,
                          them->segments[k].t1_ms);
        if (ov * 2 <= me->segments[i].t1_ms - me->segments[i].t0_ms)
            all[n++] = me->segments[i];
    }
    qsort(all, n, sizeof *all, seg_cmp);
    parley_status st = parley_store_segments_replace_model(db, id, all, n, model);
    free(all);
    return st;
}

static parley_status recover_one(parley_store *db, parley_asr *asr, const struct parley_meeting_params *p,
                                 int64_t id, const char *dir, const parley_cancel *cancel)
{
    int lock = -1;
    parley_status st = live_lock(dir, &lock);
    if (st != PARLEY_OK)
        return st;
    char mic[PATH_MAX + 32], sys[PATH_MAX + 32], rec[PATH_MAX + 32];
    snprintf(mic, sizeof mic, "%s/mic.wav", dir);
    snprintf(sys, sizeof sys, "%s/system.wav", dir);
    snprintf(rec, sizeof rec, "%s.wav", dir);
    parley_transcript me = {0}, them = {0};
    int64_t end = 0;
    st = transcribe_journal(asr, p, mic, "Me", cancel, &me, &end);
    if (st == PARLEY_OK)
        st = transcribe_journal(asr, p, sys, "Them", cancel, &them, &end);
    if (st == PARLEY_OK)
        st = store_merged(db, id, &me, &them, NULL);
    parley_transcript_free(&me);
    parley_transcript_free(&them);
    if (st == PARLEY_OK)
        st = live_finish_recording(db, id, access(mic, F_OK) == 0 ? mic : NULL, access(sys, F_OK) == 0 ? sys : NULL,
                                   dir, rec, p->keep_audio, NULL);
    if (st == PARLEY_OK)
        st = parley_store_session_finish(db, id, PARLEY_SESSION_RECOVERED, end);
    live_unlock(dir, &lock, st == PARLEY_OK);
    return st;
}

parley_status parley_meeting_recover(const struct parley_meeting_params *p, const parley_cancel *cancel,
                                     int *n_recovered)
{
    if (n_recovered)
        *n_recovered = 0;
    if (!p || !p->asr_model_path || !p->vad_model_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "recovery needs the speech and VAD models");
    parley_store *db;
    parley_status st = parley_store_open(p->store_path, &db);
    if (st != PARLEY_OK)
        return st;
    parley_session_filter f = parley_session_default_filter();
    f.status = PARLEY_SESSION_LIVE;
    parley_session_row *rows = NULL;
    size_t nr = 0;
    parley_asr *asr = NULL;
    st = parley_store_list_sessions_ex(db, &f, &rows, &nr);
    for (size_t i = 0; st == PARLEY_OK && i < nr; i++) {
        char dir[PATH_MAX];
        if ((st = live_session_dir(p->data_dir, rows[i].id, dir, sizeof dir)) != PARLEY_OK)
            break;
        if (live_locked_by_other(dir))
            continue; /* a meeting recording right now */
        if (!is_dir(dir)) {
            /* No journal: nothing to recover from; say so instead of leaving it live. */
            st = parley_store_session_finish(db, rows[i].id, PARLEY_SESSION_INTERRUPTED,
                                             (int64_t)(rows[i].duration_s * 1000));
            continue;
        }
        if (!asr) {
            struct parley_asr_params ap = parley_asr_default_params();
            ap.model_path = p->asr_model_path;
            if ((st = parley_asr_init(&ap, &asr)) != PARLEY_OK)
                break;
        }
        if (p->bus) {
            parley_event ev = {.kind = PARLEY_EVENT_PROGRESS, .session_id = rows[i].id, .text = "recovering"};
            parley_bus_post(p->bus, &ev);
        }
        st = recover_one(db, asr, p, rows[i].id, dir, cancel);
        if (st == PARLEY_OK) {
            if (n_recovered)
                (*n_recovered)++;
            if (p->bus) {
                parley_event ev = {.kind = PARLEY_EVENT_STOPPED, .session_id = rows[i].id, .text = "recovered"};
                parley_bus_post(p->bus, &ev);
            }
        }
    }
    parley_session_rows_free(rows, nr);
    parley_asr_free(asr);
    parley_store_close(db);
    return st;
}

/* Reports the second pass's progress: the microphone side is the first half. */
struct repass_progress {
    const struct parley_meeting_params *p;
    int64_t id;
    int side; /* 0 = Me, 1 = Them */
    int sides;
};

static bool repass_progress(double fraction, void *ud)
{
    struct repass_progress *rp = ud;
    if (rp->p->bus) {
        parley_event ev = {.kind = PARLEY_EVENT_PROGRESS, .session_id = rp->id, .text = "repass",
                           .value = ((double)rp->side + fraction) / rp->sides};
        parley_bus_post(rp->p->bus, &ev);
    }
    return true;
}

parley_status parley_meeting_repass(const struct parley_meeting_params *p, int64_t session_id,
                                    const parley_cancel *cancel)
{
    if (!p || !p->asr_model_path || !p->vad_model_path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "a second pass needs the speech and VAD models");
    parley_store *db;
    parley_status st = parley_store_open(p->store_path, &db);
    if (st != PARLEY_OK)
        return st;
    parley_session_row row = {0};
    parley_asr *asr = NULL;
    parley_transcript me = {0}, them = {0};
    if ((st = parley_store_get_session_row(db, session_id, &row)) != PARLEY_OK)
        goto out;
    if (row.status == PARLEY_SESSION_LIVE) {
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "session %lld is still being recorded", (long long)session_id);
        goto out;
    }
    if (!row.audio_path || access(row.audio_path, R_OK) != 0) {
        st = parley_fail(PARLEY_ERR_NOT_FOUND,
                         "session %lld has no recording to transcribe again (made with --no-keep-audio, or deleted)",
                         (long long)session_id);
        goto out;
    }
    struct parley_asr_params ap = parley_asr_default_params();
    ap.model_path = p->asr_model_path;
    if ((st = parley_asr_init(&ap, &asr)) != PARLEY_OK)
        goto out;
    /* The recording is stereo: left the microphone, right system audio (recording.c). */
    struct repass_progress rp = {p, session_id, 0, 2};
    for (int side = 0; side < 2 && st == PARLEY_OK; side++) {
        struct parley_audio_params aup = parley_audio_default_params();
        aup.channel = side + 1;
        aup.cancel = cancel;
        parley_audio a = {0};
        st = parley_audio_decode_file(row.audio_path, &aup, &a);
        if (st == PARLEY_ERR_INVALID_ARG && side == 1) { /* a mono recording: the microphone only */
            st = PARLEY_OK;
            break;
        }
        if (st != PARLEY_OK)
            break;
        rp.side = side;
        st = transcribe_samples(asr, p, a.samples, a.n_samples, 0, side ? "Them" : "Me", cancel, repass_progress, &rp,
                                side ? &them : &me);
        a.samples = NULL; /* freed by transcribe_samples */
        parley_audio_free(&a);
    }
    if (st == PARLEY_OK) {
        const char *slash = strrchr(p->asr_model_path, '/');
        st = store_merged(db, session_id, &me, &them, slash ? slash + 1 : p->asr_model_path);
    }
out:
    parley_transcript_free(&me);
    parley_transcript_free(&them);
    parley_asr_free(asr);
    parley_session_row_clear(&row);
    parley_store_close(db);
    return st;
}
