// The SMTP TLS report parser (RFC 8460 §4.4) on the real JSON samples of ../shared/corpus (with
// their oracles: parsedmarc's output, Mail::TLSRPT's expected.json, mail-auth's round-trip files)
// and on small hand-written reports for each shape and each hostile case. The e-mail samples are
// read through ingest in tests/unit/ingest/tlsrpt_corpus_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/limits.hpp"
#include "report/tlsrpt_parser.hpp"
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

report::tls_report parse_ok(std::string_view text) {
    auto r = report::parse_tlsrpt(text);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return r.ok() ? *r : report::tls_report{};
}

std::string str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

// A parsed report against parsedmarc's output for it (oracles/parsedmarc/smtp_tls/*.json).
void expect_parsedmarc(const report::tls_report& r, const json& oracle) {
    const json& w = oracle["report"];
    EXPECT_EQ(r.organization_name, str(w, "organization_name"));
    EXPECT_EQ(r.start_datetime, str(w, "begin_date"));
    EXPECT_EQ(r.end_datetime, str(w, "end_date"));
    EXPECT_EQ(r.contact_info, str(w, "contact_info"));
    EXPECT_EQ(r.report_id, str(w, "report_id"));
    ASSERT_EQ(r.policies.size(), w["policies"].size());
    for (std::size_t i = 0; i < r.policies.size(); ++i) {
        const auto& p = r.policies[i];
        const json& wp = w["policies"][i];
        EXPECT_EQ(p.policy_domain, str(wp, "policy_domain"));
        EXPECT_EQ(p.policy_type, str(wp, "policy_type"));
        EXPECT_EQ(p.policy_string, wp.value("policy_strings", std::vector<std::string>{}));
        EXPECT_EQ(p.total_successful_session_count, wp["successful_session_count"].get<std::int64_t>());
        EXPECT_EQ(p.total_failure_session_count, wp["failed_session_count"].get<std::int64_t>());
        const json wd = wp.value("failure_details", json::array());
        ASSERT_EQ(p.failure_details.size(), wd.size());
        for (std::size_t k = 0; k < wd.size(); ++k) {
            const auto& d = p.failure_details[k];
            EXPECT_EQ(d.result_type, str(wd[k], "result_type"));
            EXPECT_EQ(d.failed_session_count, wd[k]["failed_session_count"].get<std::int64_t>());
            EXPECT_EQ(d.sending_mta_ip, str(wd[k], "sending_mta_ip"));
            EXPECT_EQ(d.receiving_ip, str(wd[k], "receiving_ip"));
            EXPECT_EQ(d.receiving_mx_hostname, str(wd[k], "receiving_mx_hostname"));
            EXPECT_EQ(d.receiving_mx_helo, str(wd[k], "receiving_mx_helo"));
            EXPECT_EQ(d.failure_reason_code, str(wd[k], "failure_reason_code"));
        }
    }
}

// A report in the shape the hostile generator and real senders write, with `policies` as given.
std::string report_with(const std::string& policies, const std::string& extra = "") {
    return R"({"organization-name":"Example Org","date-range":{"start-datetime":"2024-05-01T00:00:00Z",)"
           R"("end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"tls@example.org","report-id":"r-1",)" +
           extra + R"("policies":)" + policies + "}";
}

}  // namespace

TEST(tlsrpt_corpus, parsedmarc_json_samples_match_its_output) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    int compared = 0;
    for (const char* name : {"smtp_tls.json", "rfc8460.json", "mail.ru.json"}) {
        SCOPED_TRACE(name);
        const auto r = parse_ok(slurp(corpus(std::string("reports/parsedmarc/smtp_tls/") + name)));
        expect_parsedmarc(r, json::parse(slurp(corpus(std::string("oracles/parsedmarc/smtp_tls/") + name + ".json"))));
        ++compared;
    }
    EXPECT_EQ(compared, 3);
}

TEST(tlsrpt_corpus, rfc8460_sample_values) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const auto r = parse_ok(slurp(corpus("reports/parsedmarc/smtp_tls/rfc8460.json")));
    EXPECT_EQ(r.begin, 1459468800);  // 2016-04-01T00:00:00Z
    EXPECT_EQ(r.end, 1459468800 + 86399);
    ASSERT_EQ(r.policies.size(), 1u);
    const auto& p = r.policies[0];
    // mx-host as a string (the RFC's own example, before erratum 6241).
    EXPECT_EQ(p.mx_host, std::vector<std::string>{"*.mail.company-y.example"});
    ASSERT_EQ(p.failure_details.size(), 3u);
    // parsedmarc drops additional-information (it reads "additional-info-uri", a name RFC 8460
    // does not define); the report says it, so it is kept.
    EXPECT_EQ(p.failure_details[1].additional_information,
              "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported");
    EXPECT_TRUE(r.warnings.empty());
}

