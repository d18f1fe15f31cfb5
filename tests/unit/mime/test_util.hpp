// Helpers for the mime tests: build gzip/zlib/deflate/zip fixtures with zlib, read a byte_source
// to its end, read files.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/result.hpp"

namespace mime_test {

// windowBits: 16+15 gzip, 15 zlib, -15 raw deflate.
inline std::string deflate_with(const std::string& in, int window_bits, int level = Z_DEFAULT_COMPRESSION) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2");
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    out.resize(zs.total_out);
    return out;
}
inline std::string gzip(const std::string& in) { return deflate_with(in, 16 + MAX_WBITS); }
inline std::string zlib_wrap(const std::string& in) { return deflate_with(in, MAX_WBITS); }
inline std::string raw_deflate(const std::string& in) { return deflate_with(in, -MAX_WBITS); }

inline void put16(std::string& s, std::uint16_t v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>(v >> 8);
}
inline void put32(std::string& s, std::uint32_t v) {
    put16(s, static_cast<std::uint16_t>(v & 0xFFFF));
    put16(s, static_cast<std::uint16_t>(v >> 16));
}

struct zip_entry {
    std::string name;
    std::string data;
    bool deflate = true;
    bool data_descriptor = false;  // sizes/CRC zero in the local header, given after the data
    // When set, the sizes written in the headers (a lying "bomb" declaration).
    std::uint32_t declared_size = 0;
    bool lie_about_size = false;
};

// A minimal PKZIP writer (APPNOTE 4.3): local headers + data (+ descriptors), central directory, end record.
inline std::string make_zip(const std::vector<zip_entry>& entries, std::uint16_t declared_count = 0xFFFF) {
    std::string out, central;
    for (const auto& e : entries) {
        const std::string payload = e.deflate ? raw_deflate(e.data) : e.data;
        const std::uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size()));
        const std::uint32_t usize = e.lie_about_size ? e.declared_size : static_cast<std::uint32_t>(e.data.size());
        const std::uint32_t csize = static_cast<std::uint32_t>(payload.size());
        const std::uint16_t flags = e.data_descriptor ? 0x0008 : 0;
        const std::uint16_t method = e.deflate ? 8 : 0;
        const std::uint32_t offset = static_cast<std::uint32_t>(out.size());
        put32(out, 0x04034b50);
        put16(out, 20);
        put16(out, flags);
        put16(out, method);
        put16(out, 0);
        put16(out, 0x21);
        put32(out, e.data_descriptor ? 0 : crc);
        put32(out, e.data_descriptor ? 0 : csize);
        put32(out, e.data_descriptor ? 0 : usize);
        put16(out, static_cast<std::uint16_t>(e.name.size()));
        put16(out, 0);
        out += e.name;
        out += payload;
        if (e.data_descriptor) {
            put32(out, 0x08074b50);
            put32(out, crc);
            put32(out, csize);
            put32(out, usize);
        }
        put32(central, 0x02014b50);
        put16(central, 20);
        put16(central, 20);
        put16(central, flags);
        put16(central, method);
        put16(central, 0);
        put16(central, 0x21);
        put32(central, crc);
        put32(central, csize);
        put32(central, usize);
        put16(central, static_cast<std::uint16_t>(e.name.size()));
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put32(central, 0);
        put32(central, offset);
        central += e.name;
    }
    const std::uint32_t cd_offset = static_cast<std::uint32_t>(out.size());
    out += central;
    const std::uint16_t count = declared_count != 0xFFFF ? declared_count : static_cast<std::uint16_t>(entries.size());
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, count);
    put16(out, count);
    put32(out, static_cast<std::uint32_t>(central.size()));
    put32(out, cd_offset);
    put16(out, 0);
    return out;
}

// Reads a source to its end; the error of a failed read() is returned.
inline dmarcsight::result<std::string> read_all(dmarcsight::byte_source& in, std::size_t chunk = 4096) {
    std::string out;
    std::string buf(chunk, '\0');
    for (;;) {
        auto r = in.read(buf.data(), buf.size());
        if (!r) return dmarcsight::unexpected{r.err()};
        if (*r == 0) return out;
        out.append(buf.data(), *r);
    }
}

inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

inline bool exists(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return f.good();
}

}  // namespace mime_test
