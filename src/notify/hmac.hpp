// HMAC-SHA256 (RFC 2104 with SHA-256, FIPS 180-4; test vectors RFC 4231) through OpenSSL 3.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dmarcsight::notify {

std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data);
// Lower-case hex of hmac_sha256 (64 characters).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Lower-case hex of SHA-256 (64 characters).
std::string sha256_hex(std::string_view data);
// `n` bytes from OpenSSL's CSPRNG as lower-case hex (2n characters); throws if the RNG fails
// (it cannot be reached from input, and nothing may be sent with a predictable boundary or id).
std::string random_hex(std::size_t n);

}  // namespace dmarcsight::notify
