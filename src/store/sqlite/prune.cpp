// The SQLite driver: retention (store/prune.hpp says what goes and why). One IMMEDIATE
// transaction, so an ingest running beside it waits for it (busy timeout) as it waits for
// another ingest; a dry run does the same work and rolls it back, so what it says is exact.
#include <set>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "store/prune.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The spanning reports' facts are written out when this many rows wait (as ingest does).
constexpr std::size_t max_pending_rows = 16'384;

struct doomed_report {
    std::int64_t id = 0;
    std::int64_t records = 0;
    std::string raw_sha256;
};

}  // namespace

result<prune_summary> sqlite_store::prune(std::int64_t cutoff_epoch, bool dry_run) {
    auto r = exec("BEGIN IMMEDIATE");
    if (!r) return unexpected{r.err()};
    auto body = prune_in_transaction(prune_cutoff(cutoff_epoch));
    facts_.clear();
    next_fact_id_.reset();
    fact_reporters_.clear();
    if (!body || dry_run) {
        (void)exec("ROLLBACK");
        return body;
    }
    r = exec("COMMIT");
    if (!r) return unexpected{r.err()};
    return body;
}

result<prune_summary> sqlite_store::prune_in_transaction(std::int64_t cutoff) {
    prune_summary sum;
    sum.cutoff = cutoff;
    facts_.clear();
    next_fact_id_.reset();
    fact_reporters_.clear();
    const std::int64_t cutoff_day = utc::day_of(cutoff);
    const std::string cutoff_text = utc::format_date(cutoff);

    // Which reports go and which span the cutoff: only a report beginning before it can count on a
    // day before it (facts.hpp: its first day is the day of its begin).
    std::vector<doomed_report> doomed;
    std::vector<std::pair<std::int64_t, report::report_header>> spanning;
    {
        statement s;
        auto p = s.prepare(db_, "SELECT id, policy_domain, org_name, begin_time, end_time, record_count, raw_sha256 "
                                "FROM reports WHERE begin_time < ?1 ORDER BY id");
        if (!p) return unexpected{p.err()};
        s.bind(1, cutoff);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            const std::int64_t begin = s.i64(3), end = s.i64(4);
            const report_fate f = fate_of(begin, end, cutoff);
            if (f == report_fate::remove) {
                doomed.push_back({s.i64(0), s.i64(5), s.is_null(6) ? std::string() : s.text(6)});
            } else if (f == report_fate::rederive) {
                report::report_header h;
                h.policy.domain = s.text(1);
                h.metadata.org_name = s.text(2);
                h.metadata.begin = begin;
                h.metadata.end = end;
                spanning.emplace_back(s.i64(0), std::move(h));
            }
        }
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    }

    // Kept bytes the removed rows name: offered for removal at the end when nothing else names them.
    std::set<std::string> files;
    for (const auto& d : doomed) {
        if (!d.raw_sha256.empty()) files.insert(d.raw_sha256);
        const auto by_id = [&](statement& st) { st.bind(1, d.id); };
        auto x = execute("DELETE FROM record_blocks WHERE id BETWEEN ?1 << 32 AND (?1 << 32) + 4294967295", by_id);
        if (x) x = execute("DELETE FROM reports WHERE id = ?1", by_id);
        if (!x) return unexpected{x.err()};
        ++sum.reports;
        sum.records += d.records;
    }

    // The facts of the days before the cutoff. Days are YYYY-MM-DD text; a year past 9999 (a
    // hostile date) is longer and in the future: never before the cutoff.
    auto x = execute("DELETE FROM source_facts WHERE day < ?1 AND length(day) = 10", [&](statement& st) { st.bind(1, cutoff_text); });
    if (!x) return unexpected{x.err()};
    sum.fact_rows = sqlite3_changes64(db_);
    // Each domain's ranges of ids (fact_ranges) shrink to the rows left, and empty ones go: new
    // rows take ids after the largest one left (flush_facts), which must never fall inside a
    // range of another domain.
    x = exec("DELETE FROM fact_ranges WHERE NOT EXISTS (SELECT 1 FROM source_facts f WHERE f.id BETWEEN fact_ranges.first_id "
             "AND fact_ranges.last_id)");
    if (x) x = exec("UPDATE fact_ranges SET "
                    "first_id = (SELECT min(f.id) FROM source_facts f WHERE f.id BETWEEN fact_ranges.first_id AND fact_ranges.last_id), "
                    "last_id = (SELECT max(f.id) FROM source_facts f WHERE f.id BETWEEN fact_ranges.first_id AND fact_ranges.last_id)");
    if (!x) return unexpected{x.err()};

    // The spanning reports' share of the days before the cutoff, derived again.
    for (const auto& [id, h] : spanning) {
        auto each = for_each_record(id, [&](const report::record& rec) -> result<void> {
            facts_.add_record(h, rec);
            return {};
        });
        if (!each) return unexpected{each.err()};
        ++sum.rederived_reports;
        if (facts_.size() >= max_pending_rows) {
            facts_.drop_days_from(static_cast<std::int32_t>(cutoff_day));
            auto f = flush_facts();
            if (!f) return unexpected{f.err()};
        }
    }
    facts_.drop_days_from(static_cast<std::int32_t>(cutoff_day));
    auto f = flush_facts();
    if (!f) return unexpected{f.err()};

    // The other tables, by their time column.
    for (const auto& step : prune_steps) {
        const std::string table(step.table), file(step.file_column);
        // The rows of the step: its time before the cutoff (a day compared as YYYY-MM-DD text).
        std::string where = " WHERE " + std::string(step.time_column) + " < ?1";
        if (!step.only.empty()) where += " AND " + std::string(step.only);
        const auto bind_cutoff = [&](statement& st) {
            if (step.unit == prune_unit::day) st.bind(1, cutoff_text);
            else st.bind(1, cutoff);
        };
        if (!file.empty()) {
            statement s;
            const std::string sql = "SELECT DISTINCT " + file + " FROM " + table + where + " AND " + file + " IS NOT NULL AND " + file + " <> ''";
            auto p = s.prepare(db_, sql.c_str());
            if (!p) return unexpected{p.err()};
            bind_cutoff(s);
            int rc;
            while ((rc = s.step()) == SQLITE_ROW) files.insert(s.text(0));
            if (rc != SQLITE_DONE) return fail(s.error_text(rc));
        }
        statement del;
        const std::string sql = "DELETE FROM " + table + where;
        auto p = del.prepare(db_, sql.c_str());
        if (!p) return unexpected{p.err()};
        bind_cutoff(del);
        const int rc = del.step();
        if (rc != SQLITE_DONE) return fail(del.error_text(rc));
        sum.tables.emplace_back(table, sqlite3_changes64(db_));
    }
    // An input seen lately whose report went keeps its row, without the link.
    x = exec("UPDATE inputs SET report = NULL WHERE report IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = inputs.report)");
    if (!x) return unexpected{x.err()};

    // Only files no remaining row names.
    if (!files.empty()) {
        statement s;
        auto p = s.prepare(db_, "SELECT quarantine_path FROM inputs WHERE quarantine_path IS NOT NULL "
                                "UNION SELECT raw_sha256 FROM reports WHERE raw_sha256 IS NOT NULL");
        if (!p) return unexpected{p.err()};
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) files.erase(s.text(0));
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    }
    sum.quarantine_files.assign(files.begin(), files.end());
    return sum;
}

}  // namespace dmarcsight::store::sqlite
