// dmarcsight policy: what a candidate DMARC record would do to a domain's mail (issue 10) — the
// messages it would quarantine or reject, how many of them legitimate, by source, by subdomain;
// the readiness verdict against the 1% target, the staged path to enforcement with the record to
// publish at each step, and how many failure reports a ruf= mailbox would receive per fo option.
// The figures come from analyze/policy.hpp; DNS only says which subdomains exist (np vs sp) and
// what the domain's record publishes now (rua/ruf): --zone FILE, --with FILE, the system
// resolver, or --offline for none.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/policy.hpp"
#include "analyze/policy_whatif.hpp"
#include "auth/dmarc_record.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/dns_choice.hpp"
#include "cli/services.hpp"
#include "core/limits.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "views/policy.hpp"

namespace dmarcsight::cli {

namespace {

struct args {
    std::string db;
    std::string domain, since, until;
    std::string format = "table";
    std::string p = "reject", sp, np, adkim, aspf;
    int pct = 100;
    bool testing = false;
    bool exit_on_not_ready = false;
    bool offline = false;
    std::string zone_file, with_file;
    std::vector<std::string> servers;
    int timeout_s = default_dns_timeout_s(limits::check_domain_deadline_ms / 1000);
    std::size_t limit = 20;
    std::vector<std::string> services_files;
};


// What DNS said: each asked subdomain's existence, and the domain's DMARC record.
struct dns_facts {
    bool asked = false;
    std::string how;  // "zone FILE", "live DNS", ...
    std::optional<std::string> record;  // the _dmarc TXT (a valid DMARC record), if found
    std::optional<auth::dmarc_record> parsed;
    std::size_t unknown = 0;  // subdomains whose existence stayed unknown
};

void ask_dns(const args& a, analyze::policy_inputs& in, dns_choice& dns, dns_facts& out) {
    if (a.offline) return;
    if (auto chosen = choose_dns(a.zone_file, a.with_file, a.servers, dns); !chosen) {
        // No resolver (no network, no resolv.conf): the simulation still runs, existence unknown.
        error_line("DNS: " + chosen.err().message + "; subdomain existence unknown (sp applies), --offline to skip DNS");
        return;
    }
    if (dns.live) dns.live->set_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(a.timeout_s));
    out.asked = true;
    out.how = !a.zone_file.empty() ? "zone " + a.zone_file : !a.with_file.empty() ? "live DNS with " + a.with_file : "live DNS";
    // Subdomains by messages, largest first, at most the cap.
    std::map<std::string, std::int64_t> volume;
    for (const auto& g : in.groups)
        if (g.header_from.size() > in.domain.size() + 1 && g.header_from.ends_with("." + in.domain)) volume[g.header_from] += g.messages;
    std::vector<std::pair<std::string, std::int64_t>> names(volume.begin(), volume.end());
    std::sort(names.begin(), names.end(), [](const auto& x, const auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    if (names.size() > limits::policy_max_existence_lookups) {
        out.unknown = names.size() - limits::policy_max_existence_lookups;
        names.resize(limits::policy_max_existence_lookups);
    }
    std::vector<dns::question> qs;
    qs.push_back({"_dmarc." + in.domain, dns::rr_type::txt});
    // RFC 9989 §3.2.13: a non-existent domain is one that answers NXDOMAIN (RFC 8020: for any type).
    for (const auto& [name, n] : names) qs.push_back({name, dns::rr_type::a});
    const auto answers = dns.resolver->query_many(qs);
    for (const auto& rr : answers[0].records)
        if (const auto* t = std::get_if<dns::txt_rdata>(&rr.data)) {
            const std::string text = t->joined();
            auto parsed = auth::parse_dmarc_record(text);
            if (parsed.status != auth::dmarc_parse_status::ok) continue;
            if (out.record) {  // RFC 9989 §4.10: several records: none applies
                out.record.reset();
                out.parsed.reset();
                break;
            }
            out.record = text;
            out.parsed = parsed.record;
        }
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& an = answers[i + 1];
        if (an.status == dns::rcode::nxdomain) in.exists[names[i].first] = false;
        else if (an.status == dns::rcode::noerror) in.exists[names[i].first] = true;
        else ++out.unknown;  // time-out, SERVFAIL: not a reason to say "does not exist"
    }
}

std::string joined_uris(const std::vector<auth::report_uri>& uris) {
    std::string s;
    for (const auto& u : uris) s += (s.empty() ? "" : ",") + u.text + u.size_suffix;
    return s;
}

std::string count_text(std::int64_t n) {
    std::string s = std::to_string(n), out;
    const std::size_t lead = s.size() % 3;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i && (i - lead) % 3 == 0 && (i >= lead)) out += ',';
        out += s[i];
    }
    return out;
}

