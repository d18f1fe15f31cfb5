#include "auth/spf_check.hpp"

#include <ctime>
#include <optional>
#include <utility>

#include "auth/spf_macro.hpp"
#include "auth/spf_record.hpp"

namespace dmarcsight::auth {

namespace {

constexpr std::size_t max_label = 63;  // RFC 1035 §2.3.4

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view strip_dot(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return s;
}

// Is `name` (after stripping one trailing dot) equal to `target` or below it? Case-insensitive.
bool within(std::string_view name, std::string_view target) {
    name = strip_dot(name);
    target = strip_dot(target);
    if (target.empty()) return true;
    if (name.size() < target.size()) return false;
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (lower(name[name.size() - target.size() + i]) != lower(target[i])) return false;
    }
    return name.size() == target.size() || name[name.size() - target.size() - 1] == '.';
}

spf_result from_qualifier(spf_qualifier q) {
    switch (q) {
        case spf_qualifier::pass: return spf_result::pass;
        case spf_qualifier::fail: return spf_result::fail;
        case spf_qualifier::softfail: return spf_result::softfail;
        case spf_qualifier::neutral: return spf_result::neutral;
    }
    return spf_result::neutral;
}

struct sender_identity {
    std::string sender, local, domain;
};

// RFC 7208 §4.3: "If the <sender> has no local-part, substitute the string "postmaster"".
sender_identity split_sender(std::string_view sender) {
    sender_identity id;
    const auto at = sender.rfind('@');
    if (at == std::string_view::npos) {
        id.domain = std::string(sender);
    } else {
        id.local = std::string(sender.substr(0, at));
        id.domain = std::string(sender.substr(at + 1));
    }
    if (id.local.empty()) id.local = "postmaster";
    id.sender = id.local + "@" + id.domain;
    return id;
}

bool is_lookup_error(const dns::answer& a) {
    // RFC 7208 §5: any RCODE other than 0 (NOERROR) or 3 (NXDOMAIN), or a timeout.
    return a.status != dns::rcode::noerror && a.status != dns::rcode::nxdomain;
}

class evaluator final : public spf_validated_name_source {
public:
    evaluator(dns::resolver& dns, const spf_request& req, const spf_options& opt, spf_outcome& out)
        : dns_(dns), req_(req), opt_(opt), out_(out), id_(split_sender(req.sender)) {
        timestamp_ = req.timestamp != 0 ? req.timestamp : static_cast<std::int64_t>(std::time(nullptr));
    }

    spf_result run(std::string_view domain) {
        out_.domain = std::string(strip_dot(domain));
        return check(domain, -1, spf_edge::top, {}, 0, opt_.compute_explanation);
    }

    std::string validated_name(std::string_view domain) override {
        if (!validated_) compute_validated();
        const std::vector<std::string>& names = *validated_;
        for (const auto& n : names) {
            if (within(n, domain) && strip_dot(n).size() == strip_dot(domain).size()) return n;
        }
        for (const auto& n : names) {
            if (within(n, domain)) return n;
        }
        return names.empty() ? std::string("unknown") : names.front();
    }

private:
    // ---- accounting -------------------------------------------------------------------------

    dns::answer lookup(int visit, std::string_view term, const std::string& name, dns::rr_type type, bool counted,
                       bool counts_void) {
        dns::answer a = dns_.query(name, type);
        const bool is_void = a.is_void();
        if (counts_void && is_void) ++out_.void_lookups;
        if (opt_.keep_trace) {
            spf_lookup l;
            l.visit = visit;
            l.term = std::string(term);
            l.name = name;
            l.type = type;
            l.status = a.status;
            l.answers = a.records.size();
            l.counted = counted;
            l.is_void = is_void;
            l.counted_void = counts_void && is_void;
            out_.trace.push_back(std::move(l));
        }
        return a;
    }

    void note_unqueried(int visit, std::string_view term, const std::string& name, dns::rr_type type, bool counted) {
        if (!opt_.keep_trace) return;
        spf_lookup l;
        l.visit = visit;
        l.term = std::string(term);
        l.name = name;
        l.type = type;
        l.queried = false;
        l.counted = counted;
        out_.trace.push_back(std::move(l));
    }

    // RFC 7208 §4.6.4: one more DNS-querying term; false (and a permerror reason) past the limit.
    bool take_dns_term(std::string_view term) {
        ++out_.dns_terms;
        if (out_.dns_terms <= opt_.max_dns_terms) return true;
        out_.reason = "more than " + std::to_string(opt_.max_dns_terms) + " DNS-querying terms (RFC 7208 §4.6.4) at \"" +
                      std::string(term) + "\"";
        return false;
    }

