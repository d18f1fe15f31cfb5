// The dashboard's files (src/web/ui/ and the chart library from node_modules), built into the
// binary by cmake/embed_assets.cmake.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace dmarcsight::web {

struct asset {
    std::string_view path;  // the URL path it is served at: "/", "/assets/app.js", …
    const char* data;
    std::size_t size;
};

const std::vector<asset>& assets();

}  // namespace dmarcsight::web
