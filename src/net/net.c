/* net.c: the single gate for outbound connections (net.h). Host names come from libcurl's
 * URL parser (curl_url), never from hand parsing. */
#include "net/net_internal.h"

#include "core/internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <parley/fetch.h>

static struct {
    bool local_only;
    char team[256];
    char sync[256];
} policy = {.local_only = true};

static atomic_ulong refused;

struct parley_net_policy parley_net_default_policy(void)
{
    struct parley_net_policy p = {.local_only = true, .team_server = NULL, .sync_server = NULL};
    return p;
}

static parley_status copy_host(char *dst, size_t n, const char *src, const char *what)
{
    dst[0] = '\0';
    if (!src)
        return PARLEY_OK;
    if (!*src || strlen(src) >= n)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "%s host name must be 1 to %zu bytes", what, n - 1);
    snprintf(dst, n, "%s", src);
    return PARLEY_OK;
}

parley_status parley_net_set_policy(const struct parley_net_policy *p)
{
    struct parley_net_policy d = parley_net_default_policy();
    if (!p)
        p = &d;
    char team[256], sync[256];
    parley_status st = copy_host(team, sizeof team, p->team_server, "team server");
    if (!st)
        st = copy_host(sync, sizeof sync, p->sync_server, "sync server");
    if (st)
        return st;
    policy.local_only = p->local_only;
    memcpy(policy.team, team, sizeof team);
    memcpy(policy.sync, sync, sizeof sync);
    return PARLEY_OK;
}

unsigned long parley_net_refused_count(void) { return atomic_load(&refused); }

static const char *purpose_name(parley_net_purpose p)
{
    switch (p) {
    case PARLEY_NET_MODEL_PULL: return "model downloads";
    case PARLEY_NET_TEAM_SERVER: return "the team server";
    case PARLEY_NET_SYNC: return "sync";
    }
    return "an unknown purpose";
}

/* The host part of url, lower-cased, via libcurl's parser. */
static bool url_host(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && strlen(host) < n;
    if (ok) {
        size_t i = 0;
        for (; host[i]; i++)
            out[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] + 32 : host[i]);
        out[i] = '\0';
        /* curl keeps IPv6 literals in brackets */
        size_t len = strlen(out);
        if (len >= 2 && out[0] == '[' && out[len - 1] == ']') {
            memmove(out, out + 1, len - 2);
            out[len - 2] = '\0';
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static bool host_is_loopback(const char *host)
{
    if (!strcmp(host, "localhost") || !strcmp(host, "::1"))
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return false;
}

static bool suffix(const char *host, const char *dom)
{
    size_t h = strlen(host), d = strlen(dom);
    return h > d && host[h - d - 1] == '.' && !strcmp(host + h - d, dom);
}

/* The model host: $PARLEY_MODEL_BASE_URL's host, else Hugging Face and its download
 * hosts (model files redirect to *.hf.co / *.huggingface.co storage). */
static bool model_host_allowed(const char *host)
{
    const char *env = getenv("PARLEY_MODEL_BASE_URL");
    char base[256];
    if (env && *env) {
        if (url_host(env, base, sizeof base) && !strcmp(host, base))
            return true;
        return false;
    }
    if (!url_host(PARLEY_FETCH_DEFAULT_BASE_URL, base, sizeof base))
        return false;
    return !strcmp(host, base) || suffix(host, base) || !strcmp(host, "hf.co") || suffix(host, "hf.co");
}

static bool host_allowed(parley_net_purpose purpose, const char *host)
{
    if (host_is_loopback(host))
        return true;
    switch (purpose) {
    case PARLEY_NET_MODEL_PULL: return model_host_allowed(host);
    case PARLEY_NET_TEAM_SERVER: return !policy.local_only && policy.team[0] && !strcasecmp(host, policy.team);
    case PARLEY_NET_SYNC: return !policy.local_only && policy.sync[0] && !strcasecmp(host, policy.sync);
    }
    return false;
}

static void refusal(char *why, size_t n, parley_net_purpose purpose, const char *host)
{
    snprintf(why, n,
             "blocked by Parley's network gate: %s is not an allowed host for %s (%s; loopback is "
             "always allowed)",
             host, purpose_name(purpose),
             purpose == PARLEY_NET_MODEL_PULL
                 ? "model downloads may reach the model host only: $PARLEY_MODEL_BASE_URL's host, or huggingface.co"
                 : policy.local_only ? "this device is in local mode: nothing else leaves the machine"
                                     : "only the configured server is allowed");
}

parley_status parley_net_check(parley_net_purpose purpose, const char *url)
{
    char host[256];
    if (!url || !url_host(url, host, sizeof host))
        return parley_fail(PARLEY_ERR_INVALID_ARG, "cannot read a host name from the URL \"%s\"", url ? url : "(null)");
    if (host_allowed(purpose, host))
        return PARLEY_OK;
    atomic_fetch_add(&refused, 1);
    char why[512];
    refusal(why, sizeof why, purpose, host);
    return parley_fail(PARLEY_ERR_PERMISSION, "%s", why);
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
    }
    return sa->sa_family == AF_UNIX;
}

/* libcurl's socket-open callback: the point every connection of a guarded transfer
 * passes, redirects included. The URL being fetched decides (its host must be allowed),
 * and a loopback address is always fine. */
static curl_socket_t guard_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct parley_net_guard *g = clientp;
    bool ok = addr_is_loopback(&addr->addr);
    char host[256] = "?";
    if (!ok) {
        char *eff = NULL;
        /* a "loopback" name that resolved to a remote address is not loopback */
        if (curl_easy_getinfo(g->easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
            url_host(eff, host, sizeof host))
            ok = !host_is_loopback(host) && host_allowed(g->purpose, host);
    }
    (void)purpose;
    if (!ok) {
        atomic_fetch_add(&refused, 1);
        g->refused = true;
        refusal(g->why, sizeof g->why, g->purpose, host);
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

void parley_net_guard_curl(CURL *easy, parley_net_purpose purpose, struct parley_net_guard *g)
{
    memset(g, 0, sizeof *g);
    g->easy = easy;
    g->purpose = purpose;
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, guard_open);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, g);
}