    bool void_limit_exceeded(std::string_view term) {
        if (out_.void_lookups <= opt_.max_void_lookups) return false;
        out_.reason = "more than " + std::to_string(opt_.max_void_lookups) + " void lookups (RFC 7208 §4.6.4) at \"" +
                      std::string(term) + "\"";
        return true;
    }

    spf_result temperror(std::string reason) {
        out_.reason = std::move(reason);
        return spf_result::temperror;
    }
    spf_result permerror(std::string reason) {
        out_.reason = std::move(reason);
        return spf_result::permerror;
    }

    // ---- macro expansion -------------------------------------------------------------------

    spf_macro_values macro_values(std::string_view domain) {
        spf_macro_values v;
        v.sender = id_.sender;
        v.local_part = id_.local;
        v.sender_domain = id_.domain;
        v.domain = domain;
        v.ip = req_.ip;
        v.helo = req_.helo;
        v.receiver = req_.receiver;
        v.timestamp = timestamp_;
        v.validated = this;
        return v;
    }

    // The <target-name> of a mechanism/modifier: the expanded domain-spec, or <domain> itself.
    std::optional<std::string> target_name(const std::string& spec, std::string_view domain) {
        if (spec.empty()) return std::string(domain);
        if (!contains_macro(spec)) return spec;
        auto expanded = expand_macros(spec, spf_macro_scope::domain, macro_values(domain));
        if (!expanded) return std::nullopt;
        return truncate_domain(std::move(*expanded));
    }

    // %{p}: RFC 7208 §5.5 steps (PTR, at most 10 names, each validated by an address lookup).
    void compute_validated() {
        validated_.emplace();
        const int visit = current_visit_;
        dns::answer ptr = lookup(visit, "%{p}", reverse_lookup_name(req_.ip), dns::rr_type::ptr, false, false);
        if (!ptr.ok()) return;
        std::size_t processed = 0;
        for (const auto& rr : ptr.records) {
            if (processed++ >= limits::spf_max_ptr_names) break;
            const auto* name = std::get_if<std::string>(&rr.data);
            if (!name || !is_valid_spf_domain(*name)) continue;
            if (address_matches(visit, "%{p}", *name, ip_bits(), ip_bits()) == match::yes) {
                validated_->push_back(*name);
            }
        }
    }

    // ---- mechanisms ----------------------------------------------------------------------------

    enum class match { no, yes, temperror };

    unsigned ip_bits() const { return req_.ip.is_v4() ? 32U : 128U; }
    dns::rr_type address_type() const { return req_.ip.is_v4() ? dns::rr_type::a : dns::rr_type::aaaa; }

    static bool any_address_in(const dns::answer& a, const ip_address& ip, unsigned cidr4, unsigned cidr6) {
        for (const auto& rr : a.records) {
            const auto* addr = std::get_if<ip_address>(&rr.data);
            if (addr && ip.in_prefix(*addr, ip.is_v4() ? cidr4 : cidr6)) return true;
        }
        return false;
    }

    // Look up `name`'s A/AAAA records (not a term of its own: counts neither term nor void) and
    // compare. A DNS error is reported as match::temperror; callers decide (§5.4 vs §5.5).
    match address_matches(int visit, std::string_view term, const std::string& name, unsigned cidr4, unsigned cidr6) {
        dns::answer a = lookup(visit, term, name, address_type(), false, false);
        if (is_lookup_error(a)) return match::temperror;
        return any_address_in(a, req_.ip, cidr4, cidr6) ? match::yes : match::no;
    }

    struct step {
        bool matched = false;
        std::optional<spf_result> stop;  // temperror/permerror: evaluation ends
    };

