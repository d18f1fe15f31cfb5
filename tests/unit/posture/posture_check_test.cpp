// The posture checks against closed-world zone files (tests/fixtures/posture/*.zone).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "dns/zone_resolver.hpp"
#include "posture/check.hpp"
#include "posture/render.hpp"

using namespace dmarcsight;
using namespace dmarcsight::posture;
namespace fs = std::filesystem;

namespace {

dns::zone_resolver load(const std::string& name) {
    dns::zone_resolver z;
    const fs::path p = fs::path(DMARCSIGHT_TEST_DIR) / "fixtures" / "posture" / name;
    auto r = z.load_file(p.string());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return z;
}

::testing::AssertionResult has(const domain_report& r, std::string_view code, severity s) {
    const finding* f = r.find(code);
    if (f == nullptr) {
        std::string all;
        for (const auto& x : r.findings) all += " " + x.code;
        return ::testing::AssertionFailure() << r.domain << ": no " << code << " among" << all;
    }
    if (f->level != s) return ::testing::AssertionFailure() << code << " has severity " << to_string(f->level);
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST(posture_good, clean_domain_has_no_errors_or_warnings) {
    auto z = load("good.zone");
    check_options o;
    o.selectors = {"sel2048", "ed"};
    const auto r = check_domain(z, "good.example", o);
    for (const auto& f : r.findings) {
        EXPECT_EQ(f.level, severity::info) << f.code << ": " << f.message;
    }
    EXPECT_TRUE(has(r, "dkim.key", severity::info));
    EXPECT_NE(r.find("dkim.key")->message.find("2048 bits"), std::string::npos);
    EXPECT_TRUE(has(r, "dkim.ed25519", severity::info));
    EXPECT_TRUE(has(r, "mx.present", severity::info));
    EXPECT_TRUE(has(r, "mta_sts.present", severity::info));
    EXPECT_TRUE(has(r, "mta_sts.policy_not_fetched", severity::info));
    EXPECT_TRUE(has(r, "tls_rpt.present", severity::info));
    EXPECT_TRUE(has(r, "bimi.present", severity::info));
    EXPECT_TRUE(has(r, "dmarc.org_domain", severity::info));
    EXPECT_FALSE(r.has_errors());
}

TEST(posture_dmarc, multiple_records) {
    auto z = load("dmarc.zone");
    const auto r = check_domain(z, "multi.test");
    EXPECT_TRUE(has(r, "dmarc.multiple_records", severity::error));
    EXPECT_NE(r.find("dmarc.multiple_records")->record.find("p=reject"), std::string::npos);
    EXPECT_NE(r.find("dmarc.multiple_records")->record.find("p=none"), std::string::npos);
    EXPECT_TRUE(r.has_errors());
}

TEST(posture_dmarc, missing_and_policy_none_and_no_rua) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "absent.test");
    EXPECT_TRUE(has(r, "dmarc.missing", severity::error));
    EXPECT_FALSE(r.find("dmarc.missing")->fix.empty());
    r = check_domain(z, "none.test");
    EXPECT_TRUE(has(r, "dmarc.policy_none", severity::warning));
    EXPECT_TRUE(has(r, "dmarc.no_rua", severity::warning));
    EXPECT_EQ(r.find("dmarc.policy_none")->record, "v=DMARC1; p=none");
    r = check_domain(z, "nop.test");
    EXPECT_TRUE(has(r, "dmarc.missing_p", severity::warning));
    EXPECT_TRUE(has(r, "dmarc.policy_none", severity::warning));
}

TEST(posture_dmarc, invalid_policy) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "badp.test");
    EXPECT_TRUE(has(r, "dmarc.invalid_policy", severity::error));
    EXPECT_TRUE(has(r, "dmarc.invalid_record", severity::error));
    r = check_domain(z, "badpr.test");  // with rua: acts as p=none
    EXPECT_TRUE(has(r, "dmarc.invalid_policy", severity::error));
    EXPECT_EQ(r.find("dmarc.invalid_record"), nullptr);
    EXPECT_TRUE(has(r, "dmarc.policy_none", severity::warning));
}

TEST(posture_dmarc, near_miss_records) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "lower.test");
    EXPECT_TRUE(has(r, "dmarc.bad_version", severity::error));
    EXPECT_TRUE(has(r, "dmarc.missing", severity::error));
    r = check_domain(z, "space.test");
    EXPECT_TRUE(has(r, "dmarc.bad_version", severity::error));
}

