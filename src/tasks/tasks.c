/* tasks.c: summary, notes, chat and suggestions from a stored session through the LLM
 * engine. Prompts put [system: rules + transcript] first so that the formatted text up to
 * the end of the transcript is a stable prefix the engine keeps cached; transcripts that
 * do not fit the context are worked through in chunks (map-reduce), never cut. */
#include <parley/tasks.h>

#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yyjson.h>

/* ---- prompts (their versions are in tasks.h; change one, bump its number) ---------- */

static const char rules[] =
    "You are Parley, a meeting assistant. You work only from the meeting transcript below. "
    "Each line is one segment: the time it was said as [HH:MM:SS], then the words (after the "
    "speaker's name when known). Use only what the transcript says: never invent names, "
    "numbers, dates, decisions or tasks. When the transcript does not say something, say so. "
    "When you refer to something said, cite the segment's time as [HH:MM:SS]. Lines from "
    "\"" PARLEY_NOTE_SPEAKER "\" are notes the user typed during the meeting, not speech: they say what the "
    "user found important, so give those points their due.";

static const char summary_request[] =
    "Summarise this meeting as one JSON object with these fields: \"title\" (a short title), "
    "\"overview\" (two or three sentences), \"key_points\" (the main points), \"decisions\" "
    "(what was decided), \"action_items\" (each with \"owner\": who will do it, or null when "
    "not said; \"task\": what; \"due\": the deadline as said, or null), \"open_questions\" "
    "(questions left unanswered). Leave a list empty when the transcript has none. Write the "
    "JSON only.";

static const char merge_rules[] =
    "You are Parley, a meeting assistant. Below are JSON summaries of consecutive parts of "
    "one meeting, in order. Use only what they say: never invent anything. Merge them into "
    "one summary of the whole meeting: combine repeated points, keep every decision, action "
    "item and open question (drop a question that a later part answers).";

static const char notes_request[] =
    "Write detailed notes of this meeting in Markdown, organised by topic: one \"### \" "
    "heading per topic, in the order discussed, with bullet points under it. End every bullet "
    "with the time of the segment it comes from, as [HH:MM:SS]. Use only what the transcript "
    "says.";

static const char suggest_request[] =
    "Suggest one to three short things the user could say or ask next in this meeting, to "
    "move it forward or to clarify something left open. Write a JSON array of strings only.";

/* ---- small helpers ------------------------------------------------------------------ */

static void fmt_hms(int64_t ms, char out[32])
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    snprintf(out, 32, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
             (long long)(s % 60));
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void stats_add(struct parley_llm_stats *sum, const struct parley_llm_stats *s)
{
    sum->n_prompt += s->n_prompt;
    sum->n_reused += s->n_reused;
    sum->n_evaluated += s->n_evaluated;
    sum->n_generated += s->n_generated;
    sum->n_resampled += s->n_resampled;
    sum->n_state_loaded += s->n_state_loaded;
    sum->prompt_ms += s->prompt_ms;
    sum->gen_ms += s->gen_ms;
    sum->prompt_tps = sum->prompt_ms > 0 ? sum->n_evaluated * 1000.0 / sum->prompt_ms : 0;
    sum->gen_tps = sum->gen_ms > 0 ? sum->n_generated * 1000.0 / sum->gen_ms : 0;
}

struct parley_task_params parley_task_default_params(void)
{
    struct parley_task_params p;
    memset(&p, 0, sizeof p);
    return p;
}

void parley_task_result_clear(struct parley_task_result *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->json);
    free(r->meta);
    memset(r, 0, sizeof *r);
}

static int item_chars(const struct parley_task_params *p) { return p->item_chars > 0 ? p->item_chars : 200; }
static int max_items(const struct parley_task_params *p) { return p->max_items > 0 ? p->max_items : 8; }

parley_status parley_task_render_transcript(const parley_transcript *t, size_t from, size_t to, char **out)
{
    if (!t || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_render_transcript: NULL argument");
    *out = NULL;
    if (to > t->n_segments)
        to = t->n_segments;
    parley_buf b = {0};
    b.max = 32u << 20;
    parley_status st = parley_buf_append(&b, "", 0);
    for (size_t i = from; i < to && !st; i++) {
        const parley_segment *s = &t->segments[i];
        char ts[32];
        fmt_hms(s->t0_ms, ts);
        if (s->speaker && *s->speaker)
            st = parley_buf_printf(&b, "[%s] %s: %s\n", ts, s->speaker, s->text ? s->text : "");
        else
            st = parley_buf_printf(&b, "[%s] %s\n", ts, s->text ? s->text : "");
    }
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

/* ---- grammars ----------------------------------------------------------------------- */

/* Strings are bounded and whitespace is fixed, so the output's length has a known upper
 * bound in characters (each generated token adds at least one): with max_tokens at that
 * bound the JSON always completes. A string item is one character other than '"', '\\'
 * and the control characters JSON forbids, or a two-character escape (\" \\ \/ \b \f \n
 * \r \t), so '<' and '"' can be said; \uXXXX is left out to keep the bound tight. Think
 * blocks cannot cut the JSON: under a grammar the engine filters nothing out. */
static const char gbnf_char[] = "c ::= [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" [\"\\\\/bfnrt]\n";

static parley_status summary_grammar(int n, int k, parley_buf *g, int32_t *bound)
{
    parley_status st = parley_buf_printf(
        g,
        "root ::= \"{\\\"title\\\":\" s \",\\\"overview\\\":\" o \",\\\"key_points\\\":\" l "
        "\",\\\"decisions\\\":\" l \",\\\"action_items\\\":\" al \",\\\"open_questions\\\":\" l \"}\"\n"
        "s ::= \"\\\"\" c{1,%d} \"\\\"\"\n"
        "o ::= \"\\\"\" c{1,%d} \"\\\"\"\n"
        "a ::= \"{\\\"owner\\\":\" (s | \"null\") \",\\\"task\\\":\" s \",\\\"due\\\":\" (s | \"null\") \"}\"\n"
        "%s",
        n, 4 * n, gbnf_char);
    if (!st && k > 1)
        st = parley_buf_printf(g, "l ::= \"[\" (s (\",\" s){0,%d})? \"]\"\nal ::= \"[\" (a (\",\" a){0,%d})? \"]\"\n",
                               k - 1, k - 1);
    else if (!st)
        st = parley_buf_printf(g, "l ::= \"[\" s? \"]\"\nal ::= \"[\" a? \"]\"\n");
    /* Characters: the keys and punctuation, plus every string at its longest. */
    int32_t s = 2 * n + 2, keys = (int32_t)strlen("{\"title\":,\"overview\":,\"key_points\":,\"decisions\":,"
                                              "\"action_items\":,\"open_questions\":}");
    int32_t item = (int32_t)strlen("{\"owner\":,\"task\":,\"due\":}") + 3 * s;
    *bound = keys + s + (8 * n + 2) + 3 * (2 + k * (s + 1)) + 2 + k * (item + 1);
    return st;
}

static int suggest_chars(const struct parley_task_params *p) { return item_chars(p) < 160 ? item_chars(p) : 160; }

static parley_status suggest_grammar(int n, parley_buf *g, int32_t *bound)
{
    *bound = 2 + 3 * (2 * n + 3);
    return parley_buf_printf(g, "root ::= \"[\" s (\",\" s){0,2} \"]\"\ns ::= \"\\\"\" c{1,%d} \"\\\"\"\n%s", n,
                             gbnf_char);
}

/* The same shapes as JSON Schemas, for a team server (llama-server turns a schema into its
 * own grammar; vLLM takes no GBNF). Lengths in characters, as in the grammars. */
static parley_status summary_schema(int n, int k, parley_buf *b)
{
    char str[160], list[400];
    snprintf(str, sizeof str, "{\"type\":\"string\",\"minLength\":1,\"maxLength\":%d}", n);
    snprintf(list, sizeof list, "{\"type\":\"array\",\"items\":%s,\"maxItems\":%d}", str, k);
    return parley_buf_printf(
        b,
        "{\"type\":\"object\",\"properties\":{\"title\":%s,"
        "\"overview\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":%d},"
        "\"key_points\":%s,\"decisions\":%s,"
        "\"action_items\":{\"type\":\"array\",\"maxItems\":%d,\"items\":{\"type\":\"object\",\"properties\":{"
        "\"owner\":{\"anyOf\":[%s,{\"type\":\"null\"}]},\"task\":%s,\"due\":{\"anyOf\":[%s,{\"type\":\"null\"}]}},"
        "\"required\":[\"owner\",\"task\",\"due\"],\"additionalProperties\":false}},"
        "\"open_questions\":%s},"
        "\"required\":[\"title\",\"overview\",\"key_points\",\"decisions\",\"action_items\",\"open_questions\"],"
        "\"additionalProperties\":false}",
        str, 4 * n, list, list, k, str, str, str, list);
}

static parley_status suggest_schema(int n, parley_buf *b)
{
    return parley_buf_printf(b, "{\"type\":\"array\",\"minItems\":1,\"maxItems\":3,\"items\":"
                                "{\"type\":\"string\",\"minLength\":1,\"maxLength\":%d}}", n);
}

/* ---- one generation with the cached prefix ------------------------------------------ */

/* Replaces invalid UTF-8 (a model with byte tokens can emit a lone 0x80..0xFF, which a
 * grammar's code-point classes let through) with U+FFFD, so that the JSON parses and the
 * store holds valid text. Returns a new string (the old one is freed) or NULL. */
static char *utf8_clean(char *s)
{
    size_t n = strlen(s), bad = 0, i = 0;
    unsigned char *u = (unsigned char *)s;
    /* length of the valid sequence at p, or 0 */
#define SEQ_LEN(p, left)                                                                                       \
    ((p)[0] < 0x80 ? 1                                                                                         \
     : ((p)[0] >= 0xC2 && (p)[0] <= 0xDF && (left) >= 2 && ((p)[1] & 0xC0) == 0x80) ? 2                        \
     : ((p)[0] >= 0xE0 && (p)[0] <= 0xEF && (left) >= 3 && ((p)[1] & 0xC0) == 0x80 &&                          \
        ((p)[2] & 0xC0) == 0x80 && !((p)[0] == 0xE0 && (p)[1] < 0xA0) && !((p)[0] == 0xED && (p)[1] > 0x9F))   \
         ? 3                                                                                                   \
     : ((p)[0] >= 0xF0 && (p)[0] <= 0xF4 && (left) >= 4 && ((p)[1] & 0xC0) == 0x80 &&                          \
        ((p)[2] & 0xC0) == 0x80 && ((p)[3] & 0xC0) == 0x80 && !((p)[0] == 0xF0 && (p)[1] < 0x90) &&            \
        !((p)[0] == 0xF4 && (p)[1] > 0x8F))                                                                    \
         ? 4                                                                                                   \
         : 0)
    while (i < n) {
        size_t k = SEQ_LEN(u + i, n - i);
        if (!k) {
            bad++;
            k = 1;
        }
        i += k;
    }
    if (!bad)
        return s;
    char *o = malloc(n + 2 * bad + 1);
    if (!o) {
        free(s);
        return NULL;
    }
    size_t w = 0;
    for (i = 0; i < n;) {
        size_t k = SEQ_LEN(u + i, n - i);
        if (!k) {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i++;
        } else {
            memcpy(o + w, s + i, k);
            w += k;
            i += k;
        }
    }
#undef SEQ_LEN
    o[w] = '\0';
    free(s);
    return o;
}

typedef struct gen_in {
    const char *system;          /* the system message (rules + transcript) */
    const char *prefix_end;      /* non-NULL: keep the system message cached as the prefix */
    const parley_llm_message *turns; /* messages after the system message */
    size_t n_turns;
    const char *grammar;         /* NULL = free text */
    int32_t max_tokens;
    bool stream;                 /* pass on_token through */
    const char *schema;          /* remote: the same shape as a JSON Schema (NULL = send the
                                    grammar) */
} gen_in;

typedef struct gen_out {
    char *text;
    parley_llm_finish finish;
    struct parley_llm_stats stats; /* reused = what was cached before this call */
    bool prefix_cached;
    char remote_model[128];      /* remote: the model the server reported ("" = not said) */
} gen_out;

static parley_status build_messages(const char *system, const parley_llm_message *turns, size_t n_turns,
                                    parley_llm_message **out)
{
    parley_llm_message *m = calloc(n_turns + 1, sizeof *m);
    if (!m)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    m[0].role = "system";
    m[0].content = system;
    for (size_t i = 0; i < n_turns; i++)
        m[i + 1] = turns[i];
    *out = m;
    return PARLEY_OK;
}

/* A remote server's tokenizer is not here: its token counts are estimated at one token
 * per 4 bytes of UTF-8 (rounded up), plus a few for each message's chat-template markup. */
#define REMOTE_BYTES_PER_TOKEN 4
#define REMOTE_TOKENS_PER_MESSAGE 8

static int32_t estimate_tokens(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    size_t t = (n + REMOTE_BYTES_PER_TOKEN - 1) / REMOTE_BYTES_PER_TOKEN;
    return t > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)t;
}

/* One text's tokens: the engine's tokenizer, or the estimate for a remote server. */
static parley_status count_tokens(parley_llm *llm, const struct parley_task_params *p, const char *text, int32_t *n)
{
    if (p && p->remote) {
        *n = estimate_tokens(text);
        return PARLEY_OK;
    }
    return parley_llm_count_tokens(llm, text, n);
}

/* Counts the prompt's tokens exactly as the engine will evaluate them (for budgets); for
 * a remote server, the estimate. */
static parley_status prompt_tokens(parley_llm *llm, const struct parley_task_params *p, const char *system,
                                   const parley_llm_message *turns, size_t n_turns, int32_t *n)
{
    if (p && p->remote) {
        int64_t sum = estimate_tokens(system) + REMOTE_TOKENS_PER_MESSAGE;
        for (size_t i = 0; i < n_turns; i++)
            sum += estimate_tokens(turns[i].content) + REMOTE_TOKENS_PER_MESSAGE;
        *n = sum > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)sum;
        return PARLEY_OK;
    }
    parley_llm_message *m = NULL;
    parley_status st = build_messages(system, turns, n_turns, &m);
    if (!st)
        st = parley_llm_count_chat_tokens(llm, m, n_turns + 1, n, NULL);
    free(m);
    return st;
}

