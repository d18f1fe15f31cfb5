// The SQLite driver's class, shared by its three parts: open.cpp (opening, ownership check,
// migrations), write.cpp (batches, reports, record blocks, inputs) and read.cpp (the queries).
// Internal to src/store/sqlite/: everything else sees only store::store and open_sqlite().
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/record_codec.hpp"
#include "store/sqlite/pending_facts.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace dmarcsight::store::sqlite {

// A block is written once it holds this many bytes (and at the end of its report).
inline constexpr std::size_t block_bytes = 256 * 1024;
// Block ids are (report << 32) | block number.
inline constexpr std::uint64_t blocks_per_report = std::uint64_t{1} << 32;
// Busy timeout: a second ingest waits this long for the first to commit its batch.
inline constexpr int busy_timeout_ms = 120'000;
// PRAGMA application_id of our files (the bytes "dmsg"); see schema/sqlite/0002_*.sql.
inline constexpr std::int64_t application_id = 0x646d7367;
// The schema version of the analysis facts' present layout (0004_facts_appended.sql): a store
// below it has its facts derived again from its records when it is upgraded.
inline constexpr std::int64_t facts_schema_version = 4;

// Policy domains of the facts: (fact_domains id, name).
using fact_domain_list = std::vector<std::pair<std::int64_t, std::string>>;

// JSON array of strings, written by the JSON library (invalid UTF-8 becomes U+FFFD).
std::string json_strings(const std::vector<std::string>& v);
std::vector<std::string> strings_from_json(const char* text);

class sqlite_store final : public store {
public:
    ~sqlite_store() override;
    result<void> open(const std::string& path, open_mode mode);
    // After a failed read-only open: the file is ours but of an older schema.
    bool needs_upgrade() const { return needs_upgrade_; }

    // --- writing (write.cpp)
    result<void> begin_batch() override;
    result<void> commit_batch() override;
    result<void> begin_unit() override;
    result<void> end_unit(bool keep) override;
    result<std::optional<existing_report>> find_report(const report::report_key& key) override;
    result<std::uint64_t> content_hash(std::int64_t report) override;
    result<inserted_report> insert_report(const report::report_header& header, std::string_view input_label) override;
    result<void> insert_record(std::int64_t report, const report::record& rec) override;
    result<void> finish_report(std::int64_t report, const report_totals& totals) override;
    result<void> add_report_warning(std::int64_t report, std::string_view warning) override;
    result<void> attach_raw(std::int64_t report, std::string_view sha256) override;
    result<void> undo_report(std::int64_t report) override;
    result<bool> input_seen(std::string_view sha256, std::string_view label, outcome o) override;
    result<void> record_input(const input_row& row) override;
    result<void> supersede_inputs(std::string_view label) override;
    result<void> restore_input(const input_row& row) override;

    // --- reading (read.cpp)
    result<store_stats> stats() override;
    result<std::string> change_marker() override;
    result<void> visit_reports(const query_filter& filter, report_visitor& visitor) override;
    result<std::vector<input_row>> inputs(const input_filter& filter) override;
    result<std::vector<std::string>> policy_domains() override;
    result<std::vector<std::pair<std::string, std::string>>> dkim_selectors() override;

    // --- analysis facts (facts.cpp)
    result<void> source_days(const fact_filter& filter,
                             const std::function<result<void>(const source_day_row&)>& each) override;
    result<std::size_t> top_source_days(const fact_filter& filter, std::size_t n, top_of which,
                                        const std::function<result<void>(const source_day_row&)>& each) override;
    result<std::vector<domain_row>> domains(const fact_filter& filter) override;
    result<rebuild_summary> rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) override;

    // --- retention (prune.cpp)
    result<prune_summary> prune(std::int64_t cutoff_epoch, bool dry_run) override;

    // --- enrichment cache (enrichment.cpp)
    result<std::vector<std::string>> ips_to_enrich(std::int64_t now, const fact_filter& filter) override;
    result<void> save_ip_info(const std::vector<ip_info>& rows) override;
    result<std::vector<ip_info>> ip_infos(const std::vector<std::string>& ips) override;
    result<std::vector<ip_info>> all_ip_infos() override;

    // --- labels (labels.cpp)
    result<void> put_label(const label_row& row) override;
    result<bool> remove_label(const label_row& row) override;
    result<std::vector<label_row>> labels(const std::string& domain) override;

    // --- alerts (alerts.cpp)
    result<void> sync_alerts(const std::vector<alert_row>& firing, std::string_view domain, std::string_view from_day, std::string_view until_day) override;
    result<std::vector<alert_row>> kept_alerts() override;
    result<bool> ack_alert(std::string_view id, std::string_view note, std::int64_t at) override;
    result<std::vector<delivery_row>> deliveries(std::string_view alert_id) override;
    result<void> put_delivery(const delivery_row& row) override;
    result<std::int64_t> put_mute(const mute_row& row) override;
    result<bool> remove_mute(std::int64_t id) override;
    result<std::vector<mute_row>> mutes() override;
    result<std::optional<std::pair<std::string, std::int64_t>>> dns_findings(std::string_view domain) override;
    result<void> put_dns_findings(std::string_view domain, std::string_view json, std::int64_t at) override;

    // --- SMTP TLS reports (tls.cpp)
    result<std::optional<existing_report>> find_tls_report(const report::tls_report_key& key) override;
    result<inserted_report> insert_tls_report(const report::tls_report& r, std::uint64_t content_hash,
                                              std::string_view input_label) override;
    result<std::uint64_t> tls_content_hash(std::int64_t report) override;
    result<void> attach_tls_raw(std::int64_t report, std::string_view sha256) override;
    result<void> undo_tls_report(std::int64_t report) override;
    result<tls_totals> tls_stats() override;
    result<void> visit_tls_reports(const query_filter& filter,
                                   const std::function<result<void>(const stored_tls_report&)>& each) override;
    // --- failure reports (failure.cpp)
    result<inserted_report> insert_failure_report(const report::failure_report& r, std::string_view input_label) override;
    result<void> undo_failure_report(std::int64_t id) override;
    result<std::int64_t> failure_report_count() override;
    result<void> visit_failure_reports(const failure_filter& filter,
                                       const std::function<result<void>(const stored_failure&)>& each) override;
    result<std::vector<failure_source_count>> failure_counts_by_source(const fact_filter& filter) override;

    // --- claims (open.cpp)
    result<std::unique_ptr<claim>> try_claim(std::string_view name) override;
    std::string describe() const override { return path_; }
    result<void> grant_reader(std::string_view) override {
        return fail("an SQLite file has no roles: give readers read permission on " + path_ + " (and its folder, for the -wal file)");
    }

