// The SQLite driver, part 4: the analysis facts (store/facts.hpp; tables source_facts and
// fact_ranges of schema/sqlite/0004_facts_appended.sql). The ingest adds each kept report's
// records to an in-memory accumulator, which is appended (never updated) at the end of the batch
// or when it grows large, in the batch's transaction: a report's facts commit with it or not at
// all, and a duplicate (never stored) adds none. Every write appends at the end of source_facts
// (ids only grow: SQLite's append path, full pages), a domain's rows together; fact_ranges says
// which ids are whose, and a domain is read by joining its ranges to the ids. A flush is one
// INSERT OR FAIL ... SELECT from the pending facts table (pending_facts.hpp): OR FAIL, because an
// INSERT that could abort half-way needs a statement journal, and with 64 KiB pages that journal
// wrote 350 MB for the 14 MB of facts of the benchmark corpus (the batch's transaction is rolled
// back whole on any error anyway).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/time.hpp"
#include "store/sqlite/pending_facts.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

namespace {

// The accumulator is written out when it holds this many rows (memory stays bounded in a batch
// of 200,000 records).
constexpr std::size_t max_pending_fact_rows = 16'384;

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

// The columns every fact reader selects: source_ip, day, header_from, the column measures,
// evidence (fact_columns). Reads them into row (not its policy domain); false: the evidence is
// damaged.
const std::string& fact_columns() {
    static const std::string columns = "source_ip, day, header_from, " + column_measure_names() + ", evidence";
    return columns;
}
bool read_fact_row(const statement& s, source_day_row& row, const std::vector<std::string>& reporters) {
    const char* ip = s.cstr(0);
    row.key.source_ip.assign(ip ? ip : "");
    row.key.day = s.text(1);
    row.key.header_from = s.text(2);
    const auto& columns = column_measure_mask();
    int i = 3;
    std::size_t m = 0;
    for_each_measure(row.m, [&](const char*, std::int64_t& v) {
        if (columns[m++]) v = s.i64(i++);
    });
    const auto* blob = static_cast<const char*>(sqlite3_column_blob(s.get(), i));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s.get(), i));
    return decode_evidence(std::string_view(blob ? blob : "", size), row, reporters);
}
std::string damaged_row(const std::string& domain) {
    return "a fact row of " + domain + " is damaged (evidence does not decode): run dmarcsight rebuild";
}

