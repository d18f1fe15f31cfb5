// Privacy for failure reports: their samples are other people's mail (RFC 6591 §6, RFC 9991 §7
// "Privacy Considerations"). Redacting keeps what analysis needs (domains, IPs, the Received
// chain, authentication results) and hides who: every address's local part becomes a keyed hash
// (HMAC-SHA256, stable for one key, so the same person is still recognisable across reports
// without being named), and the sample's body and the DKIM canonicalised copies are dropped.
#pragma once

#include <string>
#include <string_view>

#include "report/failure.hpp"

namespace dmarcsight::ingest {

// "user@example.com" → "h-3f2a…@example.com" in any text (addresses found by their '@').
std::string redact_addresses(std::string_view text, std::string_view key);
void redact_failure(report::failure_report& r, std::string_view key);

}  // namespace dmarcsight::ingest
