// dmarcsight stats: what the store holds.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/time.hpp"

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
        if (a->format == "json") {
            nlohmann::json j = {{"aggregate_reports", s->aggregate_reports}, {"records", s->records},
                                {"messages", s->messages},                   {"rejected_inputs", s->rejected_inputs},
                                {"skipped_inputs", s->skipped_inputs},       {"duplicate_inputs", s->duplicate_inputs},
                                {"policy_domains", s->policy_domains}};
            // SMTP TLS reports (RFC 8460): reports, their policies, and the sessions their summaries count.
            j["tls_reports"] = tls->reports;
            j["tls_policies"] = tls->policies;
            j["tls_sessions_successful"] = tls->sessions_successful;
            j["tls_sessions_failed"] = tls->sessions_failed;
            j["failure_reports"] = *failures;
            j["first_begin"] = s->first_begin ? nlohmann::json(utc::format_iso8601(*s->first_begin)) : nlohmann::json(nullptr);
            j["last_end"] = s->last_end ? nlohmann::json(utc::format_iso8601(*s->last_end)) : nlohmann::json(nullptr);
            std::printf("%s\n", json_text(j, 2).c_str());
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
