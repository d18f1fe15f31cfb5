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

// Fills what the command line left out from the configured [dns] settings. The zone / with choice
// is one setting: a --zone or --with flag replaces whichever the configuration named.
void fill_dns_from_settings(bool zone_or_with_flag_given, bool server_flag_given, std::string& zone_file,
                            std::string& with_file, std::vector<std::string>& servers);
// The --timeout default: the configured dns.timeout, else the command's own.
int default_dns_timeout_s(int command_default);

// Errors are environment errors (exit 2): an unreadable zone file, no resolver reachable.
// `servers` replaces /etc/resolv.conf when given.
result<void> choose_dns(const std::string& zone_file, const std::string& with_file, const std::vector<std::string>& servers,
                        dns_choice& out);

}  // namespace dmarcsight::cli
