// DMARC failure reports from a parsed e-mail (mime::message): pure, no I/O, fuzzed (fuzz/failure.cpp).
//
//  * ARF (RFC 5965 §2): a message/feedback-report part whose Feedback-Type is auth-failure
//    (RFC 6591 §3) is a DMARC failure report; any other type (abuse, fraud, opt-out, not-spam,
//    virus, other) is refused with the reason "not a DMARC report (ARF <type>)".
//  * No ARF part (receivers' own plain-text formats, e.g. Exim's "A message claiming to be from
//    you has failed ..."): labelled lines and the copied header are read best effort, and the
//    report is marked best_effort.
//
// Trust: every byte comes from anyone. Field counts, repeats and lengths are capped where they are
// read (core/limits.hpp, failure block); values are cut on UTF-8 boundaries; nothing is expanded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "mime/message.hpp"
#include "report/failure.hpp"

namespace dmarcsight::report {

// The report a message holds. Errors: other ARF ("not a DMARC report (ARF abuse)"), no failure
// report at all ("not a DMARC failure report: ..."), a report without a source or a sample key.
result<failure_report> parse_failure(const mime::message& m);
// The same from raw bytes of one e-mail (tests, fuzzing).
result<failure_report> parse_failure_bytes(std::string_view raw);

// An RFC 5322 §3.3 date-time (with the obsolete zones of §4.3, comments and a missing weekday or
// seconds tolerated) as epoch seconds; nullopt when it is not one.
std::optional<std::int64_t> parse_mail_date(std::string_view value);

// The address of a Source-IP value ("192.0.2.1", "192.0.2.1 (host.example)", "[192.0.2.1]",
// "IPv6:2001:db8::1") in canonical text; "" when it holds none.
std::string source_ip_of(std::string_view value);

}  // namespace dmarcsight::report
