// The classification rules, one by one, on sources built as real traffic looks (shares as in
// ../shared/scenario/README.md and real reports), and the inventory's grouping.
#include <gtest/gtest.h>

#include "analyze/classify.hpp"
#include "analyze/sources.hpp"

using namespace dmarcsight;
using analyze::source_class;

namespace {

analyze::source_summary source(std::int64_t n) {
    analyze::source_summary s;
    s.policy_domain = "example.com";
    s.source_ip = "192.0.2.10";
    s.m.messages = n;
    s.first_day = analyze::compact_day::of("2026-10-01");
    s.last_day = analyze::compact_day::of("2026-10-14");
    return s;
}

store::ip_info confirmed(const std::string& ptr) {
    store::ip_info i;
    i.ip = "192.0.2.10";
    i.ptr = ptr;
    i.fcrdns = true;
    i.status = "ok";
    return i;
}

struct directory final : analyze::service_directory {
    analyze::service_info esp{"SendGrid", "esp", "", {"sendgrid.net"}};
    analyze::service_info crm{"Salesforce", "crm", "create a DKIM key for {domain} in Setup", {"_spf.salesforce.com"}};
    analyze::service_info list{"Groups.io", "mailing_list", "", {}};
    analyze::service_info fwd{"GMX", "forwarder", "", {}};
    const analyze::service_info* by_ptr(std::string_view p) const override {
        if (p.ends_with("sendgrid.net")) return &esp;
        if (p.ends_with("salesforce.com")) return &crm;
        if (p.ends_with("groups.io")) return &list;
        if (p.ends_with("gmx.net")) return &fwd;
        return nullptr;
    }
    const analyze::service_info* by_domain(std::string_view d) const override {
        if (d.ends_with("salesforce.com")) return &crm;
        if (d.ends_with("sendgrid.net")) return &esp;
        return nullptr;
    }
};

analyze::classification run(const analyze::source_summary& s, const store::ip_info* ip, const directory* dir = nullptr) {
    return analyze::classify(s, analyze::find_service(s, ip, dir));
}

}  // namespace

TEST(classify, own_server_under_the_domain_is_authorized) {
    auto s = source(1000);
    s.m.dmarc_pass = s.m.spf_aligned = s.m.dkim_aligned = 995;
    s.m.envelope_aligned = 1000;
    const auto ip = confirmed("mx1.example.com");
    const auto c = run(s, &ip);
    EXPECT_EQ(c.cls, source_class::authorized);
    EXPECT_NE(c.reason.find("mx1.example.com"), std::string::npos);
    EXPECT_TRUE(c.fix.empty());
}

TEST(classify, esp_host_failing_dkim_is_authorized_failing_with_the_mechanism) {
    auto s = source(18723);
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 16778;
    s.m.dkim_aligned_fail = 18723 - 16778;
    s.m.spf_pass = s.m.spf_pass_foreign = 18723;
    s.foreign_spf_domain = "sendgrid.net";
    directory dir;
    const auto ip = confirmed("o1.ptr.sendgrid.net");
    const auto c = run(s, &ip, &dir);
    EXPECT_EQ(c.cls, source_class::authorized_failing);
    EXPECT_EQ(c.failing_mechanism, "dkim");
    EXPECT_EQ(c.fix.rfind("dkim:", 0), 0u);
    // At 2% it is still authorized; above, failing.
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 18723 - 374;
    EXPECT_EQ(run(s, &ip, &dir).cls, source_class::authorized);
}

TEST(classify, spf_only_sender_failing_spf_names_spf) {
    auto s = source(1000);
    s.m.dmarc_pass = s.m.spf_aligned = 900;
    s.m.envelope_aligned = 1000;
    s.m.spf_fail = 100;
    const auto ip = confirmed("mail.hosting.example");
    const auto c = run(s, &ip);
    EXPECT_EQ(c.cls, source_class::authorized_failing);
    EXPECT_EQ(c.failing_mechanism, "spf");
}

