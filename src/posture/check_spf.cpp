// SPF posture (RFC 7208) from auth::analyze_spf (the SPF engineer's static walk of the
// include/redirect tree): one record, syntax, the §4.6.4 limits of 10 DNS-querying terms and
// 2 void lookups with the include that crosses them, +all/?all, ptr, macros, and how many IPv4
// addresses the policy authorises (a "half the internet" include).
#include <map>

#include "auth/spf_analysis.hpp"
#include "auth/spf_record.hpp"
#include "core/text.hpp"
#include "posture/context.hpp"

namespace dmarcsight::posture::detail {

namespace {

// 2^31 addresses: half of the IPv4 space.
constexpr std::uint64_t half_the_internet = std::uint64_t{1} << 31;
// 2^24 addresses (a /8): far beyond any single organisation's mail servers.
constexpr std::uint64_t very_many_addresses = std::uint64_t{1} << 24;

std::string code_of(auth::spf_problem_code c) {
    using pc = auth::spf_problem_code;
    switch (c) {
        case pc::no_record: return "spf.missing";
        case pc::multiple_records: return "spf.multiple_records";
        case pc::syntax_error: return "spf.syntax";
        case pc::dns_error: return "spf.temperror";
        case pc::too_many_lookups: return "spf.too_many_lookups";
        case pc::too_many_void_lookups: return "spf.too_many_void_lookups";
        case pc::too_many_mx: return "spf.too_many_mx";
        case pc::include_without_spf: return "spf.include_without_spf";
        case pc::redirect_without_spf: return "spf.redirect_without_spf";
        case pc::loop: return "spf.loop";
        case pc::pass_all: return "spf.pass_all";
        case pc::neutral_all: return "spf.neutral_all";
        case pc::no_all: return "spf.no_all";
        case pc::ptr_used: return "spf.ptr";
        case pc::dynamic: return "spf.macros";
        case pc::void_lookup: return "spf.void_lookup";
        case pc::broad_range: return "spf.broad_range";
        case pc::analysis_truncated: return "spf.analysis_truncated";
    }
    return "spf.problem";
}

severity level_of(auth::spf_severity s) {
    switch (s) {
        case auth::spf_severity::error: return severity::error;
        case auth::spf_severity::warning: return severity::warning;
        case auth::spf_severity::info: return severity::info;
    }
    return severity::info;
}

// Built by appending, not by insert() into the digits: g++ 12 -O2/-O3 gives a false -Wrestrict
// for std::string::insert of a literal inlined into this loop (a known GCC 12 false positive).
std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    constexpr std::size_t group = 3;
    std::string out;
    out.reserve(digits.size() + digits.size() / group);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % group == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

// Which top-level term (include/redirect, or the top record itself) authorises the most IPv4
// addresses, and how many.
std::pair<std::string, std::uint64_t> biggest_contributor(const auth::spf_analysis& a) {
    std::map<std::string, std::uint64_t> per_term;
    constexpr unsigned ip4_bits = 32;
    for (const auto& r : a.ip4_ranges) {
        // Find the node of the record holding the range, then climb to the top-level term.
        int idx = -1;
        for (std::size_t i = 0; i < a.nodes.size(); ++i) {
            if (a.nodes[i].domain == r.domain) {
                idx = static_cast<int>(i);
                break;
            }
        }
        std::string term = "(the record itself)";
        // Bounded by the tree depth: each step moves to a parent with a smaller index.
        while (idx > 0) {
            const auto& n = a.nodes[static_cast<std::size_t>(idx)];
            if (n.depth == 1) {
                term = n.term;
                break;
            }
            idx = n.parent;
        }
        if (r.prefix <= ip4_bits) per_term[term] += std::uint64_t{1} << (ip4_bits - r.prefix);
    }
    std::pair<std::string, std::uint64_t> best{"", 0};
    for (const auto& [t, n] : per_term) {
        if (n > best.second) best = {t, n};
    }
    return best;
}

}  // namespace

void check_spf(context& c) {
    // RFC 7208 §4.5: a record with leading space is not an SPF record; analyze_spf ignores it, so
    // say why the domain seems to have none.
    const txt_answer txt = query_txt(c.dns, c.domain);
    for (const auto& t : txt.texts) {
        if (!auth::is_spf_record(t) && text::ascii_lower(text::trim(t)).rfind("v=spf1", 0) == 0) {
            c.add(severity::error, area::spf, "spf.leading_space",
                  "a TXT record looks like SPF but does not start exactly with \"v=spf1\": it is not an SPF record (RFC 7208 §4.5)", t,
                  "remove the leading space / stray characters");
        }
    }
    const auth::spf_analysis a = auth::analyze_spf(c.dns, c.domain);
    for (const auto& p : a.problems) {
        severity level = level_of(p.severity);
        const std::string code = code_of(p.code);
        if (p.code == auth::spf_problem_code::no_record) level = c.null_mx ? severity::warning : severity::error;
        if (p.code == auth::spf_problem_code::dns_error) level = severity::error;  // temperror
        std::string msg = p.message;
        if (!p.domain.empty() && p.domain != c.domain) msg = p.domain + ": " + msg;
        std::string fix = p.fix;
        if (p.code == auth::spf_problem_code::no_record && c.null_mx) fix = "publish \"v=spf1 -all\"";
        c.add(level, area::spf, code, msg, p.record, fix);
    }
    if (a.record.empty()) return;
    // The tree in one line: lookups, voids, records, addresses.
    c.add(severity::info, area::spf, "spf.summary",
          std::to_string(a.lookups) + (a.dynamic ? "+" : "") + " of 10 DNS-querying terms, " + std::to_string(a.void_lookups) +
              " of 2 void lookups, " + std::to_string(a.nodes.size()) + " record(s) in the include/redirect tree, " +
              with_commas(a.ipv4_addresses) + " IPv4 addresses in ip4: ranges",
          a.record);
    if (a.ipv4_addresses >= very_many_addresses) {
        const auto [term, n] = biggest_contributor(a);
        const bool half = a.ipv4_addresses >= half_the_internet;
        c.add(half ? severity::error : severity::warning, area::spf, half ? "spf.half_the_internet" : "spf.many_addresses",
              "the policy authorises " + with_commas(a.ipv4_addresses) + " IPv4 addresses" +
                  (half ? " (half the internet or more)" : " (more than a /8)") +
                  (term.empty() ? "" : "; most come from " + term + " (" + with_commas(n) + ")"),
              a.record, "remove the over-broad ip4: range or include; authorise only your providers' sending ranges");
    }
    if (c.null_mx && a.all != auth::spf_all_policy::fail) {
        c.add(severity::info, area::spf, "spf.null_mx_domain",
              c.domain + " has a null MX (receives no mail); if it sends none either, its SPF record should be \"v=spf1 -all\"",
              a.record, "publish v=spf1 -all");
    }
}

}  // namespace dmarcsight::posture::detail
