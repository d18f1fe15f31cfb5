// Retention (store::prune, store/prune.hpp) on every driver: which reports go, that the facts stay
// exactly what `rebuild` derives from the remaining records (a report spanning the cutoff too),
// input and alert history, the kept files no remaining row names, a dry run that changes nothing, and
// ingest after a prune.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "store/facts.hpp"
#include "store/prune.hpp"
#include "support/store_drivers.hpp"

using namespace dmarcsight;

namespace {

constexpr std::int64_t oct1 = 1790812800;  // 2026-10-01T00:00:00Z
constexpr std::int64_t day_s = 86400;

report::record rec(const std::string& ip, std::int64_t count, bool pass = true) {
    report::record r;
    r.source_ip = *ip_address::parse(ip);
    r.count = count;
    r.disposition = "none";
    r.dkim = pass ? "pass" : "fail";
    r.spf = "fail";
    r.header_from = "example.com";
    r.envelope_from = "bounce.esp.example";
    r.dkim_results.push_back({"example.com", "s1", pass ? "pass" : "fail", ""});
    r.spf_results.push_back({"bounce.esp.example", "mfrom", "pass", ""});
    return r;
}

report::report_header header(const std::string& id, std::int64_t begin, std::int64_t end, const std::string& domain = "example.com",
                             const std::string& org = "Reporter") {
    report::report_header h;
    h.metadata.org_name = org;
    h.metadata.report_id = id;
    h.metadata.begin = begin;
    h.metadata.end = end;
    h.policy.domain = domain;
    h.xml_schema = "1.0";
    return h;
}

std::string sha(char c) { return std::string(64, c); }

// Every fact key with its measures, foreign domains and reporters summed over its rows.
struct summed {
    store::source_measures m;
    std::set<std::string> spf, dkim, reporters;
    bool operator==(const summed&) const = default;
};
using fact_map = std::map<std::tuple<std::string, std::string, std::string, std::string>, summed>;

fact_map all_facts(store::store& s) {
    fact_map out;
    auto r = s.source_days({}, [&](const store::source_day_row& row) -> result<void> {
        auto& v = out[{row.key.policy_domain, row.key.day, row.key.source_ip, row.key.header_from}];
        v.m.add(row.m);
        if (!row.foreign_spf_domain.empty()) v.spf.insert(row.foreign_spf_domain);
        if (!row.foreign_dkim_domain.empty()) v.dkim.insert(row.foreign_dkim_domain);
        v.reporters.insert(row.reporters.begin(), row.reporters.end());
        return {};
    });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.err().message);
    return out;
}

std::map<std::string, std::int64_t> messages_by_day(store::store& s, const std::string& domain = "") {
    std::map<std::string, std::int64_t> out;
    store::fact_filter f;
    f.domain = domain;
    auto r = s.source_days(f, [&](const store::source_day_row& row) -> result<void> {
        out[row.key.day] += row.m.messages;
        return {};
    });
    EXPECT_TRUE(r.ok());
    return out;
}

class each_store_prune : public test_support::store_drivers {
protected:
    // One report with its records, kept; returns its id.
    std::int64_t add(store::store& s, const report::report_header& h, const std::vector<report::record>& records,
                     const std::string& raw = "") {
        EXPECT_TRUE(s.begin_unit().ok());
        auto rid = s.insert_report(h, "label-" + h.metadata.report_id);
        EXPECT_TRUE(rid.ok()) << (rid ? "" : rid.err().message);
        if (!rid) return -1;
        for (const auto& r : records) EXPECT_TRUE(s.insert_record(rid->id, r).ok());
        store::report_totals t;
        t.records = records.size();
        t.raw_sha256 = raw;
        EXPECT_TRUE(s.finish_report(rid->id, t).ok());
        EXPECT_TRUE(s.end_unit(true).ok());
        return rid->id;
    }
    void input(store::store& s, const std::string& label, char bytes, std::int64_t seen_at, const std::string& kept,
               std::optional<std::int64_t> report = std::nullopt) {
        store::input_row row;
        row.label = label;
        row.sha256 = sha(bytes);
        row.size = 10;
        row.result = report ? store::outcome::duplicate : store::outcome::rejected;
        row.kind = "aggregate";
        row.reason = "test";
        row.quarantine_path = kept;
        row.report = report;
        row.seen_at = seen_at;
        ASSERT_TRUE(s.record_input(row).ok());
    }
};
INSTANTIATE_TEST_SUITE_P(drivers, each_store_prune, test_support::all_drivers(), test_support::driver_name);

}  // namespace

