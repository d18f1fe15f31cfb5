// `dmarcsight serve`: the HTTP server of the dashboard's JSON API (issue 12), over a store it
// only reads. This first part answers /api/v1/stats, /api/v1/domains, /metrics and /healthz.
//
// Trust: every request comes from anyone who can reach the socket. Until users and API tokens
// exist, the server listens on loopback only (listen_allowed), answers GET and HEAD alone, caps
// the request line and headers (cpp-httplib's limits) and every query value
// (max_query_value), and sends every answer with a strict Content-Security-Policy, no framing,
// nosniff and no caching. Report strings only ever reach a response through the JSON library
// (views::document_text) or metrics' label escaping.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::web {

struct listen_address {
    std::string host;  // an IP address or "localhost", without brackets
    int port = 8080;   // 0: any free port
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080"; an error names what is wrong.
result<listen_address> parse_listen(std::string_view text);

// Whether the server may listen there without authentication: loopback addresses only
// (127.0.0.0/8, ::1, localhost). Anything else is refused with the reason.
result<void> listen_allowed(const listen_address& a);

// The longest query value accepted (a domain, a time): longer ones get 400.
inline constexpr std::size_t max_query_value = 256;

class server {
public:
    // `db` is the store the answers come from, used by one request at a time.
    explicit server(store::store& db);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds the socket; the port bound (the one asked for, or the free one for port 0).
    result<int> bind(const listen_address& a);
    // Answers requests until stop(); false if the server could not run.
    bool run();
    // From any thread (a signal watcher): run() returns after the requests in hand.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace dmarcsight::web
