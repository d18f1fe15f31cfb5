// The sink for aggregate reports: parses one report leaf into the store as one unit, and
// de-duplicates on the report key (RFC 9990 §3.5.4 leaves duplicates to the consumer: the first
// copy is kept; a different copy under the same key is said so on it, and its bytes are kept).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "ingest/ingester.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

struct pending_unit {
    unit_result r;
    std::optional<std::int64_t> report;  // the stored report (new or the original of a duplicate)
    std::optional<std::int64_t> tls_report;  // a stored SMTP TLS report (tlsrpt_sink.hpp) instead
    bool keep = false;                   // the input's bytes go to the quarantine
};

// An error is an environment error (the store failed); a damaged report is a rejected unit.
result<pending_unit> store_aggregate(store::store& db, byte_source& in, const std::string& label,
                                     const std::string& fallback_org, const std::vector<std::string>& extra_warnings);

}  // namespace dmarcsight::ingest
