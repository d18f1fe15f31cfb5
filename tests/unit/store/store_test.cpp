// The store on its own: the record codec, block storage across block boundaries, undone units,
// de-duplication lookups, filters and the senders aggregation.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "report/content_hash.hpp"

#include "store/record_codec.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/store_drivers.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;

namespace {

report::record make_record(int i) {
    report::record r;
    r.source_ip = *ip_address::parse(i % 2 ? "2001:db8::" + std::to_string(i % 1000) : "192.0.2." + std::to_string(i % 250));
    r.count = i + 1;
    r.disposition = i % 3 ? "none" : "quarantine";
    r.dkim = i % 5 ? "pass" : "fail";
    r.spf = "fail";
    r.header_from = "example.com";
    r.envelope_from = i % 7 ? "bounce.example.com" : "";
    r.reasons.push_back({"forwarded", "via list \"x\""});
    r.dkim_results.push_back({"example.com", "s" + std::to_string(i % 4), "pass", ""});
    r.spf_results.push_back({"bounce.example.com", "mfrom", "softfail", "human \x01 text"});
    return r;
}

report::report_header make_header(const std::string& id, const std::string& domain, std::int64_t begin) {
    report::report_header h;
    h.metadata.org_name = "Org";
    h.metadata.report_id = id;
    h.metadata.begin = begin;
    h.metadata.end = begin + 86399;
    h.policy.domain = domain;
    h.policy.p = "none";
    h.xml_schema = "1.0";
    return h;
}

struct collect final : store::report_visitor {
    std::vector<store::stored_report> reports;
    std::vector<report::record> records;
    result<void> begin_report(const store::stored_report& r) override {
        reports.push_back(r);
        return {};
    }
    result<void> on_record(const report::record& r) override {
        records.push_back(r);
        return {};
    }
    result<void> end_report() override { return {}; }
};

bool same(const report::record& a, const report::record& b) {
    return a.source_ip == b.source_ip && a.count == b.count && a.disposition == b.disposition && a.dkim == b.dkim &&
           a.spf == b.spf && a.header_from == b.header_from && a.envelope_from == b.envelope_from &&
           a.reasons.size() == b.reasons.size() && a.reasons[0].comment == b.reasons[0].comment &&
           a.dkim_results[0].selector == b.dkim_results[0].selector &&
           a.spf_results[0].human_result == b.spf_results[0].human_result;
}

}  // namespace

// What every driver must do alike (SQLite and PostgreSQL).
class each_store : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, each_store, test_support::all_drivers(), test_support::driver_name);

TEST(record_codec, round_trip) {
    std::string block;
    for (int i = 0; i < 50; ++i) store::encode_record(make_record(i), block);
    store::record_decoder dec(block);
    report::record r;
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(dec.next(r).ok());
        EXPECT_TRUE(same(r, make_record(i))) << i;
    }
    EXPECT_TRUE(dec.done());
}

TEST(record_codec, damaged_block_is_an_error_not_a_crash) {
    std::string block;
    store::encode_record(make_record(3), block);
    for (std::size_t cut = 0; cut < block.size(); ++cut) {
        store::record_decoder dec(std::string_view(block).substr(0, cut));
        report::record r;
        if (cut == 0) {
            EXPECT_TRUE(dec.done());
        } else {
            EXPECT_FALSE(dec.next(r).ok()) << cut;
        }
    }
    std::string huge = "\x01\x04\x01\x02\x03\x04\xff\xff\xff\xff\x0f";  // a string claiming 4 GiB
    store::record_decoder dec(huge);
    report::record r;
    EXPECT_FALSE(dec.next(r).ok());
}

TEST_P(each_store, many_blocks_round_trip_and_undone_units_leave_nothing) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    store::store& s = **db;
    ASSERT_TRUE(s.begin_batch().ok());
    // A report large enough for several 256 KiB blocks.
    ASSERT_TRUE(s.begin_unit().ok());
    auto id = s.insert_report(make_header("big", "example.com", 1700006400), "test");
    ASSERT_TRUE(id.ok());
    constexpr int n = 12000;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(s.insert_record(id->id, make_record(i)).ok());
    store::report_totals t;
    t.records = n;
    ASSERT_TRUE(s.finish_report(id->id, t).ok());
    ASSERT_TRUE(s.end_unit(true).ok());
    // A unit that is undone half-way: neither its report nor its buffered records may remain.
    ASSERT_TRUE(s.begin_unit().ok());
    auto id2 = s.insert_report(make_header("undone", "example.org", 1700006400), "test");
    ASSERT_TRUE(id2.ok());
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(s.insert_record(id2->id, make_record(i)).ok());
    ASSERT_TRUE(s.end_unit(false).ok());
    ASSERT_TRUE(s.commit_batch().ok());

    collect c;
    ASSERT_TRUE(s.visit_reports({}, c).ok());
    ASSERT_EQ(c.reports.size(), 1u);
    ASSERT_EQ(c.records.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; i += 997) EXPECT_TRUE(same(c.records[static_cast<std::size_t>(i)], make_record(i))) << i;
    auto st = s.stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->aggregate_reports, 1);
    EXPECT_EQ(st->records, n);
    auto found = s.find_report(report::report_key::of(make_header(" BIG ", "Example.COM.", 1700006400)));
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, id->id);
    auto missing = s.find_report(report::report_key::of(make_header("undone", "example.org", 1700006400)));
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
}

