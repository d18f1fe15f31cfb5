// SMTP TLS reports in the store, on both drivers: stored and read back whole, de-duplicated on
// (organization-name, report-id) through ingest in any container, undone with their unit, and
// counted by tls_stats.
#include <gtest/gtest.h>

#include "ingest/ingester.hpp"
#include "report/tlsrpt_parser.hpp"
#include "support/store_drivers.hpp"

using namespace dmarcsight;

namespace {

class tls_store : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, tls_store, test_support::all_drivers(), test_support::driver_name);

// Two policies, one with failure details (the RFC 8460 §4.4 example's shape).
std::string sample(const std::string& report_id, int successful = 5326, const std::string& org = "Company-X") {
    return R"({"organization-name":")" + org + R"(","date-range":{"start-datetime":"2016-04-01T00:00:00Z",)"
           R"("end-datetime":"2016-04-01T23:59:59Z"},"contact-info":"sts-reporting@company-x.example","report-id":")" +
           report_id +
           R"(","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing"],)"
           R"("policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]},"summary":)"
           R"({"total-successful-session-count":)" +
           std::to_string(successful) +
           R"(,"total-failure-session-count":303},"failure-details":[{"result-type":"certificate-expired",)"
           R"("sending-mta-ip":"2001:db8:abcd:0012::1","receiving-mx-hostname":"mx1.mail.company-y.example",)"
           R"("failed-session-count":100},{"result-type":"validation-failure","receiving-ip":"203.0.113.58",)"
           R"("receiving-mx-helo":"mx-backup","failed-session-count":203,"failure-reason-code":"X509_V_ERR",)"
           R"("additional-information":"https://example/info"}]},{"policy":{"policy-type":"no-policy-found",)"
           R"("policy-domain":"other.example"},"summary":{"total-successful-session-count":7,"total-failure-session-count":0}}]})";
}

std::vector<store::stored_tls_report> all_reports(store::store& db) {
    std::vector<store::stored_tls_report> out;
    auto r = db.visit_tls_reports({}, [&](const store::stored_tls_report& s) -> result<void> {
        out.push_back(s);
        return {};
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return out;
}

struct run {
    std::vector<ingest::unit_result> units;
};

run ingest_bytes(store::store& db, const std::string& quarantine, const std::vector<std::pair<std::string, std::string>>& inputs) {
    run out;
    ingest::options opt;
    opt.quarantine_dir = quarantine;
    opt.on_unit = [&](const ingest::unit_result& u, const ingest::totals&) { out.units.push_back(u); };
    ingest::ingester ing(db, opt);
    for (const auto& [label, bytes] : inputs) EXPECT_TRUE(ing.ingest_bytes(bytes, label).ok());
    EXPECT_TRUE(ing.finish().ok());
    return out;
}

}  // namespace

TEST_P(tls_store, stored_and_read_back_whole) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    auto parsed = report::parse_tlsrpt(sample("r1"));
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE((*db)->begin_batch().ok());
    ASSERT_TRUE((*db)->begin_unit().ok());
    auto ins = (*db)->insert_tls_report(*parsed, report::tls_content_hash(*parsed), "in.json");
    ASSERT_TRUE(ins.ok()) << ins.err().message;
    EXPECT_FALSE(ins->existing);
    ASSERT_TRUE((*db)->end_unit(true).ok());
    ASSERT_TRUE((*db)->commit_batch().ok());

    auto got = all_reports(**db);
    ASSERT_EQ(got.size(), 1u);
    const auto& r = got[0].report;
    EXPECT_EQ(got[0].input_label, "in.json");
    EXPECT_EQ(r.organization_name, "Company-X");
    EXPECT_EQ(r.start_datetime, "2016-04-01T00:00:00Z");
    EXPECT_EQ(r.begin, 1459468800);
    ASSERT_EQ(r.policies.size(), 2u);
    EXPECT_EQ(r.policies[0].policy_string, (std::vector<std::string>{"version: STSv1", "mode: testing"}));
    EXPECT_EQ(r.policies[0].mx_host, std::vector<std::string>{"*.mail.company-y.example"});
    ASSERT_EQ(r.policies[0].failure_details.size(), 2u);
    EXPECT_EQ(r.policies[0].failure_details[1].receiving_mx_helo, "mx-backup");
    EXPECT_EQ(r.policies[0].failure_details[1].additional_information, "https://example/info");
    EXPECT_EQ(r.policies[1].policy_type, "no-policy-found");
    EXPECT_TRUE(r.policies[1].failure_details.empty());
    // Everything the parser read comes back: the same content hash.
    EXPECT_EQ(report::tls_content_hash(r), report::tls_content_hash(*parsed));
    auto h = (*db)->tls_content_hash(got[0].id);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(*h, report::tls_content_hash(*parsed));

    auto found = (*db)->find_tls_report(report::tls_report_key::of(*parsed));
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, got[0].id);

    auto st = (*db)->tls_stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->reports, 1);
    EXPECT_EQ(st->policies, 2);
    EXPECT_EQ(st->sessions_successful, 5326 + 7);
    EXPECT_EQ(st->sessions_failed, 303);

    // since/until select on the begin time.
    store::query_filter later;
    later.since = 1459468801;
    int n = 0;
    ASSERT_TRUE((*db)->visit_tls_reports(later, [&](const store::stored_tls_report&) -> result<void> {
                        ++n;
                        return {};
                    }).ok());
    EXPECT_EQ(n, 0);
}