TEST(posture_dmarc, deprecated_tags_size_suffix_pct) {
    auto z = load("dmarc.zone");
    const auto r = check_domain(z, "deprecated.test");
    EXPECT_TRUE(has(r, "dmarc.deprecated_tag", severity::info));
    EXPECT_TRUE(has(r, "dmarc.size_suffix", severity::info));
    EXPECT_TRUE(has(r, "dmarc.pct_partial", severity::warning));
    EXPECT_TRUE(has(r, "dmarc.policy_quarantine", severity::info));
    std::size_t deprecated = 0;
    for (const auto& f : r.findings) deprecated += f.code == "dmarc.deprecated_tag" ? 1 : 0;
    EXPECT_EQ(deprecated, 3u);
}

TEST(posture_dmarc, subdomain_coverage) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "weaksp.test");
    EXPECT_TRUE(has(r, "dmarc.subdomain_policy_weaker", severity::warning));
    EXPECT_NE(r.find("dmarc.subdomain_coverage")->message.find("existing subdomains: none (sp)"), std::string::npos);
    r = check_domain(z, "weaknp.test");
    EXPECT_TRUE(has(r, "dmarc.np_weaker", severity::warning));
    EXPECT_EQ(r.find("dmarc.subdomain_policy_weaker"), nullptr);
    // A subdomain without its own record inherits sp= of the org domain.
    r = check_domain(z, "sub.inherit.test");
    EXPECT_TRUE(has(r, "dmarc.inherited", severity::info));
    EXPECT_NE(r.find("dmarc.inherited")->message.find("sp=quarantine"), std::string::npos);
    // sp= on a record below the org domain has no effect.
    r = check_domain(z, "mail.org.test");
    EXPECT_TRUE(has(r, "dmarc.sp_ignored", severity::info));
    EXPECT_EQ(r.find("dmarc.subdomain_policy_weaker"), nullptr);
}

TEST(posture_dmarc, nonexistent_subdomain_uses_np) {
    auto z = load("dmarc.zone");
    const auto r = check_domain(z, "ghost.inherit.test");
    EXPECT_TRUE(has(r, "dns.nxdomain", severity::error));
    EXPECT_NE(r.find("dmarc.inherited")->message.find("np=reject"), std::string::npos);
    // Nothing but DMARC is checked for a name that does not exist.
    EXPECT_EQ(r.find("spf.missing"), nullptr);
}

TEST(posture_dmarc, external_destinations) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "ext.test");
    EXPECT_TRUE(has(r, "dmarc.external_destination_unauthorized", severity::error));
    EXPECT_NE(r.find("dmarc.external_destination_unauthorized")->fix.find("ext.test._report._dmarc.reports.example.net"),
              std::string::npos);
    r = check_domain(z, "extok.test");
    EXPECT_EQ(r.find("dmarc.external_destination_unauthorized"), nullptr);
    EXPECT_TRUE(has(r, "dmarc.external_destination_authorized", severity::info));
    // The wildcard *._report._dmarc.wild.example.org authorises both rua and ruf.
    r = check_domain(z, "wild.test");
    EXPECT_EQ(r.find("dmarc.external_destination_unauthorized"), nullptr);
    std::size_t ok = 0;
    for (const auto& f : r.findings) ok += f.code == "dmarc.external_destination_authorized" ? 1 : 0;
    EXPECT_EQ(ok, 2u);
    // Below the policy domain, but another Organizational Domain (psd=n): must authorise.
    r = check_domain(z, "split.test");
    EXPECT_TRUE(has(r, "dmarc.external_destination_unauthorized", severity::error));
    // A destination inside the same org domain needs no authorisation.
    r = check_domain(z, "mail.org.test");
    EXPECT_EQ(r.find("dmarc.external_destination_unauthorized"), nullptr);
    EXPECT_EQ(r.find("dmarc.external_destination_authorized"), nullptr);
}