/* One generation on the team server the caller named: the same messages, the output's
 * shape (a JSON Schema, else the grammar), streamed through on_token. Never retried, and never
 * run locally instead: the error names the server (remote.h). */
static parley_status generate_remote(const struct parley_task_params *p, const parley_llm_message *m, size_t n_m,
                                     const gen_in *in, gen_out *out)
{
    struct parley_remote_request rq = parley_remote_default_request();
    rq.messages = m;
    rq.n_messages = n_m;
    rq.max_tokens = in->max_tokens;
    rq.temperature = p->temperature;
    rq.seed = p->seed;
    /* Structured output as a JSON Schema (response_format): llama-server and vLLM both
     * take it; llama-server's own "grammar" field is the fallback for shapes without one. */
    if (in->schema)
        rq.json_schema = in->schema;
    else
        rq.grammar = in->grammar;
    rq.on_token = in->stream ? p->on_token : NULL;
    rq.user_data = p->user_data;
    rq.cancel = p->cancel;
    struct parley_remote_result res;
    parley_status st = parley_remote_chat(p->remote, &rq, &res);
    out->stats.n_prompt = res.n_prompt;
    out->stats.n_evaluated = res.n_prompt;
    out->stats.n_generated = res.n_generated;
    out->stats.gen_ms = res.ms;
    out->stats.gen_tps = res.ms > 0 ? res.n_generated * 1000.0 / res.ms : 0;
    snprintf(out->remote_model, sizeof out->remote_model, "%s", res.model);
    if (!st) {
        out->finish = strcmp(res.finish, "length") == 0 ? PARLEY_LLM_FINISH_LENGTH : PARLEY_LLM_FINISH_EOG;
        out->text = utf8_clean(res.text);
        res.text = NULL;
        if (!out->text)
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_remote_result_clear(&res);
    return st;
}

static parley_status generate(parley_llm *llm, const struct parley_task_params *p, const gen_in *in, gen_out *out)
{
    memset(out, 0, sizeof *out);
    parley_llm_message *m = NULL;
    struct parley_llm_result res;
    memset(&res, 0, sizeof res);
    parley_status st = build_messages(in->system, in->turns, in->n_turns, &m);
    if (st)
        goto out;
    if (p->remote) { /* no local engine, no local prefix cache */
        st = generate_remote(p, m, in->n_turns + 1, in, out);
        goto out;
    }
    /* The system message (rules + transcript) is the cached prefix: a second task on the
     * same transcript evaluates only what follows it, and the engine extends it when the
     * transcript grows. */
    struct parley_llm_request rq = parley_llm_default_request();
    rq.messages = m;
    rq.n_messages = in->n_turns + 1;
    rq.cache_prefix = in->prefix_end != NULL;
    rq.max_tokens = in->max_tokens;
    rq.temperature = p->temperature;
    rq.seed = p->seed;
    rq.grammar = in->grammar;
    rq.on_token = in->stream ? p->on_token : NULL;
    rq.on_progress = p->on_progress;
    rq.user_data = p->user_data;
    rq.cancel = p->cancel;
    st = parley_llm_generate(llm, &rq, &res);
    out->stats = res.stats;
    out->prefix_cached = rq.cache_prefix;
    if (st)
        goto out;
    if (res.finish == PARLEY_LLM_FINISH_STOPPED) {
        /* on_token asked to stop: a partial answer is not a result, so it is a cancel. */
        st = parley_fail(PARLEY_ERR_CANCELLED, "stopped by the on_token callback");
        goto out;
    }
    out->finish = res.finish;
    out->text = utf8_clean(res.text);
    res.text = NULL;
    if (!out->text)
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
out:
    parley_llm_result_clear(&res);
    free(m);
    return st;
}

/* ---- session, budgets, chunks -------------------------------------------------------- */

typedef struct ctx {
    parley_llm *llm;
    parley_store *db;
    const struct parley_task_params *p;
    parley_transcript t;  /* owned when loaded from the store; a borrowed shallow copy otherwise */
    bool owns_t;
    char *transcript;     /* rendered, whole */
    int32_t transcript_tokens;
    uint32_t n_ctx;
    const char *model;    /* file name, or "remote:NAME/MODEL" (model_buf) */
    char model_buf[256];
    char language[64];    /* what to write in: a language name, "" = as the transcript */
    bool truncated;       /* an answer was cut off at max_tokens */
    char *req;            /* the task's request with the language added */
    size_t n_notes; /* typed notes put into t as PARLEY_NOTE_SPEAKER lines */
} ctx;

/* ISO 639-1 codes to the names a model understands best. */
static const char *language_name(const char *code)
{
    static const char *const names[][2] = {
        {"en", "English"},   {"de", "German"},     {"fr", "French"},   {"es", "Spanish"},   {"it", "Italian"},
        {"pt", "Portuguese"}, {"nl", "Dutch"},     {"pl", "Polish"},   {"ru", "Russian"},   {"uk", "Ukrainian"},
        {"cs", "Czech"},     {"sv", "Swedish"},    {"da", "Danish"},   {"no", "Norwegian"}, {"nb", "Norwegian"},
        {"fi", "Finnish"},   {"tr", "Turkish"},    {"el", "Greek"},    {"hu", "Hungarian"}, {"ro", "Romanian"},
        {"ja", "Japanese"},  {"zh", "Chinese"},    {"ko", "Korean"},   {"ar", "Arabic"},    {"he", "Hebrew"},
        {"hi", "Hindi"},     {"id", "Indonesian"}, {"vi", "Vietnamese"}, {"th", "Thai"},   {"ca", "Catalan"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(code, names[i][0]) == 0)
            return names[i][1];
    return NULL;
}

/* The language to write in: the caller's choice, else the session's detected language. */
static void pick_language(ctx *c, const struct parley_task_params *p)
{
    const char *l = p->language && *p->language ? p->language : c->t.language;
    c->language[0] = '\0';
    if (!l || !*l || strcasecmp(l, "auto") == 0)
        return;
    const char *name = language_name(l);
    snprintf(c->language, sizeof c->language, "%s", name ? name : l);
}

/* request + " Write in <language>." when a language is known. *out malloc'd. */
static parley_status with_language(const ctx *c, const char *request, char **out)
{
    parley_buf b = {0};
    parley_status st = c->language[0]
                           ? parley_buf_printf(&b, "%s Write it in %s (the JSON keys, if any, stay as given).",
                                               request, c->language)
                           : parley_buf_printf(&b, "%s", request);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

static parley_status ctx_prepare(ctx *c, parley_llm *llm, const struct parley_task_params *p)
{
    if (c->t.n_segments == 0)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "session %lld has no transcript segments (nothing was said)",
                           (long long)c->t.id);
    parley_status st = parley_task_render_transcript(&c->t, 0, c->t.n_segments, &c->transcript);
    if (!st)
        st = count_tokens(llm, p, c->transcript, &c->transcript_tokens);
    if (p->remote) {
        c->n_ctx = parley_remote_n_ctx(p->remote);
        snprintf(c->model_buf, sizeof c->model_buf, "remote:%s/%s", parley_remote_name(p->remote),
                 parley_remote_model(p->remote));
        c->model = c->model_buf;
    } else {
        const struct parley_llm_info *info = parley_llm_info(llm);
        c->n_ctx = info->n_ctx;
        c->model = base_name(info->path);
    }
    pick_language(c, p);
    return st;
}

/* The notes typed during a meeting steer what is written: each becomes a transcript line
 * of PARLEY_NOTE_SPEAKER at its time (after speech that starts at the same moment). */
static parley_status add_typed_notes(parley_store *db, int64_t id, parley_transcript *t, size_t *n_added)
{
    parley_user_note *notes = NULL;
    size_t n = 0;
    parley_status st = parley_store_user_notes_list(db, id, &notes, &n);
    if (st || n == 0) {
        parley_user_notes_free(notes, n);
        return st;
    }
    size_t n_speech = t->n_segments;
    for (size_t i = 0; i < n && !st; i++)
        st = parley_transcript_add(t, notes[i].t_ms, notes[i].t_ms, notes[i].text, PARLEY_NOTE_SPEAKER, -1.0f);
    parley_user_notes_free(notes, n);
    if (st)
        return st;
    *n_added = n;
    /* Merge the two time-ordered runs (speech, then notes) into one. */
    parley_segment *m = malloc(t->n_segments * sizeof *m);
    if (!m)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    size_t a = 0, b = n_speech, k = 0;
    while (a < n_speech || b < t->n_segments) {
        if (b == t->n_segments || (a < n_speech && t->segments[a].t0_ms <= t->segments[b].t0_ms))
            m[k++] = t->segments[a++];
        else
            m[k++] = t->segments[b++];
    }
    memcpy(t->segments, m, t->n_segments * sizeof *m);
    free(m);
    return PARLEY_OK;
}

static parley_status ctx_open(ctx *c, parley_llm *llm, parley_store *db, int64_t id, const struct parley_task_params *p)
{
    memset(c, 0, sizeof *c);
    c->llm = llm;
    c->db = db;
    c->p = p;
    parley_status st = parley_store_get_session(db, id, &c->t);
    if (st)
        return st;
    c->owns_t = true;
    if ((st = add_typed_notes(db, id, &c->t, &c->n_notes)))
        return st;
    return ctx_prepare(c, llm, p);
}

/* An in-memory transcript (a live meeting): borrowed, nothing is stored. */
static parley_status ctx_open_mem(ctx *c, parley_llm *llm, const parley_transcript *t,
                                  const struct parley_task_params *p)
{
    memset(c, 0, sizeof *c);
    c->llm = llm;
    c->p = p;
    c->t = *t;
    c->owns_t = false;
    return ctx_prepare(c, llm, p);
}

/* After a remote generation: the artifact is labelled with the model the server reported. */
static void remote_seen(ctx *c, const gen_out *go)
{
    if (c->p && c->p->remote && go->remote_model[0])
        snprintf(c->model_buf, sizeof c->model_buf, "remote:%s/%s", parley_remote_name(c->p->remote),
                 go->remote_model);
}

static void ctx_close(ctx *c)
{
    if (c->owns_t)
        parley_transcript_free(&c->t);
    free(c->transcript);
    c->transcript = NULL;
    free(c->req);
    c->req = NULL;
}

static parley_status system_text(const char *head, const char *label, const char *transcript, char **out)
{
    parley_buf b = {0};
    b.max = 40u << 20;
    parley_status st = parley_buf_printf(&b, "%s\n\n%s:\n%s", head, label, transcript);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

/* The system message of a task on the whole (or recent) transcript: rules, the summary of
 * earlier parts when the transcript was compacted (live), then the transcript. */
static parley_status main_system(const ctx *c, const char *label, const char *transcript, char **out)
{
    const char *earlier = c->p ? c->p->earlier : NULL;
    const char *vocab = c->p ? c->p->vocabulary : NULL;
    parley_buf b = {0};
    b.max = 40u << 20;
    parley_status st = parley_buf_append(&b, rules, strlen(rules));
    if (!st && vocab && *vocab) /* the speech recogniser may have heard them differently */
        st = parley_buf_printf(&b, " Names and terms of this meeting, spelled as they should be: %s.", vocab);
    if (!st && earlier && *earlier)
        st = parley_buf_printf(&b, "\n\nSummary of the earlier part of the meeting (before the transcript below):\n%s",
                               earlier);
    if (!st && c->p && c->p->draft_rolling && c->p->draft) {
        char when[32];
        fmt_hms(c->p->draft_until_ms, when);
        st = parley_buf_printf(&b,
                               "\n\nSummary (JSON) of the meeting up to [%s], written while it went on; the "
                               "transcript below is what was said after it:\n%s",
                               when, c->p->draft);
    }
    if (!st)
        st = parley_buf_printf(&b, "\n\n%s:\n%s", label, transcript);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

typedef struct chunk {
    size_t from, to;       /* segments [from, to) */
    int32_t tokens;        /* transcript tokens in it */
} chunk;

/* Transcript tokens available to one prompt: the context less the answer and the
 * instructions around the transcript (measured with an empty transcript). */
static parley_status budget(ctx *c, const char *request, int32_t max_tokens, int32_t *out, int32_t *instructions)
{
    char *sys = NULL;
    int32_t n = 0;
    parley_llm_message u = {"user", request};
    parley_status st = main_system(c, "Transcript (part 99 of 99, 00:00:00 to 00:00:00)", "", &sys);
    if (!st)
        st = prompt_tokens(c->llm, c->p, sys, &u, 1, &n);
    free(sys);
    if (st)
        return st;
    if (instructions)
        *instructions = n;
    /* A small margin (a chunk's label differs in length from the one measured). */
    *out = (int32_t)c->n_ctx - max_tokens - n - 8;
    if (*out <= 0)
        return parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                           "the context (%u tokens) has no room for a transcript: the instructions take %d "
                           "and the answer up to %d; use a larger context (--ctx)",
                           c->n_ctx, n, max_tokens);
    return PARLEY_OK;
}

/* Cuts the segments into chunks of at most limit tokens, on segment boundaries. */
static parley_status make_chunks(ctx *c, int32_t limit, chunk **out, size_t *n_out)
{
    size_t cap = 8, n = 0;
    chunk *ch = calloc(cap, sizeof *ch);
    if (!ch)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    parley_status st = PARLEY_OK;
    chunk cur = {0, 0, 0};
    for (size_t i = 0; i < c->t.n_segments; i++) {
        char *line = NULL;
        int32_t k = 0;
        st = parley_task_render_transcript(&c->t, i, i + 1, &line);
        if (!st)
            st = count_tokens(c->llm, c->p, line, &k);
        free(line);
        if (st)
            break;
        if (k > limit) {
            char ts[32];
            fmt_hms(c->t.segments[i].t0_ms, ts);
            st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                             "the segment at [%s] alone is %d tokens, more than a chunk can hold (%d); use a "
                             "larger context (--ctx)",
                             ts, k, limit);
            break;
        }
        if (cur.to > cur.from && cur.tokens + k > limit) {
            if (n == cap) {
                chunk *g = realloc(ch, 2 * cap * sizeof *ch);
                if (!g) {
                    st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
                    break;
                }
                ch = g;
                cap *= 2;
            }
            ch[n++] = cur;
            cur.from = i;
            cur.tokens = 0;
        }
        cur.to = i + 1;
        cur.tokens += k;
    }
    if (!st && cur.to > cur.from) {
        if (n == cap) {
            chunk *g = realloc(ch, (cap + 1) * sizeof *ch);
            if (!g)
                st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            else
                ch = g;
        }
        if (!st)
            ch[n++] = cur;
    }
    if (st) {
        free(ch);
        return st;
    }
    *out = ch;
    *n_out = n;
    return PARLEY_OK;
}

static parley_status chunk_system(ctx *c, const chunk *k, int i, int n, char **out)
{
    char *tr = NULL, label[128], a[32], b[32];
    fmt_hms(c->t.segments[k->from].t0_ms, a);
    fmt_hms(c->t.segments[k->to - 1].t1_ms, b);
    snprintf(label, sizeof label, "Transcript (part %d of %d, %s to %s)", i, n, a, b);
    parley_status st = parley_task_render_transcript(&c->t, k->from, k->to, &tr);
    if (!st)
        st = main_system(c, label, tr, out);
    free(tr);
    return st;
}

/* The meta JSON: how the transcript was used. */
static char *make_meta(ctx *c, const chunk *ch, size_t n_chunks, int merge_rounds, const char *extra_key,
                       size_t extra_from)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return NULL;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_bool(doc, o, "map_reduce", n_chunks > 1);
    yyjson_mut_obj_add_int(doc, o, "chunks", (int64_t)(n_chunks ? n_chunks : 1));
    yyjson_mut_obj_add_int(doc, o, "transcript_tokens", c->transcript_tokens);
    yyjson_mut_obj_add_int(doc, o, "n_ctx", c->n_ctx);
    yyjson_mut_obj_add_int(doc, o, "segments", (int64_t)(c->t.n_segments - c->n_notes));
    yyjson_mut_obj_add_int(doc, o, "typed_notes", (int64_t)c->n_notes);
    yyjson_mut_obj_add_bool(doc, o, "truncated", c->truncated);
    if (c->language[0])
        yyjson_mut_obj_add_strcpy(doc, o, "language", c->language);
    if (n_chunks > 1) {
        yyjson_mut_val *toks = yyjson_mut_obj_add_arr(doc, o, "chunk_tokens");
        yyjson_mut_val *segs = yyjson_mut_obj_add_arr(doc, o, "chunk_segments");
        for (size_t i = 0; i < n_chunks; i++) {
            yyjson_mut_arr_add_int(doc, toks, ch[i].tokens);
            yyjson_mut_val *r = yyjson_mut_arr_add_arr(doc, segs);
            yyjson_mut_arr_add_int(doc, r, (int64_t)ch[i].from);
            yyjson_mut_arr_add_int(doc, r, (int64_t)ch[i].to);
        }
        yyjson_mut_obj_add_int(doc, o, "merge_rounds", merge_rounds);
        if (merge_rounds > 0)
            yyjson_mut_obj_add_str(doc, o, "merge_prompt", PARLEY_PROMPT_SUMMARY_MERGE);
    }
    if (extra_key) {
        yyjson_mut_val *w = yyjson_mut_obj_add_obj(doc, o, extra_key);
        yyjson_mut_obj_add_int(doc, w, "first_segment", (int64_t)extra_from);
        yyjson_mut_obj_add_int(doc, w, "from_ms", c->t.segments[extra_from].t0_ms);
        yyjson_mut_obj_add_bool(doc, w, "whole_transcript", extra_from == 0);
    }
    char *s = yyjson_mut_write(doc, 0, NULL);
    yyjson_mut_doc_free(doc);
    if (s && c->p && c->p->remote) {
        /* Made by a team server: its name and model go with the artifact (remote.h). */
        struct parley_remote_result lab;
        memset(&lab, 0, sizeof lab);
        snprintf(lab.server, sizeof lab.server, "%s", parley_remote_name(c->p->remote));
        const char *slash = strchr(c->model, '/');
        snprintf(lab.model, sizeof lab.model, "%s", slash ? slash + 1 : "");
        char *labelled = parley_remote_meta_label(s, &lab);
        free(s);
        s = labelled;
    }
    return s;
}

static parley_status store_artifact(ctx *c, const char *kind, const char *format, const char *content,
                                    const char *version, const struct parley_llm_stats *s, const char *meta,
                                    int64_t *id)
{
    if (!c->db) { /* an in-memory transcript: the caller keeps the result */
        *id = 0;
        return PARLEY_OK;
    }
    parley_artifact a;
    memset(&a, 0, sizeof a);
    a.session_id = c->t.id;
    a.kind = (char *)kind;
    a.format = (char *)format;
    a.content = (char *)content;
    a.model = (char *)c->model;
    a.prompt_version = (char *)version;
    a.prompt_tokens = s->n_evaluated;
    a.reused_tokens = s->n_reused;
    a.output_tokens = s->n_generated;
    a.prompt_ms = s->prompt_ms;
    a.gen_ms = s->gen_ms;
    a.meta = (char *)meta;
    return parley_store_add_artifact(c->db, &a, id);
}

/* ---- summary ------------------------------------------------------------------------- */

static const char *const list_fields[] = {"key_points", "decisions", "open_questions"};

/* The summary JSON as the grammar makes it, checked field by field. */
static parley_status check_summary(const char *text, parley_llm_finish finish, int32_t max_tokens)
{
    yyjson_doc *d = yyjson_read(text, strlen(text), 0);
    yyjson_val *r = d ? yyjson_doc_get_root(d) : NULL;
    bool ok = r && yyjson_is_obj(r) && yyjson_is_str(yyjson_obj_get(r, "title")) &&
              yyjson_is_str(yyjson_obj_get(r, "overview")) && yyjson_is_arr(yyjson_obj_get(r, "action_items"));
    for (size_t i = 0; ok && i < 3; i++)
        ok = yyjson_is_arr(yyjson_obj_get(r, list_fields[i]));
    yyjson_doc_free(d);
    if (ok)
        return PARLEY_OK;
    if (finish == PARLEY_LLM_FINISH_LENGTH)
        return parley_fail(PARLEY_ERR_FORMAT,
                           "the summary reached max_tokens (%d) before its JSON was complete; raise max_tokens "
                           "or lower item_chars/max_items",
                           max_tokens);
    return parley_fail(PARLEY_ERR_FORMAT, "the model's summary is not the expected JSON: %.2000s", text);
}

static parley_status md_list(parley_buf *b, yyjson_val *r, const char *key, const char *heading)
{
    yyjson_val *arr = yyjson_obj_get(r, key);
    parley_status st = parley_buf_printf(b, "\n### %s\n\n", heading);
    if (!st && yyjson_arr_size(arr) == 0)
        st = parley_buf_printf(b, "_None in the transcript._\n");
    size_t i, n;
    yyjson_val *v;
    yyjson_arr_foreach(arr, i, n, v)
    {
        if (!st && yyjson_is_str(v))
            st = parley_buf_printf(b, "- %s\n", yyjson_get_str(v));
    }
    return st;
}

parley_status parley_task_summary_markdown(const char *json, char **out)
{
    if (!json || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_summary_markdown: NULL argument");
    *out = NULL;
    yyjson_doc *d = yyjson_read(json, strlen(json), 0);
    yyjson_val *r = d ? yyjson_doc_get_root(d) : NULL;
    if (!r || !yyjson_is_obj(r) || !yyjson_is_str(yyjson_obj_get(r, "title")) ||
        !yyjson_is_str(yyjson_obj_get(r, "overview"))) {
        yyjson_doc_free(d);
        return parley_fail(PARLEY_ERR_FORMAT, "not a summary object (title, overview, ...)");
    }
    parley_buf b = {0};
    parley_status st = parley_buf_printf(&b, "**%s**\n\n%s\n", yyjson_get_str(yyjson_obj_get(r, "title")),
                                         yyjson_get_str(yyjson_obj_get(r, "overview")));
    if (!st)
        st = md_list(&b, r, "key_points", "Key points");
    if (!st)
        st = md_list(&b, r, "decisions", "Decisions");
    if (!st)
        st = parley_buf_printf(&b, "\n### Action items\n\n");
    yyjson_val *ai = yyjson_obj_get(r, "action_items");
    if (!st && yyjson_arr_size(ai) == 0)
        st = parley_buf_printf(&b, "_None in the transcript._\n");
    size_t i, n;
    yyjson_val *v;
    yyjson_arr_foreach(ai, i, n, v)
    {
        const char *owner = yyjson_get_str(yyjson_obj_get(v, "owner"));
        const char *task = yyjson_get_str(yyjson_obj_get(v, "task"));
        const char *due = yyjson_get_str(yyjson_obj_get(v, "due"));
        if (!st)
            st = parley_buf_printf(&b, "- [ ] **%s**: %s%s%s%s\n", owner ? owner : "unassigned", task ? task : "",
                                   due ? " (due: " : "", due ? due : "", due ? ")" : "");
    }
    if (!st)
        st = md_list(&b, r, "open_questions", "Open questions");
    yyjson_doc_free(d);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    return PARLEY_OK;
}

static void emit(const struct parley_task_params *p, parley_task_event ev, int i, int n)
{
    if (p->on_event)
        p->on_event(ev, i, n, p->user_data);
}

/* Merges partial summaries until one is left; each round packs as many as fit. */
static parley_status merge_parts(ctx *c, char **parts, size_t n, const char *grammar, const char *schema,
                                 int32_t max_tokens,
                                 struct parley_llm_stats *sum, int *rounds, char **final)
{
    parley_status st = PARLEY_OK;
    parley_llm_message u = {"user", c->req};
    while (n > 1 && !st) {
        (*rounds)++;
        emit(c->p, PARLEY_TASK_EVENT_MERGE, *rounds, (int)n);
        size_t out_n = 0, i = 0;
        while (i < n && !st) {
            /* Take parts i..j-1 while the prompt fits. */
            size_t j = i;
            parley_buf body = {0};
            st = parley_buf_append(&body, "", 0);
            while (j < n && !st) {
                size_t mark = body.len;
                st = parley_buf_printf(&body, "Part %zu:\n%s\n\n", j + 1, parts[j]);
                char *sys = NULL;
                int32_t tok = 0;
                if (!st)
                    st = system_text(merge_rules, "Summaries of the parts", body.data, &sys);
                if (!st)
                    st = prompt_tokens(c->llm, c->p, sys, &u, 1, &tok);
                free(sys);
                if (st)
                    break;
                if (tok + max_tokens > (int32_t)c->n_ctx) {
                    body.len = mark;
                    body.data[mark] = '\0';
                    break;
                }
                j++;
            }
            if (!st && j == i)
                st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                                 "a partial summary does not fit the context (%u tokens) for merging; use a "
                                 "larger context (--ctx)",
                                 c->n_ctx);
            char *sys = NULL;
            if (!st)
                st = system_text(merge_rules, "Summaries of the parts", body.data, &sys);
            parley_buf_free(&body);
            gen_out g;
            memset(&g, 0, sizeof g);
            if (!st) {
                bool last = i == 0 && j == n; /* the final merge streams */
                gen_in in = {sys, NULL, &u, 1, grammar, max_tokens, last, schema};
                st = generate(c->llm, c->p, &in, &g);
                if (!st)
                    remote_seen(c, &g);
                if (!st)
                    stats_add(sum, &g.stats);
                if (!st)
                    st = check_summary(g.text, g.finish, max_tokens);
            }
            free(sys);
            if (st) {
                free(g.text);
                break;
            }
            for (size_t k = i; k < j; k++) {
                free(parts[k]);
                parts[k] = NULL;
            }
            parts[out_n++] = g.text;
            i = j;
        }
        for (size_t k = out_n; k < n; k++) {
            free(parts[k]);
            parts[k] = NULL;
        }
        if (!st && out_n == n)
            st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                             "no two partial summaries fit the context (%u tokens) together for merging; use a "
                             "larger context (--ctx) or smaller summaries",
                             c->n_ctx);
        n = out_n;
    }
    if (!st) {
        *final = parts[0];
        parts[0] = NULL;
    }
    return st;
}

