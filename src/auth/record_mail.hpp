// The smaller mail-security records checked by `dmarcsight check`: MTA-STS (RFC 8461: the
// _mta-sts TXT record and the policy file text), TLS-RPT (RFC 8460 §3) and BIMI
// (draft-brand-indicators-for-message-identification, default._bimi TXT). Pure parsers: no I/O
// (the MTA-STS policy file is fetched elsewhere, or not at all).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dmarc_record.hpp"
#include "auth/record_tags.hpp"
#include "core/result.hpp"

namespace dmarcsight::auth {

// ---- MTA-STS TXT at _mta-sts.<domain> (RFC 8461 §3.1) ------------------------------------------
struct mta_sts_txt {
    std::string id;  // 1*32 ALPHA/DIGIT
    std::vector<record_issue> issues;
};
bool is_mta_sts_txt(std::string_view txt);  // starts with v=STSv1
// Fails when it does not start with v=STSv1 or has no valid id=.
result<mta_sts_txt> parse_mta_sts_txt(std::string_view text);

// ---- MTA-STS policy file (RFC 8461 §3.2) --------------------------------------------------------
enum class sts_mode { enforce, testing, none };
struct mta_sts_policy {
    sts_mode mode = sts_mode::none;
    std::uint64_t max_age = 0;
    std::vector<std::string> mx;  // patterns, lower-case ("*.example.net" allowed)
    std::vector<record_issue> issues;
};
// Fails when version/mode/max_age are missing or invalid, or mx is missing with mode != none.
result<mta_sts_policy> parse_mta_sts_policy(std::string_view text);
std::string_view to_string(sts_mode m);
// The reply to the policy fetch → the policy body: status 200 only (RFC 8461 §3.3: redirects are
// not followed), Content-Type text/plain (§3.2), the body within limits::max_mta_sts_policy.
std::optional<std::string> mta_sts_policy_reply(long status, std::string_view content_type, std::string_view body,
                                                std::string& error);
// The same rules over a raw HTTP/1.x reply (status line, headers, blank line, body); the headers
// within limits::max_mta_sts_response_headers.
std::optional<std::string> mta_sts_policy_body(std::string_view response, std::string& error);

// ---- TLS-RPT at _smtp._tls.<domain> (RFC 8460 §3) ----------------------------------------------
struct tls_rpt_record {
    std::vector<report_uri> rua;  // mailto: or https:
    std::vector<record_issue> issues;
};
bool is_tls_rpt_record(std::string_view txt);  // starts with v=TLSRPTv1
// Fails when it does not start with v=TLSRPTv1 or has no usable rua=.
result<tls_rpt_record> parse_tls_rpt_record(std::string_view text);

// ---- BIMI at <selector>._bimi.<domain> -----------------------------------------------------------
struct bimi_record {
    std::string location;   // l= (https URL of an SVG Tiny PS logo; "" = declined)
    std::string authority;  // a= (https URL of the VMC/CMC PEM; "" = none)
    bool declined = false;  // l= empty and a= empty: the domain opts out
    std::vector<record_issue> issues;
};
bool is_bimi_record(std::string_view txt);  // starts with v=BIMI1
result<bimi_record> parse_bimi_record(std::string_view text);

}  // namespace dmarcsight::auth
