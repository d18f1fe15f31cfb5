#include "analyze/policy.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <utility>

#include "analyze/read_ahead.hpp"
#include "analyze/source_summary.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::analyze {

std::string_view to_string(policy_action a) {
    switch (a) {
        case policy_action::none: return "none";
        case policy_action::quarantine: return "quarantine";
        case policy_action::reject: return "reject";
    }
    return "none";
}

std::optional<policy_action> parse_policy_action(std::string_view text) {
    const std::string t = text::ascii_lower(text::trim(text));
    if (t == "none") return policy_action::none;
    if (t == "quarantine") return policy_action::quarantine;
    if (t == "reject") return policy_action::reject;
    return std::nullopt;
}

std::string_view to_string(policy_tag t) {
    switch (t) {
        case policy_tag::p: return "p";
        case policy_tag::sp: return "sp";
        case policy_tag::np: return "np";
    }
    return "p";
}

std::string_view to_string(verdict v) { return v == verdict::ready ? "ready" : "not_ready"; }

std::string record_text(const candidate_policy& c) {
    std::string r = "v=DMARC1; p=" + std::string(to_string(c.p));
    if (c.sp && *c.sp != c.p) r += "; sp=" + std::string(to_string(*c.sp));
    if (c.np && *c.np != c.subdomain()) r += "; np=" + std::string(to_string(*c.np));
    if (c.pct < 100) r += "; pct=" + std::to_string(c.pct);
    if (c.testing) r += "; t=y";
    if (c.adkim == 's') r += "; adkim=s";
    if (c.aspf == 's') r += "; aspf=s";
    if (!c.fo.empty() && c.fo != "0") r += "; fo=" + c.fo;
    if (!c.rua.empty()) r += "; rua=" + c.rua;
    if (!c.ruf.empty()) r += "; ruf=" + c.ruf;
    return r;
}

double receiver_mix::rfc9989_share() const {
    const std::int64_t all = rfc9989_messages + rfc7489_messages;
    return all > 0 ? static_cast<double>(rfc9989_messages) / static_cast<double>(all) : 0.0;
}

policy_tag tag_for(std::string_view header_from, const std::string& domain, const std::map<std::string, bool>& exists) {
    if (header_from == domain || header_from.size() <= domain.size() + 1 || !header_from.ends_with(domain) ||
        header_from[header_from.size() - domain.size() - 1] != '.')
        return policy_tag::p;
    const auto it = exists.find(std::string(header_from));
    // RFC 9989 §4.10.1: np only for a subdomain known not to exist (§3.2.13: NXDOMAIN); unknown
    // existence is taken as existing, so sp applies.
    if (it != exists.end() && !it->second) return policy_tag::np;
    return policy_tag::sp;
}

verdict readiness_of(const impact& i) {
    if (i.legitimate_messages <= 0) return verdict::ready;
    return i.legitimate_loss_share < readiness_target ? verdict::ready : verdict::not_ready;
}

namespace {

policy_action one_below(policy_action a) {
    // RFC 9989 §4.7 t=y: reject → quarantine, quarantine → none; none stays none.
    return a == policy_action::reject ? policy_action::quarantine : policy_action::none;
}

// The share of a group's failing messages that get quarantine or reject (RFC 7489 §6.6.4: of
// the failing messages, pct% get the policy, the rest the next lower one) ...
double affected_fraction(policy_action a, int pct) {
    if (a == policy_action::reject) return 1.0;  // the sampled-out rest is still quarantined
    if (a == policy_action::quarantine) return pct / 100.0;
    return 0.0;
}
// ... and of those, rejected.
double rejected_fraction(policy_action a, int pct) { return a == policy_action::reject ? pct / 100.0 : 0.0; }

struct impact_sum {
    std::int64_t messages = 0, legitimate = 0;
    double affected = 0, affected_legitimate = 0, affected_unauthorized = 0, rejected = 0;
    impact finish() const {
        impact i;
        i.messages = messages;
        i.legitimate_messages = legitimate;
        i.affected_legitimate = std::llround(affected_legitimate);
        i.affected_unauthorized = std::llround(affected_unauthorized);
        i.affected_messages = i.affected_legitimate + i.affected_unauthorized;
        i.rejected_messages = std::min(i.affected_messages, static_cast<std::int64_t>(std::llround(rejected)));
        i.legitimate_loss_share = legitimate > 0 ? static_cast<double>(i.affected_legitimate) / static_cast<double>(legitimate) : 0.0;
        return i;
    }
};

const policy_source& source_of(const policy_inputs& in, const std::string& ip) {
    static const policy_source unknown_source;
    const auto it = in.sources.find(ip);
    return it != in.sources.end() ? it->second : unknown_source;
}

}  // namespace