/* ---- the summary from a draft (live) -------------------------------------------------- */

static const char update_request[] =
    "Earlier in this meeting you summarised the transcript up to [%s]. The lists of that "
    "summary were (JSON):\n%s\n\nThe meeting has gone on since then. Write the summary as one "
    "JSON object with the same fields as before: \"title\" (a short title) and \"overview\" (two "
    "or three sentences) for the whole meeting as it now stands; \"key_points\", \"decisions\", "
    "\"action_items\" (each with \"owner\", \"task\" and \"due\") and \"open_questions\" with only "
    "what was said after [%s] and is not in the lists above. Leave a list empty when that part "
    "adds nothing to it. Write the JSON only.";

static const char rolling_request[] =
    "The summary above covers the meeting up to [%s]; the transcript below it is what was said "
    "after. Write the summary as one JSON object with the same fields: \"title\" (a short title) "
    "and \"overview\" (two or three sentences) for the whole meeting as it now stands; "
    "\"key_points\", \"decisions\", \"action_items\" (each with \"owner\", \"task\" and \"due\") "
    "and \"open_questions\" with only what the transcript adds to the summary's lists. Leave a "
    "list empty when it adds nothing. Write the JSON only.";

typedef struct draft_use {
    bool given, used;
    bool rolling;        /* params.draft_rolling: the transcript is only what came after it */
    bool bad;            /* it does not parse as a summary */
    const char *why;     /* not used: the reason */
    size_t covers;       /* segments the draft covers */
    int64_t until_ms;    /* the end of the last of them */
    double share;        /* the newer segments' share of the transcript, in characters */
    int new_items;       /* most new entries per list */
    yyjson_doc *doc;     /* the parsed draft */
} draft_use;

