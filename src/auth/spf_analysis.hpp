// Static analysis of a domain's SPF policy for posture checks: walk the whole include/redirect
// tree without a client IP, making the lookups evaluation would make for an IP that matches
// nothing, and report what a receiver would run into (RFC 7208 §4.6.4 limits, permerrors) and what
// the policy authorises.
//
// The walk differs from check_host() in three ways, all so that one run can describe the policy:
//   * it does not stop at the 10th DNS-querying term or the 3rd void lookup: it keeps counting
//     (up to limits::spf_analysis_max_dns_terms / spf_analysis_max_records) so a finding can say
//     "needs 14 lookups; include:x is the one that crosses 10";
//   * it follows every include and the redirect (when the record has no "all"), as evaluation does
//     for a non-matching IP, but never re-enters a domain already on the current path (a loop is
//     reported, not walked);
//   * terms whose target holds macros (%{i}, %{s}, ...) cannot be resolved without a message: they
//     are counted as one term each and reported as "dynamic"; a, mx and exists are looked up as an
//     IPv4 client's evaluation would (A records); ptr is counted but not looked up (it needs <ip>).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/spf_check.hpp"
#include "auth/spf_record.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::auth {

enum class spf_severity : std::uint8_t { info, warning, error };
std::string_view to_string(spf_severity s);

// Stable identifiers of problems (a checker maps them to its own finding codes).
enum class spf_problem_code : std::uint8_t {
    no_record,            // the domain publishes no SPF record (result none)
    multiple_records,     // §4.5: more than one v=spf1 record → permerror
    syntax_error,         // §4.6: the record does not parse → permerror
    dns_error,            // a lookup failed (temperror)
    too_many_lookups,     // §4.6.4: more than 10 DNS-querying terms → permerror
    too_many_void_lookups,// §4.6.4: more than 2 void lookups → permerror
    too_many_mx,          // §4.6.4: an mx term with more than 10 MX records → permerror
    include_without_spf,  // §5.2: include: target has no SPF record → permerror
    redirect_without_spf, // §6.1: redirect= target has no SPF record → permerror
    loop,                 // an include/redirect re-enters a domain on its own path → permerror
    pass_all,             // "+all" (or "all"): anyone may send
    neutral_all,          // "?all": no statement about other senders
    no_all,               // no "all" and no redirect: default neutral (§4.7)
    ptr_used,             // §5.5: "ptr" SHOULD NOT be used
    dynamic,              // macros: the policy depends on the message (counts are lower bounds)
    void_lookup,          // a term whose lookup is NXDOMAIN/NODATA (dead include, stale a:/mx:)
    broad_range,          // a very large ip4:/ip6: authorisation
    analysis_truncated,   // the walk hit its own bounds
};
std::string_view to_string(spf_problem_code c);

// One finding: enough for a checker to print severity, the record text and a fix.
struct spf_problem {
    spf_severity severity = spf_severity::info;
    spf_problem_code code = spf_problem_code::no_record;
    std::string domain;   // the domain whose record is at fault
    std::string record;   // that record's text ("" when there is none)
    std::string term;     // the offending term ("" when the record as a whole)
    std::string message;  // what is wrong, with numbers
    std::string fix;      // what to change
    // Would a receiver's check_host() return permerror/temperror because of this?
    bool breaks_evaluation = false;
};

// The "all" that ends evaluation for a non-matching IP (after following redirects).
enum class spf_all_policy : std::uint8_t { missing, pass, fail, softfail, neutral };
std::string_view to_string(spf_all_policy a);

// One record of the include/redirect tree.
struct spf_node {
    std::string domain;
    int parent = -1;                 // index in spf_analysis::nodes, -1 for the top
    spf_edge via = spf_edge::top;
    std::string term;                // the include/redirect term in the parent ("" for the top)
    int depth = 0;
    std::string record;              // "" when none was found
    spf_result status = spf_result::none;  // none (no record), permerror, temperror, or neutral (= parsed fine)
    std::string error;               // why status is permerror/temperror/none
    unsigned own_lookups = 0;        // DNS-querying terms in this record, including the include/redirect term that reached it
    unsigned subtree_lookups = 0;    // own + all descendants
    unsigned own_voids = 0;
    unsigned subtree_voids = 0;
    bool dynamic = false;            // this record has macros
    std::optional<spf_qualifier> all;  // its "all" mechanism, if any
};

struct spf_ip4_range {
    ip_address network;   // host bits cleared
    unsigned prefix = 32;
    std::string domain;   // the record that authorises it
};

struct spf_ip6_range {
    ip_address network;
    unsigned prefix = 128;
    std::string domain;
};

struct spf_analysis {
    std::string domain;
    // What the top-level lookup found: none (no record), temperror, permerror (a problem that breaks
    // every evaluation: multiple records, syntax error, limits exceeded ...), or neutral = usable.
    spf_result status = spf_result::none;
    std::string record;                  // the top-level record text
    unsigned lookups = 0;                // DNS-querying terms (§4.6.4 "10") over the whole tree
    unsigned void_lookups = 0;           // void lookups over the whole tree (§4.6.4 "2")
    bool over_lookup_limit = false;      // lookups > 10
    bool over_void_limit = false;        // void_lookups > 2
    // The node and term at which the count passed 10 ("include:_spf.example.net"), if it did.
    std::optional<int> limit_crossed_at_node;
    std::string limit_crossed_by;
    // The term of the top-level record under which the crossing happened (the include/redirect to
    // look at first), or the crossing term itself when it is in the top-level record.
    std::string limit_crossed_under;
    // IPv4 addresses authorised by ip4: terms, the sum of every range's size (raw) and the size of
    // their union (overlaps and duplicates counted once). a/mx/include addresses are not in it.
    std::uint64_t ipv4_addresses = 0;
    std::uint64_t ipv4_addresses_raw = 0;
    std::vector<spf_ip4_range> ip4_ranges;
    std::vector<spf_ip6_range> ip6_ranges;
    spf_all_policy all = spf_all_policy::missing;
    bool uses_ptr = false;
    bool dynamic = false;                // some record in the tree uses macros
    std::vector<spf_node> nodes;         // pre-order: nodes[0] is the top
    std::vector<spf_lookup> trace;       // every DNS query made (spf_lookup::visit = node index)
    std::vector<spf_problem> problems;   // ordered: errors first within each record
};

// Walk `domain`'s SPF tree. Never throws; DNS failures become temperror nodes and dns_error problems.
spf_analysis analyze_spf(dns::resolver& dns, std::string_view domain);

}  // namespace dmarcsight::auth
