// The SQLite driver: SMTP TLS reports (RFC 8460; tables tls_reports, tls_policies,
// tls_failure_details of schema/sqlite/0006_tls_reports.sql). One writer at a time (BEGIN
// IMMEDIATE), so a key find_tls_report did not find is never taken before insert_tls_report.
#include <limits>

#include "core/time.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

result<std::optional<existing_report>> sqlite_store::find_tls_report(const report::tls_report_key& k) {
    auto& s = stmt("SELECT id FROM tls_reports WHERE key_org = ?1 AND key_report_id = ?2");
    if (!s.get()) return fail(prepare_error_);
    s.reset();
    s.bind(1, k.org);
    s.bind(2, k.report_id);
    const int rc = s.step();
    std::optional<existing_report> found;
    if (rc == SQLITE_ROW) found = existing_report{s.i64(0)};
    const std::string why = rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string() : s.error_text(rc);
    s.reset();
    if (!why.empty()) return fail(why);
    return found;
}

result<inserted_report> sqlite_store::insert_tls_report(const report::tls_report& r, std::uint64_t content_hash,
                                                        std::string_view label) {
    const auto key = report::tls_report_key::of(r);
    auto ins = execute(
        "INSERT INTO tls_reports (key_org, key_report_id, organization_name, report_id, contact_info, start_datetime, "
        "end_datetime, begin_time, end_time, warnings, content_hash, input_label, ingested_at) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
        [&](statement& s) {
            s.bind(1, key.org);
            s.bind(2, key.report_id);
            s.bind(3, r.organization_name);
            s.bind(4, r.report_id);
            s.bind(5, r.contact_info);
            s.bind(6, r.start_datetime);
            s.bind(7, r.end_datetime);
            s.bind(8, r.begin);
            s.bind(9, r.end);
            if (r.warnings.empty()) s.bind_null(10);
            else s.bind(10, json_strings(r.warnings));
            s.bind(11, static_cast<std::int64_t>(content_hash));
            s.bind(12, label);
            s.bind(13, utc::now());
        });
    if (!ins) return unexpected{ins.err()};
    const auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    unit_tls_report_ = id;  // undone with the unit from here on
    std::int64_t seq = 0;
    for (const auto& p : r.policies) {
        auto pr = execute(
            "INSERT INTO tls_policies (report, seq, policy_type, policy_domain, policy_string, mx_host, "
            "successful_sessions, failed_sessions) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            [&](statement& s) {
                s.bind(1, id);
                s.bind(2, seq);
                s.bind(3, p.policy_type);
                s.bind(4, p.policy_domain);
                s.bind(5, json_strings(p.policy_string));
                s.bind(6, json_strings(p.mx_host));
                s.bind(7, p.total_successful_session_count);
                s.bind(8, p.total_failure_session_count);
            });
        if (!pr) return unexpected{pr.err()};
        ++seq;
        const auto policy_id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
        std::int64_t dseq = 0;
        for (const auto& f : p.failure_details) {
            auto fr = execute(
                "INSERT INTO tls_failure_details (policy, seq, result_type, sending_mta_ip, receiving_mx_hostname, "
                "receiving_mx_helo, receiving_ip, failed_session_count, additional_information, failure_reason_code) "
                "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                [&](statement& s) {
                    s.bind(1, policy_id);
                    s.bind(2, dseq);
                    s.bind(3, f.result_type);
                    s.bind(4, f.sending_mta_ip);
                    s.bind(5, f.receiving_mx_hostname);
                    s.bind(6, f.receiving_mx_helo);
                    s.bind(7, f.receiving_ip);
                    s.bind(8, f.failed_session_count);
                    s.bind(9, f.additional_information);
                    s.bind(10, f.failure_reason_code);
                });
            if (!fr) return unexpected{fr.err()};
            ++dseq;
        }
    }
    return inserted_report{id, false};
}

result<std::uint64_t> sqlite_store::tls_content_hash(std::int64_t report) {
    auto& s = stmt("SELECT content_hash FROM tls_reports WHERE id = ?1");
    if (!s.get()) return fail(prepare_error_);
    s.reset();
    s.bind(1, report);
    const int rc = s.step();
    if (rc != SQLITE_ROW) {
        const std::string why = rc == SQLITE_DONE ? "no TLS report #" + std::to_string(report) : s.error_text(rc);
        s.reset();
        return fail(why);
    }
    const auto v = static_cast<std::uint64_t>(s.i64(0));
    s.reset();
    return v;
}

result<void> sqlite_store::attach_tls_raw(std::int64_t report, std::string_view sha256) {
    return execute("UPDATE tls_reports SET raw_sha256 = ?2 WHERE id = ?1", [&](statement& s) {
        s.bind(1, report);
        s.bind(2, sha256);
    });
}

