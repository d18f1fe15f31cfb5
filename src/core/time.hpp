// UTC time as seconds since the epoch, with formatting and parsing that cannot overflow for any
// int64 input (report dates come from the internet: year 9999 and 1970 are both legal).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dmarcsight::utc {

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm), valid for all int64 days.
struct civil_date {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};
civil_date from_days(std::int64_t days);
std::int64_t to_days(std::int64_t year, unsigned month, unsigned day);

// Floor division of seconds into days (correct for negatives).
inline std::int64_t day_of(std::int64_t seconds) {
    return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
}

std::string format_datetime(std::int64_t seconds);  // "YYYY-MM-DD HH:MM:SS"
std::string format_date(std::int64_t seconds);      // "YYYY-MM-DD"
std::string format_iso8601(std::int64_t seconds);   // "YYYY-MM-DDTHH:MM:SSZ"

// A time given on the command line (--since, --until), as seconds; nullopt if it is none of:
//   YYYY-MM-DD                      midnight UTC that day;
//   RFC 3339 date-time              "2025-11-20T10:00:00Z", "2025-11-20T10:00:00.250+02:00"; 'T' may
//                                   be 't' or a space, seconds may be left out, and no offset means
//                                   UTC; a fraction of a second rounds up to the next whole second
//                                   (report times are whole seconds, so ">= t" and "< t" keep their
//                                   meaning exactly); a leap second :60 is accepted (RFC 3339 5.7);
//   an age before `now`             a count and a unit: "90m" minutes, "12h" hours, "30d" days,
//                                   "2w" weeks.
// Plain digits are refused: "20251120" is a date to a person and epoch seconds to a program.
std::optional<std::int64_t> parse_user_time(std::string_view text, std::int64_t now);
// What parse_user_time accepts, for usage messages.
inline constexpr const char* user_time_forms =
    "YYYY-MM-DD, an RFC 3339 time such as 2025-11-20T10:00:00Z or 2025-11-20T10:00:00+02:00, "
    "or an age such as 90m, 12h, 30d, 2w";

// Seconds now (wall clock).
std::int64_t now();

}  // namespace dmarcsight::utc
