// The PostgreSQL driver: SMTP TLS reports (RFC 8460; tables of schema/postgres/0003_tls_reports.sql).
// Workers storing the same report at once: the report key's advisory lock is taken before the
// unit writes anything (postgres_store_impl.hpp says why), then the key's unique constraint
// decides and the second worker finds the first's report and records a duplicate.
#include <limits>

#include "core/time.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

// Advisory lock keys of TLS reports: their own kind in the top byte (write.cpp uses 1-3).
constexpr std::uint64_t tls_report_lock_kind = 8;
std::uint64_t tls_lock_key(const report::tls_report_key& k) {
    return (tls_report_lock_kind << 56) ^ (stable_hash(k.org + '\x1f' + k.report_id) & ((std::uint64_t{1} << 56) - 1));
}

}  // namespace

result<std::optional<existing_report>> postgres_store::find_tls_report(const report::tls_report_key& k) {
    auto q = db_.query("SELECT id FROM tls_reports WHERE key_org = $1 AND key_report_id = $2",
                       pg::params().text(k.org).text(k.report_id));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return std::optional<existing_report>();
    return std::optional<existing_report>(existing_report{q->i64(0, 0)});
}

result<inserted_report> postgres_store::insert_tls_report(const report::tls_report& r, std::uint64_t content_hash,
                                                          std::string_view label) {
    const auto key = report::tls_report_key::of(r);
    auto l = lock_key(tls_lock_key(key));
    if (!l) return unexpected{l.err()};
    pg::params ps;
    ps.text(key.org).text(key.report_id).text(r.organization_name).text(r.report_id).text(r.contact_info);
    ps.text(r.start_datetime).text(r.end_datetime).i64(r.begin).i64(r.end);
    if (r.warnings.empty()) ps.null();
    else ps.text(json_strings(r.warnings));
    ps.i64(static_cast<std::int64_t>(content_hash)).text(label).i64(utc::now());
    auto q = db_.query(
        "INSERT INTO tls_reports (key_org, key_report_id, organization_name, report_id, contact_info, start_datetime, "
        "end_datetime, begin_time, end_time, warnings, content_hash, input_label, ingested_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (key_org, key_report_id) DO NOTHING RETURNING id",
        ps);
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) {
        auto found = find_tls_report(key);
        if (!found) return unexpected{found.err()};
        if (!*found) return fail("TLS report key of '" + std::string(label) + "' conflicts but no report holds it");
        return inserted_report{(*found)->id, true};
    }
    const std::int64_t id = q->i64(0, 0);
    unit_tls_report_ = id;  // undone with the unit from here on
    std::int64_t seq = 0;
    for (const auto& p : r.policies) {
        auto pq = db_.query(
            "INSERT INTO tls_policies (report, seq, policy_type, policy_domain, policy_string, mx_host, "
            "successful_sessions, failed_sessions) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
            pg::params()
                .i64(id)
                .i64(seq++)
                .text(p.policy_type)
                .text(p.policy_domain)
                .text(json_strings(p.policy_string))
                .text(json_strings(p.mx_host))
                .i64(p.total_successful_session_count)
                .i64(p.total_failure_session_count));
        if (!pq) return unexpected{pq.err()};
        const std::int64_t policy_id = pq->i64(0, 0);
        std::int64_t dseq = 0;
        for (const auto& f : p.failure_details) {
            auto d = db_.exec(
                "INSERT INTO tls_failure_details (policy, seq, result_type, sending_mta_ip, receiving_mx_hostname, "
                "receiving_mx_helo, receiving_ip, failed_session_count, additional_information, failure_reason_code) "
                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                pg::params()
                    .i64(policy_id)
                    .i64(dseq++)
                    .text(f.result_type)
                    .text(f.sending_mta_ip)
                    .text(f.receiving_mx_hostname)
                    .text(f.receiving_mx_helo)
                    .text(f.receiving_ip)
                    .i64(f.failed_session_count)
                    .text(f.additional_information)
                    .text(f.failure_reason_code));
            if (!d) return unexpected{d.err()};
        }
    }
    return inserted_report{id, false};
}

result<std::uint64_t> postgres_store::tls_content_hash(std::int64_t report) {
    auto q = db_.query("SELECT content_hash FROM tls_reports WHERE id = $1", pg::params().i64(report));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return fail("no TLS report #" + std::to_string(report));
    return static_cast<std::uint64_t>(q->i64(0, 0));
}

result<void> postgres_store::attach_tls_raw(std::int64_t report, std::string_view sha256) {
    return db_.exec("UPDATE tls_reports SET raw_sha256 = $2 WHERE id = $1", pg::params().i64(report).text(sha256));
}

