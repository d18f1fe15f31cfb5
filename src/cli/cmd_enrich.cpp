// `dmarcsight enrich [--db F] [--domain D] [--zone FILE | --with FILE | --live] [--server IP[:PORT]]...
//                    [--offline] [--location-db FILE] [--mmdb FILE]... [--refresh] [--ttl-days N]
//                    [--format table|json]`
// Looks up the source IPs that have no fresh row in the enrichment cache (all of them with
// --refresh): reverse DNS with forward confirmation, base domain, ASN / AS name / country (see
// enrich/enricher.hpp), and prints a summary.
// Exit: 0 done, 1 some lookups failed temporarily (they are asked again on the next run), 2 usage or
// environment error (no DNS reachable, unreadable zone file, database).
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/enrich_run.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

namespace {

struct enrich_args {
    std::string db = default_db_path();
    std::string domain;
    bool live = false;
    int ttl_days = 0;
    std::string format = "table";
    bool quiet = false;
    enrich_request req;
};

int run_enrich(enrich_args& a) {
    if (a.live && (!a.req.zone_file.empty() || !a.req.with_file.empty()))
        return error_line("--live excludes --zone and --with"), exit_usage;
    if (a.req.offline && (a.live || !a.req.zone_file.empty() || !a.req.with_file.empty() || !a.req.servers.empty()))
        return error_line("--offline asks no DNS: it excludes --zone, --with, --live and --server"), exit_usage;
    if (a.ttl_days < 0) return error_line("--ttl-days must be positive"), exit_usage;
    if (a.ttl_days > 0) a.req.ttl_days = a.ttl_days;
    if (!a.domain.empty()) {
        std::string d = a.domain;
        if (d.starts_with("*.")) {
            d = d.substr(2);
            a.req.filter.include_subdomains = true;
        }
        a.req.filter.domain = d;
    }
    apply_config_defaults(a.req, a.live || !a.req.zone_file.empty() || !a.req.with_file.empty() || !a.req.servers.empty() ||
                                     a.req.offline);
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return exit_usage;
    const bool json = a.format == "json";
    a.req.progress = !json && !a.quiet && ::isatty(2);
    enrich_report rep;
    const int rc = run_enrichment(*db, a.req, rep);
    if (rc == exit_usage) return rc;
    if (json) std::printf("%s\n", json_text(enrich_report_json(rep), 2).c_str());
    else if (!a.quiet || rc != exit_ok) print_enrich_report(rep);
    return rc;
}

}  // namespace

void register_enrich(CLI::App& app) {
    auto a = std::make_shared<enrich_args>();
    auto* cmd = app.add_subcommand("enrich", "Look up reverse DNS, forward confirmation, base domain, ASN and country of source IPs");
    cmd->add_option("--db", a->db, db_help_create)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Only sources of this policy domain ('*.example.com': with subdomains)");
    auto* zone = cmd->add_option("--zone", a->req.zone_file, "Answer only from this zone file (closed world, offline)");
    auto* with = cmd->add_option("--with", a->req.with_file, "Lay this zone file over live DNS");
    zone->excludes(with);
    cmd->add_flag("--live", a->live, "Live DNS (the default)");
    cmd->add_option("--server", a->req.servers, "DNS server to ask instead of /etc/resolv.conf (repeatable; ip or ip:port)");
    cmd->add_flag("--offline", a->req.offline, "No DNS at all: only the geo database (PTR facts stay as they are)");
    cmd->add_option("--location-db", a->req.location_db, "libloc location database")->default_str(enrich::default_location_db);
    cmd->add_option("--mmdb", a->req.mmdb, "MaxMind-format database(s) instead of libloc (repeatable: ASN + country files)");
    cmd->add_flag("--refresh", a->req.refresh, "Look up every IP again, fresh or not");
    cmd->add_option("--ttl-days", a->ttl_days, "Keep answers this many days (default: the PTR's TTL, 1 to 30 days)");
    cmd->add_option("--format", a->format, "Summary format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
    cmd->add_flag("-q,--quiet", a->quiet, "No progress and no summary unless something failed");
    cmd->footer(
        "Exit status: 0 done; 1 some lookups failed temporarily (time-out, SERVFAIL, an untrusted resolver's NXDOMAIN:\n"
        "asked again after an hour); 2 usage or environment error (no DNS reachable, bad zone file, database).");
    cmd->callback([a] { exit_code() = run_enrich(*a); });
}

}  // namespace dmarcsight::cli
