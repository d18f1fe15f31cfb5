#include "auth/spf_record.hpp"

#include <array>

#include "core/limits.hpp"

namespace dmarcsight::auth {

namespace {

constexpr std::string_view version_tag = "v=spf1";
constexpr unsigned ip4_bits = 32;
constexpr unsigned ip6_bits = 128;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// RFC 7208 §7.1 macro-literal = %x21-24 / %x26-7E (every visible ASCII character except '%').
bool is_macro_literal(char c) { return c >= '\x21' && c <= '\x7e' && c != '%'; }
// RFC 7208 §7.1 delimiter.
bool is_delimiter(char c) {
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

bool is_macro_letter(char c, spf_macro_scope scope) {
    switch (lower(c)) {
        case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v':
            return true;
        case 'c': case 'r': case 't':  // RFC 7208 §7.2: only in "exp" text
            return scope == spf_macro_scope::explanation;
        default:
            return false;
    }
}

// Scan a macro-string. `last_literal_start` receives the offset where the final run of literal
// characters begins (s.size() when the string ends with a macro-expand).
result<void> scan_macro_string(std::string_view s, spf_macro_scope scope, std::size_t* last_literal_start) {
    std::size_t literal_start = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '%') {
            if (i + 1 >= s.size()) return fail("'%' at the end of a macro-string", static_cast<std::int64_t>(i));
            const char n = s[i + 1];
            if (n == '%' || n == '_' || n == '-') {
                i += 2;
                literal_start = i;
                continue;
            }
            if (n != '{') return fail(std::string("invalid macro '%") + n + "'", static_cast<std::int64_t>(i));
            std::size_t j = i + 2;
            if (j >= s.size() || !is_macro_letter(s[j], scope)) {
                return fail("invalid macro letter", static_cast<std::int64_t>(j));
            }
            ++j;
            while (j < s.size() && is_digit(s[j])) ++j;
            if (j < s.size() && lower(s[j]) == 'r') ++j;
            while (j < s.size() && is_delimiter(s[j])) ++j;
            if (j >= s.size() || s[j] != '}') return fail("unterminated or malformed macro", static_cast<std::int64_t>(i));
            // RFC 7208 §7.3: "If a DIGIT is specified, the value MUST be nonzero."
            std::size_t d = i + 3;
            if (d < j && is_digit(s[d])) {
                bool nonzero = false;
                while (d < j && is_digit(s[d])) nonzero |= s[d++] != '0';
                if (!nonzero) return fail("macro transformer 0", static_cast<std::int64_t>(i));
            }
            i = j + 1;
            literal_start = i;
            continue;
        }
        const bool allowed = is_macro_literal(c) || (c == ' ' && scope == spf_macro_scope::explanation);
        if (!allowed) return fail("invalid character in macro-string", static_cast<std::int64_t>(i));
        ++i;
    }
    if (last_literal_start) *last_literal_start = literal_start;
    return {};
}

// RFC 7208 §7.1 toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view t) {
    if (t.empty() || !is_alnum(t.front()) || !is_alnum(t.back())) return false;
    bool alpha = false, dash = false;
    for (char c : t) {
        if (c == '-') {
            dash = true;
        } else if (is_alpha(c)) {
            alpha = true;
        } else if (!is_digit(c)) {
            return false;
        }
    }
    return alpha || dash;
}

// Parse a cidr-length ("0" / %x31-39 0*1DIGIT for IPv4, up to 3 digits for IPv6), no leading zeros.
std::optional<std::uint8_t> parse_cidr(std::string_view digits, unsigned max_bits) {
    constexpr std::size_t max_digits = 3;
    if (digits.empty() || digits.size() > max_digits) return std::nullopt;
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
    unsigned v = 0;
    for (char c : digits) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max_bits) return std::nullopt;
    return static_cast<std::uint8_t>(v);
}

