#include "core/cidr.hpp"

#include <charconv>

namespace dmarcsight {

namespace {
unsigned max_length(const ip_address& a) { return a.is_v4() ? 32 : 128; }
}  // namespace

result<cidr> cidr::parse(std::string_view text) {
    const std::string quoted = "'" + std::string(text.substr(0, 64)) + "'";
    const auto slash = text.find('/');
    const std::string_view addr_text = text.substr(0, slash);
    auto addr = ip_address::parse(addr_text);
    if (!addr) return fail(quoted + " is not an IP address or CIDR block");
    cidr c;
    c.base = *addr;
    c.length = max_length(*addr);
    if (slash == std::string_view::npos) return c;
    const std::string_view len_text = text.substr(slash + 1);
    unsigned len = 0;
    const auto [p, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (len_text.empty() || ec != std::errc{} || p != len_text.data() + len_text.size() || len_text.size() > 3)
        return fail(quoted + ": the prefix length after '/' is not a number");
    // ip_address folds ::ffff:a.b.c.d into IPv4; its prefix length counts the 96 bits before it.
    if (addr->is_v4() && addr_text.find(':') != std::string_view::npos) {
        if (len < 96) return fail(quoted + ": an IPv4-mapped block needs a prefix of at least 96");
        len -= 96;
    }
    if (len > max_length(*addr))
        return fail(quoted + ": the prefix length is more than " + std::to_string(max_length(*addr)));
    c.length = len;
    // Host bits set: the block starting at the address masked to the prefix is what was meant, or
    // the prefix is wrong. Say which block it would be.
    ip_address masked = *addr;
    const unsigned total = max_length(*addr) / 8;
    for (unsigned i = 0; i < total; ++i) {
        const unsigned bit = i * 8;
        if (bit >= len) masked.bytes[i] = 0;
        else if (bit + 8 > len) masked.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (len - bit)));
    }
    if (masked != *addr)
        return fail(quoted + " has bits set after the prefix; the block is " + masked.to_string() + "/" + std::to_string(len));
    return c;
}

std::string cidr::to_string() const {
    std::string s = base.to_string();
    if (length != max_length(base)) s += "/" + std::to_string(length);
    return s;
}

}  // namespace dmarcsight
