// /metrics: what the store holds in the Prometheus text exposition format (version 0.0.4):
// totals of reports, records, messages and inputs refused, per policy domain its messages and
// DMARC pass share, and the kept alerts (open, acknowledged) per domain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::web {

// A label value as the format requires: backslash, double quote and line feed escaped, invalid
// UTF-8 replaced. Domain names come from reports: nothing in one can end the label or the line.
std::string metrics_label_value(std::string_view v);

result<std::string> metrics_text(store::store& db);

// The server's own counters, beside the store's figures: answers given from what was kept and
// computed anew (web/answer_cache.hpp), answers computed ahead and rounds of them completed
// (web/prefetch.hpp).
struct serve_counters {
    std::uint64_t kept = 0, computed = 0, ahead = 0, ahead_rounds = 0;
};
std::string serve_metrics_text(const serve_counters& c);

}  // namespace dmarcsight::web