// Split a trailing "/digits" off `s` (digits only, at least one). Returns the digits or nullopt.
std::optional<std::string_view> take_slash_digits(std::string_view& s) {
    const auto slash = s.rfind('/');
    if (slash == std::string_view::npos || slash + 1 >= s.size()) return std::nullopt;
    const auto digits = s.substr(slash + 1);
    for (char c : digits) {
        if (!is_digit(c)) return std::nullopt;
    }
    s = s.substr(0, slash);
    return digits;
}

struct dual_cidr {
    std::optional<std::string_view> v4, v6;
};

// RFC 7208 §5.6 dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken from the end
// of `s`: the domain-spec itself may contain '/' ("a:foo:bar/baz.example.com").
dual_cidr take_dual_cidr(std::string_view& s) {
    dual_cidr out;
    std::string_view rest = s;
    if (auto d = take_slash_digits(rest)) {
        if (!rest.empty() && rest.back() == '/') {
            out.v6 = d;
            rest.remove_suffix(1);
            s = rest;
            std::string_view again = rest;
            if (auto d4 = take_slash_digits(again)) {
                out.v4 = d4;
                s = again;
            }
        } else {
            out.v4 = d;
            s = rest;
        }
    }
    return out;
}

unexpected term_error(std::string_view what, std::string_view term, std::size_t offset) {
    return fail(std::string(what) + ": \"" + std::string(term) + "\"", static_cast<std::int64_t>(offset));
}

// An IPv6 network for ip6: ip_address::parse folds ::ffff:a.b.c.d to IPv4; an ip6 mechanism stays
// IPv6 (RFC 7208 §5.6: an IPv4 <ip> never matches ip6).
std::optional<ip_address> parse_ip6_network(std::string_view text) {
    if (text.find(':') == std::string_view::npos) return std::nullopt;
    auto ip = ip_address::parse(text);
    if (!ip) return std::nullopt;
    if (ip->is_v4()) {
        ip_address v6;
        v6.fam = ip_address::family::v6;
        constexpr std::size_t mapped_ff = 10;
        v6.bytes[mapped_ff] = 0xff;
        v6.bytes[mapped_ff + 1] = 0xff;
        for (std::size_t k = 0; k < 4; ++k) v6.bytes[12 + k] = ip->bytes[k];
        return v6;
    }
    return ip;
}

