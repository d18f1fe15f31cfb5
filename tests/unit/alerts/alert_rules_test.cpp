// The alert rules, one test per rule and its edges (analyze/alert_rules.hpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "alerts/delivery.hpp"
#include "alerts/engine.hpp"
#include "analyze/alert_rules.hpp"
#include "core/time.hpp"

namespace dmarcsight::analyze {
namespace {

constexpr std::int64_t day0 = 20362;  // 2025-10-01

// A domain's days: steady traffic from two passing sources, one spoofer, two reporters.
std::vector<day_traffic> steady(int days) {
    std::vector<day_traffic> out;
    for (int i = 0; i < days; ++i) {
        day_traffic d;
        d.day = day0 + i;
        d.sources["192.0.2.1"] = {1000, 990};
        d.sources["192.0.2.2"] = {400, 396};
        d.sources["203.0.113.9"] = {20, 0};
        d.reporters = {"google.com", "Yahoo"};
        out.push_back(d);
    }
    return out;
}

std::vector<std::string> kinds(const std::vector<alert>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.day + " " + std::string(to_string(a.kind)) + " " + a.source + a.reporter);
    return out;
}

TEST(alert_rules, steady_traffic_fires_nothing) { EXPECT_TRUE(evaluate_domain("example.com", steady(14), {}).empty()); }

// new_failure_report: a failure report about a new or unauthorized source fires; one about a
// source that normally passes does not (failure_spike watches those); one alert per day and source.
TEST(alert_rules, new_failure_report_for_new_or_unauthorized_sources) {
    const auto days = steady(5);
    std::vector<failure_day> f = {
        {day0 + 3, "192.0.2.1", 2},      // passes 99%: no alert
        {day0 + 3, "203.0.113.9", 1},    // fails always: unauthorized
        {day0 + 3, "198.51.100.7", 1},   // never in an aggregate report: new
        {day0 + 3, "198.51.100.7", 2},   // the same day and source again: counted in one alert
        {day0, "203.0.113.9", 1},        // the first day: no history yet, so new
    };
    const auto fired = evaluate_failure_reports("example.com", days, f, {});
    EXPECT_EQ(kinds(fired), (std::vector<std::string>{"2025-10-01 new_failure_report 203.0.113.9",
                                                      "2025-10-04 new_failure_report 198.51.100.7",
                                                      "2025-10-04 new_failure_report 203.0.113.9"}));
    EXPECT_NE(fired[1].detail.find("3 failure report(s)"), std::string::npos) << fired[1].detail;
    EXPECT_NE(fired[2].detail.find("does not normally pass"), std::string::npos) << fired[2].detail;
    EXPECT_EQ(severity_of(alert_kind::new_failure_report), "warning");
    alert_kind k;
    EXPECT_TRUE(parse_alert_kind("new_failure_report", k));
    // A domain only failure reports name: every source is new.
    EXPECT_EQ(evaluate_failure_reports("other.example", {}, {{day0, "192.0.2.1", 1}}, {}).size(), 1u);
}

TEST(alert_rules, new_source_needs_volume_and_a_first_day_before_it) {
    auto days = steady(5);
    days[0].sources["198.51.100.7"] = {500, 500};  // day 0 has no history: never new
    days[3].sources["198.51.100.8"] = {100, 100};  // exactly the threshold
    days[3].sources["198.51.100.9"] = {99, 0};     // below
    days[4].sources["198.51.100.8"] = {200, 200};  // seen before now
    const auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(kinds(a), std::vector<std::string>{"2025-10-04 new_source 198.51.100.8"});
    EXPECT_NE(a[0].detail.find("100 messages"), std::string::npos) << a[0].detail;
}

TEST(alert_rules, failure_spike_is_a_rise_of_twenty_points_over_the_window) {
    auto days = steady(10);
    days[8].sources["192.0.2.2"] = {400, 316};   // 21% failing against 1%: rise 0.20
    days[9].sources["192.0.2.2"] = {400, 320};   // 20% against W's mean: below the rise now
    const auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(kinds(a), std::vector<std::string>{"2025-10-09 failure_spike 192.0.2.2"});
}

TEST(alert_rules, failure_spike_needs_three_days_of_the_source_in_the_window) {
    auto days = steady(10);
    for (auto& d : days) d.sources.erase("192.0.2.2");
    days[6].sources["192.0.2.2"] = {400, 396};
    days[7].sources["192.0.2.2"] = {400, 396};
    days[8].sources["192.0.2.2"] = {400, 0};  // two days of history only
    auto a = evaluate_domain("example.com", days, {});
    for (const auto& x : a) EXPECT_NE(x.kind, alert_kind::failure_spike) << x.day;
    days[9].sources["192.0.2.2"] = {400, 0};  // three days now (one failing): 100% against 33%
    a = evaluate_domain("example.com", days, {});
    const auto k = kinds(a);
    EXPECT_NE(std::find(k.begin(), k.end(), "2025-10-10 failure_spike 192.0.2.2"), k.end());
}

TEST(alert_rules, reporter_gap_fires_on_the_first_missing_day_only) {
    auto days = steady(12);
    for (int i = 8; i < 11; ++i) days[i].reporters.erase("Yahoo");
    const auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(kinds(a), std::vector<std::string>{"2025-10-09 reporter_gap Yahoo"});
}

TEST(alert_rules, a_day_without_any_report_counts_as_a_day) {
    auto days = steady(9);
    days.erase(days.begin() + 5);  // 2025-10-06: nothing stored
    const auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(kinds(a), (std::vector<std::string>{"2025-10-06 reporter_gap Yahoo", "2025-10-06 reporter_gap google.com"}));
}

TEST(alert_rules, pass_rate_drop_among_sources_that_normally_pass) {
    auto days = steady(10);
    days[9].sources["192.0.2.1"] = {1000, 840};  // 1236 of 1400 pass: 88.3% against 99.0% (and 16% failing: no spike)
    auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(kinds(a), std::vector<std::string>{"2025-10-10 pass_rate_drop "});
    days[9].sources["192.0.2.1"] = {1000, 860};  // 89.7%: 9.3 points down, below the drop
    a = evaluate_domain("example.com", days, {});
    EXPECT_TRUE(a.empty()) << kinds(a).front();
}

TEST(alert_rules, pass_rate_drop_needs_five_hundred_messages) {
    auto days = steady(10);
    for (auto& d : days) d.sources.erase("192.0.2.1");
    days[9].sources["192.0.2.2"] = {400, 300};
    const auto a = evaluate_domain("example.com", days, {});
    for (const auto& x : a) EXPECT_NE(x.kind, alert_kind::pass_rate_drop);
}

TEST(alert_rules, unauthorized_spike_is_twice_the_mean_and_five_hundred_above) {
    auto days = steady(10);
    days[8].sources["203.0.113.9"] = {540, 0};   // 540 vs mean 20: 2x and +520
    days[9].sources["203.0.113.10"] = {30, 0};   // 50 in all: 2x but not +500
    const auto a = evaluate_domain("example.com", days, {});
    std::vector<std::string> spikes;
    for (const auto& x : a)
        if (x.kind == alert_kind::unauthorized_spike) spikes.push_back(x.day);
    EXPECT_EQ(spikes, std::vector<std::string>{"2025-10-09"});
}

TEST(alert_rules, rate_rules_wait_for_three_days_of_history) {
    auto days = steady(3);
    days[2].sources["203.0.113.9"] = {5000, 0};
    EXPECT_TRUE(evaluate_domain("example.com", days, {}).empty());
    days.push_back(days[2]);
    days.back().day = day0 + 3;
    const auto a = evaluate_domain("example.com", days, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].kind, alert_kind::unauthorized_spike);
}

