// Helpers shared by the subcommands: opening the store with the right exit codes, output formats,
// and terminal-safe tables.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analyze/alert_rules.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace CLI {
class App;
}

namespace dmarcsight::cli {

// The effective settings: built-in defaults, the configuration file, DMARCSIGHT_* variables.
// main() loads them before any command is registered, so options' defaults can come from here;
// a flag given on the command line still wins. New commands read their section from it, e.g.
// settings().enrich.offline.value, settings().services.value, settings().labels.
const config::settings& settings();
void set_settings(config::settings s);
// Why loading the configuration failed, when main() carried on anyway (`config check`, --help).
const std::optional<std::string>& settings_error();
void set_settings_error(std::string message);

// --db default: settings().database (--config file, $DMARCSIGHT_DB, else ./dmarcsight.db).
std::string default_db_path();
// The quarantine folder that belongs to a database: "<db>.quarantine" beside an SQLite file,
// ./dmarcsight.quarantine for a PostgreSQL database (each worker machine keeps its own).
std::string quarantine_dir_for(const std::string& db_path);
// SIGINT / SIGTERM stop an ingest cleanly (ingest::request_stop); a second one ends the process.
void install_stop_handlers();

// --db's help: an SQLite file (the default) or a PostgreSQL URI (store/open.hpp).
inline constexpr const char* db_help = "SQLite file (must exist) or postgresql://user@host/db URI (PG* variables apply)";
inline constexpr const char* db_help_create = "SQLite file (created if missing) or postgresql://user@host/db URI (PG* variables apply)";
// The --db value as it may be shown (a URI's password hidden).
std::string shown_db(const std::string& db);
// An SQLite file that is there, or any PostgreSQL URI (the server says whether it exists).
bool store_exists(const std::string& db);

// Opens the store. On failure prints "dmarcsight: <why>" and sets exit code 2 (usage/environment).
std::unique_ptr<store::store> open_store(const std::string& path, store::open_mode mode);

// --domain / --since / --until into a filter; false (message printed, exit code 2) on bad values:
// a time utc::parse_user_time refuses, or --since not before --until.
bool make_filter(const std::string& domain, const std::string& since, const std::string& until, store::query_filter& out);

// The same selection for the per-day facts: --since rounds down to its UTC day, --until up to the
// next (facts are per day; a report's day is chosen as store/facts.hpp says).
store::fact_filter to_fact_filter(const store::query_filter& f);

// With a --domain set (f.domain non-empty): if no stored policy domain matches it (itself, or with
// '*.' one of its subdomains), prints "no reports for domain 'X'; stored domains: a, b, …" on
// stderr (at most 20 names, then "and N more"), sets exit code 1 and returns false. The caller
// still writes its normal empty output, so JSON/CSV consumers get a valid document.
bool check_domain_stored(store::store& db, const std::string& domain_arg, const store::query_filter& f);

// Every JSON document the CLI writes goes through this (views::document_text): nlohmann's dump (indent < 0: one line),
// invalid UTF-8 replaced with U+FFFD, and C1 controls, bidi controls, U+2028/U+2029 and DEL
// written as \uXXXX escapes (other non-ASCII stays UTF-8). See text::escape_json_controls.
std::string json_text(const nlohmann::json& j, int indent = -1);

// A table column. `keep`: never truncated (what identifies a row, numbers, dates); other columns
// shrink, widest first, to fit the output width, and a cut cell ends with "…".
struct column {
    std::string header;
    bool right = false;  // right-aligned (numbers)
    bool keep = false;
};
// The width tables are fitted to: stdout's terminal width (TIOCGWINSZ) when stdout is a
// terminal; else $COLUMNS when set to a number; else 80 on a terminal, and no limit when stdout
// is a pipe or file (so `| grep` and `> file` see whole values).
std::optional<std::size_t> output_width();
// Prints rows as an aligned table fitted to output_width(); every cell goes through
// text::for_terminal; widths count characters (CJK wide as 2), never bytes.
void print_columns(const std::vector<column>& columns, const std::vector<std::vector<std::string>>& rows);
// Removes the columns that may shrink (not `keep`) and are empty in every row (names that are not
// known yet, such as PTR before enrichment).
void drop_empty_columns(std::vector<column>& columns, std::vector<std::vector<std::string>>& rows);
// The same, fitted to `width` (nullopt: no limit), returned instead of printed (for tests).
std::string format_table(const std::vector<column>& columns, const std::vector<std::vector<std::string>>& rows,
                         std::optional<std::size_t> width);
// Older form (columns by header only): every column may shrink.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_align = {});

// "99.9%": never "100.0%" unless every one passed, never "0.0%" unless none did (text::format_percent).
std::string percent(std::int64_t part, std::int64_t whole);
double share(std::int64_t part, std::int64_t whole);

// "dmarcsight: message" on stderr, escaped, cut at 8 KiB (room for 20 stored domain names).
void error_line(const std::string& message);
// An export's first line: the CSV header of these columns, or the "[" that opens a JSON array.
void begin_export(std::span<const char* const> csv_columns, bool csv);

// --now TIME (replays, tests): the time it names, or the wall clock when empty; false (a usage
// error said) when it is not a time.
bool now_flag(const std::string& text, std::int64_t& now);

// The user's labels: the store's (dmarcsight label) first, then the config file's, which the
// store's win over (analysis takes the first that matches).
// The alert rules' thresholds from the configuration ([alerts]; cmd_alerts.cpp).
analyze::alert_rules alert_rules_from_settings();
result<std::vector<store::label_row>> labels_with_config(store::store& db);

}  // namespace dmarcsight::cli