policy_source policy_inputs::source_info(const std::string& ip) const {
    if (indexed) {
        const auto it = std::lower_bound(source_ips.begin(), source_ips.end(), ip);
        if (it != source_ips.end() && *it == ip) return source_list[static_cast<std::size_t>(it - source_ips.begin())];
    }
    const auto it = sources.find(ip);
    return it != sources.end() ? it->second : policy_source{};
}

namespace {

// Each group names its header_from's place in the sorted list of them, so that a simulation (one
// per stage of a path) looks no text up per group.
void index_headers(policy_inputs& in) {
    std::map<std::string_view, std::uint32_t> at;
    for (const auto& g : in.groups) at.emplace(g.header_from, 0);
    in.header_froms.clear();
    for (auto& [h, i] : at) {
        i = static_cast<std::uint32_t>(in.header_froms.size());
        in.header_froms.emplace_back(h);
    }
    for (auto& g : in.groups) g.header = at.find(g.header_from)->second;
}

}  // namespace

void index_sources(policy_inputs& in) {
    std::sort(in.groups.begin(), in.groups.end(), [](const policy_group& a, const policy_group& b) {
        if (a.source_ip != b.source_ip) return a.source_ip < b.source_ip;
        return a.header_from < b.header_from;
    });
    in.source_ips.clear();
    in.source_list.clear();
    for (auto& g : in.groups) {
        if (in.source_ips.empty() || in.source_ips.back() != g.source_ip) {
            in.source_ips.push_back(g.source_ip);
            in.source_list.push_back(source_of(in, g.source_ip));
        }
        g.source = static_cast<std::uint32_t>(in.source_list.size() - 1);
    }
    index_headers(in);
    in.indexed = true;
}

