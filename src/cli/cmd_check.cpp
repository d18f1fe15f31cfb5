// Placeholder: replaced by the module that implements `dmarcsight check`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_check(CLI::App& app) {
    auto* cmd = app.add_subcommand("check", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
