// Internal to the posture module: the state one domain's checks share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/org_domain.hpp"
#include "auth/record_tags.hpp"
#include "dns/resolver.hpp"
#include "posture/check.hpp"
#include "posture/finding.hpp"

namespace dmarcsight::posture::detail {

struct txt_answer {
    dns::rcode status = dns::rcode::noerror;
    std::string detail;
    std::vector<std::string> texts;  // each RR's strings joined
    bool temporary_failure() const { return status == dns::rcode::servfail || status == dns::rcode::timeout; }
};
txt_answer query_txt(dns::resolver& dns, const std::string& name);

struct context {
    dns::resolver& dns;
    std::string domain;  // normalised
    const check_options& options;
    domain_report& report;

    // Shared between checks.
    bool domain_exists = true;  // false: NXDOMAIN for the domain itself
    bool null_mx = false;
    bool has_mx = false;
    std::optional<auth::policy_discovery> dmarc;  // set by check_dmarc
    bool dmarc_enforced = false;  // applied policy quarantine/reject, pct 100, no t=y (BIMI)

    void add(severity level, area where, std::string code, std::string message, std::string record = {},
             std::string fix = {});
    // A record parser's issue as a finding "<area>.<issue code>".
    void add_issue(area where, const auth::record_issue& issue, const std::string& record, std::string fix = {});
    // "the lookup of <name> timed out" as a temperror finding.
    void add_temperror(area where, const std::string& name, const std::string& detail);
};

severity to_severity(auth::issue_level level);
std::string rcode_text(dns::rcode r);

void check_dns(context& c);    // domain existence, MX, null MX
void check_dmarc(context& c);  // needs check_dns (np/sp applies to existing vs non-existent names)
void check_spf(context& c);
void check_dkim(context& c);
void check_mta_sts(context& c);
void check_tls_rpt(context& c);
void check_bimi(context& c);   // needs check_dmarc

}  // namespace dmarcsight::posture::detail
