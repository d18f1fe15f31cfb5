// RFC 7208 §7 macro expansion: "%{s l o d i p h c r t v}" with DIGIT/"r" transformers and
// delimiters, "%%" "%_" "%-", URL escaping for upper-case letters, and the §7.3 rule that a name
// longer than 253 characters loses labels from the left. Pure except for %{p}, which asks a
// caller-supplied source (check_host() does the DNS work and the §4.6.4 accounting).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/spf_record.hpp"
#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace dmarcsight::auth {

// Supplies %{p} (RFC 7208 §7.3: the validated domain name of <ip>, "unknown" when none).
class spf_validated_name_source {
public:
    virtual ~spf_validated_name_source() = default;
    // `domain` is the current <domain>: a validated name equal to it, then one below it, wins.
    virtual std::string validated_name(std::string_view domain) = 0;
};

struct spf_macro_values {
    std::string_view sender;         // s: <sender> ("postmaster@domain" when it had no local-part)
    std::string_view local_part;     // l
    std::string_view sender_domain;  // o
    std::string_view domain;         // d: the current <domain>
    ip_address ip;                   // i, c, v
    std::string_view helo;           // h
    std::string_view receiver = "unknown";  // r (§7.2: "unknown" if not known)
    std::int64_t timestamp = 0;      // t
    spf_validated_name_source* validated = nullptr;  // p; nullptr → "unknown"
};

// Expand a macro-string (or explain-string for scope::explanation). Syntax errors (which
// parse_spf_record() already rejects for records, but exp= TXT text is only seen here) fail.
// The result is capped at limits::spf_max_macro_output.
result<std::string> expand_macros(std::string_view text, spf_macro_scope scope, const spf_macro_values& values);

// RFC 7208 §7.3: drop labels from the left until the name is at most 253 characters.
std::string truncate_domain(std::string name);

// "i" of §7.3: dotted-quad for IPv4, 32 dot-separated lower-case nibbles for IPv6.
std::string spf_ip_dotted(const ip_address& ip);
// The reverse-mapping name for PTR queries (RFC 1035 §3.5, RFC 3596 §2.5).
std::string reverse_lookup_name(const ip_address& ip);

}  // namespace dmarcsight::auth
