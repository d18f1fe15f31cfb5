// Fuzz target: the streaming aggregate-report parser (encoding sniffing, XML reader, schema walk).
// Reads the input in small, size-varying chunks so buffer refills land everywhere.
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>

#include "report/aggregate_parser.hpp"

namespace {

struct chunked_source final : dmarcsight::byte_source {
    const std::uint8_t* data;
    std::size_t size, pos = 0, step = 1;
    chunked_source(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}
    dmarcsight::result<std::size_t> read(char* buf, std::size_t n) override {
        std::size_t k = std::min({n, size - pos, step});
        step = step * 7 % 1031 + 1;  // 1, 8, 57, 400, ... varied chunk sizes
        std::memcpy(buf, data + pos, k);
        pos += k;
        return k;
    }
};

struct checking_sink final : dmarcsight::report::aggregate_sink {
    dmarcsight::result<void> on_header(const dmarcsight::report::report_header& h) override {
        // Invariants the store relies on.
        if (h.policy.domain.empty() || h.metadata.report_id.empty() || h.metadata.begin > h.metadata.end) __builtin_trap();
        return {};
    }
    dmarcsight::result<void> on_record(const dmarcsight::report::record& r) override {
        if (r.count < 0) __builtin_trap();
        return {};
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    chunked_source src(data, size);
    checking_sink sink;
    (void)dmarcsight::report::parse_aggregate(src, sink);
    return 0;
}
