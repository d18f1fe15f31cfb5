#include "analyze/sources.hpp"

#include <malloc.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace dmarcsight::analyze {

namespace {

bool by_volume(const source_row& a, const source_row& b) {
    if (a.s.m.messages != b.s.m.messages) return a.s.m.messages > b.s.m.messages;
    if (a.s.policy_domain != b.s.policy_domain) return a.s.policy_domain < b.s.policy_domain;
    return a.s.source_ip < b.s.source_ip;
}

// Enriches, attributes and classifies the summaries of one batch of sources.
result<std::vector<source_row>> finish_rows(store::store& db, std::vector<source_summary> sums, const sources_query& q,
                                            const service_directory* services, const std::vector<store::label_row>& labels) {
    std::vector<std::string> ips;
    ips.reserve(sums.size());
    for (const auto& s : sums) ips.push_back(s.source_ip);
    auto infos = db.ip_infos(ips);
    if (!infos) return unexpected{infos.err()};
    ips = {};
    std::unordered_map<std::string, store::ip_info> by_ip;
    by_ip.reserve(infos->size());
    for (auto& i : *infos) {
        std::string key = i.ip;
        by_ip.emplace(std::move(key), std::move(i));
    }
    *infos = {};
    std::vector<source_row> rows;
    rows.reserve(sums.size());
    for (auto& s : sums) {
        source_row r;
        r.s = std::move(s);
        auto it = by_ip.find(r.s.source_ip);
        if (it != by_ip.end()) r.ip = std::move(it->second);  // each source IP once per call
        auto k = classify_source(r.s, r.ip ? &*r.ip : nullptr, services, labels, q.rules);
        r.service = k.e.service;
        r.c = std::move(k.c);
        if (q.only && r.c.cls != *q.only) continue;
        if (q.failing_only && r.s.m.dmarc_pass >= r.s.m.messages) continue;
        r.sample_ips = {r.s.source_ip};
        rows.push_back(std::move(r));
    }
    sums = {};  // the moved-from summaries' storage goes before the caller sorts and groups
    return rows;
}

// Keeps the best `limit` rows (by volume) of everything offered.
class top_rows {
public:
    explicit top_rows(std::size_t limit) : limit_(limit) {}
    void offer(std::vector<source_row>&& rows) {
        for (auto& r : rows) rows_.push_back(std::move(r));
        if (rows_.size() > 2 * limit_ + 64) trim();
    }
    std::vector<source_row> take() {
        trim();
        return std::move(rows_);
    }

private:
    void trim() {
        std::sort(rows_.begin(), rows_.end(), by_volume);
        if (rows_.size() > limit_) rows_.resize(limit_);
    }
    std::size_t limit_;
    std::vector<source_row> rows_;
};

}  // namespace

