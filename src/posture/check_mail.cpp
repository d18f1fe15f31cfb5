// MTA-STS (RFC 8461), TLS-RPT (RFC 8460) and BIMI presence and syntax.
#include "auth/record_mail.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "posture/context.hpp"

namespace dmarcsight::posture::detail {

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string all;
    for (const auto& t : v) all += (all.empty() ? "" : " | ") + t;
    return all;
}

// The TXT records at `name` that start with the version tag; adds temperror/multiple findings.
// Returns false when the caller should stop.
bool versioned(context& c, area where, const std::string& name, bool (*is_version)(std::string_view),
               std::vector<std::string>& out, std::string_view version) {
    const txt_answer a = query_txt(c.dns, name);
    if (a.temporary_failure()) {
        c.add_temperror(where, name + " TXT", a.detail);
        return false;
    }
    for (const auto& t : a.texts) {
        if (is_version(t)) out.push_back(t);
    }
    if (out.size() > 1) {
        c.add(severity::error, where, std::string(to_string(where)) + ".multiple_records",
              std::to_string(out.size()) + " records starting with v=" + std::string(version) + " at " + name +
                  ": the result is undefined, most implementations ignore them all",
              joined(out), "keep exactly one");
        return false;
    }
    return true;
}

bool mx_matches(std::string_view host, std::string_view pattern) {
    // RFC 8461 §4.1: "*.example.com" matches exactly one extra leftmost label.
    if (pattern.rfind("*.", 0) == 0) {
        const auto dot = host.find('.');
        return dot != std::string_view::npos && text::iequals(host.substr(dot + 1), pattern.substr(2));
    }
    return text::iequals(host, pattern);
}

void check_policy_file(context& c, const std::string& record) {
    const std::string url = "https://mta-sts." + c.domain + "/.well-known/mta-sts.txt";
    if (!c.options.fetch_https) {
        c.add(severity::info, area::mta_sts, "mta_sts.policy_not_fetched",
              "the policy file " + url + " was not fetched (offline check)", record);
        return;
    }
    std::string error;
    const auto body = c.options.fetch_https(url, error);
    if (!body) {
        c.add(severity::error, area::mta_sts, "mta_sts.policy_unavailable",
              "the policy file " + url + " could not be fetched: " + text::for_terminal(error, limits::max_logged_text), record,
              "serve the policy over HTTPS with a valid certificate for mta-sts." + c.domain);
        return;
    }
    auto pol = auth::parse_mta_sts_policy(*body);
    if (!pol) {
        c.add(severity::error, area::mta_sts, "mta_sts.policy_invalid", "the policy file is invalid: " + pol.err().message,
              text::for_terminal(*body, limits::max_logged_text), "fix the policy file (RFC 8461 §3.2)");
        return;
    }
    for (const auto& i : pol->issues) c.add_issue(area::mta_sts, i, *body);
    if (pol->mode == auth::sts_mode::testing) {
        c.add(severity::info, area::mta_sts, "mta_sts.testing", "MTA-STS is in testing mode: failures are only reported", *body,
              "switch to mode: enforce once TLS-RPT reports show no failures");
    }
    if (pol->mode != auth::sts_mode::none && c.has_mx) {
        const dns::answer mx = c.dns.query(c.domain, dns::rr_type::mx);
        for (const auto& rr : mx.records) {
            const auto* m = std::get_if<dns::mx_rdata>(&rr.data);
            if (m == nullptr || m->exchange.empty()) continue;
            bool ok = false;
            for (const auto& p : pol->mx) ok = ok || mx_matches(m->exchange, p);
            if (!ok) {
                c.add(severity::error, area::mta_sts, "mta_sts.mx_not_covered",
                      "MX " + m->exchange + " is not matched by any mx: line of the policy: senders enforcing MTA-STS will not deliver to it",
                      *body, "add \"mx: " + m->exchange + "\" to the policy and change its id");
            }
        }
    }
}

}  // namespace

