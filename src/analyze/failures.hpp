// What failure reports (RFC 6591, RFC 9991) say, summed: pure functions over the rows the store
// returns (store::stored_failure), for `dmarcsight failures`, `sources` and the alert rules.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/failure_rows.hpp"

namespace dmarcsight::analyze {

struct failing_source {
    std::string policy_domain, source_ip;
    std::int64_t reports = 0;
    std::int64_t last_time = 0;
};

struct counted {
    std::string name;
    std::int64_t reports = 0;
};

struct failure_summary {
    std::int64_t reports = 0, best_effort = 0, redacted = 0;
    std::vector<failing_source> top_sources;  // by reports (descending), then domain, then IP
    std::vector<counted> auth_failures;       // RFC 6591 §3.1 words, by reports
    std::vector<counted> dkim;                // "domain / selector" of DKIM-Domain / DKIM-Selector, by reports
    std::vector<counted> reporters;           // by reports
    // The newest report's sample header, addresses masked (display_redacted): what a failure
    // looks like without showing whose mail it was.
    std::optional<store::stored_failure> latest;
    std::vector<std::pair<std::string, std::string>> latest_headers;
};

// Sums reports one at a time (memory follows the distinct sources, kinds and reporters, not the
// reports; only the newest report is kept whole); lists are cut to `top` entries (0: all).
class failure_summarizer {
public:
    void add(const store::stored_failure& row);
    failure_summary finish(std::size_t top);

private:
    failure_summary s_;
    std::map<std::pair<std::string, std::string>, failing_source> sources_;
    std::map<std::string, std::int64_t> kinds_, dkim_, reporters_;
};
failure_summary summarize_failures(const std::vector<store::stored_failure>& rows, std::size_t top);

// For display: every address's local part becomes "*" ("*@example.com"); Message-ID-like
// fields stay.
std::string display_redacted(std::string_view text);
// The sample header fields worth showing (From, To, Subject, Date, Message-ID, Received,
// Authentication-Results, Return-Path), masked.
std::vector<std::pair<std::string, std::string>> shown_sample_headers(const report::failure_report& r);

// The join of issue 6's sources with failure reports: counts per (policy domain, source IP),
// taken as sources are listed, and what was never taken (sources seen only in failure reports).
class failure_join {
public:
    explicit failure_join(const std::vector<store::failure_source_count>& counts);
    // This source's failure reports (0 when none); marks it as listed.
    std::int64_t take(const std::string& domain, const std::string& ip);
    // The sources never taken, in domain then IP order.
    std::vector<store::failure_source_count> untaken() const;

private:
    std::map<std::pair<std::string, std::string>, std::pair<store::failure_source_count, bool>> by_source_;
};

}  // namespace dmarcsight::analyze
