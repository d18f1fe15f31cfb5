// The service catalogue: which sending services (mailbox providers, ESPs, SaaS, security gateways,
// forwarders, list hosts) a source belongs to, recognised by the names they leave in DMARC data:
// the PTR of the sending IP, DKIM d=, envelope (Return-Path) domain, SPF include, and ASN.
//
// Trust: the built-in catalogue (data/services.toml, embedded at build time) is ours; a user's
// file is untrusted-ish input (a typo or a hostile file must fail loudly, never silently drop
// facts or blow up memory), so it is validated strictly and bounded by limits::catalog_*.
// Matching is pure and allocation-light: it runs once per source IP, up to a million times.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace dmarcsight::catalog {

enum class service_type {
    mailbox_provider,
    esp,
    transactional,
    crm,
    saas,
    helpdesk,
    hr_payroll,
    survey,
    security_gateway,
    forwarder,
    mailing_list,
    hosting,
};

// Every type, in declaration order (for listings and tests).
inline constexpr service_type all_service_types[] = {
    service_type::mailbox_provider, service_type::esp,          service_type::transactional,
    service_type::crm,              service_type::saas,         service_type::helpdesk,
    service_type::hr_payroll,       service_type::survey,       service_type::security_gateway,
    service_type::forwarder,        service_type::mailing_list, service_type::hosting,
};

std::string_view to_string(service_type t);
// Exact, lower-case spelling as in the file ("mailing_list"); anything else is nullopt.
std::optional<service_type> parse_service_type(std::string_view s);

struct service {
    std::string name;
    service_type type = service_type::esp;
    std::vector<std::string> ptr_suffixes;    // reverse-DNS name suffixes, matched on a label boundary
    std::vector<std::string> spf_includes;    // names customers put in include:
    std::vector<std::string> dkim_domains;    // d= it signs with when not set up for the customer
    std::vector<std::string> bounce_domains;  // default envelope (Return-Path) domains
    std::vector<std::uint32_t> asns;          // only ASNs distinctive to the service
    std::string setup;                        // how a customer aligns it; may contain {domain}
    std::string docs;                         // the public documentation the facts come from
    std::string origin;                       // "built-in" or the user's file path
};

class catalog {
public:
    // The embedded catalogue, parsed once (thread-safe static initialisation). A broken embedded
    // file is a build defect, not an input error: it aborts with the message.
    static const catalog& builtin();
    // The built-in catalogue plus the user's files, in order. A user entry with the same name
    // (case-insensitive) as an earlier entry replaces it; a later file's patterns are matched
    // before an earlier file's, and every user file's before the built-in ones.
    static result<catalog> load(const std::vector<std::string>& user_files);

    // Adds one file's entries as a new, highest-priority layer. The text is validated as a whole
    // first: on error nothing is added. Errors read "origin:line:column: reason".
    result<void> add_text(std::string_view toml_text, std::string_view origin);

    // Longest suffix on a label boundary ("x.sendgrid.net" matches "sendgrid.net",
    // "evilsendgrid.net" does not); ASCII case-insensitive; one trailing dot ignored.
    const service* by_ptr(std::string_view ptr_name) const;
    // A DKIM d=, envelope or SPF include domain, against dkim_domains, bounce_domains and
    // spf_includes together, same matching rules as by_ptr.
    const service* by_domain(std::string_view domain) const;
    const service* by_asn(std::uint32_t asn) const;
    // ASCII case-insensitive.
    const service* by_name(std::string_view name) const;

    const std::vector<service>& services() const { return services_; }

private:
    // Transparent hashing: a lookup probes with a string_view into the caller's name, no copies.
    struct suffix_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using suffix_map = std::unordered_map<std::string, std::uint32_t, suffix_hash, std::equal_to<>>;

    // One layer per add_text call (0 = the first, usually built-in); a higher layer wins.
    struct layer {
        suffix_map ptr;     // suffix -> index into services_
        suffix_map domain;  // suffix -> index into services_
        std::unordered_map<std::uint32_t, std::uint32_t> asn;   // ASN -> index into services_
    };

    const service* match(std::string_view name, bool ptr) const;
    void rebuild_indexes();

    std::vector<service> services_;
    std::vector<std::uint32_t> layer_of_;  // parallel to services_
    std::vector<layer> layers_;
    std::unordered_map<std::string, std::uint32_t> by_name_;  // lower-cased name -> index
};

}  // namespace dmarcsight::catalog
