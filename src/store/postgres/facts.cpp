// The PostgreSQL driver, part 4: the analysis facts (store/facts.hpp; table source_facts of
// schema/postgres/0001_init.sql). As in the SQLite driver, a batch's kept reports are summed in a
// fact_accumulator and appended at the end of the batch (or when it grows large), in the batch's
// transaction, here with one COPY. The readers let the server do the sums (GROUP BY) and stream
// what they need a row at a time.
#include <algorithm>
#include <unordered_set>

#include "core/time.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

// The accumulator is written out when it holds this many rows (memory stays bounded).
constexpr std::size_t max_pending_fact_rows = 16'384;

const std::string& copy_columns() {
    static const std::string columns = "domain_id, day, source_ip, header_from, " + column_measure_names() + ", evidence";
    return columns;
}

// The columns every fact reader selects, in read_fact_row's order.
const std::string& fact_columns() {
    static const std::string columns =
        "f.source_ip, to_char(f.day, 'YYYY-MM-DD'), f.header_from, " + [] {
            std::string out;
            const auto& names = column_measure_names();
            // "a, b, c" → "f.a, f.b, f.c"
            std::size_t at = 0;
            while (at < names.size()) {
                std::size_t comma = names.find(',', at);
                if (comma == std::string::npos) comma = names.size();
                std::string name = names.substr(at, comma - at);
                name.erase(0, name.find_first_not_of(' '));
                out += (out.empty() ? "f." : ", f.") + name;
                at = comma + 1;
            }
            return out;
        }() + ", f.evidence";
    return columns;
}

// Reads a row of fact_columns (from column `first`) into row; false: the evidence is damaged.
bool read_fact_row(const pg::result_set& r, int first, source_day_row& row, const std::vector<std::string>& reporters,
                   std::string& evidence) {
    row.key.source_ip.assign(r.view(0, first));
    row.key.day.assign(r.view(0, first + 1));
    row.key.header_from.assign(r.view(0, first + 2));
    const auto& columns = column_measure_mask();
    int i = first + 3;
    std::size_t m = 0;
    for_each_measure(row.m, [&](const char*, std::int64_t& v) {
        if (columns[m++]) v = r.i64(0, i++);
    });
    if (!r.bytes(0, i, evidence)) return false;
    return decode_evidence(evidence, row, reporters);
}
std::string damaged_row(const std::string& domain) {
    return "a fact row of " + domain + " is damaged (evidence does not decode): run dmarcsight rebuild";
}

// The filter's days and source over source_facts f: $2 since, $3 until, $4 source IP (always
// bound: NULL when unused).
const char* window_sql = " AND ($2::date IS NULL OR f.day >= $2::date) AND ($3::date IS NULL OR f.day < $3::date)"
                         " AND ($4::text IS NULL OR f.source_ip = $4)";
void bind_window(pg::params& ps, const fact_filter& f, bool with_source) {
    ps.text_or_null(f.since_day).text_or_null(f.until_day);
    if (with_source) ps.text_or_null(f.source_ip);
    else ps.null();
}

std::string id_array(const fact_domain_list& domains) {
    std::string out = "{";
    for (std::size_t i = 0; i < domains.size(); ++i) out += (i ? "," : "") + std::to_string(domains[i].first);
    return out + "}";
}

}  // namespace

result<std::int64_t> postgres_store::name_id(const char* table, const char* column, std::string_view name) {
    auto& cache = std::string_view(table) == "fact_domains" ? domain_ids_ : reporter_ids_;
    auto known = cache.find(std::string(name));
    if (known != cache.end()) return known->second;
    if (!names_.is_open()) {
        auto c = names_.open(uri_, shown_);
        if (!c) return unexpected{c.err()};
    }
    const std::string select = std::string("SELECT id FROM ") + table + " WHERE " + column + " = $1";
    const std::string insert =
        std::string("INSERT INTO ") + table + " (" + column + ") VALUES ($1) ON CONFLICT (" + column + ") DO NOTHING RETURNING id";
    // Autocommit statements: a name another worker adds at the same moment is waited for only
    // for that one statement. Select, insert, select again (the row of a racing insert is
    // visible to the next statement).
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto q = names_.query(attempt == 1 ? insert : select, pg::params().text(name));
        if (!q) return unexpected{q.err()};
        if (q->rows() > 0) {
            const std::int64_t id = q->i64(0, 0);
            cache.emplace(std::string(name), id);
            return id;
        }
    }
    return fail(std::string("cannot add '") + std::string(name) + "' to " + table);
}

