// What-if DNS for the policy simulation (`policy --with FILE`): every reported (source IP, SPF
// domain) — the RFC5321.MailFrom domain receivers checked — re-evaluated with our SPF engine
// (auth/spf_check.hpp, RFC 7208 check_host) against the candidate records (the overlay of
// `check --with`), and compared with the SPF result receivers reported: how many more messages
// would SPF-pass, how many of those with an SPF domain aligned with header_from (RFC 9989
// §3.2.10, relaxed), and how many now failing DMARC would then pass it. Before the user touches DNS.
// DKIM is not re-evaluated: a published selector signs only where the sender signs with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/policy.hpp"
#include "core/result.hpp"
#include "dns/resolver.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

// One (source IP, SPF domain) of the window, from the records.
struct spf_pair {
    std::string source_ip, domain;
    std::int64_t messages = 0;
    std::int64_t spf_pass = 0;          // reported SPF pass (auth_results)
    std::int64_t aligned = 0;           // messages whose header_from the domain aligns with
    std::int64_t dmarc_fail_aligned = 0;  // ... of them failing DMARC now (policy_evaluated)
};

// Reads the records of the window (store::visit_reports); pairs largest first (then by text).
result<std::vector<spf_pair>> collect_spf_pairs(store::store& db, const store::fact_filter& window);

struct spf_change {
    spf_pair pair;
    std::string reported, candidate;  // SPF results: what receivers said (pass or not), ours now
    bool legitimate = true;
};

struct spf_whatif {
    std::size_t pairs = 0, evaluated = 0;  // evaluated: at most `cap`, the largest
    std::int64_t more_pass_messages = 0;   // not passing as reported, passing against the candidate
    std::int64_t more_pass_aligned = 0;    // ... with an aligned SPF domain
    std::int64_t newly_dmarc_pass = 0;     // ... of those failing DMARC now: they would pass it
    std::int64_t newly_dmarc_pass_legitimate = 0;
    std::int64_t fewer_pass_messages = 0;  // passing as reported, not against the candidate
    std::int64_t temperror_messages = 0;   // pairs whose evaluation met a DNS failure
    std::vector<spf_change> changes;       // pairs whose pass/no-pass changes, largest first (at most 50)
};

// Evaluates each pair (the `cap` largest) against `dns`; sources' classes from `in`.
spf_whatif evaluate_spf_whatif(const std::vector<spf_pair>& pairs, dns::resolver& dns, const policy_inputs& in, std::size_t cap);

}  // namespace dmarcsight::analyze
