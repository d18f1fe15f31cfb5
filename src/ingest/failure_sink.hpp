// The sink for DMARC failure reports (RFC 6591 ARF auth-failure, RFC 9991, and receivers'
// non-ARF ones read best effort): parses one report e-mail into the store as one unit and
// de-duplicates on store::failure_key (the same report in any container is a duplicate).
#pragma once

#include <string>

#include "core/result.hpp"
#include "ingest/aggregate_sink.hpp"
#include "mime/message.hpp"
#include "store/store.hpp"

namespace dmarcsight::ingest {

// An error is an environment error (the store failed); a damaged or foreign report is a
// rejected unit whose bytes are kept.
result<pending_unit> store_failure(store::store& db, const mime::message& m, const std::string& label, const failure_options& o);  // failure_options: ingester.hpp

}  // namespace dmarcsight::ingest
