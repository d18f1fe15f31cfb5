// `dmarcsight spf --ip IP --sender ADDR [--helo NAME] [--zone FILE | --with FILE] [--server IP[:PORT]]...
//                 [--timeout S] [--format text|json]`
// Run RFC 7208 check_host() for one message and show the result, the explanation and every DNS
// lookup made (which record/term made it, whether it counted against the 10 DNS-querying terms,
// whether it was a void lookup).
//   --zone FILE  closed world: only the zone file answers (zone_resolver);
//   --with FILE  what-if: the zone file laid over live DNS (overlay_resolver);
//   neither      live DNS (cares_resolver, /etc/resolv.conf, or --server).
// Without those flags the configuration's [dns] settings apply (see config/config.hpp).
// Exit: 0 whatever the SPF result; 2 for usage errors (bad IP, missing flags, unreadable zone file,
// no resolver).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/spf_check.hpp"
#include "cli/commands.hpp"
#include "cli/dns_choice.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::cli {

namespace {

struct spf_args {
    std::string ip;
    std::string sender;
    std::string helo;
    std::string zone_file;
    std::string with_file;
    std::vector<std::string> servers;
    int timeout_s = default_dns_timeout_s(limits::check_domain_deadline_ms / 1000);
    std::string format = "text";
};

void usage_error(const std::string& msg) {
    std::fprintf(stderr, "dmarcsight spf: %s\n", text::for_terminal(msg).c_str());
    exit_code() = exit_usage;
}

std::string_view type_name(dns::rr_type t) {
    switch (t) {
        case dns::rr_type::a: return "A";
        case dns::rr_type::ns: return "NS";
        case dns::rr_type::cname: return "CNAME";
        case dns::rr_type::soa: return "SOA";
        case dns::rr_type::ptr: return "PTR";
        case dns::rr_type::mx: return "MX";
        case dns::rr_type::txt: return "TXT";
        case dns::rr_type::aaaa: return "AAAA";
        case dns::rr_type::spf: return "SPF";
    }
    return "?";
}

std::string_view status_name(dns::rcode r) {
    switch (r) {
        case dns::rcode::noerror: return "NOERROR";
        case dns::rcode::nxdomain: return "NXDOMAIN";
        case dns::rcode::servfail: return "SERVFAIL";
        case dns::rcode::timeout: return "TIMEOUT";
        case dns::rcode::refused: return "REFUSED";
        case dns::rcode::formerr: return "FORMERR";
    }
    return "?";
}

// What the answer was, in words: "2 records", "NODATA", "NXDOMAIN", "TIMEOUT", "not queried".
std::string answer_text(const auth::spf_lookup& l) {
    if (!l.queried) return "not queried (malformed name)";
    if (l.status == dns::rcode::noerror) {
        if (l.answers == 0) return "NODATA";
        return std::to_string(l.answers) + (l.answers == 1 ? " record" : " records");
    }
    return std::string(status_name(l.status));
}

std::string json_text(const nlohmann::json& j) {
    // DNS text may hold invalid UTF-8: replace rather than throw.
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_json(const spf_args& args, const auth::spf_request& req, const auth::spf_outcome& o) {
    nlohmann::json j;
    j["result"] = std::string(auth::to_string(o.result));
    j["explanation"] = o.explanation;
    j["reason"] = o.reason;
    j["domain"] = o.domain;
    j["ip"] = req.ip.to_string();
    j["sender"] = args.sender;
    j["helo"] = args.helo;
    j["matched_term"] = o.matched_term;
    j["matched_domain"] = o.matched_domain;
    j["lookups"] = o.dns_terms;
    j["lookup_limit"] = limits::spf_max_dns_terms;
    j["void_lookups"] = o.void_lookups;
    j["void_lookup_limit"] = limits::spf_max_void_lookups;
    j["records"] = nlohmann::json::array();
    for (const auto& v : o.visits) {
        j["records"].push_back({{"domain", v.domain},
                                {"parent", v.parent},
                                {"via", std::string(auth::to_string(v.via))},
                                {"term", v.term},
                                {"depth", v.depth},
                                {"record", v.record}});
    }
    j["trace"] = nlohmann::json::array();
    for (const auto& l : o.trace) {
        const std::string in = l.visit >= 0 && static_cast<std::size_t>(l.visit) < o.visits.size()
                                   ? o.visits[static_cast<std::size_t>(l.visit)].domain
                                   : std::string();
        j["trace"].push_back({{"record", l.visit},
                              {"in", in},
                              {"term", l.term},
                              {"name", l.name},
                              {"type", std::string(type_name(l.type))},
                              {"status", l.queried ? std::string(status_name(l.status)) : std::string("NOT_QUERIED")},
                              {"answers", l.answers},
                              {"counted", l.counted},
                              {"void", l.is_void},
                              {"counted_void", l.counted_void}});
    }
    std::cout << json_text(j) << '\n';
}

void print_text(const auth::spf_request& req, const auth::spf_outcome& o) {
    auto t = [](std::string_view s) { return text::for_terminal(s); };
    std::cout << "spf: " << auth::to_string(o.result) << "\n";
    std::cout << "  domain:      " << t(o.domain) << "\n";
    std::cout << "  ip:          " << req.ip.to_string() << "\n";
    std::cout << "  sender:      " << t(req.sender.empty() ? "<>" : req.sender) << "\n";
    if (!req.helo.empty()) std::cout << "  helo:        " << t(req.helo) << "\n";
    if (!o.reason.empty()) std::cout << "  reason:      " << t(o.reason) << "\n";
    if (!o.explanation.empty()) std::cout << "  explanation: " << t(o.explanation) << "\n";
    std::cout << "  DNS-querying terms: " << o.dns_terms << " of " << limits::spf_max_dns_terms
              << "; void lookups: " << o.void_lookups << " of " << limits::spf_max_void_lookups << "\n";
    if (!o.visits.empty()) {
        std::cout << "records:\n";
        for (std::size_t i = 0; i < o.visits.size(); ++i) {
            const auto& v = o.visits[i];
            std::cout << "  [" << i << "] " << std::string(static_cast<std::size_t>(v.depth) * 2, ' ');
            if (v.via != auth::spf_edge::top) std::cout << t(v.term) << " -> ";
            std::cout << t(v.domain) << ": " << (v.record.empty() ? "(no SPF record)" : t(v.record)) << "\n";
        }
    }
    if (!o.trace.empty()) {
        std::cout << "lookups (* = counts against the 10, v = counted void lookup):\n";
        for (std::size_t i = 0; i < o.trace.size(); ++i) {
            const auto& l = o.trace[i];
            std::cout << "  " << (i + 1) << ". " << (l.counted ? '*' : ' ') << (l.counted_void ? 'v' : ' ') << " ["
                      << l.visit << "] " << t(l.term.empty() ? "(record)" : l.term) << ": " << type_name(l.type) << " "
                      << t(l.name) << " -> " << answer_text(l) << "\n";
        }
    }
}

void run_spf(const spf_args& args) {
    auto ip = ip_address::parse(text::trim(args.ip));
    if (!ip) return usage_error("--ip: not an IPv4 or IPv6 address: " + args.ip);
    auth::spf_request req;
    req.ip = *ip;
    req.sender = std::string(text::trim(args.sender));
    if (req.sender == "<>") req.sender.clear();  // the null reverse-path as SMTP writes it
    req.helo = std::string(text::trim(args.helo));
    if (req.sender.empty() && req.helo.empty()) {
        return usage_error("a null sender is checked as postmaster@HELO: give --helo");
    }

    dns_choice dns;
    if (auto chosen = choose_dns(args.zone_file, args.with_file, args.servers, dns); !chosen)
        return usage_error(chosen.err().message);
    dns::resolver* resolver = dns.resolver;
    // One deadline for the whole evaluation's lookups (at most 10 DNS-querying terms, each with
    // its own per-query deadline; together they still must end).
    if (dns.live) dns.live->set_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(args.timeout_s));

    const auth::spf_outcome o = auth::check_spf(*resolver, req);
    if (args.format == "json") {
        print_json(args, req, o);
    } else {
        print_text(req, o);
    }
    std::cout.flush();
    exit_code() = exit_ok;
}

}  // namespace

