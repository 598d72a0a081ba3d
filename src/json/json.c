/* json.c: JSON renderings of the library's types (json.h). The keys follow what the
 * command's --json output already printed, so the CLI can move onto these unchanged. */
#include <parley/json.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void add_str_or_null(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *key, const char *v)
{
    if (v)
        yyjson_mut_obj_add_strcpy(doc, o, key, v);
    else
        yyjson_mut_obj_add_null(doc, o, key);
}

/* Parsed JSON text copied into doc, or NULL when it does not parse. */
static yyjson_mut_val *parsed(yyjson_mut_doc *doc, const char *text)
{
    if (!text)
        return NULL;
    yyjson_doc *d = yyjson_read(text, strlen(text), 0);
    if (!d)
        return NULL;
    yyjson_mut_val *v = yyjson_val_mut_copy(doc, yyjson_doc_get_root(d));
    yyjson_doc_free(d);
    return v;
}

yyjson_mut_val *parley_json_session_row(yyjson_mut_doc *doc, const parley_session_row *r)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_int(doc, o, "id", r->id);
    yyjson_mut_obj_add_strcpy(doc, o, "title", r->title ? r->title : "");
    yyjson_mut_obj_add_strcpy(doc, o, "created", r->created ? r->created : "");
    yyjson_mut_obj_add_real(doc, o, "duration", r->duration_s);
    add_str_or_null(doc, o, "source", r->source_path);
    add_str_or_null(doc, o, "language", r->language);
    add_str_or_null(doc, o, "model", r->model);
    yyjson_mut_obj_add_int(doc, o, "segments", r->n_segments);
    yyjson_mut_obj_add_str(doc, o, "status", parley_session_status_name(r->status));
    add_str_or_null(doc, o, "ended", r->ended);
    add_str_or_null(doc, o, "audio", r->audio_path);
    return o;
}

yyjson_mut_val *parley_json_session_rows(yyjson_mut_doc *doc, const parley_session_row *rows, size_t n)
{
    yyjson_mut_val *a = yyjson_mut_arr(doc);
    for (size_t i = 0; a && i < n; i++)
        yyjson_mut_arr_append(a, parley_json_session_row(doc, &rows[i]));
    return a;
}

yyjson_mut_val *parley_json_segment(yyjson_mut_doc *doc, const parley_segment *s, size_t index)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_uint(doc, o, "index", index);
    yyjson_mut_obj_add_int(doc, o, "t0_ms", s->t0_ms);
    yyjson_mut_obj_add_int(doc, o, "t1_ms", s->t1_ms);
    add_str_or_null(doc, o, "speaker", s->speaker);
    yyjson_mut_obj_add_strcpy(doc, o, "text", s->text ? s->text : "");
    if (s->confidence >= 0)
        yyjson_mut_obj_add_real(doc, o, "confidence", s->confidence);
    else
        yyjson_mut_obj_add_null(doc, o, "confidence");
    return o;
}

yyjson_mut_val *parley_json_transcript(yyjson_mut_doc *doc, const parley_transcript *t)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_int(doc, o, "id", t->id);
    yyjson_mut_obj_add_strcpy(doc, o, "title", t->title ? t->title : "");
    yyjson_mut_obj_add_strcpy(doc, o, "created", t->created ? t->created : "");
    yyjson_mut_obj_add_real(doc, o, "duration", t->duration_s);
    add_str_or_null(doc, o, "source", t->source_path);
    add_str_or_null(doc, o, "language", t->language);
    add_str_or_null(doc, o, "model", t->model);
    yyjson_mut_val *segs = yyjson_mut_obj_add_arr(doc, o, "segments");
    for (size_t i = 0; segs && i < t->n_segments; i++)
        yyjson_mut_arr_append(segs, parley_json_segment(doc, &t->segments[i], i));
    return o;
}

