// Failure reports in the store, on both drivers: stored once per failure_key (a second copy is the
// same report), read back losslessly, counted per source, undone, and pruned by their time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/failure_parser.hpp"
#include "support/store_drivers.hpp"

using namespace dmarcsight;
namespace fs = std::filesystem;

namespace {

report::failure_report fixture_report() {
    std::ifstream in(fs::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "failure" / "arf_folded_repeated.eml", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    auto r = report::parse_failure_bytes(s.str());
    EXPECT_TRUE(r) << (r ? "" : r.err().message);
    return r ? *r : report::failure_report{};
}

class failure_store : public test_support::store_drivers {};

std::vector<store::stored_failure> all(store::store& db, store::failure_filter f = {}) {
    std::vector<store::stored_failure> out;
    auto r = db.visit_failure_reports(f, [&](const store::stored_failure& s) -> result<void> {
        out.push_back(s);
        return {};
    });
    EXPECT_TRUE(r) << (r ? "" : r.err().message);
    return out;
}

}  // namespace

TEST_P(failure_store, stored_once_read_back_counted) {
    auto s = open();
    ASSERT_TRUE(s) << s.err().message;
    auto& db = **s;
    const report::failure_report r = fixture_report();
    ASSERT_TRUE(db.begin_batch());
    auto a = db.insert_failure_report(r, "one.eml");
    ASSERT_TRUE(a) << a.err().message;
    EXPECT_FALSE(a->existing);
    auto b = db.insert_failure_report(r, "copy-in-a-zip");
    ASSERT_TRUE(b) << b.err().message;
    EXPECT_TRUE(b->existing);
    EXPECT_EQ(b->id, a->id);
    // Another source IP is another report.
    report::failure_report other = r;
    other.source_ip = "192.0.2.77";
    auto c = db.insert_failure_report(other, "two.eml");
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->existing);
    ASSERT_TRUE(db.commit_batch());

    auto n = db.failure_report_count();
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2);
    const auto rows = all(db);
    ASSERT_EQ(rows.size(), 2u);
    const auto& back = rows[0].id == a->id ? rows[0] : rows[1];
    EXPECT_EQ(back.input_label, "one.eml");
    EXPECT_EQ(back.report.source_ip, "2001:db8::25");
    EXPECT_EQ(back.report.original_rcpt_to, r.original_rcpt_to);
    EXPECT_EQ(back.report.auth_failure, r.auth_failure);
    EXPECT_EQ(back.report.sample.subject, r.sample.subject);
    EXPECT_EQ(back.report.sample.headers, r.sample.headers);
    EXPECT_EQ(back.report_time, 1733137200);

    store::fact_filter ff;
    ff.domain = "example.com";
    auto counts = db.failure_counts_by_source(ff);
    ASSERT_TRUE(counts) << counts.err().message;
    ASSERT_EQ(counts->size(), 2u);
    EXPECT_EQ((*counts)[0].source_ip, "192.0.2.77");
    EXPECT_EQ((*counts)[1].source_ip, "2001:db8::25");
    EXPECT_EQ((*counts)[1].reports, 1);
    ff.since_day = "2024-12-03";
    counts = db.failure_counts_by_source(ff);
    ASSERT_TRUE(counts);
    EXPECT_TRUE(counts->empty());

    store::failure_filter only;
    only.domain = "other.example";
    EXPECT_TRUE(all(db, only).empty());
    only.domain = "example.com";
    only.limit = 1;
    EXPECT_EQ(all(db, only).size(), 1u);
}

TEST_P(failure_store, undone_and_pruned) {
    auto s = open();
    ASSERT_TRUE(s) << s.err().message;
    auto& db = **s;
    report::failure_report r = fixture_report();
    ASSERT_TRUE(db.begin_batch());
    auto a = db.insert_failure_report(r, "a.eml");
    ASSERT_TRUE(a);
    ASSERT_TRUE(db.undo_failure_report(a->id));
    r.arrival_epoch = 1733137200 + 10 * 86400;  // 2024-12-12
    r.message_id = "<later@example.com>";
    ASSERT_TRUE(db.insert_failure_report(r, "b.eml"));
    r.arrival_epoch = 1733137200;
    r.message_id = "<earlier@example.com>";
    ASSERT_TRUE(db.insert_failure_report(r, "c.eml"));
    ASSERT_TRUE(db.commit_batch());
    EXPECT_EQ(*db.failure_report_count(), 2);
    auto dry = db.prune(1733137200 + 5 * 86400, true);
    ASSERT_TRUE(dry) << dry.err().message;
    EXPECT_EQ(*db.failure_report_count(), 2);
    auto p = db.prune(1733137200 + 5 * 86400, false);
    ASSERT_TRUE(p) << p.err().message;
    bool listed = false;
    for (const auto& [table, rows] : p->tables)
        if (table == "failure_reports") {
            listed = true;
            EXPECT_EQ(rows, 1);
        }
    EXPECT_TRUE(listed);
    const auto rows = all(db);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].report.message_id, "<later@example.com>");
}

INSTANTIATE_TEST_SUITE_P(drivers, failure_store, test_support::all_drivers(), test_support::driver_name);
