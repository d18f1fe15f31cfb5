// dmarcsight copy: moves what one store holds into another (an SQLite file into PostgreSQL and
// back, or into another SQLite file). Only the store::store interface is used, so every pair of
// drivers works alike. The target derives its own analysis facts as the records arrive, and gives
// the reports ids of its own: input rows that name a report are pointed at the new id.
// A report whose key the target already holds is left as it is there, so a copy run again, or
// into a store that holds some of the reports, never duplicates; for input rows, labels and the
// enrichment cache the source's row replaces the target's row with the same key.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/text.hpp"
#include "store/open.hpp"

namespace dmarcsight::cli {

namespace {

// A batch (one transaction of the target) is committed once it holds this many rows (a report's
// records count one each), at the next report boundary: an interrupted copy loses at most one
// batch, and a second writer on the target never waits long.
constexpr std::uint64_t rows_per_batch = 20'000;
// Enrichment rows handed to save_ip_info at once.
constexpr std::size_t ip_rows_per_call = 1'000;
// Progress on a terminal is redrawn at most this often; within a report, the clock is read once
// per this many records.
constexpr auto progress_interval = std::chrono::milliseconds(200);
constexpr std::uint64_t records_per_progress_check = 1'024;

// Every outcome an input row can have: each is listed on its own (store::input_filter).
constexpr store::outcome all_outcomes[] = {store::outcome::stored, store::outcome::duplicate, store::outcome::skipped,
                                           store::outcome::rejected};

struct copy_args {
    std::string from, to;
    std::string format = "text";
    bool quiet = false;
};

struct copy_counts {
    std::uint64_t reports_copied = 0, reports_present = 0, records = 0;
    std::uint64_t inputs = 0, labels = 0, ip_infos = 0;
    std::uint64_t tls_reports_copied = 0, tls_reports_present = 0;
    // Rows whose input bytes are kept in the quarantine folder (rejected inputs, --keep-raw).
    std::uint64_t quarantined = 0;
};

// A redrawn line on stderr while a terminal watches; nothing otherwise.
class progress_line {
public:
    explicit progress_line(bool enabled) : enabled_(enabled) {}
    template <class... Args>
    void show(const char* format, Args... args) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (shown_ && now - last_ < progress_interval) return;
        last_ = now;
        shown_ = true;
        std::fprintf(stderr, "\r\033[K");
        std::fprintf(stderr, format, args...);
        std::fflush(stderr);
    }
    void clear() {
        if (shown_) std::fprintf(stderr, "\r\033[K");
        shown_ = false;
    }

private:
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

// The target's transactions: opened on the first write, committed every rows_per_batch rows at a
// boundary the caller chooses (never inside a report). A batch that is never committed (an error
// stopped the copy) is rolled back when the store is closed.
class batches {
public:
    explicit batches(store::store& to) : to_(to) {}
    result<void> ensure() {
        if (open_) return {};
        auto r = to_.begin_batch();
        if (!r) return r;
        open_ = true;
        rows_ = 0;
        return {};
    }
    // `n` more rows were written; commits when the batch is full.
    result<void> wrote(std::uint64_t n) {
        rows_ += n;
        return rows_ >= rows_per_batch ? commit() : result<void>{};
    }
    result<void> commit() {
        if (!open_) return {};
        open_ = false;
        return to_.commit_batch();
    }

private:
    store::store& to_;
    bool open_ = false;
    std::uint64_t rows_ = 0;
};

// Writes each report visit_reports gives into the target, unless the target holds its key.
class report_copier final : public store::report_visitor {
public:
    report_copier(store::store& to, batches& b, copy_counts& counts, progress_line& progress, const store::store_stats& source)
        : to_(to), batches_(b), counts_(counts), progress_(progress), source_(source) {}

    result<void> begin_report(const store::stored_report& r) override {
        if (!r.totals.raw_sha256.empty()) ++counts_.quarantined;
        show_progress();
        // Looked up inside the batch: SQLite has one writer at a time, so a key find_report does
        // not find stays free until insert_report (which fails on a key it holds). PostgreSQL's
        // insert_report answers `existing` when another writer took the key meanwhile.
        auto b = batches_.ensure();
        if (!b) return b;
        auto found = to_.find_report(report::report_key::of(r.header));
        if (!found) return unexpected{found.err()};
        if (*found) return already_present(r, (*found)->id);
        b = to_.begin_unit();
        if (!b) return b;
        auto ins = to_.insert_report(r.header, r.input_label);
        if (!ins) return unexpected{ins.err()};
        if (ins->existing) {
            auto e = to_.end_unit(true);  // the unit wrote nothing
            if (!e) return e;
            return already_present(r, ins->id);
        }
        skipping_ = false;
        source_id_ = r.id;
        target_id_ = ins->id;
        totals_ = r.totals;
        return {};
    }

