/*
 * tasks.h: meeting intelligence on top of the LLM engine (llm.h) and the store (store.h):
 * a structured summary, detailed notes, chat about a session, and suggestions of what to
 * say next. Every result is stored as an artifact (or chat message) with the model, the
 * prompt version, token counts and timings.
 *
 * Basic usage
 *
 *     parley_llm *llm;                        // loaded with parley_llm_load()
 *     parley_store *db;                       // opened with parley_store_open()
 *     struct parley_task_params tp = parley_task_default_params();
 *     tp.on_token = print_piece;              // stream the output as it is made
 *     tp.cancel = cancel;                     // parley_cancel_set() stops it; nothing stored
 *     struct parley_task_result r;
 *     if (parley_task_summarize(llm, db, session_id, &tp, &r) != PARLEY_OK)
 *         die(parley_last_error());
 *     puts(r.text);                           // Markdown; r.json is the JSON form
 *     parley_task_result_clear(&r);
 *
 *     parley_task_ask(llm, db, session_id, "Who owns the budget?", &tp, &r);  // chat
 *
 * Prompt layout (prefix reuse): every task formats [system: rules + transcript] first and
 * the task's request after it, and caches the formatted text up to the end of the
 * transcript with parley_llm_prefix_set(). A second task on the same session with the
 * same engine evaluates only the tokens after the transcript (r.stats.n_reused).
 *
 * Long meetings: when the transcript does not fit the context (n_ctx minus the answer's
 * max_tokens and the instructions), summary and notes work in chunks cut on segment
 * boundaries (map) and merge them (reduce); r.n_chunks > 1 and the artifact's meta JSON
 * say so ({"map_reduce":true,"chunks":N,"chunk_tokens":[...],...}). Suggestions use the
 * most recent segments that fit and say which (r.first_segment, meta "window"). Chat
 * needs the whole transcript in the context and fails with PARLEY_ERR_CONTEXT_OVERFLOW;
 * earlier chat turns that no longer fit are left out, oldest first (r.n_history_dropped).
 * Nothing is ever cut silently.
 *
 * Special tokens: only the chat template's markup is parsed as special tokens; a
 * "<|im_end|>" said in a meeting (or asked) stays text.
 *
 * Errors are the engine's and the store's, with their cause: PARLEY_ERR_NO_TEMPLATE (the
 * model has no chat template: load it with parley_llm_params.chat_template),
 * PARLEY_ERR_CONTEXT_OVERFLOW, PARLEY_ERR_CANCELLED (nothing stored), PARLEY_ERR_NOT_FOUND
 * (no such session), PARLEY_ERR_FORMAT (the output did not complete its JSON within
 * max_tokens), PARLEY_ERR_INVALID_ARG (a session without segments).
 *
 * Thread rules: one task at a time per parley_llm and per parley_store (they are not
 * shared between threads); on_token runs on the engine's worker thread; cancel may be set
 * from any thread or a signal handler.
 */
#ifndef PARLEY_TASKS_H
#define PARLEY_TASKS_H

#include <parley/llm.h>
#include <parley/parley.h>
#include <parley/remote.h>
#include <parley/store.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prompt versions stored with each artifact: a changed prompt gets a new number. */
#define PARLEY_PROMPT_SUMMARY "summary/3"
#define PARLEY_PROMPT_SUMMARY_MERGE "summary-merge/2"
#define PARLEY_PROMPT_SUMMARY_UPDATE "summary-update/1" /* from a draft (params.draft) */
#define PARLEY_PROMPT_SUMMARY_ROLLING "summary-rolling/1" /* from a draft and what came after it
                                                             (params.draft_rolling) */
#define PARLEY_PROMPT_NOTES "notes/3"
#define PARLEY_PROMPT_CHAT "chat/3"
#define PARLEY_PROMPT_SUGGEST "suggest/3"

/* What a task reports while it runs, besides the streamed text. */
typedef enum parley_task_event {
    PARLEY_TASK_EVENT_CHUNK = 1,  /* map-reduce: starting part `index` (1-based) of `count` */
    PARLEY_TASK_EVENT_MERGE = 2,  /* map-reduce: merging `count` partial results */
} parley_task_event;

typedef void (*parley_task_event_fn)(parley_task_event ev, int index, int count, void *user_data);

