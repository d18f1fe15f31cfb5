// The PostgreSQL driver, part 2: writing. A batch is a transaction; a unit (one report) is undone
// by deleting the rows it added. Writes another worker may make at the same time go through
// lock_key (postgres_store_impl.hpp says why).
#include <algorithm>
#include <limits>

#include "core/limits.hpp"
#include "core/time.hpp"
#include "report/content_hash.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace dmarcsight::store::postgres {

namespace {

// Advisory lock keys: the kind of thing in the top byte, a hash of its name below.
enum class key_kind : std::uint64_t { report = 1, input_label = 2, report_row = 3 };
std::uint64_t lock_key_of(key_kind kind, std::string_view name) {
    return (static_cast<std::uint64_t>(kind) << 56) ^ (stable_hash(name) & ((std::uint64_t{1} << 56) - 1));
}
std::string report_key_text(const report::report_key& k) {
    return k.org + '\x1f' + k.report_id + '\x1f' + k.domain + '\x1f' + std::to_string(k.begin) + '\x1f' + std::to_string(k.end);
}
std::int64_t clamp(std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

}  // namespace

result<void> postgres_store::begin_batch() {
    facts_.clear();
    auto r = db_.exec("BEGIN");
    if (r) in_batch_ = true;
    return r;
}

// The batch's facts are written in its transaction, just before it commits.
result<void> postgres_store::commit_batch() {
    if (!in_batch_) return {};
    in_batch_ = false;
    auto f = flush_facts();
    if (!f) {
        facts_.clear();
        (void)db_.exec("ROLLBACK");
        return f;
    }
    return db_.exec("COMMIT");
}

result<void> postgres_store::commit_and_begin() {
    auto f = flush_facts();
    if (f) f = db_.exec("COMMIT");
    if (f) f = db_.exec("BEGIN");
    return f;
}

result<void> postgres_store::lock_key(std::uint64_t key) {
    if (!in_batch_) return {};  // a statement of its own: nothing held while it waits
    const auto k = pg::params().i64(static_cast<std::int64_t>(key));
    auto got = db_.query("SELECT pg_try_advisory_xact_lock($1)", k);
    if (!got) return unexpected{got.err()};
    if (got->view(0, 0) == "t") return {};
    // Another worker is writing the same thing: commit what this batch holds (complete units
    // only: this is called before a unit writes anything of its own), then wait holding nothing.
    auto c = commit_and_begin();
    if (!c) return c;
    return db_.exec("SELECT pg_advisory_xact_lock($1)", k);
}

result<void> postgres_store::begin_unit() {
    unit_report_ = -1;
    unit_tls_report_ = -1;
    return {};
}

result<void> postgres_store::end_unit(bool keep) {
    // A TLS report of an undone unit goes with it (tls.cpp).
    const std::int64_t tls = unit_tls_report_;
    unit_tls_report_ = -1;
    if (!keep && tls >= 0) {
        auto t = delete_tls_report(tls);
        if (!t) return t;
    }
    if (!keep && unit_report_ >= 0) {
        auto f = subtract_report_facts(unit_report_);
        if (!f) return f;
    }
    block_.clear();
    block_records_ = 0;
    block_report_ = -1;
    const std::int64_t id = unit_report_;
    unit_report_ = -1;
    if (keep || id < 0) return {};
    return delete_report(id);
}

result<void> postgres_store::undo_report(std::int64_t id) {
    auto f = subtract_report_facts(id);
    if (!f) return f;
    return delete_report(id);
}

result<void> postgres_store::delete_report(std::int64_t id) {
    auto r = db_.exec("DELETE FROM record_blocks WHERE report_id = $1", pg::params().i64(id));
    if (!r) return r;
    return db_.exec("DELETE FROM reports WHERE id = $1", pg::params().i64(id));
}

result<std::optional<existing_report>> postgres_store::find_report(const report::report_key& k) {
    auto q = db_.query("SELECT id FROM reports WHERE key_org = $1 AND key_report_id = $2 AND policy_domain = $3 "
                       "AND begin_time = $4 AND end_time = $5",
                       pg::params().text(k.org).text(k.report_id).text(k.domain).i64(k.begin).i64(k.end));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return std::optional<existing_report>();
    return std::optional<existing_report>(existing_report{q->i64(0, 0)});
}

result<std::uint64_t> postgres_store::content_hash(std::int64_t report) {
    auto q = db_.query("SELECT org_name, report_id, org_email, begin_time, end_time, policy_domain, p, sp, adkim, aspf, pct, "
                       "content_hash FROM reports WHERE id = $1",
                       pg::params().i64(report));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return fail("no report #" + std::to_string(report));
    if (!q->is_null(0, 11)) return static_cast<std::uint64_t>(q->i64(0, 11));
    // Copied from a store of SQLite schema v1: hash the decoded records once and keep the value.
    report::report_header h;
    h.metadata.org_name = q->text(0, 0);
    h.metadata.report_id = q->text(0, 1);
    h.metadata.email = q->text(0, 2);
    h.metadata.begin = q->i64(0, 3);
    h.metadata.end = q->i64(0, 4);
    h.policy.domain = q->text(0, 5);
    h.policy.p = q->text(0, 6);
    h.policy.sp = q->text(0, 7);
    h.policy.adkim = q->text(0, 8);
    h.policy.aspf = q->text(0, 9);
    if (!q->is_null(0, 10)) h.policy.pct = static_cast<int>(q->i64(0, 10));
    report::content_hash hash;
    hash.header(h);
    auto r = for_each_record(report, [&](const report::record& rec) -> result<void> {
        hash.record(rec);
        return {};
    });
    if (!r) return unexpected{r.err()};
    const std::uint64_t value = hash.value();
    auto l = lock_key(lock_key_of(key_kind::report_row, std::to_string(report)));
    if (!l) return unexpected{l.err()};
    auto k = db_.exec("UPDATE reports SET content_hash = $2 WHERE id = $1",
                      pg::params().i64(report).i64(static_cast<std::int64_t>(value)));
    if (!k) return unexpected{k.err()};
    return value;
}

result<inserted_report> postgres_store::insert_report(const report::report_header& h, std::string_view label) {
    const report::report_key k = report::report_key::of(h);
    auto l = lock_key(lock_key_of(key_kind::report, report_key_text(k)));
    if (!l) return unexpected{l.err()};
    const auto& p = h.policy;
    pg::params ps;
    ps.text(k.org).text(k.report_id).text(k.domain).i64(k.begin).i64(k.end);
    ps.text(h.metadata.org_name).text_or_null(h.metadata.email).text_or_null(h.metadata.extra_contact_info);
    ps.text(h.metadata.report_id).text_or_null(h.metadata.generator).text(json_strings(h.metadata.errors));
    ps.text(h.xml_schema).text_or_null(h.xml_namespace);
    ps.text_or_null(p.adkim).text_or_null(p.aspf).text_or_null(p.p).text_or_null(p.sp).text_or_null(p.np);
    if (p.pct) ps.i64(*p.pct);
    else ps.null();
    ps.text_or_null(p.fo).text_or_null(p.testing).text_or_null(p.discovery_method);
    ps.text(label).i64(utc::now());
    // The key's unique constraint decides between workers: a key another worker stored first
    // (committed before our lock was granted) inserts nothing.
    auto q = db_.query(
        "INSERT INTO reports (key_org, key_report_id, policy_domain, begin_time, end_time, org_name, org_email, "
        "org_extra_contact, report_id, generator, errors, xml_schema, xml_namespace, adkim, aspf, p, sp, np, pct, fo, "
        "testing, discovery_method, input_label, ingested_at) VALUES "
        "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24) "
        "ON CONFLICT (key_org, key_report_id, policy_domain, begin_time, end_time) DO NOTHING RETURNING id",
        ps);
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) {
        auto found = find_report(k);
        if (!found) return unexpected{found.err()};
        if (!*found) return fail("report key of '" + std::string(label) + "' conflicts but no report holds it");
        return inserted_report{(*found)->id, true};
    }
    unit_report_ = q->i64(0, 0);
    unit_header_.policy.domain = k.domain;
    unit_header_.metadata.org_name = h.metadata.org_name;
    unit_header_.metadata.begin = h.metadata.begin;
    unit_header_.metadata.end = h.metadata.end;
    return inserted_report{unit_report_, false};
}

