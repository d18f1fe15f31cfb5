#include "store/prune.hpp"

#include "core/time.hpp"
#include "store/facts.hpp"

namespace dmarcsight::store {

std::int64_t prune_cutoff(std::int64_t cutoff_epoch) { return utc::day_of(cutoff_epoch) * 86400; }

report_fate fate_of(std::int64_t begin, std::int64_t end, std::int64_t cutoff) {
    const std::int64_t cutoff_day = utc::day_of(cutoff);
    const auto days = report_days(begin, end);
    if (days.empty() || days.front().day >= cutoff_day) return report_fate::keep;
    return days.back().day < cutoff_day ? report_fate::remove : report_fate::rederive;
}

}  // namespace dmarcsight::store