TEST(posture_dmarc, typo_testing_psd) {
    auto z = load("dmarc.zone");
    auto r = check_domain(z, "typo.test");
    EXPECT_TRUE(has(r, "dmarc.unknown_tag", severity::info));
    EXPECT_TRUE(has(r, "dmarc.no_rua", severity::warning));
    r = check_domain(z, "testmode.test");
    EXPECT_TRUE(has(r, "dmarc.testing", severity::info));
    r = check_domain(z, "psd.test");
    EXPECT_TRUE(has(r, "dmarc.psd", severity::info));
    r = check_domain(z, "brand.psd.test");
    EXPECT_NE(r.find("dmarc.org_domain")->message.find(": brand.psd.test "), std::string::npos);
    EXPECT_TRUE(has(r, "dmarc.inherited", severity::info));
}

TEST(posture_dmarc, temperror_is_a_finding) {
    auto z = load("dmarc.zone");
    z.add_timeout("_dmarc.slow.test");
    const auto r = check_domain(z, "slow.test");
    EXPECT_TRUE(has(r, "dmarc.temperror", severity::error));
    EXPECT_EQ(r.find("dmarc.missing"), nullptr);
}

TEST(posture_dmarc, temperror_above_the_own_record_is_a_warning) {
    auto z = load("dmarc.zone");
    z.add_timeout("_dmarc.test");
    const auto r = check_domain(z, "none.test");
    EXPECT_TRUE(has(r, "dmarc.tree_walk_temperror", severity::warning));
    EXPECT_TRUE(has(r, "dmarc.policy_none", severity::warning));  // the own record still counts
    EXPECT_EQ(r.find("dmarc.temperror"), nullptr);
}

TEST(posture_dmarc, rfc7489_mode_reads_strictly) {
    auto z = load("dmarc.zone");
    check_options o;
    o.mode = auth::dmarc_mode::rfc7489;
    const auto r = check_domain(z, "typo.test", o);
    EXPECT_TRUE(has(r, "dmarc.org_domain", severity::info));
    EXPECT_NE(r.find("dmarc.org_domain")->message.find("public suffix list"), std::string::npos);
    // No missing_p in RFC 7489 for none.test (p present), but p=none still warned.
    EXPECT_TRUE(has(check_domain(z, "none.test", o), "dmarc.policy_none", severity::warning));
}

TEST(posture_dkim, selectors) {
    auto z = load("dkim.zone");
    check_options o;
    o.selectors = {"s512", "s1024", "pkcs1", "s2048", "ed", "revoked", "garbage", "dsa", "double", "sha1", "nosuch", "bad selector"};
    const auto r = check_domain(z, "dk.test", o);
    EXPECT_TRUE(has(r, "dkim.key_too_small", severity::error));
    EXPECT_NE(r.find("dkim.key_too_small")->message.find("512 bits"), std::string::npos);
    EXPECT_TRUE(has(r, "dkim.key_weak", severity::warning));
    EXPECT_TRUE(has(r, "dkim.testing", severity::warning));
    EXPECT_TRUE(has(r, "dkim.key", severity::info));
    EXPECT_TRUE(has(r, "dkim.revoked", severity::warning));
    EXPECT_TRUE(has(r, "dkim.bad_key", severity::error));
    EXPECT_TRUE(has(r, "dkim.unknown_key_type", severity::error));
    EXPECT_TRUE(has(r, "dkim.multiple_records", severity::warning));
    EXPECT_TRUE(has(r, "dkim.sha1_only", severity::error));
    EXPECT_TRUE(has(r, "dkim.missing_key", severity::error));
    EXPECT_TRUE(has(r, "dkim.invalid_selector", severity::error));
    std::size_t weak = 0;
    for (const auto& f : r.findings) weak += f.code == "dkim.key_weak" ? 1 : 0;
    EXPECT_EQ(weak, 4u);  // s1024, pkcs1, double (first record), sha1
}

TEST(posture_dkim, signing_keys_at_other_names) {
    auto z = load("good.zone");
    check_options o;
    o.signing_keys = {{"good.example", "sel2048"}, {"mail.good.example", "s1"}, {"good.example", "SEL2048"}};
    const auto r = check_domain(z, "good.example", o);
    EXPECT_TRUE(has(r, "dkim.key", severity::info));
    ASSERT_TRUE(has(r, "dkim.missing_key", severity::error));
    EXPECT_NE(r.find("dkim.missing_key")->message.find("s1._domainkey.mail.good.example"), std::string::npos);
    EXPECT_NE(r.find("dkim.missing_key")->message.find("s1 (d=mail.good.example)"), std::string::npos);
    std::size_t keys = 0;
    for (const auto& f : r.findings) keys += f.code == "dkim.key" ? 1 : 0;
    EXPECT_EQ(keys, 1u);  // SEL2048 is the same selector (DNS names are case-insensitive)
}

