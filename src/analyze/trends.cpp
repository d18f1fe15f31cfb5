#include "analyze/trends.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "analyze/sources.hpp"
#include "core/time.hpp"

namespace dmarcsight::analyze {

namespace {

std::int64_t sat_add(std::int64_t a, std::int64_t b) {
    if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
    if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) return std::numeric_limits<std::int64_t>::min();
    return a + b;
}

void add_into(trend_row& into, const trend_row& from) {
    into.messages = sat_add(into.messages, from.messages);
    into.dmarc_pass = sat_add(into.dmarc_pass, from.dmarc_pass);
    into.unauthorized = sat_add(into.unauthorized, from.unauthorized);
    for (std::size_t i = 0; i < into.class_messages.size(); ++i)
        into.class_messages[i] = sat_add(into.class_messages[i], from.class_messages[i]);
}

std::size_t class_index(source_class c) {
    for (std::size_t i = 0; i < trend_classes.size(); ++i)
        if (trend_classes[i] == c) return i;
    return trend_classes.size() - 1;  // unknown
}

// Is `domain` selected by the filter: itself, or (with subdomains) under it; every one without.
bool selected(const std::string& domain, const store::fact_filter& f) {
    if (f.domain.empty()) return true;
    if (domain == f.domain) return true;
    return f.include_subdomains && domain.size() > f.domain.size() && domain.ends_with("." + f.domain);
}

}  // namespace

bool is_unauthorized(source_class c) { return c == source_class::spoofing || c == source_class::unknown; }

std::int64_t week_start(std::int64_t day) {
    // 1970-01-01 (day 0) was a Thursday: Monday is 3 days before it. Floor modulo for days < 0.
    std::int64_t back = (day + 3) % 7;
    if (back < 0) back += 7;
    return day - back;
}

std::string iso_week(std::int64_t day) {
    // ISO 8601: a week belongs to the year of its Thursday, and week 1 holds the year's first Thursday.
    const std::int64_t thursday = week_start(day) + 3;
    const auto civil = utc::from_days(thursday);
    const std::int64_t jan1 = utc::to_days(civil.year, 1, 1);
    const std::int64_t week = (thursday - jan1) / 7 + 1;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04lld-W%02lld", static_cast<long long>(civil.year), static_cast<long long>(week));
    return buf;
}

std::optional<std::int64_t> parse_day(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    const auto digits = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
        unsigned v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return std::nullopt;
            v = v * 10 + static_cast<unsigned>(t[i] - '0');
        }
        return v;
    };
    const auto y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
    const std::int64_t days = utc::to_days(*y, *m, *d);
    const auto back = utc::from_days(days);  // refuses 2026-02-30 and the like
    if (back.month != *m || back.day != *d) return std::nullopt;
    return days;
}

void trend_rollup::add(const std::string& domain, std::int64_t day, source_class c, std::int64_t messages, std::int64_t dmarc_pass) {
    trend_row& cell = cells_[domain][day];
    trend_row add;
    add.messages = messages;
    add.dmarc_pass = dmarc_pass;
    if (is_unauthorized(c)) add.unauthorized = std::max<std::int64_t>(0, messages - dmarc_pass);
    add.class_messages[class_index(c)] = messages;
    add_into(cell, add);
    if (!span_) span_ = {day, day};
    span_->first = std::min(span_->first, day);
    span_->second = std::max(span_->second, day);
}

std::optional<std::pair<std::int64_t, std::int64_t>> trend_rollup::span() const { return span_; }

