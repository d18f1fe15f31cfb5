// The analysis facts: a report's days, exact splitting of counts, what each record counts in, and
// their upkeep through the SQLite store (undone units, duplicates, rebuild, upgrade of a v2 store).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <numeric>

#include "store/facts.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/store_drivers.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;

namespace {

constexpr std::int64_t oct1 = 1790812800;  // 2026-10-01T00:00:00Z

std::vector<std::int64_t> days_of(std::int64_t begin, std::int64_t end) {
    std::vector<std::int64_t> out;
    for (const auto& s : store::report_days(begin, end)) out.push_back(s.day);
    return out;
}

report::record rec(const std::string& ip, std::int64_t count) {
    report::record r;
    r.source_ip = *ip_address::parse(ip);
    r.count = count;
    r.disposition = "none";
    r.dkim = "pass";
    r.spf = "fail";
    r.header_from = "Example.COM";
    r.envelope_from = "bounce.esp.example";
    r.dkim_results.push_back({"example.com", "s1", "pass", ""});
    r.spf_results.push_back({"bounce.esp.example", "mfrom", "pass", ""});
    return r;
}

report::report_header header(const std::string& id, std::int64_t begin, std::int64_t end) {
    report::report_header h;
    h.metadata.org_name = "Reporter";
    h.metadata.report_id = id;
    h.metadata.begin = begin;
    h.metadata.end = end;
    h.policy.domain = "example.com";
    h.xml_schema = "1.0";
    return h;
}

std::map<std::string, std::int64_t> messages_by_day(store::store& s) {
    std::map<std::string, std::int64_t> out;
    auto r = s.source_days({}, [&](const store::source_day_row& row) -> result<void> {
        out[row.key.day] += row.m.messages;
        return {};
    });
    EXPECT_TRUE(r.ok());
    return out;
}

}  // namespace

TEST(report_days, a_day_ending_at_the_last_second_or_next_midnight_is_one_day) {
    const std::int64_t d = oct1 / 86400;
    EXPECT_EQ(days_of(oct1, oct1 + 86399), std::vector<std::int64_t>{d});
    EXPECT_EQ(days_of(oct1, oct1 + 86400), std::vector<std::int64_t>{d});
    // Up to 25 hours: the day of begin, even when it starts late the day before.
    EXPECT_EQ(days_of(oct1 - 3600, oct1 + 86400), std::vector<std::int64_t>{d - 1});
    EXPECT_EQ(days_of(oct1, oct1 + 25 * 3600), std::vector<std::int64_t>{d});
    // Longer: every day it overlaps, weighted by the overlap.
    auto s = store::report_days(oct1 + 43200, oct1 + 2 * 86400 + 43200);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].weight, 43200);
    EXPECT_EQ(s[1].weight, 86400);
    EXPECT_EQ(s[2].weight, 43200);
    // A week ending at 23:59:59 is seven whole days.
    EXPECT_EQ(store::report_days(oct1, oct1 + 7 * 86400 - 1).size(), 7u);
    // Hostile ranges are bounded, and an end before begin is the day of begin.
    EXPECT_EQ(store::report_days(0, INT64_MAX).size(), static_cast<std::size_t>(store::max_report_days));
    EXPECT_EQ(days_of(oct1, oct1 - 5), std::vector<std::int64_t>{d});
}

TEST(split_count, largest_remainder_keeps_totals_exact) {
    const std::vector<store::day_share> thirds{{1, 1}, {2, 1}, {3, 1}};
    EXPECT_EQ(store::split_count(10, thirds), (std::vector<std::int64_t>{4, 3, 3}));
    EXPECT_EQ(store::split_count(2, thirds), (std::vector<std::int64_t>{1, 1, 0}));
    const std::vector<store::day_share> halves{{1, 43200}, {2, 86400}, {3, 43200}};
    EXPECT_EQ(store::split_count(10, halves), (std::vector<std::int64_t>{3, 5, 2}));
    EXPECT_EQ(store::split_count(0, halves), (std::vector<std::int64_t>{0, 0, 0}));
    for (std::int64_t n : std::vector<std::int64_t>{1, 7, 999, 123456789, INT64_MAX}) {
        const auto parts = store::split_count(n, store::report_days(oct1 + 1234, oct1 + 9 * 86400 + 77));
        std::int64_t sum = 0;
        for (auto p : parts) {
            EXPECT_GE(p, 0);
            sum += p;
        }
        EXPECT_EQ(sum, n);
    }
}