static const char *const all_lists[] = {"key_points", "decisions", "action_items", "open_questions"};

/* Whether the draft can be used, and how many new entries a list may get. */
static void draft_decide(ctx *c, draft_use *d)
{
    memset(d, 0, sizeof *d);
    const struct parley_task_params *p = c->p;
    if (!p || !p->draft)
        return;
    d->given = true;
    d->rolling = p->draft_rolling;
    d->covers = d->rolling ? 0 : p->draft_segments;
    if (!d->rolling && (d->covers == 0 || d->covers > c->t.n_segments)) {
        d->why = "it covers none of the transcript's segments, or more than there are";
        return;
    }
    d->until_ms = d->rolling ? p->draft_until_ms : c->t.segments[d->covers - 1].t1_ms;
    d->doc = yyjson_read(p->draft, strlen(p->draft), 0);
    if (!d->doc || check_summary(p->draft, PARLEY_LLM_FINISH_STOPPED, 0) != PARLEY_OK) {
        d->why = "it is not a summary JSON object";
        d->bad = true;
        return;
    }
    if (d->rolling) {
        /* Only the newer segments are here: their share of the meeting's time. */
        int64_t end = c->t.segments[c->t.n_segments - 1].t1_ms;
        d->share = end > 0 && end > d->until_ms ? (double)(end - d->until_ms) / (double)end : 0.0;
        if (p->draft_rewrite) {
            d->why = "its lists had grown long: written anew from it and what came after it";
            return;
        }
        if (d->share > 0.5) {
            d->why = "what came after it is over half of the meeting's time";
            return;
        }
    } else {
        char *tail = NULL;
        if (parley_task_render_transcript(&c->t, d->covers, c->t.n_segments, &tail) != PARLEY_OK) {
            d->why = "out of memory";
            return;
        }
        size_t all = c->transcript ? strlen(c->transcript) : 0;
        d->share = all ? (double)strlen(tail) / (double)all : 1.0;
        free(tail);
        if (d->share > 0.5) {
            d->why = "the segments after it are over half of the transcript";
            return;
        }
    }
    int k = max_items(p);
    double want = k * d->share;
    int n = 1 + (int)want + ((double)(int)want < want); /* 1 + ceil */
    d->new_items = n < k ? n : k;
    d->used = true;
}

