// dmarcsight stats: what the store holds.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/time.hpp"
#include "views/documents.hpp"

namespace dmarcsight::cli {

void register_stats(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string format = "text";
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("stats", "Count the reports, records and messages stored (aggregate and SMTP TLS reports)");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->callback([a] {
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        if (a->format == "json") {
            auto j = views::stats_document(*db);
            if (!j) {
                error_line(j.err().message);
                exit_code() = exit_usage;
                return;
            }
            std::printf("%s\n", json_text(*j, 2).c_str());
            return;
        }
        auto s = db->stats();
        if (!s) {
            error_line(s.err().message);
            exit_code() = exit_usage;
            return;
        }
        auto tls = db->tls_stats();
        if (!tls) {
            error_line(tls.err().message);
            exit_code() = exit_usage;
            return;
        }
        auto failures = db->failure_report_count();
        if (!failures) {
            error_line(failures.err().message);
            exit_code() = exit_usage;
            return;
        }
        std::printf("aggregate reports  %lld\n", static_cast<long long>(s->aggregate_reports));
        std::printf("records            %lld\n", static_cast<long long>(s->records));
        std::printf("messages           %lld\n", static_cast<long long>(s->messages));
        std::printf("policy domains     %lld\n", static_cast<long long>(s->policy_domains));
        if (s->first_begin && s->last_end)
            std::printf("period             %s .. %s\n", utc::format_date(*s->first_begin).c_str(), utc::format_date(*s->last_end).c_str());
        std::printf("TLS reports        %lld  (%lld policies; sessions: %lld successful, %lld failed)\n",
                    static_cast<long long>(tls->reports), static_cast<long long>(tls->policies),
                    static_cast<long long>(tls->sessions_successful), static_cast<long long>(tls->sessions_failed));
        std::printf("failure reports    %lld\n", static_cast<long long>(*failures));
        std::printf("duplicate inputs   %lld\n", static_cast<long long>(s->duplicate_inputs));
        std::printf("skipped inputs     %lld  (kept by earlier versions: dmarcsight reprocess --skipped)\n", static_cast<long long>(s->skipped_inputs));
        std::printf("rejected inputs    %lld\n", static_cast<long long>(s->rejected_inputs));
    });
}

}  // namespace dmarcsight::cli
