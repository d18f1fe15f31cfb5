// DMARC aggregate reports as plain values: RFC 7489 Appendix C, the pre-RFC drafts, RFC 9990.
// Field names follow the XML element names. Strings are UTF-8, trimmed; result words lower-cased.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.hpp"

namespace dmarcsight::report {

struct report_metadata {
    std::string org_name;
    std::string email;
    std::string extra_contact_info;
    std::string report_id;
    std::string generator;  // RFC 9990
    std::int64_t begin = 0;
    std::int64_t end = 0;
    std::vector<std::string> errors;
};

struct policy_published {
    std::string domain;  // normalised: lower-case, no trailing dot
    std::string adkim, aspf, p, sp, np, fo, testing, discovery_method;
    std::optional<int> pct;
};

struct policy_override_reason {
    std::string type;
    std::string comment;
};

struct dkim_auth_result {
    std::string domain, selector, result, human_result;
};

struct spf_auth_result {
    std::string domain, scope, result, human_result;
};

struct record {
    ip_address source_ip;
    std::int64_t count = 0;  // 0..INT64_MAX (checked on input)
    // policy_evaluated
    std::string disposition, dkim, spf;
    std::vector<policy_override_reason> reasons;
    // identifiers
    std::string header_from, envelope_from, envelope_to;
    std::vector<dkim_auth_result> dkim_results;
    std::vector<spf_auth_result> spf_results;

    void clear();
};

// Which schema a report was written against (RFC 9990 by namespace; RFC 7489 by <version>).
enum class schema_flavour { draft, rfc7489, rfc9990 };

struct report_header {
    std::string xml_schema;     // the <version> text, or "draft" when absent (parsedmarc's convention)
    std::string xml_namespace;  // the default namespace of <feedback>, if any
    schema_flavour flavour = schema_flavour::draft;
    report_metadata metadata;
    policy_published policy;
};

// Identity of a report for de-duplication: (organisation, report_id, policy domain, begin, end),
// trimmed and case-folded.
struct report_key {
    std::string org, report_id, domain;
    std::int64_t begin = 0, end = 0;
    static report_key of(const report_header& h);
};

}  // namespace dmarcsight::report
