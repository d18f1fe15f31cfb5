#include "views/policy.hpp"

#include <algorithm>
#include <cmath>

#include "core/time.hpp"

namespace dmarcsight::views {

namespace {

// Shares in JSON: rounded to 6 decimals (issue 10 asks for at least 4).
double rounded(double share) { return std::round(share * 1e6) / 1e6; }

nlohmann::json impact_json(const analyze::impact& i) {
    return {{"messages", i.messages},
            {"legitimate_messages", i.legitimate_messages},
            {"affected_messages", i.affected_messages},
            {"affected_legitimate", i.affected_legitimate},
            {"affected_unauthorized", i.affected_unauthorized},
            {"legitimate_loss_share", rounded(i.legitimate_loss_share)},
            {"rejected_messages", i.rejected_messages},
            {"quarantined_messages", i.affected_messages - i.rejected_messages}};
}

nlohmann::json text_or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

}  // namespace

std::string published_text(const analyze::published_policy& p) {
    if (!p.known) return "";
    std::string r = "p=" + (p.p.empty() ? std::string("none") : p.p);
    if (!p.sp.empty()) r += "; sp=" + p.sp;
    if (!p.np.empty()) r += "; np=" + p.np;
    if (p.pct) r += "; pct=" + std::to_string(*p.pct);
    if (!p.testing.empty()) r += "; t=" + p.testing;
    if (!p.adkim.empty()) r += "; adkim=" + p.adkim;
    if (!p.aspf.empty()) r += "; aspf=" + p.aspf;
    if (!p.fo.empty()) r += "; fo=" + p.fo;
    return r;
}

nlohmann::json policy_document(const policy_view& v) {
    const analyze::candidate_policy& c = v.candidate;
    const double w9 = v.in.receivers.rfc9989_share();
    nlohmann::json j;
    j["domain"] = v.in.domain;
    j["since"] = text_or_null(v.window.since_day);
    j["until"] = text_or_null(v.window.until_day);
    j["candidate"] = analyze::record_text(c);
    j["candidate_policy"] = {{"p", analyze::to_string(c.p)},
                             {"sp", analyze::to_string(c.subdomain())},
                             {"np", analyze::to_string(c.nonexistent())},
                             {"pct", c.pct},
                             {"testing", c.testing},
                             {"adkim", std::string(1, c.adkim)},
                             {"aspf", std::string(1, c.aspf)}};
    const auto& pub = v.in.published;
    j["published"] = pub.known ? nlohmann::json{{"policy", published_text(pub)},
                                                 {"p", text_or_null(pub.p)},
                                                 {"sp", text_or_null(pub.sp)},
                                                 {"np", text_or_null(pub.np)},
                                                 {"pct", pub.pct ? nlohmann::json(*pub.pct) : nlohmann::json(nullptr)},
                                                 {"testing", text_or_null(pub.testing)},
                                                 {"adkim", text_or_null(pub.adkim)},
                                                 {"aspf", text_or_null(pub.aspf)},
                                                 {"fo", text_or_null(pub.fo)},
                                                 {"from_report_of", utc::format_date(pub.report_begin)},
                                                 {"dns_record", v.dns.record ? nlohmann::json(*v.dns.record) : nlohmann::json(nullptr)}}
                               : nlohmann::json(nullptr);
    const nlohmann::json worst = impact_json(v.sim.worst);  // the worst case at the top level
    for (const auto& [k, v] : worst.items()) j[k] = v;
    j["expected"] = impact_json(v.sim.expected);
    j["expected"]["overrides"] = "forwarded, trusted_forwarder, mailing_list, local_policy: as reported per source";
    // Every affected source (a botnet's are hundreds of thousands): each entry built in place,
    // not through an initializer list, which copies every value once more.
    nlohmann::json by = nlohmann::json::array();
    const std::size_t shown = v.by_source_limit > 0 ? std::min(v.by_source_limit, v.sim.by_source.size()) : v.sim.by_source.size();
    by.get_ref<nlohmann::json::array_t&>().reserve(shown);
    for (const auto& s : v.sim.by_source) {
        if (by.size() == shown) break;
        nlohmann::json e = nlohmann::json::object();
        e.emplace("source_ip", s.source_ip);
        e.emplace("service", text_or_null(s.info.service));
        e.emplace("class", analyze::to_string(s.info.cls));
        e.emplace("messages", s.messages);
        e.emplace("affected_messages", s.affected_messages);
        e.emplace("expected_affected_messages", s.expected_affected_messages);
        e.emplace("fix", text_or_null(s.info.fix));
        by.push_back(std::move(e));
    }
    j["by_source"] = std::move(by);
    if (shown < v.sim.by_source.size()) j["by_source_total"] = v.sim.by_source.size();
    nlohmann::json subs = nlohmann::json::array();
    for (const auto& h : v.sim.by_header_from)
        subs.push_back({{"header_from", h.header_from},
                        {"tag", analyze::to_string(h.tag)},
                        {"exists", h.exists ? nlohmann::json(*h.exists) : nlohmann::json(nullptr)},
                        {"policy", analyze::to_string(h.applied)},
                        {"messages", h.worst.messages},
                        {"legitimate_messages", h.worst.legitimate_messages},
                        {"affected_messages", h.worst.affected_messages},
                        {"affected_legitimate", h.worst.affected_legitimate},
                        {"legitimate_loss_share", rounded(h.worst.legitimate_loss_share)},
                        {"verdict", analyze::to_string(analyze::readiness_of(h.worst))}});
    j["subdomains"] = std::move(subs);
    j["existence"] = {{"source", v.dns.asked ? nlohmann::json(v.dns.how) : nlohmann::json(nullptr)},
                      {"unknown_subdomains", v.dns.asked ? nlohmann::json(v.dns.unknown) : nlohmann::json(nullptr)},
                      {"note", "unknown existence: sp applies (RFC 9989 §4.10.1); np only for NXDOMAIN (§3.2.13)"}};
    j["alignment"] = {{"adkim", std::string(1, c.adkim)}, {"aspf", std::string(1, c.aspf)}, {"recomputed", v.in.alignment_recomputed}};
    j["receivers"] = {
        {"rfc7489", {{"reporters", v.in.receivers.rfc7489_reporters}, {"messages_share", rounded(1.0 - w9)}, {"honours", "pct, not t"}}},
        {"rfc9989", {{"reporters", v.in.receivers.rfc9989_reporters}, {"messages_share", rounded(v.in.receivers.rfc9989_messages + v.in.receivers.rfc7489_messages ? w9 : 0.0)}, {"honours", "t, not pct"}}}};
    j["verdict"] = analyze::to_string(v.sim.domain_verdict);
    nlohmann::json fixes = nlohmann::json::array();
    for (const auto& ip : v.plan.next.fix_sources)
        for (const auto& s : v.sim.by_source)
            if (s.source_ip == ip) {
                fixes.push_back({{"source_ip", ip},
                                 {"service", text_or_null(s.info.service)},
                                 {"class", analyze::to_string(s.info.cls)},
                                 {"affected_messages", s.affected_messages},
                                 {"fix", text_or_null(s.info.fix)}});
                break;
            }
    j["next_step"] = {{"record", v.plan.next.record}, {"why", v.plan.next.why}, {"fix_sources", std::move(fixes)}};
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& s : v.plan.stages)
        stages.push_back({{"record", s.record},
                          {"affected_legitimate", s.worst.affected_legitimate},
                          {"affected_messages", s.worst.affected_messages},
                          {"legitimate_loss_share", rounded(s.worst.legitimate_loss_share)},
                          {"verdict", analyze::to_string(s.v)}});
    j["stages"] = std::move(stages);
    nlohmann::json ruf_json = nullptr;  // unknown (offline)
    if (v.dns.ruf_published >= 0) ruf_json = v.dns.ruf_published == 1;
    j["planning"] = {{"v.dns.ruf_published", ruf_json},
                     {"days", v.in.days},
                     {"failure_reports_per_day", {{"fo_0", rounded(v.failure_rates.fo_0)}, {"fo_1", rounded(v.failure_rates.fo_1)}, {"fo_d", rounded(v.failure_rates.fo_d)}, {"fo_s", rounded(v.failure_rates.fo_s)}}},
                     {"note", "an upper bound: one report per failing message, yet not every receiver sends failure reports; "
                              "fo=d counts failing signatures of the domain only"}};
    if (v.whatif) {
        const auto& whatif = *v.whatif;
        nlohmann::json changes = nlohmann::json::array();
        for (const auto& ch : whatif.changes)
            changes.push_back({{"source_ip", ch.pair.source_ip},
                               {"spf_domain", ch.pair.domain},
                               {"messages", ch.pair.messages},
                               {"reported", ch.reported},
                               {"candidate", ch.candidate},
                               {"aligned_messages", ch.pair.aligned},
                               {"legitimate", ch.legitimate}});
        j["what_if"] = {{"with", v.with_file},
                        {"pairs", whatif.pairs},
                        {"evaluated_pairs", whatif.evaluated},
                        {"more_spf_pass_messages", whatif.more_pass_messages},
                        {"more_spf_pass_aligned_messages", whatif.more_pass_aligned},
                        {"newly_dmarc_pass_messages", whatif.newly_dmarc_pass},
                        {"newly_dmarc_pass_legitimate_messages", whatif.newly_dmarc_pass_legitimate},
                        {"fewer_spf_pass_messages", whatif.fewer_pass_messages},
                        {"temperror_messages", whatif.temperror_messages},
                        {"changes", std::move(changes)},
                        {"dkim", "not re-evaluated: a published selector only helps where the sender signs with it"}};
    } else {
        j["what_if"] = nullptr;
    }
    return j;
}

}  // namespace dmarcsight::views
