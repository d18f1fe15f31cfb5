#include "store/record_codec.hpp"

#include <cstring>

namespace dmarcsight::store {

namespace {

// A decoded list never holds more entries than the parser would have produced.
constexpr std::uint64_t max_list_entries = 1024;

void put_varint(std::string& out, std::uint64_t v) {
    char buf[10];
    std::size_t n = 0;
    while (v >= 0x80) {
        buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out.append(buf, n);
}

void put_str(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

}  // namespace

void encode_record(const report::record& r, std::string& out) {
    put_varint(out, static_cast<std::uint64_t>(r.count));
    if (r.source_ip.is_v4()) {
        out += '\x04';
        out.append(reinterpret_cast<const char*>(r.source_ip.bytes.data()), 4);
    } else {
        out += '\x06';
        out.append(reinterpret_cast<const char*>(r.source_ip.bytes.data()), 16);
    }
    put_str(out, r.disposition);
    put_str(out, r.dkim);
    put_str(out, r.spf);
    put_str(out, r.header_from);
    put_str(out, r.envelope_from);
    put_str(out, r.envelope_to);
    put_varint(out, r.reasons.size());
    for (const auto& x : r.reasons) {
        put_str(out, x.type);
        put_str(out, x.comment);
    }
    put_varint(out, r.dkim_results.size());
    for (const auto& d : r.dkim_results) {
        put_str(out, d.domain);
        put_str(out, d.selector);
        put_str(out, d.result);
        put_str(out, d.human_result);
    }
    put_varint(out, r.spf_results.size());
    for (const auto& d : r.spf_results) {
        put_str(out, d.domain);
        put_str(out, d.scope);
        put_str(out, d.result);
        put_str(out, d.human_result);
    }
}

bool record_decoder::varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= data_.size()) return false;
        const auto b = static_cast<unsigned char>(data_[pos_++]);
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

bool record_decoder::str(std::string& s) {
    std::uint64_t n;
    if (!varint(n) || n > data_.size() - pos_) return false;
    s.assign(data_.data() + pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
}

result<void> record_decoder::next(report::record& r) {
    r.clear();
    const auto bad = [&] { return fail("damaged record block at byte " + std::to_string(pos_)); };
    std::uint64_t count;
    if (!varint(count) || count > static_cast<std::uint64_t>(INT64_MAX)) return bad();
    r.count = static_cast<std::int64_t>(count);
    if (pos_ >= data_.size()) return bad();
    const char fam = data_[pos_++];
    const std::size_t len = fam == '\x04' ? 4 : fam == '\x06' ? 16 : 0;
    if (!len || data_.size() - pos_ < len) return bad();
    r.source_ip.fam = len == 4 ? ip_address::family::v4 : ip_address::family::v6;
    std::memcpy(r.source_ip.bytes.data(), data_.data() + pos_, len);
    pos_ += len;
    if (!str(r.disposition) || !str(r.dkim) || !str(r.spf) || !str(r.header_from) || !str(r.envelope_from) ||
        !str(r.envelope_to))
        return bad();
    std::uint64_t n;
    if (!varint(n) || n > max_list_entries) return bad();
    r.reasons.resize(static_cast<std::size_t>(n));
    for (auto& x : r.reasons)
        if (!str(x.type) || !str(x.comment)) return bad();
    if (!varint(n) || n > max_list_entries) return bad();
    r.dkim_results.resize(static_cast<std::size_t>(n));
    for (auto& d : r.dkim_results)
        if (!str(d.domain) || !str(d.selector) || !str(d.result) || !str(d.human_result)) return bad();
    if (!varint(n) || n > max_list_entries) return bad();
    r.spf_results.resize(static_cast<std::size_t>(n));
    for (auto& d : r.spf_results)
        if (!str(d.domain) || !str(d.scope) || !str(d.result) || !str(d.human_result)) return bad();
    return {};
}

}  // namespace dmarcsight::store