TEST(posture_dkim, no_selector_is_info) {
    auto z = load("dkim.zone");
    const auto r = check_domain(z, "dk.test");
    EXPECT_TRUE(has(r, "dkim.no_selectors", severity::info));
}

TEST(posture_spf, record_problems) {
    auto z = load("mail.zone");
    EXPECT_TRUE(has(check_domain(z, "plusall.test"), "spf.pass_all", severity::error));
    EXPECT_TRUE(has(check_domain(z, "neutral.test"), "spf.neutral_all", severity::warning));
    EXPECT_TRUE(has(check_domain(z, "twospf.test"), "spf.multiple_records", severity::error));
    EXPECT_TRUE(has(check_domain(z, "ptr.test"), "spf.ptr", severity::warning));
    EXPECT_TRUE(has(check_domain(z, "badspf.test"), "spf.syntax", severity::error));
    EXPECT_TRUE(has(check_domain(z, "nospf.test"), "spf.missing", severity::error));
}

TEST(posture_spf, lookup_limit_attributed_to_the_include) {
    auto z = load("mail.zone");
    const auto r = check_domain(z, "many.test");
    ASSERT_TRUE(has(r, "spf.too_many_lookups", severity::error));
    const std::string& msg = r.find("spf.too_many_lookups")->message;
    EXPECT_NE(msg.find("12"), std::string::npos) << msg;
    EXPECT_NE(msg.find("include:b.many.test"), std::string::npos) << msg;
    EXPECT_NE(r.find("spf.summary")->message.find("12 of 10 DNS-querying terms"), std::string::npos);
}

TEST(posture_spf, void_limit_and_half_the_internet) {
    auto z = load("mail.zone");
    auto r = check_domain(z, "voids.test");
    EXPECT_TRUE(has(r, "spf.too_many_void_lookups", severity::error));
    EXPECT_NE(r.find("spf.summary")->message.find("3 of 2 void lookups"), std::string::npos);
    r = check_domain(z, "half.test");
    ASSERT_TRUE(has(r, "spf.half_the_internet", severity::error));
    const std::string& msg = r.find("spf.half_the_internet")->message;
    EXPECT_NE(msg.find("2,147,483,904 IPv4 addresses"), std::string::npos) << msg;
    EXPECT_NE(msg.find("include:_spf.half.test (2,147,483,648)"), std::string::npos) << msg;
}

TEST(posture_mx, null_and_mixed) {
    auto z = load("mail.zone");
    auto r = check_domain(z, "nullmx.test");
    EXPECT_TRUE(has(r, "mx.null", severity::info));
    EXPECT_EQ(r.find("spf.null_mx_domain"), nullptr);  // v=spf1 -all is what it should be
    EXPECT_EQ(r.find("mta_sts.missing"), nullptr);     // no mail, no MTA-STS needed
    EXPECT_EQ(r.find("tls_rpt.missing"), nullptr);
    r = check_domain(z, "mixed.test");
    EXPECT_TRUE(has(r, "mx.null_mixed", severity::error));
    r = check_domain(z, "neutral.test");
    EXPECT_TRUE(has(r, "mx.none", severity::info));
}

TEST(posture_mail, mta_sts_tls_rpt_bimi) {
    auto z = load("mail.zone");
    auto r = check_domain(z, "sts.test");
    EXPECT_TRUE(has(r, "mta_sts.present", severity::info));
    EXPECT_TRUE(has(r, "tls_rpt.missing", severity::warning));  // MTA-STS without TLS-RPT
    r = check_domain(z, "badsts.test");
    EXPECT_TRUE(has(r, "mta_sts.invalid_record", severity::error));
    r = check_domain(z, "badrpt.test");
    EXPECT_TRUE(has(r, "tls_rpt.invalid_record", severity::error));
    EXPECT_TRUE(has(r, "mta_sts.missing", severity::info));
    r = check_domain(z, "bimi.test");
    EXPECT_TRUE(has(r, "bimi.bad_location", severity::error));
    EXPECT_TRUE(has(r, "bimi.dmarc_not_enforced", severity::error));
}

