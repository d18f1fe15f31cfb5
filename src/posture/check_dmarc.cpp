// DMARC posture: RFC 9989 §4.7/§4.8 record syntax, §4.10 discovery and Organizational Domain,
// RFC 9990 §3 (external report destinations), and the move-to-enforcement advice.
#include <map>

#include "auth/dmarc_record.hpp"
#include "auth/org_domain.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "posture/context.hpp"

namespace dmarcsight::posture::detail {

namespace {

using auth::policy;

int strength(policy p) {
    switch (p) {
        case policy::none: return 0;
        case policy::quarantine: return 1;
        case policy::reject: return 2;
    }
    return 0;
}

std::string pol(policy p) { return std::string(auth::to_string(p)); }

std::string fix_for_issue(const std::string& code) {
    static const std::map<std::string, std::string> fixes = {
        {"missing_p", "add p=none (monitoring), then p=quarantine or p=reject once reports show every sender aligned"},
        {"invalid_policy", "use one of p=none, p=quarantine, p=reject (and the same values for sp=/np=)"},
        {"invalid_value", "correct the value, or remove the tag to get its default"},
        {"deprecated_tag", "remove it: RFC 9989 receivers ignore pct=, rf= and ri= (use t=y instead of pct=0)"},
        {"unknown_tag", "check the tag name for a typo (rua, ruf, sp, np, adkim, aspf, fo, psd, t); remove it otherwise"},
        {"duplicate_tag", "keep a single instance of the tag"},
        {"invalid_uri", "write each destination as mailto:local@host, separated by commas"},
        {"unsupported_scheme", "use mailto: URIs; receivers are only required to support mailto"},
        {"size_suffix", "remove the !size suffix: RFC 9989 dropped report size limits"},
        {"fo_without_ruf", "remove fo=, or add a ruf= destination"},
        {"too_many_uris", "list fewer report destinations"},
        {"missing_equals", "write every element as tag=value, separated by ';'"},
        {"bad_tag_name", "tag names are letters (and digits/_ after the first letter)"},
        {"empty_segment", "remove the doubled ';'"},
        {"testing", "remove t=y once the policy has been verified, so receivers apply it fully"},
    };
    const auto it = fixes.find(code);
    return it == fixes.end() ? std::string() : it->second;
}

// Does this TXT at _dmarc look like a DMARC record that receivers will not recognise?
bool near_miss(std::string_view txt) {
    const std::string lower = text::ascii_lower(txt);
    return lower.find("v=dmarc") != std::string::npos || lower.find("v = dmarc") != std::string::npos ||
           lower.find("p=reject") != std::string::npos || lower.find("p=none") != std::string::npos ||
           lower.find("p=quarantine") != std::string::npos;
}

struct org_cache {
    std::map<std::string, std::string> by_domain;
};

std::string org_of(context& c, org_cache& cache, const std::string& domain) {
    if (auto it = cache.by_domain.find(domain); it != cache.by_domain.end()) return it->second;
    std::string org;
    if (c.options.mode == auth::dmarc_mode::rfc7489) {
        const auto* psl = c.options.psl != nullptr ? c.options.psl : auth::public_suffix_list::system();
        org = psl != nullptr ? auth::psl_organizational_domain(*psl, domain) : domain;
    } else {
        org = auth::organizational_domain(c.dns, domain);
    }
    cache.by_domain.emplace(domain, org);
    return org;
}

// RFC 9990 §3 (RFC 7489 §7.1): a destination outside the policy domain's Organizational Domain
// must publish <policy-domain>._report._dmarc.<dest-host> TXT "v=DMARC1" (a wildcard
// *._report._dmarc.<dest-host> is answered by DNS wildcard synthesis).
void check_destinations(context& c, const std::string& policy_domain, const std::string& policy_org,
                        const std::vector<auth::report_uri>& uris, const char* tag, const std::string& record,
                        org_cache& cache) {
    std::map<std::string, bool> done;
    for (const auto& u : uris) {
        if (!u.valid || u.host.empty() || done.count(u.host) != 0) continue;
        done[u.host] = true;
        // Even a subdomain of the policy domain can be another Organizational Domain (psd=n),
        // so only the policy domain itself is exempt without a look.
        if (u.host == policy_domain) continue;
        const std::string dest_org = org_of(c, cache, u.host);
        if (dest_org == policy_org) continue;
        const std::string name = policy_domain + "._report._dmarc." + u.host;
        if (name.size() > limits::max_domain_length) {
            c.add(severity::error, area::dmarc, "dmarc.external_destination_too_long",
                  std::string(tag) + " destination " + u.host + ": the authorisation name " + name +
                      " is longer than 253 characters, so receivers cannot verify it and drop the destination",
                  record, "use a report destination with a shorter host name, or one inside " + policy_org);
            continue;
        }
        const txt_answer a = query_txt(c.dns, name);
        if (a.temporary_failure()) {
            c.add(severity::warning, area::dmarc, "dmarc.external_destination_temperror",
                  "could not verify that " + u.host + " accepts " + tag + " reports for " + policy_domain + ": " + name +
                      " failed temporarily (" + rcode_text(a.status) + ")",
                  record, "run the check again; if it persists, ask the report provider to fix its DNS");
            continue;
        }
        bool authorised = false;
        for (const auto& t : a.texts) authorised = authorised || auth::is_dmarc_record(t);
        if (authorised) {
            c.add(severity::info, area::dmarc, "dmarc.external_destination_authorized",
                  std::string(tag) + " destination " + u.host + " is outside " + policy_org + " and authorises it at " + name,
                  record);
        } else {
            c.add(severity::error, area::dmarc, "dmarc.external_destination_unauthorized",
                  std::string(tag) + " destination " + text::for_terminal(u.text) + " is outside " + policy_org +
                      " and " + name + " has no TXT record starting with v=DMARC1: receivers will not send reports there (RFC 9990 §3)",
                  record,
                  "ask the operator of " + u.host + " to publish " + name + " TXT \"v=DMARC1;\" (or *._report._dmarc." +
                      u.host + "), or use a destination inside " + policy_org);
        }
    }
}

void check_own_record(context& c, const auth::dmarc_lookup& own, const std::string& org) {
    const auth::dmarc_parse_result& parsed = *own.parsed;
    const std::string& rec = own.dmarc_texts.front();
    const auto& r = parsed.record;
    for (const auto& i : parsed.issues) c.add_issue(area::dmarc, i, rec, fix_for_issue(i.code));
    if (!parsed.applies) {
        c.add(severity::error, area::dmarc, "dmarc.invalid_record",
              "the record is not usable: receivers apply no DMARC policy to " + c.domain, rec,
              "publish a valid record, e.g. v=DMARC1; p=none; rua=mailto:dmarc@" + c.domain);
        return;
    }
    const policy p = r.domain_policy();
    if (p == policy::none) {
        c.add(severity::warning, area::dmarc, "dmarc.policy_none",
              "p=none only monitors: mail forged with " + c.domain + " is still delivered", rec,
              "once the aggregate reports show every legitimate source passing SPF or DKIM aligned, move to "
              "p=quarantine and then p=reject");
    } else if (p == policy::quarantine) {
        c.add(severity::info, area::dmarc, "dmarc.policy_quarantine", "p=quarantine: failing mail goes to spam", rec,
              "move to p=reject once no legitimate mail is being quarantined");
    }
    if (r.pct && *r.pct < 100 && p != policy::none) {
        c.add(severity::warning, area::dmarc, "dmarc.pct_partial",
              "pct=" + std::to_string(*r.pct) + ": RFC 7489 receivers apply p=" + pol(p) + " to only part of the failing "
              "mail, while RFC 9989 receivers ignore pct and apply it to all",
              rec, "raise to pct=100 (or remove pct=); use t=y for a staged roll-out");
    }
    if (r.rua.empty()) {
        c.add(severity::warning, area::dmarc, "dmarc.no_rua",
              "no rua=: receivers send no aggregate reports, so you cannot see who sends as " + c.domain, rec,
              "add rua=mailto:dmarc-reports@" + c.domain + " (or your report provider's address)");
    }
    // Subdomain coverage: sp applies to existing subdomains of an Organizational Domain, np to
    // non-existent ones (RFC 9989 §4.7); on a record below the Organizational Domain sp/np are
    // never consulted (§4.10.1 stops at the Author Domain's own record).
    if (c.domain == org || r.psd == auth::psd_flag::y) {
        const policy sp = r.subdomain_policy(), np = r.nonexistent_policy();
        if (strength(sp) < strength(p)) {
            c.add(severity::warning, area::dmarc, "dmarc.subdomain_policy_weaker",
                  "subdomains get sp=" + pol(sp) + ", weaker than p=" + pol(p) + ": forged mail from any.sub." + c.domain +
                      " is treated more leniently",
                  rec, "set sp=" + pol(p) + " (or remove sp=) unless a subdomain really needs a softer policy");
        }
        if (strength(np) < strength(sp)) {
            c.add(severity::warning, area::dmarc, "dmarc.np_weaker",
                  "non-existent subdomains get np=" + pol(np) + ", weaker than sp=" + pol(sp), rec,
                  "set np=reject: names that do not exist never send legitimate mail");
        }
        c.add(severity::info, area::dmarc, "dmarc.subdomain_coverage",
              "policy for " + c.domain + ": p=" + pol(p) + "; existing subdomains: " + pol(sp) + (r.sp ? " (sp)" : " (from p)") +
                  "; non-existent subdomains: " + pol(np) + (r.np ? " (np)" : r.sp ? " (from sp)" : " (from p)"),
              rec, strength(np) < strength(policy::reject) ? "consider np=reject" : "");
    } else if (r.sp_present || r.np_present) {
        c.add(severity::info, area::dmarc, "dmarc.sp_ignored",
              "sp=/np= on " + c.domain + " have no effect: it is below its Organizational Domain " + org +
                  ", and subdomains of it use " + org + "'s record (RFC 9989 §4.7)",
              rec, "set the subdomain policy on _dmarc." + org + ", or give each subdomain its own record");
    }
    if (r.psd == auth::psd_flag::y) {
        c.add(severity::info, area::dmarc, "dmarc.psd", c.domain + " declares itself a public suffix domain (psd=y)", rec);
    }
    org_cache cache;
    cache.by_domain[c.domain] = org;
    check_destinations(c, c.domain, org, r.rua, "rua", rec, cache);
    check_destinations(c, c.domain, org, r.ruf, "ruf", rec, cache);
    if (!r.ruf.empty()) {
        c.add(severity::info, area::dmarc, "dmarc.ruf",
              "ruf= requests failure reports: few receivers send them, and they can contain personal data", rec);
    }
}

}  // namespace

void check_dmarc(context& c) {
    c.dmarc = auth::discover_policy(c.dns, c.domain, c.options.mode, c.domain_exists, c.options.psl);
    const auth::policy_discovery& d = *c.dmarc;
    if (d.lookups.empty()) return;
    const auth::dmarc_lookup& own = d.lookups.front();
    const std::string own_name = "_dmarc." + c.domain;
    if (own.temporary_failure()) {
        c.add_temperror(area::dmarc, own_name + " TXT", own.detail);
        return;
    }
    for (const auto& t : own.other_texts) {
        if (near_miss(t)) {
            c.add(severity::error, area::dmarc, "dmarc.bad_version",
                  "a TXT record at " + own_name + " looks like DMARC but does not start exactly with v=DMARC1: receivers ignore it", t,
                  "start the record with v=DMARC1; (upper case DMARC1, no leading space or quote)");
        }
    }
    if (own.dmarc_texts.size() > 1) {
        std::string all;
        for (const auto& t : own.dmarc_texts) all += (all.empty() ? "" : " | ") + t;
        c.add(severity::error, area::dmarc, "dmarc.multiple_records",
              std::to_string(own.dmarc_texts.size()) + " DMARC records at " + own_name +
                  ": receivers discard all of them (RFC 9989 §4.10) and use a parent domain's record, if there is one",
              all, "keep exactly one TXT record starting with v=DMARC1 at " + own_name);
    }
    if (own.found()) {
        check_own_record(c, own, d.organizational_domain);
        if (own.parsed->applies) {
            const auto& r = own.parsed->record;
            c.dmarc_enforced = r.domain_policy() != auth::policy::none && !r.testing && (!r.pct || *r.pct == 100);
        }
    } else if (d.source != auth::policy_source::none) {
        const auto* applied = d.applied();
        const std::string rec = applied != nullptr ? applied->dmarc_texts.front() : std::string();
        c.add(severity::info, area::dmarc, "dmarc.inherited",
              "no record at " + own_name + ": the record of " + d.policy_domain + " applies, with " + d.applied_tag + "=" +
                  pol(d.applied_policy) + (d.source == auth::policy_source::public_suffix_domain ? " (a public suffix domain's policy)" : ""),
              rec, "");
        if (!d.dmarc_applies) {
            c.add(severity::error, area::dmarc, "dmarc.invalid_record",
                  "the record of " + d.policy_domain + " is not usable: receivers apply no DMARC policy to " + c.domain, rec,
                  "fix the record at _dmarc." + d.policy_domain);
        } else if (d.applied_policy == auth::policy::none) {
            c.add(severity::warning, area::dmarc, "dmarc.policy_none",
                  c.domain + " is covered by " + d.applied_tag + "=none of " + d.policy_domain + ": monitoring only", rec,
                  "set sp=/p= on _dmarc." + d.policy_domain + " to quarantine or reject, or publish _dmarc." + c.domain);
        }
        if (applied != nullptr && d.dmarc_applies) {
            const auto& r = applied->parsed->record;
            c.dmarc_enforced = d.applied_policy != auth::policy::none && !r.testing && (!r.pct || *r.pct == 100);
        }
    } else if (d.temporary_failure) {
        for (const auto& l : d.lookups) {
            if (l.temporary_failure()) c.add_temperror(area::dmarc, "_dmarc." + l.domain + " TXT", l.detail);
        }
    } else if (own.dmarc_texts.size() <= 1) {
        c.add(severity::error, area::dmarc, "dmarc.missing",
              "no DMARC record at " + own_name + " nor at any parent domain: receivers apply no DMARC policy", "",
              "publish " + own_name + " TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + c.domain +
                  "\", read the reports, then move to p=reject");
    }
    // The walk above the domain's own record failed: the policy is known, the Organizational
    // Domain (relaxed alignment, sp/np coverage) is not.
    if (d.temporary_failure && own.found()) {
        for (const auto& l : d.lookups) {
            if (!l.temporary_failure()) continue;
            c.add(severity::warning, area::dmarc, "dmarc.tree_walk_temperror",
                  "the lookup of _dmarc." + l.domain + " failed temporarily (" + rcode_text(l.status) +
                      "): the Organizational Domain of " + c.domain + " could not be determined",
                  "", "run the check again; if it persists, the zone of " + l.domain + " has a DNS problem");
        }
    }
    // The Organizational Domain, and whether RFC 7489 (PSL) receivers agree with RFC 9989 ones.
    if (!d.temporary_failure) {
        const std::string how = c.options.mode == auth::dmarc_mode::rfc7489 ? "public suffix list, RFC 7489 §3.2"
                                                                           : "DNS tree walk, RFC 9989 §4.10.2";
        c.add(severity::info, area::dmarc, "dmarc.org_domain",
              "Organizational Domain of " + c.domain + ": " + d.organizational_domain + " (" + how + ")");
        // Only meaningful when some record exists: without any, dmarc.missing already says it all.
        if (c.options.mode == auth::dmarc_mode::rfc9989 && d.source != auth::policy_source::none) {
            const auto* psl = c.options.psl != nullptr ? c.options.psl : auth::public_suffix_list::system();
            if (psl != nullptr) {
                const std::string psl_org = auth::psl_organizational_domain(*psl, c.domain);
                if (psl_org != d.organizational_domain) {
                    c.add(severity::warning, area::dmarc, "dmarc.org_domain_mismatch",
                          "RFC 7489 receivers (public suffix list) take " + psl_org + " as the Organizational Domain, RFC 9989 "
                          "receivers (DNS tree walk) take " + d.organizational_domain +
                              ": relaxed alignment and policy discovery can differ between receivers",
                          "", "publish a DMARC record at _dmarc." + psl_org + " (psd=n if it is the organisation's top)");
                }
            }
        }
    }
}

}  // namespace dmarcsight::posture::detail
