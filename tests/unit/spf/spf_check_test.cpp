// check_host(): RFC 7208 §4.6.4 limit accounting and the lookup trace, on the fixture zones in
// tests/fixtures/spf/.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "auth/spf_check.hpp"
#include "dns/zone_resolver.hpp"

namespace dmarcsight::auth {
namespace {

const std::string fixtures = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/spf/";

class spf_check_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto a = zone.load_file(fixtures + "limits.zone");
        ASSERT_TRUE(a.ok()) << a.err().message;
        auto b = zone.load_file(fixtures + "tree.zone");
        ASSERT_TRUE(b.ok()) << b.err().message;
        zone.add_timeout("slow.limits.test");
    }
    spf_outcome check(std::string_view ip, std::string_view domain) {
        spf_request req;
        req.ip = *ip_address::parse(ip);
        req.sender = "user@" + std::string(domain);
        req.helo = "mta.example.net";
        return check_spf(zone, req);
    }
    dns::zone_resolver zone;
};

std::size_t count_if_trace(const spf_outcome& o, bool (*pred)(const spf_lookup&)) {
    return static_cast<std::size_t>(std::count_if(o.trace.begin(), o.trace.end(), pred));
}

TEST_F(spf_check_test, exactly_ten_terms_is_fine_eleven_is_permerror) {
    auto ten = check("192.0.2.99", "ten.limits.test");
    EXPECT_EQ(ten.result, spf_result::fail) << ten.reason;
    EXPECT_EQ(ten.dns_terms, 10U);
    EXPECT_EQ(count_if_trace(ten, [](const spf_lookup& l) { return l.counted; }), 10U);

    auto eleven = check("192.0.2.99", "eleven.limits.test");
    EXPECT_EQ(eleven.result, spf_result::permerror);
    EXPECT_EQ(eleven.dns_terms, 11U);
    EXPECT_NE(eleven.reason.find("more than 10 DNS-querying terms"), std::string::npos) << eleven.reason;
    // The 11th term was refused before any query: the record's TXT lookup and 10 A lookups.
    EXPECT_EQ(eleven.trace.size(), 11U);

    // Counting happens during evaluation: a match before the 11th term wins.
    auto early = check("192.0.2.200", "eleven-early.limits.test");
    EXPECT_EQ(early.result, spf_result::pass);
    EXPECT_EQ(early.dns_terms, 0U);
}

TEST_F(spf_check_test, budget_is_shared_across_include_and_redirect) {
    auto ten = check("192.0.2.200", "inc-ten.limits.test");
    EXPECT_EQ(ten.result, spf_result::pass) << ten.reason;
    EXPECT_EQ(ten.dns_terms, 10U);
    auto eleven = check("192.0.2.200", "inc-eleven.limits.test");
    EXPECT_EQ(eleven.result, spf_result::permerror);
    EXPECT_EQ(eleven.dns_terms, 11U);

    auto rten = check("192.0.2.99", "redir-ten.limits.test");
    EXPECT_EQ(rten.result, spf_result::fail) << rten.reason;
    EXPECT_EQ(rten.dns_terms, 10U);
    auto releven = check("192.0.2.99", "redir-eleven.limits.test");
    EXPECT_EQ(releven.result, spf_result::permerror);
}

TEST_F(spf_check_test, two_void_lookups_fine_three_permerror) {
    auto two = check("192.0.2.99", "void-two.limits.test");  // one NXDOMAIN + one NODATA
    EXPECT_EQ(two.result, spf_result::fail) << two.reason;
    EXPECT_EQ(two.void_lookups, 2U);
    auto three = check("192.0.2.99", "void-three.limits.test");
    EXPECT_EQ(three.result, spf_result::permerror);
    EXPECT_EQ(three.void_lookups, 3U);
    EXPECT_NE(three.reason.find("void lookups"), std::string::npos) << three.reason;
    auto inc = check("192.0.2.99", "void-inc.limits.test");
    EXPECT_EQ(inc.result, spf_result::permerror);
    EXPECT_EQ(inc.void_lookups, 3U);
}

TEST_F(spf_check_test, mx_address_lookups_are_not_terms_or_voids) {
    // 9 a: terms + 1 mx term = 10; the mx has 10 names (8 of them NXDOMAIN): fine.
    auto ten = check("192.0.2.99", "mx-ten.limits.test");
    EXPECT_EQ(ten.result, spf_result::fail) << ten.reason;
    EXPECT_EQ(ten.dns_terms, 10U);
    EXPECT_EQ(ten.void_lookups, 0U);
    const auto address_lookups = count_if_trace(ten, [](const spf_lookup& l) {
        return l.term == "mx" && l.type == dns::rr_type::a;
    });
    EXPECT_EQ(address_lookups, 10U);
    const auto uncounted_voids = count_if_trace(ten, [](const spf_lookup& l) { return l.is_void && !l.counted_void; });
    EXPECT_EQ(uncounted_voids, 8U);
    // The 10th MX name matches.
    EXPECT_EQ(check("192.0.2.2", "mx-ten.limits.test").result, spf_result::pass);
    // 11 MX records: permerror.
    auto eleven = check("192.0.2.1", "mx-eleven.limits.test");
    EXPECT_EQ(eleven.result, spf_result::permerror);
    EXPECT_NE(eleven.reason.find("11 MX records"), std::string::npos) << eleven.reason;
}

