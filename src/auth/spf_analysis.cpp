#include "auth/spf_analysis.hpp"

#include <algorithm>
#include <utility>

#include "core/limits.hpp"

namespace dmarcsight::auth {

namespace {

constexpr unsigned ip4_bits = 32;
// An ip4: range this wide (a /15 or wider: 131,072+ addresses) is worth a warning: no single
// mail operator needs it.
constexpr unsigned broad_ipv4_prefix = 16;
// ip6: wider than a /32 (an RIR's allocation to an ISP) is equally suspect.
constexpr unsigned broad_ipv6_prefix = 32;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string canonical(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    std::string out(s);
    for (char& c : out) c = lower(c);
    return out;
}

bool is_lookup_error(const dns::answer& a) {
    return a.status != dns::rcode::noerror && a.status != dns::rcode::nxdomain;
}

spf_all_policy from_qualifier(spf_qualifier q) {
    switch (q) {
        case spf_qualifier::pass: return spf_all_policy::pass;
        case spf_qualifier::fail: return spf_all_policy::fail;
        case spf_qualifier::softfail: return spf_all_policy::softfail;
        case spf_qualifier::neutral: return spf_all_policy::neutral;
    }
    return spf_all_policy::neutral;
}

ip_address masked(ip_address ip, unsigned prefix) {
    const unsigned bytes = ip.is_v4() ? 4 : 16;
    for (unsigned i = 0; i < bytes; ++i) {
        const unsigned bit = i * 8;
        if (bit >= prefix) {
            ip.bytes[i] = 0;
        } else if (prefix - bit < 8) {
            ip.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (prefix - bit)));
        }
    }
    return ip;
}

std::uint32_t to_u32(const ip_address& ip) {
    return (std::uint32_t{ip.bytes[0]} << 24) | (std::uint32_t{ip.bytes[1]} << 16) |
           (std::uint32_t{ip.bytes[2]} << 8) | std::uint32_t{ip.bytes[3]};
}

class walker {
public:
    walker(dns::resolver& dns, spf_analysis& out) : dns_(dns), out_(out) {}

    void run(std::string_view domain) {
        out_.domain = canonical(domain);
        if (!is_valid_spf_domain(out_.domain)) {
            out_.status = spf_result::none;
            problem(spf_severity::error, spf_problem_code::no_record, out_.domain, {}, {},
                    "\"" + out_.domain + "\" is not a valid multi-label domain name (RFC 7208 §4.3)",
                    "check the domain name", false);
            return;
        }
        std::vector<std::string> path;
        out_.all = walk(out_.domain, -1, spf_edge::top, {}, 0, path);
        finish();
    }

private:
    // ---- helpers ------------------------------------------------------------------------------

    void problem(spf_severity sev, spf_problem_code code, std::string domain, std::string record, std::string term,
                 std::string message, std::string fix, bool breaks) {
        spf_problem p;
        p.severity = sev;
        p.code = code;
        p.domain = std::move(domain);
        p.record = std::move(record);
        p.term = std::move(term);
        p.message = std::move(message);
        p.fix = std::move(fix);
        p.breaks_evaluation = breaks;
        out_.problems.push_back(std::move(p));
    }

    dns::answer lookup(int node, std::string_view term, const std::string& name, dns::rr_type type, bool counted,
                       bool counts_void) {
        dns::answer a = dns_.query(name, type);
        spf_lookup l;
        l.visit = node;
        l.term = std::string(term);
        l.name = name;
        l.type = type;
        l.status = a.status;
        l.answers = a.records.size();
        l.counted = counted;
        l.is_void = a.is_void();
        l.counted_void = counts_void && l.is_void;
        out_.trace.push_back(std::move(l));
        if (counts_void && a.is_void()) {
            ++out_.void_lookups;
            ++out_.nodes[static_cast<std::size_t>(node)].own_voids;
        }
        return a;
    }

