// `dmarcsight serve`: the HTTP server of the dashboard (issue 12), over a store it only reads:
// the pages (/, with the files under /assets/, built into the binary), the JSON API under
// /api/v1/ (docs/openapi.json: stats, domains, sources, policy, trends, failures, tls, alerts,
// posture; session, views), /metrics and /healthz.
//
// Trust: every request comes from anyone who can reach the socket. As soon as a user exists
// (web/accounts.hpp), every request but /healthz authenticates — an API token (Authorization:
// Bearer) or a user's password (Basic) — and sees only its account's domains; failed attempts
// are limited per client address (auth_failures_allowed per auth_failure_window, then 429).
// Without users it listens on loopback only; beyond loopback it needs users and either TLS
// (a certificate pair) or an explicit --behind-proxy (listen_allowed). A browser logs in with
// POST /api/v1/session and then holds an HttpOnly, SameSite=Strict session cookie (Secure with
// TLS or behind a proxy); a state-changing request of a session carries the session's CSRF token
// (X-CSRF-Token) and, when the browser sends one, a same-origin Origin. Basic credentials, which
// browsers replay by themselves, only read. It caps the request line and headers (cpp-httplib's limits) and every query value
// (max_query_value), and sends every answer with a strict Content-Security-Policy, no framing,
// nosniff and no caching. Report strings only ever reach a response through the JSON library
// (views::document_text) or metrics' label escaping.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alerts/engine.hpp"
#include "analyze/classify.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::web {

struct listen_address {
    std::string host;  // an IP address or "localhost", without brackets
    int port = 8080;   // 0: any free port
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080"; an error names what is wrong.
result<listen_address> parse_listen(std::string_view text);

// Whether the server may listen there: loopback addresses (127.0.0.0/8, ::1, localhost) always;
// any other only with users (authentication on) and TLS or a reverse proxy in front that
// terminates it. Refused with the reason.
struct exposure {
    bool users = false;         // the accounts file has a user
    bool tls = false;           // --tls-cert / --tls-key given
    bool behind_proxy = false;  // --behind-proxy: plain HTTP, a proxy terminates TLS
};
result<void> listen_allowed(const listen_address& a, const exposure& e = {});
bool is_loopback(const std::string& host);

// Failed authentications a client address may make per window before it gets 429.
inline constexpr int auth_failures_allowed = 10;
inline constexpr int auth_failure_window_s = 60;

// The longest query value accepted (a domain, a time): longer ones get 400.
inline constexpr std::size_t max_query_value = 256;

class accounts;

// What the analysis answers need beside the store, as the CLI gives it to its commands: the
// service catalogue, the labels (the store's and the configuration's: asked per request, so a new
// label shows at once), the alert rules and the configured channels' names (an alert's state).
struct analysis_context {
    const analyze::service_directory* services = nullptr;
    std::function<result<std::vector<store::label_row>>(store::store&)> labels;
    alerts::options alerts;  // rules, settle and no-report times; the rest is set per request
    std::vector<std::string> channels;
    // Opens the store for the few changes a user makes from the dashboard (an alert acknowledged,
    // a mute rule), on the first one; null: none can be made (the answer says so).
    std::function<result<std::unique_ptr<store::store>>()> open_for_changes;
    // Opens a second read-only connection to the store, for its change marker alone: a kept
    // answer is then given while another request scans (null: the marker is read on the store).
    std::function<result<std::unique_ptr<store::store>>()> open_reader;
    // Called after each computed answer (a 200), the store's lock released (serve: the allocator gives
    // the scan's freed pages back, cli/allocator.hpp).
    std::function<void()> after_computing;
};

// The most rows one page of /api/v1/sources (and the other lists) gives; limit=0 asks for all.
inline constexpr std::size_t default_page_rows = 100;

struct tls_files {
    std::string cert, key;  // PEM files; both empty: plain HTTP
};

class server {
public:
    // `db` is the store the answers come from, used by one request at a time. `users`: the
    // accounts (null: none, every request answered as for an all-domains user, loopback only).
    // `secure_cookies`: the session cookie carries Secure (TLS here, or a proxy in front).
    // `prefetch`: answer the dashboard's first questions ahead while run() runs (web/prefetch.hpp).
    server(store::store& db, accounts* users, analysis_context ctx, const tls_files& tls = {}, bool secure_cookies = false,
           bool prefetch = false);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // False with the reason when the TLS files cannot be used.
    result<void> ready() const;
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