TEST(posture_mail, mta_sts_policy_via_fetch_hook) {
    auto z = load("mail.zone");
    check_options o;
    std::string asked;
    o.fetch_https = [&](const std::string& url, std::string&) -> std::optional<std::string> {
        asked = url;
        return std::string("version: STSv1\nmode: enforce\nmx: other.sts.test\nmax_age: 86400\n");
    };
    const auto r = check_domain(z, "sts.test", o);
    EXPECT_EQ(asked, "https://mta-sts.sts.test/.well-known/mta-sts.txt");
    EXPECT_TRUE(has(r, "mta_sts.mx_not_covered", severity::error));
    o.fetch_https = [](const std::string&, std::string& err) -> std::optional<std::string> {
        err = "connection refused";
        return std::nullopt;
    };
    EXPECT_TRUE(has(check_domain(z, "sts.test", o), "mta_sts.policy_unavailable", severity::error));
    o.fetch_https = [](const std::string&, std::string&) -> std::optional<std::string> {
        return std::string("version: STSv1\nmode: enforce\nmax_age: 86400\n");  // no mx:
    };
    EXPECT_TRUE(has(check_domain(z, "sts.test", o), "mta_sts.policy_invalid", severity::error));
    o.fetch_https = [](const std::string&, std::string&) -> std::optional<std::string> {
        return std::string("version: STSv1\nmode: testing\nmx: *.sts.test\nmax_age: 86400\n");
    };
    const auto ok = check_domain(z, "sts.test", o);
    EXPECT_TRUE(has(ok, "mta_sts.testing", severity::info));
    EXPECT_EQ(ok.find("mta_sts.mx_not_covered"), nullptr);  // *.sts.test matches mx.sts.test
}

TEST(posture_render, text_and_json) {
    auto z = load("dmarc.zone");
    z.add({"evil.test", dns::rr_type::txt, 300, dns::txt_rdata{{"v=spf1 \x1b[31m+all"}}});
    std::vector<domain_report> reports{check_domain(z, "multi.test"), check_domain(z, "evil.test")};
    const std::string text = render_text(reports);
    EXPECT_NE(text.find("multi.test"), std::string::npos);
    EXPECT_NE(text.find("  DMARC\n"), std::string::npos);
    EXPECT_NE(text.find("[dmarc.multiple_records]"), std::string::npos);
    EXPECT_EQ(text.find('\x1b'), std::string::npos);  // DNS text is escaped
    EXPECT_NE(text.find("\\x1b[31m"), std::string::npos);
    const auto doc = nlohmann::json::parse(render_json(reports));
    ASSERT_EQ(doc["domains"].size(), 2u);
    EXPECT_EQ(doc["domains"][0]["domain"], "multi.test");
    bool found = false;
    for (const auto& f : doc["domains"][0]["findings"]) {
        if (f["code"] == "dmarc.multiple_records") {
            found = true;
            EXPECT_EQ(f["severity"], "error");
            EXPECT_EQ(f["area"], "dmarc");
            EXPECT_FALSE(f["fix"].get<std::string>().empty());
        }
    }
    EXPECT_TRUE(found);
    EXPECT_GE(doc["errors"].get<int>(), 2);
}

TEST(posture_idn, check_domain_takes_u_labels_and_reports_both_forms) {
    auto z = load("idn.zone");
    const auto r = check_domain(z, "Bücher.example");
    EXPECT_EQ(r.domain, "xn--bcher-kva.example");
    EXPECT_EQ(r.unicode, "bücher.example");
    EXPECT_FALSE(r.has_errors());
    ASSERT_NE(r.find("mx.present"), nullptr);
    EXPECT_EQ(r.find("mx.present")->record, "10 mx.xn--bcher-kva.example");
    const auto plain = check_domain(z, "xn--r8jz45g.jp");
    EXPECT_EQ(plain.unicode, "例え.jp");  // an A-label argument is shown in Unicode too
    const auto bad = check_domain(z, "mail\xE2\x98\x83.example");  // U+2603 SNOWMAN: IDNA2008 DISALLOWED
    ASSERT_TRUE(has(bad, "dns.invalid_idn", severity::error));
    EXPECT_EQ(bad.findings.size(), 1u);
}
