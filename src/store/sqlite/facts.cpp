// The SQLite driver, part 4: the analysis facts (store/facts.hpp; table source_facts of
// schema/sqlite/0003_source_facts.sql). The ingest adds each kept report's records to an
// in-memory accumulator, which is appended (never updated) at the end of the batch or when it
// grows large, in the batch's transaction: a report's facts commit with it or not at all, and a
// duplicate (never stored) adds none. Each policy domain's facts are one id range
// ((domain id << 40) | n), so appends go to the end of a range and a domain is read without an
// index.
#include <algorithm>
#include <cstdint>
#include <unordered_set>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The accumulator is written out when it holds this many rows (memory stays bounded in a batch
// of 200,000 records).
constexpr std::size_t max_pending_fact_rows = 60'000;
constexpr int domain_shift = 40;
constexpr std::int64_t domain_span = std::int64_t{1} << domain_shift;

// The measures that are columns (store::is_column_measure), in for_each_measure order.
std::string measure_columns() {
    std::string out;
    source_measures m;
    for_each_measure(m, [&](const char* name, std::int64_t&) {
        if (!is_column_measure(name)) return;
        if (!out.empty()) out += ", ";
        out += name;
    });
    return out;
}
constexpr int column_measures = 7;

// Rows per INSERT statement: one statement per row spent a third of its time starting and
// ending the statement.
constexpr int rows_per_insert = 16;
constexpr int columns_per_row = 5 + column_measures + 1;

const std::string& insert_sql(int rows) {
    static const std::string many = [] {
        std::string sql = "INSERT INTO source_facts (id, policy_domain, day, source_ip, header_from, " + measure_columns() +
                          ", evidence) VALUES ";
        for (int r = 0; r < rows_per_insert; ++r) {
            sql += r ? ",(" : "(";
            for (int c = 0; c < columns_per_row; ++c) sql += (c ? ",?" : "?") + std::to_string(r * columns_per_row + c + 1);
            sql += ")";
        }
        return sql;
    }();
    static const std::string one = many.substr(0, many.find("),(") + 1);
    return rows == 1 ? one : many;
}

// One domain's id range and the filter's days (and source): the WHERE every fact query shares
// (?1..?2 the range, ?3 since, ?4 until, ?5 source IP), and its binding.
std::string range_where(const fact_filter& f, bool with_source) {
    std::string w = " WHERE id BETWEEN ?1 AND ?2";
    if (!f.since_day.empty()) w += " AND day >= ?3";
    if (!f.until_day.empty()) w += " AND day < ?4";
    if (with_source && !f.source_ip.empty()) w += " AND source_ip = ?5";
    return w;
}
void bind_range(statement& s, std::int64_t domain_id, const fact_filter& f, bool with_source) {
    s.reset();
    s.bind(1, domain_id << domain_shift);
    s.bind(2, (domain_id << domain_shift) + domain_span - 1);
    if (!f.since_day.empty()) s.bind(3, f.since_day);
    if (!f.until_day.empty()) s.bind(4, f.until_day);
    if (with_source && !f.source_ip.empty()) s.bind(5, f.source_ip);
}

const double int64_ceiling = 9.2e18;
std::int64_t saturated(double v) { return v >= int64_ceiling ? INT64_MAX : static_cast<std::int64_t>(v); }

}  // namespace

result<std::optional<std::int64_t>> sqlite_store::fact_domain_id(const std::string& domain, bool create) {
    auto& q = stmt("SELECT id FROM fact_domains WHERE policy_domain = ?1");
    if (!q.get()) return fail(prepare_error_);
    q.reset();
    q.bind(1, domain);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
        const std::int64_t id = q.i64(0);
        q.reset();
        return std::optional<std::int64_t>(id);
    }
    const std::string why = rc == SQLITE_DONE ? std::string() : q.error_text(rc);
    q.reset();
    if (!why.empty()) return fail(why);
    if (!create) return std::optional<std::int64_t>();
    auto r = execute("INSERT INTO fact_domains (policy_domain) VALUES (?1)", [&](statement& s) { s.bind(1, domain); });
    if (!r) return unexpected{r.err()};
    const auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    if (id >= (std::int64_t{1} << (63 - domain_shift))) return fail("too many policy domains for the facts' id ranges");
    return std::optional<std::int64_t>(id);
}

