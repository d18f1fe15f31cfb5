#include "core/text.hpp"

#include <algorithm>
#include <cstdint>

namespace dmarcsight::text {

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    const std::size_t left = s.size() - i;
    if (c >= 0xC2 && c <= 0xDF) return left >= 2 && (b(i + 1) & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char c1 = b(i + 1);
        if (c == 0xE0 && (c1 < 0xA0 || c1 > 0xBF)) return 0;
        if (c == 0xED && (c1 < 0x80 || c1 > 0x9F)) return 0;
        if ((c1 & 0xC0) != 0x80 || (b(i + 2) & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char c1 = b(i + 1);
        if (c == 0xF0 && (c1 < 0x90 || c1 > 0xBF)) return 0;
        if (c == 0xF4 && (c1 < 0x80 || c1 > 0x8F)) return 0;
        if ((c1 & 0xC0) != 0x80 || (b(i + 2) & 0xC0) != 0x80 || (b(i + 3) & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}
}  // namespace

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_seq_len(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool repair_utf8(std::string& s) {
    if (is_valid_utf8(s)) return false;
    std::string out;
    out.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_seq_len(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    s = std::move(out);
    return true;
}

std::string latin1_to_utf8(std::string_view s, bool windows1252) {
    // windows-1252 0x80..0x9F; 0 marks the five undefined positions (kept as U+FFFD).
    static constexpr std::uint16_t cp1252[32] = {
        0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        std::uint32_t cp = c;
        if (windows1252 && c >= 0x80 && c <= 0x9F) cp = cp1252[c - 0x80] ? cp1252[c - 0x80] : 0xFFFD;
        append_utf8(out, cp);
    }
    return out;
}

bool is_display_control(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029;
}

namespace {
constexpr char hex_digits[] = "0123456789abcdef";

std::uint32_t decode(std::string_view s, std::size_t i, std::size_t n) {
    const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k])); };
    switch (n) {
        case 1: return b(0);
        case 2: return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
        case 3: return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
        default: return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
    }
}

void append_byte_escape(std::string& out, unsigned char c) {
    out += "\\x";
    out += hex_digits[c >> 4];
    out += hex_digits[c & 15];
}

void append_u_escape(std::string& out, std::uint32_t cp) {  // cp <= U+FFFF
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(cp >> shift) & 15];
}

// Appends s with C0/DEL/invalid bytes as \xNN and display controls as \uXXXX; stops before the
// character that would take the input past max_bytes. Returns true if it stopped early.
bool append_escaped(std::string& out, std::string_view s, std::size_t max_bytes) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : utf8_seq_len(s, i);
        if (i + (n ? n : 1) > max_bytes) return true;
        if (n == 0) {
            append_byte_escape(out, c);
            ++i;
            continue;
        }
        const std::uint32_t cp = decode(s, i, n);
        if (cp < 0x20 || cp == 0x7F)
            append_byte_escape(out, c);
        else if (is_display_control(cp))
            append_u_escape(out, cp);
        else
            out.append(s, i, n);
        i += n;
    }
    return false;
}

