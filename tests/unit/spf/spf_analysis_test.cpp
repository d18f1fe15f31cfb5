// analyze_spf(): lookup counts per subtree, the include that crosses 10, voids, IPv4 totals,
// "all" policy, ptr/macros, and permerror findings with their record text.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "auth/spf_analysis.hpp"
#include "dns/zone_resolver.hpp"

namespace dmarcsight::auth {
namespace {

const std::string fixtures = std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/spf/";

class spf_analysis_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto r = zone.load_file(fixtures + "tree.zone");
        ASSERT_TRUE(r.ok()) << r.err().message;
    }
    dns::zone_resolver zone;
};

const spf_problem* find(const spf_analysis& a, spf_problem_code code) {
    auto it = std::find_if(a.problems.begin(), a.problems.end(), [&](const spf_problem& p) { return p.code == code; });
    return it == a.problems.end() ? nullptr : &*it;
}

TEST_F(spf_analysis_test, realistic_tree) {
    const auto a = analyze_spf(zone, "tree.test");
    EXPECT_EQ(a.status, spf_result::neutral);  // usable, no permerror for a non-matching IP
    EXPECT_EQ(a.record, "v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.128/25 include:_spf.esp.tree.test "
                        "include:_spf.crm.tree.test mx -all");
    // include esp, include netblocks, include crm, a:gone, exists, ptr, mx
    EXPECT_EQ(a.lookups, 7U);
    EXPECT_FALSE(a.over_lookup_limit);
    EXPECT_EQ(a.void_lookups, 1U);  // a:gone; exists is dynamic (not looked up), ptr needs an IP
    ASSERT_EQ(a.nodes.size(), 4U);
    EXPECT_EQ(a.nodes[0].subtree_lookups, 7U);
    EXPECT_EQ(a.nodes[0].own_lookups, 1U);  // mx
    EXPECT_EQ(a.nodes[1].domain, "_spf.esp.tree.test");
    EXPECT_EQ(a.nodes[1].subtree_lookups, 2U);
    EXPECT_EQ(a.nodes[3].domain, "_spf.crm.tree.test");
    EXPECT_EQ(a.nodes[3].subtree_lookups, 4U);
    EXPECT_EQ(a.nodes[3].subtree_voids, 1U);
    EXPECT_TRUE(a.nodes[3].dynamic);
    EXPECT_TRUE(a.dynamic);
    EXPECT_TRUE(a.uses_ptr);
    EXPECT_EQ(a.all, spf_all_policy::fail);
    // 192.0.2.0/24 contains 192.0.2.128/25: union 256 + 256 (203.0.113/24) + 256 (198.51.100/24).
    EXPECT_EQ(a.ipv4_addresses_raw, 256U + 128U + 256U + 256U);
    EXPECT_EQ(a.ipv4_addresses, 768U);
    ASSERT_EQ(a.ip6_ranges.size(), 1U);
    EXPECT_EQ(a.ip6_ranges[0].prefix, 32U);
    EXPECT_NE(find(a, spf_problem_code::ptr_used), nullptr);
    EXPECT_NE(find(a, spf_problem_code::dynamic), nullptr);
    const auto* v = find(a, spf_problem_code::void_lookup);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->term, "a:gone.tree.test");
    EXPECT_EQ(v->domain, "_spf.crm.tree.test");
    EXPECT_EQ(find(a, spf_problem_code::too_many_lookups), nullptr);
    // The trace attributes lookups to nodes.
    ASSERT_FALSE(a.trace.empty());
    EXPECT_TRUE(std::any_of(a.trace.begin(), a.trace.end(), [](const spf_lookup& l) {
        return l.visit == 3 && l.name == "gone.tree.test" && l.counted && l.counted_void;
    }));
}

