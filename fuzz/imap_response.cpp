// Fuzz target: ingest/imap_response.hpp over arbitrary server answers. Invariants: no crash, UB
// or leak; SEARCH UIDs ascending, unique, non-zero and 32-bit; sizes 32-bit; uid_set round-trips
// the count of UIDs it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/imap_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmarcsight::ingest;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto uids = parse_search(in);
    for (std::size_t i = 0; i < uids.size(); ++i) {
        if (uids[i] == 0 || uids[i] > 0xffffffffULL) std::abort();
        if (i > 0 && uids[i] <= uids[i - 1]) std::abort();
    }
    for (const auto& [uid, sz] : parse_sizes(in))
        if (uid == 0 || uid > 0xffffffffULL || sz > 0xffffffffULL) std::abort();
    (void)has_capability(in, "MOVE");
    const std::string set = uid_set(uids);
    if (uids.empty() != set.empty()) std::abort();
    return 0;
}