result<std::vector<std::string>> postgres_store::fact_reporter_names() {
    auto q = db_.query("SELECT id, name FROM fact_reporters");
    if (!q) return unexpected{q.err()};
    std::vector<std::string> names;
    for (int i = 0; i < q->rows(); ++i) {
        const std::int64_t id = q->i64(i, 0);
        if (id <= 0 || id > (std::int64_t{1} << 24)) return fail("the reporter table is damaged (id " + std::to_string(id) + ")");
        if (names.size() <= static_cast<std::size_t>(id)) names.resize(static_cast<std::size_t>(id) + 1);
        names[static_cast<std::size_t>(id)] = q->text(i, 1);
    }
    return names;
}

result<fact_domain_list> postgres_store::fact_domains_of(const fact_filter& f) {
    auto q = f.domain.empty() ? db_.query("SELECT id, policy_domain FROM fact_domains ORDER BY policy_domain")
             : f.include_subdomains
                 ? db_.query("SELECT id, policy_domain FROM fact_domains WHERE policy_domain = $1 OR "
                             "right(policy_domain, length($1) + 1) = '.' || $1 ORDER BY policy_domain",
                             pg::params().text(f.domain))
                 : db_.query("SELECT id, policy_domain FROM fact_domains WHERE policy_domain = $1", pg::params().text(f.domain));
    if (!q) return unexpected{q.err()};
    fact_domain_list out;
    for (int i = 0; i < q->rows(); ++i) out.emplace_back(q->i64(i, 0), q->text(i, 1));
    return out;
}

result<void> postgres_store::add_record_facts(const report::record& rec) {
    facts_.add_record(unit_header_, rec);
    if (facts_.size() >= max_pending_fact_rows) return flush_facts();
    return {};
}

result<void> postgres_store::flush_facts() {
    if (facts_.empty()) return {};
    std::vector<const fact_entry*> rows;
    rows.reserve(facts_.size());
    for (const fact_entry* row : facts_.by_domain())
        if (row->records != 0) rows.push_back(row);  // a row only undone records went into is none
    if (rows.empty()) {
        facts_.clear();
        return {};
    }
    std::vector<std::int64_t> domain_ids(facts_.domain_count(), 0);
    std::vector<bool> domain_used(domain_ids.size(), false);
    std::vector<std::uint64_t> reporter_ids(facts_.reporter_count(), 0);
    std::vector<bool> used(reporter_ids.size(), false);
    std::vector<std::uint32_t> of_row;
    for (const fact_entry* row : rows) {
        domain_used[row->domain] = true;
        facts_.reporters_of(*row, of_row);
        for (const std::uint32_t r : of_row) used[r] = true;
    }
    for (std::uint32_t i = 0; i < domain_ids.size(); ++i) {
        if (!domain_used[i]) continue;
        auto id = name_id("fact_domains", "policy_domain", facts_.domain(i));
        if (!id) return unexpected{id.err()};
        domain_ids[i] = *id;
    }
    // Only the reporters of rows written: one of undone reports alone gets no name row.
    for (std::uint32_t i = 0; i < reporter_ids.size(); ++i) {
        if (!used[i]) continue;
        auto id = name_id("fact_reporters", "name", facts_.reporter(i));
        if (!id) return unexpected{id.err()};
        reporter_ids[i] = static_cast<std::uint64_t>(*id);
    }
    static const std::vector<std::size_t>& measures = measure_indexes(true);
    std::size_t at = 0;
    std::string ip, evidence_buffer, scratch;
    std::vector<std::uint64_t> reporters;
    std::int32_t last_day = 0;
    std::string day;
    auto r = db_.copy_in("COPY source_facts (" + copy_columns() + ") FROM STDIN", [&](std::string& out) {
        if (at == rows.size()) return false;
        const fact_entry& row = *rows[at++];
        out += std::to_string(domain_ids[row.domain]);
        out += '\t';
        if (day.empty() || row.day != last_day) {
            day = utc::format_date(static_cast<std::int64_t>(row.day) * 86400);
            last_day = row.day;
        }
        out += day;
        out += '\t';
        ip.clear();
        row.source_ip().append_to(ip);
        out += ip;
        out += '\t';
        pg::append_copy_text(out, row.header_from(), scratch);
        for (const std::size_t m : measures) {
            out += '\t';
            out += std::to_string(row.measure(m));
        }
        out += '\t';
        facts_.reporters_of(row, of_row);
        reporters.clear();
        for (const std::uint32_t x : of_row) reporters.push_back(reporter_ids[x]);
        pg::append_copy_bytea(out, encode_evidence(row, reporters, evidence_buffer));
        out += '\n';
        return true;
    });
    facts_.clear();
    return r;
}