// Messages per source address text, and which fact rows made them: an open-addressing table of
// inline keys (an address's text is at most 45 bytes; anything longer is no address, a damaged
// row, and is left out), each entry heading a list of its row ids.
class address_sums {
public:
    static constexpr std::size_t block = 64;
    void clear() {
        entries_.clear();
        std::fill(slots_.begin(), slots_.end(), 0u);
        row_ids_.clear();
        row_next_.clear();
    }
    std::size_t size() const { return entries_.size(); }
    void start_block() { staged_ = 0; }
    bool block_full() const { return staged_ == block; }
    void stage(std::int64_t row, std::string_view ip, std::int64_t messages, std::int64_t dmarc_pass) {
        if (ip.size() > max_key) return;
        staged& st = staged_rows_[staged_++];
        st.row = row;
        std::memcpy(st.key, ip.data(), ip.size());
        st.len = static_cast<std::uint8_t>(ip.size());
        st.messages = messages;
        st.dmarc_pass = dmarc_pass;
        st.hash = std::hash<std::string_view>{}(ip);
    }
    void add_block() {
        if ((entries_.size() + staged_) * 2 > slots_.size()) grow(entries_.size() + staged_);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = 0; i < staged_; ++i) __builtin_prefetch(&slots_[staged_rows_[i].hash & mask]);
        // Then the entry each first slot names (the slots are in cache by now).
        for (std::size_t i = 0; i < staged_; ++i) {
            const std::uint64_t slot = slots_[staged_rows_[i].hash & mask];
            if (slot != 0) __builtin_prefetch(&entries_[(slot & 0xffffffffu) - 1]);
        }
        for (std::size_t i = 0; i < staged_; ++i) {
            const staged& st = staged_rows_[i];
            const std::uint64_t tag = (st.hash >> 32) << 32;
            std::size_t at = st.hash & mask;
            for (;;) {
                const std::uint64_t slot = slots_[at];
                if (slot == 0) {
                    entries_.push_back(entry{});
                    entry& e = entries_.back();
                    std::memcpy(e.key, st.key, st.len);
                    e.len = st.len;
                    e.messages = st.messages;
                    e.dmarc_pass = st.dmarc_pass;
                    slots_[at] = tag | entries_.size();
                    link(e, st.row);
                    break;
                }
                if ((slot & ~std::uint64_t{0xffffffffu}) == tag) {
                    entry& e = entries_[(slot & 0xffffffffu) - 1];
                    if (e.len == st.len && std::memcmp(e.key, st.key, st.len) == 0) {
                        e.messages = saturating(e.messages, st.messages);
                        e.dmarc_pass = saturating(e.dmarc_pass, st.dmarc_pass);
                        link(e, st.row);
                        break;
                    }
                }
                at = (at + 1) & mask;
            }
        }
        staged_ = 0;
    }
    // Whether entry i is a source that failing chooses among: fewer DMARC passes than messages.
    bool failing(std::size_t i) const { return entries_[i].dmarc_pass < entries_[i].messages; }
    // The n entries with the most messages (ties: the address text), largest first; with
    // failing_only, of the failing entries only. `chosen_among`: how many entries it chose among.
    std::vector<std::size_t> top(std::size_t n, bool failing_only, std::size_t& chosen_among) const {
        std::vector<std::size_t> order;
        order.reserve(entries_.size());
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (!failing_only || failing(i)) order.push_back(i);
        chosen_among = order.size();
        const auto better = [&](std::size_t a, std::size_t b) {
            if (entries_[a].messages != entries_[b].messages) return entries_[a].messages > entries_[b].messages;
            return ip(a) < ip(b);
        };
        const std::size_t k = std::min(n, order.size());
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), better);
        order.resize(k);
        return order;
    }
    std::string_view ip(std::size_t i) const { return {entries_[i].key, entries_[i].len}; }
    std::int64_t messages(std::size_t i) const { return entries_[i].messages; }
    // The fact rows of entry i, in id order.
    std::vector<std::int64_t> rows(std::size_t i) const {
        std::vector<std::int64_t> out;
        for (std::uint32_t at = entries_[i].rows; at != 0; at = row_next_[at - 1]) out.push_back(row_ids_[at - 1]);
        std::reverse(out.begin(), out.end());
        return out;
    }

private:
    static constexpr std::size_t max_key = 46;
    static std::int64_t saturating(std::int64_t total, std::int64_t add) {
        return add > INT64_MAX - total ? INT64_MAX : total + add;
    }
    struct entry {
        char key[max_key];
        std::uint8_t len = 0;
        std::uint32_t rows = 0;  // the newest of its rows: index + 1 into row_ids_, 0 = none
        std::int64_t messages = 0;
        std::int64_t dmarc_pass = 0;
    };
    struct staged {
        char key[max_key];
        std::uint8_t len = 0;
        std::int64_t row = 0;
        std::int64_t messages = 0;
        std::int64_t dmarc_pass = 0;
        std::size_t hash = 0;
    };
    void link(entry& e, std::int64_t row) {
        row_ids_.push_back(row);
        row_next_.push_back(e.rows);
        e.rows = static_cast<std::uint32_t>(row_ids_.size());
    }
    void grow(std::size_t need) {
        std::size_t n = slots_.empty() ? 4096 : slots_.size();
        while (need * 2 > n) n *= 2;
        slots_.assign(n, 0u);
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            const std::size_t h = std::hash<std::string_view>{}(std::string_view(entries_[i].key, entries_[i].len));
            std::size_t at = h & (n - 1);
            while (slots_[at] != 0) at = (at + 1) & (n - 1);
            slots_[at] = ((h >> 32) << 32) | (i + 1);
        }
    }
    std::vector<entry> entries_;
    std::vector<std::uint64_t> slots_;  // (hash tag << 32) | (entry index + 1); 0 = empty
    std::array<staged, block> staged_rows_{};
    std::size_t staged_ = 0;
    std::vector<std::int64_t> row_ids_;
    std::vector<std::uint32_t> row_next_;
};


}  // namespace

