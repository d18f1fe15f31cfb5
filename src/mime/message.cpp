// The e-mail walk. See message.hpp for the contract.
#include "mime/message.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <array>
#include <cstring>

#include "core/limits.hpp"
#include "core/text.hpp"

namespace dmarcsight::mime {

namespace {

template <class T>
unexpected forward_error(const result<T>& r) {
    return unexpected{r.err()};
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 5322 §3.6.8 ftext: printable US-ASCII except ':'.
bool is_ftext(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126 && c != ':';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// One line of `s` starting at `pos`: [pos, content_end) is the text without CR LF / LF, `next` is
// the start of the following line (s.size() at the end).
struct line_span {
    std::size_t content_end;
    std::size_t next;
    bool has_newline;
};
line_span line_at(std::string_view s, std::size_t pos, std::size_t limit) {
    const void* nl = std::memchr(s.data() + pos, '\n', limit - pos);
    if (nl == nullptr) return {limit, limit, false};
    const std::size_t at = static_cast<const char*>(nl) - s.data();
    std::size_t end = at;
    if (end > pos && s[end - 1] == '\r') --end;
    return {end, at + 1, true};
}

// A header field line "name: value" (RFC 5322 §2.2; obsolete WSP before the colon allowed,
// RFC 5322 §4.5.2). Returns the length of the name, 0 if the line is not a field.
std::size_t field_name_length(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && is_ftext(line[i])) ++i;
    if (i == 0) return 0;
    std::size_t j = i;
    while (j < line.size() && is_wsp(line[j])) ++j;
    if (j >= line.size() || line[j] != ':') return 0;
    return i;
}

std::string trimmed(std::string_view s) { return std::string(text::trim(s)); }

// The header section of an entity starting at `start`: fields until the first empty line
// (RFC 5322 §2.1). Scans at most limits::max_header_section bytes, so a 50 MB line costs one
// bounded memchr, not a buffer of 50 MB.
struct header_section {
    std::vector<header_field> fields;
    std::size_t body_start = 0;
};
result<header_section> read_headers(std::string_view s, std::size_t start, std::vector<std::string>& warnings,
                                    std::string_view where) {
    header_section h;
    std::size_t pos = start;
    const std::size_t limit = s.size() - start > limits::max_header_section ? start + limits::max_header_section
                                                                            : s.size();
    for (;;) {
        if (pos >= s.size()) {
            h.body_start = s.size();
            break;
        }
        if (pos >= limit) {
            return fail("header section larger than " + std::to_string(limits::max_header_section) + " bytes",
                        static_cast<std::int64_t>(start));
        }
        const line_span ls = line_at(s, pos, limit);
        if (!ls.has_newline && limit < s.size()) {
            return fail("header section larger than " + std::to_string(limits::max_header_section) + " bytes",
                        static_cast<std::int64_t>(start));
        }
        const std::string_view line = s.substr(pos, ls.content_end - pos);
        if (line.empty()) {
            h.body_start = ls.next;
            break;
        }
        if (is_wsp(line[0]) && !h.fields.empty()) {
            // RFC 5322 §2.2.3: unfolding removes the CRLF before the WSP, keeps the WSP.
            h.fields.back().value.append(line);
        } else if (const std::size_t n = field_name_length(line); n > 0) {
            const std::size_t colon = line.find(':', n);
            h.fields.push_back({std::string(line.substr(0, n)), std::string(line.substr(colon + 1))});
        } else {
            // Not a field: the body starts here (what MUAs do with a missing blank line).
            if (!h.fields.empty()) {
                warnings.push_back(std::string(where) + ": header section ends without an empty line");
            }
            h.body_start = pos;
            break;
        }
        pos = ls.next;
    }
    for (auto& f : h.fields) f.value = trimmed(f.value);
    return h;
}

std::string first_header(const std::vector<header_field>& fields, std::string_view name) {
    for (const auto& f : fields) {
        if (text::iequals(f.name, name)) return f.value;
    }
    return {};
}

// ---- parameters (RFC 2045 §5.1, RFC 2231) ----

// Skips whitespace and RFC 5322 comments "( ... )" (nested, bounded by the input).
std::size_t skip_cfws(std::string_view s, std::size_t i) {
    while (i < s.size()) {
        if (is_space(s[i])) {
            ++i;
        } else if (s[i] == '(') {
            int level = 0;
            while (i < s.size()) {
                if (s[i] == '\\') {
                    i += 2;
                    continue;
                }
                if (s[i] == '(') ++level;
                if (s[i] == ')' && --level == 0) {
                    ++i;
                    break;
                }
                ++i;
            }
        } else {
            break;
        }
    }
    return std::min(i, s.size());
}

struct raw_param {
    std::string name;  // lower-cased, with any RFC 2231 "*N*" suffix
    std::string value;
};

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// "token; a=b; c=\"d\"" → first token (as written) and the raw parameters.
std::string split_params(std::string_view value, std::vector<raw_param>& params) {
    std::size_t i = value.find(';');
    std::string first(text::trim(value.substr(0, i)));
    // A comment after the type: "text/plain (plain text)".
    if (const std::size_t c = first.find_first_of(" \t("); c != std::string::npos) first.resize(c);
    while (i != std::string_view::npos && i < value.size()) {
        ++i;  // past ';'
        i = skip_cfws(value, i);
        if (i >= value.size()) break;
        const std::size_t name_start = i;
        while (i < value.size() && value[i] != '=' && value[i] != ';') ++i;
        std::string name = text::ascii_lower(text::trim(value.substr(name_start, i - name_start)));
        if (i >= value.size() || value[i] == ';') {
            if (i >= value.size()) break;
            continue;  // "; junk ;" without '=': skipped
        }
        ++i;  // past '='
        while (i < value.size() && is_space(value[i])) ++i;
        std::string v;
        if (i < value.size() && value[i] == '"') {
            // RFC 5322 §3.2.4 quoted-string with quoted-pairs; an unterminated one runs to the end.
            ++i;
            while (i < value.size() && value[i] != '"') {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                v += value[i];
                ++i;
            }
            if (i < value.size()) ++i;  // closing quote
            i = value.find(';', i);
        } else {
            const std::size_t end = value.find(';', i);
            std::string_view tok = text::trim(value.substr(i, end == std::string_view::npos ? end : end - i));
            // A trailing comment "us-ascii (Plain text)".
            if (!tok.empty() && tok.back() == ')') {
                if (const std::size_t c = tok.find(" ("); c != std::string_view::npos) tok = text::trim(tok.substr(0, c));
            }
            v = std::string(tok);
            i = end;
        }
        if (!name.empty()) params.push_back({std::move(name), std::move(v)});
    }
    return first;
}

// RFC 2231 §3-4: name*=charset'lang'%XX.., name*0=.., name*1*=.. → one UTF-8 value per name.
std::map<std::string, std::string> assemble_params(const std::vector<raw_param>& raw) {
    std::map<std::string, std::string> out;
    struct section {
        unsigned index;
        bool encoded;
        std::string_view value;
    };
    std::map<std::string, std::vector<section>> extended;
    for (const auto& p : raw) {
        const std::size_t star = p.name.find('*');
        if (star == std::string::npos) {
            out.emplace(p.name, p.value);  // first occurrence wins
            continue;
        }
        const std::string base = p.name.substr(0, star);
        std::string_view rest = std::string_view(p.name).substr(star + 1);
        section sec{0, false, p.value};
        if (rest.empty()) {
            sec.encoded = true;  // "name*"
        } else {
            bool encoded = false;
            if (rest.back() == '*') {
                encoded = true;
                rest.remove_suffix(1);
            }
            if (rest.empty() || rest.size() > 3 || !std::all_of(rest.begin(), rest.end(), [](char c) {
                    return c >= '0' && c <= '9';
                })) {
                continue;
            }
            sec.index = static_cast<unsigned>(std::stoul(std::string(rest)));
            sec.encoded = encoded;
        }
        auto& v = extended[base];
        if (v.size() < limits::max_param_sections) v.push_back(sec);
    }
    for (auto& [base, secs] : extended) {
        std::stable_sort(secs.begin(), secs.end(), [](const section& a, const section& b) { return a.index < b.index; });
        std::string charset;
        std::string bytes;
        unsigned expect = 0;
        for (const section& s : secs) {
            if (s.index != expect) break;  // a gap or duplicate ends the value
            ++expect;
            std::string_view v = s.value;
            if (s.index == 0 && s.encoded) {
                // charset'language'value
                const std::size_t q1 = v.find('\'');
                const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
                if (q2 != std::string_view::npos) {
                    charset = std::string(v.substr(0, q1));
                    v = v.substr(q2 + 1);
                }
            }
            bytes += s.encoded ? percent_decode(v) : std::string(v);
        }
        if (expect == 0) continue;
        out[base] = charset_to_utf8(bytes, charset);
    }
    return out;
}

// ---- decoders ----

constexpr std::array<signed char, 256> make_base64_table() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return t;
}
constexpr std::array<signed char, 256> base64_table = make_base64_table();

std::string decode_q_word(std::string_view s) {
    // RFC 2047 §4.2: "_" is SP, "=XX" a byte.
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_') {
            out += ' ';
        } else if (s[i] == '=') {
            const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
            } else {
                out += '=';
            }
        } else {
            out += s[i];
        }
    }
    return out;
}

