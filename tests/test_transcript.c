/* test_transcript.c: the transcript builder and its renderings (transcript.h). */
#include "core/internal.h"
#include "test.h"

#include <parley/transcript.h>

#include <yyjson.h>

/* A caller that sized segments exactly (the struct is public) and then appends: the old
 * power-of-two rule took 3 segments for "room left" and wrote past the array
 * (ASan: heap-buffer-overflow; plain build: free(): invalid size). */
TEST(add_after_an_exactly_sized_array_does_not_overflow)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    t.n_segments = 3;
    t.segments = calloc(3, sizeof *t.segments);
    ASSERT(t.segments);
    for (int i = 0; i < 3; i++) {
        t.segments[i].t0_ms = i * 1000;
        t.segments[i].t1_ms = i * 1000 + 500;
        t.segments[i].text = parley_strdup("x");
    }
    for (int i = 3; i < 40; i++)
        ASSERT_OK(parley_transcript_add(&t, i * 1000, i * 1000 + 500, "more", i % 2 ? "A" : NULL, 0.5f));
    ASSERT_EQ_INT(t.n_segments, 40);
    ASSERT(t.cap >= 40);
    ASSERT_STR(t.segments[39].text, "more");
    ASSERT_STR(t.segments[39].speaker, "A");
    ASSERT_STATUS(parley_transcript_add(&t, 5, 4, "bad", NULL, 0), PARLEY_ERR_INVALID_ARG);
    parley_transcript_free(&t);
    ASSERT(t.segments == NULL && t.cap == 0);
}

static parley_transcript latin1(void)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    t.title = parley_strdup("bad \xff title");
    t.source_path = parley_strdup("/rec/r\xe9union.wav");
    t.duration_s = 3;
    parley_transcript_add(&t, 0, 1000, "caf\xe9 ok", NULL, -1);
    parley_transcript_add(&t, 1000, 2000, "cut \xe2\x82", "Bob \xfe", 0.9f);
    return t;
}

/* Invalid UTF-8 (a Latin-1 file name, a character cut at a token boundary) made the JSON
 * export fail with "out of memory". It is repaired to U+FFFD instead. */
TEST(json_export_repairs_invalid_utf8)
{
    parley_transcript t = latin1();
    char *out = NULL;
    size_t len = 0;
    parley_status st = parley_transcript_export(&t, PARLEY_FORMAT_JSON, &out, &len);
    ASSERT_MSG(st == PARLEY_OK, "%s: %s", parley_strerror(st), parley_last_error());
    ASSERT(parley_utf8_valid(out, len));
    yyjson_doc *doc = yyjson_read(out, len, 0);
    ASSERT(doc);
    yyjson_val *root = yyjson_doc_get_root(doc);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(root, "title")), "bad \xef\xbf\xbd title");
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(root, "source")), "/rec/r\xef\xbf\xbdunion.wav");
    yyjson_val *segs = yyjson_obj_get(root, "segments");
    ASSERT_EQ_INT(yyjson_arr_size(segs), 2);
    ASSERT_STR(yyjson_get_str(yyjson_obj_get(yyjson_arr_get(segs, 1), "text")), "cut \xef\xbf\xbd\xef\xbf\xbd");
    yyjson_doc_free(doc);
    free(out);
    /* the other formats pass the bytes through, as before */
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_TXT, &out, &len));
    ASSERT_CONTAINS(out, "caf\xe9 ok");
    free(out);
    parley_transcript_free(&t);
}

/* A '>' in a speaker name ended the <v ...> voice tag early. */
TEST(vtt_escapes_the_voice_tag)
{
    parley_transcript t;
    memset(&t, 0, sizeof t);
    ASSERT_OK(parley_transcript_add(&t, 0, 1500, "a -> b & c <d> --> e", "Ann > Bob", -1));
    char *out = NULL;
    size_t len = 0;
    ASSERT_OK(parley_transcript_export(&t, PARLEY_FORMAT_VTT, &out, &len));
    ASSERT_STR(out, "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v Ann &gt; Bob>a -> b &amp; c &lt;d> --&gt; e\n\n");
    free(out);
    parley_transcript_free(&t);
}

int main(void)
{
    RUN(add_after_an_exactly_sized_array_does_not_overflow);
    RUN(json_export_repairs_invalid_utf8);
    RUN(vtt_escapes_the_voice_tag);
    return test_summary();
}
