#include "analyze/failures.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace dmarcsight::analyze {

namespace {

std::vector<counted> sorted_counts(const std::map<std::string, std::int64_t>& m, std::size_t top) {
    std::vector<counted> out;
    out.reserve(m.size());
    for (const auto& [k, v] : m) out.push_back({k, v});
    std::sort(out.begin(), out.end(), [](const counted& a, const counted& b) {
        return a.reports != b.reports ? a.reports > b.reports : a.name < b.name;
    });
    if (top && out.size() > top) out.resize(top);
    return out;
}

bool is_local_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

}  // namespace

void failure_summarizer::add(const store::stored_failure& row) {
    const auto& r = row.report;
    ++s_.reports;
    if (r.best_effort) ++s_.best_effort;
    if (r.redacted) ++s_.redacted;
    auto& src = sources_[{r.policy_domain(), r.source_ip}];
    src.policy_domain = r.policy_domain();
    src.source_ip = r.source_ip;
    ++src.reports;
    src.last_time = std::max(src.last_time, row.report_time);
    for (const auto& k : r.auth_failure) ++kinds_[k];
    if (!r.dkim_domain.empty() || !r.dkim_selector.empty())
        ++dkim_[(r.dkim_domain.empty() ? "?" : r.dkim_domain) + " / " + (r.dkim_selector.empty() ? "?" : r.dkim_selector)];
    ++reporters_[r.reporter()];
    if (!s_.latest || row.report_time > s_.latest->report_time ||
        (row.report_time == s_.latest->report_time && row.id > s_.latest->id))
        s_.latest = row;
}

failure_summary failure_summarizer::finish(std::size_t top) {
    failure_summary s = std::move(s_);
    for (auto& [k, v] : sources_) s.top_sources.push_back(std::move(v));
    std::sort(s.top_sources.begin(), s.top_sources.end(), [](const failing_source& a, const failing_source& b) {
        if (a.reports != b.reports) return a.reports > b.reports;
        if (a.policy_domain != b.policy_domain) return a.policy_domain < b.policy_domain;
        return a.source_ip < b.source_ip;
    });
    if (top && s.top_sources.size() > top) s.top_sources.resize(top);
    s.auth_failures = sorted_counts(kinds_, top);
    s.dkim = sorted_counts(dkim_, top);
    s.reporters = sorted_counts(reporters_, top);
    if (s.latest) s.latest_headers = shown_sample_headers(s.latest->report);
    s_ = {};
    sources_.clear();
    kinds_.clear();
    dkim_.clear();
    reporters_.clear();
    return s;
}

failure_summary summarize_failures(const std::vector<store::stored_failure>& rows, std::size_t top) {
    failure_summarizer sum;
    for (const auto& r : rows) sum.add(r);
    return sum.finish(top);
}

std::string display_redacted(std::string_view s) {
    std::string out;
    std::size_t copied = 0;
    for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
        if (at < copied) continue;
        std::size_t b = at;
        while (b > copied && is_local_char(s[b - 1])) --b;
        if (b == at || at + 1 >= s.size()) continue;
        out.append(s.substr(copied, b - copied));
        out += "*";
        copied = at;
    }
    out.append(s.substr(copied));
    return out;
}

std::vector<std::pair<std::string, std::string>> shown_sample_headers(const report::failure_report& r) {
    static constexpr std::string_view shown[] = {"return-path", "received", "authentication-results", "from", "to",
                                                 "subject",     "date",     "message-id"};
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : r.sample.headers) {
        const std::string n = text::ascii_lower(name);
        if (std::find(std::begin(shown), std::end(shown), n) == std::end(shown)) continue;
        out.emplace_back(name, n == "message-id" ? value : display_redacted(value));
    }
    return out;
}

failure_join::failure_join(const std::vector<store::failure_source_count>& counts) {
    for (const auto& c : counts) {
        auto& e = by_source_[{c.policy_domain, c.source_ip}];
        e.first.policy_domain = c.policy_domain;
        e.first.source_ip = c.source_ip;
        e.first.reports += c.reports;
        e.first.first_time = e.first.first_time ? std::min(e.first.first_time, c.first_time) : c.first_time;
        e.first.last_time = std::max(e.first.last_time, c.last_time);
    }
}

std::int64_t failure_join::take(const std::string& domain, const std::string& ip) {
    const auto it = by_source_.find({domain, ip});
    if (it == by_source_.end()) return 0;
    it->second.second = true;
    return it->second.first.reports;
}

std::vector<store::failure_source_count> failure_join::untaken() const {
    std::vector<store::failure_source_count> out;
    for (const auto& [k, v] : by_source_)
        if (!v.second) out.push_back(v.first);
    return out;
}

}  // namespace dmarcsight::analyze
