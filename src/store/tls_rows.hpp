// What the store keeps and returns of SMTP TLS reports (RFC 8460); the methods are in store.hpp's
// "SMTP TLS reports" block.
#pragma once

#include <cstdint>
#include <string>

#include "report/tlsrpt.hpp"

namespace dmarcsight::store {

// An SMTP TLS report as stored (RFC 8460 §4.4): the parsed report, where it came from, and what
// ingest noted (report.warnings).
struct stored_tls_report {
    std::int64_t id = 0;
    report::tls_report report;
    std::string input_label;
    std::string raw_sha256;  // set when the input's bytes are kept in quarantine
    std::int64_t ingested_at = 0;
};

// What the store holds of SMTP TLS reports: reports, policies (one per policy domain and MX set
// in each report) and the sessions their summaries count.
struct tls_totals {
    std::int64_t reports = 0, policies = 0;
    std::int64_t sessions_successful = 0, sessions_failed = 0;
};

}  // namespace dmarcsight::store