result<std::vector<std::pair<std::int64_t, std::string>>> sqlite_store::fact_domains_of(const fact_filter& f) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    statement s;
    const char* sql = f.domain.empty() ? "SELECT id, policy_domain FROM fact_domains ORDER BY policy_domain"
                      : f.include_subdomains
                          ? "SELECT id, policy_domain FROM fact_domains WHERE policy_domain = ?1 OR "
                            "substr(policy_domain, -length(?1) - 1) = '.' || ?1 ORDER BY policy_domain"
                          : "SELECT id, policy_domain FROM fact_domains WHERE policy_domain = ?1";
    auto p = s.prepare(db_, sql);
    if (!p) return unexpected{p.err()};
    if (!f.domain.empty()) s.bind(1, f.domain);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(s.i64(0), s.text(1));
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<void> sqlite_store::flush_facts() {
    if (facts_.empty()) return {};
    auto& many = stmt(insert_sql(rows_per_insert).c_str());
    if (!many.get()) return fail(prepare_error_);
    auto& one = stmt(insert_sql(1).c_str());
    if (!one.get()) return fail(prepare_error_);
    auto& last = stmt("SELECT max(id) FROM source_facts WHERE id BETWEEN ?1 AND ?2");
    if (!last.get()) return fail(prepare_error_);
    std::vector<const fact_entry*> rows;
    for (const fact_entry* row : facts_.sorted())
        if (row->records != 0) rows.push_back(row);  // a row only undone records went into is none
    std::vector<std::int64_t> ids(rows.size());
    std::string domain;
    decltype(fact_next_)::iterator next = fact_next_.end();
    for (std::size_t k = 0; k < rows.size(); ++k) {
        // Rows come domain by domain: look the domain's range up once.
        if (next == fact_next_.end() || rows[k]->policy_domain != domain) {
            domain.assign(rows[k]->policy_domain);
            next = fact_next_.find(domain);
        }
        if (next == fact_next_.end()) {
            auto id = fact_domain_id(domain, true);
            if (!id) return unexpected{id.err()};
            const std::int64_t lo = **id << domain_shift;
            last.reset();
            last.bind(1, lo);
            last.bind(2, lo + domain_span - 1);
            const int rc = last.step();
            if (rc != SQLITE_ROW) {
                const std::string why = last.error_text(rc);
                last.reset();
                return fail(why);
            }
            const std::int64_t first_free = last.is_null(0) ? lo : last.i64(0) + 1;
            last.reset();
            next = fact_next_.emplace(domain, std::make_pair(lo, first_free)).first;
        }
        auto& [lo, free_id] = next->second;
        if (free_id >= lo + domain_span) return fail("the facts of " + domain + " have used up their id range");
        ids[k] = free_id++;
    }
    std::vector<std::string> evidence(rows_per_insert);  // bound SQLITE_STATIC until the step
    const auto bind_row = [&](statement& st, int base, std::size_t k) {
        const fact_entry& row = *rows[k];
        // The accumulator's arena outlives the statement's step.
        st.bind(base + 1, ids[k]);
        st.bind_text_static(base + 2, row.policy_domain);
        st.bind_text_static(base + 3, row.day);
        st.bind_text_static(base + 4, row.source_ip);
        st.bind_text_static(base + 5, row.header_from);
        int i = base + 6;
        for_each_measure(row.m, [&](const char* name, const std::int64_t& v) {
            if (is_column_measure(name)) st.bind(i++, v);
        });
        std::string& ev = evidence[static_cast<std::size_t>((base / columns_per_row))];
        encode_evidence(row, ev);
        st.bind_blob_static(i, ev.data(), ev.size());
    };
    std::size_t k = 0;
    while (k < rows.size()) {
        const bool full = rows.size() - k >= static_cast<std::size_t>(rows_per_insert);
        statement& st = full ? many : one;
        st.reset();
        const int n = full ? rows_per_insert : 1;
        for (int r = 0; r < n; ++r) bind_row(st, r * columns_per_row, k + static_cast<std::size_t>(r));
        const int rc = st.step();
        if (rc != SQLITE_DONE) {
            const std::string why = st.error_text(rc);
            st.reset();
            return fail(why);
        }
        k += static_cast<std::size_t>(n);
    }
    many.reset();
    one.reset();
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
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    const std::string sql =
        "SELECT source_ip, day, header_from, " + measure_columns() + ", evidence FROM source_facts" + range_where(f, true);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    const std::unordered_set<std::string> only(f.source_ips.begin(), f.source_ips.end());
    source_day_row row;
    std::string ip;
    for (const auto& [id, name] : *domains) {
        bind_range(s, id, f, true);
        row.key.policy_domain = name;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            const char* ip_text = s.cstr(0);
            if (!only.empty()) {
                ip.assign(ip_text ? ip_text : "");
                if (!only.count(ip)) continue;
            }
            row.key.source_ip.assign(ip_text ? ip_text : "");
            row.key.day = s.text(1);
            row.key.header_from = s.text(2);
            int i = 3;
            for_each_measure(row.m, [&](const char* name, std::int64_t& v) {
                if (is_column_measure(name)) v = s.i64(i++);
            });
            const auto* blob = static_cast<const char*>(sqlite3_column_blob(s.get(), i));
            const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s.get(), i));
            if (!decode_evidence(std::string_view(blob ? blob : "", size), row))
                return fail("a fact row of " + name + " is damaged (evidence does not decode): run dmarcsight rebuild");
            auto r = each(row);
            if (!r) return r;
        }
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    }
    return {};
}