yyjson_mut_val *parley_json_artifact(yyjson_mut_doc *doc, const parley_artifact *a)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_int(doc, o, "id", a->id);
    yyjson_mut_obj_add_int(doc, o, "session_id", a->session_id);
    add_str_or_null(doc, o, "kind", a->kind);
    add_str_or_null(doc, o, "format", a->format);
    yyjson_mut_val *c = NULL;
    if (a->format && strcmp(a->format, "json") == 0)
        c = parsed(doc, a->content);
    if (c)
        yyjson_mut_obj_add_val(doc, o, "content", c);
    else
        add_str_or_null(doc, o, "content", a->content);
    add_str_or_null(doc, o, "model", a->model);
    add_str_or_null(doc, o, "prompt_version", a->prompt_version);
    add_str_or_null(doc, o, "created", a->created);
    yyjson_mut_val *s = yyjson_mut_obj_add_obj(doc, o, "stats");
    yyjson_mut_obj_add_int(doc, s, "prompt_tokens", a->prompt_tokens);
    yyjson_mut_obj_add_int(doc, s, "reused_tokens", a->reused_tokens);
    yyjson_mut_obj_add_int(doc, s, "output_tokens", a->output_tokens);
    yyjson_mut_obj_add_real(doc, s, "prompt_ms", a->prompt_ms);
    yyjson_mut_obj_add_real(doc, s, "gen_ms", a->gen_ms);
    yyjson_mut_val *m = parsed(doc, a->meta);
    if (m)
        yyjson_mut_obj_add_val(doc, o, "meta", m);
    else
        yyjson_mut_obj_add_null(doc, o, "meta");
    return o;
}

yyjson_mut_val *parley_json_chat_message(yyjson_mut_doc *doc, const parley_chat_message *m)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_int(doc, o, "id", m->id);
    add_str_or_null(doc, o, "role", m->role);
    yyjson_mut_obj_add_strcpy(doc, o, "content", m->content ? m->content : "");
    add_str_or_null(doc, o, "model", m->model);
    add_str_or_null(doc, o, "created", m->created);
    return o;
}

yyjson_mut_val *parley_json_chat(yyjson_mut_doc *doc, const parley_chat_message *msgs, size_t n)
{
    yyjson_mut_val *a = yyjson_mut_arr(doc);
    for (size_t i = 0; a && i < n; i++)
        yyjson_mut_arr_append(a, parley_json_chat_message(doc, &msgs[i]));
    return a;
}

