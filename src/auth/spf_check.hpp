// RFC 7208 check_host(): evaluate the SPF policy of a domain for a client IP, with the §4.6.4
// processing limits applied exactly and a trace of every DNS lookup (which record/term made it,
// whether it counted against the 10 DNS-querying terms, whether it was a void lookup).
//
// Limits (RFC 7208 §4.6.4), one budget for the whole evaluation (include/redirect recursion too):
//   * 10 DNS-querying terms: include, a, mx, ptr, exists, redirect → the 11th is a permerror;
//   * an mx term with more than 10 MX records is a permerror; the address lookups of the MX names
//     do not count towards the 10;
//   * ptr (and %{p}): only the first 10 PTR names are processed, the rest are ignored;
//   * void lookups (NXDOMAIN/NODATA answers to a term's lookup): 2 allowed, the 3rd a permerror;
//   * no limit on the number of A records an "a" term returns.
// Thread-safety: none needed; each call uses only its arguments (the resolver's own rules apply).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/spf_record.hpp"
#include "core/ip_address.hpp"
#include "core/limits.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::auth {

// RFC 7208 §2.6.
enum class spf_result : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };
std::string_view to_string(spf_result r);

// How a record was reached in the include/redirect tree.
enum class spf_edge : std::uint8_t { top, include, redirect };
std::string_view to_string(spf_edge e);

// One SPF record visited (the top-level domain, then every include and redirect target).
struct spf_visit {
    std::string domain;       // the <domain> whose record this is
    int parent = -1;          // index of the visit holding the include/redirect term, -1 for top
    spf_edge via = spf_edge::top;
    std::string term;         // "include:_spf.example.com" / "redirect=..." as written ("" for top)
    std::string record;       // the SPF record text ("" when none was found)
    int depth = 0;
};

// One DNS query made during evaluation (or a DNS-querying term whose name was unusable).
struct spf_lookup {
    int visit = 0;             // index into spf_outcome::visits: the record holding the term
    std::string term;          // the term that caused it ("mx", "include:x", "exp=...", "%{p}", "" = record)
    std::string name;          // the name queried (after macro expansion and §7.3 truncation)
    dns::rr_type type = dns::rr_type::txt;
    dns::rcode status = dns::rcode::noerror;
    std::size_t answers = 0;   // records of the queried type
    bool queried = true;       // false: the expanded name was malformed, no query was sent
    bool counted = false;      // this lookup's term took one of the 10 DNS-querying terms
    bool is_void = false;      // NXDOMAIN or NODATA
    bool counted_void = false; // counted towards the void-lookup limit of 2
};

struct spf_request {
    ip_address ip;
    // MAIL FROM (may be empty: the null reverse-path; then postmaster@<helo> is checked, RFC 7208 §2.4).
    std::string sender;
    std::string helo;
    // %{r} (RFC 7208 §7.2): the checking host; "unknown" if not given.
    std::string receiver = "unknown";
    // %{t}: seconds since the epoch; 0 = now.
    std::int64_t timestamp = 0;
};

struct spf_options {
    unsigned max_dns_terms = limits::spf_max_dns_terms;        // RFC 7208 §4.6.4
    unsigned max_void_lookups = limits::spf_max_void_lookups;  // RFC 7208 §4.6.4
    bool compute_explanation = true; // evaluate exp= on fail (§6.2)
    bool keep_trace = true;          // fill visits/trace (off for the fastest path)
    // Reuse parsed records across calls (nullptr: parse every record each time).
    spf_record_cache* cache = nullptr;
};

struct spf_outcome {
    spf_result result = spf_result::none;
    // RFC 7208 §6.2: the expanded exp= text, only for "fail" and only when the record has exp= and
    // its TXT lookup/expansion succeeded; "" otherwise.
    std::string explanation;
    // Why: the permerror/temperror cause, or the matching term ("ip4:192.0.2.0/24 matched").
    std::string reason;
    std::string matched_term;   // the mechanism that decided (as written), "" for a default result
    std::string matched_domain; // the domain whose record held it
    std::string domain;         // the domain checked (from the sender or HELO)
    unsigned dns_terms = 0;     // DNS-querying terms used (§4.6.4, the "10")
    unsigned void_lookups = 0;  // void lookups counted (§4.6.4, the "2")
    std::vector<spf_visit> visits;
    std::vector<spf_lookup> trace;
};

// The SPF check of a message: identity = MAIL FROM, or postmaster@HELO for a null sender
// (RFC 7208 §2.4, §4.1). The checked domain is the part after the last '@'.
spf_outcome check_spf(dns::resolver& dns, const spf_request& request, const spf_options& options = {});

// check_host(<ip>, <domain>, <sender>) exactly as RFC 7208 §4 defines it: <ip> and <sender> come
// from `request` (request.sender as given; a missing local-part becomes "postmaster", §4.3).
spf_outcome check_host(dns::resolver& dns, const spf_request& request, std::string_view domain,
                       const spf_options& options = {});

// RFC 7208 §4.3: is `domain` a well-formed, multi-label domain name (labels 1..63, total <= 253)?
bool is_valid_spf_domain(std::string_view domain);

}  // namespace dmarcsight::auth
