// An SMTP TLS report (RFC 8460 §4.4) as plain values: what tlsrpt_parser.hpp reads from JSON and
// what the store keeps. Field names follow the RFC's JSON member names (dashes as underscores).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmarcsight::report {

// RFC 8460 §4.4 "failure-details": one kind of failed session, aggregated by the sender.
// Optional members are empty when the report leaves them out.
struct tls_failure_detail {
    std::string result_type;  // §4.3 result type as sent (unknown ones kept as text)
    std::string sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip;
    std::int64_t failed_session_count = 0;
    std::string additional_information;  // a URI (§4.4)
    std::string failure_reason_code;
};

// One entry of "policies": the policy the sender applied to a policy domain and its sessions.
struct tls_policy {
    std::string policy_type;  // "sts", "tlsa", "no-policy-found", or an unknown type as sent
    std::vector<std::string> policy_string;
    std::string policy_domain;           // normalised (lower case, no trailing dot); empty if absent
    std::vector<std::string> mx_host;    // a string in the RFC's example, an array per erratum 6241
    std::int64_t total_successful_session_count = 0;
    std::int64_t total_failure_session_count = 0;
    std::vector<tls_failure_detail> failure_details;
};

struct tls_report {
    std::string organization_name, contact_info, report_id;
    // date-range as sent (RFC 3339 text) and as epoch seconds.
    std::string start_datetime, end_datetime;
    std::int64_t begin = 0, end = 0;
    std::vector<tls_policy> policies;
    // What was odd and tolerated (a dropped policy, a cut field, a time without offset).
    std::vector<std::string> warnings;
};

// The de-duplication key (§4.4: report-id is unique per organisation): both trimmed and
// case-folded, as the aggregate report key is.
struct tls_report_key {
    std::string org, report_id;
    static tls_report_key of(const tls_report& r);
};

// A hash of the parsed content (FNV-1a over every field in order): a later copy under the same
// key is compared with the stored one by this value.
std::uint64_t tls_content_hash(const tls_report& r);

}  // namespace dmarcsight::report
