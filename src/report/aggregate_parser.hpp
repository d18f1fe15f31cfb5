// Streaming parser for aggregate reports. Pure: bytes in (a byte_source), values out (through a
// sink), no I/O. The header (metadata + policy) reaches the sink before the first record, so a
// store can de-duplicate before writing; records follow one by one and are never all held.
//
// Recovery (store with a warning): BOM, declared ISO-8859-1/windows-1252/UTF-16, invalid UTF-8,
// float timestamps, upper-case result words, empty elements, missing org_name (fallback given by
// the caller), an unclosed wrapper around <feedback>, unescaped '<'/'&' in text. A broken record
// (bad IP, count outside 0..2^63-1) is dropped with a warning: the smallest unit that can be safely
// discarded. Everything else (truncation, DOCTYPE, NUL, missing report_id/dates/domain) rejects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"
#include "report/aggregate.hpp"

namespace dmarcsight::report {

class aggregate_sink {
public:
    virtual ~aggregate_sink() = default;
    // Called once, before any record. An error stops parsing (the caller rejects the input).
    virtual result<void> on_header(const report_header& header) = 0;
    virtual result<void> on_record(const record& rec) = 0;
};

struct parse_options {
    // Used when <org_name> is missing or empty and <email> has no domain: the domain of the
    // e-mail that carried the report (parsedmarc does the same).
    std::string fallback_org;
};

struct parse_summary {
    std::uint64_t records = 0;          // records delivered to the sink
    std::uint64_t dropped_records = 0;  // broken records skipped with a warning
    std::uint64_t messages = 0;         // sum of counts, saturating at INT64_MAX
    std::vector<std::string> warnings;
};

// True if the leaf looks like an XML document (first non-blank byte '<', after a BOM/UTF-16).
bool looks_like_xml(std::string_view head);

result<parse_summary> parse_aggregate(byte_source& in, aggregate_sink& sink, const parse_options& options = {});

}  // namespace dmarcsight::report