TEST(measures, each_record_counts_where_its_results_say) {
    auto r = rec("192.0.2.1", 5);
    auto m = store::measures_of(r, "example.com");
    EXPECT_EQ(m.messages, 5);
    EXPECT_EQ(m.dmarc_pass, 5);
    EXPECT_EQ(m.dkim_aligned, 5);
    EXPECT_EQ(m.spf_aligned, 0);
    EXPECT_EQ(m.envelope_aligned, 0);
    EXPECT_EQ(m.spf_pass_foreign, 5);
    EXPECT_EQ(m.dkim_aligned_pass, 5);
    // Forwarded: the envelope stays in the domain, SPF fails there, a reason with arc=pass.
    r.envelope_from = "mail.example.com";
    r.spf_results = {{"mail.example.com", "mfrom", "softfail", ""}};
    r.dkim_results = {{"example.com", "s1", "fail", ""}, {"list.example.org", "l", "pass", ""}};
    r.dkim = "fail";
    r.reasons = {{"local_policy", "arc=pass as.1.example"}};
    r.disposition = "reject";
    m = store::measures_of(r, "example.com");
    EXPECT_EQ(m.dmarc_pass, 0);
    EXPECT_EQ(m.envelope_aligned, 5);
    EXPECT_EQ(m.spf_fail, 5);
    EXPECT_EQ(m.dkim_aligned_fail, 5);
    EXPECT_EQ(m.dkim_foreign_pass, 5);
    EXPECT_EQ(m.reason_local_policy, 5);
    EXPECT_EQ(m.reason_arc_pass, 5);
    EXPECT_EQ(m.disposition_reject, 5);
    // No envelope: the SPF domain stands in; no DKIM at all.
    r.envelope_from.clear();
    r.dkim_results.clear();
    m = store::measures_of(r, "example.com");
    EXPECT_EQ(m.envelope_aligned, 5);
    EXPECT_EQ(m.dkim_none, 5);
    EXPECT_TRUE(store::related_domain("news.example.com", "example.com"));
    EXPECT_TRUE(store::related_domain("example.com", "news.example.com"));
    EXPECT_FALSE(store::related_domain("com", "example.com"));
    EXPECT_FALSE(store::related_domain("badexample.com", "example.com"));
}

// What every driver must do alike (SQLite and PostgreSQL).
class each_store_facts : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, each_store_facts, test_support::all_drivers(), test_support::driver_name);

