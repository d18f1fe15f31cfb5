#include "analyze/source_summary.hpp"

#include <algorithm>

namespace dmarcsight::analyze {

double share(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return 0.0;
    return static_cast<double>(part) / static_cast<double>(whole);
}

bool source_rollup::add(const store::source_day_row& row, summaries& done) {
    bool finished = false;
    if (row.key.policy_domain != domain_) {
        if (!by_ip_.empty()) {
            done = finish();
            finished = true;
        }
        domain_ = row.key.policy_domain;
    }
    auto [it, fresh] = by_ip_.try_emplace(row.key.source_ip, items_.size());
    if (fresh) {
        items_.emplace_back();
        days_.emplace_back();
    }
    source_summary& s = items_[it->second];
    std::vector<std::int32_t>& days = days_[it->second];
    if (fresh) {
        s.policy_domain = row.key.policy_domain;
        s.source_ip = row.key.source_ip;
        s.first_day = s.last_day = row.key.day;
    }
    s.m.add(row.m);
    // "YYYY-MM-DD" as one number, so a source's distinct days cost 4 bytes each.
    std::int32_t day = 0;
    for (char c : row.key.day)
        if (c >= '0' && c <= '9') day = day * 10 + (c - '0');
    if (std::find(days.begin(), days.end(), day) == days.end()) days.push_back(day);
    s.first_day = std::min(s.first_day, row.key.day);
    s.last_day = std::max(s.last_day, row.key.day);
    if (s.header_from.size() < max_header_from &&
        std::find(s.header_from.begin(), s.header_from.end(), row.key.header_from) == s.header_from.end())
        s.header_from.push_back(row.key.header_from);
    for (const auto& rep : row.reporters)
        if (s.reporters.size() < store::max_row_reporters && std::find(s.reporters.begin(), s.reporters.end(), rep) == s.reporters.end())
            s.reporters.push_back(rep);
    // The foreign domains of the latest day describe the source as it is now; of one day's, the
    // smallest (as the store keeps in a row), so that the order rows come in changes nothing.
    const auto take = [&](std::string& have, std::string& have_day, const std::string& seen) {
        if (seen.empty()) return;
        if (have.empty() || row.key.day > have_day || (row.key.day == have_day && seen < have)) {
            have = seen;
            have_day = row.key.day;
        }
    };
    take(s.foreign_spf_domain, s.foreign_spf_day, row.foreign_spf_domain);
    take(s.foreign_dkim_domain, s.foreign_dkim_day, row.foreign_dkim_domain);
    return finished;
}

// The summaries are handed over as they are (no copy: a domain of a few hundred thousand sources
// held them twice while they were moved out of a map).
summaries source_rollup::finish() {
    summaries out = std::move(items_);
    items_ = {};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].days_active = static_cast<std::int64_t>(days_[i].size());
        std::sort(out[i].reporters.begin(), out[i].reporters.end());
        std::sort(out[i].header_from.begin(), out[i].header_from.end());
    }
    days_ = {};
    by_ip_ = {};
    std::sort(out.begin(), out.end(), [](const source_summary& a, const source_summary& b) { return a.source_ip < b.source_ip; });
    return out;
}

}  // namespace dmarcsight::analyze
