// A failure report as the JSON text both drivers keep in failure_reports.detail (lossless for
// export), written and read only through nlohmann::json.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "report/failure.hpp"

namespace dmarcsight::store {

std::string encode_failure(const report::failure_report& r);
result<report::failure_report> decode_failure(std::string_view json);
// When the report happened, for selection and retention: Arrival-Date, else the report mail's
// Date, else `fallback` (now).
std::int64_t failure_report_time(const report::failure_report& r, std::int64_t fallback);

}  // namespace dmarcsight::store