TEST(tlsrpt_corpus, mail_auth_round_trip_files) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const std::string dir = "reports/stalwartlabs+mail-auth/resources/tlsrpt/";
    const auto r1 = parse_ok(slurp(corpus(dir + "rpt01.json")));
    EXPECT_EQ(r1.organization_name, "Company-X");
    EXPECT_EQ(r1.report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
    ASSERT_EQ(r1.policies.size(), 1u);
    EXPECT_EQ(r1.policies[0].mx_host, std::vector<std::string>{"*.mail.company-y.example"});  // an array here
    EXPECT_EQ(r1.policies[0].total_successful_session_count, 5326);
    EXPECT_EQ(r1.policies[0].total_failure_session_count, 303);
    ASSERT_EQ(r1.policies[0].failure_details.size(), 3u);
    EXPECT_EQ(r1.policies[0].failure_details[0].result_type, "certificate-expired");
    EXPECT_EQ(r1.policies[0].failure_details[0].sending_mta_ip, "2001:db8:abcd:0012::1");
    EXPECT_EQ(r1.policies[0].failure_details[2].failure_reason_code, "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");

    const auto r2 = parse_ok(slurp(corpus(dir + "rpt02.json")));
    EXPECT_EQ(r2.organization_name, "Google Inc.");
    EXPECT_EQ(r2.end - r2.begin, 7 * 86400 - 1);  // a week-long report
    ASSERT_EQ(r2.policies.size(), 1u);
    EXPECT_EQ(r2.policies[0].policy_domain, "example.com");
    EXPECT_EQ(r2.policies[0].total_successful_session_count, 23);
    ASSERT_EQ(r2.policies[0].failure_details.size(), 1u);
    EXPECT_EQ(r2.policies[0].failure_details[0].result_type, "certificate-host-mismatch");
    EXPECT_EQ(r2.policies[0].failure_details[0].receiving_ip, "234.234.234.234");

    // rpt03: an unknown policy type kept as text, no policy-domain, a summary without its failure
    // count: all tolerated.
    const auto r3 = parse_ok(slurp(corpus(dir + "rpt03.json")));
    ASSERT_EQ(r3.policies.size(), 2u);
    EXPECT_EQ(r3.policies[0].policy_type, "no-policy-found");
    EXPECT_EQ(r3.policies[1].policy_type, "invalid-policy-type");
    EXPECT_EQ(r3.policies[1].policy_domain, "");
    EXPECT_EQ(r3.policies[1].total_successful_session_count, 1);
    EXPECT_EQ(r3.policies[1].total_failure_session_count, 0);
    EXPECT_FALSE(r3.warnings.empty());
}

TEST(tlsrpt_corpus, mail_tlsrpt_expected_json) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const std::string dir = "reports/marcbradshaw+Mail-TLSRPT/t/data/";
    const auto r = parse_ok(slurp(corpus(dir + "report.json")));
    const json want = json::parse(slurp(corpus(dir + "expected.json")));
    EXPECT_EQ(r.organization_name, want["organization-name"].get<std::string>());
    EXPECT_EQ(r.report_id, want["report-id"].get<std::string>());
    EXPECT_EQ(r.contact_info, want["contact-info"].get<std::string>());
    EXPECT_EQ(r.start_datetime, want["date-range"]["start-datetime"].get<std::string>());
    ASSERT_EQ(r.policies.size(), 1u);
    const auto& wp = want["policies"][0];
    EXPECT_EQ(r.policies[0].policy_domain, wp["policy"]["policy-domain"].get<std::string>());
    EXPECT_EQ(r.policies[0].policy_type, "no-policy-found");
    EXPECT_EQ(r.policies[0].total_successful_session_count, wp["summary"]["total-successful-session-count"].get<std::int64_t>());
    EXPECT_EQ(r.policies[0].total_successful_session_count, 343);
    // expected.json is the normalised re-serialisation (policy-string [] and mx-host "" added):
    // the same report, so the same content.
    const auto e = parse_ok(slurp(corpus(dir + "expected.json")));
    EXPECT_TRUE(e.policies[0].mx_host.empty());
    EXPECT_EQ(report::tls_content_hash(e), report::tls_content_hash(r));
}

TEST(tlsrpt_corpus, opus_codium_json) {
    if (!test_support::corpus_present()) GTEST_SKIP() << "corpus absent: " << test_support::corpus_dir();
    const auto r = parse_ok(slurp(
        corpus("reports/opus-codium+email-report-processor/spec/fixtures/sample-reports/tlsrpt/"
               "google.com!example.com!1667520000!1667606399!001.json")));
    EXPECT_EQ(r.begin, 1667520000);
    EXPECT_EQ(r.end, 1667606399);
    ASSERT_EQ(r.policies.size(), 1u);
    EXPECT_EQ(r.policies[0].mx_host, std::vector<std::string>{"mx.example.com"});
    EXPECT_EQ(r.policies[0].total_successful_session_count, 2);
}