    // One DNS-querying term, attributed to `node` (RFC 7208 §4.6.4).
    void count_term(int node, std::string_view term) {
        ++out_.lookups;
        ++out_.nodes[static_cast<std::size_t>(node)].own_lookups;
        if (out_.lookups == limits::spf_max_dns_terms + 1 && !out_.limit_crossed_at_node) {
            out_.limit_crossed_at_node = node;
            out_.limit_crossed_by = std::string(term);
            // The top-level term under which it happened.
            int n = node;
            while (n > 0 && out_.nodes[static_cast<std::size_t>(n)].parent > 0) n = out_.nodes[static_cast<std::size_t>(n)].parent;
            out_.limit_crossed_under = n > 0 ? out_.nodes[static_cast<std::size_t>(n)].term : std::string(term);
        }
    }

    bool budget_left() const {
        return out_.lookups < limits::spf_analysis_max_dns_terms && out_.nodes.size() < limits::spf_analysis_max_records;
    }

    void void_problem(int node, const std::string& term, const std::string& name) {
        const auto& n = out_.nodes[static_cast<std::size_t>(node)];
        problem(spf_severity::warning, spf_problem_code::void_lookup, n.domain, n.record, term,
                "\"" + term + "\" looks up " + name + ", which does not exist or has no records (a void lookup; " +
                    "RFC 7208 §4.6.4 allows 2 per evaluation)",
                "remove \"" + term + "\" or publish the records it expects", false);
    }

    // ---- the walk -------------------------------------------------------------------------------