result<void> sqlite_store::undo_tls_report(std::int64_t report) {
    if (report == unit_tls_report_) unit_tls_report_ = -1;
    return delete_tls_report(report);
}

result<void> sqlite_store::delete_tls_report(std::int64_t id) {
    const auto by_id = [id](statement& s) { s.bind(1, id); };
    auto r = execute("DELETE FROM tls_failure_details WHERE policy IN (SELECT id FROM tls_policies WHERE report = ?1)", by_id);
    if (r) r = execute("DELETE FROM tls_policies WHERE report = ?1", by_id);
    if (r) r = execute("DELETE FROM tls_reports WHERE id = ?1", by_id);
    return r;
}

result<tls_totals> sqlite_store::tls_stats() {
    statement s;
    auto p = s.prepare(db_, "SELECT (SELECT count(*) FROM tls_reports), count(*), coalesce(sum(successful_sessions), 0), "
                            "coalesce(sum(failed_sessions), 0) FROM tls_policies");
    if (!p) return unexpected{p.err()};
    const int rc = s.step();
    if (rc != SQLITE_ROW) return fail(s.error_text(rc));
    tls_totals t;
    t.reports = s.i64(0);
    t.policies = s.i64(1);
    t.sessions_successful = s.i64(2);
    t.sessions_failed = s.i64(3);
    return t;
}

result<void> sqlite_store::visit_tls_reports(const query_filter& f,
                                              const std::function<result<void>(const stored_tls_report&)>& each) {
    // Reports first (their rows are small), then each one's policies and details: a reader holds
    // one report at a time.
    statement reports, policies, details;
    auto p = reports.prepare(db_, "SELECT id, organization_name, report_id, contact_info, start_datetime, end_datetime, "
                                  "begin_time, end_time, warnings, raw_sha256, input_label, ingested_at FROM tls_reports "
                                  "WHERE begin_time >= ?1 AND begin_time < ?2 ORDER BY begin_time, key_org, key_report_id");
    if (p) p = policies.prepare(db_, "SELECT id, policy_type, policy_domain, policy_string, mx_host, successful_sessions, "
                                     "failed_sessions FROM tls_policies WHERE report = ?1 ORDER BY seq");
    if (p) p = details.prepare(db_, "SELECT result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, "
                                    "receiving_ip, failed_session_count, additional_information, failure_reason_code "
                                    "FROM tls_failure_details WHERE policy = ?1 ORDER BY seq");
    if (!p) return p;
    reports.bind(1, f.since.value_or(std::numeric_limits<std::int64_t>::min()));
    reports.bind(2, f.until.value_or(std::numeric_limits<std::int64_t>::max()));
    int rc;
    while ((rc = reports.step()) == SQLITE_ROW) {
        stored_tls_report sr;
        sr.id = reports.i64(0);
        auto& r = sr.report;
        r.organization_name = reports.text(1);
        r.report_id = reports.text(2);
        r.contact_info = reports.text(3);
        r.start_datetime = reports.text(4);
        r.end_datetime = reports.text(5);
        r.begin = reports.i64(6);
        r.end = reports.i64(7);
        r.warnings = strings_from_json(reports.cstr(8));
        sr.raw_sha256 = reports.text(9);
        sr.input_label = reports.text(10);
        sr.ingested_at = reports.i64(11);
        policies.reset();
        policies.bind(1, sr.id);
        int prc;
        while ((prc = policies.step()) == SQLITE_ROW) {
            report::tls_policy pol;
            const std::int64_t policy_id = policies.i64(0);
            pol.policy_type = policies.text(1);
            pol.policy_domain = policies.text(2);
            pol.policy_string = strings_from_json(policies.cstr(3));
            pol.mx_host = strings_from_json(policies.cstr(4));
            pol.total_successful_session_count = policies.i64(5);
            pol.total_failure_session_count = policies.i64(6);
            details.reset();
            details.bind(1, policy_id);
            int drc;
            while ((drc = details.step()) == SQLITE_ROW) {
                report::tls_failure_detail d;
                d.result_type = details.text(0);
                d.sending_mta_ip = details.text(1);
                d.receiving_mx_hostname = details.text(2);
                d.receiving_mx_helo = details.text(3);
                d.receiving_ip = details.text(4);
                d.failed_session_count = details.i64(5);
                d.additional_information = details.text(6);
                d.failure_reason_code = details.text(7);
                pol.failure_details.push_back(std::move(d));
            }
            if (drc != SQLITE_DONE) return fail(details.error_text(drc));
            r.policies.push_back(std::move(pol));
        }
        if (prc != SQLITE_DONE) return fail(policies.error_text(prc));
        auto e = each(sr);
        if (!e) return e;
    }
    if (rc != SQLITE_DONE) return fail(reports.error_text(rc));
    return {};
}

}  // namespace dmarcsight::store::sqlite
