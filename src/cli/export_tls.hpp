// `export --type tls`: stored SMTP TLS reports (RFC 8460) in parsedmarc's shapes: its JSON for an
// SMTP TLS report, or its CSV columns (a row per policy with the session totals, then a row per
// failure detail).
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::cli {

// One report as parsedmarc writes it, with our own members under "dmarcsight".
nlohmann::json tls_report_json(const store::stored_tls_report& sr);
// Streams the selected reports on stdout (a JSON array, or CSV with a header line); with --domain
// only that domain's policies, and only reports that have one. `any`: whether one was written.
result<void> export_tls(store::store& db, const store::query_filter& f, bool csv, bool& any);

}  // namespace dmarcsight::cli
