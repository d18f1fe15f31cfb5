// `dmarcsight check [--zone FILE | --with FILE] [--selector S]... [--db DB] [--format text|json]
//                   [--mode rfc9989|rfc7489] [--server IP[:PORT]]... [--no-fetch] [--timeout S] [--quiet] DOMAIN...`
// The DNS posture of each domain (DMARC, SPF, DKIM, MX, MTA-STS, TLS-RPT, BIMI).
// A DOMAIN may be internationalised ("bücher.example"): it is looked up as its A-label
// (IDNA2008, dns/idn.hpp) and shown in both forms; a name IDNA2008 refuses is a usage error.
//   --zone FILE  closed world: only the zone file answers (zone_resolver);
//   --with FILE  what-if: the zone file laid over live DNS (overlay_resolver);
//   neither      live DNS (cares_resolver, /etc/resolv.conf).
// Without --zone/--with/--server/--timeout the configuration's [dns] settings apply.
// In live mode the MTA-STS policy file is fetched over HTTPS (--no-fetch to skip), its host
// resolved through the same resolver. Every DNS lookup and the fetch of one domain share one
// deadline (--timeout, default limits::check_domain_deadline_ms): past it, lookups fail as
// time-outs (findings) instead of waiting.
// Exit: 0 no error finding, 1 some error finding, 2 usage/environment error (bad zone file, no
// resolver reachable, unreadable database). A time-out for one name is a finding, not exit 2.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "analyze/sources.hpp"
#include "auth/org_domain.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/services.hpp"
#include "cli/dns_choice.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "dns/idn.hpp"
#include "posture/check.hpp"
#include "posture/check_helo.hpp"
#include "posture/https_fetch.hpp"
#include "posture/render.hpp"
#include "store/open.hpp"

namespace dmarcsight::cli {

namespace {

struct check_args {
    std::string zone_file;
    std::string with_file;
    std::vector<std::string> selectors;
    std::string db;
    std::string format = "text";
    std::string mode = "rfc9989";
    std::vector<std::string> servers;
    bool no_fetch = false;
    bool quiet = false;
    int timeout_s = default_dns_timeout_s(limits::check_domain_deadline_ms / 1000);
    std::vector<std::string> domains;
};

void usage_error(const std::string& msg) {
    std::fprintf(stderr, "dmarcsight check: %s\n", text::for_terminal(msg).c_str());
    exit_code() = exit_usage;
}

// The forward-confirmed PTR names of the authorized sources of every stored domain (what they
// say in HELO), for posture::check_helo_names. Sources without enrichment have no name: `enrich`
// first.
result<void> authorized_helo_names(store::store& db, std::map<std::string, std::vector<std::string>>& out) {
    auto services = load_services({});
    if (!services) return unexpected{services.err()};
    auto labels = labels_with_config(db);
    if (!labels) return unexpected{labels.err()};
    analyze::sources_query q;
    return analyze::list_sources(db, q, services->get(), *labels, [&](const analyze::source_row& r) -> result<void> {
        const bool authorized = r.c.cls == analyze::source_class::authorized || r.c.cls == analyze::source_class::authorized_failing;
        if (authorized && r.ip && r.ip->fcrdns && !r.ip->ptr.empty()) {
            auto& names = out[r.s.policy_domain];
            if (names.size() < posture::max_helo_names) names.push_back(r.ip->ptr);
        }
        return {};
    });
}

// A live resolver that answers nothing is an environment problem (exit 2), unlike one name timing
// out (a finding). Ask for the root's NS set: every recursive resolver can answer it.
void run_check(const check_args& args) {
    if (!args.zone_file.empty() && !args.with_file.empty()) return usage_error("--zone and --with exclude each other");
    posture::check_options options;
    if (args.mode == "rfc7489") options.mode = auth::dmarc_mode::rfc7489;
    std::vector<std::string> domains;
    std::set<std::string> seen;
    // False (with `why`) when `d` is not a domain name (the caller decides whether that is a usage
    // error). Internationalised names are kept as A-labels: one domain, however it is written.
    std::string why;
    auto add_domain = [&](const std::string& d) {
        auto idn = dns::to_ascii_name(d);
        if (!idn) {
            why = idn.err().message;
            return false;
        }
        const std::string n = idn->ascii;
        why = "\"" + text::for_terminal(d, limits::max_logged_text) + "\" is not a domain name";
        if (!auth::looks_like_domain(n) || n.find('.') == std::string::npos) return false;
        if (domains.size() >= limits::max_check_domains) {
            std::fprintf(stderr, "dmarcsight check: more than %zu domains; %s and the rest are not checked\n",
                         limits::max_check_domains, text::for_terminal(n, limits::max_logged_text).c_str());
            return true;
        }
        if (seen.insert(n).second) domains.push_back(n);
        return true;
    };
    for (const auto& d : args.domains) {
        if (!add_domain(d)) return usage_error(why);
    }

    // Selectors per domain: --selector for every domain, plus the (d=, selector) pairs seen in
    // stored reports whose d= is the domain or one of its subdomains.
    std::vector<std::pair<std::string, std::string>> db_keys;
    // With --db: the HELO names (forward-confirmed PTR names) of each domain's authorized sources.
    std::map<std::string, std::vector<std::string>> helo_names;
    if (!args.db.empty()) {
        auto st = store::open_store(args.db, store::open_mode::read_only);
        if (!st) return usage_error("cannot open " + store::redacted(args.db) + ": " + st.err().message);
        if (auto h = authorized_helo_names(**st, helo_names); !h) return usage_error(h.err().message);
        if (args.domains.empty()) {
            auto pd = (*st)->policy_domains();
            if (!pd) return usage_error("cannot read policy domains from " + store::redacted(args.db) + ": " + pd.err().message);
            for (const auto& d : *pd) {
                if (!add_domain(d)) {
                    std::fprintf(stderr, "dmarcsight check: skipping stored policy domain \"%s\" (not a domain name)\n",
                                 text::for_terminal(d, limits::max_logged_text).c_str());
                }
            }
        }
        auto sels = (*st)->dkim_selectors();
        if (!sels) return usage_error("cannot read DKIM selectors from " + store::redacted(args.db) + ": " + sels.err().message);
        for (const auto& [domain, selector] : *sels) db_keys.emplace_back(text::normalize_domain(domain), selector);
    }
    if (domains.empty()) return usage_error("no domain given (name one or more, or use --db with stored reports)");

    dns_choice dns;
    if (auto chosen = choose_dns(args.zone_file, args.with_file, args.servers, dns); !chosen)
        return usage_error(chosen.err().message);
    dns::resolver* resolver = dns.resolver;

    // One deadline per domain for all of its lookups and its policy fetch.
    using clock = std::chrono::steady_clock;
    const auto budget = std::chrono::seconds(args.timeout_s);
    clock::time_point domain_deadline = clock::now() + budget;
    // MTA-STS policy files are fetched over HTTPS in live mode only: --zone is a closed world, and
    // with --with the file may describe a policy host that does not exist yet.
    if (args.zone_file.empty() && args.with_file.empty() && !args.no_fetch) {
        options.fetch_https = [resolver, &domain_deadline](const std::string& url, std::string& error) -> std::optional<std::string> {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(domain_deadline - clock::now());
            if (left.count() <= 0) {
                error = "not fetched: the time allowed for this domain's check (--timeout) is used up";
                return std::nullopt;
            }
            posture::https_options o;
            o.timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), limits::mta_sts_fetch_deadline_ms));
            return posture::https_get_resolved(*resolver, url, o, error);
        };
    }

    std::vector<posture::domain_report> reports;
    bool errors = false;
    for (const auto& d : domains) {
        posture::check_options per = options;
        per.selectors = args.selectors;
        for (const auto& key : db_keys) {
            if (per.signing_keys.size() >= limits::max_selectors_per_domain) break;
            if (auth::is_subdomain_or_self(key.first, d)) per.signing_keys.push_back(key);
        }
        domain_deadline = clock::now() + budget;
        if (dns.live) dns.live->set_deadline(domain_deadline);
        reports.push_back(posture::check_domain(*resolver, d, per));
        if (const auto h = helo_names.find(d); h != helo_names.end()) {
            for (auto& f : posture::check_helo_names(*resolver, d, h->second)) reports.back().findings.push_back(std::move(f));
        }
        errors = errors || reports.back().has_errors();
    }
    if (args.format == "json") {
        std::cout << posture::render_json(reports);
    } else {
        std::cout << posture::render_text(reports, {.show_info = !args.quiet});
    }
    std::cout.flush();
    exit_code() = errors ? exit_findings : exit_ok;
}

}  // namespace

