// dns::to_ascii_name: IDNA2008 (libidn2) U-label → A-label for lookups, and back for display.
#include <gtest/gtest.h>

#include "dns/idn.hpp"

using namespace dmarcsight::dns;

TEST(dns_idn, u_labels_become_a_labels) {
    auto b = to_ascii_name("bücher.example");
    ASSERT_TRUE(b.ok()) << b.err().message;
    EXPECT_EQ(b->ascii, "xn--bcher-kva.example");
    EXPECT_EQ(b->unicode, "bücher.example");
    EXPECT_TRUE(b->is_idn());
    auto j = to_ascii_name("例え.jp");
    ASSERT_TRUE(j.ok()) << j.err().message;
    EXPECT_EQ(j->ascii, "xn--r8jz45g.jp");
    EXPECT_EQ(j->unicode, "例え.jp");
}

TEST(dns_idn, mapping_case_trailing_dot_and_non_transitional_sharp_s) {
    // UTS #46 mapping: upper case folds; the trailing dot goes; "ß" stays "ß" (non-transitional,
    // IDNA2008), it is not turned into "ss" as IDNA2003 did.
    auto b = to_ascii_name("  Bücher.EXAMPLE. ");
    ASSERT_TRUE(b.ok()) << b.err().message;
    EXPECT_EQ(b->ascii, "xn--bcher-kva.example");
    EXPECT_EQ(b->unicode, "bücher.example");
    auto s = to_ascii_name("straße.example");
    ASSERT_TRUE(s.ok()) << s.err().message;
    EXPECT_EQ(s->ascii, "xn--strae-oqa.example");
    // NFC: "u" + combining diaeresis is the same name as "ü".
    auto nfd = to_ascii_name("bu\xCC\x88" "cher.example");
    ASSERT_TRUE(nfd.ok()) << nfd.err().message;
    EXPECT_EQ(nfd->ascii, "xn--bcher-kva.example");
}

TEST(dns_idn, a_labels_are_checked_and_shown_in_unicode) {
    auto a = to_ascii_name("XN--BCHER-KVA.example");
    ASSERT_TRUE(a.ok()) << a.err().message;
    EXPECT_EQ(a->ascii, "xn--bcher-kva.example");
    EXPECT_EQ(a->unicode, "bücher.example");
    EXPECT_FALSE(to_ascii_name("xn--zz.example").ok());        // not Punycode of a valid U-label
    EXPECT_FALSE(to_ascii_name("xn--bcher-kva-.example").ok());  // a broken A-label
}

TEST(dns_idn, plain_ascii_names_pass_unchanged) {
    auto p = to_ascii_name("Example.COM.");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->ascii, "example.com");
    EXPECT_EQ(p->unicode, "example.com");
    EXPECT_FALSE(p->is_idn());
    // Not host names, yet DNS names: left to the caller's own checks.
    EXPECT_EQ(to_ascii_name("_dmarc.example.com")->ascii, "_dmarc.example.com");
}

TEST(dns_idn, invalid_names_are_refused_with_the_reason) {
    auto snow = to_ascii_name("mail☃.example");
    ASSERT_FALSE(snow.ok());
    EXPECT_EQ(snow.err().message,
              "\"mail☃.example\" is not a valid internationalised domain name: string contains a disallowed character");
    EXPECT_FALSE(to_ascii_name("\xCC\x88" "a.example").ok());  // leading combining mark
    EXPECT_FALSE(to_ascii_name("b\xFF" "cher.example").ok());  // not UTF-8
    EXPECT_NE(to_ascii_name("b\xFF" "cher.example").err().message.find("not valid UTF-8"), std::string::npos);
    // 60 × "ü" encodes to more than 63 octets in one label.
    std::string long_label;
    for (int i = 0; i < 60; ++i) long_label += "ü";
    EXPECT_FALSE(to_ascii_name(long_label + ".example").ok());
}
