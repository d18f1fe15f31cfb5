#include "auth/spf_macro.hpp"

#include <vector>

#include "core/limits.hpp"

namespace dmarcsight::auth {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr std::size_t ip4_octets = 4;
constexpr std::size_t ip6_octets = 16;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool is_delimiter(char c) {
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

// RFC 3986 §2.3 unreserved characters are kept; everything else is %XX (RFC 7208 §7.3).
void append_url_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                                c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += hex_upper[u >> 4];
            out += hex_upper[u & 0x0f];
        }
    }
}

// RFC 7208 §7.3 transformers: split on the delimiters (default "."), optionally reverse, keep the
// rightmost `keep` parts (0 = all), join with ".".
std::string transform(std::string_view value, std::string_view delimiters, bool reverse, std::size_t keep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        const bool split = i == value.size() ||
                           (delimiters.empty() ? value[i] == '.' : delimiters.find(value[i]) != std::string_view::npos);
        if (split) {
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    if (reverse) {
        for (std::size_t a = 0, b = parts.size() - 1; a < b; ++a, --b) std::swap(parts[a], parts[b]);
    }
    std::size_t first = 0;
    if (keep > 0 && keep < parts.size()) first = parts.size() - keep;
    std::string out;
    for (std::size_t i = first; i < parts.size(); ++i) {
        if (i > first) out += '.';
        out += parts[i];
    }
    return out;
}

}  // namespace

std::string spf_ip_dotted(const ip_address& ip) {
    if (ip.is_v4()) return ip.to_string();
    std::string out;
    out.reserve(ip6_octets * 4);
    for (std::size_t i = 0; i < ip6_octets; ++i) {
        if (i > 0) out += '.';
        out += hex_digits[ip.bytes[i] >> 4];
        out += '.';
        out += hex_digits[ip.bytes[i] & 0x0f];
    }
    return out;
}

std::string reverse_lookup_name(const ip_address& ip) {
    std::string out;
    if (ip.is_v4()) {
        for (std::size_t i = ip4_octets; i-- > 0;) {
            out += std::to_string(ip.bytes[i]);
            out += '.';
        }
        out += "in-addr.arpa";
        return out;
    }
    for (std::size_t i = ip6_octets; i-- > 0;) {
        out += hex_digits[ip.bytes[i] & 0x0f];
        out += '.';
        out += hex_digits[ip.bytes[i] >> 4];
        out += '.';
    }
    out += "ip6.arpa";
    return out;
}

std::string truncate_domain(std::string name) {
    // RFC 7208 §7.3: "the left side is truncated to fit, by removing successive domain labels (and
    // their following dots) until the total length does not exceed 253 characters."
    std::size_t cut = 0;
    while (name.size() - cut > limits::spf_max_expanded_name) {
        const auto dot = name.find('.', cut);
        if (dot == std::string::npos) {
            cut = name.size() - limits::spf_max_expanded_name;  // one huge label: keep its tail
            break;
        }
        cut = dot + 1;
    }
    if (cut > 0) name.erase(0, cut);
    return name;
}

result<std::string> expand_macros(std::string_view text, spf_macro_scope scope, const spf_macro_values& v) {
    if (auto ok = validate_macro_string(text, scope); !ok) return unexpected{ok.err()};
    std::string out;
    std::string scratch;
    for (std::size_t i = 0; i < text.size();) {
        if (out.size() > limits::spf_max_macro_output) return fail("macro expansion too long");
        const char c = text[i];
        if (c != '%') {
            out += c;
            ++i;
            continue;
        }
        const char n = text[i + 1];  // validated: '%' is always followed by a character
        if (n == '%') {
            out += '%';
            i += 2;
            continue;
        }
        if (n == '_') {
            out += ' ';
            i += 2;
            continue;
        }
        if (n == '-') {
            out += "%20";
            i += 2;
            continue;
        }
        // "%{" letter DIGIT* "r"? delimiter* "}"
        std::size_t j = i + 2;
        const char letter = text[j++];
        std::size_t keep = 0;
        while (is_digit(text[j])) {
            // Saturate: any count beyond the number of parts means "all of them".
            if (keep < limits::spf_max_macro_parts) keep = keep * 10 + static_cast<std::size_t>(text[j] - '0');
            ++j;
        }
        bool reverse = false;
        if (lower(text[j]) == 'r') {
            reverse = true;
            ++j;
        }
        const std::size_t delim_start = j;
        while (is_delimiter(text[j])) ++j;
        const std::string_view delimiters = text.substr(delim_start, j - delim_start);
        i = j + 1;  // past '}'

        std::string_view value;
        switch (lower(letter)) {
            case 's': value = v.sender; break;
            case 'l': value = v.local_part; break;
            case 'o': value = v.sender_domain; break;
            case 'd': value = v.domain; break;
            case 'i': scratch = spf_ip_dotted(v.ip); value = scratch; break;
            case 'p':
                scratch = v.validated ? v.validated->validated_name(v.domain) : std::string("unknown");
                value = scratch;
                break;
            case 'v': value = v.ip.is_v4() ? "in-addr" : "ip6"; break;
            case 'h': value = v.helo; break;
            case 'c': scratch = v.ip.to_string(); value = scratch; break;
            case 'r': value = v.receiver; break;
            case 't': scratch = std::to_string(v.timestamp); value = scratch; break;
            default: return fail("invalid macro letter");
        }
        std::string expanded = transform(value, delimiters, reverse, keep);
        if (is_upper(letter)) {
            append_url_escaped(out, expanded);
        } else {
            out += expanded;
        }
    }
    if (out.size() > limits::spf_max_macro_output) return fail("macro expansion too long");
    return out;
}

}  // namespace dmarcsight::auth
