// dmarcsight domains: each stored policy domain with its volume, pass share, sources and last report.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/time.hpp"
#include "views/documents.hpp"

namespace dmarcsight::cli {

void register_domains(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string since, until;
        std::string format = "table";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("domains", "Each stored policy domain: messages, DMARC pass share, sources, last report");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--since", a->since, "From this UTC day: YYYY-MM-DD, RFC 3339, or an age: 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Before this UTC day (same forms as --since)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}))->capture_default_str();
    cmd->callback([a] {
        store::query_filter qf;
        if (!make_filter("", a->since, a->until, qf)) return;
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        if (a->format == "json") {
            auto j = views::domains_document(*db, to_fact_filter(qf));
            if (!j) {
                error_line(j.err().message);
                exit_code() = exit_usage;
                return;
            }
            std::printf("%s\n", json_text(*j, 2).c_str());
            return;
        }
        auto rows = db->domains(to_fact_filter(qf));
        if (!rows) {
            error_line(rows.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (a->format == "csv") {
            std::printf("policy_domain,reports,messages,dmarc_pass_messages,sources,first_seen,last_seen,last_report_end\n");
            for (const auto& d : *rows)
                std::printf("%s,%lld,%lld,%lld,%lld,%s,%s,%s\n", d.policy_domain.c_str(), static_cast<long long>(d.reports),
                            static_cast<long long>(d.messages), static_cast<long long>(d.dmarc_pass),
                            static_cast<long long>(d.sources), d.first_day.c_str(), d.last_day.c_str(),
                            d.last_report_end ? utc::format_iso8601(*d.last_report_end).c_str() : "");
            return;
        }
        if (rows->empty()) {
            std::printf("no reports stored\n");
            return;
        }
        std::vector<std::vector<std::string>> table;
        for (const auto& d : *rows)
            table.push_back({d.policy_domain, std::to_string(d.reports), std::to_string(d.messages), percent(d.dmarc_pass, d.messages),
                             std::to_string(d.sources), d.first_day, d.last_day,
                             d.last_report_end ? utc::format_datetime(*d.last_report_end) : ""});
        print_columns({{.header = "DOMAIN", .keep = true},
                       {.header = "REPORTS", .right = true, .keep = true},
                       {.header = "MESSAGES", .right = true, .keep = true},
                       {.header = "DMARC PASS", .right = true, .keep = true},
                       {.header = "SOURCES", .right = true, .keep = true},
                       {.header = "FIRST DAY", .keep = true},
                       {.header = "LAST DAY", .keep = true},
                       {.header = "LAST REPORT END (UTC)", .keep = true}},
                      table);
    });
}

}  // namespace dmarcsight::cli