    result<void> on_record(const report::record& rec) override {
        if (skipping_) return {};
        auto r = to_.insert_record(target_id_, rec);
        if (!r) return r;
        // A report may hold hundreds of thousands of records: the line moves within one too.
        if (++counts_.records % records_per_progress_check == 0) show_progress();
        return {};
    }

    result<void> end_report() override {
        if (skipping_) return {};
        // The stored totals as they are, ingested_at and content_hash included: the copy is the
        // same report, not a new arrival.
        auto f = to_.finish_report(target_id_, totals_);
        if (!f) return f;
        f = to_.end_unit(true);
        if (!f) return f;
        new_ids_[source_id_] = target_id_;
        ++counts_.reports_copied;
        return batches_.wrote(totals_.records + 1);
    }

    // Source report id → the target's id of the same report (copied now or there before).
    const std::unordered_map<std::int64_t, std::int64_t>& new_ids() const { return new_ids_; }

private:
    void show_progress() {
        progress_.show("copying reports: %llu of %lld (%llu of %lld records)",
                       static_cast<unsigned long long>(counts_.reports_copied + counts_.reports_present),
                       static_cast<long long>(source_.aggregate_reports), static_cast<unsigned long long>(counts_.records),
                       static_cast<long long>(source_.records));
    }
    // Its records are read from the source all the same: they count towards the batch, so that a
    // second run, which finds everything present, does not hold the target's lock throughout.
    result<void> already_present(const store::stored_report& r, std::int64_t target_id) {
        new_ids_[r.id] = target_id;
        ++counts_.reports_present;
        skipping_ = true;
        return batches_.wrote(r.totals.records + 1);
    }

