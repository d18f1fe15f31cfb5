// The facts of a window read on a thread of their own, a batch ahead of the caller: while the
// caller sums one batch of rows, the store steps and decodes the next. The policy simulation
// spends about a fifth of its time in SQLite stepping and evidence decoding; on the second core
// that time leaves the critical path.
#pragma once

#include <functional>

#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

// Calls `each` for every row db.source_days(window, ...) gives, in the same order, on the
// caller's thread. The store is used by the reading thread only until this returns. An error of
// `each` stops the reading and is returned; else the store's error, if any.
result<void> read_source_days_ahead(store::store& db, const store::fact_filter& window,
                                    const std::function<result<void>(const store::source_day_row&)>& each);

}  // namespace dmarcsight::analyze
