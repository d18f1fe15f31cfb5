// gzip / zlib / zip decoding with zlib's streaming inflate. See container.hpp for the contract.
#include "mime/container.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <limits>

#include "core/limits.hpp"

namespace dmarcsight::mime {

namespace {

template <class T>
unexpected forward_error(const result<T>& r) {
    return unexpected{r.err()};
}

std::string join_chain(const std::string& chain, std::string_view layer) {
    std::string out = chain;
    if (!out.empty()) out += '>';
    out += layer;
    return out;
}

// Error messages of nested layers name where they happened: "mail.eml>zip:a.xml: ...".
unexpected fail_in(const std::string& chain, std::string message) {
    if (chain.empty()) return fail(std::move(message));
    return fail(chain + ": " + message);
}

std::uint16_t le16(std::string_view s, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) |
                                      (static_cast<unsigned char>(s[at + 1]) << 8));
}
std::uint32_t le32(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(le16(s, at)) | (static_cast<std::uint32_t>(le16(s, at + 2)) << 16);
}
std::uint64_t le64(std::string_view s, std::size_t at) {
    return static_cast<std::uint64_t>(le32(s, at)) | (static_cast<std::uint64_t>(le32(s, at + 4)) << 32);
}
// True if [at, at+len) lies inside s, without wrap-around.
bool fits(std::string_view s, std::uint64_t at, std::uint64_t len) {
    return at <= s.size() && len <= s.size() - at;
}

enum class inflate_format { gzip, zlib, raw };

const char* format_name(inflate_format f) {
    switch (f) {
        case inflate_format::gzip: return "gzip";
        case inflate_format::zlib: return "zlib";
        case inflate_format::raw: return "zip member";
    }
    return "deflate";
}

// RFC 1952 §2.3.1 ID1 ID2.
constexpr unsigned char gzip_id1 = 0x1f;
constexpr unsigned char gzip_id2 = 0x8b;

// One inflate stream over either an upstream byte_source (gzip, zlib) or memory (a zip member).
// Output goes straight into the caller's buffer; the input buffer is fixed-size and reused.
class inflate_source final : public byte_source {
public:
    inflate_source(inflate_format format, std::unique_ptr<byte_source> in, std::uint64_t max_out)
        : format_(format), in_(std::move(in)), max_out_(max_out) {
        buf_ = std::make_unique_for_overwrite<unsigned char[]>(limits::inflate_input_chunk);
        init();
    }
    // A zip member's deflate data held in memory; CRC-32 and size are checked at the end.
    inflate_source(std::string_view data, std::uint64_t max_out, std::uint32_t expected_crc,
                   std::uint64_t expected_size)
        : format_(inflate_format::raw), max_out_(max_out), expected_crc_(expected_crc),
          expected_size_(expected_size) {
        init();
        // zlib's avail_in is 32-bit: memory input is fed in slices of at most UINT_MAX.
        mem_ = data;
        feed_memory();
    }
    ~inflate_source() override {
        if (initialised_) inflateEnd(&zs_);
    }
    inflate_source(const inflate_source&) = delete;
    inflate_source& operator=(const inflate_source&) = delete;