    step eval_mechanism(const spf_mechanism& m, std::string_view domain, int visit, int depth) {
        step s;
        if (m.queries_dns() && !take_dns_term(m.text)) {
            s.stop = spf_result::permerror;
            return s;
        }
        std::optional<std::string> target;
        if (m.kind != spf_mechanism_kind::ip4 && m.kind != spf_mechanism_kind::ip6 &&
            m.kind != spf_mechanism_kind::all) {
            target = target_name(m.domain_spec, domain);
            if (!target) {
                s.stop = permerror("macro expansion failed in \"" + m.text + "\"");
                return s;
            }
        }
        switch (m.kind) {
            case spf_mechanism_kind::all:
                s.matched = true;
                return s;
            case spf_mechanism_kind::ip4:
            case spf_mechanism_kind::ip6: {
                const bool v4 = m.kind == spf_mechanism_kind::ip4;
                s.matched = req_.ip.is_v4() == v4 && req_.ip.in_prefix(m.network, v4 ? m.cidr4 : m.cidr6);
                return s;
            }
            case spf_mechanism_kind::include: {
                // RFC 7208 §5.2 table: pass → match; fail/softfail/neutral → no match;
                // temperror → temperror; permerror or none → permerror.
                const spf_result r = check(*target, visit, spf_edge::include, m.text, depth + 1, false);
                switch (r) {
                    case spf_result::pass: s.matched = true; break;
                    case spf_result::fail:
                    case spf_result::softfail:
                    case spf_result::neutral: break;
                    case spf_result::temperror: s.stop = spf_result::temperror; break;
                    case spf_result::none:
                        s.stop = permerror("include:" + *target + " has no SPF record (RFC 7208 §5.2)");
                        break;
                    case spf_result::permerror: s.stop = spf_result::permerror; break;
                }
                return s;
            }
            case spf_mechanism_kind::a: {
                if (!is_queryable(*target)) {
                    note_unqueried(visit, m.text, *target, address_type(), true);
                    return s;
                }
                dns::answer a = lookup(visit, m.text, *target, address_type(), true, true);
                if (is_lookup_error(a)) {
                    s.stop = temperror("DNS error for " + *target + " (" + m.text + ")");
                    return s;
                }
                if (void_limit_exceeded(m.text)) {
                    s.stop = spf_result::permerror;
                    return s;
                }
                s.matched = any_address_in(a, req_.ip, m.cidr4, m.cidr6);
                return s;
            }
            case spf_mechanism_kind::mx: {
                if (!is_queryable(*target)) {
                    note_unqueried(visit, m.text, *target, dns::rr_type::mx, true);
                    return s;
                }
                dns::answer mx = lookup(visit, m.text, *target, dns::rr_type::mx, true, true);
                if (is_lookup_error(mx)) {
                    s.stop = temperror("DNS error for " + *target + " MX (" + m.text + ")");
                    return s;
                }
                if (void_limit_exceeded(m.text)) {
                    s.stop = spf_result::permerror;
                    return s;
                }
                // RFC 7208 §4.6.4: more than 10 MX records → permerror.
                if (mx.records.size() > limits::spf_max_mx_names) {
                    s.stop = permerror(*target + " has " + std::to_string(mx.records.size()) +
                                       " MX records, more than " + std::to_string(limits::spf_max_mx_names) +
                                       " (RFC 7208 §4.6.4)");
                    return s;
                }
                for (const auto& rr : mx.records) {
                    const auto* data = std::get_if<dns::mx_rdata>(&rr.data);
                    // A null MX (RFC 7505, exchange ".") names no host.
                    if (!data || strip_dot(data->exchange).empty()) continue;
                    const match r = address_matches(visit, m.text, data->exchange, m.cidr4, m.cidr6);
                    if (r == match::temperror) {
                        s.stop = temperror("DNS error for MX host " + data->exchange + " (" + m.text + ")");
                        return s;
                    }
                    if (r == match::yes) {
                        s.matched = true;
                        return s;
                    }
                }
                return s;
            }
            case spf_mechanism_kind::ptr: {
                const std::string rname = reverse_lookup_name(req_.ip);
                dns::answer ptr = lookup(visit, m.text, rname, dns::rr_type::ptr, true, true);
                // RFC 7208 §5.5: "If a DNS error occurs while doing the PTR RR lookup, then this
                // mechanism fails to match."
                if (is_lookup_error(ptr)) return s;
                if (void_limit_exceeded(m.text)) {
                    s.stop = spf_result::permerror;
                    return s;
                }
                std::size_t processed = 0;
                for (const auto& rr : ptr.records) {
                    // RFC 7208 §4.6.4: at most 10 PTR names are processed, the rest ignored.
                    if (processed++ >= limits::spf_max_ptr_names) break;
                    const auto* name = std::get_if<std::string>(&rr.data);
                    if (!name || !within(*name, *target) || !is_queryable(*name)) continue;
                    // §5.5: an address-lookup error skips that name.
                    if (address_matches(visit, m.text, *name, ip_bits(), ip_bits()) == match::yes) {
                        s.matched = true;
                        return s;
                    }
                }
                return s;
            }
            case spf_mechanism_kind::exists: {
                if (!is_queryable(*target)) {
                    note_unqueried(visit, m.text, *target, dns::rr_type::a, true);
                    return s;
                }
                // RFC 7208 §5.7: always an A query, whatever the family of <ip>.
                dns::answer a = lookup(visit, m.text, *target, dns::rr_type::a, true, true);
                if (is_lookup_error(a)) {
                    s.stop = temperror("DNS error for " + *target + " (" + m.text + ")");
                    return s;
                }
                if (void_limit_exceeded(m.text)) {
                    s.stop = spf_result::permerror;
                    return s;
                }
                s.matched = !a.records.empty();
                return s;
            }
        }
        return s;
    }

