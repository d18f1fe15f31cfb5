// The failure-report parser (RFC 5965 / RFC 6591 / RFC 9991) on real samples: parsedmarc's five
// failure samples against its oracle JSON, mail-auth's ARF files against its expected JSON, and
// Email-ARF's abuse / opt-out reports, which must be told apart and refused. Our own fixtures under
// tests/fixtures/failure cover what the corpus lacks. Corpus tests skip visibly where it is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/time.hpp"
#include "report/failure_parser.hpp"

using namespace dmarcsight;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path corpus = DMARCSIGHT_CORPUS_DIR;
const fs::path fixtures = fs::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "failure";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

#define NEED_CORPUS()                                                                        \
    do {                                                                                     \
        if (!fs::exists(corpus / "reports")) GTEST_SKIP() << "shared corpus absent: " << corpus; \
    } while (0)

std::string opt_str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

}  // namespace

// parsedmarc 10.4.3's output for its own failure samples: the ARF fields, the source, the dates.
TEST(failure_parser, parsedmarc_samples_match_the_oracle) {
    NEED_CORPUS();
    const fs::path dir = corpus / "reports/parsedmarc/failure";
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        const fs::path oracle = corpus / "oracles/parsedmarc/failure" / (e.path().filename().string() + ".json");
        if (!fs::exists(oracle)) continue;
        SCOPED_TRACE(e.path().filename().string());
        ++n;
        const json o = json::parse(slurp(oracle))["report"];
        auto r = report::parse_failure_bytes(slurp(e.path()));
        ASSERT_TRUE(r) << r.err().message;
        EXPECT_EQ(r->feedback_type, o["feedback_type"].get<std::string>());
        EXPECT_EQ(r->source_ip, o["source"]["ip_address"].get<std::string>());
        EXPECT_EQ(r->arrival_date, opt_str(o, "arrival_date"));
        ASSERT_TRUE(r->arrival_epoch);
        // parsedmarc writes "YYYY-MM-DD HH:MM:SS" in UTC.
        EXPECT_EQ(utc::format_datetime(*r->arrival_epoch), o["arrival_date_utc"].get<std::string>());
        ASSERT_FALSE(r->reported_domain.empty());
        EXPECT_EQ(r->reported_domain.front(), o["reported_domain"].get<std::string>());
        EXPECT_EQ(r->delivery_result, opt_str(o, "delivery_result"));
        EXPECT_EQ(r->user_agent, opt_str(o, "user_agent"));
        EXPECT_EQ(r->version, opt_str(o, "version"));
        EXPECT_EQ(r->original_envelope_id, opt_str(o, "original_envelope_id"));
        EXPECT_EQ(r->dkim_domain, opt_str(o, "dkim_domain"));
        std::vector<std::string> af;
        for (const auto& a : o["auth_failure"]) af.push_back(a.get<std::string>());
        EXPECT_EQ(r->auth_failure, af);
        const std::string rcpt = opt_str(o, "original_rcpt_to");
        EXPECT_EQ(r->original_rcpt_to.empty() ? "" : r->original_rcpt_to.front(), rcpt);
        EXPECT_EQ(r->best_effort, e.path().filename().string().find("no_arf") != std::string::npos);
        EXPECT_TRUE(r->has_sample);
        EXPECT_EQ(r->sample.headers_only, o["sample_headers_only"].get<bool>());
        if (o.contains("parsed_sample") && o["parsed_sample"].contains("subject")) {
            EXPECT_EQ(r->sample.subject, o["parsed_sample"]["subject"].get<std::string>());
        }
        if (o.contains("parsed_sample") && o["parsed_sample"].contains("received")) {
            EXPECT_EQ(r->sample.received.size(), o["parsed_sample"]["received"].size());
        }
    }
    EXPECT_EQ(n, 5);
}