yyjson_mut_val *parley_json_hw(yyjson_mut_doc *doc, const parley_hw *hw)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_strcpy(doc, o, "os", hw->os);
    yyjson_mut_obj_add_uint(doc, o, "ram_total_bytes", hw->ram_total);
    yyjson_mut_obj_add_uint(doc, o, "ram_available_bytes", hw->ram_available);
    if (hw->ram_bandwidth_gbs > 0)
        yyjson_mut_obj_add_real(doc, o, "ram_bandwidth_gbs", hw->ram_bandwidth_gbs);
    else
        yyjson_mut_obj_add_null(doc, o, "ram_bandwidth_gbs");
    yyjson_mut_obj_add_str(doc, o, "ram_bandwidth_source", parley_bw_source_name(hw->ram_bandwidth_source));
    if (hw->cpu_matvec_gbs > 0)
        yyjson_mut_obj_add_real(doc, o, "cpu_matvec_gbs", hw->cpu_matvec_gbs);
    else
        yyjson_mut_obj_add_null(doc, o, "cpu_matvec_gbs");
    yyjson_mut_val *cpu = yyjson_mut_obj_add_obj(doc, o, "cpu");
    yyjson_mut_obj_add_strcpy(doc, cpu, "model", hw->cpu_model);
    yyjson_mut_obj_add_int(doc, cpu, "cores", hw->cpu_cores);
    yyjson_mut_obj_add_int(doc, cpu, "threads", hw->cpu_threads);
    yyjson_mut_val *simd = yyjson_mut_obj_add_arr(doc, cpu, "simd");
    char buf[sizeof hw->cpu_simd];
    memcpy(buf, hw->cpu_simd, sizeof buf);
    buf[sizeof buf - 1] = '\0';
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        yyjson_mut_arr_add_strcpy(doc, simd, t);
    yyjson_mut_obj_add_bool(doc, cpu, "ggml_device", hw->cpu_device);
    yyjson_mut_val *gpus = yyjson_mut_obj_add_arr(doc, o, "gpus");
    for (int i = 0; i < hw->n_gpus && i < PARLEY_HW_MAX_GPUS; i++) {
        const parley_gpu *g = &hw->gpus[i];
        yyjson_mut_val *go = yyjson_mut_arr_add_obj(doc, gpus);
        yyjson_mut_obj_add_strcpy(doc, go, "name", g->name);
        yyjson_mut_obj_add_strcpy(doc, go, "description", g->description);
        yyjson_mut_obj_add_strcpy(doc, go, "backend", g->backend);
        yyjson_mut_obj_add_str(doc, go, "type", parley_gpu_type_name(g->type));
        yyjson_mut_obj_add_uint(doc, go, "memory_total_bytes", g->mem_total);
        yyjson_mut_obj_add_uint(doc, go, "memory_free_bytes", g->mem_free);
        if (g->bandwidth_gbs > 0)
            yyjson_mut_obj_add_real(doc, go, "bandwidth_gbs", g->bandwidth_gbs);
        else
            yyjson_mut_obj_add_null(doc, go, "bandwidth_gbs");
        yyjson_mut_obj_add_str(doc, go, "bandwidth_source", parley_bw_source_name(g->bandwidth_source));
        /* what the GPU probe knows beyond ggml: software devices, drivers, known-bad ones */
        yyjson_mut_obj_add_bool(doc, go, "software", g->software);
        if (g->driver[0])
            yyjson_mut_obj_add_strcpy(doc, go, "driver", g->driver);
        else
            yyjson_mut_obj_add_null(doc, go, "driver");
        yyjson_mut_obj_add_bool(doc, go, "known_bad", g->known_bad);
        if (g->known_bad)
            yyjson_mut_obj_add_strcpy(doc, go, "known_bad_reason", g->known_bad_reason);
        else
            yyjson_mut_obj_add_null(doc, go, "known_bad_reason");
    }
    return o;
}

yyjson_mut_val *parley_json_model(yyjson_mut_doc *doc, const parley_model_info *m)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_strcpy(doc, o, "id", m->id);
    yyjson_mut_obj_add_strcpy(doc, o, "label", m->label);
    yyjson_mut_obj_add_str(doc, o, "kind", m->kind == PARLEY_MODEL_SPEECH ? "speech" : "llm");
    yyjson_mut_obj_add_str(doc, o, "source", m->source == PARLEY_SOURCE_OWN ? "own" : "catalog");
    yyjson_mut_obj_add_strcpy(doc, o, "arch", m->arch);
    yyjson_mut_obj_add_int(doc, o, "stars", m->stars);
    yyjson_mut_obj_add_bool(doc, o, "archived", m->archived);
    yyjson_mut_obj_add_bool(doc, o, "hq", m->hq);
    yyjson_mut_obj_add_str(doc, o, "state", parley_model_state_name(m->state));
    if (m->state_reason[0])
        yyjson_mut_obj_add_strcpy(doc, o, "state_reason", m->state_reason);
    else
        yyjson_mut_obj_add_null(doc, o, "state_reason");
    yyjson_mut_obj_add_strcpy(doc, o, "path", m->path);
    yyjson_mut_obj_add_uint(doc, o, "size_bytes", m->size_bytes);
    yyjson_mut_obj_add_uint(doc, o, "n_layer",
                            m->kind == PARLEY_MODEL_SPEECH ? m->shape.n_audio_layer + m->shape.n_text_layer
                                                           : m->shape.n_layer);
    yyjson_mut_obj_add_real(doc, o, "params_total", m->params_total);
    add_str_or_null(doc, o, "url", m->url[0] ? m->url : NULL);
    add_str_or_null(doc, o, "license", m->license[0] ? m->license : NULL);
    return o;
}