result<void> postgres_store::insert_record(std::int64_t report, const report::record& r) {
    if (report != block_report_) {
        block_report_ = report;
        block_seq_ = 0;
        block_.clear();
        block_records_ = 0;
    }
    auto f = add_record_facts(r);
    if (!f) return f;
    encode_record(r, block_);
    ++block_records_;
    if (block_.size() >= block_bytes) return flush_block();
    return {};
}

result<void> postgres_store::flush_block() {
    if (block_records_ == 0) return {};
    if (block_seq_ == std::numeric_limits<std::int32_t>::max()) return fail("too many record blocks in one report");
    auto r = db_.exec("INSERT INTO record_blocks (report_id, block, format, records, data) VALUES ($1, $2, $3, $4, $5)",
                      pg::params()
                          .i64(block_report_)
                          .i64(block_seq_)
                          .i64(record_block_version)
                          .i64(static_cast<std::int64_t>(block_records_))
                          .bytes(block_));
    if (!r) return r;
    ++block_seq_;
    block_.clear();
    block_records_ = 0;
    return {};
}

result<void> postgres_store::for_each_record(std::int64_t report, const std::function<result<void>(const report::record&)>& fn) {
    report::record rec;
    return db_.each_row(
        "SELECT format, data FROM record_blocks WHERE report_id = $1 ORDER BY block", pg::params().i64(report),
        [&](const pg::result_set& row) -> result<void> {
            if (row.binary_int(0, 0) != record_block_version)
                return fail("record block of report #" + std::to_string(report) + " has an unknown format");
            record_decoder dec(row.view(0, 1));
            while (!dec.done()) {
                auto d = dec.next(rec);
                if (!d) return fail("report #" + std::to_string(report) + ": " + d.err().message);
                auto f = fn(rec);
                if (!f) return f;
            }
            return {};
        },
        /*binary=*/true);
}