TEST(prune_rules, a_report_goes_when_every_day_it_counts_on_is_before_the_cutoff) {
    const std::int64_t cutoff = oct1 + 3 * day_s;  // 2026-10-04
    EXPECT_EQ(store::prune_cutoff(cutoff + 3600), cutoff);
    EXPECT_EQ(store::prune_cutoff(cutoff), cutoff);
    using store::report_fate;
    EXPECT_EQ(store::fate_of(oct1, oct1 + day_s - 1, cutoff), report_fate::remove);
    EXPECT_EQ(store::fate_of(cutoff - day_s, cutoff, cutoff), report_fate::remove);  // ends at the next midnight
    // 07:00 to 07:00: its day is the day of its begin, before the cutoff, though it ends after it.
    EXPECT_EQ(store::fate_of(cutoff - 17 * 3600, cutoff + 7 * 3600, cutoff), report_fate::remove);
    EXPECT_EQ(store::fate_of(cutoff, cutoff + day_s - 1, cutoff), report_fate::keep);
    // Longer than 25 hours with days on both sides: kept, its earlier days derived again.
    EXPECT_EQ(store::fate_of(cutoff - 2 * day_s, cutoff + day_s, cutoff), report_fate::rederive);
    EXPECT_EQ(store::fate_of(cutoff - 2 * day_s, cutoff, cutoff), report_fate::remove);
    // Hostile ranges count on their first max_report_days days only, as the facts do.
    EXPECT_EQ(store::fate_of(0, INT64_MAX, cutoff), report_fate::remove);
}

