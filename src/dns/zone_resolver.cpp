#include "dns/zone_resolver.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "core/limits.hpp"
#include "core/text.hpp"
#include "dns/names.hpp"

namespace dmarcsight::dns {

namespace {

// ---- lexer (RFC 1035 §5.1) ---------------------------------------------------------------------

struct token {
    std::string raw;  // as written, escapes not yet decoded; quotes removed
    bool quoted = false;
    std::size_t line = 0;
    std::size_t offset = 0;
};

struct entry {
    std::vector<token> tokens;
    bool blank_owner = false;  // the physical line began with a blank: owner is the previous one
    std::size_t line = 0;
};

class lexer {
public:
    lexer(std::string_view text, std::string_view source) : text_(text), source_(source) {}

    // Reads the next logical entry (one line, or several joined by parentheses). Returns false at
    // the end of the input. An entry with no tokens is a blank or comment-only line.
    result<bool> next(entry& out) {
        out = entry{};
        if (pos_ >= text_.size()) return false;
        out.line = line_;
        out.blank_owner = text_[pos_] == ' ' || text_[pos_] == '\t';
        bool in_parens = false;
        std::size_t paren_line = 0;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '\n') {
                ++pos_;
                ++line_;
                if (!in_parens) return true;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                ++pos_;
                continue;
            }
            if (c == ';') {  // comment to end of line; the newline itself is handled above
                while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
                continue;
            }
            if (c == '(') {
                // RFC 1035 §5.1: parentheses group lines; they do not nest.
                if (in_parens) return error_at("nested '('", pos_);
                in_parens = true;
                paren_line = line_;
                ++pos_;
                continue;
            }
            if (c == ')') {
                if (!in_parens) return error_at("')' without '('", pos_);
                in_parens = false;
                ++pos_;
                continue;
            }
            auto tok = c == '"' ? quoted() : unquoted();
            if (!tok) return unexpected{tok.err()};
            out.tokens.push_back(std::move(*tok));
        }
        if (in_parens) {
            return unexpected{error{location(paren_line) + "'(' is never closed", static_cast<std::int64_t>(pos_)}};
        }
        return true;
    }

    std::string location(std::size_t line) const { return std::string(source_) + ":" + std::to_string(line) + ": "; }

private:
    unexpected error_at(std::string what, std::size_t offset) const {
        return unexpected{error{location(line_) + what, static_cast<std::int64_t>(offset)}};
    }

    result<token> quoted() {
        token t;
        t.quoted = true;
        t.line = line_;
        t.offset = pos_;
        ++pos_;  // opening quote
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return t;
            }
            if (c == '\n') return error_at("newline inside a quoted string", pos_);
            if (c == '\\') {
                if (pos_ + 1 >= text_.size()) return error_at("'\\' at end of input", pos_);
                if (text_[pos_ + 1] == '\n') return error_at("newline inside a quoted string", pos_);
                t.raw += c;
                t.raw += text_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            t.raw += c;
            ++pos_;
        }
        return error_at("quoted string is never closed", t.offset);
    }

    result<token> unquoted() {
        token t;
        t.line = line_;
        t.offset = pos_;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"') break;
            if (c == '\\') {
                // \X and \DDD keep the next character(s) inside the token whatever they are.
                if (pos_ + 1 >= text_.size() || text_[pos_ + 1] == '\n') return error_at("'\\' at end of line", pos_);
                t.raw += c;
                t.raw += text_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            t.raw += c;
            ++pos_;
        }
        return t;
    }

    std::string_view text_;
    std::string_view source_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

// ---- field decoders ----------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decode \X and \DDD (RFC 1035 §5.1) into bytes.
result<std::string> decode_escapes(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            out += raw[i];
            continue;
        }
        if (i + 1 >= raw.size()) return fail("'\\' at end of a field");
        if (is_digit(raw[i + 1])) {
            if (i + 3 >= raw.size() || !is_digit(raw[i + 2]) || !is_digit(raw[i + 3])) {
                return fail("'\\DDD' needs exactly three decimal digits");
            }
            const int v = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
            if (v > 255) return fail("'\\DDD' value above 255");
            out += static_cast<char>(v);
            i += 3;
            continue;
        }
        out += raw[i + 1];
        ++i;
    }
    return out;
}

