// IPv4/IPv6 addresses as values. Parsing is strict (inet_pton rules): no prefixes, no zone ids,
// no leading-zero octets. IPv4-mapped IPv6 (::ffff:a.b.c.d) is normalised to IPv4 so that one
// sender is counted once however a reporter wrote it.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dmarcsight {

struct ip_address {
    enum class family : std::uint8_t { v4 = 4, v6 = 6 };
    family fam = family::v4;
    // v4 uses bytes[0..3]; v6 all 16, network order.
    std::array<std::uint8_t, 16> bytes{};

    static std::optional<ip_address> parse(std::string_view text);
    std::string to_string() const;
    void append_to(std::string& out) const;  // to_string without a new string
    bool is_v4() const { return fam == family::v4; }
    // Does this address fall inside prefix/len of the same family?
    bool in_prefix(const ip_address& prefix, unsigned len) const;

    auto operator<=>(const ip_address&) const = default;
};

}  // namespace dmarcsight