bool is_wide(std::uint32_t cp) {
    // East Asian Width W/F blocks (UAX #11), coarsely.
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
           (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
           (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool is_combining(std::uint32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
           (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200B || cp == 0x200C ||
           cp == 0x200D || cp == 0xFEFF;
}

// Columns of the character at s[i] (length n; n == 0 is a stray byte, shown as one U+FFFD).
std::size_t char_width(std::string_view s, std::size_t i, std::size_t n) {
    if (n == 0) return 1;
    const std::uint32_t cp = decode(s, i, n);
    if (is_combining(cp)) return 0;
    return is_wide(cp) ? 2 : 1;
}

// part/whole in units of 1/units, rounded half up, kept off 0 and `units` unless exact.
std::int64_t scaled_share(std::int64_t part, std::int64_t whole, std::int64_t units) {
    if (whole <= 0 || part <= 0) return 0;
    if (part >= whole) return units;
    __extension__ using wide = __int128;  // part * units * 2 does not fit 64 bits for large counts
    const wide n = (static_cast<wide>(part) * units * 2 + whole) / (static_cast<wide>(whole) * 2);
    if (n < 1) return 1;
    if (n > units - 1) return units - 1;
    return static_cast<std::int64_t>(n);
}
}  // namespace

std::string for_terminal(std::string_view s, std::size_t max_bytes) {
    std::string out;
    out.reserve(s.size() < 256 ? s.size() + 8 : 256);
    if (append_escaped(out, s, max_bytes)) out += "...";
    return out;
}

std::string csv_cell(std::string_view s) {
    std::string v;
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
        v = "'";
    append_escaped(v, s, std::string_view::npos);
    if (v.find_first_of(",\"") == std::string::npos) return v;
    std::string out = "\"";
    for (const char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string csv_line(std::initializer_list<std::string_view> cells) {
    std::string line;
    bool first = true;
    for (const std::string_view c : cells) {
        if (!first) line += ',';
        first = false;
        line += csv_cell(c);
    }
    return line;
}

std::string escape_json_controls(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        // Runs of ASCII below DEL go over as one append: a policy or sources JSON of every source
        // is tens of megabytes, nearly all of it such runs.
        std::size_t run = i;
        while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x7F) ++run;
        if (run > i) {
            out.append(s, i, run - i);
            i = run;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c == 0x7F ? 1 : utf8_seq_len(s, i);
        if (n == 0) {  // not from a replace-mode dump; keep the text valid UTF-8 anyway
            out += "\\ufffd";
            ++i;
            continue;
        }
        const std::uint32_t cp = decode(s, i, n);
        if (cp == 0x7F || is_display_control(cp))
            append_u_escape(out, cp);
        else
            out.append(s, i, n);
        i += n;
    }
    return out;
}

std::size_t display_width(std::string_view s) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_seq_len(s, i);
        w += char_width(s, i, n);
        i += n ? n : 1;
    }
    return w;
}

std::string truncate_display(std::string_view s, std::size_t width) {
    if (display_width(s) <= width) return std::string(s);
    if (width == 0) return {};
    std::size_t w = 0, i = 0;
    while (i < s.size()) {
        const std::size_t n = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_seq_len(s, i);
        const std::size_t cw = char_width(s, i, n);
        if (w + cw > width - 1) break;  // one column left for the ellipsis
        w += cw;
        i += n ? n : 1;
    }
    // Combining marks that follow the last kept character belong to it.
    while (i < s.size()) {
        const std::size_t n = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_seq_len(s, i);
        if (n == 0 || char_width(s, i, n) != 0) break;
        i += n;
    }
    return std::string(s.substr(0, i)) + "\xE2\x80\xA6";
}

std::string format_percent(std::int64_t part, std::int64_t whole) {
    const std::int64_t tenths = scaled_share(part, whole, 1000);
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

std::string format_share(std::int64_t part, std::int64_t whole, int decimals) {
    if (decimals < 1) decimals = 1;
    if (decimals > 9) decimals = 9;
    std::int64_t units = 1;
    for (int i = 0; i < decimals; ++i) units *= 10;
    const std::int64_t n = scaled_share(part, whole, units);
    std::string frac = std::to_string(n % units);
    frac.insert(0, static_cast<std::size_t>(decimals) - frac.size(), '0');
    return std::to_string(n / units) + "." + frac;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Rolling three rows of the optimal string alignment table.
    std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string w = ascii_lower(word);
    const std::size_t limit = w.size() <= 4 ? 1 : 2;
    std::optional<std::string> best;
    std::size_t best_d = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(w, ascii_lower(c));
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

std::string_view trim(std::string_view s) {
    const auto ws = " \t\r\n\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string normalize_domain(std::string_view s) {
    std::string d = ascii_lower(trim(s));
    while (!d.empty() && d.back() == '.') d.pop_back();
    return d;
}

}  // namespace dmarcsight::text