    static bool is_queryable(std::string_view name) {
        name = strip_dot(name);
        if (name.empty() || name.size() > limits::spf_max_expanded_name) return false;
        std::size_t label = 0;
        for (char c : name) {
            if (c == '.') {
                if (label == 0) return false;
                label = 0;
            } else if (++label > max_label) {
                return false;
            }
        }
        return label > 0;
    }

    // ---- explanation (RFC 7208 §6.2) -----------------------------------------------------------

    std::string explanation(const std::string& exp_spec, std::string_view domain, int visit) {
        auto name = target_name(exp_spec, domain);
        if (!name || !is_queryable(*name)) return {};
        // The exp= lookup is not a DNS-querying term and not a void lookup (§4.6.4 lists neither).
        dns::answer a = lookup(visit, "exp=" + exp_spec, *name, dns::rr_type::txt, false, false);
        // §6.2: no explanation on a DNS error, no records, or more than one record.
        if (!a.ok() || a.records.size() != 1) return {};
        const auto* txt = std::get_if<dns::txt_rdata>(&a.records.front().data);
        if (!txt) return {};
        auto text = expand_macros(txt->joined(), spf_macro_scope::explanation, macro_values(domain));
        if (!text) return {};
        return std::move(*text);
    }

    // ---- check_host() --------------------------------------------------------------------------

    spf_result check(std::string_view domain_in, int parent, spf_edge via, std::string_view term, int depth,
                     bool want_exp) {
        const std::string domain(strip_dot(domain_in));
        // RFC 7208 §4.3: a malformed or single-label domain → "none", no lookup.
        if (!is_valid_spf_domain(domain)) {
            if (via == spf_edge::top) out_.reason = "malformed domain (RFC 7208 §4.3)";
            return spf_result::none;
        }
        int visit = 0;
        if (opt_.keep_trace) {
            visit = static_cast<int>(out_.visits.size());
            spf_visit v;
            v.domain = domain;
            v.parent = parent;
            v.via = via;
            v.term = std::string(term);
            v.depth = depth;
            out_.visits.push_back(std::move(v));
        }
        const int saved_visit = current_visit_;
        current_visit_ = visit;
        const spf_result r = check_record(domain, visit, via, term, depth, want_exp);
        current_visit_ = saved_visit;
        return r;
    }

