// The store: one small interface that every driver implements (SQLite now, PostgreSQL later; the
// PowerDNS SQL-backend pattern). Drivers live in their own folder with versioned migrations under
// schema/<driver>/. All values from reports reach SQL as bound parameters, never as SQL text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "report/aggregate.hpp"
#include "store/facts.hpp"
#include "store/tls_rows.hpp"
#include "store/failure_rows.hpp"

namespace dmarcsight::store {

struct existing_report {
    std::int64_t id = 0;
};

// What insert_report did: a new report's id, or, when another writer stored a report under the
// same key first (several ingest workers on one PostgreSQL database: the key's unique constraint
// decides), that report's id with `existing` set; the caller then treats its copy as a duplicate.
struct inserted_report {
    std::int64_t id = 0;
    bool existing = false;
};

struct report_totals {
    std::uint64_t records = 0;
    std::uint64_t messages = 0;  // saturating
    std::uint64_t dropped_records = 0;
    std::vector<std::string> warnings;
    std::string raw_sha256;  // set when the input's bytes are kept in quarantine
    // report::content_hash of the parsed header and records, kept so that a copy arriving later
    // under the same key is compared without decoding the stored report.
    std::optional<std::uint64_t> content_hash;
    // When the report was first stored (epoch seconds); 0: now. Set by `copy`, which keeps it.
    std::int64_t ingested_at = 0;
};

enum class outcome { stored, duplicate, skipped, rejected };
std::string_view to_string(outcome o);

struct input_row {
    std::string label;   // the unit: "path", "box.mbox#12", "a.zip>zip:member.xml"
    std::string sha256;  // of the input's bytes (the file or message); empty when unreadable
    std::uint64_t size = 0;
    outcome result = outcome::rejected;
    std::string kind;    // aggregate | failure | tlsrpt | arf | none (ingest::to_string(report_kind))
    std::string reason;  // rejection reason, or what was odd
    std::string quarantine_path;  // file name in the quarantine folder; empty when not kept
    std::optional<std::int64_t> report;
    std::int64_t seen_at = 0;     // last seen
    // Read back only:
    std::int64_t first_seen = 0;
    std::int64_t times_seen = 1;
    bool current = true;  // the latest outcome of its label
};

// Which inputs a listing covers: one outcome, the current state or the whole history.
struct input_filter {
    outcome result = outcome::rejected;
    bool history = false;
};

struct store_stats {
    std::int64_t aggregate_reports = 0;
    std::int64_t records = 0;
    std::int64_t messages = 0;  // saturating
    std::int64_t rejected_inputs = 0;
    std::int64_t skipped_inputs = 0;
    std::int64_t duplicate_inputs = 0;
    std::int64_t policy_domains = 0;
    std::optional<std::int64_t> first_begin, last_end;
};

// Which reports a query covers. `domain` is a policy domain; with include_subdomains its
// subdomains too. since/until select on the report's begin time: since inclusive, until exclusive.
struct query_filter {
    std::string domain;
    bool include_subdomains = false;
    std::optional<std::int64_t> since, until;
};

struct stored_report {
    std::int64_t id = 0;
    report::report_header header;
    report_totals totals;
    std::string input_label;
};

// Which facts a query covers: a policy domain (with its subdomains when asked) and UTC days
// (since inclusive, until exclusive, as YYYY-MM-DD).
struct fact_filter {
    std::string domain;
    bool include_subdomains = false;
    std::string since_day, until_day;  // empty: unbounded
    std::string source_ip;             // empty: every source
    std::vector<std::string> source_ips;  // non-empty: only these sources
};

// Which sources top_source_days chooses among.
enum class top_of { all, failing };

struct domain_row {
    std::string policy_domain;
    std::int64_t reports = 0;
    std::int64_t messages = 0, dmarc_pass = 0;
    std::int64_t sources = 0;
    std::string first_day, last_day;
    std::optional<std::int64_t> last_report_end;
};

// What enrichment learned about one source IP (dmarcsight enrich).
struct ip_info {
    std::string ip;
    std::string ptr;         // the PTR name (forward-confirmed one first); empty: none
    bool fcrdns = false;     // the PTR name resolves back to this IP
    std::string base_domain; // registrable domain of ptr (Public Suffix List)
    std::optional<std::uint32_t> asn;
    std::string as_name, country;
    // "ok", "no_ptr" (NXDOMAIN/NODATA from a resolver that answers known names), "error" (temporary:
    // kept for an hour), "geo_only" (offline run: network fields only; expires at once).
    std::string status;
    std::int64_t checked_at = 0, expires_at = 0;
};

// A user's classification of a source or a service for one policy domain.
struct label_row {
    std::int64_t id = 0;
    std::string policy_domain;
    std::string source;   // an IP or CIDR; empty when `service` is set
    std::string service;  // a catalogue service name; empty when `source` is set
    std::string cls;      // a class name (analyze::to_string(source_class))
    std::string note;
    std::int64_t created_at = 0;
};

struct rebuild_summary {
    std::int64_t reports = 0, records = 0, source_days = 0;
};

// What prune removed (or, in a dry run, would remove). store/prune.hpp says which rows go.
struct prune_summary {
    std::int64_t cutoff = 0;  // the cutoff applied: the UTC midnight at or before the one asked for
    std::int64_t reports = 0, records = 0;  // reports whose every day is before the cutoff, and their records
    std::int64_t fact_rows = 0;             // source_facts rows of days before the cutoff
    std::int64_t rederived_reports = 0;     // reports spanning the cutoff: kept, their earlier days' facts derived again
    std::vector<std::pair<std::string, std::int64_t>> tables;  // each of prune_steps: (table, rows removed)
    // Names of kept bytes (quarantine files, by SHA-256) that rows removed referred to and no
    // remaining row does: the caller removes them from its quarantine folder.
    std::vector<std::string> quarantine_files;
};

// What the store keeps of an alert (analyze/alert_rules.hpp decides what fires; src/alerts/ keeps
// it): the alert as it fired, when it settled (0: provisional, may still change with late
// reports), and its acknowledgement.
struct alert_row {
    std::string id;  // analyze::alert_id
    std::string day, kind, domain, source, reporter, severity, detail;
    std::int64_t first_seen = 0;  // first evaluated
    std::int64_t settled_at = 0;  // 0: provisional
    std::int64_t acked_at = 0;    // 0: not acknowledged
    std::string ack_note;
};

// One channel's delivery of one alert (or of a digest: id "digest:..."): attempts, the last
// error, and when it was delivered (0: not yet).
struct delivery_row {
    std::string alert_id, channel;
    std::int64_t attempts = 0, last_attempt = 0, delivered_at = 0;
    std::string last_error;
};

// A mute rule: alerts matching every non-empty field are kept but not sent, until `until_day`
// (inclusive, YYYY-MM-DD; empty: for ever).
struct mute_row {
    std::int64_t id = 0;
    std::string domain, source, kind, until_day, note;
    std::int64_t created_at = 0;
};

class report_visitor {
public:
    virtual ~report_visitor() = default;
    virtual result<void> begin_report(const stored_report& report) = 0;
    virtual result<void> on_record(const report::record& rec) = 0;
    // False: the visitor reads the reports' headers only (the published policy, the reporter),
    // and the driver never decodes their records.
    virtual bool wants_records() const { return true; }
    virtual result<void> end_report() = 0;
};

// A hash of a name that every build and every process computes alike (FNV-1a, 64 bits): what
// claims and the PostgreSQL driver's advisory locks are keyed by, across machines.
constexpr std::uint64_t stable_hash(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
}

// A claim on work done once across workers (store::try_claim): released when destroyed.
class claim {
public:
    virtual ~claim() = default;
};

class store {
public:
    virtual ~store() = default;