std::string share_text(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", share * 100.0);
    return buf;
}

std::string rate_text(double per_day) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", per_day);
    return buf;
}

void run(const args& a) {
    store::query_filter qf;
    if (!make_filter(a.domain, a.since, a.until, qf)) return;
    if (qf.include_subdomains || qf.domain.empty()) {
        error_line("--domain " + a.domain + ": give one policy domain (its subdomains' mail is simulated under sp and np)");
        exit_code() = exit_usage;
        return;
    }
    analyze::candidate_policy c;
    c.p = *analyze::parse_policy_action(a.p);  // CLI11 checked the words
    if (!a.sp.empty()) c.sp = analyze::parse_policy_action(a.sp);
    if (!a.np.empty()) c.np = analyze::parse_policy_action(a.np);
    c.pct = a.pct;
    c.testing = a.testing;

    auto services = load_services(a.services_files);
    if (!services) {
        error_line(services.err().message);
        exit_code() = exit_usage;
        return;
    }
    auto db = open_store(a.db, store::open_mode::read_only);
    if (!db) return;
    const bool stored = check_domain_stored(*db, a.domain, qf);
    auto labels = labels_with_config(*db);
    if (!labels) {
        error_line(labels.err().message);
        exit_code() = exit_usage;
        return;
    }

    analyze::policy_load_options o;
    o.window = to_fact_filter(qf);
    if (!a.adkim.empty()) o.adkim = a.adkim[0];
    if (!a.aspf.empty()) o.aspf = a.aspf[0];
    auto in = analyze::load_policy_inputs(*db, o, services->get(), *labels);
    if (!in) {
        error_line(in.err().message);
        exit_code() = exit_usage;
        return;
    }
    c.adkim = o.adkim.value_or(in->published.adkim_mode());
    c.aspf = o.aspf.value_or(in->published.aspf_mode());
    c.fo = in->published.fo;

    dns_facts dnsf;
    dns_choice dns;
    if (stored) ask_dns(a, *in, dns, dnsf);
    if (dnsf.record) in->published_record = *dnsf.record;
    if (dnsf.parsed) {
        c.rua = joined_uris(dnsf.parsed->rua);
        c.ruf = joined_uris(dnsf.parsed->ruf);
        if (dnsf.parsed->fo_present) c.fo = dnsf.parsed->fo;
    }

    const analyze::simulation sim = analyze::simulate(*in, c);
    const analyze::policy_plan plan = analyze::staged_path(*in, c);
    const analyze::failure_report_rates fr = analyze::failure_reports(*in);
    // Does the published record ask for failure reports: 1 yes, 0 no, -1 unknown (not looked up).
    // (An int, not an optional<bool>: GCC 12 at -O3 warns falsely about the latter's copies.)
    const int ruf_published = dnsf.parsed ? (dnsf.parsed->ruf.empty() ? 0 : 1) : -1;
    const double w9 = in->receivers.rfc9989_share();
    // What-if DNS: the candidate records of --with against every reported (IP, SPF domain).
    std::optional<analyze::spf_whatif> whatif;
    if (!a.with_file.empty() && dnsf.asked) {
        auto pairs = analyze::collect_spf_pairs(*db, o.window);
        if (!pairs) {
            error_line(pairs.err().message);
            exit_code() = exit_usage;
            return;
        }
        whatif = analyze::evaluate_spf_whatif(*pairs, *dns.resolver, *in, limits::policy_max_spf_whatif_pairs);
    }

    if (a.format == "json") {
        views::policy_dns pd;
        pd.asked = dnsf.asked;
        pd.how = dnsf.how;
        pd.record = dnsf.record;
        pd.unknown = dnsf.unknown;
        pd.ruf_published = ruf_published;
        const views::policy_view view{*in, c, o.window, sim, plan, fr, pd, whatif ? &*whatif : nullptr, a.with_file};
        const nlohmann::json j = views::policy_document(view);
        std::string text = json_text(j, 2);
        text += '\n';
        std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
        const auto& w = sim.worst;
        std::printf("%s: %s\n", in->domain.c_str(), analyze::record_text(c).c_str());
        if (in->published.known)
            std::printf("published (latest report, %s): %s\n", utc::format_date(in->published.report_begin).c_str(),
                        views::published_text(in->published).c_str());
        if (dnsf.record) std::printf("in DNS now: %s\n", text::for_terminal(*dnsf.record, 512).c_str());
        std::printf("messages %s, legitimate %s; affected %s (legitimate %s, unauthorized %s; rejected %s, quarantined %s)\n",
                    count_text(w.messages).c_str(), count_text(w.legitimate_messages).c_str(), count_text(w.affected_messages).c_str(),
                    count_text(w.affected_legitimate).c_str(), count_text(w.affected_unauthorized).c_str(),
                    count_text(w.rejected_messages).c_str(), count_text(w.affected_messages - w.rejected_messages).c_str());
        std::printf("legitimate mail lost: %s worst case, %s if receivers keep their overrides (target: under %s) -> %s\n",
                    share_text(w.legitimate_loss_share).c_str(), share_text(sim.expected.legitimate_loss_share).c_str(),
                    share_text(analyze::readiness_target).c_str(),
                    sim.domain_verdict == analyze::verdict::ready ? "READY" : "NOT READY");
        std::printf("next step: %s\n  record: %s\n\n", plan.next.why.c_str(), plan.next.record.c_str());

        std::vector<std::vector<std::string>> rows;
        for (const auto& h : sim.by_header_from)
            rows.push_back({h.header_from, std::string(analyze::to_string(h.tag)),
                            h.exists ? (*h.exists ? "yes" : "no") : "unknown", std::string(analyze::to_string(h.applied)),
                            count_text(h.worst.messages), count_text(h.worst.legitimate_messages),
                            count_text(h.worst.affected_legitimate), share_text(h.worst.legitimate_loss_share),
                            std::string(analyze::to_string(analyze::readiness_of(h.worst)))});
        print_columns({{.header = "HEADER FROM", .keep = true},
                       {.header = "TAG", .keep = true},
                       {.header = "EXISTS", .keep = true},
                       {.header = "POLICY", .keep = true},
                       {.header = "MESSAGES", .right = true, .keep = true},
                       {.header = "LEGITIMATE", .right = true, .keep = true},
                       {.header = "LEGIT LOST", .right = true, .keep = true},
                       {.header = "LOSS", .right = true, .keep = true},
                       {.header = "VERDICT", .keep = true}},
                      rows);
        std::printf("\n");
        rows.clear();
        for (std::size_t i = 0; i < sim.by_source.size() && (a.limit == 0 || i < a.limit); ++i) {
            const auto& s = sim.by_source[i];
            rows.push_back({s.source_ip, s.info.service, std::string(analyze::to_string(s.info.cls)), count_text(s.affected_messages),
                            count_text(s.expected_affected_messages), s.info.fix});
        }
        if (!rows.empty()) {
            std::vector<column> cols = {{.header = "SOURCE IP", .keep = true},
                                        {.header = "SERVICE"},
                                        {.header = "CLASS", .keep = true},
                                        {.header = "AFFECTED", .right = true, .keep = true},
                                        {.header = "EXPECTED", .right = true, .keep = true},
                                        {.header = "FIX"}};
            drop_empty_columns(cols, rows);
            print_columns(cols, rows);
            if (a.limit > 0 && sim.by_source.size() > a.limit)
                std::printf("... %zu more sources (--limit 0 shows them all)\n", sim.by_source.size() - a.limit);
            std::printf("\n");
        }
        rows.clear();
        for (std::size_t i = 0; i < plan.stages.size(); ++i) {
            const auto& s = plan.stages[i];
            rows.push_back({std::to_string(i + 1), s.record, count_text(s.worst.affected_legitimate), share_text(s.worst.legitimate_loss_share),
                            std::string(analyze::to_string(s.v))});
        }
        print_columns({{.header = "STAGE", .right = true, .keep = true},
                       {.header = "RECORD"},
                       {.header = "LEGIT LOST", .right = true, .keep = true},
                       {.header = "LOSS", .right = true, .keep = true},
                       {.header = "VERDICT", .keep = true}},
                      rows);
        std::printf("\nreceivers: RFC 7489 (pct, not t) %s of the messages; RFC 9989 (t=y, not pct) %s",
                    share_text(1.0 - w9).c_str(), share_text(w9).c_str());
        if (!in->receivers.rfc9989_reporters.empty()) {
            std::string names;
            for (const auto& r : in->receivers.rfc9989_reporters) names += (names.empty() ? "" : ", ") + r;
            std::printf(" (%s)", text::for_terminal(names, 200).c_str());
        }
        std::printf("\n");
        if (in->alignment_recomputed) std::printf("alignment recomputed from the reported DKIM d= / SPF domains (adkim=%c, aspf=%c)\n", c.adkim, c.aspf);
        if (!dnsf.asked) std::printf("subdomain existence unknown (no DNS): sp applies to every subdomain\n");
        else if (dnsf.unknown > 0) std::printf("%zu subdomains' existence unknown: sp applies to them\n", dnsf.unknown);
        if (whatif)
            std::printf("with %s: %s more messages would SPF-pass, %s of them aligned (%s now failing DMARC would pass it, %s legitimate); "
                        "%s fewer would; %zu of %zu (IP, SPF domain) pairs evaluated\n",
                        text::for_terminal(a.with_file, 200).c_str(), count_text(whatif->more_pass_messages).c_str(),
                        count_text(whatif->more_pass_aligned).c_str(), count_text(whatif->newly_dmarc_pass).c_str(),
                        count_text(whatif->newly_dmarc_pass_legitimate).c_str(), count_text(whatif->fewer_pass_messages).c_str(),
                        whatif->evaluated, whatif->pairs);
        std::printf("failure reports per day with ruf=%s (upper bound, %lld days): fo=0 %s, fo=1 %s, fo=d %s, fo=s %s\n",
                    ruf_published == 1 ? " (published)" : ruf_published == 0 ? " (not published)" : "", static_cast<long long>(in->days),
                    rate_text(fr.fo_0).c_str(), rate_text(fr.fo_1).c_str(), rate_text(fr.fo_d).c_str(), rate_text(fr.fo_s).c_str());
    }
    if (a.exit_on_not_ready && sim.domain_verdict == analyze::verdict::not_ready && exit_code() == exit_ok) exit_code() = exit_findings;
}

}  // namespace

