// The analytical facts: what analysis reads, derived from each stored record at ingest (and by
// `rebuild`), one row per policy domain, UTC day, source IP and header_from, with the measures the
// questions need summed over the records. Driver-independent: every driver stores the same rows
// (SQLite: schema/sqlite/0003_source_facts.sql; PostgreSQL the same table), so analysis never
// depends on a driver, and a columnar engine could keep them as a summing table.
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
#include <unordered_map>
#include <vector>

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
void for_each_measure(M& m, F&& fn) {
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
struct source_day_key_hash {
    std::size_t operator()(const source_day_key& k) const noexcept;
};

// One row of source_day.
struct source_day_row {
    source_day_key key;
    source_measures m;
    // A domain outside the policy domain that this source used that day (the first seen): the
    // SPF/envelope domain and a DKIM d=. Evidence for naming a service and for the fix.
    std::string foreign_spf_domain, foreign_dkim_domain;
    // In memory only: records summed into the row (a row an undo leaves with none is not written).
    std::int64_t records = 0;
};

// Which reporters saw a source: (policy domain, source IP, reporter org_name) over days.
struct source_reporter_key {
    std::string policy_domain, source_ip, reporter;
    bool operator==(const source_reporter_key&) const = default;
};
struct source_reporter_key_hash {
    std::size_t operator()(const source_reporter_key& k) const noexcept;
};
struct source_reporter_row {
    source_reporter_key key;
    std::string first_day, last_day;
    std::int64_t messages = 0;
    std::int64_t records = 0;  // in memory only, as above
};

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

// The measures of one record (its whole count).
source_measures measures_of(const report::record& rec, std::string_view policy_domain);

// Facts of a set of reports, summed in memory: a batch adds each kept report and flushes once.
class fact_accumulator {
public:
    // Adds (sign = +1) or removes (sign = -1, undoing a report) one record of a report.
    void add_record(const report::report_header& h, const report::record& rec, std::int64_t sign = 1);
    bool empty() const { return days_.empty() && reporters_.empty(); }
    std::size_t size() const { return days_.size() + reporters_.size(); }
    void clear();
    const std::unordered_map<source_day_key, source_day_row, source_day_key_hash>& days() const { return days_; }
    const std::unordered_map<source_reporter_key, source_reporter_row, source_reporter_key_hash>& reporters() const {
        return reporters_;
    }

private:
    // Cached per report: its days and shares.
    std::int64_t cached_begin_ = 0, cached_end_ = -1;
    std::vector<day_share> shares_;
    std::vector<std::string> day_text_;
    std::unordered_map<source_day_key, source_day_row, source_day_key_hash> days_;
    std::unordered_map<source_reporter_key, source_reporter_row, source_reporter_key_hash> reporters_;
    source_day_key probe_;
    source_reporter_key rprobe_;
};

}  // namespace dmarcsight::store