    // --- writing. Calls between begin_batch and commit_batch are one transaction; within it each
    // report is a unit (begin_unit .. end_unit) that is kept or undone whole.
    virtual result<void> begin_batch() = 0;
    virtual result<void> commit_batch() = 0;
    virtual result<void> begin_unit() = 0;
    virtual result<void> end_unit(bool keep) = 0;

    virtual result<std::optional<existing_report>> find_report(const report::report_key& key) = 0;
    // report::content_hash of a stored report: the value kept at ingest (reports of schema v1 are
    // hashed from their decoded records once, and the value kept).
    virtual result<std::uint64_t> content_hash(std::int64_t report) = 0;
    virtual result<inserted_report> insert_report(const report::report_header& header, std::string_view input_label) = 0;
    virtual result<void> insert_record(std::int64_t report, const report::record& rec) = 0;
    virtual result<void> finish_report(std::int64_t report, const report_totals& totals) = 0;
    virtual result<void> add_report_warning(std::int64_t report, std::string_view warning) = 0;
    // Notes that the report's input bytes are kept in the quarantine under this SHA-256.
    virtual result<void> attach_raw(std::int64_t report, std::string_view sha256) = 0;
    // Removes a report this batch stored (its input could not be finished, e.g. its bytes could
    // not be kept): the report row and its records.
    virtual result<void> undo_report(std::int64_t report) = 0;
    // True when these bytes (SHA-256) already ended this way before, under any label: such an
    // input is "unchanged" on a re-run. Asked once per input, before its units are recorded. An
    // input with no bytes (unreadable: sha256 empty) is matched by its label instead.
    virtual result<bool> input_seen(std::string_view sha256, std::string_view label, outcome o) = 0;
    // Records how a unit that did not become a new report ended; the row becomes the current
    // outcome of its label.
    virtual result<void> record_input(const input_row& row) = 0;
    // A report from `label` was stored: earlier outcomes of that label are history now.
    virtual result<void> supersede_inputs(std::string_view label) = 0;
    // Writes an input row exactly as given (first_seen, times_seen, current and all): `copy`
    // moving a store's history. Replaces the row of the same (sha256, label).
    virtual result<void> restore_input(const input_row& row) = 0;

