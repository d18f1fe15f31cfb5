// One source of one policy domain over a window: the facts of its days summed (pure: rows in,
// summaries out).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_hash.hpp"
#include "store/facts.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

struct source_summary {
    std::string policy_domain, source_ip;
    store::source_measures m;
    std::vector<std::string> header_from;  // distinct, at most max_header_from
    std::string foreign_spf_domain, foreign_dkim_domain;
    std::string foreign_spf_day, foreign_dkim_day;  // the day each was seen on (the latest)
    std::string first_day, last_day;  // YYYY-MM-DD
    std::int64_t days_active = 0;
    std::vector<std::string> reporters;  // org_name, sorted
};
inline constexpr std::size_t max_header_from = 16;

// A domain's summaries: a deque, so that growing never holds two copies (a vector of a few hundred
// thousand summaries peaked at twice their size while it moved to a larger block).
using summaries = std::deque<source_summary>;

// Sums fact rows into one summary per source, a policy domain at a time (the store returns each
// domain's rows together, in no order within it).
class source_rollup {
public:
    // Adds a row. When it starts a new policy domain, the previous domain's sources are moved to
    // `done` (sorted by source IP) and true is returned.
    bool add(const store::source_day_row& row, summaries& done);
    // The source the last row added went to: its place in the domain's order of arrival (what
    // finish's `arrival` maps to the sorted order).
    std::uint32_t last_source() const { return last_; }
    // The last domain's sources, sorted by source IP. With `arrival`: arrival[i] is the sorted
    // place of the i-th source to arrive (last_source() numbers).
    summaries finish(std::vector<std::uint32_t>* arrival = nullptr);

private:
    std::string domain_;
    // Source IP -> index into items_ (the key is the item's own text: no second copy of every
    // address, no node per source).
    flat_hash::index by_ip_;
    summaries items_;
    // (item, day as YYYYMMDD) pairs seen: an item's days_active counts its new ones.
    flat_hash::u64_set days_;
    std::uint32_t last_ = 0;  // the item of the last row: a domain's rows come mostly by source
    bool have_last_ = false;
};

// Shares of messages (0..1), 0 for a source without messages.
double share(std::int64_t part, std::int64_t whole);

}  // namespace dmarcsight::analyze
