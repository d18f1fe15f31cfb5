// DNS messages in wire format (RFC 1035 §4): a strict, bounds-checked reader for the replies the
// real resolver receives, and the step from a reply to an `answer` (CNAME chain, rcode, the TTL to
// cache it for). Pure functions on bytes: no I/O, so the fuzz target can drive them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "dns/resolver.hpp"

namespace dmarcsight::dns {

inline constexpr std::uint16_t class_in = 1;  // RFC 1035 §3.2.4

struct wire_rr {
    std::string owner;  // canonical form (names.hpp)
    std::uint16_t type = 0;
    std::uint16_t rr_class = 0;
    std::uint32_t ttl = 0;
    // Decoded RDATA for the types of rr_type; nullopt for other types (DNAME, RRSIG, OPT, ...).
    std::optional<rdata> data;
};

struct dns_message {
    std::uint16_t id = 0;
    bool qr = false, aa = false, tc = false;
    std::uint8_t rcode = 0;  // the 4-bit header RCODE (RFC 1035 §4.1.1)
    std::string qname;       // first question, canonical; "" if none
    std::uint16_t qtype = 0;
    std::vector<wire_rr> answers, authority;
};

// Parse a whole message; every length and pointer is checked against the buffer. Compression
// pointers must point backwards (RFC 1035 §4.1.4 only ever produces those), which also rules out
// pointer loops. An RR of a known type whose RDATA does not decode makes the message invalid.
result<dns_message> parse_message(std::span<const std::uint8_t> bytes);

struct message_answer {
    answer ans;
    // Seconds the answer may be cached (0: do not cache).
    std::uint32_t cache_ttl = 0;
    // The reply followed CNAMEs and found nothing of the type at the end with RCODE NOERROR: that
    // RCODE may be the first zone's (RFC 6604 §3) or the server may not hold the target at all, so
    // the caller must ask again for the last name in ans.cnames to tell NXDOMAIN from NODATA.
    bool chain_incomplete = false;
};

// The answer to (qname, qtype) a reply carries: rcode mapped, CNAMEs followed inside the reply's
// answer section (loop / chain cap → servfail), records owned by the final name.
message_answer answer_from_message(const dns_message& msg, const std::string& qname, rr_type qtype);

}  // namespace dmarcsight::dns
