#include "posture/https_fetch.hpp"

#include <chrono>

#include "auth/record_mail.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "net/http_client.hpp"

namespace dmarcsight::posture {

std::optional<std::string> https_get(const std::string& url, const https_options& options, std::string& error) {
    net::http_options o;
    o.deadline = std::chrono::milliseconds(options.timeout_ms);
    o.connect_timeout = o.deadline;  // one limit: the whole fetch's deadline
    o.max_body = limits::max_mta_sts_policy;
    o.max_headers = limits::max_mta_sts_response_headers;
    o.ca_file = options.ca_file;
    o.connect_to = options.connect_to;
    o.resolve_to = options.addresses;
    o.accept = "text/plain";
    // RFC 8461 §3.3: HTTPS only (allow_plain_http stays false), redirects never followed.
    auto reply = net::http_get(url, o);
    if (!reply) {
        error = reply.err().message;
        return std::nullopt;
    }
    return auth::mta_sts_policy_reply(reply->status, reply->content_type, reply->body, error);
}

std::optional<std::string> https_get_resolved(dns::resolver& dns, const std::string& url, https_options options,
                                              std::string& error) {
    constexpr std::string_view scheme = "https://";
    if (url.rfind(scheme, 0) != 0) {
        error = "not an https URL";
        return std::nullopt;
    }
    const std::string host = url.substr(scheme.size(), url.find_first_of("/:", scheme.size()) - scheme.size());
    options.addresses.clear();
    std::string failure;
    for (const dns::rr_type type : {dns::rr_type::a, dns::rr_type::aaaa}) {
        const dns::answer a = dns.query(host, type);
        if (a.temporary_failure() && failure.empty()) failure = a.detail;
        for (const auto& rr : a.records) {
            if (const auto* ip = std::get_if<ip_address>(&rr.data)) options.addresses.push_back(ip->to_string());
        }
    }
    if (options.addresses.empty()) {
        error = failure.empty() ? text::for_terminal(host, limits::max_logged_text) + " has no A or AAAA record"
                                : "the address lookup of " + text::for_terminal(host, limits::max_logged_text) +
                                      " failed (" + failure + ")";
        return std::nullopt;
    }
    return https_get(url, options, error);
}

}  // namespace dmarcsight::posture
