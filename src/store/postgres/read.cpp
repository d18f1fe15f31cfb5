// The PostgreSQL driver, part 3: reports and inputs. Records live in blocks
// (store/record_codec.hpp) decoded here; the analysis facts are in facts.cpp.
#include <set>

#include "core/text.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

// Reports are read a page at a time (keyset pagination on begin_time, id) so that the blocks of
// each can be streamed on the same connection in between.
constexpr int report_page = 500;

// WHERE clause over reports aliased r; $1 domain, $2 since, $3 until, $4..$8 the page's last
// (begin_time, policy_domain, key_org, key_report_id, end_time): the order of visit_reports.
// Every parameter is always bound (unused ones NULL).
std::string filter_sql(const query_filter& f) {
    std::string w = " WHERE ($4::bigint IS NULL OR (r.begin_time, r.policy_domain, r.key_org, r.key_report_id, r.end_time) > "
                    "($4, $5, $6, $7, $8))";
    if (!f.domain.empty())
        w += f.include_subdomains ? " AND (r.policy_domain = $1 OR right(r.policy_domain, length($1) + 1) = '.' || $1)"
                                  : " AND r.policy_domain = $1";
    else w += " AND $1::text IS NULL";
    w += f.since ? " AND r.begin_time >= $2" : " AND $2::bigint IS NULL";
    w += f.until ? " AND r.begin_time < $3" : " AND $3::bigint IS NULL";
    return w;
}

}  // namespace

// The store's own change counter (schema/postgres/0005_change_counter.sql): it moves exactly when
// a transaction that wrote the store commits, and with nothing else on the cluster.
result<std::string> postgres_store::change_marker() {
    auto q = db_.query("SELECT coalesce(sum(n), 0)::text FROM store_changes");
    if (!q) return unexpected{q.err()};
    return "pg:" + std::string(q->view(0, 0));
}

result<store_stats> postgres_store::stats() {
    store_stats st;
    auto q = db_.query("SELECT count(*), coalesce(sum(record_count), 0), coalesce(sum(message_count), 0), "
                       "count(DISTINCT policy_domain), min(begin_time), max(end_time) FROM reports");
    if (!q) return unexpected{q.err()};
    st.aggregate_reports = q->i64(0, 0);
    st.records = q->i64(0, 1);
    st.messages = q->i64(0, 2);
    st.policy_domains = q->i64(0, 3);
    if (!q->is_null(0, 4)) st.first_begin = q->i64(0, 4);
    if (!q->is_null(0, 5)) st.last_end = q->i64(0, 5);
    auto o = db_.query("SELECT outcome, count(*) FROM inputs WHERE current GROUP BY outcome");
    if (!o) return unexpected{o.err()};
    for (int i = 0; i < o->rows(); ++i) {
        const std::string_view what = o->view(i, 0);
        if (what == "rejected") st.rejected_inputs = o->i64(i, 1);
        else if (what == "skipped") st.skipped_inputs = o->i64(i, 1);
        else if (what == "duplicate") st.duplicate_inputs = o->i64(i, 1);
    }
    return st;
}

