// An address block "192.0.2.0/24" or "2001:db8::/32" as a value. A bare address is the block of
// that one address (/32 or /128). Host bits after the prefix must be zero: "192.0.2.1/24" is
// refused rather than silently widened, because a user writing it usually meant one of two things.
#pragma once

#include <string>
#include <string_view>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace dmarcsight {

struct cidr {
    ip_address base;
    unsigned length = 32;

    // The error says why (bad address, bad or too long prefix, host bits set) and quotes the text.
    static result<cidr> parse(std::string_view text);
    bool contains(const ip_address& a) const { return a.in_prefix(base, length); }
    // "192.0.2.0/24"; a single address prints without its /32 or /128.
    std::string to_string() const;

    auto operator<=>(const cidr&) const = default;
};

}  // namespace dmarcsight
