#include "auth/dkim_key.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::auth {

std::string_view to_string(dkim_key_type t) {
    switch (t) {
        case dkim_key_type::rsa: return "rsa";
        case dkim_key_type::ed25519: return "ed25519";
        case dkim_key_type::unknown: return "unknown";
    }
    return "unknown";
}

std::optional<std::string> decode_base64(std::string_view in) {
    if (in.size() > limits::max_dkim_key_base64) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t pad = 0, chars = 0;
    for (char c : in) {
        if (is_fws(c)) continue;
        int v = -1;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') {
            ++pad;
            ++chars;
            constexpr std::size_t max_pad = 2;
            if (pad > max_pad) return std::nullopt;
            continue;
        } else {
            return std::nullopt;
        }
        if (pad > 0) return std::nullopt;  // data after padding
        ++chars;
        constexpr int sextet = 6, octet = 8;
        acc = (acc << sextet) | static_cast<std::uint32_t>(v);
        bits += sextet;
        if (bits >= octet) {
            bits -= octet;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    constexpr std::size_t quantum = 4;
    if (chars % quantum != 0) return std::nullopt;
    // Leftover bits must be zero (canonical encoding) — not enforced: real keys are canonical and
    // OpenSSL parses the DER anyway.
    return out;
}

namespace {
void issue(dkim_key_record& r, issue_level l, std::string code, std::string msg, std::string tag) {
    r.issues.push_back({l, std::move(code), std::move(msg), std::move(tag)});
}
}  // namespace

result<dkim_key_record> parse_dkim_key_record(std::string_view text) {
    if (trim_fws(text).empty()) return fail("empty DKIM key record");
    dkim_key_record r;
    // RFC 6376 §3.2: tag names are case-sensitive; duplicates make the list invalid.
    tag_list tags = parse_tag_list(text, {.fold_case = false, .duplicate_is_error = true});
    for (auto& i : tags.issues) r.issues.push_back(std::move(i));
    if (tags.tags.empty()) return fail("no tag=value pairs: not a DKIM key record");
    const tag_value* v = tags.find("v");
    if (v != nullptr) {
        // §3.6.1: "DKIM1"; if present it MUST be the first tag, and a record with another
        // version MUST be ignored (the key is unusable).
        if (v->value != "DKIM1") return fail("v=" + shown(v->value) + " is not DKIM1: verifiers ignore the record");
        r.version_present = true;
        if (&tags.tags.front() != v) {
            issue(r, issue_level::error, "version_not_first", "v=DKIM1 must be the first tag (RFC 6376 §3.6.1)", "v");
        }
    }
    const tag_value* p = tags.find("p");
    if (p == nullptr) return fail("no p= tag: a DKIM key record requires one (RFC 6376 §3.6.1)");
    for (const auto& t : tags.tags) {
        if (t.name == "v" || t.name == "p") continue;
        if (t.name == "h") {
            r.hash_algs.clear();
            bool sha256 = false;
            for (const auto a : split_list(t.value, ':', limits::max_record_tags)) {
                r.hash_algs.emplace_back(a);
                if (a == "sha256") sha256 = true;
                else if (a != "sha1") {
                    issue(r, issue_level::info, "unknown_hash", "h= lists unknown hash algorithm \"" + shown(a) + "\"", "h");
                }
            }
            if (!sha256) {
                // RFC 8301 §3.1: rsa-sha1 MUST NOT be used; a key limited to sha1 is unusable.
                issue(r, issue_level::error, "sha1_only", "h= does not allow sha256: the key only works with the forbidden sha1 (RFC 8301)", "h");
            }
        } else if (t.name == "k") {
            r.key_type_text = t.value;
            if (t.value == "rsa") r.key_type = dkim_key_type::rsa;
            else if (t.value == "ed25519") r.key_type = dkim_key_type::ed25519;
            else {
                r.key_type = dkim_key_type::unknown;
                issue(r, issue_level::error, "unknown_key_type", "k=" + shown(t.value) + " is not rsa or ed25519: verifiers ignore the key", "k");
            }
        } else if (t.name == "n") {
            r.notes = t.value;
        } else if (t.name == "s") {
            r.service_types.clear();
            bool usable = false;
            for (const auto st : split_list(t.value, ':', limits::max_record_tags)) {
                r.service_types.emplace_back(st);
                if (st == "*" || st == "email") usable = true;
            }
            if (!usable) {
                issue(r, issue_level::error, "not_for_email", "s=" + shown(t.value) + " excludes email (needs * or email)", "s");
            }
        } else if (t.name == "t") {
            for (const auto f : split_list(t.value, ':', limits::max_record_tags)) {
                if (f == "y") r.testing = true;
                else if (f == "s") r.no_subdomains = true;
                else issue(r, issue_level::info, "unknown_flag", "t= flag \"" + shown(f) + "\" is unknown and ignored", "t");
            }
        } else if (t.name == "g") {
            // RFC 4871's granularity, removed by RFC 6376 (App. C.4): harmless.
            issue(r, issue_level::info, "obsolete_tag", "g= was removed by RFC 6376 and is ignored", "g");
        } else {
            issue(r, issue_level::info, "unknown_tag", "unknown tag \"" + shown(t.name) + "\" is ignored", t.name);
        }
    }
    // p= may contain FWS (§3.6.1 base64string); keep it without.
    for (char c : p->value) {
        if (!is_fws(c)) r.public_key.push_back(c);
    }
    r.revoked = r.public_key.empty();
    if (r.public_key.size() > limits::max_dkim_key_base64) {
        issue(r, issue_level::error, "key_too_long", "p= is longer than any real key", "p");
        r.public_key.resize(limits::max_dkim_key_base64);
    } else if (!r.revoked && !decode_base64(r.public_key)) {
        issue(r, issue_level::error, "bad_base64", "p= is not valid base64", "p");
    }
    return r;
}

namespace {
struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
constexpr std::size_t ed25519_raw_size = 32;
constexpr unsigned ed25519_bits = 256;
}  // namespace

result<public_key_info> inspect_public_key(dkim_key_type declared, std::string_view base64) {
    const auto der = decode_base64(base64);
    if (!der) return fail("the key is not valid base64");
    if (der->empty()) return fail("the key is empty (revoked)");
    const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
    public_key_info info;
    if (declared == dkim_key_type::ed25519) {
        // RFC 8463 §4.2: p= is the raw 32-byte public key, not a SubjectPublicKeyInfo.
        if (der->size() != ed25519_raw_size) {
            return fail("an ed25519 key must be 32 bytes, this one is " + std::to_string(der->size()));
        }
        pkey_ptr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, der->size()));
        if (!k) return fail("OpenSSL rejects the ed25519 key");
        info.type = dkim_key_type::ed25519;
        info.bits = ed25519_bits;
        info.form = "raw Ed25519";
        return info;
    }
    if (der->size() > static_cast<std::size_t>(INT32_MAX)) return fail("key too large");
    const auto len = static_cast<long>(der->size());
    const unsigned char* cursor = bytes;
    pkey_ptr k(d2i_PUBKEY(nullptr, &cursor, len));
    if (k) {
        info.form = "SubjectPublicKeyInfo";
        if (cursor != bytes + len) return fail("trailing bytes after the SubjectPublicKeyInfo");
    } else {
        // Some signers publish the bare RSAPublicKey (PKCS#1); most verifiers accept it.
        cursor = bytes;
        k.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, len));
        if (!k) return fail("the key is neither a DER SubjectPublicKeyInfo nor an RSAPublicKey");
        info.form = "RSAPublicKey (PKCS#1)";
    }
    const int id = EVP_PKEY_get_base_id(k.get());
    if (id == EVP_PKEY_RSA) info.type = dkim_key_type::rsa;
    else if (id == EVP_PKEY_ED25519) info.type = dkim_key_type::ed25519;
    else return fail("the key is neither RSA nor Ed25519 (OpenSSL type " + std::to_string(id) + ")");
    const int bits = EVP_PKEY_get_bits(k.get());
    if (bits <= 0) return fail("OpenSSL cannot tell the key size");
    info.bits = static_cast<unsigned>(bits);
    if (declared != dkim_key_type::unknown && declared != info.type) {
        return fail("k=" + std::string(to_string(declared)) + " but the key is " + std::string(to_string(info.type)));
    }
    return info;
}

}  // namespace dmarcsight::auth