void check_mta_sts(context& c) {
    const std::string name = "_mta-sts." + c.domain;
    std::vector<std::string> recs;
    if (!versioned(c, area::mta_sts, name, auth::is_mta_sts_txt, recs, "STSv1")) return;
    if (recs.empty()) {
        if (c.null_mx) return;
        c.add(severity::info, area::mta_sts, "mta_sts.missing",
              "no MTA-STS record at " + name + ": senders may deliver over unauthenticated or plain-text SMTP", "",
              "publish " + name + " TXT \"v=STSv1; id=<yyyymmddnn>\" and the policy at https://mta-sts." + c.domain +
                  "/.well-known/mta-sts.txt");
        return;
    }
    auto r = auth::parse_mta_sts_txt(recs.front());
    if (!r) {
        c.add(severity::error, area::mta_sts, "mta_sts.invalid_record", r.err().message, recs.front(),
              "publish v=STSv1; id=<1-32 letters/digits>");
        return;
    }
    for (const auto& i : r->issues) c.add_issue(area::mta_sts, i, recs.front());
    c.add(severity::info, area::mta_sts, "mta_sts.present", "MTA-STS record with id=" + r->id, recs.front());
    if (c.null_mx) {
        c.add(severity::warning, area::mta_sts, "mta_sts.null_mx",
              "MTA-STS is published although the domain has a null MX (receives no mail)", recs.front(), "remove it");
    }
    check_policy_file(c, recs.front());
}

void check_tls_rpt(context& c) {
    const std::string name = "_smtp._tls." + c.domain;
    std::vector<std::string> recs;
    if (!versioned(c, area::tls_rpt, name, auth::is_tls_rpt_record, recs, "TLSRPTv1")) return;
    if (recs.empty()) {
        if (c.null_mx) return;
        const bool sts = c.report.find("mta_sts.present") != nullptr;
        c.add(sts ? severity::warning : severity::info, area::tls_rpt, "tls_rpt.missing",
              std::string("no TLS-RPT record at ") + name +
                  (sts ? ": MTA-STS is published but you will not hear about delivery failures" : ""),
              "", "publish " + name + " TXT \"v=TLSRPTv1; rua=mailto:tls-reports@" + c.domain + "\"");
        return;
    }
    auto r = auth::parse_tls_rpt_record(recs.front());
    if (!r) {
        c.add(severity::error, area::tls_rpt, "tls_rpt.invalid_record", r.err().message, recs.front(),
              "publish v=TLSRPTv1; rua=mailto:address (RFC 8460 §3)");
        return;
    }
    for (const auto& i : r->issues) c.add_issue(area::tls_rpt, i, recs.front(), "write each destination as mailto: or https: URI");
    c.add(severity::info, area::tls_rpt, "tls_rpt.present", "TLS-RPT record with " + std::to_string(r->rua.size()) + " destination(s)",
          recs.front());
}

void check_bimi(context& c) {
    const std::string name = "default._bimi." + c.domain;
    std::vector<std::string> recs;
    if (!versioned(c, area::bimi, name, auth::is_bimi_record, recs, "BIMI1")) return;
    if (recs.empty()) {
        c.add(severity::info, area::bimi, "bimi.missing", "no BIMI record at " + name + " (optional: brand logo in inboxes)");
        return;
    }
    auto r = auth::parse_bimi_record(recs.front());
    if (!r) {
        c.add(severity::error, area::bimi, "bimi.invalid_record", r.err().message, recs.front(), "publish v=BIMI1; l=https://...svg");
        return;
    }
    for (const auto& i : r->issues) c.add_issue(area::bimi, i, recs.front());
    if (r->declined) {
        c.add(severity::info, area::bimi, "bimi.declined", "BIMI record declines logo display (empty l= and a=)", recs.front());
        return;
    }
    if (!c.dmarc_enforced) {
        // BIMI requires DMARC at enforcement: p=quarantine or reject, pct=100, not t=y.
        c.add(severity::error, area::bimi, "bimi.dmarc_not_enforced",
              "BIMI is published but DMARC is not at enforcement (p=quarantine or p=reject at 100%): mailbox providers will not show the logo",
              recs.front(), "move the DMARC policy to p=quarantine or p=reject first");
    }
    if (r->authority.empty()) {
        c.add(severity::info, area::bimi, "bimi.no_certificate",
              "no a= (VMC/CMC certificate): Gmail and Apple Mail require one to show the logo", recs.front());
    }
    c.add(severity::info, area::bimi, "bimi.present", "BIMI logo: " + text::for_terminal(r->location, limits::max_logged_text),
          recs.front());
}

}  // namespace dmarcsight::posture::detail
