// What one unit of input is, as decided by classify.hpp: the kinds of report dmarcsight knows.
#pragma once

#include <string_view>

namespace dmarcsight::ingest {

enum class report_kind {
    aggregate,  // DMARC aggregate report (RFC 7489 §7.2, RFC 9990): XML
    failure,    // DMARC failure report (RFC 6591 ARF auth-failure, RFC 9991), or a non-ARF one
    tlsrpt,     // SMTP TLS report (RFC 8460): JSON
    other_arf,  // an ARF feedback report of another type (abuse, fraud, opt-out ...): not ours
    none,       // not a report at all (a readme, a logo, a signature, a text body)
};

// Stable names, stored in the inputs table and printed in JSON.
constexpr std::string_view to_string(report_kind k) {
    switch (k) {
        case report_kind::aggregate: return "aggregate";
        case report_kind::failure: return "failure";
        case report_kind::tlsrpt: return "tlsrpt";
        case report_kind::other_arf: return "arf";
        case report_kind::none: return "none";
    }
    return "none";
}

// A report of ours (the others are never stored, only explained).
constexpr bool is_report(report_kind k) {
    return k == report_kind::aggregate || k == report_kind::failure || k == report_kind::tlsrpt;
}

}  // namespace dmarcsight::ingest
