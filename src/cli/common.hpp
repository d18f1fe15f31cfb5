// Helpers shared by the subcommands: opening the store with the right exit codes, output formats,
// and terminal-safe tables.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace CLI {
class App;
}

namespace dmarcsight::cli {

// --db default: $DMARCSIGHT_DB, else ./dmarcsight.db.
std::string default_db_path();
// The quarantine folder that belongs to a database: "<db>.quarantine".
std::string quarantine_dir_for(const std::string& db_path);

// Opens the store. On failure prints "dmarcsight: <why>" and sets exit code 2 (usage/environment).
std::unique_ptr<store::store> open_store(const std::string& path, store::open_mode mode);

// --domain / --since / --until into a filter; false (message printed, exit code 2) on bad values.
bool make_filter(const std::string& domain, const std::string& since, const std::string& until, store::query_filter& out);

// Prints rows as an aligned table; every cell goes through text::for_terminal.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_align = {});

std::string percent(std::int64_t part, std::int64_t whole);
double share(std::int64_t part, std::int64_t whole);

// JSON output text, written by the JSON library (invalid UTF-8 replaced).
std::string json_text(const nlohmann::json& j, int indent = 2);

void error_line(const std::string& message);  // "dmarcsight: message" on stderr, escaped

}  // namespace dmarcsight::cli
