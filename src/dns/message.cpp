#include "dns/message.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>
#include <set>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "dns/names.hpp"

namespace dmarcsight::dns {

namespace {

constexpr std::size_t header_size = 12;          // RFC 1035 §4.1.1
constexpr std::size_t rr_fixed_size = 10;        // TYPE CLASS TTL RDLENGTH, RFC 1035 §4.1.3
constexpr std::uint8_t pointer_bits = 0xC0;      // RFC 1035 §4.1.4
constexpr std::size_t soa_numbers_size = 20;     // five 32-bit fields

class reader {
public:
    explicit reader(std::span<const std::uint8_t> b) : b_(b) {}

    bool u8(std::size_t at, std::uint8_t& v) const {
        if (at >= b_.size()) return false;
        v = b_[at];
        return true;
    }
    bool u16(std::size_t at, std::uint16_t& v) const {
        if (at > b_.size() || b_.size() - at < 2) return false;
        v = static_cast<std::uint16_t>((b_[at] << 8) | b_[at + 1]);
        return true;
    }
    bool u32(std::size_t at, std::uint32_t& v) const {
        if (at > b_.size() || b_.size() - at < 4) return false;
        v = (std::uint32_t{b_[at]} << 24) | (std::uint32_t{b_[at + 1]} << 16) | (std::uint32_t{b_[at + 2]} << 8) | b_[at + 3];
        return true;
    }

    // Reads a possibly compressed name starting at `at`; `end` receives the offset just past the
    // name as it sits at `at` (a pointer counts two octets). `limit` bounds the uncompressed part.
    result<std::string> name(std::size_t at, std::size_t limit, std::size_t& end) const {
        std::string out;
        std::size_t wire = 1;
        std::size_t pos = at;
        std::size_t lowest = at;  // every pointer must point before the lowest position read so far
        bool jumped = false;
        for (;;) {
            std::uint8_t len = 0;
            if (!u8(pos, len)) return fail("name runs past the message", static_cast<std::int64_t>(pos));
            if (pos >= limit && !jumped) return fail("name runs past its field", static_cast<std::int64_t>(pos));
            if ((len & pointer_bits) == pointer_bits) {
                std::uint16_t ptr = 0;
                if ((!jumped && pos + 2 > limit) || !u16(pos, ptr)) return fail("truncated compression pointer", static_cast<std::int64_t>(pos));
                const std::size_t target = ptr & 0x3FFF;
                if (target >= lowest) return fail("compression pointer does not point backwards", static_cast<std::int64_t>(pos));
                if (!jumped) end = pos + 2;
                jumped = true;
                lowest = target;
                pos = target;
                continue;
            }
            if ((len & pointer_bits) != 0) return fail("unsupported label type", static_cast<std::int64_t>(pos));
            if (len == 0) {
                if (!jumped) end = pos + 1;
                return out;
            }
            wire += std::size_t{len} + 1;
            if (wire > limits::max_dns_name_wire) return fail("name longer than 255 octets", static_cast<std::int64_t>(pos));
            if (pos + 1 + len > b_.size() || (!jumped && pos + 1 + len > limit)) {
                return fail("label runs past the message", static_cast<std::int64_t>(pos));
            }
            std::string_view label(reinterpret_cast<const char*>(b_.data() + pos + 1), len);
            if (!out.empty()) out += '.';
            out += escape_label(label);
            pos += 1 + std::size_t{len};
        }
    }

