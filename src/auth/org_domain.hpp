// Organizational domains and DMARC policy discovery, both ways:
//   * RFC 7489 §3.2: the Public Suffix List (libpsl; the Debian `publicsuffix` snapshot at
//     DMARCSIGHT_PSL_FILE) — public suffix + 1 label;
//   * RFC 9989 §4.10: the DNS Tree Walk (at most 8 queries; a single record with psd=y/n stops it;
//     a name of >= 8 labels jumps to 7) and the §4.10.2 selection of the Organizational Domain,
//     plus §4.10.1 policy discovery (Author Domain, then Organizational Domain, then PSD record).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dmarc_record.hpp"
#include "core/result.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::auth {

class public_suffix_list {
public:
    // Load a PSL file (the publicsuffix.org format). Fails when libpsl cannot read it.
    static result<public_suffix_list> load_file(const std::string& path);
    // The list at DMARCSIGHT_PSL_FILE (or libpsl's built-in list when that file is missing),
    // loaded once; nullptr when neither is available.
    static const public_suffix_list* system();

    // Public suffix + 1 label ("registrable domain"); nullopt when `domain` is itself a public
    // suffix (implicit "*" rule for unlisted TLDs included), empty, or starts with a dot.
    // Input may be mixed case, UTF-8 (U-labels) or A-labels; the answer keeps the input's form.
    std::optional<std::string> registrable_domain(std::string_view domain) const;
    bool is_public_suffix(std::string_view domain) const;

private:
    struct deleter {
        void operator()(void* p) const;
    };
    std::shared_ptr<void> ctx_;
};

// RFC 7489 §3.2: the registrable domain, or the (normalised) domain itself when it has none.
std::string psl_organizational_domain(const public_suffix_list& psl, std::string_view domain);

// ---- RFC 9989 §4.10 DNS Tree Walk --------------------------------------------------------------

// The names (without "_dmarc.") a full walk starting at `domain` queries, in order: the domain,
// then (>= 8 labels) its 7-label suffix, then one label less each time down to the TLD. At most
// limits::max_tree_walk_queries names. Pure; `domain` is normalised (lower case, no final dot).
std::vector<std::string> tree_walk_names(std::string_view domain);

// The answer for one "_dmarc.<domain>" TXT query.
struct dmarc_lookup {
    std::string domain;  // without "_dmarc."
    dns::rcode status = dns::rcode::noerror;
    std::string detail;                    // resolver detail for temporary failures
    std::vector<std::string> dmarc_texts;  // TXT strings starting with v=DMARC1 (joined per RR)
    std::vector<std::string> other_texts;  // the other TXT records at the name (ignored)
    std::optional<dmarc_parse_result> parsed;  // set when exactly one DMARC record is present

    bool temporary_failure() const { return status == dns::rcode::servfail || status == dns::rcode::timeout; }
    // Exactly one record starting with v=DMARC1 (RFC 9989 §4.10 step 2: several → all discarded).
    bool found() const { return parsed.has_value(); }
    psd_flag psd() const { return parsed ? parsed->record.psd : psd_flag::u; }
};

dmarc_lookup lookup_dmarc(dns::resolver& dns, std::string_view domain, dmarc_mode mode = dmarc_mode::rfc9989);

struct tree_walk {
    std::string start;
    std::vector<dmarc_lookup> steps;  // every query made, in order
    // A query failed temporarily (SERVFAIL/time-out); the walk stopped there.
    bool temporary_failure = false;
};

// Walk from `start` (included) towards the TLD, stopping at a single record with psd=y or psd=n,
// at a temporary DNS failure, or after the TLD.
tree_walk dns_tree_walk(dns::resolver& dns, std::string_view start, dmarc_mode mode = dmarc_mode::rfc9989);

// RFC 9989 §4.10.2 over a finished walk: longest name first, psd=n → that name; psd=y (not the
// start) → one label below it; else the record with the fewest labels; nothing → `start`.
std::string select_organizational_domain(const tree_walk& walk);

// Walk + select.
std::string organizational_domain(dns::resolver& dns, std::string_view domain);

// ---- Policy discovery (RFC 9989 §4.10.1; RFC 7489 §6.6.3 in rfc7489 mode) ------------------------

enum class policy_source { author_domain, organizational_domain, public_suffix_domain, none };

struct policy_discovery {
    std::string author_domain;
    policy_source source = policy_source::none;
    std::string policy_domain;          // owner of the applied record ("" when none)
    std::string organizational_domain;  // of the author domain
    const dmarc_lookup* applied() const;  // the lookup holding the applied record, or nullptr
    std::vector<dmarc_lookup> lookups;  // every _dmarc query made, in order
    bool temporary_failure = false;     // discovery could not finish (temperror)
    // RFC 9989 §4.10.1: which of p/sp/np governs the author domain.
    policy applied_policy = policy::none;
    std::string applied_tag;  // "p", "sp" or "np"
    // A record was found and DMARC applies (false for an invalid p/sp/np without a valid rua).
    bool dmarc_applies = false;
};

// `author_exists`: does the author domain exist in DNS (for np vs sp)? Pass true when unknown.
// In rfc7489 mode the fallback is the PSL organizational domain (psl: nullptr → system list).
policy_discovery discover_policy(dns::resolver& dns, std::string_view author_domain,
                                 dmarc_mode mode = dmarc_mode::rfc9989, bool author_exists = true,
                                 const public_suffix_list* psl = nullptr);

// ---- Identifier alignment (RFC 7489 §3.1, RFC 9989 §4.4) ---------------------------------------
// strict: the two names are identical; relaxed: they have the same Organizational Domain. Names
// compare ASCII case-insensitively without one trailing dot; a malformed name (empty label, not a
// host name) never aligns — it cannot have been authenticated.
bool aligned_psl(const public_suffix_list& psl, std::string_view a, std::string_view b, alignment_mode mode);
// The RFC 9989 way: Organizational Domains from DNS Tree Walks (no walk for strict, §4.10.2).
bool aligned_tree_walk(dns::resolver& dns, std::string_view a, std::string_view b, alignment_mode mode);

// Number of labels of a normalised domain ("" → 0).
std::size_t label_count(std::string_view domain);
// Is `child` equal to or below `parent` (normalised names)?
bool is_subdomain_or_self(std::string_view child, std::string_view parent);
// TXT RDATA strings concatenated (RFC 7208 §3.3 / RFC 6376 §3.6.2.2 style).
std::string join_txt(const dns::resource_record& rr);

}  // namespace dmarcsight::auth