    result<std::size_t> read(char* out, std::size_t n) override {
        if (!error_.empty()) return fail(error_);
        if (done_ || n == 0) return std::size_t{0};
        // Never inflate more than one byte past the cap: a bomb stops here, not 4 GiB later.
        std::uint64_t room = room_below(max_out_);
        if (format_ == inflate_format::raw) room = std::min(room, room_below(expected_size_));
        const std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>({static_cast<std::uint64_t>(n), room, UINT_MAX}));
        zs_.next_out = reinterpret_cast<Bytef*>(out);
        zs_.avail_out = static_cast<uInt>(want);
        while (zs_.avail_out > 0) {
            if (zs_.avail_in == 0 && !in_eof_) {
                if (auto r = refill(); !r) return r;
            }
            const uInt before_in = zs_.avail_in;
            const uInt before_out = zs_.avail_out;
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                if (auto r = end_of_stream(); !r) return fail(error_);
                if (done_) break;
                continue;
            }
            if (rc == Z_OK || rc == Z_BUF_ERROR) {
                const bool progress = zs_.avail_in != before_in || zs_.avail_out != before_out;
                if (progress || (zs_.avail_in == 0 && !in_eof_)) continue;
                if (zs_.avail_in == 0) {
                    return set_error(std::string("truncated ") + format_name(format_) +
                                     " stream (input ends before the end of the compressed data)");
                }
                return set_error(std::string(format_name(format_)) + ": inflate made no progress");
            }
            std::string msg = std::string(format_name(format_)) + ": corrupt compressed data";
            if (zs_.msg != nullptr) msg += std::string(" (") + zs_.msg + ")";
            if (rc == Z_MEM_ERROR) msg = std::string(format_name(format_)) + ": out of memory";
            return set_error(std::move(msg));
        }
        const std::size_t produced = want - zs_.avail_out;
        // libdeflate's CRC-32 uses carry-less multiplication where available: ~2x zlib's.
        if (format_ == inflate_format::raw) crc_ = libdeflate_crc32(crc_, out, produced);
        total_ += produced;
        if (total_ > max_out_) {
            return set_error("decompressed size exceeds " + std::to_string(max_out_) + " bytes");
        }
        if (format_ == inflate_format::raw && total_ > expected_size_) {
            return set_error("zip member inflates past its declared size of " +
                             std::to_string(expected_size_) + " bytes");
        }
        if (done_ && format_ == inflate_format::raw) {
            if (total_ != expected_size_) {
                return set_error("zip member size mismatch: " + std::to_string(total_) +
                                 " bytes inflated, " + std::to_string(expected_size_) + " declared");
            }
            if (crc_ != expected_crc_) return set_error("zip member CRC-32 mismatch");
        }
        return produced;
    }

    std::vector<std::string> warnings() const override {
        std::vector<std::string> w = in_ ? in_->warnings() : std::vector<std::string>{};
        w.insert(w.end(), warnings_.begin(), warnings_.end());
        return w;
    }