result<std::uint32_t> parse_u32(std::string_view s) {
    std::uint32_t v = 0;
    if (s.empty()) return fail("empty number");
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return fail("bad number '" + text::for_terminal(s, limits::max_logged_text) + "'");
    return v;
}

// A TTL: decimal seconds, or BIND/NSD units ("1h30m", "2d", "1w").
result<std::uint32_t> parse_ttl(std::string_view s) {
    if (s.empty() || !is_digit(s.front())) return fail("bad TTL '" + text::for_terminal(s, limits::max_logged_text) + "'");
    std::uint64_t total = 0;
    std::size_t i = 0;
    bool any_unit = false;
    while (i < s.size()) {
        std::uint64_t n = 0;
        std::size_t digits = 0;
        while (i < s.size() && is_digit(s[i])) {
            n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
            if (n > std::numeric_limits<std::uint32_t>::max()) return fail("TTL out of range");
            ++i;
            ++digits;
        }
        if (digits == 0) return fail("bad TTL '" + text::for_terminal(s, limits::max_logged_text) + "'");
        std::uint64_t mult = 1;
        if (i < s.size()) {
            switch (s[i] | 0x20) {
                case 's': mult = 1; break;
                case 'm': mult = 60; break;
                case 'h': mult = 3600; break;
                case 'd': mult = 86400; break;
                case 'w': mult = 604800; break;
                default: return fail("bad TTL '" + text::for_terminal(s, limits::max_logged_text) + "'");
            }
            ++i;
            any_unit = true;
        } else if (any_unit) {
            return fail("bad TTL '" + text::for_terminal(s, limits::max_logged_text) + "' (number without unit)");
        }
        total += n * mult;
        if (total > std::numeric_limits<std::uint32_t>::max()) return fail("TTL out of range");
    }
    return static_cast<std::uint32_t>(total);
}

// A domain name in presentation form → canonical form (see names.hpp). "@" is the origin; a name
// not ending in an unescaped dot is relative to the origin.
result<std::string> parse_name(std::string_view raw, const std::string& origin) {
    if (raw == "@") return origin;
    if (raw.empty()) return fail("empty domain name");
    if (raw == ".") return std::string{};
    std::vector<std::string> labels;
    std::string label;
    bool absolute = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '.') {
            if (label.empty()) return fail("empty label in '" + text::for_terminal(raw, limits::max_logged_text) + "'");
            labels.push_back(std::move(label));
            label.clear();
            if (i + 1 == raw.size()) absolute = true;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= raw.size()) return fail("'\\' at end of a name");
            if (is_digit(raw[i + 1])) {
                if (i + 3 >= raw.size() || !is_digit(raw[i + 2]) || !is_digit(raw[i + 3])) {
                    return fail("'\\DDD' needs exactly three decimal digits");
                }
                const int v = (raw[i + 1] - '0') * 100 + (raw[i + 2] - '0') * 10 + (raw[i + 3] - '0');
                if (v > 255) return fail("'\\DDD' value above 255");
                label += static_cast<char>(v);
                i += 3;
            } else {
                label += raw[i + 1];
                ++i;
            }
            continue;
        }
        label += c;
    }
    if (!absolute) labels.push_back(std::move(label));
    std::string out;
    std::size_t wire = 1;  // the root label
    for (const auto& l : labels) {
        if (l.size() > limits::max_dns_label) return fail("label longer than 63 octets (RFC 1035 §2.3.4)");
        wire += l.size() + 1;
        if (!out.empty()) out += '.';
        out += escape_label(l);
    }
    if (!absolute && !origin.empty()) {
        wire += wire_length(origin) - 1;
        out += '.';
        out += origin;
    }
    if (wire > limits::max_dns_name_wire) return fail("name longer than 255 octets (RFC 1035 §2.3.4)");
    return out;
}

result<ip_address> parse_address(const token& t, rr_type type) {
    if (t.quoted) return fail("address must not be quoted");
    const bool has_colon = t.raw.find(':') != std::string::npos;
    auto a = ip_address::parse(t.raw);
    if (!a || has_colon != (type == rr_type::aaaa)) {
        return fail(std::string("bad ") + (type == rr_type::a ? "IPv4" : "IPv6") + " address '" +
                    text::for_terminal(t.raw, limits::max_logged_text) + "'");
    }
    return *a;
}

