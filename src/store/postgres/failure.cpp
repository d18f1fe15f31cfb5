// The PostgreSQL driver, failure reports (RFC 6591, RFC 9991): one row each in failure_reports
// (schema/postgres/0004_failure_reports.sql), keyed by store::failure_key; its unique constraint
// decides between workers.
#include <algorithm>

#include "core/time.hpp"
#include "store/failure_codec.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::optional<std::int64_t> day_start(const std::string& day) {
    if (day.empty()) return std::nullopt;
    return utc::parse_user_time(day, 0);
}

// The domain condition of a filter, its parameter being $1.
std::string domain_condition(const std::string& domain, bool subdomains) {
    if (domain.empty()) return "";
    return subdomains ? " AND (policy_domain = $1 OR right(policy_domain, length($1) + 1) = '.' || $1)" : " AND policy_domain = $1";
}

}  // namespace

result<inserted_report> postgres_store::insert_failure_report(const report::failure_report& r, std::string_view label) {
    const failure_key k = failure_key::of(r);
    const std::int64_t now = utc::now();
    pg::params ps;
    ps.text(k.reporter).text(k.sample_id).i64(k.arrival).text(k.source_ip).text(r.policy_domain());
    ps.i64(failure_report_time(r, now)).text(joined(r.auth_failure)).text(r.dkim_domain).text(r.dkim_selector);
    ps.boolean(r.best_effort).boolean(r.redacted).text(encode_failure(r)).text(label).i64(now);
    auto q = db_.query(
        "INSERT INTO failure_reports (reporter, sample_id, arrival, source_ip, policy_domain, report_time, auth_failure, "
        "dkim_domain, dkim_selector, best_effort, redacted, detail, input_label, ingested_at) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT (reporter, sample_id, arrival, source_ip) DO NOTHING "
        "RETURNING id",
        ps);
    if (!q) return unexpected{q.err()};
    if (q->rows() == 1) return inserted_report{q->i64(0, 0), false};
    auto found = db_.query("SELECT id FROM failure_reports WHERE reporter=$1 AND sample_id=$2 AND arrival=$3 AND source_ip=$4",
                           pg::params().text(k.reporter).text(k.sample_id).i64(k.arrival).text(k.source_ip));
    if (!found) return unexpected{found.err()};
    if (found->rows() == 0) return fail("failure report key of '" + std::string(label) + "' conflicts but no report holds it");
    return inserted_report{found->i64(0, 0), true};
}

result<void> postgres_store::undo_failure_report(std::int64_t id) {
    return db_.exec("DELETE FROM failure_reports WHERE id = $1", pg::params().i64(id));
}

result<std::int64_t> postgres_store::failure_report_count() {
    auto q = db_.query("SELECT count(*) FROM failure_reports");
    if (!q) return unexpected{q.err()};
    return q->i64(0, 0);
}

result<void> postgres_store::visit_failure_reports(const failure_filter& f,
                                                   const std::function<result<void>(const stored_failure&)>& each) {
    // Every parameter is always sent ($1..$4, NULL when unused) and typed by a cast, so the
    // numbering stays fixed whichever conditions apply.
    std::string sql =
        "SELECT id, detail, input_label, report_time, ingested_at FROM failure_reports WHERE ($1::text IS NULL OR TRUE) AND "
        "($2::bigint IS NULL OR TRUE) AND ($3::bigint IS NULL OR TRUE) AND ($4::bigint IS NULL OR TRUE)" +
        domain_condition(f.domain, f.include_subdomains);
    if (f.since) sql += " AND report_time >= $2";
    if (f.until) sql += " AND report_time < $3";
    sql += " ORDER BY report_time DESC, id DESC";
    if (f.limit) sql += " LIMIT $4";
    pg::params ps;
    ps.text_or_null(f.domain).i64_or_null(f.since).i64_or_null(f.until);
    if (f.limit) ps.i64(static_cast<std::int64_t>(f.limit));
    else ps.null();
    stored_failure row;
    return db_.each_row(sql, ps, [&](const pg::result_set& rs) -> result<void> {
        row.id = rs.i64(0, 0);
        auto d = decode_failure(rs.view(0, 1));
        if (!d) return fail("failure report #" + std::to_string(row.id) + ": " + d.err().message);
        row.report = std::move(*d);
        row.input_label = rs.text(0, 2);
        row.report_time = rs.i64(0, 3);
        row.ingested_at = rs.i64(0, 4);
        return each(row);
    });
}

result<std::vector<failure_source_count>> postgres_store::failure_counts_by_source(const fact_filter& f) {
    const auto since = day_start(f.since_day), until = day_start(f.until_day);
    std::string sql = "SELECT policy_domain, source_ip, count(*), min(report_time), max(report_time) FROM failure_reports "
                      "WHERE source_ip <> '' AND ($1::text IS NULL OR TRUE) AND ($2::bigint IS NULL OR TRUE) AND "
                      "($3::bigint IS NULL OR TRUE) AND ($4::text IS NULL OR TRUE)" +
                      domain_condition(f.domain, f.include_subdomains);
    if (since) sql += " AND report_time >= $2";
    if (until) sql += " AND report_time < $3";
    if (!f.source_ip.empty()) sql += " AND source_ip = $4";
    sql += " GROUP BY policy_domain, source_ip ORDER BY policy_domain COLLATE \"C\", source_ip COLLATE \"C\"";
    auto q = db_.query(sql, pg::params().text_or_null(f.domain).i64_or_null(since).i64_or_null(until).text_or_null(f.source_ip));
    if (!q) return unexpected{q.err()};
    std::vector<failure_source_count> out;
    for (int i = 0; i < q->rows(); ++i) {
        failure_source_count c{q->text(i, 0), q->text(i, 1), q->i64(i, 2), q->i64(i, 3), q->i64(i, 4)};
        if (!f.source_ips.empty() && std::find(f.source_ips.begin(), f.source_ips.end(), c.source_ip) == f.source_ips.end())
            continue;
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace dmarcsight::store::postgres
