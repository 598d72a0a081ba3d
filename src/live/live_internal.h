/* live_internal.h: what meeting.c and recover.c share. Not a public header. */
#ifndef PARLEY_LIVE_INTERNAL_H
#define PARLEY_LIVE_INTERNAL_H

#include <pthread.h>

#include "parley/asr.h"
#include "parley/live.h"
#include "parley/store.h"

/* <data_dir or the data dir>/live/<id>: the session's journal directory. */
parley_status live_session_dir(const char *data_dir, int64_t id, char *out, size_t out_size);

/* Takes the directory's lock (held while a meeting records into it). PARLEY_ERR_IO with
 * "in use" when another process holds it. */
parley_status live_lock(const char *dir, int *fd_out);
/* Whether the directory's lock is held by a live process (a meeting recording now). */
bool live_locked_by_other(const char *dir);
/* Releases the lock; with remove, deletes the lock file and the (then empty) directory. */
void live_unlock(const char *dir, int *fd, bool remove);

/* Transcribes one utterance (16 kHz mono) into *out, times from its first sample.
 * Quiet audio (below the energy gate) gives no segments without running whisper.
 * vocabulary: whisper's initial prompt (may be NULL); full_window: see live.h. */
parley_status live_transcribe_utterance(parley_asr *asr, const float *s, size_t n, const char *language,
                                        const char *vocabulary, bool full_window, int n_threads,
                                        const parley_cancel *cancel, parley_transcript *out);

/* Makes the session's recording from its journals (either may be NULL): a stereo WAV at
 * out_path, left = microphone, right = system audio, both on the session's timeline
 * (written to a temporary file and renamed). With keep, it is set as the session's
 * audio; without, it is not made. The journals are deleted once it is safe. db_mu (may
 * be NULL) guards db. */
parley_status live_finish_recording(parley_store *db, int64_t id, const char *mic_path, const char *sys_path,
                                    const char *dir, const char *out_path, bool keep, pthread_mutex_t *db_mu);

/* The assistant (assistant.c): NULL-safe where noted. */
typedef struct live_assistant live_assistant;
parley_status live_assistant_new(const struct parley_meeting_params *p, parley_bus *bus, int64_t session_id,
                                 parley_store *db, pthread_mutex_t *db_mu, live_assistant **out);
void live_assistant_segment(live_assistant *la, const parley_segment *sg); /* la may be NULL */
void live_assistant_tick(live_assistant *la);                              /* la may be NULL */
parley_status live_assistant_ask(live_assistant *la, const char *question, int64_t *job_id);
parley_status live_assistant_suggest_now(live_assistant *la);
/* At stop: no new automatic suggestion; waits for the questions and the suggestion in
 * flight (until cancel is set) and posts and stores them (la may be NULL). */
void live_assistant_finish(live_assistant *la, const parley_cancel *cancel);

/* echo.c: loudness envelopes (20 ms frames of RMS) and whether microphone speech follows
 * the system audio (the far side heard through the room). */
typedef struct live_envelope {
    double *v;
    size_t n;      /* frames */
    int64_t t0_ms; /* the timeline time of the first frame */
} live_envelope;
parley_status live_envelope_make(const float *x, size_t n, int64_t t0_ms, live_envelope *out);
void live_envelope_free(live_envelope *e); /* e may be NULL or empty */
/* The highest correlation of the microphone's envelope over [t0, t1) with the system's,
 * the microphone lagging by -200 to +500 ms; -1 when it cannot tell (under 0.4 s, no
 * audio there, a flat envelope). At or above LIVE_ECHO_CORR: the far side's. */
double live_envelope_follows(const live_envelope *mic, const live_envelope *sys, int64_t t0, int64_t t1);
#define LIVE_ECHO_CORR 0.7
/* Removes the system audio's echo from microphone audio: speexdsp's echo canceller (an
 * adaptive filter over a 500 ms echo path) and its residual echo suppressor, nothing else
 * (no noise suppression or gain control). mic and ref are n samples at the journal rate on
 * the same timeline, ref leading: the system audio as the loudspeaker played it, shifted
 * so that its echo comes later in mic. The first `lead` samples only train the filter
 * (audio before the utterance); out gets the n - lead after them. */
parley_status live_echo_cancel(const float *mic, const float *ref, size_t n, size_t lead, float *out);
#define LIVE_AEC_LEAD_MS 2000 /* audio before a microphone utterance the canceller learns from */
#define LIVE_AEC_SHIFT_MS 100 /* how far the microphone may lead the system audio */
parley_status live_assistant_summary(live_assistant *la, const parley_cancel *cancel);
void live_assistant_free(live_assistant *la);
/* "remote:NAME/MODEL" when a team server runs the assistant, else NULL (la may be NULL).
 * Valid until the next live_assistant_* call. */
const char *live_assistant_label(const live_assistant *la);
bool live_on_battery(void);

#endif
