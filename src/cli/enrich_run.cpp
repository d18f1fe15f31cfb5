#include "cli/enrich_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "cli/dns_choice.hpp"
#include "cli/commands.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

namespace {

std::string describe_dns(const enrich_request& req) {
    std::string servers;
    for (const auto& s : req.servers) servers += (servers.empty() ? "" : ", ") + s;
    if (servers.empty()) servers = "/etc/resolv.conf";
    if (!req.zone_file.empty()) return "zone file " + req.zone_file;
    if (!req.with_file.empty()) return "zone file " + req.with_file + " over live DNS (" + servers + ")";
    return "live DNS (" + servers + ")";
}

// Offline rows carry the network only: where the store already has DNS facts for an IP, they are
// kept and only the network fields change.
result<void> keep_dns_facts(store::store& db, std::vector<store::ip_info>& rows) {
    std::vector<std::string> ips;
    ips.reserve(rows.size());
    for (const auto& r : rows) ips.push_back(r.ip);
    auto old = db.ip_infos(ips);
    if (!old) return unexpected{old.err()};
    std::map<std::string, store::ip_info> by_ip;
    for (auto& o : *old)
        if (o.status != enrich::status_geo_only) by_ip.emplace(o.ip, std::move(o));
    for (auto& r : rows) {
        auto it = by_ip.find(r.ip);
        if (it == by_ip.end()) continue;
        store::ip_info kept = it->second;
        kept.asn = r.asn;
        kept.as_name = r.as_name;
        kept.country = r.country;
        r = std::move(kept);
    }
    return {};
}

}  // namespace

int run_enrichment(store::store& db, const enrich_request& req, enrich_report& out) {
    const auto t0 = std::chrono::steady_clock::now();
    dns_choice dns;
    if (!req.offline) {
        out.resolver = describe_dns(req);
        if (auto chosen = choose_dns(req.zone_file, req.with_file, req.servers, dns); !chosen) {
            error_line(chosen.err().message);
            return exit_usage;
        }
    } else {
        out.resolver = "none (--offline)";
    }

    // A missing geo database is not fatal: the DNS facts are still worth having.
    std::unique_ptr<enrich::geo_db> geo;
    auto opened = !req.mmdb.empty() ? enrich::open_mmdb(req.mmdb)
                                    : enrich::open_libloc(req.location_db.empty() ? enrich::default_location_db : req.location_db);
    if (opened) {
        geo = std::move(*opened);
        out.geo = geo->description();
        out.geo_available = true;
    } else {
        out.geo = "none: " + opened.err().message + "; ASN, AS name and country left empty";
    }

    const std::int64_t now = utc::now();
    auto ips = db.ips_to_enrich(req.refresh ? std::numeric_limits<std::int64_t>::max() : now, req.filter);
    if (!ips) {
        error_line("cannot list the IPs to enrich: " + ips.err().message);
        return exit_usage;
    }
    out.candidates = ips->size();

    enrich::enrich_options opt;
    opt.ttl_days = req.ttl_days;
    opt.now = now;
    bool progress_shown = false;
    std::size_t offset = 0;  // IPs of the slices before this one
    const std::size_t all = ips->size();
    if (req.progress) {
        opt.progress = [&](std::size_t done, std::size_t) {
            progress_shown = true;
            std::fprintf(stderr, "\renriching: %zu of %zu IPs   ", offset + done, all);
            std::fflush(stderr);
        };
    }
    enrich::enricher e(req.offline ? nullptr : dns.resolver, geo.get(), nullptr, opt);
    if (!req.offline) {
        const auto& c = e.check();
        out.trusted = c.trusted;
        out.trust_detail = c.detail;
    }
    // A slice at a time, each saved before the next: memory stays flat however many IPs, and an
    // interrupted run keeps what it learned.
    constexpr std::size_t slice = 20'000;
    for (; offset < all; offset += slice) {
        const std::vector<std::string> part(ips->begin() + static_cast<std::ptrdiff_t>(offset),
                                            ips->begin() + static_cast<std::ptrdiff_t>(std::min(all, offset + slice)));
        auto rows = e.enrich(part);
        if (req.offline) {
            if (auto k = keep_dns_facts(db, rows); !k) {
                error_line("cannot read the enrichment cache: " + k.err().message);
                return exit_usage;
            }
        }
        if (auto saved = db.save_ip_info(rows); !saved) {
            error_line("cannot save the enrichment: " + saved.err().message);
            return exit_usage;
        }
    }
    if (progress_shown) std::fprintf(stderr, "\r\033[K");
    out.counts = e.counts();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out.counts.errors > 0 ? exit_findings : exit_ok;
}

void print_enrich_report(const enrich_report& r) {
    const auto& c = r.counts;
    char rate[64] = "";
    if (r.seconds > 0 && c.looked_up > 0) std::snprintf(rate, sizeof rate, ", %.0f IPs/s", static_cast<double>(c.looked_up) / r.seconds);
    std::printf("enriched %zu IPs in %.1f s%s\n", c.looked_up, r.seconds, rate);
    print_columns({{"", false, true}, {"IPs", true, true}},
                  {{"PTR found", std::to_string(c.ptr_found)},
                   {"forward-confirmed", std::to_string(c.forward_confirmed)},
                   {"no PTR", std::to_string(c.no_ptr)},
                   {"errors (asked again next run)", std::to_string(c.errors)},
                   {"network known (ASN/country)", std::to_string(c.geo_found)}});
    std::printf("resolver: %s", text::for_terminal(r.resolver, 300).c_str());
    if (r.resolver != "none (--offline)") {
        std::printf("; %s: %s", r.trusted ? "trusted" : "NOT trusted (its NXDOMAIN answers count as errors)",
                    text::for_terminal(r.trust_detail, 300).c_str());
    }
    std::printf("\ngeo database: %s\n", text::for_terminal(r.geo, 300).c_str());
}

nlohmann::json enrich_report_json(const enrich_report& r) {
    const auto& c = r.counts;
    return {{"looked_up", c.looked_up},
            {"ptr_found", c.ptr_found},
            {"forward_confirmed", c.forward_confirmed},
            {"no_ptr", c.no_ptr},
            {"errors", c.errors},
            {"network_known", c.geo_found},
            {"resolver", r.resolver},
            {"resolver_trusted", r.trusted},
            {"resolver_check", r.trust_detail},
            {"geo_database", r.geo},
            {"geo_available", r.geo_available},
            {"seconds", r.seconds}};
}

void apply_config_defaults(enrich_request& req, bool dns_flags) {
    const config::settings& cfg = settings();
    if (!dns_flags) {
        if (cfg.enrich.offline.value) req.offline = true;
        if (cfg.dns.zone.value) req.zone_file = *cfg.dns.zone.value;
        if (cfg.dns.with.value) req.with_file = *cfg.dns.with.value;
        if (req.servers.empty()) req.servers = cfg.dns.servers.value;
    }
    if (req.location_db.empty()) req.location_db = cfg.enrich.location_db.value;
    if (req.mmdb.empty() && cfg.enrich.mmdb.value) req.mmdb.push_back(*cfg.enrich.mmdb.value);
    if (!req.ttl_days && cfg.enrich.ttl_days.value) req.ttl_days = *cfg.enrich.ttl_days.value;
}

}  // namespace dmarcsight::cli
