// The service catalogue as the commands use it: the built-in one plus the user's files (config
// `services`, or --services), adapted to what analysis asks of it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analyze/classify.hpp"
#include "core/result.hpp"

namespace dmarcsight::cli {

// The built-in catalogue plus the user's files: those given (--services), else the configured
// `services` file, if any.
result<std::unique_ptr<analyze::service_directory>> load_services(const std::vector<std::string>& user_files);

}  // namespace dmarcsight::cli
