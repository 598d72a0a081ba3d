/*
 * live.h: a live meeting. Microphone ("Me") and system audio ("Them") are captured,
 * journaled to disk before anything else happens to them, cut into utterances by the
 * Silero VAD, transcribed, stored as they are final, and announced on an event bus.
 *
 * Basic usage
 *
 *     parley_bus *bus; parley_bus_new(0, &bus);
 *     struct parley_meeting_params mp = parley_meeting_default_params();
 *     mp.asr_model_path = "ggml-base.bin";  mp.vad_model_path = "ggml-silero-v6.2.0.bin";
 *     mp.title = "Weekly sync";  mp.bus = bus;
 *     parley_meeting *m;
 *     if (parley_meeting_start(&mp, &m) != PARLEY_OK) fail();
 *     ... drain the bus (events.h): started, segment.final, level, backlog, warning ...
 *     parley_meeting_note(m, "ask about the budget");
 *     parley_meeting_stop(m, NULL);          // transcribes what is left, stores, finishes
 *     int64_t id = parley_meeting_session_id(m);
 *     parley_meeting_free(m);
 *
 * What happens to the audio: each stream's capture thread only appends to its journal
 * (journal.h) and measures the level, so capture never waits for inference. A pipeline
 * thread reads the journals behind the capture, runs the VAD per stream and queues
 * utterances; a transcription thread takes them oldest first. When transcription falls
 * behind, the audio is still journaled in full, the backlog is reported (backlog events)
 * and is caught up from the journal; nothing is dropped. Utterances are read back from
 * the journal, so the queue holds times, not audio, and stays small however long the
 * backlog grows.
 *
 * The same words never twice: without headphones the microphone also hears the other
 * side. A microphone utterance that mostly overlaps speech on the system stream and
 * follows the system audio (its loudness envelope correlates with the system's, 0.7 or
 * more) is taken as that speech heard through the room and not stored (it belongs to
 * "Them"); one that does not (the user talking at the same time) is kept as "Me".
 *
 * Crash safety: the session is created in the store at start (status live) and its
 * segments appended as they are final; the journals are fdatasync'ed every second. A
 * process that dies leaves the session live with its journal; parley_meeting_recover()
 * (run by the next `parley live`, or `parley sessions recover`) transcribes the journal
 * again and finishes the session as recovered. A held lock file tells a running meeting
 * from a dead one.
 *
 * The recording: at stop (and recovery) the two journals become one stereo WAV kept with
 * the session (left: microphone, right: system audio), deleted with the session; with
 * keep_audio false it is deleted once transcribed.
 *
 * The assistant on a team server (llm_remote, remote.h): questions, suggestions and the
 * summary at stop run on that server, never on this device (no local LLM is loaded, and a
 * server's failure is an error event: nothing is retried locally). Speech recognition,
 * the VAD and the recording stay on this device: no audio is sent. Each request carries
 * the transcript so far (there is no warm cache on the server's side to rely on). What
 * the server made is labelled: the assistant's events (token, suggestion, answer, the
 * summary's progress event and its error events) carry source = "remote:NAME/MODEL", and
 * the stored artifacts and chat turns have model "remote:NAME/MODEL" and meta "remote":
 * {"server", "model"} (parley_remote_meta_label). With a local model, source stays NULL.
 *
 * Thread rules: a parley_meeting is driven from one thread (start, note, stop, free);
 * parley_meeting_backlog_ms() may be called from any thread. Events are posted from the
 * meeting's own threads.
 */
#ifndef PARLEY_LIVE_H
#define PARLEY_LIVE_H

#include <parley/events.h>
#include <parley/parley.h>
#include <parley/remote.h>

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PARLEY_LIVE_BATTERY_SLOW = 0, PARLEY_LIVE_BATTERY_PAUSE = 1, PARLEY_LIVE_BATTERY_IGNORE = 2 };

