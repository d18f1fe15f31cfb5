#include "analyze/source_summary.hpp"

#include <algorithm>

namespace dmarcsight::analyze {

double share(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return 0.0;
    return static_cast<double>(part) / static_cast<double>(whole);
}

compact_day compact_day::of(std::string_view t) {
    compact_day d;
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return d;
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i == 4 || i == 7) continue;
        if (t[i] < '0' || t[i] > '9') return d;
        v = v * 10 + static_cast<std::uint32_t>(t[i] - '0');
    }
    d.ymd_ = v;
    return d;
}

std::string compact_day::text() const {
    if (ymd_ == 0) return {};
    std::string out = "0000-00-00";
    std::uint32_t v = ymd_;
    for (int i = 9; i >= 0; --i) {
        if (i == 4 || i == 7) continue;
        out[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return out;
}

bool source_rollup::add(const store::source_day_row& row, summaries& done) {
    bool finished = false;
    if (row.key.policy_domain != domain_) {
        if (!items_.empty()) {
            done = finish(keep_arrival_ ? &finished_arrival_ : nullptr);
            finished = true;
        }
        domain_ = row.key.policy_domain;
    }
    // A flush writes its rows in key order (day, source, header_from): one source's rows of a day
    // follow each other, so the previous row's source is checked before the hash.
    if (!have_last_ || items_[last_].source_ip != row.key.source_ip) {
        const std::uint64_t h = flat_hash::hash_text(row.key.source_ip);
        last_ = by_ip_.find(h, [&](std::uint32_t i) { return items_[i].source_ip == row.key.source_ip; });
        if (last_ == flat_hash::index::none) {
            last_ = static_cast<std::uint32_t>(items_.size());
            items_.emplace_back();
            source_summary& s = items_.back();
            s.policy_domain = row.key.policy_domain;
            s.source_ip = row.key.source_ip;
            by_ip_.add(h, last_);
        }
        have_last_ = true;
    }
    source_summary& s = items_[last_];
    s.m.add(row.m);
    // The day as one number: a source's distinct days are counted in one set of (source, day)
    // pairs, not a list per source.
    const compact_day day = compact_day::of(row.key.day);
    if (days_.insert((static_cast<std::uint64_t>(last_) << 32) | day.ymd())) ++s.days_active;
    if (!day.empty() && (s.first_day.empty() || day < s.first_day)) s.first_day = day;
    if (day > s.last_day) s.last_day = day;
    if (with_lists_) {
        if (s.header_from.size() < max_header_from &&
            std::find(s.header_from.begin(), s.header_from.end(), row.key.header_from) == s.header_from.end())
            s.header_from.push_back(row.key.header_from);
        for (const auto& rep : row.reporters)
            if (s.reporters.size() < store::max_row_reporters && std::find(s.reporters.begin(), s.reporters.end(), rep) == s.reporters.end())
                s.reporters.push_back(rep);
    }
    // The foreign domains of the latest day describe the source as it is now; of one day's, the
    // smallest (as the store keeps in a row), so that the order rows come in changes nothing.
    const auto take = [&](std::string& have, compact_day& have_day, const std::string& seen) {
        if (seen.empty()) return;
        if (have.empty() || day > have_day || (day == have_day && seen < have)) {
            have = seen;
            have_day = day;
        }
    };
    take(s.foreign_spf_domain, s.foreign_spf_day, row.foreign_spf_domain);
    take(s.foreign_dkim_domain, s.foreign_dkim_day, row.foreign_dkim_domain);
    return finished;
}

// The summaries are handed over as they are (no copy: a domain of a few hundred thousand sources
// held them twice while they were moved out of a map). They are sorted through an index, so that
// each summary moves once, not n log n times (sorting the deque itself was 13% of a policy run).
summaries source_rollup::finish(std::vector<std::uint32_t>* arrival) {
    by_ip_.clear();
    days_ = {};
    have_last_ = false;
    summaries out = std::move(items_);
    items_ = summaries();
    for (auto& s : out) {
        std::sort(s.reporters.begin(), s.reporters.end());
        std::sort(s.header_from.begin(), s.header_from.end());
    }
    // Sorted on the first 8 bytes of each address as one big-endian number (the text order of
    // those bytes), the whole texts compared only on a tie: the sort then reads one array, not a
    // few hundred thousand summaries scattered in the deque.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(out.size());
    for (std::uint32_t i = 0; i < keyed.size(); ++i) {
        std::uint64_t k = 0;
        const std::string& ip = out[i].source_ip;
        for (std::size_t b = 0; b < 8; ++b) k = (k << 8) | (b < ip.size() ? static_cast<unsigned char>(ip[b]) : 0u);
        keyed[i] = {k, i};
    }
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return out[a.second].source_ip < out[b.second].source_ip;
    });
    std::vector<std::uint32_t> order(out.size());  // order[k]: the item that goes to place k
    for (std::size_t k = 0; k < keyed.size(); ++k) order[k] = keyed[k].second;
    keyed = {};
    if (arrival) {
        arrival->assign(order.size(), 0);
        for (std::uint32_t at = 0; at < order.size(); ++at) (*arrival)[order[at]] = at;
    }
    // The permutation applied in place, cycle by cycle: each summary moves once, and no second
    // deque is ever held.
    for (std::size_t start = 0; start < order.size(); ++start) {
        if (order[start] == start) continue;
        source_summary held = std::move(out[start]);
        std::size_t at = start;
        while (order[at] != start) {
            const std::size_t from = order[at];
            out[at] = std::move(out[from]);
            order[at] = static_cast<std::uint32_t>(at);
            at = from;
        }
        out[at] = std::move(held);
        order[at] = static_cast<std::uint32_t>(at);
    }
    return out;
}

}  // namespace dmarcsight::analyze
