#include "analyze/tls.hpp"

#include <algorithm>
#include <limits>
#include <set>

namespace dmarcsight::analyze {

namespace {

// Sums of counts from reports: each is at most limits::max_tlsrpt_sessions, but many reports
// together must never wrap.
std::int64_t add_saturating(std::int64_t a, std::int64_t b) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    return a > max - b ? max : a + b;
}

std::string mx_key(const std::vector<std::string>& hosts) {
    std::vector<std::string> sorted(hosts);
    std::sort(sorted.begin(), sorted.end());
    std::string out;
    for (const auto& h : sorted) out += (out.empty() ? "" : ", ") + h;
    return out;
}

}  // namespace

double tls_sessions::failure_share() const {
    const double all = static_cast<double>(successful) + static_cast<double>(failed);
    return all > 0 ? static_cast<double>(failed) / all : 0.0;
}

bool tls_domain_selected(const store::query_filter& f, const std::string& d) {
    if (f.domain.empty() || d == f.domain) return true;
    return f.include_subdomains && d.size() > f.domain.size() + 1 && d.ends_with(f.domain) &&
           d[d.size() - f.domain.size() - 1] == '.';
}

void tls_accumulator::add(const store::stored_tls_report& r) {
    std::set<std::string> domains_seen;
    for (const auto& p : r.report.policies) {
        if (!tls_domain_selected(filter_, p.policy_domain)) continue;
        domain_counts& d = domains_[p.policy_domain];
        if (domains_seen.insert(p.policy_domain).second) ++d.reports;
        ++d.policy_types[p.policy_type];
        counts& mx = d.mx[mx_key(p.mx_host)];
        for (counts* c : {&total_, &d.all, &mx}) {
            ++c->policies;
            c->successful = add_saturating(c->successful, p.total_successful_session_count);
            c->failed = add_saturating(c->failed, p.total_failure_session_count);
            for (const auto& f : p.failure_details)
                c->result_types[f.result_type] = add_saturating(c->result_types[f.result_type], f.failed_session_count);
        }
    }
    if (!domains_seen.empty()) ++reports_;
}

tls_sessions tls_accumulator::sessions_of(const counts& c) {
    tls_sessions s;
    s.successful = c.successful;
    s.failed = c.failed;
    for (const auto& [type, n] : c.result_types) s.result_types.push_back({type, n});
    std::stable_sort(s.result_types.begin(), s.result_types.end(),
                     [](const tls_result_count& a, const tls_result_count& b) { return a.sessions > b.sessions; });
    return s;
}

tls_overview tls_accumulator::result() const {
    tls_overview o;
    o.reports = reports_;
    o.sessions = sessions_of(total_);
    for (const auto& [name, d] : domains_) {
        tls_domain_row row;
        row.policy_domain = name;
        row.reports = d.reports;
        row.policies = d.all.policies;
        for (const auto& [type, n] : d.policy_types) row.policy_types.push_back(type);
        row.sessions = sessions_of(d.all);
        for (const auto& [host, c] : d.mx) row.mx_hosts.push_back({host, c.policies, sessions_of(c)});
        o.domains.push_back(std::move(row));
    }
    return o;
}

}  // namespace dmarcsight::analyze