TEST(failure_parser, linkedin_sample_headers_decoded) {
    NEED_CORPUS();
    auto r = report::parse_failure_bytes(slurp(corpus / "reports/parsedmarc/failure/dmarc_ruf_report_linkedin.eml"));
    ASSERT_TRUE(r) << r.err().message;
    EXPECT_EQ(r->sample.from, "Sender <sender@example.com>");
    EXPECT_EQ(r->sample.message_id, "<01010101010101010101010101010101@ABAB01MS0016.someserver.loc>");
    EXPECT_EQ(r->message_id, r->sample.message_id);
    EXPECT_EQ(r->reporter(), "linkedin.com");
    ASSERT_EQ(r->sample.received.size(), 3u);
    EXPECT_TRUE(r->sample.received[0].starts_with("from [10.10.10.10]"));
    EXPECT_FALSE(r->sample.body.empty());
    // RFC 2047: the domain.de sample's From display name is UTF-8 base64.
    auto d = report::parse_failure_bytes(slurp(
        corpus / "reports/parsedmarc/failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml"));
    ASSERT_TRUE(d) << d.err().message;
    EXPECT_EQ(d->sample.from, "\"Interaktive Wettbewerber-\xC3\x9C" "bersicht\" <sharepoint@domain.de>");
}

// mail-auth's expected parse of its ARF files: auth-failure ones stored, abuse ones refused.
TEST(failure_parser, mail_auth_arf_files) {
    NEED_CORPUS();
    const fs::path dir = corpus / "reports/stalwartlabs+mail-auth/resources/arf";
    int failures = 0, refused = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".eml") continue;
        SCOPED_TRACE(e.path().filename().string());
        fs::path expected = e.path();
        expected.replace_extension(".json");
        const json x = json::parse(slurp(expected));
        auto r = report::parse_failure_bytes(slurp(e.path()));
        if (x["feedback_type"] != "AuthFailure") {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.err().message, "not a DMARC report (ARF abuse)");
            ++refused;
            continue;
        }
        ++failures;
        ASSERT_TRUE(r) << r.err().message;
        EXPECT_EQ(r->source_ip, x["source_ip"].get<std::string>());
        EXPECT_EQ(r->user_agent, x["user_agent"].get<std::string>());
        EXPECT_EQ(r->version, std::to_string(x["version"].get<int>()));
        std::string af = x["auth_failure"].get<std::string>();
        for (auto& c : af) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        ASSERT_FALSE(r->auth_failure.empty());
        EXPECT_EQ(r->auth_failure.front(), af);
        if (x["arrival_date"].is_number()) {
            ASSERT_TRUE(r->arrival_epoch);
            EXPECT_EQ(*r->arrival_epoch, x["arrival_date"].get<std::int64_t>());
        }
        std::vector<std::string> domains;
        for (const auto& d : x["reported_domain"]) domains.push_back(d.get<std::string>());
        EXPECT_EQ(r->reported_domain, domains);
        EXPECT_EQ(r->original_envelope_id, x["original_envelope_id"].is_string() ? x["original_envelope_id"].get<std::string>() : "");
        EXPECT_EQ(r->original_mail_from, x["original_mail_from"].is_string() ? x["original_mail_from"].get<std::string>() : "");
        EXPECT_EQ(r->dkim_domain, x["dkim_domain"].is_string() ? x["dkim_domain"].get<std::string>() : "");
        EXPECT_EQ(r->dkim_selector, x["dkim_selector"].is_string() ? x["dkim_selector"].get<std::string>() : "");
        EXPECT_EQ(r->dkim_identity, x["dkim_identity"].is_string() ? x["dkim_identity"].get<std::string>() : "");
        EXPECT_EQ(r->authentication_results.size(), x["authentication_results"].size());
        EXPECT_EQ(r->incidents, x["incidents"].get<std::int64_t>());
    }
    EXPECT_EQ(failures, 3);
    EXPECT_EQ(refused, 2);
}

// Email-ARF: abuse and opt-out feedback, not DMARC failure reports, refused with their type.
TEST(failure_parser, email_arf_abuse_and_opt_out_refused) {
    NEED_CORPUS();
    std::set<std::string> reasons;
    for (const char* f : {"example0.msg", "example1.msg", "example2.msg"}) {
        auto r = report::parse_failure_bytes(slurp(corpus / "reports/rjbs+Email-ARF/t/messages" / f));
        ASSERT_FALSE(r) << f;
        reasons.insert(r.err().message);
    }
    EXPECT_EQ(reasons, (std::set<std::string>{"not a DMARC report (ARF abuse)", "not a DMARC report (ARF opt-out)"}));
}

