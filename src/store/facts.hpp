// The analytical facts: what analysis reads, derived from each stored record at ingest (and by
// `rebuild`), one row per policy domain, UTC day, source IP and header_from, with the measures the
// questions need summed over the records. Driver-independent: every driver stores the same rows
// (SQLite: schema/sqlite/0003_source_facts.sql and 0004_facts_appended.sql; PostgreSQL the same
// tables), so analysis never depends on a driver, and a columnar engine could keep them as a
// summing table.
//
// A report's day (issue 6; RFC 7489 §7.2 asks receivers for UTC-day reports, and RFC 9990
// §2.1.1 for "a day"): its range is [begin, end), an end of hh:mm:59 counting as the next
// second. A report no longer than 25 hours belongs to the UTC date of its begin (receivers end
// theirs at 23:59:59 or at the next midnight, some a little late). A longer one is spread over the
// UTC days it overlaps in proportion to the overlap, each record's count split into whole numbers
// by largest remainder, so that every total stays exact; each part carries all of the record's
// results.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/ip_address.hpp"
#include "report/aggregate.hpp"

namespace dmarcsight::store {

// Counts of messages. Names say which messages; everything is a subset of `messages`.
struct source_measures {
    std::int64_t messages = 0;
    std::int64_t dmarc_pass = 0;    // policy_evaluated dkim=pass or spf=pass
    std::int64_t spf_aligned = 0;   // policy_evaluated spf=pass
    std::int64_t dkim_aligned = 0;  // policy_evaluated dkim=pass
    // Envelope (RFC5321.MailFrom; the SPF mfrom domain when the envelope is missing) is the
    // policy domain, under it, or its parent: what forwarded mail keeps.
    std::int64_t envelope_aligned = 0;
    // auth_results SPF (the mfrom result where there are several scopes).
    std::int64_t spf_pass = 0;
    std::int64_t spf_pass_foreign = 0;  // SPF pass for a domain outside the policy domain
    std::int64_t spf_fail = 0;          // fail or softfail
    // auth_results DKIM: a passing signature of the policy domain (aligned, relaxed); one of the
    // policy domain present but none passing; a passing signature of another domain; no signature.
    std::int64_t dkim_aligned_pass = 0;
    std::int64_t dkim_aligned_fail = 0;
    std::int64_t dkim_foreign_pass = 0;
    std::int64_t dkim_none = 0;
    // policy_evaluated reasons (RFC 7489 Appendix C PolicyOverrideType), messages with at least one.
    std::int64_t reason_forwarded = 0;
    std::int64_t reason_trusted_forwarder = 0;
    std::int64_t reason_mailing_list = 0;
    std::int64_t reason_local_policy = 0;
    std::int64_t reason_arc_pass = 0;  // local_policy (or any reason) whose comment says arc=pass
    std::int64_t reason_sampled_out = 0;
    std::int64_t reason_other = 0;
    std::int64_t disposition_none = 0, disposition_quarantine = 0, disposition_reject = 0;