TEST_P(each_store_facts, kept_with_the_report_undone_with_it_and_rebuilt_the_same) {
    auto db = open();
    ASSERT_TRUE(db.ok());
    store::store& s = **db;
    ASSERT_TRUE(s.begin_batch().ok());
    const auto add = [&](const std::string& id, std::int64_t begin, std::int64_t end, std::int64_t count, bool keep) {
        ASSERT_TRUE(s.begin_unit().ok());
        auto rid = s.insert_report(header(id, begin, end), "t");
        ASSERT_TRUE(rid.ok());
        ASSERT_TRUE(s.insert_record(rid->id, rec("192.0.2.1", count)).ok());
        ASSERT_TRUE(s.insert_record(rid->id, rec("2001:db8::1", 1)).ok());
        ASSERT_TRUE(s.finish_report(rid->id, {}).ok());
        ASSERT_TRUE(s.end_unit(keep).ok());
    };
    add("a", oct1, oct1 + 86399, 10, true);
    add("b", oct1, oct1 + 86399, 1000, false);  // a unit that failed: no facts
    add("c", oct1 + 86400, oct1 + 4 * 86400, 30, true);  // 3 days: 10 each; the 1 goes to the first
    add("d", oct1, oct1 + 86400, 500, true);
    // An input whose bytes could not be kept: its stored report is undone, facts too.
    auto undone = s.find_report(report::report_key::of(header("d", oct1, oct1 + 86400)));
    ASSERT_TRUE(undone.ok() && undone->has_value());
    ASSERT_TRUE(s.undo_report((*undone)->id).ok());
    ASSERT_TRUE(s.commit_batch().ok());

    auto days = messages_by_day(s);
    EXPECT_EQ(days, (std::map<std::string, std::int64_t>{
                        {"2026-10-01", 11}, {"2026-10-02", 11}, {"2026-10-03", 10}, {"2026-10-04", 10}}));
    // Which reporter saw which source, and when, comes with the rows.
    std::map<std::string, std::int64_t> by_reporter;
    ASSERT_TRUE(s.source_days({}, [&](const store::source_day_row& r) -> result<void> {
                     for (const auto& rep : r.reporters) by_reporter[r.key.source_ip + " " + rep] += r.m.messages;
                     return {};
                 }).ok());
    EXPECT_EQ(by_reporter, (std::map<std::string, std::int64_t>{{"192.0.2.1 Reporter", 40}, {"2001:db8::1 Reporter", 2}}));
    // Header_from is folded to lower case; the foreign SPF domain is kept as evidence.
    std::vector<store::source_day_row> rows;
    store::fact_filter one;
    one.source_ip = "192.0.2.1";
    one.since_day = "2026-10-02";
    one.until_day = "2026-10-03";
    ASSERT_TRUE(s.source_days(one, [&](const store::source_day_row& r) -> result<void> {
                     rows.push_back(r);
                     return {};
                 }).ok());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].key.header_from, "example.com");
    EXPECT_EQ(rows[0].foreign_spf_domain, "bounce.esp.example");
    EXPECT_EQ(rows[0].m.spf_pass_foreign, 10);

    auto rebuilt = s.rebuild_facts({});
    ASSERT_TRUE(rebuilt.ok());
    EXPECT_EQ(rebuilt->reports, 2);
    EXPECT_EQ(rebuilt->records, 4);
    EXPECT_EQ(messages_by_day(s), days);
    // A second batch adds to the same rows.
    ASSERT_TRUE(s.begin_batch().ok());
    add("e", oct1, oct1 + 86399, 5, true);
    ASSERT_TRUE(s.commit_batch().ok());
    EXPECT_EQ(messages_by_day(s)["2026-10-01"], 17);

}

