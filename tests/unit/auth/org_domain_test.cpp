// Organizational domains: the PSL way (RFC 7489 §3.2, publicsuffix.org's own test cases) and the
// RFC 9989 §4.10 DNS Tree Walk / §4.10.2 selection / §4.10.1 policy discovery.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "auth/org_domain.hpp"
#include "dns/zone_resolver.hpp"

using namespace dmarcsight;
using namespace dmarcsight::auth;
namespace fs = std::filesystem;

namespace {

// Records every query, answers from a zone.
class recording_resolver : public dns::resolver {
public:
    explicit recording_resolver(dns::zone_resolver& z) : zone_(z) {}
    dns::answer query(std::string_view name, dns::rr_type type) override {
        queries.emplace_back(name);
        return zone_.query(name, type);
    }
    std::vector<std::string> queries;

private:
    dns::zone_resolver& zone_;
};

dns::zone_resolver zone_of(std::string_view text) {
    dns::zone_resolver z;
    auto r = z.load_text(text);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return z;
}

}  // namespace

TEST(psl_suite, publicsuffix_test_psl_txt) {
    const fs::path dir = fs::path(DMARCSIGHT_CORPUS_DIR) / "suites" / "psl-publicsuffix";
    if (!fs::exists(dir / "tests" / "test_psl.txt")) GTEST_SKIP() << "corpus absent: " << dir;
    auto psl = public_suffix_list::load_file((dir / "public_suffix_list.dat").string());
    ASSERT_TRUE(psl.ok()) << psl.err().message;
    std::ifstream in(dir / "tests" / "test_psl.txt");
    const std::regex line_re(R"(^checkPublicSuffix\((null|'([^']*)'),\s*(null|'([^']*)')\);)");
    std::string line;
    int run = 0, passed = 0;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, line_re)) continue;
        ++run;
        const bool null_input = m[1] == "null";
        const std::optional<std::string> expected = m[3] == "null" ? std::nullopt : std::optional<std::string>(m[4]);
        const std::optional<std::string> got = null_input ? std::nullopt : psl->registrable_domain(m[2].str());
        EXPECT_EQ(got, expected) << line;
        if (got == expected) ++passed;
    }
    EXPECT_EQ(run, 78);  // every uncommented checkPublicSuffix line
    EXPECT_EQ(passed, run);
    std::cout << "[psl test_psl.txt] " << passed << "/" << run << " passed\n";
}

