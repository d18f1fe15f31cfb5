// DKIM key posture for the selectors we know of (RFC 6376 §3.6.1 key records, RFC 8301 key
// sizes, RFC 8463 ed25519). Keys cannot be enumerated: selectors come from the command line or
// from the DKIM results of stored aggregate reports.
#include <set>

#include "auth/dkim_key.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "posture/context.hpp"

namespace dmarcsight::posture::detail {

namespace {

bool valid_selector(std::string_view s) {
    // RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ).
    return auth::looks_like_domain(s);
}

void check_selector(context& c, const std::string& signing_domain, const std::string& selector) {
    const std::string name = selector + "._domainkey." + signing_domain;
    // Messages name the selector, and the signing domain when it is not the checked domain.
    const std::string selector_label = signing_domain == c.domain ? selector : selector + " (d=" + signing_domain + ")";
    const txt_answer a = query_txt(c.dns, name);
    if (a.temporary_failure()) {
        c.add_temperror(area::dkim, name + " TXT", a.detail);
        return;
    }
    if (a.texts.empty()) {
        c.add(severity::error, area::dkim, "dkim.missing_key",
              "no DKIM key at " + name + " (" + (a.status == dns::rcode::nxdomain ? "NXDOMAIN" : "no TXT record") +
                  "): signatures with s=" + selector_label + " fail",
              "", "publish the selector's public key, or stop signing with selector " + selector);
        return;
    }
    if (a.texts.size() > 1) {
        std::string all;
        for (const auto& t : a.texts) all += (all.empty() ? "" : " | ") + t;
        c.add(severity::warning, area::dkim, "dkim.multiple_records",
              std::to_string(a.texts.size()) + " TXT records at " + name + ": verifiers may pick any (RFC 6376 §3.6.2.2)", all,
              "keep exactly one key record per selector");
    }
    const std::string& rec = a.texts.front();
    auto parsed = auth::parse_dkim_key_record(rec);
    if (!parsed) {
        c.add(severity::error, area::dkim, "dkim.invalid_record", "selector " + selector_label + ": " + parsed.err().message, rec,
              "publish v=DKIM1; k=rsa; p=<base64 public key>");
        return;
    }
    const auto& k = *parsed;
    for (const auto& i : k.issues) c.add_issue(area::dkim, i, rec);
    if (k.revoked) {
        c.add(severity::warning, area::dkim, "dkim.revoked",
              "selector " + selector_label + " is revoked (empty p=): signatures with it fail", rec,
              "if mail is still signed with " + selector + ", move the signer to a current selector");
        return;
    }
    if (k.testing) {
        c.add(severity::warning, area::dkim, "dkim.testing",
              "selector " + selector_label + " has t=y (testing): verifiers may treat its signatures as absent", rec,
              "remove t=y once signing works");
    }
    if (k.key_type == auth::dkim_key_type::unknown) return;
    auto info = auth::inspect_public_key(k.key_type, k.public_key);
    if (!info) {
        c.add(severity::error, area::dkim, "dkim.bad_key", "selector " + selector_label + ": " + info.err().message, rec,
              "republish the public key exactly as the signer exported it (base64 DER)");
        return;
    }
    const std::string desc = std::string(auth::to_string(info->type)) + " " + std::to_string(info->bits) + " bits";
    if (info->type == auth::dkim_key_type::rsa && info->bits < limits::dkim_rsa_min_bits) {
        c.add(severity::error, area::dkim, "dkim.key_too_small",
              "selector " + selector_label + ": " + desc + "; verifiers reject RSA keys under 1024 bits (RFC 8301 §3.2)", rec,
              "generate a 2048-bit RSA key, publish it under a new selector and switch the signer");
    } else if (info->type == auth::dkim_key_type::rsa && info->bits < limits::dkim_rsa_recommended_bits) {
        c.add(severity::warning, area::dkim, "dkim.key_weak",
              "selector " + selector_label + ": " + desc + "; RFC 8301 §3.2 says signers SHOULD use at least 2048 bits", rec,
              "rotate to a 2048-bit RSA key under a new selector");
    } else {
        c.add(severity::info, area::dkim, "dkim.key", "selector " + selector_label + ": " + desc + " (" + info->form + ")", rec);
    }
    if (info->type == auth::dkim_key_type::ed25519) {
        c.add(severity::info, area::dkim, "dkim.ed25519",
              "selector " + selector_label + " is ed25519 (RFC 8463): many verifiers do not support it yet", rec,
              "sign with an RSA key as well (two signatures)");
    }
}

}  // namespace

void check_dkim(context& c) {
    if (c.options.selectors.empty() && c.options.signing_keys.empty()) {
        c.add(severity::info, area::dkim, "dkim.no_selectors",
              "DKIM keys cannot be listed from DNS; no selector was given, so none was checked", "",
              "pass --selector NAME (repeatable) or --db with stored reports");
        return;
    }
    std::vector<std::pair<std::string, std::string>> keys;
    for (const auto& s : c.options.selectors) keys.emplace_back(c.domain, s);
    for (const auto& k : c.options.signing_keys) keys.push_back(k);
    std::set<std::pair<std::string, std::string>> done;
    for (const auto& [raw_domain, raw_selector] : keys) {
        if (done.size() >= limits::max_selectors_per_domain) break;
        const std::string domain = text::normalize_domain(raw_domain);
        const std::string sel = text::normalize_domain(raw_selector);
        if (!done.insert({domain, sel}).second) continue;
        if (!valid_selector(sel) || !auth::looks_like_domain(domain)) {
            c.add(severity::error, area::dkim, "dkim.invalid_selector",
                  std::string(1, '"').append(text::for_terminal(raw_selector, limits::max_logged_text)) + "\" (d=" +
                      text::for_terminal(raw_domain, limits::max_logged_text) + ") is not a valid selector/domain (RFC 6376 §3.1)");
            continue;
        }
        check_selector(c, domain, sel);
    }
}

}  // namespace dmarcsight::posture::detail
