// The SQLite driver, part 2: writing. Batches are transactions; a unit (one report) is undone by
// deleting the rows it added (a SAVEPOINT would copy every page the batch already touched to a
// statement journal: measured at ~600 MB of writes for the 25 MB benchmark database).
#include <algorithm>
#include <limits>

#include "core/limits.hpp"
#include "core/time.hpp"
#include "report/content_hash.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace dmarcsight::store::sqlite {

result<void> sqlite_store::begin_batch() {
    facts_.clear();
    next_fact_id_.reset();
    fact_reporters_.clear();
    return exec("BEGIN IMMEDIATE");
}

// The batch's facts are written in its transaction, just before it commits.
result<void> sqlite_store::commit_batch() {
    auto f = flush_facts();
    next_fact_id_.reset();
    fact_reporters_.clear();
    if (!f) {
        facts_.clear();
        (void)exec("ROLLBACK");
        return f;
    }
    return exec("COMMIT");
}

result<void> sqlite_store::begin_unit() {
    unit_report_ = -1;
    unit_tls_report_ = -1;
    return {};
}

result<void> sqlite_store::end_unit(bool keep) {
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
    // Records of an undone unit that were still waiting in the block buffer go too.
    block_.clear();
    block_records_ = 0;
    block_report_ = -1;
    const std::int64_t id = unit_report_;
    unit_report_ = -1;
    if (keep || id < 0) return {};
    return delete_report(id);
}

result<void> sqlite_store::undo_report(std::int64_t id) {
    auto f = subtract_report_facts(id);
    if (!f) return f;
    return delete_report(id);
}

result<void> sqlite_store::delete_report(std::int64_t id) {
    const auto by_id = [id](statement& s) { s.bind(1, id); };
    auto r = execute("DELETE FROM record_blocks WHERE id BETWEEN ?1 << 32 AND (?1 << 32) + 4294967295", by_id);
    if (!r) return r;
    return execute("DELETE FROM reports WHERE id = ?1", by_id);
}

result<std::optional<existing_report>> sqlite_store::find_report(const report::report_key& k) {
    auto& s = stmt("SELECT id FROM reports WHERE key_org=?1 AND key_report_id=?2 AND policy_domain=?3 "
                   "AND begin_time=?4 AND end_time=?5");
    if (!s.get()) return fail(prepare_error_);
    s.reset();
    s.bind(1, k.org);
    s.bind(2, k.report_id);
    s.bind(3, k.domain);
    s.bind(4, k.begin);
    s.bind(5, k.end);
    const int rc = s.step();
    if (rc == SQLITE_ROW) {
        existing_report e{s.i64(0)};
        s.reset();
        return std::optional<existing_report>(e);
    }
    const std::string why = rc == SQLITE_DONE ? std::string() : s.error_text(rc);
    s.reset();
    if (rc != SQLITE_DONE) return fail(why);
    return std::optional<existing_report>();
}

result<std::uint64_t> sqlite_store::content_hash(std::int64_t report) {
    statement s;
    auto p = s.prepare(db_, "SELECT org_name, report_id, org_email, begin_time, end_time, policy_domain, p, sp, adkim, "
                            "aspf, pct, content_hash FROM reports WHERE id = ?1");
    if (!p) return unexpected{p.err()};
    s.bind(1, report);
    const int rc = s.step();
    if (rc != SQLITE_ROW) return fail(rc == SQLITE_DONE ? "no report #" + std::to_string(report) : s.error_text(rc));
    if (!s.is_null(11)) return static_cast<std::uint64_t>(s.i64(11));
    // Stored by schema v1: hash the decoded records once and keep the value.
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
    const std::uint64_t value = hash.value();
    auto k = execute("UPDATE reports SET content_hash=?2 WHERE id=?1", [&](statement& u) {
        u.bind(1, report);
        u.bind(2, static_cast<std::int64_t>(value));
    });
    if (!k) return unexpected{k.err()};
    return value;
}

result<inserted_report> sqlite_store::insert_report(const report::report_header& h, std::string_view label) {
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
    const int rc = s.step();
    const std::string why = rc == SQLITE_DONE ? std::string() : s.error_text(rc);
    s.reset();
    if (rc != SQLITE_DONE) return fail(why);
    unit_report_ = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
    unit_header_.policy.domain = k.domain;
    unit_header_.metadata.org_name = h.metadata.org_name;
    unit_header_.metadata.begin = h.metadata.begin;
    unit_header_.metadata.end = h.metadata.end;
    // One writer at a time (BEGIN IMMEDIATE), so a key find_report did not find is never taken
    // meanwhile: the report is always new here.
    return inserted_report{unit_report_, false};
}