yyjson_mut_val *parley_json_fit(yyjson_mut_doc *doc, const parley_fit *f)
{
    static const char *const levels[] = {"wont", "tight", "great"};
    yyjson_mut_val *fo = yyjson_mut_obj(doc);
    if (!fo)
        return NULL;
    yyjson_mut_obj_add_str(doc, fo, "level", levels[f->level <= PARLEY_FIT_GREAT ? f->level : 0]);
    yyjson_mut_obj_add_strcpy(doc, fo, "label", f->label);
    yyjson_mut_obj_add_bool(doc, fo, "slow", f->slow);
    yyjson_mut_obj_add_str(doc, fo, "placement", parley_placement_name(f->placement));
    yyjson_mut_obj_add_uint(doc, fo, "n_gpu_layers", f->n_gpu_layers);
    yyjson_mut_obj_add_uint(doc, fo, "ram_bytes", f->ram_bytes);
    yyjson_mut_obj_add_uint(doc, fo, "vram_bytes", f->vram_bytes);
    if (f->tokens_per_s > 0)
        yyjson_mut_obj_add_real(doc, fo, "tokens_per_s", f->tokens_per_s);
    else
        yyjson_mut_obj_add_null(doc, fo, "tokens_per_s");
    yyjson_mut_obj_add_strcpy(doc, fo, "reason", f->reason);
    yyjson_mut_val *mo = yyjson_mut_obj_add_obj(doc, fo, "memory");
    yyjson_mut_obj_add_uint(doc, mo, "weights", f->mem.weights);
    yyjson_mut_obj_add_uint(doc, mo, "kv", f->mem.kv);
    yyjson_mut_obj_add_uint(doc, mo, "state", f->mem.state);
    yyjson_mut_obj_add_uint(doc, mo, "compute", f->mem.compute);
    yyjson_mut_obj_add_uint(doc, mo, "total", f->mem.total);
    return fo;
}

/* One kind's part of the picker: scored, in the picker's order, with Recommended. */
static bool picker_section(yyjson_mut_doc *doc, yyjson_mut_val *root, const parley_catalog *cat,
                           parley_model_kind kind, const parley_hw *hw, const struct parley_fit_params *fp,
                           const char *key, const char *rec_key, const char *block_key)
{
    size_t total = parley_catalog_count(cat);
    const parley_model_info **models = calloc(total + 1, sizeof *models);
    parley_fit *fits = calloc(total + 1, sizeof *fits);
    size_t *order = calloc(total + 1, sizeof *order);
    bool ok = models && fits && order;
    size_t n = 0;
    for (size_t i = 0; ok && i < total; i++) {
        const parley_model_info *m = parley_catalog_get(cat, i);
        if (m->kind != kind)
            continue;
        models[n] = m;
        fits[n] = parley_fit_model(m, hw, fp);
        n++;
    }
    if (ok) {
        int rec = parley_fit_rank(models, fits, n, order);
        char blocking[400];
        bool blocked = parley_fit_blocking_reason(hw, fits, n, blocking, sizeof blocking);
        yyjson_mut_val *arr = yyjson_mut_obj_add_arr(doc, root, key);
        for (size_t j = 0; arr && j < n; j++) {
            size_t i = order[j];
            yyjson_mut_val *o = parley_json_model(doc, models[i]);
            if (!o) {
                ok = false;
                break;
            }
            yyjson_mut_obj_add_val(doc, o, "fit", parley_json_fit(doc, &fits[i]));
            yyjson_mut_obj_add_bool(doc, o, "recommended", (int)i == rec);
            yyjson_mut_arr_append(arr, o);
        }
        if (rec >= 0)
            yyjson_mut_obj_add_strcpy(doc, root, rec_key, models[rec]->id);
        else
            yyjson_mut_obj_add_null(doc, root, rec_key);
        add_str_or_null(doc, root, block_key, blocked ? blocking : NULL);
    }
    free(models);
    free(fits);
    free(order);
    return ok;
}

