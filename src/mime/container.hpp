// Containers around a report: gzip (RFC 1952), zlib (RFC 1950), zip (PKWARE APPNOTE 6.3.x).
// Pure: every function here works on byte_sources or memory handed in by the caller; nothing
// touches the file system (a zip member name is data, never a path).
//
// Trust: the bytes are attacker-controlled. Every decompressor stops at a caller-given output
// cap, verifies the format's checksum at the end (CRC-32 / Adler-32) and reports a truncated
// stream as an error, so a partial report is never mistaken for a whole one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace dmarcsight::mime {

enum class container_kind { gzip, zlib, zip, plain };

// By content (magic number), never by file name. zlib = RFC 1950 §2.2 header check
// (CM = 8, CINFO <= 7, FCHECK, no preset dictionary).
container_kind sniff_container(std::string_view first_bytes);
const char* to_string(container_kind k);

// Streaming gunzip (RFC 1952). CRC-32 and ISIZE are verified at the end of each member;
// a truncated stream or a bad checksum is a read() error; more than max_out output bytes is the
// read() error "decompressed size exceeds N bytes". Further gzip members after the first are
// decoded and appended (RFC 1952 §2.2); any other trailing bytes (Mimecast's CR LF, garbage) are
// a warning, not an error. Empty output is not an error here.
std::unique_ptr<byte_source> open_gzip(std::unique_ptr<byte_source> in, std::uint64_t max_out);
// Streaming zlib (RFC 1950), Adler-32 verified; same cap and trailing-byte rules as open_gzip.
std::unique_ptr<byte_source> open_zlib(std::unique_ptr<byte_source> in, std::uint64_t max_out);

struct zip_member {
    std::string name;  // as stored (CP437 or UTF-8 bytes), cut to limits::max_zip_member_name
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint16_t method = 0;  // APPNOTE 4.4.5: 0 stored, 8 deflate
    std::uint16_t flags = 0;   // APPNOTE 4.4.4: bit 0 encrypted, bit 3 data descriptor
    std::uint32_t crc32 = 0;
    std::uint64_t local_header_offset = 0;  // offset of the local file header in the archive
    std::uint64_t data_offset = 0;          // offset of the member's (compressed) data
    bool is_directory() const { return !name.empty() && name.back() == '/'; }
};

// Reads the central directory of an archive held in memory. More than limits::max_zip_members
// members is an error (refused up front, not walked). Sizes and CRCs come from the central
// directory, so members written with a data descriptor (bit 3) are handled; zip64 end records
// and extra fields are read. Member names are data, never paths.
result<std::vector<zip_member>> list_zip(std::string_view archive);

// Streams one member (stored or deflate) of `archive` (which must outlive the returned source),
// verifying its CRC-32 and size at the end. A declared size over max_out is refused up front;
// inflating past max_out (or past the declared size) is a read() error.
result<std::unique_ptr<byte_source>> open_zip_member(std::string_view archive, const zip_member& m,
                                                     std::uint64_t max_out);

// A byte_source that lets its caller look at the first bytes without consuming them.
class peek_source final : public byte_source {
public:
    explicit peek_source(std::unique_ptr<byte_source> in) : in_(std::move(in)) {}
    // Up to n bytes from the start of the stream (fewer only at end of stream).
    result<std::string_view> peek(std::size_t n);
    result<std::size_t> read(char* buf, std::size_t n) override;
    std::vector<std::string> warnings() const override { return in_->warnings(); }

private:
    std::unique_ptr<byte_source> in_;
    std::string head_;
    std::size_t head_pos_ = 0;
};

struct unwrapped {
    std::string chain;                    // the layers peeled, e.g. "mail.eml>zip:report.xml>gzip"
    std::unique_ptr<byte_source> stream;  // the leaf's plain bytes (XML or JSON, presumably)
};

// Sniffs `in` and peels gzip/zlib/zip layers recursively (at most limits::max_container_depth
// layers; deeper is the error "containers nested deeper than N"), calling on_leaf once per leaf:
// a zip with several members gives several leaves, each peeled further on its own. Every leaf is
// capped at limits::max_decompressed_report bytes, and all bytes decompressed for one input (all
// layers and members together) at limits::unwrap_total_factor times that (overlapping-member zip
// bombs: read() error "decompressed size of all layers exceeds N bytes"). on_leaf must read its stream to the end before
// returning; errors of the leaf's read() surface there. An error returned by on_leaf stops the walk
// and is returned. `label` starts the chain (e.g. a file name; may be empty).
result<void> unwrap(std::unique_ptr<byte_source> in, std::string label,
                    const std::function<result<void>(unwrapped&)>& on_leaf, int depth = 0);

// Same, with an explicit output cap per layer (tests and fuzzing use small caps).
result<void> unwrap_capped(std::unique_ptr<byte_source> in, std::string label,
                           const std::function<result<void>(unwrapped&)>& on_leaf, int depth,
                           std::uint64_t max_out);

}  // namespace dmarcsight::mime
