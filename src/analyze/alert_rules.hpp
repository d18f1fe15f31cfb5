// The alert rules (pure): one policy domain's traffic, day by day, in; the alerts that fire out.
// The rules are the event rules a domain owner wants flagged (README "Alerts"), per domain and
// day d, with W the up-to-`window_days` previous days of the domain (calendar days from its first
// stored day: a day without reports is a day of no traffic, and it counts):
//   new_source          an IP never seen for the domain before d, with >= N messages on d (d is
//                       not the domain's first day: that day has no history);
//   failure_spike       an IP with >= N messages on d, seen on >= 3 days of W, whose DMARC-fail
//                       share rose by >= 0.20 over its share in W;
//   reporter_gap        a reporter that sent a report for the domain on every day of W sent none
//                       on d (only the first missing day fires: the next day's W holds the gap);
//   pass_rate_drop      among the sources that normally pass (DMARC pass share over W >= 50%), the
//                       pass share on d (>= 500 messages) is >= 0.10 below their share over W;
//   unauthorized_spike  DMARC-fail messages from the sources that do not normally pass, on d, are
//                       >= 2 × their daily mean over W and >= 500 above it;
//   new_failure_report  a DMARC failure report (RFC 6591) on d about a source IP that is new (no
//                       aggregate report counted it for the domain before d) or unauthorized (it
//                       does not normally pass: DMARC pass share before d below 50%).
// The rate rules (all but new_source) need at least `min_history_days` days in W. Every
// threshold is a setting ([alerts] in the config file).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dmarcsight::analyze {

struct alert_rules {
    int window_days = 7;
    int min_history_days = 3;
    std::int64_t new_source_min_messages = 100;
    std::int64_t failure_spike_min_messages = 100;
    int failure_spike_min_days = 3;
    double failure_spike_rise = 0.20;
    double passing_share = 0.5;  // "normally passes"
    std::int64_t pass_rate_drop_min_messages = 500;
    double pass_rate_drop = 0.10;
    double unauthorized_spike_factor = 2.0;
    std::int64_t unauthorized_spike_min_excess = 500;
};

struct source_count {
    std::int64_t messages = 0;
    std::int64_t dmarc_pass = 0;
};

// One UTC day of one policy domain: per source IP its messages, and the reporters (org_name) that
// sent a report covering it.
struct day_traffic {
    std::int64_t day = 0;  // days since 1970-01-01
    std::unordered_map<std::string, source_count> sources;
    std::set<std::string> reporters;
};

enum class alert_kind { new_source, failure_spike, reporter_gap, pass_rate_drop, unauthorized_spike, dns_change, no_reports, new_failure_report };
std::string_view to_string(alert_kind k);
bool parse_alert_kind(std::string_view text, alert_kind& out);
inline constexpr const char* alert_kind_names =
    "new_source, failure_spike, reporter_gap, pass_rate_drop, unauthorized_spike, dns_change, no_reports, new_failure_report";
// How much a kind matters: "critical" (genuine mail is failing), "warning", "info".
std::string_view severity_of(alert_kind k);

struct alert {
    std::string day;  // YYYY-MM-DD
    alert_kind kind = alert_kind::new_source;
    std::string domain;
    std::string source;    // an IP for new_source / failure_spike, else empty
    std::string reporter;  // org_name for reporter_gap, else empty
    std::string detail;    // one line, with the numbers behind it
};

// A stable id: the same alert (kind, domain, day, source, reporter) has the same id on every run
// and every machine, so its state (sent, acknowledged) follows it. 16 hex digits.
std::string alert_id(const alert& a);

// Applies the rules to one domain's days (in any order; a missing calendar day between the first
// and the last is a day without traffic). Alerts come out in day order, then in rule order.
std::vector<alert> evaluate_domain(std::string_view domain, std::vector<day_traffic> days, const alert_rules& rules);

// Failure reports of one domain about one source IP on one day.
struct failure_day {
    std::int64_t day = 0;  // days since 1970-01-01
    std::string source_ip;
    std::int64_t reports = 0;
};
// new_failure_report over one domain's failure reports, given its aggregate days (any order).
// Alerts in day order, then source IP order.
std::vector<alert> evaluate_failure_reports(std::string_view domain, const std::vector<day_traffic>& days,
                                            std::vector<failure_day> failures, const alert_rules& rules);

}  // namespace dmarcsight::analyze
