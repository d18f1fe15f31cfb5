// Placeholder: replaced by the module that implements `dmarcsight export`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_export(CLI::App& app) {
    auto* cmd = app.add_subcommand("export", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
