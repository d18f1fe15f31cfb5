// Many writers on one store: the report key decides who stores a report, two workers meeting the
// same reports in opposite orders both finish (no deadlock), claims are held once. Against every
// driver (SQLite writers take turns; PostgreSQL workers write at once), plus what only the
// PostgreSQL driver has: read-only sessions, another program's tables, text the server refuses.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "support/store_drivers.hpp"

using namespace dmarcsight;

namespace {

report::report_header header(const std::string& id) {
    report::report_header h;
    h.metadata.org_name = "Receiver";
    h.metadata.report_id = id;
    h.metadata.begin = 1'700'006'400;
    h.metadata.end = 1'700'006'400 + 86'399;
    h.policy.domain = "example.com";
    h.policy.p = "none";
    h.xml_schema = "1.0";
    return h;
}

report::record record(int count) {
    report::record r;
    r.source_ip = *ip_address::parse("192.0.2.7");
    r.count = count;
    r.disposition = "none";
    r.dkim = "pass";
    r.spf = "pass";
    r.header_from = "example.com";
    return r;
}

// Stores report `id` (one record of `count`) in the open batch: whether it was new.
bool store_one(store::store& s, const std::string& id, int count) {
    EXPECT_TRUE(s.begin_unit().ok());
    auto found = s.find_report(report::report_key::of(header(id)));
    EXPECT_TRUE(found.ok());
    if (found.ok() && *found) {
        EXPECT_TRUE(s.end_unit(true).ok());
        return false;
    }
    auto ins = s.insert_report(header(id), id + ".xml");
    EXPECT_TRUE(ins.ok()) << (ins.ok() ? "" : ins.err().message);
    if (!ins.ok() || ins->existing) {
        EXPECT_TRUE(s.end_unit(true).ok());
        return false;
    }
    EXPECT_TRUE(s.insert_record(ins->id, record(count)).ok());
    store::report_totals t;
    t.records = 1;
    t.messages = static_cast<std::uint64_t>(count);
    EXPECT_TRUE(s.finish_report(ins->id, t).ok());
    EXPECT_TRUE(s.end_unit(true).ok());
    return true;
}

}  // namespace

class each_store_workers : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, each_store_workers, test_support::all_drivers(), test_support::driver_name);

// Two workers, each a batch of the same two reports in opposite orders, at the same time: every
// report is stored once, the facts count it once, and both batches commit.
TEST_P(each_store_workers, the_same_reports_in_opposite_orders_are_stored_once) {
    auto a = open();
    ASSERT_TRUE(a.ok()) << a.err().message;
    auto b = open();
    ASSERT_TRUE(b.ok()) << b.err().message;
    int stored = 0;
    if (postgres()) {
        ASSERT_TRUE((*a)->begin_batch().ok());
        ASSERT_TRUE((*b)->begin_batch().ok());
        stored += store_one(**a, "r1", 3);
        stored += store_one(**b, "r2", 5);
        // a now meets r2 (b holds it): it commits r1 and waits for b; b meets r1 (committed by
        // then, or still held: b then commits r2 and waits in turn). Neither may wait for ever.
        auto later = std::async(std::launch::async, [&] { return store_one(**a, "r2", 5); });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stored += store_one(**b, "r1", 3);
        ASSERT_TRUE((*b)->commit_batch().ok());
        ASSERT_EQ(later.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "a waits for ever";
        stored += later.get();
        ASSERT_TRUE((*a)->commit_batch().ok());
    } else {
        // SQLite: one writer at a time (BEGIN IMMEDIATE); the second finds the first's reports.
        ASSERT_TRUE((*a)->begin_batch().ok());
        stored += store_one(**a, "r1", 3);
        stored += store_one(**a, "r2", 5);
        ASSERT_TRUE((*a)->commit_batch().ok());
        ASSERT_TRUE((*b)->begin_batch().ok());
        stored += store_one(**b, "r2", 5);
        stored += store_one(**b, "r1", 3);
        ASSERT_TRUE((*b)->commit_batch().ok());
    }
    EXPECT_EQ(stored, 2);
    auto st = (*a)->stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->aggregate_reports, 2);
    EXPECT_EQ(st->records, 2);
    EXPECT_EQ(st->messages, 8);
    std::int64_t messages = 0;
    ASSERT_TRUE((*b)->source_days({}, [&](const store::source_day_row& r) -> result<void> {
                         messages += r.m.messages;
                         return {};
                     })
                    .ok());
    EXPECT_EQ(messages, 8);
}

