// The one DNS interface every lookup in dmarcsight goes through (SPF, DKIM, DMARC, MTA-STS, ...).
// Backends: the real resolver (c-ares) and a zone-file resolver that answers from RFC 1035 master
// files as an authoritative server would, so every DNS-dependent test is deterministic and offline
// (the Unbound testcode/fake_event.c idea). An overlay combines the two for what-if checks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ip_address.hpp"

namespace dmarcsight::dns {

enum class rr_type : std::uint16_t {
    a = 1,
    ns = 2,
    cname = 5,
    soa = 6,
    ptr = 12,
    mx = 15,
    txt = 16,
    aaaa = 28,
    spf = 99,  // deprecated (RFC 7208 §3.1), parsed in zone files only
};

// The outcome of one query. `noerror` with no records is NODATA; `nxdomain` is a name with no
// records at all (RFC 8020). `timeout` and `servfail` are what SPF/DMARC call temperror.
enum class rcode : std::uint8_t { noerror, nxdomain, servfail, timeout, refused, formerr };

struct txt_rdata {
    std::vector<std::string> strings;  // the character-strings of one TXT RR, unjoined
    std::string joined() const;        // concatenated without separators (RFC 7208 §3.3)
};
struct mx_rdata {
    std::uint16_t preference = 0;
    std::string exchange;  // absolute, lower-case, no trailing dot
};
struct soa_rdata {
    std::string mname, rname;
    std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
// A / AAAA → ip_address; CNAME / PTR / NS → target name (no trailing dot).
using rdata = std::variant<ip_address, txt_rdata, mx_rdata, std::string, soa_rdata>;

struct resource_record {
    std::string owner;  // lower-case, no trailing dot
    rr_type type = rr_type::a;
    std::uint32_t ttl = 0;
    rdata data;
};

struct answer {
    rcode status = rcode::noerror;
    // Records of the queried type, after following CNAMEs (the chain is in `cnames`).
    std::vector<resource_record> records;
    std::vector<std::string> cnames;
    // Human detail for findings ("server 127.0.0.1 timed out after 3 tries").
    std::string detail;

    bool ok() const { return status == rcode::noerror; }
    bool nodata() const { return status == rcode::noerror && records.empty(); }
    // NXDOMAIN or NODATA: RFC 7208 §4.6.4 "void lookup".
    bool is_void() const { return status == rcode::nxdomain || nodata(); }
    bool temporary_failure() const { return status == rcode::servfail || status == rcode::timeout; }
};

// One question of a batch (query_many).
struct question {
    std::string name;
    rr_type type = rr_type::a;
};

class resolver {
public:
    virtual ~resolver() = default;
    // `name` may carry a trailing dot; it is compared case-insensitively.
    virtual answer query(std::string_view name, rr_type type) = 0;
    // Every question answered, in the same order: answers[i] is what query(qs[i]) would return.
    // Backends that talk to the network override it to keep many queries in flight at once
    // (enrichment asks tens of thousands of PTRs); the default asks one after the other, which is
    // right for in-memory backends.
    virtual std::vector<answer> query_many(const std::vector<question>& qs) {
        std::vector<answer> out;
        out.reserve(qs.size());
        for (const auto& q : qs) out.push_back(query(q.name, q.type));
        return out;
    }
};

}  // namespace dmarcsight::dns