result<void> sqlite_store::source_volumes(const fact_filter& f, const std::function<result<void>(const source_volume&)>& each) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    const std::string sql = "SELECT source_ip, messages FROM source_facts" + range_where(f, false);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    // Summed here, a domain at a time: the rows of a domain are one id range, in ingest order.
    std::unordered_map<std::string, std::int64_t> sums;
    source_volume v;
    for (const auto& [id, name] : *domains) {
        bind_range(s, id, f, false);
        sums.clear();
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            const char* t = s.cstr(0);
            auto& total = sums[t ? t : ""];
            const std::int64_t add = s.i64(1);
            total = add > INT64_MAX - total ? INT64_MAX : total + add;
        }
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
        v.policy_domain = name;
        for (auto& [ip, n] : sums) {
            v.source_ip = ip;
            v.messages = n;
            auto r = each(v);
            if (!r) return r;
        }
    }
    return {};
}

result<std::vector<domain_row>> sqlite_store::domains(const fact_filter& f) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    const std::string sql =
        "SELECT total(messages), total(dmarc_pass_messages), count(DISTINCT source_ip), min(day), max(day), count(*) "
        "FROM source_facts" +
        range_where(f, false);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return unexpected{p.err()};
    statement r;
    p = r.prepare(db_, "SELECT count(*), max(end_time) FROM reports WHERE policy_domain = ?1");
    if (!p) return unexpected{p.err()};
    std::vector<domain_row> out;
    for (const auto& [id, name] : *domains) {
        bind_range(s, id, f, false);
        const int rc = s.step();
        if (rc != SQLITE_ROW) return fail(s.error_text(rc));
        if (s.i64(5) == 0) continue;  // nothing in the window
        domain_row d;
        d.policy_domain = name;
        d.messages = saturated(s.dbl(0));
        d.dmarc_pass = saturated(s.dbl(1));
        d.sources = s.i64(2);
        d.first_day = s.text(3);
        d.last_day = s.text(4);
        r.reset();
        r.bind(1, name);
        if (r.step() == SQLITE_ROW) {
            d.reports = r.i64(0);
            if (!r.is_null(1)) d.last_report_end = r.i64(1);
        }
        out.push_back(std::move(d));
    }
    return out;
}

result<rebuild_summary> sqlite_store::rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) {
    auto r = exec("BEGIN IMMEDIATE");
    if (!r) return unexpected{r.err()};
    auto body = rebuild_facts_in_transaction(progress);
    fact_next_.clear();
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
    fact_next_.clear();
    auto r = exec("DELETE FROM source_facts");
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
    auto n = pragma_value("SELECT count(*) FROM source_facts");
    if (!n) return unexpected{n.err()};
    sum.source_days = *n;
    if (progress) progress(sum.reports, *total);
    return sum;
}

}  // namespace dmarcsight::store::sqlite