struct parley_meeting_params {
    const char *title;           /* NULL = "Meeting <time>" (the store's default); copied */
    const char *mic_source;      /* capture source (parley_capture_list_sources); NULL = default mic */
    const char *system_source;   /* NULL = the default output's monitor */
    bool no_system;              /* record the microphone only */
    bool system_required;        /* fail to start when system audio cannot be captured (default false:
                                    a loud warning event, and the microphone is recorded alone) */
    const char *input_path;      /* replay this recording as the microphone instead of a device */
    double speed;                /* replay speed: 1 = real time, 0 = as fast as possible */
    const char *asr_model_path;  /* whisper model; required */
    const char *vad_model_path;  /* Silero VAD model; required */
    const char *language;        /* ISO 639-1, or NULL / "auto" */
    const char *vocabulary;      /* names and jargon, reach whisper as its initial prompt; may be NULL */
    int n_threads;               /* whisper threads; 0 = all cores, at most 8 */
    int max_utterance_ms;        /* an utterance is cut at this length; 0 = 15000 */
    int min_silence_ms;          /* a pause this long ends an utterance; 0 = 500 */
    const char *store_path;      /* database; NULL = the default */
    const char *data_dir;        /* where journals and recordings live; NULL = <data dir> */
    bool keep_audio;             /* keep the recording with the session (default true) */
    /* The assistant (assist.h): all optional. */
    const char *llm_model_path;  /* GGUF model for suggestions, questions and the summary; NULL = none */
    parley_remote *llm_remote;   /* or a team server for them (see above); the caller opened it and
                                    the network gate for it (parley_remote_allow) before any thread
                                    started. Borrowed: must outlive the meeting. NULL = none.
                                    llm_ctx, llm_template: unused with it */
    const char *llm_template;    /* chat template for a model without one; NULL = the model's */
    int llm_ctx;                 /* context tokens; 0 = 8192 */
    bool suggest;                /* automatic suggestions (needs llm_model_path or llm_remote) */
    double suggest_interval_s;   /* at least this long between suggestions; 0 = 30 */
    int on_battery;              /* suggestions on battery: PARLEY_LIVE_BATTERY_SLOW (a quarter as
                                    often, default), _PAUSE, or _IGNORE */
    bool summarize_at_stop;      /* stop also makes the summary from the warm cache (stored) */
    int summary_draft_tokens;    /* with summarize_at_stop and a local model: a draft summary is
                                    written in idle time whenever the transcript has grown by this
                                    many tokens, and the summary at stop writes only what came
                                    after the newest draft (assist.h draft_tokens); on battery the
                                    drafts follow on_battery like suggestions. 0 = none (the
                                    default: measured, they do not pay on a 2-core CPU at a
                                    4x replay, docs/benchmarks/live.md); e.g. 1500 */
    int summary_item_chars;      /* the summary's (and its drafts') item_chars and max_items */
    int summary_max_items;       /* (tasks.h); 0 = the defaults (200, 8) */
    bool full_window;            /* give whisper its full 30 s window for every utterance (slower);
                                    default false: the window is cut to the utterance (asr.h fit_window) */
    parley_bus *bus;             /* where events go; required; must outlive the meeting */
};
struct parley_meeting_params parley_meeting_default_params(void);

typedef struct parley_meeting parley_meeting;

/* Loads the models, creates the live session, opens the journals and the capture
 * streams and starts. Errors: the models' load errors, PARLEY_ERR_NO_DEVICE (the
 * microphone cannot be opened; or system audio with system_required), store errors. */
parley_status parley_meeting_start(const struct parley_meeting_params *params, parley_meeting **out);

/* The session's id in the store (known from start). */
int64_t parley_meeting_session_id(const parley_meeting *m);

/* Milliseconds on the session's timeline since start. */
int64_t parley_meeting_now_ms(const parley_meeting *m);

/* Stores a typed note at the current time (and posts a note event). */
parley_status parley_meeting_note(parley_meeting *m, const char *text);

/* Asks the assistant a question about the meeting so far (needs llm_model_path or
 * llm_remote). Returns
 * at once; the answer streams as token events with *job_id (may be NULL) and ends with
 * an answer event; it is stored as a chat turn. PARLEY_ERR_UNSUPPORTED without a model. */
parley_status parley_meeting_ask(parley_meeting *m, const char *question, int64_t *job_id);

/* A suggestion of what to say next, now, from the warm cache (also with automatic
 * suggestions off; needs llm_model_path or llm_remote): it comes as a suggestion event and
 * is stored. While one is being made, that one is the answer (never two in flight); the
 * automatic ones count their interval from here. PARLEY_ERR_UNSUPPORTED without a model,
 * PARLEY_ERR_INVALID_ARG before anything was said. */
parley_status parley_meeting_suggest(parley_meeting *m);

/* Audio captured but not yet transcribed, ms (any thread). */
int64_t parley_meeting_backlog_ms(const parley_meeting *m);

/* Whether every input ended by itself (a replayed file played to its end). */
bool parley_meeting_input_ended(const parley_meeting *m);

/* Stops capture, transcribes the backlog (cancel, may be NULL, abandons that: the
 * session is still finished and its journal kept in the recording), writes the
 * recording, marks the session finished and posts "stopped"; with summarize_at_stop the
 * summary is then made from the warm cache, stored, and posted as a progress event
 * (text "summary", detail = its Markdown). Idempotent. */
parley_status parley_meeting_stop(parley_meeting *m, const parley_cancel *cancel);

/* Frees (stopping first, without waiting for the backlog, when not stopped). NULL is a no-op. */
void parley_meeting_free(parley_meeting *m);

/* Finds sessions left live by a meeting that died (their lock is free), transcribes
 * their journals, stores the segments, writes the recording and finishes them as
 * recovered. Uses asr_model_path, vad_model_path, language, vocabulary, n_threads,
 * store_path, data_dir, keep_audio and bus (may be NULL) from params. *n_recovered (may
 * be NULL): how many. A session whose journal is gone is finished as interrupted. */
parley_status parley_meeting_recover(const struct parley_meeting_params *params, const parley_cancel *cancel,
                                     int *n_recovered);

/* A second pass: transcribes a finished meeting's recording again with params' asr_model_path
 * (a larger model than the live one, as a rule) and replaces its segments with the result,
 * in one transaction, recording that model as the session's; the live segments stay if
 * anything fails or cancel is set (PARLEY_ERR_CANCELLED). Uses vad_model_path, language,
 * vocabulary, n_threads, store_path and bus (progress events, text "repass", may be NULL).
 * PARLEY_ERR_NOT_FOUND when the session has no recording (kept audio is needed). */
parley_status parley_meeting_repass(const struct parley_meeting_params *params, int64_t session_id,
                                    const parley_cancel *cancel);

/* How many sessions are left live by a meeting that died (cheap: no models loaded). */
parley_status parley_meeting_count_interrupted(const char *store_path, const char *data_dir, int *n);

#ifdef __cplusplus
}
#endif
#endif
