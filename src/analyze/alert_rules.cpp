#include "analyze/alert_rules.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>

#include "core/time.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

namespace {

// Shares are compared with a little slack: 0.3 - 0.1 is 0.19999999999999998 in binary, and a
// rise of exactly the threshold must fire.
constexpr double slack = 1e-12;

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", share * 100.0);
    return buf;
}

std::string day_text(std::int64_t day) { return utc::format_date(day * 86400); }

struct window_source {
    std::int64_t messages = 0, dmarc_pass = 0;
    int days = 0;
};

}  // namespace

std::string_view to_string(alert_kind k) {
    switch (k) {
        case alert_kind::new_source: return "new_source";
        case alert_kind::failure_spike: return "failure_spike";
        case alert_kind::reporter_gap: return "reporter_gap";
        case alert_kind::pass_rate_drop: return "pass_rate_drop";
        case alert_kind::unauthorized_spike: return "unauthorized_spike";
        case alert_kind::dns_change: return "dns_change";
        case alert_kind::no_reports: return "no_reports";
        case alert_kind::new_failure_report: return "new_failure_report";
    }
    return "unknown";
}

bool parse_alert_kind(std::string_view text, alert_kind& out) {
    for (const auto k : {alert_kind::new_source, alert_kind::failure_spike, alert_kind::reporter_gap, alert_kind::pass_rate_drop,
                         alert_kind::unauthorized_spike, alert_kind::dns_change, alert_kind::no_reports,
                         alert_kind::new_failure_report}) {
        if (text == to_string(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

std::string_view severity_of(alert_kind k) {
    switch (k) {
        case alert_kind::pass_rate_drop:
        case alert_kind::failure_spike: return "critical";  // genuine mail is failing now
        case alert_kind::new_source:
        case alert_kind::unauthorized_spike:
        case alert_kind::dns_change:
        case alert_kind::no_reports:
        case alert_kind::new_failure_report: return "warning";
        case alert_kind::reporter_gap: return "info";
    }
    return "info";
}

std::string alert_id(const alert& a) {
    std::string key;
    key.append(to_string(a.kind)).append(1, '\0').append(a.domain).append(1, '\0').append(a.day);
    key.append(1, '\0').append(a.source).append(1, '\0').append(a.reporter);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(store::stable_hash(key)));
    return buf;
}

std::vector<alert> evaluate_domain(std::string_view domain, std::vector<day_traffic> days, const alert_rules& r) {
    std::vector<alert> out;
    if (days.empty()) return out;
    std::sort(days.begin(), days.end(), [](const day_traffic& a, const day_traffic& b) { return a.day < b.day; });
    // Several entries of one day are merged.
    std::vector<day_traffic> merged;
    for (auto& d : days) {
        if (!merged.empty() && merged.back().day == d.day) {
            for (const auto& [ip, c] : d.sources) {
                auto& t = merged.back().sources[ip];
                t.messages += c.messages;
                t.dmarc_pass += c.dmarc_pass;
            }
            merged.back().reporters.insert(d.reporters.begin(), d.reporters.end());
        } else {
            merged.push_back(std::move(d));
        }
    }
    const std::size_t window = static_cast<std::size_t>(std::max(1, r.window_days));
    const std::size_t min_history = static_cast<std::size_t>(std::max(1, r.min_history_days));
    std::deque<const day_traffic*> hist;  // W: the previous days, oldest first
    const day_traffic empty_day{};
    std::deque<day_traffic> gap_days;     // the days without reports that W points at
    std::unordered_map<std::string, bool> seen;
    std::size_t next = 0;
    const std::int64_t first = merged.front().day, last = merged.back().day;
    for (std::int64_t day = first; day <= last; ++day) {
        const day_traffic* today = &empty_day;
        if (next < merged.size() && merged[next].day == day) {
            today = &merged[next++];
        } else {
            gap_days.push_back(day_traffic{day, {}, {}});
            today = &gap_days.back();
        }
        const std::string date = day_text(day);
        auto fire = [&](alert_kind k, std::string source, std::string reporter, std::string detail) {
            out.push_back(alert{date, k, std::string(domain), std::move(source), std::move(reporter), std::move(detail)});
        };
        // new_source: sources in IP order, so the output does not depend on hashing.
        std::vector<const std::pair<const std::string, source_count>*> ordered;
        ordered.reserve(today->sources.size());
        for (const auto& e : today->sources) ordered.push_back(&e);
        std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->first < b->first; });
        if (day > first) {
            for (const auto* e : ordered) {
                if (e->second.messages >= r.new_source_min_messages && !seen.count(e->first)) {
                    fire(alert_kind::new_source, e->first, {},
                         "first seen for " + std::string(domain) + ": " + std::to_string(e->second.messages) + " messages, " +
                             percent(static_cast<double>(e->second.dmarc_pass) / static_cast<double>(e->second.messages)) +
                             " passing DMARC");
                }
            }
        }
        if (hist.size() >= min_history) {
            std::unordered_map<std::string, window_source> base;
            for (const auto* h : hist) {
                for (const auto& [ip, c] : h->sources) {
                    auto& b = base[ip];
                    b.messages += c.messages;
                    b.dmarc_pass += c.dmarc_pass;
                    ++b.days;
                }
            }
            for (const auto* e : ordered) {
                const auto& c = e->second;
                const auto b = base.find(e->first);
                if (b == base.end() || c.messages < r.failure_spike_min_messages || b->second.days < r.failure_spike_min_days ||
                    b->second.messages <= 0)
                    continue;
                const double now_fail = static_cast<double>(c.messages - c.dmarc_pass) / static_cast<double>(c.messages);
                const double was_fail = static_cast<double>(b->second.messages - b->second.dmarc_pass) /
                                        static_cast<double>(b->second.messages);
                if (now_fail - was_fail >= r.failure_spike_rise - slack) {
                    fire(alert_kind::failure_spike, e->first, {},
                         "DMARC failures rose from " + percent(was_fail) + " to " + percent(now_fail) + " (" +
                             std::to_string(c.messages - c.dmarc_pass) + " of " + std::to_string(c.messages) + " messages)");
                }
            }
            // reporter_gap: reporters present on every day of W, in name order.
            std::set<std::string> steady = hist.front()->reporters;
            for (const auto* h : hist) {
                std::set<std::string> both;
                std::set_intersection(steady.begin(), steady.end(), h->reporters.begin(), h->reporters.end(),
                                      std::inserter(both, both.end()));
                steady = std::move(both);
            }
            for (const auto& rep : steady) {
                if (!today->reporters.count(rep)) {
                    fire(alert_kind::reporter_gap, {}, rep,
                         "no report from " + rep + " for this day; it reported each of the " + std::to_string(hist.size()) +
                             " days before");
                }
            }
            // pass_rate_drop and unauthorized_spike.
            std::int64_t md = 0, sd = 0, mw = 0, sw = 0;
            std::int64_t fail_today = 0;
            double fail_window = 0;
            for (const auto& [ip, b] : base) {
                const bool passing = b.messages > 0 &&
                                     static_cast<double>(b.dmarc_pass) / static_cast<double>(b.messages) >= r.passing_share;
                if (passing) {
                    mw += b.messages;
                    sw += b.dmarc_pass;
                } else {
                    fail_window += static_cast<double>(b.messages - b.dmarc_pass);
                }
            }
            for (const auto& [ip, c] : today->sources) {
                const auto b = base.find(ip);
                const bool passing = b != base.end() && b->second.messages > 0 &&
                                     static_cast<double>(b->second.dmarc_pass) / static_cast<double>(b->second.messages) >=
                                         r.passing_share;
                if (passing) {
                    md += c.messages;
                    sd += c.dmarc_pass;
                } else {
                    fail_today += c.messages - c.dmarc_pass;
                }
            }
            if (md >= r.pass_rate_drop_min_messages && mw > 0) {
                const double was = static_cast<double>(sw) / static_cast<double>(mw);
                const double now = static_cast<double>(sd) / static_cast<double>(md);
                if (was - now >= r.pass_rate_drop - slack) {
                    fire(alert_kind::pass_rate_drop, {}, {},
                         "sources that normally pass passed DMARC on " + percent(now) + " of " + std::to_string(md) +
                             " messages, down from " + percent(was));
                }
            }
            const double mean = fail_window / static_cast<double>(hist.size());
            const double today_fail = static_cast<double>(fail_today);
            if (today_fail >= r.unauthorized_spike_factor * mean &&
                today_fail - mean >= static_cast<double>(r.unauthorized_spike_min_excess)) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "%lld DMARC-failing messages from sources that do not normally pass, against a daily mean of %.0f",
                              static_cast<long long>(fail_today), mean);
                fire(alert_kind::unauthorized_spike, {}, {}, buf);
            }
        }
        for (const auto& e : today->sources) seen.emplace(e.first, true);
        hist.push_back(today);
        if (hist.size() > window) hist.pop_front();
        // Keep gap days only while W can point at them (a deque keeps their addresses).
        while (!gap_days.empty() && gap_days.front().day < day - static_cast<std::int64_t>(window)) gap_days.pop_front();
    }
    return out;
}

}  // namespace dmarcsight::analyze

