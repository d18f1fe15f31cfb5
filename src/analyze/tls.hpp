// SMTP TLS reports (RFC 8460) analysed: per policy domain and MX host, the sessions the reports
// count as successful and failed, the failure share, and the failure result types (§4.3) with
// their session counts. Pure functions over the reports the store returns (store/tls_rows.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace dmarcsight::analyze {

struct tls_result_count {
    std::string result_type;  // as reported (unknown types kept)
    std::int64_t sessions = 0;
};

// Sessions of one group of policies. `failure_share` is failed / (successful + failed), 0 with
// no sessions.
struct tls_sessions {
    std::int64_t successful = 0, failed = 0;
    std::vector<tls_result_count> result_types;  // most sessions first, then by name
    double failure_share() const;
};

// One MX host of a policy domain: the policy's mx-host entries (RFC 8460 §4.4; several are
// joined with ", "), empty when the report names none.
struct tls_mx_row {
    std::string mx_host;
    std::int64_t policies = 0;
    tls_sessions sessions;
};

struct tls_domain_row {
    std::string policy_domain;  // empty: reports that name no policy domain
    std::int64_t reports = 0, policies = 0;
    std::vector<std::string> policy_types;  // distinct, in name order
    tls_sessions sessions;
    std::vector<tls_mx_row> mx_hosts;  // by mx_host
};

struct tls_overview {
    std::int64_t reports = 0;  // reports with at least one selected policy
    tls_sessions sessions;
    std::vector<tls_domain_row> domains;  // by policy domain
};

// Whether a policy domain is selected: `domain` empty selects all; else the domain itself, and
// with include_subdomains its subdomains too (as query_filter says).
bool tls_domain_selected(const store::query_filter& f, const std::string& policy_domain);

// Adds reports one at a time (the store streams them); result() gives the overview.
class tls_accumulator {
public:
    explicit tls_accumulator(store::query_filter f) : filter_(std::move(f)) {}
    void add(const store::stored_tls_report& r);
    tls_overview result() const;

private:
    struct counts {
        std::int64_t policies = 0, successful = 0, failed = 0;
        std::map<std::string, std::int64_t> result_types;
    };
    struct domain_counts {
        std::int64_t reports = 0;
        counts all;
        std::map<std::string, std::int64_t> policy_types;
        std::map<std::string, counts> mx;
    };
    store::query_filter filter_;
    std::int64_t reports_ = 0;
    counts total_;
    std::map<std::string, domain_counts> domains_;
    static tls_sessions sessions_of(const counts& c);
};

}  // namespace dmarcsight::analyze