    store::store& to_;
    batches& batches_;
    copy_counts& counts_;
    progress_line& progress_;
    const store::store_stats& source_;
    std::unordered_map<std::int64_t, std::int64_t> new_ids_;
    bool skipping_ = true;
    std::int64_t source_id_ = 0, target_id_ = 0;
    store::report_totals totals_;
};

// Every input row of every outcome, the whole history, with its report pointed at the target's id
// (none when the source's row names a report the source no longer holds).
result<void> copy_inputs(store::store& from, store::store& to, batches& b,
                         const std::unordered_map<std::int64_t, std::int64_t>& new_ids, copy_counts& counts,
                         progress_line& progress) {
    for (const store::outcome o : all_outcomes) {
        auto rows = from.inputs({.result = o, .history = true});
        if (!rows) return unexpected{rows.err()};
        for (auto& row : *rows) {
            progress.show("copying inputs: %llu", static_cast<unsigned long long>(counts.inputs));
            if (row.report) {
                const auto it = new_ids.find(*row.report);
                row.report = it == new_ids.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
            }
            auto r = b.ensure();
            if (!r) return r;
            r = to.restore_input(row);
            if (!r) return r;
            ++counts.inputs;
            if (!row.quarantine_path.empty()) ++counts.quarantined;
            r = b.wrote(1);
            if (!r) return r;
        }
    }
    return {};
}

// SMTP TLS reports (RFC 8460), each one unit, unless the target holds its key; the names of
// their kept bytes go with them.
result<void> copy_tls_reports(store::store& from, store::store& to, batches& b, copy_counts& counts) {
    return from.visit_tls_reports({}, [&](const store::stored_tls_report& sr) -> result<void> {
        auto r = b.ensure();
        if (!r) return r;
        auto found = to.find_tls_report(report::tls_report_key::of(sr.report));
        if (!found) return unexpected{found.err()};
        if (*found) {
            ++counts.tls_reports_present;
            return {};
        }
        r = to.begin_unit();
        if (!r) return r;
        auto ins = to.insert_tls_report(sr.report, report::tls_content_hash(sr.report), sr.input_label);
        if (!ins) return unexpected{ins.err()};
        if (!ins->existing && !sr.raw_sha256.empty()) {
            r = to.attach_tls_raw(ins->id, sr.raw_sha256);
            if (!r) return r;
        }
        r = to.end_unit(true);
        if (!r) return r;
        if (ins->existing) ++counts.tls_reports_present;
        else ++counts.tls_reports_copied;
        return b.wrote(1 + sr.report.policies.size());
    });
}

result<void> copy_labels(store::store& from, store::store& to, batches& b, copy_counts& counts) {
    auto rows = from.labels("");
    if (!rows) return unexpected{rows.err()};
    for (const auto& row : *rows) {
        auto r = b.ensure();
        if (!r) return r;
        r = to.put_label(row);  // keeps created_at; the id is the target's own
        if (!r) return r;
        ++counts.labels;
        r = b.wrote(1);
        if (!r) return r;
    }
    return {};
}

result<void> copy_ip_infos(store::store& from, store::store& to, batches& b, copy_counts& counts) {
    auto rows = from.all_ip_infos();
    if (!rows) return unexpected{rows.err()};
    for (std::size_t start = 0; start < rows->size(); start += ip_rows_per_call) {
        const auto first = rows->begin() + static_cast<std::ptrdiff_t>(start);
        const auto last = rows->begin() + static_cast<std::ptrdiff_t>(std::min(rows->size(), start + ip_rows_per_call));
        const std::vector<store::ip_info> chunk(first, last);
        auto r = b.ensure();
        if (!r) return r;
        r = to.save_ip_info(chunk);
        if (!r) return r;
        counts.ip_infos += chunk.size();
        r = b.wrote(chunk.size());
        if (!r) return r;
    }
    return {};
}

// True when both name one SQLite file, by whatever path (links, "./", symlinks): the file's
// device and inode. A --to that does not exist yet is another file.
bool same_sqlite_file(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

std::string summary_line(const copy_counts& c, const std::string& to, double seconds) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", seconds);
    return std::to_string(c.reports_copied) + " reports copied (" + std::to_string(c.records) + " records), " +
           std::to_string(c.reports_present) + " already in " + to + "; " + std::to_string(c.tls_reports_copied) +
           " SMTP TLS reports copied (" + std::to_string(c.tls_reports_present) + " already there); " + std::to_string(c.inputs) + " inputs, " +
           std::to_string(c.labels) + " labels, " + std::to_string(c.ip_infos) + " enrichment rows; " + secs + " s";
}

// Where ingest keeps a store's input bytes (cmd_ingest: `quarantine =` of the configuration, else
// the store's own folder).
std::string quarantine_of(const std::string& db) { return settings().quarantine.value.value_or(quarantine_dir_for(db)); }

int run_copy(const copy_args& a) {
    const std::string from_shown = store::redacted(a.from), to_shown = store::redacted(a.to);
    // Copying a store into itself would find every report present and rewrite every other row
    // with itself: refused before the target is opened (opening it read-write may migrate it).
    // One PostgreSQL database named by two spellings of its URI (localhost, 127.0.0.1) is not
    // recognised; such a copy changes nothing.
    if (a.from == a.to || (!store::is_postgres_uri(a.from) && !store::is_postgres_uri(a.to) && same_sqlite_file(a.from, a.to))) {
        error_line("--from " + from_shown + " and --to " + to_shown + " are the same store; nothing to copy");
        return exit_usage;
    }
    auto from = store::open_store(a.from, store::open_mode::read_only);
    if (!from) {
        error_line("cannot read --from " + from_shown + ": " + from.err().message);
        return exit_usage;
    }
    auto to = store::open_store(a.to, store::open_mode::read_write);
    if (!to) {
        error_line("cannot open --to " + to_shown + ": " + to.err().message);
        return exit_usage;
    }

    const auto started = std::chrono::steady_clock::now();
    const bool json = a.format == "json";
    progress_line progress(!a.quiet && !json && ::isatty(STDERR_FILENO) == 1);
    copy_counts counts;
    batches b(**to);
    const auto stop = [&](const char* what, const error& e) {
        progress.clear();
        error_line("copying " + std::string(what) + " into " + to_shown + " failed: " + e.message +
                   "; what was committed before stays there, and the same command run again goes on from it");
        return exit_usage;
    };

    auto source_stats = (*from)->stats();
    if (!source_stats) {
        error_line("cannot read --from " + from_shown + ": " + source_stats.err().message);
        return exit_usage;
    }
    report_copier reports(**to, b, counts, progress, *source_stats);
    if (auto r = (*from)->visit_reports({}, reports); !r) return stop("reports", r.err());
    // Input rows name reports by id: they follow once every report has its id in the target.
    if (auto r = copy_inputs(**from, **to, b, reports.new_ids(), counts, progress); !r) return stop("inputs", r.err());
    if (auto r = copy_tls_reports(**from, **to, b, counts); !r) return stop("SMTP TLS reports", r.err());
    if (auto r = copy_labels(**from, **to, b, counts); !r) return stop("labels", r.err());
    if (auto r = copy_ip_infos(**from, **to, b, counts); !r) return stop("the enrichment cache", r.err());
    // Failure reports (RFC 6591): their key decides, as at ingest, so a copy run again adds none.
    std::int64_t failures_copied = 0;
    if (auto r = (*from)->visit_failure_reports({}, [&](const store::stored_failure& f) -> result<void> {
            auto e = b.ensure();
            if (!e) return e;
            auto ins = (*to)->insert_failure_report(f.report, f.input_label);
            if (!ins) return unexpected{ins.err()};
            if (!ins->existing) ++failures_copied;
            return b.wrote(1);
        });
        !r)
        return stop("failure reports", r.err());
    if (auto r = b.commit(); !r) return stop("the last batch", r.err());
    progress.clear();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (json) {
        const nlohmann::json out = {{"from", from_shown},
                                    {"to", to_shown},
                                    {"reports_copied", counts.reports_copied},
                                    {"reports_already_present", counts.reports_present},
                                    {"records", counts.records},
                                    {"inputs", counts.inputs},
                                    {"tls_reports_copied", counts.tls_reports_copied},
                                    {"tls_reports_already_present", counts.tls_reports_present},
                                    {"labels", counts.labels},
                                    {"ip_infos", counts.ip_infos},
                                    {"failure_reports", failures_copied},
                                    {"seconds", std::round(seconds * 1000) / 1000}};
        std::printf("%s\n", json_text(out, 2).c_str());
    } else if (!a.quiet) {
        std::printf("%s\n", text::for_terminal(summary_line(counts, to_shown, seconds)).c_str());
    }
    // The bytes are files, not rows of the store: the target's `rejected` would point at a folder
    // that does not hold them.
    if (counts.quarantined > 0 && quarantine_of(a.from) != quarantine_of(a.to))
        error_line("note: " + std::to_string(counts.quarantined) + " inputs' bytes are kept in " + quarantine_of(a.from) +
                   ", which copy does not move; copy that folder to " + quarantine_of(a.to) +
                   " (or give --quarantine to the commands reading " + to_shown + ")");
    return exit_ok;
}

}  // namespace

void register_copy(CLI::App& app) {
    auto a = std::make_shared<copy_args>();
    auto* cmd = app.add_subcommand("copy", "Copy every report, input, label and enrichment row of one store into another "
                                           "(SQLite to PostgreSQL, back, or SQLite to SQLite)");
    cmd->add_option("--from", a->from, "Store to read: an SQLite file (must exist) or a postgresql:// URI")->required();
    cmd->add_option("--to", a->to, "Store to write: an SQLite file (created if missing) or a postgresql:// URI")->required();
    cmd->add_option("--format", a->format, "Summary format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    cmd->add_flag("-q,--quiet", a->quiet, "No progress and no summary");
    cmd->footer(
        "Reports keep their times, totals, warnings and input; the target gives them ids of its own and derives\n"
        "its analysis facts itself. A report whose key --to already holds is left as it is there (counted as\n"
        "already present), so running the copy again, or after an interruption, adds only what is missing; input\n"
        "rows, labels and enrichment rows of --from replace those of --to with the same key. The quarantine\n"
        "folder (the bytes of rejected inputs) is not part of the store: copy it yourself (copy names it).\n"
        "Exit status: 0 copied; 2 usage or environment error (--from missing, --from and --to the same store,\n"
        "a store that cannot be read or written: what was committed before stays in --to).");
    cmd->callback([a] { exit_code() = run_copy(*a); });
}

}  // namespace dmarcsight::cli
