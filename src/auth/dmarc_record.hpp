// DMARC policy records: RFC 9989 §4.7/§4.8 (the default) and RFC 7489 §6.3/§6.4 (a stricter
// mode for receivers/tests that still follow it, e.g. OpenDMARC's libopendmarc cases).
// Pure parser, no I/O. Every deviation is reported as a record_issue (codes listed below) so the
// posture checks can quote it; the record keeps the values a receiver would apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/record_tags.hpp"

namespace dmarcsight::auth {

enum class dmarc_mode {
    rfc9989,  // unknown tags ignored, missing p → p=none, syntax errors → defaults (§4.8)
    rfc7489,  // p REQUIRED (§6.3); an invalid value of a known tag invalidates the record
};

// RFC 9989 §4.8 dmarc-request.
enum class policy { none, quarantine, reject };
// dmarc-rors: relaxed / strict.
enum class alignment_mode { r, s };
// dmarc-psd.
enum class psd_flag { y, n, u };

// Outcome classes (named after OpenDMARC's DMARC_PARSE_* so its cases map one to one).
enum class dmarc_parse_status {
    ok,
    empty,          // nothing but whitespace
    bad_version,    // does not start with v=DMARC1 (RFC 9989 §4.7: the record MUST be ignored)
    bad_value,      // RFC 7489 mode: a known tag has a value outside its grammar
    no_required_p,  // RFC 7489 mode: no p= and no valid rua= to fall back on (§6.6.3)
};

// One URI of rua=/ruf= (RFC 9989 §4.8 dmarc-uri, RFC 7489 §6.4 with the "!size" suffix).
struct report_uri {
    std::string text;         // the URI as written, without the size suffix
    std::string scheme;       // lower-case ("mailto", "https", ...)
    std::string address;      // mailto: the addr-spec ("local@host"), else ""
    std::string host;         // destination host, lower-case, no trailing dot ("" if none)
    std::string size_suffix;  // "!10m" as written, "" when absent
    std::optional<std::uint64_t> max_bytes;  // the suffix in bytes (k/m/g/t = 2^10.. per RFC 7489 §6.2)
    bool valid = false;       // a usable URI (scheme + host; mailto with an address)
};

struct dmarc_record {
    std::optional<policy> p, sp, np;  // only set when present AND valid
    alignment_mode adkim = alignment_mode::r;
    alignment_mode aspf = alignment_mode::r;
    psd_flag psd = psd_flag::u;
    bool testing = false;             // t=y (RFC 9989 §4.7)
    std::optional<unsigned> pct;      // deprecated (RFC 9989 App. C.5.2)
    std::optional<std::string> rf;    // deprecated
    std::optional<std::uint32_t> ri;  // deprecated
    std::string fo = "0";
    bool fo_present = false;
    std::vector<report_uri> rua, ruf;
    std::vector<std::string> unknown_tags;
    // Did p=/sp=/np= appear (even with an invalid value)?
    bool p_present = false, sp_present = false, np_present = false;

    // The policies a receiver applies (RFC 9989 §4.7: sp defaults to p, np to sp then p; a missing
    // or invalid p with a valid rua counts as none, §4.10.1).
    policy domain_policy() const { return p.value_or(policy::none); }
    policy subdomain_policy() const { return sp.value_or(domain_policy()); }
    policy nonexistent_policy() const { return np.value_or(subdomain_policy()); }
    bool has_valid_rua() const;
};

struct dmarc_parse_result {
    dmarc_parse_status status = dmarc_parse_status::ok;
    dmarc_record record;
    std::vector<record_issue> issues;
    // RFC 9989 §4.10.1: a record with an invalid p/sp/np and no valid rua URI means "no DMARC
    // processing"; false as well for every status other than ok.
    bool applies = false;
};

// Issue codes: empty, bad_version, missing_p, invalid_policy, invalid_value, deprecated_tag,
// unknown_tag, duplicate_tag, invalid_uri, unsupported_scheme, size_suffix, fo_without_ruf,
// too_many_uris, testing, plus the tag-list codes of record_tags.hpp.
dmarc_parse_result parse_dmarc_record(std::string_view text, dmarc_mode mode = dmarc_mode::rfc9989);

// Does this TXT string start with the DMARC version tag (v=DMARC1, value case-sensitive)?
// Discovery keeps only these (RFC 9989 §4.10 step 2).
bool is_dmarc_record(std::string_view txt);

// Parse one URI of a rua/ruf list (also used for TLS-RPT rua=).
report_uri parse_report_uri(std::string_view text, bool allow_size_suffix);

std::string_view to_string(policy p);
std::string_view to_string(psd_flag f);
std::optional<policy> parse_policy(std::string_view s);

}  // namespace dmarcsight::auth