result<void> postgres_store::finish_report(std::int64_t report, const report_totals& t) {
    if (report == block_report_) {
        auto f = flush_block();
        if (!f) return f;
        block_report_ = -1;
    }
    pg::params ps;
    ps.i64(report).i64(clamp(t.records)).i64(clamp(t.messages)).i64(clamp(t.dropped_records));
    if (t.warnings.empty()) ps.null();
    else ps.text(json_strings(t.warnings));
    ps.text_or_null(t.raw_sha256);
    if (t.content_hash) ps.i64(static_cast<std::int64_t>(*t.content_hash));
    else ps.null();
    if (t.ingested_at != 0) ps.i64(t.ingested_at);
    else ps.null();
    return db_.exec("UPDATE reports SET record_count = $2, message_count = $3, dropped_records = $4, warnings = $5, "
                    "raw_sha256 = $6, content_hash = $7, ingested_at = coalesce($8, ingested_at) WHERE id = $1",
                    ps);
}

result<void> postgres_store::add_report_warning(std::int64_t report, std::string_view warning) {
    // Another worker may add to the same stored report at once: one at a time, under its lock.
    auto l = lock_key(lock_key_of(key_kind::report_row, std::to_string(report)));
    if (!l) return l;
    auto q = db_.query("SELECT warnings FROM reports WHERE id = $1", pg::params().i64(report));
    if (!q) return unexpected{q.err()};
    if (q->rows() == 0) return fail("no report #" + std::to_string(report));
    auto list = strings_from_json(q->view(0, 0));
    if (list.size() >= limits::max_warnings_per_report) return {};
    list.emplace_back(list.size() + 1 == limits::max_warnings_per_report
                          ? std::string("more warnings were not recorded (the limit is ") +
                                std::to_string(limits::max_warnings_per_report) + ")"
                          : std::string(warning));
    return db_.exec("UPDATE reports SET warnings = $2 WHERE id = $1", pg::params().i64(report).text(json_strings(list)));
}

