// A minimal HTTPS GET for the MTA-STS policy file (RFC 8461 §3.3): TLS 1.2+ with the certificate
// verified against the host name (SNI + RFC 6125 name check), HTTP/1.0 (no chunked coding), no
// redirects followed, a 200 status and text/plain required, the body capped at
// limits::max_mta_sts_policy, and a time-out on every network step. Used in live modes only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dmarcsight::posture {

struct https_options {
    int timeout_ms = 10000;  // connect, handshake and each read/write
    std::string ca_file;     // PEM CA bundle; "" = the system's default trust store
    // Connect here ("127.0.0.1:8443") instead of the URL's host:443, still verifying the URL's
    // host name (tests against a local server).
    std::string connect_to;
};

// Returns the body, or nullopt with `error` set.
std::optional<std::string> https_get(const std::string& url, const https_options& options, std::string& error);
// (The reply is judged by auth::mta_sts_policy_body: status 200, text/plain, size caps.)

}  // namespace dmarcsight::posture
