#include "posture/check_helo.hpp"

#include <algorithm>

#include "auth/org_domain.hpp"
#include "core/text.hpp"

namespace dmarcsight::posture {

namespace {

std::string listed(const std::vector<std::string>& names) {
    constexpr std::size_t shown = 8;
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > shown) s += ", and " + std::to_string(names.size() - shown) + " more";
    return s;
}

}  // namespace

std::vector<finding> check_helo_names(dns::resolver& dns, std::string_view domain, const std::vector<std::string>& input) {
    std::vector<std::string> names;
    for (const auto& n : input) names.push_back(text::normalize_domain(n));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    names.erase(std::remove(names.begin(), names.end(), std::string()), names.end());
    if (names.size() > max_helo_names) names.resize(max_helo_names);
    std::vector<dns::question> qs;
    for (const auto& n : names) qs.push_back({n, dns::rr_type::txt});
    const auto answers = dns.query_many(qs);
    std::vector<std::string> own_missing, other_missing, failed;
    std::size_t with_spf = 0;
    for (std::size_t i = 0; i < names.size() && i < answers.size(); ++i) {
        const auto& a = answers[i];
        if (a.temporary_failure()) {
            failed.push_back(names[i]);
            continue;
        }
        bool spf = false;
        for (const auto& rr : a.records)
            if (const auto* t = std::get_if<dns::txt_rdata>(&rr.data)) {
                const auto j = text::ascii_lower(t->joined());
                spf = spf || j == "v=spf1" || j.starts_with("v=spf1 ");
            }
        if (spf) ++with_spf;
        else if (auth::is_subdomain_or_self(names[i], domain)) own_missing.push_back(names[i]);
        else other_missing.push_back(names[i]);
    }
    std::vector<finding> out;
    const std::string d(domain);
    if (!own_missing.empty())
        out.push_back({severity::warning, area::spf, "spf.helo_without_record",
                       std::to_string(own_missing.size()) + " HELO name(s) of " + d +
                           "'s authorized sources publish no SPF record: " + listed(own_missing) +
                           " (RFC 7208 §2.3: bounces, sent with an empty MAIL FROM, are checked against the HELO name)",
                       "", "publish TXT \"v=spf1 a -all\" at each of them"});
    if (!other_missing.empty())
        out.push_back({severity::info, area::spf, "spf.service_helo_without_record",
                       std::to_string(other_missing.size()) + " HELO name(s) of services sending for " + d +
                           " publish no SPF record: " + listed(other_missing),
                       "", "nothing for you to publish: it is the service's name (tell them if bounces matter)"});
    if (!failed.empty())
        out.push_back({severity::info, area::spf, "spf.helo_lookup_failed",
                       "the SPF lookup of " + std::to_string(failed.size()) + " HELO name(s) failed: " + listed(failed), "", ""});
    if (out.empty() && with_spf > 0)
        out.push_back({severity::info, area::spf, "spf.helo_ok",
                       "every one of the " + std::to_string(with_spf) + " HELO names of " + d + "'s authorized sources has an SPF record",
                       "", ""});
    return out;
}

}  // namespace dmarcsight::posture