TEST_F(spf_check_test, no_limit_on_a_records) {
    EXPECT_EQ(check("192.0.2.22", "many-a.limits.test").result, spf_result::pass);
    EXPECT_EQ(check("192.0.2.23", "many-a.limits.test").result, spf_result::fail);
}

TEST_F(spf_check_test, dns_failure_is_temperror) {
    auto o = check("192.0.2.99", "tempfail.limits.test");
    EXPECT_EQ(o.result, spf_result::temperror);
    ASSERT_FALSE(o.trace.empty());
    EXPECT_EQ(o.trace.back().status, dns::rcode::timeout);
}

TEST_F(spf_check_test, none_for_missing_or_malformed_domains) {
    EXPECT_EQ(check("192.0.2.99", "txtonly.limits.test").result, spf_result::none);
    EXPECT_EQ(check("192.0.2.99", "nothing-here.limits.test").result, spf_result::none);
    EXPECT_EQ(check("192.0.2.99", "singlelabel").result, spf_result::none);
    EXPECT_EQ(check("192.0.2.99", "a..b.limits.test").result, spf_result::none);
    EXPECT_EQ(check("192.0.2.99", std::string(64, 'x') + ".limits.test").result, spf_result::none);
}

TEST_F(spf_check_test, trace_attributes_lookups_to_includes) {
    // 203.0.113.9 is in _spf.esp's ip4; the evaluation stops there.
    auto o = check("198.51.100.9", "tree.test");
    EXPECT_EQ(o.result, spf_result::pass) << o.reason;
    // The deciding term of the top-level record.
    EXPECT_EQ(o.matched_term, "include:_spf.esp.tree.test");
    EXPECT_EQ(o.matched_domain, "tree.test");
    ASSERT_EQ(o.visits.size(), 3U);
    EXPECT_EQ(o.visits[0].domain, "tree.test");
    EXPECT_EQ(o.visits[0].via, spf_edge::top);
    EXPECT_EQ(o.visits[1].domain, "_spf.esp.tree.test");
    EXPECT_EQ(o.visits[1].parent, 0);
    EXPECT_EQ(o.visits[1].via, spf_edge::include);
    EXPECT_EQ(o.visits[1].term, "include:_spf.esp.tree.test");
    EXPECT_EQ(o.visits[2].parent, 1);
    EXPECT_EQ(o.visits[2].depth, 2);
    EXPECT_EQ(o.visits[2].record, "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 ?all");
    ASSERT_EQ(o.trace.size(), 3U);  // three TXT lookups
    EXPECT_FALSE(o.trace[0].counted);  // the top record lookup is not a term
    EXPECT_EQ(o.trace[1].visit, 1);
    EXPECT_TRUE(o.trace[1].counted);
    EXPECT_EQ(o.trace[2].visit, 2);
    EXPECT_EQ(o.trace[2].term, "include:_netblocks.esp.tree.test");
    EXPECT_EQ(o.dns_terms, 2U);

    // A non-matching IP walks everything: the crm include has a void a:, a dynamic exists and ptr.
    auto all = check("100.64.0.99", "tree.test");
    EXPECT_EQ(all.result, spf_result::fail) << all.reason;
    EXPECT_EQ(all.dns_terms, 7U);  // include esp, include netblocks, include crm, a, exists, ptr, mx
    EXPECT_EQ(all.void_lookups, 2U);  // a:gone and exists:%{i}... (both NXDOMAIN); the PTR exists
}

TEST_F(spf_check_test, explanation_only_on_fail) {
    dns::zone_resolver z;
    ASSERT_TRUE(z.load_text("$ORIGIN exp.test.\n"
                            "@ TXT \"v=spf1 ip4:192.0.2.1 -all exp=why.%{d}\"\n"
                            "soft TXT \"v=spf1 ~all exp=why.exp.test\"\n"
                            "why TXT \"%{i} is not one of %{d}'s servers\"\n")
                    .ok());
    spf_request req;
    req.ip = *ip_address::parse("192.0.2.9");
    req.sender = "a@exp.test";
    auto o = check_spf(z, req);
    EXPECT_EQ(o.result, spf_result::fail);
    EXPECT_EQ(o.explanation, "192.0.2.9 is not one of exp.test's servers");
    // The exp= lookup is neither a term nor a void lookup.
    EXPECT_EQ(o.dns_terms, 0U);
    req.ip = *ip_address::parse("192.0.2.1");
    EXPECT_EQ(check_spf(z, req).explanation, "");
    req.sender = "a@soft.exp.test";
    auto s = check_spf(z, req);
    EXPECT_EQ(s.result, spf_result::softfail);
    EXPECT_EQ(s.explanation, "");
}

TEST_F(spf_check_test, null_sender_uses_helo) {
    dns::zone_resolver z;
    ASSERT_TRUE(z.load_text("mta.example.net. TXT \"v=spf1 ip4:192.0.2.5 -all\"\n").ok());
    spf_request req;
    req.ip = *ip_address::parse("192.0.2.5");
    req.helo = "mta.example.net";
    auto o = check_spf(z, req);
    EXPECT_EQ(o.result, spf_result::pass);
    EXPECT_EQ(o.domain, "mta.example.net");
}

}  // namespace
}  // namespace dmarcsight::auth
