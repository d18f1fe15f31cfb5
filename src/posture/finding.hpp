// What `dmarcsight check` reports: findings about one domain's published mail-authentication
// records. Every finding has a severity, a stable code ("dmarc.multiple_records"), a message,
// the record text it is about (as published; escape it before printing) and how to fix it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dmarcsight::posture {

enum class severity { error, warning, info };

// The record family a finding belongs to (report grouping, JSON "area").
enum class area { dns, dmarc, spf, dkim, mx, mta_sts, tls_rpt, bimi };

struct finding {
    severity level = severity::info;
    area where = area::dns;
    std::string code;     // "<area>.<what>", stable across releases
    std::string message;
    std::string record;   // the DNS text concerned ("" when none)
    std::string fix;      // what to change ("" when nothing to do)
};

struct domain_report {
    std::string domain;   // as looked up: A-labels for an internationalised name
    std::string unicode;  // its U-label form when it has IDN labels ("bücher.example"), else ""
    std::vector<finding> findings;

    bool has_errors() const;
    std::size_t count(severity s) const;
    // First finding with this code, or nullptr (tests, callers deciding on follow-ups).
    const finding* find(std::string_view code) const;
};

std::string_view to_string(severity s);
std::string_view to_string(area a);
// Display title of an area ("DMARC", "MTA-STS", ...).
std::string_view title(area a);

}  // namespace dmarcsight::posture