// Rows are appended in ingest order whatever their domain: a domain written in several batches,
// between other domains' rows, is read whole, and only its own rows.
TEST_P(each_store_facts, a_domain_written_between_other_domains_is_read_whole) {
    auto db = open();
    ASSERT_TRUE(db.ok());
    store::store& s = **db;
    int n = 0;
    const auto add = [&](const std::string& domain, std::int64_t count) {
        ASSERT_TRUE(s.begin_unit().ok());
        auto h = header("r" + std::to_string(++n), oct1, oct1 + 86399);
        h.policy.domain = domain;
        auto rid = s.insert_report(h, "t");
        ASSERT_TRUE(rid.ok());
        ASSERT_TRUE(s.insert_record(rid->id, rec("192.0.2." + std::to_string(n), count)).ok());
        ASSERT_TRUE(s.finish_report(rid->id, {}).ok());
        ASSERT_TRUE(s.end_unit(true).ok());
    };
    const auto batch = [&](const std::vector<std::pair<std::string, std::int64_t>>& reports) {
        ASSERT_TRUE(s.begin_batch().ok());
        for (const auto& [d, c] : reports) add(d, c);
        ASSERT_TRUE(s.commit_batch().ok());
    };
    batch({{"a.example", 1}, {"b.example", 10}});
    batch({{"a.example", 100}});  // b's rows came between: a second run of a's
    batch({{"a.example", 1000}, {"c.example", 5}});
    batch({{"b.example", 20}});
    const auto by_domain = [&](const std::string& d) {
        store::fact_filter f;
        f.domain = d;
        std::map<std::string, std::int64_t> out;
        EXPECT_TRUE(s.source_days(f, [&](const store::source_day_row& r) -> result<void> {
                         EXPECT_EQ(r.key.policy_domain, d);
                         out[r.key.source_ip] += r.m.messages;
                         return {};
                     }).ok());
        return out;
    };
    EXPECT_EQ(by_domain("a.example"),
              (std::map<std::string, std::int64_t>{{"192.0.2.1", 1}, {"192.0.2.3", 100}, {"192.0.2.4", 1000}}));
    EXPECT_EQ(by_domain("b.example"), (std::map<std::string, std::int64_t>{{"192.0.2.2", 10}, {"192.0.2.6", 20}}));
    EXPECT_EQ(by_domain("c.example"), (std::map<std::string, std::int64_t>{{"192.0.2.5", 5}}));
    // The top sources over every domain: their rows only, a domain's together.
    std::vector<std::string> top;
    auto matched = s.top_source_days({}, 3, store::top_of::all, [&](const store::source_day_row& r) -> result<void> {
        top.push_back(r.key.policy_domain + " " + r.key.source_ip + " " + std::to_string(r.m.messages));
        return {};
    });
    ASSERT_TRUE(matched.ok());
    EXPECT_EQ(*matched, 6u);
    EXPECT_EQ(top, (std::vector<std::string>{"a.example 192.0.2.3 100", "a.example 192.0.2.4 1000", "b.example 192.0.2.6 20"}));
    // ... within the filter: one source.
    store::fact_filter just;
    just.source_ip = "192.0.2.4";
    top.clear();
    matched = s.top_source_days(just, 10, store::top_of::all, [&](const store::source_day_row& r) -> result<void> {
        top.push_back(r.key.policy_domain + " " + r.key.source_ip + " " + std::to_string(r.m.messages));
        return {};
    });
    ASSERT_TRUE(matched.ok());
    EXPECT_EQ(*matched, 1u);
    EXPECT_EQ(top, (std::vector<std::string>{"a.example 192.0.2.4 1000"}));
    auto domains = s.domains({});
    ASSERT_TRUE(domains.ok());
    ASSERT_EQ(domains->size(), 3u);
    EXPECT_EQ((*domains)[0].policy_domain, "a.example");
    EXPECT_EQ((*domains)[0].messages, 1101);
    EXPECT_EQ((*domains)[0].sources, 3);
    EXPECT_EQ((*domains)[0].reports, 3);
    EXPECT_EQ((*domains)[1].policy_domain, "b.example");
    EXPECT_EQ((*domains)[1].messages, 30);
    EXPECT_EQ((*domains)[1].sources, 2);
    EXPECT_EQ((*domains)[2].policy_domain, "c.example");
    EXPECT_EQ((*domains)[2].messages, 5);
    EXPECT_EQ((*domains)[2].reports, 1);
    // A source seen again on another day is one source; the window picks days.
    ASSERT_TRUE(s.begin_batch().ok());
    ASSERT_TRUE(s.begin_unit().ok());
    auto h2 = header("again", oct1 + 86400, oct1 + 2 * 86400 - 1);
    h2.policy.domain = "a.example";
    auto again = s.insert_report(h2, "t");
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(s.insert_record(again->id, rec("192.0.2.1", 7)).ok());
    ASSERT_TRUE(s.finish_report(again->id, {}).ok());
    ASSERT_TRUE(s.end_unit(true).ok());
    ASSERT_TRUE(s.commit_batch().ok());
    domains = s.domains({});
    ASSERT_TRUE(domains.ok());
    ASSERT_EQ(domains->size(), 3u);
    EXPECT_EQ((*domains)[0].messages, 1108);
    EXPECT_EQ((*domains)[0].dmarc_pass, 1108);
    EXPECT_EQ((*domains)[0].sources, 3);
    EXPECT_EQ((*domains)[0].first_day, "2026-10-01");
    EXPECT_EQ((*domains)[0].last_day, "2026-10-02");
    EXPECT_EQ((*domains)[0].reports, 4);
    store::fact_filter later;
    later.since_day = "2026-10-02";
    domains = s.domains(later);
    ASSERT_TRUE(domains.ok());
    ASSERT_EQ(domains->size(), 1u);
    EXPECT_EQ((*domains)[0].policy_domain, "a.example");
    EXPECT_EQ((*domains)[0].messages, 7);
    EXPECT_EQ((*domains)[0].sources, 1);
    // Picking a few sources of a domain (fact_filter::source_ips) reads only those.
    store::fact_filter some;
    some.domain = "a.example";
    some.source_ips = {"192.0.2.3", "192.0.2.4", "192.0.2.2"};
    std::int64_t picked = 0;
    ASSERT_TRUE(s.source_days(some, [&](const store::source_day_row& r) -> result<void> {
                     picked += r.m.messages;
                     return {};
                 }).ok());
    EXPECT_EQ(picked, 1100);
    // Rebuilt, the same.
    ASSERT_TRUE(s.rebuild_facts({}).ok());
    EXPECT_EQ(by_domain("b.example"), (std::map<std::string, std::int64_t>{{"192.0.2.2", 10}, {"192.0.2.6", 20}}));
}

