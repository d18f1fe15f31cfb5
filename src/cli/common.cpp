#include "cli/common.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace dmarcsight::cli {

std::string default_db_path() {
    const char* env = std::getenv("DMARCSIGHT_DB");
    return env && *env ? env : "dmarcsight.db";
}

std::string quarantine_dir_for(const std::string& db_path) { return db_path + ".quarantine"; }

std::string json_text(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void error_line(const std::string& message) {
    std::fprintf(stderr, "dmarcsight: %s\n", text::for_terminal(message, 2000).c_str());
}

std::unique_ptr<store::store> open_store(const std::string& path, store::open_mode mode) {
    auto s = store::open_sqlite(path, mode);
    if (!s) {
        error_line(s.err().message);
        exit_code() = exit_usage;
        return nullptr;
    }
    return std::move(*s);
}

bool make_filter(const std::string& domain, const std::string& since, const std::string& until, store::query_filter& out) {
    if (!domain.empty()) {
        std::string d = domain;
        if (d.starts_with("*.")) {
            out.include_subdomains = true;
            d = d.substr(2);
        }
        out.domain = text::normalize_domain(d);
    }
    if (!since.empty()) {
        out.since = utc::parse_user_time(since);
        if (!out.since) {
            error_line("--since '" + since + "' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
            exit_code() = exit_usage;
            return false;
        }
    }
    if (!until.empty()) {
        out.until = utc::parse_user_time(until);
        if (!out.until) {
            error_line("--until '" + until + "' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
            exit_code() = exit_usage;
            return false;
        }
    }
    return true;
}

namespace {
// Display width of UTF-8 text: code points, not bytes (good enough for a table).
std::size_t width(const std::string& s) {
    std::size_t w = 0;
    for (const char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
    return w;
}
}  // namespace

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 const std::vector<bool>& right_align) {
    constexpr std::size_t max_cell = 60;
    std::vector<std::vector<std::string>> cells;
    cells.push_back(header);
    for (const auto& r : rows) {
        std::vector<std::string> safe;
        for (const auto& c : r) safe.push_back(text::for_terminal(c, max_cell));
        cells.push_back(std::move(safe));
    }
    std::vector<std::size_t> widths(header.size(), 0);
    for (const auto& r : cells)
        for (std::size_t i = 0; i < r.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], width(r[i]));
    for (const auto& r : cells) {
        std::string line;
        for (std::size_t i = 0; i < r.size() && i < widths.size(); ++i) {
            const std::string pad(widths[i] - width(r[i]), ' ');
            const bool right = i < right_align.size() && right_align[i];
            if (i) line += "  ";
            line += right ? pad + r[i] : r[i] + (i + 1 < r.size() ? pad : "");
        }
        std::printf("%s\n", line.c_str());
    }
}

double share(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) return 0.0;
    return static_cast<double>(part) / static_cast<double>(whole);
}

std::string percent(std::int64_t part, std::int64_t whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", share(part, whole) * 100.0);
    return buf;
}

}  // namespace dmarcsight::cli