TEST_P(tls_store, undone_unit_and_undo_leave_nothing) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    auto a = report::parse_tlsrpt(sample("undone"));
    auto b = report::parse_tlsrpt(sample("kept"));
    auto c = report::parse_tlsrpt(sample("undone-later"));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    ASSERT_TRUE((*db)->begin_batch().ok());
    ASSERT_TRUE((*db)->begin_unit().ok());
    ASSERT_TRUE((*db)->insert_tls_report(*a, 1, "a").ok());
    ASSERT_TRUE((*db)->end_unit(false).ok());  // undone whole: row, policies, details
    ASSERT_TRUE((*db)->begin_unit().ok());
    ASSERT_TRUE((*db)->insert_tls_report(*b, 2, "b").ok());
    ASSERT_TRUE((*db)->end_unit(true).ok());
    ASSERT_TRUE((*db)->begin_unit().ok());
    auto ic = (*db)->insert_tls_report(*c, 3, "c");
    ASSERT_TRUE(ic.ok());
    ASSERT_TRUE((*db)->end_unit(true).ok());
    ASSERT_TRUE((*db)->undo_tls_report(ic->id).ok());  // its input could not be finished
    ASSERT_TRUE((*db)->commit_batch().ok());
    auto got = all_reports(**db);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].report.report_id, "kept");
    auto st = (*db)->tls_stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->policies, 2);
    EXPECT_EQ(st->sessions_failed, 303);
    // A key that was undone can be stored again.
    auto again = (*db)->find_tls_report(report::tls_report_key::of(*a));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
}

TEST_P(tls_store, ingest_stores_once_and_dedups_any_container) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    const std::string q = dir_ / "q";
    const std::string json = sample("dup-1");
    const std::string mail =
        "From: tlsrpt@mail.sender.example\r\nTo: rua@example.net\r\nSubject: Report Domain: company-y.example\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b\"\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nA TLS report.\r\n"
        "--b\r\nContent-Type: application/tlsrpt+json\r\nContent-Disposition: attachment; filename=\"r.json\"\r\n\r\n" +
        json + "\r\n--b--\r\n";
    auto first = ingest_bytes(**db, q, {{"a.json", json}, {"b.eml", mail}, {"c.json", sample("DUP-1", 1, " company-x ")}});
    ASSERT_EQ(first.units.size(), 3u);
    EXPECT_EQ(first.units[0].result, store::outcome::stored) << first.units[0].reason;
    EXPECT_EQ(ingest::to_string(first.units[0].kind), "tlsrpt");
    EXPECT_EQ(first.units[1].result, store::outcome::duplicate) << first.units[1].reason;
    EXPECT_NE(first.units[1].reason.find("already stored"), std::string::npos) << first.units[1].reason;
    // The same key (trimmed, case-folded) with other content: a duplicate, said so, bytes kept.
    EXPECT_EQ(first.units[2].result, store::outcome::duplicate);
    EXPECT_NE(first.units[2].reason.find("different content"), std::string::npos) << first.units[2].reason;
    EXPECT_FALSE(first.units[2].quarantined.empty());

    // A re-run: duplicates only, the same totals.
    auto second = ingest_bytes(**db, q, {{"a.json", json}});
    ASSERT_EQ(second.units.size(), 1u);
    EXPECT_EQ(second.units[0].result, store::outcome::duplicate);
    auto st = (*db)->tls_stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->reports, 1);
    EXPECT_EQ(st->sessions_successful, 5326 + 7);

    // A damaged TLS report is rejected with its reason and writes nothing.
    auto bad = ingest_bytes(**db, q, {{"bad.json", R"({"organization-name":"X","policies":[]})"}});
    ASSERT_EQ(bad.units.size(), 1u);
    EXPECT_EQ(bad.units[0].result, store::outcome::rejected);
    EXPECT_NE(bad.units[0].reason.find("report-id"), std::string::npos) << bad.units[0].reason;
    st = (*db)->tls_stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->reports, 1);
}

TEST_P(tls_store, a_key_another_writer_stored_is_an_existing_report) {
    if (!postgres()) GTEST_SKIP() << "SQLite has one writer at a time: find_tls_report sees every stored key";
    auto w1 = open();
    auto w2 = open();
    ASSERT_TRUE(w1.ok() && w2.ok());
    auto r = report::parse_tlsrpt(sample("race"));
    ASSERT_TRUE(r.ok());
    // Worker 2 looked (nothing), worker 1 stores and commits, then worker 2 inserts.
    ASSERT_TRUE((*w1)->begin_batch().ok());
    ASSERT_TRUE((*w1)->begin_unit().ok());
    auto a = (*w1)->insert_tls_report(*r, 1, "w1");
    ASSERT_TRUE(a.ok()) << a.err().message;
    ASSERT_TRUE((*w1)->end_unit(true).ok());
    ASSERT_TRUE((*w1)->commit_batch().ok());
    ASSERT_TRUE((*w2)->begin_batch().ok());
    ASSERT_TRUE((*w2)->begin_unit().ok());
    auto b = (*w2)->insert_tls_report(*r, 1, "w2");
    ASSERT_TRUE(b.ok()) << b.err().message;
    EXPECT_TRUE(b->existing);
    EXPECT_EQ(b->id, a->id);
    ASSERT_TRUE((*w2)->end_unit(true).ok());
    ASSERT_TRUE((*w2)->commit_batch().ok());
    auto st = (*w2)->tls_stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->reports, 1);
}
