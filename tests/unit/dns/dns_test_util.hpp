// Helpers shared by the dns unit tests.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "dns/resolver.hpp"

namespace dmarcsight::dns::test {

inline std::string fixture_path(const std::string& name) { return std::string(DMARCSIGHT_TEST_DIR) + "/fixtures/dns/" + name; }

// The addresses of an A/AAAA answer, in answer order.
inline std::vector<std::string> addresses(const answer& a) {
    std::vector<std::string> out;
    for (const auto& rr : a.records) {
        if (const auto* ip = std::get_if<ip_address>(&rr.data)) out.push_back(ip->to_string());
    }
    return out;
}

// The character-strings of every TXT/SPF record of an answer, flattened in order.
inline std::vector<std::string> txt_strings(const answer& a) {
    std::vector<std::string> out;
    for (const auto& rr : a.records) {
        if (const auto* t = std::get_if<txt_rdata>(&rr.data)) out.insert(out.end(), t->strings.begin(), t->strings.end());
    }
    return out;
}

}  // namespace dmarcsight::dns::test

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace dmarcsight::dns::test {

inline std::string describe(const resource_record& rr) {
    std::ostringstream o;
    o << rr.owner << ' ' << static_cast<int>(rr.type) << ' ' << rr.ttl << ' ';
    if (const auto* ip = std::get_if<ip_address>(&rr.data)) o << ip->to_string();
    if (const auto* t = std::get_if<txt_rdata>(&rr.data)) {
        for (const auto& s : t->strings) o << '"' << s << "\" ";
    }
    if (const auto* mx = std::get_if<mx_rdata>(&rr.data)) o << mx->preference << ' ' << mx->exchange;
    if (const auto* s = std::get_if<std::string>(&rr.data)) o << *s;
    if (const auto* soa = std::get_if<soa_rdata>(&rr.data)) {
        o << soa->mname << ' ' << soa->rname << ' ' << soa->serial << ' ' << soa->refresh << ' ' << soa->retry << ' '
          << soa->expire << ' ' << soa->minimum;
    }
    return o.str();
}

inline const char* rcode_name(rcode r) {
    switch (r) {
        case rcode::noerror: return "NOERROR";
        case rcode::nxdomain: return "NXDOMAIN";
        case rcode::servfail: return "SERVFAIL";
        case rcode::timeout: return "TIMEOUT";
        case rcode::refused: return "REFUSED";
        case rcode::formerr: return "FORMERR";
    }
    return "?";
}

// A whole answer as sortable text: rcode, chain, records (sorted: RRset order is not significant).
inline std::string describe(const answer& a) {
    std::vector<std::string> rrs;
    for (const auto& rr : a.records) rrs.push_back(describe(rr));
    std::sort(rrs.begin(), rrs.end());
    std::string out = rcode_name(a.status);
    for (const auto& c : a.cnames) out += " -> " + c;
    for (const auto& r : rrs) out += "\n  " + r;
    return out;
}

// ---- building wire-format messages for tests --------------------------------------------------

inline void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v & 0xff));
}
inline void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v & 0xffff));
}
// Plain (uncompressed) name, labels split at dots.
inline void put_name(std::vector<std::uint8_t>& b, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        b.push_back(static_cast<std::uint8_t>(dot - start));
        b.insert(b.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
        start = dot + 1;
    }
    b.push_back(0);
}

struct wire_builder {
    std::vector<std::uint8_t> bytes;
    std::uint16_t counts[4] = {0, 0, 0, 0};
    std::uint16_t flags = 0x8400;  // QR AA

    explicit wire_builder(const std::string& qname, std::uint16_t qtype, std::uint8_t rc = 0) {
        flags |= rc;
        bytes.resize(12);
        put_name(bytes, qname);
        put16(bytes, qtype);
        put16(bytes, 1);
        counts[0] = 1;
    }
    // section: 1 answer, 2 authority, 3 additional
    wire_builder& rr(int section, const std::string& owner, std::uint16_t type, std::uint32_t ttl, const std::vector<std::uint8_t>& rdata) {
        put_name(bytes, owner);
        put16(bytes, type);
        put16(bytes, 1);
        put32(bytes, ttl);
        put16(bytes, static_cast<std::uint16_t>(rdata.size()));
        bytes.insert(bytes.end(), rdata.begin(), rdata.end());
        ++counts[section];
        return *this;
    }
    std::vector<std::uint8_t> finish() const {
        std::vector<std::uint8_t> b = bytes;
        b[0] = 0x12;
        b[1] = 0x34;
        b[2] = static_cast<std::uint8_t>(flags >> 8);
        b[3] = static_cast<std::uint8_t>(flags & 0xff);
        for (int i = 0; i < 4; ++i) {
            b[4 + 2 * i] = static_cast<std::uint8_t>(counts[i] >> 8);
            b[5 + 2 * i] = static_cast<std::uint8_t>(counts[i] & 0xff);
        }
        return b;
    }
};

inline std::vector<std::uint8_t> name_rdata(const std::string& n) {
    std::vector<std::uint8_t> b;
    put_name(b, n);
    return b;
}
inline std::vector<std::uint8_t> soa_rdata_wire(std::uint32_t minimum) {
    std::vector<std::uint8_t> b;
    put_name(b, "ns.example");
    put_name(b, "host.example");
    for (std::uint32_t v : {1u, 2u, 3u, 4u}) put32(b, v);
    put32(b, minimum);
    return b;
}

}  // namespace dmarcsight::dns::test
