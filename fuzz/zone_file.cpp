// Fuzz target: the RFC 1035 master-file parser (src/dns/zone_resolver.cpp) and the authoritative
// lookup over whatever it accepted. Zone files come from users (`check --with FILE`) and tests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/zone_resolver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dmarcsight::dns::zone_parse_options opt;
    opt.origin = "fuzz.example.";
    opt.source_name = "fuzz";
    auto rrs = dmarcsight::dns::parse_zone(text, opt);
    if (!rrs) return 0;
    dmarcsight::dns::zone_resolver z;
    for (auto& rr : *rrs) z.add(rr);
    // Ask for every owner (and a name below it, for wildcard and NXDOMAIN paths) with a few types.
    using dmarcsight::dns::rr_type;
    std::size_t asked = 0;
    for (const auto& rr : *rrs) {
        if (++asked > 64) break;
        for (rr_type t : {rr_type::a, rr_type::txt, rr_type::cname, rr_type::mx}) {
            (void)z.resolve(rr.owner, t);
            (void)z.resolve("zz." + rr.owner, t);
        }
        (void)z.exists(rr.owner);
    }
    return 0;
}