// The id of name in one of the facts' name tables (fact_domains, fact_reporters), added when
// create and not there yet.
result<std::optional<std::int64_t>> sqlite_store::name_id(const char* select_sql, const char* insert_sql, std::string_view name,
                                                          bool create) {
    auto& q = stmt(select_sql);
    if (!q.get()) return fail(prepare_error_);
    q.reset();
    q.bind(1, name);
    const int rc = q.step();
    if (rc == SQLITE_ROW) {
        const std::int64_t id = q.i64(0);
        q.reset();
        return std::optional<std::int64_t>(id);
    }
    const std::string why = rc == SQLITE_DONE ? std::string() : q.error_text(rc);
    q.reset();
    if (!why.empty()) return fail(why);
    if (!create) return std::optional<std::int64_t>();
    auto r = execute(insert_sql, [&](statement& s) { s.bind(1, name); });
    if (!r) return unexpected{r.err()};
    return std::optional<std::int64_t>(static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_)));
}

result<std::optional<std::int64_t>> sqlite_store::fact_domain_id(const std::string& domain, bool create) {
    return name_id("SELECT id FROM fact_domains WHERE policy_domain = ?1", "INSERT INTO fact_domains (policy_domain) VALUES (?1)",
                   domain, create);
}

result<std::int64_t> sqlite_store::fact_reporter_id(std::string_view name) {
    auto known = fact_reporters_.find(std::string(name));
    if (known != fact_reporters_.end()) return known->second;
    auto id = name_id("SELECT id FROM fact_reporters WHERE name = ?1", "INSERT INTO fact_reporters (name) VALUES (?1)", name, true);
    if (!id) return unexpected{id.err()};
    fact_reporters_.emplace(std::string(name), **id);
    return **id;
}

result<std::vector<std::string>> sqlite_store::fact_reporter_names() {
    std::vector<std::string> names;
    statement s;
    auto p = s.prepare(db_, "SELECT id, name FROM fact_reporters");
    if (!p) return unexpected{p.err()};
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        const std::int64_t id = s.i64(0);
        if (id <= 0 || id > (std::int64_t{1} << 24)) return fail("the reporter table is damaged (id " + std::to_string(id) + "): run dmarcsight rebuild");
        if (names.size() <= static_cast<std::size_t>(id)) names.resize(static_cast<std::size_t>(id) + 1);
        names[static_cast<std::size_t>(id)] = s.text(1);
    }
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return names;
}

