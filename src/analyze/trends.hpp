// Trends: per policy domain and UTC day (or ISO week), the messages, how many passed DMARC, the
// unauthorized messages, and the messages of each class of source (issue 10, "Trends and alerts").
// Read from the facts only (store::source_days), so every driver serves it alike.
//
// A source has one class over the whole window: each (policy domain, source IP) is classified once
// over the window (list_sources, the rules of classify.hpp), then its daily facts are summed into
// that class. "Unauthorized" is mail that fails DMARC (RFC 7489 §6.6.2: neither aligned SPF nor
// aligned DKIM passes) from sources classified spoofing or unknown: what enforcement is for.
//
// Every day of the window has a row for every selected domain, zero when no report covers it, so
// that a chart shows a gap as a gap (a receiver's lost reports look like that). Weeks are ISO 8601
// weeks (Monday to Sunday); a week at an edge of the window sums only the window's days of it and
// says how many (`days`).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/classify.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace dmarcsight::analyze {

enum class trend_period { day, week };

// The classes in source_class order (what class_messages is indexed by).
inline constexpr std::array<source_class, 7> trend_classes{
    source_class::authorized,   source_class::authorized_failing, source_class::forwarded, source_class::mailing_list,
    source_class::third_party_unaligned, source_class::spoofing, source_class::unknown};

// A window longer than this (ten years) is cut to its last max_trend_days days: a hostile report
// dated 1970 beside today's must not make half a million zero rows per domain.
inline constexpr std::int64_t max_trend_days = 3660;

struct trend_row {
    std::string domain;
    std::int64_t day = 0;   // days since 1970-01-01: the day, or the Monday of its ISO week
    std::int64_t days = 1;  // days of the window in the row (1 for a day; 1..7 for a week)
    std::int64_t messages = 0;
    std::int64_t dmarc_pass = 0;
    std::int64_t unauthorized = 0;  // DMARC-fail messages of spoofing / unknown sources
    std::array<std::int64_t, trend_classes.size()> class_messages{};  // by trend_classes index
    bool operator==(const trend_row&) const = default;
};

// DMARC-fail mail of this class counts as unauthorized.
bool is_unauthorized(source_class c);
// The Monday of the ISO week of a day (days since 1970-01-01, which was a Thursday).
std::int64_t week_start(std::int64_t day);
// The ISO 8601 week of a day: "2026-W40" (the year is that of the week's Thursday).
std::string iso_week(std::int64_t day);
// "YYYY-MM-DD" as days since 1970-01-01; nullopt when it is not such a date.
std::optional<std::int64_t> parse_day(std::string_view text);

// The pure roll-up: facts of classified sources in, rows out.
class trend_rollup {
public:
    // A source's facts of one day: its messages and those passing DMARC, counted under its class.
    void add(const std::string& domain, std::int64_t day, source_class c, std::int64_t messages, std::int64_t dmarc_pass);
    // The first and last day anything was added for; nullopt when nothing was.
    std::optional<std::pair<std::int64_t, std::int64_t>> span() const;
    // A row for each domain (in the order given) and each day first..last (inclusive), or each ISO
    // week touching them; days without facts are zero rows.
    std::vector<trend_row> rows(const std::vector<std::string>& domains, std::int64_t first, std::int64_t last, trend_period by) const;

private:
    std::map<std::string, std::map<std::int64_t, trend_row>> cells_;  // domain -> day -> sums
    std::optional<std::pair<std::int64_t, std::int64_t>> span_;
};

struct trends_query {
    store::fact_filter filter;  // domain (with subdomains), since_day, until_day
    trend_period by = trend_period::day;
    thresholds rules;
    std::int64_t today = 0;  // days since 1970-01-01: the end of a window with --since and no facts
};

struct trends_result {
    std::vector<trend_row> rows;
    std::int64_t first_day = 0, last_day = -1;  // the window the rows cover (empty when last < first)
    bool cut = false;  // the window was longer than max_trend_days and lost its start
};

// Classifies every source of the selected domains over the window once, then rolls its daily
// facts up by class. The window is the filter's days; an open end is the first (last) day with
// facts (no facts at all in the selection: through q.today).
result<trends_result> compute_trends(store::store& db, const trends_query& q, const service_directory* services,
                                     const std::vector<store::label_row>& labels);

}  // namespace dmarcsight::analyze