// ---- the walk ----

class walker {
public:
    explicit walker(message& msg) : msg_(msg) {}

    // One entity (RFC 2045 §2.4): its header section, then a leaf body or a multipart's parts.
    result<void> entity(std::string_view text, int depth, std::string_view default_type, bool top) {
        ++parts_;
        if (parts_ > limits::max_mime_parts) {
            return fail("more than " + std::to_string(limits::max_mime_parts) + " MIME parts");
        }
        const std::string where = top ? "message" : "part " + std::to_string(parts_);
        auto hs = read_headers(text, 0, msg_.warnings, where);
        if (!hs) return forward_error(hs);
        if (top) {
            if (hs->fields.empty()) return fail("no header fields: not an e-mail message");
            msg_.headers = hs->fields;
        }
        std::map<std::string, std::string> params;
        std::string type;
        const std::string ct = first_header(hs->fields, "Content-Type");
        if (!ct.empty()) type = parse_content_type(ct, params);
        if (type.empty()) {
            // RFC 2045 §5.2: absent or syntactically invalid → the default (and its charset).
            if (!ct.empty()) msg_.warnings.push_back(where + ": invalid Content-Type; default assumed");
            type = std::string(default_type);
            if (type == "text/plain" && params.find("charset") == params.end()) params["charset"] = "us-ascii";
        }
        if (top) {
            msg_.top_content_type = type;
            msg_.top_params = params;
        }
        const std::string_view body = text.substr(hs->body_start);
        if (type.rfind("multipart/", 0) == 0) {
            auto boundary = params.find("boundary");
            if (boundary == params.end() || boundary->second.empty()) {
                msg_.warnings.push_back(where + ": multipart without a boundary; body kept as text");
                type = "text/plain";
            } else {
                if (depth + 1 > limits::max_mime_depth) {
                    return fail("MIME parts nested deeper than " + std::to_string(limits::max_mime_depth));
                }
                // RFC 2046 §5.1.5: in a digest the parts default to message/rfc822.
                const std::string_view child_default = type == "multipart/digest" ? "message/rfc822" : "text/plain";
                std::vector<std::string_view> children;
                if (auto r = split_multipart(body, boundary->second, where, children); !r) return r;
                for (std::string_view child : children) {
                    if (auto r = entity(child, depth + 1, child_default, false); !r) return r;
                }
                return {};
            }
        }
        mime_part part;
        part.content_type = std::move(type);
        part.params = std::move(params);
        part.headers = std::move(hs->fields);
        part.depth = depth;
        fill_disposition(part);
        decode_body(part, body, where);
        msg_.leaves.push_back(std::move(part));
        return {};
    }

private:
    // RFC 2046 §5.1.1: a delimiter is a line "--boundary" (the line break before it belongs to
    // it), optionally followed by transport padding (LWSP); "--boundary--" closes. Preamble and
    // epilogue are ignored.
    result<void> split_multipart(std::string_view body, const std::string& boundary, const std::string& where,
                                 std::vector<std::string_view>& out) {
        const std::string dash = "--" + boundary;
        std::size_t part_start = std::string_view::npos;
        bool closed = false;
        bool any = false;
        for (std::size_t ls = 0; ls < body.size();) {
            const line_span l = line_at(body, ls, body.size());
            const std::string_view line = body.substr(ls, l.content_end - ls);
            if (line.size() >= dash.size() && line.compare(0, dash.size(), dash) == 0) {
                std::string_view after = line.substr(dash.size());
                const bool is_close = after.size() >= 2 && after[0] == '-' && after[1] == '-';
                if (is_close) after.remove_prefix(2);
                const bool padding_only = std::all_of(after.begin(), after.end(), is_space);
                if (padding_only) {
                    any = true;
                    if (part_start != std::string_view::npos) {
                        std::size_t end = ls;
                        if (end > part_start && body[end - 1] == '\n') --end;
                        if (end > part_start && body[end - 1] == '\r') --end;
                        out.push_back(body.substr(part_start, end - part_start));
                        // Checked here too, so 10,000 parts are refused before being listed.
                        if (parts_ + out.size() > limits::max_mime_parts) {
                            return fail("more than " + std::to_string(limits::max_mime_parts) + " MIME parts");
                        }
                    }
                    if (is_close) {
                        closed = true;
                        break;
                    }
                    part_start = l.next;
                }
            }
            if (!l.has_newline) break;
            ls = l.next;
        }
        if (!any) return fail(where + ": multipart boundary never appears");
        if (!closed) {
            if (part_start != std::string_view::npos) out.push_back(body.substr(std::min(part_start, body.size())));
            msg_.warnings.push_back(where + ": closing boundary never came; EOF ends the last part");
        }
        return {};
    }

