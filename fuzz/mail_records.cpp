// Fuzz target: the mail-policy parsers of auth/record_mail.hpp over arbitrary bytes — MTA-STS TXT
// records and policy files (RFC 8461 §3.1, §3.2), the policy fetch's reply rules, TLS-RPT records
// (RFC 8460 §3) and BIMI records. Invariants: no crash/UB/leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/record_mail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)auth::is_mta_sts_txt(in);
    (void)auth::parse_mta_sts_txt(in);
    (void)auth::parse_mta_sts_policy(in);
    std::string reply_error;
    (void)auth::mta_sts_policy_reply(200, "text/plain; charset=utf-8", in, reply_error);
    std::string error;
    (void)auth::mta_sts_policy_body(in, error);
    (void)auth::is_tls_rpt_record(in);
    (void)auth::parse_tls_rpt_record(in);
    (void)auth::is_bimi_record(in);
    (void)auth::parse_bimi_record(in);
    return 0;
}
