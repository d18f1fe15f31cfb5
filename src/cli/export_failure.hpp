// `export --type failure`: stored failure reports in parsedmarc's JSON shape for forensic
// reports (its output for the corpus samples: ../shared/corpus/oracles/parsedmarc/failure), or its
// forensic CSV columns (a row per report; no sample).
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace dmarcsight::cli {

// One report as parsedmarc writes it (the enrichment fields of "source" are null: offline).
nlohmann::json failure_json(const store::stored_failure& row);
// Streams the selected reports on stdout, a JSON array or CSV with a header line; errors as
// error_line, exit status set.
void export_failures(store::store& db, const store::query_filter& f, bool csv);

}  // namespace dmarcsight::cli
