// The one HTTP(S) client of dmarcsight (libcurl underneath): the MTA-STS policy fetch of `check`
// today, alert webhooks later. What it talks to: the one URL it is given, nothing else.
//
// Every request is bounded, whatever the server does:
// * one deadline for the whole transfer — name resolution, connect, TLS handshake, request and
//   body (CURLOPT_TIMEOUT_MS); a server that drips a byte every few seconds is cut off at the
//   deadline, not kept for days; the connect phase has its own, shorter limit inside it;
// * a cap on the body (the transfer is aborted from the write callback as soon as it is exceeded,
//   and at once when a Content-Length announces more) and on the response headers;
// * redirects are never followed (a 3xx is returned as the status, with its Location);
// * https only unless a request allows plain http; TLS 1.2 or later, the certificate verified
//   against the URL's host name (SNI + RFC 6125 name check, curl's VERIFYPEER + VERIFYHOST=2);
// * no credentials in URLs, no proxies from the environment unless asked for, no content
//   decoding (no decompression bombs), no cookies, no .netrc.
//
// Name resolution: `resolve_to` pins the URL's host to addresses the caller resolved itself
// (CURLOPT_RESOLVE), so the caller's resolver — its servers and its deadline — decides where
// we connect; without it libcurl resolves (threaded getaddrinfo), still inside the deadline.
//
// Thread-safety: every call uses its own curl handle; call from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::net {

struct http_options {
    // The whole transfer: resolve + connect + TLS + request + body.
    std::chrono::milliseconds deadline{10000};
    // The TCP connect + TLS handshake part (never more than `deadline`).
    std::chrono::milliseconds connect_timeout{5000};
    std::size_t max_body = 1024 * 1024;
    std::size_t max_headers = 64 * 1024;
    std::string ca_file;  // PEM CA bundle; "" = the system's default trust store
    // "ip" strings the URL's host is pinned to (CURLOPT_RESOLVE), on the URL's port.
    std::vector<std::string> resolve_to;
    // "host:port" to connect to instead of the URL's host and port, still verifying the URL's
    // host name (CURLOPT_CONNECT_TO; tests against a local server).
    std::string connect_to;
    bool allow_plain_http = false;
    bool proxy_from_environment = false;  // honour https_proxy / no_proxy
    std::string accept;                   // Accept header; "" = none
    std::string user_agent = "dmarcsight";
};

struct http_request {
    std::string method = "GET";  // GET or POST
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // POST only
};

struct http_response {
    long status = 0;
    std::string content_type;  // "" when absent
    std::string location;      // a 3xx's Location (never followed)
    std::string body;
};

// A non-2xx status is a response, not an error: the caller judges it. Errors: a bad URL, the
// deadline, a body or headers over the cap, TLS/certificate failures, connection failures.
result<http_response> http_fetch(const http_request& request, const http_options& options);
inline result<http_response> http_get(const std::string& url, const http_options& options) {
    http_request r;
    r.url = url;
    return http_fetch(r, options);
}

}  // namespace dmarcsight::net