result<void> sqlite_store::insert_record(std::int64_t report, const report::record& r) {
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

// Writes the pending block of the current report.
result<void> sqlite_store::flush_block() {
    if (block_records_ == 0) return {};
    if (block_seq_ >= blocks_per_report) return fail("too many record blocks in one report");
    statement& s = insert_block_;
    if (!s.get()) {
        auto p = s.prepare(db_, "INSERT INTO record_blocks (id, format, records, data) VALUES (?1, ?2, ?3, ?4)");
        if (!p) return p;
    }
    s.reset();
    s.bind(1, static_cast<std::int64_t>((static_cast<std::uint64_t>(block_report_) << 32) | block_seq_));
    s.bind(2, static_cast<std::int64_t>(record_block_version));
    s.bind(3, static_cast<std::int64_t>(block_records_));
    s.bind_blob_static(4, block_.data(), block_.size());
    const int rc = s.step();
    const std::string why = rc == SQLITE_DONE ? std::string() : s.error_text(rc);
    s.reset();
    if (rc != SQLITE_DONE) return fail(why);
    ++block_seq_;
    block_.clear();
    block_records_ = 0;
    return {};
}

result<void> sqlite_store::finish_report(std::int64_t report, const report_totals& t) {
    if (report == block_report_) {
        auto f = flush_block();
        if (!f) return f;
        block_report_ = -1;
    }
    return execute("UPDATE reports SET record_count=?2, message_count=?3, dropped_records=?4, "
                   "warnings=?5, raw_sha256=?6, content_hash=?7, ingested_at=coalesce(?8, ingested_at) WHERE id=?1",
                   [&](statement& s) {
                       s.bind(1, report);
                       s.bind(2, static_cast<std::int64_t>(t.records));
                       s.bind(3, static_cast<std::int64_t>(
                                     std::min<std::uint64_t>(t.messages, std::numeric_limits<std::int64_t>::max())));
                       s.bind(4, static_cast<std::int64_t>(t.dropped_records));
                       if (t.warnings.empty()) s.bind_null(5);
                       else s.bind(5, json_strings(t.warnings));
                       s.bind_or_null(6, t.raw_sha256);
                       // Stored as the signed 64-bit integer with the same bits.
                       if (t.content_hash) s.bind(7, static_cast<std::int64_t>(*t.content_hash));
                       else s.bind_null(7);
                       if (t.ingested_at != 0) s.bind(8, t.ingested_at);
                       else s.bind_null(8);
                   });
}

result<void> sqlite_store::add_report_warning(std::int64_t report, std::string_view warning) {
    // Read, append with the JSON library, write back: never JSON built by hand.
    statement s;
    auto p = s.prepare(db_, "SELECT warnings FROM reports WHERE id = ?1");
    if (!p) return p;
    s.bind(1, report);
    const int rc = s.step();
    if (rc != SQLITE_ROW) return fail(rc == SQLITE_DONE ? "no report #" + std::to_string(report) : s.error_text(rc));
    auto list = strings_from_json(s.cstr(0));
    // Bounded: a thousand conflicting copies must not grow one row (and this rewrite) without end;
    // each copy's own outcome is in the inputs table anyway.
    if (list.size() >= limits::max_warnings_per_report) return {};
    list.emplace_back(list.size() + 1 == limits::max_warnings_per_report
                          ? std::string("more warnings were not recorded (the limit is ") +
                                std::to_string(limits::max_warnings_per_report) + ")"
                          : std::string(warning));
    return execute("UPDATE reports SET warnings = ?2 WHERE id=?1", [&](statement& u) {
        u.bind(1, report);
        u.bind(2, json_strings(list));
    });
}

result<void> sqlite_store::attach_raw(std::int64_t report, std::string_view sha) {
    return execute("UPDATE reports SET raw_sha256=?2 WHERE id=?1", [&](statement& s) {
        s.bind(1, report);
        s.bind(2, sha);
    });
}

result<bool> sqlite_store::input_seen(std::string_view sha256, std::string_view label, outcome o) {
    auto& q = stmt(sha256.empty() ? "SELECT 1 FROM inputs WHERE sha256 = '' AND label = ?3 AND outcome = ?2 LIMIT 1"
                                  : "SELECT 1 FROM inputs WHERE sha256 = ?1 AND outcome = ?2 LIMIT 1");
    if (!q.get()) return fail(prepare_error_);
    q.reset();
    if (!sha256.empty()) q.bind(1, sha256);
    q.bind(2, to_string(o));
    if (sha256.empty()) q.bind(3, label);
    const int rc = q.step();
    const std::string why = rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string() : q.error_text(rc);
    q.reset();
    if (!why.empty()) return fail(why);
    return rc == SQLITE_ROW;
}

result<void> sqlite_store::record_input(const input_row& row) {
    auto r = execute("UPDATE inputs SET current = 0 WHERE label = ?1 AND current = 1 AND sha256 <> ?2", [&](statement& s) {
        s.bind(1, row.label);
        s.bind(2, row.sha256);
    });
    if (!r) return r;
    // One row per (bytes, label): a re-run updates it (its outcome may have changed with a newer
    // version) and counts it.
    r = execute("INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, report, seen_at, "
                "first_seen, times_seen, current) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9,1,1) "
                "ON CONFLICT (sha256, label) DO UPDATE SET outcome=excluded.outcome, kind=excluded.kind, "
                "reason=excluded.reason, quarantine_path=coalesce(excluded.quarantine_path, inputs.quarantine_path), "
                "report=excluded.report, seen_at=excluded.seen_at, times_seen=inputs.times_seen + 1, current=1",
                [&](statement& s) {
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
                });
    return r;
}

result<void> sqlite_store::restore_input(const input_row& row) {
    return execute("INSERT INTO inputs (label, sha256, size, outcome, kind, reason, quarantine_path, report, seen_at, "
                   "first_seen, times_seen, current) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) "
                   "ON CONFLICT (sha256, label) DO UPDATE SET size=excluded.size, outcome=excluded.outcome, kind=excluded.kind, "
                   "reason=excluded.reason, quarantine_path=excluded.quarantine_path, report=excluded.report, "
                   "seen_at=excluded.seen_at, first_seen=excluded.first_seen, times_seen=excluded.times_seen, current=excluded.current",
                   [&](statement& s) {
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
                       s.bind(10, row.first_seen != 0 ? row.first_seen : row.seen_at);
                       s.bind(11, row.times_seen);
                       s.bind(12, std::int64_t{row.current ? 1 : 0});
                   });
}

result<void> sqlite_store::supersede_inputs(std::string_view label) {
    return execute("UPDATE inputs SET current = 0 WHERE label = ?1 AND current = 1", [&](statement& s) { s.bind(1, label); });
}

}  // namespace dmarcsight::store::sqlite
