// Enrichment of source IPs (`dmarcsight enrich`, `ingest --enrich`): what a domain owner needs to
// recognise a sender without looking it up by hand.
//   * reverse DNS: the PTR records of <ip>.in-addr.arpa / ip6.arpa (RFC 1035 §3.5, RFC 3596 §2.5);
//   * forward confirmation (FCrDNS, RFC 8601 §2.7.3 "iprev"): a PTR target whose A/AAAA records
//     include the IP; the confirmed name is preferred as `ptr`. At most
//     limits::enrich_max_ptr_targets targets are checked per IP;
//   * base domain: the registrable domain of the PTR name (Public Suffix List, as RFC 7489 §3.2);
//   * ASN, AS name and country from an offline geo_db.
// PTR names come from whoever runs the reverse zone: each is checked as a host name (LDH labels,
// underscore allowed; RFC 1123 §2.1), at most limits::enrich_max_ptr_name characters, lower case;
// anything else (escaped bytes, control characters) is dropped.
//
// Statuses (store::ip_info::status):
//   ok        a PTR answer (ptr set when a valid name was in it);
//   no_ptr    NXDOMAIN or NODATA from a resolver that passed the sanity check;
//   error     a temporary failure: time-out, SERVFAIL, REFUSED, a forward lookup that failed before
//             any target was confirmed, or a negative answer from a resolver that is not trusted.
//             Kept for limits::enrich_error_ttl only, and never reported as "no PTR";
//   geo_only  offline (no DNS asked): only the network fields are set; expires at once so the next
//             run with DNS looks the IP up.
// Expiry: ok / no_ptr after the PTR's TTL clamped to [enrich_min_ttl, enrich_max_ttl] (or
// ttl_days when set).
//
// The resolver sanity check (RFC 8020 makes NXDOMAIN a strong statement: nothing exists below the
// name): before believing any NXDOMAIN the resolver must answer, without NXDOMAIN or failure, the
// SOA of the root and the NS of in-addr.arpa. Both exist for every real recursive resolver (RFC
// 5855 for in-addr.arpa), and for a zone file holding a root SOA and reverse data (in-addr.arpa is
// then an empty non-terminal: NODATA). A captive or broken resolver that says NXDOMAIN to
// everything fails it, and its NXDOMAINs become errors.
//
// Thread-safety: none (the resolver is used from the calling thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/org_domain.hpp"
#include "core/ip_address.hpp"
#include "dns/resolver.hpp"
#include "enrich/geo_db.hpp"
#include "store/store.hpp"

namespace dmarcsight::enrich {

inline constexpr std::string_view status_ok = "ok";
inline constexpr std::string_view status_no_ptr = "no_ptr";
inline constexpr std::string_view status_error = "error";
inline constexpr std::string_view status_geo_only = "geo_only";

struct enrich_options {
    // Overrides the TTL-derived expiry of ok / no_ptr rows (days, > 0).
    std::optional<int> ttl_days;
    // Called after each batch of IPs: (done, total).
    std::function<void(std::size_t, std::size_t)> progress;
    // Seconds since the epoch used for checked_at / expires_at; 0: the wall clock.
    std::int64_t now = 0;
};

struct resolver_check {
    bool trusted = false;
    std::string detail;  // why not, or what was asked
};
// The sanity check above.
resolver_check check_resolver(dns::resolver& r);

struct enrich_counts {
    std::size_t looked_up = 0;
    std::size_t ptr_found = 0;        // status ok
    std::size_t forward_confirmed = 0;
    std::size_t no_ptr = 0;
    std::size_t errors = 0;           // status error
    std::size_t geo_found = 0;        // the geo database knew the network
};

class enricher {
public:
    // dns: nullptr for offline (geo only); geo: nullptr without a database; psl: nullptr for the
    // system list (auth::public_suffix_list::system()). All must outlive the enricher.
    enricher(dns::resolver* dns, geo_db* geo, const auth::public_suffix_list* psl = nullptr, enrich_options options = {});

    // The sanity check, run once (by the first enrich() or here).
    const resolver_check& check();
    // One row per IP, in the order given (duplicates are looked up once each time they appear;
    // the store gives distinct IPs).
    std::vector<store::ip_info> enrich(const std::vector<std::string>& ips);
    // Totals over every enrich() call so far.
    const enrich_counts& counts() const { return counts_; }

private:
    void enrich_batch(const std::vector<std::string>& ips, std::size_t from, std::size_t to, std::vector<store::ip_info>& out);
    std::int64_t now() const;

    dns::resolver* dns_;
    geo_db* geo_;
    const auth::public_suffix_list* psl_;
    enrich_options options_;
    std::optional<resolver_check> check_;
    enrich_counts counts_;
};

// "4.3.2.1.in-addr.arpa" / the 32 nibbles of ip6.arpa (RFC 3596 §2.5).
std::string reverse_name(const ip_address& ip);
// A PTR target as kept: lower case, valid host-name labels, length capped; nullopt otherwise.
std::optional<std::string> clean_ptr_name(std::string_view name);

}  // namespace dmarcsight::enrich
