// The service catalogue (src/catalog) as classification sees it.
#pragma once

#include <vector>

#include "analyze/classify.hpp"
#include "catalog/service_catalog.hpp"

namespace dmarcsight::analyze {

class catalog_directory final : public service_directory {
public:
    explicit catalog_directory(catalog::catalog c);
    const service_info* by_ptr(std::string_view ptr_name) const override;
    const service_info* by_domain(std::string_view domain) const override;
    const catalog::catalog& catalogue() const { return catalog_; }

private:
    const service_info* info_of(const catalog::service* s) const;
    catalog::catalog catalog_;
    std::vector<service_info> infos_;  // parallel to catalog_.services()
};

}  // namespace dmarcsight::analyze