result<void> postgres_store::attach_raw(std::int64_t report, std::string_view sha) {
    return db_.exec("UPDATE reports SET raw_sha256 = $2 WHERE id = $1", pg::params().i64(report).text(sha));
}

result<bool> postgres_store::input_seen(std::string_view sha256, std::string_view label, outcome o) {
    auto q = sha256.empty()
                 ? db_.query("SELECT 1 FROM inputs WHERE sha256 = '' AND label = $1 AND outcome = $2 LIMIT 1",
                             pg::params().text(label).text(to_string(o)))
                 : db_.query("SELECT 1 FROM inputs WHERE sha256 = $1 AND outcome = $2 LIMIT 1",
                             pg::params().text(sha256).text(to_string(o)));
    if (!q) return unexpected{q.err()};
    return q->rows() > 0;
}

result<void> postgres_store::record_input(const input_row& row) {
    auto l = lock_key(lock_key_of(key_kind::input_label, row.label));
    if (!l) return l;
    auto r = db_.exec("UPDATE inputs SET current = false WHERE label = $1 AND current AND sha256 <> $2",
                      pg::params().text(row.label).text(row.sha256));
    if (!r) return r;
    pg::params ps;
    ps.text(row.label).text(row.sha256).i64(static_cast<std::int64_t>(row.size)).text(to_string(row.result));
    ps.text_or_null(row.kind).text_or_null(row.reason).text_or_null(row.quarantine_path).i64_or_null(row.report).i64(row.seen_at);
    return db_.exec("INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, report, seen_at, "
                    "first_seen, times_seen, current) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,1,true) "
                    "ON CONFLICT (sha256, label) DO UPDATE SET outcome = excluded.outcome, kind = excluded.kind, "
                    "reason = excluded.reason, quarantine_path = coalesce(excluded.quarantine_path, inputs.quarantine_path), "
                    "report = excluded.report, seen_at = excluded.seen_at, times_seen = inputs.times_seen + 1, current = true",
                    ps);
}

result<void> postgres_store::supersede_inputs(std::string_view label) {
    auto l = lock_key(lock_key_of(key_kind::input_label, label));
    if (!l) return l;
    return db_.exec("UPDATE inputs SET current = false WHERE label = $1 AND current", pg::params().text(label));
}

result<void> postgres_store::restore_input(const input_row& row) {
    auto l = lock_key(lock_key_of(key_kind::input_label, row.label));
    if (!l) return l;
    pg::params ps;
    ps.text(row.label).text(row.sha256).i64(static_cast<std::int64_t>(row.size)).text(to_string(row.result));
    ps.text_or_null(row.kind).text_or_null(row.reason).text_or_null(row.quarantine_path).i64_or_null(row.report).i64(row.seen_at);
    ps.i64(row.first_seen != 0 ? row.first_seen : row.seen_at).i64(row.times_seen).boolean(row.current);
    return db_.exec("INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, report, seen_at, "
                    "first_seen, times_seen, current) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
                    "ON CONFLICT (sha256, label) DO UPDATE SET size = excluded.size, outcome = excluded.outcome, "
                    "kind = excluded.kind, reason = excluded.reason, quarantine_path = excluded.quarantine_path, "
                    "report = excluded.report, seen_at = excluded.seen_at, first_seen = excluded.first_seen, "
                    "times_seen = excluded.times_seen, current = excluded.current",
                    ps);
}

}  // namespace dmarcsight::store::postgres