private:
    // Output bytes still allowed below `cap`, plus one so that crossing the cap is seen.
    std::uint64_t room_below(std::uint64_t cap) const {
        const std::uint64_t left = cap - std::min(total_, cap);
        return left == std::numeric_limits<std::uint64_t>::max() ? left : left + 1;
    }

    void init() {
        std::memset(&zs_, 0, sizeof zs_);
        // RFC 1952 (gzip) = 16 + window bits; RFC 1950 (zlib) = window bits; raw deflate (zip,
        // APPNOTE 4.4.5 method 8) = negative window bits. zlib verifies CRC-32/ISIZE and Adler-32.
        int bits = MAX_WBITS;
        if (format_ == inflate_format::gzip) bits = 16 + MAX_WBITS;
        if (format_ == inflate_format::raw) bits = -MAX_WBITS;
        if (inflateInit2(&zs_, bits) != Z_OK) {
            error_ = std::string(format_name(format_)) + ": cannot initialise inflate";
            return;
        }
        initialised_ = true;
    }

    void feed_memory() {
        const std::size_t k = std::min<std::size_t>(mem_.size(), UINT_MAX);
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(mem_.data()));
        zs_.avail_in = static_cast<uInt>(k);
        mem_.remove_prefix(k);
        in_eof_ = mem_.empty();
    }

    // More input, keeping any unconsumed bytes at the front (the trailer check needs 2 bytes).
    result<std::size_t> refill() {
        if (!in_) {
            feed_memory();
            return std::size_t{0};
        }
        const std::size_t keep = zs_.avail_in;
        if (keep > 0 && zs_.next_in != buf_.get()) std::memmove(buf_.get(), zs_.next_in, keep);
        auto r = in_->read(reinterpret_cast<char*>(buf_.get()) + keep, limits::inflate_input_chunk - keep);
        if (!r) {
            error_ = r.err().message;
            return forward_error(r);
        }
        if (*r == 0) in_eof_ = true;
        zs_.next_in = buf_.get();
        zs_.avail_in = static_cast<uInt>(keep + *r);
        return std::size_t{0};
    }

    unexpected set_error(std::string msg) {
        error_ = std::move(msg);
        return fail(error_);
    }

    // After a member / stream ended: another gzip member follows (RFC 1952 §2.2: a gzip file is a
    // series of members), or nothing, or trailing bytes we ignore with a warning.
    result<void> end_of_stream() {
        if (format_ == inflate_format::raw) {
            done_ = true;
            return {};
        }
        while (zs_.avail_in < 2 && !in_eof_) {
            if (auto r = refill(); !r) return forward_error(r);
        }
        if (zs_.avail_in == 0) {
            done_ = true;
            return {};
        }
        if (format_ == inflate_format::gzip && zs_.avail_in >= 2 && zs_.next_in[0] == gzip_id1 &&
            zs_.next_in[1] == gzip_id2) {
            if (inflateReset(&zs_) != Z_OK) {
                error_ = "gzip: cannot reset inflate for the next member";
                return fail(error_);
            }
            ++members_;
            return {};
        }
        // Not a member: say how much was ignored (at most one more chunk is read to count it; a
        // huge tail is not drained).
        while (!in_eof_ && zs_.avail_in < limits::inflate_input_chunk && in_) {
            if (auto r = refill(); !r) return forward_error(r);
        }
        std::string count = std::to_string(zs_.avail_in);
        if (!in_eof_) count = "at least " + count;
        warnings_.push_back(count + " trailing bytes after the end of the " + format_name(format_) +
                            " data ignored");
        zs_.avail_in = 0;
        done_ = true;
        return {};
    }

    inflate_format format_;
    std::unique_ptr<byte_source> in_;
    std::unique_ptr<unsigned char[]> buf_;
    std::string_view mem_;
    z_stream zs_{};
    bool initialised_ = false;
    bool in_eof_ = false;
    bool done_ = false;
    std::uint64_t max_out_;
    std::uint64_t total_ = 0;
    std::uint32_t expected_crc_ = 0;
    std::uint64_t expected_size_ = 0;
    std::uint32_t crc_ = 0;
    int members_ = 1;
    std::string error_;
    std::vector<std::string> warnings_;
};

// A stored (method 0) zip member: the bytes as they are, CRC-32 checked at the end.
class stored_source final : public byte_source {
public:
    stored_source(std::string_view data, std::uint32_t expected_crc) : data_(data), expected_crc_(expected_crc) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        if (failed_) return fail("zip member CRC-32 mismatch");
        const std::size_t k = std::min({n, data_.size() - pos_, static_cast<std::size_t>(UINT_MAX)});
        if (k == 0) {
            if (n > 0 && !checked_) {
                checked_ = true;
                if (crc_ != expected_crc_) {
                    failed_ = true;
                    return fail("zip member CRC-32 mismatch");
                }
            }
            return std::size_t{0};
        }
        std::memcpy(buf, data_.data() + pos_, k);
        crc_ = libdeflate_crc32(crc_, buf, k);
        pos_ += k;
        return k;
    }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
    std::uint32_t crc_ = 0;
    std::uint32_t expected_crc_;
    bool checked_ = false;
    bool failed_ = false;
};

// APPNOTE 4.3.16 / 4.3.12 / 4.3.7 / 4.3.14-15 signatures and fixed sizes.
constexpr std::uint32_t sig_eocd = 0x06054b50;
constexpr std::uint32_t sig_central = 0x02014b50;
constexpr std::uint32_t sig_local = 0x04034b50;
constexpr std::uint32_t sig_zip64_eocd = 0x06064b50;
constexpr std::uint32_t sig_zip64_locator = 0x07064b50;
constexpr std::size_t eocd_size = 22;
constexpr std::size_t max_zip_comment = 0xFFFF;
constexpr std::size_t central_header_size = 46;
constexpr std::size_t local_header_size = 30;
constexpr std::size_t zip64_locator_size = 20;
constexpr std::size_t zip64_eocd_size = 56;
constexpr std::uint16_t zip64_extra_id = 0x0001;
constexpr std::uint32_t u32_escape = 0xFFFFFFFF;
constexpr std::uint16_t u16_escape = 0xFFFF;
constexpr std::uint16_t flag_encrypted = 0x0001;
constexpr std::uint16_t method_stored = 0;
constexpr std::uint16_t method_deflate = 8;