/* The draft's four lists as one JSON object (what the model is told is already noted). */
static char *draft_lists(const draft_use *d)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return NULL;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_val *r = yyjson_doc_get_root(d->doc);
    for (size_t i = 0; i < 4; i++)
        yyjson_mut_obj_add_val(doc, o, all_lists[i], yyjson_val_mut_copy(doc, yyjson_obj_get(r, all_lists[i])));
    char *s = yyjson_mut_write(doc, 0, NULL);
    yyjson_mut_doc_free(doc);
    return s;
}

/* An entry's text for spotting repeats: a string, or an action item's task. */
static const char *entry_text(yyjson_val *v)
{
    return yyjson_is_str(v) ? yyjson_get_str(v) : yyjson_get_str(yyjson_obj_get(v, "task"));
}

static bool list_has(yyjson_mut_val *arr, const char *text)
{
    size_t i, n;
    yyjson_mut_val *v;
    yyjson_mut_arr_foreach(arr, i, n, v)
    {
        const char *t = yyjson_mut_is_str(v) ? yyjson_mut_get_str(v)
                                             : yyjson_mut_get_str(yyjson_mut_obj_get(v, "task"));
        if (t && text && strcasecmp(t, text) == 0)
            return true;
    }
    return false;
}

/* The summary: the update's title and overview, each list the draft's entries followed by
 * the update's new ones (repeats left out). upd NULL: the draft as it is. */
static char *draft_merge(const draft_use *d, const char *upd)
{
    yyjson_doc *u = upd ? yyjson_read(upd, strlen(upd), 0) : NULL;
    if (upd && !u)
        return NULL;
    yyjson_val *dr = yyjson_doc_get_root(d->doc), *ur = u ? yyjson_doc_get_root(u) : dr;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    char *s = NULL;
    if (doc) {
        yyjson_mut_val *o = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, o);
        yyjson_mut_obj_add_val(doc, o, "title", yyjson_val_mut_copy(doc, yyjson_obj_get(ur, "title")));
        yyjson_mut_obj_add_val(doc, o, "overview", yyjson_val_mut_copy(doc, yyjson_obj_get(ur, "overview")));
        for (size_t i = 0; i < 4; i++) {
            yyjson_mut_val *arr = yyjson_val_mut_copy(doc, yyjson_obj_get(dr, all_lists[i]));
            if (u) {
                size_t j, n;
                yyjson_val *v;
                yyjson_arr_foreach(yyjson_obj_get(ur, all_lists[i]), j, n, v)
                {
                    if (!list_has(arr, entry_text(v)))
                        yyjson_mut_arr_append(arr, yyjson_val_mut_copy(doc, v));
                }
            }
            yyjson_mut_obj_add_val(doc, o, all_lists[i], arr);
        }
        s = yyjson_mut_write(doc, 0, NULL);
        yyjson_mut_doc_free(doc);
    }
    yyjson_doc_free(u);
    return s;
}