namespace {

// The simulation; with_sources false leaves by_source empty (the stages of a path need the
// totals only).
simulation run_simulation(const policy_inputs& in, const candidate_policy& c, bool with_sources) {
    if (!in.indexed) {
        policy_inputs copy = in;
        index_sources(copy);
        return run_simulation(copy, c, with_sources);
    }
    const double w9 = in.receivers.rfc9989_share(), w7 = 1.0 - w9;
    impact_sum worst, expected;
    struct per_source {
        std::int64_t messages = 0;
        double affected = 0, expected = 0;
    };
    std::vector<per_source> sources(in.source_list.size());
    struct per_header {
        policy_tag tag = policy_tag::p;
        policy_action applied = policy_action::none;
        bool tagged = false;  // a group has it
        impact_sum sum;
    };
    std::vector<per_header> headers(in.header_froms.size());
    for (std::size_t i = 0; i < headers.size(); ++i) headers[i].tag = tag_for(in.header_froms[i], in.domain, in.exists);
    for (const auto& g : in.groups) {
        auto& ph = headers[g.header];
        ph.tagged = true;
        const policy_tag tag = ph.tag;
        const policy_action a = tag == policy_tag::p ? c.p : tag == policy_tag::sp ? c.subdomain() : c.nonexistent();
        // RFC 7489 receivers: pct, no t; RFC 9989 receivers: t=y, no pct (module comment).
        const policy_action a9 = c.testing ? one_below(a) : a;
        const double f = w7 * affected_fraction(a, c.pct) + w9 * affected_fraction(a9, 100);
        const double fr = w7 * rejected_fraction(a, c.pct) + w9 * rejected_fraction(a9, 100);
        const std::int64_t failing = std::max<std::int64_t>(0, g.messages - g.dmarc_pass);
        const std::int64_t kept = std::max<std::int64_t>(0, failing - g.overridden);
        const bool legit = in.source_list[g.source].legitimate();
        const auto add = [&](impact_sum& s, std::int64_t fail) {
            s.messages += g.messages;
            if (legit) {
                s.legitimate += g.messages;
                s.affected_legitimate += static_cast<double>(fail) * f;
            } else {
                s.affected_unauthorized += static_cast<double>(fail) * f;
            }
            s.affected += static_cast<double>(fail) * f;
            s.rejected += static_cast<double>(fail) * fr;
        };
        add(worst, failing);
        add(expected, kept);
        auto& ps = sources[g.source];
        ps.messages += g.messages;
        ps.affected += static_cast<double>(failing) * f;
        ps.expected += static_cast<double>(kept) * f;
        // The subdomain's row shows what most receivers apply.
        ph.applied = c.testing && w9 >= 0.5 ? a9 : a;
        add(ph.sum, failing);
    }
    simulation out;
    out.worst = worst.finish();
    out.expected = expected.finish();
    out.domain_verdict = readiness_of(out.worst);
    // The affected sources by affected messages, then IP: sorted as (count, index) pairs, the
    // indexes being in IP order already, and only then built (a few hundred thousand spoofers
    // made sorting the built rows, strings and all, a third of a run).
    std::vector<std::pair<std::int64_t, std::uint32_t>> order;
    for (std::size_t i = 0; with_sources && i < sources.size(); ++i) {
        const std::int64_t affected = std::llround(sources[i].affected);
        if (affected > 0) order.emplace_back(-affected, static_cast<std::uint32_t>(i));
    }
    std::sort(order.begin(), order.end());
    out.by_source.reserve(order.size());
    for (const auto& [negative, i] : order) {
        const auto& ps = sources[i];
        source_impact si;
        si.source_ip = in.source_ips[i];
        si.info = in.source_list[i];
        si.messages = ps.messages;
        si.affected_messages = -negative;
        si.expected_affected_messages = std::llround(ps.expected);
        out.by_source.push_back(std::move(si));
    }
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const per_header& ph = headers[i];
        if (!ph.tagged) continue;  // no group of it (never, as index_headers lists them)
        const std::string& h = in.header_froms[i];
        subdomain_impact si;
        si.header_from = h;
        si.tag = ph.tag;
        if (const auto it = in.exists.find(si.header_from); it != in.exists.end()) si.exists = it->second;
        if (h == in.domain) si.exists = true;  // it sends reports' policy: it exists
        si.applied = ph.applied;
        si.worst = ph.sum.finish();
        out.by_header_from.push_back(std::move(si));
    }
    std::sort(out.by_header_from.begin(), out.by_header_from.end(), [&](const subdomain_impact& a, const subdomain_impact& b) {
        if ((a.header_from == in.domain) != (b.header_from == in.domain)) return a.header_from == in.domain;
        if (a.worst.messages != b.worst.messages) return a.worst.messages > b.worst.messages;
        return a.header_from < b.header_from;
    });
    return out;
}

}  // namespace

simulation simulate(const policy_inputs& in, const candidate_policy& c) { return run_simulation(in, c, true); }

namespace {

// How far along the path a policy is: 0 none, 1 quarantine with pct < 100 or t=y, 2 quarantine
// (or reject with pct < 100 or t=y, which is at least quarantine for everyone), 3 reject.
int rank_of(policy_action p, int pct, bool testing) {
    const bool partial = pct < 100 || testing;
    switch (p) {
        case policy_action::none: return 0;
        case policy_action::quarantine: return partial ? 1 : 2;
        case policy_action::reject: return partial ? 2 : 3;
    }
    return 0;
}

candidate_policy published_as_candidate(const policy_inputs& in, const candidate_policy& target) {
    candidate_policy c = target;
    const auto& pub = in.published;
    c.p = parse_policy_action(pub.p).value_or(policy_action::none);
    c.sp = parse_policy_action(pub.sp);
    c.np = parse_policy_action(pub.np);
    c.pct = pub.pct.value_or(100);
    c.testing = text::ascii_lower(pub.testing) == "y";
    c.adkim = pub.adkim_mode();
    c.aspf = pub.aspf_mode();
    if (!pub.fo.empty()) c.fo = pub.fo;
    return c;
}

std::string percent_text(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", share * 100.0);
    return buf;
}

}  // namespace