result<void> postgres_store::undo_tls_report(std::int64_t report) {
    if (report == unit_tls_report_) unit_tls_report_ = -1;
    return delete_tls_report(report);
}

// Policies and failure details go with the report (ON DELETE CASCADE).
result<void> postgres_store::delete_tls_report(std::int64_t id) {
    return db_.exec("DELETE FROM tls_reports WHERE id = $1", pg::params().i64(id));
}

result<tls_totals> postgres_store::tls_stats() {
    auto q = db_.query("SELECT (SELECT count(*) FROM tls_reports), count(*), coalesce(sum(successful_sessions), 0), "
                       "coalesce(sum(failed_sessions), 0) FROM tls_policies");
    if (!q) return unexpected{q.err()};
    tls_totals t;
    t.reports = q->i64(0, 0);
    t.policies = q->i64(0, 1);
    t.sessions_successful = q->i64(0, 2);
    t.sessions_failed = q->i64(0, 3);
    return t;
}

result<void> postgres_store::visit_tls_reports(const query_filter& f,
                                                const std::function<result<void>(const stored_tls_report&)>& each) {
    // The report rows first (small), then each report's policies and details; `each` may use the
    // store between reports (one libpq connection runs one statement at a time).
    auto q = db_.query("SELECT id, organization_name, report_id, contact_info, start_datetime, end_datetime, begin_time, "
                       "end_time, warnings, raw_sha256, input_label, ingested_at FROM tls_reports "
                       "WHERE begin_time >= $1 AND begin_time < $2 ORDER BY begin_time, key_org, key_report_id",
                       pg::params()
                           .i64(f.since.value_or(std::numeric_limits<std::int64_t>::min()))
                           .i64(f.until.value_or(std::numeric_limits<std::int64_t>::max())));
    if (!q) return unexpected{q.err()};
    for (int i = 0; i < q->rows(); ++i) {
        stored_tls_report sr;
        sr.id = q->i64(i, 0);
        auto& r = sr.report;
        r.organization_name = q->text(i, 1);
        r.report_id = q->text(i, 2);
        r.contact_info = q->text(i, 3);
        r.start_datetime = q->text(i, 4);
        r.end_datetime = q->text(i, 5);
        r.begin = q->i64(i, 6);
        r.end = q->i64(i, 7);
        if (!q->is_null(i, 8)) r.warnings = strings_from_json(q->view(i, 8));
        sr.raw_sha256 = q->text(i, 9);
        sr.input_label = q->text(i, 10);
        sr.ingested_at = q->i64(i, 11);
        auto pq = db_.query("SELECT id, policy_type, policy_domain, policy_string, mx_host, successful_sessions, "
                            "failed_sessions FROM tls_policies WHERE report = $1 ORDER BY seq",
                            pg::params().i64(sr.id));
        if (!pq) return unexpected{pq.err()};
        auto dq = db_.query("SELECT d.policy, d.result_type, d.sending_mta_ip, d.receiving_mx_hostname, d.receiving_mx_helo, "
                            "d.receiving_ip, d.failed_session_count, d.additional_information, d.failure_reason_code "
                            "FROM tls_failure_details d JOIN tls_policies p ON p.id = d.policy WHERE p.report = $1 "
                            "ORDER BY p.seq, d.seq",
                            pg::params().i64(sr.id));
        if (!dq) return unexpected{dq.err()};
        int d = 0;
        for (int k = 0; k < pq->rows(); ++k) {
            report::tls_policy pol;
            const std::int64_t policy_id = pq->i64(k, 0);
            pol.policy_type = pq->text(k, 1);
            pol.policy_domain = pq->text(k, 2);
            pol.policy_string = strings_from_json(pq->view(k, 3));
            pol.mx_host = strings_from_json(pq->view(k, 4));
            pol.total_successful_session_count = pq->i64(k, 5);
            pol.total_failure_session_count = pq->i64(k, 6);
            // Details come in policy order: this policy's are the next rows that name it.
            for (; d < dq->rows() && dq->i64(d, 0) == policy_id; ++d) {
                report::tls_failure_detail fd;
                fd.result_type = dq->text(d, 1);
                fd.sending_mta_ip = dq->text(d, 2);
                fd.receiving_mx_hostname = dq->text(d, 3);
                fd.receiving_mx_helo = dq->text(d, 4);
                fd.receiving_ip = dq->text(d, 5);
                fd.failed_session_count = dq->i64(d, 6);
                fd.additional_information = dq->text(d, 7);
                fd.failure_reason_code = dq->text(d, 8);
                pol.failure_details.push_back(std::move(fd));
            }
            r.policies.push_back(std::move(pol));
        }
        auto e = each(sr);
        if (!e) return e;
    }
    return {};
}

}  // namespace dmarcsight::store::postgres
