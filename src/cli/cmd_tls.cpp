// dmarcsight tls: SMTP TLS reports (RFC 8460) per policy domain and MX host: sessions successful
// and failed, the failure share, and the failure result types (§4.3) with their session counts.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/tls.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "views/analysis.hpp"

namespace dmarcsight::cli {

namespace {

using nlohmann::json;

std::string result_types_text(const analyze::tls_sessions& s) {
    std::string out;
    for (const auto& r : s.result_types) out += (out.empty() ? "" : ", ") + r.result_type + " " + std::to_string(r.sessions);
    return out;
}

void print_overview(const analyze::tls_overview& o) {
    if (o.domains.empty()) {
        std::printf("no SMTP TLS reports stored for this selection\n");
        return;
    }
    std::vector<column> cols = {{"policy domain", false, true}, {"MX host"},           {"policies", true, true},
                                {"successful", true, true},     {"failed", true, true}, {"failed %", true, true},
                                {"result types"}};
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : o.domains) {
        const std::string name = d.policy_domain.empty() ? "(none)" : d.policy_domain;
        for (const auto& m : d.mx_hosts)
            rows.push_back({name, m.mx_host.empty() ? "-" : m.mx_host, std::to_string(m.policies),
                            std::to_string(m.sessions.successful), std::to_string(m.sessions.failed),
                            percent(m.sessions.failed, m.sessions.successful + m.sessions.failed),
                            result_types_text(m.sessions)});
        if (d.mx_hosts.size() > 1)
            rows.push_back({name, "(all)", std::to_string(d.policies), std::to_string(d.sessions.successful),
                            std::to_string(d.sessions.failed),
                            percent(d.sessions.failed, d.sessions.successful + d.sessions.failed),
                            result_types_text(d.sessions)});
    }
    print_columns(cols, rows);
    std::printf("\n%lld report(s): %lld successful and %lld failed sessions (%s failed)\n", static_cast<long long>(o.reports),
                static_cast<long long>(o.sessions.successful), static_cast<long long>(o.sessions.failed),
                percent(o.sessions.failed, o.sessions.successful + o.sessions.failed).c_str());
}

}  // namespace

void register_tls(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string domain, since, until;
        std::string format = "table";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand(
        "tls", "SMTP TLS reports (RFC 8460) per policy domain and MX host: sessions, failure share, result types");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Policy domain; '*.example.com' adds its subdomains");
    cmd->add_option("--since", a->since,
                    "Reports beginning at or after this time: YYYY-MM-DD (UTC), RFC 3339, or an age: 90m, 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Reports beginning before this time (same forms as --since)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
    cmd->callback([a] {
        store::query_filter f;
        if (!make_filter(a->domain, a->since, a->until, f)) return;
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        analyze::tls_accumulator acc(f);
        auto r = db->visit_tls_reports(f, [&](const store::stored_tls_report& rep) -> result<void> {
            acc.add(rep);
            return {};
        });
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
            return;
        }
        const analyze::tls_overview o = acc.result();
        if (!f.domain.empty() && o.domains.empty()) {
            // As other commands do for a domain with no reports: said on stderr, output stays valid.
            error_line("no SMTP TLS reports for domain '" + a->domain + "'");
            exit_code() = exit_findings;
        }
        if (a->format == "json") std::printf("%s\n", json_text(views::tls_document(o), 2).c_str());
        else print_overview(o);
    });
}

}  // namespace dmarcsight::cli