TEST(classify, forwarder_keeps_the_envelope_and_dkim) {
    auto s = source(1628);
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 1366;
    s.m.envelope_aligned = 1628;
    s.m.spf_fail = 1628;
    const auto ip = confirmed("fwd6.alumni.university.example");
    EXPECT_EQ(run(s, &ip).cls, source_class::forwarded);
    // Even with most DKIM broken, receivers' forwarded/arc=pass reasons say so.
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 100;
    s.m.reason_arc_pass = 1200;
    EXPECT_EQ(run(s, &ip).cls, source_class::forwarded);
}

TEST(classify, mailing_list_breaks_dkim_and_uses_its_own_envelope) {
    auto s = source(1233);
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 37;
    s.m.dkim_aligned_fail = 1196;
    s.m.spf_pass = s.m.spf_pass_foreign = 1233;
    s.m.dkim_foreign_pass = 1100;
    s.foreign_spf_domain = "lists.example.org";
    const auto ip = confirmed("mail8.lists.example.org");
    const auto c = run(s, &ip);
    EXPECT_EQ(c.cls, source_class::mailing_list);
    EXPECT_NE(c.reason.find("lists.example.org"), std::string::npos);
}

TEST(classify, arc_pass_from_a_list_is_still_a_list) {
    // Gmail says local_policy arc=pass for lists as well as forwarders: the envelope decides.
    auto s = source(243);
    s.m.dmarc_pass = s.m.dkim_aligned = s.m.dkim_aligned_pass = 9;
    s.m.dkim_aligned_fail = 100;
    s.m.spf_pass = s.m.spf_pass_foreign = 243;
    s.m.reason_local_policy = s.m.reason_arc_pass = 139;
    s.foreign_spf_domain = "vger.kernel.org";
    const auto ip = confirmed("subspace.kernel.org");
    EXPECT_EQ(run(s, &ip).cls, source_class::mailing_list);
    // The same reasons with the envelope kept in the domain: a forwarder.
    s.m.spf_pass_foreign = 0;
    s.m.envelope_aligned = 243;
    s.m.spf_fail = 243;
    s.foreign_spf_domain.clear();
    EXPECT_EQ(run(s, &ip).cls, source_class::forwarded);
}

TEST(classify, known_service_not_set_up_is_third_party_unaligned_with_its_fix) {
    auto s = source(4673);
    s.m.spf_pass = s.m.spf_pass_foreign = 4673;
    s.m.dkim_foreign_pass = 4673;
    s.foreign_spf_domain = "bnc.salesforce.com";
    s.foreign_dkim_domain = "salesforce.com";
    directory dir;
    const auto ip = confirmed("smtp26-ia4-sp3.mta.salesforce.com");
    const auto c = run(s, &ip, &dir);
    EXPECT_EQ(c.cls, source_class::third_party_unaligned);
    EXPECT_EQ(c.fix, "create a DKIM key for example.com in Setup");
    // Offline (no reverse DNS), the bounce domain still names the service.
    EXPECT_EQ(run(s, nullptr, &dir).cls, source_class::third_party_unaligned);
    // An unknown host whose own domain is the one SPF passes for: a service we do not know yet.
    s.foreign_spf_domain = "bounces.newsender.example";
    s.foreign_dkim_domain.clear();
    const auto other = confirmed("out3.newsender.example");
    EXPECT_EQ(run(s, &other, &dir).cls, source_class::third_party_unaligned);
    // Offline and unknown: the data cannot decide.
    EXPECT_EQ(run(s, nullptr, &dir).cls, source_class::unknown);
}

TEST(classify, spoofer_without_confirmed_ptr) {
    auto s = source(17);
    s.m.spf_fail = 17;
    s.m.dkim_none = 17;
    s.foreign_spf_domain = "xk2j.example-throwaway.top";
    store::ip_info ip;
    ip.ip = s.source_ip;
    ip.ptr = "179-105-13-238.user.example-net.com.br";
    ip.fcrdns = false;
    ip.status = "ok";
    ip.asn = 64500;
    ip.country = "BR";
    const auto c = run(s, &ip);
    EXPECT_EQ(c.cls, source_class::spoofing);
    EXPECT_NE(c.reason.find("BR"), std::string::npos);
    EXPECT_EQ(run(s, nullptr).cls, source_class::spoofing);
    EXPECT_FALSE(run(s, nullptr).certain);
    // A failed lookup is not evidence of "no PTR".
    ip.status = "error";
    EXPECT_FALSE(run(s, &ip).certain);
}