result<fact_domain_list> sqlite_store::fact_domains_of(const fact_filter& f) {
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
    static const std::string insert_sql = "INSERT OR FAIL INTO source_facts (" + pending_fact_columns() + ") SELECT " +
                                          pending_fact_columns() + " FROM " + pending_facts_table;
    auto& insert = stmt(insert_sql.c_str());
    if (!insert.get()) return fail(prepare_error_);
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
    // The reporters' ids, by the accumulator's index of each (one per reporter in the batch).
    // Only those of rows written: a reporter of undone reports alone gets no name row.
    std::vector<std::uint64_t> reporter_ids(facts_.reporter_count(), 0);
    std::vector<bool> used(reporter_ids.size(), false);
    std::vector<std::uint32_t> of_row;
    for (const fact_entry* row : rows) {
        facts_.reporters_of(*row, of_row);
        for (const std::uint32_t r : of_row) used[r] = true;
    }
    for (std::uint32_t i = 0; i < reporter_ids.size(); ++i) {
        if (!used[i]) continue;
        auto id = fact_reporter_id(facts_.reporter(i));
        if (!id) return unexpected{id.err()};
        reporter_ids[i] = static_cast<std::uint64_t>(*id);
    }
    // One statement appends them all, read in place (pending_facts.hpp).
    pending_.facts = &facts_;
    pending_.rows = &rows;
    pending_.domain_ids = &domain_ids;
    pending_.reporter_ids = &reporter_ids;
    insert.reset();
    const int rc = insert.step();
    const std::string why = rc == SQLITE_DONE ? std::string() : insert.error_text(rc);
    insert.reset();
    pending_ = {};
    if (rc != SQLITE_DONE) return fail(why);
    // The rows took the ids SQLite gives an INSERT without one: the largest id plus one, each
    // (https://sqlite.org/autoinc.html; no AUTOINCREMENT, and ids are far from the maximum), in the
    // order the table gave them. The ranges written above count on it: say so if it ever does not
    // hold.
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
    auto reporters = fact_reporter_names();
    if (!reporters) return unexpected{reporters.err()};
    const std::string sql = "SELECT " + fact_columns() + domain_facts(f, true);
    statement s;
    auto p = s.prepare(db_, sql.c_str());
    if (!p) return p;
    const std::unordered_set<std::string> only(f.source_ips.begin(), f.source_ips.end());
    source_day_row row;
    std::string ip;
    for (const auto& [id, name] : *domains) {
        bind_domain(s, id, f, true);
        row.key.policy_domain = name;
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            const char* ip_text = s.cstr(0);
            if (!only.empty()) {
                ip.assign(ip_text ? ip_text : "");
                if (!only.count(ip)) continue;
            }
            if (!read_fact_row(s, row, *reporters)) return fail(damaged_row(name));
            auto r = each(row);
            if (!r) return r;
        }
        if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    }
    return {};
}

namespace {

struct top_candidate {
    std::int64_t messages = 0;
    std::string domain, ip;
    std::vector<std::int64_t> rows;
};
bool better_candidate(const top_candidate& a, const top_candidate& b) {
    if (a.messages != b.messages) return a.messages > b.messages;
    if (a.domain != b.domain) return a.domain < b.domain;
    return a.ip < b.ip;
}
// What one connection's share of the overview's pass found: each domain's best n, and how many
// sources it saw.
struct top_scan {
    std::vector<top_candidate> best;
    std::size_t matched = 0;
    std::string error;
};

top_scan scan_top(sqlite3* db, const std::vector<std::pair<std::int64_t, std::string>>& domains, const fact_filter& f,
                  std::size_t n, top_of which) {
    top_scan out;
    const std::string sql = "SELECT f.id, f.source_ip, f.messages, f.dmarc_pass_messages" + domain_facts(f, true);
    statement s;
    auto p = s.prepare(db, sql.c_str());
    if (!p) {
        out.error = p.err().message;
        return out;
    }
    address_sums sums;
    for (const auto& [id, name] : domains) {
        bind_domain(s, id, f, true);
        sums.clear();
        int rc = SQLITE_ROW;
        while (rc == SQLITE_ROW) {
            sums.start_block();
            while (!sums.block_full() && (rc = s.step()) == SQLITE_ROW) {
                const char* t = s.cstr(1);
                sums.stage(s.i64(0), std::string_view(t ? t : "", t ? static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 1)) : 0),
                           s.i64(2), s.i64(3));
            }
            sums.add_block();
        }
        if (rc != SQLITE_DONE) {
            out.error = s.error_text(rc);
            return out;
        }
        std::size_t among = 0;
        const auto best = sums.top(n, which == top_of::failing, among);
        out.matched += among;
        for (const std::size_t i : best) out.best.push_back({sums.messages(i), name, std::string(sums.ip(i)), sums.rows(i)});
    }
    return out;
}

// A read-only connection of its own to the file at path, for fn (closed when done): fn's error
// text, or why there is no connection.
template <class F>
std::string on_own_connection(const std::string& path, F&& fn) {
    sqlite3* db = nullptr;
    if (path.empty() || sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return "cannot open a second connection";
    }
    sqlite3_busy_timeout(db, busy_timeout_ms);
    sqlite3_exec(db, "PRAGMA cache_size=-16000", nullptr, nullptr, nullptr);
    std::string error = fn(db);
    sqlite3_close(db);
    return error;
}

