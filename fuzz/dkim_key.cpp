// Fuzz target: the DKIM key record parser (src/auth/dkim_key.cpp) and the OpenSSL key inspection
// of whatever p= it yields (base64 decoding, DER SubjectPublicKeyInfo / PKCS#1, raw Ed25519).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/dkim_key.hpp"

using namespace dmarcsight::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = parse_dkim_key_record(text);
    if (r.ok() && !r->revoked) {
        (void)inspect_public_key(r->key_type, r->public_key);
        (void)inspect_public_key(dkim_key_type::ed25519, r->public_key);
    }
    // The raw bytes as a key too: reaches the DER parser with arbitrary content.
    (void)decode_base64(text);
    (void)inspect_public_key(dkim_key_type::rsa, text);
    return 0;
}
