// Placeholder: replaced by the module that implements `dmarcsight rejected`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_rejected(CLI::App& app) {
    auto* cmd = app.add_subcommand("rejected", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