// Subtracts a stored report's facts (it is being undone within its batch): its records in the
// database, and those still waiting in the block buffer.
result<void> postgres_store::subtract_report_facts(std::int64_t report) {
    auto q = db_.query("SELECT policy_domain, org_name, begin_time, end_time FROM reports WHERE id = $1", pg::params().i64(report));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return {};
    report::report_header h;
    h.policy.domain = q->text(0, 0);
    h.metadata.org_name = q->text(0, 1);
    h.metadata.begin = q->i64(0, 2);
    h.metadata.end = q->i64(0, 3);
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

result<pg::connection*> postgres_store::reader() {
    if (!reader_.is_open()) {
        auto c = reader_.open(uri_, shown_);
        if (!c) return unexpected{c.err()};
        auto r = reader_.exec("SET default_transaction_read_only = on");
        if (!r) return unexpected{r.err()};
    }
    return &reader_;
}

result<void> postgres_store::source_days(const fact_filter& f, const std::function<result<void>(const source_day_row&)>& each) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    auto reporters = fact_reporter_names();
    if (!reporters) return unexpected{reporters.err()};
    const std::string sql = "SELECT " + fact_columns() + " FROM source_facts f WHERE f.domain_id = $1" + window_sql;
    const std::unordered_set<std::string> only(f.source_ips.begin(), f.source_ips.end());
    auto in = reader();
    if (!in) return unexpected{in.err()};
    source_day_row row;
    std::string evidence;
    for (const auto& [id, name] : *domains) {
        row.key.policy_domain = name;
        pg::params ps;
        ps.i64(id);
        bind_window(ps, f, true);
        auto r = (*in)->each_row(sql, ps, [&](const pg::result_set& x) -> result<void> {
            if (!only.empty() && !only.count(std::string(x.view(0, 0)))) return {};
            if (!read_fact_row(x, 0, row, *reporters, evidence)) return fail(damaged_row(name));
            return each(row);
        });
        if (!r) return r;
    }
    return {};
}

result<std::size_t> postgres_store::top_source_days(const fact_filter& f, std::size_t n, top_of which,
                                                    const std::function<result<void>(const source_day_row&)>& each) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    if (domains->empty()) return std::size_t{0};
    auto reporters = fact_reporter_names();
    if (!reporters) return unexpected{reporters.err()};
    // The server sums messages per source and keeps the best n (ties: the domain, then the IP,
    // in byte order), with how many sources there are; then those sources' rows are read.
    const std::string sums = "SELECT f.domain_id, f.source_ip, sum(f.messages) AS m FROM source_facts f "
                             "WHERE f.domain_id = ANY($1::int[])" +
                             std::string(window_sql) + " GROUP BY f.domain_id, f.source_ip" +
                             (which == top_of::failing ? " HAVING sum(f.dmarc_pass_messages) < sum(f.messages)" : "");
    pg::params ps;
    ps.text(id_array(*domains));
    bind_window(ps, f, true);
    auto best = db_.query("WITH s AS (" + sums +
                              ") SELECT s.domain_id, s.source_ip, (SELECT count(*) FROM s) FROM s JOIN fact_domains d ON d.id = "
                              "s.domain_id ORDER BY s.m DESC, d.policy_domain, s.source_ip LIMIT " +
                              std::to_string(std::max<std::size_t>(n, 1)),
                          ps);
    if (!best) return unexpected{best.err()};
    if (best->rows() == 0) return std::size_t{0};
    const auto matched = static_cast<std::size_t>(best->i64(0, 2));
    if (n == 0) return matched;
    std::vector<std::string> ids, ips;
    for (int i = 0; i < best->rows(); ++i) {
        ids.push_back(best->text(i, 0));
        ips.push_back(best->text(i, 1));
    }
    pg::params rs;
    rs.text(pg::array_literal(ids));
    bind_window(rs, f, true);
    rs.text(pg::array_literal(ips));
    source_day_row row;
    std::string evidence, domain;
    const std::string sql = "SELECT d.policy_domain, " + fact_columns() +
                            " FROM source_facts f JOIN fact_domains d ON d.id = f.domain_id "
                            "WHERE (f.domain_id, f.source_ip) IN (SELECT * FROM unnest($1::int[], $5::text[]))" +
                            window_sql + " ORDER BY d.policy_domain, f.source_ip";
    auto in = reader();
    if (!in) return unexpected{in.err()};
    auto r = (*in)->each_row(sql, rs, [&](const pg::result_set& x) -> result<void> {
        row.key.policy_domain.assign(x.view(0, 0));
        if (!read_fact_row(x, 1, row, *reporters, evidence)) return fail(damaged_row(row.key.policy_domain));
        return each(row);
    });
    if (!r) return unexpected{r.err()};
    return matched;
}

