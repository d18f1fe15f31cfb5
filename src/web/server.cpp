#include "web/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>

#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "core/text.hpp"
#include "core/time.hpp"
#include "core/utf8.hpp"
#include "views/documents.hpp"
#include "web/accounts.hpp"
#include "web/metrics.hpp"

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

// Every answer: no script, style, frame or fetch from anywhere (the API serves no pages yet), no
// framing by others, no content sniffing, nothing cached or sent on as a referrer.
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

void send_json(httplib::Response& res, int status, const json& j) {
    res.status = status;
    res.set_content(views::document_text(j, 2) + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& why) { send_json(res, status, json{{"error", why}}); }

// A query parameter, checked: at most max_query_value bytes of valid UTF-8.
result<std::string> query_value(const httplib::Request& req, const char* name) {
    if (!req.has_param(name)) return std::string();
    std::string v = req.get_param_value(name);
    if (v.size() > max_query_value)
        return fail(std::string("parameter ") + name + " is longer than " + std::to_string(max_query_value) + " bytes");
    if (!text::is_valid_utf8(v)) return fail(std::string("parameter ") + name + " is not UTF-8");
    return v;
}

// since/until as the CLI reads --since/--until: YYYY-MM-DD, RFC 3339, or an age (30d).
result<store::query_filter> window_of(const httplib::Request& req) {
    store::query_filter f;
    const std::int64_t now = utc::now();
    for (const char* name : {"since", "until"}) {
        auto v = query_value(req, name);
        if (!v) return unexpected{v.err()};
        if (v->empty()) continue;
        auto t = utc::parse_user_time(*v, now);
        if (!t) return fail(std::string("parameter ") + name + ": '" + *v + "' is not a time (" + utc::user_time_forms + ")");
        (std::string_view(name) == "since" ? f.since : f.until) = *t;
    }
    if (f.since && f.until && *f.since >= *f.until) return fail("since is not before until (since inclusive, until exclusive)");
    return f;
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

struct server::impl {
    store::store& db;
    accounts* users;
    std::mutex db_mu;  // the store and the accounts answer one request at a time
    std::unique_ptr<httplib::Server> http;
    failure_limit failures;
    std::string tls_error;

    // Who asks: the account, or an answer already given (401, 429, 500). Without users, an
    // all-domains account stands for every request (loopback only, see listen_allowed).
    std::optional<account> authenticate(const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(db_mu);
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
            account everything;
            everything.name = "(no users)";
            everything.all_domains = true;
            return everything;
        }
        const std::string& addr = req.remote_addr;
        if (failures.blocked(addr)) {
            res.set_header("Retry-After", std::to_string(auth_failure_window_s));
            send_error(res, 429, "too many failed authentications from this address; wait a minute");
            return std::nullopt;
        }
        const std::string h = req.get_header_value("Authorization");
        result<std::optional<account>> who = std::optional<account>();
        if (h.starts_with("Bearer ")) {
            who = users->check_token(text::trim(std::string_view(h).substr(7)));
        } else if (h.starts_with("Basic ")) {
            if (auto c = basic_credentials(text::trim(std::string_view(h).substr(6)))) who = users->check_password(c->first, c->second);
        }
        if (!who) {
            send_error(res, 500, who.err().message);
            return std::nullopt;
        }
        if (!*who) {
            if (!h.empty()) failures.failed(addr);
            res.set_header("WWW-Authenticate", "Bearer realm=\"dmarcsight\", Basic realm=\"dmarcsight\", charset=\"UTF-8\"");
            send_error(res, 401, h.empty() ? "authentication required: an API token (Authorization: Bearer …) or a user's password"
                                           : "the token or the user name and password are not valid");
            return std::nullopt;
        }
        return *who;
    }

    // The store's totals span every domain: only an all-domains account sees them.
    static bool sees_totals(const account& who, httplib::Response& res) {
        if (who.all_domains) return true;
        send_error(res, 403, "the store's totals cover every domain; account '" + who.name + "' sees only its own (GET /api/v1/domains)");
        return false;
    }

    impl(store::store& d, accounts* u, const tls_files& tls) : db(d), users(u) {
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
        http->set_payload_max_length(64 * 1024);  // no route takes a body yet
        http->set_keep_alive_max_count(100);

        http->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
        http->Get("/api/v1/stats", [this](const httplib::Request& req, httplib::Response& res) {
            auto who = authenticate(req, res);
            if (!who || !sees_totals(*who, res)) return;
            std::lock_guard lock(db_mu);
            auto j = views::stats_document(db);
            if (!j) return send_error(res, 500, j.err().message);
            send_json(res, 200, *j);
        });
        http->Get("/api/v1/domains", [this](const httplib::Request& req, httplib::Response& res) {
            auto who = authenticate(req, res);
            if (!who) return;
            auto w = window_of(req);
            if (!w) return send_error(res, 400, w.err().message);
            std::lock_guard lock(db_mu);
            auto j = views::domains_document(db, views::fact_window(*w));
            if (!j) return send_error(res, 500, j.err().message);
            // Per-domain access: the rows of domains this account may see, and nothing of the others.
            json mine = json::array();
            for (auto& row : *j)
                if (who->sees(row["policy_domain"].get<std::string>())) mine.push_back(std::move(row));
            send_json(res, 200, mine);
        });
        http->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
            auto who = authenticate(req, res);
            if (!who || !sees_totals(*who, res)) return;
            std::lock_guard lock(db_mu);
            auto m = metrics_text(db);
            if (!m) return send_error(res, 500, m.err().message);
            res.set_content(*m, "text/plain; version=0.0.4; charset=utf-8");
        });
        // Nothing changes state yet: every other method is refused as such.
        const auto refuse = [](const httplib::Request& req, httplib::Response& res) {
            res.set_header("Allow", "GET, HEAD");
            send_error(res, 405, "method " + std::string(utf8_prefix(req.method, 16)) + " is not allowed here (GET, HEAD)");
        };
        http->Post(".*", refuse);
        http->Put(".*", refuse);
        http->Patch(".*", refuse);
        http->Delete(".*", refuse);
        http->Options(".*", refuse);
        // Unknown paths, and the library's own errors (400 for a bad request line, 414, 431), as JSON.
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

server::server(store::store& db, accounts* users, const tls_files& tls) : p_(std::make_unique<impl>(db, users, tls)) {}

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

bool server::run() { return p_->http->listen_after_bind(); }

void server::stop() { p_->http->stop(); }

}  // namespace dmarcsight::web
