/*
 * settings.h: the app's settings that the pages and live meetings read: automatic
 * suggestions, what to do on battery, vocabulary hints for speech recognition and the
 * language summaries and notes are written in. Kept as JSON at <config>/settings.json
 * (parley_dir_path), written atomically. The per-device model choice and which features
 * run locally are device settings (catalog.h), not these.
 *
 * Basic usage
 *
 *     struct parley_settings s;
 *     if (parley_settings_load(NULL, &s) != PARLEY_OK) fail();  // defaults when no file
 *     s.auto_suggestions = false;
 *     parley_settings_save(NULL, &s);
 *
 * A malformed file is PARLEY_ERR_FORMAT with the file and the parser's message; it is never
 * silently replaced. Unknown keys are ignored (a newer Parley may add some).
 *
 * Thread rules: plain data and stateless functions; two writers at once: the last atomic
 * write wins, never a half-written file.
 */
#ifndef PARLEY_SETTINGS_H
#define PARLEY_SETTINGS_H

#include <parley/parley.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum parley_battery_mode {
    PARLEY_BATTERY_NORMAL = 0, /* on battery, work as on mains power */
    PARLEY_BATTERY_SAVER = 1,  /* on battery: no automatic suggestions, fewer threads */
    PARLEY_BATTERY_PAUSE = 2,  /* on battery: transcribe only; summaries wait for mains */
} parley_battery_mode;

#define PARLEY_SETTINGS_VOCAB_MAX 2048 /* bytes of vocabulary hints, NUL included */

struct parley_settings {
    bool auto_suggestions;          /* the web app's live meetings (parley serve) suggest what to
                                       say on their own (default true); `parley live` asks with
                                       --suggest */
    parley_battery_mode battery;    /* default PARLEY_BATTERY_SAVER */
    char vocabulary[PARLEY_SETTINGS_VOCAB_MAX]; /* names and terms for speech recognition, one per
                                                   line ("" = none) */
    char output_language[16];       /* ISO 639-1 code summaries and notes are written in;
                                       "" = the meeting's own language */
};

/* The defaults (no file). */
struct parley_settings parley_settings_default(void);

/* Reads path (NULL = <config>/settings.json) into *out; no file = the defaults.
 * FORMAT (malformed JSON, a wrong type, an unknown battery mode, an over-long value),
 * IO/PERMISSION (unreadable). */
parley_status parley_settings_load(const char *path, struct parley_settings *out);

/* Checks s (valid battery mode, language code of 2-3 lowercase letters or "", vocabulary
 * NUL-terminated) and writes it atomically to path (NULL = <config>/settings.json),
 * creating the directory. INVALID_ARG names the bad field; nothing is written then. */
parley_status parley_settings_save(const char *path, const struct parley_settings *s);

/* Parses settings JSON (as the file holds, or a partial object: only the keys present
 * change *inout). FORMAT / INVALID_ARG as above; *inout unchanged on failure. */
parley_status parley_settings_apply_json(const char *json, size_t len, struct parley_settings *inout);

/* The vocabulary (one term a line) as one line, "a, b, c", for whisper's prompt and the LLM's
 * rules, into out (always terminated; "" when there is none). */
void parley_settings_vocabulary_line(const struct parley_settings *s, char *out, size_t out_size);

/* "normal", "saver", "pause"; and back (-1 when unknown). */
const char *parley_battery_mode_name(parley_battery_mode m);
int parley_battery_mode_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