// scan(db, domains) over `mine` here and, at the same time, over `theirs` on a second read-only
// connection; when none can be had, `theirs` is scanned here after `mine`. R has an `error` text.
template <class R, class Scan>
std::pair<R, R> scan_on_two(sqlite3* db, const fact_domain_list& mine, const fact_domain_list& theirs, Scan&& scan) {
    R other;
    std::thread helper;
    if (!theirs.empty()) {
        const char* file = sqlite3_db_filename(db, "main");
        helper = std::thread([&, path = std::string(file ? file : "")] {
            const std::string error = on_own_connection(path, [&](sqlite3* own) {
                other = scan(own, theirs);
                return other.error;
            });
            if (!error.empty()) other.error = error;
        });
    }
    R here = scan(db, mine);
    if (helper.joinable()) helper.join();
    if (here.error.empty() && !other.error.empty()) other = scan(db, theirs);
    return {std::move(here), std::move(other)};
}

// What domains says of each domain, from one pass over its facts (distinct sources counted in the
// overview's flat table: SQLite's count(DISTINCT) sorted every address, 4 of the 5.8 s `domains`
// took on the 10-million-record store).
struct domain_scan {
    std::vector<domain_row> rows;  // a domain with no facts in the window is left out
    std::string error;
};

domain_scan scan_domains(sqlite3* db, const fact_domain_list& domains, const fact_filter& f) {
    domain_scan out;
    const std::string sql = "SELECT f.id, f.source_ip, f.messages, f.dmarc_pass_messages, f.day" + domain_facts(f, false);
    statement s;
    auto p = s.prepare(db, sql.c_str());
    if (!p) {
        out.error = p.err().message;
        return out;
    }
    const auto add = [](std::int64_t& into, std::int64_t v) {
        if (__builtin_add_overflow(into, v, &into)) into = INT64_MAX;
    };
    const auto text = [&s](int col) {
        const char* t = s.cstr(col);
        return std::string_view(t ? t : "", t ? static_cast<std::size_t>(sqlite3_column_bytes(s.get(), col)) : 0);
    };
    address_sums sources;
    for (const auto& [id, name] : domains) {
        bind_domain(s, id, f, false);
        sources.clear();
        domain_row d;
        d.policy_domain = name;
        std::int64_t rows = 0;
        int rc = SQLITE_ROW;
        while (rc == SQLITE_ROW) {
            sources.start_block();
            while (!sources.block_full() && (rc = s.step()) == SQLITE_ROW) {
                const std::int64_t messages = s.i64(2), pass = s.i64(3);
                sources.stage(s.i64(0), text(1), messages, pass);
                add(d.messages, messages);
                add(d.dmarc_pass, pass);
                const std::string_view day = text(4);
                if (rows == 0 || day < d.first_day) d.first_day.assign(day);
                if (rows == 0 || day > d.last_day) d.last_day.assign(day);
                ++rows;
            }
            sources.add_block();
        }
        if (rc != SQLITE_DONE) {
            out.error = s.error_text(rc);
            return out;
        }
        if (rows == 0) continue;  // nothing in the window
        d.sources = static_cast<std::int64_t>(sources.size());
        out.rows.push_back(std::move(d));
    }
    return out;
}