yyjson_mut_val *parley_json_model_picker(yyjson_mut_doc *doc, const parley_catalog *cat, const parley_hw *hw,
                                         const struct parley_fit_params *fp)
{
    yyjson_mut_val *root = yyjson_mut_obj(doc);
    if (!root)
        return NULL;
    yyjson_mut_obj_add_uint(doc, root, "context_tokens", fp->n_ctx ? fp->n_ctx : 32768);
    yyjson_mut_val *co = yyjson_mut_obj_add_obj(doc, root, "catalog");
    yyjson_mut_obj_add_strcpy(doc, co, "origin", parley_catalog_origin(cat));
    yyjson_mut_obj_add_strcpy(doc, co, "version", parley_catalog_version(cat));
    yyjson_mut_obj_add_val(doc, root, "hardware", parley_json_hw(doc, hw));
    if (!picker_section(doc, root, cat, PARLEY_MODEL_LLM, hw, fp, "models", "recommended", "blocking_reason") ||
        !picker_section(doc, root, cat, PARLEY_MODEL_SPEECH, hw, fp, "speech_models", "recommended_speech",
                        "speech_blocking_reason"))
        return NULL;
    struct parley_device_settings set;
    parley_catalog_settings(cat, &set);
    yyjson_mut_val *so = yyjson_mut_obj_add_obj(doc, root, "settings");
    yyjson_mut_obj_add_strcpy(doc, so, "llm_model", set.llm_model);
    yyjson_mut_obj_add_strcpy(doc, so, "speech_model", set.speech_model);
    yyjson_mut_val *lf = yyjson_mut_obj_add_arr(doc, so, "local_features");
    for (unsigned b = 1; b <= PARLEY_FEATURE_SUGGEST; b <<= 1)
        if (set.local_features & b)
            yyjson_mut_arr_add_str(doc, lf, parley_feature_name((parley_feature)b));
    return root;
}

yyjson_mut_val *parley_json_task_result(yyjson_mut_doc *doc, const char *task, int64_t session_id,
                                        const char *model, const char *question,
                                        const struct parley_task_result *r)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_int(doc, o, "session", session_id);
    yyjson_mut_obj_add_strcpy(doc, o, "task", task);
    add_str_or_null(doc, o, "model", model);
    yyjson_mut_obj_add_int(doc, o, "artifact_id", r->artifact_id);
    yyjson_mut_val *c = parsed(doc, r->json);
    if (c)
        yyjson_mut_obj_add_val(doc, o, "content", c);
    if (strcmp(task, "summarize") == 0) {
        yyjson_mut_obj_add_int(doc, o, "markdown_artifact_id", r->artifact_id_md);
        add_str_or_null(doc, o, "markdown", r->text);
    } else if (strcmp(task, "notes") == 0) {
        add_str_or_null(doc, o, "markdown", r->text);
    } else if (strcmp(task, "ask") == 0) {
        add_str_or_null(doc, o, "question", question);
        add_str_or_null(doc, o, "answer", r->text);
    }
    yyjson_mut_val *s = yyjson_mut_obj_add_obj(doc, o, "stats");
    yyjson_mut_obj_add_int(doc, s, "prompt_tokens", r->stats.n_evaluated);
    yyjson_mut_obj_add_int(doc, s, "reused_tokens", r->stats.n_reused);
    yyjson_mut_obj_add_int(doc, s, "output_tokens", r->stats.n_generated);
    yyjson_mut_obj_add_real(doc, s, "prompt_ms", r->stats.prompt_ms);
    yyjson_mut_obj_add_real(doc, s, "gen_ms", r->stats.gen_ms);
    yyjson_mut_obj_add_int(doc, o, "chunks", r->n_chunks);
    yyjson_mut_obj_add_int(doc, o, "transcript_tokens", r->transcript_tokens);
    yyjson_mut_val *m = parsed(doc, r->meta);
    if (m)
        yyjson_mut_obj_add_val(doc, o, "meta", m);
    else
        yyjson_mut_obj_add_null(doc, o, "meta");
    return o;
}

