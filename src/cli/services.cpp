#include "cli/services.hpp"

#include "analyze/catalog_directory.hpp"
#include "cli/common.hpp"

namespace dmarcsight::cli {

result<std::unique_ptr<analyze::service_directory>> load_services(const std::vector<std::string>& user_files) {
    std::vector<std::string> files = user_files;
    if (files.empty() && settings().services.value) files.push_back(*settings().services.value);
    auto c = catalog::catalog::load(files);
    if (!c) return unexpected{c.err()};
    return std::unique_ptr<analyze::service_directory>(std::make_unique<analyze::catalog_directory>(std::move(*c)));
}

}  // namespace dmarcsight::cli