// ---- hand-written shapes ---------------------------------------------------------------------

TEST(tlsrpt_parser, every_result_type_and_policy_type_kept) {
    // RFC 8460 §4.3: negotiation, DANE and MTA-STS result types, and an unknown one.
    const char* types[] = {"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                           "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
                           "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
                           "some-future-type"};
    std::string details;
    for (const char* t : types) details += std::string(details.empty() ? "" : ",") + R"({"result-type":")" + t + R"(","failed-session-count":1})";
    const auto r = parse_ok(report_with(R"([{"policy":{"policy-type":"tlsa","policy-domain":"Example.COM.","policy-string":["3 1 1 ab"]},)"
                                        R"("summary":{"total-successful-session-count":7,"total-failure-session-count":12},)"
                                        R"("failure-details":[)" + details + "]},"
                                        R"({"policy":{"policy-type":"x-new","policy-domain":"b.example"},"summary":{}}])"));
    ASSERT_EQ(r.policies.size(), 2u);
    EXPECT_EQ(r.policies[0].policy_type, "tlsa");
    EXPECT_EQ(r.policies[0].policy_domain, "example.com");  // normalised
    ASSERT_EQ(r.policies[0].failure_details.size(), std::size(types));
    for (std::size_t i = 0; i < std::size(types); ++i) EXPECT_EQ(r.policies[0].failure_details[i].result_type, types[i]);
    EXPECT_EQ(r.policies[1].policy_type, "x-new");
    EXPECT_EQ(r.policies[1].total_successful_session_count, 0);
}

TEST(tlsrpt_parser, mx_host_string_or_array_and_helo) {
    const auto r = parse_ok(report_with(
        R"([{"policy":{"policy-type":"sts","policy-domain":"a.example","mx-host":"mx.a.example"},"summary":{"total-successful-session-count":1,"total-failure-session-count":0}},)"
        R"({"policy":{"policy-type":"sts","policy-domain":"b.example","mx-host":["mx1.b.example","mx2.b.example"]},"summary":{"total-successful-session-count":"5","total-failure-session-count":1},)"
        R"("failure-details":[{"result-type":"validation-failure","receiving-mx-helo":"mx1.b.example","failed-session-count":1}]}])"));
    ASSERT_EQ(r.policies.size(), 2u);
    EXPECT_EQ(r.policies[0].mx_host, std::vector<std::string>{"mx.a.example"});
    EXPECT_EQ(r.policies[1].mx_host, (std::vector<std::string>{"mx1.b.example", "mx2.b.example"}));
    EXPECT_EQ(r.policies[1].total_successful_session_count, 5);  // a quoted count is read
    EXPECT_EQ(r.policies[1].failure_details[0].receiving_mx_helo, "mx1.b.example");
}

TEST(tlsrpt_parser, optional_fields_missing) {
    const auto r = parse_ok(R"({"organization-name":"O","report-id":"x","date-range":{"start-datetime":"2024-01-01T00:00:00+01:00",)"
                            R"("end-datetime":"2024-01-01T23:59:59"},"policies":[{"policy":{"policy-type":"no-policy-found"}}]})");
    EXPECT_EQ(r.contact_info, "");
    EXPECT_EQ(r.begin, 1704063600);  // the offset applies
    ASSERT_EQ(r.policies.size(), 1u);
    EXPECT_EQ(r.policies[0].policy_domain, "");
    bool offset_warning = false;
    for (const auto& w : r.warnings) offset_warning = offset_warning || w.find("no UTC offset") != std::string::npos;
    EXPECT_TRUE(offset_warning);
}

TEST(tlsrpt_parser, negative_and_fractional_counts_drop_their_policy) {
    // The hostile generator's case: the bad.example.com policy goes, with a warning; the other stays.
    const auto r = parse_ok(report_with(
        R"([{"policy":{"policy-type":"sts","policy-domain":"bad.example.com"},"summary":{"total-successful-session-count":-5,"total-failure-session-count":-1}},)"
        R"({"policy":{"policy-type":"sts","policy-domain":"half.example.com"},"summary":{"total-successful-session-count":2.5,"total-failure-session-count":0}},)"
        R"({"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":120,"total-failure-session-count":2},)"
        R"("failure-details":[{"result-type":"validation-failure","failed-session-count":-3},{"result-type":"dane-required","failed-session-count":2}]}])"));
    ASSERT_EQ(r.policies.size(), 1u);
    EXPECT_EQ(r.policies[0].policy_domain, "example.com");
    EXPECT_EQ(r.policies[0].total_successful_session_count, 120);
    ASSERT_EQ(r.policies[0].failure_details.size(), 1u);
    EXPECT_EQ(r.policies[0].failure_details[0].result_type, "dane-required");
    EXPECT_EQ(r.warnings.size(), 3u);
}