yyjson_mut_val *parley_json_fetch_progress(yyjson_mut_doc *doc, const parley_fetch_progress *p)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_str(doc, o, "phase", p->phase == PARLEY_FETCH_VERIFYING ? "verifying" : "downloading");
    yyjson_mut_obj_add_uint(doc, o, "done", p->done);
    yyjson_mut_obj_add_uint(doc, o, "total", p->total);
    yyjson_mut_obj_add_real(doc, o, "rate", p->rate);
    yyjson_mut_obj_add_real(doc, o, "elapsed_s", p->elapsed_s);
    if (p->rate > 0 && p->total >= p->done)
        yyjson_mut_obj_add_real(doc, o, "eta_s", (double)(p->total - p->done) / p->rate);
    else
        yyjson_mut_obj_add_null(doc, o, "eta_s");
    yyjson_mut_obj_add_int(doc, o, "attempt", p->attempt);
    return o;
}

yyjson_mut_val *parley_json_settings(yyjson_mut_doc *doc, const struct parley_settings *s)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_bool(doc, o, "auto_suggestions", s->auto_suggestions);
    yyjson_mut_obj_add_str(doc, o, "battery", parley_battery_mode_name(s->battery));
    yyjson_mut_val *v = yyjson_mut_obj_add_arr(doc, o, "vocabulary");
    const char *p = s->vocabulary;
    size_t max = sizeof s->vocabulary;
    size_t len = strnlen(p, max);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && p[j] != '\n')
            j++;
        if (j > i)
            yyjson_mut_arr_add_strncpy(doc, v, p + i, j - i);
        i = j + 1;
    }
    yyjson_mut_obj_add_strcpy(doc, o, "output_language", s->output_language);
    return o;
}

yyjson_mut_val *parley_json_error(yyjson_mut_doc *doc, parley_status st, int http_status, const char *detail)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    if (!o)
        return NULL;
    yyjson_mut_obj_add_str(doc, o, "error", parley_strerror(st));
    yyjson_mut_obj_add_int(doc, o, "status", http_status);
    yyjson_mut_obj_add_int(doc, o, "code", (int)st);
    yyjson_mut_obj_add_strcpy(doc, o, "detail", detail ? detail : "");
    return o;
}

char *parley_json_write(yyjson_mut_doc *doc, size_t *len)
{
    size_t n = 0;
    char *s = yyjson_mut_write(doc, 0, &n);
    if (len)
        *len = n;
    return s;
}

yyjson_mut_val *parley_json_capture_sources(yyjson_mut_doc *doc, const parley_capture_source *src, size_t n)
{
    yyjson_mut_val *arr = yyjson_mut_arr(doc);
    for (size_t i = 0; arr && i < n; i++) {
        yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_strcpy(doc, o, "name", src[i].name);
        yyjson_mut_obj_add_strcpy(doc, o, "description", src[i].description);
        yyjson_mut_obj_add_str(doc, o, "kind", src[i].is_monitor ? "monitor" : "input");
        yyjson_mut_obj_add_bool(doc, o, "is_monitor", src[i].is_monitor);
        yyjson_mut_obj_add_bool(doc, o, "default_mic", src[i].is_default_mic);
        yyjson_mut_obj_add_bool(doc, o, "default_system", src[i].is_default_system);
        yyjson_mut_obj_add_int(doc, o, "rate", src[i].rate);
        yyjson_mut_obj_add_int(doc, o, "channels", src[i].channels);
    }
    return arr;
}
