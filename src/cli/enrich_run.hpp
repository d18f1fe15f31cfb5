// Enrichment as `dmarcsight enrich` and `dmarcsight ingest --enrich` run it: pick the DNS
// (dns_choice, as `check`), open the geo database, look up the IPs the store says need it, save
// the rows, and summarise. One place so both commands behave alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "enrich/enricher.hpp"
#include "store/store.hpp"

namespace dmarcsight::cli {

struct enrich_request {
    std::string zone_file, with_file;  // dns_choice: neither = live DNS
    std::vector<std::string> servers;
    bool offline = false;              // no DNS: geo database only
    std::string location_db;           // libloc file (empty: enrich::default_location_db)
    std::vector<std::string> mmdb;     // MaxMind files instead of libloc
    bool refresh = false;              // every IP, fresh or not
    store::fact_filter filter;
    std::optional<int> ttl_days;
    bool progress = false;             // a progress line on stderr
};

struct enrich_report {
    enrich::enrich_counts counts;
    std::size_t candidates = 0;        // IPs that needed a lookup
    std::string resolver;              // which DNS was asked
    bool trusted = false;
    std::string trust_detail;
    std::string geo;                   // the geo database and its date, or why there is none
    bool geo_available = false;
    double seconds = 0;
};

// Fills what the command line left open from the configuration ([dns], [enrich]): the DNS choice
// only when no DNS flag was given (`dns_flags`), so a flag always beats the file.
void apply_config_defaults(enrich_request& req, bool dns_flags);

// Exit code: 0 done, 1 some lookups failed temporarily (asked again next run), 2 environment
// error (message printed): no DNS reachable, a bad zone file, the store failing.
int run_enrichment(store::store& db, const enrich_request& req, enrich_report& out);

void print_enrich_report(const enrich_report& r);
nlohmann::json enrich_report_json(const enrich_report& r);

}  // namespace dmarcsight::cli
