// dmarcsight prune: retention. Removes the reports (with their records), the analysis facts, the
// input and alert history older than a cutoff, and the kept bytes in the quarantine folder that no
// remaining row refers to (store/prune.hpp says exactly what goes, and why by report and day).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace dmarcsight::cli {

namespace {

// Ages longer than this are refused (the cutoff would fall before 1970 for no purpose).
constexpr std::int64_t max_age_days = 100 * 365;

struct args {
    std::string db = default_db_path();
    std::string older_than;
    std::string quarantine = settings().quarantine.value.value_or("");  // empty: the database's
    std::string format = "text";
    bool dry_run = false;
};

// The default of --older-than: `older_than` of the configuration's [retention] (none: keep
// everything, and prune needs the flag).
std::optional<std::string> configured_retention() { return settings().retention.older_than.value; }

// "400d", "60w", "2y" (a year is 365 days), "72h" (the configuration's [retention] accepts hours
// too): the age in seconds, or nullopt.
std::optional<std::int64_t> parse_age_seconds(std::string_view text) {
    if (text.size() < 2) return std::nullopt;
    const char unit = text.back();
    const std::string_view digits = text.substr(0, text.size() - 1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.front() == '-' || digits.front() == '+' || n < 1)
        return std::nullopt;
    const std::int64_t per = unit == 'h' ? 3600 : unit == 'd' ? 86400 : unit == 'w' ? 7 * 86400 : unit == 'y' ? 365 * 86400 : 0;
    if (per == 0 || n > max_age_days * 86400 / per) return std::nullopt;
    return n * per;
}

struct file_outcome {
    std::int64_t removed = 0, bytes = 0, missing = 0;
    std::vector<std::string> errors;
};

// Removes (or, dry, measures) the named files of the quarantine folder. The names come from the
// database: only SHA-256 names are touched (what ingest::quarantine writes), through the folder's
// descriptor, never following a link, and only regular files.
file_outcome remove_kept_files(const std::string& dir, const std::vector<std::string>& names, bool dry) {
    file_outcome out;
    if (names.empty()) return out;
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) out.missing = static_cast<std::int64_t>(names.size());
        else out.errors.push_back("cannot open quarantine folder '" + dir + "': " + std::strerror(errno));
        return out;
    }
    for (const auto& name : names) {
        if (name.size() != 64 || name.find_first_not_of("0123456789abcdef") != std::string::npos) {
            out.errors.push_back("not a quarantine file name: '" + name + "' (left alone)");
            continue;
        }
        struct stat st;
        if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) ++out.missing;
            else out.errors.push_back("cannot read '" + dir + "/" + name + "': " + std::strerror(errno));
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            out.errors.push_back("'" + dir + "/" + name + "' is not a regular file (left alone)");
            continue;
        }
        if (!dry && ::unlinkat(fd, name.c_str(), 0) != 0) {
            out.errors.push_back("cannot remove '" + dir + "/" + name + "': " + std::strerror(errno));
            continue;
        }
        ++out.removed;
        out.bytes += st.st_size;
    }
    ::close(fd);
    return out;
}

std::string bytes_text(std::int64_t n) {
    char buf[64];
    if (n < 1024) std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(n));
    else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024.0);
    else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
    return buf;
}

