// The SQLite driver, part 3: the queries. Records live in blocks (store/record_codec.hpp), so
// per-record questions decode blocks here; the per-day facts for analysis are in facts.cpp.
#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

#include "core/text.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

std::int64_t saturate(double v) {
    if (!(v >= 0)) return 0;
    if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
    return static_cast<std::int64_t>(v);
}

// WHERE clause over reports aliased r; binds start at 1.
std::string filter_sql(const query_filter& f) {
    std::string w = " WHERE 1";
    if (!f.domain.empty()) {
        w += f.include_subdomains ? " AND (r.policy_domain = ?1 OR substr(r.policy_domain, -length(?1) - 1) = '.' || ?1)"
                                  : " AND r.policy_domain = ?1";
    }
    if (f.since) w += " AND r.begin_time >= ?2";
    if (f.until) w += " AND r.begin_time < ?3";
    return w;
}
void bind_filter(statement& s, const query_filter& f) {
    if (!f.domain.empty()) s.bind(1, f.domain);
    if (f.since) s.bind(2, *f.since);
    if (f.until) s.bind(3, *f.until);
}

}  // namespace

// --- reading -----------------------------------------------------------------------------
// PRAGMA data_version changes on this connection whenever another connection, of this process or
// another, commits (https://sqlite.org/pragma.html#pragma_data_version); this connection's own
// commits are counted beside it.
result<std::string> sqlite_store::change_marker() {
    statement s;
    auto p = s.prepare(db_, "PRAGMA data_version");
    if (!p) return unexpected{p.err()};
    if (s.step() != SQLITE_ROW) return sql_error();
    return "sqlite:" + std::to_string(s.i64(0)) + ":" + std::to_string(sqlite3_total_changes64(db_));
}

result<store_stats> sqlite_store::stats() {
    store_stats st;
    {
        statement s;
        auto p = s.prepare(db_, "SELECT count(*), total(record_count), total(message_count), count(DISTINCT policy_domain), "
                                "min(begin_time), max(end_time) FROM reports");
        if (!p) return unexpected{p.err()};
        if (s.step() != SQLITE_ROW) return sql_error();
        st.aggregate_reports = s.i64(0);
        st.records = saturate(s.dbl(1));
        st.messages = saturate(s.dbl(2));
        st.policy_domains = s.i64(3);
        if (!s.is_null(4)) st.first_begin = s.i64(4);
        if (!s.is_null(5)) st.last_end = s.i64(5);
    }
    statement s;
    auto p = s.prepare(db_, "SELECT outcome, count(*) FROM inputs WHERE current = 1 GROUP BY outcome");
    if (!p) return unexpected{p.err()};
    while (s.step() == SQLITE_ROW) {
        const std::string o = s.text(0);
        if (o == "rejected") st.rejected_inputs = s.i64(1);
        else if (o == "skipped") st.skipped_inputs = s.i64(1);
        else if (o == "duplicate") st.duplicate_inputs = s.i64(1);
    }
    return st;
}

