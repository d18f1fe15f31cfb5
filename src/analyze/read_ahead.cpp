#include "analyze/read_ahead.hpp"

#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace dmarcsight::analyze {

namespace {

// Rows per batch: large enough that handing a batch over costs nothing next to summing it, small
// enough that the two batches stay in cache (a row is a few hundred bytes).
constexpr std::size_t batch_rows = 1024;

struct batch {
    std::vector<store::source_day_row> rows;  // kept between batches: their strings keep their capacity
    std::size_t n = 0;
    bool ready = false;  // filled, not yet summed
};

}  // namespace

result<void> read_source_days_ahead(store::store& db, const store::fact_filter& window,
                                    const std::function<result<void>(const store::source_day_row&)>& each) {
    std::array<batch, 2> b;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false, stop = false;
    result<void> read_result;

    // The reader fills b[0], b[1], b[0], ... and the caller sums them in the same order: the
    // reader waits while the batch it would fill next is not summed yet.
    std::thread reader([&] {
        std::size_t cur = 0;
        auto r = db.source_days(window, [&](const store::source_day_row& row) -> result<void> {
            batch& x = b[cur];
            if (x.n == x.rows.size()) x.rows.emplace_back();
            x.rows[x.n++] = row;
            if (x.n < batch_rows) return {};
            std::unique_lock lock(mu);
            x.ready = true;
            cv.notify_all();
            cur ^= 1;
            cv.wait(lock, [&] { return stop || !b[cur].ready; });
            if (stop) return fail("stopped");
            return {};
        });
        std::lock_guard lock(mu);
        if (b[cur].n > 0 && !b[cur].ready) b[cur].ready = true;
        read_result = std::move(r);
        done = true;
        cv.notify_all();
    });

    result<void> out;
    for (std::size_t cur = 0;; cur ^= 1) {
        {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return b[cur].ready || done; });
            if (!b[cur].ready) break;  // done, and nothing left
        }
        batch& x = b[cur];
        for (std::size_t i = 0; i < x.n && out; ++i) out = each(x.rows[i]);
        std::lock_guard lock(mu);
        x.n = 0;
        x.ready = false;
        if (!out) stop = true;
        cv.notify_all();
        if (!out) break;
    }
    reader.join();
    if (!out) return out;
    return read_result;
}

}  // namespace dmarcsight::analyze