    // Returns the "all" in force for a non-matching IP: this record's, else its redirect target's.
    spf_all_policy walk(const std::string& domain, int parent, spf_edge via, const std::string& term, int depth,
                        std::vector<std::string>& path) {
        const int me = static_cast<int>(out_.nodes.size());
        {
            spf_node n;
            n.domain = domain;
            n.parent = parent;
            n.via = via;
            n.term = term;
            n.depth = depth;
            out_.nodes.push_back(std::move(n));
        }
        auto node = [&]() -> spf_node& { return out_.nodes[static_cast<std::size_t>(me)]; };
        const bool counted = via != spf_edge::top;
        if (counted) count_term(me, term);

        dns::answer txt = lookup(me, term, domain, dns::rr_type::txt, counted, counted);
        if (is_lookup_error(txt)) {
            node().status = spf_result::temperror;
            node().error = "DNS error looking up TXT " + domain + " (" + std::string(dns_status(txt.status)) + ")";
            problem(spf_severity::warning, spf_problem_code::dns_error, domain, {}, term, node().error,
                    "check that the name servers of " + domain + " answer TXT queries", true);
            return spf_all_policy::missing;
        }
        std::vector<std::string> records;
        for (const auto& rr : txt.records) {
            if (const auto* t = std::get_if<dns::txt_rdata>(&rr.data)) {
                std::string j = t->joined();
                if (is_spf_record(j)) records.push_back(std::move(j));
            }
        }
        if (records.empty()) {
            node().status = spf_result::none;
            node().error = domain + " publishes no SPF record";
            if (via == spf_edge::top) {
                problem(spf_severity::warning, spf_problem_code::no_record, domain, {}, {}, node().error,
                        "publish one TXT record \"v=spf1 ... -all\" listing the servers that send as " + domain +
                            " (\"v=spf1 -all\" if none do)",
                        false);
            } else {
                const bool inc = via == spf_edge::include;
                problem(spf_severity::error,
                        inc ? spf_problem_code::include_without_spf : spf_problem_code::redirect_without_spf,
                        out_.nodes[static_cast<std::size_t>(parent)].domain,
                        out_.nodes[static_cast<std::size_t>(parent)].record, term,
                        "\"" + term + "\" points at " + domain + ", which has no SPF record: every evaluation " +
                            "reaching it is a permerror (RFC 7208 " + (inc ? "§5.2)" : "§6.1)"),
                        "remove \"" + term + "\" or correct the domain name", true);
            }
            return spf_all_policy::missing;
        }
        if (records.size() > 1) {
            node().status = spf_result::permerror;
            node().error = domain + " publishes " + std::to_string(records.size()) + " SPF records";
            std::string all_text;
            for (const auto& r : records) all_text += (all_text.empty() ? "" : " | ") + r;
            problem(spf_severity::error, spf_problem_code::multiple_records, domain, all_text, {},
                    node().error + ": every evaluation is a permerror (RFC 7208 §4.5)",
                    "merge them into a single \"v=spf1\" TXT record", true);
            return spf_all_policy::missing;
        }
        node().record = records.front();
        auto parsed = parse_spf_record(node().record);
        if (!parsed) {
            node().status = spf_result::permerror;
            node().error = parsed.err().message;
            problem(spf_severity::error, spf_problem_code::syntax_error, domain, node().record, {},
                    "syntax error in the SPF record of " + domain + ": " + parsed.err().message +
                        " (every evaluation is a permerror, RFC 7208 §4.6)",
                    "correct the term; RFC 7208 §12 has the grammar", true);
            return spf_all_policy::missing;
        }
        node().status = spf_result::neutral;
        node().dynamic = parsed->has_macros;
        if (parsed->has_macros) out_.dynamic = true;

        path.push_back(domain);
        spf_all_policy all = spf_all_policy::missing;
        bool has_all = false;
        for (const auto& m : parsed->mechanisms) {
            if (m.kind == spf_mechanism_kind::all) {
                has_all = true;
                node().all = m.qualifier;
                all = from_qualifier(m.qualifier);
                break;  // evaluation never goes past "all"
            }
            mechanism(me, domain, m, depth, path);
        }
        if (!has_all && parsed->redirect) {
            const std::string rterm = "redirect=" + *parsed->redirect;
            all = follow(me, domain, rterm, *parsed->redirect, spf_edge::redirect, depth, path);
        }
        path.pop_back();

        // Findings about this record's own "all".
        const spf_node& n = node();
        if (n.all == spf_qualifier::pass) {
            problem(spf_severity::error, spf_problem_code::pass_all, domain, n.record, "+all",
                    via == spf_edge::include
                        ? "the included record of " + domain + " ends in \"+all\": the include matches every IP, so " +
                              "everyone passes SPF as the including domain"
                        : "\"+all\" authorises every IP address on the Internet to send as " + domain,
                    "end the record with \"-all\" (or \"~all\" while testing)", false);
        } else if (n.all == spf_qualifier::neutral && via != spf_edge::include) {
            problem(spf_severity::warning, spf_problem_code::neutral_all, domain, n.record, "?all",
                    "\"?all\" makes no statement about other senders: SPF never fails for " + domain,
                    "end the record with \"-all\" (or \"~all\" while testing)", false);
        }
        if (!has_all && !parsed->redirect && via != spf_edge::include) {
            problem(spf_severity::warning, spf_problem_code::no_all, domain, n.record, {},
                    "the record has no \"all\" and no redirect=: unlisted senders get \"neutral\" (RFC 7208 §4.7)",
                    "end the record with \"-all\" (or \"~all\" while testing)", false);
        }
        if (n.dynamic) {
            problem(spf_severity::info, spf_problem_code::dynamic, domain, n.record, {},
                    "the record of " + domain + " uses macros: what it authorises and how many lookups it needs " +
                        "depend on each message; counts here are lower bounds",
                    "none needed; prefer static includes if the lookup count is tight", false);
        }
        return all;
    }

    spf_all_policy follow(int me, const std::string& domain, const std::string& term, const std::string& spec,
                          spf_edge via, int depth, std::vector<std::string>& path) {
        if (contains_macro(spec)) {
            count_term(me, term);  // it would count; the target is unknown without a message
            return spf_all_policy::missing;
        }
        const std::string target = canonical(spec);
        if (!budget_left()) {
            count_term(me, term);
            truncated();
            return spf_all_policy::missing;
        }
        if (std::find(path.begin(), path.end(), target) != path.end()) {
            count_term(me, term);
            const auto& n = out_.nodes[static_cast<std::size_t>(me)];
            problem(spf_severity::error, spf_problem_code::loop, domain, n.record, term,
                    "\"" + term + "\" leads back to " + target + ", already on this path: evaluation loops until " +
                        "the 10-lookup limit makes it a permerror",
                    "remove the circular include/redirect", true);
            return spf_all_policy::missing;
        }
        return walk(target, me, via, term, depth + 1, path);
    }