namespace {

// The group a row belongs to: its service, else its base domain, else (by service) its PTR name;
// empty: a row of its own. By country: its country, "?" (no country code is) when none is known.
std::string group_key(const source_row& r, group_by by) {
    if (by == group_by::country) return r.ip && !r.ip->country.empty() ? r.ip->country : std::string("?");
    if (by == group_by::service && r.service) return r.service->name;
    if (r.ip && !r.ip->base_domain.empty()) return r.ip->base_domain;
    if (by == group_by::service && r.ip && !r.ip->ptr.empty()) return r.ip->ptr;
    return {};
}

// A row of its own gets the same finishing touches as a group.
void finish_loose(source_row& r) {
    if (r.sample_ips.empty()) r.sample_ips = {r.s.source_ip};
    std::sort(r.s.reporters.begin(), r.s.reporters.end());
}

// Builds the groups of rows offered largest first (any number of calls): a group starts as its
// largest member and takes the class (and the reason of the largest member) that most of its
// messages have.
class group_builder {
public:
    explicit group_builder(group_by by) : by_(by) {}
    // Takes r into its group; false (r untouched) when it has no group.
    bool add(source_row& r) {
        std::string key = group_key(r, by_);
        if (key.empty()) return false;
        if (r.sample_ips.empty()) r.sample_ips = {r.s.source_ip};
        auto [it, fresh] = index_.try_emplace({r.s.policy_domain, std::move(key)}, groups_.size());
        auto& per_class = classes_[it->second][r.c.cls];
        if (per_class.first == 0) per_class.second = r.c;
        per_class.first += r.s.m.messages;
        if (fresh) {
            groups_.push_back(std::move(r));
            return true;
        }
        source_row& g = groups_[it->second];
        g.s.m.add(r.s.m);
        g.source_ips += 1;
        if (g.sample_ips.size() < max_sample_ips) g.sample_ips.push_back(r.s.source_ip);
        g.s.first_day = std::min(g.s.first_day, r.s.first_day);
        g.s.last_day = std::max(g.s.last_day, r.s.last_day);
        g.s.days_active = std::max(g.s.days_active, r.s.days_active);
        for (auto& h : r.s.header_from)
            if (g.s.header_from.size() < max_header_from && std::find(g.s.header_from.begin(), g.s.header_from.end(), h) == g.s.header_from.end())
                g.s.header_from.push_back(h);
        for (auto& rep : r.s.reporters)
            if (std::find(g.s.reporters.begin(), g.s.reporters.end(), rep) == g.s.reporters.end()) g.s.reporters.push_back(rep);
        return true;
    }
    // The groups, largest first.
    std::vector<source_row> finish() {
        for (auto& [i, per_class] : classes_) {
            const auto best = std::max_element(per_class.begin(), per_class.end(),
                                               [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
            groups_[i].c = best->second.second;
        }
        for (auto& g : groups_) {
            std::sort(g.s.reporters.begin(), g.s.reporters.end());
            if (g.source_ips > 1) {
                g.s.source_ip.clear();
                g.c.reason += " (largest of " + std::to_string(g.source_ips) + " sources)";
            }
        }
        std::sort(groups_.begin(), groups_.end(), by_volume);
        index_.clear();
        classes_.clear();
        return std::move(groups_);
    }

private:
    group_by by_;
    std::vector<source_row> groups_;
    std::map<std::pair<std::string, std::string>, std::size_t> index_;
    std::map<std::size_t, std::map<source_class, std::pair<std::int64_t, classification>>> classes_;
};

}  // namespace

std::vector<source_row> group_rows(std::vector<source_row> rows, group_by by) {
    if (by == group_by::ip) return rows;
    std::sort(rows.begin(), rows.end(), by_volume);
    group_builder groups(by);
    std::vector<source_row> out;
    for (auto& r : rows) {
        if (groups.add(r)) continue;
        finish_loose(r);
        out.push_back(std::move(r));
    }
    for (auto& g : groups.finish()) out.push_back(std::move(g));
    std::sort(out.begin(), out.end(), by_volume);
    return out;
}

result<void> list_sources(store::store& db, const sources_query& q, const service_directory* services,
                          const std::vector<store::label_row>& labels, const std::function<result<void>(const source_row&)>& emit) {
    // The top N of the whole selection: the volumes first, then only those sources in full (the
    // failing ones among them: a sum the store keeps beside the messages).
    if (q.limit > 0 && !q.only && q.group == group_by::ip) {
        std::vector<source_summary> sums;
        source_rollup roll;
        const store::top_of which = q.failing_only ? store::top_of::failing : store::top_of::all;
        auto matched = db.top_source_days(q.filter, q.limit, which, [&](const store::source_day_row& row) -> result<void> {
            summaries done;
            if (roll.add(row, done))
                for (auto& d : done) sums.push_back(std::move(d));
            return {};
        });
        if (!matched) return unexpected{matched.err()};
        if (q.matched) *q.matched = *matched;
        for (auto& d : roll.finish()) sums.push_back(std::move(d));
        auto rows = finish_rows(db, std::move(sums), q, services, labels);
        if (!rows) return unexpected{rows.err()};
        std::sort(rows->begin(), rows->end(), by_volume);
        for (const auto& r : *rows) {
            auto e = emit(r);
            if (!e) return e;
        }
        return {};
    }

    // Domain by domain: each domain's facts arrive together.
    top_rows best(q.limit);
    std::size_t seen = 0;
    // Streaming one domain: its summaries are sorted by volume first and turned into rows (IP
    // data, service, class, reason) a chunk at a time, so memory holds the summaries, not the rows.
    constexpr std::size_t chunk = 4096;
    const auto deliver = [&](std::vector<source_row>&& rows) -> result<void> {
        seen += rows.size();
        if (q.limit > 0) {
            best.offer(std::move(rows));
            return {};
        }
        for (const auto& r : rows) {
            auto e = emit(r);
            if (!e) return e;
        }
        return {};
    };
    // Grouped, a domain's rows are also made a chunk at a time: first every chunk is made and its
    // grouped rows taken into their groups (the rest, rows of their own, are only noted), then the
    // rows of their own are made again, a chunk at a time, and given out between the groups in
    // volume order. Memory holds the summaries, the groups and a chunk of rows.
    const auto flush_grouped = [&](const summaries& sums) -> result<void> {
        group_builder groups(q.group);
        std::vector<std::size_t> loose;
        for (std::size_t at = 0; at < sums.size(); at += chunk) {
            const std::size_t end = std::min(sums.size(), at + chunk);
            auto rows = finish_rows(db, std::vector<source_summary>(sums.begin() + static_cast<std::ptrdiff_t>(at),
                                                                     sums.begin() + static_cast<std::ptrdiff_t>(end)),
                                    q, services, labels);
            if (!rows) return unexpected{rows.err()};
            std::size_t j = at;  // rows keep the summaries' order (some may be filtered out)
            for (auto& r : *rows) {
                while (j < end && sums[j].source_ip != r.s.source_ip) ++j;
                if (!groups.add(r)) loose.push_back(j);
            }
        }
        std::vector<source_row> grouped = groups.finish();
        std::size_t next_group = 0;
        for (std::size_t at = 0; at < loose.size(); at += chunk) {
            const std::size_t end = std::min(loose.size(), at + chunk);
            std::vector<source_summary> part;
            part.reserve(end - at);
            for (std::size_t k = at; k < end; ++k) part.push_back(sums[loose[k]]);
            auto rows = finish_rows(db, std::move(part), q, services, labels);
            if (!rows) return unexpected{rows.err()};
            std::vector<source_row> out;
            for (auto& r : *rows) {
                while (next_group < grouped.size() && by_volume(grouped[next_group], r)) out.push_back(std::move(grouped[next_group++]));
                finish_loose(r);
                out.push_back(std::move(r));
            }
            auto d = deliver(std::move(out));
            if (!d) return d;
        }
        std::vector<source_row> rest(std::make_move_iterator(grouped.begin() + static_cast<std::ptrdiff_t>(next_group)),
                                     std::make_move_iterator(grouped.end()));
        return deliver(std::move(rest));
    };
    const auto flush = [&](summaries&& sums) -> result<void> {
        if (sums.empty()) return {};
        std::sort(sums.begin(), sums.end(), [](const source_summary& a, const source_summary& b) {
            if (a.m.messages != b.m.messages) return a.m.messages > b.m.messages;
            return a.source_ip < b.source_ip;
        });
        if (q.group != group_by::ip) return flush_grouped(sums);
        for (std::size_t at = 0; at < sums.size(); at += chunk) {
            const std::size_t end = std::min(sums.size(), at + chunk);
            std::vector<source_summary> part(std::make_move_iterator(sums.begin() + static_cast<std::ptrdiff_t>(at)),
                                             std::make_move_iterator(sums.begin() + static_cast<std::ptrdiff_t>(end)));
            auto rows = finish_rows(db, std::move(part), q, services, labels);
            if (!rows) return unexpected{rows.err()};
            auto d = deliver(std::move(*rows));
            if (!d) return d;
        }
        return {};
    };
    source_rollup roll;
    summaries done;
    auto r = db.source_days(q.filter, [&](const store::source_day_row& row) -> result<void> {
        if (!roll.add(row, done)) return {};
        auto f = flush(std::move(done));
        done = {};
        // A domain's summaries are many small blocks: hand the freed ones back before the next
        // domain, so the peak is one domain's, not the sum of what fragments leave behind.
        malloc_trim(0);
        return f;
    });
    if (!r) return r;
    auto f = flush(roll.finish());
    if (!f) return f;
    if (q.matched) *q.matched = seen;
    if (q.limit > 0)
        for (const auto& row : best.take()) {
            auto e = emit(row);
            if (!e) return e;
        }
    return {};
}

}  // namespace dmarcsight::analyze
