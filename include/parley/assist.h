/*
 * assist.h: the meeting assistant during a live meeting. One object owns one LLM engine
 * through one thread (the owner thread) and an in-memory transcript that grows as final
 * segments arrive. The transcript stays in the engine's cached prefix and is extended with
 * only the new lines' tokens (nothing already cached is tokenized or evaluated again);
 * that prefill runs when the owner thread is idle, at a lower priority than any question.
 * A question, a suggestion, notes or the summary fork the cached prefix and pay only for
 * their own tokens; the end-of-meeting summary starts from the warm cache.
 *
 * Basic usage (the live pipeline)
 *
 *     parley_llm *llm;                              // parley_llm_load(); n_ctx e.g. 8192
 *     parley_assist *as;
 *     struct parley_assist_params ap = parley_assist_default_params();
 *     parley_assist_new(llm, &ap, &as);             // llm now belongs to the assistant
 *     ...
 *     parley_assist_append(as, &segment, 1);        // each final segment; returns at once
 *     ...
 *     struct parley_task_params tp = parley_task_default_params();
 *     tp.on_token = stream_to_ui;                   // called on the owner thread
 *     parley_assist_job *j;
 *     parley_assist_submit(as, PARLEY_ASSIST_ASK, "Who owns the budget?", &tp, &j);
 *     struct parley_task_result r;
 *     parley_assist_job_wait(j, &r);                // or poll parley_assist_job_done()
 *     ...
 *     parley_assist_submit(as, PARLEY_ASSIST_SUMMARY, NULL, &tp, &j);   // after stop
 *     parley_assist_free(as);                       // then parley_llm_free(llm)
 *
 * Priorities: questions (ASK) first, then summary/notes, then suggestions, then prefill of
 * new transcript lines. Jobs of one priority run in submission order. At most one
 * suggestion is queued or running at a time: a second submit gets PARLEY_ERR_INVALID_ARG
 * ("a suggestion is already in flight") and the caller simply tries again later (a
 * minimum interval, battery policy etc. are the caller's).
 *
 * Long meetings: when the transcript no longer fits the context (n_ctx less
 * reserve_tokens for a question and its answer), the assistant compacts at a stable
 * point: the earlier segments are summarised (the summary task, on the owner thread) and
 * the prompt becomes [rules][summary of the meeting up to HH:MM:SS][the transcript since
 * then, verbatim]. The cached prefix then stays valid until the next compaction, instead
 * of sliding (and being re-evaluated) on every new segment. Nothing is dropped silently:
 * parley_assist_status() says how many segments are covered by the summary (and the log
 * says when a compaction happens). The segments themselves are all kept
 * (parley_assist_transcript()) for storing and for a full map-reduce summary later.
 *
 * A team server (remote.h) instead of an engine: parley_assist_new(NULL, &ap, ...) with
 * ap.remote set. Every task then runs on that server (never on this device, never as a
 * fallback), each request carrying the transcript so far (and the summary of earlier
 * parts after a compaction): there is no prefix cache to keep warm, so the warm-cache
 * advantage (only new lines evaluated, the summary at stop from a warm cache) is local
 * only. Token counts are estimated (1 token per 4 bytes, as tasks.h budgets for a server)
 * against parley_remote_n_ctx(). Results carry the server's label in their meta
 * ("remote": {"server", "model"}).
 *
 * Thread rules: every function may be called from any thread (the object has its own
 * lock) except parley_assist_free(), which must not race with the others. Callbacks in
 * parley_task_params (on_token, on_event, on_progress) run on the owner thread; keep them
 * short. The engine passed to parley_assist_new() must not be used by anyone else until
 * parley_assist_free() returns. Cancel a job through its params' cancel flag.
 */
#ifndef PARLEY_ASSIST_H
#define PARLEY_ASSIST_H

#include <parley/llm.h>
#include <parley/parley.h>
#include <parley/tasks.h>
#include <parley/transcript.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_assist parley_assist;         /* the assistant: owner thread + transcript */
typedef struct parley_assist_job parley_assist_job; /* one submitted task */

