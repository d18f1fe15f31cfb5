// `dmarcsight check`: the posture of one domain's mail authentication as published in DNS —
// DMARC (RFC 9989 / RFC 7489), SPF (RFC 7208), DKIM keys (RFC 6376, RFC 8301, RFC 8463), MX
// (RFC 7505 null MX), MTA-STS (RFC 8461), TLS-RPT (RFC 8460) and BIMI. Everything goes through
// a dns::resolver, so a zone_resolver makes the whole check offline and deterministic.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/dmarc_record.hpp"
#include "auth/org_domain.hpp"
#include "dns/resolver.hpp"
#include "posture/finding.hpp"

namespace dmarcsight::posture {

struct check_options {
    // DKIM selectors to check (from --selector and/or stored reports). DKIM keys cannot be
    // enumerated, so without selectors only an info finding is given.
    std::vector<std::string> selectors;
    // Keys at other names: (signing domain d=, selector) — e.g. a subdomain's keys seen in stored
    // reports for this policy domain. Checked at <selector>._domainkey.<signing domain>.
    std::vector<std::pair<std::string, std::string>> signing_keys;
    // How DMARC records are read; rfc9989 by default.
    auth::dmarc_mode mode = auth::dmarc_mode::rfc9989;
    // PSL used to compare the RFC 7489 organizational domain with the RFC 9989 one
    // (nullptr → the system list; unavailable → no comparison).
    const auth::public_suffix_list* psl = nullptr;
    // Fetch https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.3). Empty function →
    // the policy file is not fetched (offline / closed-world checks). Returns the body, or nullopt
    // with `error` set.
    std::function<std::optional<std::string>(const std::string& url, std::string& error)> fetch_https;
};

domain_report check_domain(dns::resolver& dns, std::string_view domain, const check_options& options = {});

}  // namespace dmarcsight::posture
