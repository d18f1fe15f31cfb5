#include "cli/allocator.hpp"

#ifdef DMARCSIGHT_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>

#include <string>
#endif

namespace dmarcsight::cli {

void give_back_freed_memory() {
#ifdef DMARCSIGHT_WITH_JEMALLOC
    // The calling thread's cache first (its freed blocks go back to their arenas), then every
    // arena's unused pages to the system (jemalloc's "arena.<MALLCTL_ARENAS_ALL>.purge").
    mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
    static const std::string all = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
    mallctl(all.c_str(), nullptr, nullptr, nullptr, 0);
#endif
}

}  // namespace dmarcsight::cli