// The fact rows of the candidates (a domain's together), a domain's in id order: rows of one
// batch share pages, and each page is read once. 64 ids to a statement (the last list repeats
// its last id: IN keeps one row). An error's text, or empty.
std::string read_top_rows(sqlite3* db, const std::vector<top_candidate>& best, const std::vector<std::string>& reporters,
                          const std::function<result<void>(const source_day_row&)>& each) {
    if (best.empty()) return {};
    constexpr std::size_t ids_per_read = 64;
    std::string sql = "SELECT " + fact_columns() + " FROM source_facts WHERE id IN (";
    for (std::size_t i = 0; i < ids_per_read; ++i) sql += (i ? ",?" : "?") + std::to_string(i + 1);
    sql += ")";
    statement r;
    auto p = r.prepare(db, sql.c_str());
    if (!p) return p.err().message;
    source_day_row row;
    for (std::size_t first = 0; first < best.size();) {
        std::size_t last = first;
        std::vector<std::int64_t> ids;
        while (last < best.size() && best[last].domain == best[first].domain) {
            ids.insert(ids.end(), best[last].rows.begin(), best[last].rows.end());
            ++last;
        }
        std::sort(ids.begin(), ids.end());
        const std::string& domain = best[first].domain;
        first = last;
        row.key.policy_domain = domain;
        for (std::size_t at = 0; at < ids.size(); at += ids_per_read) {
            r.rewind();
            for (std::size_t i = 0; i < ids_per_read; ++i) r.bind(static_cast<int>(i + 1), ids[std::min(at + i, ids.size() - 1)]);
            int rc;
            while ((rc = r.step()) == SQLITE_ROW) {
                if (!read_fact_row(r, row, reporters)) return damaged_row(domain);
                auto e = each(row);
                if (!e) return e.err().message;
            }
            if (rc != SQLITE_DONE) return r.error_text(rc);
        }
    }
    return {};
}

}  // namespace

// Rows of facts per domain id (from fact_ranges): to share a pass over domains evenly.
result<std::unordered_map<std::int64_t, std::int64_t>> sqlite_store::fact_domain_rows() {
    std::unordered_map<std::int64_t, std::int64_t> out;
    statement s;
    auto p = s.prepare(db_, "SELECT domain_id, sum(last_id - first_id + 1) FROM fact_ranges GROUP BY domain_id");
    if (!p) return unexpected{p.err()};
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out[s.i64(0)] = s.i64(1);
    if (rc != SQLITE_DONE) return fail(s.error_text(rc));
    return out;
}

result<std::pair<fact_domain_list, fact_domain_list>> sqlite_store::split_by_rows(fact_domain_list domains) {
    std::pair<fact_domain_list, fact_domain_list> out;
    if (domains.size() <= 1) {
        out.first = std::move(domains);
        return out;
    }
    auto sizes = fact_domain_rows();
    if (!sizes) return unexpected{sizes.err()};
    std::sort(domains.begin(), domains.end(), [&](const auto& x, const auto& y) { return (*sizes)[x.first] > (*sizes)[y.first]; });
    std::int64_t rows_a = 0, rows_b = 0;
    for (auto& d : domains) {
        const std::int64_t rows = (*sizes)[d.first];
        if (rows_a <= rows_b) {
            out.first.push_back(std::move(d));
            rows_a += rows;
        } else {
            out.second.push_back(std::move(d));
            rows_b += rows;
        }
    }
    return out;
}

