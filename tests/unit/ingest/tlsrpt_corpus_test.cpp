// Every SMTP TLS sample of ../shared/corpus/reports ingested for real (e-mails with
// application/tlsrpt+gzip, bare application/tlsrpt, gzip files, plain JSON) and read back from
// the store, checked against the oracles: parsedmarc's output for its samples, mail-auth's
// rptNN.json for its rptNN.eml, Mail::TLSRPT's expected.json, and the values of the mox and
// opus-codium e-mails. Skips, visibly, where the shared corpus is absent.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ingest/ingester.hpp"
#include "report/tlsrpt_parser.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;
using nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string corpus(const std::string& rel) { return test_support::corpus_dir() + "/" + rel; }
std::string str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

struct ingested {
    std::vector<ingest::unit_result> units;
    std::vector<store::stored_tls_report> reports;
};

ingested ingest_file(const test_support::temp_dir& dir, const std::string& path) {
    static int n = 0;
    const std::string name = "t" + std::to_string(n++);
    ingested out;
    auto db = store::open_sqlite(dir / (name + ".db"), store::open_mode::read_write);
    EXPECT_TRUE(db.ok());
    if (!db) return out;
    ingest::options opt;
    opt.quarantine_dir = dir / (name + ".q");
    opt.on_unit = [&](const ingest::unit_result& u, const ingest::totals&) { out.units.push_back(u); };
    {
        ingest::ingester ing(**db, opt);
        EXPECT_TRUE(ing.ingest_path(path).ok()) << path;
        EXPECT_TRUE(ing.finish().ok());
    }
    EXPECT_TRUE((*db)->visit_tls_reports({}, [&](const store::stored_tls_report& r) -> result<void> {
                        out.reports.push_back(r);
                        return {};
                    }).ok());
    return out;
}

const report::tls_report* one_stored(const ingested& g) {
    EXPECT_EQ(g.units.size(), 1u);
    for (const auto& u : g.units) EXPECT_EQ(u.result, store::outcome::stored) << u.label << ": " << u.reason;
    EXPECT_EQ(g.reports.size(), 1u);
    return g.reports.size() == 1 ? &g.reports[0].report : nullptr;
}

}  // namespace

// parsedmarc's four samples (one an e-mail with application/tlsrpt+gzip): every value it writes.
TEST(tlsrpt_ingest, parsedmarc_oracle) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    test_support::temp_dir dir;
    int compared = 0;
    for (const char* name : {"google.com_smtp_tls_report.eml", "smtp_tls.json", "rfc8460.json", "mail.ru.json"}) {
        SCOPED_TRACE(name);
        const json oracle = json::parse(slurp(corpus(std::string("oracles/parsedmarc/smtp_tls/") + name + ".json")));
        ASSERT_EQ(str(oracle, "report_type"), "smtp_tls");
        auto g = ingest_file(dir, corpus(std::string("reports/parsedmarc/smtp_tls/") + name));
        const auto* r = one_stored(g);
        ASSERT_NE(r, nullptr);
        const json& w = oracle["report"];
        EXPECT_EQ(r->organization_name, str(w, "organization_name"));
        EXPECT_EQ(r->start_datetime, str(w, "begin_date"));
        EXPECT_EQ(r->end_datetime, str(w, "end_date"));
        EXPECT_EQ(r->contact_info, str(w, "contact_info"));
        EXPECT_EQ(r->report_id, str(w, "report_id"));
        ASSERT_EQ(r->policies.size(), w["policies"].size());
        for (std::size_t i = 0; i < r->policies.size(); ++i) {
            const auto& p = r->policies[i];
            const json& wp = w["policies"][i];
            EXPECT_EQ(p.policy_domain, str(wp, "policy_domain"));
            EXPECT_EQ(p.policy_type, str(wp, "policy_type"));
            EXPECT_EQ(p.policy_string, wp.value("policy_strings", std::vector<std::string>{}));
            EXPECT_EQ(p.total_successful_session_count, wp["successful_session_count"].get<std::int64_t>());
            EXPECT_EQ(p.total_failure_session_count, wp["failed_session_count"].get<std::int64_t>());
            const json wd = wp.value("failure_details", json::array());
            ASSERT_EQ(p.failure_details.size(), wd.size());
            for (std::size_t k = 0; k < wd.size(); ++k) {
                EXPECT_EQ(p.failure_details[k].result_type, str(wd[k], "result_type"));
                EXPECT_EQ(p.failure_details[k].failed_session_count, wd[k]["failed_session_count"].get<std::int64_t>());
                EXPECT_EQ(p.failure_details[k].sending_mta_ip, str(wd[k], "sending_mta_ip"));
                EXPECT_EQ(p.failure_details[k].receiving_ip, str(wd[k], "receiving_ip"));
                EXPECT_EQ(p.failure_details[k].receiving_mx_hostname, str(wd[k], "receiving_mx_hostname"));
                EXPECT_EQ(p.failure_details[k].failure_reason_code, str(wd[k], "failure_reason_code"));
            }
        }
        ++compared;
    }
    EXPECT_EQ(compared, 4);
}

