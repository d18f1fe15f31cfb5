// The PostgreSQL driver's class, shared by its parts: open.cpp (connecting, refusing other
// programs' tables, migrations), write.cpp (batches, reports, record blocks, inputs), read.cpp
// (reports and inputs), facts.cpp (the analysis facts), other.cpp (enrichment cache, labels,
// claims). Internal to src/store/postgres/.
//
// Many workers, exactly once, and never a deadlock: every write that another worker may make at
// the same time (a report of the same key, an input of the same label) first takes a
// transaction-level advisory lock on that key (PostgreSQL "Advisory Locks"). When another
// transaction holds it, the batch so far is committed before waiting, so a waiting worker holds
// no locks at all and no two workers can ever wait for each other. The report key's unique
// constraint then decides: the second finds the first's report and records a duplicate. Names of
// domains and reporters are added on a connection of their own, in transactions of one statement,
// so that no batch ever waits for another's new name either.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/facts.hpp"
#include "store/postgres/connection.hpp"
#include "store/record_codec.hpp"
#include "store/store.hpp"

namespace dmarcsight::store::postgres {

// A block is written once it holds this many bytes (and at the end of its report).
inline constexpr std::size_t block_bytes = 256 * 1024;
// The schema this version writes (schema/postgres/NNNN_*.sql, applied in order).
std::int64_t schema_version();

// Policy domains of the facts: (fact_domains id, name).
using fact_domain_list = std::vector<std::pair<std::int64_t, std::string>>;

std::string json_strings(const std::vector<std::string>& v);
std::vector<std::string> strings_from_json(std::string_view text);

class postgres_store final : public store {
public:
    result<void> open(const std::string& uri, open_mode mode);
    // After a failed read-only open: the database is ours but of an older schema.
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

    // --- enrichment cache, labels, claims (other.cpp)
    result<std::vector<std::string>> ips_to_enrich(std::int64_t now, const fact_filter& filter) override;
    result<void> save_ip_info(const std::vector<ip_info>& rows) override;
    result<std::vector<ip_info>> ip_infos(const std::vector<std::string>& ips) override;
    result<std::vector<ip_info>> all_ip_infos() override;
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

    result<std::unique_ptr<claim>> try_claim(std::string_view name) override;
    std::string describe() const override { return shown_; }
    result<void> grant_reader(std::string_view role) override;

private:
    // tls.cpp
    result<void> delete_tls_report(std::int64_t id);
    std::int64_t unit_tls_report_ = -1;  // the TLS report the current unit inserted, if any
    // open.cpp
    result<void> refuse_foreign();
    result<void> migrate();

    // write.cpp
    // Takes the advisory lock of `key` for this transaction; when another transaction holds it,
    // commits the batch so far first and then waits (see the top of this file).
    result<void> lock_key(std::uint64_t key);
    result<void> commit_and_begin();
    result<void> flush_block();
    result<void> delete_report(std::int64_t id);
    // Calls fn(record) for every record of a report, in order.
    result<void> for_each_record(std::int64_t report, const std::function<result<void>(const report::record&)>& fn);

    // prune.cpp
    result<prune_summary> prune_in_transaction(std::int64_t cutoff);
    // facts.cpp
    result<void> flush_facts();
    result<void> add_record_facts(const report::record& rec);
    result<void> subtract_report_facts(std::int64_t report);
    // The id of a name in fact_domains / fact_reporters, added (on names_) when missing.
    result<std::int64_t> name_id(const char* table, const char* column, std::string_view name);
    result<std::vector<std::string>> fact_reporter_names();  // by id
    result<fact_domain_list> fact_domains_of(const fact_filter& f);

    pg::connection db_;
    pg::connection names_;  // autocommit: fact_domains and fact_reporters rows
    // Streams the facts to callers that may query the store while a row is in their hands (one
    // libpq connection runs one statement at a time).
    pg::connection reader_;
    result<pg::connection*> reader();
    std::string uri_, shown_;
    open_mode mode_ = open_mode::read_only;
    bool in_batch_ = false;
    bool needs_upgrade_ = false;
    std::int64_t unit_report_ = -1;  // the report row the current unit inserted, if any
    // The block being filled: its report, its number within the report, its bytes and records.
    std::int64_t block_report_ = -1;
    std::int32_t block_seq_ = 0;
    std::string block_;
    std::uint64_t block_records_ = 0;
    fact_accumulator facts_;
    report::report_header unit_header_;
    // Names' ids: they are committed at once and never removed, so they stay valid.
    std::unordered_map<std::string, std::int64_t> domain_ids_, reporter_ids_;
};

}  // namespace dmarcsight::store::postgres
