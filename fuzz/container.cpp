// Fuzz target: sniff + unwrap (gzip/zlib/zip, nested) over arbitrary bytes with a small output cap,
// reading every leaf to its end with a read size picked by the first input byte; and the zip
// central-directory reader on its own.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/byte_source.hpp"
#include "mime/container.hpp"

namespace {
constexpr std::uint64_t fuzz_cap = 1 << 20;  // small, so bombs stop quickly
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight;
    if (size == 0) return 0;
    const std::size_t chunk = 1 + (data[0] % 64) * 97;
    const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string buf(chunk, '\0');
    std::uint64_t total = 0;
    auto r = mime::unwrap_capped(std::make_unique<memory_source>(in), "fuzz",
                                 [&](mime::unwrapped& u) -> result<void> {
                                     for (;;) {
                                         auto n = u.stream->read(buf.data(), buf.size());
                                         if (!n) return unexpected{n.err()};
                                         if (*n == 0) break;
                                         if (*n > buf.size()) std::abort();
                                         total += *n;
                                     }
                                     (void)u.stream->warnings();
                                     return {};
                                 },
                                 0, fuzz_cap);
    (void)r;
    // Each leaf is capped; a zip has at most 16 members, each peeled at most 4 deep.
    if (total > fuzz_cap * 16 * 16 * 16 * 16) std::abort();
    auto members = mime::list_zip(in);
    if (members) {
        for (const auto& m : *members) {
            auto src = mime::open_zip_member(in, m, fuzz_cap);
            if (!src) continue;
            std::uint64_t got = 0;
            for (;;) {
                auto n = (*src)->read(buf.data(), buf.size());
                if (!n || *n == 0) break;
                got += *n;
                if (got > fuzz_cap + buf.size()) std::abort();
            }
        }
    }
    return 0;
}
