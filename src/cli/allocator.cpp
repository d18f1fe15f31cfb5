#include "cli/allocator.hpp"

#ifdef DMARCSIGHT_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>

#include <string>
#include <sys/types.h>
#endif

namespace dmarcsight::cli {

void return_freed_memory_at_once() {
#ifdef DMARCSIGHT_WITH_JEMALLOC
    ssize_t zero = 0;
    // The default of the arenas made from now on, then each one that exists (uninitialised
    // arenas refuse: nothing to change there yet).
    mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &zero, sizeof zero);
    mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &zero, sizeof zero);
    unsigned n = 0;
    std::size_t size = sizeof n;
    if (mallctl("arenas.narenas", &n, &size, nullptr, 0) != 0) return;
    for (unsigned i = 0; i < n; ++i) {
        const std::string arena = "arena." + std::to_string(i);
        mallctl((arena + ".dirty_decay_ms").c_str(), nullptr, nullptr, &zero, sizeof zero);
        mallctl((arena + ".muzzy_decay_ms").c_str(), nullptr, nullptr, &zero, sizeof zero);
    }
#endif
}

}  // namespace dmarcsight::cli
