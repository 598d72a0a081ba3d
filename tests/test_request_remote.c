/* test_request_remote.c: a task request's choice of team server (src/server/request.c,
 * srv_body_task_remote): {"remote": NAME}, {"local": true}, neither, and the bodies the
 * routes answer 400 for (a wrong type, an empty or over-long name, both at once). */
#include "test.h"

#include "server/request.h"

#include <string.h>

static int parse(const char *json, char *remote, size_t n, bool *local)
{
    char msg[200];
    yyjson_doc *d = srv_body_object(json, strlen(json), msg, sizeof msg);
    if (!d)
        return -1;
    int r = srv_body_task_remote(yyjson_doc_get_root(d), remote, n, local);
    yyjson_doc_free(d);
    return r;
}

TEST(remote_or_local)
{
    char remote[64];
    bool local = true;
    ASSERT_EQ_INT(parse("{}", remote, sizeof remote, &local), 0);
    ASSERT_STR(remote, "");
    ASSERT(!local);
    ASSERT_EQ_INT(parse("{\"remote\": \"team-gpu\", \"max_tokens\": 5}", remote, sizeof remote, &local), 0);
    ASSERT_STR(remote, "team-gpu");
    ASSERT(!local);
    ASSERT_EQ_INT(parse("{\"local\": true}", remote, sizeof remote, &local), 0);
    ASSERT_STR(remote, "");
    ASSERT(local);
    ASSERT_EQ_INT(parse("{\"local\": false, \"remote\": null}", remote, sizeof remote, &local), 0);
    ASSERT(!local && !remote[0]);
}

TEST(refused)
{
    char remote[8];
    bool local;
    ASSERT_EQ_INT(parse("{\"remote\": \"team\", \"local\": true}", remote, sizeof remote, &local), 3);
    ASSERT_EQ_INT(parse("{\"remote\": 7}", remote, sizeof remote, &local), 3);
    ASSERT_EQ_INT(parse("{\"remote\": \"\"}", remote, sizeof remote, &local), 3);
    ASSERT_EQ_INT(parse("{\"local\": \"yes\"}", remote, sizeof remote, &local), 3);
    ASSERT_EQ_INT(parse("{\"remote\": \"12345678\"}", remote, sizeof remote, &local), 3); /* too long */
    ASSERT_EQ_INT(parse("{\"remote\": \"1234567\"}", remote, sizeof remote, &local), 0);  /* just fits */
    ASSERT_STR(remote, "1234567");
}

int main(void)
{
    RUN(remote_or_local);
    RUN(refused);
    return test_summary();
}