struct parley_assist_params {
    int32_t reserve_tokens;  /* context kept free beside the transcript for a task's own
                                instructions (the rules), question and answer; 0 = 1024.
                                Compaction starts when the transcript (and the summary of
                                earlier parts) needs more than n_ctx - this */
    const char *language;    /* default output language for summary/notes/suggestions
                                (see parley_task_params.language); NULL = from the segments'
                                transcript language set with parley_assist_set_language().
                                Copied */
    bool no_prefill;         /* true: do not prefill in idle time (tests, benchmarks); no
                                drafts either (draft_tokens) */
    const char *vocabulary;  /* names and terms of the meeting (parley_task_params.vocabulary), in
                                every prompt, the cached prefix too; NULL = none. Copied */
    int32_t draft_tokens;    /* > 0: draft summaries in idle time, in a second context on
                                the same weights (parley_llm_sibling, about 3 x draft_tokens +
                                4096 tokens of cache) that holds the newest draft and the
                                transcript after it, read in idle time after the main prefix.
                                Whenever the transcript has grown by this many tokens since
                                the last draft began (and nothing is queued), the owner thread
                                writes a summary of the meeting so far from the draft before
                                and what came after it (parley_task_params.draft_rolling:
                                only what is new is written, until a list has grown past
                                twice max_items: then the lists are written anew, which
                                consolidates). The SUMMARY task then does the same in that
                                context: it reads only the newest lines and writes only what
                                they add, at the shallow depth of the draft and what followed,
                                so the summary at stop costs what is new, not the whole
                                meeting. A question, summary or notes submitted while a draft
                                is written cancel it (it is tried again when idle);
                                suggestions wait for it. Local engines only. 0 = no drafts */
    int32_t draft_item_chars; /* the drafts' item_chars and max_items (parley_task_params):  */
    int32_t draft_max_items;  /* give the SUMMARY task the same; 0 = the defaults */
    parley_remote *remote;   /* a team server that runs every task instead of an engine (llm
                                NULL); see above. Borrowed: it must outlive the assistant and
                                is used only by the owner thread. NULL = the engine */
};

struct parley_assist_params parley_assist_default_params(void);

/* Starts the owner thread. llm is borrowed (not freed by the assistant) but used only by
 * the owner thread from now on; NULL only with p->remote. */
parley_status parley_assist_new(parley_llm *llm, const struct parley_assist_params *p, parley_assist **out);

/* Stops the owner thread: the running job finishes (cancel it through its flag to hurry);
 * jobs still queued end with PARLEY_ERR_CANCELLED (waiting for them stays valid until
 * parley_assist_job_wait). NULL is a no-op. */
void parley_assist_free(parley_assist *as);

/* The meeting's language (ISO 639-1, e.g. from the ASR), used when params.language is
 * NULL. Copied. */
parley_status parley_assist_set_language(parley_assist *as, const char *lang);

/* Appends final segments, in time order (copied: text, speaker, times). Returns at once;
 * the owner thread prefills their tokens when it is idle. */
parley_status parley_assist_append(parley_assist *as, const parley_segment *segs, size_t n);

typedef enum parley_assist_kind {
    PARLEY_ASSIST_ASK = 1,      /* a question; earlier questions and answers are context */
    PARLEY_ASSIST_SUGGEST = 2,  /* 1-3 things to say next (JSON array in result.json) */
    PARLEY_ASSIST_SUMMARY = 3,  /* the structured summary */
    PARLEY_ASSIST_NOTES = 4,    /* detailed notes */
} parley_assist_kind;

/* Queues a task on the transcript as it is when the task starts. question: ASK only
 * (copied). tp may be NULL (defaults); it is copied, but its callbacks' user_data and
 * cancel flag must stay valid until the job is waited for. Nothing is stored in a
 * database: results come back in parley_task_result (artifact ids 0); the live pipeline
 * stores what it wants. */
parley_status parley_assist_submit(parley_assist *as, parley_assist_kind kind, const char *question,
                                   const struct parley_task_params *tp, parley_assist_job **out);

/* True when the job has finished (parley_assist_job_wait() will not block). */
bool parley_assist_job_done(const parley_assist_job *job);

/* Waits for the job, moves its result into *out (may be NULL), frees the job and
 * returns its status (parley_last_error() has the detail on this thread). */
parley_status parley_assist_job_wait(parley_assist_job *job, struct parley_task_result *out);

struct parley_assist_status {
    size_t n_segments;          /* segments appended so far */
    size_t prefilled_segments;  /* of those, in the cached prefix */
    size_t compacted_segments;  /* of those, covered by the summary of earlier parts */
    int compactions;            /* how often the transcript was compacted */
    int32_t cached_tokens;      /* the engine's cached prefix, in tokens (0 with a team server) */
    size_t queued_jobs;         /* tasks waiting (not counting the running one) */
    bool busy;                  /* the owner thread is running a task or a prefill */
    int drafts;                 /* draft summaries written (params.draft_tokens) */
    size_t draft_segments;      /* segments the newest draft covers; 0 = none */
    int64_t draft_until_ms;     /* the end of the last of them */
    bool drafting;              /* a draft is being written now */
    size_t draft_read_segments; /* segments after the newest draft (or from the start, before
                                   the first) read into the drafts' context */
    int32_t draft_cached_tokens; /* that context's cached prefix, in tokens */
};

void parley_assist_status(parley_assist *as, struct parley_assist_status *out);

/* Turns draft summaries on (tokens > 0: every that many new transcript tokens), changes
 * their interval, or turns them off (0; a draft being written is cancelled; the newest
 * one is kept). E.g. paused on battery. */
parley_status parley_assist_set_draft_tokens(parley_assist *as, int32_t tokens);
/* A copy of every segment appended so far (for storing the session). *out is filled
 * like a transcript from the store; free it with parley_transcript_free(). */
parley_status parley_assist_transcript(parley_assist *as, parley_transcript *out);

#ifdef __cplusplus
}
#endif
#endif