    void fill_disposition(mime_part& part) {
        std::vector<raw_param> raw;
        const std::string cd = first_header(part.headers, "Content-Disposition");
        std::string filename;
        if (!cd.empty()) {
            part.disposition = text::ascii_lower(split_params(cd, raw));
            const auto params = assemble_params(raw);
            if (auto it = params.find("filename"); it != params.end()) filename = it->second;
        }
        if (filename.empty()) {
            if (auto it = part.params.find("name"); it != part.params.end()) filename = it->second;
        }
        // RFC 2047 words inside a quoted filename are not standard (RFC 2047 §5 (3)) but common.
        part.filename = decode_header_words(filename);
    }

    void decode_body(mime_part& part, std::string_view body, const std::string& where) {
        const std::string cte = text::ascii_lower(text::trim(first_header(part.headers, "Content-Transfer-Encoding")));
        if (cte == "base64") {
            std::size_t skipped = 0;
            part.body = decode_base64(body, &skipped);
            if (skipped > 0) {
                msg_.warnings.push_back(where + ": " + std::to_string(skipped) +
                                        " characters outside the base64 alphabet skipped");
            }
        } else if (cte == "quoted-printable") {
            part.body = decode_quoted_printable(body);
        } else {
            if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary") {
                msg_.warnings.push_back(where + ": unknown Content-Transfer-Encoding '" +
                                        text::for_terminal(cte, limits::max_logged_text) + "'; body kept as is");
            }
            part.body = std::string(body);
        }
    }

    message& msg_;
    std::size_t parts_ = 0;
};

}  // namespace

