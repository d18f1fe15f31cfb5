// One source of one policy domain over a window: the facts of its days summed (pure: rows in,
// summaries out).
#pragma once

#include <compare>
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

// A UTC day held as the number YYYYMMDD (4 bytes; a "YYYY-MM-DD" string is 32): a policy run
// holds a summary for each of a domain's sources (176,000 in the benchmark's largest domain), and
// four day strings were a quarter of each one. Ordered as the dates are; 0 is no day.
class compact_day {
public:
    compact_day() = default;
    // "YYYY-MM-DD" (the facts' day); anything else is no day.
    static compact_day of(std::string_view text);
    std::string text() const;  // "YYYY-MM-DD"; empty for no day
    bool empty() const { return ymd_ == 0; }
    std::uint32_t ymd() const { return ymd_; }
    auto operator<=>(const compact_day&) const = default;

private:
    std::uint32_t ymd_ = 0;
};

struct source_summary {
    std::string policy_domain, source_ip;
    store::source_measures m;
    std::vector<std::string> header_from;  // distinct, at most max_header_from
    std::string foreign_spf_domain, foreign_dkim_domain;
    compact_day foreign_spf_day, foreign_dkim_day;  // the day each was seen on (the latest)
    compact_day first_day, last_day;
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
    // with_lists false: the summaries' header_from and reporters stay empty (what classifying
    // needs; a list per source was a tenth of a policy run's memory).
    explicit source_rollup(bool with_lists = true) : with_lists_(with_lists) {}
    // Adds a row. When it starts a new policy domain, the previous domain's sources are moved to
    // `done` (sorted by source IP) and true is returned.
    bool add(const store::source_day_row& row, summaries& done);
    // The source the last row added went to: its place in the domain's order of arrival (what
    // finish's `arrival` maps to the sorted order).
    std::uint32_t last_source() const { return last_; }
    // The last domain's sources, sorted by source IP. With `arrival`: arrival[i] is the sorted
    // place of the i-th source to arrive (last_source() numbers).
    summaries finish(std::vector<std::uint32_t>* arrival = nullptr);
    // Whether a domain that add() finishes keeps its `arrival` (as finish gives it) until the next
    // one: what a reader that noted last_source() per row needs to find each row's summary.
    void keep_arrival() { keep_arrival_ = true; }
    const std::vector<std::uint32_t>& finished_arrival() const { return finished_arrival_; }

private:
    std::string domain_;
    // Source IP -> index into items_ (the key is the item's own text: no second copy of every
    // address, no node per source).
    flat_hash::index by_ip_;
    summaries items_;
    // (item, day as YYYYMMDD) pairs seen: an item's days_active counts its new ones.
    flat_hash::u64_set days_;
    bool with_lists_ = true;
    bool keep_arrival_ = false;
    std::vector<std::uint32_t> finished_arrival_;
    std::uint32_t last_ = 0;  // the item of the last row: a domain's rows come mostly by source
    bool have_last_ = false;
};

// Shares of messages (0..1), 0 for a source without messages.
double share(std::int64_t part, std::int64_t whole);

}  // namespace dmarcsight::analyze
