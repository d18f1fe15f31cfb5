// What the store keeps of DMARC failure reports (RFC 6591, RFC 9991) and the rows it returns:
// the store interface's failure block (store.hpp) speaks these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "report/failure.hpp"

namespace dmarcsight::store {

// The de-duplication key: the same report twice, in any container, has the same key.
struct failure_key {
    std::string reporter;   // failure_report::reporter()
    std::string sample_id;  // failure_report::sample_key(): Message-ID, else Original-Envelope-Id
    std::int64_t arrival = 0;  // Arrival-Date as epoch seconds; 0 when absent or unreadable
    std::string source_ip;
    static failure_key of(const report::failure_report& r);
};

struct stored_failure {
    std::int64_t id = 0;
    report::failure_report report;
    std::string input_label;
    std::int64_t report_time = 0;  // Arrival-Date, else the report mail's Date, else when ingested
    std::int64_t ingested_at = 0;
};

// Which failure reports a query covers: the policy domain (with its subdomains when asked) and
// report_time (since inclusive, until exclusive); limit 0: all. Newest first.
struct failure_filter {
    std::string domain;
    bool include_subdomains = false;
    std::optional<std::int64_t> since, until;
    std::size_t limit = 0;
};

// Failure reports per (policy domain, source IP): what `sources` joins.
struct failure_source_count {
    std::string policy_domain, source_ip;
    std::int64_t reports = 0;
    std::int64_t first_time = 0, last_time = 0;
};

}  // namespace dmarcsight::store
