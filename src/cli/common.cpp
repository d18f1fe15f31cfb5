#include "cli/common.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "ingest/ingester.hpp"
#include "store/open.hpp"
#include "views/documents.hpp"

namespace dmarcsight::cli {

namespace {
config::settings& settings_storage() {
    static config::settings s;
    return s;
}
std::optional<std::string>& settings_error_storage() {
    static std::optional<std::string> e;
    return e;
}
}  // namespace

const config::settings& settings() { return settings_storage(); }
void set_settings(config::settings s) { settings_storage() = std::move(s); }
const std::optional<std::string>& settings_error() { return settings_error_storage(); }
void set_settings_error(std::string message) { settings_error_storage() = std::move(message); }

std::string default_db_path() { return settings().database.value; }

// A PostgreSQL store is shared by workers on several machines: each keeps rejected inputs' bytes
// in a folder of its own, in the working directory unless told (--quarantine, `quarantine =`).
std::string quarantine_dir_for(const std::string& db_path) {
    return store::is_postgres_uri(db_path) ? std::string("dmarcsight.quarantine") : db_path + ".quarantine";
}

void error_line(const std::string& message) {
    std::fprintf(stderr, "dmarcsight: %s\n", text::for_terminal(message, 8192).c_str());
}

std::string shown_db(const std::string& db) { return store::redacted(db); }

bool store_exists(const std::string& db) {
    // A PostgreSQL database's existence is for the server to say, when it is opened.
    return store::is_postgres_uri(db) || access(db.c_str(), F_OK) == 0;
}

std::unique_ptr<store::store> open_store(const std::string& path, store::open_mode mode) {
    auto s = store::open_store(path, mode);
    if (!s) {
        error_line(s.err().message);
        exit_code() = exit_usage;
        return nullptr;
    }
    return std::move(*s);
}

namespace {
bool parse_time_flag(const char* flag, const std::string& value, std::int64_t now, std::optional<std::int64_t>& out) {
    out = utc::parse_user_time(value, now);
    if (out) return true;
    std::string why = std::string(flag) + " '" + value + "' is not a time; use " + utc::user_time_forms;
    if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
        why += " (plain numbers are not accepted";
        if (value.size() == 8 && utc::parse_user_time(value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6), now))
            why += "; for that date write " + value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6);
        why += ")";
    }
    error_line(why);
    exit_code() = exit_usage;
    return false;
}
}  // namespace

bool make_filter(const std::string& domain, const std::string& since, const std::string& until, store::query_filter& out) {
    if (!domain.empty()) {
        std::string d = domain;
        if (d.starts_with("*.")) {
            out.include_subdomains = true;
            d = d.substr(2);
        }
        out.domain = text::normalize_domain(d);
    }
    const std::int64_t now = utc::now();
    if (!since.empty() && !parse_time_flag("--since", since, now, out.since)) return false;
    if (!until.empty() && !parse_time_flag("--until", until, now, out.until)) return false;
    if (out.since && out.until && *out.since >= *out.until) {
        error_line("--since " + since + " (" + utc::format_iso8601(*out.since) + ") is not before --until " + until + " (" +
                   utc::format_iso8601(*out.until) + "); --since is inclusive, --until exclusive");
        exit_code() = exit_usage;
        return false;
    }
    return true;
}

store::fact_filter to_fact_filter(const store::query_filter& f) { return views::fact_window(f); }

bool check_domain_stored(store::store& db, const std::string& domain_arg, const store::query_filter& f) {
    if (f.domain.empty()) return true;
    auto stored = db.policy_domains();
    if (!stored) return true;  // the query itself reports store errors
    for (const auto& d : *stored) {
        const std::string n = text::normalize_domain(d);
        if (n == f.domain || (f.include_subdomains && n.size() > f.domain.size() && n.ends_with("." + f.domain)))
            return true;
    }
    std::string msg = "no reports for domain '" + domain_arg + "'; ";
    if (stored->empty()) {
        msg += "the database holds no reports";
    } else {
        constexpr std::size_t shown = 20;
        msg += "stored domains: ";
        for (std::size_t i = 0; i < stored->size() && i < shown; ++i) msg += (i ? ", " : "") + (*stored)[i];
        if (stored->size() > shown) msg += " and " + std::to_string(stored->size() - shown) + " more";
        if (auto near = text::closest_match(f.domain, *stored)) msg += "; did you mean '" + *near + "'?";
    }
    error_line(msg);
    exit_code() = exit_findings;
    return false;
}

std::string json_text(const nlohmann::json& j, int indent) { return views::document_text(j, indent); }