    void add(const source_measures& o, std::int64_t sign = 1);
    bool operator==(const source_measures&) const = default;
};

// Applies fn to every measure, with its column name: drivers build their SQL from this list, so a
// measure added here reaches every table, query and view at once.
template <class M, class F>
constexpr void for_each_measure(M& m, F&& fn) {
    fn("messages", m.messages);
    fn("dmarc_pass_messages", m.dmarc_pass);
    fn("spf_aligned_messages", m.spf_aligned);
    fn("dkim_aligned_messages", m.dkim_aligned);
    fn("envelope_aligned_messages", m.envelope_aligned);
    fn("spf_pass_messages", m.spf_pass);
    fn("spf_pass_foreign_messages", m.spf_pass_foreign);
    fn("spf_fail_messages", m.spf_fail);
    fn("dkim_aligned_pass_messages", m.dkim_aligned_pass);
    fn("dkim_aligned_fail_messages", m.dkim_aligned_fail);
    fn("dkim_foreign_pass_messages", m.dkim_foreign_pass);
    fn("dkim_none_messages", m.dkim_none);
    fn("forwarded_messages", m.reason_forwarded);
    fn("trusted_forwarder_messages", m.reason_trusted_forwarder);
    fn("mailing_list_messages", m.reason_mailing_list);
    fn("local_policy_messages", m.reason_local_policy);
    fn("arc_pass_messages", m.reason_arc_pass);
    fn("sampled_out_messages", m.reason_sampled_out);
    fn("other_reason_messages", m.reason_other);
    fn("none_messages", m.disposition_none);
    fn("quarantine_messages", m.disposition_quarantine);
    fn("reject_messages", m.disposition_reject);
}
inline constexpr int measure_count = 22;

struct source_day_key {
    std::string policy_domain, source_ip, day, header_from;  // day: YYYY-MM-DD (UTC)
    bool operator==(const source_day_key&) const = default;
};

// One row of facts: a (policy domain, day, source, header_from) and its measures. The
// store may hold several rows of one key (one per batch that added to it): every reader sums.
struct source_day_row {
    source_day_key key;
    source_measures m;
    // A domain outside the policy domain that this source used (the first seen): the SPF/envelope
    // domain and a DKIM d=. Evidence for naming a service and for the fix.
    std::string foreign_spf_domain, foreign_dkim_domain;
    std::vector<std::string> reporters;  // org_name of the reports behind it, at most max_row_reporters
    // In memory only: records summed into the row (a row an undo leaves with none is not written).
    std::int64_t records = 0;
};
inline constexpr std::size_t max_row_reporters = 64;

// The measures stored as columns of their own (what v_source_day shows and SQL users sum); the
// other measures and the foreign domains travel in one `evidence` value per row, encoded below
// (an INSERT's cost grows with its columns: 30 columns cost twice what 14 do).
bool is_column_measure(std::string_view column_name);
inline constexpr std::uint8_t evidence_version = 2;
// version byte, then each non-column measure as a zigzag varint, then the foreign SPF and DKIM
// domains as length-prefixed strings, then the number of reporters and each one's id (the
// driver's table of reporter names) as a varint. decode_evidence gets the names by id
// (reporter_names[id]); false: damaged, an unknown version or an unknown reporter.
bool decode_evidence(std::string_view in, source_day_row& row, const std::vector<std::string>& reporter_names);

// The days of a report and each one's share: [(day, weight)], weights in seconds of overlap.
struct day_share {
    std::int64_t day = 0;  // days since 1970-01-01
    std::int64_t weight = 0;
};
// At most this many days per report (a hostile "begin=0, end=year 9999" must not make millions of
// rows); a longer report is spread over its first max_report_days days.
inline constexpr std::int64_t max_report_days = 366;
std::vector<day_share> report_days(std::int64_t begin, std::int64_t end);
// Splits count over the shares by largest remainder (ties to the earlier day): the parts sum to
// count exactly.
std::vector<std::int64_t> split_count(std::int64_t count, const std::vector<day_share>& shares);

// Is `domain` aligned with the policy domain in the relaxed sense used here: equal, under it, or
// its parent (RFC 7489 §3.1: relaxed alignment compares Organizational Domains; the policy
// domain is the published one, the organizational domain or below it).
bool related_domain(std::string_view domain, std::string_view policy_domain);

// related_domain against one policy domain, remembering the last few answers: a report's records
// name the same few envelope, SPF and DKIM domains over and over.
class related_domain_memo {
public:
    void reset(std::string_view policy_domain);  // keeps the answers when the domain is the same
    bool operator()(std::string_view domain);

private:
    std::string pd_;
    std::array<std::string, 4> seen_;
    std::array<bool, 4> answer_{};
    std::size_t used_ = 0, next_ = 0;
};

// The measures of one record (its whole count).
source_measures measures_of(const report::record& rec, std::string_view policy_domain);

// Which measures are columns of their own (for_each_measure order): is_column_measure of each name,
// worked out once.
const std::array<bool, measure_count>& column_measure_mask();
// The for_each_measure indexes of the column measures (columns = true) or of the others, in order.
const std::vector<std::size_t>& measure_indexes(bool columns);
// The column measures' names, comma-separated, in for_each_measure order (what drivers select).
const std::string& column_measure_names();

// One row of the accumulator: like source_day_row, with its text in the accumulator's arena
// (valid until clear()). The key is binary (domain slot, day number, address family and bytes,
// header_from): the texts a driver writes are made once per row at the flush, not per record.
// Kept small (104 bytes): a batch holds up to tens of thousands, and at 300 bytes (the measures
// inline) writing and reading them again missed the cache on every row. Most rows sum records of
// one set of flags (`on`, `count`); a row that meets records of other flags gets the full measures
// in the arena (`spilled`).
struct fact_entry {
    static constexpr std::uint32_t no_reporter = 0xffffffffu;
    static constexpr std::size_t key_fixed = 4 + 4 + 1 + 16;  // domain slot, day, family, bytes

