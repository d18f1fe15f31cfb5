#include "web/http.hpp"

#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "core/time.hpp"
#include "views/documents.hpp"

namespace dmarcsight::web {

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
    res.status = status;
    res.set_content(views::document_text(j, 2) + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& why) { send_json(res, status, nlohmann::json{{"error", why}}); }

result<std::string> query_value(const httplib::Request& req, const char* name) {
    if (!req.has_param(name)) return std::string();
    std::string v = req.get_param_value(name);
    if (v.size() > max_query_value)
        return fail(std::string("parameter ") + name + " is longer than " + std::to_string(max_query_value) + " bytes");
    if (!text::is_valid_utf8(v)) return fail(std::string("parameter ") + name + " is not UTF-8");
    return v;
}

result<std::int64_t> query_number(const httplib::Request& req, const char* name, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
    auto v = query_value(req, name);
    if (!v) return unexpected{v.err()};
    if (v->empty()) return fallback;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < lo || n > hi)
        return fail(std::string("parameter ") + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return n;
}

result<std::string> query_word(const httplib::Request& req, const char* name, std::initializer_list<const char*> allowed, const char* fallback) {
    auto v = query_value(req, name);
    if (!v) return unexpected{v.err()};
    if (v->empty()) return std::string(fallback);
    std::string list;
    for (const char* a : allowed) {
        if (*v == a) return *v;
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    return fail(std::string("parameter ") + name + " must be one of: " + list);
}

result<store::query_filter> filter_of(const httplib::Request& req) {
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
    auto d = query_value(req, "domain");
    if (!d) return unexpected{d.err()};
    std::string_view domain = *d;
    if (domain.starts_with("*.")) {
        f.include_subdomains = true;
        domain.remove_prefix(2);
    }
    if (!domain.empty()) {
        f.domain = text::normalize_domain(domain);
        // A name of labels: no empty label, nothing that is not a host name's (or an IDN's) byte.
        const bool bad_byte = std::any_of(f.domain.begin(), f.domain.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u <= 0x20 || std::string_view("/\\?#@:;,'\"<>()[]{}|*!$%&=+~^`").find(c) != std::string_view::npos;
        });
        if (f.domain.empty() || f.domain.size() > 253 || f.domain.front() == '.' || f.domain.find("..") != std::string::npos || bad_byte)
            return fail("parameter domain: '" + *d + "' is not a domain name");
    }
    return f;
}

}  // namespace dmarcsight::web
