// Placeholder: replaced by the module that implements `dmarcsight senders`.
#include "cli/commands.hpp"

namespace dmarcsight::cli {
void register_senders(CLI::App& app) {
    auto* cmd = app.add_subcommand("senders", "not yet available");
    cmd->callback([] { exit_code() = exit_usage; });
}
}  // namespace dmarcsight::cli