void register_policy(CLI::App& app) {
    auto a = std::make_shared<args>();
    a->db = default_db_path();
    auto* cmd = app.add_subcommand("policy", "What a DMARC policy would do to your mail: the legitimate mail it would cost, by "
                                             "source and subdomain, readiness, and the staged path to p=reject");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "The policy domain to simulate (its subdomains' mail falls under sp and np)")->required();
    const auto words = CLI::IsMember({"none", "quarantine", "reject"});
    cmd->add_option("--p", a->p, "Candidate policy for the domain")->check(words)->capture_default_str();
    cmd->add_option("--sp", a->sp, "Candidate policy for existing subdomains (default: --p)")->check(words);
    cmd->add_option("--np", a->np, "Candidate policy for non-existent subdomains, RFC 9989 (default: --sp)")->check(words);
    cmd->add_option("--pct", a->pct, "Share of failing mail RFC 7489 receivers apply the policy to (RFC 9989 receivers ignore it)")
        ->check(CLI::Range(0, 100))
        ->capture_default_str();
    cmd->add_flag("--testing", a->testing,
                  "Model t=y (RFC 9989 test mode: receivers apply one level below, reject->quarantine, quarantine->none; RFC 7489 "
                  "receivers ignore it)");
    cmd->add_option("--adkim", a->adkim, "Candidate DKIM alignment (default: as published); differing from it reads the records")
        ->check(CLI::IsMember({"r", "s"}));
    cmd->add_option("--aspf", a->aspf, "Candidate SPF alignment (default: as published); differing from it reads the records")
        ->check(CLI::IsMember({"r", "s"}));
    cmd->add_option("--since", a->since, "From this UTC day (a time rounds down to its day): YYYY-MM-DD, RFC 3339, or an age: 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Before this UTC day (same forms as --since)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
    cmd->add_option("--limit", a->limit, "Sources in the table (0 = all; JSON always has every affected source)")->capture_default_str();
    cmd->add_flag("--exit-code", a->exit_on_not_ready, "Exit 1 when the candidate is not ready (legitimate loss of 1% or more)");
    auto* zone = cmd->add_option("--zone", a->zone_file, "Ask this zone file (closed world) which subdomains exist and for the DMARC record")
                     ->check(CLI::ExistingFile);
    auto* with = cmd->add_option("--with", a->with_file,
                                 "Lay this zone file (candidate records) over live DNS, and re-evaluate SPF for every reported (source "
                                 "IP, SPF domain) against it: how many more messages would SPF-pass, how many aligned")
                     ->check(CLI::ExistingFile);
    zone->excludes(with);
    auto* server = cmd->add_option("--server", a->servers, "DNS server to ask instead of /etc/resolv.conf (repeatable; ip or ip:port)")
                       ->allow_extra_args(false);
    cmd->add_option("--timeout", a->timeout_s, "Seconds allowed for all DNS lookups")->check(CLI::Range(1, 3600))->capture_default_str();
    cmd->add_flag("--offline", a->offline, "Ask no DNS: every subdomain's existence is unknown and sp applies to it");
    cmd->add_option("--services", a->services_files,
                    "Your own service catalogue file (same format as the built-in one; its entries win); repeatable. "
                    "Default: `services` of the config file");
    cmd->callback([a, zone, with, server] {
        fill_dns_from_settings(zone->count() + with->count() > 0, server->count() > 0, a->zone_file, a->with_file, a->servers);
        run(*a);
    });
}

}  // namespace dmarcsight::cli
