#include "core/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace dmarcsight::utc {

civil_date from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = yoe + era * 400;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return {y + (m <= 2), m, d};
}

std::int64_t to_days(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

namespace {
struct parts {
    civil_date date;
    unsigned hh, mm, ss;
};
parts split(std::int64_t seconds) {
    const std::int64_t days = day_of(seconds);
    const std::int64_t rem = seconds - days * 86400;  // 0..86399, no overflow: |days*86400| <= |seconds|+86399
    return {from_days(days), static_cast<unsigned>(rem / 3600), static_cast<unsigned>(rem / 60 % 60),
            static_cast<unsigned>(rem % 60)};
}
}  // namespace

std::string format_datetime(std::int64_t s) {
    // INT64_MIN would overflow in day_of's negation; clamp such absurd values first.
    if (s < -(INT64_C(1) << 62)) s = -(INT64_C(1) << 62);
    const parts p = split(s);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02u:%02u:%02u", static_cast<long long>(p.date.year),
                  p.date.month, p.date.day, p.hh, p.mm, p.ss);
    return buf;
}

std::string format_date(std::int64_t s) {
    std::string t = format_datetime(s);
    return t.substr(0, t.find(' '));
}

std::string format_iso8601(std::int64_t s) {
    std::string t = format_datetime(s);
    const auto sp = t.find(' ');
    if (sp != std::string::npos) t[sp] = 'T';
    return t + "Z";
}

namespace {
bool take_uint(std::string_view& t, std::size_t n, unsigned& out) {
    if (t.size() < n) return false;
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (t[i] < '0' || t[i] > '9') return false;
        v = v * 10 + static_cast<unsigned>(t[i] - '0');
    }
    out = v;
    t.remove_prefix(n);
    return true;
}
bool take_char(std::string_view& t, char c) {
    if (t.empty() || t.front() != c) return false;
    t.remove_prefix(1);
    return true;
}
}  // namespace

std::optional<std::int64_t> parse_user_time(std::string_view t, std::int64_t now) {
    if (t.empty()) return std::nullopt;
    // An age: digits and one unit letter. At most 9 digits keeps n * 604800 far from overflow.
    if (t.size() >= 2 && t.size() <= 10 && t.substr(0, t.size() - 1).find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t unit = 0;
        switch (t.back()) {
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            case 'w': unit = 7 * 86400; break;
            default: return std::nullopt;
        }
        std::int64_t n = 0;
        std::from_chars(t.data(), t.data() + t.size() - 1, n);
        return now - n * unit;
    }
    unsigned y, m, d, hh = 0, mm = 0, ss = 0;
    if (!take_uint(t, 4, y) || !take_char(t, '-') || !take_uint(t, 2, m) || !take_char(t, '-') ||
        !take_uint(t, 2, d))
        return std::nullopt;
    if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    std::int64_t offset = 0;
    bool round_up = false;
    if (!t.empty()) {
        if (!take_char(t, 'T') && !take_char(t, 't') && !take_char(t, ' ')) return std::nullopt;
        if (!take_uint(t, 2, hh) || !take_char(t, ':') || !take_uint(t, 2, mm)) return std::nullopt;
        if (take_char(t, ':')) {
            if (!take_uint(t, 2, ss)) return std::nullopt;
            if (take_char(t, '.')) {  // time-secfrac = "." 1*DIGIT
                std::size_t digits = 0;
                while (!t.empty() && t.front() >= '0' && t.front() <= '9') {
                    round_up = round_up || t.front() != '0';
                    t.remove_prefix(1);
                    ++digits;
                }
                if (digits == 0 || digits > 18) return std::nullopt;
            }
        }
        const bool utc_mark = take_char(t, 'Z') || take_char(t, 'z');
        if (!utc_mark && !t.empty() && (t.front() == '+' || t.front() == '-')) {
            const bool minus = t.front() == '-';
            t.remove_prefix(1);
            unsigned oh, om;
            if (!take_uint(t, 2, oh) || !take_char(t, ':') || !take_uint(t, 2, om) || oh > 23 || om > 59)
                return std::nullopt;
            offset = (minus ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
        }
        if (!t.empty() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    }
    const std::int64_t days = to_days(y, m, d);
    // Reject dates like 02-31 that normalise to another day.
    const civil_date back = from_days(days);
    if (back.month != m || back.day != d) return std::nullopt;
    return days * 86400 + hh * 3600 + mm * 60 + ss + (round_up ? 1 : 0) - offset;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace dmarcsight::utc