    void truncated() {
        if (truncated_) return;
        truncated_ = true;
        problem(spf_severity::warning, spf_problem_code::analysis_truncated, out_.domain, out_.record, {},
                "the include tree is too large to walk completely (more than " +
                    std::to_string(limits::spf_analysis_max_records) + " records or " +
                    std::to_string(limits::spf_analysis_max_dns_terms) + " lookups)",
                "flatten the SPF record", true);
    }

    void mechanism(int me, const std::string& domain, const spf_mechanism& m, int depth,
                   std::vector<std::string>& path) {
        switch (m.kind) {
            case spf_mechanism_kind::all:
                return;
            case spf_mechanism_kind::include:
                follow(me, domain, m.text, m.domain_spec, spf_edge::include, depth, path);
                return;
            case spf_mechanism_kind::ip4: {
                spf_ip4_range r{masked(m.network, m.cidr4), m.cidr4, domain};
                if (m.cidr4 < broad_ipv4_prefix) {
                    const auto& n = out_.nodes[static_cast<std::size_t>(me)];
                    problem(m.cidr4 == 0 ? spf_severity::error : spf_severity::warning, spf_problem_code::broad_range,
                            domain, n.record, m.text,
                            "\"" + m.text + "\" authorises " + std::to_string(std::uint64_t{1} << (ip4_bits - m.cidr4)) +
                                " IPv4 addresses",
                            "list only the networks of your own mail servers and providers", false);
                }
                out_.ip4_ranges.push_back(std::move(r));
                return;
            }
            case spf_mechanism_kind::ip6: {
                if (m.cidr6 < broad_ipv6_prefix) {
                    const auto& n = out_.nodes[static_cast<std::size_t>(me)];
                    problem(m.cidr6 == 0 ? spf_severity::error : spf_severity::warning, spf_problem_code::broad_range,
                            domain, n.record, m.text,
                            "\"" + m.text + "\" authorises a /" + std::to_string(m.cidr6) + " of IPv6",
                            "list only the networks of your own mail servers and providers", false);
                }
                out_.ip6_ranges.push_back({masked(m.network, m.cidr6), m.cidr6, domain});
                return;
            }
            case spf_mechanism_kind::ptr: {
                count_term(me, m.text);
                out_.uses_ptr = true;
                const auto& n = out_.nodes[static_cast<std::size_t>(me)];
                problem(spf_severity::warning, spf_problem_code::ptr_used, domain, n.record, m.text,
                        "\"ptr\" SHOULD NOT be used (RFC 7208 §5.5): slow, unreliable, and many receivers skip it",
                        "replace it with ip4:/ip6: ranges or a:/include: of the sending hosts", false);
                return;
            }
            case spf_mechanism_kind::a:
            case spf_mechanism_kind::mx:
            case spf_mechanism_kind::exists:
                break;
        }
        count_term(me, m.text);
        if (m.has_macros) return;  // dynamic: nothing to look up without a message
        const std::string target = m.domain_spec.empty() ? domain : canonical(m.domain_spec);
        if (!budget_left()) {
            truncated();
            return;
        }
        const dns::rr_type type = m.kind == spf_mechanism_kind::mx ? dns::rr_type::mx : dns::rr_type::a;
        dns::answer a = lookup(me, m.text, target, type, true, true);
        if (is_lookup_error(a)) {
            const auto& n = out_.nodes[static_cast<std::size_t>(me)];
            problem(spf_severity::warning, spf_problem_code::dns_error, domain, n.record, m.text,
                    "\"" + m.text + "\": DNS error looking up " + target + " (" + std::string(dns_status(a.status)) +
                        "): evaluations reaching it are temperror",
                    "check the name servers of " + target, true);
            return;
        }
        if (a.is_void()) {
            void_problem(me, m.text, target);
            return;
        }
        if (m.kind != spf_mechanism_kind::mx) return;
        if (a.records.size() > limits::spf_max_mx_names) {
            const auto& n = out_.nodes[static_cast<std::size_t>(me)];
            problem(spf_severity::error, spf_problem_code::too_many_mx, domain, n.record, m.text,
                    target + " has " + std::to_string(a.records.size()) + " MX records; \"" + m.text +
                        "\" is a permerror above " + std::to_string(limits::spf_max_mx_names) + " (RFC 7208 §4.6.4)",
                    "replace \"" + m.text + "\" with ip4:/ip6: ranges of the sending hosts", true);
            return;
        }
        // Evaluation looks up every MX host's addresses for a non-matching IP; they do not count.
        for (const auto& rr : a.records) {
            const auto* mx = std::get_if<dns::mx_rdata>(&rr.data);
            if (!mx || mx->exchange.empty()) continue;
            (void)lookup(me, m.text, mx->exchange, dns::rr_type::a, false, false);
        }
    }

