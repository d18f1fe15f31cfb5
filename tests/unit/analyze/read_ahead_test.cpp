// Facts read a batch ahead on a second thread (analyze/read_ahead.hpp), on both drivers: the same
// rows in the same order as the store's own reading, over several batches; an error of the
// caller stops the reading and is what comes back; an empty window calls nothing.
#include <gtest/gtest.h>

#include "analyze/read_ahead.hpp"
#include "core/ip_address.hpp"
#include "support/store_drivers.hpp"

using namespace dmarcsight;

namespace {

class read_ahead : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, read_ahead, test_support::all_drivers(), test_support::driver_name);

// One report of `sources` sources (10.0.x.y), source i sending i + 1 messages: one fact row each.
void store_sources(store::store& s, int sources) {
    ASSERT_TRUE(s.begin_batch().ok());
    ASSERT_TRUE(s.begin_unit().ok());
    report::report_header h;
    h.metadata.org_name = "Receiver";
    h.metadata.report_id = "r1";
    h.metadata.begin = 1790812800;  // 2026-10-01
    h.metadata.end = h.metadata.begin + 86399;
    h.policy.domain = "example.com";
    h.policy.p = "none";
    auto id = s.insert_report(h, "test");
    ASSERT_TRUE(id.ok()) << id.err().message;
    std::uint64_t messages = 0;
    for (int i = 0; i < sources; ++i) {
        report::record r;
        r.source_ip = *ip_address::parse("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
        r.count = i + 1;
        r.disposition = "none";
        r.header_from = "example.com";
        r.dkim = "fail";
        r.spf = "fail";
        messages += static_cast<std::uint64_t>(r.count);
        ASSERT_TRUE(s.insert_record(id->id, r).ok());
    }
    store::report_totals t;
    t.records = static_cast<std::uint64_t>(sources);
    t.messages = messages;
    ASSERT_TRUE(s.finish_report(id->id, t).ok());
    ASSERT_TRUE(s.end_unit(true).ok());
    ASSERT_TRUE(s.commit_batch().ok());
}

}  // namespace

TEST_P(read_ahead, gives_the_stores_rows_in_its_order_and_stops_at_the_callers_error) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    store::store& s = **db;
    constexpr int sources = 2600;  // more than two batches, the last one partial
    store_sources(s, sources);
    store::fact_filter f;
    f.domain = "example.com";

    std::vector<std::pair<std::string, std::int64_t>> direct, ahead;
    ASSERT_TRUE(s.source_days(f, [&](const store::source_day_row& r) -> result<void> {
                     direct.emplace_back(r.key.source_ip, r.m.messages);
                     return {};
                 }).ok());
    auto r = analyze::read_source_days_ahead(s, f, [&](const store::source_day_row& row) -> result<void> {
        EXPECT_EQ(row.key.policy_domain, "example.com");
        ahead.emplace_back(row.key.source_ip, row.m.messages);
        return {};
    });
    ASSERT_TRUE(r.ok()) << r.err().message;
    ASSERT_EQ(direct.size(), static_cast<std::size_t>(sources));
    EXPECT_EQ(ahead, direct);
    std::int64_t total = 0;
    for (const auto& [ip, n] : ahead) total += n;
    EXPECT_EQ(total, std::int64_t{sources} * (sources + 1) / 2);

    // The caller's error ends it: no row after it, that error returned, and the store usable again.
    int seen = 0;
    auto stopped = analyze::read_source_days_ahead(s, f, [&](const store::source_day_row&) -> result<void> {
        if (++seen == 1500) return fail("enough");
        return {};
    });
    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.err().message, "enough");
    EXPECT_EQ(seen, 1500);
    int again = 0;
    ASSERT_TRUE(analyze::read_source_days_ahead(s, f, [&](const store::source_day_row&) -> result<void> {
                    ++again;
                    return {};
                }).ok());
    EXPECT_EQ(again, sources);

    store::fact_filter none = f;
    none.domain = "nosuch.example";
    int called = 0;
    ASSERT_TRUE(analyze::read_source_days_ahead(s, none, [&](const store::source_day_row&) -> result<void> {
                    ++called;
                    return {};
                }).ok());
    EXPECT_EQ(called, 0);
}