private:
    // tls.cpp
    result<void> delete_tls_report(std::int64_t id);
    std::int64_t unit_tls_report_ = -1;  // the TLS report the current unit inserted, if any
    // open.cpp
    result<void> refuse_foreign(const std::string& path);
    result<std::int64_t> pragma_value(const char* sql);
    result<void> migrate();

    // write.cpp
    result<void> flush_block();
    result<void> delete_report(std::int64_t id);
    // prune.cpp
    result<prune_summary> prune_in_transaction(std::int64_t cutoff);
    // facts.cpp
    result<void> flush_facts();
    result<void> add_fact_range(std::int64_t domain, std::int64_t first, std::int64_t last);
    result<std::optional<std::int64_t>> name_id(const char* select_sql, const char* insert_sql, std::string_view name, bool create);
    result<std::int64_t> fact_reporter_id(std::string_view name);
    result<std::vector<std::string>> fact_reporter_names();  // by id
    result<std::unordered_map<std::int64_t, std::int64_t>> fact_domain_rows();
    result<void> add_record_facts(const report::record& rec);
    result<void> subtract_report_facts(std::int64_t report);
    result<rebuild_summary> rebuild_facts_in_transaction(const std::function<void(std::int64_t, std::int64_t)>& progress);
    // The fact_domains id of a policy domain (created when `create`), and the next free fact id.
    result<std::optional<std::int64_t>> fact_domain_id(const std::string& domain, bool create);
    // The domains a filter covers: (id, name), in name order.
    result<fact_domain_list> fact_domains_of(const fact_filter& f);
    // The domains in two shares of about as many fact rows each (a pass over them on two
    // connections then takes half as long); the second is empty when there is one domain.
    result<std::pair<fact_domain_list, fact_domain_list>> split_by_rows(fact_domain_list domains);

    result<void> exec(const char* sql);
    // Runs one cached statement that returns no rows: `bind(statement&)` sets its parameters.
    template <class F>
    result<void> execute(const char* sql, F&& bind) {
        auto& s = stmt(sql);
        if (!s.get()) return fail(prepare_error_);
        s.reset();
        bind(s);
        const int rc = s.step();
        const std::string why = rc == SQLITE_DONE ? std::string() : s.error_text(rc);
        s.reset();
        if (rc != SQLITE_DONE) return fail(why);
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
    unexpected sql_error() const;
    // Prepared once, kept for the store's life.
    statement& stmt(const char* sql);

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
        while ((rc = s.step()) == SQLITE_ROW) {
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
        const std::string why = rc == SQLITE_DONE ? std::string() : s.error_text(rc);
        s.reset();
        if (rc != SQLITE_DONE) return fail(why);
        return {};
    }

    sqlite3* db_ = nullptr;
    std::string path_;
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
    // Facts of this batch not yet written (facts.cpp), and the header of the unit's report.
    fact_accumulator facts_;
    pending_facts pending_;  // what the pending facts table shows while flush_facts runs
    // Within the open transaction: each domain's fact id range and next free id (another process
    // may have appended since our last transaction, so this is read afresh in each).
    std::optional<std::int64_t> next_fact_id_;
    // fact_reporters ids known in this transaction (cleared with next_fact_id_: a rollback takes
    // new ones back).
    std::unordered_map<std::string, std::int64_t> fact_reporters_;  // the next source_facts id (known within a transaction)
    bool needs_upgrade_ = false;
    report::report_header unit_header_;
};

}  // namespace dmarcsight::store::sqlite
