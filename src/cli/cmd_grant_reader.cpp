// dmarcsight grant-reader ROLE: lets a PostgreSQL role read the store and nothing more, for the
// dashboard and for analysts (the "read-only role for reports"). Run it as the database's
// owner, the role that ingests and migrates; create the role first (CREATE ROLE name LOGIN ...).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace dmarcsight::cli {

void register_grant_reader(CLI::App& app) {
    struct args {
        std::string db = default_db_path();
        std::string role;
    };
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("grant-reader",
                                   "Let a PostgreSQL role read the store (SELECT only, also on tables later versions add)");
    cmd->add_option("role", a->role, "The role (it must exist: CREATE ROLE name LOGIN PASSWORD '...')")->required();
    cmd->add_option("--db", a->db, "postgresql://owner@host/db URI: run as the database's owner")->capture_default_str();
    cmd->footer("The reader then connects with --db postgresql://ROLE@host/db: every read command works, and\n"
                "nothing it runs can write (dmarcsight opens read commands as read-only sessions too).");
    cmd->callback([a] {
        auto db = open_store(a->db, store::open_mode::read_write);
        if (!db) return;
        auto r = db->grant_reader(a->role);
        if (!r) {
            error_line(r.err().message);
            exit_code() = exit_usage;
            return;
        }
        std::printf("%s may now read %s\n", a->role.c_str(), shown_db(a->db).c_str());
    });
}

}  // namespace dmarcsight::cli
