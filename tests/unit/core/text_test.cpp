#include <gtest/gtest.h>

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
