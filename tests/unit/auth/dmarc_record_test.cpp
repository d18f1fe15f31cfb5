// DMARC record parser (RFC 9989 §4.7/§4.8, RFC 7489 mode).
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/dmarc_record.hpp"

using namespace dmarcsight::auth;

namespace {
bool has_issue(const dmarc_parse_result& r, std::string_view code) {
    return std::any_of(r.issues.begin(), r.issues.end(), [&](const record_issue& i) { return i.code == code; });
}
}  // namespace

TEST(dmarc_record, full_record_all_tags) {
    const auto r = parse_dmarc_record(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=0:d:s; psd=n; t=n; "
        "rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com");
    ASSERT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_TRUE(r.applies);
    EXPECT_EQ(r.record.p, policy::reject);
    EXPECT_EQ(r.record.sp, policy::quarantine);
    EXPECT_EQ(r.record.np, policy::reject);
    EXPECT_EQ(r.record.adkim, alignment_mode::s);
    EXPECT_EQ(r.record.aspf, alignment_mode::r);
    EXPECT_EQ(r.record.psd, psd_flag::n);
    EXPECT_FALSE(r.record.testing);
    EXPECT_EQ(r.record.fo, "0:d:s");
    ASSERT_EQ(r.record.rua.size(), 2u);
    EXPECT_EQ(r.record.rua[0].address, "a@example.com");
    EXPECT_EQ(r.record.rua[0].host, "example.com");
    EXPECT_EQ(r.record.rua[1].host, "example.net");
    EXPECT_EQ(r.record.rua[1].size_suffix, "!10m");
    EXPECT_EQ(r.record.rua[1].max_bytes, 10u * 1024 * 1024);
    EXPECT_TRUE(has_issue(r, "size_suffix"));
    ASSERT_EQ(r.record.ruf.size(), 1u);
    EXPECT_EQ(r.record.subdomain_policy(), policy::quarantine);
    EXPECT_EQ(r.record.nonexistent_policy(), policy::reject);
}

TEST(dmarc_record, missing_p_is_none_in_rfc9989) {
    const auto r = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.com");
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_TRUE(r.applies);
    EXPECT_EQ(r.record.domain_policy(), policy::none);
    EXPECT_TRUE(has_issue(r, "missing_p"));
    // Without rua too: RFC 9989 §4.7 still says treat as p=none.
    const auto bare = parse_dmarc_record("v=DMARC1");
    EXPECT_EQ(bare.status, dmarc_parse_status::ok);
    EXPECT_TRUE(bare.applies);
    EXPECT_EQ(bare.record.domain_policy(), policy::none);
}

TEST(dmarc_record, missing_p_is_error_in_rfc7489_without_rua) {
    EXPECT_EQ(parse_dmarc_record("v=DMARC1; pct=100", dmarc_mode::rfc7489).status, dmarc_parse_status::no_required_p);
    // RFC 7489 §6.6.3: with a valid rua, act as p=none.
    const auto r = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.com", dmarc_mode::rfc7489);
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_EQ(r.record.domain_policy(), policy::none);
}

TEST(dmarc_record, tags_in_any_order_after_v_and_case_insensitive_names) {
    const auto r = parse_dmarc_record("v=DMARC1;RUA=mailto:x@example.com; SP=none ;P=Reject;");
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_EQ(r.record.p, policy::reject);
    EXPECT_EQ(r.record.sp, policy::none);
    EXPECT_EQ(r.record.rua.size(), 1u);
    EXPECT_FALSE(has_issue(r, "empty_segment"));
}

TEST(dmarc_record, version_must_come_first_and_be_exact) {
    EXPECT_EQ(parse_dmarc_record("p=reject; v=DMARC1").status, dmarc_parse_status::bad_version);
    EXPECT_EQ(parse_dmarc_record("v=dmarc1; p=reject").status, dmarc_parse_status::bad_version);
    EXPECT_EQ(parse_dmarc_record("v=DMARC10; p=reject").status, dmarc_parse_status::bad_version);
    EXPECT_EQ(parse_dmarc_record(" v=DMARC1; p=reject").status, dmarc_parse_status::bad_version);
    EXPECT_EQ(parse_dmarc_record("   ").status, dmarc_parse_status::empty);
    EXPECT_EQ(parse_dmarc_record("v = DMARC1 ; p=reject").status, dmarc_parse_status::ok);
    EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
    EXPECT_TRUE(is_dmarc_record("V=DMARC1;p=none"));
    EXPECT_FALSE(is_dmarc_record("v=DMARC1 p=none"));
    EXPECT_FALSE(is_dmarc_record("v=spf1 -all"));
}

