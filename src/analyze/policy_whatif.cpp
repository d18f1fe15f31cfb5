#include "analyze/policy_whatif.hpp"

#include <algorithm>
#include <unordered_map>

#include "auth/spf_check.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::analyze {

namespace {

std::string bare(std::string_view d) {
    std::string s = text::ascii_lower(text::trim(d));
    while (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// Relaxed alignment within the policy domain's tree (as analyze/policy.cpp).
bool relaxed(const std::string& a, const std::string& b, const std::string& domain) {
    return !a.empty() && !b.empty() && (a == b || (store::related_domain(a, domain) && store::related_domain(b, domain)));
}

class pair_visitor final : public store::report_visitor {
public:
    explicit pair_visitor(std::string domain) : domain_(std::move(domain)) {}
    std::unordered_map<std::string, spf_pair> pairs;
    result<void> begin_report(const store::stored_report&) override { return {}; }
    result<void> on_record(const report::record& rec) override {
        // The MailFrom check (RFC 7208 §2.4): its auth_results entry, else the envelope.
        std::string domain;
        bool pass = false;
        for (const auto& s : rec.spf_results)
            if (s.scope.empty() || s.scope == "mfrom") {
                domain = bare(s.domain);
                pass = s.result == "pass";
                break;
            }
        if (domain.empty()) domain = bare(rec.envelope_from);
        if (domain.empty()) return {};
        ip_.clear();
        rec.source_ip.append_to(ip_);
        std::string key = ip_;
        key.push_back('\0');
        key += domain;
        auto [it, fresh] = pairs.try_emplace(std::move(key));
        spf_pair& p = it->second;
        if (fresh) {
            p.source_ip = ip_;
            p.domain = domain;
        }
        p.messages += rec.count;
        if (pass) p.spf_pass += rec.count;
        if (relaxed(domain, bare(rec.header_from), domain_)) {
            p.aligned += rec.count;
            if (rec.dkim != "pass" && rec.spf != "pass") p.dmarc_fail_aligned += rec.count;
        }
        return {};
    }
    result<void> end_report() override { return {}; }

private:
    std::string domain_, ip_;
};

std::optional<std::int64_t> day_start(const std::string& day) {
    unsigned y = 0, m = 0, d = 0;
    if (day.size() != 10 || std::sscanf(day.c_str(), "%4u-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
    return utc::to_days(y, m, d) * 86400;
}

}  // namespace

result<std::vector<spf_pair>> collect_spf_pairs(store::store& db, const store::fact_filter& window) {
    store::query_filter f;
    f.domain = window.domain;
    if (!window.since_day.empty()) f.since = day_start(window.since_day);
    if (!window.until_day.empty()) f.until = day_start(window.until_day);
    pair_visitor v(window.domain);
    if (auto r = db.visit_reports(f, v); !r) return unexpected{r.err()};
    std::vector<spf_pair> out;
    out.reserve(v.pairs.size());
    for (auto& [k, p] : v.pairs) out.push_back(std::move(p));
    std::sort(out.begin(), out.end(), [](const spf_pair& a, const spf_pair& b) {
        if (a.messages != b.messages) return a.messages > b.messages;
        if (a.source_ip != b.source_ip) return a.source_ip < b.source_ip;
        return a.domain < b.domain;
    });
    return out;
}

spf_whatif evaluate_spf_whatif(const std::vector<spf_pair>& pairs, dns::resolver& dns, const policy_inputs& in, std::size_t cap) {
    spf_whatif w;
    w.pairs = pairs.size();
    auth::spf_record_cache cache;
    auth::spf_options opts;
    opts.compute_explanation = false;
    opts.keep_trace = false;
    opts.cache = &cache;
    constexpr std::size_t max_changes = 50;
    for (const auto& p : pairs) {
        if (w.evaluated >= cap) break;
        ++w.evaluated;
        const auto ip = ip_address::parse(p.source_ip);
        if (!ip) continue;
        auth::spf_request req;
        req.ip = *ip;
        req.sender = "postmaster@" + p.domain;  // the local-part does not change the result without macros
        const auth::spf_outcome o = auth::check_spf(dns, req, opts);
        const bool now_pass = o.result == auth::spf_result::pass;
        if (o.result == auth::spf_result::temperror) w.temperror_messages += p.messages;
        const std::int64_t not_passing = p.messages - p.spf_pass;
        const bool legit = in.source_info(p.source_ip).legitimate();
        bool changed = false;
        if (now_pass && not_passing > 0) {
            w.more_pass_messages += not_passing;
            // Aligned messages that did not pass: at most the aligned ones, at most the non-passing.
            const std::int64_t aligned_more = std::min(p.aligned, not_passing);
            w.more_pass_aligned += aligned_more;
            w.newly_dmarc_pass += p.dmarc_fail_aligned;
            if (legit) w.newly_dmarc_pass_legitimate += p.dmarc_fail_aligned;
            changed = true;
        } else if (!now_pass && p.spf_pass > 0) {
            w.fewer_pass_messages += p.spf_pass;
            changed = true;
        }
        if (changed && w.changes.size() < max_changes)
            w.changes.push_back({p, p.spf_pass == p.messages ? "pass" : p.spf_pass == 0 ? "not pass" : "partly pass",
                                 std::string(auth::to_string(o.result)), legit});
    }
    return w;
}

}  // namespace dmarcsight::analyze