TEST(tlsrpt_parser, counts_over_the_cap_are_refused) {
    const auto r = parse_ok(report_with(
        R"([{"policy":{"policy-type":"sts","policy-domain":"a.example"},"summary":{"total-successful-session-count":18446744073709551615,"total-failure-session-count":0}}])"));
    EXPECT_TRUE(r.policies.empty());
}

TEST(tlsrpt_parser, identity_and_structure_errors_reject) {
    auto bad = [](const std::string& text, const std::string& why) {
        auto r = report::parse_tlsrpt(text);
        ASSERT_FALSE(r.ok()) << text.substr(0, 80);
        EXPECT_NE(r.err().message.find(why), std::string::npos) << r.err().message;
    };
    bad(R"({"report-id":"x","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T00:00:00Z"},"policies":[]})",
        "organization-name");
    bad(R"({"organization-name":"O","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T00:00:00Z"},"policies":[]})",
        "report-id");
    bad(R"({"organization-name":"O","report-id":"x","policies":[]})", "date-range");
    bad(R"({"organization-name":"O","report-id":"x","date-range":{"start-datetime":"30d","end-datetime":"2024-01-01T00:00:00Z"},"policies":[]})",
        "not an RFC 3339 time");
    bad(R"({"organization-name":"O","report-id":"x","date-range":{"start-datetime":"2024-01-02T00:00:00Z","end-datetime":"2024-01-01T00:00:00Z"},"policies":[]})",
        "ends before it starts");
    bad(R"({"organization-name":"O","report-id":"x","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T00:00:00Z"}})",
        "policies");
    bad("[1,2,3]", "JSON object");
    bad(R"({"organization-name":"O",)", "not valid JSON");
    bad("{\"organization-name\":\"\xff\"}", "not valid JSON");  // invalid UTF-8
    bad(report_with("[]", R"("report-id":")" + std::string(limits::max_report_identity + 1, 'x') + R"(",)"), "longer than");
}

TEST(tlsrpt_parser, depth_count_and_size_caps) {
    auto refused = [](const std::string& text, const std::string& why) {
        auto r = report::parse_tlsrpt(text);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.err().message.find(why), std::string::npos) << r.err().message;
    };
    const std::size_t deep = 100000;
    refused(std::string(deep, '[') + std::string(deep, ']'), "nested deeper");
    refused(report_with("[]", "\"x\":" + std::string(deep, '[') + std::string(deep, ']') + ","), "nested deeper");
    std::string many;
    for (std::size_t i = 0; i <= limits::max_tlsrpt_policies; ++i) many += (i ? ",{}" : "{}");
    refused(report_with("[" + many + "]"), "entries in \"policies\"");
    std::string mx;
    for (std::size_t i = 0; i <= limits::max_tlsrpt_mx_hosts; ++i) mx += (i ? ",\"m\"" : "\"m\"");
    refused(report_with(R"([{"policy":{"policy-type":"sts","mx-host":[)" + mx + "]}}]"), "entries in \"mx-host\"");
    refused(report_with("[]", "\"x\":\"" + std::string(limits::max_tlsrpt_string + 1, 'a') + "\","), "JSON string of");
    refused(std::string(limits::max_tlsrpt_bytes + 1, ' '), "larger than");
}

TEST(tlsrpt_parser, long_text_is_cut_on_a_character_boundary_and_nul_replaced) {
    std::string reason;
    while (reason.size() < limits::max_tlsrpt_text + 10) reason += "\xc3\xa9";  // é
    const auto r = parse_ok(report_with(
        R"([{"policy":{"policy-type":"sts","policy-domain":"a.example"},"summary":{"total-successful-session-count":1,"total-failure-session-count":1},)"
        R"("failure-details":[{"result-type":"validation-failure","failed-session-count":1,"failure-reason-code":")" + reason +
        R"(","receiving-mx-hostname":"mx\u0000.a.example"}]}])"));
    ASSERT_EQ(r.policies.size(), 1u);
    const auto& d = r.policies[0].failure_details[0];
    EXPECT_LE(d.failure_reason_code.size(), limits::max_tlsrpt_text);
    EXPECT_EQ(d.failure_reason_code.size() % 2, 0u);
    EXPECT_EQ(d.receiving_mx_hostname, "mx\xEF\xBF\xBD.a.example");
}

TEST(tlsrpt_parser, key_and_hash) {
    auto a = parse_ok(report_with("[]"));
    auto b = a;
    b.organization_name = "  EXAMPLE org ";
    EXPECT_EQ(report::tls_report_key::of(a).org, report::tls_report_key::of(b).org);
    EXPECT_NE(report::tls_content_hash(a), report::tls_content_hash(b));
}