TEST(dmarc_record, invalid_policy_without_rua_means_no_dmarc) {
    const auto r = parse_dmarc_record("v=DMARC1; p=block");
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_FALSE(r.applies);
    EXPECT_TRUE(has_issue(r, "invalid_policy"));
    // §4.10.1: with a valid rua, act as p=none.
    const auto with_rua = parse_dmarc_record("v=DMARC1; p=block; sp=reject; rua=mailto:d@example.com");
    EXPECT_TRUE(with_rua.applies);
    EXPECT_EQ(with_rua.record.domain_policy(), policy::none);
    EXPECT_EQ(with_rua.record.subdomain_policy(), policy::none);
    // Invalid sp alone also triggers the rule.
    EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=reject; sp=maybe").applies);
}

TEST(dmarc_record, invalid_values_fall_back_to_defaults_in_rfc9989) {
    const auto r = parse_dmarc_record("v=DMARC1; p=reject; adkim=x; psd=maybe; t=yes; fo=0:1; pct=101");
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_TRUE(r.applies);
    EXPECT_EQ(r.record.adkim, alignment_mode::r);
    EXPECT_EQ(r.record.psd, psd_flag::u);
    EXPECT_FALSE(r.record.testing);
    EXPECT_EQ(r.record.fo, "0");
    EXPECT_FALSE(r.record.pct.has_value());
    EXPECT_EQ(std::count_if(r.issues.begin(), r.issues.end(), [](const record_issue& i) { return i.code == "invalid_value"; }), 5);
}

TEST(dmarc_record, deprecated_and_unknown_tags_are_reported) {
    const auto r = parse_dmarc_record("v=DMARC1; p=none; pct=50; rf=afrf; ri=3600; rau=mailto:x@example.com");
    EXPECT_EQ(r.status, dmarc_parse_status::ok);
    EXPECT_EQ(r.record.pct, 50u);
    EXPECT_EQ(r.record.ri, 3600u);
    EXPECT_EQ(std::count_if(r.issues.begin(), r.issues.end(), [](const record_issue& i) { return i.code == "deprecated_tag"; }), 3);
    ASSERT_EQ(r.record.unknown_tags.size(), 1u);
    EXPECT_EQ(r.record.unknown_tags[0], "rau");
    EXPECT_TRUE(r.record.rua.empty());
}

TEST(dmarc_record, uri_details) {
    auto u = parse_report_uri("mailto:dmarc@Reports.Example.COM.", true);
    EXPECT_TRUE(u.valid);
    EXPECT_EQ(u.host, "reports.example.com");
    u = parse_report_uri("https://user@collector.example.net:8443/dmarc?x=1", true);
    EXPECT_TRUE(u.valid);
    EXPECT_EQ(u.scheme, "https");
    EXPECT_EQ(u.host, "collector.example.net");
    u = parse_report_uri("mailto:d@example.com!5k", true);
    EXPECT_EQ(u.max_bytes, 5u * 1024);
    u = parse_report_uri("mailto:d@example.com!5x", true);
    EXPECT_FALSE(u.max_bytes.has_value());
    EXPECT_EQ(u.size_suffix, "!5x");
    u = parse_report_uri("mailto:d@example.com!99999999999999999999t", true);
    EXPECT_FALSE(u.max_bytes.has_value());  // overflow is refused, not wrapped
    EXPECT_FALSE(parse_report_uri("mailto://abuse.com", true).valid);
    EXPECT_FALSE(parse_report_uri("d@example.com", true).valid);
    EXPECT_FALSE(parse_report_uri("mailto:d@exa mple.com", true).valid);
    const auto r = parse_dmarc_record("v=DMARC1; p=none; rua=ftp://abuse.com, mailto:x@example.com,,");
    EXPECT_EQ(r.record.rua.size(), 2u);
    EXPECT_TRUE(has_issue(r, "unsupported_scheme"));
    EXPECT_TRUE(has_issue(r, "invalid_uri"));
}

TEST(dmarc_record, uri_list_is_capped) {
    std::string rec = "v=DMARC1; p=none; rua=";
    for (int i = 0; i < 100; ++i) rec += "mailto:a" + std::to_string(i) + "@example.com,";
    const auto r = parse_dmarc_record(rec);
    EXPECT_EQ(r.record.rua.size(), 16u);
    EXPECT_TRUE(has_issue(r, "too_many_uris"));
}

TEST(dmarc_record, testing_flag_and_fo_without_ruf) {
    const auto r = parse_dmarc_record("v=DMARC1; p=reject; t=y; fo=1");
    EXPECT_TRUE(r.record.testing);
    EXPECT_TRUE(has_issue(r, "testing"));
    EXPECT_TRUE(has_issue(r, "fo_without_ruf"));
}

TEST(dmarc_record, duplicate_tag_keeps_first) {
    const auto r = parse_dmarc_record("v=DMARC1; p=reject; p=none");
    EXPECT_EQ(r.record.p, policy::reject);
    EXPECT_TRUE(has_issue(r, "duplicate_tag"));
}
