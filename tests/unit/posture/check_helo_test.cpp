// HELO names of authorized sources checked for SPF records of their own (posture/check_helo.hpp).
#include <gtest/gtest.h>

#include "dns/zone_resolver.hpp"
#include "posture/check_helo.hpp"

namespace dmarcsight::posture {
namespace {

TEST(check_helo, names_under_the_domain_without_spf_are_a_warning_others_info) {
    dns::zone_resolver zone;
    ASSERT_TRUE(zone.load_text("$ORIGIN .\n$TTL 300\n"
                               "mx1.example.com. A 192.0.2.1\nmx1.example.com. TXT \"v=spf1 a -all\"\n"
                               "mx2.example.com. A 192.0.2.2\nmx2.example.com. TXT \"google-site-verification=x\"\n"
                               "mx3.example.com. A 192.0.2.3\n"
                               "o1.esp.example. A 198.51.100.1\n"
                               "o2.esp.example. TXT \"V=SPF1 ip4:198.51.100.2 -all\"\n")
                    .ok());
    const auto f = check_helo_names(zone, "example.com",
                                    {"MX1.example.com", "mx2.example.com.", "mx3.example.com", "mx3.example.com", "o1.esp.example",
                                     "o2.esp.example", ""});
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].code, "spf.helo_without_record");
    EXPECT_EQ(f[0].level, severity::warning);
    EXPECT_NE(f[0].message.find("2 HELO name(s)"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].message.find("mx2.example.com, mx3.example.com"), std::string::npos) << f[0].message;
    EXPECT_EQ(f[0].fix, "publish TXT \"v=spf1 a -all\" at each of them");
    EXPECT_EQ(f[1].code, "spf.service_helo_without_record");
    EXPECT_EQ(f[1].level, severity::info);
    EXPECT_NE(f[1].message.find("1 HELO name(s)"), std::string::npos) << f[1].message;
    EXPECT_NE(f[1].message.find("o1.esp.example"), std::string::npos);
}

TEST(check_helo, all_with_spf_is_one_info) {
    dns::zone_resolver zone;
    ASSERT_TRUE(zone.load_text("$ORIGIN .\n$TTL 300\nmx1.example.com. TXT \"v=spf1 a -all\"\n").ok());
    const auto f = check_helo_names(zone, "example.com", {"mx1.example.com"});
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "spf.helo_ok");
    EXPECT_TRUE(check_helo_names(zone, "example.com", {}).empty());
}

}  // namespace
}  // namespace dmarcsight::posture
