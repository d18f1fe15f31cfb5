// The SQLite driver, part 4: the analysis facts (store/facts.hpp; tables source_day and
// source_reporter of schema/sqlite/0003_source_facts.sql). The ingest adds each kept report's
// records to an in-memory accumulator; it is written with one UPSERT per row at the end of the
// batch (or when it grows large), in the batch's transaction, so a report's facts commit with it
// or not at all, and a duplicate (never stored) adds none.
#include <algorithm>
#include <cstdint>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The accumulator is written out when it holds this many rows (memory stays bounded in a batch
// of 200,000 records).
constexpr std::size_t max_pending_fact_rows = 60'000;

std::string measure_columns(const char* prefix = "") {
    std::string out;
    source_measures m;
    for_each_measure(m, [&](const char* name, std::int64_t&) {
        if (!out.empty()) out += ", ";
        out += prefix;
        out += name;
    });
    return out;
}

const std::string& upsert_day_sql() {
    static const std::string sql = [] {
        std::string cols = measure_columns();
        std::string params, updates;
        source_measures m;
        int i = 5;
        for_each_measure(m, [&](const char* name, std::int64_t&) {
            params += ", ?" + std::to_string(i++);
            if (!updates.empty()) updates += ", ";
            updates += std::string(name) + " = source_day." + name + " + excluded." + name;
        });
        return "INSERT INTO source_day (policy_domain, source_ip, day, header_from, " + cols +
               ", foreign_spf_domain, foreign_dkim_domain) VALUES (?1, ?2, ?3, ?4" + params + ", ?" + std::to_string(i) +
               ", ?" + std::to_string(i + 1) + ") ON CONFLICT (policy_domain, source_ip, day, header_from) DO UPDATE SET " +
               updates +
               ", foreign_spf_domain = coalesce(source_day.foreign_spf_domain, excluded.foreign_spf_domain)"
               ", foreign_dkim_domain = coalesce(source_day.foreign_dkim_domain, excluded.foreign_dkim_domain)";
    }();
    return sql;
}

// WHERE over source_day / source_reporter (no alias); binds ?1 domain, ?2 since, ?3 until, ?4 ip.
std::string fact_where(const fact_filter& f, bool reporter_table) {
    std::string w = " WHERE 1";
    if (!f.domain.empty())
        w += f.include_subdomains ? " AND (policy_domain = ?1 OR substr(policy_domain, -length(?1) - 1) = '.' || ?1)"
                                  : " AND policy_domain = ?1";
    if (reporter_table) {
        if (!f.since_day.empty()) w += " AND last_day >= ?2";
        if (!f.until_day.empty()) w += " AND first_day < ?3";
    } else {
        if (!f.since_day.empty()) w += " AND day >= ?2";
        if (!f.until_day.empty()) w += " AND day < ?3";
    }
    if (!f.source_ip.empty()) w += " AND source_ip = ?4";
    return w;
}
void bind_fact_filter(statement& s, const fact_filter& f) {
    if (!f.domain.empty()) s.bind(1, f.domain);
    if (!f.since_day.empty()) s.bind(2, f.since_day);
    if (!f.until_day.empty()) s.bind(3, f.until_day);
    if (!f.source_ip.empty()) s.bind(4, f.source_ip);
}

}  // namespace