result<void> sqlite_store::visit_reports(const query_filter& f, report_visitor& v) {
    const std::string sql =
        "SELECT r.id, r.org_name, r.org_email, r.org_extra_contact, r.report_id, r.generator, r.errors, r.xml_schema, "
        "r.xml_namespace, r.begin_time, r.end_time, r.policy_domain, r.adkim, r.aspf, r.p, r.sp, r.np, r.pct, r.fo, "
        "r.testing, r.discovery_method, r.record_count, r.message_count, r.dropped_records, r.warnings, r.input_label, "
        "r.raw_sha256, r.content_hash, r.ingested_at FROM reports r" +
        filter_sql(f) + " ORDER BY r.begin_time, r.policy_domain, r.key_org, r.key_report_id, r.end_time";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return unexpected{p.err()};
    bind_filter(s, f);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        stored_report sr;
        sr.id = s.i64(0);
        auto& m = sr.header.metadata;
        m.org_name = s.text(1);
        m.email = s.text(2);
        m.extra_contact_info = s.text(3);
        m.report_id = s.text(4);
        m.generator = s.text(5);
        m.errors = strings_from_json(s.cstr(6));
        sr.header.xml_schema = s.text(7);
        sr.header.xml_namespace = s.text(8);
        m.begin = s.i64(9);
        m.end = s.i64(10);
        auto& pp = sr.header.policy;
        pp.domain = s.text(11);
        pp.adkim = s.text(12);
        pp.aspf = s.text(13);
        pp.p = s.text(14);
        pp.sp = s.text(15);
        pp.np = s.text(16);
        if (!s.is_null(17)) pp.pct = static_cast<int>(s.i64(17));
        pp.fo = s.text(18);
        pp.testing = s.text(19);
        pp.discovery_method = s.text(20);
        sr.totals.records = static_cast<std::uint64_t>(s.i64(21));
        sr.totals.messages = static_cast<std::uint64_t>(s.i64(22));
        sr.totals.dropped_records = static_cast<std::uint64_t>(s.i64(23));
        sr.totals.warnings = strings_from_json(s.cstr(24));
        sr.input_label = s.text(25);
        sr.totals.raw_sha256 = s.text(26);
        if (!s.is_null(27)) sr.totals.content_hash = static_cast<std::uint64_t>(s.i64(27));
        sr.totals.ingested_at = s.i64(28);
        auto b = v.begin_report(sr);
        if (!b) return b;
        if (v.wants_records()) {
            auto recs = for_each_record(sr.id, [&](const report::record& r) { return v.on_record(r); });
            if (!recs) return recs;
        }
        auto e = v.end_report();
        if (!e) return e;
    }
    if (rc != SQLITE_DONE) return sql_error();
    return {};
}

result<std::vector<input_row>> sqlite_store::inputs(const input_filter& f) {
    statement s;
    auto p = s.prepare(db_, f.history ? "SELECT label, sha256, size, kind, reason, quarantine_path, report, seen_at, first_seen, "
                                        "times_seen, current FROM inputs WHERE outcome = ?1 ORDER BY seen_at, id"
                                      : "SELECT label, sha256, size, kind, reason, quarantine_path, report, seen_at, first_seen, "
                                        "times_seen, current FROM inputs WHERE outcome = ?1 AND current = 1 ORDER BY seen_at, id");
    if (!p) return unexpected{p.err()};
    s.bind(1, to_string(f.result));
    std::vector<input_row> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        input_row r;
        r.label = s.text(0);
        r.sha256 = s.text(1);
        r.size = static_cast<std::uint64_t>(s.i64(2));
        r.result = f.result;
        r.kind = s.text(3);
        r.reason = s.text(4);
        r.quarantine_path = s.text(5);
        if (!s.is_null(6)) r.report = s.i64(6);
        r.seen_at = s.i64(7);
        r.first_seen = s.is_null(8) ? r.seen_at : s.i64(8);
        r.times_seen = s.i64(9);
        r.current = s.i64(10) != 0;
        out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<std::vector<std::string>> sqlite_store::policy_domains() {
    statement s;
    auto p = s.prepare(db_, "SELECT DISTINCT policy_domain FROM reports ORDER BY 1");
    if (!p) return unexpected{p.err()};
    std::vector<std::string> out;
    while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
    return out;
}

result<std::vector<std::pair<std::string, std::string>>> sqlite_store::dkim_selectors() {
    statement s;
    auto p = s.prepare(db_, "SELECT id FROM reports ORDER BY id");
    if (!p) return unexpected{p.err()};
    std::set<std::pair<std::string, std::string>> seen;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        auto r = for_each_record(s.i64(0), [&](const report::record& rec) -> result<void> {
            for (const auto& d : rec.dkim_results)
                if (!d.selector.empty() && !d.domain.empty()) seen.emplace(text::normalize_domain(d.domain), d.selector);
            return {};
        });
        if (!r) return unexpected{r.err()};
    }
    if (rc != SQLITE_DONE) return sql_error();
    return std::vector<std::pair<std::string, std::string>>(seen.begin(), seen.end());
}

}  // namespace dmarcsight::store::sqlite