    // --- reading.
    virtual result<store_stats> stats() = 0;
    // A value that differs after anyone else committed a change to the store (reports, labels,
    // enrichment, alerts): a reader compares two to know whether an answer it keeps still holds.
    // It may differ without a change (never the other way round).
    virtual result<std::string> change_marker() = 0;
    // The reports in the order of their begin time, then of their key (policy domain, org,
    // report id, end): an order that is the same in every store holding the same reports, however
    // and by how many workers they were ingested.
    virtual result<void> visit_reports(const query_filter& filter, report_visitor& visitor) = 0;
    // Current rows (the latest outcome of each label), or with filter.history every row.
    virtual result<std::vector<input_row>> inputs(const input_filter& filter) = 0;
    virtual result<std::vector<std::string>> policy_domains() = 0;
    // (domain, selector) pairs seen in DKIM auth results of stored reports.
    virtual result<std::vector<std::pair<std::string, std::string>>> dkim_selectors() = 0;

    // --- analysis facts (store/facts.hpp), kept at ingest.
    // The fact rows the filter selects, each policy domain's rows together (domains in name
    // order), in no particular order within a domain; a key may come in several rows: sum them.
    virtual result<void> source_days(const fact_filter& filter,
                                     const std::function<result<void>(const source_day_row&)>& each) = 0;
    // The n sources (policy domain, source IP) with the most messages over the filter (ties: the
    // domain, then the IP, in text order), as their fact rows, a domain's together; returns how
    // many sources the filter holds. What the overview reads without summing every source in full.
    // top_of::failing: only sources of which fewer messages passed DMARC than were sent over the
    // window (what "failing" means in the inventory), counted and chosen among those alone.
    virtual result<std::size_t> top_source_days(const fact_filter& filter, std::size_t n, top_of which,
                                                const std::function<result<void>(const source_day_row&)>& each) = 0;
    virtual result<std::vector<domain_row>> domains(const fact_filter& filter) = 0;
    // Recomputes every fact from the stored records, in one transaction. progress(done, total).
    virtual result<rebuild_summary> rebuild_facts(const std::function<void(std::int64_t, std::int64_t)>& progress) = 0;

    // --- retention (store/prune.hpp): removes, in one transaction, what is older than the UTC day
    // of cutoff_epoch (rounded down to its midnight); the facts stay exactly those `rebuild` would
    // derive from the remaining records. dry_run: the same work, rolled back.
    virtual result<prune_summary> prune(std::int64_t cutoff_epoch, bool dry_run) = 0;

    // --- enrichment cache.
    // Source IPs seen in the facts that have no ip_info row, or whose row expired by `now`.
    virtual result<std::vector<std::string>> ips_to_enrich(std::int64_t now, const fact_filter& filter) = 0;
    virtual result<void> save_ip_info(const std::vector<ip_info>& rows) = 0;
    // The stored rows for these IPs (those without a row are absent).
    virtual result<std::vector<ip_info>> ip_infos(const std::vector<std::string>& ips) = 0;
    // Every stored row, in IP text order (`copy`).
    virtual result<std::vector<ip_info>> all_ip_infos() = 0;

    // --- labels.
    virtual result<void> put_label(const label_row& row) = 0;  // replaces the same (domain, source, service)
    virtual result<bool> remove_label(const label_row& row) = 0;
    virtual result<std::vector<label_row>> labels(const std::string& domain) = 0;  // empty: all