struct parley_task_params {
    int32_t max_tokens;      /* most tokens of one answer (each chunk's, for map-reduce);
                                0 = the task's default (summary: its grammar's bound, at most
                                1024; notes 1024; chat 512; suggestions: the grammar's bound) */
    int32_t item_chars;      /* summary and suggestions: the most characters of one item
                                (key point, decision, suggestion...); the title may have as
                                many, the overview four times as many; 0 = 200 */
    int32_t max_items;       /* summary: the most entries in each list; 0 = 8 */
    int32_t chunk_tokens;    /* map-reduce: transcript tokens per chunk; 0 = as many as fit
                                the context (n_ctx - max_tokens - instructions). A value that
                                does not fit is reduced to what fits */
    float temperature;       /* 0 (default) = greedy, reproducible */
    uint32_t seed;           /* sampling seed when temperature > 0 */
    parley_llm_token_fn on_token;   /* the visible output as it is generated; NULL = none.
                                       For map-reduce only the final (merged) answer streams.
                                       Returning false cancels the task (PARLEY_ERR_CANCELLED,
                                       nothing stored): a partial answer is not a result */
    parley_task_event_fn on_event;  /* chunk/merge progress; NULL = none */
    parley_llm_progress_fn on_progress; /* reading the transcript: tokens evaluated of those
                                       that need it, after each batch, on the worker thread
                                       ("Reading the transcript 43 %"); false cancels */
    void *user_data;                /* passed to all three */
    const parley_cancel *cancel;      /* NULL = cannot be cancelled */
    const char *language;    /* summary, notes, suggestions: the language to write in, as an
                                ISO 639-1 code ("de") or a name ("German"); NULL = the
                                session's detected language (transcript.language), "auto" or
                                no known language = the model's choice (usually the
                                transcript's). Borrowed */
    bool no_history;         /* chat: leave the earlier questions and answers out */
    const char *vocabulary;  /* names and terms of this meeting, spelled as they should be
                                (the vocabulary setting, `live --vocabulary`): put in the rules
                                so that the model writes them so. NULL = none. Borrowed */
    const char *earlier;     /* a summary of the meeting before the transcript's first segment
                                (live compaction, assist.h): put in the system message before
                                the transcript, so the model knows what came earlier. NULL =
                                none. Borrowed */
    const char *draft;       /* summary: a summary JSON written earlier (as this task makes it)
                                of the transcript's first draft_segments segments, e.g. the
                                live assistant's draft in idle time. The model then writes the
                                title and overview anew for the whole transcript, but only the
                                list entries the newer segments add (at most 1 + max_items x
                                their share of the transcript, per list); the lists are the
                                draft's followed by the new entries (exact repeats left out).
                                So the writing is bounded by what is new. Not used (a whole
                                summary is written, meta "draft" says why) when the newer part
                                is over half the transcript, when the transcript needs
                                map-reduce, or when the draft does not parse. No newer
                                segments: the draft is the summary, nothing is generated.
                                NULL = none. Borrowed */
    size_t draft_segments;   /* the segments the draft covers (the transcript's first ones) */
    bool draft_rolling;      /* summary: the transcript given is only what was said after the
                                draft (draft_segments is then ignored): the draft stands in the
                                system message for the meeting up to draft_until_ms, so the
                                prompt holds the draft and the newer segments only, and the
                                model writes at the depth of those (the live assistant's second
                                context, assist.h). As with draft: title and overview anew, the
                                lists the draft's plus what the newer segments add (at most
                                1 + max_items x their share of the meeting's time); over half
                                the time, or draft_rewrite: every list written anew from the
                                draft and the newer segments. Prefill (parley_task_prefill)
                                with the same params caches the same system message */
    bool draft_rewrite;      /* draft_rolling: write the lists anew (they have grown long) */
    int64_t draft_until_ms;  /* draft_rolling: where the draft ends on the meeting's timeline */
    parley_remote *remote;   /* NULL = local; else every generation goes to this server (never a
                                fallback): llm may be NULL, token budgets are estimated (1 token
                                per 4 bytes) against the server's context (parley_remote_n_ctx),
                                and the artifact's model is "remote:NAME/MODEL" with meta
                                "remote": {"server","model"} (docs/remote.md). Borrowed */
};

struct parley_task_params parley_task_default_params(void);

