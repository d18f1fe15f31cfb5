// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the root CLI::App.
// Commands are thin: parse flags, call the library, print. Exit codes are the same everywhere:
//   0 success, 1 some inputs were rejected / a check found an error, 2 usage or environment error.
#pragma once

#include <CLI/CLI.hpp>

namespace dmarcsight::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_usage = 2;

// The exit code the selected subcommand wants; its callback writes here.
int& exit_code();

void register_ingest(CLI::App& app);
void register_stats(CLI::App& app);
void register_senders(CLI::App& app);
void register_export(CLI::App& app);
void register_rejected(CLI::App& app);
void register_check(CLI::App& app);
void register_spf(CLI::App& app);
void register_sources(CLI::App& app);
void register_domains(CLI::App& app);
void register_rebuild(CLI::App& app);
void register_copy(CLI::App& app);
void register_grant_reader(CLI::App& app);
void register_label(CLI::App& app);
void register_config(CLI::App& app);
void register_enrich(CLI::App& app);
void register_trends(CLI::App& app);
void register_prune(CLI::App& app);
void register_alerts(CLI::App& app);
void register_digest(CLI::App& app);
void register_notify(CLI::App& app);
void register_policy(CLI::App& app);
void register_tls(CLI::App& app);
void register_failures(CLI::App& app);
void register_reprocess(CLI::App& app);
void register_serve(CLI::App& app);
void register_users(CLI::App& app);

}  // namespace dmarcsight::cli
