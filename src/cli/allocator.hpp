// The allocator's behaviour for the long-running server (`serve`).
#pragma once

namespace dmarcsight::cli {

// jemalloc keeps the pages a thread frees for ten seconds, in the arena of that thread, for the
// next allocation there. A server answers each request on one of its pool's threads and reads
// the facts ahead on another, so every answer that scans ten million records leaves its hundreds
// of megabytes in some arena: on the analysis benchmark's store, nine answers (trends, policy,
// sources by service, three times) took the server to 1.27 GB RSS. Called after each computed
// answer, this gives every arena's freed pages back: 316 MB at the peak, 60 MB after them, the
// answers as fast. (Giving pages back as they are freed — decay 0 — peaked at 261 MB but made
// the answers 10-20% slower: a scan frees and allocates the same pages over and over.)
// No-op without jemalloc (the ASan build).
void give_back_freed_memory();

}  // namespace dmarcsight::cli
