// One source of one policy domain over a window: the facts of its days summed (pure: rows in,
// summaries out; the store returns the rows in (policy_domain, source_ip, day) order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/facts.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

struct source_summary {
    std::string policy_domain, source_ip;
    store::source_measures m;
    std::vector<std::string> header_from;  // distinct, at most max_header_from
    std::string foreign_spf_domain, foreign_dkim_domain;
    std::string first_day, last_day;  // YYYY-MM-DD
    std::int64_t days_active = 0;
    std::vector<std::string> reporters;  // org_name, sorted
};
inline constexpr std::size_t max_header_from = 16;

// Sums source_day rows of one (policy domain, source IP) at a time.
class source_rollup {
public:
    // Adds a row; when it starts a new source, the previous one is returned complete.
    std::optional<source_summary> add(const store::source_day_row& row);
    // The last source, if any.
    std::optional<source_summary> finish();

private:
    std::optional<source_summary> current_;
    std::string last_day_;
};

// Shares of messages (0..1), 0 for a source without messages.
double share(std::int64_t part, std::int64_t whole);

}  // namespace dmarcsight::analyze
