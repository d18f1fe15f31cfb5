// --since / --until forms (utc::parse_user_time): dates, RFC 3339 date-times, ages; nothing else.
#include <gtest/gtest.h>

#include "core/time.hpp"

using namespace dmarcsight;

namespace {
constexpr std::int64_t day = 86400;
constexpr std::int64_t nov20 = 1763596800;  // 2025-11-20T00:00:00Z
constexpr std::int64_t now = nov20 + 12 * 3600;
}  // namespace

TEST(time_parse, plain_date_is_midnight_utc) {
    EXPECT_EQ(utc::parse_user_time("2025-11-20", now), nov20);
    EXPECT_EQ(utc::parse_user_time("2024-02-29", now), utc::to_days(2024, 2, 29) * day);
    EXPECT_EQ(utc::parse_user_time("1970-01-01", now), 0);
    EXPECT_FALSE(utc::parse_user_time("2025-02-29", now));  // not a leap year
    EXPECT_FALSE(utc::parse_user_time("2025-13-01", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-00", now));
    EXPECT_FALSE(utc::parse_user_time("2025-1-20", now));
    EXPECT_FALSE(utc::parse_user_time("2025/11/20", now));
}

TEST(time_parse, rfc3339_utc_and_offsets) {
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00Z", now), nov20 + 36000);
    EXPECT_EQ(utc::parse_user_time("2025-11-20t10:00:00z", now), nov20 + 36000);
    EXPECT_EQ(utc::parse_user_time("2025-11-20 10:00:00Z", now), nov20 + 36000);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00+02:00", now), nov20 + 8 * 3600);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00-05:30", now), nov20 + 15 * 3600 + 1800);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T00:30:00+01:00", now), nov20 - 1800);  // the day before in UTC
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00-00:00", now), nov20 + 36000);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00", now), nov20 + 36000);  // no seconds, no offset: UTC
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:00:00+0200", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:00:00+24:00", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T24:00:00Z", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:60:00Z", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:00:00ZZ", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10", now));
}

TEST(time_parse, fractional_seconds_round_up_to_keep_comparisons_exact) {
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00.000Z", now), nov20 + 36000);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00.5Z", now), nov20 + 36001);
    EXPECT_EQ(utc::parse_user_time("2025-11-20T10:00:00.123456789+02:00", now), nov20 + 8 * 3600 + 1);
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:00:00.Z", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20T10:00.5Z", now));  // a fraction needs seconds
}

TEST(time_parse, leap_second) { EXPECT_EQ(utc::parse_user_time("2016-12-31T23:59:60Z", now), utc::to_days(2017, 1, 1) * day); }

TEST(time_parse, ages_count_back_from_now) {
    EXPECT_EQ(utc::parse_user_time("30d", now), now - 30 * day);
    EXPECT_EQ(utc::parse_user_time("12h", now), now - 12 * 3600);
    EXPECT_EQ(utc::parse_user_time("90m", now), now - 90 * 60);
    EXPECT_EQ(utc::parse_user_time("2w", now), now - 14 * day);
    EXPECT_EQ(utc::parse_user_time("0d", now), now);
    EXPECT_EQ(utc::parse_user_time("999999999w", now), now - INT64_C(999999999) * 7 * day);
    EXPECT_FALSE(utc::parse_user_time("1000000000w", now));  // too many digits to be meant
    EXPECT_FALSE(utc::parse_user_time("30", now));
    EXPECT_FALSE(utc::parse_user_time("d", now));
    EXPECT_FALSE(utc::parse_user_time("30y", now));
    EXPECT_FALSE(utc::parse_user_time("30D", now));
    EXPECT_FALSE(utc::parse_user_time("-3d", now));
    EXPECT_FALSE(utc::parse_user_time("3 d", now));
    EXPECT_FALSE(utc::parse_user_time("1.5d", now));
}

TEST(time_parse, bare_digits_are_refused) {
    EXPECT_FALSE(utc::parse_user_time("20251120", now));  // the issue: read as epoch seconds before
    EXPECT_FALSE(utc::parse_user_time("1763596800", now));
    EXPECT_FALSE(utc::parse_user_time("0", now));
    EXPECT_FALSE(utc::parse_user_time("", now));
    EXPECT_FALSE(utc::parse_user_time(" 2025-11-20", now));
    EXPECT_FALSE(utc::parse_user_time("2025-11-20 ", now));
}
