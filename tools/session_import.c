/* session_import: stores a transcript given as JSON as a new session (a developer tool
 * for tests and benchmarks; not part of the parley command).
 *
 *   session_import FILE.json [--db PATH]      prints the new session id
 *
 * FILE.json: {"title": "...", "language": "en", "duration": 12.5,
 *             "segments": [{"start": 0.0, "end": 2.5, "text": "...", "speaker": "Ann"}, ...]}
 * (times in seconds, as `parley sessions export --format json` writes them; speaker optional). */
#include <parley/store.h>
#include <parley/transcript.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

int main(int argc, char **argv)
{
    const char *file = NULL, *db_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db_path = argv[++i];
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else {
            fprintf(stderr, "usage: session_import FILE.json [--db PATH]\n");
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "usage: session_import FILE.json [--db PATH]\n");
        return 2;
    }
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_file(file, 0, NULL, &err);
    if (!doc) {
        fprintf(stderr, "session_import: %s: %s at byte %zu\n", file, err.msg, err.pos);
        return 1;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    yyjson_val *segs = yyjson_obj_get(root, "segments");
    if (!yyjson_is_arr(segs)) {
        fprintf(stderr, "session_import: %s: no \"segments\" array\n", file);
        yyjson_doc_free(doc);
        return 1;
    }
    parley_transcript t;
    memset(&t, 0, sizeof t);
    const char *title = yyjson_get_str(yyjson_obj_get(root, "title"));
    const char *lang = yyjson_get_str(yyjson_obj_get(root, "language"));
    t.title = title ? strdup(title) : strdup(file);
    t.language = lang ? strdup(lang) : NULL;
    t.duration_s = yyjson_get_num(yyjson_obj_get(root, "duration"));
    size_t i, n;
    yyjson_val *s;
    int rc = 0;
    yyjson_arr_foreach(segs, i, n, s)
    {
        const char *text = yyjson_get_str(yyjson_obj_get(s, "text"));
        double a = yyjson_get_num(yyjson_obj_get(s, "start")), b = yyjson_get_num(yyjson_obj_get(s, "end"));
        if (!text || b < a) {
            fprintf(stderr, "session_import: %s: segment %zu needs text and start <= end\n", file, i);
            rc = 1;
            break;
        }
        if (parley_transcript_add(&t, (int64_t)(a * 1000 + 0.5), (int64_t)(b * 1000 + 0.5), text,
                                  yyjson_get_str(yyjson_obj_get(s, "speaker")), -1.0f) != PARLEY_OK) {
            fprintf(stderr, "session_import: %s\n", parley_last_error());
            rc = 1;
            break;
        }
        if (b > t.duration_s)
            t.duration_s = b;
    }
    yyjson_doc_free(doc);
    parley_store *db = NULL;
    int64_t id = 0;
    parley_status st = PARLEY_OK;
    if (!rc && ((st = parley_store_open(db_path, &db)) || (st = parley_store_add_session(db, &t, &id)))) {
        fprintf(stderr, "session_import: %s: %s\n", parley_strerror(st), parley_last_error());
        rc = 1;
    }
    if (!rc)
        printf("%lld\n", (long long)id);
    parley_store_close(db);
    parley_transcript_free(&t);
    return rc;
}