TEST_P(each_store, facts_aggregate_and_filter) {
    auto db = open();
    ASSERT_TRUE(db.ok());
    store::store& s = **db;
    ASSERT_TRUE(s.begin_batch().ok());
    const auto add = [&](const std::string& id, const std::string& domain, std::int64_t begin, const std::string& ip,
                         std::int64_t count, const std::string& dkim, const std::string& disposition) {
        ASSERT_TRUE(s.begin_unit().ok());
        auto h = make_header(id, domain, begin);
        auto rid = s.insert_report(h, "t");
        ASSERT_TRUE(rid.ok());
        report::record r = make_record(0);
        r.source_ip = *ip_address::parse(ip);
        r.count = count;
        r.dkim = dkim;
        r.disposition = disposition;
        ASSERT_TRUE(s.insert_record(rid->id, r).ok());
        ASSERT_TRUE(s.finish_report(rid->id, {}).ok());
        ASSERT_TRUE(s.end_unit(true).ok());
    };
    add("a", "example.com", 1700006400, "192.0.2.1", 10, "pass", "none");
    add("b", "example.com", 1700092800, "192.0.2.1", 30, "fail", "reject");
    add("c", "mail.example.com", 1700092800, "192.0.2.9", 5, "fail", "quarantine");
    add("d", "example.com", 1700179200, "192.0.2.2", 9223372036854775807, "fail", "none");
    add("e", "example.com", 1700179200, "192.0.2.2", 9223372036854775807, "fail", "none");
    ASSERT_TRUE(s.commit_batch().ok());

    // The facts: one row per (domain, source, day, header_from), summed in C++ over a window.
    const auto sum = [&](const store::fact_filter& f) {
        std::map<std::string, store::source_measures> by_ip;
        auto r = s.source_days(f, [&](const store::source_day_row& row) -> result<void> {
            by_ip[row.key.policy_domain + " " + row.key.source_ip].add(row.m);
            return {};
        });
        EXPECT_TRUE(r.ok());
        return by_ip;
    };
    auto all = sum({});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all["example.com 192.0.2.2"].messages, INT64_MAX);  // saturates, never wraps
    const auto& one = all["example.com 192.0.2.1"];
    EXPECT_EQ(one.messages, 40);
    EXPECT_EQ(one.dkim_aligned, 10);
    EXPECT_EQ(one.disposition_reject, 30);

    store::fact_filter f;
    f.domain = "example.com";
    EXPECT_EQ(sum(f).size(), 2u);
    f.include_subdomains = true;
    EXPECT_EQ(sum(f).size(), 3u);
    store::fact_filter days;
    days.since_day = "2023-11-16";  // 1700092800
    days.until_day = "2023-11-17";
    auto d = sum(days);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d["example.com 192.0.2.1"].messages, 30);
    auto selectors = s.dkim_selectors();
    ASSERT_TRUE(selectors.ok());
    ASSERT_EQ(selectors->size(), 1u);
    EXPECT_EQ((*selectors)[0], std::make_pair(std::string("example.com"), std::string("s0")));
}

TEST(sqlite_store, read_only_refuses_missing_file) {
    test_support::temp_dir dir;
    auto db = store::open_sqlite(dir / "missing.db", store::open_mode::read_only);
    EXPECT_FALSE(db.ok());
    EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

namespace {
std::string file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), {});
}
store::input_row input_row(const std::string& label, const std::string& sha, store::outcome o = store::outcome::rejected) {
    store::input_row r;
    r.label = label;
    r.sha256 = sha;
    r.result = o;
    r.kind = "aggregate";
    r.reason = "broken";
    r.seen_at = 1'700'000'000;
    return r;
}
}  // namespace