/* Adds "draft": {...} to a meta JSON: what the draft covered and whether it was used. */
static char *meta_with_draft(char *meta, const draft_use *d)
{
    if (!meta || !d->given)
        return meta;
    yyjson_doc *in = yyjson_read(meta, strlen(meta), 0);
    yyjson_mut_doc *doc = in ? yyjson_doc_mut_copy(in, NULL) : NULL;
    yyjson_doc_free(in);
    yyjson_mut_val *o = doc ? yyjson_mut_doc_get_root(doc) : NULL;
    char *s = NULL;
    if (o && yyjson_mut_is_obj(o)) {
        yyjson_mut_val *w = yyjson_mut_obj_add_obj(doc, o, "draft");
        yyjson_mut_obj_add_bool(doc, w, "used", d->used);
        if (d->rolling) /* the transcript given is what came after the draft */
            yyjson_mut_obj_add_bool(doc, w, "rolling", true);
        else
            yyjson_mut_obj_add_int(doc, w, "segments", (int64_t)d->covers);
        yyjson_mut_obj_add_int(doc, w, "until_ms", d->until_ms);
        if (d->used) {
            yyjson_mut_obj_add_real(doc, w, "new_share", d->share);
            yyjson_mut_obj_add_int(doc, w, "new_items_max", d->new_items);
            yyjson_mut_obj_add_str(doc, w, "prompt",
                                   d->rolling ? PARLEY_PROMPT_SUMMARY_ROLLING : PARLEY_PROMPT_SUMMARY_UPDATE);
        } else {
            yyjson_mut_obj_add_str(doc, w, "why_not", d->why ? d->why : "");
        }
        s = yyjson_mut_write(doc, 0, NULL);
    }
    yyjson_mut_doc_free(doc);
    if (!s)
        return meta; /* the meta without it: better than none */
    free(meta);
    return s;
}

/* The summary from the draft: the update written on the cached transcript prefix (the
 * live cache), then merged. Nothing new since the draft: the draft itself. */
