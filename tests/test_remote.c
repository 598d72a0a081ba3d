/* test_remote.c: the team-server configuration and client rules without a server: URLs
 * accepted and refused, the client's own host/port gate, the configuration file's
 * add/default/remove round trip and its errors, the artifact meta label, and a refusal by
 * the network gate for an outside host in local mode (nothing is connected). The client
 * against a real llama-server is tests/cli/remote.sh. */
#include "test.h"

#include "remote/remote_internal.h"

#include <parley/net.h>
#include <parley/remote.h>

static char cfg[4400];

TEST(urls)
{
    struct parley_remote_url u;
    ASSERT_OK(parley_remote_parse_url("http://127.0.0.1:8080", &u));
    ASSERT(!u.https && u.port == 8080);
    ASSERT_STR(u.host, "127.0.0.1");
    ASSERT_STR(u.prefix, "");
    ASSERT_OK(parley_remote_parse_url("https://llm.example.org/team/v1/", &u));
    ASSERT(u.https && u.port == 443);
    ASSERT_STR(u.prefix, "/team");
    ASSERT_OK(parley_remote_parse_url("http://[::1]:9000", &u));
    ASSERT_STR(u.host, "::1");
    ASSERT(u.port == 9000);
    ASSERT_STATUS(parley_remote_parse_url("ftp://127.0.0.1/", &u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_parse_url("http://me:pw@127.0.0.1/", &u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_parse_url("http://127.0.0.1/?key=1", &u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_parse_url("not a url", &u), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_parse_url("", &u), PARLEY_ERR_INVALID_ARG);
    /* the client's own rule: exactly the configured scheme, host and port */
    ASSERT_OK(parley_remote_parse_url("http://127.0.0.1:8080", &u));
    ASSERT_OK(parley_remote_gate(&u, "http://127.0.0.1:8080/v1/chat/completions"));
    ASSERT_STATUS(parley_remote_gate(&u, "http://127.0.0.1:8081/v1/chat/completions"), PARLEY_ERR_PERMISSION);
    ASSERT_STATUS(parley_remote_gate(&u, "https://127.0.0.1:8080/"), PARLEY_ERR_PERMISSION);
    ASSERT_STATUS(parley_remote_gate(&u, "http://10.0.0.1:8080/"), PARLEY_ERR_PERMISSION);
}

TEST(config_round_trip)
{
    parley_remote_info *list = NULL;
    size_t n = 9;
    ASSERT_OK(parley_remote_list(cfg, &list, &n)); /* no file: no servers, not an error */
    ASSERT(n == 0 && list == NULL);
    parley_remote_info one;
    ASSERT_STATUS(parley_remote_get(cfg, NULL, &one), PARLEY_ERR_NOT_FOUND);
    ASSERT_OK(parley_remote_add(cfg, "a", "http://127.0.0.1:1", NULL));
    ASSERT_OK(parley_remote_add(cfg, "b.team-2", "http://127.0.0.1:2/v1", NULL));
    ASSERT_STATUS(parley_remote_add(cfg, "a", "http://127.0.0.1:3", NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_add(cfg, "x y", "http://127.0.0.1:3", NULL), PARLEY_ERR_INVALID_ARG);
    ASSERT_STATUS(parley_remote_add(cfg, "c", "http://127.0.0.1:3", "/nonexistent/token"), PARLEY_ERR_NOT_FOUND);
    ASSERT_STATUS(parley_remote_get(cfg, NULL, &one), PARLEY_ERR_NOT_FOUND); /* no default until set */
    ASSERT_OK(parley_remote_set_default(cfg, "b.team-2"));
    ASSERT_STATUS(parley_remote_set_default(cfg, "zz"), PARLEY_ERR_NOT_FOUND);
    ASSERT_OK(parley_remote_get(cfg, NULL, &one));
    ASSERT_STR(one.name, "b.team-2");
    ASSERT(one.is_default);
    ASSERT_OK(parley_remote_list(cfg, &list, &n));
    ASSERT(n == 2);
    ASSERT_STR(list[0].name, "a");
    ASSERT(!list[0].is_default && list[1].is_default);
    free(list);
    ASSERT_OK(parley_remote_remove(cfg, "b.team-2"));
    ASSERT_STATUS(parley_remote_get(cfg, NULL, &one), PARLEY_ERR_NOT_FOUND); /* the default went with it */
    ASSERT_STATUS(parley_remote_remove(cfg, "b.team-2"), PARLEY_ERR_NOT_FOUND);
    /* a broken file is an error, not an empty list */
    FILE *f = fopen(cfg, "w");
    ASSERT(f);
    fputs("{\"remotes\": [", f);
    fclose(f);
    ASSERT_STATUS(parley_remote_list(cfg, &list, &n), PARLEY_ERR_FORMAT);
    ASSERT_STATUS(parley_remote_add(cfg, "d", "http://127.0.0.1:4", NULL), PARLEY_ERR_FORMAT);
}

TEST(meta_label)
{
    struct parley_remote_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.server, sizeof r.server, "team");
    snprintf(r.model, sizeof r.model, "qwen");
    char *m = parley_remote_meta_label("{\"chunks\":1}", &r);
    ASSERT(m);
    ASSERT_STR(m, "{\"chunks\":1,\"remote\":{\"server\":\"team\",\"model\":\"qwen\"}}");
    free(m);
    m = parley_remote_meta_label(NULL, &r);
    ASSERT(m);
    ASSERT_CONTAINS(m, "\"server\":\"team\"");
    free(m);
    ASSERT(parley_remote_meta_label("[1]", &r) == NULL);
    ASSERT(parley_remote_meta_label("{bad", &r) == NULL);
}

TEST(outside_host_refused_in_local_mode)
{
    /* local mode (the default policy): a configured outside server is refused before any
     * connection, with the gate's reason */
    ASSERT_OK(parley_net_set_policy(&(struct parley_net_policy){.local_only = true}));
    parley_remote_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "far");
    snprintf(info.url, sizeof info.url, "http://192.0.2.7:8080");
    parley_remote *r = NULL;
    ASSERT_OK(parley_remote_open(&info, NULL, &r));
    parley_llm_message msg = {"user", "hi"};
    struct parley_remote_request rq = parley_remote_default_request();
    rq.messages = &msg;
    rq.n_messages = 1;
    struct parley_remote_result res;
    unsigned long before = parley_net_refused_count();
    ASSERT_STATUS(parley_remote_chat(r, &rq, &res), PARLEY_ERR_PERMISSION);
    ASSERT(parley_net_refused_count() == before + 1);
    ASSERT_STR(res.server, "far");
    ASSERT(res.text == NULL);
    /* once the user names it, the gate lets that host (and only it) through: checked
     * without connecting */
    ASSERT_OK(parley_remote_allow(&info));
    ASSERT_OK(parley_net_check(PARLEY_NET_TEAM_SERVER, "http://192.0.2.7:8080/v1/chat/completions"));
    ASSERT_STATUS(parley_net_check(PARLEY_NET_TEAM_SERVER, "http://192.0.2.8:8080/"), PARLEY_ERR_PERMISSION);
    parley_remote_free(r);
    ASSERT_OK(parley_net_set_policy(&(struct parley_net_policy){.local_only = true}));
}

int main(void)
{
    const char *dir = test_tmpdir("remote");
    if (!dir)
        return 1;
    snprintf(cfg, sizeof cfg, "%s/remotes.json", dir);
    RUN(urls);
    RUN(config_round_trip);
    RUN(meta_label);
    RUN(outside_host_refused_in_local_mode);
    return test_summary();
}