TEST(classify, labels_win_and_match_cidrs_and_services) {
    auto s = source(10);
    store::label_row l;
    l.policy_domain = "example.com";
    l.source = "192.0.2.0/24";
    l.cls = "authorized";
    l.note = "our branch office";
    EXPECT_TRUE(analyze::label_matches(l, s, nullptr));
    l.source = "192.0.3.0/24";
    EXPECT_FALSE(analyze::label_matches(l, s, nullptr));
    l.source = "192.0.2.10";
    EXPECT_TRUE(analyze::label_matches(l, s, nullptr));
    l.policy_domain = "other.example";
    EXPECT_FALSE(analyze::label_matches(l, s, nullptr));
    l.policy_domain = "example.com";
    analyze::source_evidence e;
    e.label = &l;
    const auto c = analyze::classify(s, e);
    EXPECT_EQ(c.cls, source_class::authorized);
    EXPECT_NE(c.reason.find("our branch office"), std::string::npos);
    store::label_row by_service;
    by_service.policy_domain = "example.com";
    by_service.service = "sendgrid";
    analyze::service_info sg{"SendGrid", "esp", "", {}};
    EXPECT_TRUE(analyze::label_matches(by_service, s, &sg));
}

TEST(classify, no_messages_is_unknown) { EXPECT_EQ(run(source(0), nullptr).cls, source_class::unknown); }

TEST(group_rows, one_row_per_service_with_counts_and_samples) {
    std::vector<analyze::source_row> rows;
    const analyze::service_info sendgrid{"SendGrid", "esp", "", {}};
    for (int i = 0; i < 40; ++i) {
        analyze::source_row r;
        r.s = source(100 + i);
        r.s.source_ip = "198.51.100." + std::to_string(i);
        r.service = &sendgrid;
        r.c.cls = source_class::authorized;
        rows.push_back(r);
    }
    analyze::source_row lone;
    lone.s = source(5);
    rows.push_back(lone);
    auto g = analyze::group_rows(rows, analyze::group_by::service);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].source_ips, 40);
    EXPECT_EQ(g[0].s.m.messages, 40 * 100 + 39 * 40 / 2);
    EXPECT_EQ(g[0].sample_ips.size(), analyze::max_sample_ips);
    EXPECT_EQ(g[0].sample_ips[0], "198.51.100.39");  // largest first
    EXPECT_EQ(g[1].source_ips, 1);
}

TEST(group_rows, one_row_per_country_and_one_for_no_country) {
    std::vector<analyze::source_row> rows;
    const auto add = [&](const std::string& ip, std::int64_t messages, const char* country) {
        analyze::source_row r;
        r.s = source(messages);
        r.s.source_ip = ip;
        if (country) {
            r.ip.emplace();
            r.ip->ip = ip;
            r.ip->country = country;
        }
        r.c.cls = source_class::spoofing;
        rows.push_back(r);
    };
    add("192.0.2.1", 10, "DE");
    add("192.0.2.2", 30, "US");
    add("192.0.2.3", 5, "DE");
    add("192.0.2.4", 7, nullptr);  // not enriched
    add("192.0.2.5", 2, "");       // enriched, no country known
    const auto g = analyze::group_rows(rows, analyze::group_by::country);
    ASSERT_EQ(g.size(), 3u);
    EXPECT_EQ(g[0].ip->country, "US");
    EXPECT_EQ(g[0].s.m.messages, 30);
    EXPECT_EQ(g[1].ip->country, "DE");
    EXPECT_EQ(g[1].s.m.messages, 15);
    EXPECT_EQ(g[1].source_ips, 2);
    EXPECT_FALSE(g[2].ip);  // the largest of the two without a country: not enriched
    EXPECT_EQ(g[2].s.m.messages, 9);
    EXPECT_EQ(g[2].source_ips, 2);
}
