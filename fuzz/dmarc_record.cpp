// Fuzz target: the DMARC record parser (src/auth/dmarc_record.cpp) in both modes, the shared
// tag=value splitter, report URIs, and the other tag=value records parsed from DNS TXT text
// (MTA-STS TXT + policy file and its HTTP reply, TLS-RPT, BIMI: src/auth/record_mail.cpp). DNS TXT is attacker-
// controlled for any domain a user checks or a report names.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/dmarc_record.hpp"
#include "auth/record_mail.hpp"

using namespace dmarcsight::auth;

namespace {
void check_invariants(const dmarc_parse_result& r) {
    // A record that is refused never "applies"; policies are always one of the three.
    if (r.status != dmarc_parse_status::ok && r.applies) std::abort();
    if (r.record.rua.size() > 16 || r.record.ruf.size() > 16) std::abort();
    for (const auto& u : r.record.rua) {
        if (u.valid && u.host.empty()) std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_invariants(parse_dmarc_record(text, dmarc_mode::rfc9989));
    check_invariants(parse_dmarc_record(text, dmarc_mode::rfc7489));
    (void)is_dmarc_record(text);
    (void)parse_report_uri(text, true);
    (void)parse_tag_list(text, {.fold_case = true, .duplicate_is_error = false});
    (void)parse_mta_sts_txt(text);
    (void)parse_mta_sts_policy(text);
    std::string error;
    if (auto body = mta_sts_policy_body(text, error)) (void)parse_mta_sts_policy(*body);
    (void)parse_tls_rpt_record(text);
    (void)parse_bimi_record(text);
    return 0;
}
