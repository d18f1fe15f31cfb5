#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "core/time.hpp"
#include "report/content_hash.hpp"
#include "store/record_codec.hpp"

namespace dmarcsight::store {

std::string_view to_string(outcome o) {
    switch (o) {
        case outcome::stored: return "stored";
        case outcome::duplicate: return "duplicate";
        case outcome::skipped: return "skipped";
        case outcome::rejected: return "rejected";
    }
    return "rejected";
}

namespace {

struct migration {
    const char* name;
    const char* sql;
};
constexpr migration sqlite_migrations[] = {
#include "store/sqlite_migrations.inc"
};

// A block is written once it holds this many bytes (and at the end of its report).
constexpr std::size_t block_bytes = 256 * 1024;
// Block ids are (report << 32) | block number.
constexpr std::uint64_t blocks_per_report = std::uint64_t{1} << 32;

// Busy timeout: a second ingest waits this long for the first to commit its batch.
constexpr int busy_timeout_ms = 120'000;

// JSON text for the compact per-record columns. Hand-written: this runs for every record.
void json_escape(std::string& out, std::string_view s) {
    out += '"';
    // Copy runs that need no escaping in one append (almost every value is one such run).
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        const char ch = s[i];
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

std::int64_t saturate(double v) {
    if (!(v >= 0)) return 0;
    if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
    return static_cast<std::int64_t>(v);
}

std::string json_strings(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        json_escape(out, v[i]);
    }
    out += ']';
    return out;
}

std::vector<std::string> strings_from_json(const char* text) {
    std::vector<std::string> out;
    if (!text) return out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j)
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
}

class statement {
public:
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(stmt_); }
    result<void> prepare(sqlite3* db, const char* sql) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
            return fail(std::string("SQLite: ") + sqlite3_errmsg(db));
        return {};
    }
    sqlite3_stmt* get() const { return stmt_; }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    void bind(int i, std::string_view s) { sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT); }
    void bind_or_null(int i, std::string_view s) {
        if (s.empty()) sqlite3_bind_null(stmt_, i);
        else bind(i, s);
    }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    const char* cstr(int col) const { return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col)); }
    std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
    double dbl(int col) const { return sqlite3_column_double(stmt_, col); }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_store final : public store {
public:
    ~sqlite_store() override {
        // Statements first: sqlite3_close refuses while any is open.
        stmts_.clear();
        // close_v2 defers the close until the remaining statements are finalised.
        sqlite3_close_v2(db_);
    }

    result<void> open(const std::string& path, open_mode mode) {
        int flags = SQLITE_OPEN_NOMUTEX;
        if (mode == open_mode::read_only) {
            struct stat st;
            if (::stat(path.c_str(), &st) != 0) return fail("database '" + path + "' does not exist");
            flags |= SQLITE_OPEN_READONLY;
        } else {
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        }
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
            return fail("cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        sqlite3_extended_result_codes(db_, 1);
        if (mode == open_mode::read_write) {
            // Two ingests may open a brand-new file at the same moment; switching it to WAL can
            // then answer BUSY without consulting the busy handler, so setup retries (bounded).
            auto r = with_busy_retry([&] {
                // 64 KiB pages: records are stored in ~256 KiB blocks, so large pages cut the write
                // calls (and their cost in this VM) several-fold. Only affects a new database.
                auto x = exec("PRAGMA page_size=65536");
                if (x) x = exec("PRAGMA journal_mode=WAL");
                // NORMAL in WAL mode: a crash or SIGKILL never corrupts; power loss may lose the
                // last batch.
                if (x) x = exec("PRAGMA synchronous=NORMAL");
                if (x) x = migrate();
                return x;
            });
            if (!r) return r;
        } else {
            auto v = user_version();
            if (!v) return unexpected{v.err()};
            if (*v == 0) return fail("'" + path + "' is not a dmarcsight database");
        }
        // A bounded page cache keeps memory flat however large the database grows.
        return exec("PRAGMA cache_size=-16000");
    }

    // --- writing -----------------------------------------------------------------------------
    result<void> begin_batch() override { return exec("BEGIN IMMEDIATE"); }
    result<void> commit_batch() override { return exec("COMMIT"); }
    // A unit only ever adds one report row and its record blocks, so undoing it is deleting them.
    // (A SAVEPOINT would do the same, but it copies every page the batch already touched to a
    // statement journal: measured at ~600 MB of writes for the 25 MB benchmark database.)
    result<void> begin_unit() override {
        unit_report_ = -1;
        return {};
    }
    result<void> end_unit(bool keep) override {
        // Records of an undone unit that were still waiting in the block buffer go too.
        block_.clear();
        block_records_ = 0;
        block_report_ = -1;
        const std::int64_t id = unit_report_;
        unit_report_ = -1;
        if (keep || id < 0) return {};
        const auto by_id = [id](statement& s) { s.bind(1, id); };
        auto r = execute("DELETE FROM record_blocks WHERE id BETWEEN ?1 << 32 AND (?1 << 32) + 4294967295", by_id);
        if (!r) return r;
        return execute("DELETE FROM reports WHERE id = ?1", by_id);
    }

    result<std::optional<existing_report>> find_report(const report::report_key& k) override {
        auto& s = stmt("SELECT id FROM reports WHERE key_org=?1 AND key_report_id=?2 AND policy_domain=?3 "
                       "AND begin_time=?4 AND end_time=?5");
        if (!s.get()) return fail(prepare_error_);
        s.reset();
        s.bind(1, k.org);
        s.bind(2, k.report_id);
        s.bind(3, k.domain);
        s.bind(4, k.begin);
        s.bind(5, k.end);
        const int rc = sqlite3_step(s.get());
        if (rc == SQLITE_ROW) {
            existing_report e{s.i64(0)};
            s.reset();
            return std::optional<existing_report>(e);
        }
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        return std::optional<existing_report>();
    }

    result<std::uint64_t> content_hash(std::int64_t report) override {
        statement s;
        auto p = s.prepare(db_, "SELECT org_name, report_id, org_email, begin_time, end_time, policy_domain, p, sp, adkim, "
                                "aspf, pct FROM reports WHERE id = ?1");
        if (!p) return unexpected{p.err()};
        s.bind(1, report);
        if (sqlite3_step(s.get()) != SQLITE_ROW) return fail("no report #" + std::to_string(report));
        report::report_header h;
        h.metadata.org_name = s.text(0);
        h.metadata.report_id = s.text(1);
        h.metadata.email = s.text(2);
        h.metadata.begin = s.i64(3);
        h.metadata.end = s.i64(4);
        h.policy.domain = s.text(5);
        h.policy.p = s.text(6);
        h.policy.sp = s.text(7);
        h.policy.adkim = s.text(8);
        h.policy.aspf = s.text(9);
        if (!s.is_null(10)) h.policy.pct = static_cast<int>(s.i64(10));
        report::content_hash hash;
        hash.header(h);
        auto r = for_each_record(report, [&](const report::record& rec) -> result<void> {
            hash.record(rec);
            return {};
        });
        if (!r) return unexpected{r.err()};
        return hash.value();
    }

    result<std::int64_t> insert_report(const report::report_header& h, std::string_view label) override {
        auto& s = stmt(
            "INSERT INTO reports (key_org, key_report_id, policy_domain, begin_time, end_time, org_name, org_email, "
            "org_extra_contact, report_id, generator, errors, xml_schema, xml_namespace, adkim, aspf, p, sp, np, pct, fo, "
            "testing, discovery_method, input_label, ingested_at) VALUES "
            "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24)");
        if (!s.get()) return fail(prepare_error_);
        const report::report_key k = report::report_key::of(h);
        s.reset();
        s.bind(1, k.org);
        s.bind(2, k.report_id);
        s.bind(3, k.domain);
        s.bind(4, k.begin);
        s.bind(5, k.end);
        s.bind(6, h.metadata.org_name);
        s.bind_or_null(7, h.metadata.email);
        s.bind_or_null(8, h.metadata.extra_contact_info);
        s.bind(9, h.metadata.report_id);
        s.bind_or_null(10, h.metadata.generator);
        s.bind(11, json_strings(h.metadata.errors));
        s.bind(12, h.xml_schema);
        s.bind_or_null(13, h.xml_namespace);
        const auto& p = h.policy;
        s.bind_or_null(14, p.adkim);
        s.bind_or_null(15, p.aspf);
        s.bind_or_null(16, p.p);
        s.bind_or_null(17, p.sp);
        s.bind_or_null(18, p.np);
        if (p.pct) s.bind(19, static_cast<std::int64_t>(*p.pct));
        else s.bind_null(19);
        s.bind_or_null(20, p.fo);
        s.bind_or_null(21, p.testing);
        s.bind_or_null(22, p.discovery_method);
        s.bind(23, label);
        s.bind(24, utc::now());
        const int rc = sqlite3_step(s.get());
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        unit_report_ = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
        return unit_report_;
    }

    result<void> insert_record(std::int64_t report, const report::record& r) override {
        if (report != block_report_) {
            block_report_ = report;
            block_seq_ = 0;
            block_.clear();
            block_records_ = 0;
        }
        encode_record(r, block_);
        ++block_records_;
        if (block_.size() >= block_bytes) return flush_block();
        return {};
    }

    // Writes the pending block of the current report.
    result<void> flush_block() {
        if (block_records_ == 0) return {};
        if (block_seq_ >= blocks_per_report) return fail("too many record blocks in one report");
        statement& s = insert_block_;
        if (!s.get()) {
            auto p = s.prepare(db_, "INSERT INTO record_blocks (id, format, records, data) VALUES (?1, ?2, ?3, ?4)");
            if (!p) return p;
        }
        sqlite3_stmt* st = s.get();
        sqlite3_bind_int64(st, 1, static_cast<std::int64_t>((static_cast<std::uint64_t>(block_report_) << 32) | block_seq_));
        sqlite3_bind_int64(st, 2, record_block_version);
        sqlite3_bind_int64(st, 3, static_cast<std::int64_t>(block_records_));
        sqlite3_bind_blob64(st, 4, block_.data(), block_.size(), SQLITE_STATIC);
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return sql_error();
        ++block_seq_;
        block_.clear();
        block_records_ = 0;
        return {};
    }

    // Calls fn(record) for every record of a report, in order.
    template <class F>
    result<void> for_each_record(std::int64_t report, F&& fn) {
        statement& s = select_blocks_;
        if (!s.get()) {
            auto p = s.prepare(db_, "SELECT format, data FROM record_blocks WHERE id BETWEEN ?1 << 32 AND (?1 << 32) + 4294967295 "
                                    "ORDER BY id");
            if (!p) return p;
        }
        s.reset();
        s.bind(1, report);
        report::record rec;
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
            if (s.i64(0) != record_block_version) {
                s.reset();
                return fail("record block of report #" + std::to_string(report) + " has an unknown format");
            }
            const auto* data = static_cast<const char*>(sqlite3_column_blob(s.get(), 1));
            const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 1));
            record_decoder dec(std::string_view(data ? data : "", size));
            while (!dec.done()) {
                auto d = dec.next(rec);
                if (!d) {
                    s.reset();
                    return fail("report #" + std::to_string(report) + ": " + d.err().message);
                }
                auto f = fn(rec);
                if (!f) {
                    s.reset();
                    return f;
                }
            }
        }
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        return {};
    }

    result<void> finish_report(std::int64_t report, const report_totals& t) override {
        if (report == block_report_) {
            auto f = flush_block();
            if (!f) return f;
            block_report_ = -1;
        }
        auto& s = stmt("UPDATE reports SET record_count=?2, message_count=?3, dropped_records=?4, "
                       "warnings=?5, raw_sha256=?6 WHERE id=?1");
        if (!s.get()) return fail(prepare_error_);
        s.reset();
        s.bind(1, report);
        s.bind(2, static_cast<std::int64_t>(t.records));
        s.bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(t.messages, std::numeric_limits<std::int64_t>::max())));
        s.bind(4, static_cast<std::int64_t>(t.dropped_records));
        if (t.warnings.empty()) s.bind_null(5);
        else s.bind(5, json_strings(t.warnings));
        s.bind_or_null(6, t.raw_sha256);
        const int rc = sqlite3_step(s.get());
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        return {};
    }

    result<void> add_report_warning(std::int64_t report, std::string_view warning) override {
        return execute("UPDATE reports SET warnings = json_insert(coalesce(warnings, '[]'), '$[#]', ?2) WHERE id=?1",
                       [&](statement& s) {
                           s.bind(1, report);
                           s.bind(2, warning);
                       });
    }

    result<void> attach_raw(std::int64_t report, std::string_view sha) override {
        return execute("UPDATE reports SET raw_sha256=?2 WHERE id=?1", [&](statement& s) {
            s.bind(1, report);
            s.bind(2, sha);
        });
    }

    result<void> record_input(const input_row& row) override {
        // One row per distinct input: a re-run updates a previous rejection (it may now succeed)
        // but never turns a stored input into a duplicate of itself.
        auto& s = stmt("INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, report, seen_at) "
                       "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT (sha256, label) DO UPDATE SET "
                       "outcome=excluded.outcome, kind=excluded.kind, reason=excluded.reason, "
                       "quarantine_path=excluded.quarantine_path, report=excluded.report, seen_at=excluded.seen_at "
                       "WHERE inputs.outcome = 'rejected'");
        if (!s.get()) return fail(prepare_error_);
        s.reset();
        s.bind(1, row.label);
        s.bind(2, row.sha256);
        s.bind(3, static_cast<std::int64_t>(row.size));
        s.bind(4, to_string(row.result));
        s.bind_or_null(5, row.kind);
        s.bind_or_null(6, row.reason);
        s.bind_or_null(7, row.quarantine_path);
        if (row.report) s.bind(8, *row.report);
        else s.bind_null(8);
        s.bind(9, row.seen_at);
        const int rc = sqlite3_step(s.get());
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        return {};
    }

    // --- reading -----------------------------------------------------------------------------
    result<store_stats> stats() override {
        store_stats st;
        {
            statement s;
            auto p = s.prepare(db_, "SELECT count(*), total(record_count), total(message_count), count(DISTINCT policy_domain), "
                                    "min(begin_time), max(end_time) FROM reports");
            if (!p) return unexpected{p.err()};
            if (sqlite3_step(s.get()) != SQLITE_ROW) return sql_error();
            st.aggregate_reports = s.i64(0);
            st.records = saturate(s.dbl(1));
            st.messages = saturate(s.dbl(2));
            st.policy_domains = s.i64(3);
            if (!s.is_null(4)) st.first_begin = s.i64(4);
            if (!s.is_null(5)) st.last_end = s.i64(5);
        }
        statement s;
        auto p = s.prepare(db_, "SELECT outcome, count(*) FROM inputs GROUP BY outcome");
        if (!p) return unexpected{p.err()};
        while (sqlite3_step(s.get()) == SQLITE_ROW) {
            const std::string o = s.text(0);
            if (o == "rejected") st.rejected_inputs = s.i64(1);
            else if (o == "skipped") st.skipped_inputs = s.i64(1);
            else if (o == "duplicate") st.duplicate_inputs = s.i64(1);
        }
        return st;
    }

    // WHERE clause over reports aliased r; binds start at 1.
    static std::string filter_sql(const query_filter& f) {
        std::string w = " WHERE 1";
        if (!f.domain.empty()) {
            w += f.include_subdomains ? " AND (r.policy_domain = ?1 OR substr(r.policy_domain, -length(?1) - 1) = '.' || ?1)"
                                      : " AND r.policy_domain = ?1";
        }
        if (f.since) w += " AND r.begin_time >= ?2";
        if (f.until) w += " AND r.begin_time < ?3";
        return w;
    }
    static void bind_filter(statement& s, const query_filter& f) {
        if (!f.domain.empty()) s.bind(1, f.domain);
        if (f.since) s.bind(2, *f.since);
        if (f.until) s.bind(3, *f.until);
    }

    result<std::vector<sender_row>> senders(const query_filter& f) override {
        // Aggregated here rather than in SQL: records live in blocks (see record_codec.hpp).
        const std::string sql = "SELECT r.id, r.policy_domain, r.org_name, r.begin_time, r.end_time FROM reports r" +
                                filter_sql(f) + " ORDER BY r.id";
        statement s;
        auto p = s.prepare(db_, sql.c_str());
        if (!p) return unexpected{p.err()};
        bind_filter(s, f);
        struct agg {
            sender_row row;
            std::uint64_t messages = 0, pass = 0, spf = 0, dkim = 0, none = 0, quarantine = 0, reject = 0, dpass = 0;
        };
        std::unordered_map<std::string, agg> by_source;
        std::string key;
        const auto add = [](std::uint64_t& total, std::int64_t v) {
            const auto room = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - total;
            total += static_cast<std::uint64_t>(v) < room ? static_cast<std::uint64_t>(v) : room;
        };
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
            const std::int64_t id = s.i64(0);
            const std::string domain = s.text(1), org = s.text(2);
            const std::int64_t begin = s.i64(3), end = s.i64(4);
            auto r = for_each_record(id, [&](const report::record& rec) -> result<void> {
                key.assign(domain);
                key += '\0';
                rec.source_ip.append_to(key);
                auto [it, fresh] = by_source.try_emplace(key);
                agg& a = it->second;
                if (fresh) {
                    a.row.policy_domain = domain;
                    a.row.source_ip = rec.source_ip.to_string();
                    a.row.first_seen = begin;
                    a.row.last_seen = end;
                }
                a.row.first_seen = std::min(a.row.first_seen, begin);
                a.row.last_seen = std::max(a.row.last_seen, end);
                if (std::find(a.row.reporters.begin(), a.row.reporters.end(), org) == a.row.reporters.end())
                    a.row.reporters.push_back(org);
                add(a.messages, rec.count);
                if (rec.dkim == "pass" || rec.spf == "pass") add(a.pass, rec.count);
                if (rec.spf == "pass") add(a.spf, rec.count);
                if (rec.dkim == "pass") add(a.dkim, rec.count);
                if (rec.disposition == "none") add(a.none, rec.count);
                else if (rec.disposition == "quarantine") add(a.quarantine, rec.count);
                else if (rec.disposition == "reject") add(a.reject, rec.count);
                else if (rec.disposition == "pass") add(a.dpass, rec.count);
                return {};
            });
            if (!r) return unexpected{r.err()};
        }
        if (rc != SQLITE_DONE) return sql_error();
        std::vector<sender_row> out;
        out.reserve(by_source.size());
        for (auto& [k, a] : by_source) {
            sender_row row = std::move(a.row);
            row.messages = static_cast<std::int64_t>(a.messages);
            row.dmarc_pass = static_cast<std::int64_t>(a.pass);
            row.spf_aligned = static_cast<std::int64_t>(a.spf);
            row.dkim_aligned = static_cast<std::int64_t>(a.dkim);
            row.disposition_none = static_cast<std::int64_t>(a.none);
            row.disposition_quarantine = static_cast<std::int64_t>(a.quarantine);
            row.disposition_reject = static_cast<std::int64_t>(a.reject);
            row.disposition_pass = static_cast<std::int64_t>(a.dpass);
            std::sort(row.reporters.begin(), row.reporters.end());
            out.push_back(std::move(row));
        }
        std::sort(out.begin(), out.end(), [](const sender_row& x, const sender_row& y) {
            if (x.messages != y.messages) return x.messages > y.messages;
            if (x.policy_domain != y.policy_domain) return x.policy_domain < y.policy_domain;
            return x.source_ip < y.source_ip;
        });
        return out;
    }

    result<void> visit_reports(const query_filter& f, report_visitor& v) override {
        const std::string sql =
            "SELECT r.id, r.org_name, r.org_email, r.org_extra_contact, r.report_id, r.generator, r.errors, r.xml_schema, "
            "r.xml_namespace, r.begin_time, r.end_time, r.policy_domain, r.adkim, r.aspf, r.p, r.sp, r.np, r.pct, r.fo, "
            "r.testing, r.discovery_method, r.record_count, r.message_count, r.dropped_records, r.warnings, r.input_label, "
            "r.raw_sha256 FROM reports r" +
            filter_sql(f) + " ORDER BY r.begin_time, r.id";
        statement s;
        auto p = s.prepare(db_, sql.c_str());
        if (!p) return unexpected{p.err()};
        bind_filter(s, f);
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
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
            auto b = v.begin_report(sr);
            if (!b) return b;
            auto recs = for_each_record(sr.id, [&](const report::record& r) { return v.on_record(r); });
            if (!recs) return recs;
            auto e = v.end_report();
            if (!e) return e;
        }
        if (rc != SQLITE_DONE) return sql_error();
        return {};
    }

    result<std::vector<input_row>> inputs_with(outcome o) override {
        statement s;
        auto p = s.prepare(db_, "SELECT label, sha256, size, kind, reason, quarantine_path, report, seen_at FROM inputs "
                                "WHERE outcome = ?1 ORDER BY seen_at, id");
        if (!p) return unexpected{p.err()};
        s.bind(1, to_string(o));
        std::vector<input_row> out;
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
            input_row r;
            r.label = s.text(0);
            r.sha256 = s.text(1);
            r.size = static_cast<std::uint64_t>(s.i64(2));
            r.result = o;
            r.kind = s.text(3);
            r.reason = s.text(4);
            r.quarantine_path = s.text(5);
            if (!s.is_null(6)) r.report = s.i64(6);
            r.seen_at = s.i64(7);
            out.push_back(std::move(r));
        }
        if (rc != SQLITE_DONE) return sql_error();
        return out;
    }

    result<std::vector<std::string>> policy_domains() override {
        statement s;
        auto p = s.prepare(db_, "SELECT DISTINCT policy_domain FROM reports ORDER BY 1");
        if (!p) return unexpected{p.err()};
        std::vector<std::string> out;
        while (sqlite3_step(s.get()) == SQLITE_ROW) out.push_back(s.text(0));
        return out;
    }

    result<std::vector<std::pair<std::string, std::string>>> dkim_selectors() override {
        statement s;
        auto p = s.prepare(db_, "SELECT id FROM reports ORDER BY id");
        if (!p) return unexpected{p.err()};
        std::set<std::pair<std::string, std::string>> seen;
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
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

private:

    result<void> exec(const char* sql) {
        char* msg = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
            std::string m = msg ? msg : sqlite3_errmsg(db_);
            sqlite3_free(msg);
            if (sqlite3_errcode(db_) == SQLITE_BUSY) m = "the database is locked by another process (" + m + ")";
            return fail("SQLite: " + m);
        }
        return {};
    }

    // Runs one cached statement that returns no rows: `bind(statement&)` sets its parameters.
    template <class F>
    result<void> execute(const char* sql, F&& bind) {
        auto& s = stmt(sql);
        if (!s.get()) return fail(prepare_error_);
        s.reset();
        bind(s);
        const int rc = sqlite3_step(s.get());
        s.reset();
        if (rc != SQLITE_DONE) return sql_error();
        return {};
    }

    // Runs `step` again while the database answers BUSY, for up to the busy timeout.
    template <class F>
    result<void> with_busy_retry(F&& step) {
        constexpr int pause_ms = 20;
        for (int waited = 0;; waited += pause_ms) {
            auto r = step();
            if (r || (sqlite3_errcode(db_) & 0xff) != SQLITE_BUSY || waited >= busy_timeout_ms) return r;
            sqlite3_sleep(pause_ms);
        }
    }

    unexpected sql_error() {
        std::string m = sqlite3_errmsg(db_);
        if ((sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY) m = "the database is locked by another process (" + m + ")";
        return fail("SQLite: " + m);
    }

    result<std::int64_t> user_version() {
        statement s;
        auto p = s.prepare(db_, "PRAGMA user_version");
        if (!p) return unexpected{p.err()};
        if (sqlite3_step(s.get()) != SQLITE_ROW) return sql_error();
        return s.i64(0);
    }

    // Applies every embedded migration newer than PRAGMA user_version, each in its own transaction.
    result<void> migrate() {
        auto r = exec("BEGIN IMMEDIATE");
        if (!r) return r;
        auto v = user_version();
        if (!v) {
            (void)exec("ROLLBACK");
            return unexpected{v.err()};
        }
        const auto n = static_cast<std::int64_t>(std::size(sqlite_migrations));
        if (*v > n) {
            (void)exec("ROLLBACK");
            return fail("the database was written by a newer dmarcsight (schema " + std::to_string(*v) + ")");
        }
        for (std::int64_t i = *v; i < n; ++i) {
            r = exec(sqlite_migrations[i].sql);
            if (!r) {
                (void)exec("ROLLBACK");
                return fail(std::string("migration ") + sqlite_migrations[i].name + ": " + r.err().message);
            }
            r = exec(("PRAGMA user_version=" + std::to_string(i + 1)).c_str());
            if (!r) {
                (void)exec("ROLLBACK");
                return r;
            }
        }
        return exec("COMMIT");
    }

    // Prepared once, kept for the store's life.
    statement& stmt(const char* sql) {
        for (auto& [text, s] : stmts_)
            if (std::string_view(text) == sql) return *s;
        auto s = std::make_unique<statement>();
        auto p = s->prepare(db_, sql);
        if (!p) prepare_error_ = p.err().message;
        stmts_.emplace_back(sql, std::move(s));
        return *stmts_.back().second;
    }

    sqlite3* db_ = nullptr;
    std::vector<std::pair<const char*, std::unique_ptr<statement>>> stmts_;
    statement insert_block_;
    statement select_blocks_;
    std::string prepare_error_;
    std::int64_t unit_report_ = -1;  // the report row the current unit inserted, if any
    // The block being filled: its report, its number within the report, its bytes and records.
    std::int64_t block_report_ = -1;
    std::uint64_t block_seq_ = 0;
    std::string block_;
    std::uint64_t block_records_ = 0;
};

}  // namespace

result<std::unique_ptr<store>> open_sqlite(const std::string& path, open_mode mode) {
    auto s = std::make_unique<sqlite_store>();
    auto r = s->open(path, mode);
    if (!r) return unexpected{r.err()};
    return std::unique_ptr<store>(std::move(s));
}

}  // namespace dmarcsight::store