result<void> parse_mechanism(std::string_view term, std::size_t offset, spf_record& rec) {
    spf_mechanism m;
    m.text = std::string(term);
    std::string_view body = term;
    switch (body.front()) {
        case '+': m.qualifier = spf_qualifier::pass; body.remove_prefix(1); break;
        case '-': m.qualifier = spf_qualifier::fail; body.remove_prefix(1); break;
        case '~': m.qualifier = spf_qualifier::softfail; body.remove_prefix(1); break;
        case '?': m.qualifier = spf_qualifier::neutral; body.remove_prefix(1); break;
        default: break;
    }
    const auto name_end = body.find_first_of(":/");
    const std::string_view name = body.substr(0, name_end);
    std::string_view rest = name_end == std::string_view::npos ? std::string_view{} : body.substr(name_end);

    static constexpr std::array<std::pair<std::string_view, spf_mechanism_kind>, 8> kinds{{
        {"all", spf_mechanism_kind::all},   {"include", spf_mechanism_kind::include},
        {"a", spf_mechanism_kind::a},       {"mx", spf_mechanism_kind::mx},
        {"ptr", spf_mechanism_kind::ptr},   {"ip4", spf_mechanism_kind::ip4},
        {"ip6", spf_mechanism_kind::ip6},   {"exists", spf_mechanism_kind::exists},
    }};
    bool known = false;
    for (const auto& [n, k] : kinds) {
        if (iequal(name, n)) {
            m.kind = k;
            known = true;
            break;
        }
    }
    if (!known) return term_error("unknown mechanism", term, offset);

    auto set_domain = [&](std::string_view spec) -> result<void> {
        if (auto ok = validate_domain_spec(spec); !ok) {
            return term_error("invalid domain-spec (" + ok.err().message + ")", term, offset);
        }
        m.domain_spec = std::string(spec);
        m.has_macros = contains_macro(spec);
        return {};
    };

    switch (m.kind) {
        case spf_mechanism_kind::all:
            if (!rest.empty()) return term_error("\"all\" takes no argument", term, offset);
            break;
        case spf_mechanism_kind::include:
        case spf_mechanism_kind::exists:
            // RFC 7208 §5.2, §5.7: ":" domain-spec is required; no CIDR.
            if (rest.empty() || rest.front() != ':') return term_error("domain-spec required", term, offset);
            if (auto ok = set_domain(rest.substr(1)); !ok) return ok;
            break;
        case spf_mechanism_kind::ptr:
            if (!rest.empty()) {
                if (rest.front() != ':') return term_error("\"ptr\" takes no CIDR length", term, offset);
                if (auto ok = set_domain(rest.substr(1)); !ok) return ok;
            }
            break;
        case spf_mechanism_kind::a:
        case spf_mechanism_kind::mx: {
            const dual_cidr c = take_dual_cidr(rest);
            if (c.v4) {
                auto v = parse_cidr(*c.v4, ip4_bits);
                if (!v) return term_error("invalid IPv4 CIDR length", term, offset);
                m.cidr4 = *v;
            }
            if (c.v6) {
                auto v = parse_cidr(*c.v6, ip6_bits);
                if (!v) return term_error("invalid IPv6 CIDR length", term, offset);
                m.cidr6 = *v;
            }
            if (!rest.empty()) {
                if (rest.front() != ':') return term_error("malformed mechanism", term, offset);
                if (auto ok = set_domain(rest.substr(1)); !ok) return ok;
            }
            break;
        }
        case spf_mechanism_kind::ip4:
        case spf_mechanism_kind::ip6: {
            const bool v4 = m.kind == spf_mechanism_kind::ip4;
            if (rest.empty() || rest.front() != ':') return term_error("network required", term, offset);
            rest.remove_prefix(1);
            if (auto d = take_slash_digits(rest)) {
                auto v = parse_cidr(*d, v4 ? ip4_bits : ip6_bits);
                if (!v) return term_error("invalid CIDR length", term, offset);
                if (v4) {
                    m.cidr4 = *v;
                } else {
                    m.cidr6 = *v;
                }
            }
            std::optional<ip_address> ip;
            if (v4) {
                // RFC 7208 §5.6 ip4-network = qnum "." qnum "." qnum "." qnum
                if (rest.find(':') == std::string_view::npos) ip = ip_address::parse(rest);
            } else {
                ip = parse_ip6_network(rest);
            }
            if (!ip) return term_error(v4 ? "invalid IPv4 network" : "invalid IPv6 network", term, offset);
            m.network = *ip;
            break;
        }
    }
    rec.has_macros |= m.has_macros;
    rec.mechanisms.push_back(std::move(m));
    return {};
}

}  // namespace

bool spf_mechanism::queries_dns() const {
    switch (kind) {
        case spf_mechanism_kind::include:
        case spf_mechanism_kind::a:
        case spf_mechanism_kind::mx:
        case spf_mechanism_kind::ptr:
        case spf_mechanism_kind::exists:
            return true;
        default:
            return false;
    }
}

bool is_spf_record(std::string_view txt) {
    if (txt.size() < version_tag.size()) return false;
    if (!iequal(txt.substr(0, version_tag.size()), version_tag)) return false;
    return txt.size() == version_tag.size() || txt[version_tag.size()] == ' ';
}

result<void> validate_macro_string(std::string_view s, spf_macro_scope scope) {
    return scan_macro_string(s, scope, nullptr);
}