result<std::size_t> sqlite_store::top_source_days(const fact_filter& f, std::size_t n, top_of which,
                                                  const std::function<result<void>(const source_day_row&)>& each) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    auto reporters = fact_reporter_names();
    if (!reporters) return unexpected{reporters.err()};
    // One pass over the facts sums messages per source, domain by domain, in a flat table keyed
    // by the address text SQLite hands out (no string per row), and remembers each source's rows.
    // Rows are taken a block at a time and their slots prefetched, so the table's cache misses
    // overlap (a node-based map spent 1.9 s of a 5.3 s overview on them). Then only the best n
    // sources' rows are read again, by id (a second scan with an IN list cost as much as the first).
    // With several domains the pass runs on two threads, each on its own read-only connection
    // (domains split by their number of rows): the pass is the overview's whole cost.
    auto shares = split_by_rows(std::move(*domains));
    if (!shares) return unexpected{shares.err()};
    const fact_domain_list& theirs = shares->second;
    auto [here, other] = scan_on_two<top_scan>(db_, shares->first, theirs, [&](sqlite3* db, const fact_domain_list& d) {
        return scan_top(db, d, f, n, which);
    });
    if (!here.error.empty()) return fail(here.error);
    if (!other.error.empty()) return fail(other.error);
    std::vector<top_candidate> best = std::move(here.best);
    for (auto& c : other.best) best.push_back(std::move(c));
    std::sort(best.begin(), best.end(), better_candidate);
    if (best.size() > n) best.resize(n);
    const std::size_t matched = here.matched + other.matched;
    // A domain's sources together (readers roll a domain up at a time).
    std::sort(best.begin(), best.end(), [](const top_candidate& a, const top_candidate& b) {
        return a.domain != b.domain ? a.domain < b.domain : a.ip < b.ip;
    });
    // The chosen sources' rows, read by id: the first domains here (given out as they come), the
    // others at the same time on a second connection (held, then given out).
    std::size_t split = best.size();
    if (best.size() > 1 && !theirs.empty()) {
        std::size_t total = 0, half = 0;
        for (const auto& c : best) total += c.rows.size();
        for (split = 0; split < best.size() && 2 * half < total; ++split) half += best[split].rows.size();
        while (split < best.size() && split > 0 && best[split].domain == best[split - 1].domain) ++split;
    }
    const std::vector<top_candidate> later(std::make_move_iterator(best.begin() + static_cast<std::ptrdiff_t>(split)),
                                           std::make_move_iterator(best.end()));
    best.resize(split);
    std::vector<source_day_row> held;
    std::string held_error;
    std::thread helper;
    if (!later.empty()) {
        const char* file = sqlite3_db_filename(db_, "main");
        helper = std::thread([&, path = std::string(file ? file : "")] {
            held_error = on_own_connection(path, [&](sqlite3* db) {
                return read_top_rows(db, later, *reporters, [&](const source_day_row& row) -> result<void> {
                    held.push_back(row);
                    return {};
                });
            });
        });
    }
    std::string error = read_top_rows(db_, best, *reporters, each);
    if (helper.joinable()) helper.join();
    if (!error.empty()) return fail(error);
    if (!held_error.empty()) {
        held.clear();
        held_error = read_top_rows(db_, later, *reporters, [&](const source_day_row& row) -> result<void> {
            held.push_back(row);
            return {};
        });
        if (!held_error.empty()) return fail(held_error);
    }
    for (const auto& row : held) {
        auto e = each(row);
        if (!e) return unexpected{e.err()};
    }
    return matched;
}

result<std::vector<domain_row>> sqlite_store::domains(const fact_filter& f) {
    auto domains = fact_domains_of(f);
    if (!domains) return unexpected{domains.err()};
    auto shares = split_by_rows(std::move(*domains));
    if (!shares) return unexpected{shares.err()};
    auto [here, other] = scan_on_two<domain_scan>(db_, shares->first, shares->second, [&](sqlite3* db, const fact_domain_list& d) {
        return scan_domains(db, d, f);
    });
    if (!here.error.empty()) return fail(here.error);
    if (!other.error.empty()) return fail(other.error);
    std::vector<domain_row> out = std::move(here.rows);
    for (auto& d : other.rows) out.push_back(std::move(d));
    std::sort(out.begin(), out.end(), [](const domain_row& a, const domain_row& b) { return a.policy_domain < b.policy_domain; });
    statement r;
    auto p = r.prepare(db_, "SELECT count(*), max(end_time) FROM reports WHERE policy_domain = ?1");
    if (!p) return unexpected{p.err()};
    for (auto& d : out) {
        r.reset();
        r.bind(1, d.policy_domain);
        if (r.step() == SQLITE_ROW) {
            d.reports = r.i64(0);
            if (!r.is_null(1)) d.last_report_end = r.i64(1);
        }
    }
    return out;
}

result<rebuild_summary> sqlite_store::rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) {
    auto r = exec("BEGIN IMMEDIATE");
    if (!r) return unexpected{r.err()};
    auto body = rebuild_facts_in_transaction(progress);
    next_fact_id_.reset();
    fact_reporters_.clear();
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
    fact_reporters_.clear();
    auto r = exec("DELETE FROM source_facts");
    if (r) r = exec("DELETE FROM fact_ranges");
    if (r) r = exec("DELETE FROM fact_reporters");
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
