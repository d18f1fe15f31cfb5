// SPF records (RFC 7208 §4.5, §4.6, §5, §6, §7.1): record selection and the parser of one record
// into terms. Pure: no I/O, no DNS. Everything the ABNF of §12 rejects is a syntax error, which
// check_host() turns into "permerror" (§4.6: "syntax errors anywhere in the record" are detected
// before any mechanism is evaluated).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace dmarcsight::auth {

// RFC 7208 §4.6.2: the result a matching mechanism yields.
enum class spf_qualifier : std::uint8_t { pass, fail, softfail, neutral };

// RFC 7208 §5.
enum class spf_mechanism_kind : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

struct spf_mechanism {
    spf_qualifier qualifier = spf_qualifier::pass;
    spf_mechanism_kind kind = spf_mechanism_kind::all;
    // The unexpanded domain-spec (§7.1); "" = the current <domain> (a, mx, ptr without one).
    std::string domain_spec;
    // ip4/ip6: the network as written (host bits are not required to be zero).
    ip_address network;
    // a, mx, ip4 use cidr4; a, mx, ip6 use cidr6 (§5.6 dual-cidr-length). Defaults = exact match.
    std::uint8_t cidr4 = 32;
    std::uint8_t cidr6 = 128;
    // The domain-spec contains a macro-expand ("%{...}", "%%", "%_", "%-").
    bool has_macros = false;
    // The term exactly as written (for traces and findings).
    std::string text;

    // RFC 7208 §4.6.4: include, a, mx, ptr, exists query DNS and count against the 10.
    bool queries_dns() const;
};

struct spf_modifier {
    std::string name;  // as written
    std::string value;
};

struct spf_record {
    std::vector<spf_mechanism> mechanisms;  // in record order
    std::optional<std::string> redirect;    // redirect= domain-spec (§6.1)
    std::optional<std::string> exp;         // exp= domain-spec (§6.2)
    std::vector<spf_modifier> unknown_modifiers;  // ignored by evaluation (§6)
    // Some domain-spec (mechanism or modifier) holds a macro: the record is "dynamic".
    bool has_macros = false;
};

// RFC 7208 §4.5: a TXT string (joined, §3.3) is an SPF record when it starts with "v=spf1"
// (case-insensitive) followed by a space or the end.
bool is_spf_record(std::string_view txt);

// Parse one record (the joined TXT text, starting "v=spf1"). Errors name the offending term and
// carry its byte offset; an error means permerror.
result<spf_record> parse_spf_record(std::string_view text);

// Parsed records by text, for callers that evaluate many messages against the same policies (a
// receiver, the benchmark, a report re-evaluation): parsing is most of check_host()'s CPU time when
// DNS answers are cached. Bounded (limits::spf_record_cache_entries and _bytes; cleared when
// full). Not
// thread-safe: one cache per thread.
class spf_record_cache {
public:
    using entry = std::shared_ptr<const result<spf_record>>;
    // The parse of `text`, from the cache or parsed now.
    entry get(std::string_view text);
    std::size_t size() const { return entries_.size(); }

private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, entry, hash, std::equal_to<>> entries_;
    std::size_t bytes_ = 0;
};

// ---- macro syntax (RFC 7208 §7.1) ----

// Where a macro-string appears: the macro letters c, r and t are allowed only in "exp" text
// (RFC 7208 §7.2); a domain-spec using them is a syntax error.
enum class spf_macro_scope : std::uint8_t { domain, explanation };

// Is `s` a valid macro-string (§7.1) for the scope? explanation scope also allows SP
// (explain-string). Returns the error message on failure.
result<void> validate_macro_string(std::string_view s, spf_macro_scope scope);
// Is `s` a valid domain-spec: a non-empty domain-scope macro-string whose end is a macro-expand or
// "." toplabel ["."] (§7.1 domain-end)?
result<void> validate_domain_spec(std::string_view s);
// Does the macro-string contain a macro-expand?
bool contains_macro(std::string_view s);

std::string_view to_string(spf_qualifier q);
std::string_view to_string(spf_mechanism_kind k);

}  // namespace dmarcsight::auth