// Another program's SQLite file, or a file that is no database at all, is refused before a byte
// is written; an empty file is ours to set up.
TEST(sqlite_store, refuses_files_that_are_not_ours) {
    test_support::temp_dir dir;
    const std::string other = dir / "other.db";
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE reports(x); CREATE TABLE notes(y); INSERT INTO notes VALUES (1)", nullptr,
                               nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(db);
    }
    const std::string before = file_bytes(other);
    auto s = store::open_sqlite(other, store::open_mode::read_write);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.err().message.find("another program"), std::string::npos) << s.err().message;
    EXPECT_EQ(file_bytes(other), before);
    EXPECT_FALSE(std::filesystem::exists(other + "-wal"));
    EXPECT_FALSE(store::open_sqlite(other, store::open_mode::read_only).ok());

    const std::string text = dir / "text.db";
    { std::ofstream(text) << std::string(5000, 'x'); }
    const std::string text_before = file_bytes(text);
    auto t = store::open_sqlite(text, store::open_mode::read_write);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.err().message.find("not a dmarcsight database"), std::string::npos) << t.err().message;
    EXPECT_EQ(file_bytes(text), text_before);

    const std::string empty = dir / "empty.db";
    { std::ofstream(empty).flush(); }
    EXPECT_TRUE(store::open_sqlite(empty, store::open_mode::read_write).ok());
    // Ours stays ours on the next open.
    EXPECT_TRUE(store::open_sqlite(empty, store::open_mode::read_write).ok());
}

// Outcomes have a current state per label and a history; the same bytes again are "seen".
TEST_P(each_store, input_history_and_current_state) {
    auto s = open();
    ASSERT_TRUE(s.ok());
    auto& db = **s;
    ASSERT_TRUE(db.begin_batch().ok());
    EXPECT_FALSE(*db.input_seen("aaa", "a.xml", store::outcome::rejected));
    ASSERT_TRUE(db.record_input(input_row("a.xml", "aaa")).ok());
    ASSERT_TRUE(db.record_input(input_row("b.xml", "bbb")).ok());
    EXPECT_TRUE(*db.input_seen("aaa", "moved/a.xml", store::outcome::rejected));
    EXPECT_FALSE(*db.input_seen("aaa", "a.xml", store::outcome::skipped));
    // The same bytes again: one row, counted twice.
    ASSERT_TRUE(db.record_input(input_row("a.xml", "aaa")).ok());
    // b.xml fixed: its label stored a report.
    ASSERT_TRUE(db.supersede_inputs("b.xml").ok());
    // An unreadable input (no bytes) is matched by its label.
    ASSERT_TRUE(db.record_input(input_row("locked.xml", "")).ok());
    EXPECT_TRUE(*db.input_seen("", "locked.xml", store::outcome::rejected));
    EXPECT_FALSE(*db.input_seen("", "other.xml", store::outcome::rejected));
    ASSERT_TRUE(db.commit_batch().ok());

    auto current = db.inputs({store::outcome::rejected, false});
    ASSERT_TRUE(current.ok());
    ASSERT_EQ(current->size(), 2u);
    EXPECT_EQ((*current)[0].label, "a.xml");
    EXPECT_EQ((*current)[0].times_seen, 2);
    EXPECT_EQ((*current)[1].label, "locked.xml");
    auto all = db.inputs({store::outcome::rejected, true});
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    for (const auto& r : *all) EXPECT_EQ(r.current, r.label != "b.xml") << r.label;
    auto st = db.stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->rejected_inputs, 2);
    // New bytes under a label replace its current outcome.
    ASSERT_TRUE(db.begin_batch().ok());
    ASSERT_TRUE(db.record_input(input_row("a.xml", "ccc")).ok());
    ASSERT_TRUE(db.commit_batch().ok());
    EXPECT_EQ(db.stats()->rejected_inputs, 2);
    EXPECT_EQ(db.inputs({store::outcome::rejected, true})->size(), 4u);
}

// The content hash is kept at ingest; a v1 report (no hash) is hashed once from its records.
TEST_P(each_store, content_hash_kept_and_backfilled) {
    auto s = open();
    ASSERT_TRUE(s.ok());
    auto& db = **s;
    ASSERT_TRUE(db.begin_batch().ok());
    ASSERT_TRUE(db.begin_unit().ok());
    auto id = db.insert_report(make_header("r1", "example.com", 1'700'000'000), "in.xml");
    ASSERT_TRUE(id.ok());
    report::content_hash h;
    h.header(make_header("r1", "example.com", 1'700'000'000));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(db.insert_record(id->id, make_record(i)).ok());
        h.record(make_record(i));
    }
    store::report_totals t;
    t.records = 3;
    t.content_hash = 0x8000000000000001ULL;  // the top bit survives the signed column
    ASSERT_TRUE(db.finish_report(id->id, t).ok());
    ASSERT_TRUE(db.end_unit(true).ok());
    EXPECT_EQ(*db.content_hash(id->id), 0x8000000000000001ULL);
    // Without a stored value (schema v1): computed from the records, the same as at parse time.
    t.content_hash.reset();
    ASSERT_TRUE(db.finish_report(id->id, t).ok());
    EXPECT_EQ(*db.content_hash(id->id), h.value());
    EXPECT_EQ(*db.content_hash(id->id), h.value());
    ASSERT_TRUE(db.commit_batch().ok());
}
