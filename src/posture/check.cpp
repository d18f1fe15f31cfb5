#include "posture/check.hpp"

#include "auth/org_domain.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "dns/idn.hpp"
#include "posture/context.hpp"

namespace dmarcsight::posture {

namespace detail {

txt_answer query_txt(dns::resolver& dns, const std::string& name) {
    txt_answer out;
    const dns::answer a = dns.query(name, dns::rr_type::txt);
    out.status = a.status;
    out.detail = a.detail;
    for (const auto& rr : a.records) {
        if (rr.type != dns::rr_type::txt) continue;
        if (out.texts.size() >= limits::max_txt_records_per_name) break;
        out.texts.push_back(auth::join_txt(rr));
    }
    return out;
}

severity to_severity(auth::issue_level level) {
    switch (level) {
        case auth::issue_level::error: return severity::error;
        case auth::issue_level::warning: return severity::warning;
        case auth::issue_level::info: return severity::info;
    }
    return severity::info;
}

std::string rcode_text(dns::rcode r) {
    switch (r) {
        case dns::rcode::noerror: return "NOERROR";
        case dns::rcode::nxdomain: return "NXDOMAIN";
        case dns::rcode::servfail: return "SERVFAIL";
        case dns::rcode::timeout: return "time-out";
        case dns::rcode::refused: return "REFUSED";
        case dns::rcode::formerr: return "FORMERR";
    }
    return "error";
}

void context::add(severity level, area where, std::string code, std::string message, std::string record,
                  std::string fix) {
    report.findings.push_back({level, where, std::move(code), std::move(message), std::move(record), std::move(fix)});
}

void context::add_issue(area where, const auth::record_issue& issue, const std::string& record, std::string fix) {
    add(to_severity(issue.level), where, std::string(to_string(where)) + "." + issue.code, issue.message, record,
        std::move(fix));
}

void context::add_temperror(area where, const std::string& name, const std::string& detail) {
    add(severity::error, where, std::string(to_string(where)) + ".temperror",
        "the DNS lookup of " + name + " failed temporarily" + (detail.empty() ? "" : " (" + detail + ")") +
            "; receivers see a temporary error too",
        "", "check that every authoritative server of the zone answers, then run the check again");
}

void check_dns(context& c) {
    const dns::answer mx = c.dns.query(c.domain, dns::rr_type::mx);
    if (mx.temporary_failure()) {
        c.add_temperror(area::mx, c.domain + " MX", mx.detail);
        return;
    }
    if (mx.status == dns::rcode::nxdomain) {
        c.domain_exists = false;
        c.add(severity::error, area::dns, "dns.nxdomain", c.domain + " does not exist (NXDOMAIN)", "",
              "check the spelling, or publish the domain before checking it");
        return;
    }
    if (!mx.ok()) {
        c.add(severity::error, area::mx, "mx.lookup_failed", "the MX lookup of " + c.domain + " answered " + rcode_text(mx.status));
        return;
    }
    std::vector<const dns::mx_rdata*> mxs;
    for (const auto& rr : mx.records) {
        if (const auto* m = std::get_if<dns::mx_rdata>(&rr.data)) mxs.push_back(m);
    }
    std::string listed;
    for (const auto* m : mxs) {
        listed += (listed.empty() ? "" : ", ") + std::to_string(m->preference) + " " + (m->exchange.empty() ? "." : m->exchange);
    }
    if (mxs.empty()) {
        c.add(severity::info, area::mx, "mx.none",
              "no MX record: mail to " + c.domain + " falls back to its A/AAAA record (RFC 5321 §5.1)", "",
              "publish MX records, or a null MX \"0 .\" (RFC 7505) if the domain receives no mail");
        return;
    }
    c.has_mx = true;
    std::size_t nulls = 0;
    for (const auto* m : mxs) {
        // RFC 7505 §3: a null MX has preference 0 and the root as exchange.
        if (m->exchange.empty() || m->exchange == ".") ++nulls;
    }
    if (nulls > 0 && nulls == mxs.size()) {
        c.null_mx = true;
        c.add(severity::info, area::mx, "mx.null", c.domain + " publishes a null MX: it accepts no mail (RFC 7505)", listed);
        if (mxs.front()->preference != 0) {
            c.add(severity::warning, area::mx, "mx.null_preference", "a null MX should have preference 0 (RFC 7505 §3)", listed,
                  "publish \"MX 0 .\"");
        }
        return;
    }
    if (nulls > 0) {
        c.add(severity::error, area::mx, "mx.null_mixed",
              "a null MX is published together with other MX records (RFC 7505 §3 forbids it): senders may treat the domain as accepting no mail",
              listed, "remove the \"0 .\" record, or remove every other MX record");
    }
    for (const auto* m : mxs) {
        if (m->exchange.empty() || m->exchange == ".") continue;
        if (ip_address::parse(m->exchange)) {
            c.add(severity::error, area::mx, "mx.ip_literal", "MX exchange \"" + text::for_terminal(m->exchange) +
                  "\" is an IP address; it must be a host name (RFC 7505 §2 / RFC 5321 §5.1)", listed,
                  "point the MX at a host name that has A/AAAA records");
        }
    }
    c.add(severity::info, area::mx, "mx.present", "MX: " + listed, listed);
}

}  // namespace detail

domain_report check_domain(dns::resolver& dns, std::string_view domain, const check_options& options) {
    domain_report report;
    // IDNA2008: DNS is asked for the A-label form; the U-label form is kept for display.
    auto idn = dns::to_ascii_name(domain);
    report.domain = idn ? idn->ascii : text::normalize_domain(domain);
    if (idn && idn->is_idn()) report.unicode = idn->unicode;
    detail::context c{dns, report.domain, options, report};
    if (!idn) {
        c.add(severity::error, area::dns, "dns.invalid_idn", idn.err().message, "",
              "give the domain as registered, in Unicode or its xn-- form");
        return report;
    }
    if (!auth::looks_like_domain(report.domain) || report.domain.find('.') == std::string::npos) {
        c.add(severity::error, area::dns, "dns.invalid_domain",
              std::string(1, '"').append(text::for_terminal(report.domain, limits::max_logged_text)) + "\" is not a domain name", "",
              "give a registered domain such as example.com");
        return report;
    }
    detail::check_dns(c);
    detail::check_dmarc(c);
    if (!c.domain_exists) return report;  // only DMARC's np= speaks for a non-existent name
    detail::check_spf(c);
    detail::check_dkim(c);
    detail::check_mta_sts(c);
    detail::check_tls_rpt(c);
    detail::check_bimi(c);
    return report;
}

}  // namespace dmarcsight::posture
