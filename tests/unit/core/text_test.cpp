#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <vector>

#include "core/ip_address.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

using namespace dmarcsight;

TEST(text, repair_utf8_replaces_each_bad_byte) {
    std::string s = "Evil\xff\xfe Org \xc3\x28 \xed\xa0\x80";
    EXPECT_TRUE(text::repair_utf8(s));
    EXPECT_TRUE(text::is_valid_utf8(s));
    EXPECT_EQ(s, "Evil\xEF\xBF\xBD\xEF\xBF\xBD Org \xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(text, windows1252_maps_c1_range) {
    EXPECT_EQ(text::latin1_to_utf8("\x80 \xe9", true), "\xE2\x82\xAC \xC3\xA9");
    EXPECT_EQ(text::latin1_to_utf8("\x80", false), "\xC2\x80");
}

TEST(text, terminal_escapes_controls_and_cuts) {
    EXPECT_EQ(text::for_terminal("a\x1b[31mb"), "a\\x1b[31mb");
    EXPECT_EQ(text::for_terminal("abcdef", 3), "abc...");
    EXPECT_EQ(text::for_terminal("\xC2\x9B"), "\\u009b");
}

TEST(text, csv_neutralises_formulas) {
    EXPECT_EQ(text::csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    EXPECT_EQ(text::csv_cell("a,b"), "\"a,b\"");
    EXPECT_EQ(text::csv_cell("-5"), "'-5");
    EXPECT_EQ(text::csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(text, normalize_domain) { EXPECT_EQ(text::normalize_domain(" Example.COM. "), "example.com"); }

TEST(ip, parse_and_normalise) {
    EXPECT_EQ(ip_address::parse("192.0.2.10")->to_string(), "192.0.2.10");
    EXPECT_EQ(ip_address::parse("::ffff:1.2.3.4")->to_string(), "1.2.3.4");
    EXPECT_EQ(ip_address::parse("2001:DB8::1")->to_string(), "2001:db8::1");
    EXPECT_FALSE(ip_address::parse("999.1.1.1"));
    EXPECT_FALSE(ip_address::parse("1.2.3.4/24"));
    EXPECT_FALSE(ip_address::parse(""));
    EXPECT_FALSE(ip_address::parse("fe80::1%eth0"));
}

// Our IPv6 text must be glibc's inet_ntop text byte for byte (stored facts and the enrichment
// cache are keyed by it): every shape of zero runs, the dotted tails, and random addresses.
TEST(ip, v6_text_is_inet_ntop_text) {
    std::vector<std::array<std::uint8_t, 16>> cases;
    const auto words = [](std::initializer_list<unsigned> ws) {
        std::array<std::uint8_t, 16> b{};
        std::size_t i = 0;
        for (unsigned w : ws) {
            b[i++] = static_cast<std::uint8_t>(w >> 8);
            b[i++] = static_cast<std::uint8_t>(w);
        }
        return b;
    };
    cases.push_back(words({0, 0, 0, 0, 0, 0, 0, 0}));
    cases.push_back(words({0, 0, 0, 0, 0, 0, 0, 1}));
    cases.push_back(words({0, 0, 0, 0, 0, 0, 0xc000, 0x0201}));       // ::192.0.2.1
    cases.push_back(words({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201}));  // ::ffff:192.0.2.1
    cases.push_back(words({0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x0201}));
    cases.push_back(words({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}));        // equal runs: the first
    cases.push_back(words({0x2001, 0xdb8, 0, 1, 0, 0, 0, 1}));        // the longer second
    cases.push_back(words({0x2001, 0, 0xdb8, 0, 0x1, 0, 0xab, 0}));   // single zeros stay
    cases.push_back(words({1, 0, 0, 0, 0, 0, 0, 0}));
    cases.push_back(words({0xfe80, 0, 0, 0, 0x0202, 0xb3ff, 0xfe1e, 0x8329}));
    cases.push_back(words({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff}));
    cases.push_back(words({0, 0, 0, 0, 0, 0, 1, 0}));
    cases.push_back(words({0, 0, 0, 0, 0, 0, 0, 0x100}));
    std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int n = 0; n < 20000; ++n) {
        std::array<std::uint8_t, 16> b{};
        for (auto& x : b) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Many zero bytes, so zero groups and runs of every length come up.
            x = (seed % 3 == 0) ? static_cast<std::uint8_t>(seed >> 24) : 0;
        }
        cases.push_back(b);
    }
    for (const auto& b : cases) {
        ip_address a;
        a.fam = ip_address::family::v6;
        a.bytes = b;
        char want[INET6_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET6, b.data(), want, sizeof want), nullptr);
        ASSERT_EQ(a.to_string(), want);
    }
}

TEST(ip, prefix_match) {
    const auto a = *ip_address::parse("192.0.2.130");
    EXPECT_TRUE(a.in_prefix(*ip_address::parse("192.0.2.128"), 25));
    EXPECT_FALSE(a.in_prefix(*ip_address::parse("192.0.2.0"), 25));
    EXPECT_TRUE(a.in_prefix(*ip_address::parse("10.0.0.0"), 0));
    EXPECT_FALSE(a.in_prefix(*ip_address::parse("::"), 0));
}

TEST(time, format_extremes) {
    EXPECT_EQ(utc::format_datetime(0), "1970-01-01 00:00:00");
    EXPECT_EQ(utc::format_datetime(253402300799), "9999-12-31 23:59:59");
    EXPECT_EQ(utc::format_date(1700006400), "2023-11-15");
    EXPECT_EQ(utc::format_datetime(-1), "1969-12-31 23:59:59");
}

TEST(time, parse_user_time) {
    EXPECT_EQ(utc::parse_user_time("2023-11-15", 0), 1700006400);
    EXPECT_EQ(utc::parse_user_time("2023-11-15T00:00:01Z", 0), 1700006401);
    EXPECT_EQ(utc::parse_user_time("2023-11-15 00:01", 0), 1700006460);
    EXPECT_FALSE(utc::parse_user_time("2023-02-31", 0));
    EXPECT_FALSE(utc::parse_user_time("yesterday", 0));
}