struct parley_task_result {
    char *text;              /* for people: summary Markdown, notes Markdown, the answer, or
                                the suggestions one per line. malloc'd */
    char *json;              /* summary: its JSON object; suggestions: a JSON array of
                                strings; NULL for notes and chat */
    char *meta;              /* the meta JSON stored with the artifact */
    int64_t artifact_id;     /* the stored artifact (summary: the JSON one; chat: the answer's
                                chat message id) */
    int64_t artifact_id_md;  /* summary: the Markdown artifact; else 0 */
    int n_chunks;            /* 1, or the parts of a map-reduce */
    size_t first_segment;    /* suggestions: index of the first segment used (0 = all) */
    size_t n_segments;       /* segments in the session */
    int32_t transcript_tokens; /* tokens of the whole rendered transcript */
    bool truncated;          /* notes, chat: the answer reached max_tokens and was cut off; it is
                                stored marked so (notes: a visible note and meta "truncated";
                                chat: the message's truncated flag, shown by the exports) */
    size_t n_history_dropped; /* chat: the oldest earlier messages left out because they did not
                                fit the context (0 = all of the history was used) */
    struct parley_llm_stats stats; /* summed over every generation of the task */
};

void parley_task_result_clear(struct parley_task_result *r);

/* Structured summary: {"title","overview","key_points":[],"decisions":[],
 * "action_items":[{"owner","task","due"}],"open_questions":[]} through a GBNF grammar,
 * stored twice (kind "summary", formats "json" and "markdown"). */
parley_status parley_task_summarize(parley_llm *llm, parley_store *db, int64_t session_id,
                                    const struct parley_task_params *p, struct parley_task_result *out);

/* Detailed notes in Markdown by topic, each point citing [HH:MM:SS]; kind "notes". */
parley_status parley_task_notes(parley_llm *llm, parley_store *db, int64_t session_id,
                                const struct parley_task_params *p, struct parley_task_result *out);

/* Answers a question from the transcript (citing segment times), with the session's
 * earlier chat turns as context (the oldest left out when they do not fit); stores the
 * question and the answer in one transaction (parley_store_chat_add_turn). */
parley_status parley_task_ask(parley_llm *llm, parley_store *db, int64_t session_id, const char *question,
                              const struct parley_task_params *p, struct parley_task_result *out);

/* 1 to 3 short things the user could say or ask next, as a JSON array of strings
 * (grammar-constrained); kind "suggestions", format "json". */
parley_status parley_task_suggest(parley_llm *llm, parley_store *db, int64_t session_id,
                                  const struct parley_task_params *p, struct parley_task_result *out);

/* The same tasks on an in-memory transcript (a live meeting, an edited transcript): the
 * same prompts and the same cached prefix (so the summary at the end of a live meeting
 * starts from the warm cache), but nothing is stored (artifact ids are 0). t is borrowed
 * for the call; t->language steers the output language like a stored session's. Chat
 * takes its earlier turns from history (borrowed; roles "user"/"assistant", oldest first). */
parley_status parley_task_summarize_transcript(parley_llm *llm, const parley_transcript *t,
                                               const struct parley_task_params *p, struct parley_task_result *out);
parley_status parley_task_notes_transcript(parley_llm *llm, const parley_transcript *t,
                                           const struct parley_task_params *p, struct parley_task_result *out);
parley_status parley_task_ask_transcript(parley_llm *llm, const parley_transcript *t,
                                         const parley_llm_message *history, size_t n_history, const char *question,
                                         const struct parley_task_params *p, struct parley_task_result *out);
parley_status parley_task_suggest_transcript(parley_llm *llm, const parley_transcript *t,
                                             const struct parley_task_params *p, struct parley_task_result *out);

/* Evaluates t into the engine's cached prefix exactly as the tasks above will use it (the
 * system message: rules, p->earlier, the transcript), generating nothing; later tasks on
 * the same transcript, or on one with more segments appended, evaluate only what is new.
 * stats (may be NULL): what was evaluated now. p may be NULL. */
parley_status parley_task_prefill(parley_llm *llm, const parley_transcript *t, const struct parley_task_params *p,
                                  struct parley_llm_stats *stats);

/* Renders a transcript for a prompt: "[HH:MM:SS] text" (or "[HH:MM:SS] Speaker: text")
 * per segment, segments [from, to). *out malloc'd. */
parley_status parley_task_render_transcript(const parley_transcript *t, size_t from, size_t to, char **out);

/* Renders a summary's JSON (as parley_task_summarize makes it) as Markdown. *out malloc'd.
 * PARLEY_ERR_FORMAT when json is not such an object. */
parley_status parley_task_summary_markdown(const char *json, char **out);

/* Resolves an LLM given as a path or an id: a spec containing '/' or naming an existing
 * file is a path; otherwise <id>.gguf (or the name itself) is looked up in the models
 * directory and in each directory of $PARLEY_MODEL_PATH. spec NULL: the only .gguf in the
 * models directory (more than one: PARLEY_ERR_INVALID_ARG asking to choose).
 * PARLEY_ERR_NOT_FOUND names where it looked. */
parley_status parley_llm_model_find(const char *spec, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
