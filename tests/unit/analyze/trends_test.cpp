// Trends: the pure roll-up (days, gaps, ISO weeks, classes, unauthorized mail) and the calendar
// helpers it rests on.
#include <gtest/gtest.h>

#include "analyze/trends.hpp"
#include "core/time.hpp"

using namespace dmarcsight;
using analyze::source_class;

namespace {

std::int64_t day(const char* text) { return *analyze::parse_day(text); }

std::size_t idx(source_class c) {
    for (std::size_t i = 0; i < analyze::trend_classes.size(); ++i)
        if (analyze::trend_classes[i] == c) return i;
    return 99;
}

}  // namespace

TEST(trends_calendar, days_weeks_and_iso_week_numbers) {
    EXPECT_EQ(analyze::parse_day("1970-01-01"), 0);
    EXPECT_EQ(analyze::parse_day("2026-10-01"), 1790812800 / 86400);
    EXPECT_FALSE(analyze::parse_day("2026-02-30"));
    EXPECT_FALSE(analyze::parse_day("2026-13-01"));
    EXPECT_FALSE(analyze::parse_day("2026-1-01"));
    EXPECT_FALSE(analyze::parse_day("20261001xx"));
    // 2026-10-01 is a Thursday: its week starts on Monday 2026-09-28.
    EXPECT_EQ(analyze::week_start(day("2026-10-01")), day("2026-09-28"));
    EXPECT_EQ(analyze::week_start(day("2026-09-28")), day("2026-09-28"));
    EXPECT_EQ(analyze::week_start(day("2026-10-04")), day("2026-09-28"));  // Sunday
    EXPECT_EQ(analyze::week_start(day("2026-10-05")), day("2026-10-05"));
    EXPECT_EQ(analyze::week_start(0), -3);  // 1970-01-01, a Thursday; Monday 1969-12-29
    EXPECT_EQ(analyze::week_start(-1), -3);
    EXPECT_EQ(analyze::week_start(-4), -10);
    EXPECT_EQ(analyze::iso_week(day("2026-10-01")), "2026-W40");
    // Year edges: 2026-12-31 (Thursday) is 2026-W53; 2027-01-01 belongs to it too; 2024-12-30 is 2025-W01.
    EXPECT_EQ(analyze::iso_week(day("2026-12-31")), "2026-W53");
    EXPECT_EQ(analyze::iso_week(day("2027-01-01")), "2026-W53");
    EXPECT_EQ(analyze::iso_week(day("2027-01-04")), "2027-W01");
    EXPECT_EQ(analyze::iso_week(day("2024-12-30")), "2025-W01");
    EXPECT_EQ(analyze::iso_week(day("2021-01-03")), "2020-W53");
}

