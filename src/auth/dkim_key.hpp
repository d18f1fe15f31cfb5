// DKIM key records (RFC 6376 §3.6.1, RFC 8463 for ed25519) and the public key they carry.
// parse_dkim_key_record is a pure parser (no I/O); inspect_public_key decodes the key with
// OpenSSL 3 (in memory) to get its algorithm and size. Both report problems as record_issues.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/record_tags.hpp"
#include "core/result.hpp"

namespace dmarcsight::auth {

// k= (RFC 6376 §3.6.1; ed25519 from RFC 8463 §4).
enum class dkim_key_type { rsa, ed25519, unknown };

struct dkim_key_record {
    bool version_present = false;         // v=DKIM1 (optional, but first if present)
    std::vector<std::string> hash_algs;   // h= (empty = all)
    dkim_key_type key_type = dkim_key_type::rsa;  // k= (default rsa)
    std::string key_type_text = "rsa";
    std::string notes;                    // n=
    std::string public_key;               // p= base64 with FWS removed ("" = revoked)
    bool revoked = false;                 // p= present and empty (§3.6.1)
    std::vector<std::string> service_types{"*"};  // s=
    bool testing = false;                 // t=y
    bool no_subdomains = false;           // t=s
    std::vector<record_issue> issues;
};

// Fails only when the text cannot be a key record at all: empty, no p= tag (REQUIRED, §3.6.1),
// or a v= with a value other than DKIM1 (§3.6.1: such a record MUST be ignored). Everything else
// is an issue: unknown k=, h=sha1 only, bad base64, unknown flags, duplicate tags.
result<dkim_key_record> parse_dkim_key_record(std::string_view text);

struct public_key_info {
    dkim_key_type type = dkim_key_type::unknown;
    unsigned bits = 0;
    std::string form;  // "SubjectPublicKeyInfo", "RSAPublicKey (PKCS#1)", "raw Ed25519"
};

// Decode a base64 public key and measure it. RSA: a DER SubjectPublicKeyInfo (what §3.6.1 means
// in practice) or, tolerated, a bare PKCS#1 RSAPublicKey. Ed25519: the raw 32-byte key
// (RFC 8463 §4.2). Fails on bad base64, garbage DER, or a key of a different type than k=.
result<public_key_info> inspect_public_key(dkim_key_type declared, std::string_view base64);

// Strict base64 (RFC 4648 §4) with FWS ignored (RFC 6376 §3.6.1 allows it inside p=).
std::optional<std::string> decode_base64(std::string_view text);

std::string_view to_string(dkim_key_type t);

}  // namespace dmarcsight::auth