void register_spf(CLI::App& app) {
    auto args = std::make_shared<spf_args>();
    auto* cmd = app.add_subcommand("spf", "Evaluate SPF (RFC 7208 check_host) for a client IP and sender, with the DNS lookup trace");
    cmd->add_option("--ip", args->ip, "Client IP address (IPv4 or IPv6)")->required();
    cmd->add_option("--sender", args->sender, "MAIL FROM address (\"\" or \"<>\" for the null sender)")->required();
    cmd->add_option("--helo", args->helo, "HELO/EHLO name (%{h}; checked as postmaster@HELO for a null sender)");
    auto* zone = cmd->add_option("--zone", args->zone_file, "Answer only from this zone file (closed world, offline)")
                     ->check(CLI::ExistingFile);
    auto* with = cmd->add_option("--with", args->with_file, "Lay this zone file over live DNS (what-if check)")
                     ->check(CLI::ExistingFile);
    zone->excludes(with);
    auto* server = cmd->add_option("--server", args->servers, "DNS server to ask instead of /etc/resolv.conf (repeatable; ip or ip:port)")
                       ->allow_extra_args(false);
    cmd->add_option("--timeout", args->timeout_s,
                    "Seconds allowed for all DNS lookups of the evaluation (default " + std::to_string(args->timeout_s) + ")")
        ->check(CLI::Range(1, 3600));
    cmd->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"text", "json"}));
    // The configured [dns] settings fill in what the flags did not say.
    cmd->callback([args, zone, with, server] {
        fill_dns_from_settings(zone->count() + with->count() > 0, server->count() > 0, args->zone_file, args->with_file,
                               args->servers);
        run_spf(*args);
    });
}

}  // namespace dmarcsight::cli
