// dmarcsight rejected: what was refused, why, and where its bytes are kept.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

void register_rejected(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string format = "text";
        std::string quarantine;
        bool skipped = false;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("rejected", "List rejected inputs: the reason and where their bytes are kept");
    cmd->add_option("--db", a->db, "SQLite database (must exist)")->capture_default_str();
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_option("--quarantine", a->quarantine, "Quarantine folder used at ingest (default: <db>.quarantine)");
    cmd->add_flag("--skipped", a->skipped, "List skipped inputs (failure and TLS reports) instead");
    cmd->callback([a] {
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        auto rows = db->inputs_with(a->skipped ? store::outcome::skipped : store::outcome::rejected);
        if (!rows) {
            error_line(rows.err().message);
            exit_code() = exit_usage;
            return;
        }
        const std::string qdir = a->quarantine.empty() ? quarantine_dir_for(a->db) : a->quarantine;
        if (a->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : *rows)
                out.push_back({{"input", r.label},
                               {"reason", r.reason},
                               {"kind", r.kind},
                               {"size", r.size},
                               {"sha256", r.sha256},
                               {"kept_at", r.quarantine_path.empty() ? nlohmann::json(nullptr)
                                                                     : nlohmann::json(qdir + "/" + r.quarantine_path)},
                               {"seen_at", utc::format_iso8601(r.seen_at)}});
            std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            return;
        }
        if (rows->empty()) {
            std::printf("no %s inputs\n", a->skipped ? "skipped" : "rejected");
            return;
        }
        std::vector<std::vector<std::string>> table;
        for (const auto& r : *rows)
            table.push_back({utc::format_datetime(r.seen_at), r.label, r.reason,
                             r.quarantine_path.empty() ? (r.sha256.empty() ? "-" : "not kept (sha256 " + r.sha256.substr(0, 16) + "…)")
                                                       : qdir + "/" + r.quarantine_path});
        print_table({"SEEN", "INPUT", "REASON", "BYTES KEPT AT"}, table);
    });
}

}  // namespace dmarcsight::cli