std::optional<rr_type> type_from_mnemonic(std::string_view s) {
    static constexpr std::pair<std::string_view, rr_type> table[] = {
        {"a", rr_type::a},     {"aaaa", rr_type::aaaa}, {"mx", rr_type::mx},   {"txt", rr_type::txt},
        {"spf", rr_type::spf}, {"ptr", rr_type::ptr},   {"cname", rr_type::cname}, {"ns", rr_type::ns},
        {"soa", rr_type::soa},
    };
    for (const auto& [name, type] : table) {
        if (text::iequals(s, name)) return type;
    }
    return std::nullopt;
}

bool looks_like_type(std::string_view s) {
    // Mnemonics we do not support still must not be mistaken for something else in messages.
    return !s.empty() && !is_digit(s.front());
}

struct owner_state {
    std::size_t cname = 0, other = 0;
};

}  // namespace

// ---- parse_zone ----------------------------------------------------------------------------------

result<std::vector<resource_record>> parse_zone(std::string_view text, const zone_parse_options& options) {
    const std::string source = options.source_name.empty() ? std::string("<zone>") : options.source_name;
    lexer lex(text, source);
    std::vector<resource_record> out;
    std::string origin;
    {
        auto o = parse_name(options.origin.empty() ? std::string_view(".") : std::string_view(options.origin), std::string{});
        if (!o) return fail(source + ": bad origin: " + o.err().message);
        origin = *o;
    }
    std::optional<std::uint32_t> dollar_ttl;
    std::optional<std::uint32_t> last_ttl;
    std::optional<std::string> last_owner;
    std::map<std::string, owner_state> owners;

    entry e;
    while (true) {
        auto more = lex.next(e);
        if (!more) return unexpected{more.err()};
        if (!*more) break;
        if (e.tokens.empty()) continue;
        auto err = [&](const std::string& what, const token& at) {
            return unexpected{error{lex.location(at.line) + what, static_cast<std::int64_t>(at.offset)}};
        };
        std::size_t i = 0;
        const token& first = e.tokens[0];
        if (!e.blank_owner && !first.quoted && !first.raw.empty() && first.raw[0] == '$') {
            if (text::iequals(first.raw, "$INCLUDE")) {
                return err("$INCLUDE is not allowed: zone data never opens files", first);
            }
            if (text::iequals(first.raw, "$ORIGIN")) {
                if (e.tokens.size() != 2 || e.tokens[1].quoted) return err("$ORIGIN takes one domain name", first);
                auto o = parse_name(e.tokens[1].raw, origin);
                if (!o) return err(o.err().message, e.tokens[1]);
                origin = *o;
                continue;
            }
            if (text::iequals(first.raw, "$TTL")) {
                // RFC 2308 §4.
                if (e.tokens.size() != 2 || e.tokens[1].quoted) return err("$TTL takes one TTL", first);
                auto t = parse_ttl(e.tokens[1].raw);
                if (!t) return err(t.err().message, e.tokens[1]);
                dollar_ttl = *t;
                continue;
            }
            return err("unknown directive '" + text::for_terminal(first.raw, limits::max_logged_text) + "'", first);
        }

        resource_record rr;
        if (e.blank_owner) {
            if (!last_owner) return err("record without an owner name and no previous owner", first);
            rr.owner = *last_owner;
        } else {
            if (first.quoted) return err("owner name must not be quoted", first);
            auto o = parse_name(first.raw, origin);
            if (!o) return err(o.err().message, first);
            rr.owner = *o;
            i = 1;
        }
        // [<TTL>] [<class>] or [<class>] [<TTL>] (RFC 1035 §5.1).
        std::optional<std::uint32_t> ttl;
        bool have_class = false;
        for (int field = 0; field < 2 && i < e.tokens.size(); ++field) {
            const token& t = e.tokens[i];
            if (t.quoted) break;
            if (!ttl && !t.raw.empty() && is_digit(t.raw[0])) {
                auto v = parse_ttl(t.raw);
                if (!v) return err(v.err().message, t);
                ttl = *v;
                ++i;
                continue;
            }
            if (!have_class && text::iequals(t.raw, "IN")) {
                have_class = true;
                ++i;
                continue;
            }
            if (!have_class && (text::iequals(t.raw, "CH") || text::iequals(t.raw, "HS") ||
                                text::iequals(t.raw, "CS") || text::iequals(t.raw, "ANY"))) {
                return err("only class IN is supported", t);
            }
            break;
        }
        if (i >= e.tokens.size()) return err("record without a type", e.tokens.back());
        const token& type_tok = e.tokens[i++];
        auto type = type_tok.quoted ? std::nullopt : type_from_mnemonic(type_tok.raw);
        if (!type) {
            return err(std::string(looks_like_type(type_tok.raw) ? "unsupported record type '" : "expected a type, got '") +
                           text::for_terminal(type_tok.raw, limits::max_logged_text) + "'",
                       type_tok);
        }
        rr.type = *type;
        if (ttl) {
            last_ttl = ttl;
        }
        // RFC 2308 §4: $TTL is the default; before it, the last explicit TTL (RFC 1035 §5.1).
        rr.ttl = ttl ? *ttl : dollar_ttl ? *dollar_ttl : last_ttl ? *last_ttl : options.default_ttl;

        const std::size_t nfields = e.tokens.size() - i;
        auto expect_fields = [&](std::size_t n) -> result<void> {
            if (nfields < n) return err("too few fields for " + text::for_terminal(type_tok.raw, limits::max_logged_text), type_tok);
            if (nfields > n) return err("unexpected data after the record: '" + text::for_terminal(e.tokens[i + n].raw, limits::max_logged_text) + "'", e.tokens[i + n]);
            return {};
        };
        auto name_field = [&](const token& t) -> result<std::string> {
            if (t.quoted) return err("domain name must not be quoted", t);
            auto n = parse_name(t.raw, origin);
            if (!n) return err(n.err().message, t);
            return *n;
        };
        switch (rr.type) {
            case rr_type::a:
            case rr_type::aaaa: {
                if (auto r = expect_fields(1); !r) return unexpected{r.err()};
                auto a = parse_address(e.tokens[i], rr.type);
                if (!a) return err(a.err().message, e.tokens[i]);
                rr.data = *a;
                break;
            }
            case rr_type::mx: {
                if (auto r = expect_fields(2); !r) return unexpected{r.err()};
                auto pref = parse_u32(e.tokens[i].raw);
                if (!pref || e.tokens[i].quoted || *pref > std::numeric_limits<std::uint16_t>::max()) {
                    return err("bad MX preference '" + text::for_terminal(e.tokens[i].raw, limits::max_logged_text) + "'", e.tokens[i]);
                }
                auto n = name_field(e.tokens[i + 1]);
                if (!n) return unexpected{n.err()};
                rr.data = mx_rdata{static_cast<std::uint16_t>(*pref), *n};
                break;
            }
            case rr_type::txt:
            case rr_type::spf: {
                if (nfields == 0) return err("TXT record without a character-string", type_tok);
                txt_rdata txt;
                std::size_t rdlength = 0;
                for (std::size_t k = i; k < e.tokens.size(); ++k) {
                    auto s = decode_escapes(e.tokens[k].raw);
                    if (!s) return err(s.err().message, e.tokens[k]);
                    if (s->size() > limits::max_character_string) {
                        return err("character-string longer than 255 octets (RFC 1035 §3.3)", e.tokens[k]);
                    }
                    rdlength += s->size() + 1;
                    if (rdlength > limits::max_rdata) return err("TXT RDATA longer than 65535 octets", e.tokens[k]);
                    txt.strings.push_back(std::move(*s));
                }
                rr.data = std::move(txt);
                break;
            }
            case rr_type::cname:
            case rr_type::ptr:
            case rr_type::ns: {
                if (auto r = expect_fields(1); !r) return unexpected{r.err()};
                auto n = name_field(e.tokens[i]);
                if (!n) return unexpected{n.err()};
                rr.data = *n;
                break;
            }
            case rr_type::soa: {
                if (auto r = expect_fields(7); !r) return unexpected{r.err()};
                soa_rdata soa;
                auto m = name_field(e.tokens[i]);
                if (!m) return unexpected{m.err()};
                auto r = name_field(e.tokens[i + 1]);
                if (!r) return unexpected{r.err()};
                soa.mname = *m;
                soa.rname = *r;
                std::uint32_t* nums[] = {&soa.serial, &soa.refresh, &soa.retry, &soa.expire, &soa.minimum};
                for (std::size_t k = 0; k < 5; ++k) {
                    const token& t = e.tokens[i + 2 + k];
                    auto v = k == 0 ? parse_u32(t.raw) : parse_ttl(t.raw);
                    if (!v || t.quoted) return err("bad SOA number '" + text::for_terminal(t.raw, limits::max_logged_text) + "'", t);
                    *nums[k] = *v;
                }
                rr.data = std::move(soa);
                break;
            }
        }
        // RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME is the only data at its name.
        auto& st = owners[rr.owner];
        (rr.type == rr_type::cname ? st.cname : st.other) += 1;
        if (st.cname > 1) return err("more than one CNAME at '" + text::for_terminal(rr.owner, limits::max_logged_text) + "'", first);
        if (st.cname > 0 && st.other > 0) {
            return err("CNAME and other data at '" + text::for_terminal(rr.owner, limits::max_logged_text) + "' (RFC 2181 §10.1)", first);
        }
        last_owner = rr.owner;
        out.push_back(std::move(rr));
    }
    return out;
}