TEST_P(each_store_prune, facts_stay_what_rebuild_derives_and_only_unnamed_files_go) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    store::store& s = **db;
    const std::int64_t cutoff = oct1 + 3 * day_s;  // 2026-10-04
    ASSERT_TRUE(s.begin_batch().ok());
    const std::int64_t old1 = add(s, header("old1", oct1, oct1 + day_s - 1), {rec("192.0.2.1", 10), rec("192.0.2.2", 3, false)}, sha('a'));
    add(s, header("old2", oct1 + day_s, oct1 + 2 * day_s - 1, "example.com", "Other"), {rec("192.0.2.1", 20)});
    // 2026-10-03T07:00 to 10-04T07:00: the day of 10-03.
    add(s, header("late", oct1 + 2 * day_s + 7 * 3600, cutoff + 7 * 3600), {rec("192.0.2.1", 4)});
    // 72 hours from 10-02T12:00: 10-02, 10-03, 10-04 and 10-05, on both sides of the cutoff.
    add(s, header("span", oct1 + day_s + 12 * 3600, oct1 + 4 * day_s + 12 * 3600, "example.com", "Spanner"),
        {rec("192.0.2.1", 70), rec("192.0.2.9", 7, false)}, sha('b'));
    add(s, header("new", oct1 + 4 * day_s, oct1 + 5 * day_s - 1), {rec("192.0.2.1", 5)});
    add(s, header("other", oct1, oct1 + day_s - 1, "other.example"), {rec("198.51.100.1", 8)});
    ASSERT_TRUE(s.commit_batch().ok());
    ASSERT_TRUE(s.begin_batch().ok());
    input(s, "old-rejected", 'c', oct1, sha('c'));                  // old, its file named by nothing else: goes
    input(s, "old-rejected-2", 'd', oct1 + 3600, sha('d'));         // old, but ...
    input(s, "new-rejected", 'd', cutoff + 3600, sha('d'));         // ... a recent row names the same bytes: stays
    input(s, "new-duplicate", 'e', cutoff + 7200, "", old1);        // recent, of a report that goes: kept, unlinked
    input(s, "old-kept-by-span", 'f', oct1, sha('b'));              // old, names the kept report's bytes: the file stays
    ASSERT_TRUE(s.commit_batch().ok());
    // Alert history: an alert of a day before the cutoff goes, with its delivery; a digest's
    // delivery tried before the cutoff goes; a mute that ended before it goes.
    const auto alert = [](const std::string& id, const std::string& day) {
        store::alert_row a;
        a.id = id;
        a.day = day;
        a.kind = "new_source";
        a.domain = "example.com";
        a.severity = "warning";
        a.detail = "test";
        a.first_seen = oct1;
        return a;
    };
    ASSERT_TRUE(s.sync_alerts({alert("a-old", "2026-10-02"), alert("a-new", "2026-10-05")}, "", "2026-10-01", "2026-10-10").ok());
    const auto delivery = [&](const std::string& id, std::int64_t at) {
        store::delivery_row d;
        d.alert_id = id;
        d.channel = "hook";
        d.attempts = 1;
        d.last_attempt = at;
        d.delivered_at = at;
        ASSERT_TRUE(s.put_delivery(d).ok());
    };
    delivery("a-old", cutoff - 3600);            // goes with its alert
    delivery("a-new", cutoff - 3600);            // its alert stays: stays
    delivery("digest:2026-W40", cutoff - 3600);  // a digest's, tried before the cutoff: goes
    delivery("digest:2026-W41", cutoff + 3600);  // stays
    for (const char* until : {"2026-10-02", "", "2026-10-20"}) {
        store::mute_row m;
        m.domain = "example.com";
        m.until_day = until;
        m.created_at = oct1;
        ASSERT_TRUE(s.put_mute(m).ok());
    }

    const auto before = messages_by_day(s, "example.com");
    EXPECT_EQ(before.at("2026-10-01"), 13);
    const auto stats_before = s.stats();
    ASSERT_TRUE(stats_before.ok());
    const fact_map facts_before = all_facts(s);

    // A dry run says exactly what the prune does, and changes nothing.
    auto dry = s.prune(cutoff + 3600, true);
    ASSERT_TRUE(dry.ok()) << dry.err().message;
    EXPECT_EQ(all_facts(s), facts_before);
    EXPECT_EQ(s.stats()->aggregate_reports, stats_before->aggregate_reports);

    auto p = s.prune(cutoff + 3600, false);
    ASSERT_TRUE(p.ok()) << p.err().message;
    for (const auto* sum : {&*dry, &*p}) {
        EXPECT_EQ(sum->cutoff, cutoff);
        EXPECT_EQ(sum->reports, 4);  // old1, old2, late, other
        EXPECT_EQ(sum->records, 5);
        EXPECT_EQ(sum->rederived_reports, 1);
        // Rows of 10-01 (two sources, and other.example's), 10-02 (two: old2 and the span's
        // second source), 10-03 (two): one batch wrote one row per key.
        EXPECT_EQ(sum->fact_rows, 7);
        EXPECT_EQ(sum->tables, (std::vector<std::pair<std::string, std::int64_t>>{
                                   {"inputs", 3}, {"alerts", 1}, {"alert_deliveries", 2}, {"alert_mutes", 1}, {"failure_reports", 0}, {"tls_failure_details", 0}, {"tls_policies", 0}, {"tls_reports", 0}}));
        EXPECT_EQ(sum->quarantine_files, (std::vector<std::string>{sha('a'), sha('c')}));
    }
    // The span keeps its share of 10-02 and 10-03 (largest remainder over 12 h, 24 h, 24 h, 12 h:
    // 70 is 12, 23, 23, 12; 7 is 1, 3, 2, 1).
    const auto after = messages_by_day(s, "example.com");
    EXPECT_EQ(after, (std::map<std::string, std::int64_t>{
                         {"2026-10-02", 12 + 1}, {"2026-10-03", 23 + 3}, {"2026-10-04", 23 + 2}, {"2026-10-05", 12 + 1 + 5}}));
    EXPECT_EQ(after.at("2026-10-04"), before.at("2026-10-04"));
    EXPECT_EQ(after.at("2026-10-05"), before.at("2026-10-05"));
    EXPECT_TRUE(messages_by_day(s, "other.example").empty());
    auto st = s.stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->aggregate_reports, 2);
    EXPECT_EQ(st->records, 3);
    // Rebuilding from the remaining records changes no fact.
    const fact_map facts_after = all_facts(s);
    EXPECT_FALSE(facts_after.empty());
    ASSERT_TRUE(s.rebuild_facts({}).ok());
    EXPECT_EQ(all_facts(s), facts_after);
    // Input history: the recent rows stay, the one whose report went without its link.
    std::map<std::string, std::optional<std::int64_t>> labels;
    for (const auto o : {store::outcome::rejected, store::outcome::duplicate}) {
        store::input_filter everything;
        everything.result = o;
        everything.history = true;
        auto rows = s.inputs(everything);
        ASSERT_TRUE(rows.ok());
        for (const auto& r : *rows) labels[r.label] = r.report;
    }
    EXPECT_EQ(labels.size(), 2u);
    ASSERT_TRUE(labels.count("new-rejected"));
    ASSERT_TRUE(labels.count("new-duplicate"));
    EXPECT_FALSE(labels["new-duplicate"].has_value());
    auto kept = s.kept_alerts();
    ASSERT_TRUE(kept.ok());
    ASSERT_EQ(kept->size(), 1u);
    EXPECT_EQ((*kept)[0].id, "a-new");
    auto sent = s.deliveries("");
    ASSERT_TRUE(sent.ok());
    std::set<std::string> sent_ids;
    for (const auto& d : *sent) sent_ids.insert(d.alert_id);
    EXPECT_EQ(sent_ids, (std::set<std::string>{"a-new", "digest:2026-W41"}));
    auto mutes = s.mutes();
    ASSERT_TRUE(mutes.ok());
    std::set<std::string> ends;
    for (const auto& m : *mutes) ends.insert(m.until_day);
    EXPECT_EQ(ends, (std::set<std::string>{"", "2026-10-20"}));
    // A second prune finds nothing more.
    auto again = s.prune(cutoff, false);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->reports, 0);
    EXPECT_EQ(again->rederived_reports, 1);  // still spanning: its 4 rows before the cutoff are replaced by the same
    EXPECT_EQ(again->fact_rows, 4);
    EXPECT_TRUE(again->quarantine_files.empty());
    EXPECT_EQ(all_facts(s), facts_after);
}

