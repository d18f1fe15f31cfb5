// dmarcsight failures: what the stored DMARC failure reports (RFC 6591, RFC 9991) say: the top
// failing sources, the kinds of authentication failure, the DKIM domains and selectors that
// failed, the reporters, and the newest sample's header with addresses masked.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analyze/failures.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "views/analysis.hpp"

namespace dmarcsight::cli {

namespace {

void print_counted(const char* title, const char* header, const std::vector<analyze::counted>& v) {
    if (v.empty()) return;
    std::printf("\n%s\n", title);
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : v) rows.push_back({c.name, std::to_string(c.reports)});
    print_columns({{.header = header, .keep = true}, {.header = "REPORTS", .right = true, .keep = true}}, rows);
}

}  // namespace

void register_failures(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string domain, since, until;
        std::size_t limit = 10;
        std::string format = "table";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("failures", "What the stored DMARC failure reports say: failing sources, failure kinds, DKIM, a sample");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--domain", a->domain, "Policy domain; '*.example.com' adds its subdomains");
    cmd->add_option("--since", a->since, "Failures at or after this time: YYYY-MM-DD, RFC 3339, or an age: 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Failures before this time (same forms as --since)");
    cmd->add_option("--limit", a->limit, "At most this many rows per list (0 = all)")->capture_default_str();
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
    cmd->callback([a] {
        store::query_filter qf;
        if (!make_filter(a->domain, a->since, a->until, qf)) return;
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        store::failure_filter f;
        f.domain = qf.domain;
        f.include_subdomains = qf.include_subdomains;
        f.since = qf.since;
        f.until = qf.until;
        analyze::failure_summarizer sum;
        auto r = db->visit_failure_reports(f, [&](const store::stored_failure& s) -> result<void> {
            sum.add(s);
            return {};
        });
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
            return;
        }
        const analyze::failure_summary s = sum.finish(a->limit);
        if (a->format == "json") {
            const nlohmann::json j = views::failures_document(s);
            std::printf("%s\n", json_text(j, 2).c_str());
            return;
        }
        if (s.reports == 0) {
            std::printf("no failure reports stored\n");
            return;
        }
        std::printf("failure reports %lld (best effort %lld, redacted %lld)\n\n", static_cast<long long>(s.reports),
                    static_cast<long long>(s.best_effort), static_cast<long long>(s.redacted));
        std::vector<std::vector<std::string>> t;
        for (const auto& x : s.top_sources)
            t.push_back({x.policy_domain, x.source_ip, std::to_string(x.reports), utc::format_datetime(x.last_time)});
        print_columns({{.header = "DOMAIN", .keep = true},
                       {.header = "SOURCE IP", .keep = true},
                       {.header = "REPORTS", .right = true, .keep = true},
                       {.header = "LAST (UTC)", .keep = true}},
                      t);
        print_counted("Authentication failures (RFC 6591 Auth-Failure)", "KIND", s.auth_failures);
        print_counted("DKIM domains / selectors", "DOMAIN / SELECTOR", s.dkim);
        print_counted("Reporters", "REPORTER", s.reporters);
        if (s.latest) {
            std::printf("\nNewest sample (#%lld, addresses masked)\n", static_cast<long long>(s.latest->id));
            for (const auto& [n, v] : s.latest_headers)
                std::printf("  %s: %s\n", text::for_terminal(n, 64).c_str(), text::for_terminal(v, 300).c_str());
        }
    });
}

}  // namespace dmarcsight::cli
