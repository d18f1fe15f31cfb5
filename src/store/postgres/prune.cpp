// The PostgreSQL driver: retention (store/prune.hpp says what goes and why).
//
// Beside running ingest workers, without table locks (postgres_store_impl.hpp: workers must never
// wait for each other holding locks): one REPEATABLE READ transaction, so that every statement of
// the prune sees the same snapshot. A report a worker commits meanwhile, and the facts it commits
// with it, are both outside that snapshot: neither is touched, and they stay consistent with each
// other (a READ COMMITTED prune could delete such a report's facts and not the report). Ingest
// only appends facts, so they never conflict; a row another transaction changed after the
// snapshot (a rebuild, a warning added to an old report, an input seen again) makes the server
// refuse with a serialization failure, and the prune starts again from a new snapshot. Two prunes
// never run at once (a claim).
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "store/postgres/postgres_store_impl.hpp"
#include "store/prune.hpp"

namespace dmarcsight::store::postgres {

namespace {

constexpr std::size_t max_pending_rows = 16'384;
constexpr std::size_t ids_per_statement = 1000;
constexpr int max_attempts = 5;
// SQLSTATEs after which the whole transaction is tried again (PostgreSQL Appendix A).
constexpr std::string_view serialization_failure = "40001";
constexpr std::string_view deadlock_detected = "40P01";

}  // namespace

result<prune_summary> postgres_store::prune(std::int64_t cutoff_epoch, bool dry_run) {
    auto held = try_claim("prune");
    if (!held) return unexpected{held.err()};
    if (!*held) return fail("another dmarcsight prune of " + shown_ + " is running");
    const std::int64_t cutoff = prune_cutoff(cutoff_epoch);
    for (int attempt = 1;; ++attempt) {
        auto r = db_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
        if (!r) return unexpected{r.err()};
        in_batch_ = true;
        auto body = prune_in_transaction(cutoff);
        in_batch_ = false;
        facts_.clear();
        if (body && !dry_run) {
            auto c = db_.exec("COMMIT");
            if (c) return body;
            body = unexpected{c.err()};
        }
        const std::string state = db_.last_state();
        (void)db_.exec("ROLLBACK");
        if (body) return body;  // a dry run
        if ((state != serialization_failure && state != deadlock_detected) || attempt == max_attempts) return body;
        ::usleep(static_cast<useconds_t>(attempt) * 200'000);  // let the other transaction finish
    }
}

result<prune_summary> postgres_store::prune_in_transaction(std::int64_t cutoff) {
    prune_summary sum;
    sum.cutoff = cutoff;
    facts_.clear();
    const std::int64_t cutoff_day = utc::day_of(cutoff);
    const std::string cutoff_date = utc::format_date(cutoff);

    // Which reports go and which span the cutoff (only one beginning before it can count on a day
    // before it).
    std::vector<std::string> doomed;
    std::set<std::string> files;
    std::vector<std::pair<std::int64_t, report::report_header>> spanning;
    auto scan = db_.each_row("SELECT id, policy_domain, org_name, begin_time, end_time, record_count, raw_sha256 FROM reports "
                             "WHERE begin_time < $1 ORDER BY id",
                             pg::params().i64(cutoff), [&](const pg::result_set& row) -> result<void> {
                                 const std::int64_t begin = row.i64(0, 3), end = row.i64(0, 4);
                                 const report_fate f = fate_of(begin, end, cutoff);
                                 if (f == report_fate::remove) {
                                     doomed.push_back(row.text(0, 0));
                                     sum.records += row.i64(0, 5);
                                     if (!row.is_null(0, 6) && !row.view(0, 6).empty()) files.insert(row.text(0, 6));
                                 } else if (f == report_fate::rederive) {
                                     report::report_header h;
                                     h.policy.domain = row.text(0, 1);
                                     h.metadata.org_name = row.text(0, 2);
                                     h.metadata.begin = begin;
                                     h.metadata.end = end;
                                     spanning.emplace_back(row.i64(0, 0), std::move(h));
                                 }
                                 return {};
                             });
    if (!scan) return unexpected{scan.err()};
    for (std::size_t at = 0; at < doomed.size(); at += ids_per_statement) {
        const std::vector<std::string> some(doomed.begin() + static_cast<std::ptrdiff_t>(at),
                                            doomed.begin() + static_cast<std::ptrdiff_t>(std::min(doomed.size(), at + ids_per_statement)));
        const auto ids = pg::params().text(pg::array_literal(some));
        auto x = db_.exec("DELETE FROM record_blocks WHERE report_id = ANY($1::bigint[])", ids);
        if (x) x = db_.exec("DELETE FROM reports WHERE id = ANY($1::bigint[])", ids);
        if (!x) return unexpected{x.err()};
    }
    sum.reports = static_cast<std::int64_t>(doomed.size());

    // The facts of the days before the cutoff.
    auto n = db_.query("WITH d AS (DELETE FROM source_facts WHERE day < $1::date RETURNING 1) SELECT count(*) FROM d",
                       pg::params().text(cutoff_date));
    if (!n) return unexpected{n.err()};
    sum.fact_rows = n->i64(0, 0);

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
        std::string where = " WHERE " + std::string(step.time_column) + " < $1";
        if (!step.only.empty()) where += " AND " + std::string(step.only);
        const auto at = [&] { return step.unit == prune_unit::day ? pg::params().text(cutoff_date) : pg::params().i64(cutoff); };
        if (!file.empty()) {
            auto each = db_.each_row("SELECT DISTINCT " + file + " FROM " + table + where + " AND " + file + " IS NOT NULL AND " + file + " <> ''",
                                     at(), [&](const pg::result_set& row) -> result<void> {
                                         files.insert(row.text(0, 0));
                                         return {};
                                     });
            if (!each) return unexpected{each.err()};
        }
        auto gone = db_.query("WITH d AS (DELETE FROM " + table + where + " RETURNING 1) SELECT count(*) FROM d", at());
        if (!gone) return unexpected{gone.err()};
        sum.tables.emplace_back(table, gone->i64(0, 0));
    }
    // An input seen lately whose report went keeps its row, without the link.
    auto x = db_.exec("UPDATE inputs SET report = NULL WHERE report IS NOT NULL AND NOT EXISTS "
                      "(SELECT 1 FROM reports r WHERE r.id = inputs.report)");
    if (!x) return unexpected{x.err()};

    // Only files no remaining row names.
    if (!files.empty()) {
        auto each = db_.each_row("SELECT quarantine_path FROM inputs WHERE quarantine_path IS NOT NULL "
                                 "UNION SELECT raw_sha256 FROM reports WHERE raw_sha256 IS NOT NULL",
                                 pg::params(), [&](const pg::result_set& row) -> result<void> {
                                     files.erase(row.text(0, 0));
                                     return {};
                                 });
        if (!each) return unexpected{each.err()};
    }
    sum.quarantine_files.assign(files.begin(), files.end());
    return sum;
}

}  // namespace dmarcsight::store::postgres