namespace dmarcsight::analyze {

std::vector<alert> evaluate_failure_reports(std::string_view domain, const std::vector<day_traffic>& days,
                                            std::vector<failure_day> failures, const alert_rules& r) {
    std::vector<alert> out;
    std::sort(failures.begin(), failures.end(), [](const failure_day& a, const failure_day& b) {
        return a.day != b.day ? a.day < b.day : a.source_ip < b.source_ip;
    });
    // Each source's aggregate history: its totals over the days before each failure's day.
    std::vector<const day_traffic*> ordered;
    for (const auto& d : days) ordered.push_back(&d);
    std::sort(ordered.begin(), ordered.end(), [](const day_traffic* a, const day_traffic* b) { return a->day < b->day; });
    std::unordered_map<std::string, source_count> before;
    std::size_t next = 0;
    for (std::size_t i = 0; i < failures.size(); ++i) {
        const failure_day& f = failures[i];
        if (i > 0 && failures[i - 1].day == f.day && failures[i - 1].source_ip == f.source_ip) continue;
        std::int64_t reports = 0;
        for (std::size_t j = i; j < failures.size() && failures[j].day == f.day && failures[j].source_ip == f.source_ip; ++j)
            reports += failures[j].reports;
        while (next < ordered.size() && ordered[next]->day < f.day) {
            for (const auto& [ip, c] : ordered[next]->sources) {
                auto& t = before[ip];
                t.messages += c.messages;
                t.dmarc_pass += c.dmarc_pass;
            }
            ++next;
        }
        const auto h = before.find(f.source_ip);
        std::string why;
        if (h == before.end() || h->second.messages == 0) {
            why = "a source no aggregate report counted before";
        } else if (static_cast<double>(h->second.dmarc_pass) < r.passing_share * static_cast<double>(h->second.messages)) {
            why = "a source that does not normally pass (" +
                  percent(static_cast<double>(h->second.dmarc_pass) / static_cast<double>(h->second.messages)) +
                  " passing DMARC before)";
        } else {
            continue;  // an authorized source failing once is failure_spike's business
        }
        out.push_back(alert{day_text(f.day), alert_kind::new_failure_report, std::string(domain), f.source_ip, {},
                            std::to_string(reports) + " failure report(s) about " + f.source_ip + ", " + why});
    }
    return out;
}

}  // namespace dmarcsight::analyze
