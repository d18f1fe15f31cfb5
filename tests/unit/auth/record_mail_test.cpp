// MTA-STS (RFC 8461), TLS-RPT (RFC 8460) and BIMI record parsers, and the tag-list splitter.
#include <gtest/gtest.h>

#include "auth/record_mail.hpp"
#include "auth/record_tags.hpp"

using namespace dmarcsight::auth;

TEST(tag_list, basics) {
    const auto t = parse_tag_list(" a = 1 ;b=2;; c=x=y ;");
    ASSERT_EQ(t.tags.size(), 3u);
    EXPECT_EQ(t.tags[0].name, "a");
    EXPECT_EQ(t.tags[0].value, "1");
    EXPECT_EQ(t.tags[0].offset, 1u);
    EXPECT_EQ(t.tags[2].value, "x=y");
    ASSERT_EQ(t.issues.size(), 1u);
    EXPECT_EQ(t.issues[0].code, "empty_segment");
    const auto bad = parse_tag_list("1a=2; novalue; =x");
    EXPECT_TRUE(bad.tags.empty());
    EXPECT_EQ(bad.issues.size(), 3u);
    std::string many;
    for (int i = 0; i < 200; ++i) many.append("t").append(std::to_string(i)).append("=1;");
    const auto capped = parse_tag_list(many);
    EXPECT_EQ(capped.tags.size(), 64u);
    EXPECT_TRUE(capped.truncated);
}

TEST(tag_list, decimal_and_domain_helpers) {
    EXPECT_EQ(parse_decimal("0", 100), 0u);
    EXPECT_EQ(parse_decimal("100", 100), 100u);
    EXPECT_FALSE(parse_decimal("101", 100).has_value());
    EXPECT_FALSE(parse_decimal("-1", 100).has_value());
    EXPECT_FALSE(parse_decimal("18446744073709551616", UINT64_MAX).has_value());
    EXPECT_EQ(parse_decimal("18446744073709551615", UINT64_MAX), UINT64_MAX);
    EXPECT_TRUE(looks_like_domain("_dmarc.example.com."));
    EXPECT_FALSE(looks_like_domain("a..b"));
    EXPECT_FALSE(looks_like_domain(std::string(64, 'a') + ".com"));
    EXPECT_FALSE(looks_like_domain("exa mple.com"));
}

TEST(mta_sts, txt_record) {
    auto r = parse_mta_sts_txt("v=STSv1; id=20190429T010101;");
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->id, "20190429T010101");
    EXPECT_FALSE(parse_mta_sts_txt("v=STSv1; id=has-dash").ok());
    EXPECT_FALSE(parse_mta_sts_txt("v=STSv1;").ok());
    EXPECT_FALSE(parse_mta_sts_txt("v=STSv2; id=1").ok());
    EXPECT_FALSE(parse_mta_sts_txt("id=1; v=STSv1").ok());
    EXPECT_FALSE(parse_mta_sts_txt("v=STSv1; id=" + std::string(33, 'a')).ok());
}

TEST(mta_sts, policy_file_rfc8461_example) {
    // RFC 8461 §3.2's example policy.
    auto p = parse_mta_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
                                  "mx: backupmx.example.com\r\nmax_age: 604800\r\n");
    ASSERT_TRUE(p.ok()) << p.err().message;
    EXPECT_EQ(p->mode, sts_mode::enforce);
    EXPECT_EQ(p->max_age, 604800u);
    EXPECT_EQ(p->mx, (std::vector<std::string>{"mail.example.com", "*.example.net", "backupmx.example.com"}));
    EXPECT_TRUE(p->issues.empty());
}

TEST(mta_sts, policy_file_errors) {
    EXPECT_FALSE(parse_mta_sts_policy("mode: enforce\nmx: a.example\nmax_age: 1\n").ok());  // no version
    EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n").ok());
    EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmax_age: 1\n").ok());  // no mx
    EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n").ok());
    EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\n").ok());
    auto none = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\nextra: 1\nmode: enforce\nno colon\n");
    ASSERT_TRUE(none.ok()) << none.err().message;
    EXPECT_EQ(none->mode, sts_mode::none);  // the first mode: counts
    EXPECT_EQ(none->issues.size(), 3u);     // unknown field, duplicate field, bad line
    auto badmx = parse_mta_sts_policy("version: STSv1\nmode: testing\nmx: bad host\nmx: ok.example\nmax_age: 5\n");
    ASSERT_TRUE(badmx.ok());
    EXPECT_EQ(badmx->mx.size(), 1u);
    EXPECT_EQ(badmx->issues.size(), 1u);
    EXPECT_FALSE(parse_mta_sts_policy(std::string(70000, 'x')).ok());
}

TEST(tls_rpt, records) {
    auto r = parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:tls@example.com,https://reporting.example.com/v1/tlsrpt");
    ASSERT_TRUE(r.ok()) << r.err().message;
    ASSERT_EQ(r->rua.size(), 2u);
    EXPECT_EQ(r->rua[1].scheme, "https");
    EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1;").ok());
    EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=ftp://x.example").ok());
    EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv2; rua=mailto:a@b.example").ok());
    auto partial = parse_tls_rpt_record("v=TLSRPTv1; rua=ftp://x.example,mailto:a@b.example");
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(partial->rua.size(), 1u);
    EXPECT_EQ(partial->issues.size(), 1u);
}

TEST(bimi, records) {
    auto r = parse_bimi_record("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem");
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_TRUE(r->issues.empty());
    EXPECT_FALSE(r->declined);
    auto d = parse_bimi_record("v=BIMI1; l=; a=;");
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->declined);
    auto bad = parse_bimi_record("v=BIMI1; l=http://example.com/logo.png");
    ASSERT_TRUE(bad.ok());
    ASSERT_EQ(bad->issues.size(), 1u);
    EXPECT_EQ(bad->issues[0].code, "bad_location");
    EXPECT_FALSE(parse_bimi_record("v=BIMI2; l=").ok());
}
