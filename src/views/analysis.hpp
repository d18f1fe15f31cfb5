// The JSON shapes of the analysis, one builder each, shared by the CLI's `--format json` and the
// web API (`serve`): a source row (`sources`), a trend row (`trends`), an alert (`alerts`), the
// failure-report summary (`failures`) and the SMTP TLS overview (`tls`). Field names follow
// issue 6's naming; the API's answers are these documents, so numbers agree by construction.
#pragma once

#include <nlohmann/json.hpp>

#include "alerts/engine.hpp"
#include "analyze/failures.hpp"
#include "analyze/sources.hpp"
#include "analyze/tls.hpp"
#include "analyze/trends.hpp"

namespace dmarcsight::views {

// One `sources` row; `grouped`: a service or base-domain group (source_ips, sample_ips instead of
// source_ip).
nlohmann::json source_json(const analyze::source_row& r, bool grouped);

// A row for a source that only failure reports name (no aggregate report counts its messages).
nlohmann::json failure_only_source_json(const store::failure_source_count& c);

// One `trends` row (`weeks`: ISO-week rows carry week and days).
nlohmann::json trend_json(const analyze::trend_row& r, bool weeks);

// One `alerts` entry: {id, day, kind, domain, source, reporter, severity, detail, state, …}.
nlohmann::json alert_json(const alerts::alert_view& v);

// One mute rule (`alerts --mutes --format json`, /api/v1/mutes): {id, domain, source, kind,
// until, note, created_at}; empty fields are "" (they match every alert).
nlohmann::json mute_json(const store::mute_row& m);

// `failures`: counts, top sources, failure kinds, DKIM, reporters, the newest sample (masked).
nlohmann::json failures_document(const analyze::failure_summary& s);

// `tls`: sessions and result types per policy domain and MX host.
nlohmann::json tls_document(const analyze::tls_overview& o);

}  // namespace dmarcsight::views