    // --- alerts (src/alerts/): what fired, what was sent, acknowledged, muted; DNS findings.
    // Stores the alerts evaluated over [from_day, until_day] (YYYY-MM-DD, inclusive): new ones are
    // added, provisional ones updated (and settled when settled_at is set), provisional ones of
    // that range (and of `domain`; empty: every domain) that no longer fire are removed. Settled alerts are history: never changed here.
    virtual result<void> sync_alerts(const std::vector<alert_row>& firing, std::string_view domain, std::string_view from_day,
                                     std::string_view until_day) = 0;
    virtual result<std::vector<alert_row>> kept_alerts() = 0;  // by day, then id
    // False when no alert has this id.
    virtual result<bool> ack_alert(std::string_view id, std::string_view note, std::int64_t at) = 0;
    virtual result<std::vector<delivery_row>> deliveries(std::string_view alert_id) = 0;  // empty id: all
    virtual result<void> put_delivery(const delivery_row& row) = 0;  // replaces (alert_id, channel)
    virtual result<std::int64_t> put_mute(const mute_row& row) = 0;  // returns its id
    virtual result<bool> remove_mute(std::int64_t id) = 0;
    virtual result<std::vector<mute_row>> mutes() = 0;
    // The last DNS findings kept for a domain (JSON text written by src/alerts/), and their time.
    virtual result<std::optional<std::pair<std::string, std::int64_t>>> dns_findings(std::string_view domain) = 0;
    virtual result<void> put_dns_findings(std::string_view domain, std::string_view json, std::int64_t at) = 0;

    // --- SMTP TLS reports (RFC 8460)
    // A report is one unit (begin_unit .. end_unit): its row, policies and failure details are
    // kept or undone whole. De-duplicated on report::tls_report_key (organization-name, report-id).
    virtual result<std::optional<existing_report>> find_tls_report(const report::tls_report_key& key) = 0;
    // Stores the report, its policies and failure details; when another writer stored the same
    // key first (PostgreSQL workers: the key's unique constraint decides), that report's id with
    // `existing` set, and nothing is written.
    virtual result<inserted_report> insert_tls_report(const report::tls_report& r, std::uint64_t content_hash,
                                                      std::string_view input_label) = 0;
    virtual result<std::uint64_t> tls_content_hash(std::int64_t report) = 0;
    virtual result<void> attach_tls_raw(std::int64_t report, std::string_view sha256) = 0;
    // Removes a TLS report this batch stored (its input could not be finished).
    virtual result<void> undo_tls_report(std::int64_t report) = 0;
    virtual result<tls_totals> tls_stats() = 0;
    // The reports whose date-range begins in [since, until) (filter.domain is not applied here:
    // analyze/tls.hpp selects policies), by begin time then key, each with its policies in
    // report order.
    virtual result<void> visit_tls_reports(const query_filter& filter,
                                           const std::function<result<void>(const stored_tls_report&)>& each) = 0;

    // --- failure reports (RFC 6591, RFC 9991)
    // Stores one failure report (a unit on its own: one row), or, when a report of the same
    // failure_key is stored (by this or another worker), that report's id with `existing` set.
    virtual result<inserted_report> insert_failure_report(const report::failure_report& r, std::string_view input_label) = 0;
    // Removes a failure report this batch stored (its input could not be finished).
    virtual result<void> undo_failure_report(std::int64_t id) = 0;
    virtual result<std::int64_t> failure_report_count() = 0;
    // The reports the filter selects, newest first (then by id).
    virtual result<void> visit_failure_reports(const failure_filter& filter,
                                               const std::function<result<void>(const stored_failure&)>& each) = 0;
    // Failure reports per (policy domain, source IP) over the filter's domain and days (source_ip
    // and source_ips narrow it too), in domain then IP text order.
    virtual result<std::vector<failure_source_count>> failure_counts_by_source(const fact_filter& filter) = 0;

    // --- work done once across workers (a mailbox folder, an alert's delivery, a rebuild).
    // Claims `name`: held while the returned object lives, and released when it is destroyed or
    // its process ends (killed or not: nothing to expire). Null when another process holds it.
    // PostgreSQL: a row of work_claims locked FOR UPDATE SKIP LOCKED in a transaction of a
    // connection of its own; SQLite: an open-file-description lock on the database's .claims file.
    virtual result<std::unique_ptr<claim>> try_claim(std::string_view name) = 0;

    // Lets `role` read every table (PostgreSQL: CONNECT, USAGE on the schema, SELECT on its tables
    // now and on those later migrations add), for a dashboard that must never write. SQLite:
    // refused (a file is shared read-only through its permissions).
    virtual result<void> grant_reader(std::string_view role) = 0;

    // What the store is, for messages: the file, or the PostgreSQL URI without its password.
    virtual std::string describe() const = 0;
};

enum class open_mode { read_write, read_only };

}  // namespace dmarcsight::store