    std::size_t size() const { return b_.size(); }
    const std::uint8_t* data() const { return b_.data(); }

private:
    std::span<const std::uint8_t> b_;
};

result<rdata> decode_rdata(const reader& r, std::uint16_t type, std::size_t at, std::size_t len) {
    const std::size_t end = at + len;
    auto whole_name = [&](std::size_t from) -> result<std::string> {
        std::size_t next = 0;
        auto n = r.name(from, end, next);
        if (!n) return n;
        if (next != end) return fail("data after the name in RDATA", static_cast<std::int64_t>(next));
        return n;
    };
    switch (static_cast<rr_type>(type)) {
        case rr_type::a: {
            if (len != 4) return fail("A RDATA is not 4 octets", static_cast<std::int64_t>(at));
            ip_address ip;
            ip.fam = ip_address::family::v4;
            std::copy(r.data() + at, r.data() + at + 4, ip.bytes.begin());
            return rdata{ip};
        }
        case rr_type::aaaa: {
            if (len != 16) return fail("AAAA RDATA is not 16 octets", static_cast<std::int64_t>(at));
            // Through text so that IPv4-mapped addresses normalise as everywhere else (ip_address).
            char buf[INET6_ADDRSTRLEN];
            if (inet_ntop(AF_INET6, r.data() + at, buf, sizeof buf) == nullptr) return fail("bad AAAA");
            auto ip = ip_address::parse(buf);
            if (!ip) return fail("bad AAAA");
            return rdata{*ip};
        }
        case rr_type::mx: {
            std::uint16_t pref = 0;
            if (len < 3 || !r.u16(at, pref)) return fail("MX RDATA too short", static_cast<std::int64_t>(at));
            auto n = whole_name(at + 2);
            if (!n) return unexpected{n.err()};
            return rdata{mx_rdata{pref, *n}};
        }
        case rr_type::txt:
        case rr_type::spf: {
            // RFC 1035 §3.3.14: one or more <character-string>s filling RDLENGTH exactly.
            if (len == 0) return fail("TXT RDATA is empty", static_cast<std::int64_t>(at));
            txt_rdata t;
            std::size_t pos = at;
            while (pos < end) {
                const std::size_t n = r.data()[pos];
                if (pos + 1 + n > end) return fail("character-string runs past RDATA", static_cast<std::int64_t>(pos));
                t.strings.emplace_back(reinterpret_cast<const char*>(r.data() + pos + 1), n);
                pos += 1 + n;
            }
            return rdata{std::move(t)};
        }
        case rr_type::cname:
        case rr_type::ptr:
        case rr_type::ns: {
            auto n = whole_name(at);
            if (!n) return unexpected{n.err()};
            return rdata{std::move(*n)};
        }
        case rr_type::soa: {
            soa_rdata s;
            std::size_t next = 0;
            auto m = r.name(at, end, next);
            if (!m) return unexpected{m.err()};
            auto rn = r.name(next, end, next);
            if (!rn) return unexpected{rn.err()};
            if (end - next != soa_numbers_size) return fail("SOA RDATA has the wrong size", static_cast<std::int64_t>(next));
            s.mname = std::move(*m);
            s.rname = std::move(*rn);
            std::uint32_t* nums[] = {&s.serial, &s.refresh, &s.retry, &s.expire, &s.minimum};
            for (std::size_t k = 0; k < 5; ++k) {
                if (!r.u32(next + 4 * k, *nums[k])) return fail("SOA RDATA too short");
            }
            return rdata{std::move(s)};
        }
    }
    return fail("unexpected type");
}

bool known_type(std::uint16_t t) {
    switch (static_cast<rr_type>(t)) {
        case rr_type::a:
        case rr_type::ns:
        case rr_type::cname:
        case rr_type::soa:
        case rr_type::ptr:
        case rr_type::mx:
        case rr_type::txt:
        case rr_type::aaaa:
        case rr_type::spf:
            return true;
    }
    return false;
}

}  // namespace

result<dns_message> parse_message(std::span<const std::uint8_t> bytes) {
    reader r(bytes);
    dns_message m;
    if (bytes.size() < header_size) return fail("message shorter than its header", 0);
    if (bytes.size() > limits::max_dns_message) return fail("message longer than 65535 octets", 0);
    std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
    (void)r.u16(0, m.id);
    (void)r.u16(2, flags);
    (void)r.u16(4, qd);
    (void)r.u16(6, an);
    (void)r.u16(8, ns);
    (void)r.u16(10, ar);
    (void)ar;
    m.qr = (flags & 0x8000) != 0;
    m.aa = (flags & 0x0400) != 0;
    m.tc = (flags & 0x0200) != 0;
    m.rcode = static_cast<std::uint8_t>(flags & 0x000F);
    std::size_t pos = header_size;
    // Each question needs at least 5 octets and each RR 11: counts beyond what fits are lies.
    if (qd > 1) return fail("more than one question", 4);
    for (std::uint16_t i = 0; i < qd; ++i) {
        std::size_t next = 0;
        auto n = r.name(pos, bytes.size(), next);
        if (!n) return unexpected{n.err()};
        std::uint16_t qclass = 0;
        if (!r.u16(next, m.qtype) || !r.u16(next + 2, qclass)) return fail("truncated question", static_cast<std::int64_t>(next));
        m.qname = std::move(*n);
        pos = next + 4;
    }
    auto read_rrs = [&](std::uint16_t count, std::vector<wire_rr>& out) -> result<void> {
        for (std::uint16_t i = 0; i < count; ++i) {
            wire_rr rr;
            std::size_t next = 0;
            auto n = r.name(pos, bytes.size(), next);
            if (!n) return unexpected{n.err()};
            std::uint16_t rdlen = 0;
            if (!r.u16(next, rr.type) || !r.u16(next + 2, rr.rr_class) || !r.u32(next + 4, rr.ttl) || !r.u16(next + 8, rdlen)) {
                return fail("truncated resource record", static_cast<std::int64_t>(next));
            }
            const std::size_t rdata_at = next + rr_fixed_size;
            if (rdata_at > bytes.size() || bytes.size() - rdata_at < rdlen) return fail("RDATA runs past the message", static_cast<std::int64_t>(next));
            // RFC 2181 §8: a TTL with the top bit set is treated as zero.
            if (rr.ttl > 0x7FFFFFFFu) rr.ttl = 0;
            rr.owner = std::move(*n);
            if (known_type(rr.type) && rr.rr_class == class_in) {
                auto d = decode_rdata(r, rr.type, rdata_at, rdlen);
                if (!d) return unexpected{d.err()};
                rr.data = std::move(*d);
            }
            pos = rdata_at + rdlen;
            out.push_back(std::move(rr));
        }
        return {};
    };
    if (auto a = read_rrs(an, m.answers); !a) return unexpected{a.err()};
    // A truncated reply (TC) may end anywhere after the answers; the authority section is optional.
    if (auto a = read_rrs(ns, m.authority); !a) {
        if (!m.tc) return unexpected{a.err()};
        m.authority.clear();
    }
    return m;
}

message_answer answer_from_message(const dns_message& msg, const std::string& qname, rr_type qtype) {
    message_answer out;
    answer& ans = out.ans;
    switch (msg.rcode) {
        case 0: ans.status = rcode::noerror; break;
        case 1: ans.status = rcode::formerr; break;
        case 3: ans.status = rcode::nxdomain; break;
        case 5: ans.status = rcode::refused; break;
        default: ans.status = rcode::servfail; break;  // SERVFAIL, NOTIMP and later codes
    }
    if (ans.status != rcode::noerror && ans.status != rcode::nxdomain) {
        ans.detail = "server answered RCODE " + std::to_string(msg.rcode);
        return out;
    }
    std::uint32_t min_ttl = std::numeric_limits<std::uint32_t>::max();
    std::string cur = qname;
    std::set<std::string> visited{cur};
    const auto qtype_value = static_cast<std::uint16_t>(qtype);
    for (;;) {
        const wire_rr* alias = nullptr;
        for (const auto& rr : msg.answers) {
            if (rr.rr_class != class_in || !rr.data || rr.owner != cur) continue;
            if (rr.type == qtype_value) {
                ans.records.push_back(resource_record{rr.owner, qtype, rr.ttl, *rr.data});
                min_ttl = std::min(min_ttl, rr.ttl);
            } else if (rr.type == static_cast<std::uint16_t>(rr_type::cname) && alias == nullptr) {
                alias = &rr;
            }
        }
        if (!ans.records.empty() || alias == nullptr || qtype == rr_type::cname) break;
        const std::string& target = std::get<std::string>(*alias->data);
        if (ans.cnames.size() >= static_cast<std::size_t>(limits::max_cname_chain)) {
            ans.status = rcode::servfail;
            ans.records.clear();
            ans.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain);
            return out;
        }
        ans.cnames.push_back(target);
        min_ttl = std::min(min_ttl, alias->ttl);
        if (!visited.insert(target).second) {
            ans.status = rcode::servfail;
            ans.detail = "CNAME loop at " + text::for_terminal(target, limits::max_logged_text);
            return out;
        }
        cur = target;
    }
    if (!ans.records.empty()) {
        out.cache_ttl = std::min(min_ttl, limits::max_dns_cache_ttl);
        return out;
    }
    // Negative answer (NXDOMAIN, or NODATA): RFC 2308 §5, cached for min(SOA TTL, SOA MINIMUM),
    // and only when the SOA is there.
    const wire_rr* soa = nullptr;
    for (const auto& rr : msg.authority) {
        if (rr.type == static_cast<std::uint16_t>(rr_type::soa) && rr.rr_class == class_in && rr.data) soa = &rr;
    }
    // RFC 6604 §3: after a CNAME the RCODE of a reply may describe the first name, not the last
    // (NSD answers NOERROR for a chain into another of its zones that ends at a missing name), and
    // a server without the target's data stops at the CNAME. Only the target's own reply tells
    // NXDOMAIN from NODATA there.
    if (ans.status == rcode::noerror && !ans.cnames.empty()) {
        out.chain_incomplete = true;
        return out;
    }
    if (soa != nullptr) {
        const auto& s = std::get<soa_rdata>(*soa->data);
        std::uint32_t ttl = std::min({soa->ttl, s.minimum, limits::max_dns_negative_ttl});
        if (!ans.cnames.empty()) ttl = std::min(ttl, min_ttl);
        out.cache_ttl = ttl;
    }
    return out;
}

}  // namespace dmarcsight::dns
