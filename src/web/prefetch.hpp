// The questions a dashboard asks first (issue 12's speed: p95 under 200 ms for the overview and
// sources pages over ten million records, where one scan takes seconds). The server answers them
// ahead, once the store has stopped changing and again each hour, and keeps the answers
// (web/answer_cache.hpp): the first page a user opens after an ingest is then a kept answer, not
// a scan. `serve --no-prefetch` turns it off.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dmarcsight::web {

struct prefetch_request {
    std::string path;
    std::vector<std::pair<std::string, std::string>> params;
};

// The calls the overview and the sources page make for `domain` with no period chosen, with the
// parameters exactly as web/ui/app.js sends them (renderOverview, renderSources): a kept answer
// is found only under the same parameters.
std::vector<prefetch_request> dashboard_calls(const std::string& domain);
// The sources page before a domain is chosen (an all-domains account).
prefetch_request all_sources_call();

// At most this many domains are answered ahead, the largest first: a store with thousands of
// domains answers the others when they are asked.
inline constexpr std::size_t prefetch_max_domains = 8;
// The store must be unchanged this long (an ingest in progress commits more often) before the
// server answers ahead.
inline constexpr int prefetch_quiet_s = 2;

}  // namespace dmarcsight::web