result<std::vector<domain_row>> postgres_store::domains(const fact_filter& f) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    std::vector<domain_row> out;
    if (domains->empty()) return out;
    pg::params ps;
    ps.text(id_array(*domains));
    bind_window(ps, f, false);
    auto q = db_.query("SELECT d.policy_domain, count(DISTINCT f.source_ip), coalesce(sum(f.messages), 0), "
                       "coalesce(sum(f.dmarc_pass_messages), 0), to_char(min(f.day), 'YYYY-MM-DD'), "
                       "to_char(max(f.day), 'YYYY-MM-DD') FROM source_facts f JOIN fact_domains d ON d.id = f.domain_id "
                       "WHERE f.domain_id = ANY($1::int[])" +
                           std::string(window_sql) + " GROUP BY d.policy_domain ORDER BY d.policy_domain",
                       ps);
    if (!q) return unexpected{q.err()};
    std::vector<std::string> names;
    for (int i = 0; i < q->rows(); ++i) {
        domain_row d;
        d.policy_domain = q->text(i, 0);
        d.sources = q->i64(i, 1);
        d.messages = q->i64(i, 2);
        d.dmarc_pass = q->i64(i, 3);
        d.first_day = q->text(i, 4);
        d.last_day = q->text(i, 5);
        names.push_back(d.policy_domain);
        out.push_back(std::move(d));
    }
    if (out.empty()) return out;
    auto r = db_.query("SELECT policy_domain, count(*), max(end_time) FROM reports WHERE policy_domain = ANY($1::text[]) "
                       "GROUP BY policy_domain ORDER BY policy_domain",
                       pg::params().text(pg::array_literal(names)));
    if (!r) return unexpected{r.err()};
    std::size_t at = 0;
    for (int i = 0; i < r->rows(); ++i) {
        const std::string_view name = r->view(i, 0);
        while (at < out.size() && out[at].policy_domain < name) ++at;
        if (at < out.size() && out[at].policy_domain == name) {
            out[at].reports = r->i64(i, 1);
            if (!r->is_null(i, 2)) out[at].last_report_end = r->i64(i, 2);
        }
    }
    return out;
}

result<rebuild_summary> postgres_store::rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) {
    // Once across workers: a second rebuild at the same time is told so instead of waiting.
    auto held = try_claim("rebuild");
    if (!held) return unexpected{held.err()};
    if (!*held) return fail("another dmarcsight rebuild of " + shown_ + " is running");
    auto r = db_.exec("BEGIN");
    if (!r) return unexpected{r.err()};
    in_batch_ = true;
    facts_.clear();
    rebuild_summary sum;
    // Writers append facts only at their batches' ends: with the table locked against them
    // (readers still read the old facts), every report this reads is either committed with its
    // facts, which are deleted here and derived again, or waits to append its own after us.
    auto body = [&]() -> result<void> {
        auto x = db_.exec("LOCK TABLE source_facts IN EXCLUSIVE MODE");
        if (x) x = db_.exec("DELETE FROM source_facts");
        if (!x) return x;
        auto total = db_.query("SELECT count(*) FROM reports");
        if (!total) return unexpected{total.err()};
        const std::int64_t all = total->i64(0, 0);
        std::int64_t after = 0;
        report::report_header h;
        for (;;) {
            auto page = db_.query("SELECT id, policy_domain, org_name, begin_time, end_time FROM reports WHERE id > $1 "
                                  "ORDER BY id LIMIT 500",
                                  pg::params().i64(after));
            if (!page) return unexpected{page.err()};
            for (int i = 0; i < page->rows(); ++i) {
                const std::int64_t id = page->i64(i, 0);
                h.policy.domain = page->text(i, 1);
                h.metadata.org_name = page->text(i, 2);
                h.metadata.begin = page->i64(i, 3);
                h.metadata.end = page->i64(i, 4);
                auto each = for_each_record(id, [&](const report::record& rec) -> result<void> {
                    facts_.add_record(h, rec);
                    ++sum.records;
                    return {};
                });
                if (!each) return each;
                if (facts_.size() >= max_pending_fact_rows) {
                    auto fl = flush_facts();
                    if (!fl) return fl;
                }
                ++sum.reports;
                if (progress && sum.reports % 500 == 0) progress(sum.reports, all);
                after = id;
            }
            if (page->rows() < 500) break;
        }
        auto fl = flush_facts();
        if (!fl) return fl;
        auto n = db_.query("SELECT count(*) FROM source_facts");
        if (!n) return unexpected{n.err()};
        sum.source_days = n->i64(0, 0);
        if (progress) progress(sum.reports, all);
        return db_.exec("COMMIT");
    }();
    in_batch_ = false;
    if (!body) {
        facts_.clear();
        (void)db_.exec("ROLLBACK");
        return unexpected{body.err()};
    }
    return sum;
}

}  // namespace dmarcsight::store::postgres