// A claim is held by one store at a time, and free again once its holder lets go.
TEST_P(each_store_workers, a_claim_is_held_once_and_released_with_its_holder) {
    auto a = open();
    ASSERT_TRUE(a.ok()) << a.err().message;
    auto b = open();
    ASSERT_TRUE(b.ok());
    auto first = (*a)->try_claim("mailbox:INBOX");
    ASSERT_TRUE(first.ok()) << first.err().message;
    ASSERT_TRUE(*first);
    auto second = (*b)->try_claim("mailbox:INBOX");
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(*second) << "claimed twice";
    auto other = (*b)->try_claim("mailbox:Archive");
    ASSERT_TRUE(other.ok());
    EXPECT_TRUE(*other) << "another name is another claim";
    first->reset();
    auto again = (*b)->try_claim("mailbox:INBOX");
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again) << "not released";
}

// A rebuild while another holds the rebuild claim says so instead of waiting.
TEST_P(each_store_workers, a_second_rebuild_is_refused_while_one_runs) {
    if (!postgres()) GTEST_SKIP() << "SQLite rebuilds take the write lock: the second waits its turn";
    auto a = open();
    ASSERT_TRUE(a.ok()) << a.err().message;
    auto held = (*a)->try_claim("rebuild");
    ASSERT_TRUE(held.ok() && *held);
    auto b = open();
    ASSERT_TRUE(b.ok());
    auto r = (*b)->rebuild_facts({});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("another dmarcsight rebuild"), std::string::npos) << r.err().message;
}

// Only PostgreSQL: a read-only session writes nothing; a database holding another program's table
// of one of our names is left alone; labels the server would refuse (invalid UTF-8, NUL) are
// repaired as report text is, and found again under the same bytes.
TEST_P(each_store_workers, postgres_sessions_refuse_what_they_must) {
    if (!postgres()) GTEST_SKIP() << "PostgreSQL only";
    {
        auto w = open();
        ASSERT_TRUE(w.ok()) << w.err().message;
        ASSERT_TRUE((*w)->begin_batch().ok());
        store::input_row row;
        row.label = std::string("bad\xff name\0x", 11);
        row.sha256 = "abc";
        row.reason = "r";
        row.seen_at = 1;
        ASSERT_TRUE((*w)->record_input(row).ok());
        ASSERT_TRUE((*w)->commit_batch().ok());
        auto seen = (*w)->input_seen("", row.label, store::outcome::rejected);
        ASSERT_TRUE(seen.ok());
        auto rows = (*w)->inputs({store::outcome::rejected, false});
        ASSERT_TRUE(rows.ok());
        ASSERT_EQ(rows->size(), 1u);
        EXPECT_EQ((*rows)[0].label, "bad\xEF\xBF\xBD name\xEF\xBF\xBDx");
    }
    auto r = open(store::open_mode::read_only);
    ASSERT_TRUE(r.ok()) << r.err().message;
    ASSERT_TRUE((*r)->begin_batch().ok());
    store::label_row l;
    l.policy_domain = "example.com";
    l.source = "192.0.2.1";
    l.cls = "authorized";
    auto put = (*r)->put_label(l);
    ASSERT_FALSE(put.ok());
    EXPECT_NE(put.err().message.find("read"), std::string::npos) << put.err().message;

    test_support::pg_test_database foreign("foreign_tables");
    ASSERT_TRUE(foreign.ok()) << foreign.error();
    std::string why;
    ASSERT_TRUE(test_support::pg_query_value(foreign.uri(), "CREATE TABLE reports (x int); SELECT 1", &why)) << why;
    auto f = store::open_store(foreign.uri(), store::open_mode::read_write);
    EXPECT_FALSE(f.ok());
    if (!f.ok()) {
        EXPECT_NE(f.err().message.find("another program"), std::string::npos) << f.err().message;
    }
    EXPECT_EQ(test_support::pg_query_value(foreign.uri(), "SELECT count(*) FROM reports", &why), "0")
        << "its table must be left alone: " << why;
}