static parley_status summarize_from_draft(ctx *c, const draft_use *d, const char *sys, gen_out *go_out, char **json)
{
    const struct parley_task_params *p = c->p;
    memset(go_out, 0, sizeof *go_out);
    if (!d->rolling && d->covers == c->t.n_segments) {
        *json = draft_merge(d, NULL);
        return *json ? PARLEY_OK : parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    parley_buf g = {0}, schema = {0}, rq = {0};
    char *lists = d->rolling ? parley_strdup("") : draft_lists(d), *req = NULL;
    int32_t bound = 0;
    char when[32];
    fmt_hms(d->until_ms, when);
    parley_status st = lists ? PARLEY_OK : parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    if (!st)
        st = summary_grammar(item_chars(p), d->new_items, &g, &bound);
    if (!st && p->remote)
        st = summary_schema(item_chars(p), d->new_items, &schema);
    if (!st && d->rolling)
        st = parley_buf_printf(&rq, rolling_request, when);
    else if (!st)
        st = parley_buf_printf(&rq, update_request, when, lists, when);
    if (!st)
        st = with_language(c, rq.data, &req);
    if (!st) {
        int32_t max_tokens = p->max_tokens > 0 ? p->max_tokens : (bound < 1024 ? bound : 1024);
        parley_llm_message u = {"user", req};
        gen_in in = {sys, c->transcript, &u, 1, g.data, max_tokens, true, schema.data};
        st = generate(c->llm, p, &in, go_out);
        if (!st)
            st = check_summary(go_out->text, go_out->finish, max_tokens);
        if (!st && !(*json = draft_merge(d, go_out->text)))
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    free(lists);
    free(req);
    parley_buf_free(&g);
    parley_buf_free(&schema);
    parley_buf_free(&rq);
    return st;
}

static parley_status task_summarize(parley_llm *llm, parley_store *db, int64_t session_id, const parley_transcript *mem,
                                    const struct parley_task_params *p_in, struct parley_task_result *out)
{
    if ((!llm && !(p_in && p_in->remote)) || (!db && !mem) || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_summarize: NULL argument");
    memset(out, 0, sizeof *out);
    struct parley_task_params dp = parley_task_default_params();
    const struct parley_task_params *p = p_in ? p_in : &dp;
    ctx c;
    parley_buf g = {0}, schema = {0};
    chunk *ch = NULL;
    size_t n_ch = 0;
    char **parts = NULL, *sys = NULL, *json = NULL, *md = NULL, *meta = NULL;
    int rounds = 0;
    int32_t bound = 0;
    draft_use dr;
    memset(&dr, 0, sizeof dr);
    parley_status st = mem ? ctx_open_mem(&c, llm, mem, p) : ctx_open(&c, llm, db, session_id, p);
    if (!st)
        st = summary_grammar(item_chars(p), max_items(p), &g, &bound);
    if (!st && p->remote)
        st = summary_schema(item_chars(p), max_items(p), &schema);
    if (!st)
        st = with_language(&c, summary_request, &c.req);
    if (st)
        goto out;
    int32_t max_tokens = p->max_tokens > 0 ? p->max_tokens : (bound < 1024 ? bound : 1024);
    parley_llm_message u = {"user", c.req};
    int32_t limit = 0;
    st = budget(&c, c.req, max_tokens, &limit, NULL);
    if (st)
        goto out;
    if (p->chunk_tokens > 0 && p->chunk_tokens < limit)
        limit = p->chunk_tokens;
    out->transcript_tokens = c.transcript_tokens;
    out->n_segments = c.t.n_segments;

    if (c.transcript_tokens <= limit) {
        st = main_system(&c, "Transcript", c.transcript, &sys);
        gen_out go;
        draft_decide(&c, &dr);
        if (!st && dr.rolling && dr.bad)
            st = parley_fail(PARLEY_ERR_INVALID_ARG, "the draft the transcript continues is not a summary JSON "
                                                     "object: the meeting up to it would be left out");
        if (!st && dr.used) {
            st = summarize_from_draft(&c, &dr, sys, &go, &json);
            if (!st && go.text)
                remote_seen(&c, &go);
            stats_add(&out->stats, &go.stats);
            free(go.text);
            if (st == PARLEY_ERR_FORMAT && !(p->cancel && parley_cancel_is_set(p->cancel))) {
                /* The update did not complete its JSON within max_tokens: the whole summary
                 * instead, on the same engine, and the meta says so. */
                parley_log(PARLEY_LOG_WARN, "summary: the update of the draft failed (%s); writing the whole summary",
                           parley_last_error());
                dr.used = false;
                dr.why = "the update of it did not complete its JSON within max_tokens";
                free(json);
                json = NULL;
                st = PARLEY_OK;
            }
        }
        if (!st && !dr.used) {
            gen_in in = {sys, c.transcript, &u, 1, g.data, max_tokens, true, schema.data};
            st = generate(llm, p, &in, &go);
            if (!st) {
                remote_seen(&c, &go);
                stats_add(&out->stats, &go.stats);
                st = check_summary(go.text, go.finish, max_tokens);
                json = go.text;
            }
        }
        n_ch = 1;
    } else {
        if (p->draft_rolling && p->draft) {
            /* The draft stands for the meeting's start: parts summarised apart would lose it. */
            st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                             "the transcript after the draft (%d tokens) does not fit the context (%u tokens) "
                             "beside the draft",
                             c.transcript_tokens, c.n_ctx);
            goto out;
        }
        draft_decide(&c, &dr);
        if (dr.given && dr.used) {
            dr.used = false;
            dr.why = "the transcript does not fit the context at once (map-reduce)";
        }
        st = make_chunks(&c, limit, &ch, &n_ch);
        if (st)
            goto out;
        parts = calloc(n_ch, sizeof *parts);
        if (!parts) {
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n_ch && !st; i++) {
            emit(p, PARLEY_TASK_EVENT_CHUNK, (int)i + 1, (int)n_ch);
            free(sys);
            sys = NULL;
            st = chunk_system(&c, &ch[i], (int)i + 1, (int)n_ch, &sys);
            gen_out go;
            if (!st) {
                gen_in in = {sys, NULL, &u, 1, g.data, max_tokens, false, schema.data};
                st = generate(llm, p, &in, &go);
            }
            if (!st) {
                remote_seen(&c, &go);
                stats_add(&out->stats, &go.stats);
                parts[i] = go.text;
                st = check_summary(go.text, go.finish, max_tokens);
            }
        }
        if (!st)
            st = merge_parts(&c, parts, n_ch, g.data, schema.data, max_tokens, &out->stats, &rounds, &json);
    }
    if (st)
        goto out;
    st = parley_task_summary_markdown(json, &md);
    if (st)
        goto out;
    if (n_ch > 1) {
        parley_buf b = {.data = md, .len = strlen(md), .cap = strlen(md) + 1};
        st = parley_buf_printf(&b,
                               "\n_Summarised in %zu parts and merged: the transcript (%d tokens) is longer than "
                               "what fits the model's context (%u tokens) at once._\n",
                               n_ch, c.transcript_tokens, c.n_ctx);
        md = b.data;
        if (st)
            goto out;
    }
    if (dr.used || (dr.rolling && dr.doc)) {
        char when[32];
        fmt_hms(dr.until_ms, when);
        parley_buf b = {.data = md, .len = strlen(md), .cap = strlen(md) + 1};
        st = parley_buf_printf(&b,
                               "\n_Written from a draft of the meeting up to [%s] (made while it went on) and "
                               "the %zu segments after it._\n",
                               when, c.t.n_segments - dr.covers);
        md = b.data;
        if (st)
            goto out;
    }
    meta = meta_with_draft(make_meta(&c, ch, n_ch, rounds, NULL, 0), &dr);
    if (!meta) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = store_artifact(&c, "summary", "json", json, PARLEY_PROMPT_SUMMARY, &out->stats, meta, &out->artifact_id);
    if (!st)
        st = store_artifact(&c, "summary", "markdown", md, PARLEY_PROMPT_SUMMARY, &out->stats, meta,
                            &out->artifact_id_md);
    if (st)
        goto out;
    out->json = json;
    out->text = md;
    out->meta = meta;
    json = md = meta = NULL;
    out->n_chunks = (int)n_ch;
out:
    if (parts) {
        for (size_t i = 0; i < n_ch; i++)
            free(parts[i]);
        free(parts);
    }
    free(ch);
    free(sys);
    free(json);
    free(md);
    free(meta);
    yyjson_doc_free(dr.doc);
    parley_buf_free(&g);
    parley_buf_free(&schema);
    ctx_close(&c);
    if (st) {
        struct parley_llm_stats keep = out->stats;
        memset(out, 0, sizeof *out);
        out->stats = keep;
    }
    return st;
}

/* ---- notes --------------------------------------------------------------------------- */

typedef struct notes_acc {
    parley_buf all;
    const struct parley_task_params *p;
    char head[160];   /* a part's heading, streamed before its first piece */
} notes_acc;

/* Runs on the engine's worker thread, like every on_token call; the part heading goes
 * out the same way, and its return value counts like any other piece's. */
static bool notes_stream(const char *text, size_t len, void *ud)
{
    notes_acc *a = ud;
    if (!a->p->on_token)
        return true;
    if (a->head[0]) {
        bool go = a->p->on_token(a->head, strlen(a->head), a->p->user_data);
        a->head[0] = '\0';
        if (!go)
            return false;
    }
    return a->p->on_token(text, len, a->p->user_data);
}

/* The caller's progress callback with the caller's user_data (sp.user_data is the acc). */
static bool notes_progress(int32_t done, int32_t total, void *ud)
{
    notes_acc *a = ud;
    return a->p->on_progress ? a->p->on_progress(done, total, a->p->user_data) : true;
}

static parley_status task_notes(parley_llm *llm, parley_store *db, int64_t session_id, const parley_transcript *mem,
                                const struct parley_task_params *p_in, struct parley_task_result *out)
{
    if ((!llm && !(p_in && p_in->remote)) || (!db && !mem) || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_notes: NULL argument");
    memset(out, 0, sizeof *out);
    struct parley_task_params dp = parley_task_default_params();
    const struct parley_task_params *p = p_in ? p_in : &dp;
    ctx c;
    chunk *ch = NULL;
    size_t n_ch = 0;
    char *sys = NULL, *meta = NULL;
    notes_acc acc = {{0}, p, {0}};
    parley_status st = mem ? ctx_open_mem(&c, llm, mem, p) : ctx_open(&c, llm, db, session_id, p);
    if (st)
        goto out;
    int32_t max_tokens = p->max_tokens > 0 ? p->max_tokens : 1024;
    st = with_language(&c, notes_request, &c.req);
    if (st)
        goto out;
    parley_llm_message u = {"user", c.req};
    int32_t limit = 0;
    st = budget(&c, c.req, max_tokens, &limit, NULL);
    if (st)
        goto out;
    if (p->chunk_tokens > 0 && p->chunk_tokens < limit)
        limit = p->chunk_tokens;
    out->transcript_tokens = c.transcript_tokens;
    out->n_segments = c.t.n_segments;
    st = parley_buf_append(&acc.all, "", 0);
    if (st)
        goto out;
    /* Notes of the parts, one after another under a heading each: nothing is lost by
     * merging, and every bullet keeps its time. */
    if (c.transcript_tokens <= limit) {
        chunk whole = {0, c.t.n_segments, c.transcript_tokens};
        ch = malloc(sizeof *ch);
        if (!ch) {
            st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
            goto out;
        }
        ch[0] = whole;
        n_ch = 1;
    } else if ((st = make_chunks(&c, limit, &ch, &n_ch))) {
        goto out;
    }
    struct parley_task_params sp = *p;
    sp.on_token = notes_stream;
    sp.on_progress = p->on_progress ? notes_progress : NULL;
    sp.user_data = &acc;
    for (size_t i = 0; i < n_ch && !st; i++) {
        free(sys);
        sys = NULL;
        if (n_ch > 1) {
            emit(p, PARLEY_TASK_EVENT_CHUNK, (int)i + 1, (int)n_ch);
            char a[32], b[32], head[128];
            fmt_hms(c.t.segments[ch[i].from].t0_ms, a);
            fmt_hms(c.t.segments[ch[i].to - 1].t1_ms, b);
            snprintf(head, sizeof head, "%s#### Part %zu of %zu [%s]-[%s]\n\n", i ? "\n\n" : "", i + 1, n_ch, a, b);
            st = parley_buf_append(&acc.all, head, strlen(head));
            snprintf(acc.head, sizeof acc.head, "%s", head);
            if (!st)
                st = chunk_system(&c, &ch[i], (int)i + 1, (int)n_ch, &sys);
        } else {
            st = main_system(&c, "Transcript", c.transcript, &sys);
        }
        gen_out go;
        if (!st) {
            gen_in in = {sys, n_ch == 1 ? c.transcript : NULL, &u, 1, NULL, max_tokens, true, NULL};
            st = generate(llm, &sp, &in, &go);
        }
        if (!st) {
            remote_seen(&c, &go);
            stats_add(&out->stats, &go.stats);
            st = parley_buf_append(&acc.all, go.text, strlen(go.text));
            free(go.text);
            if (!st && go.finish == PARLEY_LLM_FINISH_LENGTH) {
                /* Cut off: kept, and said so where people read it and in the meta. */
                c.truncated = true;
                char note[200];
                snprintf(note, sizeof note, "\n\n_(Cut off here: these notes reached the limit of %d tokens; "
                         "raise it with --max-tokens.)_\n", max_tokens);
                st = parley_buf_append(&acc.all, note, strlen(note)); /* stored; r.truncated says it */
            }
        }
    }
    if (st)
        goto out;
    out->truncated = c.truncated;
    meta = make_meta(&c, ch, n_ch, 0, NULL, 0);
    if (!meta) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = store_artifact(&c, "notes", "markdown", acc.all.data, PARLEY_PROMPT_NOTES, &out->stats, meta,
                        &out->artifact_id);
    if (st)
        goto out;
    out->text = acc.all.data;
    acc.all.data = NULL;
    out->meta = meta;
    meta = NULL;
    out->n_chunks = (int)n_ch;
out:
    parley_buf_free(&acc.all);
    free(ch);
    free(sys);
    free(meta);
    ctx_close(&c);
    if (st) {
        struct parley_llm_stats keep = out->stats;
        memset(out, 0, sizeof *out);
        out->stats = keep;
    }
    return st;
}

/* ---- chat ---------------------------------------------------------------------------- */

static parley_status task_ask(parley_llm *llm, parley_store *db, int64_t session_id, const parley_transcript *mem,
                              const parley_llm_message *mem_hist, size_t n_mem_hist, const char *question,
                              const struct parley_task_params *p_in, struct parley_task_result *out)
{
    if ((!llm && !(p_in && p_in->remote)) || (!db && !mem) || !out || !question)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_ask: NULL argument");
    memset(out, 0, sizeof *out);
    while (*question == ' ' || *question == '\t' || *question == '\n')
        question++;
    if (!*question)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "an empty question");
    struct parley_task_params dp = parley_task_default_params();
    const struct parley_task_params *p = p_in ? p_in : &dp;
    ctx c;
    char *sys = NULL, *meta = NULL;
    parley_chat_message *hist = NULL;
    size_t n_hist = 0;
    parley_llm_message *turns = NULL;
    parley_status st = mem ? ctx_open_mem(&c, llm, mem, p) : ctx_open(&c, llm, db, session_id, p);
    if (!st && !mem && !p->no_history)
        st = parley_store_list_chat(db, session_id, &hist, &n_hist);
    if (!st)
        st = main_system(&c, "Transcript", c.transcript, &sys);
    if (st)
        goto out;
    int32_t max_tokens = p->max_tokens > 0 ? p->max_tokens : 512;
    out->transcript_tokens = c.transcript_tokens;
    out->n_segments = c.t.n_segments;
    size_t n_src = mem ? (p->no_history ? 0 : n_mem_hist) : n_hist;
    turns = calloc(n_src + 1, sizeof *turns);
    if (!turns) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Earlier turns, oldest first, then the question. */
    size_t nt = 0;
    for (size_t i = 0; i < n_src; i++) {
        const char *role = mem ? mem_hist[i].role : hist[i].role;
        const char *content = mem ? mem_hist[i].content : hist[i].content;
        if (!role || !content || (strcmp(role, "user") && strcmp(role, "assistant")))
            continue;
        turns[nt].role = role;
        turns[nt++].content = content;
    }
    turns[nt].role = "user";
    turns[nt++].content = question;
    /* When the history does not fit, the oldest turns go (a user turn with its answer),
     * and the result says how many: a long chat never makes every question fail. */
    size_t first = 0;
    int32_t need = 0;
    for (;;) {
        st = prompt_tokens(llm, p, sys, turns + first, nt - first, &need);
        if (st)
            goto out;
        if (need + max_tokens <= (int32_t)c.n_ctx || first + 1 >= nt)
            break;
        first++;
        while (first + 1 < nt && strcmp(turns[first].role, "user") != 0)
            first++;
    }
    if (need + max_tokens > (int32_t)c.n_ctx) {
        st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                         "the transcript (%d tokens) and the question need %d tokens plus %d for the answer; the "
                         "context holds %u: use a larger context (--ctx)",
                         c.transcript_tokens, need, max_tokens, c.n_ctx);
        goto out;
    }
    out->n_history_dropped = first;
    if (first)
        parley_log(PARLEY_LOG_INFO, "chat: the %zu oldest earlier message(s) left out: they do not fit the context",
                   first);
    gen_out go;
    gen_in in = {sys, c.transcript, turns + first, nt - first, NULL, max_tokens, true, NULL};
    st = generate(llm, p, &in, &go);
    if (st)
        goto out;
    remote_seen(&c, &go);
    stats_add(&out->stats, &go.stats);
    out->text = go.text;
    if (go.finish == PARLEY_LLM_FINISH_LENGTH) {
        /* Cut off: stored marked as such (the export shows it), and the result says so. */
        c.truncated = true;
        out->truncated = true;
    }
    meta = make_meta(&c, NULL, 1, 0, NULL, 0);
    if (!meta) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (db) {
        /* Question and answer in one transaction: never a question without its answer. */
        parley_chat_turn turn = {question, out->text, c.model, out->truncated ? 1 : 0, meta};
        st = parley_store_chat_add_turn(db, session_id, &turn, NULL, &out->artifact_id);
    }
    out->meta = meta;
    meta = NULL;
    out->n_chunks = 1;
out:
    free(turns);
    parley_chat_messages_free(hist, n_hist);
    free(sys);
    free(meta);
    ctx_close(&c);
    if (st) {
        struct parley_llm_stats keep = out->stats;
        parley_task_result_clear(out);
        out->stats = keep;
    }
    return st;
}

/* ---- suggestions ----------------------------------------------------------------------- */

static parley_status task_suggest(parley_llm *llm, parley_store *db, int64_t session_id, const parley_transcript *mem,
                                  const struct parley_task_params *p_in, struct parley_task_result *out)
{
    if ((!llm && !(p_in && p_in->remote)) || (!db && !mem) || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_suggest: NULL argument");
    memset(out, 0, sizeof *out);
    struct parley_task_params dp = parley_task_default_params();
    const struct parley_task_params *p = p_in ? p_in : &dp;
    ctx c;
    parley_buf g = {0}, schema = {0};
    char *sys = NULL, *meta = NULL, *window = NULL;
    yyjson_doc *d = NULL;
    int32_t bound = 0;
    parley_status st = mem ? ctx_open_mem(&c, llm, mem, p) : ctx_open(&c, llm, db, session_id, p);
    if (!st)
        st = suggest_grammar(suggest_chars(p), &g, &bound);
    if (!st && p->remote)
        st = suggest_schema(suggest_chars(p), &schema);
    if (st)
        goto out;
    int32_t max_tokens = p->max_tokens > 0 ? p->max_tokens : bound;
    int32_t limit = 0, instr = 0;
    st = with_language(&c, suggest_request, &c.req);
    if (!st)
        st = budget(&c, c.req, max_tokens, &limit, &instr);
    if (st)
        goto out;
    out->transcript_tokens = c.transcript_tokens;
    out->n_segments = c.t.n_segments;
    /* What to say next depends on the latest talk: when all of it does not fit, the most
     * recent segments that do (reported in the result and the meta). */
    size_t from = 0;
    const char *tr = c.transcript;
    if (c.transcript_tokens > limit) {
        int32_t used = 0;
        from = c.t.n_segments;
        while (from > 0) {
            char *line = NULL;
            int32_t k = 0;
            st = parley_task_render_transcript(&c.t, from - 1, from, &line);
            if (!st)
                st = count_tokens(llm, p, line, &k);
            free(line);
            if (st)
                goto out;
            if (used + k > limit)
                break;
            used += k;
            from--;
        }
        if (from == c.t.n_segments) {
            st = parley_fail(PARLEY_ERR_CONTEXT_OVERFLOW,
                             "the context (%u tokens) has no room for the latest segment: the instructions take %d "
                             "and the answer up to %d, which leaves %d; use a larger context (--ctx)",
                             c.n_ctx, instr, max_tokens, limit);
            goto out;
        }
        st = parley_task_render_transcript(&c.t, from, c.t.n_segments, &window);
        if (st)
            goto out;
        tr = window;
    }
    out->first_segment = from;
    st = main_system(&c, "Transcript", tr, &sys);
    if (st)
        goto out;
    parley_llm_message u = {"user", c.req};
    gen_out go;
    gen_in in = {sys, tr, &u, 1, g.data, max_tokens, true, schema.data};
    st = generate(llm, p, &in, &go);
    if (st)
        goto out;
    remote_seen(&c, &go);
    stats_add(&out->stats, &go.stats);
    out->json = go.text;
    d = yyjson_read(go.text, strlen(go.text), 0);
    yyjson_val *arr = d ? yyjson_doc_get_root(d) : NULL;
    size_t na = yyjson_arr_size(arr);
    if (!arr || !yyjson_is_arr(arr) || na < 1 || na > 3) {
        st = parley_fail(PARLEY_ERR_FORMAT, "%s: %.200s",
                         go.finish == PARLEY_LLM_FINISH_LENGTH ? "the suggestions reached max_tokens before the JSON "
                                                                 "array was complete"
                                                               : "the suggestions are not a JSON array of 1-3 strings",
                         go.text);
        goto out;
    }
    parley_buf lines = {0};
    size_t i, n;
    yyjson_val *v;
    yyjson_arr_foreach(arr, i, n, v)
    {
        if (!st)
            st = parley_buf_printf(&lines, "%s\n", yyjson_is_str(v) ? yyjson_get_str(v) : "");
    }
    out->text = lines.data;
    if (st)
        goto out;
    meta = make_meta(&c, NULL, 1, 0, "window", from);
    if (!meta) {
        st = parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = store_artifact(&c, "suggestions", "json", out->json, PARLEY_PROMPT_SUGGEST, &out->stats, meta,
                        &out->artifact_id);
    out->meta = meta;
    meta = NULL;
    out->n_chunks = 1;
out:
    yyjson_doc_free(d);
    parley_buf_free(&g);
    parley_buf_free(&schema);
    free(sys);
    free(meta);
    free(window);
    ctx_close(&c);
    if (st) {
        struct parley_llm_stats keep = out->stats;
        parley_task_result_clear(out);
        out->stats = keep;
    }
    return st;
}

/* ---- entry points: a stored session, or an in-memory transcript ------------------------ */

parley_status parley_task_summarize(parley_llm *llm, parley_store *db, int64_t session_id,
                                    const struct parley_task_params *p, struct parley_task_result *out)
{
    return task_summarize(llm, db, session_id, NULL, p, out);
}

parley_status parley_task_notes(parley_llm *llm, parley_store *db, int64_t session_id,
                                const struct parley_task_params *p, struct parley_task_result *out)
{
    return task_notes(llm, db, session_id, NULL, p, out);
}

parley_status parley_task_ask(parley_llm *llm, parley_store *db, int64_t session_id, const char *question,
                              const struct parley_task_params *p, struct parley_task_result *out)
{
    return task_ask(llm, db, session_id, NULL, NULL, 0, question, p, out);
}

parley_status parley_task_suggest(parley_llm *llm, parley_store *db, int64_t session_id,
                                  const struct parley_task_params *p, struct parley_task_result *out)
{
    return task_suggest(llm, db, session_id, NULL, p, out);
}

parley_status parley_task_summarize_transcript(parley_llm *llm, const parley_transcript *t,
                                               const struct parley_task_params *p, struct parley_task_result *out)
{
    if (!t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_summarize_transcript: NULL transcript");
    return task_summarize(llm, NULL, 0, t, p, out);
}

parley_status parley_task_notes_transcript(parley_llm *llm, const parley_transcript *t,
                                           const struct parley_task_params *p, struct parley_task_result *out)
{
    if (!t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_notes_transcript: NULL transcript");
    return task_notes(llm, NULL, 0, t, p, out);
}

parley_status parley_task_ask_transcript(parley_llm *llm, const parley_transcript *t,
                                         const parley_llm_message *history, size_t n_history, const char *question,
                                         const struct parley_task_params *p, struct parley_task_result *out)
{
    if (!t || (n_history && !history))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_ask_transcript: NULL transcript or history");
    return task_ask(llm, NULL, 0, t, history, n_history, question, p, out);
}

parley_status parley_task_suggest_transcript(parley_llm *llm, const parley_transcript *t,
                                             const struct parley_task_params *p, struct parley_task_result *out)
{
    if (!t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_suggest_transcript: NULL transcript");
    return task_suggest(llm, NULL, 0, t, p, out);
}

parley_status parley_task_prefill(parley_llm *llm, const parley_transcript *t, const struct parley_task_params *p_in,
                                  struct parley_llm_stats *stats)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (p_in && p_in->remote && t)
        return PARLEY_OK; /* a team server keeps its own cache: nothing to evaluate here */
    if (!llm || !t)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "parley_task_prefill: NULL argument");
    struct parley_task_params dp = parley_task_default_params();
    const struct parley_task_params *p = p_in ? p_in : &dp;
    ctx c;
    char *sys = NULL;
    parley_status st = ctx_open_mem(&c, llm, t, p);
    if (!st)
        st = main_system(&c, "Transcript", c.transcript, &sys);
    if (!st) {
        /* The user turn is a placeholder: only the system message is evaluated. */
        parley_llm_message m[2] = {{"system", sys}, {"user", "?"}};
        struct parley_llm_request rq = parley_llm_default_request();
        rq.messages = m;
        rq.n_messages = 2;
        rq.cache_prefix = true;
        rq.prefill_only = true;
        rq.on_progress = p->on_progress;
        rq.user_data = p->user_data;
        rq.cancel = p->cancel;
        struct parley_llm_result res;
        st = parley_llm_generate(llm, &rq, &res);
        if (stats)
            *stats = res.stats;
        parley_llm_result_clear(&res);
    }
    free(sys);
    ctx_close(&c);
    return st;
}
