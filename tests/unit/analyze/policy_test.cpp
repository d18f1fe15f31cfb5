// The policy simulation's pure parts (analyze/policy.hpp): pct, t=y, sp/np, overrides, verdict
// boundaries at 1%, the staged path, failure-report planning; and, on both store drivers, the
// loading: strict alignment recomputed from the records, the published policy and the receivers'
// schema from the reports' headers.
#include <gtest/gtest.h>

#include "analyze/policy.hpp"
#include "analyze/policy_whatif.hpp"
#include "dns/zone_resolver.hpp"
#include "support/store_drivers.hpp"

namespace dmarcsight {
namespace {

using analyze::candidate_policy;
using analyze::policy_action;
using analyze::policy_group;
using analyze::policy_inputs;
using analyze::source_class;

// A domain with one legitimate source (10.0.0.1) and one spoofer (10.0.0.9).
policy_inputs two_sources(std::int64_t legit_messages, std::int64_t legit_pass, std::int64_t spoof_messages) {
    policy_inputs in;
    in.domain = "example.com";
    in.groups.push_back({"10.0.0.1", "example.com", legit_messages, legit_pass, 0});
    in.groups.push_back({"10.0.0.9", "example.com", spoof_messages, 0, 0});
    in.sources["10.0.0.1"] = {source_class::authorized_failing, "SendGrid", "dkim: sign with d=example.com"};
    in.sources["10.0.0.9"] = {source_class::spoofing, "", ""};
    in.receivers.rfc7489_messages = 1;  // every receiver follows RFC 7489 unless a test says otherwise
    return in;
}

candidate_policy policy(policy_action p) {
    candidate_policy c;
    c.p = p;
    return c;
}

TEST(policy_simulate, worst_case_counts_failing_mail_and_splits_legitimate_from_spoofing) {
    const auto in = two_sources(1000, 900, 300);
    const auto s = analyze::simulate(in, policy(policy_action::reject));
    EXPECT_EQ(s.worst.messages, 1300);
    EXPECT_EQ(s.worst.legitimate_messages, 1000);
    EXPECT_EQ(s.worst.affected_messages, 400);
    EXPECT_EQ(s.worst.affected_legitimate, 100);
    EXPECT_EQ(s.worst.affected_unauthorized, 300);
    EXPECT_EQ(s.worst.rejected_messages, 400);
    EXPECT_DOUBLE_EQ(s.worst.legitimate_loss_share, 0.1);
    ASSERT_EQ(s.by_source.size(), 2u);
    EXPECT_EQ(s.by_source[0].source_ip, "10.0.0.9");  // biggest first
    EXPECT_EQ(s.by_source[0].affected_messages, 300);
    EXPECT_EQ(s.by_source[1].affected_messages, 100);
    EXPECT_EQ(s.by_source[1].info.service, "SendGrid");
    EXPECT_EQ(s.domain_verdict, analyze::verdict::not_ready);
    // The same figures at quarantine: only the action differs.
    const auto q = analyze::simulate(in, policy(policy_action::quarantine));
    EXPECT_EQ(q.worst.affected_messages, 400);
    EXPECT_EQ(q.worst.rejected_messages, 0);
}

TEST(policy_simulate, p_none_affects_nothing) {
    const auto s = analyze::simulate(two_sources(1000, 900, 300), policy(policy_action::none));
    EXPECT_EQ(s.worst.affected_messages, 0);
    EXPECT_TRUE(s.by_source.empty());
    EXPECT_EQ(s.domain_verdict, analyze::verdict::ready);
}

TEST(policy_simulate, pct_samples_for_rfc7489_receivers_and_the_rest_get_the_next_lower_policy) {
    const auto in = two_sources(1000, 0, 0);
    auto c = policy(policy_action::quarantine);
    c.pct = 10;
    EXPECT_EQ(analyze::simulate(in, c).worst.affected_messages, 100);  // RFC 7489 §6.6.4: 10% quarantined, 90% none
    c.p = policy_action::reject;
    const auto r = analyze::simulate(in, c);
    EXPECT_EQ(r.worst.affected_messages, 1000);  // 10% rejected, the rest quarantined
    EXPECT_EQ(r.worst.rejected_messages, 100);
}

TEST(policy_simulate, rfc9989_receivers_ignore_pct_and_honour_t) {
    auto in = two_sources(1000, 0, 0);
    in.receivers.rfc7489_messages = 0;
    in.receivers.rfc9989_messages = 5;
    auto c = policy(policy_action::quarantine);
    c.pct = 10;
    EXPECT_EQ(analyze::simulate(in, c).worst.affected_messages, 1000);  // pct removed (RFC 9989 App. C.5.2)
    c.pct = 100;
    c.testing = true;
    EXPECT_EQ(analyze::simulate(in, c).worst.affected_messages, 0);  // t=y: quarantine → none
    c.p = policy_action::reject;
    const auto r = analyze::simulate(in, c);
    EXPECT_EQ(r.worst.affected_messages, 1000);  // t=y: reject → quarantine
    EXPECT_EQ(r.worst.rejected_messages, 0);
}

TEST(policy_simulate, receivers_are_weighted_by_their_share_of_reported_messages) {
    auto in = two_sources(1000, 0, 0);
    in.receivers.rfc7489_messages = 3;  // 75% RFC 7489: they ignore t=y
    in.receivers.rfc9989_messages = 1;
    auto c = policy(policy_action::quarantine);
    c.testing = true;
    EXPECT_EQ(analyze::simulate(in, c).worst.affected_messages, 750);
    c.testing = false;
    c.pct = 20;  // 75% of receivers quarantine 20%, 25% quarantine everything: 150 + 250
    EXPECT_EQ(analyze::simulate(in, c).worst.affected_messages, 400);
}

TEST(policy_simulate, sp_for_existing_or_unknown_subdomains_np_for_nonexistent_ones) {
    policy_inputs in;
    in.domain = "example.com";
    in.receivers.rfc7489_messages = 1;
    in.groups.push_back({"10.0.0.9", "example.com", 10, 0, 0});
    in.groups.push_back({"10.0.0.9", "news.example.com", 20, 0, 0});     // exists
    in.groups.push_back({"10.0.0.9", "pay.example.com", 40, 0, 0});      // NXDOMAIN
    in.groups.push_back({"10.0.0.9", "unasked.example.com", 80, 0, 0});  // unknown
    in.exists["news.example.com"] = true;
    in.exists["pay.example.com"] = false;
    auto c = policy(policy_action::none);
    c.sp = policy_action::none;
    c.np = policy_action::reject;
    auto s = analyze::simulate(in, c);
    EXPECT_EQ(s.worst.affected_messages, 40);  // np only
    c.np.reset();
    c.sp = policy_action::quarantine;  // np defaults to sp
    s = analyze::simulate(in, c);
    EXPECT_EQ(s.worst.affected_messages, 140);
    ASSERT_EQ(s.by_header_from.size(), 4u);
    EXPECT_EQ(s.by_header_from[0].header_from, "example.com");  // the domain first, then by messages
    EXPECT_EQ(s.by_header_from[1].header_from, "unasked.example.com");
    EXPECT_EQ(s.by_header_from[1].tag, analyze::policy_tag::sp);
    EXPECT_FALSE(s.by_header_from[1].exists.has_value());
    EXPECT_EQ(s.by_header_from[2].tag, analyze::policy_tag::np);
    EXPECT_EQ(s.by_header_from[2].exists, std::optional<bool>(false));
    EXPECT_EQ(s.by_header_from[0].applied, policy_action::none);
    EXPECT_EQ(s.by_header_from[2].applied, policy_action::quarantine);
}

TEST(policy_simulate, tag_for_needs_a_label_boundary) {
    const std::map<std::string, bool> exists{{"pay.example.com", false}};
    EXPECT_EQ(analyze::tag_for("example.com", "example.com", exists), analyze::policy_tag::p);
    EXPECT_EQ(analyze::tag_for("badexample.com", "example.com", exists), analyze::policy_tag::p);
    EXPECT_EQ(analyze::tag_for("a.b.example.com", "example.com", exists), analyze::policy_tag::sp);
    EXPECT_EQ(analyze::tag_for("pay.example.com", "example.com", exists), analyze::policy_tag::np);
}

TEST(policy_simulate, expected_keeps_the_overrides_receivers_gave) {
    auto in = two_sources(1000, 500, 100);
    in.groups[0].overridden = 200;  // of 500 failing, receivers overrode 200 (forwarded, mailing_list, ...)
    const auto s = analyze::simulate(in, policy(policy_action::reject));
    EXPECT_EQ(s.worst.affected_legitimate, 500);
    EXPECT_EQ(s.expected.affected_legitimate, 300);
    EXPECT_EQ(s.expected.affected_unauthorized, 100);
    EXPECT_DOUBLE_EQ(s.expected.legitimate_loss_share, 0.3);
    EXPECT_EQ(s.by_source[0].expected_affected_messages, 300);
}

TEST(policy_simulate, verdict_boundary_is_strictly_under_one_percent) {
    EXPECT_EQ(analyze::simulate(two_sources(10000, 9900, 50), policy(policy_action::reject)).domain_verdict,
              analyze::verdict::not_ready);  // exactly 1.00%
    EXPECT_EQ(analyze::simulate(two_sources(10000, 9901, 50), policy(policy_action::reject)).domain_verdict,
              analyze::verdict::ready);  // 0.99%
    analyze::impact none;
    EXPECT_EQ(analyze::readiness_of(none), analyze::verdict::ready);  // no legitimate mail: nothing to lose
}

TEST(policy_record, text_states_only_what_differs_from_defaults) {
    candidate_policy c = policy(policy_action::reject);
    EXPECT_EQ(analyze::record_text(c), "v=DMARC1; p=reject");
    c.sp = policy_action::reject;  // same as p: left out
    c.np = policy_action::quarantine;
    c.pct = 25;
    c.testing = true;
    c.adkim = 's';
    c.fo = "1";
    c.rua = "mailto:d@example.com";
    EXPECT_EQ(analyze::record_text(c), "v=DMARC1; p=reject; np=quarantine; pct=25; t=y; adkim=s; fo=1; rua=mailto:d@example.com");
}

TEST(policy_plan, ready_at_none_starts_with_quarantine_at_a_small_pct_and_t) {
    auto in = two_sources(10000, 10000, 500);
    in.published.known = true;
    in.published.p = "none";
    const auto plan = analyze::staged_path(in, policy(policy_action::reject));
    ASSERT_EQ(plan.stages.size(), 3u);
    EXPECT_EQ(plan.stages[0].record, "v=DMARC1; p=quarantine; pct=10; t=y");
    EXPECT_EQ(plan.stages[1].record, "v=DMARC1; p=quarantine");
    EXPECT_EQ(plan.stages[2].record, "v=DMARC1; p=reject");
    EXPECT_EQ(plan.next.record, "v=DMARC1; p=quarantine; pct=10; t=y");
    EXPECT_TRUE(plan.next.fix_sources.empty());
    // Already at quarantine (pct 100): the next step is reject.
    in.published.p = "quarantine";
    EXPECT_EQ(analyze::staged_path(in, policy(policy_action::reject)).next.record, "v=DMARC1; p=reject");
    // Already at reject: nothing stronger to publish.
    in.published.p = "reject";
    EXPECT_NE(analyze::staged_path(in, policy(policy_action::reject)).next.why.find("already publishes"), std::string::npos);
    // A target in test mode is the first stage itself: no stronger stage comes after it.
    auto t = policy(policy_action::quarantine);
    t.testing = true;
    const auto tplan = analyze::staged_path(in, t);
    ASSERT_EQ(tplan.stages.size(), 1u);
    EXPECT_EQ(tplan.stages[0].record, "v=DMARC1; p=quarantine; t=y");
}

TEST(policy_plan, already_enforcing_but_losing_mail_keeps_the_record_and_names_the_fixes) {
    auto in = two_sources(1000, 900, 300);  // 10% of legitimate mail fails
    in.published.known = true;
    in.published.p = "reject";
    const auto plan = analyze::staged_path(in, policy(policy_action::quarantine));
    EXPECT_EQ(plan.next.record, "v=DMARC1; p=reject");
    EXPECT_NE(plan.next.why.find("already publishes"), std::string::npos) << plan.next.why;
    EXPECT_EQ(plan.next.fix_sources, std::vector<std::string>{"10.0.0.1"});
}

TEST(policy_plan, not_ready_names_the_fewest_legitimate_sources_to_fix_first) {
    policy_inputs in;
    in.domain = "example.com";
    in.receivers.rfc7489_messages = 1;
    in.published.known = true;
    in.published.p = "none";
    in.published_record = "v=DMARC1; p=none; rua=mailto:d@example.com";
    // 10,000 legitimate messages: losses of 300, 150, 60 and 5; a spoofer's 5,000 do not count.
    const std::vector<std::pair<std::string, std::int64_t>> losses{{"10.0.0.1", 300}, {"10.0.0.2", 150}, {"10.0.0.3", 60}, {"10.0.0.4", 5}};
    for (const auto& [ip, lost] : losses) {
        in.groups.push_back({ip, "example.com", 2500, 2500 - lost, 0});
        in.sources[ip] = {source_class::third_party_unaligned, "", ""};
    }
    in.groups.push_back({"10.0.0.9", "example.com", 5000, 0, 0});
    in.sources["10.0.0.9"] = {source_class::spoofing, "", ""};
    const auto plan = analyze::staged_path(in, policy(policy_action::reject));
    // 5.15% lost; fixing .1 and .2 leaves 65 (0.65%): two sources, 5,000 messages = 50% of legitimate mail.
    EXPECT_EQ(plan.next.fix_sources, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
    EXPECT_EQ(plan.next.record, in.published_record);  // keep what is published until then
    EXPECT_NE(plan.next.why.find("these 2 sources"), std::string::npos) << plan.next.why;
    EXPECT_NE(plan.next.why.find("50.0% of your legitimate mail"), std::string::npos) << plan.next.why;
    EXPECT_EQ(plan.stages.back().v, analyze::verdict::not_ready);
}

TEST(policy_planning, failure_reports_per_fo_option_are_daily_means) {
    policy_inputs in;
    in.days = 10;
    in.totals.messages = 1000;
    in.totals.dmarc_pass = 800;   // fo=0: 200 fail
    in.totals.spf_aligned = 600;  // both aligned: 600 + 700 - 800 = 500, so fo=1: 500
    in.totals.dkim_aligned = 700;
    in.totals.dkim_aligned_fail = 30;
    in.totals.spf_fail = 250;
    const auto r = analyze::failure_reports(in);
    EXPECT_DOUBLE_EQ(r.fo_0, 20.0);
    EXPECT_DOUBLE_EQ(r.fo_1, 50.0);
    EXPECT_DOUBLE_EQ(r.fo_d, 3.0);
    EXPECT_DOUBLE_EQ(r.fo_s, 25.0);
    in.days = 0;
    EXPECT_DOUBLE_EQ(analyze::failure_reports(in).fo_0, 0.0);
}

TEST(policy_whatif, spf_pairs_are_re_evaluated_against_the_candidate_records) {
    dns::zone_resolver zone;
    // The candidate: example.com now authorizes 192.0.2.0/24 (where the ESP sends from) and no more.
    ASSERT_TRUE(zone.load_text("$ORIGIN .\n$TTL 300\n. IN SOA ns. host. 1 2 3 4 5\n"
                               "example.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
                               "esp.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n")
                    .ok());
    policy_inputs in;
    in.domain = "example.com";
    in.sources["192.0.2.7"] = {source_class::third_party_unaligned, "ESP", ""};
    in.sources["203.0.113.5"] = {source_class::authorized, "", ""};
    std::vector<analyze::spf_pair> pairs{
        {"192.0.2.7", "example.com", 100, 0, 100, 80},   // failed, now passes, aligned; 80 failed DMARC
        {"192.0.2.7", "esp.test", 50, 50, 0, 0},         // passed and still does: no change
        {"203.0.113.5", "example.com", 40, 40, 40, 0},   // passed, now fails (-all)
    };
    const auto w = analyze::evaluate_spf_whatif(pairs, zone, in, 10);
    EXPECT_EQ(w.pairs, 3u);
    EXPECT_EQ(w.evaluated, 3u);
    EXPECT_EQ(w.more_pass_messages, 100);
    EXPECT_EQ(w.more_pass_aligned, 100);
    EXPECT_EQ(w.newly_dmarc_pass, 80);
    EXPECT_EQ(w.newly_dmarc_pass_legitimate, 80);
    EXPECT_EQ(w.fewer_pass_messages, 40);
    ASSERT_EQ(w.changes.size(), 2u);
    EXPECT_EQ(w.changes[0].candidate, "pass");
    EXPECT_EQ(w.changes[1].candidate, "fail");
    // The cap: only the largest pair.
    EXPECT_EQ(analyze::evaluate_spf_whatif(pairs, zone, in, 1).more_pass_messages, 100);
    EXPECT_EQ(analyze::evaluate_spf_whatif(pairs, zone, in, 1).fewer_pass_messages, 0);
}

// --- loading from a store (both drivers).

class policy_store : public test_support::store_drivers {};
INSTANTIATE_TEST_SUITE_P(drivers, policy_store, test_support::all_drivers(), test_support::driver_name);

report::record rec(const std::string& ip, std::int64_t n, const std::string& header_from, const std::string& dkim_d, bool dkim_pass,
                   const std::string& spf_domain, bool spf_pass) {
    report::record r;
    r.source_ip = *ip_address::parse(ip);
    r.count = n;
    r.disposition = "none";
    r.header_from = header_from;
    r.envelope_from = spf_domain;
    // policy_evaluated is the receiver's relaxed verdict: the same tree counts as aligned.
    const auto relaxed = [](const std::string& d) { return d == "example.com" || d.ends_with(".example.com"); };
    r.dkim = dkim_pass && relaxed(dkim_d) ? "pass" : "fail";
    r.spf = spf_pass && relaxed(spf_domain) ? "pass" : "fail";
    if (!dkim_d.empty()) r.dkim_results.push_back({dkim_d, "s1", dkim_pass ? "pass" : "fail", ""});
    r.spf_results.push_back({spf_domain, "mfrom", spf_pass ? "pass" : "fail", ""});
    return r;
}

report::report_header header(const std::string& org, const std::string& id, std::int64_t begin, const std::string& p, bool rfc9990) {
    report::report_header h;
    h.metadata.org_name = org;
    h.metadata.report_id = id;
    h.metadata.begin = begin;
    h.metadata.end = begin + 86399;
    h.policy.domain = "example.com";
    h.policy.p = p;
    h.policy.adkim = "r";
    h.policy.aspf = "r";
    if (rfc9990) {
        h.xml_namespace = "urn:ietf:params:xml:ns:dmarc-2.0";
        h.policy.np = "reject";
    } else {
        h.xml_schema = "1.0";
        h.policy.fo = "1";
    }
    return h;
}

TEST_P(policy_store, strict_alignment_is_recomputed_from_the_records_and_headers_give_policy_and_receivers) {
    auto db = open();
    ASSERT_TRUE(db.ok()) << db.err().message;
    store::store& s = **db;
    const std::int64_t day = 1790812800;  // 2026-10-01
    ASSERT_TRUE(s.begin_batch().ok());
    const auto add = [&](const report::report_header& h, const std::vector<report::record>& recs, std::int64_t messages) {
        ASSERT_TRUE(s.begin_unit().ok());
        auto id = s.insert_report(h, "test");
        ASSERT_TRUE(id.ok()) << id.err().message;
        for (const auto& r : recs) ASSERT_TRUE(s.insert_record(id->id, r).ok());
        store::report_totals t;
        t.records = recs.size();
        t.messages = static_cast<std::uint64_t>(messages);
        ASSERT_TRUE(s.finish_report(id->id, t).ok());
        ASSERT_TRUE(s.end_unit(true).ok());
    };
    // 10.0.0.1 signs d=mail.example.com (relaxed-aligned only), 10.0.0.2 signs d=example.com, 10.0.0.3
    // passes SPF for bounce.example.com only; 10.0.0.9 fails everything.
    add(header("Old Receiver", "a1", day, "none", false),
        {rec("10.0.0.1", 100, "example.com", "mail.example.com", true, "other.net", false),
         rec("10.0.0.2", 50, "example.com", "example.com", true, "other.net", false),
         rec("10.0.0.3", 30, "example.com", "", false, "bounce.example.com", true)},
        180);
    add(header("New Receiver", "b1", day + 86400, "quarantine", true), {rec("10.0.0.9", 20, "example.com", "", false, "spoof.test", false)},
        20);
    ASSERT_TRUE(s.commit_batch().ok());

    analyze::policy_load_options o;
    o.window.domain = "example.com";
    auto relaxed = analyze::load_policy_inputs(s, o, nullptr, {});
    ASSERT_TRUE(relaxed.ok()) << relaxed.err().message;
    EXPECT_FALSE(relaxed->alignment_recomputed);
    // The latest report's tags, each from the latest report that states it.
    EXPECT_EQ(relaxed->published.p, "quarantine");
    EXPECT_EQ(relaxed->published.np, "reject");
    EXPECT_EQ(relaxed->published.fo, "1");
    EXPECT_EQ(relaxed->receivers.rfc9989_reporters, std::vector<std::string>{"New Receiver"});
    EXPECT_EQ(relaxed->receivers.rfc7489_reporters, std::vector<std::string>{"Old Receiver"});
    EXPECT_DOUBLE_EQ(relaxed->receivers.rfc9989_share(), 0.1);
    EXPECT_EQ(relaxed->days, 2);
    EXPECT_EQ(relaxed->totals.messages, 200);
    auto worst = analyze::simulate(*relaxed, policy(policy_action::reject)).worst;
    EXPECT_EQ(worst.affected_messages, 20);
    EXPECT_EQ(worst.affected_unauthorized, 20);  // classified from the reports: the spoofer alone fails
    EXPECT_EQ(worst.legitimate_messages, 180);

    o.adkim = 's';
    auto strict = analyze::load_policy_inputs(s, o, nullptr, {});
    ASSERT_TRUE(strict.ok()) << strict.err().message;
    EXPECT_TRUE(strict->alignment_recomputed);
    worst = analyze::simulate(*strict, policy(policy_action::reject)).worst;
    EXPECT_EQ(worst.affected_messages, 120);  // d=mail.example.com no longer aligns with example.com
    EXPECT_EQ(worst.affected_legitimate, 100);
    o.adkim.reset();
    o.aspf = 's';
    strict = analyze::load_policy_inputs(s, o, nullptr, {});
    ASSERT_TRUE(strict.ok());
    worst = analyze::simulate(*strict, policy(policy_action::reject)).worst;
    EXPECT_EQ(worst.affected_messages, 50);  // bounce.example.com is not example.com
    EXPECT_EQ(worst.affected_legitimate, 30);

    // The digest's summary: p=reject at published alignment.
    auto r = analyze::assess_policy(s, "example.com", {}, nullptr, {});
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r->v, analyze::verdict::ready);
    EXPECT_EQ(r->worst.affected_messages, 20);
    EXPECT_EQ(r->next.record, "v=DMARC1; p=reject; fo=1");
}

}  // namespace
}  // namespace dmarcsight
