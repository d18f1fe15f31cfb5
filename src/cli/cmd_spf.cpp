// Placeholder: replaced by the module that implements `dmarcsight spf`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_spf(CLI::App& app) {
    auto* cmd = app.add_subcommand("spf", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
