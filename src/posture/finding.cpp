#include "posture/finding.hpp"

namespace dmarcsight::posture {

bool domain_report::has_errors() const { return count(severity::error) > 0; }

std::size_t domain_report::count(severity s) const {
    std::size_t n = 0;
    for (const auto& f : findings) n += f.level == s ? 1 : 0;
    return n;
}

const finding* domain_report::find(std::string_view code) const {
    for (const auto& f : findings) {
        if (f.code == code) return &f;
    }
    return nullptr;
}

std::string_view to_string(severity s) {
    switch (s) {
        case severity::error: return "error";
        case severity::warning: return "warning";
        case severity::info: return "info";
    }
    return "info";
}

std::string_view to_string(area a) {
    switch (a) {
        case area::dns: return "dns";
        case area::dmarc: return "dmarc";
        case area::spf: return "spf";
        case area::dkim: return "dkim";
        case area::mx: return "mx";
        case area::mta_sts: return "mta_sts";
        case area::tls_rpt: return "tls_rpt";
        case area::bimi: return "bimi";
    }
    return "dns";
}

std::string_view title(area a) {
    switch (a) {
        case area::dns: return "DNS";
        case area::dmarc: return "DMARC";
        case area::spf: return "SPF";
        case area::dkim: return "DKIM";
        case area::mx: return "MX";
        case area::mta_sts: return "MTA-STS";
        case area::tls_rpt: return "TLS-RPT";
        case area::bimi: return "BIMI";
    }
    return "DNS";
}

}  // namespace dmarcsight::posture