    std::string_view key;             // the packed key, in the arena
    std::int64_t* spilled = nullptr;  // measure_count measures (for_each_measure order), or null:
    std::int64_t count = 0;           // ... then each measure in `on` is count, the others 0
    std::int64_t records = 0;  // records summed into it (a row an undo leaves with none is not written)
    std::uint32_t domain = 0;  // fact_accumulator::domain(i) is its policy domain
    std::int32_t day = 0;      // days since 1970-01-01 (UTC)
    std::uint32_t on = 0;      // record_flags of the records summed (when not spilled)
    // The reporters behind the row, as fact_accumulator::reporter indexes with the records each
    // gave (an undone report takes its own back): the first inline (most rows have one per batch),
    // the others in a list of the accumulator's (`more`, its index).
    std::uint32_t first_reporter = no_reporter;
    std::uint32_t more = no_reporter;
    std::int64_t first_reporter_records = 0;
    std::string_view foreign_spf_domain, foreign_dkim_domain;

    std::int64_t measure(std::size_t i) const { return spilled ? spilled[i] : ((on >> i) & 1u) ? count : 0; }
    ip_address source_ip() const;
    std::string_view header_from() const { return key.substr(key_fixed); }  // lower-cased
};
// The evidence of an entry (see evidence_version), written at the start of `buffer` (grown as
// needed, never shrunk); reporter_ids: its reporters' ids, in first_reporter, more_reporters order.
std::string_view encode_evidence(const fact_entry& e, const std::vector<std::uint64_t>& reporter_ids, std::string& buffer);

// Facts of a set of reports, summed in memory: a batch adds each kept report and writes once.
// Per record: one hash of a binary key and one probe of an open-addressing table whose slots keep
// a hash tag (a mismatch never touches the entry); a new row's key is copied once into an arena.
// No allocation and no text formatting per record: the accumulator was a third of the ingest's
// cost with a std::string per field, and still a quarter with text keys.
class fact_accumulator {
public:
    // Adds (sign = +1) or removes (sign = -1, undoing a report) one record of a report.
    void add_record(const report::report_header& h, const report::record& rec, std::int64_t sign = 1);
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    void clear();
    const std::vector<fact_entry>& entries() const { return entries_; }
    // The policy domain of fact_entry::domain, and how many there are.
    const std::string& domain(std::uint32_t i) const { return domains_[i]; }
    std::size_t domain_count() const { return domains_.size(); }
    // The reporter (org_name, NUL made '?') of a fact_entry reporter index, and how many there are.
    std::string_view reporter(std::uint32_t i) const { return reporters_[i]; }
    std::size_t reporter_count() const { return reporters_.size(); }
    // An entry's reporters that still have records in it (reporter indexes, first seen first).
    void reporters_of(const fact_entry& e, std::vector<std::uint32_t>& out) const;
    // Leaves every row of day `day` (days since 1970-01-01) or later out of what a driver writes
    // (their records set to none, as for undone ones): prune deriving again only the days before
    // its cutoff of a report that spans it.
    void drop_days_from(std::int32_t day);
    // The entries grouped by policy domain (domains in name order; within a domain, in the order
    // they were first seen): each domain's rows together, as a driver appends them.
    std::vector<const fact_entry*> by_domain() const;

private:
    char* allocate(std::size_t n);                 // n bytes of the arena
    std::int64_t* allocate_measures();             // measure_count of them, 8-byte aligned
    std::string_view keep(std::string_view text);  // a copy in the arena
    std::string_view keep_lowered(std::string_view text);  // ... lower-cased
    fact_entry& find_or_add(std::string_view key, std::size_t hash, bool& fresh);
    void grow();
    std::uint32_t domain_slot(const std::string& policy_domain);

    std::int64_t cached_begin_ = 0, cached_end_ = -1;
    std::vector<day_share> shares_;
    std::vector<fact_entry> entries_;
    std::vector<std::uint64_t> slots_;  // open addressing: (hash tag << 32) | (entry index + 1); 0 = empty
    std::vector<std::unique_ptr<char[]>> arena_;
    std::size_t arena_used_ = 0, arena_block_ = 0;
    std::vector<std::string> domains_;
    std::string last_domain_;
    std::uint32_t last_domain_slot_ = 0;
    bool have_last_domain_ = false;
    related_domain_memo memo_;
    std::string probe_;
    std::vector<std::vector<std::pair<std::uint32_t, std::int64_t>>> more_reporters_;  // fact_entry::more: (reporter, records)
    std::vector<std::string_view> reporters_;  // each reporter once, in the arena
    std::unordered_map<std::string_view, std::uint32_t> reporter_index_;
    std::string reporter_raw_;  // the org_name of the last record added ...
    std::uint32_t reporter_ = fact_entry::no_reporter;  // ... and its index
    bool reporter_known_ = false;
};

}  // namespace dmarcsight::store