// mail-auth: rptNN.eml (application/tlsrpt+gzip; bare application/tlsrpt) must give rptNN.json.
TEST(tlsrpt_ingest, mail_auth_eml_equals_its_json) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    test_support::temp_dir dir;
    const std::string root = "reports/stalwartlabs+mail-auth/resources/tlsrpt/";
    for (const char* n : {"rpt01", "rpt02"}) {
        SCOPED_TRACE(n);
        auto g = ingest_file(dir, corpus(root + n + ".eml"));
        const auto* r = one_stored(g);
        ASSERT_NE(r, nullptr);
        auto want = report::parse_tlsrpt(slurp(corpus(root + n + ".json")));
        ASSERT_TRUE(want.ok());
        EXPECT_EQ(report::tls_content_hash(*r), report::tls_content_hash(*want));
        EXPECT_EQ(r->organization_name, want->organization_name);
        ASSERT_EQ(r->policies.size(), want->policies.size());
        EXPECT_EQ(r->policies[0].total_successful_session_count, want->policies[0].total_successful_session_count);
        EXPECT_EQ(r->policies[0].failure_details.size(), want->policies[0].failure_details.size());
    }
}

// Mail::TLSRPT: the JSON and its gzip are one report with expected.json's values; together, one
// is stored and the others are duplicates.
TEST(tlsrpt_ingest, mail_tlsrpt_json_gzip_and_duplicates) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    test_support::temp_dir dir;
    const std::string data = corpus("reports/marcbradshaw+Mail-TLSRPT/t/data");
    const json want = json::parse(slurp(data + "/expected.json"));
    auto gz = ingest_file(dir, data + "/report.json.gz");
    const auto* r = one_stored(gz);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->report_id, want["report-id"].get<std::string>());
    EXPECT_EQ(r->policies[0].policy_domain, want["policies"][0]["policy"]["policy-domain"].get<std::string>());
    EXPECT_EQ(r->policies[0].total_successful_session_count,
              want["policies"][0]["summary"]["total-successful-session-count"].get<std::int64_t>());
    auto all = ingest_file(dir, data);
    int stored = 0, duplicate = 0, rejected = 0;
    for (const auto& u : all.units) {
        if (u.result == store::outcome::stored) ++stored;
        if (u.result == store::outcome::duplicate) ++duplicate;
        if (u.result == store::outcome::rejected) ++rejected;  // report.json.gz.b64: base64 text, not a delivery form
    }
    EXPECT_EQ(stored, 1);
    EXPECT_EQ(duplicate, 2);
    EXPECT_EQ(rejected, 1);
    EXPECT_EQ(all.reports.size(), 1u);
}

// mox's real Google and Microsoft TLS e-mails, and opus-codium's Google one.
TEST(tlsrpt_ingest, mox_and_opus_codium_emails) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    test_support::temp_dir dir;
    {
        auto g = ingest_file(dir, corpus("reports/mjl-+mox/testdata/tlsreports/example.eml"));
        const auto* r = one_stored(g);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->organization_name, "Google Inc.");
        EXPECT_EQ(r->report_id, "2022-09-15T00:00:00Z_test.xmox.nl");
        ASSERT_EQ(r->policies.size(), 1u);
        EXPECT_EQ(r->policies[0].policy_domain, "test.xmox.nl");
        EXPECT_EQ(r->policies[0].mx_host, std::vector<std::string>{"komijn.test.xmox.nl"});
        EXPECT_EQ(r->policies[0].total_successful_session_count, 3);
    }
    {
        auto g = ingest_file(dir, corpus("reports/mjl-+mox/testdata/tlsreports/microsoft.eml"));
        const auto* r = one_stored(g);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->organization_name, "Microsoft Corporation");
        EXPECT_EQ(r->report_id, "133198585438131172+test.xmox.nl");
        // Microsoft writes times without an offset: read as UTC, with a warning.
        EXPECT_EQ(r->begin, 1673308800);
        EXPECT_FALSE(r->warnings.empty());
        ASSERT_EQ(r->policies.size(), 1u);
        EXPECT_EQ(r->policies[0].total_successful_session_count, 2);
        EXPECT_TRUE(r->policies[0].mx_host.empty());
    }
    {
        auto g = ingest_file(dir, corpus("reports/opus-codium+email-report-processor/spec/fixtures/sample-reports/tlsrpt/report.elm"));
        const auto* r = one_stored(g);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->report_id, "2023-02-02T00:00:00Z_blogreen.org");
        EXPECT_EQ(r->policies[0].policy_domain, "blogreen.org");
        EXPECT_EQ(r->policies[0].total_successful_session_count, 1);
    }
}
