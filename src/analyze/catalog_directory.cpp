#include "analyze/catalog_directory.hpp"

namespace dmarcsight::analyze {

catalog_directory::catalog_directory(catalog::catalog c) : catalog_(std::move(c)) {
    infos_.reserve(catalog_.services().size());
    for (const auto& s : catalog_.services())
        infos_.push_back({s.name, std::string(catalog::to_string(s.type)), s.setup, s.spf_includes});
}

const service_info* catalog_directory::info_of(const catalog::service* s) const {
    if (!s) return nullptr;
    const auto& all = catalog_.services();
    const auto i = static_cast<std::size_t>(s - all.data());
    return i < infos_.size() ? &infos_[i] : nullptr;
}

const service_info* catalog_directory::by_ptr(std::string_view name) const { return info_of(catalog_.by_ptr(name)); }
const service_info* catalog_directory::by_domain(std::string_view d) const { return info_of(catalog_.by_domain(d)); }

}  // namespace dmarcsight::analyze