TEST(alert_rules, thresholds_are_settings) {
    auto days = steady(5);
    days[4].sources["198.51.100.8"] = {50, 50};
    alert_rules r;
    EXPECT_TRUE(evaluate_domain("example.com", days, r).empty());
    r.new_source_min_messages = 50;
    EXPECT_EQ(evaluate_domain("example.com", days, r).size(), 1u);
}

TEST(alert_rules, ids_are_stable_and_distinct) {
    alert a{"2025-10-04", alert_kind::new_source, "example.com", "192.0.2.1", "", "x"};
    alert b = a;
    b.detail = "other words";
    EXPECT_EQ(alert_id(a), alert_id(b));
    EXPECT_EQ(alert_id(a).size(), 16u);
    b.source = "192.0.2.11";
    EXPECT_NE(alert_id(a), alert_id(b));
    // Fields cannot run into each other.
    alert c{"2025-10-04", alert_kind::new_source, "example.co", "m192.0.2.1", "", ""};
    EXPECT_NE(alert_id(a), alert_id(c));
}

TEST(alert_mutes, fields_cidr_and_end_day) {
    alert a{"2025-10-04", alert_kind::new_source, "example.com", "192.0.2.77", "", ""};
    store::mute_row m;
    m.domain = "example.com";
    EXPECT_TRUE(alerts::mute_applies(m, a, "2025-10-05"));
    m.source = "192.0.2.0/24";
    EXPECT_TRUE(alerts::mute_applies(m, a, "2025-10-05"));
    m.source = "192.0.3.0/24";
    EXPECT_FALSE(alerts::mute_applies(m, a, "2025-10-05"));
    m.source = "192.0.2.77";
    m.kind = "failure_spike";
    EXPECT_FALSE(alerts::mute_applies(m, a, "2025-10-05"));
    m.kind = "new_source";
    m.until_day = "2025-10-05";
    EXPECT_TRUE(alerts::mute_applies(m, a, "2025-10-05"));
    EXPECT_FALSE(alerts::mute_applies(m, a, "2025-10-06"));
}

TEST(alert_state, from_acks_mutes_and_deliveries) {
    alerts::alert_view v;
    v.settled = false;
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "provisional");
    v.settled = true;
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "pending");
    v.deliveries.push_back({"x", "ops", 1, 10, 10, ""});
    v.deliveries.push_back({"x", "mail", 2, 10, 0, "timeout"});
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "failed");
    v.deliveries[1].delivered_at = 11;
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "sent");
    v.muted_by = 3;
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "muted");
    v.acked_at = 5;
    alerts::settle_state(v, {"ops", "mail"});
    EXPECT_EQ(v.state, "acked");
}

}  // namespace
}  // namespace dmarcsight::analyze

namespace dmarcsight::alerts {
namespace {

TEST(alert_message, a_hostile_reporter_name_cannot_break_the_subject) {
    alert_view v;
    v.a = {"2025-10-04", analyze::alert_kind::reporter_gap, "example.com", "", "Evil\r\nBcc: victim@example.net", "gone quiet"};
    v.id = "0123456789abcdef";
    v.severity = "info";
    const auto m = message_for(v);
    EXPECT_EQ(m.subject.find('\r'), std::string::npos);
    EXPECT_EQ(m.subject.find('\n'), std::string::npos);
    EXPECT_NE(m.subject.find("reporter_gap for example.com Evil"), std::string::npos) << m.subject;
    EXPECT_EQ(m.data["reporter"], "Evil\r\nBcc: victim@example.net");  // JSON carries it escaped, whole
    EXPECT_EQ(m.id, v.id);
}

}  // namespace
}  // namespace dmarcsight::alerts
