// dmarcsight rejected: what was refused (or skipped), why, and where its bytes are kept. By
// default the current state: an input whose label later stored a report is no longer listed;
// --all shows the whole history.
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
        bool all = false;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("rejected", "List rejected inputs: the reason and where their bytes are kept");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_option("--quarantine", a->quarantine, "Quarantine folder used at ingest (default: <db>.quarantine)");
    cmd->add_flag("--skipped", a->skipped, "List skipped inputs (failure and TLS reports, kept until they are read) instead");
    cmd->add_flag("--all", a->all, "The whole history, including inputs that were later fixed and stored");
    cmd->callback([a] {
        auto db = open_store(a->db, store::open_mode::read_only);
        if (!db) return;
        store::input_filter filter;
        filter.result = a->skipped ? store::outcome::skipped : store::outcome::rejected;
        filter.history = a->all;
        auto rows = db->inputs(filter);
        if (!rows) {
            error_line(rows.err().message);
            exit_code() = exit_usage;
            return;
        }
        const std::string qdir = a->quarantine.empty() ? quarantine_dir_for(a->db) : a->quarantine;
        const auto kept_at = [&](const store::input_row& r) {
            return r.quarantine_path.empty() ? std::string() : qdir + "/" + r.quarantine_path;
        };
        if (a->format == "json") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : *rows) {
                nlohmann::json row = {{"input", r.label},
                                      {"reason", r.reason},
                                      {"kind", r.kind},
                                      {"size", r.size},
                                      {"sha256", r.sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.sha256)},
                                      {"kept_at", r.quarantine_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(kept_at(r))},
                                      {"first_seen", utc::format_iso8601(r.first_seen)},
                                      {"seen_at", utc::format_iso8601(r.seen_at)},
                                      {"times_seen", r.times_seen},
                                      {"current", r.current}};
                out.push_back(std::move(row));
            }
            std::printf("%s\n", json_text(out, 2).c_str());
            return;
        }
        if (rows->empty()) {
            std::printf("no %s inputs%s\n", a->skipped ? "skipped" : "rejected", a->all ? "" : " (see --all for the history)");
            return;
        }
        std::vector<std::vector<std::string>> table;
        for (const auto& r : *rows) {
            std::string where = kept_at(r);
            if (where.empty()) where = r.sha256.empty() ? "not kept (unreadable)" : "not kept (sha256 " + r.sha256.substr(0, 16) + "…)";
            std::vector<std::string> row{utc::format_datetime(r.seen_at), r.label, r.reason, where};
            if (a->all) row.insert(row.begin() + 1, r.current ? "current" : "fixed/superseded");
            table.push_back(std::move(row));
        }
        // What identifies a row stays whole (which mbox message or zip member it is, where its
        // bytes are); the reason shrinks to fit the terminal.
        std::vector<column> cols{{.header = "SEEN", .keep = true}, {.header = "INPUT", .keep = true},
                                 {.header = "REASON"}, {.header = "BYTES KEPT AT", .keep = true}};
        if (a->all) cols.insert(cols.begin() + 1, column{.header = "STATE", .keep = true});
        print_columns(cols, table);
    });
}

}  // namespace dmarcsight::cli