result<void> postgres_store::visit_reports(const query_filter& f, report_visitor& v) {
    const std::string sql =
        "SELECT r.id, r.org_name, r.org_email, r.org_extra_contact, r.report_id, r.generator, r.errors, r.xml_schema, "
        "r.xml_namespace, r.begin_time, r.end_time, r.policy_domain, r.adkim, r.aspf, r.p, r.sp, r.np, r.pct, r.fo, "
        "r.testing, r.discovery_method, r.record_count, r.message_count, r.dropped_records, r.warnings, r.input_label, "
        "r.raw_sha256, r.content_hash, r.ingested_at, r.key_org, r.key_report_id FROM reports r" +
        filter_sql(f) + " ORDER BY r.begin_time, r.policy_domain, r.key_org, r.key_report_id, r.end_time LIMIT " +
        std::to_string(report_page);
    std::optional<std::int64_t> after_begin, after_end;
    std::string after_domain, after_org, after_id;
    for (;;) {
        pg::params ps;
        if (!f.domain.empty()) ps.text(f.domain);
        else ps.null();
        ps.i64_or_null(f.since).i64_or_null(f.until).i64_or_null(after_begin);
        if (after_begin) ps.text(after_domain).text(after_org).text(after_id).i64(*after_end);
        else ps.null().null().null().null();
        auto q = db_.query(sql, ps);
        if (!q) return unexpected{q.err()};
        for (int i = 0; i < q->rows(); ++i) {
            stored_report sr;
            sr.id = q->i64(i, 0);
            auto& m = sr.header.metadata;
            m.org_name = q->text(i, 1);
            m.email = q->text(i, 2);
            m.extra_contact_info = q->text(i, 3);
            m.report_id = q->text(i, 4);
            m.generator = q->text(i, 5);
            m.errors = strings_from_json(q->view(i, 6));
            sr.header.xml_schema = q->text(i, 7);
            sr.header.xml_namespace = q->text(i, 8);
            m.begin = q->i64(i, 9);
            m.end = q->i64(i, 10);
            auto& pp = sr.header.policy;
            pp.domain = q->text(i, 11);
            pp.adkim = q->text(i, 12);
            pp.aspf = q->text(i, 13);
            pp.p = q->text(i, 14);
            pp.sp = q->text(i, 15);
            pp.np = q->text(i, 16);
            if (!q->is_null(i, 17)) pp.pct = static_cast<int>(q->i64(i, 17));
            pp.fo = q->text(i, 18);
            pp.testing = q->text(i, 19);
            pp.discovery_method = q->text(i, 20);
            sr.totals.records = static_cast<std::uint64_t>(q->i64(i, 21));
            sr.totals.messages = static_cast<std::uint64_t>(q->i64(i, 22));
            sr.totals.dropped_records = static_cast<std::uint64_t>(q->i64(i, 23));
            sr.totals.warnings = strings_from_json(q->view(i, 24));
            sr.input_label = q->text(i, 25);
            sr.totals.raw_sha256 = q->text(i, 26);
            if (!q->is_null(i, 27)) sr.totals.content_hash = static_cast<std::uint64_t>(q->i64(i, 27));
            sr.totals.ingested_at = q->i64(i, 28);
            auto b = v.begin_report(sr);
            if (!b) return b;
            if (v.wants_records()) {
                auto recs = for_each_record(sr.id, [&](const report::record& r) { return v.on_record(r); });
                if (!recs) return recs;
            }
            auto e = v.end_report();
            if (!e) return e;
            after_begin = m.begin;
            after_domain = pp.domain;
            after_org = q->text(i, 29);
            after_id = q->text(i, 30);
            after_end = m.end;
        }
        if (q->rows() < report_page) return {};
    }
}

result<std::vector<input_row>> postgres_store::inputs(const input_filter& f) {
    auto q = db_.query(f.history ? "SELECT label, sha256, size, kind, reason, quarantine_path, report, seen_at, first_seen, "
                                   "times_seen, current FROM inputs WHERE outcome = $1 ORDER BY seen_at, id"
                                 : "SELECT label, sha256, size, kind, reason, quarantine_path, report, seen_at, first_seen, "
                                   "times_seen, current FROM inputs WHERE outcome = $1 AND current ORDER BY seen_at, id",
                       pg::params().text(to_string(f.result)));
    if (!q) return unexpected{q.err()};
    std::vector<input_row> out;
    for (int i = 0; i < q->rows(); ++i) {
        input_row r;
        r.label = q->text(i, 0);
        r.sha256 = q->text(i, 1);
        r.size = static_cast<std::uint64_t>(q->i64(i, 2));
        r.result = f.result;
        r.kind = q->text(i, 3);
        r.reason = q->text(i, 4);
        r.quarantine_path = q->text(i, 5);
        if (!q->is_null(i, 6)) r.report = q->i64(i, 6);
        r.seen_at = q->i64(i, 7);
        r.first_seen = q->is_null(i, 8) ? r.seen_at : q->i64(i, 8);
        r.times_seen = q->i64(i, 9);
        r.current = q->boolean(i, 10);
        out.push_back(std::move(r));
    }
    return out;
}

result<std::vector<std::string>> postgres_store::policy_domains() {
    auto q = db_.query("SELECT DISTINCT policy_domain FROM reports ORDER BY 1");
    if (!q) return unexpected{q.err()};
    std::vector<std::string> out;
    for (int i = 0; i < q->rows(); ++i) out.push_back(q->text(i, 0));
    return out;
}

result<std::vector<std::pair<std::string, std::string>>> postgres_store::dkim_selectors() {
    auto ids = db_.query("SELECT id FROM reports ORDER BY id");
    if (!ids) return unexpected{ids.err()};
    std::set<std::pair<std::string, std::string>> seen;
    for (int i = 0; i < ids->rows(); ++i) {
        auto r = for_each_record(ids->i64(i, 0), [&](const report::record& rec) -> result<void> {
            for (const auto& d : rec.dkim_results)
                if (!d.selector.empty() && !d.domain.empty()) seen.emplace(text::normalize_domain(d.domain), d.selector);
            return {};
        });
        if (!r) return unexpected{r.err()};
    }
    return std::vector<std::pair<std::string, std::string>>(seen.begin(), seen.end());
}

}  // namespace dmarcsight::store::postgres