policy_plan staged_path(const policy_inputs& in, const candidate_policy& target) {
    policy_plan plan;
    std::vector<candidate_policy> path;
    const auto stage_of = [&](policy_action p, int pct, bool testing) {
        candidate_policy c = target;
        c.p = p;
        c.sp.reset();
        c.np.reset();
        c.pct = pct;
        c.testing = testing;
        return c;
    };
    if (target.p >= policy_action::quarantine) path.push_back(stage_of(policy_action::quarantine, staged_pct, true));
    if (target.p >= policy_action::quarantine) path.push_back(stage_of(policy_action::quarantine, 100, false));
    if (target.p >= policy_action::reject) path.push_back(stage_of(policy_action::reject, 100, false));
    // The stages below the target, then the target itself (its sp, np, pct and t as asked).
    const int target_rank = rank_of(target.p, target.pct, target.testing);
    std::erase_if(path, [&](const candidate_policy& c) { return rank_of(c.p, c.pct, c.testing) >= target_rank; });
    path.push_back(target);
    for (const auto& c : path) {
        stage s;
        s.policy = c;
        s.record = record_text(c);
        s.worst = run_simulation(in, c, false).worst;
        s.v = readiness_of(s.worst);
        plan.stages.push_back(std::move(s));
    }

    const candidate_policy now = published_as_candidate(in, target);
    const int published_rank = in.published.known ? rank_of(now.p, now.pct, now.testing) : 0;
    const std::string current = !in.published_record.empty() ? in.published_record
                                : in.published.known           ? record_text(now)
                                                               : record_text(stage_of(policy_action::none, 100, false));
    const simulation goal = simulate(in, target);
    // Not ready: the fewest legitimate sources, largest loss first, whose fix brings the loss
    // under the target, and their share of the legitimate mail.
    std::string fix_first;
    if (readiness_of(goal.worst) == verdict::not_ready) {
        std::int64_t remaining = goal.worst.affected_legitimate, their_messages = 0;
        const double legit = static_cast<double>(std::max<std::int64_t>(1, goal.worst.legitimate_messages));
        for (const auto& s : goal.by_source) {
            if (static_cast<double>(remaining) / legit < readiness_target) break;
            if (!s.info.legitimate()) continue;
            plan.next.fix_sources.push_back(s.source_ip);
            remaining -= s.affected_messages;
            their_messages += s.messages;
        }
        const std::size_t n = plan.next.fix_sources.size();
        fix_first = "fix " + std::string(n == 1 ? "this source" : "these " + std::to_string(n) + " sources") + " first: " +
                    (n == 1 ? "it is " : "they are ") + percent_text(static_cast<double>(their_messages) / legit) +
                    " of your legitimate mail, and p=" + std::string(to_string(target.p)) + " would cost " +
                    percent_text(goal.worst.legitimate_loss_share) + " of it (target: under " + percent_text(readiness_target) + ")";
    }
    if (in.published.known && published_rank >= target_rank) {
        plan.next.record = current;
        plan.next.why = "the latest reports say the domain already publishes " + record_text(now) + ", at least as strong as " +
                        record_text(target) + (fix_first.empty() ? "" : "; " + fix_first);
        return plan;
    }
    if (!fix_first.empty()) {
        plan.next.record = current;
        plan.next.why = fix_first + "; keep the current record until then";
        return plan;
    }
    for (const auto& s : plan.stages) {
        if (rank_of(s.policy.p, s.policy.pct, s.policy.testing) <= published_rank) continue;
        plan.next.record = s.record;
        plan.next.why = "publish " + s.record + ": it would affect " + std::to_string(s.worst.affected_legitimate) + " legitimate messages (" +
                        percent_text(s.worst.legitimate_loss_share) + ", under the " + percent_text(readiness_target) + " target)";
        if (s.policy.pct < 100 || s.policy.testing)
            plan.next.why += "; a first step: RFC 7489 receivers apply it to " + std::to_string(s.policy.pct) +
                             "% of failing mail, RFC 9989 receivers (t=y) one level below";
        return plan;
    }
    plan.next.record = record_text(target);
    plan.next.why = "publish " + plan.next.record;
    return plan;
}