// Reads a central directory entry's zip64 extended information (APPNOTE 4.5.3): each field is
// present only if the fixed field holds the escape value, in this order.
result<void> read_zip64_extra(std::string_view extra, zip_member& m, bool usize64, bool csize64, bool off64) {
    std::size_t p = 0;
    while (p + 4 <= extra.size()) {
        const std::uint16_t id = le16(extra, p);
        const std::uint16_t len = le16(extra, p + 2);
        p += 4;
        if (len > extra.size() - p) return fail("zip: extra field runs past its entry");
        if (id == zip64_extra_id) {
            std::string_view f = extra.substr(p, len);
            std::size_t q = 0;
            auto take = [&](std::uint64_t& v) -> bool {
                if (q + 8 > f.size()) return false;
                v = le64(f, q);
                q += 8;
                return true;
            };
            if (usize64 && !take(m.uncompressed_size)) return fail("zip: short zip64 extra field");
            if (csize64 && !take(m.compressed_size)) return fail("zip: short zip64 extra field");
            if (off64 && !take(m.local_header_offset)) return fail("zip: short zip64 extra field");
            return {};
        }
        p += len;
    }
    if (usize64 || csize64 || off64) return fail("zip: zip64 sizes announced but no zip64 extra field");
    return {};
}

}  // namespace

container_kind sniff_container(std::string_view b) {
    const auto u = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
    if (b.size() >= 2 && u(0) == gzip_id1 && u(1) == gzip_id2) return container_kind::gzip;
    // APPNOTE 4.3.7 local file header "PK\3\4"; "PK\5\6" is an empty archive's end record.
    if (b.size() >= 4 && b[0] == 'P' && b[1] == 'K' &&
        ((b[2] == '\x03' && b[3] == '\x04') || (b[2] == '\x05' && b[3] == '\x06'))) {
        return container_kind::zip;
    }
    // RFC 1950 §2.2: CM = 8 (deflate), CINFO <= 7, (CMF*256 + FLG) % 31 == 0, FDICT = 0 (a preset
    // dictionary is never used by reporters). Plain XML/JSON never starts with such a pair.
    if (b.size() >= 2) {
        const unsigned cmf = u(0), flg = u(1);
        constexpr unsigned cm_deflate = 8, max_cinfo = 7, fcheck_mod = 31, fdict = 0x20;
        if ((cmf & 0x0F) == cm_deflate && (cmf >> 4) <= max_cinfo && ((cmf << 8) | flg) % fcheck_mod == 0 &&
            (flg & fdict) == 0) {
            return container_kind::zlib;
        }
    }
    return container_kind::plain;
}

const char* to_string(container_kind k) {
    switch (k) {
        case container_kind::gzip: return "gzip";
        case container_kind::zlib: return "zlib";
        case container_kind::zip: return "zip";
        case container_kind::plain: return "plain";
    }
    return "plain";
}

std::unique_ptr<byte_source> open_gzip(std::unique_ptr<byte_source> in, std::uint64_t max_out) {
    return std::make_unique<inflate_source>(inflate_format::gzip, std::move(in), max_out);
}

std::unique_ptr<byte_source> open_zlib(std::unique_ptr<byte_source> in, std::uint64_t max_out) {
    return std::make_unique<inflate_source>(inflate_format::zlib, std::move(in), max_out);
}

