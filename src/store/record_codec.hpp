// Records of a report are stored as blocks of this compact binary encoding, one database row per
// block (~256 KiB), not one row per record: per-row database work (~1.5 us a row in SQLite) was
// most of ingest's cost. The format is the store's own; the bytes come from our database, yet the
// decoder checks every length (a damaged or tampered file must give an error, never a crash).
//
// Record layout (version 1): varint count; ip family byte (4|6) + 4|16 address bytes; strings
// (varint length + bytes) disposition, dkim, spf, header_from, envelope_from, envelope_to;
// varint #reasons × (type, comment); varint #dkim × (domain, selector, result, human_result);
// varint #spf × (domain, scope, result, human_result).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "report/aggregate.hpp"

namespace dmarcsight::store {

inline constexpr std::uint8_t record_block_version = 1;

// Appends one record's encoding to `out`.
void encode_record(const report::record& rec, std::string& out);

// Reads records one by one from a block's bytes.
class record_decoder {
public:
    explicit record_decoder(std::string_view block) : data_(block) {}
    bool done() const { return pos_ >= data_.size(); }
    // Decodes the next record into `out` (cleared first).
    result<void> next(report::record& out);

private:
    bool varint(std::uint64_t& v);
    bool str(std::string& s);
    std::string_view data_;
    std::size_t pos_ = 0;
};

}  // namespace dmarcsight::store