std::string mime_part::header(std::string_view name) const { return first_header(headers, name); }
std::string message::header(std::string_view name) const { return first_header(headers, name); }

namespace {

// Any other charset a sender names (RFC 2047 §3, RFC 2046 §4.1.2: ISO-2022-JP, GB2312, KOI8-R,
// windows-1251 ...) through glibc's iconv. The name comes from the message: only a plain name
// ([a-z0-9._-], at most 40 characters) reaches iconv_open, never ISO-2022-CN-EXT (CVE-2024-2961);
// an unknown name returns nothing. Bytes iconv cannot convert become U+FFFD, one at a time, so the
// loop ends within the input's length.
std::optional<std::string> iconv_to_utf8(std::string_view bytes, const std::string& cs) {
    if (cs.empty() || cs.size() > 40 || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") return std::nullopt;
    for (const char c : cs)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return std::nullopt;
    if (cs.find("2022-cn") != std::string::npos || cs.find("2022cn") != std::string::npos) return std::nullopt;
    iconv_t cd = iconv_open("UTF-8", cs.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    std::string out;
    out.reserve(bytes.size() * 2);
    std::string in(bytes);
    char* ip = in.data();
    std::size_t il = in.size();
    char buf[4096];
    while (il > 0) {
        char* op = buf;
        std::size_t ol = sizeof buf;
        const std::size_t rc = iconv(cd, &ip, &il, &op, &ol);
        out.append(buf, static_cast<std::size_t>(op - buf));
        if (rc != static_cast<std::size_t>(-1)) break;
        if (errno == E2BIG) continue;
        // EILSEQ / EINVAL: one byte is not text in this charset.
        out += "\xEF\xBF\xBD";
        ++ip;
        --il;
        iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
    }
    // A stateful charset (ISO-2022-JP) ends in its initial state.
    char* op = buf;
    std::size_t ol = sizeof buf;
    iconv(cd, nullptr, nullptr, &op, &ol);
    out.append(buf, static_cast<std::size_t>(op - buf));
    iconv_close(cd);
    text::repair_utf8(out);
    return out;
}

}  // namespace

std::string charset_to_utf8(std::string_view bytes, std::string_view charset_in) {
    std::string cs = text::ascii_lower(text::trim(charset_in));
    if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
    if (cs == "iso-8859-1" || cs == "iso8859-1" || cs == "iso_8859-1" || cs == "latin1" || cs == "latin-1" ||
        cs == "l1") {
        return text::latin1_to_utf8(bytes, false);
    }
    if (cs == "windows-1252" || cs == "cp1252" || cs == "x-cp1252") return text::latin1_to_utf8(bytes, true);
    if (auto converted = iconv_to_utf8(bytes, cs)) return std::move(*converted);
    std::string out(bytes);
    text::repair_utf8(out);
    return out;
}

std::string decode_header_words(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    bool last_was_word = false;
    std::size_t words = 0;
    while (i < s.size()) {
        const std::size_t j = s.find("=?", i);
        if (j == std::string_view::npos || words >= limits::max_encoded_words) {
            out.append(s.substr(i));
            break;
        }
        // RFC 2047 §2: =?charset?encoding?encoded-text?=  (no whitespace inside). Each scan stops
        // at the next '?', so the whole value is scanned a bounded number of times.
        const std::size_t cs_end = s.find_first_of("? \t\r\n", j + 2);
        bool ok = cs_end != std::string_view::npos && s[cs_end] == '?' && cs_end > j + 2 && cs_end + 2 < s.size() &&
                  s[cs_end + 2] == '?';
        char enc = ok ? static_cast<char>(s[cs_end + 1] | 0x20) : 0;
        ok = ok && (enc == 'b' || enc == 'q');
        std::size_t text_end = std::string_view::npos;
        if (ok) {
            text_end = s.find_first_of("? \t\r\n", cs_end + 3);
            ok = text_end != std::string_view::npos && s[text_end] == '?' && text_end + 1 < s.size() &&
                 s[text_end + 1] == '=';
        }
        if (!ok) {
            out.append(s.substr(i, j + 2 - i));
            i = j + 2;
            last_was_word = false;
            continue;
        }
        const std::string_view between = s.substr(i, j - i);
        // RFC 2047 §6.2: whitespace between adjacent encoded-words is not displayed.
        if (!(last_was_word && std::all_of(between.begin(), between.end(), is_space))) out.append(between);
        std::string_view charset = s.substr(j + 2, cs_end - j - 2);
        if (const std::size_t star = charset.find('*'); star != std::string_view::npos) {
            charset = charset.substr(0, star);  // RFC 2231 §5 language suffix
        }
        const std::string_view payload = s.substr(cs_end + 3, text_end - cs_end - 3);
        const std::string bytes = enc == 'b' ? decode_base64(payload) : decode_q_word(payload);
        out += charset_to_utf8(bytes, charset);
        ++words;
        i = text_end + 2;
        last_was_word = true;
    }
    text::repair_utf8(out);
    return out;
}

std::string decode_base64(std::string_view in, std::size_t* skipped) {
    std::string out;
    out.resize(in.size() / 4 * 3 + 3);
    std::size_t o = 0;
    std::uint32_t acc = 0;
    int n = 0;
    std::size_t bad = 0;
    for (const char c : in) {
        const signed char v = base64_table[static_cast<unsigned char>(c)];
        if (v < 0) {
            if (!is_space(c) && c != '=') ++bad;
            continue;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        if (++n == 4) {
            out[o++] = static_cast<char>(acc >> 16);
            out[o++] = static_cast<char>(acc >> 8);
            out[o++] = static_cast<char>(acc);
            acc = 0;
            n = 0;
        }
    }
    // A final group of 2 or 3 characters carries 1 or 2 bytes (RFC 4648 §4, padding omitted).
    if (n == 2) out[o++] = static_cast<char>(acc >> 4);
    if (n == 3) {
        out[o++] = static_cast<char>(acc >> 10);
        out[o++] = static_cast<char>(acc >> 2);
    }
    out.resize(o);
    if (skipped != nullptr) *skipped = bad;
    return out;
}

std::string decode_quoted_printable(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t pos = 0; pos < in.size();) {
        const line_span l = line_at(in, pos, in.size());
        std::string_view line = in.substr(pos, l.content_end - pos);
        const std::string_view line_break = in.substr(l.content_end, l.next - l.content_end);
        // RFC 2045 §6.7 (3): trailing whitespace was added in transport; delete it.
        while (!line.empty() && is_wsp(line.back())) line.remove_suffix(1);
        bool soft = false;
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] != '=') {
                out += line[i];
                continue;
            }
            if (i + 1 == line.size()) {
                soft = true;  // RFC 2045 §6.7 (5): soft line break
                break;
            }
            const int hi = hex_value(line[i + 1]);
            const int lo = i + 2 < line.size() ? hex_value(line[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
            } else {
                out += '=';  // malformed: kept literally (RFC 2045 §6.7 note 1)
            }
        }
        if (!soft) out.append(line_break);
        pos = l.next;
    }
    return out;
}