result<std::vector<zip_member>> list_zip(std::string_view a) {
    if (a.size() < eocd_size) return fail("zip: too short for an end of central directory record");
    // APPNOTE 4.3.16: the end record is last, followed only by a comment of at most 64 KiB.
    std::size_t eocd = std::string_view::npos;
    const std::size_t lowest = a.size() - eocd_size > max_zip_comment ? a.size() - eocd_size - max_zip_comment : 0;
    for (std::size_t i = a.size() - eocd_size + 1; i-- > lowest;) {
        if (le32(a, i) == sig_eocd && i + eocd_size + le16(a, i + 20) <= a.size()) {
            eocd = i;
            break;
        }
    }
    if (eocd == std::string_view::npos) return fail("zip: no end of central directory record");
    std::uint64_t disk = le16(a, eocd + 4), cd_disk = le16(a, eocd + 6);
    std::uint64_t entries = le16(a, eocd + 10);
    std::uint64_t cd_size = le32(a, eocd + 12), cd_offset = le32(a, eocd + 16);
    std::uint64_t cd_end_actual = eocd;  // where the central directory really ends
    if (entries == u16_escape || cd_size == u32_escape || cd_offset == u32_escape) {
        // APPNOTE 4.3.15 / 4.3.14: zip64 end of central directory locator and record.
        if (eocd < zip64_locator_size || le32(a, eocd - zip64_locator_size) != sig_zip64_locator) {
            if (entries == u16_escape && cd_size != u32_escape && cd_offset != u32_escape) {
                // 65535 members without zip64: simply too many.
            } else {
                return fail("zip: zip64 archive without a zip64 end record locator");
            }
        } else {
            const std::uint64_t rec = le64(a, eocd - zip64_locator_size + 8);
            if (!fits(a, rec, zip64_eocd_size) || le32(a, rec) != sig_zip64_eocd) {
                return fail("zip: bad zip64 end of central directory record");
            }
            disk = le32(a, rec + 16);
            cd_disk = le32(a, rec + 20);
            entries = le64(a, rec + 32);
            cd_size = le64(a, rec + 40);
            cd_offset = le64(a, rec + 48);
            cd_end_actual = rec;
        }
    }
    if (disk != 0 || cd_disk != 0) return fail("zip: multi-disk archives are not supported");
    if (entries > limits::max_zip_members) {
        return fail("zip: archive has " + std::to_string(entries) + " members (more than " +
                    std::to_string(limits::max_zip_members) + " are refused)");
    }
    std::vector<zip_member> out;
    if (entries == 0) return out;
    // Data prepended to the archive (self-extractors, some mailers) shifts every offset by the same
    // amount: the central directory's real end tells by how much (Info-ZIP does the same).
    std::uint64_t shift = 0;
    if (!(fits(a, cd_offset, 4) && le32(a, cd_offset) == sig_central)) {
        if (cd_size > cd_end_actual || cd_offset > cd_end_actual - cd_size) {
            return fail("zip: central directory offset out of range");
        }
        shift = cd_end_actual - cd_size - cd_offset;
    }
    std::uint64_t pos = cd_offset + shift;
    for (std::uint64_t i = 0; i < entries; ++i) {
        if (!fits(a, pos, central_header_size) || le32(a, pos) != sig_central) {
            return fail("zip: bad central directory entry " + std::to_string(i + 1), static_cast<std::int64_t>(pos));
        }
        zip_member m;
        m.flags = le16(a, pos + 8);
        m.method = le16(a, pos + 10);
        m.crc32 = le32(a, pos + 16);
        const std::uint32_t csize = le32(a, pos + 20), usize = le32(a, pos + 24);
        const std::size_t name_len = le16(a, pos + 28), extra_len = le16(a, pos + 30),
                          comment_len = le16(a, pos + 32);
        const std::uint32_t lho = le32(a, pos + 42);
        const std::uint64_t var_len = name_len + extra_len + comment_len;
        if (!fits(a, pos + central_header_size, var_len)) return fail("zip: central directory entry runs past the end");
        const std::string_view name = a.substr(pos + central_header_size, name_len);
        m.name = std::string(name.substr(0, limits::max_zip_member_name));
        m.compressed_size = csize;
        m.uncompressed_size = usize;
        m.local_header_offset = lho;
        if (auto r = read_zip64_extra(a.substr(pos + central_header_size + name_len, extra_len), m,
                                      usize == u32_escape, csize == u32_escape, lho == u32_escape);
            !r) {
            return forward_error(r);
        }
        // APPNOTE 4.3.7: the local header repeats name and extra with its own lengths; the data follows.
        const std::uint64_t local = m.local_header_offset + shift;
        if (m.local_header_offset > a.size() || !fits(a, local, local_header_size) || le32(a, local) != sig_local) {
            return fail("zip: bad local header for member " + std::to_string(i + 1));
        }
        m.local_header_offset = local;
        m.data_offset = local + local_header_size + le16(a, local + 26) + le16(a, local + 28);
        if (!fits(a, m.data_offset, m.compressed_size)) {
            return fail("zip: member " + std::to_string(i + 1) + " data runs past the end of the archive");
        }
        out.push_back(std::move(m));
        pos += central_header_size + var_len;
    }
    return out;
}