    static std::string_view dns_status(dns::rcode r) {
        switch (r) {
            case dns::rcode::noerror: return "NOERROR";
            case dns::rcode::nxdomain: return "NXDOMAIN";
            case dns::rcode::servfail: return "SERVFAIL";
            case dns::rcode::timeout: return "timeout";
            case dns::rcode::refused: return "REFUSED";
            case dns::rcode::formerr: return "FORMERR";
        }
        return "error";
    }

    // ---- totals and findings over the whole tree ------------------------------------------------

    void finish() {
        if (!out_.nodes.empty()) out_.record = out_.nodes.front().record;
        // Subtree sums: nodes are in pre-order, so children come after parents.
        for (auto& n : out_.nodes) {
            n.subtree_lookups = n.own_lookups;
            n.subtree_voids = n.own_voids;
        }
        for (std::size_t i = out_.nodes.size(); i-- > 1;) {
            const auto p = static_cast<std::size_t>(out_.nodes[i].parent);
            out_.nodes[p].subtree_lookups += out_.nodes[i].subtree_lookups;
            out_.nodes[p].subtree_voids += out_.nodes[i].subtree_voids;
        }

        out_.over_lookup_limit = out_.lookups > limits::spf_max_dns_terms;
        out_.over_void_limit = out_.void_lookups > limits::spf_max_void_lookups;
        if (out_.over_lookup_limit) {
            const auto& where = out_.nodes[static_cast<std::size_t>(*out_.limit_crossed_at_node)];
            std::string msg = "evaluation needs " + std::to_string(out_.lookups) +
                              (out_.dynamic ? "+" : "") + " DNS-querying terms, more than " +
                              std::to_string(limits::spf_max_dns_terms) +
                              ": receivers return permerror (RFC 7208 §4.6.4). The 11th is \"" +
                              out_.limit_crossed_by + "\" in the record of " + where.domain;
            if (out_.limit_crossed_under != out_.limit_crossed_by) msg += ", under \"" + out_.limit_crossed_under + "\"";
            std::string per;
            for (const auto& n : out_.nodes) {
                if (n.depth != 1) continue;
                per += (per.empty() ? "" : ", ") + n.term + " = " + std::to_string(n.subtree_lookups);
            }
            if (!per.empty()) msg += " (" + per + ")";
            problem(spf_severity::error, spf_problem_code::too_many_lookups, out_.domain, out_.record,
                    out_.limit_crossed_under, msg,
                    "remove unused includes, replace a/mx/ptr with ip4:/ip6: ranges, or flatten nested includes",
                    true);
        }
        if (out_.over_void_limit) {
            problem(spf_severity::error, spf_problem_code::too_many_void_lookups, out_.domain, out_.record, {},
                    std::to_string(out_.void_lookups) + " void lookups (NXDOMAIN/no records), more than " +
                        std::to_string(limits::spf_max_void_lookups) + ": receivers return permerror (RFC 7208 §4.6.4)",
                    "remove the terms that point at names without records", true);
        }

        // IPv4 totals: raw sum and the size of the union.
        std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
        for (const auto& r : out_.ip4_ranges) {
            const std::uint64_t size = std::uint64_t{1} << (ip4_bits - r.prefix);
            out_.ipv4_addresses_raw += size;
            const std::uint64_t start = to_u32(r.network);
            spans.emplace_back(start, start + size);
        }
        std::sort(spans.begin(), spans.end());
        std::uint64_t cur_start = 0, cur_end = 0;
        bool open = false;
        for (const auto& [s, e] : spans) {
            if (open && s <= cur_end) {
                cur_end = std::max(cur_end, e);
                continue;
            }
            if (open) out_.ipv4_addresses += cur_end - cur_start;
            cur_start = s;
            cur_end = e;
            open = true;
        }
        if (open) out_.ipv4_addresses += cur_end - cur_start;

        // Overall status: what a receiver gets for a non-matching IP, as far as errors go.
        bool perm = false, temp = false;
        for (const auto& p : out_.problems) {
            if (!p.breaks_evaluation) continue;
            if (p.code == spf_problem_code::dns_error) {
                temp = true;
            } else {
                perm = true;
            }
        }
        if (out_.nodes.empty() || out_.nodes.front().status == spf_result::none) {
            out_.status = spf_result::none;
        } else if (perm) {
            out_.status = spf_result::permerror;
        } else if (temp) {
            out_.status = spf_result::temperror;
        } else {
            out_.status = spf_result::neutral;
        }
        // Errors first (stable within a severity).
        std::stable_sort(out_.problems.begin(), out_.problems.end(),
                         [](const spf_problem& a, const spf_problem& b) { return a.severity > b.severity; });
    }