result<void> sqlite_store::flush_facts() {
    if (facts_.empty()) return {};
    auto& d = stmt(upsert_day_sql().c_str());
    if (!d.get()) return fail(prepare_error_);
    for (const auto& [key, row] : facts_.days()) {
        if (row.records == 0) continue;  // only undone records went into it
        d.reset();
        d.bind(1, key.policy_domain);
        d.bind(2, key.source_ip);
        d.bind(3, key.day);
        d.bind(4, key.header_from);
        int i = 5;
        for_each_measure(row.m, [&](const char*, const std::int64_t& v) { d.bind(i++, v); });
        d.bind_or_null(i, row.foreign_spf_domain);
        d.bind_or_null(i + 1, row.foreign_dkim_domain);
        const int rc = d.step();
        if (rc != SQLITE_DONE) {
            const std::string why = d.error_text(rc);
            d.reset();
            return fail(why);
        }
    }
    d.reset();
    auto& r = stmt(
        "INSERT INTO source_reporter (policy_domain, source_ip, reporter, first_day, last_day, messages) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (policy_domain, source_ip, reporter) DO UPDATE SET "
        "first_day = min(source_reporter.first_day, excluded.first_day), "
        "last_day = max(source_reporter.last_day, excluded.last_day), "
        "messages = source_reporter.messages + excluded.messages");
    if (!r.get()) return fail(prepare_error_);
    for (const auto& [key, row] : facts_.reporters()) {
        if (row.records == 0) continue;
        r.reset();
        r.bind(1, key.policy_domain);
        r.bind(2, key.source_ip);
        r.bind(3, key.reporter);
        r.bind(4, row.first_day);
        r.bind(5, row.last_day);
        r.bind(6, row.messages);
        const int rc = r.step();
        if (rc != SQLITE_DONE) {
            const std::string why = r.error_text(rc);
            r.reset();
            return fail(why);
        }
    }
    r.reset();
    facts_.clear();
    return {};
}

result<void> sqlite_store::add_record_facts(const report::record& rec) {
    facts_.add_record(unit_header_, rec);
    if (facts_.size() >= max_pending_fact_rows) return flush_facts();
    return {};
}

// Subtracts a stored report's facts (it is being undone within its batch): its records in the
// database, and those still waiting in the block buffer.
result<void> sqlite_store::subtract_report_facts(std::int64_t report) {
    statement s;
    auto p = s.prepare(db_, "SELECT policy_domain, org_name, begin_time, end_time FROM reports WHERE id = ?1");
    if (!p) return p;
    s.bind(1, report);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return fail(s.error_text(rc));
    report::report_header h;
    h.policy.domain = s.text(0);
    h.metadata.org_name = s.text(1);
    h.metadata.begin = s.i64(2);
    h.metadata.end = s.i64(3);
    s.reset();
    if (report == block_report_ && block_records_ > 0) {
        record_decoder dec(block_);
        report::record rec;
        while (!dec.done()) {
            auto d = dec.next(rec);
            if (!d) return d;
            facts_.add_record(h, rec, -1);
        }
    }
    return for_each_record(report, [&](const report::record& rec) -> result<void> {
        facts_.add_record(h, rec, -1);
        return {};
    });
}

result<void> sqlite_store::source_days(const fact_filter& f, const std::function<result<void>(const source_day_row&)>& each) {
    const std::string sql = "SELECT policy_domain, source_ip, day, header_from, " + measure_columns() +
                            ", foreign_spf_domain, foreign_dkim_domain FROM source_day" + fact_where(f, false) +
                            " ORDER BY policy_domain, source_ip, day, header_from";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    bind_fact_filter(s, f);
    source_day_row row;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        row.key.policy_domain = s.text(0);
        row.key.source_ip = s.text(1);
        row.key.day = s.text(2);
        row.key.header_from = s.text(3);
        int i = 4;
        for_each_measure(row.m, [&](const char*, std::int64_t& v) { v = s.i64(i++); });
        row.foreign_spf_domain = s.text(i);
        row.foreign_dkim_domain = s.text(i + 1);
        auto r = each(row);
        if (!r) return r;
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return {};
}

result<void> sqlite_store::source_reporters(const fact_filter& f,
                                            const std::function<result<void>(const source_reporter_row&)>& each) {
    const std::string sql = "SELECT policy_domain, source_ip, reporter, first_day, last_day, messages FROM source_reporter" +
                            fact_where(f, true) + " ORDER BY policy_domain, source_ip, reporter";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    bind_fact_filter(s, f);
    source_reporter_row row;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        row.key.policy_domain = s.text(0);
        row.key.source_ip = s.text(1);
        row.key.reporter = s.text(2);
        row.first_day = s.text(3);
        row.last_day = s.text(4);
        row.messages = s.i64(5);
        auto r = each(row);
        if (!r) return r;
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return {};
}