result<std::unique_ptr<byte_source>> open_zip_member(std::string_view archive, const zip_member& m,
                                                     std::uint64_t max_out) {
    if (m.flags & flag_encrypted) return fail("zip: member is encrypted");
    if (m.uncompressed_size > max_out) {
        return fail("zip: member declares " + std::to_string(m.uncompressed_size) +
                    " bytes uncompressed; decompressed size exceeds " + std::to_string(max_out) + " bytes");
    }
    if (!fits(archive, m.data_offset, m.compressed_size)) return fail("zip: member data runs past the end");
    const std::string_view data = archive.substr(m.data_offset, m.compressed_size);
    if (m.method == method_stored) {
        if (m.compressed_size != m.uncompressed_size) return fail("zip: stored member with differing sizes");
        return std::unique_ptr<byte_source>(std::make_unique<stored_source>(data, m.crc32));
    }
    if (m.method == method_deflate) {
        return std::unique_ptr<byte_source>(
            std::make_unique<inflate_source>(data, max_out, m.crc32, m.uncompressed_size));
    }
    return fail("zip: member uses compression method " + std::to_string(m.method) +
                " (only stored and deflate are supported)");
}

result<std::string_view> peek_source::peek(std::size_t n) {
    while (head_.size() < n) {
        const std::size_t old = head_.size();
        head_.resize(n);
        auto r = in_->read(head_.data() + old, n - old);
        if (!r) {
            head_.resize(old);
            return forward_error(r);
        }
        head_.resize(old + *r);
        if (*r == 0) break;
    }
    return std::string_view(head_).substr(0, std::min(n, head_.size()));
}

result<std::size_t> peek_source::read(char* buf, std::size_t n) {
    if (head_pos_ < head_.size()) {
        const std::size_t k = std::min(n, head_.size() - head_pos_);
        std::memcpy(buf, head_.data() + head_pos_, k);
        head_pos_ += k;
        return k;
    }
    return in_->read(buf, n);
}