    dns::resolver& dns_;
    spf_analysis& out_;
    bool truncated_ = false;
};

}  // namespace

std::string_view to_string(spf_severity s) {
    switch (s) {
        case spf_severity::info: return "info";
        case spf_severity::warning: return "warning";
        case spf_severity::error: return "error";
    }
    return "info";
}

std::string_view to_string(spf_problem_code c) {
    switch (c) {
        case spf_problem_code::no_record: return "spf_no_record";
        case spf_problem_code::multiple_records: return "spf_multiple_records";
        case spf_problem_code::syntax_error: return "spf_syntax_error";
        case spf_problem_code::dns_error: return "spf_dns_error";
        case spf_problem_code::too_many_lookups: return "spf_too_many_lookups";
        case spf_problem_code::too_many_void_lookups: return "spf_too_many_void_lookups";
        case spf_problem_code::too_many_mx: return "spf_too_many_mx";
        case spf_problem_code::include_without_spf: return "spf_include_without_spf";
        case spf_problem_code::redirect_without_spf: return "spf_redirect_without_spf";
        case spf_problem_code::loop: return "spf_loop";
        case spf_problem_code::pass_all: return "spf_pass_all";
        case spf_problem_code::neutral_all: return "spf_neutral_all";
        case spf_problem_code::no_all: return "spf_no_all";
        case spf_problem_code::ptr_used: return "spf_ptr_used";
        case spf_problem_code::dynamic: return "spf_dynamic";
        case spf_problem_code::void_lookup: return "spf_void_lookup";
        case spf_problem_code::broad_range: return "spf_broad_range";
        case spf_problem_code::analysis_truncated: return "spf_analysis_truncated";
    }
    return "spf_unknown";
}

std::string_view to_string(spf_all_policy a) {
    switch (a) {
        case spf_all_policy::missing: return "missing";
        case spf_all_policy::pass: return "+all";
        case spf_all_policy::fail: return "-all";
        case spf_all_policy::softfail: return "~all";
        case spf_all_policy::neutral: return "?all";
    }
    return "missing";
}

spf_analysis analyze_spf(dns::resolver& dns, std::string_view domain) {
    spf_analysis out;
    walker w(dns, out);
    w.run(domain);
    return out;
}

}  // namespace dmarcsight::auth
