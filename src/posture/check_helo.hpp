// The HELO names of a domain's authorized sources (their forward-confirmed PTR names, which is
// what mail servers say in HELO/EHLO), checked for SPF records of their own. RFC 7208 §2.3:
// receivers SHOULD check the HELO identity, and when MAIL FROM is empty (bounces, RFC 5321 §4.5.5)
// the HELO identity is the one SPF checks: a HELO name without a record leaves those messages
// with SPF "none". The fix is one record per name: "v=spf1 a -all" (the host's own address).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "posture/finding.hpp"

namespace dmarcsight::posture {

// At most this many names are looked up per domain.
inline constexpr std::size_t max_helo_names = 200;

// Findings for `domain`: names under it without SPF (warning: the owner can fix them), names of
// services without SPF (info: the service's to fix), lookups that failed (info).
std::vector<finding> check_helo_names(dns::resolver& dns, std::string_view domain, const std::vector<std::string>& names);

}  // namespace dmarcsight::posture
