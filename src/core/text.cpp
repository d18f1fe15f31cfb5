#include "core/text.hpp"

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

std::string for_terminal(std::string_view s, std::size_t max_bytes) {
    std::string out;
    bool cut = false;
    if (s.size() > max_bytes) {
        s = s.substr(0, max_bytes);
        cut = true;
    }
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        bool escape = c < 0x20 || c == 0x7F;
        // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F; some terminals act on them.
        if (c == 0xC2 && i + 1 < s.size()) {
            const auto n = static_cast<unsigned char>(s[i + 1]);
            if (n >= 0x80 && n <= 0x9F) {
                out += "\\u00";
                out += hex[n >> 4];
                out += hex[n & 15];
                ++i;
                continue;
            }
        }
        if (escape) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (cut) out += "...";
    return out;
}

std::string csv_cell(std::string_view s) {
    std::string v;
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
        v = "'";
    v.append(s);
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (const char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
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
