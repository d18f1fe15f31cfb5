// Fuzz target: the DNS wire-format reader (src/dns/message.cpp) that parses every reply the real
// resolver receives from the network, and the reply → answer step (CNAME chain, negative TTL).
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto m = dmarcsight::dns::parse_message(std::span<const std::uint8_t>(data, size));
    if (!m) return 0;
    using dmarcsight::dns::rr_type;
    for (rr_type t : {rr_type::a, rr_type::aaaa, rr_type::txt, rr_type::mx, rr_type::cname, rr_type::soa}) {
        (void)dmarcsight::dns::answer_from_message(*m, m->qname, t);
    }
    return 0;
}