// The largest failing sources (top_of::failing): those of which fewer messages passed DMARC than
// were sent, over the window, chosen and counted among themselves.
TEST_P(each_store_facts, the_largest_failing_sources) {
    auto db = open();
    ASSERT_TRUE(db.ok());
    store::store& s = **db;
    ASSERT_TRUE(s.begin_batch().ok());
    ASSERT_TRUE(s.begin_unit().ok());
    auto rid = s.insert_report(header("r1", oct1, oct1 + 86399), "t");
    ASSERT_TRUE(rid.ok());
    auto failing = [](const std::string& ip, std::int64_t count) {
        report::record r = rec(ip, count);
        r.dkim = "fail";
        r.spf = "fail";
        return r;
    };
    ASSERT_TRUE(s.insert_record(rid->id, rec("192.0.2.1", 500)).ok());       // passes
    ASSERT_TRUE(s.insert_record(rid->id, failing("192.0.2.2", 10)).ok());    // fails
    ASSERT_TRUE(s.insert_record(rid->id, rec("192.0.2.3", 30)).ok());        // fails in part
    ASSERT_TRUE(s.insert_record(rid->id, failing("192.0.2.3", 5)).ok());
    ASSERT_TRUE(s.insert_record(rid->id, failing("192.0.2.4", 1)).ok());
    ASSERT_TRUE(s.finish_report(rid->id, {}).ok());
    ASSERT_TRUE(s.end_unit(true).ok());
    ASSERT_TRUE(s.commit_batch().ok());
    std::vector<std::string> top;
    const auto collect = [&](const store::source_day_row& r) -> result<void> {
        top.push_back(r.key.source_ip + " " + std::to_string(r.m.messages) + "/" + std::to_string(r.m.dmarc_pass));
        return {};
    };
    auto matched = s.top_source_days({}, 2, store::top_of::failing, collect);
    ASSERT_TRUE(matched.ok()) << matched.err().message;
    EXPECT_EQ(*matched, 3u);
    std::sort(top.begin(), top.end());
    EXPECT_EQ(top, (std::vector<std::string>{"192.0.2.2 10/0", "192.0.2.3 35/30"}));
    top.clear();
    matched = s.top_source_days({}, 2, store::top_of::all, collect);
    ASSERT_TRUE(matched.ok());
    EXPECT_EQ(*matched, 4u);
    std::sort(top.begin(), top.end());
    EXPECT_EQ(top, (std::vector<std::string>{"192.0.2.1 500/500", "192.0.2.3 35/30"}));
}

