/* net_internal.h: the libcurl side of the network gate (net.h); not a public header. */
#ifndef PARLEY_NET_INTERNAL_H
#define PARLEY_NET_INTERNAL_H

#include <parley/net.h>

#include <curl/curl.h>

/* Per transfer: installed on an easy handle by parley_net_guard_curl(). After a failed
 * transfer, refused says whether the gate stopped it and why holds the reason. */
struct parley_net_guard {
    CURL *easy;
    parley_net_purpose purpose;
    bool refused;
    char why[512];
};

/* Routes every socket the easy handle opens (first request, redirects, retries) through
 * the gate: a connection to a host the policy does not allow for purpose is never
 * opened (CURL_SOCKET_BAD), and g records why. g must outlive the handle's transfers. */
void parley_net_guard_curl(CURL *easy, parley_net_purpose purpose, struct parley_net_guard *g);

#endif
