#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace dmarcsight {

std::optional<ip_address> ip_address::parse(std::string_view text) {
    // inet_pton needs a NUL-terminated string; the longest valid form is 45 characters.
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    ip_address a;
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
        a.fam = family::v4;
        return a;
    }
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
    a.fam = family::v6;
    static constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), mapped_prefix, 12) == 0) {
        std::array<std::uint8_t, 16> v4{};
        std::memcpy(v4.data(), a.bytes.data() + 12, 4);
        a.bytes = v4;
        a.fam = family::v4;
    }
    return a;
}

std::string ip_address::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

void ip_address::append_to(std::string& out) const {
    if (fam == family::v4) {
        // Hand-rolled: inet_ntop goes through sprintf, and this runs for every stored record.
        char buf[16];
        char* p = buf;
        for (int i = 0; i < 4; ++i) {
            unsigned v = bytes[static_cast<std::size_t>(i)];
            if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
            if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
            *p++ = static_cast<char>('0' + v % 10);
            if (i < 3) *p++ = '.';
        }
        out.append(buf, static_cast<std::size_t>(p - buf));
        return;
    }
    // Hand-rolled too, the same text as glibc's inet_ntop (RFC 5952 §4: lower-case hex without
    // leading zeros; the longest run of two or more zero groups, the first of equals, as "::";
    // and glibc's dotted tail for ::a.b.c.d and ::ffff:a.b.c.d). tests/unit/core compares them.
    std::array<unsigned, 8> w{};
    for (std::size_t i = 0; i < 8; ++i) w[i] = static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[static_cast<std::size_t>(i)] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && w[static_cast<std::size_t>(j)] == 0) ++j;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2) best = -1;
    char buf[48];
    char* p = buf;
    static constexpr char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best) *p++ = ':';
            continue;
        }
        if (i != 0) *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
            for (std::size_t b = 12; b < 16; ++b) {
                const unsigned v = bytes[b];
                if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
                if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
                *p++ = static_cast<char>('0' + v % 10);
                if (b < 15) *p++ = '.';
            }
            break;
        }
        const unsigned v = w[static_cast<std::size_t>(i)];
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned d = (v >> shift) & 0xf;
            if (d != 0 || started || shift == 0) {
                *p++ = hex[d];
                started = true;
            }
        }
    }
    if (best >= 0 && best + best_len == 8) *p++ = ':';
    out.append(buf, static_cast<std::size_t>(p - buf));
}

bool ip_address::in_prefix(const ip_address& prefix, unsigned len) const {
    if (fam != prefix.fam) return false;
    const unsigned max_len = fam == family::v4 ? 32 : 128;
    if (len > max_len) return false;
    const unsigned full = len / 8, rest = len % 8;
    if (std::memcmp(bytes.data(), prefix.bytes.data(), full) != 0) return false;
    if (rest == 0) return true;
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (bytes[full] & mask) == (prefix.bytes[full] & mask);
}

}  // namespace dmarcsight