// ---- zone_resolver -----------------------------------------------------------------------------------

namespace {

bool same_rdata(const rdata& a, const rdata& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) -> bool {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b);
            if constexpr (std::is_same_v<T, txt_rdata>) {
                return x.strings == y.strings;
            } else if constexpr (std::is_same_v<T, mx_rdata>) {
                return x.preference == y.preference && x.exchange == y.exchange;
            } else if constexpr (std::is_same_v<T, soa_rdata>) {
                return x.mname == y.mname && x.rname == y.rname && x.serial == y.serial && x.refresh == y.refresh &&
                       x.retry == y.retry && x.expire == y.expire && x.minimum == y.minimum;
            } else {
                return x == y;
            }
        },
        a);
}

void canonicalise_rdata(rdata& d) {
    if (auto* s = std::get_if<std::string>(&d)) {
        *s = canonical_name(*s);
    } else if (auto* mx = std::get_if<mx_rdata>(&d)) {
        mx->exchange = canonical_name(mx->exchange);
    } else if (auto* soa = std::get_if<soa_rdata>(&d)) {
        soa->mname = canonical_name(soa->mname);
        soa->rname = canonical_name(soa->rname);
    }
}

}  // namespace

void zone_resolver::add(resource_record rr) {
    rr.owner = canonical_name(rr.owner);
    canonicalise_rdata(rr.data);
    auto& rrs = nodes_[rr.owner];
    for (const auto& have : rrs) {
        // RFC 2181 §5: an RRset holds no duplicate records.
        if (have.type == rr.type && same_rdata(have.data, rr.data)) return;
    }
    std::optional<std::string_view> p = parent_name(rr.owner);
    while (p) {
        ancestors_.insert(std::string(*p));
        p = parent_name(*p);
    }
    rrs.push_back(std::move(rr));
    ++record_count_;
}

