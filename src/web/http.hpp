// The server's request and response helpers (web/server.cpp, web/api.cpp): JSON answers and
// errors, and query parameters read with their caps — every value at most max_query_value bytes of
// UTF-8, numbers in range, times in the CLI's forms — so a handler never sees an unchecked value.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "store/store.hpp"
#include "web/accounts.hpp"
#include "web/server.hpp"

namespace dmarcsight::web {

void send_json(httplib::Response& res, int status, const nlohmann::json& j);
void send_error(httplib::Response& res, int status, const std::string& why);

// A parameter: empty when absent; an error over max_query_value bytes or not UTF-8.
result<std::string> query_value(const httplib::Request& req, const char* name);
// A whole number in [lo, hi]; `fallback` when absent.
result<std::int64_t> query_number(const httplib::Request& req, const char* name, std::int64_t lo, std::int64_t hi, std::int64_t fallback);
// One of `allowed` (e.g. {"ip", "service"}); `fallback` when absent.
result<std::string> query_word(const httplib::Request& req, const char* name, std::initializer_list<const char*> allowed, const char* fallback);
// since/until as the CLI reads --since/--until: YYYY-MM-DD, RFC 3339, or an age (30d); and
// domain as --domain: a policy domain, "*.example.com" for it and its subdomains.
result<store::query_filter> filter_of(const httplib::Request& req);

// Who asks (web/server.cpp): the account, and how it authenticated.
struct caller {
    account who;
    std::string via;  // "token", "password", "session", "none" (no users)
};

// What the data routes share with the server: the store (one request at a time), the context,
// and the authentication (nullopt: an answer — 401, 403, 429 — was already given).
struct route_env {
    store::store& db;
    std::mutex& db_mu;
    const analysis_context& ctx;
    std::function<std::optional<caller>(const httplib::Request&, httplib::Response&)> authenticate;
    // Answers `req` for `c` from the kept answers while the store has not changed, else through
    // `compute`, keeping a 200 (web/answer_cache.hpp).
    std::function<void(const caller& c, const httplib::Request& req, httplib::Response& res, const std::function<void()>& compute)> kept;
};

// The analysis paths under /api/v1/ (web/api.cpp).
void add_data_routes(httplib::Server& http, route_env& env);
// What the change routes (web/changes.cpp) share with the server: the store they read (kept
// alerts, mute rules; one request at a time), the caller of a change (a session's CSRF token
// checked; Basic refused) or of a read, and the store the changes are written to — opened for
// writing on the first change (serve's store is read-only), called under db_mu.
struct change_env {
    store::store& db;
    std::mutex& db_mu;
    std::function<std::optional<caller>(const httplib::Request&, httplib::Response&)> identify_change;
    std::function<std::optional<caller>(const httplib::Request&, httplib::Response&)> authenticate;
    std::function<result<store::store*>()> writer;
};

// POST /api/v1/alerts/ack, GET/POST /api/v1/mutes, DELETE /api/v1/mutes/ID.
void add_change_routes(httplib::Server& http, change_env& env);

// Answers `req` (path and parameters) for `c` as the route of its path would, through env.kept:
// the server's own questions (web/prefetch.hpp). False when the path is no data route.
bool answer_data_route(route_env& env, const caller& c, const httplib::Request& req, httplib::Response& res);

}  // namespace dmarcsight::web