    spf_result check_record(const std::string& domain, int visit, spf_edge via, std::string_view term, int depth,
                            bool want_exp) {
        // RFC 7208 §4.4: TXT only (type 99 is not queried). The include/redirect term that brought
        // us here is counted on this lookup; its void answer counts too.
        const bool counted = via != spf_edge::top;
        dns::answer txt = lookup(visit, term, domain, dns::rr_type::txt, counted, counted);
        if (is_lookup_error(txt)) return temperror("DNS error looking up the SPF record of " + domain);
        if (counted && void_limit_exceeded(term)) return spf_result::permerror;
        if (txt.status == dns::rcode::nxdomain) {
            if (via == spf_edge::top) out_.reason = domain + " does not exist";
            return spf_result::none;
        }
        // RFC 7208 §4.5: exactly one record starting "v=spf1".
        std::string record;
        std::size_t found = 0;
        for (const auto& rr : txt.records) {
            const auto* t = std::get_if<dns::txt_rdata>(&rr.data);
            if (!t) continue;
            std::string joined = t->joined();
            if (!is_spf_record(joined)) continue;
            if (++found == 1) record = std::move(joined);
        }
        if (found == 0) {
            if (via == spf_edge::top) out_.reason = domain + " publishes no SPF record";
            return spf_result::none;
        }
        if (found > 1) return permerror(domain + " publishes " + std::to_string(found) + " SPF records (RFC 7208 §4.5)");
        if (opt_.keep_trace) out_.visits[static_cast<std::size_t>(visit)].record = record;

        spf_record_cache::entry cached;
        std::optional<result<spf_record>> local;
        const result<spf_record>* parsed = nullptr;
        if (opt_.cache) {
            cached = opt_.cache->get(record);
            parsed = cached.get();
        } else {
            local.emplace(parse_spf_record(record));
            parsed = &*local;
        }
        if (!parsed->ok()) return permerror("syntax error in the SPF record of " + domain + ": " + parsed->err().message);
        const spf_record& rec = parsed->value();

        for (const auto& m : rec.mechanisms) {
            step s = eval_mechanism(m, domain, visit, depth);
            if (s.stop) return *s.stop;
            if (!s.matched) continue;
            const spf_result r = from_qualifier(m.qualifier);
            out_.matched_term = m.text;
            out_.matched_domain = domain;
            out_.reason = "\"" + m.text + "\" matched in the record of " + domain;
            if (r == spf_result::fail && want_exp && rec.exp) out_.explanation = explanation(*rec.exp, domain, visit);
            return r;
        }
        // RFC 7208 §6.1: redirect applies when no mechanism matched (and is ignored when "all" exists,
        // which always matches).
        if (rec.redirect) {
            const std::string redirect_term = "redirect=" + *rec.redirect;
            if (!take_dns_term(redirect_term)) return spf_result::permerror;
            auto target = target_name(*rec.redirect, domain);
            if (!target) return permerror("macro expansion failed in \"" + redirect_term + "\"");
            const spf_result r = check(*target, visit, spf_edge::redirect, redirect_term, depth + 1, want_exp);
            // §6.1: "if no SPF record is found ... the result is permerror".
            if (r == spf_result::none) return permerror(redirect_term + ": " + *target + " has no SPF record (RFC 7208 §6.1)");
            return r;
        }
        // RFC 7208 §4.7: no match, no redirect → neutral.
        out_.matched_term.clear();
        out_.matched_domain = domain;
        out_.reason = "no mechanism matched in the record of " + domain + " (default neutral)";
        return spf_result::neutral;
    }

    dns::resolver& dns_;
    const spf_request& req_;
    const spf_options& opt_;
    spf_outcome& out_;
    sender_identity id_;
    std::int64_t timestamp_ = 0;
    int current_visit_ = 0;
    std::optional<std::vector<std::string>> validated_;
};

}  // namespace

std::string_view to_string(spf_result r) {
    switch (r) {
        case spf_result::none: return "none";
        case spf_result::neutral: return "neutral";
        case spf_result::pass: return "pass";
        case spf_result::fail: return "fail";
        case spf_result::softfail: return "softfail";
        case spf_result::temperror: return "temperror";
        case spf_result::permerror: return "permerror";
    }
    return "none";
}

std::string_view to_string(spf_edge e) {
    switch (e) {
        case spf_edge::top: return "top";
        case spf_edge::include: return "include";
        case spf_edge::redirect: return "redirect";
    }
    return "top";
}

bool is_valid_spf_domain(std::string_view domain) {
    domain = strip_dot(domain);
    if (domain.empty() || domain.size() > limits::max_domain_length) return false;
    if (domain.front() == '[') return false;  // an address literal is not a domain
    std::size_t label = 0, labels = 1;
    for (char c : domain) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            ++labels;
        } else if (++label > max_label) {
            return false;
        }
    }
    // RFC 7208 §4.3: "... or is not a multi-label domain name" → none.
    return label > 0 && labels > 1;
}

spf_outcome check_host(dns::resolver& dns, const spf_request& request, std::string_view domain,
                       const spf_options& options) {
    spf_outcome out;
    evaluator e(dns, request, options, out);
    out.result = e.run(domain);
    if (out.result != spf_result::fail) out.explanation.clear();
    return out;
}

spf_outcome check_spf(dns::resolver& dns, const spf_request& request, const spf_options& options) {
    // RFC 7208 §2.4: a null reverse-path is checked as postmaster@<HELO>.
    if (request.sender.empty()) {
        spf_request r = request;
        r.sender = "postmaster@" + request.helo;
        return check_host(dns, r, request.helo, options);
    }
    const auto at = request.sender.rfind('@');
    const std::string_view domain =
        at == std::string::npos ? std::string_view(request.sender) : std::string_view(request.sender).substr(at + 1);
    return check_host(dns, request, domain, options);
}

}  // namespace dmarcsight::auth