TEST(failure_parser, fixture_folding_case_repeats_and_caps) {
    auto r = report::parse_failure_bytes(slurp(fixtures / "arf_folded_repeated.eml"));
    ASSERT_TRUE(r) << r.err().message;
    EXPECT_EQ(r->feedback_type, "auth-failure");
    EXPECT_EQ(r->source_ip, "2001:db8::25");
    EXPECT_EQ(r->original_rcpt_to, (std::vector<std::string>{"<a@example.net>", "<b@example.net>"}));
    EXPECT_EQ(r->auth_failure, (std::vector<std::string>{"dkim", "spf"}));
    EXPECT_EQ(r->reporting_mta, "mx.receiver.example");
    EXPECT_EQ(r->reporter(), "mx.receiver.example");
    EXPECT_EQ(r->dkim_selector, "s2024");
    EXPECT_EQ(r->identity_alignment, "none");
    EXPECT_EQ(r->incidents, 3);
    EXPECT_EQ(r->authentication_results.size(), 1u);
    EXPECT_TRUE(r->authentication_results[0].find("dkim=fail") != std::string::npos);  // unfolded
    // RFC 2047 in ISO-8859-1 and in UTF-8 (Q and B encodings); §6.2: the space between adjacent
    // encoded-words is not text.
    EXPECT_EQ(r->sample.subject, "Caf\xC3\xA9\xE2\x82\xAC");
    EXPECT_TRUE(r->sample.headers_only);
    ASSERT_TRUE(r->arrival_epoch);
    EXPECT_EQ(*r->arrival_epoch, 1733137200);  // 2024-12-02 11:00:00 UTC (given as 12:00 +0100)
}

TEST(failure_parser, mail_dates) {
    EXPECT_EQ(report::parse_mail_date("Thu, 8 Mar 2005 17:40:36 EDT"), std::optional<std::int64_t>(1110318036));
    EXPECT_EQ(report::parse_mail_date("Tue,  5 Oct 2021 17:37:02 +1300 (NZDT)"), std::optional<std::int64_t>(1633408622));
    EXPECT_EQ(report::parse_mail_date("5 Oct 21 04:37 GMT"), std::optional<std::int64_t>(1633408620));
    EXPECT_FALSE(report::parse_mail_date("yesterday"));
    EXPECT_FALSE(report::parse_mail_date("Tue, 45 Oct 2021 17:37:02 +1300"));
    EXPECT_EQ(report::source_ip_of("148.163.85.135 (sainay.interpublication.org)"), "148.163.85.135");
    EXPECT_EQ(report::source_ip_of("[IPv6:2001:DB8::1]"), "2001:db8::1");
    EXPECT_EQ(report::source_ip_of("not an ip"), "");
}

TEST(failure_parser, hostile_inputs_are_bounded) {
    // A feedback part of 100,000 fields and 1 MiB values: capped where read, no crash.
    std::string m = "From: r@rep.example\r\nSubject: x\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nSource-IP: 192.0.2.9\r\n"
                    "Reported-Domain: example.com\r\n";
    for (int i = 0; i < 2000; ++i) m += "Original-Rcpt-To: <u" + std::to_string(i) + "@x.example>\r\n";
    m += "Authentication-Results: " + std::string(1 << 20, 'a') + "\r\n";
    m += "\r\n--b--\r\n";
    auto r = report::parse_failure_bytes(m);
    ASSERT_TRUE(r) << r.err().message;
    EXPECT_LE(r->original_rcpt_to.size(), 64u);
    // The 1 MiB value: dropped by the header section cap, or cut to the field cap.
    ASSERT_LE(r->authentication_results.size(), 1u);
    if (!r->authentication_results.empty()) {
        EXPECT_LE(r->authentication_results[0].size(), 4096u);
    }
}
