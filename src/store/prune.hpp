// Retention (`dmarcsight prune`): what goes when a store drops everything older than a cutoff, the
// same for every driver (store::store::prune).
//
// Why by report, and facts by day: the facts are per UTC day (facts.hpp: a report's records count
// on its day, or, for a report longer than 25 hours, are spread over the days it overlaps), and
// analysis reads days. So the cutoff is a UTC midnight (the one at or before the time asked for),
// and:
//  * a report goes, with its records, when every day its records count on is before the cutoff
//    (for the usual report of a day: its day is; so a report of 07:00 to 07:00 goes with its day);
//  * every fact row of a day before the cutoff goes;
//  * a report spanning the cutoff (longer than 25 hours, days on both sides) stays whole, and its
//    share of the days before the cutoff is derived again from its records and appended: rebuild
//    would derive exactly that, as no other remaining report counts on those days.
// The facts then stay exactly the sum of the remaining records (tests/unit/store/prune_test.cpp
// checks that `rebuild` changes no fact afterwards), without rebuilding anything but the rare
// spanning reports.
//
// Other tables go by a time column of theirs (prune_steps): their rows older than the cutoff are
// removed, and the kept bytes (quarantine file names) their removed rows named are offered for
// removal when no remaining row names them. A table added later is one more entry.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dmarcsight::store {

enum class prune_unit { epoch_seconds, day };  // day: YYYY-MM-DD text, compared with the cutoff's date

struct prune_step {
    std::string_view table;
    std::string_view time_column;  // rows with a value before the cutoff go (a column, or an expression of ours)
    prune_unit unit;
    std::string_view file_column;  // a quarantine file name the row keeps (empty: none)
    std::string_view only;         // a further condition the rows must meet (SQL; empty: none)
};

// Constants of ours only: these names and conditions reach SQL as text. In this order: a
// delivery goes after its alert.
inline constexpr std::array<prune_step, 8> prune_steps{{
    // Input history: last seen before the cutoff.
    {"inputs", "seen_at", prune_unit::epoch_seconds, "quarantine_path", ""},
    // Alert history: alerts of days before the cutoff ...
    {"alerts", "day", prune_unit::day, "", ""},
    // ... deliveries last tried before it, of digests or of alerts no longer kept ...
    {"alert_deliveries", "last_attempt", prune_unit::epoch_seconds, "",
     "(alert_id LIKE 'digest:%' OR NOT EXISTS (SELECT 1 FROM alerts a WHERE a.id = alert_deliveries.alert_id))"},
    // ... and mutes that ended before it (a mute without an end stays).
    {"alert_mutes", "until_day", prune_unit::day, "", "until_day <> ''"},
    // Failure reports (RFC 6591 samples hold personal data): by when the failure happened.
    {"failure_reports", "report_time", prune_unit::epoch_seconds, "", ""},
    // SMTP TLS reports (RFC 8460) that ended before the cutoff: their failure details and policies
    // first (by their report's end, a time they have no column for), then the reports and the
    // bytes they kept (named by their SHA-256, as the quarantine names files).
    {"tls_failure_details",
     "(SELECT r.end_time FROM tls_policies p JOIN tls_reports r ON r.id = p.report WHERE p.id = tls_failure_details.policy)",
     prune_unit::epoch_seconds, "", ""},
    {"tls_policies", "(SELECT r.end_time FROM tls_reports r WHERE r.id = tls_policies.report)", prune_unit::epoch_seconds, "", ""},
    {"tls_reports", "end_time", prune_unit::epoch_seconds, "raw_sha256", ""},
}};

// The cutoff applied: the UTC midnight at or before `cutoff_epoch`.
std::int64_t prune_cutoff(std::int64_t cutoff_epoch);

enum class report_fate { keep, remove, rederive };
// What prune does with a report of this range (the day rule of facts.hpp) at a cutoff midnight.
report_fate fate_of(std::int64_t begin, std::int64_t end, std::int64_t cutoff);

}  // namespace dmarcsight::store
