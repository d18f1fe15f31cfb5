// SMTP TLS report parser (RFC 8460 §4.4): JSON bytes in, a tls_report or a reason out. Pure: no
// I/O beyond the byte_source it is given. Fuzzed (fuzz/tlsrpt.cpp).
//
// Hostile input: the bytes are read up to limits::max_tlsrpt_bytes; the JSON is read through
// SAX events that refuse, before anything is kept, nesting deeper than max_tlsrpt_depth, more
// than max_tlsrpt_values values and strings over max_tlsrpt_string; the report's arrays are
// capped while they are read (policies, failure-details, policy-string, mx-host). A report over
// a cap is rejected whole with the reason; a damaged policy or failure detail (negative or
// non-integer counts, an over-long domain) is dropped with a warning (the smallest unit that can
// be discarded, as for aggregate records).
#pragma once

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "report/tlsrpt.hpp"

namespace dmarcsight::report {

result<tls_report> parse_tlsrpt(byte_source& in);
result<tls_report> parse_tlsrpt(std::string_view json_text);

}  // namespace dmarcsight::report
