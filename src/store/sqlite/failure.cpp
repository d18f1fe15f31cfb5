// The SQLite driver, failure reports (RFC 6591, RFC 9991): one row each in failure_reports
// (schema/sqlite/0007_failure_reports.sql), keyed by store::failure_key.
#include <sqlite3.h>

#include "core/time.hpp"
#include "store/failure_codec.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

// YYYY-MM-DD → its midnight (fact_filter days).
std::optional<std::int64_t> day_start(const std::string& day) {
    if (day.empty()) return std::nullopt;
    return utc::parse_user_time(day, 0);
}

}  // namespace

result<inserted_report> sqlite_store::insert_failure_report(const report::failure_report& r, std::string_view label) {
    const failure_key k = failure_key::of(r);
    const std::int64_t now = utc::now();
    // One writer at a time (BEGIN IMMEDIATE): a key already present inserts nothing, and the
    // stored report's id is read back.
    auto ins = execute(
        "INSERT INTO failure_reports (reporter, sample_id, arrival, source_ip, policy_domain, report_time, auth_failure, "
        "dkim_domain, dkim_selector, best_effort, redacted, detail, input_label, ingested_at) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) ON CONFLICT (reporter, sample_id, arrival, source_ip) DO NOTHING",
        [&](statement& s) {
            s.bind(1, k.reporter);
            s.bind(2, k.sample_id);
            s.bind(3, k.arrival);
            s.bind(4, k.source_ip);
            s.bind(5, r.policy_domain());
            s.bind(6, failure_report_time(r, now));
            s.bind(7, joined(r.auth_failure));
            s.bind(8, r.dkim_domain);
            s.bind(9, r.dkim_selector);
            s.bind(10, std::int64_t{r.best_effort});
            s.bind(11, std::int64_t{r.redacted});
            s.bind(12, encode_failure(r));
            s.bind(13, label);
            s.bind(14, now);
        });
    if (!ins) return unexpected{ins.err()};
    if (sqlite3_changes(db_) == 1) return inserted_report{static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_)), false};
    auto& s = stmt("SELECT id FROM failure_reports WHERE reporter=?1 AND sample_id=?2 AND arrival=?3 AND source_ip=?4");
    if (!s.get()) return fail(prepare_error_);
    s.reset();
    s.bind(1, k.reporter);
    s.bind(2, k.sample_id);
    s.bind(3, k.arrival);
    s.bind(4, k.source_ip);
    const int rc = s.step();
    if (rc != SQLITE_ROW) {
        const std::string why = rc == SQLITE_DONE ? "failure report key conflicts but no report holds it" : s.error_text(rc);
        s.reset();
        return fail(why);
    }
    const std::int64_t id = s.i64(0);
    s.reset();
    return inserted_report{id, true};
}

result<void> sqlite_store::undo_failure_report(std::int64_t id) {
    return execute("DELETE FROM failure_reports WHERE id = ?1", [id](statement& s) { s.bind(1, id); });
}

result<std::int64_t> sqlite_store::failure_report_count() {
    auto& s = stmt("SELECT count(*) FROM failure_reports");
    if (!s.get()) return fail(prepare_error_);
    s.reset();
    const int rc = s.step();
    const std::int64_t n = rc == SQLITE_ROW ? s.i64(0) : 0;
    const std::string why = rc == SQLITE_ROW ? std::string() : s.error_text(rc);
    s.reset();
    if (rc != SQLITE_ROW) return fail(why);
    return n;
}

result<void> sqlite_store::visit_failure_reports(const failure_filter& f,
                                                 const std::function<result<void>(const stored_failure&)>& each) {
    std::string sql = "SELECT id, detail, input_label, report_time, ingested_at FROM failure_reports WHERE 1=1";
    if (!f.domain.empty())
        sql += f.include_subdomains ? " AND (policy_domain = ?1 OR substr(policy_domain, -length(?1) - 1) = '.' || ?1)"
                                    : " AND policy_domain = ?1";
    if (f.since) sql += " AND report_time >= ?2";
    if (f.until) sql += " AND report_time < ?3";
    sql += " ORDER BY report_time DESC, id DESC";
    if (f.limit) sql += " LIMIT ?4";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    if (!f.domain.empty()) s.bind(1, f.domain);
    if (f.since) s.bind(2, *f.since);
    if (f.until) s.bind(3, *f.until);
    if (f.limit) s.bind(4, static_cast<std::int64_t>(f.limit));
    int rc;
    stored_failure row;
    while ((rc = s.step()) == SQLITE_ROW) {
        row.id = s.i64(0);
        auto d = decode_failure(s.text(1));
        if (!d) return fail("failure report #" + std::to_string(row.id) + ": " + d.err().message);
        row.report = std::move(*d);
        row.input_label = s.text(2);
        row.report_time = s.i64(3);
        row.ingested_at = s.i64(4);
        auto r = each(row);
        if (!r) return r;
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return {};
}

result<std::vector<failure_source_count>> sqlite_store::failure_counts_by_source(const fact_filter& f) {
    std::string sql = "SELECT policy_domain, source_ip, count(*), min(report_time), max(report_time) FROM failure_reports "
                      "WHERE source_ip <> ''";
    if (!f.domain.empty())
        sql += f.include_subdomains ? " AND (policy_domain = ?1 OR substr(policy_domain, -length(?1) - 1) = '.' || ?1)"
                                    : " AND policy_domain = ?1";
    const auto since = day_start(f.since_day), until = day_start(f.until_day);
    if (since) sql += " AND report_time >= ?2";
    if (until) sql += " AND report_time < ?3";
    if (!f.source_ip.empty()) sql += " AND source_ip = ?4";
    sql += " GROUP BY policy_domain, source_ip ORDER BY policy_domain, source_ip";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return unexpected{p.err()};
    if (!f.domain.empty()) s.bind(1, f.domain);
    if (since) s.bind(2, *since);
    if (until) s.bind(3, *until);
    if (!f.source_ip.empty()) s.bind(4, f.source_ip);
    std::vector<failure_source_count> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        failure_source_count c{s.text(0), s.text(1), s.i64(2), s.i64(3), s.i64(4)};
        if (!f.source_ips.empty() && std::find(f.source_ips.begin(), f.source_ips.end(), c.source_ip) == f.source_ips.end())
            continue;
        out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

}  // namespace dmarcsight::store::sqlite
