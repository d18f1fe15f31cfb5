// The sink for SMTP TLS reports (RFC 8460): parses one report leaf (JSON, after containers are
// peeled) into the store as one unit, and de-duplicates on (organization-name, report-id): the
// first copy is kept; a different copy under the same key is said so, and its bytes are kept.
#pragma once

#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "ingest/aggregate_sink.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

// An error is an environment error (the store failed); a damaged report is a rejected unit.
result<pending_unit> store_tlsrpt(store::store& db, byte_source& in, const std::string& label,
                                  const std::vector<std::string>& extra_warnings);

}  // namespace dmarcsight::ingest
