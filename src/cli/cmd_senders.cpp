// dmarcsight senders: who sends as each policy domain, and how they fare.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

void register_senders(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string domain, since, until;
        std::string format = "table";
        std::size_t limit = 0;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("senders", "Every source IP sending as your domains, by volume, with DMARC/SPF/DKIM results");
    cmd->add_option("--db", a->db, "SQLite database (must exist)")->capture_default_str();
    cmd->add_option("--domain", a->domain,
                    "Policy domain; '*.example.com' adds its subdomains. A domain with no stored reports at all "
                    "prints the stored domains on stderr and exits 1 (output stays valid, just empty)");
    cmd->add_option("--since", a->since,
                    "Reports beginning at or after this time: YYYY-MM-DD (UTC), RFC 3339 (2025-11-20T10:00:00Z, "
                    "...+02:00), or an age: 90m, 12h, 30d, 2w");
    cmd->add_option("--until", a->until, "Reports beginning before this time (same forms as --since)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}))->capture_default_str();
    cmd->add_option("--limit", a->limit, "Show at most this many rows (table only; 0 = all)");
    cmd->callback([a] {
        store::query_filter f;
        if (!make_filter(a->domain, a->since, a->until, f)) return;
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        check_domain_stored(*db, a->domain, f);
        auto rows = db->senders(f);
        if (!rows) {
            error_line(rows.err().message);
            exit_code() = exit_usage;
            return;
        }
        if (a->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : *rows) {
                out.push_back({{"policy_domain", r.policy_domain},
                               {"source_ip", r.source_ip},
                               {"messages", r.messages},
                               {"dmarc_pass", share(r.dmarc_pass, r.messages)},
                               {"spf_aligned", share(r.spf_aligned, r.messages)},
                               {"dkim_aligned", share(r.dkim_aligned, r.messages)},
                               {"disposition", {{"none", r.disposition_none},
                                                {"quarantine", r.disposition_quarantine},
                                                {"reject", r.disposition_reject},
                                                {"pass", r.disposition_pass}}},
                               {"reporters", r.reporters},
                               {"first_seen", utc::format_date(r.first_seen)},
                               {"last_seen", utc::format_date(r.last_seen)}});
            }
            std::printf("%s\n", json_text(out, 2).c_str());
            return;
        }
        if (a->format == "csv") {
            std::printf("policy_domain,source_ip,messages,dmarc_pass,spf_aligned,dkim_aligned,disposition_none,"
                        "disposition_quarantine,disposition_reject,disposition_pass,reporters,first_seen,last_seen\n");
            for (const auto& r : *rows) {
                std::string reporters;
                for (std::size_t i = 0; i < r.reporters.size(); ++i) reporters += (i ? "|" : "") + r.reporters[i];
                std::printf("%s,%s,%lld,%s,%s,%s,%lld,%lld,%lld,%lld,%s,%s,%s\n", text::csv_cell(r.policy_domain).c_str(),
                            text::csv_cell(r.source_ip).c_str(), static_cast<long long>(r.messages),
                            text::format_share(r.dmarc_pass, r.messages, 4).c_str(),
                            text::format_share(r.spf_aligned, r.messages, 4).c_str(),
                            text::format_share(r.dkim_aligned, r.messages, 4).c_str(),
                            static_cast<long long>(r.disposition_none), static_cast<long long>(r.disposition_quarantine),
                            static_cast<long long>(r.disposition_reject), static_cast<long long>(r.disposition_pass),
                            text::csv_cell(reporters).c_str(), utc::format_date(r.first_seen).c_str(),
                            utc::format_date(r.last_seen).c_str());
            }
            return;
        }
        if (rows->empty()) {
            std::printf("no records%s\n", f.domain.empty() ? "" : " for that domain");
            return;
        }
        std::vector<std::vector<std::string>> table;
        for (const auto& r : *rows) {
            if (a->limit && table.size() >= a->limit) break;
            std::string reporters;
            for (std::size_t i = 0; i < r.reporters.size(); ++i) reporters += (i ? ", " : "") + r.reporters[i];
            table.push_back({r.policy_domain, r.source_ip, std::to_string(r.messages), percent(r.dmarc_pass, r.messages),
                             percent(r.spf_aligned, r.messages), percent(r.dkim_aligned, r.messages),
                             std::to_string(r.disposition_none) + "/" + std::to_string(r.disposition_quarantine) + "/" +
                                 std::to_string(r.disposition_reject),
                             reporters, utc::format_date(r.first_seen), utc::format_date(r.last_seen)});
        }
        // Domain, IP, counts and dates stay whole; the reporter list gives way to fit the terminal.
        print_columns({{.header = "DOMAIN", .keep = true},
                     {.header = "SOURCE IP", .keep = true},
                     {.header = "MESSAGES", .right = true, .keep = true},
                     {.header = "DMARC PASS", .right = true, .keep = true},
                     {.header = "SPF ALIGNED", .right = true, .keep = true},
                     {.header = "DKIM ALIGNED", .right = true, .keep = true},
                     {.header = "NONE/QUAR/REJ", .right = true, .keep = true},
                     {.header = "REPORTED BY"},
                     {.header = "FIRST", .keep = true},
                     {.header = "LAST", .keep = true}},
                    table);
        if (a->limit && rows->size() > a->limit)
            std::printf("... %zu more senders (use --limit 0 for all)\n", rows->size() - a->limit);
    });
}

}  // namespace dmarcsight::cli
