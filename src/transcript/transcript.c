/* transcript.c: transcript data and its TXT / SRT / VTT / JSON / Markdown renderings. */
#include <parley/transcript.h>

#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

void parley_transcript_free(parley_transcript *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_segments; i++) {
        free(t->segments[i].text);
        free(t->segments[i].speaker);
    }
    free(t->segments);
    free(t->title);
    free(t->source_path);
    free(t->language);
    free(t->model);
    free(t->created);
    memset(t, 0, sizeof *t);
}

parley_status parley_transcript_add(parley_transcript *t, int64_t t0_ms, int64_t t1_ms, const char *text,
                                    const char *speaker, float confidence)
{
    if (!t || !text || t0_ms < 0 || t1_ms < t0_ms)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "bad segment [%lld, %lld]", (long long)t0_ms, (long long)t1_ms);
    /* Capacity is explicit (t->cap). A caller that filled segments itself and left cap
     * below n_segments (0, say) gets a reallocation to a size this function knows. */
    size_t n = t->n_segments;
    if (n >= t->cap) {
        if (n > SIZE_MAX / 2 / sizeof(parley_segment))
            return parley_fail(PARLEY_ERR_TOO_LARGE, "too many segments (%zu)", n);
        size_t cap = n < 8 ? 8 : n * 2;
        parley_segment *s = realloc(t->segments, cap * sizeof *s);
        if (!s)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
        t->segments = s;
        t->cap = cap;
    }
    parley_segment *seg = &t->segments[n];
    memset(seg, 0, sizeof *seg);
    seg->t0_ms = t0_ms;
    seg->t1_ms = t1_ms;
    seg->confidence = confidence;
    seg->text = parley_strdup(text);
    seg->speaker = speaker ? parley_strdup(speaker) : NULL;
    if (!seg->text || (speaker && !seg->speaker)) {
        free(seg->text);
        free(seg->speaker);
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    }
    t->n_segments = n + 1;
    return PARLEY_OK;
}

parley_status parley_format_parse(const char *name, parley_format *out)
{
    static const struct {
        const char *name;
        parley_format f;
    } names[] = {{"txt", PARLEY_FORMAT_TXT},   {"srt", PARLEY_FORMAT_SRT}, {"vtt", PARLEY_FORMAT_VTT},
                 {"json", PARLEY_FORMAT_JSON}, {"md", PARLEY_FORMAT_MD},   {"markdown", PARLEY_FORMAT_MD}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return PARLEY_OK;
        }
    return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown format '%s' (use txt, srt, vtt, json or md)",
                       name ? name : "");
}

/* HH:MM:SS<sep>mmm, the time stamp SRT (sep ',') and VTT (sep '.') use. */
static void stamp(char *out, size_t n, int64_t ms, char sep)
{
    if (ms < 0)
        ms = 0;
    snprintf(out, n, "%02lld:%02lld:%02lld%c%03lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
             (long long)(ms / 1000 % 60), sep, (long long)(ms % 1000));
}

/* Subtitle cue text may not contain an empty line (it ends the cue), and VTT reserves
 * "-->" ; collapse newlines to spaces and break the arrow. In a VTT voice tag
 * (<v Speaker>) a '>' would end the tag early, so there it is escaped too. */
enum cue_kind { CUE_SRT, CUE_VTT_TEXT, CUE_VTT_VOICE };
static parley_status cue_text(parley_buf *b, const char *text, enum cue_kind kind)
{
    bool vtt = kind != CUE_SRT;
    parley_status st = PARLEY_OK;
    for (const char *p = text; *p && !st; p++) {
        if (*p == '\n' || *p == '\r')
            st = parley_buf_append(b, " ", 1);
        else if (vtt && *p == '<')
            st = parley_buf_append(b, "&lt;", 4);
        else if (vtt && *p == '&')
            st = parley_buf_append(b, "&amp;", 5);
        else if (kind == CUE_VTT_VOICE && *p == '>')
            st = parley_buf_append(b, "&gt;", 4);
        else if (vtt && p[0] == '-' && p[1] == '-' && p[2] == '>')
            st = parley_buf_append(b, "--&gt;", 6), p += 2;
        else
            st = parley_buf_append(b, p, 1);
    }
    return st;
}

/* Adds key: s as a JSON string, with invalid UTF-8 replaced by U+FFFD (a Latin-1 file
 * name, a character cut at a token boundary), so one bad byte cannot break the export. */
static bool add_str(yyjson_mut_doc *doc, yyjson_mut_val *obj, const char *key, const char *s)
{
    size_t n = strlen(s);
    if (parley_utf8_valid(s, n))
        return yyjson_mut_obj_add_strncpy(doc, obj, key, s, n);
    size_t m = 0;
    char *fixed = parley_utf8_repair(s, n, &m);
    if (!fixed)
        return false;
    bool ok = yyjson_mut_obj_add_strncpy(doc, obj, key, fixed, m);
    free(fixed);
    return ok;
}

