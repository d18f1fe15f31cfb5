// The SQLite driver, part 4: the analysis facts (store/facts.hpp; tables source_facts and
// fact_ranges of schema/sqlite/0004_facts_appended.sql). The ingest adds each kept report's
// records to an in-memory accumulator, which is appended (never updated) at the end of the batch
// or when it grows large, in the batch's transaction: a report's facts commit with it or not at
// all, and a duplicate (never stored) adds none. Every write appends at the end of source_facts
// (ids only grow: SQLite's append path, full pages), a domain's rows together; fact_ranges says
// which ids are whose, and a domain is read by joining its ranges to the ids.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "core/time.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The accumulator is written out when it holds this many rows (memory stays bounded in a batch
// of 200,000 records).
constexpr std::size_t max_pending_fact_rows = 16'384;

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
constexpr int rows_per_insert = 32;
constexpr int columns_per_row = 4 + column_measures + 1;

const std::string& insert_sql(int rows) {
    static const std::string many = [] {
        std::string sql = "INSERT INTO source_facts (domain_id, day, source_ip, header_from, " + measure_columns() +
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

// One domain's facts and the filter's days (and source): the FROM and WHERE every fact query
// shares (?1 the domain id, ?3 since, ?4 until, ?5 source IP), and its binding. The join walks the
// domain's ranges (fact_ranges' key) and reads each as an id range of source_facts.
std::string domain_facts(const fact_filter& f, bool with_source) {
    std::string w =
        " FROM fact_ranges r JOIN source_facts f ON f.id BETWEEN r.first_id AND r.last_id WHERE r.domain_id = ?1";
    if (!f.since_day.empty()) w += " AND f.day >= ?3";
    if (!f.until_day.empty()) w += " AND f.day < ?4";
    if (with_source && !f.source_ip.empty()) w += " AND f.source_ip = ?5";
    return w;
}
void bind_domain(statement& s, std::int64_t domain_id, const fact_filter& f, bool with_source) {
    s.reset();
    s.bind(1, domain_id);
    if (!f.since_day.empty()) s.bind(3, f.since_day);
    if (!f.until_day.empty()) s.bind(4, f.until_day);
    if (with_source && !f.source_ip.empty()) s.bind(5, f.source_ip);
}

// source_days hands SQLite up to this many source IPs (parameters ?6 on); more are filtered here.
constexpr std::size_t max_ips_in_sql = 500;
constexpr std::size_t first_ip_param = 6;

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
    return std::optional<std::int64_t>(static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_)));
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
    std::vector<const fact_entry*> rows;
    rows.reserve(facts_.size());
    for (const fact_entry* row : facts_.by_domain())
        if (row->records != 0) rows.push_back(row);  // a row only undone records went into is none
    if (rows.empty()) {
        facts_.clear();
        return {};
    }
    if (!next_fact_id_) {
        auto last = pragma_value("SELECT coalesce(max(id), 0) FROM source_facts");
        if (!last) return unexpected{last.err()};
        next_fact_id_ = *last + 1;
    }
    const std::int64_t first_id = *next_fact_id_;
    // The domain ids, and each domain's run of ids in fact_ranges.
    std::vector<std::int64_t> domain_ids(facts_.domain_count(), 0);
    for (std::size_t k = 0; k < rows.size();) {
        const std::uint32_t slot = rows[k]->domain;
        std::size_t end = k;
        while (end < rows.size() && rows[end]->domain == slot) ++end;
        const std::string& domain = facts_.domain(slot);
        auto id = fact_domain_id(domain, true);
        if (!id) return unexpected{id.err()};
        domain_ids[slot] = **id;
        auto r = add_fact_range(**id, first_id + static_cast<std::int64_t>(k), first_id + static_cast<std::int64_t>(end) - 1);
        if (!r) return r;
        k = end;
    }
    // Texts bound SQLITE_STATIC live until the step: one set per row of the statement.
    struct row_text {
        std::string ip, evidence;
    };
    std::vector<row_text> text(rows_per_insert);
    std::unordered_map<std::int32_t, std::string> day_texts;  // a batch spans few days
    const auto& columns = column_measure_mask();
    const auto bind_row = [&](statement& st, int base, std::size_t k) {
        const fact_entry& row = *rows[k];
        row_text& t = text[static_cast<std::size_t>(base / columns_per_row)];
        auto day = day_texts.find(row.day);
        if (day == day_texts.end())
            day = day_texts.emplace(row.day, utc::format_date(static_cast<std::int64_t>(row.day) * 86400)).first;
        t.ip.clear();
        row.source_ip.append_to(t.ip);
        // The accumulator's arena outlives the statement's step.
        st.bind(base + 1, domain_ids[row.domain]);
        st.bind_text_static(base + 2, day->second);
        st.bind_text_static(base + 3, t.ip);
        st.bind_text_static(base + 4, row.header_from);
        int i = base + 5;
        for (std::size_t m = 0; m < measure_count; ++m)
            if (columns[m]) st.bind(i++, row.v[m]);
        encode_evidence(row, t.evidence);
        st.bind_blob_static(i, t.evidence.data(), t.evidence.size());
    };
    std::size_t k = 0;
    while (k < rows.size()) {
        const bool full = rows.size() - k >= static_cast<std::size_t>(rows_per_insert);
        statement& st = full ? many : one;
        st.rewind();  // every parameter is bound again
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
    // The rows took the ids SQLite gives an INSERT without one: the largest id plus one, each
    // (https://sqlite.org/autoinc.html; no AUTOINCREMENT, and ids are far from the maximum). The
    // ranges written above count on it: say so if it ever does not hold.
    *next_fact_id_ += static_cast<std::int64_t>(rows.size());
    if (sqlite3_last_insert_rowid(db_) != *next_fact_id_ - 1)
        return fail("the facts did not get the ids they were recorded under (" + std::to_string(sqlite3_last_insert_rowid(db_)) +
                    ", expected " + std::to_string(*next_fact_id_ - 1) + "); run dmarcsight rebuild");
    facts_.clear();
    return {};
}

