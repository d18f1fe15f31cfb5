// dmarcsight rebuild: recomputes the analysis facts from the stored records (after an upgrade
// that changes how facts are derived, or to check them). Labels and enrichment are kept.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace dmarcsight::cli {

void register_rebuild(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        bool quiet = false;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("rebuild", "Recompute the per-day analysis facts from the stored records (one transaction)");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_flag("-q,--quiet", a->quiet, "No progress on stderr");
    cmd->callback([a] {
        if (!store_exists(a->db)) {
            error_line("database '" + a->db + "' does not exist");
            exit_code() = exit_usage;
            return;
        }
        auto db = open_store(a->db, store::open_mode::read_write);
        if (!db) return;
        const auto t0 = std::chrono::steady_clock::now();
        const bool tty = isatty(STDERR_FILENO) != 0;
        auto r = db->rebuild_facts([&](std::int64_t done, std::int64_t total) {
            if (!a->quiet && tty) std::fprintf(stderr, "\rrebuilding: %lld of %lld reports", static_cast<long long>(done), static_cast<long long>(total));
        });
        if (!a->quiet && tty) std::fprintf(stderr, "\n");
        if (!r) {
            error_line("rebuild failed, the facts are as they were: " + r.err().message);
            exit_code() = exit_usage;
            return;
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("rebuilt the facts of %lld reports (%lld records): %lld source-day rows in %.1f s\n",
                    static_cast<long long>(r->reports), static_cast<long long>(r->records), static_cast<long long>(r->source_days), secs);
    });
}

}  // namespace dmarcsight::cli
