#include "web/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "views/documents.hpp"
#include "web/accounts.hpp"
#include "web/answer_cache.hpp"
#include "web/assets.hpp"
#include "web/http.hpp"
#include "web/metrics.hpp"
#include "web/prefetch.hpp"

namespace dmarcsight::web {

result<listen_address> parse_listen(std::string_view text) {
    listen_address a;
    std::string_view host, port;
    if (text.starts_with("[")) {  // [IPv6]:port (RFC 3986 §3.2.2)
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return fail("--listen " + std::string(text) + ": write an IPv6 address as [::1]:8080");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return fail("--listen " + std::string(text) + ": give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty()) return fail("--listen " + std::string(text) + ": the host is missing (e.g. 127.0.0.1:8080)");
    int p = -1;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 0 || p > 65535)
        return fail("--listen " + std::string(text) + ": the port must be a number from 0 to 65535");
    a.host = std::string(host);
    a.port = p;
    return a;
}

bool is_loopback(const std::string& host) {
    in_addr v4{};
    in6_addr v6{};
    if (host == "localhost") return true;
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

result<void> listen_allowed(const listen_address& a, const exposure& e) {
    // A proxy in front makes even a loopback listener reachable from beyond this machine.
    if (e.behind_proxy && !e.users)
        return fail("--behind-proxy: a reverse proxy makes the server reachable beyond this machine: add a user first "
                    "(dmarcsight user add NAME --domain D), or leave --behind-proxy out on loopback");
    if (is_loopback(a.host)) return {};
    const std::string where = "--listen " + a.host + ":" + std::to_string(a.port);
    if (!e.users)
        return fail(where + ": without users it listens on loopback only (127.0.0.1, [::1], localhost); add one "
                            "(dmarcsight user add NAME --domain D) to listen beyond loopback");
    if (!e.tls && !e.behind_proxy)
        return fail(where + ": beyond loopback, passwords and tokens need TLS: give --tls-cert and --tls-key, or "
                            "--behind-proxy when a reverse proxy terminates TLS in front of it");
    return {};
}

namespace {

using json = nlohmann::json;

// The methods a path takes (the routes below and in changes.cpp): what a 405 says in Allow.
std::string allowed_methods(const std::string& path) {
    static const std::regex view(R"(/api/v1/views/\d{1,18})"), mute(R"(/api/v1/mutes/\d{1,18})");
    if (path == "/api/v1/session") return "GET, HEAD, POST, DELETE";
    if (path == "/api/v1/views" || path == "/api/v1/mutes") return "GET, HEAD, POST";
    if (path == "/api/v1/alerts/ack") return "POST";
    if (std::regex_match(path, view) || std::regex_match(path, mute)) return "DELETE";
    return "GET, HEAD";
}

// Every answer: no script, style, frame or fetch from anywhere (the API's documents need none), no
// framing by others, no content sniffing, nothing cached or sent on as a referrer. The pages get
// page_policy instead.
const httplib::Headers& security_headers() {
    static const httplib::Headers h = {
        {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-store"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
    };
    return h;
}

// The dashboard's pages: script, style and fetches from this origin only — no inline script or
// style, no eval, no other host — images from here or data: URLs (the charts' downloads).
constexpr const char* page_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

constexpr std::string_view session_cookie = "dmarcsight_session";

// The session cookie's value in a Cookie header (RFC 6265 §5.4: "name=value; name=value").
std::string cookie_value(const std::string& header, std::string_view name) {
    std::string_view rest = header;
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        std::string_view pair = text::trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') return std::string(pair.substr(name.size() + 1));
    }
    return {};
}

// Equal secrets, in time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

// A browser's Origin (RFC 6454), when it sends one, names this server: scheme://Host. A page of
// another site cannot make a state-changing request here with this user's cookie.
bool same_origin(const httplib::Request& req, bool tls_or_proxy) {
    if (!req.has_header("Origin")) return true;
    const std::string origin = req.get_header_value("Origin");
    const std::string host = req.get_header_value("Host");
    if (host.empty()) return false;
    return origin == "http://" + host || (tls_or_proxy && origin == "https://" + host);
}

// The host of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost") is a loopback one.
bool loopback_host(std::string_view host) {
    if (host.starts_with("[")) {
        const auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        return is_loopback(std::string(host.substr(1, close - 1)));
    }
    const auto colon = host.find(':');
    std::string name(host.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return is_loopback(name);
}

json session_json(const caller& c, const std::string& csrf) {
    return {{"user", c.who.name}, {"all_domains", c.who.all_domains}, {"domains", c.who.domains}, {"auth", c.via}, {"csrf", csrf}};
}

// The body of POST /api/v1/session: {"user": …, "password": …} as JSON, or a form's fields.
std::optional<std::pair<std::string, std::string>> login_fields(const httplib::Request& req) {
    if (req.get_header_value("Content-Type").starts_with("application/json")) {
        json j = json::parse(req.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("user") || !j.contains("password") || !j["user"].is_string() ||
            !j["password"].is_string())
            return std::nullopt;
        return std::make_pair(j["user"].get<std::string>(), j["password"].get<std::string>());
    }
    if (!req.has_param("user") || !req.has_param("password")) return std::nullopt;
    return std::make_pair(req.get_param_value("user"), req.get_param_value("password"));
}

// Failed authentications per client address, over the last window.
class failure_limit {
public:
    bool blocked(const std::string& addr) {
        std::lock_guard lock(mu_);
        prune(addr);
        auto it = seen_.find(addr);
        return it != seen_.end() && static_cast<int>(it->second.size()) >= auth_failures_allowed;
    }
    void failed(const std::string& addr) {
        std::lock_guard lock(mu_);
        prune(addr);
        if (seen_.size() > 10000) seen_.clear();  // a flood of addresses cannot grow it without bound
        seen_[addr].push_back(utc::now());
    }

private:
    void prune(const std::string& addr) {
        auto it = seen_.find(addr);
        if (it == seen_.end()) return;
        const std::int64_t since = utc::now() - auth_failure_window_s;
        while (!it->second.empty() && it->second.front() <= since) it->second.pop_front();
        if (it->second.empty()) seen_.erase(it);
    }
    std::mutex mu_;
    std::map<std::string, std::deque<std::int64_t>> seen_;
};

// "Basic base64(user:password)" → user, password (RFC 7617).
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view b64) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (b64.size() > 4 * max_password_length) return std::nullopt;
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : b64) {
        if (c == '=') break;
        const auto v = alphabet.find(c);
        if (v == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    const auto colon = out.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(out.substr(0, colon), out.substr(colon + 1));
}

}  // namespace

// True on the thread that answers ahead (its answers are counted apart).
thread_local bool answering_ahead = false;

// The caller without users, and the server's own (web/prefetch.hpp): every domain.
caller everyone() {
    caller c;
    c.who.name = "(no users)";
    c.who.all_domains = true;
    c.via = "none";
    return c;
}

struct server::impl {
    store::store& db;
    accounts* users;
    analysis_context ctx;
    bool secure_cookies;
    std::mutex db_mu;     // the store answers one request at a time
    std::mutex users_mu;  // the accounts, apart: a kept answer never waits for a scan in progress
    // A second read-only connection for the change marker alone, for the same reason (null:
    // the marker is read on `db`, under db_mu).
    std::unique_ptr<store::store> marker_db;
    std::mutex marker_mu;
    std::unique_ptr<httplib::Server> http;
    failure_limit failures;
    std::string tls_error;
    answer_cache answers;
    std::atomic<std::uint64_t> n_kept{0}, n_computed{0}, n_ahead{0}, n_rounds{0};
    std::atomic<int> users_computing{0};  // users' answers being computed now (the warmer waits)
    route_env env;
    std::unique_ptr<store::store> changes_db;  // opened on the first change (under db_mu)
    change_env changes;

    // Whose answer a request's is: the account's (the rows of its domains), or — a data route
    // asked for one domain the account sees — that domain's, the same for every account that
    // sees it (so the server's own questions, web/prefetch.hpp, answer every user).
    enum class scope { account, domain_asked };

    std::string marker_now() {
        if (marker_db) {
            std::lock_guard lock(marker_mu);
            auto m = marker_db->change_marker();
            return m ? std::move(*m) : std::string();
        }
        std::lock_guard lock(db_mu);
        auto m = db.change_marker();
        return m ? std::move(*m) : std::string();
    }

    // The kept answer of this request, while the store is unchanged; else the computed one, kept
    // when it is a 200. The marker is read before computing: a change during the computation
    // leaves the answer under the older marker, where it is never found again.
    // `as_sent`: the answer goes to the client as it is (a kept gzip body may be given); false
    // when the caller reads res.body itself.
    void kept(const caller& c, const httplib::Request& req, httplib::Response& res, const std::function<void()>& compute,
              scope sc = scope::account, bool as_sent = true) {
        // Every piece with its length in front: a parameter value holding '&' or '=' never makes
        // the key of another request. The parameters are a multimap, so in key order.
        std::string key;
        const auto piece = [&key](std::string_view p) { key.append(std::to_string(p.size())).append(":").append(p); };
        piece(req.path);
        for (const auto& [k, v] : req.params) {
            piece(k);
            piece(v);
        }
        bool by_domain = false;
        if (sc == scope::domain_asked) {
            // Only a domain this account sees: any other is answered (403) by the computation.
            auto f = filter_of(req);
            by_domain = f && !f->domain.empty() && c.who.sees(f->domain);
        }
        if (by_domain) {
            key += "|d";
        } else {
            key += c.who.all_domains ? "|*" : "|";
            if (!c.who.all_domains)
                for (const auto& d : c.who.domains) piece(d);
        }
        const std::string marker = marker_now();
        const std::int64_t now = utc::now();
        if (!marker.empty()) {
            if (auto a = answers.find(key, marker, now)) {
                res.status = a->status;
                for (const auto& [k, v] : a->headers) res.set_header(k, v);
                // The pre-routing handler left "gzip" or nothing in Accept-Encoding. The kept
                // compressed body goes as it is; the library must not compress it again, so the
                // request (the library's own object, as in the pre-routing handler) no longer
                // offers an encoding.
                if (as_sent && !a->gzip_body.empty() && req.get_header_value("Accept-Encoding") == "gzip") {
                    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
                    res.set_header("Content-Encoding", "gzip");
                    res.set_header("Vary", "Accept-Encoding");
                    res.set_content(std::move(a->gzip_body), a->content_type);
                } else {
                    res.set_content(std::move(a->body), a->content_type);
                }
                if (!answering_ahead) ++n_kept;
                return;
            }
        }
        {
            // Counted while it runs, also when it throws (the library answers 500 then).
            struct counted {
                std::atomic<int>& n;
                explicit counted(std::atomic<int>& c) : n(c) { ++n; }
                ~counted() { --n; }
            };
            std::optional<counted> user;
            if (!answering_ahead) user.emplace(users_computing);
            compute();
        }
        ++(answering_ahead ? n_ahead : n_computed);
        if (ctx.after_computing && res.status == 200) ctx.after_computing();
        if (marker.empty() || res.status != 200) return;
        kept_answer a;
        a.status = res.status;
        a.content_type = res.get_header_value("Content-Type");
        a.body = res.body;
        a.gzip_body = gzip_body_of(a.body);
        if (res.has_header("X-Total-Count")) a.headers.emplace_back("X-Total-Count", res.get_header_value("X-Total-Count"));
        answers.keep(key, marker, std::move(a), now);
    }

    // Who asks, with the session's CSRF token (sessions only); or an answer already given (401,
    // 403, 429, 500). Without users, an all-domains account stands for every request (loopback
    // only, see listen_allowed). `changes`: the request changes state — a session must carry its
    // CSRF token and a same-origin Origin, and Basic credentials (which browsers replay by
    // themselves) are not enough.
    std::optional<std::pair<caller, std::string>> identify(const httplib::Request& req, httplib::Response& res, bool changes) {
        std::lock_guard lock(users_mu);
        bool any = false;
        if (users) {
            auto a = users->any_user();
            if (!a) {
                send_error(res, 500, a.err().message);
                return std::nullopt;
            }
            any = *a;
        }
        if (!any) {
            // Without users nothing authenticates: only the loopback interface is listened on,
            // and only requests addressed to it by name are answered — a page elsewhere that
            // rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own Host. A change
            // also comes from this server's own page (Origin), as with users.
            if (!loopback_host(req.get_header_value("Host"))) {
                send_error(res, 403, "without users this server answers requests to a loopback address only (Host: 127.0.0.1, [::1], localhost)");
                return std::nullopt;
            }
            if (changes && !same_origin(req, secure_cookies)) {
                send_error(res, 403, "a change comes from this server's own page (Origin)");
                return std::nullopt;
            }
            return std::make_pair(everyone(), std::string());
        }
        const std::string& addr = req.remote_addr;
        if (failures.blocked(addr)) {
            res.set_header("Retry-After", std::to_string(auth_failure_window_s));
            send_error(res, 429, "too many failed authentications from this address; wait a minute");
            return std::nullopt;
        }
        const std::string h = req.get_header_value("Authorization");
        const std::string cookie = cookie_value(req.get_header_value("Cookie"), session_cookie);
        result<std::optional<account>> who = std::optional<account>();
        caller c;
        std::string csrf;
        if (h.starts_with("Bearer ")) {
            who = users->check_token(text::trim(std::string_view(h).substr(7)));
            c.via = "token";
        } else if (h.starts_with("Basic ")) {
            if (changes) {
                send_error(res, 403, "a change needs an API token (Authorization: Bearer …) or a session with its CSRF token, not a password");
                return std::nullopt;
            }
            if (auto cr = basic_credentials(text::trim(std::string_view(h).substr(6)))) who = users->check_password(cr->first, cr->second);
            c.via = "password";
        } else if (!cookie.empty()) {
            auto sess = users->check_session(cookie);
            if (!sess) {
                send_error(res, 500, sess.err().message);
                return std::nullopt;
            }
            c.via = "session";
            if (*sess) {
                csrf = (*sess)->csrf;
                who = std::optional<account>((*sess)->who);
                if (changes && (!same_secret(req.get_header_value("X-CSRF-Token"), csrf) || !same_origin(req, secure_cookies))) {
                    send_error(res, 403, "this change needs the session's CSRF token (X-CSRF-Token, from GET /api/v1/session) and a same-origin request");
                    return std::nullopt;
                }
            }
        }
        if (!who) {
            send_error(res, 500, who.err().message);
            return std::nullopt;
        }
        if (!*who) {
            // An expired session is no attack: only wrong passwords and tokens count.
            if (!h.empty()) failures.failed(addr);
            if (!cookie.empty() && h.empty()) clear_cookie(res);
            // Basic is offered to scripts only: a browser's fetch (Sec-Fetch-Mode) would pop up its
            // own password dialog over the dashboard's login page.
            res.set_header("WWW-Authenticate", req.has_header("Sec-Fetch-Mode")
                                                   ? "Bearer realm=\"dmarcsight\", charset=\"UTF-8\""
                                                   : "Bearer realm=\"dmarcsight\", Basic realm=\"dmarcsight\", charset=\"UTF-8\"");
            send_error(res, 401, h.empty() && cookie.empty() ? "authentication required: log in, or an API token (Authorization: Bearer …)"
                                 : h.empty() ? "the session has ended: log in again"
                                             : "the token or the user name and password are not valid");
            return std::nullopt;
        }
        c.who = std::move(**who);
        return std::make_pair(std::move(c), csrf);
    }

    std::optional<caller> authenticate(const httplib::Request& req, httplib::Response& res) {
        auto r = identify(req, res, false);
        if (!r) return std::nullopt;
        return std::move(r->first);
    }

    std::string cookie_attributes() const {
        // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it here.
        return std::string("; Path=/; HttpOnly; SameSite=Strict") + (secure_cookies ? "; Secure" : "");
    }
    void clear_cookie(httplib::Response& res) const {
        res.set_header("Set-Cookie", std::string(session_cookie) + "=" + cookie_attributes() + "; Max-Age=0");
    }

    // The store's totals span every domain: only an all-domains account sees them.
    static bool sees_totals(const caller& c, httplib::Response& res) {
        if (c.who.all_domains) return true;
        send_error(res, 403, "the store's totals cover every domain; account '" + c.who.name + "' sees only its own (GET /api/v1/domains)");
        return false;
    }

    // POST /api/v1/session: log in with a user's password; the cookie and the CSRF token.
    void login(const httplib::Request& req, httplib::Response& res) {
        if (!same_origin(req, secure_cookies)) return send_error(res, 403, "a login comes from this server's own page (Origin)");
        std::lock_guard lock(users_mu);
        if (!users) return send_error(res, 404, "no users: nothing to log in to (dmarcsight user add)");
        const std::string& addr = req.remote_addr;
        if (failures.blocked(addr)) {
            res.set_header("Retry-After", std::to_string(auth_failure_window_s));
            return send_error(res, 429, "too many failed logins from this address; wait a minute");
        }
        auto fields = login_fields(req);
        if (!fields) return send_error(res, 400, "give user and password (JSON {\"user\": …, \"password\": …} or a form)");
        auto who = users->check_password(fields->first, fields->second);
        if (!who) return send_error(res, 500, who.err().message);
        if (!*who) {
            failures.failed(addr);
            return send_error(res, 401, "the user name or the password is not valid");
        }
        auto sess = users->create_session((*who)->name);
        if (!sess) return send_error(res, 500, sess.err().message);
        res.set_header("Set-Cookie", std::string(session_cookie) + "=" + sess->secret + cookie_attributes() +
                                         "; Max-Age=" + std::to_string(session_lifetime_s));
        caller c{sess->who, "session"};
        send_json(res, 200, session_json(c, sess->csrf));
    }

    void logout(const httplib::Request& req, httplib::Response& res) {
        auto c = identify(req, res, true);
        if (!c) return;
        if (c->first.via == "session") {
            std::lock_guard lock(users_mu);
            if (auto r = users->end_session(cookie_value(req.get_header_value("Cookie"), session_cookie)); !r)
                return send_error(res, 500, r.err().message);
        }
        clear_cookie(res);
        res.status = 204;
    }

    // Saved views: each user's own named links into the dashboard.
    bool views_possible(const caller& c, httplib::Response& res) {
        if (users && c.via != "none") return true;
        send_error(res, 404, "saved views belong to users: with none (dmarcsight user add) there is nowhere to keep them");
        return false;
    }
    static json view_json(const saved_view& v) {
        return {{"id", v.id}, {"name", v.name}, {"route", v.route}, {"created_at", utc::format_iso8601(v.created_at)}};
    }
    void list_views(const httplib::Request& req, httplib::Response& res) {
        auto c = authenticate(req, res);
        if (!c || !views_possible(*c, res)) return;
        std::lock_guard lock(users_mu);
        auto v = users->views(c->who.name);
        if (!v) return send_error(res, 500, v.err().message);
        json out = json::array();
        for (const auto& x : *v) out.push_back(view_json(x));
        send_json(res, 200, out);
    }
    void add_view(const httplib::Request& req, httplib::Response& res) {
        auto c = identify(req, res, true);
        if (!c || !views_possible(c->first, res)) return;
        json j = json::parse(req.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j.contains("route") || !j["name"].is_string() || !j["route"].is_string())
            return send_error(res, 400, "give {\"name\": …, \"route\": \"#/…\"} as JSON");
        std::lock_guard lock(users_mu);
        auto v = users->add_view(c->first.who.name, j["name"].get<std::string>(), j["route"].get<std::string>());
        if (!v) return send_error(res, 400, v.err().message);
        send_json(res, 201, view_json(*v));
    }
    void remove_view(const httplib::Request& req, httplib::Response& res) {
        auto c = identify(req, res, true);
        if (!c || !views_possible(c->first, res)) return;
        std::int64_t id = 0;
        const std::string& t = req.matches[1];
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
        if (ec != std::errc() || end != t.data() + t.size()) return send_error(res, 404, "no such view");
        std::lock_guard lock(users_mu);
        auto gone = users->remove_view(c->first.who.name, id);
        if (!gone) return send_error(res, 500, gone.err().message);
        if (!*gone) return send_error(res, 404, "no view #" + std::to_string(id) + " of yours");
        res.status = 204;
    }

    // GET /api/v1/domains: the rows of the domains this account may see, and nothing of the
    // others — cut from the document of every domain, which is kept once for all accounts.
    void domains(const caller& c, const httplib::Request& req, httplib::Response& res) {
        const bool cut = !c.who.all_domains;  // this answer is read here, not sent as it is
        kept(everyone(), req, res, [&] {
            auto w = filter_of(req);
            if (!w) return send_error(res, 400, w.err().message);
            w->domain.clear();  // every domain
            std::lock_guard lock(db_mu);
            auto j = views::domains_document(db, views::fact_window(*w));
            if (!j) return send_error(res, 500, j.err().message);
            send_json(res, 200, *j);
        }, scope::account, !cut);
        if (!cut || res.status != 200) return;
        json all = json::parse(res.body, nullptr, false);
        if (!all.is_array()) return send_error(res, 500, "the domains document is not an array");
        json mine = json::array();
        for (auto& row : all)
            if (row.is_object() && row.contains("policy_domain") && row["policy_domain"].is_string() &&
                c.who.sees(row["policy_domain"].get<std::string>()))
                mine.push_back(std::move(row));
        send_json(res, 200, mine);
    }

    // The server's own questions (web/prefetch.hpp): once the store has not changed for a
    // quiet period, and again when the hour turns (kept answers hold within it), the answers of
    // the largest domains' first pages are computed and kept. One question at a time, each taking
    // the store's lock as a request does, so a user's request waits at most for one of them.
    bool prefetch = false;
    std::thread warmer;
    std::mutex warm_mu;
    std::condition_variable warm_cv;
    bool stopping = false;

    void warm_loop() {
        std::string seen, warmed;
        std::int64_t warmed_hour = -1;
        answering_ahead = true;
        std::unique_lock lk(warm_mu);
        while (!warm_cv.wait_for(lk, std::chrono::seconds(prefetch_quiet_s), [this] { return stopping; })) {
            lk.unlock();
            const std::string m = marker_now();
            const std::int64_t hour = utc::now() / answer_cache::period_s;
            if (!m.empty() && m == seen && (m != warmed || hour != warmed_hour) && warm_guarded(m)) {
                warmed = m;
                warmed_hour = hour;
                ++n_rounds;
            }
            seen = m;
            lk.lock();
        }
    }
    // A round that throws (out of memory in a scan, …) is a round not done: the server goes on.
    bool warm_guarded(const std::string& m) {
        try {
            return warm(m);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "dmarcsight serve: answering ahead stopped: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "dmarcsight serve: answering ahead stopped\n");
        }
        return false;
    }
    bool should_stop() {
        std::lock_guard lk(warm_mu);
        return stopping;
    }
    // False when it stopped early: the store changed, or the server stops.
    bool warm(const std::string& m) {
        const caller all = everyone();
        bool full = false;
        answers.drop_stale(m, utc::now());  // the last round's answers do not count against this one
        // One question, its answer in `res`; false when the round must end.
        const auto ask = [&](const prefetch_request& q, httplib::Response& res) {
            // Users first: a question of the warmer starts only when none is being computed for
            // a user (std::mutex does not queue, so the warmer would otherwise win it again).
            while (users_computing.load() > 0 && !should_stop()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (should_stop() || marker_now() != m) return false;
            // Half the kept bytes at most, so what users asked stays kept: the round ends there.
            full = full || answers.bytes() > answer_cache::max_bytes / 2;
            if (full) return true;
            httplib::Request req;
            req.path = q.path;
            for (const auto& [k, v] : q.params) req.params.emplace(k, v);
            if (q.path == "/api/v1/domains") domains(all, req, res);
            else answer_data_route(env, all, req, res);
            return true;
        };
        const auto ask_only = [&](const prefetch_request& q) {
            httplib::Response res;
            return ask(q, res);
        };
        httplib::Response dres;
        if (!ask({"/api/v1/domains", {}}, dres)) return false;
        if (dres.status != 200) return true;  // nothing to warm (the error is the user's to see)
        if (!ask_only(all_sources_call())) return false;
        const json rows = json::parse(dres.body, nullptr, false);
        if (!rows.is_array()) return true;
        std::vector<std::pair<std::int64_t, std::string>> largest;
        for (const auto& r : rows)
            if (r.is_object() && r.value("messages", json()).is_number_integer() && r.value("policy_domain", json()).is_string())
                largest.emplace_back(r["messages"].get<std::int64_t>(), r["policy_domain"].get<std::string>());
        std::sort(largest.begin(), largest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        if (largest.size() > prefetch_max_domains) largest.resize(prefetch_max_domains);
        for (const auto& [_, d] : largest)
            for (const auto& q : dashboard_calls(d))
                if (!ask_only(q)) return false;
        return true;
    }
    void start_warmer() {
        if (prefetch && !warmer.joinable()) warmer = std::thread([this] { warm_loop(); });
    }
    void stop_warmer() {
        {
            std::lock_guard lk(warm_mu);
            stopping = true;
        }
        warm_cv.notify_all();
    }
    ~impl() {
        stop_warmer();
        if (warmer.joinable()) warmer.join();
    }

    impl(store::store& d, accounts* u, analysis_context c, const tls_files& tls, bool secure, bool ahead)
        : db(d), users(u), ctx(std::move(c)), secure_cookies(secure || !tls.cert.empty()),
          env{db, db_mu, ctx, [this](const httplib::Request& req, httplib::Response& res) { return authenticate(req, res); },
              [this](const caller& c, const httplib::Request& req, httplib::Response& res, const std::function<void()>& compute) {
                  kept(c, req, res, compute, scope::domain_asked);
              }},
          changes{db, db_mu,
                  [this](const httplib::Request& req, httplib::Response& res) -> std::optional<caller> {
                      auto c = identify(req, res, true);
                      if (!c) return std::nullopt;
                      return std::move(c->first);
                  },
                  [this](const httplib::Request& req, httplib::Response& res) { return authenticate(req, res); },
                  [this]() -> result<store::store*> {
                      if (!changes_db) {
                          if (!ctx.open_for_changes) return fail("this server makes no changes to the store");
                          auto w = ctx.open_for_changes();
                          if (!w) return unexpected{w.err()};
                          changes_db = std::move(*w);
                      }
                      return changes_db.get();
                  }},
          prefetch(ahead) {
        if (ctx.open_reader) {
            if (auto r = ctx.open_reader()) marker_db = std::move(*r);
        }
        if (!tls.cert.empty() || !tls.key.empty()) {
            auto s = std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str());
            if (!s->is_valid()) tls_error = "cannot use the TLS certificate '" + tls.cert + "' and key '" + tls.key + "' (unreadable, or not a pair)";
            http = std::move(s);
        } else {
            http = std::make_unique<httplib::Server>();
        }
        // Without TCP_NODELAY, keep-alive requests wait on delayed ACKs: ~45,000/s fall to ~150/s.
        http->set_tcp_nodelay(true);
        http->set_default_headers(security_headers());
        http->set_read_timeout(10, 0);
        http->set_write_timeout(30, 0);
        http->set_payload_max_length(16 * 1024);  // a login or a saved view; nothing larger is taken
        http->set_keep_alive_max_count(100);
        // cpp-httplib 0.11 compresses with brotli whenever the client offers it (every browser
        // does), at brotli's slowest quality: a 7.5 MB answer took 10 s of CPU (gzip: 0.4 s).
        // Offer the library gzip alone. The request is the library's own non-const object, so
        // changing it before routing is sound.
        http->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
            if (req.has_header("Accept-Encoding")) {
                auto& r = const_cast<httplib::Request&>(req);
                const bool gzip = r.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
                r.headers.erase("Accept-Encoding");
                if (gzip) r.headers.emplace("Accept-Encoding", "gzip");
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });

        http->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
        // The pages and their files (web/assets.hpp). They hold no data: every number comes from
        // the API, after authentication, so they are served to anyone who can reach the socket.
        for (const auto& a : assets()) {
            const std::string path(a.path);
            const char* type = path.ends_with(".js") ? "text/javascript; charset=utf-8"
                               : path.ends_with(".css") ? "text/css; charset=utf-8"
                                                        : "text/html; charset=utf-8";
            http->Get(path, [a, type](const httplib::Request&, httplib::Response& res) {
                res.headers.erase("Content-Security-Policy");
                res.set_header("Content-Security-Policy", page_policy);
                res.set_content(a.data, a.size, type);
            });
        }
        http->Get("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) {
            auto c = identify(req, res, false);
            if (c) send_json(res, 200, session_json(c->first, c->second));
        });
        http->Post("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
        http->Delete("/api/v1/session", [this](const httplib::Request& req, httplib::Response& res) { logout(req, res); });
        http->Get("/api/v1/views", [this](const httplib::Request& req, httplib::Response& res) { list_views(req, res); });
        http->Post("/api/v1/views", [this](const httplib::Request& req, httplib::Response& res) { add_view(req, res); });
        http->Delete(R"(/api/v1/views/(\d{1,18}))", [this](const httplib::Request& req, httplib::Response& res) { remove_view(req, res); });
        http->Get("/api/v1/stats", [this](const httplib::Request& req, httplib::Response& res) {
            auto c = authenticate(req, res);
            if (!c || !sees_totals(*c, res)) return;
            std::lock_guard lock(db_mu);
            auto j = views::stats_document(db);
            if (!j) return send_error(res, 500, j.err().message);
            send_json(res, 200, *j);
        });
        http->Get("/api/v1/domains", [this](const httplib::Request& req, httplib::Response& res) {
            auto c = authenticate(req, res);
            if (c) domains(*c, req, res);
        });
        add_data_routes(*http, env);
        add_change_routes(*http, changes);
        http->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
            auto c = authenticate(req, res);
            if (!c || !sees_totals(*c, res)) return;
            std::lock_guard lock(db_mu);
            auto m = metrics_text(db);
            if (!m) return send_error(res, 500, m.err().message);
            res.set_content(*m + serve_metrics_text({n_kept, n_computed, n_ahead, n_rounds}), "text/plain; version=0.0.4; charset=utf-8");
        });
        // Every other method and path pair is refused as such, with the methods the path takes
        // (RFC 9110 §15.5.6: a 405 names them in Allow).
        const auto refuse = [](const httplib::Request& req, httplib::Response& res) {
            res.set_header("Allow", allowed_methods(req.path));
            send_error(res, 405, "method " + std::string(utf8_prefix(req.method, 16)) + " is not allowed here");
        };
        http->Post(".*", refuse);
        http->Put(".*", refuse);
        http->Patch(".*", refuse);
        http->Delete(".*", refuse);
        http->Options(".*", refuse);
        // Unknown paths, and the library's own errors (400 for a bad request line, 413, 414, 431), as JSON.
        http->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return;
            if (res.status == 404) return send_error(res, 404, "no such path: " + std::string(utf8_prefix(req.path, 200)));
            send_error(res, res.status, "the request was refused (HTTP " + std::to_string(res.status) + ")");
        });
        http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
            send_error(res, 500, "internal error");
        });
    }
};

server::server(store::store& db, accounts* users, analysis_context ctx, const tls_files& tls, bool secure_cookies, bool prefetch)
    : p_(std::make_unique<impl>(db, users, std::move(ctx), tls, secure_cookies, prefetch)) {}

result<void> server::ready() const {
    if (!p_->tls_error.empty()) return fail(p_->tls_error);
    return {};
}
server::~server() = default;

result<int> server::bind(const listen_address& a) {
    if (a.port == 0) {
        const int port = p_->http->bind_to_any_port(a.host);
        if (port <= 0) return fail("cannot listen on " + a.host + " (any port)");
        return port;
    }
    if (!p_->http->bind_to_port(a.host, a.port))
        return fail("cannot listen on " + a.host + ":" + std::to_string(a.port) + " (in use, or not an address of this machine)");
    return a.port;
}

bool server::run() {
    p_->start_warmer();
    return p_->http->listen_after_bind();
}

void server::stop() {
    p_->stop_warmer();  // joined when the server goes: it finishes the question in hand
    p_->http->stop();
}

}  // namespace dmarcsight::web
