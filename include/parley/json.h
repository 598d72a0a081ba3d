/*
 * json.h: JSON renderings of the library's types, shared by the `parley` command and the
 * HTTP server (server.h), so that a session, a model or a task result reads the same
 * wherever it comes from. docs/api.md shows every object.
 *
 * The renderings build yyjson values (yyjson is the JSON library Parley already uses):
 * each function makes a new value inside doc and returns it, NULL only when out of memory,
 * so a caller composes them:
 *
 *     yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
 *     yyjson_mut_val *root = yyjson_mut_obj(doc);
 *     yyjson_mut_doc_set_root(doc, root);
 *     yyjson_mut_obj_add_val(doc, root, "sessions", parley_json_session_rows(doc, rows, n));
 *     size_t len;
 *     char *text = parley_json_write(doc, &len);     // free() it
 *     yyjson_mut_doc_free(doc);
 *
 * Strings are copied into doc: the inputs may be freed as soon as a function returns.
 * Missing optional strings (NULL) become JSON null. Times are ISO 8601 UTC strings as the
 * store keeps them; segment times are integer milliseconds ("t0_ms", "t1_ms").
 *
 * Thread rules: pure functions of their inputs; a doc is used by one thread at a time.
 */
#ifndef PARLEY_JSON_H
#define PARLEY_JSON_H

#include <parley/capture.h>
#include <parley/catalog.h>
#include <parley/fetch.h>
#include <parley/fit.h>
#include <parley/hw.h>
#include <parley/parley.h>
#include <parley/settings.h>
#include <parley/store.h>
#include <parley/tasks.h>
#include <parley/transcript.h>

#include <stddef.h>
#include <stdint.h>

#include <yyjson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* {"id","title","created","duration","source","language","model","segments","status",
 * "ended","audio"}: one line of the session list. */
yyjson_mut_val *parley_json_session_row(yyjson_mut_doc *doc, const parley_session_row *row);
/* An array of session rows. */
yyjson_mut_val *parley_json_session_rows(yyjson_mut_doc *doc, const parley_session_row *rows, size_t n);

/* {"index","t0_ms","t1_ms","speaker","text","confidence"}; index is the segment's place in
 * its transcript (what segment edits address). confidence null when unknown. */
yyjson_mut_val *parley_json_segment(yyjson_mut_doc *doc, const parley_segment *seg, size_t index);

/* A whole session: the row fields plus "segments": [...]. */
yyjson_mut_val *parley_json_transcript(yyjson_mut_doc *doc, const parley_transcript *t);

/* {"id","session_id","kind","format","content","model","prompt_version","created","stats",
 * "meta"}: "content" is the parsed JSON for format "json" (the text when it does not parse),
 * else the text; "meta" parsed or null. */
yyjson_mut_val *parley_json_artifact(yyjson_mut_doc *doc, const parley_artifact *a);

/* {"id","role","content","model","created"} and an array of them. */
yyjson_mut_val *parley_json_chat_message(yyjson_mut_doc *doc, const parley_chat_message *m);
yyjson_mut_val *parley_json_chat(yyjson_mut_doc *doc, const parley_chat_message *msgs, size_t n);

/* The hardware as `parley hw --json` prints it: {"os","ram_total_bytes",...,"cpu":{},"gpus":[{..., "software",
 * "driver","known_bad","known_bad_reason"}]}. */
yyjson_mut_val *parley_json_hw(yyjson_mut_doc *doc, const parley_hw *hw);

/* One model (without fit): {"id","label","kind","source","arch","stars","archived","state",
 * "state_reason","path","size_bytes","n_layer","params_total","url","license"}. */
yyjson_mut_val *parley_json_model(yyjson_mut_doc *doc, const parley_model_info *m);
/* A fit: {"level":"great|tight|wont","label","slow","placement","n_gpu_layers","ram_bytes",
 * "vram_bytes","tokens_per_s","reason","memory":{...}}. */
yyjson_mut_val *parley_json_fit(yyjson_mut_doc *doc, const parley_fit *f);

/* The whole model picker, as `parley models --json` prints it: {"context_tokens",
 * "catalog":{origin,version}, "hardware":{...}, "models":[model+fit+"recommended"] sorted
 * by RAM needed, "recommended", "blocking_reason", "speech_models", "recommended_speech",
 * "speech_blocking_reason", "settings":{llm_model, speech_model, local_features:[...]}}.
 * NULL when out of memory. */
yyjson_mut_val *parley_json_model_picker(yyjson_mut_doc *doc, const parley_catalog *cat, const parley_hw *hw,
                                         const struct parley_fit_params *fp);

/* A task's result: {"session","task","model","artifact_id","content" (parsed JSON, when the
 * task makes JSON),"markdown" (summary, notes),"answer" (chat),"stats":{...},"chunks",
 * "transcript_tokens","meta"}. task is "summarize", "notes", "ask" or "suggest"; model
 * and question may be NULL. */
yyjson_mut_val *parley_json_task_result(yyjson_mut_doc *doc, const char *task, int64_t session_id,
                                        const char *model, const char *question,
                                        const struct parley_task_result *r);

/* A download's progress: {"phase":"downloading|verifying","done","total","rate","elapsed_s",
 * "eta_s" (null while unknown),"attempt"}. */
yyjson_mut_val *parley_json_fetch_progress(yyjson_mut_doc *doc, const parley_fetch_progress *p);

/* Capture sources as `parley devices --json` prints them: [{"name","description","kind"
 * ("input"|"monitor"),"is_monitor","default_mic","default_system","rate","channels"}]. */
yyjson_mut_val *parley_json_capture_sources(yyjson_mut_doc *doc, const parley_capture_source *src, size_t n);

/* App settings (settings.h), the shape the settings file has. */
yyjson_mut_val *parley_json_settings(yyjson_mut_doc *doc, const struct parley_settings *s);

/* An error: {"error": parley_strerror(st), "status": http_status, "code": st,
 * "detail": detail or ""}. */
yyjson_mut_val *parley_json_error(yyjson_mut_doc *doc, parley_status st, int http_status, const char *detail);

/* The document's root as compact JSON text (NUL-terminated, free() it), length in *len (may
 * be NULL). NULL when out of memory. */
char *parley_json_write(yyjson_mut_doc *doc, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