TEST_P(each_store_prune, ingest_after_a_prune_reads_every_domain_whole) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    store::store& s = **db;
    const std::int64_t cutoff = oct1 + 3 * day_s;
    // The old domain's rows come last in the table: after the prune new rows may take their ids.
    ASSERT_TRUE(s.begin_batch().ok());
    add(s, header("a-new", cutoff, cutoff + day_s - 1, "a.example"), {rec("192.0.2.1", 5)});
    add(s, header("z-old", oct1, oct1 + day_s - 1, "z.example"), {rec("192.0.2.2", 7), rec("192.0.2.3", 1)});
    ASSERT_TRUE(s.commit_batch().ok());
    auto p = s.prune(cutoff, false);
    ASSERT_TRUE(p.ok()) << p.err().message;
    EXPECT_EQ(p->reports, 1);
    EXPECT_EQ(p->fact_rows, 2);
    ASSERT_TRUE(s.begin_batch().ok());
    add(s, header("z-new", cutoff + day_s, cutoff + 2 * day_s - 1, "z.example"), {rec("192.0.2.2", 9)});
    add(s, header("a-newer", cutoff + day_s, cutoff + 2 * day_s - 1, "a.example"), {rec("192.0.2.1", 6)});
    ASSERT_TRUE(s.commit_batch().ok());
    EXPECT_EQ(messages_by_day(s, "a.example"), (std::map<std::string, std::int64_t>{{"2026-10-04", 5}, {"2026-10-05", 6}}));
    EXPECT_EQ(messages_by_day(s, "z.example"), (std::map<std::string, std::int64_t>{{"2026-10-05", 9}}));
    const fact_map now = all_facts(s);
    ASSERT_TRUE(s.rebuild_facts({}).ok());
    EXPECT_EQ(all_facts(s), now);
}