void register_check(CLI::App& app) {
    auto args = std::make_shared<check_args>();
    auto* cmd = app.add_subcommand("check", "Check the DNS posture of domains: DMARC, SPF, DKIM, MX, MTA-STS, TLS-RPT, BIMI");
    auto* zone = cmd->add_option("--zone", args->zone_file, "Answer only from this zone file (closed world, offline)")
                     ->check(CLI::ExistingFile);
    auto* with = cmd->add_option("--with", args->with_file, "Lay this zone file over live DNS (what-if check)")
                     ->check(CLI::ExistingFile);
    zone->excludes(with);
    cmd->add_option("--selector", args->selectors, "DKIM selector to check (repeatable: --selector a --selector b)")
        ->allow_extra_args(false);
    cmd->add_option("--db", args->db, "Also check the policy domains and DKIM selectors seen in this report database (SQLite file or postgresql:// URI)");
    cmd->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
    cmd->add_option("--mode", args->mode, "How DMARC records are read: rfc9989 (default) or rfc7489")
        ->check(CLI::IsMember({"rfc9989", "rfc7489"}));
    auto* server = cmd->add_option("--server", args->servers, "DNS server to ask instead of /etc/resolv.conf (repeatable; ip or ip:port)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-fetch", args->no_fetch, "Do not fetch MTA-STS policy files over HTTPS");
    cmd->add_option("--timeout", args->timeout_s,
                    "Seconds allowed for all DNS lookups and the MTA-STS fetch of one domain (default " +
                        std::to_string(args->timeout_s) + ")")
        ->check(CLI::Range(1, 3600));
    cmd->add_flag("--quiet", args->quiet, "Text output: hide info findings");
    cmd->add_option("domains", args->domains, "Domains to check");
    // The configured [dns] settings fill in what the flags did not say.
    cmd->callback([args, zone, with, server] {
        fill_dns_from_settings(zone->count() + with->count() > 0, server->count() > 0, args->zone_file, args->with_file,
                               args->servers);
        run_check(*args);
    });
}

}  // namespace dmarcsight::cli
