// Placeholder: replaced by the module that implements `dmarcsight ingest`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_ingest(CLI::App& app) {
    auto* cmd = app.add_subcommand("ingest", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
