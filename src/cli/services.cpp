#include "cli/services.hpp"

#include "analyze/catalog_directory.hpp"

namespace dmarcsight::cli {

result<std::unique_ptr<analyze::service_directory>> load_services(const std::vector<std::string>& user_files) {
    auto c = catalog::catalog::load(user_files);
    if (!c) return unexpected{c.err()};
    return std::unique_ptr<analyze::service_directory>(std::make_unique<analyze::catalog_directory>(std::move(*c)));
}

}  // namespace dmarcsight::cli
