// Summing fact rows into one summary per source: the same summaries whatever order the rows come
// in, distinct days counted once, sources handed over sorted by IP with their arrival places.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "analyze/source_summary.hpp"

using namespace dmarcsight;

namespace {

store::source_day_row row(const std::string& ip, const std::string& day, const std::string& hf, std::int64_t messages,
                          std::vector<std::string> reporters = {"google.com"}) {
    store::source_day_row r;
    r.key.policy_domain = "example.com";
    r.key.source_ip = ip;
    r.key.day = day;
    r.key.header_from = hf;
    r.m.messages = messages;
    r.reporters = std::move(reporters);
    return r;
}

}  // namespace

TEST(source_rollup, sums_counts_days_and_sorts_by_ip) {
    std::vector<store::source_day_row> rows;
    // 3,000 sources, each on up to 4 days, some rows of one (source, day) repeated (two batches).
    for (int i = 0; i < 3000; ++i) {
        const std::string ip = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".7";
        for (int d = 0; d <= i % 4; ++d) {
            const std::string day = "2026-10-0" + std::to_string(d + 1);
            rows.push_back(row(ip, day, "example.com", 2));
            if (d == 0) rows.push_back(row(ip, day, "news.example.com", 3, {"yahoo.com", "google.com"}));
        }
    }
    std::mt19937 rng(11);
    std::shuffle(rows.begin(), rows.end(), rng);
    analyze::source_rollup roll;
    analyze::summaries done;
    std::vector<std::string> arrived;
    for (const auto& r : rows) {
        EXPECT_FALSE(roll.add(r, done));  // one domain: nothing finishes early
        if (roll.last_source() == arrived.size()) arrived.push_back(r.key.source_ip);
        ASSERT_EQ(arrived.at(roll.last_source()), r.key.source_ip);
    }
    std::vector<std::uint32_t> arrival;
    const analyze::summaries out = roll.finish(&arrival);
    ASSERT_EQ(out.size(), 3000u);
    ASSERT_EQ(arrival.size(), 3000u);
    for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].source_ip, out[i].source_ip);
    for (std::size_t a = 0; a < arrived.size(); ++a) EXPECT_EQ(out[arrival[a]].source_ip, arrived[a]);
    for (const auto& s : out) {
        // The source's number from its address: 10.A.B.7 is source A*256+B.
        const auto p1 = s.source_ip.find('.', 3);
        const int i = std::stoi(s.source_ip.substr(3, p1 - 3)) * 256 + std::stoi(s.source_ip.substr(p1 + 1));
        const int days = i % 4 + 1;
        EXPECT_EQ(s.days_active, days) << s.source_ip;
        EXPECT_EQ(s.m.messages, 2 * days + 3) << s.source_ip;
        EXPECT_EQ(s.first_day.text(), "2026-10-01");
        EXPECT_EQ(s.last_day.text(), "2026-10-0" + std::to_string(days));
        EXPECT_EQ(s.header_from, (std::vector<std::string>{"example.com", "news.example.com"}));
        EXPECT_EQ(s.reporters, (std::vector<std::string>{"google.com", "yahoo.com"}));
    }
}

TEST(source_rollup, hands_over_each_domain_when_the_next_begins) {
    analyze::source_rollup roll;
    analyze::summaries done;
    auto a = row("192.0.2.1", "2026-10-01", "a.example", 5);
    a.key.policy_domain = "a.example";
    auto b = row("192.0.2.1", "2026-10-01", "b.example", 7);
    b.key.policy_domain = "b.example";
    EXPECT_FALSE(roll.add(a, done));
    EXPECT_TRUE(roll.add(b, done));
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].policy_domain, "a.example");
    EXPECT_EQ(done[0].m.messages, 5);
    EXPECT_EQ(done[0].days_active, 1);
    const auto last = roll.finish();
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].policy_domain, "b.example");
    EXPECT_EQ(last[0].m.messages, 7);
    EXPECT_EQ(last[0].days_active, 1);  // the same IP and day, another domain: counted again
}

// Without lists (what classifying reads): the same measures and days, no header_from or
// reporters; a day that is not YYYY-MM-DD is no day and never the first one.
TEST(source_rollup, without_lists_and_with_a_bad_day) {
    analyze::source_rollup lean(false), full;
    analyze::summaries done;
    for (auto* roll : {&lean, &full}) {
        roll->add(row("192.0.2.1", "2026-10-03", "example.com", 2), done);
        roll->add(row("192.0.2.1", "not a day", "example.com", 1), done);
        roll->add(row("192.0.2.1", "2026-10-02", "news.example.com", 4, {"yahoo.com"}), done);
    }
    const auto l = lean.finish(), f = full.finish();
    ASSERT_EQ(l.size(), 1u);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(l[0].m, f[0].m);
    EXPECT_EQ(l[0].m.messages, 7);
    EXPECT_EQ(l[0].first_day.text(), "2026-10-02");
    EXPECT_EQ(l[0].last_day.text(), "2026-10-03");
    EXPECT_EQ(f[0].first_day, l[0].first_day);
    EXPECT_TRUE(l[0].header_from.empty());
    EXPECT_TRUE(l[0].reporters.empty());
    EXPECT_EQ(f[0].header_from, (std::vector<std::string>{"example.com", "news.example.com"}));
    EXPECT_EQ(f[0].reporters, (std::vector<std::string>{"google.com", "yahoo.com"}));
    EXPECT_EQ(analyze::compact_day::of("2026-10-02").ymd(), 20261002u);
    EXPECT_TRUE(analyze::compact_day::of("2026-1-02").empty());
    EXPECT_TRUE(analyze::compact_day().text().empty());
}

// A domain that add() finishes keeps its arrival order until the next one: each row's source is
// found in the sorted summaries (what the trends' one read relies on).
TEST(source_rollup, a_finished_domain_keeps_its_arrival) {
    analyze::source_rollup roll(false);
    roll.keep_arrival();
    analyze::summaries done;
    std::vector<std::uint32_t> seen;
    for (const char* ip : {"192.0.2.9", "192.0.2.1", "192.0.2.5", "192.0.2.1"}) {
        EXPECT_FALSE(roll.add(row(ip, "2026-10-01", "example.com", 1), done));
        seen.push_back(roll.last_source());
    }
    auto other = row("198.51.100.1", "2026-10-01", "example.org", 1);
    other.key.policy_domain = "example.org";
    ASSERT_TRUE(roll.add(other, done));
    ASSERT_EQ(done.size(), 3u);
    const auto& arrival = roll.finished_arrival();
    ASSERT_EQ(arrival.size(), 3u);
    const std::vector<std::string> ips{"192.0.2.9", "192.0.2.1", "192.0.2.5", "192.0.2.1"};
    for (std::size_t i = 0; i < ips.size(); ++i) EXPECT_EQ(done[arrival[seen[i]]].source_ip, ips[i]);
    EXPECT_EQ(done[arrival[seen[1]]].m.messages, 2);
    const auto last = roll.finish();
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].policy_domain, "example.org");
}