result<void> sqlite_store::source_volumes(const fact_filter& f, const std::function<result<void>(const source_volume&)>& each) {
    // Grouped in key order (the table is clustered on it): no sort, no temporary B-tree.
    const std::string sql = "SELECT policy_domain, source_ip, total(messages) FROM source_day" + fact_where(f, false) +
                            " GROUP BY policy_domain, source_ip";
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    bind_fact_filter(s, f);
    source_volume v;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        v.policy_domain = s.text(0);
        v.source_ip = s.text(1);
        // total() (a double) cannot overflow where sum() would fail; precision past 2^53 only
        // affects which of two enormous sources ranks first.
        const double t = s.dbl(2);
        v.messages = t >= 9.2e18 ? INT64_MAX : static_cast<std::int64_t>(t);
        auto r = each(v);
        if (!r) return r;
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return {};
}

result<std::vector<domain_row>> sqlite_store::domains(const fact_filter& f) {
    std::vector<domain_row> out;
    {
        const std::string sql =
            "SELECT policy_domain, total(messages), total(dmarc_pass_messages), count(DISTINCT source_ip), min(day), max(day) "
            "FROM source_day" +
            fact_where(f, false) + " GROUP BY policy_domain ORDER BY policy_domain";
        statement s;
        auto p = s.prepare(db_, sql.c_str());
        if (!p) return unexpected{p.err()};
        bind_fact_filter(s, f);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            domain_row d;
            d.policy_domain = s.text(0);
            d.messages = s.dbl(1) >= 9.2e18 ? INT64_MAX : static_cast<std::int64_t>(s.dbl(1));
            d.dmarc_pass = s.dbl(2) >= 9.2e18 ? INT64_MAX : static_cast<std::int64_t>(s.dbl(2));
            d.sources = s.i64(3);
            d.first_day = s.text(4);
            d.last_day = s.text(5);
            out.push_back(std::move(d));
        }
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    }
    statement s;
    auto p = s.prepare(db_, "SELECT count(*), max(end_time) FROM reports WHERE policy_domain = ?1");
    if (!p) return unexpected{p.err()};
    for (auto& d : out) {
        s.reset();
        s.bind(1, d.policy_domain);
        if (s.step() == SQLITE_ROW) {
            d.reports = s.i64(0);
            if (!s.is_null(1)) d.last_report_end = s.i64(1);
        }
    }
    return out;
}

result<rebuild_summary> sqlite_store::rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) {
    auto r = exec("BEGIN IMMEDIATE");
    if (!r) return unexpected{r.err()};
    auto body = rebuild_facts_in_transaction(progress);
    if (!body) {
        (void)exec("ROLLBACK");
        return body;
    }
    r = exec("COMMIT");
    if (!r) return unexpected{r.err()};
    return body;
}

result<rebuild_summary> sqlite_store::rebuild_facts_in_transaction(const std::function<void(std::int64_t, std::int64_t)>& progress) {
    rebuild_summary sum;
    facts_.clear();
    auto r = exec("DELETE FROM source_day");
    if (r) r = exec("DELETE FROM source_reporter");
    if (!r) return unexpected{r.err()};
    auto total = pragma_value("SELECT count(*) FROM reports");
    if (!total) return unexpected{total.err()};
    statement s;
    auto p = s.prepare(db_, "SELECT id, policy_domain, org_name, begin_time, end_time FROM reports ORDER BY id");
    if (!p) return unexpected{p.err()};
    report::report_header h;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        const std::int64_t id = s.i64(0);
        h.policy.domain = s.text(1);
        h.metadata.org_name = s.text(2);
        h.metadata.begin = s.i64(3);
        h.metadata.end = s.i64(4);
        auto each = for_each_record(id, [&](const report::record& rec) -> result<void> {
            facts_.add_record(h, rec);
            ++sum.records;
            return {};
        });
        if (!each) return unexpected{each.err()};
        if (facts_.size() >= max_pending_fact_rows) {
            auto f = flush_facts();
            if (!f) return unexpected{f.err()};
        }
        ++sum.reports;
        if (progress && (sum.reports % 500 == 0)) progress(sum.reports, *total);
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    auto f = flush_facts();
    if (!f) return unexpected{f.err()};
    auto n = pragma_value("SELECT count(*) FROM source_day");
    if (!n) return unexpected{n.err()};
    sum.source_days = *n;
    if (progress) progress(sum.reports, *total);
    return sum;
}

}  // namespace dmarcsight::store::sqlite
