// The MTA-STS policy fetch (RFC 8461 §3.3) over net::http_client (libcurl): HTTPS only, TLS 1.2+
// with the certificate verified against the policy host's name, no redirects followed, a 200
// status and text/plain required (auth::mta_sts_policy_reply), the body capped at
// limits::max_mta_sts_policy, and ONE deadline for the whole fetch (resolve, connect, TLS, body):
// a server that drips a byte every few seconds is cut off at timeout_ms. Live modes only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::posture {

struct https_options {
    int timeout_ms = limits::mta_sts_fetch_deadline_ms;  // the whole fetch: connect, TLS, request, body
    std::string ca_file;     // PEM CA bundle; "" = the system's default trust store
    // Connect here ("127.0.0.1:8443") instead of the URL's host:443, still verifying the URL's
    // host name (tests against a local server).
    std::string connect_to;
    // Addresses of the policy host resolved by our own resolver (dns::resolver, with its servers
    // and deadline); empty = libcurl resolves the name itself (inside timeout_ms).
    std::vector<std::string> addresses;
};

// Returns the body, or nullopt with `error` set.
std::optional<std::string> https_get(const std::string& url, const https_options& options, std::string& error);
// The same, with the URL's host resolved (A and AAAA, CNAMEs followed) through `dns` — the
// resolver, servers and deadline the rest of the check uses — and libcurl pinned to those
// addresses (CURLOPT_RESOLVE). options.addresses is replaced.
std::optional<std::string> https_get_resolved(dns::resolver& dns, const std::string& url, https_options options,
                                              std::string& error);

}  // namespace dmarcsight::posture
