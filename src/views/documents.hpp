// The JSON documents of what the store answers, one builder each, shared by the CLI's
// `--format json` and the web API (`serve`): the same field names (issue 6's naming) and the
// same numbers whichever way they are asked for.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::views {

// A document as text, the one way every JSON document dmarcsight writes is made: nlohmann's dump
// (indent < 0: one line; invalid UTF-8 replaced), then text::escape_json_controls (DEL, C1 and
// bidirectional controls as \u escapes, so that no report text can reorder a terminal's or a
// page's display).
std::string document_text(const nlohmann::json& j, int indent = -1);

// A report-time window as the facts' days: since's day inclusive, until rounded up to the next
// midnight (exclusive), domain and subdomains as given.
store::fact_filter fact_window(const store::query_filter& f);

// `stats`: what the store holds — aggregate, failure and SMTP TLS reports, their records,
// messages and sessions, the inputs refused, skipped and seen twice, and the period covered.
result<nlohmann::json> stats_document(store::store& db);

// `domains`: per policy domain in the window, reports, messages, DMARC pass, sources, first and
// last day, the end of the last report.
result<nlohmann::json> domains_document(store::store& db, const store::fact_filter& window);

}  // namespace dmarcsight::views
