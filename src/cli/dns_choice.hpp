// Which DNS the `check` and `spf` commands ask: --zone FILE answers only from the file (a closed
// world, offline); --with FILE lays the file's records over live DNS (what-if checks); neither is
// live DNS through c-ares. One place, so every DNS-using command behaves alike.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "dns/cares_resolver.hpp"
#include "dns/overlay_resolver.hpp"
#include "dns/zone_resolver.hpp"

namespace dmarcsight::cli {

struct dns_choice {
    dns::zone_resolver zone;
    std::unique_ptr<dns::cares_resolver> live;
    std::unique_ptr<dns::overlay_resolver> overlay;
    dns::resolver* resolver = nullptr;  // the one to query
};

// Errors are environment errors (exit 2): an unreadable zone file, no resolver reachable.
// `servers` replaces /etc/resolv.conf when given.
result<void> choose_dns(const std::string& zone_file, const std::string& with_file, const std::vector<std::string>& servers,
                        dns_choice& out);

}  // namespace dmarcsight::cli
