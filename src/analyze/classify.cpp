#include "analyze/classify.hpp"

#include <algorithm>
#include <cstdio>
#include <future>
#include <unordered_map>

#include "core/ip_address.hpp"

namespace dmarcsight::analyze {

namespace {

std::string pct(double share) {
    char buf[32];
    const double p = share * 100.0;
    // Never "0.0%" for some, never "100.0%" for not all (as the tables print shares).
    if (p > 0 && p < 0.1) return "<0.1%";
    if (p < 100 && p >= 99.95) return ">99.9%";
    std::snprintf(buf, sizeof buf, "%.1f%%", p);
    return buf;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
    return s;
}

// The registrable part of a host name, roughly: its last two labels (three when the second-last
// is short, as in co.uk). Only used to compare a host's name with the domain SPF passes for; the
// PSL-exact base domain comes from enrichment.
std::string_view rough_base(std::string_view name) {
    std::size_t dots = 0;
    for (std::size_t i = name.size(); i-- > 0;) {
        if (name[i] == '.') {
            ++dots;
            const std::string_view tail = name.substr(i + 1);
            const std::size_t next = tail.find('.');
            if (dots == 2 && next != std::string_view::npos && next <= 3) continue;
            if (dots >= 2) return tail;
        }
    }
    return name;
}

std::string who(const source_evidence& e) {
    if (e.service) return e.service->name;
    if (e.ip && !e.ip->ptr.empty()) return e.ip->ptr;
    return "this host";
}

std::string origin(const source_evidence& e) {
    std::string o;
    if (!e.ip) return "reverse DNS not checked";
    if (e.ip->ptr.empty()) o = e.ip->status == "error" ? "reverse DNS lookup failed" : "no PTR";
    else o = e.ip->fcrdns ? "PTR " + e.ip->ptr : "PTR " + e.ip->ptr + " (not forward-confirmed)";
    if (e.ip->asn) o += ", AS" + std::to_string(*e.ip->asn) + (e.ip->as_name.empty() ? "" : " " + e.ip->as_name);
    if (!e.ip->country.empty()) o += ", " + e.ip->country;
    return o;
}

}  // namespace

std::string_view to_string(source_class c) {
    switch (c) {
        case source_class::authorized: return "authorized";
        case source_class::authorized_failing: return "authorized_failing";
        case source_class::forwarded: return "forwarded";
        case source_class::mailing_list: return "mailing_list";
        case source_class::third_party_unaligned: return "third_party_unaligned";
        case source_class::spoofing: return "spoofing";
        case source_class::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<source_class> parse_source_class(std::string_view t) {
    for (auto c : {source_class::authorized, source_class::authorized_failing, source_class::forwarded, source_class::mailing_list,
                   source_class::third_party_unaligned, source_class::spoofing, source_class::unknown})
        if (to_string(c) == t) return c;
    return std::nullopt;
}

source_evidence find_service(const source_summary& s, const store::ip_info* ip, const service_directory* dir) {
    source_evidence e;
    e.ip = ip;
    if (!dir) return e;
    if (ip && ip->fcrdns && !ip->ptr.empty()) {
        e.service = dir->by_ptr(ip->ptr);
        e.service_by_ptr = e.service != nullptr;
    }
    // A mailbox provider's hosts also carry its lists and forwarding (Google Groups from
    // google.com hosts): a list or forwarder named by the envelope or DKIM domain is the better name.
    const service_info* by_dkim = s.foreign_dkim_domain.empty() ? nullptr : dir->by_domain(s.foreign_dkim_domain);
    const service_info* by_spf = s.foreign_spf_domain.empty() ? nullptr : dir->by_domain(s.foreign_spf_domain);
    if (e.service && e.service->type == "mailbox_provider") {
        for (const service_info* other : {by_spf, by_dkim})
            if (other && (other->is_list() || other->is_forwarder())) {
                e.service = other;
                e.service_by_ptr = false;
                break;
            }
    }
    if (!e.service) e.service = by_dkim ? by_dkim : by_spf;
    return e;
}

bool label_matches(const store::label_row& l, const source_summary& s, const service_info* service) {
    if (l.policy_domain != s.policy_domain) return false;
    if (!l.service.empty()) {
        if (!service) return false;
        if (l.service.size() != service->name.size()) return false;
        for (std::size_t i = 0; i < l.service.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(l.service[i])) != std::tolower(static_cast<unsigned char>(service->name[i])))
                return false;
        return true;
    }
    const auto slash = l.source.find('/');
    const auto ip = ip_address::parse(s.source_ip);
    if (!ip) return l.source == s.source_ip;
    if (slash == std::string::npos) {
        const auto want = ip_address::parse(l.source);
        return want && *want == *ip;
    }
    const auto net = ip_address::parse(std::string_view(l.source).substr(0, slash));
    if (!net) return false;
    unsigned len = 0;
    for (char c : std::string_view(l.source).substr(slash + 1)) {
        if (c < '0' || c > '9') return false;
        len = len * 10 + static_cast<unsigned>(c - '0');
        if (len > 128) return false;
    }
    return ip->in_prefix(*net, len);
}

classification classify(const source_summary& s, const source_evidence& e, const thresholds& t) {
    classification c;
    const auto& m = s.m;
    const std::int64_t n = m.messages;
    const std::string& d = s.policy_domain;
    std::optional<bool> fc;  // forward-confirmed PTR: unknown when not looked up or the lookup failed
    if (e.ip && e.ip->status != "error") fc = e.ip->fcrdns;
    c.certain = fc.has_value();

    if (e.label) {
        c.cls = parse_source_class(e.label->cls).value_or(source_class::unknown);
        c.reason = "labelled " + std::string(to_string(c.cls)) + " by you" + (e.label->note.empty() ? "" : ": " + e.label->note);
        c.certain = true;
        return c;
    }
    if (n <= 0) {
        c.cls = source_class::unknown;
        c.reason = "no messages in the window to judge by";
        return c;
    }
    const double fail = 1.0 - share(m.dmarc_pass, n);
    const double spf_al = share(m.spf_aligned, n);
    const double dkim_al = std::max(share(m.dkim_aligned, n), share(m.dkim_aligned_pass, n));
    const double dkim_af = share(m.dkim_aligned_fail, n);
    const double env_al = share(m.envelope_aligned, n);
    const double spf_pf = share(m.spf_pass_foreign, n);
    const double fwd_reason =
        std::max({share(m.reason_forwarded, n), share(m.reason_trusted_forwarder, n), share(m.reason_arc_pass, n)});
    const double list_reason = share(m.reason_mailing_list, n);
    const bool own_spf = spf_al >= t.majority;
    const bool dkim_ok = dkim_al >= t.majority;
    const bool ptr_in_domain = fc.value_or(false) && e.ip && store::related_domain(e.ip->ptr, d);
    const std::string name = who(e);

    // 2, 3. Intermediaries: forwarders keep the envelope in the domain (SPF cannot survive
    //    forwarding, aligned DKIM can: RFC 7489 §4); mailing lists send with their own envelope and
    //    change the message, breaking the author's DKIM (RFC 7960 §3.2.3). The evidence in the
    //    results decides first; receivers' override reasons next — but arc=pass only says some
    //    intermediary sealed the message (lists seal too), so the envelope says which kind.
    if (!own_spf && !ptr_in_domain) {
        const bool env_kept = env_al >= t.majority;
        const bool own_envelope = spf_pf >= t.majority && !env_kept;
        const double said_forwarded = std::max(share(m.reason_forwarded, n), share(m.reason_trusted_forwarder, n));
        const double arc = share(m.reason_arc_pass, n);
        const auto forwarded = [&] {
            c.cls = source_class::forwarded;
            c.reason = name + " forwards mail: the envelope stays in " + d + " (" + pct(env_al) + "), SPF fails there, aligned DKIM survives on " +
                       pct(dkim_al) + (fwd_reason > 0 ? ", receivers say forwarded/ARC on " + pct(fwd_reason) : "");
            return c;
        };
        const auto list = [&] {
            c.cls = source_class::mailing_list;
            c.reason = name + " is a mailing list: SPF passes for its own envelope" +
                       (s.foreign_spf_domain.empty() ? std::string() : " (" + s.foreign_spf_domain + ")") + " on " + pct(spf_pf) + ", " +
                       d + "'s DKIM signature breaks on " + pct(dkim_af) +
                       (list_reason > 0 ? ", receivers say mailing_list on " + pct(list_reason) : "");
            return c;
        };
        if (env_kept && dkim_ok) return forwarded();
        // A catalogued sender (by its PTR) whose signatures fail is a failing sender, not a list.
        const bool known_sender = e.service && e.service_by_ptr && !e.service->is_list() && !e.service->is_forwarder() &&
                                  e.service->type != "mailbox_provider";
        if (own_envelope && dkim_af >= t.majority && !known_sender) return list();
        if (list_reason >= t.majority) return list();
        if (said_forwarded >= t.majority && !own_envelope) return forwarded();
        if (arc >= t.majority && env_kept) return forwarded();
        if (arc >= t.majority && own_envelope) return list();
        if (e.service && e.service->is_forwarder() && env_kept) return forwarded();
        if (e.service && e.service->is_list() && (e.service_by_ptr || fail >= t.majority)) return list();
    }
    // 4. The domain's own servers, or a service it has set up.
    if (ptr_in_domain || own_spf || dkim_ok) {
        std::string why;
        if (ptr_in_domain) why = "forward-confirmed PTR " + e.ip->ptr + " under " + d;
        else if (own_spf) why = "SPF passes aligned (in " + d + "'s SPF) on " + pct(spf_al);
        else why = "aligned DKIM passes on " + pct(dkim_al) + (s.foreign_spf_domain.empty() ? "" : " (envelope " + s.foreign_spf_domain + ")");
        if (e.service) why = e.service->name + ", " + why;
        if (fc && !*fc) why += "; its PTR is not forward-confirmed";
        if (fail <= t.authorized_max_failure) {
            c.cls = source_class::authorized;
            c.reason = why + "; fails DMARC on " + pct(fail);
            return c;
        }
        c.cls = source_class::authorized_failing;
        // The mechanism the source relies on is the one whose failure fails DMARC.
        c.failing_mechanism = dkim_al >= spf_al ? "dkim" : "spf";
        c.reason = why + "; but fails DMARC on " + pct(fail);
        if (c.failing_mechanism == "dkim") {
            c.fix = "dkim: " + pct(fail) + " of messages from " + name + " fail DMARC: their " + d +
                    " DKIM signature fails or is missing, and SPF is not aligned" +
                    (s.foreign_spf_domain.empty() ? std::string() : " (envelope " + s.foreign_spf_domain + ")") +
                    "; fix: find what alters or skips signing on this host (footers, link rewriting, an unsigned path), "
                    "and give it a return path under " + d + " so SPF aligns as well";
        } else {
            c.fix = "spf: " + pct(fail) + " of messages from " + name + " fail DMARC: SPF does not pass for " + d +
                    "'s envelope on them and DKIM does not align; fix: make sure this host is in the SPF record of the envelope "
                    "domain it uses (mind the 10-lookup limit), and sign its mail with d=" + d;
        }
        return c;
    }
    // 5. A known service sending as the domain without alignment.
    const bool own_domain_spf = fc.value_or(false) && e.ip && !s.foreign_spf_domain.empty() &&
                                store::related_domain(rough_base(e.ip->ptr), rough_base(s.foreign_spf_domain));
    const bool authenticated = spf_pf >= t.majority || share(m.dkim_foreign_pass, n) >= t.majority;
    if (authenticated && ((e.service && !e.service->is_forwarder() && !e.service->is_list()) || own_domain_spf)) {
        c.cls = source_class::third_party_unaligned;
        const std::string svc = e.service ? e.service->name : std::string(rough_base(e.ip->ptr));
        c.reason = svc + " sends as " + d + " authenticated for itself" +
                   (s.foreign_spf_domain.empty() ? std::string() : " (SPF pass for " + s.foreign_spf_domain + ")") +
                   " but not aligned: fails DMARC on " + pct(fail);
        if (e.service && !e.service->setup.empty()) {
            c.fix = replace_all(e.service->setup, "{domain}", d);
        } else {
            c.fix = "set up " + svc + " for " + d + ": sign DKIM with d=" + d + " there (its domain authentication setting) and use a return path under " +
                    d;
            if (e.service && !e.service->spf_includes.empty()) c.fix += " (or add include:" + e.service->spf_includes.front() + " to " + d + "'s SPF)";
        }
        return c;
    }
    // 6. Spoofing, 7. unknown.
    if (!fc && authenticated) {
        c.cls = source_class::unknown;
        c.reason = "authenticates for its own domain" + (s.foreign_spf_domain.empty() ? std::string() : " " + s.foreign_spf_domain) +
                   " but not as " + d + ", and is no known service; reverse DNS not checked (run enrich), so it may be a service you use";
        return c;
    }
    if (fail >= t.majority) {
        c.cls = source_class::spoofing;
        c.reason = "fails DMARC on " + pct(fail) + " with no aligned authentication and " +
                   (fc.value_or(false) ? "no sign of being a service of " + d : std::string("no forward-confirmed PTR")) + " (" + origin(e) + ")";
        return c;
    }
    c.cls = source_class::unknown;
    c.reason = "passes DMARC on " + pct(1.0 - fail) + " without a majority of any one rule's evidence; label it if you know it";
    return c;
}

result<void> classify_summaries(store::store& db, const std::deque<source_summary>& sums, const service_directory* services,
                                const std::vector<store::label_row>& labels, const thresholds& rules,
                                const std::function<void(std::size_t, const classified_source&)>& each) {
    constexpr std::size_t chunk = 4096;  // IPs per ip_infos query
    const auto fetch = [&db, &sums](std::size_t at) {
        const std::size_t end = std::min(sums.size(), at + chunk);
        std::vector<std::string> ips;
        ips.reserve(end - at);
        for (std::size_t i = at; i < end; ++i) ips.push_back(sums[i].source_ip);
        return db.ip_infos(ips);
    };
    // (A future from std::async waits for its task when it goes: an early return leaves none running.)
    std::future<result<std::vector<store::ip_info>>> next;
    if (!sums.empty()) next = std::async(std::launch::async, fetch, std::size_t{0});
    std::unordered_map<std::string_view, const store::ip_info*> by_ip;
    for (std::size_t at = 0; at < sums.size(); at += chunk) {
        const std::size_t end = std::min(sums.size(), at + chunk);
        auto infos = next.get();
        if (end < sums.size()) next = std::async(std::launch::async, fetch, end);
        if (!infos) return unexpected{infos.err()};
        by_ip.clear();
        by_ip.reserve(infos->size());
        for (const auto& i : *infos) by_ip.emplace(i.ip, &i);
        for (std::size_t i = at; i < end; ++i) {
            const auto it = by_ip.find(sums[i].source_ip);
            each(i, classify_source(sums[i], it == by_ip.end() ? nullptr : it->second, services, labels, rules));
        }
    }
    return {};
}

classified_source classify_source(const source_summary& s, const store::ip_info* ip, const service_directory* services,
                                  const std::vector<store::label_row>& labels, const thresholds& rules) {
    classified_source out;
    out.e = find_service(s, ip, services);
    for (const auto& l : labels)
        if (label_matches(l, s, out.e.service))
            if (!out.e.label || (!l.source.empty() && out.e.label->source.empty())) out.e.label = &l;
    out.c = classify(s, out.e, rules);
    return out;
}

}  // namespace dmarcsight::analyze
