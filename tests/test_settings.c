/* test_settings.c: app settings (settings.h) and their JSON rendering (json.h): defaults
 * without a file, a round trip through the file, partial updates, and bad input refused
 * with the reason while the file on disk stays as it was. */
#include <parley/json.h>
#include <parley/settings.h>

#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

TEST(defaults_without_a_file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/none/settings.json", dir);
    struct parley_settings s;
    ASSERT_OK(parley_settings_load(path, &s));
    ASSERT(s.auto_suggestions);
    ASSERT_EQ_INT(s.battery, PARLEY_BATTERY_SAVER);
    ASSERT_STR(s.vocabulary, "");
    ASSERT_STR(s.output_language, "");
}

TEST(round_trip_and_partial_update)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cfg/settings.json", dir);
    struct parley_settings s = parley_settings_default();
    const char *js = "{\"auto_suggestions\":false,\"battery\":\"pause\",\"vocabulary\":[\"Parley\",\"Ann Lee\",\"\"],"
                     "\"output_language\":\"de\",\"future_key\":1}";
    ASSERT_OK(parley_settings_apply_json(js, strlen(js), &s));
    ASSERT_OK(parley_settings_save(path, &s));
    struct parley_settings r;
    ASSERT_OK(parley_settings_load(path, &r));
    ASSERT(!r.auto_suggestions);
    ASSERT_EQ_INT(r.battery, PARLEY_BATTERY_PAUSE);
    ASSERT_STR(r.vocabulary, "Parley\nAnn Lee");
    ASSERT_STR(r.output_language, "de");
    /* Only the keys given change. */
    const char *part = "{\"battery\":\"normal\"}";
    ASSERT_OK(parley_settings_apply_json(part, strlen(part), &r));
    ASSERT_EQ_INT(r.battery, PARLEY_BATTERY_NORMAL);
    ASSERT_STR(r.output_language, "de");
    ASSERT(!r.auto_suggestions);
    /* The rendering is the file's shape. */
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_doc_set_root(doc, parley_json_settings(doc, &r));
    char *text = parley_json_write(doc, NULL);
    yyjson_mut_doc_free(doc);
    ASSERT_STR(text, "{\"auto_suggestions\":false,\"battery\":\"normal\",\"vocabulary\":[\"Parley\",\"Ann Lee\"],"
                     "\"output_language\":\"de\"}");
    free(text);
}

TEST(bad_input_is_refused_and_nothing_changes)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bad/settings.json", dir);
    struct parley_settings s = parley_settings_default();
    ASSERT_OK(parley_settings_save(path, &s));
    char before[65536];
    snprintf(before, sizeof before, "%s", slurp(path));
    struct parley_settings t = s;
    const char *cases[] = {"{\"battery\":\"turbo\"}", "{\"auto_suggestions\":\"yes\"}", "{\"output_language\":\"German\"}",
                           "{\"vocabulary\":[\"two\\nlines\"]}", "[1,2]", "{\"vocabulary\":"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parley_status st = parley_settings_apply_json(cases[i], strlen(cases[i]), &t);
        ASSERT_MSG(st == PARLEY_ERR_FORMAT, "%s: %s", cases[i], parley_strerror(st));
        ASSERT(memcmp(&t, &s, sizeof s) == 0);
    }
    /* A vocabulary past the limit. */
    char big[PARLEY_SETTINGS_VOCAB_MAX + 64];
    int n = snprintf(big, sizeof big, "{\"vocabulary\":\"");
    memset(big + n, 'a', PARLEY_SETTINGS_VOCAB_MAX);
    strcpy(big + n + PARLEY_SETTINGS_VOCAB_MAX, "\"}");
    ASSERT_STATUS(parley_settings_apply_json(big, strlen(big), &t), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "longer than");
    /* save checks too, and writes nothing when it refuses. */
    t.battery = (parley_battery_mode)7;
    ASSERT_STATUS(parley_settings_save(path, &t), PARLEY_ERR_INVALID_ARG);
    ASSERT_CONTAINS(parley_last_error(), "battery");
    ASSERT_STR(slurp(path), before);
    /* A malformed file is an error naming the file, never silently replaced by defaults. */
    FILE *f = fopen(path, "w");
    fputs("{\"battery\": ", f);
    fclose(f);
    ASSERT_STATUS(parley_settings_load(path, &t), PARLEY_ERR_FORMAT);
    ASSERT_CONTAINS(parley_last_error(), "settings.json");
}

/* The vocabulary (one term a line) as one line for the prompts: trimmed, blank lines left
 * out, cut to the buffer and always terminated. */
TEST(vocabulary_as_one_line)
{
    struct parley_settings st = parley_settings_default();
    snprintf(st.vocabulary, sizeof st.vocabulary, "  Anthropic \r\n\nKubernetes\n\tDr. Okonkwo\n");
    char out[64];
    parley_settings_vocabulary_line(&st, out, sizeof out);
    ASSERT_STR(out, "Anthropic, Kubernetes, Dr. Okonkwo");
    char small[12];
    parley_settings_vocabulary_line(&st, small, sizeof small);
    ASSERT_STR(small, "Anthropic, ");
    st.vocabulary[0] = 0;
    parley_settings_vocabulary_line(&st, out, sizeof out);
    ASSERT_STR(out, "");
}

int main(void)
{
    dir = test_tmpdir("settings");
    RUN(defaults_without_a_file);
    RUN(round_trip_and_partial_update);
    RUN(bad_input_is_refused_and_nothing_changes);
    RUN(vocabulary_as_one_line);
    return test_summary();
}
