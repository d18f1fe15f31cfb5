// The source inventory: every source of every selected policy domain over a window, summed from
// the facts, enriched, attributed to a service, classified. Streams: one policy domain's sources
// are held at a time (sorted by volume within it), so memory follows the largest domain, not the
// store; with a limit, only the top N sources (by messages) are read in full.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analyze/classify.hpp"
#include "analyze/source_summary.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

// country: one row per country of the IPs (the enrichment's), the IPs of no known country in one
// row of their own; what the dashboard's "unauthorized by country" chart sums, without shipping
// every source.
enum class group_by { ip, service, base_domain, country };

struct source_row {
    source_summary s;
    std::optional<store::ip_info> ip;  // absent: not enriched
    const service_info* service = nullptr;  // the directory's entry (it outlives the rows)
    classification c;
    // Grouped rows only: how many IPs, and the largest few.
    std::int64_t source_ips = 1;
    std::vector<std::string> sample_ips;
};
inline constexpr std::size_t max_sample_ips = 5;

struct sources_query {
    store::fact_filter filter;
    std::size_t limit = 0;  // 0: every source
    std::optional<source_class> only;
    bool failing_only = false;  // only sources of which fewer messages passed DMARC than were sent
    group_by group = group_by::ip;
    thresholds rules;
    std::size_t* matched = nullptr;  // when set: how many sources (or groups) matched, before the limit
};

// Calls emit for each row: ordered by messages (descending) within each policy domain, domains
// in name order; with a limit, the top `limit` over all domains, by messages.
result<void> list_sources(store::store& db, const sources_query& q, const service_directory* services,
                          const std::vector<store::label_row>& labels, const std::function<result<void>(const source_row&)>& emit);

// Merges rows of one policy domain by service (or base domain); rows without one stay alone.
std::vector<source_row> group_rows(std::vector<source_row> rows, group_by by);

}  // namespace dmarcsight::analyze