failure_report_rates failure_reports(const policy_inputs& in) {
    failure_report_rates r;
    if (in.days <= 0) return r;
    const auto& m = in.totals;
    const double days = static_cast<double>(in.days);
    // fo=0: no mechanism produced an aligned pass (DMARC fails).
    r.fo_0 = static_cast<double>(m.messages - m.dmarc_pass) / days;
    // fo=1: any mechanism failed to produce an aligned pass: all but messages with both aligned
    // (spf_aligned + dkim_aligned - dmarc_pass, dmarc_pass being either).
    const std::int64_t both = std::max<std::int64_t>(0, m.spf_aligned + m.dkim_aligned - m.dmarc_pass);
    r.fo_1 = static_cast<double>(m.messages - both) / days;
    // fo=d: a DKIM signature (of the domain: what the facts keep) failed evaluation.
    r.fo_d = static_cast<double>(m.dkim_aligned_fail) / days;
    // fo=s: SPF evaluation failed (fail or softfail).
    r.fo_s = static_cast<double>(m.spf_fail) / days;
    return r;
}

namespace {

// The reports' headers only: the latest published policy and each reporter's schema.
class header_visitor final : public store::report_visitor {
public:
    published_policy latest;
    std::map<std::string, std::pair<bool, std::int64_t>> reporters;  // org -> (RFC 9990 schema, messages)
    result<void> begin_report(const store::stored_report& r) override {
        const auto& h = r.header;
        // Each tag as the latest report that states it says (reporters leave out what their schema
        // lacks: np and testing before RFC 9990, fo and pct in some; visits come in begin order).
        if (!latest.known || h.metadata.begin >= latest.report_begin) {
            const auto& pp = h.policy;
            const auto take = [](std::string& have, const std::string& seen) {
                if (!seen.empty()) have = seen;
            };
            take(latest.p, pp.p);
            take(latest.sp, pp.sp);
            take(latest.np, pp.np);
            take(latest.adkim, pp.adkim);
            take(latest.aspf, pp.aspf);
            take(latest.fo, pp.fo);
            take(latest.testing, pp.testing);
            if (pp.pct) latest.pct = pp.pct;
            latest.report_begin = h.metadata.begin;
            latest.known = true;
        }
        auto& rep = reporters[h.metadata.org_name];
        // The stored header keeps the namespace and version, not the parser's flavour: the same test
        // as report/aggregate_parser.cpp (RFC 9990 Appendix A: urn:ietf:params:xml:ns:dmarc-2.0).
        rep.first = rep.first || h.flavour == report::schema_flavour::rfc9990 || h.xml_namespace == "urn:ietf:params:xml:ns:dmarc-2.0" ||
                    h.xml_schema.starts_with("2");
        rep.second += static_cast<std::int64_t>(std::min<std::uint64_t>(r.totals.messages, INT64_MAX / 4));
        return {};
    }
    result<void> on_record(const report::record&) override { return {}; }
    result<void> end_report() override { return {}; }
    bool wants_records() const override { return false; }
};

std::string group_key(std::string_view ip, std::string_view header_from) {
    std::string k;
    k.reserve(ip.size() + header_from.size() + 1);
    k.append(ip).push_back('\0');
    k.append(header_from);
    return k;
}

std::string bare_domain(std::string_view d) {
    std::string s = text::ascii_lower(text::trim(d));
    while (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// RFC 9989 §3.2.10: strict alignment wants identical domains; relaxed, the same organizational
// domain — here: both within the policy domain's tree (store::related_domain).
bool aligned(std::string_view auth_domain, const std::string& header_from, char mode, const std::string& policy_domain) {
    const std::string d = bare_domain(auth_domain);
    if (d.empty() || header_from.empty()) return false;
    if (mode == 's') return d == header_from;
    return d == header_from || (store::related_domain(d, policy_domain) && store::related_domain(header_from, policy_domain));
}

// Recomputes each group's passing messages under the candidate's alignment from the records.
class alignment_visitor final : public store::report_visitor {
public:
    alignment_visitor(const std::string& domain, char adkim, char aspf, bool recompute_dkim, bool recompute_spf)
        : domain_(domain), adkim_(adkim), aspf_(aspf), dkim_(recompute_dkim), spf_(recompute_spf) {}
    std::unordered_map<std::string, std::int64_t> pass;  // group key -> passing messages
    result<void> begin_report(const store::stored_report&) override { return {}; }
    result<void> on_record(const report::record& rec) override {
        const std::string hf = bare_domain(rec.header_from);
        bool dkim = rec.dkim == "pass", spf = rec.spf == "pass";
        if (dkim_) {
            dkim = false;
            for (const auto& d : rec.dkim_results)
                if (d.result == "pass" && aligned(d.domain, hf, adkim_, domain_)) dkim = true;
        }
        if (spf_) {
            spf = false;
            for (const auto& s : rec.spf_results)
                if ((s.scope.empty() || s.scope == "mfrom") && s.result == "pass" && aligned(s.domain, hf, aspf_, domain_)) spf = true;
        }
        if (dkim || spf) {
            ip_.clear();
            rec.source_ip.append_to(ip_);
            pass[group_key(ip_, hf)] += rec.count;
        }
        return {};
    }
    result<void> end_report() override { return {}; }

private:
    std::string domain_;
    char adkim_, aspf_;
    bool dkim_, spf_;
    std::string ip_;
};

std::optional<std::int64_t> day_start(const std::string& day) {
    unsigned y = 0, m = 0, d = 0;
    if (day.size() != 10 || std::sscanf(day.c_str(), "%4u-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
    return utc::to_days(y, m, d) * 86400;
}

}  // namespace

result<policy_inputs> load_policy_inputs(store::store& db, const policy_load_options& o, const service_directory* services,
                                         const std::vector<store::label_row>& labels) {
    policy_inputs in;
    in.domain = o.window.domain;
    store::query_filter reports;
    reports.domain = o.window.domain;
    if (!o.window.since_day.empty()) reports.since = day_start(o.window.since_day);
    if (!o.window.until_day.empty()) reports.until = day_start(o.window.until_day);

    header_visitor headers;
    if (auto v = db.visit_reports(reports, headers); !v) return unexpected{v.err()};
    in.published = headers.latest;
    for (const auto& [org, rep] : headers.reporters) {
        (rep.first ? in.receivers.rfc9989_reporters : in.receivers.rfc7489_reporters).push_back(org);
        (rep.first ? in.receivers.rfc9989_messages : in.receivers.rfc7489_messages) += rep.second;
    }

    // One pass over the facts: each row goes to its source's summary (what the inventory's rules
    // classify) and to its (source IP, header_from) group, found among the few groups of that
    // source (a chain per source, in arrival order), so the facts are read once and hashed once.
    std::set<std::string> days;
    store::fact_filter window = o.window;
    window.include_subdomains = false;
    std::string last_day;
    source_rollup roll(false);  // classification reads no header_from or reporter list
    summaries done;
    constexpr std::uint32_t none = 0xffffffffu;
    std::vector<std::uint32_t> first_group, next_group;  // per source (arrival order), per group
    auto r = read_source_days_ahead(db, window, [&](const store::source_day_row& row) -> result<void> {
        if (row.key.policy_domain != in.domain) return {};  // include_subdomains is off: never
        roll.add(row, done);  // one domain: never finishes one before the end
        const std::uint32_t src = roll.last_source();
        if (src >= first_group.size()) first_group.resize(src + 1, none);
        std::uint32_t at = first_group[src];
        while (at != none && in.groups[at].header_from != row.key.header_from) at = next_group[at];
        if (at == none) {
            at = static_cast<std::uint32_t>(in.groups.size());
            in.groups.push_back({row.key.source_ip, row.key.header_from, 0, 0, 0, src});
            next_group.push_back(first_group[src]);
            first_group[src] = at;
        }
        policy_group& g = in.groups[at];
        const auto& m = row.m;
        g.messages += m.messages;
        g.dmarc_pass += m.dmarc_pass;
        // Messages with at least one override reason, counted once per row at most (a message
        // may carry several), never more than the row's failing messages.
        const std::int64_t reasons = m.reason_forwarded + m.reason_trusted_forwarder + m.reason_mailing_list + m.reason_local_policy;
        g.overridden += std::min(std::max<std::int64_t>(0, m.messages - m.dmarc_pass), reasons);
        in.totals.add(m);
        if (row.key.day != last_day) {  // a domain's rows come mostly day by day: one set insert per run
            last_day = row.key.day;
            if (days.size() < 100000) days.insert(last_day);
        }
        return {};
    });
    if (!r) return unexpected{r.err()};
    in.days = static_cast<std::int64_t>(days.size());
    // Sources sorted by IP; each group names its source's sorted place, and the groups follow
    // their sources' order (by header_from within one): what index_sources would make, without
    // sorting the groups by their texts.
    std::vector<std::uint32_t> arrival;
    summaries sums = roll.finish(&arrival);
    {
        std::vector<std::uint32_t> sorted_first(sums.size(), none);
        for (std::uint32_t src = 0; src < first_group.size(); ++src) sorted_first[arrival[src]] = first_group[src];
        first_group = {};
        // order[k]: the group that goes to place k. The permutation is applied in place, cycle by
        // cycle (each group moves once): a second vector of every group was 18 MB of the peak.
        std::vector<std::uint32_t> order;
        order.reserve(in.groups.size());
        std::vector<std::uint32_t> mine;
        for (std::uint32_t place = 0; place < sorted_first.size(); ++place) {
            mine.clear();
            for (std::uint32_t at = sorted_first[place]; at != none; at = next_group[at]) mine.push_back(at);
            std::sort(mine.begin(), mine.end(), [&](std::uint32_t x, std::uint32_t y) { return in.groups[x].header_from < in.groups[y].header_from; });
            for (const std::uint32_t at : mine) {
                in.groups[at].source = place;
                order.push_back(at);
            }
        }
        sorted_first = {};
        next_group = {};
        for (std::size_t start = 0; start < order.size(); ++start) {
            if (order[start] == start) continue;
            policy_group held = std::move(in.groups[start]);
            std::size_t at = start;
            while (order[at] != start) {
                const std::size_t from = order[at];
                in.groups[at] = std::move(in.groups[from]);
                order[at] = static_cast<std::uint32_t>(at);
                at = from;
            }
            in.groups[at] = std::move(held);
            order[at] = static_cast<std::uint32_t>(at);
        }
    }
    index_headers(in);

    // The class of every source: the inventory's rules (analyze/classify.hpp), labels included,
    // on what enrichment knows of each IP.
    in.source_ips.reserve(sums.size());
    in.source_list.reserve(sums.size());
    auto classified = classify_summaries(db, sums, services, labels, o.rules, [&](std::size_t i, const classified_source& k) {
        // The summaries come sorted by IP: the sources' index (index_sources) directly.
        in.source_ips.push_back(sums[i].source_ip);
        in.source_list.push_back({k.c.cls, k.e.service ? k.e.service->name : std::string(), k.c.fix});
    });
    if (!classified) return unexpected{classified.err()};
    sums = {};
    in.indexed = true;

    // Alignment other than published: the records say which DKIM d= / SPF domains passed.
    const char adkim = o.adkim.value_or(in.published.adkim_mode()), aspf = o.aspf.value_or(in.published.aspf_mode());
    const bool dkim = adkim != in.published.adkim_mode(), spf = aspf != in.published.aspf_mode();
    if (dkim || spf) {
        alignment_visitor av(in.domain, adkim, aspf, dkim, spf);
        if (auto v = db.visit_reports(reports, av); !v) return unexpected{v.err()};
        for (auto& g : in.groups) {
            const auto it = av.pass.find(group_key(g.source_ip, g.header_from));
            g.dmarc_pass = it == av.pass.end() ? 0 : std::min(g.messages, it->second);
            g.overridden = std::min(g.overridden, g.messages - g.dmarc_pass);
        }
        in.alignment_recomputed = true;
    }
    return in;
}

result<readiness> assess_policy(store::store& db, const std::string& domain, const store::fact_filter& window,
                                const service_directory* services, const std::vector<store::label_row>& labels) {
    policy_load_options o;
    o.window = window;
    o.window.domain = domain;
    o.window.include_subdomains = false;
    auto in = load_policy_inputs(db, o, services, labels);
    if (!in) return unexpected{in.err()};
    // Published alignment: the candidate keeps what the latest report says.
    candidate_policy c;
    c.p = policy_action::reject;
    c.adkim = in->published.adkim_mode();
    c.aspf = in->published.aspf_mode();
    c.fo = in->published.fo;
    const simulation s = simulate(*in, c);
    readiness out;
    out.domain = domain;
    out.worst = s.worst;
    out.v = s.domain_verdict;
    out.legitimate_loss_share = s.worst.legitimate_loss_share;
    out.next = staged_path(*in, c).next;
    return out;
}

}  // namespace dmarcsight::analyze