result<void> validate_domain_spec(std::string_view s) {
    if (s.empty()) return fail("empty domain-spec");
    std::size_t last_literal = 0;
    if (auto ok = scan_macro_string(s, spf_macro_scope::domain, &last_literal); !ok) return ok;
    if (last_literal >= s.size()) return {};  // domain-end = macro-expand
    // domain-end = "." toplabel [ "." ], all literal characters.
    std::string_view tail = s.substr(last_literal);
    if (!tail.empty() && tail.back() == '.') tail.remove_suffix(1);
    const auto dot = tail.rfind('.');
    if (dot == std::string_view::npos) return fail("domain-spec does not end in \".\" toplabel");
    if (!is_toplabel(tail.substr(dot + 1))) return fail("invalid top-level label");
    return {};
}

bool contains_macro(std::string_view s) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] == '%') return true;
    }
    return false;
}

result<spf_record> parse_spf_record(std::string_view text) {
    if (text.size() > limits::spf_max_record_length) return fail("SPF record too long");
    if (!is_spf_record(text)) return fail("not an SPF record (no \"v=spf1\")");
    spf_record rec;
    std::size_t i = version_tag.size();
    // RFC 7208 §4.6.1 / §12: terms are separated by 1*SP (only SP: a TAB or CR is part of a term
    // and makes it invalid).
    while (i < text.size()) {
        if (text[i] == ' ') {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ') ++i;
        const std::string_view term = text.substr(start, i - start);

        // modifier = name "=" macro-string; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
        std::size_t n = 0;
        if (is_alpha(term[0])) {
            n = 1;
            while (n < term.size() && (is_alnum(term[n]) || term[n] == '-' || term[n] == '_' || term[n] == '.')) ++n;
        }
        if (n > 0 && n < term.size() && term[n] == '=') {
            const std::string_view name = term.substr(0, n);
            const std::string_view value = term.substr(n + 1);
            if (iequal(name, "redirect") || iequal(name, "exp")) {
                const bool is_redirect = iequal(name, "redirect");
                auto& slot = is_redirect ? rec.redirect : rec.exp;
                // RFC 7208 §6: redirect and exp MUST NOT appear more than once.
                if (slot) return term_error("duplicate modifier", term, start);
                if (auto ok = validate_domain_spec(value); !ok) {
                    return term_error("invalid domain-spec (" + ok.err().message + ")", term, start);
                }
                slot = std::string(value);
                rec.has_macros |= contains_macro(value);
            } else {
                // RFC 7208 §6: unknown modifiers are ignored, but must still be syntactically valid.
                if (auto ok = validate_macro_string(value, spf_macro_scope::domain); !ok) {
                    return term_error("invalid modifier value (" + ok.err().message + ")", term, start);
                }
                rec.unknown_modifiers.push_back({std::string(name), std::string(value)});
            }
            continue;
        }
        if (auto ok = parse_mechanism(term, start, rec); !ok) return unexpected{ok.err()};
    }
    return rec;
}

spf_record_cache::entry spf_record_cache::get(std::string_view text) {
    if (auto it = entries_.find(text); it != entries_.end()) return it->second;
    if (entries_.size() >= limits::spf_record_cache_entries || bytes_ + text.size() > limits::spf_record_cache_bytes) {
        entries_.clear();
        bytes_ = 0;
    }
    auto parsed = std::make_shared<const result<spf_record>>(parse_spf_record(text));
    entries_.emplace(std::string(text), parsed);
    bytes_ += text.size();
    return parsed;
}

std::string_view to_string(spf_qualifier q) {
    switch (q) {
        case spf_qualifier::pass: return "+";
        case spf_qualifier::fail: return "-";
        case spf_qualifier::softfail: return "~";
        case spf_qualifier::neutral: return "?";
    }
    return "?";
}

std::string_view to_string(spf_mechanism_kind k) {
    switch (k) {
        case spf_mechanism_kind::all: return "all";
        case spf_mechanism_kind::include: return "include";
        case spf_mechanism_kind::a: return "a";
        case spf_mechanism_kind::mx: return "mx";
        case spf_mechanism_kind::ptr: return "ptr";
        case spf_mechanism_kind::ip4: return "ip4";
        case spf_mechanism_kind::ip6: return "ip6";
        case spf_mechanism_kind::exists: return "exists";
    }
    return "all";
}

}  // namespace dmarcsight::auth