TEST(sqlite_facts, a_store_of_schema_v2_is_upgraded_with_its_facts) {
    const std::string fixture = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/store/schema-v2.db";
    test_support::temp_dir dir;
    const std::string path = dir / "old.db";
    std::filesystem::copy_file(fixture, path);
    // Read-only use upgrades it in place first.
    auto db = store::open_sqlite(path, store::open_mode::read_only);
    ASSERT_TRUE(db.ok()) << db.err().message;
    auto st = (*db)->stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->aggregate_reports, 8);
    std::int64_t sum = 0;
    std::map<std::string, std::int64_t> days;
    ASSERT_TRUE((*db)->source_days({}, [&](const store::source_day_row& r) -> result<void> {
                         sum += r.m.messages;
                         if (r.key.policy_domain == "days.example") days[r.key.day + " " + r.key.source_ip] += r.m.messages;
                         return {};
                     }).ok());
    EXPECT_EQ(sum, st->messages);
    // tests/fixtures/store: one day to 23:59:59, one to the next midnight, one over 48 hours
    // from noon (10 messages: 3/5/2 by largest remainder; 1 message: the whole middle day).
    EXPECT_EQ(days, (std::map<std::string, std::int64_t>{{"2026-10-01 192.0.2.1", 10},
                                                          {"2026-10-02 192.0.2.1", 7},
                                                          {"2026-10-03 198.51.100.7", 3},
                                                          {"2026-10-04 198.51.100.7", 5},
                                                          {"2026-10-04 198.51.100.8", 1},
                                                          {"2026-10-05 198.51.100.7", 2}}));
}

// One row summing records of different results (the accumulator keeps a row's measures as one
// set of flags and a count until records of other flags meet it), from several reporters (one
// without org_name, one with a NUL in it), with a unit of yet other flags undone in the batch:
// every measure is the exact sum of the kept records' measures.
TEST_P(each_store_facts, a_row_of_records_with_different_results_sums_every_measure) {
    auto db = open();
    ASSERT_TRUE(db.ok());
    store::store& s = **db;
    std::vector<report::record> kept;
    const auto variant = [](int i) {
        report::record r = rec("198.51.100.7", 3 + i);
        if (i == 1) r.dkim = "fail";
        if (i == 2) {
            r.disposition = "quarantine";
            r.reasons.push_back({"forwarded", "arc=pass"});
            r.dkim_results.clear();
        }
        if (i == 3) r.spf_results[0].result = "softfail";
        return r;
    };
    ASSERT_TRUE(s.begin_batch().ok());
    const auto add = [&](const std::string& id, const std::string& org, std::vector<int> variants, bool keep) {
        auto h = header(id, oct1, oct1 + 86399);
        h.metadata.org_name = org;
        ASSERT_TRUE(s.begin_unit().ok());
        auto rid = s.insert_report(h, "t");
        ASSERT_TRUE(rid.ok());
        for (const int v : variants) {
            ASSERT_TRUE(s.insert_record(rid->id, variant(v)).ok());
            if (keep) kept.push_back(variant(v));
        }
        ASSERT_TRUE(s.finish_report(rid->id, {}).ok());
        ASSERT_TRUE(s.end_unit(keep).ok());
    };
    add("a", "Reporter A", {0, 0}, true);
    add("b", "", {1}, true);
    add("c", std::string("Rep\0rter C", 10), {2, 0}, true);
    add("d", "Reporter D", {3, 1}, false);  // undone: neither its counts nor its flags stay
    ASSERT_TRUE(s.commit_batch().ok());

    store::source_measures want;
    for (const auto& r : kept) want.add(store::measures_of(r, "example.com"));
    std::vector<store::source_day_row> rows;
    ASSERT_TRUE(s.source_days({}, [&](const store::source_day_row& r) -> result<void> {
                     rows.push_back(r);
                     return {};
                 }).ok());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].m, want);
    EXPECT_EQ(rows[0].m.messages, 3 + 3 + 4 + 5 + 3);
    EXPECT_EQ(rows[0].m.disposition_quarantine, 5);
    EXPECT_EQ(rows[0].m.reason_arc_pass, 5);
    EXPECT_EQ(rows[0].m.spf_fail, 0);
    EXPECT_EQ(rows[0].reporters, (std::vector<std::string>{"Reporter A", "Rep?rter C"}));  // not D: undone
}