TEST(trends_rollup, every_day_appears_and_classes_and_unauthorized_sum_exactly) {
    analyze::trend_rollup roll;
    const std::int64_t d1 = day("2026-10-01"), d3 = day("2026-10-03");
    roll.add("example.com", d1, source_class::authorized, 100, 99);
    roll.add("example.com", d1, source_class::spoofing, 30, 2);  // 28 unauthorized
    roll.add("example.com", d1, source_class::unknown, 5, 0);    // 5 unauthorized
    roll.add("example.com", d1, source_class::forwarded, 7, 1);  // failing, but not unauthorized
    roll.add("example.com", d3, source_class::authorized, 50, 50);
    roll.add("example.com", d3, source_class::authorized, 10, 10);  // a second row of the same day adds up
    roll.add("other.example", d3, source_class::mailing_list, 4, 0);
    ASSERT_TRUE(roll.span());
    EXPECT_EQ(roll.span()->first, d1);
    EXPECT_EQ(roll.span()->second, d3);

    const auto rows = roll.rows({"example.com", "other.example", "quiet.example"}, d1, d3, analyze::trend_period::day);
    ASSERT_EQ(rows.size(), 9u);  // 3 domains x 3 days, the gaps as zero rows
    const auto& a1 = rows[0];
    EXPECT_EQ(a1.domain, "example.com");
    EXPECT_EQ(a1.day, d1);
    EXPECT_EQ(a1.days, 1);
    EXPECT_EQ(a1.messages, 142);
    EXPECT_EQ(a1.dmarc_pass, 102);
    EXPECT_EQ(a1.unauthorized, 33);
    EXPECT_EQ(a1.class_messages[idx(source_class::authorized)], 100);
    EXPECT_EQ(a1.class_messages[idx(source_class::spoofing)], 30);
    EXPECT_EQ(a1.class_messages[idx(source_class::unknown)], 5);
    EXPECT_EQ(a1.class_messages[idx(source_class::forwarded)], 7);
    EXPECT_EQ(a1.class_messages[idx(source_class::mailing_list)], 0);
    // The day without reports.
    EXPECT_EQ(rows[1].day, d1 + 1);
    EXPECT_EQ(rows[1].messages, 0);
    EXPECT_EQ(rows[1].class_messages, (std::array<std::int64_t, 7>{}));
    EXPECT_EQ(rows[2].messages, 60);
    EXPECT_EQ(rows[2].dmarc_pass, 60);
    EXPECT_EQ(rows[2].unauthorized, 0);
    EXPECT_EQ(rows[5].domain, "other.example");
    EXPECT_EQ(rows[5].class_messages[idx(source_class::mailing_list)], 4);
    for (std::size_t i = 6; i < 9; ++i) {
        EXPECT_EQ(rows[i].domain, "quiet.example");
        EXPECT_EQ(rows[i].messages, 0);
    }
    // Every row's classes add up to its messages.
    for (const auto& r : rows) {
        std::int64_t sum = 0;
        for (const auto n : r.class_messages) sum += n;
        EXPECT_EQ(sum, r.messages) << r.domain << " " << r.day;
    }
}

TEST(trends_rollup, weeks_are_iso_weeks_and_sum_the_days_of_the_window) {
    analyze::trend_rollup roll;
    // 2026-09-30 (Wednesday) .. 2026-10-13 (Tuesday): a partial week, a whole one, a partial one.
    const std::int64_t first = day("2026-09-30"), last = day("2026-10-13");
    std::int64_t total = 0;
    for (std::int64_t d = first; d <= last; ++d) {
        roll.add("example.com", d, source_class::authorized, 10 + d - first, 10);
        total += 10 + d - first;
    }
    // Outside the window: not counted.
    roll.add("example.com", first - 1, source_class::authorized, 1000, 0);
    const auto weeks = roll.rows({"example.com"}, first, last, analyze::trend_period::week);
    ASSERT_EQ(weeks.size(), 3u);
    EXPECT_EQ(weeks[0].day, day("2026-09-28"));
    EXPECT_EQ(weeks[0].days, 5);  // Wednesday to Sunday
    EXPECT_EQ(weeks[0].messages, 10 + 11 + 12 + 13 + 14);
    EXPECT_EQ(weeks[1].day, day("2026-10-05"));
    EXPECT_EQ(weeks[1].days, 7);
    EXPECT_EQ(weeks[2].day, day("2026-10-12"));
    EXPECT_EQ(weeks[2].days, 2);
    EXPECT_EQ(weeks[0].messages + weeks[1].messages + weeks[2].messages, total);
    EXPECT_EQ(weeks[0].dmarc_pass + weeks[1].dmarc_pass + weeks[2].dmarc_pass, 14 * 10);
    // The same as the day rows, summed.
    const auto days = roll.rows({"example.com"}, first, last, analyze::trend_period::day);
    ASSERT_EQ(days.size(), 14u);
    std::int64_t week1 = 0;
    for (const auto& r : days)
        if (analyze::week_start(r.day) == day("2026-10-05")) week1 += r.messages;
    EXPECT_EQ(week1, weeks[1].messages);
    // An empty window gives nothing; counts near the maximum saturate instead of wrapping.
    EXPECT_TRUE(roll.rows({"example.com"}, last, first, analyze::trend_period::day).empty());
    analyze::trend_rollup big;
    big.add("x.example", 0, source_class::spoofing, INT64_MAX, 0);
    big.add("x.example", 0, source_class::spoofing, INT64_MAX, 0);
    const auto b = big.rows({"x.example"}, 0, 0, analyze::trend_period::day);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].messages, INT64_MAX);
    EXPECT_EQ(b[0].unauthorized, INT64_MAX);
}
