#include "analyze/source_summary.hpp"

#include <algorithm>

namespace dmarcsight::analyze {

double share(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return 0.0;
    return static_cast<double>(part) / static_cast<double>(whole);
}

std::optional<source_summary> source_rollup::add(const store::source_day_row& row) {
    std::optional<source_summary> done;
    if (current_ && (current_->policy_domain != row.key.policy_domain || current_->source_ip != row.key.source_ip)) {
        done = std::move(current_);
        current_.reset();
    }
    if (!current_) {
        current_.emplace();
        current_->policy_domain = row.key.policy_domain;
        current_->source_ip = row.key.source_ip;
        current_->first_day = row.key.day;
        last_day_.clear();
    }
    source_summary& s = *current_;
    s.m.add(row.m);
    if (row.key.day != last_day_) {
        ++s.days_active;
        last_day_ = row.key.day;
    }
    s.first_day = std::min(s.first_day, row.key.day);
    s.last_day = std::max(s.last_day, row.key.day);
    if (s.header_from.size() < max_header_from &&
        std::find(s.header_from.begin(), s.header_from.end(), row.key.header_from) == s.header_from.end())
        s.header_from.push_back(row.key.header_from);
    // The latest day's foreign domains describe the source as it is now.
    if (!row.foreign_spf_domain.empty()) s.foreign_spf_domain = row.foreign_spf_domain;
    if (!row.foreign_dkim_domain.empty()) s.foreign_dkim_domain = row.foreign_dkim_domain;
    return done;
}

std::optional<source_summary> source_rollup::finish() {
    std::optional<source_summary> done = std::move(current_);
    current_.reset();
    return done;
}

}  // namespace dmarcsight::analyze