std::vector<trend_row> trend_rollup::rows(const std::vector<std::string>& domains, std::int64_t first, std::int64_t last,
                                          trend_period by) const {
    std::vector<trend_row> out;
    if (last < first) return out;
    for (const auto& domain : domains) {
        const auto found = cells_.find(domain);
        const std::map<std::int64_t, trend_row>* days = found == cells_.end() ? nullptr : &found->second;
        for (std::int64_t day = first; day <= last;) {
            trend_row row;
            row.domain = domain;
            row.day = by == trend_period::week ? week_start(day) : day;
            const std::int64_t end = by == trend_period::week ? std::min(last, row.day + 6) : day;  // inclusive
            row.days = end - day + 1;
            if (days)
                for (auto it = days->lower_bound(day); it != days->end() && it->first <= end; ++it) add_into(row, it->second);
            out.push_back(std::move(row));
            day = end + 1;
        }
    }
    return out;
}

result<trends_result> compute_trends(store::store& db, const trends_query& q, const service_directory* services,
                                     const std::vector<store::label_row>& labels) {
    // Every stored domain the filter selects gets rows, those without facts in the window too.
    auto stored = db.policy_domains();
    if (!stored) return unexpected{stored.err()};
    std::vector<std::string> domains;
    for (const auto& d : *stored)
        if (selected(d, q.filter)) domains.push_back(d);
    std::sort(domains.begin(), domains.end());
    domains.erase(std::unique(domains.begin(), domains.end()), domains.end());

    // One read of the facts: each row goes to its source's summary (what classifying reads) and,
    // as (source, day, messages, passing), to its domain's cells. When a domain's rows end, its
    // sources are classified as the inventory classifies them (over the whole window) and its
    // cells rolled up under their source's class. (Classifying first through list_sources and
    // then reading the facts again was half of a trend's time.)
    struct cell {
        std::uint32_t source;  // source_rollup::last_source()
        std::int64_t day, messages, dmarc_pass;
    };
    trend_rollup roll;
    source_rollup sources(false);
    sources.keep_arrival();
    std::vector<cell> cells;
    std::string cells_domain;
    const auto flush = [&](const summaries& sums, const std::vector<std::uint32_t>& arrival) -> result<void> {
        std::vector<source_class> cls(sums.size(), source_class::unknown);
        auto classified = classify_summaries(db, sums, services, labels, q.rules,
                                             [&](std::size_t i, const classified_source& k) { cls[i] = k.c.cls; });
        if (!classified) return classified;
        for (const auto& c : cells) roll.add(cells_domain, c.day, cls[arrival[c.source]], c.messages, c.dmarc_pass);
        cells.clear();
        return {};
    };
    summaries done;
    auto summed = db.source_days(q.filter, [&](const store::source_day_row& row) -> result<void> {
        const auto day = parse_day(row.key.day);
        if (!day) return fail("a fact row of " + row.key.policy_domain + " has no valid day ('" + row.key.day + "'): run dmarcsight rebuild");
        if (sources.add(row, done)) {
            auto f = flush(done, sources.finished_arrival());
            done = {};
            if (!f) return f;
        }
        if (cells.empty()) cells_domain = row.key.policy_domain;
        cells.push_back({sources.last_source(), *day, row.m.messages, row.m.dmarc_pass});
        return {};
    });
    if (summed) {
        std::vector<std::uint32_t> arrival;
        const summaries last = sources.finish(&arrival);
        summed = flush(last, arrival);
    }
    if (!summed) return unexpected{summed.err()};

    trends_result out;
    const auto span = roll.span();
    const auto since = q.filter.since_day.empty() ? std::nullopt : parse_day(q.filter.since_day);
    const auto until = q.filter.until_day.empty() ? std::nullopt : parse_day(q.filter.until_day);
    if (!since && !until && !span) return out;  // nothing stored in the selection
    out.first_day = since ? *since : span ? span->first : *until - 1;
    out.last_day = until ? *until - 1 : span ? std::max(span->second, out.first_day) : std::max(q.today, out.first_day);
    if (out.last_day - out.first_day + 1 > max_trend_days) {
        out.first_day = out.last_day - max_trend_days + 1;
        out.cut = true;
    }
    out.rows = roll.rows(domains, out.first_day, out.last_day, q.by);
    return out;
}

}  // namespace dmarcsight::analyze