std::string parse_content_type(std::string_view value, std::map<std::string, std::string>& params) {
    std::vector<raw_param> raw;
    std::string type = text::ascii_lower(split_params(value, raw));
    params = assemble_params(raw);
    // RFC 2045 §5.1: type "/" subtype, both tokens.
    const std::size_t slash = type.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == type.size() ||
        type.find('/', slash + 1) != std::string::npos) {
        return {};
    }
    return type;
}

std::vector<header_field> parse_fields(std::string_view block) {
    std::vector<std::string> ignored;
    // A feedback-report body is small; cap it like any header section.
    auto h = read_headers(block.substr(0, std::min(block.size(), limits::max_header_section)), 0, ignored, "fields");
    if (!h) return {};
    return std::move(h->fields);
}

bool looks_like_message(std::string_view b) {
    if (b.rfind("From ", 0) == 0) return true;  // mbox postmark
    // The first line must be a header field with a conventional name (letters, digits, '-', '_'):
    // JSON ('{"a":') and XML ('<?xml') never are.
    auto is_field = [](std::string_view line) {
        const std::size_t n = field_name_length(line);
        if (n == 0) return false;
        const auto alnum = [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        };
        if (!alnum(line[0])) return false;
        return std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(n),
                           [&](char c) { return alnum(c) || c == '-' || c == '_'; });
    };
    const line_span first = line_at(b, 0, b.size());
    if (!is_field(b.substr(0, first.content_end))) return false;
    if (!first.has_newline || first.next >= b.size()) return true;
    // A second complete line, if we have one, must continue the header section.
    const line_span second = line_at(b, first.next, b.size());
    if (!second.has_newline) return true;
    const std::string_view line = b.substr(first.next, second.content_end - first.next);
    return line.empty() || is_wsp(line[0]) || is_field(line);
}

result<message> parse_message(std::string_view raw) {
    if (raw.size() > limits::max_message_size) {
        return fail("message larger than " + std::to_string(limits::max_message_size) + " bytes");
    }
    // An mbox postmark line "From addr date" is not part of the message.
    if (raw.rfind("From ", 0) == 0) {
        const line_span l = line_at(raw, 0, std::min(raw.size(), limits::max_header_section));
        if (!l.has_newline) return fail("header section larger than " + std::to_string(limits::max_header_section) + " bytes");
        raw.remove_prefix(l.next);
    }
    message msg;
    walker w(msg);
    if (auto r = w.entity(raw, 0, "text/plain", true); !r) return forward_error(r);
    msg.subject = decode_header_words(msg.header("Subject"));
    msg.from = decode_header_words(msg.header("From"));
    msg.date = msg.header("Date");
    msg.message_id = msg.header("Message-ID");
    return msg;
}

}  // namespace dmarcsight::mime
