// Placeholder: replaced by the module that implements `dmarcsight stats`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_stats(CLI::App& app) {
    auto* cmd = app.add_subcommand("stats", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
