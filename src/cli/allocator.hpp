// The allocator's behaviour for the long-running server (`serve`).
#pragma once

namespace dmarcsight::cli {

// jemalloc keeps the pages a thread frees for ten seconds, in the arena of that thread, for the
// next allocation there. A server answers each request on one of its pool's threads and reads
// the facts ahead on another, so every answer that scans ten million records leaves its hundreds
// of megabytes in some arena: measured on the analysis benchmark's store, 9 answers took the
// server's RSS to 1.27 GB. Given back at once (decay 0), the same answers peak at 260 MB and
// leave 63 MB, at no measurable cost to the answers' time. No-op without jemalloc (the ASan
// build).
void return_freed_memory_at_once();

}  // namespace dmarcsight::cli
