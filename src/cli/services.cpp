#include "cli/services.hpp"

namespace dmarcsight::cli {

result<std::unique_ptr<analyze::service_directory>> load_services(const std::vector<std::string>&) {
    return std::unique_ptr<analyze::service_directory>();
}

}  // namespace dmarcsight::cli
