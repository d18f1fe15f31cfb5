// The JSON document of `policy` (issue 10): the candidate record, the worst and expected cost,
// every affected source, the subdomains, the readiness verdict, the next step and the staged path,
// failure-report planning and the SPF what-if — shared by `policy --format json` and
// GET /api/v1/policy.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analyze/policy.hpp"
#include "analyze/policy_whatif.hpp"

namespace dmarcsight::views {

// What DNS said for the simulation; default: not asked (offline).
struct policy_dns {
    bool asked = false;
    std::string how;                    // "zone FILE", "live DNS", ...
    std::optional<std::string> record;  // the domain's DMARC TXT record, when one valid record was found
    std::size_t unknown = 0;            // subdomains whose existence stayed unknown
    int ruf_published = -1;             // the record asks for failure reports: 1, 0, -1 unknown
};

struct policy_view {
    const analyze::policy_inputs& in;
    const analyze::candidate_policy& candidate;
    const store::fact_filter& window;
    const analyze::simulation& sim;
    const analyze::policy_plan& plan;
    const analyze::failure_report_rates& failure_rates;
    const policy_dns& dns;
    const analyze::spf_whatif* whatif = nullptr;  // with --with FILE
    std::string with_file;
    // At most this many by_source entries, the largest (0: every one); when it cuts, the
    // document says how many there were (by_source_total).
    std::size_t by_source_limit = 0;
};

nlohmann::json policy_document(const policy_view& v);

// The published policy of the latest report as a record's tags: "p=none; sp=…; pct=…".
std::string published_text(const analyze::published_policy& p);

}  // namespace dmarcsight::views