static parley_status render_json(const parley_transcript *t, parley_buf *b)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc)
        return parley_fail(PARLEY_ERR_NOMEM, "out of memory");
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_int(doc, root, "id", t->id);
    add_str(doc, root, "title", t->title ? t->title : "");
    if (t->source_path)
        add_str(doc, root, "source", t->source_path);
    else
        yyjson_mut_obj_add_null(doc, root, "source");
    yyjson_mut_obj_add_real(doc, root, "duration", t->duration_s);
    if (t->language)
        add_str(doc, root, "language", t->language);
    else
        yyjson_mut_obj_add_null(doc, root, "language");
    if (t->model)
        add_str(doc, root, "model", t->model);
    else
        yyjson_mut_obj_add_null(doc, root, "model");
    if (t->created)
        add_str(doc, root, "created", t->created);
    else
        yyjson_mut_obj_add_null(doc, root, "created");
    yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, "segments");
    for (size_t i = 0; i < t->n_segments; i++) {
        const parley_segment *s = &t->segments[i];
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_real(doc, o, "start", (double)s->t0_ms / 1000.0);
        yyjson_mut_obj_add_real(doc, o, "end", (double)s->t1_ms / 1000.0);
        add_str(doc, o, "text", s->text);
        if (s->speaker)
            add_str(doc, o, "speaker", s->speaker);
        else
            yyjson_mut_obj_add_null(doc, o, "speaker");
        if (s->confidence >= 0)
            yyjson_mut_obj_add_real(doc, o, "confidence", s->confidence);
        else
            yyjson_mut_obj_add_null(doc, o, "confidence");
    }
    size_t len = 0;
    yyjson_write_err werr;
    char *js = yyjson_mut_write_opts(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL, &len, &werr);
    yyjson_mut_doc_free(doc);
    if (!js) {
        if (werr.code == YYJSON_WRITE_ERROR_MEMORY_ALLOCATION)
            return parley_fail(PARLEY_ERR_NOMEM, "out of memory writing JSON");
        return parley_fail(PARLEY_ERR_FORMAT, "cannot write the transcript as JSON: %s",
                           werr.msg ? werr.msg : "unknown reason");
    }
    parley_status st = parley_buf_append(b, js, len);
    if (!st)
        st = parley_buf_append(b, "\n", 1);
    free(js);
    return st;
}

parley_status parley_transcript_export(const parley_transcript *t, parley_format fmt, char **out, size_t *len)
{
    if (!t || !out)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "transcript and out are required");
    parley_buf b = {.max = (size_t)256 << 20};
    parley_status st = PARLEY_OK;
    char a[32], z[32];
    switch (fmt) {
    case PARLEY_FORMAT_TXT:
        for (size_t i = 0; i < t->n_segments && !st; i++) {
            stamp(a, sizeof a, t->segments[i].t0_ms, '.');
            stamp(z, sizeof z, t->segments[i].t1_ms, '.');
            st = parley_buf_printf(&b, "[%s --> %s] %s%s%s\n", a, z,
                                   t->segments[i].speaker ? t->segments[i].speaker : "",
                                   t->segments[i].speaker ? ": " : "", t->segments[i].text);
        }
        break;
    case PARLEY_FORMAT_SRT:
        for (size_t i = 0; i < t->n_segments && !st; i++) {
            stamp(a, sizeof a, t->segments[i].t0_ms, ',');
            stamp(z, sizeof z, t->segments[i].t1_ms, ',');
            st = parley_buf_printf(&b, "%zu\n%s --> %s\n", i + 1, a, z);
            if (!st)
                st = cue_text(&b, t->segments[i].text, CUE_SRT);
            if (!st)
                st = parley_buf_append(&b, "\n\n", 2);
        }
        break;
    case PARLEY_FORMAT_VTT:
        st = parley_buf_append(&b, "WEBVTT\n\n", 8);
        for (size_t i = 0; i < t->n_segments && !st; i++) {
            stamp(a, sizeof a, t->segments[i].t0_ms, '.');
            stamp(z, sizeof z, t->segments[i].t1_ms, '.');
            st = parley_buf_printf(&b, "%s --> %s\n", a, z);
            if (!st && t->segments[i].speaker) {
                st = parley_buf_append(&b, "<v ", 3);
                if (!st)
                    st = cue_text(&b, t->segments[i].speaker, CUE_VTT_VOICE);
                if (!st)
                    st = parley_buf_append(&b, ">", 1);
            }
            if (!st)
                st = cue_text(&b, t->segments[i].text, CUE_VTT_TEXT);
            if (!st)
                st = parley_buf_append(&b, "\n\n", 2);
        }
        break;
    case PARLEY_FORMAT_JSON:
        st = render_json(t, &b);
        break;
    case PARLEY_FORMAT_MD: {
        char dur[32];
        long s = (long)(t->duration_s + 0.5);
        snprintf(dur, sizeof dur, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
        st = parley_buf_printf(&b, "# %s\n\n- Recorded from: %s\n- Duration: %s\n- Language: %s\n\n## Transcript\n\n",
                               t->title ? t->title : "Transcript", t->source_path ? t->source_path : "(unknown)", dur,
                               t->language ? t->language : "(unknown)");
        for (size_t i = 0; i < t->n_segments && !st; i++) {
            int64_t ms = t->segments[i].t0_ms;
            st = parley_buf_printf(&b, "**[%02lld:%02lld:%02lld]** %s%s%s\n\n", (long long)(ms / 3600000),
                                   (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60),
                                   t->segments[i].speaker ? t->segments[i].speaker : "",
                                   t->segments[i].speaker ? ": " : "", t->segments[i].text);
        }
        break;
    }
    default:
        st = parley_fail(PARLEY_ERR_INVALID_ARG, "unknown export format %d", (int)fmt);
    }
    if (st == PARLEY_OK && !b.data)
        st = parley_buf_append(&b, "", 0);
    if (st) {
        parley_buf_free(&b);
        return st;
    }
    *out = b.data;
    if (len)
        *len = b.len;
    return PARLEY_OK;
}