void zone_resolver::add_timeout(std::string name) { add_failure(std::move(name), rcode::timeout); }

void zone_resolver::add_failure(std::string name, rcode status) { failures_[canonical_name(name)] = status; }

result<void> zone_resolver::load_text(std::string_view text, std::string_view origin) {
    zone_parse_options opt;
    opt.origin = std::string(origin);
    auto rrs = parse_zone(text, opt);
    if (!rrs) return unexpected{rrs.err()};
    for (auto& rr : *rrs) add(std::move(rr));
    return {};
}

result<void> zone_resolver::load_file(std::string_view path, std::string_view origin) {
    const std::string p(path);
    std::ifstream in(p, std::ios::binary);
    if (!in) return fail(p + ": cannot open zone file");
    std::string data;
    char buf[64 * 1024];
    while (in) {
        in.read(buf, sizeof buf);
        data.append(buf, static_cast<std::size_t>(in.gcount()));
        if (data.size() > limits::max_zone_file) return fail(p + ": zone file larger than the limit");
    }
    if (in.bad()) return fail(p + ": read error");
    zone_parse_options opt;
    opt.origin = std::string(origin);
    opt.source_name = p;
    auto rrs = parse_zone(data, opt);
    if (!rrs) return unexpected{rrs.err()};
    for (auto& rr : *rrs) add(std::move(rr));
    return {};
}