std::optional<std::size_t> output_width() {
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    if (tty) {
        winsize ws{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    }
    if (const char* c = std::getenv("COLUMNS"); c && *c) {
        std::size_t v = 0;
        const auto [p, ec] = std::from_chars(c, c + std::strlen(c), v);
        if (ec == std::errc{} && *p == '\0' && v > 0) return v;
    }
    if (tty) return 80;
    return std::nullopt;
}

std::string format_table(const std::vector<column>& columns, const std::vector<std::vector<std::string>>& rows,
                         std::optional<std::size_t> limit) {
    const std::size_t n = columns.size();
    std::vector<std::vector<std::string>> cells;
    cells.reserve(rows.size() + 1);
    {
        std::vector<std::string> h;
        for (const auto& c : columns) h.push_back(text::for_terminal(c.header));
        cells.push_back(std::move(h));
    }
    for (const auto& r : rows) {
        std::vector<std::string> safe;
        for (std::size_t i = 0; i < r.size() && i < n; ++i) safe.push_back(text::for_terminal(r[i]));
        cells.push_back(std::move(safe));
    }
    std::vector<std::size_t> widths(n, 0), floor(n, 0);
    for (const auto& r : cells)
        for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], text::display_width(r[i]));
    for (std::size_t i = 0; i < n; ++i)
        floor[i] = columns[i].keep ? widths[i] : std::min(widths[i], std::max<std::size_t>(cells[0][i].empty() ? 0 : text::display_width(cells[0][i]), 8));
    if (limit && n) {
        std::size_t total = 2 * (n - 1);
        for (const auto w : widths) total += w;
        // Shrink the widest shrinkable column one column at a time: long free text (reasons,
        // reporter lists) gives way first, short cells are left alone.
        while (total > *limit) {
            std::size_t pick = n;
            for (std::size_t i = 0; i < n; ++i)
                if (widths[i] > floor[i] && (pick == n || widths[i] > widths[pick])) pick = i;
            if (pick == n) break;  // everything left must stay whole: let the line wrap
            --widths[pick];
            --total;
        }
    }
    std::string out;
    for (const auto& r : cells) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            const std::string cell = text::truncate_display(r[i], widths[i]);
            const std::string pad(widths[i] - text::display_width(cell), ' ');
            if (i) line += "  ";
            line += columns[i].right ? pad + cell : cell + (i + 1 < r.size() ? pad : "");
        }
        out += line;
        out += '\n';
    }
    return out;
}

void print_columns(const std::vector<column>& columns, const std::vector<std::vector<std::string>>& rows) {
    const std::string t = format_table(columns, rows, output_width());
    std::fwrite(t.data(), 1, t.size(), stdout);
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_align) {
    std::vector<column> cols;
    for (std::size_t i = 0; i < header.size(); ++i) cols.push_back({header[i], i < right_align.size() && right_align[i], false});
    print_columns(cols, rows);
}

double share(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return 0.0;
    return static_cast<double>(part) / static_cast<double>(whole);
}

void drop_empty_columns(std::vector<column>& columns, std::vector<std::vector<std::string>>& rows) {
    for (std::size_t c = columns.size(); c-- > 0;) {
        if (columns[c].keep) continue;
        bool empty = true;
        for (const auto& r : rows)
            if (c < r.size() && !r[c].empty()) {
                empty = false;
                break;
            }
        if (!empty) continue;
        columns.erase(columns.begin() + static_cast<std::ptrdiff_t>(c));
        for (auto& r : rows)
            if (c < r.size()) r.erase(r.begin() + static_cast<std::ptrdiff_t>(c));
    }
}

std::string percent(std::int64_t part, std::int64_t whole) { return text::format_percent(part, whole); }

bool now_flag(const std::string& text, std::int64_t& now) {
    now = utc::now();
    if (text.empty()) return true;
    const auto t = utc::parse_user_time(text, now);
    if (!t) {
        error_line("--now " + text + ": not a time (" + utc::user_time_forms + ")");
        exit_code() = exit_usage;
        return false;
    }
    now = *t;
    return true;
}

result<std::vector<store::label_row>> labels_with_config(store::store& db) {
    auto labels = db.labels("");
    if (!labels) return unexpected{labels.err()};
    for (const auto& l : settings().labels) {
        store::label_row row;
        row.policy_domain = l.domain;
        if (l.source) row.source = l.source->to_string();
        row.service = l.service;
        row.cls = std::string(config::to_string(l.cls));
        row.note = l.note.empty() ? "(config file)" : l.note + " (config file)";
        labels->push_back(std::move(row));
    }
    return labels;
}

namespace {
extern "C" void on_stop_signal(int sig) { ingest::request_stop(sig); }
}  // namespace

// The first Ctrl-C stops cleanly (the current input is finished or undone, the rest committed);
// SA_RESETHAND makes a second one end the process at once. No SA_RESTART: a read from a terminal
// or pipe returns, so standard input stops too.
void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void begin_export(std::span<const char* const> csv_columns, bool csv) {
    if (!csv) {
        std::printf("[");
        return;
    }
    std::string header;
    for (const char* c : csv_columns) header += (header.empty() ? "" : ",") + std::string(c);
    std::printf("%s\n", header.c_str());
}

}  // namespace dmarcsight::cli
