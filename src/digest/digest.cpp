#include "digest/digest.hpp"

#include <algorithm>

#include "core/time.hpp"

namespace dmarcsight::digest {

namespace {

std::string day_text(std::int64_t day) { return utc::format_date(day * 86400); }

source_line line_of(const analyze::source_row& r) {
    source_line l;
    l.source_ip = r.s.source_ip;
    l.service = r.service ? r.service->name : "";
    l.cls = std::string(analyze::to_string(r.c.cls));
    l.fix = r.c.fix;
    l.ptr = r.ip ? r.ip->ptr : "";
    l.messages = r.s.m.messages;
    l.dmarc_fail = r.s.m.messages - r.s.m.dmarc_pass;
    l.source_ips = r.source_ips;
    return l;
}

const char* month_name(unsigned m) {
    static const char* names[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
    return m >= 1 && m <= 12 ? names[m - 1] : "?";
}

}  // namespace

std::pair<std::int64_t, std::int64_t> period_bounds(period p, std::int64_t now) {
    const std::int64_t today = utc::day_of(now);
    if (p == period::week) {
        // 1970-01-01 was a Thursday: (day + 3) mod 7 is the days since Monday.
        const std::int64_t monday = today - (((today + 3) % 7) + 7) % 7;
        return {monday - 7, monday};
    }
    const auto c = utc::from_days(today);
    const std::int64_t first = utc::to_days(c.year, c.month, 1);
    const auto prev = c.month == 1 ? utc::to_days(c.year - 1, 12, 1) : utc::to_days(c.year, c.month - 1, 1);
    return {prev, first};
}

result<digest> build(store::store& db, const options& opt, const std::vector<alerts::alert_view>& all_alerts) {
    digest out;
    const auto [since, until] = period_bounds(opt.span, opt.now);
    out.since_day = day_text(since);
    out.until_day = day_text(until);
    out.last_day = day_text(until - 1);
    if (opt.span == period::week) {
        out.title = "Week of " + out.since_day;
    } else {
        const auto c = utc::from_days(since);
        out.title = std::string(month_name(c.month)) + " " + std::to_string(c.year);
    }
    const std::int64_t length = until - since;

    store::fact_filter f;
    f.domain = opt.domain;
    f.since_day = out.since_day;
    f.until_day = out.until_day;
    auto now_rows = db.domains(f);
    if (!now_rows) return unexpected{now_rows.err()};
    store::fact_filter pf = f;
    pf.since_day = day_text(since - length);
    pf.until_day = out.since_day;
    auto prev_rows = db.domains(pf);
    if (!prev_rows) return unexpected{prev_rows.err()};

    for (const auto& row : *now_rows) {
        domain_digest d;
        d.domain = row.policy_domain;
        d.messages = row.messages;
        d.dmarc_pass = row.dmarc_pass;
        d.sources = row.sources;
        for (const auto& p : *prev_rows)
            if (p.policy_domain == row.policy_domain) {
                d.previous_messages = p.messages;
                d.previous_dmarc_pass = p.dmarc_pass;
            }
        // The period's sources: spoofing volume, and what to fix (one line per service: its hosts
        // share the fix).
        analyze::sources_query q;
        q.filter = f;
        q.filter.domain = row.policy_domain;
        q.group = analyze::group_by::service;
        std::vector<source_line> fixable;
        auto r = analyze::list_sources(db, q, opt.services, opt.labels, [&](const analyze::source_row& s) -> result<void> {
            if (s.c.cls == analyze::source_class::spoofing) d.spoofing_messages += s.s.m.messages;
            else if (!s.c.fix.empty() && s.s.m.messages > s.s.m.dmarc_pass) fixable.push_back(line_of(s));
            return {};
        });
        if (!r) return unexpected{r.err()};
        std::stable_sort(fixable.begin(), fixable.end(), [](const auto& a, const auto& b) { return a.dmarc_fail > b.dmarc_fail; });
        if (fixable.size() > opt.max_rows) fixable.resize(opt.max_rows);
        d.to_fix = std::move(fixable);
        // New: first seen in the period, over the whole history before its end.
        q.filter.since_day.clear();
        q.group = analyze::group_by::ip;
        std::vector<source_line> fresh;
        r = analyze::list_sources(db, q, opt.services, opt.labels, [&](const analyze::source_row& s) -> result<void> {
            if (s.s.first_day.text() < out.since_day) return {};
            if (s.c.cls == analyze::source_class::spoofing) {
                ++d.new_spoofing_sources;
            } else {
                ++d.new_source_count;
                fresh.push_back(line_of(s));
            }
            return {};
        });
        if (!r) return unexpected{r.err()};
        std::stable_sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) { return a.messages > b.messages; });
        if (fresh.size() > opt.max_rows) fresh.resize(opt.max_rows);
        d.new_sources = std::move(fresh);
        for (const auto& a : all_alerts)
            if (a.a.domain == d.domain && a.a.day >= out.since_day && a.a.day < out.until_day) d.alerts.push_back(a);
        out.domains.push_back(std::move(d));
    }
    return out;
}

}  // namespace dmarcsight::digest