bool zone_resolver::exists(std::string_view name) const {
    const std::string n = canonical_name(name);
    return nodes_.count(n) != 0 || ancestors_.count(n) != 0;
}

bool zone_resolver::owns(std::string_view name, rr_type type) const {
    auto it = nodes_.find(canonical_name(name));
    if (it == nodes_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const resource_record& rr) {
        return rr.type == type || (rr.type == rr_type::cname && type != rr_type::cname);
    });
}

std::optional<rcode> zone_resolver::failure(std::string_view name) const {
    auto it = failures_.find(canonical_name(name));
    if (it == failures_.end()) return std::nullopt;
    return it->second;
}

std::vector<resource_record> zone_resolver::records() const {
    std::vector<resource_record> out;
    out.reserve(record_count_);
    for (const auto& [owner, rrs] : nodes_) out.insert(out.end(), rrs.begin(), rrs.end());
    return out;
}

answer zone_resolver::resolve(std::string_view name, rr_type type) const {
    answer ans;
    std::string cur = canonical_name(name);
    std::set<std::string> visited{cur};
    for (;;) {
        if (auto f = failures_.find(cur); f != failures_.end()) {
            ans.status = f->second;
            ans.detail = "zone data: " + text::for_terminal(cur, limits::max_logged_text) + " is configured to fail";
            return ans;
        }
        const std::vector<resource_record>* rrs = nullptr;
        if (auto it = nodes_.find(cur); it != nodes_.end()) {
            rrs = &it->second;
        } else if (ancestors_.count(cur) != 0) {
            return ans;  // empty non-terminal: the name exists, NODATA (RFC 8020 §2, RFC 4592 §2.2.2)
        } else {
            // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; only
            // "*.<closest encloser>" may synthesise an answer.
            std::optional<std::string_view> p = parent_name(cur);
            while (p && nodes_.count(std::string(*p)) == 0 && ancestors_.count(std::string(*p)) == 0) p = parent_name(*p);
            if (!p) {
                ans.status = rcode::nxdomain;  // empty data set: not even the root exists
                return ans;
            }
            const std::string source = p->empty() ? std::string("*") : "*." + std::string(*p);
            if (auto w = nodes_.find(source); w != nodes_.end()) {
                rrs = &w->second;
            } else if (ancestors_.count(source) != 0) {
                return ans;  // the source of synthesis is an empty non-terminal: NODATA
            } else {
                ans.status = rcode::nxdomain;
                return ans;
            }
        }
        const resource_record* alias = nullptr;
        for (const auto& rr : *rrs) {
            if (rr.type == type) {
                resource_record copy = rr;
                copy.owner = cur;  // a synthesised record is owned by the query name (RFC 4592 §3.3.1)
                ans.records.push_back(std::move(copy));
            } else if (rr.type == rr_type::cname) {
                alias = &rr;
            }
        }
        if (!ans.records.empty() || alias == nullptr || type == rr_type::cname) return ans;
        // RFC 1034 §4.3.2 step 3.a: restart at the canonical name.
        const std::string& target = std::get<std::string>(alias->data);
        if (ans.cnames.size() >= static_cast<std::size_t>(limits::max_cname_chain)) {
            ans.status = rcode::servfail;
            ans.detail = "CNAME chain longer than " + std::to_string(limits::max_cname_chain) + " at " +
                         text::for_terminal(cur, limits::max_logged_text);
            return ans;
        }
        ans.cnames.push_back(target);
        if (!visited.insert(target).second) {
            ans.status = rcode::servfail;
            ans.detail = "CNAME loop at " + text::for_terminal(target, limits::max_logged_text);
            return ans;
        }
        cur = target;
    }
}

}  // namespace dmarcsight::dns
