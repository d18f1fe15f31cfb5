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

// Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DDTHH:MM[:SS][Z]", or plain epoch seconds.
std::optional<std::int64_t> parse_user_time(std::string_view text);

// Seconds now (wall clock).
std::int64_t now();

}  // namespace dmarcsight::utc
