// SMTP TLS reports analysed (RFC 8460 §4): per policy domain and MX set, sessions, failure share
// and result types, with the domain filter and counts that never wrap.
#include <gtest/gtest.h>

#include <limits>

#include "analyze/tls.hpp"

using namespace dmarcsight;

namespace {

report::tls_policy policy(std::string domain, std::string type, std::vector<std::string> mx, std::int64_t ok, std::int64_t failed,
                          std::vector<std::pair<std::string, std::int64_t>> details = {}) {
    report::tls_policy p;
    p.policy_domain = std::move(domain);
    p.policy_type = std::move(type);
    p.mx_host = std::move(mx);
    p.total_successful_session_count = ok;
    p.total_failure_session_count = failed;
    for (auto& [t, n] : details) {
        report::tls_failure_detail d;
        d.result_type = t;
        d.failed_session_count = n;
        p.failure_details.push_back(d);
    }
    return p;
}

store::stored_tls_report stored(std::vector<report::tls_policy> policies) {
    store::stored_tls_report r;
    r.report.organization_name = "Receiver";
    r.report.policies = std::move(policies);
    return r;
}

const analyze::tls_domain_row* domain(const analyze::tls_overview& o, const std::string& name) {
    for (const auto& d : o.domains)
        if (d.policy_domain == name) return &d;
    return nullptr;
}

}  // namespace

TEST(tls_analysis, sums_sessions_per_domain_and_mx_set_with_result_types_most_first) {
    analyze::tls_accumulator acc(store::query_filter{});
    // The MX set is one key whatever order a report lists it in (erratum 6241 arrays).
    acc.add(stored({policy("example.com", "sts", {"mx2.example.com", "mx1.example.com"}, 900, 100,
                           {{"certificate-expired", 60}, {"starttls-not-supported", 40}}),
                    policy("example.net", "no-policy-found", {}, 50, 0)}));
    acc.add(stored({policy("example.com", "sts", {"mx1.example.com", "mx2.example.com"}, 1000, 0),
                    policy("example.com", "tlsa", {"mx3.example.com"}, 0, 50, {{"dane-required", 20}, {"starttls-not-supported", 30}})}));
    const auto o = acc.result();
    EXPECT_EQ(o.reports, 2);
    EXPECT_EQ(o.sessions.successful, 1950);
    EXPECT_EQ(o.sessions.failed, 150);
    ASSERT_EQ(o.sessions.result_types.size(), 3u);
    // 70 starttls-not-supported, 60 certificate-expired, 20 dane-required.
    EXPECT_EQ(o.sessions.result_types[0].result_type, "starttls-not-supported");
    EXPECT_EQ(o.sessions.result_types[0].sessions, 70);
    EXPECT_EQ(o.sessions.result_types[1].result_type, "certificate-expired");
    EXPECT_EQ(o.sessions.result_types[2].result_type, "dane-required");
    EXPECT_NEAR(o.sessions.failure_share(), 150.0 / 2100.0, 1e-12);

    ASSERT_EQ(o.domains.size(), 2u);
    EXPECT_EQ(o.domains[0].policy_domain, "example.com");  // by name
    const auto* com = domain(o, "example.com");
    ASSERT_NE(com, nullptr);
    EXPECT_EQ(com->reports, 2);  // two policies in one report count that report once
    EXPECT_EQ(com->policies, 3);
    EXPECT_EQ(com->policy_types, (std::vector<std::string>{"sts", "tlsa"}));
    EXPECT_EQ(com->sessions.successful, 1900);
    EXPECT_EQ(com->sessions.failed, 150);
    ASSERT_EQ(com->mx_hosts.size(), 2u);
    EXPECT_EQ(com->mx_hosts[0].mx_host, "mx1.example.com, mx2.example.com");
    EXPECT_EQ(com->mx_hosts[0].policies, 2);
    EXPECT_EQ(com->mx_hosts[0].sessions.successful, 1900);
    EXPECT_EQ(com->mx_hosts[0].sessions.failed, 100);
    EXPECT_NEAR(com->mx_hosts[0].sessions.failure_share(), 0.05, 1e-12);
    EXPECT_EQ(com->mx_hosts[1].mx_host, "mx3.example.com");
    EXPECT_DOUBLE_EQ(com->mx_hosts[1].sessions.failure_share(), 1.0);
    const auto* net = domain(o, "example.net");
    ASSERT_NE(net, nullptr);
    ASSERT_EQ(net->mx_hosts.size(), 1u);
    EXPECT_EQ(net->mx_hosts[0].mx_host, "");  // no mx-host: one row without a name
    EXPECT_TRUE(net->sessions.result_types.empty());
    EXPECT_DOUBLE_EQ(net->sessions.failure_share(), 0.0);
}

TEST(tls_analysis, domain_filter_selects_the_domain_and_with_subdomains_its_children_only) {
    store::query_filter exact;
    exact.domain = "example.com";
    EXPECT_TRUE(analyze::tls_domain_selected(exact, "example.com"));
    EXPECT_FALSE(analyze::tls_domain_selected(exact, "mail.example.com"));
    store::query_filter subs = exact;
    subs.include_subdomains = true;
    EXPECT_TRUE(analyze::tls_domain_selected(subs, "mail.example.com"));
    EXPECT_FALSE(analyze::tls_domain_selected(subs, "badexample.com"));  // a suffix, not a subdomain
    EXPECT_FALSE(analyze::tls_domain_selected(subs, "example.com.evil"));
    EXPECT_TRUE(analyze::tls_domain_selected(store::query_filter{}, ""));

    analyze::tls_accumulator acc(subs);
    acc.add(stored({policy("mail.example.com", "sts", {"mx.example.com"}, 10, 1)}));
    acc.add(stored({policy("badexample.com", "sts", {"mx.badexample.com"}, 99, 99)}));  // nothing selected
    const auto o = acc.result();
    EXPECT_EQ(o.reports, 1);  // a report with no selected policy is not counted
    ASSERT_EQ(o.domains.size(), 1u);
    EXPECT_EQ(o.domains[0].policy_domain, "mail.example.com");
    EXPECT_EQ(o.sessions.successful, 10);
    EXPECT_EQ(o.sessions.failed, 1);
}

TEST(tls_analysis, session_sums_saturate_instead_of_wrapping) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    analyze::tls_accumulator acc(store::query_filter{});
    for (int i = 0; i < 3; ++i) acc.add(stored({policy("example.com", "sts", {}, max / 2, max / 2, {{"validation-failure", max / 2}})}));
    const auto o = acc.result();
    EXPECT_EQ(o.sessions.successful, max);
    EXPECT_EQ(o.sessions.failed, max);
    ASSERT_EQ(o.sessions.result_types.size(), 1u);
    EXPECT_EQ(o.sessions.result_types[0].sessions, max);
    EXPECT_GE(o.sessions.failure_share(), 0.0);
    EXPECT_LE(o.sessions.failure_share(), 1.0);
}