TEST_F(spf_analysis_test, names_the_include_that_crosses_ten) {
    const auto a = analyze_spf(zone, "over.tree.test");
    EXPECT_EQ(a.lookups, 12U);  // a, mx, include:big, 9 × a:
    EXPECT_TRUE(a.over_lookup_limit);
    EXPECT_EQ(a.status, spf_result::permerror);
    EXPECT_EQ(a.limit_crossed_under, "include:big.tree.test");
    EXPECT_EQ(a.limit_crossed_by, "a:mail.tree.test");
    ASSERT_TRUE(a.limit_crossed_at_node.has_value());
    EXPECT_EQ(a.nodes[static_cast<std::size_t>(*a.limit_crossed_at_node)].domain, "big.tree.test");
    const auto* p = find(a, spf_problem_code::too_many_lookups);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->severity, spf_severity::error);
    EXPECT_TRUE(p->breaks_evaluation);
    EXPECT_NE(p->message.find("needs 12"), std::string::npos) << p->message;
    EXPECT_NE(p->message.find("include:big.tree.test = 10"), std::string::npos) << p->message;
    EXPECT_FALSE(p->fix.empty());
    EXPECT_EQ(a.problems.front().severity, spf_severity::error);
}

TEST_F(spf_analysis_test, permerrors_carry_record_text) {
    auto two = analyze_spf(zone, "two-records.tree.test");
    EXPECT_EQ(two.status, spf_result::permerror);
    const auto* m = find(two, spf_problem_code::multiple_records);
    ASSERT_NE(m, nullptr);
    EXPECT_NE(m->record.find("v=spf1 -all"), std::string::npos);
    EXPECT_NE(m->record.find("v=spf1 ~all"), std::string::npos);

    auto syn = analyze_spf(zone, "syntax.tree.test");
    EXPECT_EQ(syn.status, spf_result::permerror);
    const auto* s = find(syn, spf_problem_code::syntax_error);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->record, "v=spf1 ip4:192.0.2.300 -all");
    EXPECT_NE(s->message.find("ip4:192.0.2.300"), std::string::npos) << s->message;

    auto dead = analyze_spf(zone, "dead-include.tree.test");
    EXPECT_EQ(dead.status, spf_result::permerror);
    const auto* d = find(dead, spf_problem_code::include_without_spf);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->term, "include:nowhere.tree.test");
    EXPECT_EQ(d->domain, "dead-include.tree.test");
    EXPECT_EQ(d->record, "v=spf1 include:nowhere.tree.test -all");

    auto loop = analyze_spf(zone, "loop-a.tree.test");
    EXPECT_EQ(loop.status, spf_result::permerror);
    const auto* l = find(loop, spf_problem_code::loop);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->domain, "loop-b.tree.test");
    EXPECT_EQ(l->term, "redirect=loop-a.tree.test");
}

TEST_F(spf_analysis_test, all_policies) {
    auto plus = analyze_spf(zone, "plus-all.tree.test");
    EXPECT_EQ(plus.all, spf_all_policy::pass);
    ASSERT_NE(find(plus, spf_problem_code::pass_all), nullptr);
    EXPECT_EQ(find(plus, spf_problem_code::pass_all)->severity, spf_severity::error);
    auto none = analyze_spf(zone, "no-all.tree.test");
    EXPECT_EQ(none.all, spf_all_policy::missing);
    EXPECT_NE(find(none, spf_problem_code::no_all), nullptr);
    // redirect: the target's all is in force.
    auto red = analyze_spf(zone, "redirected.tree.test");
    EXPECT_EQ(red.all, spf_all_policy::softfail);
    EXPECT_EQ(red.lookups, 2U);  // redirect + include:_netblocks
    EXPECT_EQ(find(red, spf_problem_code::no_all), nullptr);
    auto missing = analyze_spf(zone, "nothing.tree.test");
    EXPECT_EQ(missing.status, spf_result::none);
    EXPECT_NE(find(missing, spf_problem_code::no_record), nullptr);
}

}  // namespace
}  // namespace dmarcsight::auth