namespace {

// A whole (small) archive read into memory, capped.
result<std::string> slurp(byte_source& in, std::size_t cap) {
    // Appending from a small hot buffer: resizing the string by big zero-filled steps would
    // first-touch fresh pages (~12 us per 4 KiB here) for bytes that never come.
    std::string out;
    std::array<char, 16 * 1024> chunk;
    for (;;) {
        auto r = in.read(chunk.data(), chunk.size());
        if (!r) return forward_error(r);
        if (*r == 0) return out;
        out.append(chunk.data(), *r);
        if (out.size() > cap) return fail("zip archive larger than " + std::to_string(cap) + " bytes");
    }
}

// Counts every decompressed byte of one unwrap() call against a shared budget.
struct output_budget {
    std::uint64_t left;
    std::uint64_t total;
};

class budget_source final : public byte_source {
public:
    budget_source(std::unique_ptr<byte_source> in, output_budget& budget) : in_(std::move(in)), budget_(budget) {}
    result<std::size_t> read(char* buf, std::size_t n) override {
        auto r = in_->read(buf, n);
        if (!r) return r;
        if (*r > budget_.left) {
            budget_.left = 0;
            return fail("decompressed size of all layers exceeds " + std::to_string(budget_.total) + " bytes");
        }
        budget_.left -= *r;
        return r;
    }
    std::vector<std::string> warnings() const override { return in_->warnings(); }

private:
    std::unique_ptr<byte_source> in_;
    output_budget& budget_;
};

result<void> unwrap_impl(std::unique_ptr<byte_source> in, std::string label,
                         const std::function<result<void>(unwrapped&)>& on_leaf, int depth, std::uint64_t max_out,
                         output_budget& budget);

std::unique_ptr<byte_source> counted(std::unique_ptr<byte_source> in, output_budget& budget) {
    return std::make_unique<budget_source>(std::move(in), budget);
}

}  // namespace

result<void> unwrap_capped(std::unique_ptr<byte_source> in, std::string label,
                           const std::function<result<void>(unwrapped&)>& on_leaf, int depth,
                           std::uint64_t max_out) {
    const std::uint64_t total = max_out > std::numeric_limits<std::uint64_t>::max() / limits::unwrap_total_factor
                                    ? std::numeric_limits<std::uint64_t>::max()
                                    : max_out * limits::unwrap_total_factor;
    output_budget budget{total, total};
    return unwrap_impl(std::move(in), std::move(label), on_leaf, depth, max_out, budget);
}

namespace {

result<void> unwrap_impl(std::unique_ptr<byte_source> in, std::string label,
                         const std::function<result<void>(unwrapped&)>& on_leaf, int depth, std::uint64_t max_out,
                         output_budget& budget) {
    if (!in) return fail_in(label, "no input");
    auto peeked = std::make_unique<peek_source>(std::move(in));
    auto head = peeked->peek(limits::container_sniff_bytes);
    if (!head) return forward_error(head);
    const container_kind kind = sniff_container(*head);
    if (kind == container_kind::plain) {
        unwrapped leaf{std::move(label), std::move(peeked)};
        return on_leaf(leaf);
    }
    if (depth >= limits::max_container_depth) {
        return fail_in(label, "containers nested deeper than " + std::to_string(limits::max_container_depth));
    }
    if (kind == container_kind::gzip) {
        return unwrap_impl(counted(open_gzip(std::move(peeked), max_out), budget), join_chain(label, "gzip"), on_leaf,
                           depth + 1, max_out, budget);
    }
    if (kind == container_kind::zlib) {
        return unwrap_impl(counted(open_zlib(std::move(peeked), max_out), budget), join_chain(label, "zlib"), on_leaf,
                           depth + 1, max_out, budget);
    }
    auto archive = slurp(*peeked, limits::max_zip_archive);
    if (!archive) return fail_in(label, archive.err().message);
    auto members = list_zip(*archive);
    if (!members) return fail_in(label, members.err().message);
    std::size_t leaves = 0;
    for (const zip_member& m : *members) {
        if (m.is_directory() && m.uncompressed_size == 0) continue;
        const std::string chain = join_chain(label, "zip:" + m.name.substr(0, limits::max_logged_text));
        auto member = open_zip_member(*archive, m, max_out);
        if (!member) return fail_in(chain, member.err().message);
        ++leaves;
        if (auto r = unwrap_impl(counted(std::move(*member), budget), chain, on_leaf, depth + 1, max_out, budget); !r) {
            return r;
        }
    }
    if (leaves == 0) return fail_in(label, "zip archive has no members");
    return {};
}

}  // namespace

result<void> unwrap(std::unique_ptr<byte_source> in, std::string label,
                    const std::function<result<void>(unwrapped&)>& on_leaf, int depth) {
    return unwrap_capped(std::move(in), std::move(label), on_leaf, depth, limits::max_decompressed_report);
}

}  // namespace dmarcsight::mime