void run(const args& a) {
    std::string age = a.older_than;
    if (age.empty()) age = configured_retention().value_or("");
    if (age.empty()) {
        error_line("prune needs --older-than AGE (such as 400d, 60w or 2y), or older_than in the configuration's [retention]");
        exit_code() = exit_usage;
        return;
    }
    const auto age_s = parse_age_seconds(age);
    if (!age_s) {
        error_line("--older-than '" + age + "' is not an age: a whole number of hours, days, weeks or years (365 days), up to " +
                   std::to_string(max_age_days / 365) + " years, such as 400d, 60w or 2y");
        exit_code() = exit_usage;
        return;
    }
    if (!store_exists(a.db)) {
        error_line("database '" + a.db + "' does not exist");
        exit_code() = exit_usage;
        return;
    }
    auto db = open_store(a.db, store::open_mode::read_write);
    if (!db) return;
    const std::int64_t asked = utc::now() - *age_s;
    auto sum = db->prune(asked, a.dry_run);
    if (!sum) {
        error_line("prune of " + shown_db(a.db) + " failed, nothing was removed: " + sum.err().message);
        exit_code() = exit_usage;
        return;
    }
    // The files only after the rows that named them are gone (committed): a crash in between
    // leaves files nothing names, never rows naming no file.
    const std::string dir = a.quarantine.empty() ? quarantine_dir_for(a.db) : a.quarantine;
    const file_outcome files = remove_kept_files(dir, sum->quarantine_files, a.dry_run);
    for (const auto& e : files.errors) error_line(e);
    if (!files.errors.empty()) exit_code() = exit_usage;

    std::int64_t inputs = 0;
    for (const auto& [table, n] : sum->tables)
        if (table == "inputs") inputs = n;
    if (a.format == "json") {
        nlohmann::json tables = nlohmann::json::object();
        for (const auto& [table, n] : sum->tables) tables[table] = n;
        const nlohmann::json j = {{"dry_run", a.dry_run},
                                  {"cutoff", utc::format_iso8601(sum->cutoff)},
                                  {"reports", sum->reports},
                                  {"records", sum->records},
                                  {"fact_rows", sum->fact_rows},
                                  {"rederived_reports", sum->rederived_reports},
                                  {"tables", tables},
                                  {"quarantine_files", files.removed},
                                  {"quarantine_bytes", files.bytes},
                                  {"quarantine_missing", files.missing}};
        std::printf("%s\n", json_text(j, 2).c_str());
        return;
    }
    std::printf("%s everything before %s (UTC) in %s:\n", a.dry_run ? "would remove" : "removed", utc::format_date(sum->cutoff).c_str(),
                text::for_terminal(shown_db(a.db)).c_str());
    std::printf("  %lld reports (%lld records)\n", static_cast<long long>(sum->reports), static_cast<long long>(sum->records));
    std::printf("  %lld analysis fact rows\n", static_cast<long long>(sum->fact_rows));
    std::printf("  %lld input history rows\n", static_cast<long long>(inputs));
    for (const auto& [table, n] : sum->tables)
        if (table != "inputs") std::printf("  %lld rows of %s (alert history)\n", static_cast<long long>(n), table.c_str());
    std::printf("  %lld kept files (%s) in %s", static_cast<long long>(files.removed), bytes_text(files.bytes).c_str(),
                text::for_terminal(dir).c_str());
    if (files.missing) std::printf("; %lld already gone", static_cast<long long>(files.missing));
    std::printf("\n");
    if (sum->rederived_reports)
        std::printf("  (%lld reports span the cutoff: kept whole, their facts before it derived again)\n",
                    static_cast<long long>(sum->rederived_reports));
    if (a.dry_run) std::printf("dry run: nothing was removed\n");
}

}  // namespace

void register_prune(CLI::App& app) {
    auto a = std::make_shared<args>();
    auto* cmd = app.add_subcommand("prune",
                                   "Remove reports, analysis facts, input history and kept bytes older than a cutoff (retention)");
    cmd->add_option("--older-than", a->older_than,
                    "Age of the cutoff: whole hours, days, weeks or years (365 days), such as 400d, 60w, 2y; rounded down to a UTC "
                    "midnight. A report goes when every day it counts on is before it. Default: older_than of the "
                    "configuration's [retention]");
    cmd->add_flag("--dry-run", a->dry_run, "Say what would be removed, remove nothing");
    cmd->add_option("--db", a->db, db_help)->capture_default_str();
    cmd->add_option("--quarantine", a->quarantine,
                    "The quarantine folder whose files no remaining row names are removed (default: <db>.quarantine; for "
                    "PostgreSQL ./dmarcsight.quarantine)");
    cmd->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->callback([a] { run(*a); });
}

}  // namespace dmarcsight::cli
