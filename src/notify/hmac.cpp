#include "notify/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace dmarcsight::notify {

namespace {
std::string hex(const std::uint8_t* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    return out;
}
}  // namespace

std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data) {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    // One-shot HMAC(); a key longer than the block is hashed first, as RFC 2104 §2 says
    // (RFC 4231 test cases 6 and 7 check it).
    const unsigned char* r = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
    if (r == nullptr || len != out.size()) throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
    return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    const auto mac = hmac_sha256(key, data);
    return hex(mac.data(), mac.size());
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) throw std::runtime_error("OpenSSL SHA-256 failed");
    return hex(md, len);
}

std::string random_hex(std::size_t n) {
    std::vector<std::uint8_t> b(n);
    if (n > 0 && RAND_bytes(b.data(), static_cast<int>(n)) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
    return hex(b.data(), n);
}

}  // namespace dmarcsight::notify