TEST(psl, system_list_org_domains) {
    const auto* psl = public_suffix_list::system();
    ASSERT_NE(psl, nullptr);
    EXPECT_EQ(psl_organizational_domain(*psl, "a.b.example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl_organizational_domain(*psl, "Mail.Example.COM."), "example.com");
    EXPECT_EQ(psl_organizational_domain(*psl, "co.uk"), "co.uk");
    EXPECT_TRUE(psl->is_public_suffix("co.uk"));
    EXPECT_FALSE(psl->registrable_domain(".example.com").has_value());
    EXPECT_FALSE(psl->registrable_domain("").has_value());
}

TEST(tree_walk, names_follow_rfc9989_example) {
    // RFC 9989 §4.10: the example's eight queries.
    const auto names = tree_walk_names("a.b.c.d.e.f.g.h.i.j.mail.example.com");
    const std::vector<std::string> expected = {"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com",
                                               "h.i.j.mail.example.com", "i.j.mail.example.com", "j.mail.example.com",
                                               "mail.example.com", "example.com", "com"};
    EXPECT_EQ(names, expected);
    EXPECT_EQ(tree_walk_names("Mail.Example.com.").size(), 3u);
    EXPECT_EQ(tree_walk_names("mail.example.com").front(), "mail.example.com");
    // Exactly 8 labels: 8 → 7 → ... → 1 = 8 queries.
    EXPECT_EQ(tree_walk_names("a.b.c.d.e.f.example.com").size(), 8u);
    EXPECT_EQ(tree_walk_names("a.b.c.d.e.f.example.com")[1], "b.c.d.e.f.example.com");
    // 9 labels: 9 → 7 (skips 8) → ... → 1 = 8 queries.
    const auto nine = tree_walk_names("x.a.b.c.d.e.f.example.com");
    ASSERT_EQ(nine.size(), 8u);
    EXPECT_EQ(nine[1], "b.c.d.e.f.example.com");
    EXPECT_TRUE(tree_walk_names("").empty());
    // A hostile 120-label name still costs at most 8 queries.
    std::string deep;
    for (int i = 0; i < 120; ++i) deep += "a.";
    deep += "example.com";
    EXPECT_EQ(tree_walk_names(deep).size(), 8u);
}

TEST(tree_walk, org_domain_examples_of_rfc9989_4_10_2) {
    // Records at mail.example.com and example.com, none at a.mail / com → example.com.
    auto z1 = zone_of(
        "_dmarc.mail.example.com. TXT \"v=DMARC1; p=reject\"\n"
        "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n");
    recording_resolver r1(z1);
    EXPECT_EQ(organizational_domain(r1, "a.mail.example.com"), "example.com");
    EXPECT_EQ(r1.queries, (std::vector<std::string>{"_dmarc.a.mail.example.com", "_dmarc.mail.example.com",
                                                    "_dmarc.example.com", "_dmarc.com"}));
    // psd=n at mail.example.com → mail.example.com, and the walk stops there.
    auto z2 = zone_of(
        "_dmarc.mail.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n"
        "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n");
    recording_resolver r2(z2);
    EXPECT_EQ(organizational_domain(r2, "a.mail.example.com"), "mail.example.com");
    EXPECT_EQ(r2.queries.size(), 2u);
    // Only _dmarc.com with psd=y → example.com.
    auto z3 = zone_of("_dmarc.com. TXT \"v=DMARC1; p=reject; psd=y\"\n");
    recording_resolver r3(z3);
    EXPECT_EQ(organizational_domain(r3, "a.mail.example.com"), "example.com");
    // Nothing anywhere → the start itself.
    auto z4 = zone_of("other.example. TXT \"x\"\n");
    EXPECT_EQ(organizational_domain(z4, "a.mail.example.com"), "a.mail.example.com");
    // psd=y at the starting point is not "one below" anything: fewest labels rule → itself.
    auto z5 = zone_of("_dmarc.com. TXT \"v=DMARC1; psd=y\"\n");
    EXPECT_EQ(organizational_domain(z5, "com"), "com");
}

TEST(tree_walk, multiple_records_at_a_name_are_discarded) {
    auto z = zone_of(
        "_dmarc.mail.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n"
        "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
        "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
        "_dmarc.example.com. TXT \"some other text\"\n");
    const auto walk = dns_tree_walk(z, "a.mail.example.com");
    ASSERT_EQ(walk.steps.size(), 4u);  // the psd=n record was discarded, so the walk went on
    EXPECT_FALSE(walk.steps[1].found());
    EXPECT_EQ(walk.steps[1].dmarc_texts.size(), 2u);
    EXPECT_TRUE(walk.steps[2].found());
    EXPECT_EQ(walk.steps[2].other_texts.size(), 1u);
    EXPECT_EQ(select_organizational_domain(walk), "example.com");
}

TEST(tree_walk, long_name_uses_the_shortcut_and_stops_at_timeouts) {
    auto z = zone_of("_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n");
    recording_resolver r(z);
    EXPECT_EQ(organizational_domain(r, "a.b.c.d.e.f.g.h.i.j.mail.example.com"), "example.com");
    ASSERT_EQ(r.queries.size(), 8u);
    EXPECT_EQ(r.queries[1], "_dmarc.g.h.i.j.mail.example.com");
    z.add_timeout("_dmarc.mail.example.com");
    const auto walk = dns_tree_walk(z, "x.mail.example.com");
    EXPECT_TRUE(walk.temporary_failure);
    EXPECT_EQ(walk.steps.size(), 2u);
}

TEST(policy_discovery, author_org_and_psd_records) {
    auto z = zone_of(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine; np=none\"\n"
        "_dmarc.own.example.com. TXT \"v=DMARC1; p=none\"\n"
        "_dmarc.psd.example. TXT \"v=DMARC1; p=reject; np=quarantine; psd=y\"\n"
        "_dmarc.brand.psd.example. TXT \"v=DMARC1; p=none\"\n");
    auto d = discover_policy(z, "example.com");
    EXPECT_EQ(d.source, policy_source::author_domain);
    EXPECT_EQ(d.applied_policy, policy::reject);
    EXPECT_EQ(d.applied_tag, "p");
    d = discover_policy(z, "mail.example.com", dmarc_mode::rfc9989, true);
    EXPECT_EQ(d.source, policy_source::organizational_domain);
    EXPECT_EQ(d.policy_domain, "example.com");
    EXPECT_EQ(d.applied_policy, policy::quarantine);
    EXPECT_EQ(d.applied_tag, "sp");
    d = discover_policy(z, "ghost.example.com", dmarc_mode::rfc9989, false);
    EXPECT_EQ(d.applied_policy, policy::none);
    EXPECT_EQ(d.applied_tag, "np");
    d = discover_policy(z, "own.example.com");
    EXPECT_EQ(d.source, policy_source::author_domain);
    EXPECT_EQ(d.organizational_domain, "example.com");
    // Below a PSD (psd=y) with no org record: the PSD's record applies.
    d = discover_policy(z, "x.other.psd.example", dmarc_mode::rfc9989, false);
    EXPECT_EQ(d.source, policy_source::public_suffix_domain);
    EXPECT_EQ(d.organizational_domain, "other.psd.example");
    EXPECT_EQ(d.policy_domain, "psd.example");
    EXPECT_EQ(d.applied_policy, policy::quarantine);
    // brand.psd.example has its own org record: PSD policy is not used (§4.10.1 note).
    d = discover_policy(z, "www.brand.psd.example");
    EXPECT_EQ(d.source, policy_source::organizational_domain);
    EXPECT_EQ(d.policy_domain, "brand.psd.example");
    EXPECT_EQ(d.applied_policy, policy::none);
    // No record anywhere.
    d = discover_policy(z, "nothing.test");
    EXPECT_EQ(d.source, policy_source::none);
    EXPECT_EQ(d.applied(), nullptr);
}

TEST(policy_discovery, rfc7489_mode_uses_the_psl) {
    auto z = zone_of(
        "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject; sp=none\"\n"
        "_dmarc.mail.example.co.uk. TXT \"v=DMARC1; p=quarantine\"\n");
    recording_resolver r(z);
    auto d = discover_policy(r, "a.mail.example.co.uk", dmarc_mode::rfc7489);
    EXPECT_EQ(d.source, policy_source::organizational_domain);
    EXPECT_EQ(d.policy_domain, "example.co.uk");
    EXPECT_EQ(d.applied_policy, policy::none);
    // Exactly two queries: the author domain and the PSL org domain (no tree walk).
    EXPECT_EQ(r.queries, (std::vector<std::string>{"_dmarc.a.mail.example.co.uk", "_dmarc.example.co.uk"}));
    // RFC 9989 mode for the same name: the walk finds both, the fewest-labels rule picks
    // example.co.uk too — but would query _dmarc.co.uk and _dmarc.uk as well.
    recording_resolver r2(z);
    d = discover_policy(r2, "a.mail.example.co.uk");
    EXPECT_EQ(d.policy_domain, "example.co.uk");
    EXPECT_EQ(r2.queries.size(), 5u);
}

TEST(names, label_helpers) {
    EXPECT_EQ(label_count("a.b.c"), 3u);
    EXPECT_EQ(label_count(""), 0u);
    EXPECT_TRUE(is_subdomain_or_self("a.example.com", "example.com"));
    EXPECT_TRUE(is_subdomain_or_self("example.com", "example.com"));
    EXPECT_FALSE(is_subdomain_or_self("badexample.com", "example.com"));
}

TEST(alignment, tree_walk_and_psl_flavours) {
    auto z = zone_of(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
        "_dmarc.dept.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n");
    EXPECT_TRUE(aligned_tree_walk(z, "mail.example.com", "bounce.example.com", alignment_mode::r));
    EXPECT_FALSE(aligned_tree_walk(z, "mail.example.com", "bounce.example.com", alignment_mode::s));
    EXPECT_TRUE(aligned_tree_walk(z, "Mail.Example.com.", "mail.example.com", alignment_mode::s));
    // psd=n makes dept.example.com its own Organizational Domain: not aligned with example.com.
    EXPECT_FALSE(aligned_tree_walk(z, "x.dept.example.com", "example.com", alignment_mode::r));
    EXPECT_TRUE(aligned_tree_walk(z, "x.dept.example.com", "y.dept.example.com", alignment_mode::r));
    const auto* psl = public_suffix_list::system();
    ASSERT_NE(psl, nullptr);
    // The PSL does not know about psd=n: it aligns them.
    EXPECT_TRUE(aligned_psl(*psl, "x.dept.example.com", "example.com", alignment_mode::r));
    EXPECT_FALSE(aligned_psl(*psl, "a.example.co.uk", "b.other.co.uk", alignment_mode::r));
    EXPECT_FALSE(aligned_psl(*psl, "a..example.com", "example.com", alignment_mode::r));
}
