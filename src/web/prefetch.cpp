#include "web/prefetch.hpp"

#include "web/server.hpp"

namespace dmarcsight::web {

std::vector<prefetch_request> dashboard_calls(const std::string& d) {
    const std::string page = std::to_string(default_page_rows);
    return {
        // The overview (its order: what the first screen shows first).
        {"/api/v1/trends", {{"domain", d}, {"by", "day"}}},
        {"/api/v1/policy", {{"domain", d}, {"p", "reject"}, {"sources", "20"}}},
        {"/api/v1/alerts", {{"domain", d}}},
        {"/api/v1/sources", {{"domain", d}, {"class", "spoofing"}, {"group", "country"}, {"limit", "0"}}},
        {"/api/v1/posture", {{"domain", d}}},
        // The sources page: by IP, failing only, by service.
        {"/api/v1/sources", {{"domain", d}, {"group", "ip"}, {"limit", page}, {"offset", "0"}}},
        {"/api/v1/sources", {{"domain", d}, {"group", "ip"}, {"failing", "1"}, {"limit", page}, {"offset", "0"}}},
        {"/api/v1/sources", {{"domain", d}, {"group", "service"}, {"limit", page}, {"offset", "0"}}},
    };
}

prefetch_request all_sources_call() {
    return {"/api/v1/sources", {{"group", "ip"}, {"limit", std::to_string(default_page_rows)}, {"offset", "0"}}};
}

}  // namespace dmarcsight::web