// Records that ids first..last are domain's: the domain's last range grows when they follow it
// (a domain alone in a run of flushes keeps one range), else a range is added.
result<void> sqlite_store::add_fact_range(std::int64_t domain, std::int64_t first, std::int64_t last) {
    auto& q = stmt("SELECT first_id, last_id FROM fact_ranges WHERE domain_id = ?1 ORDER BY first_id DESC LIMIT 1");
    if (!q.get()) return fail(prepare_error_);
    q.reset();
    q.bind(1, domain);
    const int rc = q.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        const std::string why = q.error_text(rc);
        q.reset();
        return fail(why);
    }
    const bool follows = rc == SQLITE_ROW && q.i64(1) == first - 1;
    const std::int64_t start = rc == SQLITE_ROW ? q.i64(0) : 0;
    q.reset();
    if (follows)
        return execute("UPDATE fact_ranges SET last_id = ?3 WHERE domain_id = ?1 AND first_id = ?2", [&](statement& s) {
            s.bind(1, domain);
            s.bind(2, start);
            s.bind(3, last);
        });
    return execute("INSERT INTO fact_ranges (domain_id, first_id, last_id) VALUES (?1, ?2, ?3)", [&](statement& s) {
        s.bind(1, domain);
        s.bind(2, first);
        s.bind(3, last);
    });
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
    std::string sql = "SELECT f.source_ip, f.day, f.header_from, " + measure_columns() + ", f.evidence" + domain_facts(f, true);
    // A few sources (the overview's top N) are picked by SQLite, before a row's columns reach us.
    const bool in_sql = !f.source_ips.empty() && f.source_ips.size() <= max_ips_in_sql;
    if (in_sql) {
        sql += " AND f.source_ip IN (";
        for (std::size_t i = 0; i < f.source_ips.size(); ++i) sql += (i ? ",?" : "?") + std::to_string(first_ip_param + i);
        sql += ")";
    }
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    const std::unordered_set<std::string> only(f.source_ips.begin(), f.source_ips.end());
    source_day_row row;
    std::string ip;
    for (const auto& [id, name] : *domains) {
        bind_domain(s, id, f, true);
        if (in_sql)
            for (std::size_t i = 0; i < f.source_ips.size(); ++i) s.bind(static_cast<int>(first_ip_param + i), f.source_ips[i]);
        row.key.policy_domain = name;
        int rc;
        const auto& columns = column_measure_mask();
        while ((rc = s.step()) == SQLITE_ROW) {
            const char* ip_text = s.cstr(0);
            if (!in_sql && !only.empty()) {
                ip.assign(ip_text ? ip_text : "");
                if (!only.count(ip)) continue;
            }
            row.key.source_ip.assign(ip_text ? ip_text : "");
            row.key.day = s.text(1);
            row.key.header_from = s.text(2);
            int i = 3;
            std::size_t m = 0;
            for_each_measure(row.m, [&](const char*, std::int64_t& v) {
                if (columns[m++]) v = s.i64(i++);
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
    const std::string sql = "SELECT f.source_ip, f.messages" + domain_facts(f, false);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    // Summed here, a domain at a time. Rows are looked up by the text SQLite hands out (no string
    // per row); a new address is copied once into `texts`.
    std::unordered_map<std::string_view, std::int64_t> sums;
    std::vector<std::unique_ptr<char[]>> texts;
    std::size_t text_used = 0;
    constexpr std::size_t text_block = 256 * 1024;
    source_volume v;
    for (const auto& [id, name] : *domains) {
        bind_domain(s, id, f, false);
        sums.clear();
        texts.clear();
        text_used = text_block;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            const char* t = s.cstr(0);
            const std::string_view ip(t ? t : "", t ? static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 0)) : 0);
            auto at = sums.find(ip);
            if (at == sums.end()) {
                if (ip.size() > text_block) continue;  // not an address (the parser caps them far below)
                if (text_used + ip.size() > text_block) {
                    texts.push_back(std::make_unique<char[]>(text_block));
                    text_used = 0;
                }
                char* kept = texts.back().get() + text_used;
                if (!ip.empty()) std::memcpy(kept, ip.data(), ip.size());
                text_used += ip.size();
                at = sums.emplace(std::string_view(kept, ip.size()), 0).first;
            }
            const std::int64_t add = s.i64(1);
            at->second = add > INT64_MAX - at->second ? INT64_MAX : at->second + add;
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
        "SELECT total(f.messages), total(f.dmarc_pass_messages), count(DISTINCT f.source_ip), min(f.day), max(f.day), "
        "count(*)" +
        domain_facts(f, false);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return unexpected{p.err()};
    statement r;
    p = r.prepare(db_, "SELECT count(*), max(end_time) FROM reports WHERE policy_domain = ?1");
    if (!p) return unexpected{p.err()};
    std::vector<domain_row> out;
    for (const auto& [id, name] : *domains) {
        bind_domain(s, id, f, false);
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
    next_fact_id_.reset();
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
    next_fact_id_.reset();
    auto r = exec("DELETE FROM source_facts");
    if (r) r = exec("DELETE FROM fact_ranges");
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
